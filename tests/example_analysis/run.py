"""The example analysis: count the posts of each hashtag (an Ibis expression), store the counts
under the run, read them back."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = ["HashtagsRun", "demo_hashtags", "load_hashtags", "run_hashtags"]

COMMAND = "example-hashtags"


@dataclass
class HashtagsRun(AnalysisResult):
    """A stored run: its summary and its most used hashtags."""

    top: list[dict[str, Any]] = field(default_factory=list)


def run_hashtags(
    store: Store,
    *,
    min_posts: int = 1,
    top: int = 10,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> HashtagsRun:
    """Count the posts of every hashtag used in at least `min_posts` posts, and store them."""
    posts = store.ibis.table("posts")
    tags = posts.select(hashtag=posts.hashtags.unnest())
    counts = tags.group_by("hashtag").aggregate(posts=tags.count())
    counts = counts.filter(counts.posts >= min_posts)
    with store.run(COMMAND, {"min_posts": min_posts}, seed=seed) as run:
        rows = counts.to_pyarrow()
        rows = rows.add_column(0, "run_id", [[run.run_id] * rows.num_rows])
        store.insert("example_hashtags", rows)
        run.counts = {"hashtags": rows.num_rows}
    return load_hashtags(store, run.run_id, top=top)


def load_hashtags(store: Store, run_id: str | None = None, *, top: int = 10) -> HashtagsRun:
    """A stored run (the latest by default) with its `top` hashtags."""
    run = store.completed_run(COMMAND, run_id)
    found = store.con.execute(
        "SELECT hashtag, posts FROM example_hashtags WHERE run_id = ? "
        "ORDER BY posts DESC, hashtag LIMIT ?",
        [run.run_id, top],
    ).fetchall()
    return HashtagsRun(run.run_id, run.counts, [{"hashtag": h, "posts": n} for h, n in found])


def demo_hashtags(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: every hashtag counted."""
    context.say("counting hashtags")
    result = run_hashtags(store, seed=context.seed)
    return DemoStep(result, result.summary, f"{result.summary['hashtags']:,} hashtags.")
