"""Relational queries over the store, written once with Ibis so any Ibis backend runs them.

Each function takes Ibis tables (``store.ibis.table("posts")`` on DuckDB, or the same tables on
Spark) and returns an Ibis expression or plain Python values.
"""

from __future__ import annotations

from typing import Any

import ibis
from ibis import _

EDGE_TYPES = ("retweet", "quote", "reply", "mention")


def _rows(expr: Any) -> list[dict[str, Any]]:
    return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]


def _top(expr: Any, key: str, n: int) -> list[dict[str, Any]]:
    counted = expr.filter(expr[key].notnull()).group_by(key).aggregate(posts=_.count())
    return _rows(counted.order_by([ibis.desc("posts"), key]).limit(n))


def corpus_stats(posts: ibis.Table, accounts: ibis.Table, *, top: int = 10) -> dict[str, Any]:
    """Counts by platform, kind, language and month, and the top accounts, hashtags, hosts.

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
    return {
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


def interaction_edges(posts: ibis.Table) -> ibis.Table:
    """Directed account -> account edges by type (retweet, quote, reply, mention).

    Targets are named by account id where the source gives it and always by handle
    (lower-case); a target absent from the corpus keeps its handle with a NULL id. Sources that
    never name the referenced account (IRA retweets) give no edge rather than a guessed one.
    Weighted by count, with the time span of the interactions.
    """
    refs = posts.filter(
        posts.kind.isin(["retweet", "quote", "reply"])
        & (posts.ref_account_id.notnull() | posts.ref_account_handle.notnull())
    ).select(
        source_id=posts.account_id,
        source_handle=posts.account_handle.lower(),
        target_id=posts.ref_account_id,
        target_handle=posts.ref_account_handle.lower(),
        type=posts.kind,
        created_at=posts.created_at,
    )
    mentions = posts.select(
        source_id=posts.account_id,
        source_handle=posts.account_handle.lower(),
        target_handle=posts.mentions.unnest(),
        kind=posts.kind,
        ref_handle=posts.ref_account_handle.lower(),
        created_at=posts.created_at,
    )
    # A retweet's "RT @x" is the retweet edge itself, not a mention of x.
    mentions = mentions.filter(
        (mentions.kind != "retweet") | (mentions.target_handle != mentions.ref_handle.fill_null(""))
    ).select(
        "source_id",
        "source_handle",
        target_id=ibis.null("string"),
        target_handle="target_handle",
        type=ibis.literal("mention"),
        created_at="created_at",
    )
    both = refs.union(mentions)
    return both.group_by(
        ["source_id", "source_handle", "target_id", "target_handle", "type"]
    ).aggregate(weight=_.count(), first_at=_.created_at.min(), last_at=_.created_at.max())
