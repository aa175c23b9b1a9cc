"""The engine seam without Spark: the Parquet export and its manifest, the engines' contract
on DuckDB, and a check that keeps DuckDB-only constructs out of the portable layer."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import infoscope
from infoscope.engine import Engine, as_engine, open_engine, utc_timestamps
from infoscope.engine.parquet import DATA_TABLES, MANIFEST, export_parquet, read_manifest
from infoscope.errors import BadParameterError, InfoscopeError, StoreVersionError
from infoscope.store import SCHEMA_VERSION

from .test_coordination_traces import insert, post, rt

SOURCE = Path(infoscope.__file__).resolve().parent
# The modules written once for every engine: Ibis expressions run through an Engine.
PORTABLE = (
    "queries.py",
    "coordination/traces.py",
    "coordination/pairs.py",
    "network/edges.py",
    "network/profiles.py",
    "network/links.py",
    "authenticity/behaviour.py",
    "language/tokens.py",
    "language/groups.py",
    "language/keyness.py",
    "language/reference.py",
    "language/detect.py",
)
# What only DuckDB runs: SQL text, DuckDB's temporary tables, the store's own connection
# (Ibis' own `to_pyarrow` runs on any backend, and is allowed).
DUCKDB_ONLY = ("CREATE ", "SELECT ", "INSERT ", "DROP ", ".create_table(", ".sql(", ".execute(",
               ".raw_sql(", ".to_sql(", ".arrow_reader(", ".register(")  # fmt: skip
# What gives engine-dependent answers: approximate aggregates, and ties left to the engine.
ENGINE_DEPENDENT = (".approx_median(", ".approx_nunique(", ".argmax(", ".argmin(", ".mode(")
# Where a column's unnest may stand: a top-level item of a projection (Spark's generators).
PROJECTIONS = (".select(", ".mutate(")


def duckdb_only(source: str) -> list[str]:
    """The DuckDB-only constructs in Python `source`'s code (docstrings and comments may name
    them): SQL in string literals, calls such as ``.sql(`` or ``create_table(``, and the
    store's own connections (``store.ibis``, ``store.con``)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    found = [
        f"SQL {node.value[:60]!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings and any(c in node.value for c in DUCKDB_ONLY)
    ]  # fmt: skip
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called = f".{node.func.attr}("
            keywords = {k.arg: k.value for k in node.keywords}
            temp = keywords.get("temp")
            if called in DUCKDB_ONLY or (isinstance(temp, ast.Constant) and temp.value is True):
                found.append(f"call {called}")
            if called in ENGINE_DEPENDENT:
                found.append(f"engine-dependent {called}")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in ("ibis", "con")
            and isinstance(node.value, ast.Name)
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return found + nested_unnests(tree)


def nested_unnests(tree: ast.AST) -> list[str]:
    """Column unnests (``col.unnest()``, no arguments) that are not a whole item of a
    ``select``/``mutate``: Spark runs a generator only as a top-level item of a projection."""
    allowed = {
        id(arg)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and f".{node.func.attr}(" in PROJECTIONS
        for arg in [*node.args, *(k.value for k in node.keywords)]
    }  # fmt: skip
    return [
        f"unnest inside an expression (line {node.lineno})"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
        and node.func.attr == "unnest" and not node.args and id(node) not in allowed
    ]  # fmt: skip


@pytest.mark.parametrize("module", PORTABLE)
def test_portable_modules_hold_no_duckdb_only_construct(module):
    found = duckdb_only((SOURCE / module).read_text(encoding="utf-8"))
    assert not found, f"{module}: {found[0]}; go through the Engine (infoscope.engine)"


def test_the_check_finds_sql_temporary_tables_and_the_store_connection():
    bad = (
        "def f(store, expr):\n"
        "    store.ibis.con.execute(f'CREATE OR REPLACE TEMP TABLE t AS {expr}')\n"
        "    store.ibis.create_table('x', expr, temp=True)\n"
        "    return store.ibis.con.sql('SELECT 1')\n"
    )
    found = duckdb_only(bad)
    assert {"store.ibis", "call .sql(", "call .create_table(", "call .execute("} <= set(found)
    assert any(f.startswith("SQL 'SELECT 1'") for f in found)
    assert not duckdb_only('"""Docstrings may say SELECT and .sql(."""\nx = 1  # CREATE\n')


def test_the_check_finds_nested_unnests_and_engine_dependent_aggregates():
    bad = (
        "def f(t):\n"
        "    a = t.select(tag=t.hashtags.unnest().lower())\n"
        "    b = t.mutate(n=t.urls.unnest().length() + 1)\n"
        "    return a, b, t.aggregate(m=t.x.approx_median(), w=t.y.argmax(t.z))\n"
    )
    found = duckdb_only(bad)
    assert sum(f.startswith("unnest inside an expression") for f in found) == 2
    assert {"engine-dependent .approx_median(", "engine-dependent .argmax("} <= set(found)
    good = (
        "def f(t):\n"
        "    a = t.select('k', tag=t.hashtags.unnest()).mutate(tag=lambda r: r.tag.lower())\n"
        "    return a.mutate(u=a.urls.unnest()), t.unnest('tokens', offset='position')\n"
    )
    assert not duckdb_only(good)


def test_export_writes_every_engine_table_and_a_manifest(store, tmp_path):
    insert(store, [post("p1", "a", 0, hashtags=["x"]), rt("r1", "b", 5, "p1")])
    manifest = export_parquet(store, tmp_path / "data")
    assert manifest["schema_version"] == SCHEMA_VERSION
    assert manifest["fingerprint"] == store.fingerprint()
    assert set(manifest["tables"]) == set(DATA_TABLES)
    assert manifest["tables"]["posts"]["rows"] == 2
    assert json.loads((tmp_path / "data" / MANIFEST).read_text()) == manifest
    posts = pq.read_table(tmp_path / "data" / "posts.parquet")
    assert posts.schema.field("created_at").type == pa.timestamp("us", tz="UTC")
    assert posts.schema.field("hashtags").type == pa.list_(pa.string())
    assert read_manifest(tmp_path / "data") == manifest


def test_a_changed_folder_or_another_schema_is_refused(store, tmp_path):
    insert(store, [post("p1", "a", 0)])
    folder = tmp_path / "data"
    with pytest.raises(InfoscopeError, match=r"has no infoscope\.json: write the folder"):
        read_manifest(folder)
    export_parquet(store, folder)
    with (folder / "posts.parquet").open("ab") as f:
        f.write(b"x")
    with pytest.raises(InfoscopeError, match="changed since the export"):
        read_manifest(folder)
    export_parquet(store, folder)
    manifest = json.loads((folder / MANIFEST).read_text())
    (folder / MANIFEST).write_text(json.dumps({**manifest, "schema_version": 1}))
    with pytest.raises(StoreVersionError, match="export the store again"):
        read_manifest(folder)


def test_duckdb_engine_materialises_releases_and_fingerprints(store):
    insert(store, [post("p1", "a", 0), post("p2", "b", 10)])
    engine = as_engine(store)
    assert isinstance(engine, Engine) and engine.name == "duckdb"
    posts = engine.table("posts")
    kept = engine.materialize("_test_kept", posts.filter(posts.account_id == "a"))
    assert engine.scalar(kept.count()) == 1
    back = engine.from_arrow("_test_arrow", pa.table({"k": ["x", "y"]}))
    assert engine.to_arrow(back.order_by("k"))["k"].to_pylist() == ["x", "y"]
    batches = list(engine.to_batches(posts.select("post_id"), batch_rows=1))
    assert sum(b.num_rows for b in batches) == 2
    engine.release("_test_kept", "_test_arrow", "_never_made")
    assert not store.has_table("_test_kept")
    assert engine.fingerprint() == store.fingerprint()
    assert engine.describe()["versions"].keys() == {"duckdb", "ibis"}


def test_open_engine_names_the_fix(store, tmp_path):
    with pytest.raises(BadParameterError, match="export --format parquet"):
        open_engine("spark", store)
    with pytest.raises(BadParameterError, match="for --engine spark"):
        open_engine("duckdb", store, data=str(tmp_path))
    with pytest.raises(BadParameterError, match="unknown engine 'polars'"):
        open_engine("polars", store)


def test_utc_is_restored_on_naive_timestamps():
    naive = pa.table({"t": pa.array([0], pa.timestamp("us")), "n": [1]})
    fixed = utc_timestamps(naive)
    assert fixed.schema.field("t").type == pa.timestamp("us", tz="UTC")
    assert fixed["t"].cast(pa.int64()).to_pylist() == [0]


def test_a_spark_connect_url_without_a_server_is_refused_at_once(store, tmp_path):
    # The Spark Connect client would retry for minutes; the engine checks the port first.
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    export_parquet(store, tmp_path / "parquet")
    url = f"sc://127.0.0.1:{port}"
    with pytest.raises(InfoscopeError, match=f"no Spark Connect server answers at {url}"):
        open_engine("spark", store, data=str(tmp_path / "parquet"), master=url)


def test_a_local_spark_gets_the_memory_limit_and_a_cluster_keeps_its_own(monkeypatch):
    from infoscope.engine.spark_engine import _local_conf

    monkeypatch.delenv("SPARK_DRIVER_MEMORY", raising=False)
    monkeypatch.setenv("INFOSCOPE_MEMORY_LIMIT", "2GiB")
    assert _local_conf("local[2]") == {
        "spark.sql.shuffle.partitions": "8",
        "spark.driver.memory": "2048m",
        "spark.driver.maxResultSize": "1024m",
    }
    monkeypatch.setenv("INFOSCOPE_MEMORY_LIMIT", "8GiB")
    assert _local_conf("local[2]")["spark.driver.maxResultSize"] == "4096m"
    monkeypatch.setenv("SPARK_DRIVER_MEMORY", "3g")  # the user's own setting stands
    assert "spark.driver.memory" not in _local_conf("local[*]")
    assert _local_conf("spark://head:7077") == {}


def test_a_result_too_large_for_the_driver_names_the_setting_to_raise():
    from infoscope.engine.spark_engine import _collected
    from infoscope.errors import InfoscopeError

    class TooLarge:
        def toArrow(self):
            raise RuntimeError(
                "Job aborted: Total size of serialized results of 8 tasks (1136.7 MiB) is "
                "bigger than spark.driver.maxResultSize (1024.0 MiB)\n\tat org.apache..."
            )

    with pytest.raises(InfoscopeError, match=r"raise spark\.driver\.maxResultSize .*--memory"):
        _collected(TooLarge())
