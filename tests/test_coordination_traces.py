"""Each coordination trace on tiny hand-built posts, with the exact pairs expected.

Posts are inserted straight into a fresh store (platform ``t``); times are seconds after
2024-01-01 00:00 UTC. Accounts are single letters, so pairs read ``("a", "b")``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from infoscope.coordination import TraceOptions, candidate_pairs, parse_traces
from infoscope.coordination.pairs import benjamini_hochberg, estimate_window
from infoscope.coordination.traces import get_trace, selected_posts
from infoscope.errors import BadParameterError
from infoscope.records import POST_SCHEMA
from infoscope.store import Store

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def post(
    pid: str,
    account: str,
    seconds: float,
    *,
    kind: str = "original",
    ref: str | None = None,
    text: str | None = None,
    hashtags: list[str] | None = None,
    urls: list[str] | None = None,
) -> dict[str, Any]:
    return {
        "platform": "t",
        "post_id": pid,
        "account_id": account,
        "account_handle": "h_" + account,
        "created_at": T0 + timedelta(seconds=seconds),
        "text": text,
        "kind": kind,
        "ref_post_id": ref,
        "hashtags": hashtags,
        "urls": urls,
    }


def insert(store: Store, posts: list[dict[str, Any]]) -> None:
    table = pa.Table.from_pylist(posts, schema=POST_SCHEMA)
    store.con.register("_test_posts", table)
    store.con.execute("INSERT INTO posts SELECT * FROM _test_posts")
    store.con.unregister("_test_posts")


def pairs(store: Store, trace: str, **kwargs: Any) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(a, b): (objects, co_actions)}`` of a trace's raw pairs."""
    table = candidate_pairs(store, trace, **kwargs)
    return {
        (r["account_a"], r["account_b"]): (r["objects"], r["co_actions"]) for r in table.to_pylist()
    }


def rt(pid: str, account: str, seconds: float, original: str) -> dict[str, Any]:
    return post(pid, account, seconds, kind="retweet", ref=original)


# -- co-retweet: windows, boundaries, identical times, the same account twice --------------


@pytest.fixture
def retweets(store: Store) -> Store:
    insert(
        store,
        [
            post("x", "z", 0),  # the original, by z
            rt("r1", "a", 0, "x"),
            rt("r2", "b", 30, "x"),
            rt("r3", "c", 90, "x"),  # 60 s after b (the boundary), 90 s after a
            rt("r4", "d", 0, "x"),  # same time as a
            rt("r5", "a", 10, "x"),  # a again: still one shared object per pair
            post("y", "z", 0),
            rt("r6", "a", 1000, "y"),
            rt("r7", "b", 1000.5, "y"),
        ],
    )
    return store


def test_co_retweet_pairs_within_the_window_inclusive(retweets):
    got = pairs(retweets, "co-retweet", window=60.0)
    assert got == {
        ("a", "b"): (2, 3),  # x: r1-r2 (30 s), r5-r2 (20 s); y: 0.5 s
        ("a", "d"): (1, 2),  # r1-r4 (0 s: identical times), r5-r4 (10 s)
        ("b", "c"): (1, 1),  # exactly 60 s: the boundary is in
        ("b", "d"): (1, 1),
    }


def test_co_retweet_window_zero_keeps_identical_times_only(retweets):
    assert pairs(retweets, "co-retweet", window=0.0) == {("a", "d"): (1, 1)}


def test_co_retweet_without_window_pairs_everyone_on_an_object(retweets):
    got = pairs(retweets, "co-retweet", window=None)
    assert set(got) == {("a", "b"), ("a", "c"), ("a", "d"), ("b", "c"), ("b", "d"), ("c", "d")}
    assert got[("a", "c")] == (1, 2)


def test_co_retweet_evidence_keeps_the_closest_posts(retweets):
    from infoscope.coordination.pairs import co_action_objects

    opts = TraceOptions(windows={"co-retweet": 60})
    actions = get_trace("co-retweet").actions(retweets, selected_posts(retweets, opts, "t"), opts)
    rows = co_action_objects(actions, 60_000).order_by(["account_a", "account_b", "object_id"])
    got = [
        (r["account_a"], r["account_b"], r["object_id"], r["post_a"], r["post_b"], r["gap_ms"])
        for r in rows.to_pyarrow().to_pylist()
    ]
    assert got == [
        ("a", "b", "x", "r5", "r2", 20_000),
        ("a", "b", "y", "r6", "r7", 500),
        ("a", "d", "x", "r1", "r4", 0),
        ("b", "c", "x", "r2", "r3", 60_000),
        ("b", "d", "x", "r2", "r4", 30_000),
    ]


def test_widening_the_window_never_removes_a_pair_nor_lowers_its_count(retweets):
    previous: dict[tuple[str, str], tuple[int, int]] = {}
    for window in (0.0, 10.0, 30.0, 60.0, 600.0, None):
        got = pairs(retweets, "co-retweet", window=window)
        for pair, (objects, co_actions) in previous.items():
            assert got[pair][0] >= objects and got[pair][1] >= co_actions
        previous = got


def test_estimated_window_is_the_quantile_of_times_to_half_the_shares(store):
    # Object o1: shares at 0, 10, 20, 30 -> half (2 of 4) reached at 10 s;
    # o2: 0, 100 -> 100 s; o3: 0, 5, 1000 -> 2 of 3 at 5 s. Quantiles of (5, 10, 100).
    rows = [("o1", [0, 10, 20, 30]), ("o2", [0, 100]), ("o3", [0, 5, 1000]), ("o4", [7])]
    posts = [rt(f"{o}-{i}", f"acc{i}", t, o) for o, times in rows for i, t in enumerate(times)]
    insert(store, posts)
    opts = TraceOptions()
    actions = get_trace("co-retweet").actions(store, selected_posts(store, opts, "t"), opts)
    assert estimate_window(actions, quantile=0.5) == pytest.approx(10.0)
    assert estimate_window(actions, quantile=0.0001) == pytest.approx(5.0, abs=0.01)
    auto = candidate_pairs(store, "co-retweet", window="auto")
    assert auto.num_rows > 0


# -- the other traces --------------------------------------------------------------------


def test_co_reply_pairs_replies_to_the_same_post(store):
    insert(
        store,
        [
            post("p", "z", 0),
            post("q1", "a", 100, kind="reply", ref="p"),
            post("q2", "b", 200, kind="reply", ref="p"),
            post("q3", "c", 2000, kind="reply", ref="p"),  # 1800 s after b: outside 600 s
            rt("r1", "d", 150, "p"),  # a retweet is not a reply
        ],
    )
    assert pairs(store, "co-reply", window=600.0) == {("a", "b"): (1, 1)}


def test_co_link_by_url_and_by_domain_and_retweets_left_out(store):
    insert(
        store,
        [
            post("l1", "a", 0, urls=["https://news.example/story-1"]),
            post("l2", "b", 20, urls=["https://news.example/story-1"]),
            post("l3", "c", 40, urls=["https://www.news.example/story-2"]),
            post("l4", "d", 30, kind="retweet", ref="l1", urls=["https://news.example/story-1"]),
            post("l5", "e", 50, urls=["https://other.example/x", "https://news.example/story-1"]),
        ],
    )
    assert pairs(store, "co-link", window=60.0) == {
        ("a", "b"): (1, 1),
        ("a", "e"): (1, 1),
        ("b", "e"): (1, 1),
    }
    with_rts = pairs(store, "co-link", window=60.0, link_retweets=True)
    assert {("a", "d"), ("b", "d"), ("d", "e")} <= set(with_rts)
    by_domain = pairs(store, "co-link", window=60.0, link_level="domain")
    # www. is dropped: c's story-2 is on the same domain.
    assert set(by_domain) == {("a", "b"), ("a", "c"), ("a", "e"), ("b", "c"), ("b", "e"),
                              ("c", "e")}  # fmt: skip


def test_co_hashtag_sequence_is_ordered_and_rare_mode_skips_common_tags(store):
    common = [post(f"c{i}", f"u{i}", 5000 + i, hashtags=["news"]) for i in range(4)]
    insert(
        store,
        [
            post("h1", "a", 0, hashtags=["vote", "fraud"]),
            post("h2", "b", 10, hashtags=["vote", "fraud"]),
            post("h3", "c", 20, hashtags=["fraud", "vote"]),  # another order: another sequence
            post("h4", "d", 30, hashtags=["vote"]),  # one tag: below min_hashtags=2
            *common,
        ],
    )
    assert pairs(store, "co-hashtag", window=60.0) == {("a", "b"): (1, 1)}
    rare = pairs(store, "co-hashtag", window=None, hashtag_mode="rare", rare_hashtag_accounts=3)
    # "news" has 4 users: not rare. "fraud" (a, b, c) is; "vote" has a, b, c, d: not rare.
    assert rare == {("a", "b"): (1, 1), ("a", "c"): (1, 1), ("b", "c"): (1, 1)}


def test_synchronised_pairs_accounts_posting_in_the_same_bins(store):
    posts = [
        post("s1", "a", 5), post("s2", "b", 50), post("s3", "a", 130), post("s4", "b", 170),
        post("s5", "c", 61),  # bin 1: alone
        post("s6", "a", 300), post("s7", "b", 310), post("s8", "c", 320), post("s9", "d", 330),
    ]  # fmt: skip
    insert(store, posts)
    # Bins of 60 s: 0 (a, b), 2 (a, b), 5 (a, b, c, d): busy with max 3 accounts.
    got = pairs(store, "synchronised", bin_seconds=60.0, max_bin_accounts=3)
    assert got == {("a", "b"): (2, 2)}
    assert pairs(store, "synchronised", bin_seconds=60.0, max_bin_accounts=4)[("a", "b")] == (3, 3)


def test_fast_retweets_are_directed_and_scored_against_the_share_of_fast_ones(store):
    insert(
        store,
        [
            *[post(f"o{i}", "src", 1000 * i) for i in range(6)],
            *[rt(f"f{i}", "amp", 1000 * i + 5, f"o{i}") for i in range(5)],  # 5 fast (5 s)
            rt("s5", "amp", 5000 + 600, "o5"),  # slow
            *[rt(f"g{i}", "fan", 1000 * i + 900, f"o{i}") for i in range(6)],  # all slow
            rt("self", "src", 10, "o0"),  # own post: not counted
        ],
    )
    table = candidate_pairs(store, "fast-retweet", fast_seconds=60.0)
    assert table.to_pylist() == [
        {"account_a": "amp", "account_b": "src", "objects": 5, "co_actions": 6}
    ]
    from scipy.stats import binom

    from infoscope.coordination.pairs import fast_retweet_pairs

    opts = TraceOptions(fast_seconds=60.0)
    actions = get_trace("fast-retweet").actions(store, selected_posts(store, opts, "t"), opts)
    scored = fast_retweet_pairs(store, actions, fast_seconds=60.0, min_count=2, alpha=0.5)
    row = scored.pairs.to_pylist()[0]
    share = 5 / 12
    assert row["expected"] == pytest.approx(6 * share)
    assert row["p_value"] == pytest.approx(binom.sf(4, 6, share))
    assert row["similarity"] == pytest.approx(5 / 6)


def test_near_duplicate_texts_pair_their_authors(store):
    base = "the ministry confirmed that the western sanctions hurt ordinary families most"
    insert(
        store,
        [
            post("n1", "a", 0, text=base + " https://t.co/abc"),
            post("n2", "b", 60, text="@someone " + base.replace("confirmed", "admitted")),
            post("n3", "c", 120, text="Completely unrelated words about football and weather"),
            post("n4", "d", 7200, text=base),  # two hours later: outside the 3600 s window
        ],
    )
    assert pairs(store, "near-duplicate", window=3600.0) == {("a", "b"): (1, 1)}


# -- options and helpers -----------------------------------------------------------------


def test_parse_traces_and_bad_options_are_clear():
    assert parse_traces("co-link, co-retweet,co-link") == ("co-link", "co-retweet")
    assert "fast-retweet" in parse_traces("all")
    with pytest.raises(BadParameterError, match="unknown trace 'co-likes'"):
        parse_traces("co-likes")
    with pytest.raises(BadParameterError, match="takes no window"):
        TraceOptions(windows={"synchronised": 60})
    with pytest.raises(BadParameterError, match="window of co-link"):
        TraceOptions(windows={"co-link": -1})
    with pytest.raises(BadParameterError, match="link level"):
        TraceOptions(link_level="path")


def test_benjamini_hochberg_matches_the_step_up_rule():
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # m = 4: sorted 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.06, 0.0533, 0.5 -> cumulative minimum
    # from the top: 0.04, 0.0533, 0.0533, 0.5.
    assert benjamini_hochberg(p, 4) == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    # Untested pairs count as p = 1: with m = 8 every q doubles.
    assert benjamini_hochberg(p, 8) == pytest.approx([0.08, 0.32 / 3, 0.32 / 3, 1.0])
    assert benjamini_hochberg(np.array([]), 10).size == 0
