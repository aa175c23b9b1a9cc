"""Twitter API v2 tweets as twarc2 writes them: response pages, or flattened tweets.

Two layouts of JSON Lines (a JSON array of either is read too), both recognised:

- **Response pages**, what ``twarc2 search``, ``timeline``, ``stream``, ``hydrate`` and other
  twarc2 commands write: one API response a line, ``{"data": [tweets], "includes": {"users":
  [...], "tweets": [...], "media": [...], "places": [...]}, "meta": {...}, "__twarc": {...}}``
  (``data`` is one tweet object for stream lines). Detected by ``data`` whose first item has
  ``id`` and ``text``. Authors and referenced tweets are looked up in ``includes``.
- **Flattened tweets**, what ``twarc2 flatten`` writes (and twarc-csv reads): one tweet a line,
  with ``author``, ``in_reply_to_user``, ``referenced_tweets[]`` (each the full referenced
  tweet with its own ``author``) and ``entities.mentions[]`` (merged with the user objects)
  expanded inline, and the page's ``__twarc`` stamp. Detected by ``id``, ``text`` and
  ``author_id`` with ``edit_history_tweet_ids``, ``public_metrics`` or ``author``, and no
  ``data``.

Field reference: the X/Twitter API v2 data dictionary (Tweet, User objects) and twarc's
``expansions.flatten``.

Mapping
-------
- ``post_id`` ``id``; ``account_id`` ``author_id`` and ``account_handle`` the author's
  ``username`` (from ``includes.users`` or the inline ``author``).
- ``created_at`` (``2022-01-01T10:00:00.000Z``) is UTC; a value without an offset is read
  as UTC (the API always writes ``Z``). A tweet whose date does not parse is quarantined.
- Kind from ``referenced_tweets[].type``, in the order ``retweeted`` (retweet), ``quoted``
  (quote), ``replied_to`` (reply): a reply that quotes is a quote, as for API v1.1.
  ``ref_post_id`` is the referenced id; ``ref_account_id`` the referenced tweet's
  ``author_id`` (for a reply whose parent is not included, ``in_reply_to_user_id``);
  ``ref_account_handle`` that user's ``username`` when the user is included.
- Text: ``note_tweet.text`` for long posts, else ``text``. A retweet's own ``text`` is a
  truncated ``RT @user: ...``: when the retweeted tweet is included, its full text, entities
  and media are used instead (as twarc-csv does).
- ``entities.hashtags[].tag`` and ``mentions[].username`` lower-cased, ``urls[].expanded_url``
  (``url`` when missing; URLs of attached media, which carry a ``media_key``, are left out as
  API v1.1 does); a tweet without ``entities`` gets them extracted from its text.
  ``media_ids`` are ``attachments.media_keys`` (``3_1234...``; v2 media keys, not v1.1 ids).
- ``metrics``: every integer in ``public_metrics`` (``retweet_count``, ``reply_count``,
  ``like_count``, ``quote_count``, ``impression_count``, ``bookmark_count``).
- ``raw``: a flattened tweet's line as read; for a page, the tweet object with the page's
  ``__twarc`` stamp and, when its ``geo.place_id`` is in the page's ``includes.places``, that
  place merged into ``geo`` as ``twarc2 flatten`` does (the other ``includes`` are mapped to
  accounts, not repeated per tweet).

Tweets that are only in ``includes.tweets`` (the originals of retweets, quoted and replied-to
tweets) are not stored as posts: the corpus is what was collected, and the references keep
the links. Every user in ``includes.users`` (or inline) becomes an `Account` with ``name``,
``description``, ``location``, ``created_at``, ``verified``, ``url`` (the expanded profile
link when given) and ``public_metrics`` (followers, following, tweet, listed and like counts).

Provenance: each tweet of a page is its own record (``record`` counts tweets in the file,
``line`` is the page's line), so a quarantined tweet never hides its page-mates. Accounts
share the record of the first tweet that names them (users only ``includes`` names, that of
the page's last tweet). A line that holds no tweet (an error
message of the stream, an empty page) is quarantined as ``not a tweet: ...``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from infoscope.ingest._columnar import register_engine_mapping
from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    bool_or_none,
    dumps,
    first_record_keys,
    head_keys,
    id_text,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest._twitter_v2_engine import TwitterV2Engine
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

__all__ = ["TwitterV2", "account_from_user", "map_tweet", "parse_v2_date"]

# referenced_tweets[].type -> Post.kind, in order of precedence.
REFERENCE_KINDS = (("retweeted", "retweet"), ("quoted", "quote"), ("replied_to", "reply"))
_FLAT_MARKERS = frozenset({"edit_history_tweet_ids", "public_metrics", "author"})


def parse_v2_date(value: Any) -> datetime | None:
    """``2022-01-01T10:00:00.000Z`` as an aware UTC datetime, None if it does not parse."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _page_places(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A page's ``includes.places`` by id."""
    places = as_list(as_dict(page.get("includes")).get("places"))
    return {str(p["id"]): p for p in places if isinstance(p, dict) and "id" in p}


def _with_place(tweet: Any, places: dict[str, dict[str, Any]]) -> Any:
    """The tweet with its place merged into ``geo`` (as twarc2 flatten does), when included."""
    if not places or not isinstance(tweet, dict):
        return tweet
    geo = as_dict(tweet.get("geo"))
    place = places.get(str(geo.get("place_id")))
    return tweet if place is None else {**tweet, "geo": {**geo, **place}}


def _looks_like_user(value: Any) -> bool:
    return isinstance(value, dict) and "id" in value and "username" in value


class _Expansions:
    """Users and tweets a tweet's references point to: a page's ``includes`` or inline."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.tweets: dict[str, dict[str, Any]] = {}

    def add_user(self, user: Any) -> None:
        uid = id_text(user["id"]) if _looks_like_user(user) else None
        # Keep the fuller object when the same user appears twice (mention vs author).
        if uid is not None and len(user) > len(self.users.get(uid, {})):
            self.users[uid] = user

    @classmethod
    def of_page(cls, page: dict[str, Any]) -> _Expansions:
        exp = cls()
        includes = as_dict(page.get("includes"))
        for user in as_list(includes.get("users")):
            exp.add_user(user)
        for tweet in as_list(includes.get("tweets")):
            if isinstance(tweet, dict) and (tid := id_text(tweet.get("id"))) is not None:
                exp.tweets[tid] = tweet
        return exp

    @classmethod
    def of_flat(cls, tweet: dict[str, Any]) -> _Expansions:
        exp = cls()
        exp.add_user(tweet.get("author"))
        exp.add_user(tweet.get("in_reply_to_user"))
        for mention in as_list(as_dict(tweet.get("entities")).get("mentions")):
            if isinstance(mention, dict) and "name" in mention:  # merged with the user
                exp.add_user(mention)
        for ref in as_list(tweet.get("referenced_tweets")):
            ref = as_dict(ref)
            tid = id_text(ref.get("id"))
            if tid is not None and "text" in ref:  # expanded, not just {type, id}
                exp.tweets[tid] = ref
                exp.add_user(ref.get("author"))
        return exp


def _entity_lists(
    entities: Any,
) -> tuple[list[str] | None, list[str] | None, list[str] | None]:
    """Hashtags, mentions, URLs of a v2 entities object (None: extract from the text)."""
    if not isinstance(entities, dict):
        return None, None, None
    hashtags = [
        h["tag"].lower()
        for h in as_list(entities.get("hashtags"))
        if isinstance(h, dict) and isinstance(h.get("tag"), str)
    ]
    mentions = [
        m["username"].lower()
        for m in as_list(entities.get("mentions"))
        if isinstance(m, dict) and isinstance(m.get("username"), str)
    ]
    urls = [
        url
        for u in as_list(entities.get("urls"))
        if isinstance(u, dict)
        and "media_key" not in u
        and (url := text_or_none(u.get("expanded_url") or u.get("url")))
    ]
    return hashtags, mentions, urls


def _text_and_entities(tweet: dict[str, Any]) -> tuple[str | None, Any]:
    note = as_dict(tweet.get("note_tweet"))
    if isinstance(note.get("text"), str):
        return note["text"], note.get("entities", tweet.get("entities"))
    text = tweet.get("text")
    return (text if isinstance(text, str) else None), tweet.get("entities")


def _media_keys(tweet: dict[str, Any]) -> list[str] | None:
    keys = [k for k in as_list(as_dict(tweet.get("attachments")).get("media_keys")) if k]
    return [str(k) for k in keys] or None


def account_from_user(user: dict[str, Any], platform: str, prov: Provenance) -> Account | None:
    """A v2 user object as an `Account` (None without an id)."""
    account_id = id_text(user.get("id"))
    if account_id is None:
        return None
    metrics = as_dict(user.get("public_metrics"))
    link = None
    for u in as_list(as_dict(as_dict(user.get("entities")).get("url")).get("urls")):
        link = link or text_or_none(as_dict(u).get("expanded_url"))
    return Account(
        platform=platform,
        account_id=account_id,
        handle=text_or_none(user.get("username")),
        display_name=text_or_none(user.get("name")),
        description=text_or_none(user.get("description")),
        location=text_or_none(user.get("location")),
        created_at=parse_v2_date(user.get("created_at")),
        followers=int_or_none(metrics.get("followers_count")),
        following=int_or_none(metrics.get("following_count")),
        posts_count=int_or_none(metrics.get("tweet_count")),
        favourites=int_or_none(metrics.get("like_count")),
        listed=int_or_none(metrics.get("listed_count")),
        verified=bool_or_none(user.get("verified")),
        url=link or text_or_none(user.get("url")),
        raw=dumps(user),
        provenance=Provenance(prov.source, prov.record, prov.line),
    )


class TwitterV2(RecordFormat):
    name = "twitter-v2"
    containers = JSON_KINDS
    description = "Twitter API v2 tweets from twarc2: response pages or flattened tweets (JSONL)"

    def detect(self, sniff: Sniff) -> int:
        keys = first_record_keys(sniff)
        if not keys:
            return 0
        if "data" in keys:
            return 20 if {"id", "text"} <= self._first_data_keys(sniff) else 0
        if {"id", "text", "author_id"} <= keys and keys & _FLAT_MARKERS:
            return 20
        return 0

    @staticmethod
    def _first_data_keys(sniff: Sniff) -> frozenset[str]:
        """Keys of the first tweet in ``data`` (a list of tweets, or one for stream lines)."""
        if sniff.first is not None:
            data = sniff.first.get("data")
            first = as_list(data)[0] if isinstance(data, list) and data else data
            return frozenset(first) if isinstance(first, dict) else frozenset()
        # The first page is longer than the sniffed head: read the keys the head holds.
        return head_keys(sniff.head, "data.item") | head_keys(sniff.head, "data")

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or "twitter"
        record = 0
        for item in iter_json_records(source, ctx):
            if isinstance(item, Bad):
                record += 1
                yield Quarantined(item.reason, item.raw, record, item.line)
                continue
            value = item.value
            if isinstance(value, dict) and "data" in value:
                data = value["data"]
                tweets = data if isinstance(data, list) else [data]
                if not any(isinstance(t, dict) for t in tweets):
                    record += 1
                    what = "error page" if "errors" in value else "page without tweets"
                    yield Quarantined(f"not a tweet: {what}", item.raw, record, item.line)
                    continue
                exp = _Expansions.of_page(value)
                places = _page_places(value)
                stamp = value.get("__twarc")
                yielded: set[str] = set()
                prov = None
                for tweet in tweets:
                    record += 1
                    prov = Provenance(source.name, record, item.line)
                    stamped = isinstance(tweet, dict) and stamp is not None
                    kept = _with_place(tweet, places)
                    raw = dumps({**kept, "__twarc": stamp} if stamped else kept)
                    yield from map_tweet(
                        tweet, exp, raw, prov, platform, yielded, date_formats=ctx.date_formats
                    )
                # Users that only the page's includes name (say, the author of a tweet quoted
                # by an included tweet) are accounts too; they share the page's last record.
                for uid, user in exp.users.items():
                    if uid not in yielded and prov is not None:
                        account = account_from_user(user, platform, prov)
                        if account is not None:
                            yielded.add(uid)
                            yield account
            elif isinstance(value, dict) and "id" in value and "text" in value:
                record += 1
                prov = Provenance(source.name, record, item.line)
                exp = _Expansions.of_flat(value)
                yield from map_tweet(
                    value, exp, item.raw, prov, platform, set(), date_formats=ctx.date_formats
                )
            else:
                record += 1
                what = "error message" if "errors" in as_dict(value) else "no id or text"
                yield Quarantined(f"not a tweet: {what}", item.raw, record, item.line)


def map_tweet(
    tweet: Any,
    exp: _Expansions,
    raw: str,
    prov: Provenance,
    platform: str,
    yielded: set[str],
    *,
    date_formats: tuple[str, ...] = (),
) -> Iterator[ParsedItem]:
    """One v2 tweet as a `Post` and the `Account`s it names (those not in `yielded` yet)."""
    if not isinstance(tweet, dict):
        yield Quarantined("not a tweet: not a JSON object", raw, prov.record, prov.line)
        return
    post_id = id_text(tweet.get("id"))
    if post_id is None:
        yield Quarantined("missing post id", raw, prov.record, prov.line)
        return
    created_at = parse_date(tweet.get("created_at"), date_formats, parse_v2_date)
    if created_at is None:
        shown = tweet.get("created_at")
        reason = unparseable_date_reason(shown)
        yield Quarantined(reason, raw, prov.record, prov.line)
        return

    author_id = id_text(tweet.get("author_id")) or id_text(as_dict(tweet.get("author")).get("id"))
    refs = {
        ref["type"]: ref
        for ref in as_list(tweet.get("referenced_tweets"))
        if isinstance(ref, dict) and isinstance(ref.get("type"), str)
    }
    kind = "original"
    ref_post_id = ref_account_id = ref_handle = None
    ref_tweet: dict[str, Any] = {}
    for ref_type, ref_kind in REFERENCE_KINDS:
        if ref_type in refs:
            kind = ref_kind
            ref_post_id = id_text(refs[ref_type].get("id"))
            ref_tweet = exp.tweets.get(ref_post_id or "", {})
            ref_account_id = id_text(ref_tweet.get("author_id"))
            if ref_account_id is None and kind == "reply":
                ref_account_id = id_text(tweet.get("in_reply_to_user_id"))
            ref_handle = text_or_none(exp.users.get(ref_account_id or "", {}).get("username"))
            break

    content = ref_tweet if kind == "retweet" and "text" in ref_tweet else tweet
    text, entities = _text_and_entities(content)
    hashtags, mentions, urls = _entity_lists(entities)
    metrics = {
        name: value
        for name, raw_value in as_dict(tweet.get("public_metrics")).items()
        if (value := int_or_none(raw_value)) is not None
    }
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=author_id,
        account_handle=text_or_none(exp.users.get(author_id or "", {}).get("username")),
        created_at=created_at,
        text=text,
        lang=text_or_none(tweet.get("lang")),
        kind=kind,
        ref_post_id=ref_post_id,
        ref_account_id=ref_account_id,
        ref_account_handle=ref_handle,
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        media_ids=_media_keys(content) or _media_keys(tweet),
        metrics=metrics or None,
        raw=raw,
        provenance=prov,
    )
    named = [author_id, ref_account_id, id_text(tweet.get("in_reply_to_user_id"))]
    named += [id_text(as_dict(m).get("id")) for m in as_list(as_dict(entities).get("mentions"))]
    for uid in named:
        if uid is not None and uid not in yielded and uid in exp.users:
            account = account_from_user(exp.users[uid], platform, prov)
            if account is not None:
                yielded.add(uid)
                yield account


register(TwitterV2())
register_engine_mapping(TwitterV2Engine)
