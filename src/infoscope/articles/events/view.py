"""The events analysis in the report and the dashboard: events per quad class, the directed
pairs with most events, and "who does what to whom" with the sentence behind each event."""

from __future__ import annotations

from typing import Any

from infoscope.articles.events.run import load_events
from infoscope.report.charts import counts_bar
from infoscope.report.filters import NO_FILTERS, Filters, run_info
from infoscope.store import Store

__all__ = ["events_charts", "events_view"]


def events_view(
    store: Store, filters: Filters = NO_FILTERS, *, top: int = 20
) -> dict[str, Any] | None:
    """The latest events run (`load_events`): quad classes, the `top` directed pairs and the
    first `top` events with their sentence; None without a run. Articles are not posts: the
    post filters do not narrow them."""
    if store.latest_run_id("articles-events") is None:
        return None
    run = load_events(store, top=top)
    return {
        "run_id": run.run_id,
        "run": run_info(store, run.run_id),
        "quads": run.quads,
        "pairs": run.pairs,
        "events": run.top_events,
    }


def events_charts(data: dict[str, Any]) -> dict[str, Any]:
    """Events per quad class, when there are events."""
    if not data["quads"]:
        return {}
    counts = {r["quad_class"]: r["events"] for r in data["quads"]}
    return {"event-quads": counts_bar(counts, "Events per quad class", top=5, name="events")}
