"""The locate analysis in the report and the dashboard: accounts per country with the source
and confidence of each placement, as JSON-ready data (the view) and a Plotly figure (the
chart). The view reads the latest completed ``locate`` run and returns None without one.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from infoscope.report.charts import counts_bar
from infoscope.report.filters import NO_FILTERS, Filters, account_filter, records, run_info
from infoscope.store import Store

__all__ = ["places_bar", "places_charts", "places_view"]


def places_view(store: Store, filters: Filters = NO_FILTERS) -> dict[str, Any] | None:
    """The latest locate run: accounts per country (``unknown`` included and counted as
    such) with the source and confidence band of each placement."""
    run_id = store.latest_run_id("locate")
    if run_id is None:
        return None
    where, args = account_filter(store, filters, "l.")
    rows = records(
        store.con.execute(
            f"""
            SELECT l.country, count(*) AS accounts,
                   count(*) FILTER (l.source = 'geotag') AS geotag,
                   count(*) FILTER (l.source = 'place') AS place,
                   count(*) FILTER (l.source = 'profile') AS profile,
                   avg(l.confidence) AS mean_confidence
            FROM account_locations l WHERE l.run_id = ? AND {where}
            GROUP BY l.country ORDER BY accounts DESC, l.country
            """,
            [run_id, *args],
        )
    )
    total = sum(r["accounts"] for r in rows)
    unknown = sum(r["accounts"] for r in rows if r["country"] == "unknown")
    return {
        "run_id": run_id,
        "run": run_info(store, run_id),
        "filters": filters.as_dict(),
        "accounts": total,
        "unknown": unknown,
        "unknown_share": unknown / total if total else None,
        "countries": rows,
    }


def places_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Accounts per country, when any account matches."""
    return {"places": places_bar(data)} if data["countries"] else {}


def places_bar(data: dict[str, Any], *, top: int = 20) -> go.Figure:
    """Accounts per country; accounts with no place are shown as `unknown`, in grey."""
    return counts_bar(
        {r["country"]: r["accounts"] for r in data["countries"]},
        f"Accounts by country ({data['unknown_share']:.0%} unknown)"
        if data["unknown_share"] is not None
        else "Accounts by country",
        top=top,
        name="accounts",
    )
