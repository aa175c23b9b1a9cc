"""The language analyses in the report and the dashboard: lexical signatures (keyness),
resonance and monitoring by place and period, as JSON-ready data (the views) and Plotly
figures (the charts).

Each view reads the latest completed run of its analysis (signatures: every stored
signature) and returns None when there is none.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import plotly.graph_objects as go

from infoscope.report.charts import PALETTE, UNKNOWN, figure
from infoscope.report.filters import NO_FILTERS, Filters, account_filter, loads, records, run_info
from infoscope.store import Store

__all__ = [
    "keyness",
    "monitor_charts",
    "monitor_heatmap",
    "monitor_lines",
    "monitor_view",
    "resonance_charts",
    "resonance_periods",
    "resonance_view",
    "signatures_charts",
    "signatures_view",
]


# -- views -----------------------------------------------------------------------------------


def signatures_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 25
) -> list[dict[str, Any]] | None:
    """Every stored signature (the current version of each name, latest first) with its
    parameters, counts and `top` key terms (largest weight first) with their effect sizes and
    counts; None when there is none. Signatures are learned from groups, so the filters do not
    narrow them."""
    from infoscope.language.signature import list_signatures

    current = [r["signature_id"] for r in list_signatures(store)]
    found = records(
        store.con.execute(
            "SELECT signature_id, name, run_id, created_at, parameters, counts FROM signatures "
            "WHERE list_contains(?, signature_id) ORDER BY created_at DESC",
            [current],
        )
    )
    for sig in found:
        sig["parameters"] = loads(sig["parameters"])
        sig["counts"] = loads(sig["counts"])
        sig["terms"] = records(
            store.con.execute(
                "SELECT * EXCLUDE (signature_id, run_id) FROM signature_terms "
                "WHERE signature_id = ? "
                "ORDER BY weight DESC, term LIMIT ?",
                [sig["signature_id"], top],
            )
        )
    return found or None


def resonance_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 25
) -> dict[str, Any] | None:
    """The latest resonance run: its summary (held-out precision, recall, threshold), the
    resonant share of scored accounts per period, and the most resonant accounts with the terms
    behind their scores. Account filters narrow all three; dates narrow the periods."""
    run_id = store.latest_run_id("resonance")
    if run_id is None:
        return None
    run = run_info(store, run_id)
    where, args = account_filter(store, filters, "r.")
    period_where = ""
    period_args: list[Any] = []
    if filters.since is not None:
        period_where += " AND r.period >= ?"
        period_args.append(filters.since.date())
    if filters.until_exclusive is not None:
        period_where += " AND r.period < ?"
        period_args.append(filters.until_exclusive.date())
    overall = store.con.execute(
        f"SELECT count(*) FILTER (r.probability IS NOT NULL), count(*) FILTER (resonant) "
        f"FROM resonance_scores r "
        f"WHERE r.run_id = ? AND r.period IS NULL AND {where}",
        [run_id, *args],
    ).fetchone()
    periods = records(
        store.con.execute(
            f"""
            SELECT r.period, count(*) AS scored, count(*) FILTER (resonant) AS resonant,
                   count(*) FILTER (resonant) / count(*) AS share
            FROM resonance_scores r
            WHERE r.run_id = ? AND r.period IS NOT NULL AND r.probability IS NOT NULL
              AND {where}{period_where}
            GROUP BY r.period ORDER BY r.period
            """,
            [run_id, *args, *period_args],
        )
    )
    leaders = records(
        store.con.execute(
            f"""
            SELECT r.platform, r.account_id, a.handle, r.score, r.probability, r.tokens,
                   r.top_terms
            FROM resonance_scores r
            LEFT JOIN accounts a ON a.platform = r.platform AND a.account_id = r.account_id
            WHERE r.run_id = ? AND r.period IS NULL AND r.resonant AND {where}
            ORDER BY r.probability DESC, r.score DESC, r.account_id LIMIT ?
            """,
            [run_id, *args, top],
        )
    )
    for row in leaders:
        row["top_terms"] = loads(row["top_terms"])
    return {
        "run_id": run_id,
        "run": run,
        "filters": filters.as_dict(),
        "summary": run["counts"],
        "scored_accounts": overall[0],
        "resonant_accounts": overall[1],
        "periods": periods,
        "top": leaders,
    }


def monitor_view(store: Store, filters: Filters = NO_FILTERS) -> dict[str, Any] | None:
    """The latest monitor run: prevalence of resonant accounts per place and period with
    confidence intervals, unknown-location share and growth alerts. The region filter keeps
    its place; dates keep the periods in range."""
    run_id = store.latest_run_id("monitor")
    if run_id is None:
        return None
    clauses: list[str] = ["run_id = ?"]
    args: list[Any] = [run_id]
    if filters.region:
        clauses.append("upper(place) = upper(?)")
        args.append(filters.region)
    if filters.since is not None:
        clauses.append("period >= ?")
        args.append(filters.since.date())
    if filters.until_exclusive is not None:
        clauses.append("period < ?")
        args.append(filters.until_exclusive.date())
    cells = records(
        store.con.execute(
            f"SELECT * EXCLUDE (run_id) FROM monitor_cells WHERE {' AND '.join(clauses)} "
            "ORDER BY place, period",
            args,
        )
    )
    run = run_info(store, run_id)
    return {
        "run_id": run_id,
        "run": run,
        "filters": filters.as_dict(),
        "summary": run["counts"],
        "cells": cells,
        "alerts": [c for c in cells if c["alert"]],
    }


# -- charts ----------------------------------------------------------------------------------


def signatures_charts(data: list[dict[str, Any]]) -> dict[str, Any]:
    """The key terms of each signature that has any, as ``keyness-<index>``."""
    return {f"keyness-{i}": keyness(sig) for i, sig in enumerate(data) if sig["terms"]}


def resonance_charts(data: dict[str, Any]) -> dict[str, Any]:
    """The resonant share per period, when the run scored periods."""
    return {"resonance-periods": resonance_periods(data)} if data["periods"] else {}


def monitor_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Prevalence as a place-by-period grid and as lines, when any cell matches."""
    if not data["cells"]:
        return {}
    return {"monitor-heatmap": monitor_heatmap(data), "monitor-lines": monitor_lines(data)}


def keyness(signature: dict[str, Any]) -> go.Figure:
    """A signature's key terms: weight, with the z-score, log ratio and counts on hover."""
    terms = signature["terms"][::-1]
    fig = figure(
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
    fig = figure("Resonant share of scored accounts per period", hovermode="x unified")
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
    fig = figure(
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
    fig = figure("Prevalence over time (top places) and unknown-location share", hovermode="x")
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
