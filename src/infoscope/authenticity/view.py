"""The accounts analysis in the report and the dashboard: authenticity signals (automation,
amplification, persona flags with their evidence), the profile model's probability with its
domain check, and the automation-likeness of accounts with posts with its evidence, as
JSON-ready data (the view) and Plotly figures (the charts). The view reads the latest
completed ``accounts`` run and returns None without one.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from infoscope.report.charts import PALETTE, figure
from infoscope.report.filters import NO_FILTERS, Filters, account_filter, loads, records, run_info
from infoscope.store import Store

__all__ = [
    "FAMILIES",
    "authenticity_charts",
    "authenticity_flags",
    "authenticity_view",
    "likeness_histogram",
    "profile_histogram",
]

# The families of flags, in the order pages show them.
FAMILIES = ("automation", "amplification", "persona")


# -- view ------------------------------------------------------------------------------------


def authenticity_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 30
) -> dict[str, Any] | None:
    """The latest accounts run: flags per family and per flag, the profile-probability
    distribution, and the most flagged accounts with the evidence of each flag. Account
    filters narrow everything."""
    run_id = store.latest_run_id("accounts")
    if run_id is None:
        return None
    run = run_info(store, run_id)
    where, args = account_filter(store, filters, "s.")
    flags = records(
        store.con.execute(
            f"""
            SELECT family, flag, count(*) AS accounts FROM (
              SELECT 'automation' AS family, unnest(automation) AS flag FROM account_signals s
              WHERE run_id = ? AND {where}
              UNION ALL
              SELECT 'amplification', unnest(amplification) FROM account_signals s
              WHERE run_id = ? AND {where}
              UNION ALL
              SELECT 'persona', unnest(persona) FROM account_signals s WHERE run_id = ? AND {where}
            ) GROUP BY ALL ORDER BY family, accounts DESC, flag
            """,
            [run_id, *args] * 3,
        )
    )
    counts = store.con.execute(
        f"""
        SELECT count(*), count(*) FILTER (len(automation) > 0),
               count(*) FILTER (len(amplification) > 0), count(*) FILTER (len(persona) > 0),
               count(profile_probability),
               count(*) FILTER (profile_domain->>'above_threshold' = 'true'),
               count(automation_likeness),
               count(*) FILTER (automation_evidence->>'above_threshold' = 'true')
        FROM account_signals s WHERE run_id = ? AND {where}
        """,
        [run_id, *args],
    ).fetchone()
    histogram = _histogram(store, "profile_probability", run_id, where, args)
    domains = {
        column: dict(
            store.con.execute(
                f"SELECT {column}, count(*) FROM account_signals s WHERE run_id = ? "
                f"AND {column} IS NOT NULL AND {where} GROUP BY ALL ORDER BY 1",
                [run_id, *args],
            ).fetchall()
        )
        for column in ("profile_status", "automation_status")
    }
    likeness = records(
        store.con.execute(
            f"""
            SELECT platform, account_id, handle, posts, automation_likeness,
                   automation_evidence, profile_probability, profile_status,
                   automation, amplification, persona
            FROM account_signals s
            WHERE run_id = ? AND automation_likeness IS NOT NULL AND {where}
            ORDER BY automation_likeness DESC, posts DESC, account_id LIMIT ?
            """,
            [run_id, *args, top],
        )
    )
    for row in likeness:
        row["automation_evidence"] = loads(row["automation_evidence"])
    flagged = records(
        store.con.execute(
            f"""
            SELECT platform, account_id, handle, posts, language_group, profile_probability,
                   profile_status, automation, amplification, persona, evidence
            FROM account_signals s
            WHERE run_id = ? AND {where}
              AND len(automation) + len(amplification) + len(persona) > 0
            ORDER BY len(automation) DESC, len(amplification) + len(persona) DESC, posts DESC,
                     account_id
            LIMIT ?
            """,
            [run_id, *args, top],
        )
    )
    for row in flagged:
        row["evidence"] = loads(row["evidence"])
    groups = records(
        store.con.execute(
            f"""
            SELECT language_group, count(*) AS accounts,
                   count(*) FILTER (len(automation) > 0) AS automation,
                   count(*) FILTER (len(amplification) > 0) AS amplification,
                   count(*) FILTER (len(persona) > 0) AS persona,
                   avg(profile_probability) AS mean_profile_probability
            FROM account_signals s WHERE run_id = ? AND {where}
            GROUP BY ALL ORDER BY accounts DESC, language_group LIMIT 12
            """,
            [run_id, *args],
        )
    )
    return {
        "run_id": run_id,
        "run": run,
        "filters": filters.as_dict(),
        "summary": run["counts"],
        "accounts": counts[0],
        "flagged": dict(zip(FAMILIES, counts[1:4], strict=True)),
        "profiles_scored": counts[4],
        "bot_like_profiles": counts[5],
        "likeness_scored": counts[6],
        "likeness_above_threshold": counts[7],
        "profile_domain": domains["profile_status"],
        "likeness_domain": domains["automation_status"],
        "profile_model": (run["counts"] or {}).get("profile_model") or {},
        "activity_model": (run["counts"] or {}).get("activity_model") or {},
        "flags": flags,
        "profile_histogram": histogram,
        "likeness_histogram": _histogram(store, "automation_likeness", run_id, where, args),
        "likeness_top": likeness,
        "language_groups": groups,
        "top": flagged,
    }


def _histogram(
    store: Store, column: str, run_id: str, where: str, args: list[Any]
) -> list[dict[str, Any]]:
    return [
        {"bin": b / 10, "accounts": n}
        for b, n in store.con.execute(
            f"SELECT least(floor({column} * 10), 9) AS b, count(*) "
            f"FROM account_signals s WHERE run_id = ? AND {column} IS NOT NULL "
            f"AND {where} GROUP BY ALL ORDER BY b",
            [run_id, *args],
        ).fetchall()
    ]


# -- charts ----------------------------------------------------------------------------------


def authenticity_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Accounts per flag and the profile probabilities, each when there is something to draw."""
    out: dict[str, Any] = {}
    if data["flags"]:
        out["authenticity-flags"] = authenticity_flags(data)
    if data["profile_histogram"]:
        out["profile-histogram"] = profile_histogram(data)
    if data.get("likeness_histogram"):
        out["likeness-histogram"] = likeness_histogram(data)
    return out


def authenticity_flags(data: dict[str, Any]) -> go.Figure:
    """Accounts per flag, one colour per family (automation, amplification, persona)."""
    fig = figure("Accounts per flag", height=max(240, 80 + 24 * len(data["flags"])))
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
    """How the profile model's calibrated probabilities spread over the accounts inside its
    domain."""
    bins = data["profile_histogram"]
    fig = figure("Profile model probability, accounts inside its domain", height=260)
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


def likeness_histogram(data: dict[str, Any]) -> go.Figure:
    """How the automation-likeness spreads over the accounts it scored (enough posts, inside
    its domain)."""
    bins = data["likeness_histogram"]
    fig = figure("Automation-likeness, accounts with posts inside its domain", height=260)
    fig.add_trace(
        go.Bar(
            x=[f"{b['bin']:.1f}–{b['bin'] + 0.1:.1f}" for b in bins],
            y=[b["accounts"] for b in bins],
            marker_color=PALETTE[3],
            hovertemplate="automation-likeness %{x}: %{y:,} accounts<extra></extra>",
        )
    )
    fig.update_xaxes(title="automation-likeness", type="category")
    fig.update_yaxes(title="accounts")
    return fig
