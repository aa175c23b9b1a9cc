"""Near-duplicate text groups (MinHash/LSH) on small hand-built posts.

Every fixture text is checked against its exact Jaccard similarity of 4-character shingles
(`_jaccard`), so the expectations hold for any seed: copies that must group are well above
the 0.6 threshold (>= 0.7), texts that must not group well below it (<= 0.35).
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from infoscope.common import minhash
from infoscope.common.minhash import near_duplicate_groups, normalize_texts
from infoscope.errors import BadParameterError
from infoscope.store import Store

# A 28-word template (English) and its edited copies.
TEMPLATE = (
    "The city council voted last night to close the old harbour bridge for urgent repairs "
    "until the end of next summer while ferries carry commuters across the bay every morning"
)
ONE_EDIT = TEMPLATE.replace("voted", "decided")
THREE_EDITS = (
    TEMPLATE.replace("night", "week").replace("urgent", "major").replace("ferries", "boats")
)
DROPPED = TEMPLATE.replace(" old", "")
# The same text with a retweet prefix, a mention, a hashtag sign, emoji, another URL and
# other case and punctuation: identical after normalisation.
DRESSED = (
    "RT @harbour_news: THE CITY COUNCIL voted last night to close the old #harbour bridge, for "
    "urgent repairs until the end of next summer... while ferries carry commuters across the "
    "bay every morning 🔥🔥 @mayor https://t.co/AbC123"
)
WITH_URL = TEMPLATE + " https://example.org/news/bridge?id=7 👍"
# Same topic and many shared words, but different texts.
UNRELATED = [
    "The city council will meet next week to discuss the budget for schools and the new "
    "public library downtown before the elections in autumn",
    "Ferries to the islands are cancelled this morning because of the storm so commuters "
    "should take the coastal train or work from home today",
    "Farmers market opens early on Saturday with fresh bread cheese and apples from the "
    "valley orchards and a brass band playing near the old bridge",
]
# Russian: a template, two words replaced, one word dropped.
RU_TEMPLATE = (
    "Городской совет вчера вечером решил закрыть старый мост в гавани на срочный ремонт до "
    "конца следующего лета а паромы будут возить людей через залив каждое утро"
)
RU_EDITED = RU_TEMPLATE.replace("гавани", "порту").replace("лета", "года")
RU_DROPPED = RU_TEMPLATE.replace(" срочный", "")


def _shingles(text: str, k: int = 4) -> set[str]:
    norm = normalize_texts(pa.array([text]))[0].as_py()
    return {norm[i : i + k] for i in range(len(norm) - k + 1)}


def _jaccard(a: str, b: str) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb)


def _store(path: Path, rows: list[tuple[str, str | None]]) -> Store:
    store = Store.open(path)
    new = pa.table(
        {"post_id": [r[0] for r in rows], "text": [r[1] for r in rows]},
        schema=pa.schema([("post_id", pa.string()), ("text", pa.string())]),
    )
    store.con.register("new_posts", new)
    store.con.execute(
        "INSERT INTO posts (platform, post_id, text) SELECT 'twitter', post_id, text FROM new_posts"
    )
    store.con.unregister("new_posts")
    return store


def _groups(path: Path, rows: list[tuple[str, str | None]], **kw: object) -> pa.Table:
    with _store(path, rows) as store:
        return near_duplicate_groups(store, store.ibis.table("posts"), **kw)  # type: ignore[arg-type]


def _members(table: pa.Table) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for row in table.to_pylist():
        out.setdefault(row["group_id"], []).append(row["post_id"])
    return out


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("RT @bob: Stop the #Fraud!! 🔥 https://t.co/x", "stop the fraud"),
        ("rt @a_1: RT @b: two prefixes", "two prefixes"),
        ("not a prefix: RT @bob: here", "not a prefix rt here"),
        ("Visit www.example.com/path now, @someone!", "visit now"),
        ("STRASSE Straße ❤️ 1️⃣", "strasse strasse 1"),
        ("ＦＵＬＬ　ｗｉｄｔｈ ﬁne ½", "full width fine 1 2"),
        ("Привет, @мир! ЁЛКА…", "привет ёлка"),
        ("中文，测试。http://x.y 日本語", "中文 测试 日本語"),
        ("مرحبا بالعالم! #سلام", "مرحبا بالعالم سلام"),
        ("don't\n\tstop   now 👍🏽", "don t stop now"),
        (None, ""),
    ],
)
def test_normalize_texts(raw: str | None, expected: str) -> None:
    assert normalize_texts(pa.array([raw], pa.string())).to_pylist() == [expected]


def test_fixture_premises() -> None:
    # Copies that must group are well above 0.6; unrelated texts well below.
    for copy in (ONE_EDIT, THREE_EDITS, DROPPED, DRESSED, WITH_URL):
        assert _jaccard(TEMPLATE, copy) >= 0.7
    assert _jaccard(TEMPLATE, DRESSED) == 1.0
    for ru in (RU_EDITED, RU_DROPPED):
        assert _jaccard(RU_TEMPLATE, ru) >= 0.7
    texts = [TEMPLATE, RU_TEMPLATE, *UNRELATED]
    for i, a in enumerate(texts):
        for b in texts[i + 1 :]:
            assert _jaccard(a, b) <= 0.35


def test_identical_after_normalisation(tmp_path: Path) -> None:
    # p1-p3: one text dressed differently (prefix, mentions, emoji, URL, case, punctuation).
    table = _groups(tmp_path / "s.duckdb", [("p1", TEMPLATE), ("p2", DRESSED), ("p3", WITH_URL)])
    assert table.schema.names == ["post_id", "group_id", "similarity"]
    assert table.column("post_id").to_pylist() == ["p1", "p2", "p3"]
    assert set(table.column("group_id").to_pylist()) == {"p1"}
    # p1 and p2 are the same normalised text; p3 adds "https ... 👍" -> nothing, also equal.
    assert table.column("similarity").to_pylist() == [1.0, 1.0, 1.0]


def test_edits_and_dropped_word_group_with_template(tmp_path: Path) -> None:
    rows = [
        ("a5", THREE_EDITS),
        ("a2", ONE_EDIT),
        ("a9", DROPPED),
        ("a3", TEMPLATE),
        ("b1", UNRELATED[0]),
        ("b2", UNRELATED[1]),
        ("b3", UNRELATED[2]),
    ]
    table = _groups(tmp_path / "s.duckdb", rows)
    assert _members(table) == {"a2": ["a2", "a3", "a5", "a9"]}
    sims = dict(zip(table["post_id"].to_pylist(), table["similarity"].to_pylist(), strict=True))
    for post_id, text in rows[:4]:
        best = max(_jaccard(text, other) for pid, other in rows[:4] if pid != post_id)
        # The estimate is within four standard errors (sqrt(J(1-J)/128) <= 0.045).
        assert abs(sims[post_id] - best) <= 0.18, post_id


@pytest.mark.parametrize(
    "kw",
    [
        {"shingle": 3},
        {"shingle": 6},  # shingles of more than 4 UTF-16 units are hashed in two parts
        {"num_perm": 96, "bands": 32},  # bands of 3 rows
        {"num_perm": 128, "bands": 16},  # bands of 8 rows
        {"num_perm": 256, "bands": 64, "seed": 3},
    ],
)
def test_other_parameters(tmp_path: Path, kw: dict[str, object]) -> None:
    # Copies at a similarity of 0.87 or more for shingles of 3 to 6 characters; unrelated
    # texts at 0.18 or less.
    rows = [
        ("a1", TEMPLATE),
        ("a2", ONE_EDIT),
        ("a3", DROPPED),
        ("r1", RU_TEMPLATE),
        ("r2", RU_DROPPED),
        *[(f"u{i}", t) for i, t in enumerate(UNRELATED)],
    ]
    groups = _members(_groups(tmp_path / "s.duckdb", rows, **kw))
    assert groups == {"a1": ["a1", "a2", "a3"], "r1": ["r1", "r2"]}


def test_cyrillic_with_small_edits(tmp_path: Path) -> None:
    rows = [("r1", RU_TEMPLATE), ("r2", RU_EDITED), ("r3", RU_DROPPED), ("e1", TEMPLATE)]
    assert _members(_groups(tmp_path / "s.duckdb", rows)) == {"r1": ["r1", "r2", "r3"]}


def test_unrelated_texts_are_not_grouped(tmp_path: Path) -> None:
    rows = [(f"u{i}", t) for i, t in enumerate([*UNRELATED, TEMPLATE, RU_TEMPLATE])]
    assert _groups(tmp_path / "s.duckdb", rows).num_rows == 0


def test_short_texts_are_skipped(tmp_path: Path) -> None:
    # "Good morning everyone!" normalises to "good morning everyone", 21 characters: skipped
    # with min_chars=30 (the default) or 22, grouped with min_chars=21; null texts are ignored.
    rows = [("s1", "Good morning everyone!"), ("s2", "good morning EVERYONE 🙏"), ("s3", None)]
    assert _groups(tmp_path / "a.duckdb", rows).num_rows == 0
    assert _members(_groups(tmp_path / "b.duckdb", rows, min_chars=21)) == {"s1": ["s1", "s2"]}
    assert _groups(tmp_path / "c.duckdb", rows, min_chars=22).num_rows == 0


def test_order_independent_and_seed_deterministic(tmp_path: Path) -> None:
    rows = [
        ("x01", TEMPLATE),
        ("x02", ONE_EDIT),
        ("x03", THREE_EDITS),
        ("x04", DROPPED),
        ("x05", RU_TEMPLATE),
        ("x06", RU_EDITED),
        ("x07", DRESSED),
        *[(f"y{i}", t) for i, t in enumerate(UNRELATED)],
    ]
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)
    first = _groups(tmp_path / "a.duckdb", rows, seed=7)
    assert _members(first) == {"x01": ["x01", "x02", "x03", "x04", "x07"], "x05": ["x05", "x06"]}
    assert _groups(tmp_path / "b.duckdb", list(reversed(rows)), seed=7).equals(first)
    assert _groups(tmp_path / "c.duckdb", shuffled, seed=7).equals(first)
    other_seed = _groups(tmp_path / "d.duckdb", rows, seed=8)
    # Another seed draws other hash functions: the same groups, other estimates.
    assert _members(other_seed) == _members(first)
    assert other_seed.column("similarity") != first.column("similarity")


def test_batches_do_not_change_the_result(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The same posts read 3 rows at a time (and cut further into pieces of at most 400
    # UTF-16 units: one or two texts) give the same table as in one batch.
    rows = [
        *[(f"t{i}", f"{TEMPLATE} {word}") for i, word in enumerate(["alpha", "beta", "gamma"])],
        ("r1", RU_TEMPLATE),
        ("r2", RU_DROPPED),
        *[(f"u{i}", t) for i, t in enumerate(UNRELATED)],
        ("d1", DRESSED),
    ]
    whole = _groups(tmp_path / "a.duckdb", rows)
    assert _members(whole) == {"d1": ["d1", "t0", "t1", "t2"], "r1": ["r1", "r2"]}
    monkeypatch.setattr(minhash, "_BATCH_ROWS", 3)
    monkeypatch.setattr(minhash, "_BATCH_UNITS", 400)
    assert _groups(tmp_path / "b.duckdb", list(reversed(rows))).equals(whole)


def _count_candidates(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Records, for each LSH candidate search, the distinct texts searched and the
    candidate pairs found. (Speed itself is measured by benchmarks/bench_minhash.py.)"""
    calls: list[tuple[int, int]] = []
    candidates = minhash._candidates

    def counting(sig: Any, rank: Any, bands: int) -> Any:
        found = candidates(sig, rank, bands)
        calls.append((sig.shape[0], found.size))
        return found

    monkeypatch.setattr(minhash, "_candidates", counting)
    return calls


def test_many_identical_texts_make_one_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000 copies of one text (differing only in a mention) plus one unrelated post.
    rows = [(f"c{i:04d}", f"@user{i} {TEMPLATE}") for i in range(2000)]
    rows.append(("z", UNRELATED[0]))
    calls = _count_candidates(monkeypatch)
    with _store(tmp_path / "s.duckdb", rows) as store:
        table = near_duplicate_groups(store, store.ibis.table("posts"))
    assert table.num_rows == 2000
    assert set(table.column("group_id").to_pylist()) == {"c0000"}
    # The copies are one normalised text, grouped directly: LSH sees two distinct texts
    # (the template and the unrelated post), whatever the number of copies.
    assert calls == [(2, 0)]


def test_large_bucket_of_distinct_near_copies_stays_linear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # 2,000 distinct texts that differ only in a number share most LSH buckets: pairing each
    # with the bucket's first and previous text (not all 2 million pairs) still joins them.
    rows = [(f"n{i:04d}", f"{TEMPLATE} ticket {i}") for i in range(2000)]
    calls = _count_candidates(monkeypatch)
    with _store(tmp_path / "s.duckdb", rows) as store:
        table = near_duplicate_groups(store, store.ibis.table("posts"))
    assert table.num_rows == 2000
    assert set(table.column("group_id").to_pylist()) == {"n0000"}
    assert min(table.column("similarity").to_pylist()) >= 0.8
    # Linear work: at most two candidate pairs per text and band (32 bands by default),
    # 128,000 here, where pairing the whole bucket would give 1,999,000 (about 12,000 are
    # found).
    [(texts, pairs)] = calls
    assert texts == 2000
    assert pairs <= 2 * minhash.DEFAULT_BANDS * texts


def test_expression_with_other_columns_and_filter(tmp_path: Path) -> None:
    rows = [("k1", TEMPLATE), ("k2", ONE_EDIT), ("k3", DROPPED)]
    with _store(tmp_path / "s.duckdb", rows) as store:
        posts = store.ibis.table("posts")
        table = near_duplicate_groups(store, posts.filter(posts.post_id != "k2"))
    assert _members(table) == {"k1": ["k1", "k3"]}


def test_empty_input(tmp_path: Path) -> None:
    table = _groups(tmp_path / "s.duckdb", [])
    assert table.num_rows == 0
    assert table.schema.names == ["post_id", "group_id", "similarity"]


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"threshold": 0}, "threshold must be in"),
        ({"threshold": 1.5}, "threshold must be in"),
        ({"num_perm": 100, "bands": 32}, "must divide num_perm"),
        ({"bands": 0}, "must divide num_perm"),
        ({"shingle": 9}, "shingle must be between"),
        ({"shingle": 5, "min_chars": 4}, "min_chars (4) must be at least shingle (5)"),
    ],
)
def test_bad_parameters(tmp_path: Path, kw: dict[str, object], message: str) -> None:
    with pytest.raises(BadParameterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        _groups(tmp_path / "s.duckdb", [("p", TEMPLATE)], **kw)


def test_missing_column(tmp_path: Path) -> None:
    with _store(tmp_path / "s.duckdb", []) as store:
        posts = store.ibis.table("posts").select("post_id")
        with pytest.raises(BadParameterError, match="lack column"):
            near_duplicate_groups(store, posts)


# -- computed once: the store's cache --------------------------------------------------------


def test_the_same_rows_read_the_stored_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [("k1", TEMPLATE), ("k2", ONE_EDIT), ("k3", DROPPED), ("u", UNRELATED[0])]
    calls = _count_candidates(monkeypatch)
    with _store(tmp_path / "s.duckdb", rows) as store:
        posts = store.ibis.table("posts")
        first = near_duplicate_groups(store, posts)
        # The same rows as another expression (another column order, a filter keeping all).
        again = near_duplicate_groups(store, posts.filter(posts.post_id != "none"))
        assert again.equals(first) and len(calls) == 1
        # Other parameters, or other rows: computed.
        near_duplicate_groups(store, posts, threshold=0.7)
        assert len(calls) == 2
        store.con.execute("UPDATE posts SET text = text || ' more' WHERE post_id = 'k3'")
        changed = near_duplicate_groups(store, posts)
        assert len(calls) == 3 and _members(changed) == _members(first)
        keys = store.con.execute("SELECT count(*) FROM near_duplicate_cache_keys").fetchone()
        assert keys == (3,)


def test_cache_keeps_the_latest_results_and_no_orphan_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(minhash, "CACHE_KEYS", 2)
    rows = [("k1", TEMPLATE), ("k2", ONE_EDIT)]
    with _store(tmp_path / "s.duckdb", rows) as store:
        for seed in range(4):
            near_duplicate_groups(store, store.ibis.table("posts"), seed=seed)
        query = "SELECT key FROM near_duplicate_cache_keys ORDER BY created_at"
        keys = [k for (k,) in store.con.execute(query).fetchall()]
        assert len(keys) == 2
        assert all(":(0.6, 128, 32, 4, 30, 3)" in k or ":(0.6, 128, 32, 4, 30, 2)" in k
                   for k in keys)  # fmt: skip
        cached = store.con.execute(
            "SELECT count(DISTINCT key), count(*) FROM near_duplicate_cache"
        ).fetchone()
        assert cached == (2, 4)


def test_a_read_only_store_reads_the_cache_but_never_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "s.duckdb"
    with _store(path, [("k1", TEMPLATE), ("k2", ONE_EDIT)]):
        pass
    calls = _count_candidates(monkeypatch)
    with Store.open(path, read_only=True) as store:
        near_duplicate_groups(store, store.ibis.table("posts"))
        assert not store.has_table("near_duplicate_cache_keys")
    with Store.open(path) as store:
        near_duplicate_groups(store, store.ibis.table("posts"))
    with Store.open(path, read_only=True) as store:
        near_duplicate_groups(store, store.ibis.table("posts"))
    assert len(calls) == 2  # the last read the stored result
