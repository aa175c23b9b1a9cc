"""`infoscope communities` as a library call: build, cluster, rank, profile and store.

`run_communities` runs the whole analysis on a store inside one `Store.run` and stores the
edges it clustered (``network_edges``), every account with its community, stability and
centralities (``network_nodes``) and one profile per community (``communities``), all keyed
by the run id; `load_communities` reads a stored run back as the same `CommunityRun`.

A run reads one platform (the store's platform with most posts by default), or several
(``platform="all"`` or ``"bluesky,mastodon"``): the network then holds every platform's
accounts, keyed ``platform:account_id`` in ``network_edges`` (`infoscope.network.edges.
keyed_by_platform`); ``network_nodes`` keeps each account's own platform and id. Interactions
never cross platforms, so a community spans platforms only through accounts that interact
across them. Each community's profile gives its platform mix (``platforms``: accounts,
posting accounts and posts per platform).

Account links (``account_links``: the same actor's accounts on several platforms, stated by
the analyst or found by exact matches, `infoscope.account_links`) are shown with each
community whose members they touch (``linked_accounts``, ``links``, ``linked_members``,
``actors``: `infoscope.network.links.community_links`); a store without links gives profiles
without these keys, as before. With ``link_accounts=True`` Leiden runs on the graph where the
linked accounts of the network are one actor (`infoscope.network.links.pool_accounts`); each
account keeps its own row in ``network_nodes`` (its platform and id, its actor's community and
stability, its own centralities, computed on the accounts' graph), ``network_edges`` keeps
each account's own edges, and the run's counts say what was pooled and on which links, with
their evidence (``account_links``). Off by default: without it, links never change a result.

Engines: the edges, nodes and the profiles' counts are Ibis queries run on an
`infoscope.engine.Engine` (`engine=`; default the store's DuckDB; Spark over a Parquet export
with ``--engine spark``). Only the aggregated edge list (one row per pair of accounts, fewer
with ``min_weight``) and its nodes come to the driver, where igraph runs Leiden and the
centralities; everything is stored in the DuckDB store whichever engine computed it, and the
run records the engine, its versions and the input's fingerprint.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pyarrow as pa

from infoscope.engine import Engine, as_engine, engine_run
from infoscope.errors import InfoscopeError
from infoscope.network.communities import build_graph, detect_communities, rank_accounts
from infoscope.network.edges import (
    EdgeSelection,
    combine_edges,
    interaction_edges,
    keyed_by_platform,
    network_nodes,
    outside_keys_by_platform,
    split_node_key,
)
from infoscope.network.links import (
    community_links,
    engine_links,
    expand_communities,
    link_groups,
    pool_accounts,
)
from infoscope.network.profiles import profile_communities
from infoscope.queries import resolve_platforms
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "CommunityRun",
    "demo_communities",
    "load_communities",
    "node_key_sql",
    "run_communities",
]

COMMAND = "communities"
TOP_ACCOUNTS = 5
# Names of the engine's intermediate tables (released when the run ends).
EDGES_BY_TYPE = "_communities_edges_by_type"
MEMBERSHIP = "_communities_membership"


@dataclass
class CommunityRun(AnalysisResult):
    """A stored communities run: its summary and the profile of each community."""

    profiles: list[dict[str, Any]] = field(default_factory=list)


def run_communities(
    store: Store,
    selection: EdgeSelection | None = None,
    *,
    objective: str = "modularity",
    resolution: float | None = None,
    runs: int = 10,
    directed: bool = False,
    levels: int = 1,
    group_resolution: float | None = None,
    top: int = 10,
    link_accounts: bool = False,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> CommunityRun:
    """Build the interaction network, find its Leiden communities, rank and profile them.

    See `EdgeSelection` for what makes the network (its `platform` may name several
    platforms, comma-separated, or ``all``: see `infoscope.queries.resolve_platforms`),
    `detect_communities` for the clustering parameters and `profile_communities` for the
    profiles (`top` bounds their lists). `link_accounts` clusters the linked accounts of the
    network (``account_links``) as one actor each (see the module docstring). `engine` builds
    the edges, nodes and profiles (default: the store's DuckDB); Leiden and the centralities
    run here. The result is stored in `store` as a run and returned.
    """
    say = progress or (lambda message: None)
    engine = engine or as_engine(store)
    sel = selection or EdgeSelection()
    platforms = resolve_platforms(engine.table("posts"), sel.platform, engine=engine)
    sel = replace(sel, platform=",".join(platforms))
    params = {
        **sel.as_dict(),
        "objective": objective,
        "resolution": resolution,
        "runs": runs,
        "directed": directed,
        "levels": levels,
        "group_resolution": group_resolution,
        "top": top,
        "link_accounts": link_accounts,
    }
    with engine_run(
        store, engine, COMMAND, params, seed=seed, release=(EDGES_BY_TYPE, MEMBERSHIP)
    ) as run:
        result = _analyse(store, engine, sel, run.run_id, run.parameters, seed, say)
        run.counts = result.summary
    return result


def _analyse(
    store: Store,
    engine: Engine,
    sel: EdgeSelection,
    run_id: str,
    params: dict[str, Any],
    seed: int,
    say: Callable[[str], None],
) -> CommunityRun:
    """The analysis of `run_communities`, whose clustering parameters are in `params`."""
    seconds: dict[str, float] = {}
    runs, top = params["runs"], params["top"]
    posts, accounts = engine.table("posts"), engine.table("accounts")
    # A Parquet folder may lack the labels (exported from a store without them): no labels.
    labels = engine.table("account_labels") if engine.has_table("account_labels") else None
    assert sel.platform is not None
    platforms = sel.platform.split(",")
    cross_platform = len(platforms) > 1
    shown = sel.platform.replace(",", ", ")
    if cross_platform:
        # One network of several platforms: every account reference keyed by its platform.
        posts, accounts, labels = keyed_by_platform(posts, accounts, labels, platforms)
        sel = replace(sel, platform=None)

    started = time.perf_counter()
    say(f"building {'+'.join(sel.types)} edges on {shown}")
    # The per-type edges are computed once: both the combined edges and the nodes read them.
    per_type = engine.materialize(EDGES_BY_TYPE, interaction_edges(posts, accounts, sel))
    combined = combine_edges(per_type, min_weight=sel.min_weight)
    edges = engine.to_arrow(combined.order_by(["source", "target"]))
    nodes = engine.to_arrow(network_nodes(posts, accounts, per_type, sel))
    engine.release(EDGES_BY_TYPE)
    if cross_platform:
        edges = _rekeyed(edges, "source", "target")
        nodes = _rekeyed(nodes, "account_id")
    if sel.min_weight > 1:
        kept = pa.concat_arrays(
            [edges["source"].combine_chunks(), edges["target"].combine_chunks()]
        )
        nodes = nodes.filter(pa.compute.is_in(nodes["account_id"], value_set=kept))
    seconds["edges"] = time.perf_counter() - started
    if edges.num_rows == 0:
        raise InfoscopeError(
            f"no {'/'.join(sel.types)} interactions between {shown} accounts in the "
            "selection; widen it (--types, --since/--until, --lang, --min-posts) or ingest "
            "posts that mention, reply to or share other accounts"
        )

    started = time.perf_counter()
    graph = build_graph(edges, nodes)
    names = graph.vs["name"]
    if cross_platform:
        owners = [split_node_key(name) for name in names]
    else:
        owners = [(platforms[0], name) for name in names]
    links = engine_links(engine)
    clustered, pooling = graph, None
    if params.get("link_accounts"):
        actor_of, used = link_groups(owners, links)
        clustered = pool_accounts(graph, actor_of, self_loops=sel.self_loops)
        pooling = _pooling_summary(graph, clustered, actor_of, used)
        say(
            f"linked accounts: {pooling['pooled_accounts']:,} accounts pooled into "
            f"{pooling['linked_actors']:,} actors by {len(used):,} links"
        )
    what = "actors" if pooling else "accounts"
    say(f"Leiden on {clustered.vcount():,} {what} and {clustered.ecount():,} edges ({runs} runs)")
    found = detect_communities(
        clustered,
        objective=params["objective"],
        resolution=params["resolution"],
        runs=runs,
        directed=params["directed"],
        levels=params["levels"],
        group_resolution=params["group_resolution"],
        seed=seed,
    )
    if pooling is not None:
        found = expand_communities(found, actor_of)
    seconds["leiden"] = time.perf_counter() - started

    started = time.perf_counter()
    say("ranking accounts")
    ranks = rank_accounts(graph, seed=seed)
    seconds["centrality"] = time.perf_counter() - started

    started = time.perf_counter()
    say("profiling communities")
    membership = engine.from_arrow(
        MEMBERSHIP,
        pa.table(
            {
                "account_id": pa.array(names, pa.string()),
                "community": pa.array(found.membership, pa.int64()),
            }
        ),
    )
    relational = profile_communities(
        posts, accounts, labels, membership, sel, top=top, engine=engine
    )
    engine.release(MEMBERSHIP)
    handles = [_unkeyed(h) for h in graph.vs["handle"]] if cross_platform else graph.vs["handle"]
    profiles = _graph_profiles(graph, found, ranks)
    mix = _platform_mix(owners, found.membership, graph.vs["posts"])
    # Only a store with links gives profiles their keys: without, profiles are as before.
    linked = (
        community_links(owners, found.membership, links, pooled=pooling is not None, top=top)
        if links
        else None
    )
    for p in profiles:
        p.update(relational.get(p["community"], {}))
        p["platforms"] = mix.get(p["community"], {})
        if linked is not None:
            p.update(
                linked.get(
                    p["community"],
                    {"linked_accounts": [], "links": 0, "linked_members": 0, "actors": p["size"]},
                )
            )
        if cross_platform:
            for key in ("top_by_pagerank", "top_by_in_strength", "top_by_betweenness"):
                for entry in p[key]:
                    platform, entry["account_id"] = split_node_key(entry["account_id"])
                    entry["handle"] = _unkeyed(entry["handle"])
                    entry["platform"] = platform
    seconds["profiles"] = time.perf_counter() - started

    node_rows = pa.table(
        {
            "run_id": [run_id] * len(names),
            "platform": [o[0] for o in owners],
            "account_id": [o[1] for o in owners],
            "handle": handles,
            "in_corpus": graph.vs["in_corpus"],
            "posts": graph.vs["posts"],
            "community": found.membership,
            "community_group": (
                [found.groups[c] for c in found.membership] if found.groups else [None] * len(names)
            ),
            "stability": found.stability,
            **{k: ranks[k] for k in ("pagerank", "in_strength", "out_strength", "betweenness")},
        }
    )
    edge_rows = edges.select(
        [
            "source",
            "target",
            "weight",
            "retweet",
            "quote",
            "reply",
            "mention",
            "first_at",
            "last_at",
        ]
    )
    edge_rows = edge_rows.add_column(0, "run_id", pa.array([run_id] * edges.num_rows))
    community_rows = pa.table(
        {
            "run_id": [run_id] * len(profiles),
            "community": [p["community"] for p in profiles],
            "community_group": [p["group"] for p in profiles],
            "size": [p["size"] for p in profiles],
            "profile": [json.dumps(p, default=str) for p in profiles],
        }
    )
    summary = {
        "platform": params["platform"],
        **({"platforms": platforms} if cross_platform else {}),
        "seed": seed,
        "parameters": params,
        "nodes": graph.vcount(),
        "nodes_in_corpus": int(sum(bool(v) for v in graph.vs["in_corpus"])),
        "edges": graph.ecount(),
        "weight": float(sum(graph.es["weight"])),
        "communities": found.count,
        "groups": None if found.groups is None else max(found.groups) + 1,
        "objective": found.objective,
        "resolution": found.resolution,
        "group_resolution": found.group_resolution,
        "quality": found.quality,
        "modularity": found.modularity,
        "mean_nmi": found.mean_nmi,
        "mean_stability": float(np.mean(found.stability)) if found.stability else None,
        "runs": found.runs,
        **({"account_links": pooling} if pooling is not None else {}),
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
    }
    for table, rows in (
        ("network_nodes", node_rows),
        ("network_edges", edge_rows),
        ("communities", community_rows),
    ):
        store.insert(table, rows)
    return CommunityRun(run_id, summary, profiles)


def _pooling_summary(
    graph: Any, pooled: Any, actor_of: list[int], used: list[dict[str, Any]]
) -> dict[str, Any]:
    """What `link_accounts` did, for the run's counts: the accounts pooled, the actors they
    became, the graph Leiden ran on, and every link that joined two accounts, with its
    evidence."""
    actors = np.asarray(actor_of, dtype=np.int64)
    sizes = np.bincount(actors, minlength=pooled.vcount())
    ends = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    within = int(((actors[ends[:, 0]] == actors[ends[:, 1]]) & (ends[:, 0] != ends[:, 1])).sum())
    return {
        "linked_actors": int((sizes > 1).sum()),
        "pooled_accounts": int(sizes[sizes > 1].sum()),
        "actors": pooled.vcount(),
        "actor_edges": pooled.ecount(),
        "edges_within_actors": within,
        "links": [
            {
                "platform_a": link["platform_a"],
                "account_a": link["account_a"],
                "platform_b": link["platform_b"],
                "account_b": link["account_b"],
                "method": link["method"],
                "evidence": link["evidence"],
                "note": link["note"],
            }
            for link in used
        ],
    }


def node_key_sql(store: Store, run_id: str, alias: str = "") -> str:
    """SQL of a ``network_nodes`` row's key in run `run_id`'s ``network_edges``: the account
    id, or ``platform:account_id`` in a run of several platforms."""
    row = store.con.execute(
        "SELECT json_extract_string(parameters, '$.platform') FROM runs WHERE run_id = ?",
        [run_id],
    ).fetchone()
    if row and row[0] and "," in row[0]:
        return f"({alias}platform || ':' || {alias}account_id)"
    return f"{alias}account_id"


def _rekeyed(table: pa.Table, *columns: str) -> pa.Table:
    """`table` with the node keys of `columns` as `outside_keys_by_platform` writes them."""
    for column in columns:
        i = table.schema.get_field_index(column)
        table = table.set_column(i, column, outside_keys_by_platform(table[column]))
    return table


def _unkeyed(handle: str | None) -> str | None:
    """A handle without the ``platform:`` its key gave it (see `keyed_by_platform`)."""
    return None if handle is None else split_node_key(handle)[1]


def _platform_mix(
    owners: list[tuple[str, str]], membership: list[int], posts: list[int]
) -> dict[int, dict[str, dict[str, int]]]:
    """Per community, per platform (most posts first): its accounts, posting accounts and
    posts in the selection."""
    mix: dict[int, dict[str, dict[str, int]]] = {}
    for (platform, _), community, n in zip(owners, membership, posts, strict=True):
        counts = mix.setdefault(int(community), {}).setdefault(
            platform, {"accounts": 0, "posting_accounts": 0, "posts": 0}
        )
        counts["accounts"] += 1
        counts["posting_accounts"] += int(n > 0)
        counts["posts"] += int(n)
    return {
        c: dict(sorted(per.items(), key=lambda kv: (-kv[1]["posts"], -kv[1]["accounts"], kv[0])))
        for c, per in mix.items()
    }


def _top_indices(values: np.ndarray, membership: np.ndarray, k: int) -> dict[int, list[int]]:
    """Per community, the indices of its `k` members with the largest values."""
    order = np.lexsort((-values, membership))
    out: dict[int, list[int]] = {}
    for i in order.tolist():
        c = int(membership[i])
        bucket = out.setdefault(c, [])
        if len(bucket) < k:
            bucket.append(i)
    return out


def _graph_profiles(graph: Any, found: Any, ranks: dict[str, list[float]]) -> list[dict[str, Any]]:
    membership = np.asarray(found.membership)
    count = found.count
    sizes = np.bincount(membership, minlength=count)
    ends = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    weights = np.asarray(graph.es["weight"], dtype=float)
    src, dst = membership[ends[:, 0]], membership[ends[:, 1]]
    internal = src == dst
    internal_edges = np.bincount(src[internal], minlength=count)
    internal_weight = np.bincount(src[internal], weights=weights[internal], minlength=count)
    touching = np.bincount(src, weights=weights, minlength=count) + np.bincount(
        dst, weights=weights, minlength=count
    )
    in_corpus = np.bincount(
        membership, weights=np.asarray(graph.vs["in_corpus"], dtype=float), minlength=count
    )
    stability = found.community_stability()
    names, handles = graph.vs["name"], graph.vs["handle"]
    tops = {
        key: _top_indices(np.asarray(ranks[key]), membership, TOP_ACCOUNTS)
        for key in ("pagerank", "in_strength", "betweenness")
    }
    profiles = []
    for c in range(count):
        n = int(sizes[c])
        profiles.append(
            {
                "community": c,
                "group": None if found.groups is None else found.groups[c],
                "size": n,
                "members_in_corpus": int(in_corpus[c]),
                "internal_edges": int(internal_edges[c]),
                "density": float(internal_edges[c] / (n * (n - 1))) if n > 1 else 0.0,
                "internal_weight_share": float(2 * internal_weight[c] / touching[c])
                if touching[c]
                else 0.0,
                "stability": stability[c],
                **{
                    f"top_by_{key}": [
                        {
                            "account_id": names[i],
                            "handle": handles[i],
                            key: ranks[key][i],
                        }
                        for i in idx
                    ]
                    for key, per in tops.items()
                    for idx in [per.get(c, [])]
                },
            }
        )
    return profiles


def load_communities(store: Store, run_id: str | None = None) -> CommunityRun:
    """A stored communities run (the latest completed one by default)."""
    run = store.completed_run(COMMAND, run_id)
    profiles = [
        json.loads(p)
        for (p,) in store.con.execute(
            "SELECT profile FROM communities WHERE run_id = ? ORDER BY community", [run.run_id]
        ).fetchall()
    ]
    return CommunityRun(run.run_id, run.counts, profiles)


def demo_communities(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: two levels of Leiden communities, summarised."""
    context.say("finding communities (Leiden, 10 seeded runs)")
    result = run_communities(store, levels=2, seed=context.seed)
    s = result.summary
    largest = [_community_digest(p) for p in result.profiles[:8]]
    text = "\n".join(
        [
            f"{s['nodes']:,} accounts and {s['edges']:,} interaction edges; Leiden found "
            f"{s['communities']:,} communities in {s['groups']:,} groups (modularity "
            f"{s['modularity']:.3f}); over {s['runs']} seeded runs the mean NMI between "
            f"partitions is {s['mean_nmi']:.3f}. The largest:",
            "",
            "| community | group | accounts | stability | languages | hashtags | top accounts |",
            "|---|---|---|---|---|---|---|",
            *(
                f"| {c['community']} | {c['group']} | {c['size']:,} | {c['stability']:.2f} | "
                + ", ".join(c["languages"])
                + " | "
                + ", ".join("#" + h for h in c["top_hashtags"])
                + " | "
                + ", ".join("@" + a for a in c["top_accounts"])
                + " |"
                for c in largest
            ),
        ]
    )
    data = {**{k: v for k, v in s.items() if k != "parameters"}, "largest": largest}
    return DemoStep(result, data, text)


def _community_digest(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "community": profile["community"],
        "group": profile["group"],
        "size": profile["size"],
        "stability": round(profile["stability"], 3),
        "languages": dict(list(profile.get("languages", {}).items())[:3]),
        "top_hashtags": [h for h, _ in profile.get("top_hashtags", [])[:4]],
        "top_accounts": [a["handle"] or a["account_id"] for a in profile["top_by_pagerank"][:3]],
    }
