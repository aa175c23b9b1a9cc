"""The coordination traces, co-action pairs, a whole run and `stats` on both engines.

Each test builds its posts in a fresh DuckDB store (the same tiny fixtures as
``test_coordination_traces`` and ``test_coordination_shares``), exports them as Parquet and
runs on DuckDB and on Spark (local[2], one session for the test run): the rows must be the
same, and where a test states them, the expected ones. Floating-point sums (idf weights,
similarities) may differ in their last bits between engines, which add in different orders:
they are compared to 1e-9 relative, everything else exactly.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pyarrow as pa
import pytest

from infoscope.coordination import TraceOptions, candidate_pairs, run_coordination
from infoscope.coordination.pairs import co_action_objects
from infoscope.coordination.traces import get_trace, selected_posts
from infoscope.engine import Engine, as_engine
from infoscope.ingest import ingest
from infoscope.queries import engine_corpus_stats
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows, run_cli, run_rows, spark_engine
from .test_coordination_null import PLANTED, population
from .test_coordination_traces import insert, post, rt


def same_rows(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> None:
    """`a` and `b` are the same rows: floats to 1e-9 relative, the rest exactly."""
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        assert x.keys() == y.keys()
        for key, value in x.items():
            other = y[key]
            if isinstance(value, float) and isinstance(other, float):
                assert math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-300), (key, x, y)
            else:
                assert value == other, (key, x, y)


def pairs(engine: Engine, trace: str, **kwargs: Any) -> dict[tuple[str, str], tuple[int, int]]:
    table = candidate_pairs(engine, trace, **kwargs)
    assert table.schema.field("objects").type == pa.int64()
    return {
        (r["account_a"], r["account_b"]): (r["objects"], r["co_actions"]) for r in table.to_pylist()
    }


BASE = "the ministry confirmed that the western sanctions hurt ordinary families most"

# Every trace on one store: (what the rows are for, in the comments).
MIXED = [
    post("x", "z", 0),  # an original, retweeted by a, b, c, d
    rt("r1", "a", 0, "x"),
    rt("r2", "b", 30, "x"),
    rt("r3", "c", 90, "x"),  # 60 s after b (the boundary), 90 s after a
    rt("r4", "d", 0, "x"),  # same time as a
    rt("r5", "a", 10, "x"),  # a again: still one shared object per pair
    post("q1", "a", 100, kind="reply", ref="x"),
    post("q2", "b", 200, kind="reply", ref="x"),
    post("q3", "c", 2000, kind="reply", ref="x"),  # outside co-reply's 600 s
    post("l1", "a", 0, urls=["https://news.example/story-1"], hashtags=["vote", "fraud"]),
    post("l2", "b", 20, urls=["https://news.example/story-1"], hashtags=["vote", "fraud"]),
    post("l3", "c", 40, urls=["https://www.news.example/story-2"], hashtags=["fraud", "vote"]),
    post("l5", "e", 50, urls=["https://other.example/x", "https://news.example/story-1"]),
    post("n1", "a", 0, text=BASE + " https://t.co/abc"),
    post("n2", "b", 60, text="@someone " + BASE.replace("confirmed", "admitted")),
    post("n3", "c", 120, text="Completely unrelated words about football and weather"),
    {**post("m1", "a", 5), "media_ids": ["img-1", "img-2"]},
    {**post("m2", "e", 65), "media_ids": ["img-2"]},
    *[post(f"o{i}", "src", 1000 * i) for i in range(3)],
    *[rt(f"f{i}", "amp", 1000 * i + 5, f"o{i}") for i in range(3)],  # fast retweets of src
    rt("s3", "amp", 2600, "o1"),  # amp again, slow
]

CASES = [
    ("co-retweet", {"window": 60.0}, {("a", "b"): (1, 2), ("a", "d"): (1, 2), ("b", "c"): (1, 1),
                                      ("b", "d"): (1, 1)}),
    ("co-retweet", {"window": 0.0}, {("a", "d"): (1, 1)}),
    ("co-retweet", {"window": None}, None),
    ("co-reply", {"window": 600.0}, {("a", "b"): (1, 1)}),
    ("co-link", {"window": 60.0}, {("a", "b"): (1, 1), ("a", "e"): (1, 1), ("b", "e"): (1, 1)}),
    ("co-link", {"window": 60.0, "link_level": "domain"}, None),
    ("co-hashtag", {"window": 60.0}, {("a", "b"): (1, 1)}),
    ("co-hashtag", {"window": None, "hashtag_mode": "rare", "rare_hashtag_accounts": 3}, None),
    ("near-duplicate", {"window": 3600.0}, {("a", "b"): (1, 1)}),
    ("synchronised", {"bin_seconds": 60.0, "max_bin_accounts": 3}, None),
    ("fast-retweet", {"fast_seconds": 60.0}, {("amp", "src"): (3, 4), ("a", "z"): (2, 2),
                                              ("b", "z"): (1, 1), ("d", "z"): (1, 1)}),
    ("co-image", {"window": 3600.0}, {("a", "e"): (1, 1)}),
]  # fmt: skip


@pytest.fixture(scope="module")
def expected_pairs(tmp_path_factory: pytest.TempPathFactory) -> dict[int, Any]:
    """Each case's pairs on DuckDB, the reference for the other engines."""
    with Store.open(tmp_path_factory.mktemp("ref") / "ref.duckdb") as store:
        insert(store, MIXED)
        return {i: pairs(store, trace, **kw) for i, (trace, kw, _) in enumerate(CASES)}


@pytest.fixture
def mixed(store: Store, on: Any) -> Engine:
    insert(store, MIXED)
    return on(store)  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "case", range(len(CASES)), ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)]
)
def test_each_trace_gives_the_same_pairs_on_every_engine(mixed, expected_pairs, case):
    trace, kwargs, stated = CASES[case]
    got = pairs(mixed, trace, **kwargs)
    if stated is not None:
        assert got == stated
    assert got == expected_pairs[case]
    assert got  # every case pairs someone: an empty result would prove nothing


def test_evidence_keeps_the_same_closest_posts_on_every_engine(mixed):
    opts = TraceOptions(windows={"co-retweet": 60})
    actions = get_trace("co-retweet").actions(mixed, selected_posts(mixed, opts, "t"), opts)
    ordered = co_action_objects(actions, 60_000).order_by(["account_a", "account_b", "object_id"])
    got = [
        (r["account_a"], r["account_b"], r["object_id"], r["post_a"], r["post_b"], r["gap_ms"])
        for r in mixed.to_arrow(ordered).to_pylist()
    ]
    assert got == [
        ("a", "b", "x", "r5", "r2", 20_000),  # the closest of r1-r2 (30 s) and r5-r2 (20 s)
        ("a", "d", "x", "r1", "r4", 0),
        ("b", "c", "x", "r2", "r3", 60_000),
        ("b", "d", "x", "r2", "r4", 30_000),
    ]


def test_shares_across_platforms_give_the_same_pairs_on_every_engine(store, on):
    ingest(store, [FIXTURES / "shares" / "election_long.csv"])
    engine = on(store)
    # As test_coordination_shares states them: fb_1, fb_2 and tw_1 share the URL twice.
    assert {k: v[0] for k, v in pairs(engine, "co-link", platform="all", window=3600).items()} == {
        ("facebook:fb_1", "facebook:fb_2"): 2,
        ("facebook:fb_1", "twitter:tw_1"): 2,
        ("facebook:fb_2", "twitter:tw_1"): 2,
    }


RUN_TABLES = {
    "coordination_edges": "trace, account_a, account_b",
    "coordination_evidence": "trace, account_a, account_b, object_id",
    "coordination_accounts": "account_key",
}


@pytest.mark.spark
def test_a_whole_run_stores_the_same_rows_from_spark_as_from_duckdb(store, tmp_path, request):
    # 300 organic accounts and 8 planted ones (test_coordination_null); the null model,
    # stratified by day, keeps the planted pairs only.
    population(store)
    traces = ("co-retweet", "synchronised", "fast-retweet")
    duck = run_coordination(store, traces, seed=0)
    spark = spark_engine(store, tmp_path / "parquet", request)
    sparked = run_coordination(store, traces, seed=0, engine=spark)
    a, b = run_rows(store, duck.run_id, RUN_TABLES), run_rows(store, sparked.run_id, RUN_TABLES)
    assert len(a["coordination_edges"]) >= 28  # the planted pairs, at least
    assert {r["account_key"] for r in a["coordination_accounts"]} == set(PLANTED)
    for table in a:
        same_rows(a[table], b[table])
    for name in traces:
        got, want = sparked.summary["traces"][name], duck.summary["traces"][name]
        assert {k: v for k, v in got.items() if k != "seconds"} == {
            k: v for k, v in want.items() if k != "seconds"
        }
    recorded = {r["engine"]: r for r in rows(store, "SELECT * FROM runs")}
    assert recorded["spark"]["input_fingerprint"] == recorded["duckdb"]["input_fingerprint"]
    described = json.loads(recorded["spark"]["parameters"])["engine"]
    assert described["name"] == "spark" and described["master"] == "local[2]"
    assert set(described["versions"]) == {"spark", "pyspark", "ibis"}


@pytest.mark.spark
def test_stats_and_coordination_commands_run_on_spark(store_path, tmp_path, spark_session):
    with Store.open(store_path) as store:
        insert(store, MIXED)
        ingest(store, [FIXTURES / "shares" / "election_long.csv"])
    folder = tmp_path / "parquet"
    result = run_cli("export", "--format", "parquet", "--out", str(folder), "--store",
                     str(store_path))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"posts {len(MIXED) + 10}," in result.stderr and (folder / "infoscope.json").exists()
    duck = cli_json("stats", "--store", str(store_path))
    spark = cli_json("stats", "--engine", "spark", "--data", str(folder))
    assert spark == duck
    assert duck["first_post"].endswith("+00:00")  # UTC restored at the boundary
    args = ["coordination", "--store", str(store_path), "--traces", "co-link",
            "--alpha", "none", "--min-count", "1", "--platform", "t", "-q"]  # fmt: skip
    duck_run = cli_json(*args)
    spark_run = cli_json(*args, "--engine", "spark", "--data", str(folder))
    assert spark_run["edges"] == duck_run["edges"] > 0
    with Store.open(store_path, read_only=True) as store:
        a, b = (
            run_rows(store, duck_run["run_id"], RUN_TABLES),
            run_rows(store, spark_run["run_id"], RUN_TABLES),
        )
        engines = [r["engine"] for r in rows(store, "SELECT engine FROM runs ORDER BY started_at")]
    for table in a:
        same_rows(a[table], b[table])
    assert engines[-2:] == ["duckdb", "spark"]


def test_stats_are_the_same_on_every_engine(store, on):
    insert(store, MIXED)
    ingest(store, [FIXTURES / "shares" / "election_long.csv"])
    reference = engine_corpus_stats(as_engine(store))
    assert engine_corpus_stats(on(store)) == reference
    assert reference["posts"] == len(MIXED) + 10
