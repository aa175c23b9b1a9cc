"""The communities analysis in the report and the dashboard: the network map and the community
profiles, as JSON-ready data (the views) and Plotly figures (the charts).

Both read the latest completed ``communities`` run and return None when there is none. The
map marks the accounts of the latest ``coordination`` run with their cluster.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

import plotly.graph_objects as go

from infoscope.report.charts import OTHER, PALETTE, figure
from infoscope.report.filters import NO_FILTERS, Filters, account_filter, run_info
from infoscope.store import Store

__all__ = [
    "MAP_COMMUNITIES",
    "communities_charts",
    "communities_view",
    "community_colour",
    "community_sizes",
    "network_charts",
    "network_figure",
    "network_view",
]

# How many communities get their own colour and legend entry on the map.
MAP_COMMUNITIES = 20


# -- views -----------------------------------------------------------------------------------


def network_view(
    store: Store,
    filters: Filters = NO_FILTERS,
    *,
    max_nodes: int = 50_000,
    max_edges: int = 20_000,
    seed: int = 0,
) -> dict[str, Any] | None:
    """The latest communities run as a map: every node with its position, community and
    influence (PageRank), and the strongest edges between shown nodes.

    Positions come from `infoscope.report.layout.community_layout` (seeded, so the same run
    draws the same map). At most `max_nodes` nodes are shown, the most influential first;
    the counts say how many were left out.
    """
    from infoscope.network.run import node_key_sql
    from infoscope.report.layout import community_layout

    run_id = store.latest_run_id("communities")
    if run_id is None:
        return None
    where, args = account_filter(store, filters, "n.")
    found = store.con.execute(
        f"""
        SELECT n.platform, n.account_id, n.handle, n.community, n.community_group, n.pagerank,
               n.posts, n.in_strength, n.out_strength, n.stability, n.in_corpus,
               {node_key_sql(store, run_id, "n.")} AS node_key
        FROM network_nodes n WHERE n.run_id = ? AND {where}
        ORDER BY n.pagerank DESC, n.account_id
        """,
        [run_id, *args],
    ).fetchall()
    total = len(found)
    layout = community_layout(store, run_id, seed=seed)
    # Edges name nodes by key (the id, or platform:id in a run of several platforms).
    keys = [r[-1] for r in found[:max_nodes]]
    nodes = [r[:-1] for r in found[:max_nodes]]
    index = {k: i for i, k in enumerate(keys)}
    edges = [
        [index[s], index[t], w]
        for s, t, w in store.con.execute(
            "SELECT source, target, weight FROM network_edges WHERE run_id = ? "
            "ORDER BY weight DESC, source, target",
            [run_id],
        ).fetchall()
        if s in index and t in index
    ][:max_edges]
    coordinated = _coordination_clusters_by_account(store)
    return {
        "run_id": run_id,
        "run": run_info(store, run_id),
        "filters": filters.as_dict(),
        "nodes_total": total,
        "nodes_shown": len(nodes),
        "edges_shown": len(edges),
        "edges_total": store.con.execute(
            "SELECT count(*) FROM network_edges WHERE run_id = ?", [run_id]
        ).fetchone()[0],
        "columns": [
            "platform",
            "account_id",
            "handle",
            "community",
            "group",
            "pagerank",
            "posts",
            "in_strength",
            "out_strength",
            "stability",
            "in_corpus",
            "x",
            "y",
            "cluster",
        ],
        "nodes": [
            [*r, *layout.get(k, (0.0, 0.0)), coordinated.get((r[0], r[1]))]
            for r, k in zip(nodes, keys, strict=True)
        ],
        "edges": edges,
    }


def _coordination_clusters_by_account(store: Store) -> dict[tuple[str, str], int]:
    """The cluster of each account of the latest coordination run (none without one)."""
    run_id = store.latest_run_id("coordination")
    if run_id is None:
        return {}
    return {
        (p, a): c
        for p, a, c in store.con.execute(
            "SELECT platform, account_id, cluster FROM coordination_accounts WHERE run_id = ?",
            [run_id],
        ).fetchall()
    }


def communities_view(store: Store, filters: Filters = NO_FILTERS) -> dict[str, Any] | None:
    """The latest communities run as `infoscope communities --json` prints it (run summary and
    every community's profile); the community filter keeps one profile."""
    from infoscope.network.run import load_communities

    run_id = store.latest_run_id("communities")
    if run_id is None:
        return None
    run = load_communities(store, run_id)
    profiles = run.profiles
    if filters.community is not None:
        profiles = [p for p in profiles if p["community"] == filters.community]
    return {
        "run_id": run.run_id,
        "filters": filters.as_dict(),
        "summary": run.summary,
        "profiles": profiles,
    }


# -- charts ----------------------------------------------------------------------------------


def network_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The map, when it has nodes."""
    return {"network": network_figure(data)} if data["nodes"] else {}


def communities_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Community sizes, when there are communities."""
    return {"community-sizes": community_sizes(data)} if data["profiles"] else {}


def community_colour(rank: int) -> str:
    """The colour of the community ranked `rank` by size (grey beyond the coloured ones)."""
    return PALETTE[rank] if rank < MAP_COMMUNITIES else OTHER


def network_figure(data: dict[str, Any]) -> dict[str, Any]:
    """The community map: WebGL markers coloured by community and sized by PageRank, with the
    strongest edges drawn faintly beneath. Hover shows the account; each marker carries
    ``[platform, account_id, handle, community, pagerank, posts, cluster]`` as custom data
    for click handlers.

    Returned as a plain Plotly figure dict: with tens of thousands of points, building and
    validating graph objects took most of the report's time, and the dict is what plotly.js
    draws anyway.
    """
    cols = {c: i for i, c in enumerate(data["columns"])}
    nodes = data["nodes"]
    fig = figure(
        f"Interaction network: {data['nodes_shown']:,} of {data['nodes_total']:,} accounts, "
        f"{data['edges_shown']:,} strongest of {data['edges_total']:,} edges",
        height=640,
        hovermode="closest",
        dragmode="pan",
        legend={"title": {"text": "community (accounts)"}, "itemsizing": "constant"},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="#fbfbfd",
    ).to_plotly_json()
    xi, yi = cols["x"], cols["y"]
    xs: list[float | None] = []
    ys: list[float | None] = []
    for s, t, _ in data["edges"]:
        xs += [nodes[s][xi], nodes[t][xi], None]
        ys += [nodes[s][yi], nodes[t][yi], None]
    traces: list[dict[str, Any]] = [
        {
            "type": "scattergl", "x": xs, "y": ys, "mode": "lines", "name": "edges",
            "line": {"width": 0.5, "color": "rgba(90,90,110,0.18)"}, "hoverinfo": "skip",
            "showlegend": False,
        }
    ]  # fmt: skip
    sizes: dict[int, int] = defaultdict(int)
    for n in nodes:
        sizes[n[cols["community"]]] += 1
    ranked = sorted(sizes, key=lambda c: (-sizes[c], c))
    rank = {c: i for i, c in enumerate(ranked)}
    top_pr = max((n[cols["pagerank"]] for n in nodes), default=1.0) or 1.0
    groups: dict[int, list[list[Any]]] = defaultdict(list)
    for n in nodes:
        groups[min(rank[n[cols["community"]]], MAP_COMMUNITIES)].append(n)
    for r in sorted(groups):
        members = groups[r]
        other = r == MAP_COMMUNITIES
        traces.append(
            {
                "type": "scattergl",
                "x": [n[xi] for n in members],
                "y": [n[yi] for n in members],
                "mode": "markers",
                "name": f"{'others' if other else ranked[r]} ({len(members):,})",
                "marker": {
                    "color": OTHER if other else community_colour(r),
                    "size": [
                        round(4 + 22 * (n[cols["pagerank"]] / top_pr) ** 0.5, 1) for n in members
                    ],
                    "line": {"width": 0},
                    "opacity": 0.85,
                },
                "customdata": [_node_data(n, cols) for n in members],
                "hovertemplate": "%{customdata[7]}<extra></extra>",
            }
        )
    fig["data"] = traces
    return fig


def _node_data(n: list[Any], cols: dict[str, int]) -> list[Any]:
    handle = n[cols["handle"]]
    cluster = n[cols["cluster"]]
    name, key = escape(handle or ""), escape(n[cols["account_id"]])
    label = (
        (f"<b>@{name}</b> ({key})" if handle else f"<b>{key}</b>")
        + f"<br>community {n[cols['community']]}<br>PageRank {n[cols['pagerank']]:.5f}"
        + f"<br>posts {n[cols['posts']]:,}"
        + ("" if cluster is None else f"<br>coordination cluster {cluster}")
    )
    return [
        n[cols["platform"]], n[cols["account_id"]], handle or "", n[cols["community"]],
        round(n[cols["pagerank"]], 7), n[cols["posts"]], "" if cluster is None else cluster,
        label,
    ]  # fmt: skip


def community_sizes(data: dict[str, Any], *, top: int = 30) -> go.Figure:
    """Community sizes with their stability across seeded runs."""
    profiles = sorted(data["profiles"], key=lambda p: -p["size"])[:top]
    fig = figure("Largest communities: size and stability", height=320)
    fig.add_trace(
        go.Bar(
            x=[str(p["community"]) for p in profiles],
            y=[p["size"] for p in profiles],
            marker_color=[community_colour(i) for i in range(len(profiles))],
            customdata=[[p["stability"], p.get("group")] for p in profiles],
            hovertemplate="community %{x}: %{y:,} accounts<br>stability %{customdata[0]:.2f}"
            "<br>group %{customdata[1]}<extra></extra>",
        )
    )
    fig.update_xaxes(title="community", type="category")
    fig.update_yaxes(title="accounts")
    return fig
