"""From actions to scored account pairs: windowed co-actions, null models, evidence.

Co-action traces
----------------
Two accounts *co-act* on an object when each acts on it and the two actions are at most the
window apart (``|t_a - t_b| <= window``, boundaries included; identical times co-act). The
pairing is a self-join on the object in time buckets one window wide, so that a popular
object only pairs actions that are close in time. A pair's ``objects`` is the number of
distinct objects the two co-acted on; for each of them the evidence keeps the two posts
closest in time (ties: the smallest gap, then the smallest post ids) and their gap.

Null model: accounts acting on objects at random, each account keeping its number of distinct
objects ``d_a`` and each object its number of distinct accounts ``n_o`` (the bipartite
configuration model), share on average ``E_ab = d_a d_b sum_o n_o (n_o - 1) / D^2`` objects
(``D = sum_a d_a``). By default the model is stratified by day (`stratum_s`): objects
belong to the day of their first action and the expectation sums the same formula within
each day, so accounts active in different days or years expect nothing in common and one
busy night does not look rare against years of activity.

The p-value of a pair is the Poisson probability of sharing at least its ``objects`` given
``E_ab``. The expectation ignores the window, so it is the chance of sharing objects at all:
a window only lowers observed counts, which makes the test conservative and means that
widening the window never lowers a pair's count nor raises its p-value. Edges are kept when
``objects >= min_count`` and their Benjamini-Hochberg q-value is at most ``alpha``. The
family corrected for is every pair of the trace's accounts that act on at least
``min_count`` objects (pairs that cannot reach the count are never tested, as Tarone 1990
proposes for discrete tests; pairs never co-acting have p = 1). It does not depend on the
window, so with a fixed account set the kept set only grows as the window widens.

Down-weighting: ``weight`` sums the shared objects' inverse document frequency
``idf_o = ln((1 + N) / (1 + n_o)) + 1`` (hyper-popular objects count little), ``similarity``
is the cosine similarity of the two accounts' TF-IDF object vectors (Pacheco et al. 2021),
which also discounts hyperactive accounts, and ``symmetry`` is ``min(d_a, d_b) / max(d_a,
d_b)`` (1 for accounts equally active in the trace; CooRTweet's edge symmetry idea).

Engines
-------
Everything relational here is an Ibis expression run by an `infoscope.engine.Engine` (DuckDB,
or Spark over a Parquet export): intermediate results are materialised and released through
the engine, results reach the driver as Arrow, and the scoring (Poisson and binomial tails,
Benjamini-Hochberg) runs on the driver with numpy and scipy. Medians are exact and ties are
broken explicitly, so both engines give the same rows.

Fast retweets
--------------
A retweet is *fast* when it comes at most ``fast_seconds`` after the original. For a
retweeter ``a`` and an author ``b``, ``co_actions`` is the number of a's retweets of b's posts
(whose original is stored) and ``objects`` the fast ones; the null model is a binomial with
the corpus's share of fast retweets, ``expected = co_actions * share``. ``similarity`` is the
share of a's retweets that are fast retweets of b. Multiple testing: BH over all
retweeter x author pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
from ibis import _

from infoscope.engine import Engine, as_engine

__all__ = [
    "ScoredPairs",
    "benjamini_hochberg",
    "co_action_objects",
    "estimate_window",
    "fast_retweet_pairs",
    "score_co_actions",
]

# A scored pair table (the store's coordination_edges, without run_id).
_F, _TS = pa.float64(), pa.timestamp("us", tz="UTC")
EDGE_SCHEMA = pa.schema(
    [
        ("trace", pa.string()),
        ("account_a", pa.string()),
        ("account_b", pa.string()),
        ("directed", pa.bool_()),
        ("objects", pa.int64()),
        ("co_actions", pa.int64()),
        ("weight", _F),
        ("similarity", _F),
        ("symmetry", _F),
        ("expected", _F),
        ("p_value", _F),
        ("q_value", _F),
        ("first_at", _TS),
        ("last_at", _TS),
        ("median_gap_s", _F),
    ]
)
EDGE_COLUMNS = tuple(EDGE_SCHEMA.names)


@dataclass
class ScoredPairs:
    """One trace's candidate pairs with their scores, and what produced them.

    `pairs` has every pair that co-acted at least once (`EDGE_COLUMNS` plus ``kept``), or
    with a significance test (`alpha` set) every pair that co-acted on `min_count` objects;
    `objects_table` names the engine's materialised table of per-object co-actions (the
    evidence), keyed by ``account_a, account_b``, and `objects` is that table; `stats` the
    trace's totals (accounts, objects, actions, the window used, the number of possible pairs
    tested). Release the evidence with ``engine.release(scored.objects_table)``.
    """

    trace: str
    pairs: pa.Table
    objects_table: str
    stats: dict[str, Any]
    objects: Any = None

    @property
    def kept(self) -> pa.Table:
        return self.pairs.filter(self.pairs["kept"])


def estimate_window(
    actions: ibis.Table,
    *,
    quantile: float = 0.1,
    share: float = 0.5,
    engine: Engine | None = None,
) -> float:
    """A coordination window estimated from the data, as CooRnet's estimate does.

    For every object acted on by at least two actions, the time from its first action until
    `share` of its actions happened; the window is the `quantile` of those times, in seconds
    (exact, interpolated): the time within which the fastest-spreading objects were already
    widely shared. `engine` runs it (default: the expression's own backend).
    """
    ranked = actions.mutate(
        rn=ibis.row_number().over(group_by="object_id", order_by=["t_ms", "post_id"]),
        n=_.count().over(group_by="object_id"),
        first=_.t_ms.min().over(group_by="object_id"),
    )
    target = (ranked.n * share).ceil().cast("int64")
    target = ibis.greatest(target, 2)
    reached = ranked.filter((ranked.n >= 2) & (ranked.rn + 1 == target))
    delay = (reached.t_ms - reached.first).cast("float64")
    result = reached.aggregate(q=delay.quantile(quantile))
    value = (result.to_pyarrow() if engine is None else engine.to_arrow(result))["q"][0].as_py()
    return 0.0 if value is None else float(value) / 1000.0


def co_action_objects(
    actions: ibis.Table, window_ms: int | None, *, closest: bool = True
) -> ibis.Table:
    """Per pair of accounts and object: co-actions within the window and the closest posts.

    Rows ``account_a < account_b, object_id, co_actions, gap_ms, post_a, post_b, t_a, t_b``
    (only the first four without `closest`).
    """
    base = actions.select("account_id", "object_id", "post_id", "t_ms")
    if window_ms is None:
        left = base.mutate(bucket=ibis.literal(0, "int64"))
        right = left
    else:
        width = max(int(window_ms), 1)
        left = base.mutate(bucket=(base.t_ms // width).cast("int64"))
        # The unnest in a projection of its own: Spark allows it only as a top-level item.
        shifted = base.mutate(shift=ibis.literal([-1, 0, 1], "array<int64>").unnest())
        right = shifted.mutate(bucket=(shifted.t_ms // width).cast("int64") + shifted.shift).drop(
            "shift"
        )
    lhs = left.select(
        account_a=left.account_id,
        object_id=left.object_id,
        post_a=left.post_id,
        t_a=left.t_ms,
        bucket=left.bucket,
    )
    rhs = right.select(
        account_b=right.account_id,
        object_b=right.object_id,
        post_b=right.post_id,
        t_b=right.t_ms,
        bucket_b=right.bucket,
    )
    joined = lhs.join(
        rhs,
        (lhs.object_id == rhs.object_b)
        & (lhs.bucket == rhs.bucket_b)
        & (lhs.account_a < rhs.account_b),
    )
    gap = (joined.t_b - joined.t_a).abs()
    joined = joined.mutate(gap_ms=gap)
    if window_ms is not None:
        joined = joined.filter(joined.gap_ms <= int(window_ms))
    if not closest:
        return joined.group_by(["account_a", "account_b", "object_id"]).aggregate(
            co_actions=_.count()
        )
    # The closest two posts: the smallest gap, ties by post ids then times (a total order,
    # the same on every engine).
    nearest = ibis.struct(
        {
            "gap_ms": joined.gap_ms,
            "post_a": joined.post_a,
            "post_b": joined.post_b,
            "t_a": joined.t_a,
            "t_b": joined.t_b,
        }
    ).min()
    per = joined.group_by(["account_a", "account_b", "object_id"]).aggregate(
        co_actions=_.count(), best=nearest
    )
    return per.select(
        "account_a",
        "account_b",
        "object_id",
        "co_actions",
        gap_ms=per.best["gap_ms"],
        post_a=per.best["post_a"],
        post_b=per.best["post_b"],
        t_a=per.best["t_a"],
        t_b=per.best["t_b"],
    )


def benjamini_hochberg(p: np.ndarray, total: int) -> np.ndarray:
    """BH q-values of `p` among `total` tests (the tests not in `p` have p = 1)."""
    m = max(int(total), len(p), 1)
    if len(p) == 0:
        return np.array([], dtype=float)
    order = np.argsort(p, kind="stable")
    ranked = p[order] * m / np.arange(1, len(p) + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty_like(q_sorted)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def _ts(ms: pa.Array | pa.ChunkedArray) -> pa.Array:
    return pa.array(np.asarray(ms, dtype="int64") * 1000, _TS)


def _pair_table(
    trace: str,
    table: pa.Table,
    *,
    a: str,
    b: str,
    directed: bool,
    weight: Any,
    similarity: Any,
    symmetry: Any,
    expected: Any,
    p: Any,
    q: Any,
    kept: Any,
) -> pa.Table:
    """Scored pairs in `EDGE_COLUMNS` order (plus ``kept``) from a trace's grouped rows."""
    n = table.num_rows
    return pa.table(
        {
            "trace": pa.array([trace] * n, pa.string()),
            "account_a": table[a],
            "account_b": table[b],
            "directed": pa.array([directed] * n, pa.bool_()),
            "objects": table["objects"].cast(pa.int64()),
            "co_actions": table["co_actions"].cast(pa.int64()),
            "weight": pa.array(weight).cast(pa.float64()),
            "similarity": pa.array(similarity, pa.float64()),
            "symmetry": pa.array(symmetry).cast(pa.float64()),
            "expected": pa.array(expected, pa.float64()),
            "p_value": pa.array(p, pa.float64()),
            "q_value": pa.array(q, pa.float64()),
            "first_at": _ts(table["first_ms"]),
            "last_at": _ts(table["last_ms"]),
            "median_gap_s": table["median_gap_s"].cast(pa.float64()),
            "kept": pa.array(kept, pa.bool_()),
        }
    )


def score_co_actions(
    source: Any,
    trace: str,
    actions: ibis.Table,
    *,
    window_s: float | None,
    min_count: int,
    alpha: float | None,
    stratum_s: float | None = None,
    prefix: str = "_coord",
) -> ScoredPairs:
    """Pair, count and score one co-action trace's actions (see the module docstring).

    `source` is the engine the actions run on (or a `Store`: its DuckDB engine).
    `stratum_s` stratifies the null model by periods of that many seconds (None: one
    stratum), each object in the period of its first action.

    `actions` is materialised first; the per-object co-actions stay materialised
    (``{prefix}_objects_{trace}``) for the evidence. `alpha` None keeps every pair with at
    least `min_count` objects.
    """
    engine = as_engine(source)
    slug = trace.replace("-", "_")
    acts = engine.materialize(f"{prefix}_actions_{slug}", actions)
    window_ms = None if window_s is None else round(window_s * 1000)
    objects_name = f"{prefix}_objects_{slug}"
    per_object = engine.materialize(objects_name, co_action_objects(acts, window_ms))

    distinct = acts.select("account_id", "object_id").distinct()
    objects = distinct.group_by("object_id").aggregate(n_o=_.count())
    totals = engine.to_arrow(
        objects.aggregate(n_objects=_.count(), d_total=_.n_o.sum(), c=(_.n_o * (_.n_o - 1)).sum())
    ).to_pylist()[0]
    # Accounts in the trace, and those acting on at least `min_count` objects: the pairs of
    # the latter are the family tested (Tarone 1990: a pair that cannot reach the count can
    # never be significant, and counting it would only dilute the correction).
    activity = distinct.group_by("account_id").aggregate(d=_.count())
    counted = engine.to_arrow(
        activity.aggregate(n=_.count(), eligible=(_.d >= min_count).cast("int64").sum())
    ).to_pylist()[0]
    n_accounts, eligible = int(counted["n"] or 0), int(counted["eligible"] or 0)
    n_actions = int(engine.scalar(acts.count()) or 0)
    d_total = int(totals["d_total"] or 0)
    c_total = int(totals["c"] or 0)
    idf = objects.mutate(idf=((1.0 + n_accounts) / (1.0 + objects.n_o.cast("float64"))).ln() + 1.0)
    per_account = (
        distinct.join(idf, "object_id")
        .group_by("account_id")
        .aggregate(d=_.count(), norm=(_.idf * _.idf).sum().sqrt())
    )
    weighted = per_object.join(idf.select("object_id", "idf"), "object_id")
    pair_rows = weighted.group_by(["account_a", "account_b"]).aggregate(
        objects=_.count(),
        co_actions=_.co_actions.sum(),
        weight=_.idf.sum(),
        dot=(_.idf * _.idf).sum(),
        first_ms=ibis.least(_.t_a, _.t_b).min(),
        last_ms=ibis.greatest(_.t_a, _.t_b).max(),
        median_gap_s=(_.gap_ms.cast("float64") / 1000.0).median(),
    )
    pa_ = per_account.select(account_a="account_id", d_a="d", norm_a="norm")
    pb_ = per_account.select(account_b="account_id", d_b="d", norm_b="norm")
    scored = pair_rows.join(pa_, "account_a").join(pb_, "account_b")
    candidates = int(
        engine.scalar(per_object.select("account_a", "account_b").distinct().count()) or 0
    )
    if alpha is not None and min_count > 1:
        # Only pairs that reach the count can be kept; the others are never rejected (their
        # p-value counts as 1, which is conservative) and are not fetched.
        scored = scored.filter(scored.objects >= min_count)
    if stratum_s is not None:
        scored = engine.materialize(f"{prefix}_scored_{slug}", scored)
        scored = _stratified_expectation(
            engine, acts, distinct, scored, round(stratum_s * 1000), f"{prefix}_{slug}"
        )
    table = engine.to_arrow(scored.order_by(["account_a", "account_b"]))

    n = table.num_rows
    k = table["objects"].to_numpy().astype(float) if n else np.array([])
    d_a = table["d_a"].to_numpy().astype(float) if n else np.array([])
    d_b = table["d_b"].to_numpy().astype(float) if n else np.array([])
    if stratum_s is None:
        expected = d_a * d_b * c_total / max(d_total, 1) ** 2
    else:
        expected = table["expected"].to_numpy(zero_copy_only=False).astype(float)
    from scipy.stats import poisson

    p = poisson.sf(k - 1, np.maximum(expected, 1e-300)) if n else np.array([])
    possible = eligible * (eligible - 1) // 2
    q = benjamini_hochberg(p, possible)
    kept = k >= min_count
    if alpha is not None:
        kept &= q <= alpha
    similarity = (
        table["dot"].to_numpy() / (table["norm_a"].to_numpy() * table["norm_b"].to_numpy())
        if n
        else np.array([])
    )
    pairs = _pair_table(
        trace,
        table,
        a="account_a",
        b="account_b",
        directed=False,
        weight=table["weight"],
        similarity=np.minimum(similarity, 1.0),
        symmetry=pa.array(np.minimum(d_a, d_b) / np.maximum(np.maximum(d_a, d_b), 1)),
        expected=expected,
        p=p,
        q=q,
        kept=kept,
    )
    stats = {
        "accounts": n_accounts,
        "objects": int(totals["n_objects"] or 0),
        "actions": n_actions,
        "window_s": window_s,
        "possible_pairs": possible,
        "candidate_pairs": candidates,
        "scored_pairs": n,
        "kept_pairs": int(kept.sum()),
    }
    engine.release(
        f"{prefix}_actions_{slug}",
        f"{prefix}_scored_{slug}",
        f"{prefix}_{slug}_periods",
        f"{prefix}_{slug}_pair_periods",
    )
    return ScoredPairs(trace, pairs, objects_name, stats, per_object)


def _stratified_expectation(
    engine: Engine,
    acts: ibis.Table,
    distinct: ibis.Table,
    scored: ibis.Table,
    stratum_ms: int,
    prefix: str,
) -> ibis.Table:
    """`scored` with column ``expected``: the configuration model within each period.

    Objects fall in the period of their first action; per period ``t``, accounts keep their
    number of objects ``d_at`` and objects their accounts, so a pair expects
    ``sum_t d_at d_bt C_t / D_t^2``: two accounts never active in the same period expect
    nothing in common, and an account's busy period weighs only there.

    The pairs' first accounts are joined with their periods and materialised before the
    second accounts are: left to itself, the engine may join every two accounts active in
    a period first (857M rows for 300k posts over 30 days), which grows with the square of
    the accounts where this grows with the scored pairs times their periods.
    """
    width = max(int(stratum_ms), 1)
    home = acts.group_by("object_id").aggregate(stratum=(_.t_ms.min() // width).cast("int64"))
    placed = distinct.join(home, "object_id")
    per_object = placed.group_by(["stratum", "object_id"]).aggregate(n_o=_.count())
    strata = per_object.group_by("stratum").aggregate(
        factor=(_.n_o * (_.n_o - 1)).sum().cast("float64") / (_.n_o.sum().cast("float64") ** 2)
    )
    per_account = placed.group_by(["account_id", "stratum"]).aggregate(d=_.count())
    per_account = engine.materialize(f"{prefix}_periods", per_account)
    keys = scored.select("account_a", "account_b")
    side_a = per_account.select(account_a="account_id", stratum="stratum", d_a_t="d")
    side_b = per_account.select(account_b="account_id", stratum_b="stratum", d_b_t="d")
    both = engine.materialize(f"{prefix}_pair_periods", keys.join(side_a, "account_a"))
    both = both.join(
        side_b, (both.account_b == side_b.account_b) & (both.stratum == side_b.stratum_b)
    )
    both = both.join(strata, "stratum")
    expected = both.group_by(["account_a", "account_b"]).aggregate(
        expected=(_.d_a_t.cast("float64") * _.d_b_t * _.factor).sum()
    )
    joined = scored.left_join(expected, ["account_a", "account_b"])
    return joined.mutate(expected=joined.expected.fill_null(0.0)).drop(
        "account_a_right", "account_b_right"
    )


def fast_retweet_pairs(
    source: Any,
    actions: ibis.Table,
    *,
    fast_seconds: float,
    min_count: int,
    alpha: float | None,
    prefix: str = "_coord",
) -> ScoredPairs:
    """Score retweeter -> author pairs by their fast retweets (see the module docstring).

    `source` is the engine the actions run on (or a `Store`: its DuckDB engine); `actions`
    are the ``fast-retweet`` trace's rows (with ``author_id`` and ``source_t_ms``). The
    evidence table has one row per fast retweet: ``object_id`` the original post, ``post_a``
    the retweet, ``post_b`` the original, ``gap_ms`` the delay.
    """
    engine = as_engine(source)
    fast_ms = round(fast_seconds * 1000)
    acts = engine.materialize(f"{prefix}_actions_fast", actions)
    delay = acts.t_ms - acts.source_t_ms
    acts = acts.mutate(delay_ms=delay, fast=(delay >= 0) & (delay <= fast_ms))
    evidence = acts.filter(acts.fast).select(
        account_a=acts.account_id,
        account_b=acts.author_id,
        object_id=acts.object_id,
        co_actions=ibis.literal(1, "int64"),
        gap_ms=acts.delay_ms,
        post_a=acts.post_id,
        post_b=acts.object_id,
        t_a=acts.t_ms,
        t_b=acts.source_t_ms,
    )
    evidence_name = f"{prefix}_objects_fast_retweet"
    evidence_table = engine.materialize(evidence_name, evidence)
    totals = engine.to_arrow(
        acts.aggregate(
            n=_.count(),
            k=_.fast.cast("int64").sum(),
            retweeters=_.account_id.nunique(),
            authors=_.author_id.nunique(),
        )
    ).to_pylist()[0]
    per_retweeter = acts.group_by("account_id").aggregate(total=_.count())
    grouped = acts.group_by([acts.account_id, acts.author_id]).aggregate(
        co_actions=_.count(),
        objects=_.fast.cast("int64").sum(),
        first_ms=_.t_ms.min(),
        last_ms=_.t_ms.max(),
        median_gap_s=(_.delay_ms.cast("float64") / 1000.0).median(),
    )
    grouped = grouped.filter(grouped.objects > 0).join(per_retweeter, "account_id")
    table = engine.to_arrow(grouped.order_by(["account_id", "author_id"]))
    n_all = int(totals["n"] or 0)
    share = (int(totals["k"] or 0) / n_all) if n_all else 0.0
    n = table.num_rows
    k = table["objects"].to_numpy().astype(float) if n else np.array([])
    trials = table["co_actions"].to_numpy().astype(float) if n else np.array([])
    from scipy.stats import binom

    p = binom.sf(k - 1, trials, share) if n else np.array([])
    possible = int(totals["retweeters"] or 0) * int(totals["authors"] or 0)
    q = benjamini_hochberg(p, possible)
    kept = k >= min_count
    if alpha is not None:
        kept &= q <= alpha
    total = table["total"].to_numpy().astype(float) if n else np.array([])
    pairs = _pair_table(
        "fast-retweet",
        table,
        a="account_id",
        b="author_id",
        directed=True,
        weight=table["objects"],
        similarity=k / np.maximum(total, 1),
        symmetry=pa.nulls(n, pa.float64()),
        expected=trials * share,
        p=p,
        q=q,
        kept=kept,
    )
    stats = {
        "accounts": int(totals["retweeters"] or 0),
        "authors": int(totals["authors"] or 0),
        "actions": n_all,
        "fast_share": share,
        "fast_seconds": fast_seconds,
        "possible_pairs": possible,
        "candidate_pairs": n,
        "kept_pairs": int(kept.sum()),
    }
    engine.release(f"{prefix}_actions_fast")
    return ScoredPairs("fast-retweet", pairs, evidence_name, stats, evidence_table)
