"""Relational queries over the store, written once with Ibis so any Ibis backend runs them.

Each function takes Ibis tables (``store.ibis.table("posts")`` on DuckDB, or the same tables on
Spark: ``engine.table("posts")``) and returns an Ibis expression or plain Python values; those
that return values take the `infoscope.engine.Engine` that runs them (default: the tables' own
backend, as Ibis runs it). Orders are total (ties by name), so every engine gives the same
values.
"""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _

from infoscope.errors import InfoscopeError

__all__ = [
    "corpus_stats",
    "engine_corpus_stats",
    "label_counts",
    "quarantine_reasons",
    "resolve_platforms",
]


def _rows(expr: Any, engine: Any = None) -> list[dict[str, Any]]:
    table = expr.to_pyarrow() if engine is None else engine.to_arrow(expr)
    return table.to_pylist()  # type: ignore[no-any-return]


def _top(expr: Any, key: str, n: int, engine: Any = None) -> list[dict[str, Any]]:
    counted = expr.filter(expr[key].notnull()).group_by(key).aggregate(posts=_.count())
    return _rows(counted.order_by([ibis.desc("posts"), key]).limit(n), engine)


def _counts(expr: Any, key: str, engine: Any = None) -> dict[str, int]:
    counted = expr.filter(expr[key].notnull()).group_by(key).aggregate(n=_.count())
    return {r[key]: r["n"] for r in _rows(counted.order_by([ibis.desc("n"), key]), engine)}


def label_counts(labels: ibis.Table, *, engine: Any = None) -> dict[str, int]:
    """Analyst labels (``account_labels``) counted as ``{"KEY=VALUE": rows}``, most first."""
    return _counts(
        labels.select(label=labels.label_key.concat("=", labels.label_value)), "label", engine
    )


def quarantine_reasons(quarantine: ibis.Table, *, engine: Any = None) -> dict[str, int]:
    """Quarantined records counted by reason (its text before the first ``:``), most first."""
    return _counts(quarantine.select(reason=quarantine.reason.split(":")[0]), "reason", engine)


def resolve_platforms(
    posts: ibis.Table, platform: str | None, *, engine: Any = None
) -> tuple[str, ...]:
    """The platforms a run reads (as `infoscope.store.Store.resolve_platforms`, on any
    engine): the platform with most posts by default (ties: the first by name), every
    platform with posts for ``all``, else those named (comma-separated; sorted)."""
    names = sorted({p.strip() for p in (platform or "").split(",") if p.strip()})
    if platform is not None and names != ["all"]:
        if not names:
            raise InfoscopeError("--platform: name a platform, several (comma-separated) or all")
        return tuple(names)
    counted = posts.group_by("platform").aggregate(n=_.count())
    found = [r["platform"] for r in _rows(counted.order_by([ibis.desc("n"), "platform"]), engine)]
    if not found:
        raise InfoscopeError(
            "the store has no posts: ingest something first (infoscope ingest FILE)"
        )
    return tuple(sorted(found)) if platform is not None else (found[0],)


def corpus_stats(
    posts: ibis.Table,
    accounts: ibis.Table,
    *,
    labels: ibis.Table | None = None,
    quarantine: ibis.Table | None = None,
    top: int = 10,
    engine: Any = None,
) -> dict[str, Any]:
    """Counts by platform, kind, language and month, and the top accounts, hashtags, hosts;
    with `labels` (the ``account_labels`` table) the label counts (`label_counts`), with
    `quarantine` the quarantined records by reason (`quarantine_reasons`). `engine` runs the
    queries (default: the tables' own backend).

    Hosts are the first component of the normalised URLs (``www.`` and the scheme removed).
    Counts are ordered most first, ties by name.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    total = int(_rows(posts.aggregate(n=_.count()), engine)[0]["n"])
    by = {}
    for name, col in (("platform", "platform"), ("kind", "kind"), ("lang", "lang")):
        counted = posts.group_by(col).aggregate(posts=_.count())
        rows = _rows(
            counted.order_by([ibis.desc("posts"), ibis.asc(col, nulls_first=True)]), engine
        )
        by[name] = {str(r[col]): r["posts"] for r in rows}
    monthly = posts.mutate(month=posts.created_at.truncate("M").cast("date").cast("string"))
    by["month"] = {
        r["month"]: r["posts"]
        for r in _rows(
            monthly.group_by("month").aggregate(posts=_.count()).order_by("month"), engine
        )
    }
    # Each unnest in a projection of its own (Spark allows it only as a top-level item).
    hashtags = posts.select(hashtag=posts.hashtags.unnest())
    hosts = posts.select(url=posts.urls.unnest()).mutate(host=_.url.split("/")[0])
    span = _rows(
        posts.aggregate(first=posts.created_at.min(), last=posts.created_at.max()), engine
    )[0]
    stats: dict[str, Any] = {
        "posts": total,
        "accounts": int(_rows(accounts.aggregate(n=_.count()), engine)[0]["n"]),
        "first_post": None if span["first"] is None else span["first"].isoformat(),
        "last_post": None if span["last"] is None else span["last"].isoformat(),
        "by_platform": by["platform"],
        "by_kind": by["kind"],
        "by_language": by["lang"],
        "by_month": by["month"],
        "top_accounts": _top(posts, "account_handle", top, engine),
        "top_hashtags": _top(hashtags, "hashtag", top, engine),
        "top_hosts": _top(hosts, "host", top, engine),
    }
    if labels is not None:
        stats["labels"] = label_counts(labels, engine=engine)
    if quarantine is not None:
        stats["quarantined"] = quarantine_reasons(quarantine, engine=engine)
    return stats


def engine_corpus_stats(engine: Any, *, top: int = 10) -> dict[str, Any]:
    """`corpus_stats` of an `infoscope.engine.Engine`'s tables, run by that engine (labels
    and quarantine empty when its data has no such table)."""
    stats = corpus_stats(
        engine.table("posts"),
        engine.table("accounts"),
        labels=engine.table("account_labels") if engine.has_table("account_labels") else None,
        quarantine=engine.table("quarantine") if engine.has_table("quarantine") else None,
        top=top,
        engine=engine,
    )
    stats.setdefault("labels", {})
    stats.setdefault("quarantined", {})
    return stats
