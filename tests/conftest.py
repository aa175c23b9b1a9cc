"""Shared test fixtures: a fresh store per test, a CLI runner, and the shared real data path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from infoscope.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "test.duckdb"


@pytest.fixture
def store(store_path: Path) -> Iterator[Store]:
    with Store.open(store_path) as s:
        yield s


def rows(store: Store, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Run `sql` on the store and return dict rows."""
    cur = store.con.execute(sql, params or [])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def run_cli(*args: str, input: str | None = None) -> Any:
    """Invoke the CLI in-process; returns click's Result (exit_code, stdout, stderr)."""
    from infoscope.cli.main import cli

    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def cli_json(*args: str) -> Any:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def one(store: Store, sql: str, params: list[Any] | None = None) -> Any:
    """The single value `sql` returns."""
    return store.con.execute(sql, params or []).fetchone()[0]


def digest(path: Path) -> str:
    """sha256 of a file's bytes: to show a store is unchanged."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


def shared(path: str) -> Path:
    """A file under ../shared/data, or skip the test with the reason when it is absent."""
    full = SHARED_DATA / path
    if not full.exists():
        pytest.skip(f"real data {full} is absent (a fresh clone has no ../shared/data)")
    return full


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The demo (every analysis, then the report) on a small scenario, once per test session.

    Tests must only read its store (``demo_run.store``): it is shared.
    """
    from infoscope.demo import run_demo

    return run_demo(tmp_path_factory.mktemp("demo") / "out", posts=10_000, seed=5)


@pytest.fixture(scope="module")
def demo_store(demo_run: Any) -> Iterator[Store]:
    """The session demo's store, opened read-only for a module."""
    with Store.open(demo_run.store, read_only=True) as store:
        yield store


# Settings of the test session: data of a few hundred rows, where Spark's own costs (code
# generation, shuffles into many partitions, re-planning) would dominate.
SPARK_TEST_CONF = {
    "spark.sql.shuffle.partitions": "1",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "false",
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.codegen.factoryMode": "NO_CODEGEN",
    "spark.ui.enabled": "false",
    "spark.driver.memory": "1g",
}


def run_rows(store: Store, run_id: str, tables: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """A run's rows of each table of `tables` (name -> ORDER BY columns), without the run id:
    what two runs on different engines must share."""
    query = "SELECT * EXCLUDE (run_id) FROM {} WHERE run_id = ? ORDER BY {}"
    return {t: rows(store, query.format(t, order), [run_id]) for t, order in tables.items()}


# The engines the portable functions run on: DuckDB, and Spark where Java is (marker spark).
ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


def spark_engine(store: Store, folder: Path, request: pytest.FixtureRequest) -> Any:
    """A Spark engine over `store` exported to Parquet in `folder` (the test run's session)."""
    from infoscope.engine.parquet import export_parquet
    from infoscope.engine.spark_engine import SparkEngine

    export_parquet(store, folder)
    session = request.getfixturevalue("spark_session")
    return SparkEngine(folder, session=session, store=store)


@pytest.fixture(params=ENGINES)
def on(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    """``on(store)``: the engine of the test's parameter over the store's current rows (for
    Spark, the store exported to Parquet first)."""
    from infoscope.engine import as_engine

    def make(store: Store) -> Any:
        if request.param == "duckdb":
            return as_engine(store)
        return spark_engine(store, tmp_path / "parquet", request)

    return make


@pytest.fixture(scope="session")
def spark_session() -> Iterator[Any]:
    """One local[2] SparkSession for the whole test run (started on first use; tests marked
    ``spark``). Skipped with the reason only when Java is missing: pyspark is installed by
    `make test` (the spark extra), and its absence is a failure."""
    import os
    import shutil

    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        pytest.skip("Java is not installed (Spark needs Java 17 or 21: `make java`)")
    from infoscope.engine.spark_engine import spark_session as start

    session = start("local[2]", conf=SPARK_TEST_CONF)
    yield session
    session.stop()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The Spark tests in one group: with ``pytest -n 2 --dist loadgroup`` (`make test`) they
    run in the same worker, which starts the one local[2] session."""
    for item in items:
        if item.get_closest_marker("spark") is not None:
            item.add_marker(pytest.mark.xdist_group("spark"))
