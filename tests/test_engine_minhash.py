"""Near-duplicate groups and `Engine.map_batches` on both engines.

On Spark the MinHash signatures are computed on the executors (``mapInArrow``) and only
(post_id, text hash, signature) reach the driver: the groups must be exactly those of DuckDB,
where the same numpy code runs on the driver, for the same rows and seed, however the rows
are cut into batches.
"""

from __future__ import annotations

import os
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from infoscope.common import minhash
from infoscope.common.minhash import SIGNED_SCHEMA, near_duplicate_groups, signed_batch
from infoscope.store import Store

from .test_common_minhash import (
    DRESSED,
    DROPPED,
    ONE_EDIT,
    RU_EDITED,
    RU_TEMPLATE,
    TEMPLATE,
    THREE_EDITS,
    UNRELATED,
    WITH_URL,
)

ROWS = [
    # Edited copies of one template (a word or three replaced, a word dropped).
    ("a1", TEMPLATE),
    ("a2", ONE_EDIT),
    ("a3", THREE_EDITS),
    ("a4", DROPPED),
    # Exact copies once normalised (prefix, mention, emoji, link, case): similarity 1.
    ("c1", DRESSED),
    ("c2", WITH_URL),
    # A Cyrillic template and an edit of it.
    ("r1", RU_TEMPLATE),
    ("r2", RU_EDITED),
    # Same topic, other texts: in no group.
    *[(f"u{i}", t) for i, t in enumerate(UNRELATED)],
    # Short texts (21 characters normalised, under min_chars 30): skipped although equal.
    ("s1", "Good morning everyone!"),
    ("s2", "good morning EVERYONE 🙏"),
    # No text.
    ("n1", None),
]
GROUPS = {"a1": ["a1", "a2", "a3", "a4", "c1", "c2"], "r1": ["r1", "r2"]}


def insert_texts(store: Store, rows: list[tuple[str, str | None]]) -> None:
    new = pa.table(
        {"post_id": [r[0] for r in rows], "text": [r[1] for r in rows]},
        schema=pa.schema([("post_id", pa.string()), ("text", pa.string())]),
    )
    store.con.register("new_posts", new)
    store.con.execute(
        "INSERT INTO posts (platform, post_id, account_id, text) "
        "SELECT 't', post_id, 'acc_' || post_id, text FROM new_posts"
    )
    store.con.unregister("new_posts")


def members(table: pa.Table) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in table.to_pylist():
        out.setdefault(row["group_id"], []).append(row["post_id"])
    return out


# -- map_batches: the contract --------------------------------------------------------------


OUT = pa.schema([("post_id", pa.string()), ("chars", pa.int64()), ("pid", pa.int64())])


def test_map_batches_applies_the_function_where_the_engine_runs(store, on):
    def text_lengths(batch: pa.RecordBatch) -> pa.Table:
        """Per post with a text: its length and the process that computed it; columns in
        another order and types than `OUT` states (large strings, 32-bit integers). A
        closure: Spark pickles it by value (nothing to import on the executors)."""
        kept = pc.is_valid(batch.column("text"))
        ids = pc.filter(batch.column("post_id"), kept)
        return pa.table(
            {
                "pid": pa.array([os.getpid()] * len(ids), pa.int32()),
                "chars": pc.utf8_length(pc.filter(batch.column("text"), kept)).cast(pa.int32()),
                "post_id": ids.cast(pa.large_string()),
            }
        )

    insert_texts(store, ROWS)
    engine = on(store)
    posts = engine.table("posts").select("post_id", "text")
    batches = list(engine.map_batches(posts, text_lengths, OUT, batch_rows=4))
    # Any number of rows per input batch, in the stated schema, at most batch_rows a batch.
    assert all(b.schema == OUT and b.num_rows <= 4 for b in batches)
    got = pa.Table.from_batches(batches, OUT).sort_by("post_id")
    expected = {pid: len(text) for pid, text in ROWS if text is not None}
    assert dict(zip(got["post_id"].to_pylist(), got["chars"].to_pylist(), strict=True)) == expected
    # DuckDB applies it here; Spark on its executors (Python workers of their own).
    pids = set(got["pid"].to_pylist())
    if engine.name == "duckdb":
        assert pids == {os.getpid()}
    else:
        assert pids and os.getpid() not in pids
    nothing = posts.filter(posts.post_id == "none")
    assert sum(b.num_rows for b in engine.map_batches(nothing, text_lengths, OUT)) == 0


def test_signed_batches_do_not_depend_on_the_cut():
    batch = pa.record_batch(
        {"post_id": [r[0] for r in ROWS], "text": [r[1] for r in ROWS]},
        schema=pa.schema([("post_id", pa.string()), ("text", pa.string())]),
    )
    whole = signed_batch(batch)
    assert whole.schema == SIGNED_SCHEMA
    # Every post with 30+ characters normalised, one signature of 2 * 128 bytes each.
    assert whole["post_id"].to_pylist() == [r[0] for r in ROWS[:11]]
    assert set(pc.binary_length(whole["signature"]).to_pylist()) == {256}
    cut = pa.concat_tables([signed_batch(batch.slice(0, 5)), signed_batch(batch.slice(5))])
    assert cut.equals(whole)
    # Exact copies once normalised share the text hash; edited copies do not.
    hashes = dict(zip(whole["post_id"].to_pylist(), whole["text_hash"].to_pylist(), strict=True))
    assert hashes["a1"] == hashes["c1"] == hashes["c2"] != hashes["a2"]


# -- near-duplicate groups ------------------------------------------------------------------


def test_near_duplicate_groups_are_the_same_on_every_engine(store, on, request, monkeypatch):
    insert_texts(store, ROWS)
    reference = near_duplicate_groups(store, store.ibis.table("posts"), seed=3)
    assert members(reference) == GROUPS
    engine = on(store)
    # In batches of 3 rows (Spark: the executors' Arrow batches), so that near-duplicates are
    # signed in different batches.
    if engine.name == "spark":
        session = request.getfixturevalue("spark_session")
        key = "spark.sql.execution.arrow.maxRecordsPerBatch"
        previous = session.conf.get(key)
        session.conf.set(key, "3")
        request.addfinalizer(lambda: session.conf.set(key, previous))

        def no_texts_to_the_driver(*args: Any, **kwargs: Any) -> Any:
            raise AssertionError("the texts were streamed to the driver")

        monkeypatch.setattr(engine, "to_batches", no_texts_to_the_driver)
    else:
        monkeypatch.setattr(minhash, "_BATCH_ROWS", 3)
        store.con.execute("DROP TABLE near_duplicate_cache_keys")  # computed again
    posts = engine.table("posts")
    got = near_duplicate_groups(engine, posts.select("post_id", "text"), seed=3)
    assert got.equals(reference)  # the same groups and the same estimated similarities
    sims = dict(zip(got["post_id"].to_pylist(), got["similarity"].to_pylist(), strict=True))
    assert sims["a1"] == sims["c1"] == sims["c2"] == 1.0
    # The result is cached in the store under the engine's key.
    keys = [k for (k,) in store.con.execute("SELECT key FROM near_duplicate_cache_keys").fetchall()]
    prefix = "v2:" if engine.name == "duckdb" else f"v2-{engine.name}:"
    assert any(k.startswith(prefix) for k in keys)
