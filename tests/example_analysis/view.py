"""The example analysis' report and dashboard section: its latest run's top hashtags."""

from __future__ import annotations

from typing import Any

from infoscope.report.charts import counts_bar
from infoscope.report.filters import Filters
from infoscope.store import Store

__all__ = ["hashtags_charts", "hashtags_view"]


def hashtags_view(
    store: Store, filters: Filters | None = None, *, top: int = 10
) -> dict[str, Any] | None:
    """The latest run's `top` hashtags, or None before any run."""
    from tests.example_analysis.run import load_hashtags

    if store.latest_run_id("example-hashtags") is None:
        return None
    result = load_hashtags(store, top=top)
    return {"run": store.get_run(result.run_id).as_dict(), "top": result.top}


def hashtags_charts(data: dict[str, Any]) -> dict[str, Any]:
    """One bar chart of the top hashtags."""
    counts = {r["hashtag"]: r["posts"] for r in data["top"]}
    return {"example-hashtags": counts_bar(counts, "Posts per hashtag", name="posts")}
