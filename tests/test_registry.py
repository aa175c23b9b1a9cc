"""The analysis registry's contract, checked for every registered analysis, and the example
analysis (`tests/example_analysis`) picked up everywhere from one registry entry.

The contract store holds a small scenario and the article fixtures; every analysis runs in it
through its demo step (registry order, as the demo runs them), twice, so that each can be:

- loaded back as the result its run returned;
- exported (each of its exports writes the run's rows);
- rendered in the report, with a run and in a store where it has not run;
- repeated with the same rows (determinism: same store, parameters and seed);
- made to fail inside its run, leaving the run ``failed`` with its error and no rows.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from infoscope.export import export_table, exportable
from infoscope.ingest import ingest
from infoscope.registry import (
    Analysis,
    DemoContext,
    registered,
    registered_analyses,
)
from infoscope.report.render import render_section
from infoscope.scenario import ScenarioConfig, generate_scenario
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows, run_cli
from .example_analysis import ANALYSIS as EXAMPLE

ANALYSES = list(registered_analyses().values())
NAMES = [a.name for a in ANALYSES]
ARTICLES = FIXTURES / "articles"
SEED = 3


def _article_files() -> list[str]:
    files = sorted(str(p) for p in (ARTICLES / "syndication").iterdir())
    return [*files, str(ARTICLES / "news_page.html"), str(ARTICLES / "aggregator.html")]


def _fill(store: Store, scenario: Path) -> None:
    manifest = generate_scenario(ScenarioConfig(posts=8_000, seed=SEED), scenario)
    ingest(store, [scenario / manifest.counts["corpus_file"]])
    ingest(store, _article_files())


def _run_all(store: Store, scenario: Path) -> dict[str, Any]:
    """Every analysis' demo step in registry order; {name: result}."""
    context = DemoContext(scenario=scenario, seed=SEED)
    for name, analysis in registered_analyses().items():
        step = analysis.function("demo")(store, context)
        assert step is not None, f"{name}: its demo step did not run on the contract store"
        context.results[name] = step.result
    return context.results


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A store in which every analysis ran twice: {"store", "first", "second", "tmp"}."""
    tmp = tmp_path_factory.mktemp("contract")
    with Store.open(tmp / "contract.duckdb") as store:
        _fill(store, tmp / "scenario")
        first = _run_all(store, tmp / "scenario")
        second = _run_all(store, tmp / "scenario")
        yield {"store": store, "first": first, "second": second, "tmp": tmp}


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store with the same inputs where no analysis has run."""
    tmp = tmp_path_factory.mktemp("bare")
    with Store.open(tmp / "bare.duckdb") as store:
        _fill(store, tmp / "scenario")
        yield store


def _plain(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def test_every_analysis_is_complete_in_the_registry():
    assert len(set(NAMES)) == len(NAMES) and "ingest" not in NAMES
    for analysis in ANALYSES:
        for role in ("run", "load", "demo"):
            assert callable(analysis.function(role)), (analysis.name, role)
        assert analysis.table_ddl() and analysis.run_tables(), analysis.name
        assert analysis.sections, f"{analysis.name} shows nothing in the report"
        assert analysis.hint.startswith("infoscope "), analysis.name
        for required in analysis.reads:
            assert NAMES.index(required) < NAMES.index(analysis.name), (analysis.name, required)
        for section in analysis.sections:
            assert (Path(analysis.templates) / section.template).exists(), section.template


@pytest.mark.parametrize("name", NAMES)
def test_run_is_recorded_and_loads_back(contract, name):
    # The second run: a signature learnt again under its name replaces the first one's.
    store, result = contract["store"], contract["second"][name]
    run = store.get_run(result.run_id, name)
    assert run.status == "completed" and run.error is None and run.ended_at is not None
    assert run.version and run.engine == "duckdb" and run.input_fingerprint
    assert run.seed == SEED
    loaded = registered_analyses()[name].function("load")(store, result.run_id)
    assert type(loaded) is type(result)
    assert _plain(loaded.as_dict()) == _plain(result.as_dict())
    # Without a run id: the latest completed run.
    assert registered_analyses()[name].function("load")(store).run_id == result.run_id


@pytest.mark.parametrize("name", NAMES)
def test_exports_write_the_runs_rows(contract, name, tmp_path):
    store, run_id = contract["store"], contract["first"][name].run_id
    for export in registered_analyses()[name].exports:
        assert export.name in exportable()
        out = tmp_path / f"{export.name}{export.suffixes[0]}"
        written = export_table(store, export.name, str(out), run_id=run_id)
        assert out.exists()
        if export.table is not None:
            stored = rows(
                store, f"SELECT count(*) AS n FROM {export.table} WHERE run_id = ?", [run_id]
            )
            assert written == stored[0]["n"], export.name
        else:
            assert written >= 0, export.name


@pytest.mark.parametrize("name", NAMES)
def test_sections_render_with_and_without_a_run(contract, bare, name):
    analysis = registered_analyses()[name]
    for section in analysis.sections:
        shown = render_section(contract["store"], analysis, section)
        assert f'id="{section.key}"' in shown and "has not been run" not in shown
        empty = render_section(bare, analysis, section)
        assert f'id="{section.key}"' in empty
        if analysis.name != "articles-syndication":  # the article overview shows the corpus
            assert "has not been run" in empty and analysis.hint.split(" --")[0] in empty


def _without_ids(store: Store, table: str, run_id: str) -> list[tuple[Any, ...]]:
    """A run's rows without its ids (columns, and run ids quoted in evidence text), sorted;
    floats rounded to 6 significant digits for the sort only (see `_same`)."""
    ids = [r.run_id for r in store.runs()]

    def plain(value: Any) -> Any:
        if isinstance(value, str):
            for run_id in ids:
                value = value.replace(run_id, "<run>")
        return value

    cur = store.con.execute(f"SELECT * FROM {table} WHERE run_id = ?", [run_id])
    names = [d[0] for d in cur.description]
    keep = [i for i, n in enumerate(names) if n not in ("run_id", "signature_id", "created_at")]
    found = [tuple(plain(r[i]) for i in keep) for r in cur.fetchall()]
    return sorted(found, key=lambda r: [f"{v:.6g}" if isinstance(v, float) else str(v) for v in r])


def _same(a: Any, b: Any) -> bool:
    """Equal values (rows, lists, JSON text compared as data); floats equal to 1e-9 relative
    (DuckDB sums in parallel, so a sum's last bits depend on the order its threads finish:
    3.066020019097382 against ...3814)."""
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, str) and isinstance(b, str) and a[:1] in "[{" and a != b:
        try:
            return _same(json.loads(a), json.loads(b))
        except ValueError:
            return False
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("name", NAMES)
def test_same_store_parameters_and_seed_give_the_same_rows(contract, name):
    store = contract["store"]
    first, second = contract["first"][name].run_id, contract["second"][name].run_id
    compared = 0
    for table in registered_analyses()[name].run_tables():
        a, b = _without_ids(store, table, first), _without_ids(store, table, second)
        assert len(a) == len(b), f"{name}: {table} has {len(a)} then {len(b)} rows"
        compared += len(a)
        unequal = [(x, y) for x, y in zip(a, b, strict=True) if not _same(x, y)]
        assert not unequal, f"{name}: {table} differs between two identical runs: {unequal[:2]}"
    assert compared, f"{name} stored no rows in the contract store: nothing was compared"


@contextmanager
def _failing_runs() -> Iterator[None]:
    """Every `Store.run` block fails at its end, after the analysis stored its rows."""
    real = Store.run

    @contextmanager
    def failing(self: Store, *args: Any, **kwargs: Any) -> Iterator[Any]:
        with real(self, *args, **kwargs) as run:
            yield run
            raise RuntimeError("injected failure")

    Store.run = failing  # type: ignore[method-assign]
    try:
        yield
    finally:
        Store.run = real  # type: ignore[method-assign]


@pytest.mark.parametrize("name", NAMES)
def test_a_failure_marks_the_run_failed_and_leaves_no_rows(contract, name):
    store, analysis = contract["store"], registered_analyses()[name]
    context = DemoContext(scenario=contract["tmp"] / "scenario", seed=SEED)
    context.results.update(contract["second"])
    before = {r.run_id for r in store.runs(name)}
    with _failing_runs(), pytest.raises(RuntimeError, match="injected failure"):
        analysis.function("demo")(store, context)
    (failed,) = [r for r in store.runs(name) if r.run_id not in before]
    assert failed.status == "failed" and failed.error == "RuntimeError: injected failure"
    for table in analysis.run_tables():
        assert rows(
            store, f"SELECT count(*) AS n FROM {table} WHERE run_id = ?", [failed.run_id]
        ) == [{"n": 0}]
    assert store.latest_run_id(name) == contract["second"][name].run_id


# -- the example analysis: one package and one registry entry ------------------------------


@pytest.fixture
def example() -> Iterator[Analysis]:
    with registered(EXAMPLE) as analysis:
        yield analysis


def test_an_analysis_added_by_one_entry_is_found_everywhere(example, tmp_path):
    from infoscope.demo import run_demo
    from infoscope.report.dashboard import create_app

    # The demo runs it (its step comes after the built-in ones) and summarises it.
    result = run_demo(tmp_path / "demo", posts=1_000, seed=2)
    assert result.data["example-hashtags"]["hashtags"] > 0
    assert "## Hashtag counts" in result.summary.read_text(encoding="utf-8")
    store_path = str(result.store)
    # The store made its table; `infoscope runs` lists its run.
    listed = cli_json("runs", "--store", store_path, "--analysis", "example-hashtags")
    assert [(r["command"], r["status"]) for r in listed] == [("example-hashtags", "completed")]
    # It is an export choice, and exports its rows.
    assert "example-hashtags" in exportable()
    out = tmp_path / "tags.csv"
    done = run_cli("export", "example-hashtags", "--store", store_path, "--out", str(out))
    assert done.exit_code == 0, done.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1 + int(
        result.data["example-hashtags"]["hashtags"]
    )
    # The report shows its section, charts included, and the dashboard has its page.
    html = result.report.read_text(encoding="utf-8")
    assert 'id="example-hashtags"' in html and "chart-example-hashtags" in html
    from fastapi.testclient import TestClient

    client = TestClient(create_app(store_path), base_url="http://127.0.0.1")
    page = client.get("/example-hashtags?top=3")
    assert page.status_code == 200 and "Hashtag counts" in page.text
    data = client.get("/api/example-hashtags?top=3").json()
    assert len(data["top"] if "top" in data else data["example-hashtags"]["top"]) == 3
    assert 'href="/example-hashtags"' in client.get("/").text


def test_the_example_keeps_the_contract(example, tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        _fill(store, tmp_path / "scenario")
        context = DemoContext(scenario=tmp_path / "scenario", seed=SEED)
        step = example.function("demo")(store, context)
        loaded = example.function("load")(store, step.result.run_id)
        assert _plain(loaded.as_dict()) == _plain(step.result.as_dict())
        with _failing_runs(), pytest.raises(RuntimeError):
            example.function("demo")(store, context)
        assert [r.status for r in store.runs("example-hashtags")] == ["completed", "failed"]
        assert rows(store, "SELECT count(DISTINCT run_id) AS n FROM example_hashtags") == [{"n": 1}]
