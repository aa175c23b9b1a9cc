"""The article analyses in the report and the dashboard, as JSON-ready data (the views) and
Plotly figures (the charts): the corpus of articles by outlet with its syndication run, actors
and their relations, quoted sources, narratives over time, and propaganda technique spans
highlighted in their text.

Each analysis view reads the latest completed run of its analysis and returns None without
one; the overview (`articles_view`) returns None when the store has no articles. Articles are
not posts: the post filters do not narrow them.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from infoscope.articles.run import load_actors, load_narratives, load_quotes, load_techniques
from infoscope.report.charts import PALETTE, counts_bar, figure
from infoscope.report.filters import NO_FILTERS, Filters, records, run_info
from infoscope.store import Store

__all__ = [
    "actor_network",
    "actors_charts",
    "actors_view",
    "articles_charts",
    "articles_view",
    "narratives_charts",
    "narratives_over_time",
    "narratives_view",
    "quotes_charts",
    "quotes_view",
    "technique_counts",
    "techniques_charts",
    "techniques_view",
]


# -- views -----------------------------------------------------------------------------------


def articles_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20
) -> dict[str, Any] | None:
    """The article corpus: how many articles (main items and reposts; the secondary items of
    pages, teasers and sidebar posts, counted apart), the `top` outlets by articles (with their
    first and last publication) and the latest syndication run, if any. None when the store
    has no articles."""
    if not store.has_table("articles"):
        return None
    has_kind = store.con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'articles' "
        "AND column_name = 'item_kind'"
    ).fetchone()[0]
    main = "coalesce(item_kind, 'main') <> 'secondary'" if has_kind else "true"
    total, secondary = store.con.execute(
        f"SELECT count(*) FILTER (WHERE {main}), count(*) FILTER (WHERE NOT ({main})) FROM articles"
    ).fetchone()
    if not total:
        return None
    run_id = store.latest_run_id("articles-syndication")
    return {
        "articles": total,
        "secondary_items": secondary,
        "outlets": records(
            store.con.execute(
                "SELECT coalesce(outlet, 'unknown') AS outlet, count(*) AS articles, "
                f"min(published) AS first, max(published) AS last FROM articles WHERE {main} "
                "GROUP BY ALL ORDER BY articles DESC, outlet LIMIT ?",
                [top],
            )
        ),
        "run_id": run_id,
        "run": None if run_id is None else run_info(store, run_id),
    }


def _shown(run: Any, store: Store, **data: Any) -> dict[str, Any]:
    return {"run_id": run.run_id, "run": run_info(store, run.run_id), **data}


def actors_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20
) -> dict[str, Any] | None:
    """The latest actors run (`load_actors`): the `top` actors by mentions and the `top`
    actor pairs named in the same sentence, with their evidence sentences."""
    if store.latest_run_id("articles-actors") is None:
        return None
    run = load_actors(store, top=top)
    return _shown(run, store, top=run.top_actors, pairs=run.top_pairs)


def quotes_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20
) -> dict[str, Any] | None:
    """The latest quotes run (`load_quotes`): the `top` quoted sources (quotes, articles,
    outlets, affiliation) and the first `top` quotes."""
    if store.latest_run_id("articles-quotes") is None:
        return None
    run = load_quotes(store, top=top)
    return _shown(run, store, sources=run.sources, examples=run.examples)


def narratives_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20
) -> dict[str, Any] | None:
    """The latest narratives run (`load_narratives`): the profiles of its first `top`
    narratives (label, units per period, outlets, example sentences)."""
    if store.latest_run_id("articles-narratives") is None:
        return None
    run = load_narratives(store, top=top)
    return _shown(run, store, profiles=run.narratives)


def techniques_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20
) -> dict[str, Any] | None:
    """The latest techniques run (`load_techniques`): spans per technique, and the `top` most
    confident spans highlighted in their sentence (up to 120 characters of context on each
    side)."""
    if store.latest_run_id("articles-techniques") is None:
        return None
    run = load_techniques(store, top=top)
    return _shown(run, store, counts=run.counts, highlights=run.top)


# -- charts ----------------------------------------------------------------------------------


def articles_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The overview draws no chart."""
    return {}


def actors_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The actor network, when actors co-occur."""
    return {"actor-network": actor_network(data["pairs"], data["top"])} if data["pairs"] else {}


def quotes_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The quotes section draws no chart."""
    return {}


def narratives_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Narratives over time, when there are narratives."""
    return {"narratives": narratives_over_time(data)} if data["profiles"] else {}


def techniques_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Spans per technique, when any was found."""
    return {"techniques": technique_counts(data)} if data["counts"] else {}


def narratives_over_time(data: dict[str, Any], *, top: int = 8) -> go.Figure:
    """Units per period of the largest narratives."""
    profiles = data["profiles"][:top]
    periods = sorted({p for n in profiles for p in n["per_period"]})
    fig = figure("Narratives over time", hovermode="x unified")
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
    import random

    import igraph as ig

    names = sorted({p["actor_a"] for p in pairs} | {p["actor_b"] for p in pairs})
    hidden = {"visible": False}
    fig = figure("Actor network (co-occurrence in sentences)", height=520, xaxis=hidden,
                 yaxis=hidden, hovermode="closest")  # fmt: skip
    if not names:
        return fig
    index = {n: i for i, n in enumerate(names)}
    graph = ig.Graph(
        n=len(names), edges=[(index[p["actor_a"]], index[p["actor_b"]]) for p in pairs]
    )
    # igraph draws from Python's `random`: a generator of its own, seeded, so the same pairs
    # are always drawn the same way.
    ig.set_random_number_generator(random.Random(0))
    try:
        weights = [p["count"] for p in pairs]
        xy = graph.layout_fruchterman_reingold(weights=weights, niter=500).coords
    finally:
        ig.set_random_number_generator(random)
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
