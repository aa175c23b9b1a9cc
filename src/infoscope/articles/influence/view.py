"""The influence graph in the report and the dashboard: the graph drawn (nodes placed by
community with the network map's layout and colours, directed edges coloured by kind), its
central nodes, expert circuits, and "who does what to whom" over time with the sentences
behind each edge."""

from __future__ import annotations

from html import escape
from typing import Any

from infoscope.report.filters import NO_FILTERS, Filters, run_info
from infoscope.store import Store

__all__ = ["EDGE_COLOURS", "influence_charts", "influence_figure", "influence_view"]

EDGE_COLOURS = {
    "event": "#c0392b",
    "quotes": "#2471a3",
    "reposts": "#7d3c98",
    "shares": "#a569bd",
    "channel": "#229954",
}
_SYMBOLS = {
    "actor": "circle", "source": "diamond", "outlet": "square", "account": "triangle-up",
    "article": "star",
}  # fmt: skip


def influence_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20, influence_nodes: int = 300
) -> dict[str, Any] | None:
    """The latest influence run: the `influence_nodes` most central nodes placed for drawing (seeded
    layout) with the edges between them, and `load_influence`'s central nodes, edges with
    evidence, communities and circuits; None without a run. Articles are not posts: the post
    filters do not narrow them."""
    from infoscope.articles.influence.run import load_influence
    from infoscope.report.layout import layout_communities

    run_id = store.latest_run_id("articles-influence")
    if run_id is None:
        return None
    result = load_influence(store, run_id, top=top)
    nodes = store.con.execute(
        "SELECT node, kind, label, community, pagerank FROM influence_nodes WHERE run_id = ? "
        "ORDER BY pagerank DESC, node",
        [run_id],
    ).fetchall()
    total = len(nodes)
    nodes = nodes[:influence_nodes]
    index = {n[0]: i for i, n in enumerate(nodes)}
    edges = [
        e
        for e in store.con.execute(
            "SELECT source, target, kind, coalesce(quad_class, ''), weight FROM influence_edges "
            "WHERE run_id = ? ORDER BY weight DESC, source, target, kind",
            [run_id],
        ).fetchall()
        if e[0] in index and e[1] in index
    ]
    layout = layout_communities(
        [(n[0], n[3]) for n in nodes], [(e[0], e[1], float(e[4])) for e in edges], seed=0
    )
    return {
        "run_id": run_id,
        "run": run_info(store, run_id),
        "summary": result.summary,
        "nodes_total": total,
        "columns": ["node", "kind", "label", "community", "pagerank", "x", "y"],
        "nodes": [[*n, *layout.get(n[0], (0.0, 0.0))] for n in nodes],
        "edges": [[index[s], index[t], k, q, w] for s, t, k, q, w in edges],
        "central": result.central,
        "top_edges": result.edges,
        "communities": result.communities,
        "circuits": result.circuits,
    }


def influence_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The graph, when it has nodes."""
    return {"influence": influence_figure(data)} if data["nodes"] else {}


def influence_figure(data: dict[str, Any]) -> dict[str, Any]:
    """The influence graph as a Plotly figure dict (SVG: the graph is small): nodes coloured
    by community (`infoscope.network.view.community_colour`), shaped by kind and sized by
    PageRank; one arrow per directed edge coloured by kind, hover on the nodes."""
    from infoscope.network.view import community_colour
    from infoscope.report.charts import figure

    nodes = data["nodes"]
    fig = figure(
        f"Influence graph: {len(nodes):,} of {data['nodes_total']:,} nodes, "
        f"{len(data['edges']):,} edges",
        height=560,
        hovermode="closest",
        dragmode="pan",
        legend={"title": {"text": "node kind / edge kind"}, "itemsizing": "constant"},
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x"},
        plot_bgcolor="#fbfbfd",
    ).to_plotly_json()
    traces: list[dict[str, Any]] = []
    arrows: list[dict[str, Any]] = []
    for kind, colour in EDGE_COLOURS.items():
        xs: list[float | None] = []
        ys: list[float | None] = []
        for s, t, k, _, w in data["edges"]:
            if k != kind:
                continue
            (x0, y0), (x1, y1) = nodes[s][5:7], nodes[t][5:7]
            xs += [x0, x1, None]
            ys += [y0, y1, None]
            arrows.append(
                {
                    "x": x1, "y": y1, "ax": x0, "ay": y0, "xref": "x", "yref": "y",
                    "axref": "x", "ayref": "y", "showarrow": True, "arrowhead": 2,
                    "arrowsize": 1, "arrowwidth": min(1 + w / 2, 4), "arrowcolor": colour,
                    "standoff": 6, "text": "", "opacity": 0.7,
                }
            )  # fmt: skip
        if xs:
            traces.append(
                {
                    "type": "scatter", "x": xs, "y": ys, "mode": "lines", "name": f"{kind} edges",
                    "line": {"width": 1, "color": colour}, "hoverinfo": "skip", "opacity": 0.5,
                }
            )  # fmt: skip
    top_pr = max((n[4] for n in nodes), default=1.0) or 1.0
    for kind, symbol in _SYMBOLS.items():
        members = [n for n in nodes if n[1] == kind]
        if not members:
            continue
        traces.append(
            {
                "type": "scatter",
                "x": [n[5] for n in members],
                "y": [n[6] for n in members],
                "mode": "markers+text",
                "name": kind,
                "text": [n[2] if len(n[2]) <= 24 else n[2][:23] + "…" for n in members],
                "textposition": "top center",
                "textfont": {"size": 10},
                "marker": {
                    "symbol": symbol,
                    "color": [community_colour(n[3]) for n in members],
                    "size": [round(8 + 20 * (n[4] / top_pr) ** 0.5, 1) for n in members],
                    "line": {"width": 1, "color": "#333"},
                },
                "customdata": [
                    f"<b>{escape(n[2])}</b> ({kind})<br>community {n[3]}<br>PageRank {n[4]:.4f}"
                    for n in members
                ],
                "hovertemplate": "%{customdata}<extra></extra>",
            }
        )
    fig["data"] = traces
    fig["layout"]["annotations"] = arrows
    return fig
