"""Twitter API v1.1 statuses: JSON Lines (one status a line) or a JSON array of statuses.

This is what most pre-2023 Twitter collections hold: the output of twarc 1 (``twarc search``,
``twarc filter``), tweepy and other v1.1 clients, stream captures (``statuses/filter``,
``statuses/sample``) and hydrated datasets (Hydrator, ``twarc hydrate``). Gzip/xz/bz2 files and
archives are read directly. Field reference: Twitter's "Tweet object" and "User object" pages
of the v1.1 API documentation (developer.twitter.com, archived).

Detection: the first record has ``id_str`` or ``id``, ``user`` and ``text`` or ``full_text``,
and no ``data`` (API v2 responses have ``data``). A stream capture that starts with a delete
or limit notice is recognised by that notice (a lower score, so any other match wins).

Mapping
-------
- ``post_id`` is ``id_str`` (``id`` as decimal text when ``id_str`` is absent); ``account_id``
  is ``user.id_str`` and ``account_handle`` ``user.screen_name``, as written.
- ``created_at`` (``Wed Oct 10 20:19:24 +0000 2018``) carries its offset and is converted to
  UTC. A status whose ``created_at`` does not parse is quarantined (``unparseable date: ...``);
  ``timestamp_ms`` is not used as a fallback, so every stored time is the one Twitter stated.
- Text is the full text: ``extended_tweet.full_text`` (stream captures of long tweets), else
  ``full_text`` (``tweet_mode=extended``), else ``text``.
- Kind, in this order: a status with ``retweeted_status`` is a ``retweet`` of it (the post's
  text, entities and media are the retweeted status's full ones, since the retweet's own text
  is a truncated ``RT @user: ...``); ``quoted_status`` or ``is_quote_status`` make a ``quote``
  (``ref_post_id`` from ``quoted_status_id_str``); ``in_reply_to_status_id_str`` makes a
  ``reply`` to ``in_reply_to_user_id_str`` / ``in_reply_to_screen_name``. A reply that quotes
  is stored as a quote: one reference per post, the retweet/quote/reply order of the brief.
- Hashtags, mentions and URLs come from ``extended_tweet.entities`` when present, else
  ``entities`` (of the retweeted status for a retweet): hashtags' ``text`` and mentions'
  ``screen_name`` lower-cased, URLs' ``expanded_url`` (``url`` when missing), normalised at
  store time. A status without ``entities`` gets them extracted from its text.
- ``media_ids``: ``id_str`` of ``extended_entities.media`` (all photos), else
  ``entities.media`` (only the first).
- ``metrics``: ``retweet_count``, ``favorite_count`` (as ``like_count``), ``reply_count`` and
  ``quote_count`` when present. For a retweet these are the counts Twitter reported on the
  retweet object, which are the original's.
- ``raw`` is the record's JSON text as read.

Accounts: one `Account` per user object in the record (the author, and the authors of the
retweeted and quoted statuses), with ``name``, ``description``, ``location``, ``lang``,
``time_zone``, ``created_at``, ``followers_count``, ``friends_count`` (following),
``statuses_count``, ``favourites_count``, ``listed_count``, ``verified`` and ``url`` (the
expanded profile link when the user's entities give it). The counts are a snapshot at the time
of collection; the store keeps the first one it sees.

Stream messages that are not statuses (``delete``, ``limit``, ``scrub_geo``,
``status_withheld``, ``user_withheld``, ``disconnect``, ``warning``, ...) are quarantined as
``not a tweet: delete notice`` and so on: counted in the summary, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    bool_or_none,
    dumps,
    first_record_keys,
    id_text,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest.dates import parse_date, unparseable_date_reason
from infoscope.ingest.formats import (
    JSON_KINDS,
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.sources import Source
from infoscope.records import Account, Post, Provenance

__all__ = [
    "TwitterV1",
    "account_from_user",
    "full_text",
    "map_status",
    "parse_v1_date",
    "stream_notice",
]

# Messages of the v1.1 streaming API that are not statuses (Twitter's "Streaming message
# types" page); each is an object with this single key.
STREAM_NOTICES = frozenset(
    {
        "delete",
        "limit",
        "scrub_geo",
        "status_withheld",
        "user_withheld",
        "disconnect",
        "warning",
        "friends",
        "friends_str",
        "event",
        "control",
    }
)

_METRICS = (
    ("retweet_count", "retweet_count"),
    ("favorite_count", "like_count"),
    ("reply_count", "reply_count"),
    ("quote_count", "quote_count"),
)


def parse_v1_date(value: Any) -> datetime | None:
    """``Wed Oct 10 20:19:24 +0000 2018`` as an aware UTC datetime, None if it does not parse.

    Parsed without ``%a``/``%b`` so the result does not depend on the process locale.
    """
    if not isinstance(value, str):
        return None
    parts = value.split()
    if len(parts) != 6 or parts[1] not in _MONTHS:
        return None
    _, month, day, clock, offset, year = parts
    try:
        parsed = datetime.strptime(
            f"{year} {_MONTHS[month]} {day} {clock} {offset}", "%Y %m %d %H:%M:%S %z"
        )
    except ValueError:
        return None
    return parsed.astimezone(UTC)


_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
    )
}


def full_text(status: dict[str, Any]) -> str | None:
    """The untruncated text of a v1.1 status."""
    ext = as_dict(status.get("extended_tweet"))
    for value in (ext.get("full_text"), status.get("full_text"), status.get("text")):
        if isinstance(value, str):
            return value
    return None


def _entities(status: dict[str, Any]) -> dict[str, Any] | None:
    ext = as_dict(status.get("extended_tweet"))
    for value in (ext.get("entities"), status.get("entities")):
        if isinstance(value, dict):
            return value
    return None


def _entity_lists(
    entities: dict[str, Any] | None,
) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    """Hashtags, mentions, URLs of a v1.1 entities object (None: extract from the text)."""
    if entities is None:
        return None, None, None
    hashtags = [
        h["text"].lower()
        for h in as_list(entities.get("hashtags"))
        if isinstance(h, dict) and isinstance(h.get("text"), str)
    ]
    mentions = [
        m["screen_name"].lower()
        for m in as_list(entities.get("user_mentions"))
        if isinstance(m, dict) and isinstance(m.get("screen_name"), str)
    ]
    urls = [
        url
        for u in as_list(entities.get("urls"))
        if isinstance(u, dict) and (url := text_or_none(u.get("expanded_url") or u.get("url")))
    ]
    return hashtags, mentions, urls


def _media_ids(status: dict[str, Any]) -> list[str] | None:
    ext = as_dict(status.get("extended_tweet"))
    for holder in (
        ext.get("extended_entities"),
        status.get("extended_entities"),
        ext.get("entities"),
        status.get("entities"),
    ):
        media = as_dict(holder).get("media")
        if isinstance(media, list):
            ids = [mid for m in media if (mid := id_text(as_dict(m).get("id_str")))]
            ids = ids or [mid for m in media if (mid := id_text(as_dict(m).get("id")))]
            return ids or None
    return None


def _metrics(status: dict[str, Any]) -> dict[str, int] | None:
    metrics = {
        name: value for key, name in _METRICS if (value := int_or_none(status.get(key))) is not None
    }
    return metrics or None


def account_from_user(
    user: dict[str, Any],
    platform: str,
    prov: Provenance,
    *,
    date_formats: tuple[str, ...] = (),
) -> Account | None:
    """A v1.1 user object as an `Account` (None without an id). Its ``created_at`` is read with
    `date_formats` (``--date-format``) first, then as Twitter writes it."""
    account_id = id_text(user.get("id_str")) or id_text(user.get("id"))
    if account_id is None:
        return None
    link = None
    for u in as_list(as_dict(as_dict(user.get("entities")).get("url")).get("urls")):
        link = link or text_or_none(as_dict(u).get("expanded_url"))
    created_at = parse_date(user.get("created_at"), date_formats, parse_v1_date)
    if created_at is None and date_formats:
        created_at = parse_v1_date(user.get("created_at"))
    return Account(
        platform=platform,
        account_id=account_id,
        handle=text_or_none(user.get("screen_name")),
        display_name=text_or_none(user.get("name")),
        description=text_or_none(user.get("description")),
        location=text_or_none(user.get("location")),
        profile_lang=text_or_none(user.get("lang")),
        time_zone=text_or_none(user.get("time_zone")),
        created_at=created_at,
        followers=int_or_none(user.get("followers_count")),
        following=int_or_none(user.get("friends_count")),
        posts_count=int_or_none(user.get("statuses_count")),
        favourites=int_or_none(user.get("favourites_count")),
        listed=int_or_none(user.get("listed_count")),
        verified=bool_or_none(user.get("verified")),
        url=link or text_or_none(user.get("url")),
        raw=dumps(user),
        provenance=Provenance(prov.source, prov.record, prov.line),
    )


def stream_notice(record: dict[str, Any]) -> str | None:
    """The kind of streaming-API message (``delete``, ``limit``, ...), None for a status."""
    if "user" in record or "id" in record or "id_str" in record:
        return None
    keys = STREAM_NOTICES.intersection(record)
    return min(keys) if keys else None


class TwitterV1(RecordFormat):
    name = "twitter-v1"
    containers = JSON_KINDS
    description = "Twitter API v1.1 statuses, JSON Lines or a JSON array (twarc 1, tweepy, streams)"

    def detect(self, sniff: Sniff) -> int:
        keys = first_record_keys(sniff)
        if not keys or "data" in keys:
            return 0
        if (
            keys & {"id_str", "id"}
            and "user" in keys
            and keys & {"text", "full_text", "extended_tweet"}
        ):
            return 20
        if sniff.first is not None and stream_notice(dict(sniff.first)) is not None:
            return 5
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or "twitter"
        record = 0
        for item in iter_json_records(source, ctx):
            record += 1
            if isinstance(item, Bad):
                yield Quarantined(item.reason, item.raw, record, item.line)
                continue
            prov = Provenance(source.name, record, item.line)
            yield from map_status(
                item.value, item.raw, prov, platform, date_formats=ctx.date_formats
            )


def map_status(
    status: Any,
    raw: str,
    prov: Provenance,
    platform: str,
    *,
    date_formats: tuple[str, ...] = (),
) -> Iterator[ParsedItem]:
    """One v1.1 record as a `Post` and its `Account`s, or a `Quarantined` with the reason."""
    if not isinstance(status, dict):
        yield Quarantined("not a tweet: not a JSON object", raw, prov.record, prov.line)
        return
    notice = stream_notice(status)
    if notice is not None:
        yield Quarantined(f"not a tweet: {notice} notice", raw, prov.record, prov.line)
        return
    post_id = id_text(status.get("id_str")) or id_text(status.get("id"))
    if post_id is None:
        yield Quarantined("missing post id", raw, prov.record, prov.line)
        return
    created_at = parse_date(status.get("created_at"), date_formats, parse_v1_date)
    if created_at is None:
        shown = status.get("created_at")
        reason = unparseable_date_reason(shown)
        yield Quarantined(reason, raw, prov.record, prov.line)
        return

    user = as_dict(status.get("user"))
    retweeted = status.get("retweeted_status")
    quoted = status.get("quoted_status")
    kind = "original"
    ref_post_id = ref_account_id = ref_handle = None
    content = status
    if isinstance(retweeted, dict):
        kind = "retweet"
        content = retweeted
        ref_post_id = id_text(retweeted.get("id_str")) or id_text(retweeted.get("id"))
        ref_user = as_dict(retweeted.get("user"))
        ref_account_id = id_text(ref_user.get("id_str")) or id_text(ref_user.get("id"))
        ref_handle = text_or_none(ref_user.get("screen_name"))
    elif isinstance(quoted, dict) or status.get("is_quote_status") is True:
        kind = "quote"
        quoted = as_dict(quoted)
        ref_post_id = (
            id_text(status.get("quoted_status_id_str"))
            or id_text(quoted.get("id_str"))
            or id_text(status.get("quoted_status_id"))
            or id_text(quoted.get("id"))
        )
        ref_user = as_dict(quoted.get("user"))
        ref_account_id = id_text(ref_user.get("id_str")) or id_text(ref_user.get("id"))
        ref_handle = text_or_none(ref_user.get("screen_name"))
    else:
        reply_to = id_text(status.get("in_reply_to_status_id_str")) or id_text(
            status.get("in_reply_to_status_id")
        )
        if reply_to is not None:
            kind = "reply"
            ref_post_id = reply_to
            ref_account_id = id_text(status.get("in_reply_to_user_id_str")) or id_text(
                status.get("in_reply_to_user_id")
            )
            ref_handle = text_or_none(status.get("in_reply_to_screen_name"))

    hashtags, mentions, urls = _entity_lists(_entities(content))
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=id_text(user.get("id_str")) or id_text(user.get("id")),
        account_handle=text_or_none(user.get("screen_name")),
        created_at=created_at,
        text=full_text(content),
        lang=text_or_none(status.get("lang")),
        kind=kind,
        ref_post_id=ref_post_id,
        ref_account_id=ref_account_id,
        ref_account_handle=ref_handle,
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        media_ids=_media_ids(content),
        metrics=_metrics(status),
        raw=raw,
        provenance=prov,
    )
    seen: set[str] = set()
    for holder in (
        status,
        as_dict(retweeted),
        as_dict(quoted),
        as_dict(as_dict(retweeted).get("quoted_status")),
    ):
        user = as_dict(holder.get("user"))
        account = account_from_user(user, platform, prov, date_formats=date_formats)
        if account is not None and account.account_id not in seen:
            seen.add(account.account_id)
            yield account


register(TwitterV1())
