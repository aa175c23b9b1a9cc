"""The coordination analysis in the report and the dashboard: clusters of coordinated accounts
with their profiles (platform mix, traces named with their object type and platforms, linked
accounts) and the evidence behind their strongest edges, as JSON-ready data (the view) and
Plotly figures (the charts). The view reads the latest completed ``coordination`` run and
returns None without one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import plotly.graph_objects as go

from infoscope.report.charts import LAYOUT, OTHER, PALETTE, figure
from infoscope.report.filters import (
    NO_FILTERS,
    Filters,
    account_filter,
    post_texts,
    records,
    run_info,
)
from infoscope.store import Store

__all__ = [
    "cluster_activity",
    "cluster_edges",
    "coordination_charts",
    "coordination_traces",
    "coordination_view",
    "evidence_rows",
]


# -- view ------------------------------------------------------------------------------------


def coordination_view(
    store: Store,
    filters: Filters = NO_FILTERS,
    *,
    clusters: int = 25,
    edges: int = 15,
    evidence: int = 5,
) -> dict[str, Any] | None:
    """The latest coordination run: its summary per trace and the largest `clusters`
    clusters, each with its profile and its `edges` strongest edges, every edge with
    `evidence` rows (shared object, both posts with their text and time, the gap).

    Account filters keep the clusters with at least one matching member; dates keep the
    clusters active in the range.
    """
    from infoscope.coordination.run import load_coordination
    from infoscope.coordination.traces import platforms_text

    run_id = store.latest_run_id("coordination")
    if run_id is None:
        return None
    run = load_coordination(store, run_id)
    profiles = run.clusters
    if filters.accounts_filtered:
        where, args = account_filter(store, filters)
        keep = {
            r[0]
            for r in store.con.execute(
                f"SELECT DISTINCT cluster FROM coordination_accounts WHERE run_id = ? AND {where}",
                [run_id, *args],
            ).fetchall()
        }
        profiles = [p for p in profiles if p["cluster"] in keep]
    if filters.since is not None:
        start = filters.since
        profiles = [
            p for p in profiles if p["last_at"] and datetime.fromisoformat(p["last_at"]) >= start
        ]
    if filters.until_exclusive is not None:
        cut = filters.until_exclusive
        profiles = [
            p for p in profiles if p["first_at"] and datetime.fromisoformat(p["first_at"]) < cut
        ]
    shown = []
    platform = run.summary.get("platform")
    platforms = run.summary.get("platforms") or [platform]
    for profile in profiles[:clusters]:
        shown.append(
            {
                **profile,
                "evidence_edges": cluster_edges(
                    store, run_id, profile["cluster"], platform, limit=edges, evidence=evidence
                ),
            }
        )
    return {
        "run_id": run_id,
        "run": run_info(store, run_id),
        "filters": filters.as_dict(),
        "platforms_text": platforms_text(platforms),
        "summary": run.summary,
        "clusters_total": len(run.clusters),
        "clusters_matching": len(profiles),
        "clusters": shown,
    }


def cluster_edges(
    store: Store,
    run_id: str,
    cluster: int,
    platform: str | None,
    *,
    limit: int = 15,
    evidence: int = 5,
) -> list[dict[str, Any]]:
    """The strongest (smallest p-value) edges inside one cluster, each with its evidence rows
    and the text of both posts; accounts are named by key, with their platform and id."""
    from infoscope.coordination.tables import key_columns

    key = key_columns(store)[0]
    found = records(
        store.con.execute(
            f"""
            SELECT e.trace, e.account_a, a.handle AS handle_a, a.platform AS platform_a,
                   a.account_id AS id_a, e.account_b, b.handle AS handle_b,
                   b.platform AS platform_b, b.account_id AS id_b,
                   e.objects, e.co_actions, e.expected, e.p_value, e.q_value, e.similarity,
                   e.median_gap_s, e.first_at, e.last_at
            FROM coordination_edges e
            JOIN coordination_accounts a ON a.run_id = e.run_id AND a.{key} = e.account_a
            JOIN coordination_accounts b ON b.run_id = e.run_id AND b.{key} = e.account_b
            WHERE e.run_id = ? AND a.cluster = ? AND b.cluster = ?
            ORDER BY e.p_value, e.objects DESC, e.trace, e.account_a, e.account_b
            LIMIT ?
            """,
            [run_id, cluster, cluster, limit],
        )
    )
    rows = evidence_rows(store, run_id, found, platform, limit=evidence)
    for edge in found:
        edge["evidence"] = rows.get((edge["trace"], edge["account_a"], edge["account_b"]), [])
    return found


def evidence_rows(
    store: Store,
    run_id: str,
    edges: list[dict[str, Any]],
    platform: str | None,
    *,
    limit: int = 5,
) -> dict[tuple[str, str, str], list[dict[str, Any]]]:
    """The first `limit` shared objects behind each of `edges` (dicts with trace, account_a,
    account_b), with both posts' platform, text and times, keyed by (trace, account_a,
    account_b). `platform` is the run's, for evidence stored before rows named theirs.

    One query for the evidence of all edges and one for the texts: a query per edge took
    6 s for a report's 375 edges at 1M posts."""
    if not edges:
        return {}
    from infoscope.coordination.tables import key_columns

    _, platform_a, platform_b = key_columns(store, "v.")
    found = records(
        store.con.execute(
            f"""
            SELECT v.trace, v.account_a, v.account_b, v.object_id,
                   coalesce({platform_a}, ?) AS platform_a, v.post_a, v.at_a,
                   coalesce({platform_b}, ?) AS platform_b, v.post_b, v.at_b, v.gap_s
            FROM coordination_evidence v
            SEMI JOIN (
              SELECT unnest(?::VARCHAR[]) AS trace, unnest(?::VARCHAR[]) AS account_a,
                     unnest(?::VARCHAR[]) AS account_b
            ) c ON c.trace = v.trace AND c.account_a = v.account_a AND c.account_b = v.account_b
            WHERE v.run_id = ?
            QUALIFY row_number() OVER (
              PARTITION BY v.trace, v.account_a, v.account_b ORDER BY v.at_a, v.object_id
            ) <= ?
            ORDER BY v.trace, v.account_a, v.account_b, v.at_a, v.object_id
            """,
            [
                platform, platform, [e["trace"] for e in edges], [e["account_a"] for e in edges],
                [e["account_b"] for e in edges], run_id, limit,
            ],
        )
    )  # fmt: skip
    wanted: dict[str, list[str]] = {}
    for r in found:
        for side in ("a", "b"):
            wanted.setdefault(r[f"platform_{side}"], []).append(r[f"post_{side}"])
    texts = {
        (p, post): text
        for p, ids in wanted.items()
        for post, text in post_texts(store, p, ids).items()
    }
    out: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in found:
        key = (row.pop("trace"), row.pop("account_a"), row.pop("account_b"))
        row["text_a"] = texts.get((row["platform_a"], row["post_a"]))
        row["text_b"] = texts.get((row["platform_b"], row["post_b"]))
        out.setdefault(key, []).append(row)
    return out


# -- charts ----------------------------------------------------------------------------------


def coordination_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Pairs per trace, and each shown cluster's activity as ``cluster-<number>``."""
    out: dict[str, Any] = {"coordination-traces": coordination_traces(data)}
    for c in data["clusters"]:
        out[f"cluster-{c['cluster']}"] = cluster_activity(c)
    return out


def coordination_traces(data: dict[str, Any]) -> go.Figure:
    """Candidate and kept account pairs per trace (the null model's filter)."""
    traces = data["summary"].get("traces", {})
    names = sorted(traces)
    fig = figure("Account pairs per trace: candidates and kept by the null model", barmode="group")
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
