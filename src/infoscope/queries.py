"""Relational queries over the store, written once with Ibis so any Ibis backend runs them.

Each function takes Ibis tables (``store.ibis.table("posts")`` on DuckDB, or the same tables on
Spark) and returns an Ibis expression or plain Python values.
"""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _

__all__ = ["corpus_stats", "label_counts", "quarantine_reasons"]


def _rows(expr: Any) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]


def _top(expr: Any, key: str, n: int) -> list[dict[str, Any]]:
    counted = expr.filter(expr[key].notnull()).group_by(key).aggregate(posts=_.count())
    return _rows(counted.order_by([ibis.desc("posts"), key]).limit(n))


def _counts(expr: Any, key: str) -> dict[str, int]:
    counted = expr.filter(expr[key].notnull()).group_by(key).aggregate(n=_.count())
    return {r[key]: r["n"] for r in _rows(counted.order_by([ibis.desc("n"), key]))}


def label_counts(labels: ibis.Table) -> dict[str, int]:
    """Analyst labels (``account_labels``) counted as ``{"KEY=VALUE": rows}``, most first."""
    return _counts(labels.select(label=labels.label_key.concat("=", labels.label_value)), "label")


def quarantine_reasons(quarantine: ibis.Table) -> dict[str, int]:
    """Quarantined records counted by reason (its text before the first ``:``), most first."""
    return _counts(quarantine.select(reason=quarantine.reason.split(":")[0]), "reason")


def corpus_stats(
    posts: ibis.Table,
    accounts: ibis.Table,
    *,
    labels: ibis.Table | None = None,
    quarantine: ibis.Table | None = None,
    top: int = 10,
) -> dict[str, Any]:
    """Counts by platform, kind, language and month, and the top accounts, hashtags, hosts;
    with `labels` (the ``account_labels`` table) the label counts (`label_counts`), with
    `quarantine` the quarantined records by reason (`quarantine_reasons`).

    Hosts are the first component of the normalised URLs (``www.`` and the scheme removed).
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    total = int(posts.count().to_pyarrow().as_py())
    by = {}
    for name, col in (("platform", "platform"), ("kind", "kind"), ("lang", "lang")):
        rows = _rows(posts.group_by(col).aggregate(posts=_.count()).order_by(ibis.desc("posts")))
        by[name] = {str(r[col]): r["posts"] for r in rows}
    monthly = posts.mutate(month=posts.created_at.truncate("M").cast("date").cast("string"))
    by["month"] = {
        r["month"]: r["posts"]
        for r in _rows(monthly.group_by("month").aggregate(posts=_.count()).order_by("month"))
    }
    hashtags = posts.select(hashtag=posts.hashtags.unnest())
    hosts = posts.select(url=posts.urls.unnest()).mutate(host=_.url.split("/")[0])
    span = _rows(posts.aggregate(first=posts.created_at.min(), last=posts.created_at.max()))[0]
    stats: dict[str, Any] = {
        "posts": total,
        "accounts": int(accounts.count().to_pyarrow().as_py()),
        "first_post": None if span["first"] is None else span["first"].isoformat(),
        "last_post": None if span["last"] is None else span["last"].isoformat(),
        "by_platform": by["platform"],
        "by_kind": by["kind"],
        "by_language": by["lang"],
        "by_month": by["month"],
        "top_accounts": _top(posts, "account_handle", top),
        "top_hashtags": _top(hashtags, "hashtag", top),
        "top_hosts": _top(hosts, "host", top),
    }
    if labels is not None:
        stats["labels"] = label_counts(labels)
    if quarantine is not None:
        stats["quarantined"] = quarantine_reasons(quarantine)
    return stats
