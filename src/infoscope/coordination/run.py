"""`infoscope coordination` as a library call: traces, scores, evidence, clusters, stored.

`run_coordination` runs the named traces over a store's posts, scores every pair of
accounts against the trace's null model (`infoscope.coordination.pairs`), keeps the
significant pairs with the evidence behind each (objects, posts, time gaps), fuses the traces
into one multiplex network, finds coordinated clusters (connected components, and Leiden
communities inside them) and profiles each cluster. Everything is stored under one run id
(``coordination_edges``, ``coordination_evidence``, ``coordination_accounts``,
``coordination_clusters``) with the parameters, seed and input fingerprint in ``runs``;
`load_coordination` reads a run back and `edge_evidence` the evidence behind an account's edges.

`candidate_pairs` gives one trace's raw co-action pairs, before any significance test (what
other tools call the coordination network).

Engines: the traces, co-action pairs and the null model's counts run on an
`infoscope.engine.Engine` (`engine=`; default the store's DuckDB; Spark over a Parquet export
with ``--engine spark``), the scoring and clustering on the driver, and everything is stored
in the DuckDB store whichever engine computed it. The run records the engine, its versions
and the input's fingerprint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _

from infoscope.coordination.pairs import (
    EDGE_COLUMNS,
    EDGE_SCHEMA,
    ScoredPairs,
    co_action_objects,
    estimate_window,
    fast_retweet_pairs,
    score_co_actions,
)
from infoscope.coordination.traces import (
    NEAR_DUPLICATE_GROUPS,
    TraceOptions,
    get_trace,
    registered_traces,
    selected_posts,
    trace_label,
)
from infoscope.engine import Engine, as_engine, engine_run
from infoscope.errors import InfoscopeError
from infoscope.queries import resolve_platforms
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "CoordinationRun",
    "candidate_pairs",
    "demo_coordination",
    "edge_evidence",
    "load_coordination",
    "run_coordination",
]

COMMAND = "coordination"
DAY = 86_400.0


@dataclass
class CoordinationRun(AnalysisResult):
    """A stored coordination run: its summary and the profile of each cluster."""

    clusters: list[dict[str, Any]] = field(default_factory=list)


def _resolve_window(
    trace: str, actions: Any, options: TraceOptions, engine: Engine
) -> tuple[float | None, str | None]:
    """The window in seconds for `trace` and how it was chosen."""
    window = options.window(trace)
    if window == "auto":
        estimated = estimate_window(actions, quantile=options.window_quantile, engine=engine)
        return estimated, "estimated"
    if window is None:
        return None, None
    return float(window), "given"


def _score_trace(
    engine: Engine,
    trace: str,
    options: TraceOptions,
    platform: str,
    *,
    min_count: int,
    alpha: float | None,
    stratum_s: float | None = None,
) -> ScoredPairs:
    spec = get_trace(trace)
    posts = selected_posts(engine, options, platform)
    actions = spec.actions(engine, posts, options)
    if spec.directed:
        scored = fast_retweet_pairs(
            engine, actions, fast_seconds=options.fast_seconds, min_count=min_count, alpha=alpha
        )
        _name_objects(engine, scored, spec.object_type(options), actions, options)
        return scored
    window, how = (None, None)
    if spec.windowed:
        actions = engine.materialize("_coord_source", actions)
        window, how = _resolve_window(trace, actions, options, engine)
    scored = score_co_actions(
        engine,
        trace,
        actions,
        window_s=window,
        min_count=min_count,
        alpha=alpha,
        stratum_s=stratum_s,
    )
    scored.stats["window_from"] = how
    _name_objects(engine, scored, spec.object_type(options), actions, options)
    engine.release("_coord_source", NEAR_DUPLICATE_GROUPS)
    return scored


def _name_objects(
    engine: Engine, scored: ScoredPairs, object_type: str, actions: Any, options: TraceOptions
) -> None:
    """Add to a trace's stats its object type, its acting accounts per platform and its label
    (``co-link (url) across facebook and twitter``)."""
    if options.cross_platform:
        key = actions.account_id
        keyed = actions.select(platform=key.re_extract(r"^([^:]*):", 1), account_id=key)
        counted = keyed.distinct().group_by("platform").aggregate(n=_.count())
        rows = engine.to_arrow(counted.order_by("platform")).to_pylist()
        per_platform = {str(r["platform"]): int(r["n"]) for r in rows}
    else:
        per_platform = {options.platforms[0]: int(scored.stats.get("accounts", 0))}
    acting = [p for p, n in per_platform.items() if n] or list(options.platforms)
    scored.stats["object_type"] = object_type
    scored.stats["platforms"] = per_platform
    scored.stats["label"] = trace_label(scored.trace, object_type, acting)


def candidate_pairs(
    store: Store | Engine,
    trace: str,
    *,
    window: float | str | None = None,
    platform: str | None = None,
    **options: Any,
) -> pa.Table:
    """One trace's raw co-action pairs: ``account_a, account_b, objects, co_actions``.

    Every pair that co-acted at least once within `window` seconds (``"auto"``: estimated),
    with no significance test; `options` are `TraceOptions` fields. `store` is the store (its
    DuckDB engine runs the pairing) or an engine. Nothing is stored.
    """
    engine = as_engine(store)
    spec = get_trace(trace)
    windows = {trace: window} if spec.windowed else {}
    opts = TraceOptions(platform=platform, windows=windows, **options)
    platform = ",".join(_platforms(engine, opts.platform))
    opts = replace(opts, platform=platform)
    if spec.directed:
        scored = _score_trace(engine, trace, opts, platform, min_count=1, alpha=None)
        engine.release(scored.objects_table)
        return scored.pairs.select(["account_a", "account_b", "objects", "co_actions"])
    # Raw pairs need no null model: one query, the pairing and two group-bys.
    actions = spec.actions(engine, selected_posts(engine, opts, platform), opts)
    seconds, _ = _resolve_window(trace, actions, opts, engine) if spec.windowed else (None, None)
    per_object = co_action_objects(
        actions, None if seconds is None else round(seconds * 1000), closest=False
    )
    pairs = per_object.group_by(["account_a", "account_b"]).aggregate(
        objects=per_object.count(), co_actions=per_object.co_actions.sum()
    )
    try:
        table = engine.to_arrow(pairs.order_by(["account_a", "account_b"]))
    finally:
        engine.release(NEAR_DUPLICATE_GROUPS)
    return pa.table(
        {
            "account_a": table["account_a"],
            "account_b": table["account_b"],
            "objects": table["objects"].cast(pa.int64()),
            "co_actions": table["co_actions"].cast(pa.int64()),
        }
    )


def _platforms(engine: Engine, platform: str | None) -> tuple[str, ...]:
    """The platforms a run reads, from the engine's posts (see `resolve_platforms`)."""
    return resolve_platforms(engine.table("posts"), platform, engine=engine)


def run_coordination(
    store: Store,
    traces: Sequence[str] | None = None,
    options: TraceOptions | None = None,
    *,
    min_count: int = 2,
    alpha: float | None = 0.01,
    stratum: float | None = DAY,
    resolution: float = 1.0,
    top: int = 10,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> CoordinationRun:
    """Run `traces` (default: all registered), keep significant pairs, cluster and store.

    A pair is kept in a trace when it co-acted on at least `min_count` objects and its
    Benjamini-Hochberg q-value is at most `alpha` (None: no test), the null model stratified
    by periods of `stratum` seconds (a day by default; None: one period). `resolution` is the Leiden
    resolution inside clusters; `top` bounds the profiles' lists. `engine` computes the
    traces, pairs and the null model's counts (default: the store's DuckDB); the run is
    stored in `store` either way. Returns the stored run.
    """
    say = progress or (lambda message: None)
    engine = engine or as_engine(store)
    names = tuple(traces) if traces else tuple(registered_traces())
    for name in names:
        get_trace(name)
    opts = options or TraceOptions()
    opts = replace(opts, platform=",".join(_platforms(engine, opts.platform)))
    platform = str(opts.platform)
    if min_count < 1:
        raise InfoscopeError(f"min_count must be at least 1, got {min_count}")
    if alpha is not None and not 0 < alpha <= 1:
        raise InfoscopeError(f"alpha must be in (0, 1], got {alpha}")
    params = {
        "traces": list(names),
        **opts.as_dict(),
        "windows": {n: opts.window(n) for n in names if get_trace(n).windowed},
        "min_count": min_count,
        "alpha": alpha,
        "stratum": stratum,
        "resolution": resolution,
        "top": top,
    }
    made = [f"_coord_objects_{name.replace('-', '_')}" for name in names]
    with engine_run(store, engine, COMMAND, params, seed=seed, release=made) as run:
        result = _analyse(
            store, engine, run.run_id, names, opts, platform, run.parameters, seed, say
        )
        run.counts = {k: v for k, v in result.summary.items() if k != "parameters"}
    return result


def _analyse(
    store: Store,
    engine: Engine,
    run_id: str,
    names: tuple[str, ...],
    opts: TraceOptions,
    platform: str,
    params: dict[str, Any],
    seed: int,
    say: Callable[[str], None],
) -> CoordinationRun:
    con = store.ibis.con
    per_trace: dict[str, dict[str, Any]] = {}
    kept_tables = []
    for name in names:
        started = time.perf_counter()
        scored = _score_trace(
            engine,
            name,
            opts,
            platform,
            min_count=params["min_count"],
            alpha=params["alpha"],
            stratum_s=params["stratum"],
        )
        kept = scored.kept.drop_columns(["kept"])
        _store_trace(store, engine, run_id, scored, kept, opts)
        engine.release(scored.objects_table)
        seconds = time.perf_counter() - started
        per_trace[name] = {**scored.stats, "seconds": round(seconds, 3)}
        kept_tables.append(kept)
        window = scored.stats.get("window_s")
        shown = "" if window is None else f" within {window:g} s"
        say(
            f"{name}: {scored.stats['candidate_pairs']:,} pairs co-acted{shown}, "
            f"{scored.stats['kept_pairs']:,} significant ({seconds:.1f} s)"
        )
    edges = pa.concat_tables(kept_tables) if kept_tables else EDGE_SCHEMA.empty_table()
    members = _clusters(edges, params["resolution"], seed)
    keys = members["account_id"].to_pylist()
    owners = [_owner(key, opts) for key in keys]
    handles = _handles(engine, owners)
    members = (
        members.rename_columns(["account_key", *members.column_names[1:]])
        .append_column("platform", pa.array([o[0] for o in owners], pa.string()))
        .append_column("account_id", pa.array([o[1] for o in owners], pa.string()))
        .append_column("handle", pa.array([handles.get(o) for o in owners], pa.string()))
    )
    con.register("_coord_members", members)
    try:
        con.execute(
            """
            INSERT INTO coordination_accounts BY NAME
            SELECT ? AS run_id, platform, account_id, handle, cluster, subcluster, degree,
                   strength, traces, account_key
            FROM _coord_members
            """,
            [run_id],
        )
    finally:
        con.unregister("_coord_members")
    from infoscope.coordination.profiles import profile_clusters

    profiles = profile_clusters(store, run_id, platform, top=params["top"])
    stored = pa.table(
        {
            "cluster": pa.array([p["cluster"] for p in profiles], pa.int32()),
            "size": pa.array([p["size"] for p in profiles], pa.int64()),
            "profile": pa.array([json.dumps(p, default=str) for p in profiles], pa.string()),
        }
    )
    con.register("_coord_profiles", stored)
    try:
        con.execute(
            "INSERT INTO coordination_clusters SELECT ?, cluster, size, profile "
            "FROM _coord_profiles",
            [run_id],
        )
    finally:
        con.unregister("_coord_profiles")
    summary = {
        "platform": platform,
        "platforms": list(opts.platforms),
        "cross_platform": opts.cross_platform,
        "traces": per_trace,
        "edges": edges.num_rows,
        "accounts": members.num_rows,
        "clusters": len(profiles),
        "largest_cluster": profiles[0]["size"] if profiles else 0,
        "seed": seed,
    }
    return CoordinationRun(run_id, {**summary, "parameters": params}, profiles)


def _store_trace(
    store: Store,
    engine: Engine,
    run_id: str,
    scored: ScoredPairs,
    kept: pa.Table,
    options: TraceOptions,
) -> None:
    """Insert a trace's kept pairs and, for each, its per-object evidence (with the platform
    and the platform's own id of both posts).

    The evidence is selected in the engine (the per-object co-actions of the kept pairs) and
    streamed into the store in batches."""
    con = store.ibis.con
    con.register("_coord_kept", kept.select(list(EDGE_COLUMNS)))
    try:
        con.execute(
            f"INSERT INTO coordination_edges SELECT ?, {', '.join(EDGE_COLUMNS)} FROM _coord_kept",
            [run_id],
        )
    finally:
        con.unregister("_coord_kept")
    if kept.num_rows == 0:
        return
    keys = engine.from_arrow("_coord_kept_keys", kept.select(["account_a", "account_b"]))
    try:
        for batch in engine.to_batches(_evidence(scored.objects, keys, options)):
            store.insert("coordination_evidence", _evidence_rows(run_id, scored.trace, batch))
    finally:
        engine.release("_coord_kept_keys")


def _evidence(objects: Any, keys: Any, options: TraceOptions) -> Any:
    """The per-object co-actions of the kept pairs `keys`, with each post's platform and its
    platform's own id (across platforms, keys are ``platform:id``)."""
    ev = objects.semi_join(keys, ["account_a", "account_b"])
    if options.cross_platform:
        platform_a = ev.account_a.re_extract(r"^([^:]*):", 1)
        platform_b = ev.account_b.re_extract(r"^([^:]*):", 1)
        post_a = ev.post_a.substr(platform_a.length() + 1)
        post_b = ev.post_b.substr(platform_b.length() + 1)
    else:
        platform_a = platform_b = ibis.literal(options.platforms[0], "string")
        post_a, post_b = ev.post_a, ev.post_b
    return ev.select(
        account_a=ev.account_a,
        account_b=ev.account_b,
        object_id=ev.object_id,
        post_a=post_a,
        post_b=post_b,
        t_a=ev.t_a,
        t_b=ev.t_b,
        gap_s=ev.gap_ms.cast("float64") / 1000.0,
        co_actions=ev.co_actions.cast("int64"),
        platform_a=platform_a,
        platform_b=platform_b,
    )


def _evidence_rows(run_id: str, trace: str, batch: pa.RecordBatch) -> pa.Table:
    """A batch of `_evidence` as rows of ``coordination_evidence``."""
    n = batch.num_rows

    def at(column: str) -> pa.Array:
        ms = batch.column(column).cast(pa.int64())
        return ms.cast(pa.timestamp("ms", tz="UTC")).cast(pa.timestamp("us", tz="UTC"))

    table = pa.Table.from_batches([batch]).drop_columns(["t_a", "t_b"])
    return (
        table.append_column("at_a", at("t_a"))
        .append_column("at_b", at("t_b"))
        .append_column("run_id", pa.array([run_id] * n, pa.string()))
        .append_column("trace", pa.array([trace] * n, pa.string()))
    )


def _clusters(edges: pa.Table, resolution: float, seed: int) -> pa.Table:
    """Coordinated accounts: cluster (connected component), Leiden subcluster, degree,
    strength and traces, from the kept edges of every trace.

    The fused (multiplex) weight of a pair is the sum over traces of its similarity (1 when a
    trace gives none), so a pair tied by several traces weighs more. Clusters are numbered by
    size (0 the largest; ties by smallest account id), subclusters within the whole network.
    """
    columns = ["account_id", "cluster", "subcluster", "degree", "strength", "traces"]
    if edges.num_rows == 0:
        return pa.table(
            {
                "account_id": pa.array([], pa.string()),
                "cluster": pa.array([], pa.int32()),
                "subcluster": pa.array([], pa.int32()),
                "degree": pa.array([], pa.int64()),
                "strength": pa.array([], pa.float64()),
                "traces": pa.array([], pa.list_(pa.string())),
            }
        )
    import igraph as ig

    from infoscope.network.communities import detect_communities

    a, b = edges["account_a"], edges["account_b"]
    first = pc.less(a, b)
    fused = (
        pa.table(
            {
                "lo": pc.if_else(first, a, b),
                "hi": pc.if_else(first, b, a),
                "w": pc.fill_null(edges["similarity"], 1.0),
            }
        )
        .group_by(["lo", "hi"])
        .aggregate([("w", "sum")])
        .sort_by([("lo", "ascending"), ("hi", "ascending")])
    )
    ends = pa.table(
        {
            "account_id": pa.concat_arrays([_plain(a), _plain(b)]),
            "trace": pa.concat_arrays([_plain(edges["trace"])] * 2),
        }
    )
    per_account = (
        ends.group_by("account_id")
        .aggregate([("trace", "distinct")])
        .sort_by([("account_id", "ascending")])
    )
    names = per_account["account_id"]
    accounts = names.to_pylist()
    src = pc.index_in(fused["lo"], value_set=names).to_numpy()
    dst = pc.index_in(fused["hi"], value_set=names).to_numpy()
    graph = ig.Graph(n=len(accounts), edges=np.column_stack([src, dst]), directed=False)
    graph.vs["name"] = accounts
    graph.es["weight"] = fused["w_sum"].to_numpy().tolist()
    components = np.asarray(graph.connected_components().membership)
    sizes = np.bincount(components)
    first = np.full(sizes.size, components.size)
    np.minimum.at(first, components, np.arange(components.size))
    order = sorted(range(sizes.size), key=lambda c: (-int(sizes[c]), int(first[c])))
    renumber = {c: i for i, c in enumerate(order)}
    found = detect_communities(graph, resolution=resolution, runs=1, seed=seed)
    degree = graph.degree()
    strength = graph.strength(weights="weight")
    table = pa.table(
        {
            "account_id": pa.array(accounts, pa.string()),
            "cluster": pa.array([renumber[c] for c in components.tolist()], pa.int32()),
            "subcluster": pa.array(found.membership, pa.int32()),
            "degree": pa.array(degree, pa.int64()),
            "strength": pa.array(np.asarray(strength, dtype=float), pa.float64()),
            "traces": pa.array(
                [sorted(t) for t in per_account["trace_distinct"].to_pylist()],
                pa.list_(pa.string()),
            ),
        }
    )
    return table.select(columns)


def _plain(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def _owner(key: str, options: TraceOptions) -> tuple[str, str]:
    """The platform and platform id of an account key (see `account_key`)."""
    if not options.cross_platform:
        return options.platforms[0], key
    platform, _, account_id = key.partition(":")
    return platform, account_id


def _handles(engine: Engine, owners: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The handle of each (platform, account id): its profile's, else the one its posts
    carry (the largest of several)."""
    if not owners:
        return {}
    ids = engine.from_arrow(
        "_coord_ids",
        pa.table(
            {
                "platform": pa.array([o[0] for o in owners], pa.string()),
                "account_id": pa.array([o[1] for o in owners], pa.string()),
            }
        ),
    )
    try:
        key = ["platform", "account_id"]
        accounts = engine.table("accounts").semi_join(ids, key)
        posts = engine.table("posts").semi_join(ids, key)
        profile = accounts.group_by(key).aggregate(profile=accounts.handle.max())
        posted = posts.group_by(key).aggregate(posted=posts.account_handle.max())
        named = ids.left_join(profile, key).drop("platform_right", "account_id_right")
        named = named.left_join(posted, key).drop("platform_right", "account_id_right")
        rows = engine.to_arrow(
            named.select("platform", "account_id", handle=ibis.coalesce(_.profile, _.posted))
        ).to_pylist()
    finally:
        engine.release("_coord_ids")
    return {(r["platform"], r["account_id"]): r["handle"] for r in rows if r["handle"] is not None}


def load_coordination(store: Store, run_id: str | None = None) -> CoordinationRun:
    """A stored coordination run (default: the latest completed one)."""
    run = store.completed_run(COMMAND, run_id)
    profiles = [
        json.loads(r[0])
        for r in store.con.execute(
            "SELECT profile FROM coordination_clusters WHERE run_id = ? ORDER BY cluster",
            [run.run_id],
        ).fetchall()
    ]
    return CoordinationRun(run.run_id, {**run.counts, "parameters": run.parameters}, profiles)


def demo_coordination(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: every trace, the null model, clusters and their profiles."""
    context.say(
        f"detecting coordinated behaviour ({len(registered_traces())} traces, null model, evidence)"
    )
    result = run_coordination(store, seed=context.seed)
    c = result.summary
    largest = [_cluster_digest(p) for p in result.clusters[:8]]
    traces = ", ".join(
        f"{name} {t['kept_pairs']:,} of {t['candidate_pairs']:,}" for name, t in c["traces"].items()
    )
    text = "\n".join(
        [
            f"{c['accounts']:,} accounts in {c['clusters']:,} coordinated clusters, "
            f"{c['edges']:,} significant edges (kept of co-acting pairs per trace: {traces}).",
            "",
            "| cluster | accounts | edges | traces | top accounts |",
            "|---|---|---|---|---|",
            *(
                f"| {k['cluster']} | {k['size']:,} | {k['edges']:,} | "
                + ", ".join(f"{t} {n:,}" for t, n in k["traces"].items())
                + " | "
                + ", ".join("@" + a for a in k["top_accounts"])
                + " |"
                for k in largest
            ),
        ]
    )
    data = {**{k: v for k, v in c.items() if k != "parameters"}, "largest": largest}
    return DemoStep(result, data, text)


def _cluster_digest(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster": profile["cluster"],
        "size": profile["size"],
        "edges": profile["edges"],
        "traces": profile["traces"],
        "top_accounts": [a["handle"] or a["account_id"] for a in profile["accounts"][:3]],
    }


def edge_evidence(
    store: Store,
    account: str,
    other: str | None = None,
    *,
    run_id: str | None = None,
    trace: str | None = None,
    limit: int = 50,
    platform: str | None = None,
) -> list[dict[str, Any]]:
    """The kept edges of `account` (key, id or ``@handle``, of `platform` when given),
    optionally with `other`, each with its evidence rows (objects, posts with their
    platforms, times and gaps), strongest (smallest p) first. Accounts are named by their key
    in the run (``platform:id`` in a run across platforms)."""
    run = load_coordination(store, run_id)
    ids = [
        _account_key(store, run.run_id, x, platform if x is account else None)
        for x in (account, other)
        if x is not None
    ]
    where = "e.run_id = ? AND (e.account_a = ? OR e.account_b = ?)"
    args: list[Any] = [run.run_id, ids[0], ids[0]]
    if len(ids) == 2:
        where += " AND (e.account_a = ? OR e.account_b = ?)"
        args += [ids[1], ids[1]]
    if trace is not None:
        where += " AND e.trace = ?"
        args.append(trace)
    cur = store.con.execute(
        f"SELECT * EXCLUDE (run_id) FROM coordination_edges e WHERE {where} "
        "ORDER BY e.p_value, e.objects DESC, e.trace, e.account_a, e.account_b",
        args,
    )
    names = [d[0] for d in cur.description]
    edges = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    from infoscope.coordination.tables import key_columns

    _, platform_a, platform_b = key_columns(store)
    traces = run.summary.get("traces", {})
    for edge in edges:
        # The trace with its object type and platforms, as the run named it.
        edge["label"] = traces.get(edge["trace"], {}).get("label") or edge["trace"]
        cur = store.con.execute(
            f"""
            SELECT object_id, {platform_a} AS platform_a, post_a, {platform_b} AS platform_b,
                   post_b, at_a, at_b, gap_s, co_actions
            FROM coordination_evidence
            WHERE run_id = ? AND trace = ? AND account_a = ? AND account_b = ?
            ORDER BY at_a, object_id LIMIT ?
            """,
            [run.run_id, edge["trace"], edge["account_a"], edge["account_b"], limit],
        )
        cols = [d[0] for d in cur.description]
        edge["evidence"] = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    return edges


def _account_key(store: Store, run_id: str, name: str, platform: str | None = None) -> str:
    """An account's key from its key, id or ``@handle`` (on `platform` when given) among the
    run's coordinated accounts."""
    from infoscope.coordination.tables import key_columns

    key = key_columns(store)[0]
    row = store.con.execute(
        f"SELECT {key} FROM coordination_accounts WHERE run_id = ? "
        f"AND ({key} = ? OR account_id = ? OR lower(handle) = lower(?)) "
        "AND (?::VARCHAR IS NULL OR platform = ?) "
        f"ORDER BY {key} = ? DESC, {key} LIMIT 1",
        [run_id, name, name, name.removeprefix("@"), platform, platform, name],
    ).fetchone()
    if row is None:
        raise InfoscopeError(
            f"{name} is not among run {run_id}'s coordinated accounts; list them with "
            "`infoscope export coordination-accounts`"
        )
    return str(row[0])
