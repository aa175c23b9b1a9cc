"""The charts every page shares: the look of a figure (`figure`, `LAYOUT`, the colours), a
bar chart of counts, and the corpus overview's charts (`overview_charts`).

Each analysis draws its own section's charts in its package (``infoscope.<package>.view``)
with these helpers: a section's ``charts(data)`` returns ``{chart key: figure}`` and
`infoscope.report.render` turns each figure into a ``<div id="chart-<key>">``. The report
embeds plotly.js from the installed package, the dashboard serves it from the same package,
so nothing is fetched from the network.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import plotly.graph_objects as go
from plotly.colors import qualitative

__all__ = [
    "LAYOUT",
    "OTHER",
    "PALETTE",
    "UNKNOWN",
    "counts_bar",
    "figure",
    "overview_charts",
    "volume",
]

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


def figure(title: str, height: int = 340, **layout: Any) -> go.Figure:
    """An empty figure with the shared look, titled `title`, `height` pixels high."""
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
    fig = figure("Posts per day, by kind", hovermode="x unified")
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
    fig = figure(title, height=max(200, 60 + 22 * len(items)))
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


def overview_charts(overview: dict[str, Any]) -> dict[str, Any]:
    """The corpus overview's charts: posts per day by kind, and posts by language, platform
    and kind (none when no post matches)."""
    if not overview["posts"]:
        return {}
    return {
        "volume": volume(overview),
        "languages": counts_bar(overview["by_language"], "Posts by language", name="posts"),
        "platforms": counts_bar(overview["by_platform"], "Posts by platform", name="posts"),
        "kinds": counts_bar(overview["by_kind"], "Posts by kind", name="posts"),
    }
