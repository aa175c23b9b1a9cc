"""Plotly figures drawn from the views' data (`infoscope.report.views`).

Every function takes a view's dict and returns a `plotly.graph_objects.Figure`; the report
embeds them into one file with plotly.js from the installed package, the dashboard serves
plotly.js from the same package, so nothing is fetched from the network.
"""

from __future__ import annotations

from collections import defaultdict
from html import escape
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

# Colours for communities (the largest first) and for kinds of posts.
PALETTE = qualitative.Dark24 + qualitative.Light24
OTHER = "#b0b0b0"
UNKNOWN = "#9e9e9e"
LAYOUT = {
    "template": "plotly_white",
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    "hoverlabel": {"align": "left"},
}
# How many communities get their own colour and legend entry on the map.
MAP_COMMUNITIES = 20


def _figure(title: str, height: int = 340, **layout: Any) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(title={"text": title, "x": 0, "font": {"size": 14}}, height=height)
    fig.update_layout(**LAYOUT)
    fig.update_layout(**layout)
    return fig


def volume(overview: dict[str, Any]) -> go.Figure:
    """Posts per day, stacked by kind (original, retweet, reply, quote)."""
    by_kind: dict[str, dict[str, int]] = defaultdict(dict)
    days = sorted({r["day"] for r in overview["by_day"]})
    for r in overview["by_day"]:
        by_kind[r["kind"] or "unknown"][r["day"]] = r["posts"]
    fig = _figure("Posts per day, by kind", hovermode="x unified")
    for kind in sorted(by_kind, key=lambda k: -sum(by_kind[k].values())):
        fig.add_trace(
            go.Scatter(
                x=days,
                y=[by_kind[kind].get(d, 0) for d in days],
                name=kind,
                stackgroup="kinds",
                mode="lines",
                line={"width": 0.5},
            )
        )
    fig.update_yaxes(title="posts")
    return fig


def counts_bar(counts: dict[str, int], title: str, *, top: int = 15, name: str = "") -> go.Figure:
    """A horizontal bar per key (largest on top)."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top][::-1]
    fig = _figure(title, height=max(200, 60 + 22 * len(items)))
    fig.add_trace(
        go.Bar(
            x=[v for _, v in items],
            y=[k if k not in ("None", "") else "(none)" for k, _ in items],
            orientation="h",
            marker_color=[
                UNKNOWN if k in ("None", "unknown", "und") else PALETTE[0] for k, _ in items
            ],
            hovertemplate="%{y}: %{x:,} " + name + "<extra></extra>",
        )
    )
    fig.update_layout(margin={"l": 110})
    return fig


def community_colour(rank: int) -> str:
    return PALETTE[rank] if rank < MAP_COMMUNITIES else OTHER


def network(data: dict[str, Any]) -> dict[str, Any]:
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
    fig = _figure(
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
    fig = _figure("Largest communities: size and stability", height=320)
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


def keyness(signature: dict[str, Any]) -> go.Figure:
    """A signature's key terms: weight, with the z-score, log ratio and counts on hover."""
    terms = signature["terms"][::-1]
    fig = _figure(
        f"Signature {signature['name']}: top {len(terms)} key terms",
        height=max(260, 60 + 20 * len(terms)),
    )
    fig.add_trace(
        go.Bar(
            x=[t["weight"] for t in terms],
            y=[t["term"] for t in terms],
            orientation="h",
            marker_color=PALETTE[1],
            customdata=[
                [
                    t["z"],
                    t["log_ratio"],
                    t["target_count"],
                    t["reference_count"],
                    t["target_accounts"],
                    t["reference_accounts"],
                ]
                for t in terms
            ],
            hovertemplate="<b>%{y}</b><br>weight %{x:.3f}<br>z %{customdata[0]:.1f}, "
            "log ratio %{customdata[1]:.2f}<br>used %{customdata[2]:,} times by "
            "%{customdata[4]:,} target accounts<br>%{customdata[3]:,} times by "
            "%{customdata[5]:,} reference accounts<extra></extra>",
        )
    )
    fig.update_layout(margin={"l": 150})
    fig.update_xaxes(title="weight (log-odds with informative prior)")
    return fig


def resonance_periods(data: dict[str, Any]) -> go.Figure:
    """Share of scored accounts that are resonant, per period, with the scored counts."""
    periods = data["periods"]
    fig = _figure("Resonant share of scored accounts per period", hovermode="x unified")
    fig.add_trace(
        go.Scatter(
            x=[p["period"] for p in periods],
            y=[p["share"] for p in periods],
            mode="lines+markers",
            name="resonant share",
            customdata=[[p["resonant"], p["scored"]] for p in periods],
            hovertemplate="%{y:.1%} (%{customdata[0]:,} of %{customdata[1]:,})",
        )
    )
    fig.update_yaxes(tickformat=".1%", rangemode="tozero")
    return fig


def places(data: dict[str, Any], *, top: int = 20) -> go.Figure:
    """Accounts per country; accounts with no place are shown as `unknown`, in grey."""
    return counts_bar(
        {r["country"]: r["accounts"] for r in data["countries"]},
        f"Accounts by country ({data['unknown_share']:.0%} unknown)"
        if data["unknown_share"] is not None
        else "Accounts by country",
        top=top,
        name="accounts",
    )


def monitor_heatmap(data: dict[str, Any], *, top: int = 25) -> go.Figure:
    """Prevalence of resonant accounts per place and period: a place-by-period grid, the
    choropleth-like view that needs no map tiles; hover gives the interval and counts."""
    cells = data["cells"]
    weight: dict[str, int] = defaultdict(int)
    for c in cells:
        weight[c["place"]] += c["accounts"]
    shown = sorted(weight, key=lambda p: (-weight[p], p))[:top][::-1]
    periods = sorted({c["period"] for c in cells})
    grid = {(c["place"], c["period"]): c for c in cells}
    z, text = [], []
    for place in shown:
        z.append([grid[(place, p)]["prevalence"] if (place, p) in grid else None for p in periods])
        text.append(
            [
                f"{grid[(place, p)]['resonant']:,} of {grid[(place, p)]['accounts']:,} accounts; "
                f"95% CI {grid[(place, p)]['ci_low']:.1%} to {grid[(place, p)]['ci_high']:.1%}"
                + (f"; alert: {grid[(place, p)]['alert']}" if grid[(place, p)]["alert"] else "")
                if (place, p) in grid
                else "too few located accounts"
                for p in periods
            ]
        )
    fig = _figure(
        "Prevalence of resonant accounts by place and period",
        height=max(260, 90 + 24 * len(shown)),
    )
    fig.add_trace(
        go.Heatmap(
            z=z, x=periods, y=shown, text=text, colorscale="Reds", zmin=0,
            colorbar={"title": {"text": "prevalence"}, "tickformat": ".0%"},
            hovertemplate="%{y}, %{x}: %{z:.1%}<br>%{text}<extra></extra>",
        )
    )  # fmt: skip
    fig.update_yaxes(type="category")
    return fig


def monitor_lines(data: dict[str, Any], *, top: int = 6) -> go.Figure:
    """Prevalence over time in the places with most located accounts, with the share of
    accounts whose place is unknown (dashed, grey) so a trend is read with its coverage."""
    cells = data["cells"]
    weight: dict[str, int] = defaultdict(int)
    for c in cells:
        weight[c["place"]] += c["accounts"]
    fig = _figure("Prevalence over time (top places) and unknown-location share", hovermode="x")
    for i, place in enumerate(sorted(weight, key=lambda p: (-weight[p], p))[:top]):
        rows = [c for c in cells if c["place"] == place]
        fig.add_trace(
            go.Scatter(
                x=[c["period"] for c in rows],
                y=[c["prevalence"] for c in rows],
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": [c["ci_high"] - c["prevalence"] for c in rows],
                    "arrayminus": [c["prevalence"] - c["ci_low"] for c in rows],
                    "thickness": 1,
                },
                mode="lines+markers",
                name=place,
                line={"color": PALETTE[i]},
            )
        )
    unknown: dict[str, float] = {}
    for c in cells:
        unknown[c["period"]] = c["unknown_share"]
    fig.add_trace(
        go.Scatter(
            x=sorted(unknown),
            y=[unknown[p] for p in sorted(unknown)],
            mode="lines",
            name="unknown location (share of accounts)",
            line={"color": UNKNOWN, "dash": "dash"},
        )
    )
    fig.update_yaxes(tickformat=".0%", rangemode="tozero")
    return fig


def coordination_traces(data: dict[str, Any]) -> go.Figure:
    """Candidate and kept account pairs per trace (the null model's filter)."""
    traces = data["summary"].get("traces", {})
    names = sorted(traces)
    fig = _figure("Account pairs per trace: candidates and kept by the null model", barmode="group")
    candidates = [traces[n].get("candidate_pairs", 0) for n in names]
    fig.add_trace(go.Bar(x=names, y=candidates, name="candidate pairs", marker_color=OTHER))
    fig.add_trace(
        go.Bar(x=names, y=[traces[n].get("kept_pairs", 0) for n in names], name="kept pairs",
               marker_color=PALETTE[3])
    )  # fmt: skip
    fig.update_yaxes(type="log", dtick=1, title="pairs (log scale)")
    return fig


def cluster_activity(profile: dict[str, Any]) -> go.Figure:
    """One coordination cluster's posts per day and per hour of day (UTC)."""
    from plotly.subplots import make_subplots

    titles = ("posts per day", "posts per hour of day (UTC)")
    fig = make_subplots(rows=1, cols=2, column_widths=[0.65, 0.35], subplot_titles=titles)
    days = profile.get("per_day", [])
    fig.add_trace(
        go.Bar(x=[d for d, _ in days], y=[n for _, n in days], marker_color=PALETTE[3],
               name="per day", showlegend=False),
        row=1, col=1,
    )  # fmt: skip
    hours = profile.get("per_hour", [])
    fig.add_trace(
        go.Bar(x=list(range(len(hours))), y=hours, marker_color=PALETTE[4], name="per hour",
               showlegend=False),
        row=1, col=2,
    )  # fmt: skip
    fig.update_layout(**LAYOUT)
    fig.update_layout(height=220, margin={"l": 40, "r": 10, "t": 30, "b": 30})
    return fig


def authenticity_flags(data: dict[str, Any]) -> go.Figure:
    """Accounts per flag, one colour per family (automation, amplification, persona)."""
    fig = _figure("Accounts per flag", height=max(240, 80 + 24 * len(data["flags"])))
    colours = {"automation": PALETTE[3], "amplification": PALETTE[4], "persona": PALETTE[6]}
    for family in ("automation", "amplification", "persona"):
        rows = [r for r in data["flags"] if r["family"] == family][::-1]
        if rows:
            fig.add_trace(
                go.Bar(
                    x=[r["accounts"] for r in rows],
                    y=[r["flag"] for r in rows],
                    orientation="h",
                    name=family,
                    marker_color=colours[family],
                    hovertemplate="%{y}: %{x:,} accounts<extra>" + family + "</extra>",
                )
            )
    fig.update_layout(margin={"l": 140})
    return fig


def profile_histogram(data: dict[str, Any]) -> go.Figure:
    """How the profile model's calibrated probabilities spread over the scored accounts."""
    bins = data["profile_histogram"]
    fig = _figure("Profile model probability of scored accounts (see the note)", height=260)
    fig.add_trace(
        go.Bar(
            x=[f"{b['bin']:.1f}–{b['bin'] + 0.1:.1f}" for b in bins],
            y=[b["accounts"] for b in bins],
            marker_color=PALETTE[0],
            hovertemplate="probability %{x}: %{y:,} accounts<extra></extra>",
        )
    )
    fig.update_xaxes(title="probability", type="category")
    fig.update_yaxes(title="accounts")
    return fig


def narratives_over_time(data: dict[str, Any], *, top: int = 8) -> go.Figure:
    """Units per period of the largest narratives."""
    profiles = data["profiles"][:top]
    periods = sorted({p for n in profiles for p in n["per_period"]})
    fig = _figure("Narratives over time", hovermode="x unified")
    for i, n in enumerate(profiles):
        fig.add_trace(
            go.Scatter(
                x=periods, y=[n["per_period"].get(p, 0) for p in periods], mode="lines+markers",
                name=f"#{n['narrative']} {n['label']}", line={"color": PALETTE[i]},
            )
        )  # fmt: skip
    fig.update_yaxes(title="sentences", rangemode="tozero")
    return fig


def actor_network(pairs: list[dict[str, Any]], actors: list[dict[str, Any]]) -> go.Figure:
    """Actors placed by a force-directed layout of their co-occurrence (sentence level),
    sized by mentions; edges weighted by count, NPMI on hover."""
    import igraph as ig

    names = sorted({p["actor_a"] for p in pairs} | {p["actor_b"] for p in pairs})
    hidden = {"visible": False}
    fig = _figure("Actor network (co-occurrence in sentences)", height=520, xaxis=hidden,
                  yaxis=hidden, hovermode="closest")  # fmt: skip
    if not names:
        return fig
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(
        n=len(names), edges=[(index[p["actor_a"]], index[p["actor_b"]]) for p in pairs]
    )
    import random

    random.seed(0)
    xy = graph.layout_fruchterman_reingold(weights=[p["count"] for p in pairs], niter=500).coords
    for p in pairs:
        a, b = xy[index[p["actor_a"]]], xy[index[p["actor_b"]]]
        fig.add_trace(
            go.Scatter(
                x=[a[0], b[0]], y=[a[1], b[1]], mode="lines", showlegend=False,
                line={"width": 1 + 4 * p["count"] / max(q["count"] for q in pairs),
                      "color": "rgba(90,90,110,0.35)"},
                hoverinfo="skip",
            )
        )  # fmt: skip
    mentions = {a["actor"]: a["mentions"] for a in actors}
    kinds = {a["actor"]: a.get("kind") for a in actors}
    top = max(mentions.values(), default=1) or 1
    fig.add_trace(
        go.Scatter(
            x=[xy[index[n]][0] for n in names], y=[xy[index[n]][1] for n in names],
            mode="markers+text", text=names, textposition="top center", showlegend=False,
            marker={"size": [8 + 30 * (mentions.get(n, 0) / top) ** 0.5 for n in names],
                    "color": [PALETTE[0] if kinds.get(n) == "state" else PALETTE[3]
                              if kinds.get(n) == "person" else PALETTE[4] for n in names]},
            customdata=[[mentions.get(n, 0), kinds.get(n) or ""] for n in names],
            hovertemplate="%{text} (%{customdata[1]}): %{customdata[0]:,} mentions<extra></extra>",
        )
    )  # fmt: skip
    return fig


def technique_counts(data: dict[str, Any]) -> go.Figure:
    """Technique spans found, per technique."""
    return counts_bar(
        {r["technique"]: r["spans"] for r in data["counts"]}, "Propaganda technique spans",
        top=20, name="spans",
    )  # fmt: skip
