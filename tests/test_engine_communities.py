"""Communities on both engines: edges, nodes, profiles, account links, a whole run and the CLI.

Each test builds its store from the fixtures of the communities tests, exports it as Parquet
and runs on DuckDB and on Spark (local[2], one session for the test run): the rows must be
the same, and where a test states them, the expected ones.

- ``test_network_edges``' corpus: every interaction type, handles resolved to ids, an account
  known only by handle (``@eve``), a self-mention; its edges and nodes are stated there.
- ``test_network_cli``' two groups: red (101-104 and @newsdesk, English, #Red) and blue
  (201-204, German, #Blau), one bridge, analyst labels: two communities of 5 and 4.
- ``test_network_links``' two platforms (a mention triangle on each, t4 on the side) and three
  account links: the run across platforms, with linked accounts pooled.

Leiden and the centralities run on the driver whichever engine built the edges, so a whole
run stores the same rows exactly (floats included: they are computed here, from the same
edges).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from infoscope.engine import Engine, as_engine
from infoscope.engine.parquet import MANIFEST
from infoscope.ingest import ingest
from infoscope.network.edges import EdgeSelection, combine_edges, interaction_edges, network_nodes
from infoscope.network.links import engine_links, stored_links
from infoscope.network.profiles import profile_communities
from infoscope.network.run import run_communities
from infoscope.store import Store

from .conftest import cli_json, rows, run_cli, run_rows, spark_engine
from .test_engine_coordination import same_rows
from .test_network_cli import BLUE_IDS, RED_IDS
from .test_network_cli import _fill as fill_groups
from .test_network_edges import ALL_EDGES, GENERIC_MAP, GENERIC_ROWS, QUOTE, _jsonl
from .test_network_links import PROFILE_URL_EVIDENCE, _link
from .test_network_links import _fill as fill_links


def fill_edges(store: Store, tmp: Path) -> None:
    """``test_network_edges``' corpus (its `corpus` fixture, in this test's store)."""
    rows_file = _jsonl(tmp / "generic.jsonl", GENERIC_ROWS)
    ingest(store, [rows_file], format="generic-jsonl", mapping=GENERIC_MAP, platform="twitter")
    ingest(store, [_jsonl(tmp / "quote.jsonl", [QUOTE])], format="twitter-v2")


def table_rows(engine: Engine, expr: Any, order: list[str]) -> list[dict[str, Any]]:
    return engine.to_arrow(expr.order_by(order)).to_pylist()  # type: ignore[no-any-return]


def test_edges_and_nodes_are_the_same_on_every_engine(store, tmp_path, on):
    fill_edges(store, tmp_path)
    engine = on(store)
    posts, accounts = engine.table("posts"), engine.table("accounts")
    per_type = interaction_edges(posts, accounts)
    got = table_rows(engine, per_type, ["source", "target", "type"])
    # The edges test_network_edges states (its mentions unnested, resolved and lower-cased).
    assert {
        (r["source"], r["target"], r["type"], r["weight"], r["first_at"], r["last_at"]) for r in got
    } == ALL_EDGES
    combined = table_rows(engine, combine_edges(per_type, min_weight=2), ["source", "target"])
    nodes = engine.to_arrow(network_nodes(posts, accounts, per_type)).to_pylist()
    # The reference: the same queries on the store's own DuckDB.
    duck = as_engine(store)
    d_posts, d_accounts = duck.table("posts"), duck.table("accounts")
    d_per_type = interaction_edges(d_posts, d_accounts)
    same_rows(got, table_rows(duck, d_per_type, ["source", "target", "type"]))
    same_rows(
        combined,
        table_rows(duck, combine_edges(d_per_type, min_weight=2), ["source", "target"]),
    )
    same_rows(nodes, duck.to_arrow(network_nodes(d_posts, d_accounts, d_per_type)).to_pylist())
    # min_weight 2 keeps bob's two retweets of alice and dan's mention + reply of carol.
    assert [(r["source"], r["target"], r["weight"]) for r in combined] == [
        ("2", "1", 2.0),
        ("4", "3", 2.0),
    ]
    assert combined[1]["mention"] == combined[1]["reply"] == 1
    assert [(n["account_id"], n["handle"], n["posts"], n["in_corpus"]) for n in nodes] == [
        ("1", "Alice", 1, True),
        ("2", "bob", 2, True),
        ("3", "carol", 2, True),
        ("4", "dan", 4, True),
        ("5", "erin", 1, True),
        ("@eve", "eve", 0, False),  # only ever mentioned: the handle she was named by
    ]


def test_profiles_are_the_same_on_every_engine(store, tmp_path, on):
    fill_groups(store, tmp_path)
    engine = on(store)
    membership = pa.table(
        {
            "account_id": sorted(RED_IDS) + sorted(BLUE_IDS),
            "community": [0] * len(RED_IDS) + [1] * len(BLUE_IDS),
        }
    )
    sel = EdgeSelection(platform="twitter")

    def profiles(e: Engine) -> dict[int, dict[str, Any]]:
        members = e.from_arrow("_test_membership", membership)
        try:
            return profile_communities(
                e.table("posts"),
                e.table("accounts"),
                e.table("account_labels"),
                members,
                sel,
                top=10,
                engine=e,
            )
        finally:
            e.release("_test_membership")

    got = profiles(engine)
    assert got == profiles(as_engine(store))
    red, blue = got[0], got[1]
    # As test_network_cli states them (hashtags and mentions unnested and lower-cased).
    assert (red["posts"], red["posting_accounts"]) == (14, 4)
    assert red["top_hashtags"] == [["red", 14]]
    assert red["top_domains"] == [["red.example.com", 14]]
    assert red["top_mentions"] == [
        ["red1", 3], ["red2", 3], ["red3", 3], ["red4", 3], ["blue1", 1], ["newsdesk", 1]
    ]  # fmt: skip
    assert red["languages"] == {"en": 14} and red["places"] == [["Red City", 4]]
    assert red["labels"] == {"team=red": 4, "role=leader": 1}
    assert red["period"] == "day" and red["activity"] == [["2024-05-01", 14]]
    assert blue["top_hashtags"] == [["blau", 12]] and blue["languages"] == {"de": 12}
    assert blue["labels"] == {"team=blue": 4} and blue["activity"] == [["2024-05-02", 12]]


def test_account_links_from_the_engine_are_the_stored_links(store, tmp_path, on):
    fill_links(store)
    _link(store, tmp_path)
    got = engine_links(on(store))
    assert got == stored_links(store)
    assert [(r["account_a"], r["handle_a"], r["account_b"], r["method"]) for r in got] == [
        ("g1", "alpha_tg", "t1", "analyst"),
        ("g2", "beta_tg", "t2", "profile-url"),
        ("g4", "delta_tg", "t4", "analyst"),
    ]
    assert got[1]["evidence"] == PROFILE_URL_EVIDENCE


RUN_TABLES = {
    "network_edges": "source, target",
    "network_nodes": "platform, account_id",
    "communities": "community",
}


def _summary(summary: dict[str, Any]) -> dict[str, Any]:
    """A run's summary without what differs between engines: times and the engine."""
    out = {k: v for k, v in summary.items() if k != "seconds"}
    out["parameters"] = {k: v for k, v in summary["parameters"].items() if k != "engine"}
    return out


@pytest.mark.spark
def test_a_whole_run_stores_the_same_rows_from_spark_as_from_duckdb(store, tmp_path, request):
    fill_groups(store, tmp_path)
    duck = run_communities(store, runs=3, seed=1)
    spark = spark_engine(store, tmp_path / "parquet", request)
    sparked = run_communities(store, runs=3, seed=1, engine=spark)
    a, b = run_rows(store, duck.run_id, RUN_TABLES), run_rows(store, sparked.run_id, RUN_TABLES)
    # As test_network_cli states them: 26 mention edges, 9 accounts, communities of 5 and 4.
    assert len(a["network_edges"]) == 26 and {e["mention"] for e in a["network_edges"]} == {1}
    assert len(a["network_nodes"]) == 9
    assert [(c["community"], c["size"]) for c in a["communities"]] == [(0, 5), (1, 4)]
    assert json.loads(a["communities"][0]["profile"])["labels"] == {
        "team=red": 4,
        "role=leader": 1,
    }
    for table in a:
        same_rows(a[table], b[table])
    assert _summary(sparked.summary) == _summary(duck.summary)
    assert sparked.profiles == duck.profiles
    recorded = {r["engine"]: r for r in rows(store, "SELECT * FROM runs")}
    assert recorded["spark"]["input_fingerprint"] == recorded["duckdb"]["input_fingerprint"]
    described = {e: json.loads(recorded[e]["parameters"])["engine"] for e in recorded}
    assert described["duckdb"]["name"] == "duckdb"
    assert described["spark"]["name"] == "spark" and described["spark"]["master"] == "local[2]"


@pytest.mark.spark
def test_communities_command_runs_on_spark_across_platforms(store_path, tmp_path, spark_session):
    with Store.open(store_path) as store:
        fill_links(store)
        _link(store, tmp_path)
    folder = tmp_path / "parquet"
    result = run_cli("export", "--format", "parquet", "--out", str(folder), "--store",
                     str(store_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    # A folder without the analyst's labels (exported from a store without them) gives
    # profiles without labels, as the store's empty labels table does.
    manifest = json.loads((folder / MANIFEST).read_text())
    del manifest["tables"]["account_labels"]
    (folder / MANIFEST).write_text(json.dumps(manifest))
    args = ["communities", "--store", str(store_path), "--platform", "all", "--link-accounts",
            "--runs", "3", "--seed", "1", "-q"]  # fmt: skip
    duck = cli_json(*args)
    spark = cli_json(*args, "--engine", "spark", "--data", str(folder))
    # As test_network_links states it: 7 accounts and 7 edges, pooled into 5 actors.
    assert (duck["nodes"], duck["edges"], duck["account_links"]["actors"]) == (7, 7, 5)
    assert duck["platforms"] == ["telegram", "twitter"]
    assert _summary(spark) == {**_summary(duck), "run_id": spark["run_id"]}
    with Store.open(store_path, read_only=True) as store:
        a, b = (
            run_rows(store, duck["run_id"], RUN_TABLES),
            run_rows(store, spark["run_id"], RUN_TABLES),
        )
        engines = [r["engine"] for r in rows(store, "SELECT engine FROM runs ORDER BY started_at")]
    assert {n["platform"] for n in a["network_nodes"]} == {"telegram", "twitter"}
    for table in a:
        same_rows(a[table], b[table])
    assert engines[-2:] == ["duckdb", "spark"]


def test_engine_options_are_checked_with_one_line_errors(store_path, tmp_path):
    with Store.open(store_path) as store:
        fill_links(store)
    for extra, message in (
        (["--engine", "spark"], "--engine spark reads an exported folder: write one with"),
        (["--data", str(tmp_path)], "--data and --spark-master are for --engine spark"),
        (["--engine", "spark", "--data", str(tmp_path)], f"{tmp_path} has no {MANIFEST}"),
    ):
        result = run_cli("communities", "--store", str(store_path), "-q", *extra)
        assert result.exit_code != 0 and message in result.output, result.output
        assert "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
