"""The null model: exact expectations, planted coordination kept, coincidences dropped.

The population: 300 organic accounts each retweeting 20 random posts out of 2,000 at random
times over 30 days, and 8 planted accounts that, besides as much organic-looking activity,
all retweet the same 15 posts within seconds of each other. Random co-retweets happen (many
pairs share an object or two), but only the planted pairs share many more objects than their
activity and the objects' popularity predict.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest
from scipy.stats import poisson

from infoscope.coordination import TraceOptions, run_coordination
from infoscope.coordination.pairs import score_co_actions
from infoscope.coordination.traces import get_trace, selected_posts
from infoscope.store import Store

from .test_coordination_traces import insert, post, rt

PLANTED = [f"op{i}" for i in range(8)]


def population(store: Store, *, seed: int = 5, planted: bool = True) -> None:
    rng = np.random.default_rng(seed)
    posts = [post(f"o{i}", "author", 0) for i in range(2_000)]
    posts += [post(f"c{i}", "author", 0) for i in range(15)]
    month = 30 * 86_400
    accounts = [f"u{i:03d}" for i in range(300)] + (PLANTED if planted else [])
    for account in accounts:
        for j, obj in enumerate(rng.choice(2_000, size=20, replace=False).tolist()):
            posts.append(rt(f"{account}-{j}", account, float(rng.uniform(0, month)), f"o{obj}"))
    if planted:
        for k in range(15):
            start = float(rng.uniform(0, month))
            for account in PLANTED:
                at = start + float(rng.uniform(0, 20))
                posts.append(rt(f"{account}-c{k}", account, at, f"c{k}"))
    insert(store, posts)


def kept_pairs(store: Store, window: float | None) -> set[tuple[str, str]]:
    opts = TraceOptions(windows={"co-retweet": window})
    actions = get_trace("co-retweet").actions(store, selected_posts(store, opts, "t"), opts)
    scored = score_co_actions(
        store, "co-retweet", actions, window_s=window, min_count=2, alpha=0.01
    )
    return {(r["account_a"], r["account_b"]) for r in scored.kept.to_pylist()}


@pytest.mark.parametrize("window", [None, 60.0])
def test_null_model_keeps_planted_coordination_and_drops_coincidences(store, window):
    population(store)
    # Without a window many organic pairs share objects by chance; none is kept.
    assert kept_pairs(store, window) == set(combinations(PLANTED, 2))


def test_random_population_alone_gives_no_edge(store):
    population(store, planted=False)
    opts = TraceOptions(windows={"co-retweet": None})
    actions = get_trace("co-retweet").actions(store, selected_posts(store, opts, "t"), opts)
    scored = score_co_actions(store, "co-retweet", actions, window_s=None, min_count=2, alpha=0.01)
    assert scored.stats["candidate_pairs"] > 1_000  # coincidences exist...
    assert scored.kept.num_rows == 0  # ...and none is significant
    # A raw count threshold, as tools without a null model use, would flag some.
    assert max(scored.pairs["objects"].to_pylist()) >= 2


def test_widening_the_window_only_adds_kept_edges(store):
    population(store)
    previous: set[tuple[str, str]] = set()
    for window in (1.0, 5.0, 20.0, 3600.0, None):
        kept = kept_pairs(store, window)
        assert previous <= kept
        previous = kept
    assert previous == set(combinations(PLANTED, 2))


def test_expected_count_and_p_value_follow_the_configuration_model(store):
    # a: o1, o2, o3; b: o1, o2; c: o1. d_a=3, d_b=2, d_c=1, D=6;
    # n_o1=3, n_o2=2, n_o3=1 -> sum n(n-1) = 6 + 2 = 8.
    insert(
        store,
        [
            rt("a1", "a", 0, "o1"), rt("a2", "a", 0, "o2"), rt("a3", "a", 0, "o3"),
            rt("b1", "b", 0, "o1"), rt("b2", "b", 0, "o2"), rt("c1", "c", 0, "o1"),
        ],
    )  # fmt: skip
    opts = TraceOptions(windows={"co-retweet": None})
    actions = get_trace("co-retweet").actions(store, selected_posts(store, opts, "t"), opts)
    scored = score_co_actions(store, "co-retweet", actions, window_s=None, min_count=1, alpha=None)
    rows = {(r["account_a"], r["account_b"]): r for r in scored.pairs.to_pylist()}
    ab = rows[("a", "b")]
    assert ab["objects"] == 2
    assert ab["expected"] == pytest.approx(3 * 2 * 8 / 36)
    assert ab["p_value"] == pytest.approx(poisson.sf(1, 3 * 2 * 8 / 36))
    assert ab["symmetry"] == pytest.approx(2 / 3)
    # idf = ln(4 / (1 + n)) + 1: o1 ln(1) + 1 = 1, o2 ln(4/3) + 1, o3 ln(2) + 1.
    i1, i2, i3 = 1.0, np.log(4 / 3) + 1, np.log(2) + 1
    assert ab["weight"] == pytest.approx(i1 + i2)
    cosine = (i1**2 + i2**2) / (np.sqrt(i1**2 + i2**2 + i3**2) * np.sqrt(i1**2 + i2**2))
    assert ab["similarity"] == pytest.approx(cosine)
    assert rows[("a", "c")]["expected"] == pytest.approx(3 * 1 * 8 / 36)
    assert scored.stats["possible_pairs"] == 3


def test_detect_coordination_clusters_the_planted_accounts(store):
    population(store)
    run = run_coordination(
        store, ["co-retweet"], TraceOptions(windows={"co-retweet": 60.0}), seed=1
    )
    assert run.summary["clusters"] == 1
    cluster = run.clusters[0]
    assert cluster["size"] == 8 and cluster["edges"] == 28
    assert cluster["traces"] == {"co-retweet": 28}
    assert {o["object_id"] for o in cluster["shared_objects"]} <= {f"c{k}" for k in range(15)}
    members = store.con.execute(
        "SELECT account_id FROM coordination_accounts WHERE run_id = ? ORDER BY 1", [run.run_id]
    ).fetchall()
    assert [m[0] for m in members] == PLANTED


def test_stratified_expectation_counts_only_periods_both_accounts_are_active(store):
    # Day 0: a and b retweet o1 and o2 (and c retweets o3). Day 1: a retweets o4, o5 with d.
    day = 86_400
    insert(
        store,
        [
            rt("a1", "a", 0, "o1"), rt("b1", "b", 5, "o1"), rt("a2", "a", 10, "o2"),
            rt("b2", "b", 15, "o2"), rt("c1", "c", 20, "o3"),
            rt("a4", "a", day, "o4"), rt("d4", "d", day + 5, "o4"),
            rt("a5", "a", day + 10, "o5"), rt("d5", "d", day + 15, "o5"),
        ],
    )  # fmt: skip
    opts = TraceOptions(windows={"co-retweet": None})
    actions = get_trace("co-retweet").actions(store, selected_posts(store, opts, "t"), opts)
    scored = score_co_actions(
        store, "co-retweet", actions, window_s=None, min_count=1, alpha=None, stratum_s=day
    )
    rows = {(r["account_a"], r["account_b"]): r["expected"] for r in scored.pairs.to_pylist()}
    # Day 0: d_a = d_b = 2, D = 5, C = 2 + 2 = 4 -> 2 * 2 * 4 / 25; b is not active on day 1.
    assert rows[("a", "b")] == pytest.approx(16 / 25)
    # Day 1: d_a = d_d = 2, D = 4, C = 4 -> 2 * 2 * 4 / 16 = 1.
    assert rows[("a", "d")] == pytest.approx(1.0)
    glob = score_co_actions(
        store, "co-retweet", actions, window_s=None, min_count=1, alpha=None, stratum_s=None
    )
    # One stratum: d_a = 4, d_b = 2, D = 9, C = 8 -> 4 * 2 * 8 / 81.
    ab = [r for r in glob.pairs.to_pylist() if (r["account_a"], r["account_b"]) == ("a", "b")]
    assert ab[0]["expected"] == pytest.approx(64 / 81)
