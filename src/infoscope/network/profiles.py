"""What each community is made of, so an analyst can judge it: Ibis queries over the store.

`profile_communities` joins a membership table (``account_id, community``) with the selected
posts, the account profiles and the analyst's labels, and returns per community: its posts and
posting accounts, top hashtags, link domains and mentioned accounts, languages, the places its
members state in their profiles (self-reported: what they claim, not where they are), its
activity per period, and the labels present (for instance the IRA categories).

The queries are portable (written once with Ibis): `engine` runs them (an
`infoscope.engine.Engine`, DuckDB or Spark; default the tables' own backend). Every ranked
list has a total order (ties by value), so every engine gives the same profiles.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import ibis
from ibis import _

from infoscope.common.urls import domain_of
from infoscope.network.edges import EdgeSelection, select_posts

__all__ = ["choose_period", "profile_communities"]

PERIODS = ("day", "week", "month")
_TRUNC = {"day": "D", "week": "W", "month": "M"}


def _rows(expr: Any, engine: Any = None) -> list[dict[str, Any]]:
    table = expr.to_pyarrow() if engine is None else engine.to_arrow(expr)
    return table.to_pylist()  # type: ignore[no-any-return]


def _lower(value: Any) -> Any:
    return value.lower()


def _top_per_community(expr: ibis.Table, key: str, n: int, count: str = "posts") -> ibis.Table:
    counted = (
        expr.filter(expr[key].notnull() & (expr[key] != ""))
        .group_by(["community", key])
        .aggregate(**{count: _.count()})
    )
    ranked = counted.mutate(
        rank=ibis.row_number().over(group_by="community", order_by=[ibis.desc(count), key])
    )
    return ranked.filter(ranked["rank"] < n).order_by(["community", "rank"])


def choose_period(posts: ibis.Table, selection: EdgeSelection, *, engine: Any = None) -> str:
    """``day`` for spans up to two weeks, ``week`` up to a year, else ``month``."""
    span = _rows(
        select_posts(posts, selection).aggregate(first=_.created_at.min(), last=_.created_at.max()),
        engine,
    )[0]
    if span["first"] is None:
        return "month"
    days = (span["last"] - span["first"]).days
    return "day" if days <= 14 else "week" if days <= 366 else "month"


def profile_communities(
    posts: ibis.Table,
    accounts: ibis.Table,
    labels: ibis.Table | None,
    membership: ibis.Table,
    selection: EdgeSelection | None = None,
    *,
    top: int = 10,
    period: str | None = None,
    engine: Any = None,
) -> dict[int, dict[str, Any]]:
    """Per community (``membership``: ``account_id, community``), what its members posted.

    Counts use the posts the selection keeps; `top` bounds each ranked list; `period` is
    ``day``, ``week`` or ``month`` (default: chosen from the time span). `labels` may be None
    (data without ``account_labels``: no labels); `engine` runs the queries (default: the
    tables' own backend).
    """
    sel = selection or EdgeSelection()
    if period is None:
        period = choose_period(posts, sel, engine=engine)
    if period not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS}, got {period!r}")
    chosen = select_posts(posts, sel)
    members = membership.select(member_id="account_id", community="community")
    mine = chosen.inner_join(members, chosen.account_id == members.member_id)
    out: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "posts": 0,
            "posting_accounts": 0,
            "top_hashtags": [],
            "top_domains": [],
            "top_mentions": [],
            "languages": {},
            "places": [],
            "activity": [],
            "labels": {},
        }
    )
    for row in _rows(
        mine.group_by("community").aggregate(posts=_.count(), accounts=_.account_id.nunique()),
        engine,
    ):
        out[row["community"]]["posts"] = row["posts"]
        out[row["community"]]["posting_accounts"] = row["accounts"]
    # Each list's unnest alone in its projection (Spark allows a generator only there), the
    # value transformed in the next.
    lists = {
        "top_hashtags": (mine.select("community", value=mine.hashtags.unnest()), _lower),
        "top_domains": (mine.select("community", value=mine.urls.unnest()), domain_of),
        "top_mentions": (mine.select("community", value=mine.mentions.unnest()), _lower),
    }
    for name, (values, transform) in lists.items():
        expr = values.select("community", value=transform(values.value))
        for row in _rows(_top_per_community(expr, "value", top), engine):
            out[row["community"]][name].append([row["value"], row["posts"]])
    for row in _rows(
        mine.group_by(["community", "lang"])
        .aggregate(posts=_.count())
        .order_by(["community", ibis.desc("posts"), "lang"]),
        engine,
    ):
        out[row["community"]]["languages"][str(row["lang"])] = row["posts"]
    profiles = accounts
    if sel.platform is not None:
        profiles = profiles.filter(profiles.platform == sel.platform)
    places = profiles.select(pid="account_id", location=profiles.location.strip())
    located = members.inner_join(places, members.member_id == places.pid).select(
        "community", value="location"
    )
    for row in _rows(_top_per_community(located, "value", top, count="accounts"), engine):
        out[row["community"]]["places"].append([row["value"], row["accounts"]])
    timed = mine.mutate(at=mine.created_at.truncate(_TRUNC[period]).cast("date").cast("string"))
    per_period = timed.group_by(["community", "at"]).aggregate(posts=_.count())
    for row in _rows(per_period.order_by(["community", "at"]), engine):
        out[row["community"]]["activity"].append([row["at"], row["posts"]])
    if labels is None:
        return {c: {**v, "period": period} for c, v in out.items()}
    tagged = labels
    if sel.platform is not None:
        tagged = tagged.filter(tagged.platform == sel.platform)
    tagged = tagged.select(
        lid="account_id", label=tagged.label_key + "=" + tagged.label_value
    ).distinct()
    with_labels = members.inner_join(tagged, members.member_id == tagged.lid)
    for row in _rows(
        with_labels.group_by(["community", "label"])
        .aggregate(accounts=_.count())
        .order_by(["community", ibis.desc("accounts"), "label"]),
        engine,
    ):
        out[row["community"]]["labels"][row["label"]] = row["accounts"]
    return {c: {**v, "period": period} for c, v in out.items()}
