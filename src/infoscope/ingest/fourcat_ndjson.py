"""4CAT / Zeeschuimer NDJSON: items captured in the browser, each in its capture envelope.

Zeeschuimer (a browser extension of the Digital Methods Initiative) records the items a
platform's web interface loads while the analyst scrolls, and exports them, or uploads them to
4CAT, as NDJSON: one item a line, ``{"id", "nav_index", "item_id", "timestamp_collected"
(milliseconds), "source_platform" (the capture module: "tiktok.com", "instagram.com",
"twitter.com", "x.com", "linkedin.com", "tiktok-comments", ...), "source_platform_url" (the
page), "source_url" (the request), "user_agent", "data": {...the platform's own item...}}``.
4CAT's "import from Zeeschuimer" datasets keep the same lines. Detected by ``source_platform``
with ``timestamp_collected``, ``item_id`` or ``source_platform_url``.

Field reference: Zeeschuimer's ``js/zs-background.js`` (the envelope) and capture modules, and
4CAT's ``map_item`` of each data source (datasources/tiktok, instagram, twitter-import,
threads, linkedin).

Platforms mapped (``platform`` is the source platform without its domain, X as ``twitter`` like
the other Twitter formats, so the same tweet or account merges with them):

- **TikTok videos** (``tiktok.com``), the web API's item: ``post_id`` ``id``; ``account_id``
  ``@`` plus the lower-case ``author.uniqueId`` (the key ``tiktok-research`` gives, which has
  no user ids; ``author.id`` and ``secUid`` stay in the account's ``raw``), ``account_handle``
  ``uniqueId``; ``created_at`` ``createTime``; ``text`` ``desc``; hashtags from ``textExtra``
  (``hashtagName``), else ``challenges`` titles; mentions from ``textExtra``
  (``userUniqueId``); a duet (``duetInfo.duetFromId`` other than ``"0"``) is a ``quote`` of that
  video; ``metrics`` ``like_count`` (``diggCount``), ``share_count``, ``comment_count``,
  ``view_count`` (``playCount``), ``favorites_count`` (``collectCount``), named as the Research
  API names them. The author's profile (nickname, signature, verified, ``authorStats``) is an
  `Account`. Items embedded in the page (``author`` a plain username) are read too.
- **TikTok comments** (``tiktok-comments``): ``post_id`` ``cid``; author ``user.unique_id``
  (keyed as above); ``created_at`` ``create_time``; kind ``reply`` to ``reply_id`` (a reply),
  else to the video ``aweme_id``; ``metrics`` ``like_count`` (``digg_count``), ``reply_count``
  (``reply_comment_total``).
- **X/Twitter** (``twitter.com``, ``x.com``): ``data`` is a GraphQL tweet result
  (``rest_id``, ``legacy``, ``core.user_results.result``, ``legacy.retweeted_status_result``,
  ``quoted_status_result``, ``note_tweet``; ``TweetWithVisibilityResults`` unwrapped) or an
  older "adaptive" item (``legacy`` and ``user``). It is rewritten as the API v1.1 status it
  mirrors and mapped by `infoscope.ingest.twitter_v1.map_status`, so kinds, references,
  entities, media and accounts follow the ``twitter-v1`` rules exactly; ``views.count`` adds
  ``impression_count`` and ``bookmark_count`` is kept. A user item (``__typename`` ``User``,
  captured from profiles) is an `Account`.
- **Instagram** (``instagram.com``): the web API's media item (``code``, ``taken_at``,
  ``caption.text``, ``user``/``owner``, ``like_count``, ``comment_count``, ``play_count`` or
  ``view_count``) or the older GraphQL node (``shortcode``, ``taken_at_timestamp``,
  ``edge_media_to_caption``, ``owner``, ``edge_media_preview_like``...). ``post_id`` is the
  shortcode (``code``), as in 4CAT and the post's URL; ``account_id`` the user's ``pk``/``id``,
  ``account_handle`` ``username``; hashtags, mentions and URLs are extracted from the caption.

- **Instagram comments** (``instagram-comments``): the comments the web API returns under a
  post, as Zeeschuimer rewrites them (``comment_id``/``pk``, ``text``, ``created_at``, ``user``
  as ``{id, unique_id, nickname, verified, is_private, avatar_thumb}`` or the API's ``{pk,
  username, full_name, is_verified}``, ``post_id``/``media_id``, ``post_shortcode``,
  ``parent_comment_id``). ``post_id`` is the comment's id; ``account_id`` the user's id (the
  key of Instagram posts' authors); kind ``reply`` to ``parent_comment_id`` (a reply to a
  comment), else to the post: its shortcode, ``post_shortcode`` when the page gave it, else the
  media id written as a shortcode (the id in base 64 with Instagram's URL alphabet, which is
  what the shortcode is), so comments link to the posts captured from ``instagram.com``;
  ``metrics`` ``like_count`` (``comment_like_count``), ``reply_count``
  (``child_comment_count``).
- **Threads** (``threads.net``, ``threads.com``), the web API's post (``pk``, ``code``,
  ``taken_at``, ``caption.text``, ``user``, ``like_count``, ``text_post_app_info``): ``post_id``
  the ``code`` (as in 4CAT and the post's URL), ``account_id`` the user's ``pk``,
  ``account_handle`` ``username``. Kind: ``retweet`` when ``text_post_app_info.share_info
  .reposted_post`` holds a post (text, entities and link of the reposted post), ``quote`` when
  ``quoted_post`` does, each referring to that post's ``code`` and author; else ``reply`` when
  ``is_reply`` or ``reply_to_author`` (the parent's author is given, not the parent: its id
  stays unknown). The link card's URL (``link_preview_attachment.url``, unwrapped from
  ``l.threads.com/?u=``) is added to the caption's; ``metrics`` ``like_count``,
  ``reply_count`` (``direct_reply_count``), ``repost_count``, ``quote_count``, ``share_count``
  (``reshare_count``). Authors of posts and of reposted and quoted posts are accounts.
- **LinkedIn** (``linkedin.com``): a feed update of the Voyager API with Zeeschuimer's
  references resolved (``actor``, ``commentary.text``, ``content``, ``*socialDetail``,
  ``*resharedUpdate``, ``updateMetadata.urn``). ``post_id`` is the activity id (the number of
  ``urn:li:activity:<id>``, as in 4CAT and ``linkedin.com/feed/update/urn:li:activity:<id>``);
  ``created_at`` comes from that id, whose first 41 bits are the milliseconds of posting (the
  feed itself shows only "2d ago", which 4CAT turns into an estimate); ``account_id`` the path
  of the actor's profile URL, ``in/<id>`` or ``company/<id>`` lower-cased (``account_handle``
  as written), with the actor's name, headline and profile URL as the `Account`. Hashtags and
  mentions come from the commentary's ``attributes`` / ``attributesV2`` (mentions as the
  accounts' ids), URLs from the text and the link card (``content.navigationContext`` or
  ``articleComponent``). A reshare (``*resharedUpdate``) is a ``quote`` when it adds words of
  its own, else a ``retweet`` carrying the reshared update's text, each referring to the
  reshared activity and its actor. ``metrics``: ``comment_count``, ``share_count``,
  ``like_count`` (all reactions) and ``reaction_<type>`` per reaction, or the older
  ``socialDetail`` totals. A feed item without an actor (a suggestion block, an aggregate) is
  quarantined as ``not a post``; the header (``"Jane reposted this"``) stays in ``raw``.

Other platforms (Douyin, 9GAG, Imgur, Gab, Truth Social, Pinterest, RedNote, Facebook...) are
quarantined as ``platform <source_platform> not mapped yet``, counted per
platform in the summary, never silently dropped. An item whose ``data`` is not an object, or
that lacks an id or a readable time, is quarantined with the reason. Ads are kept as posts:
the platform's flag (``isAd``, ``promoted``, ``product_type``) stays in ``raw``.

``raw`` is the whole line as read, envelope included (``timestamp_collected``,
``source_platform_url``...). Times are seconds since the epoch (UTC), except X's
``created_at`` (``Wed Oct 10 20:19:24 +0000 2018``) and LinkedIn's (from the activity id);
text times are read with ``--date-format`` when given. Provenance: one record a line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    bool_or_none,
    dumps,
    id_text,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest._social_json import keys_at, merge_urls, post_time
from infoscope.ingest.dates import unparseable_date_reason
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
from infoscope.ingest.tiktok_research import tiktok_account_id
from infoscope.ingest.twitter_v1 import account_from_user, map_status
from infoscope.records import Account, Post, Provenance

__all__ = [
    "FourCatNdjson",
    "instagram_shortcode",
    "linkedin_activity",
    "linkedin_time",
    "platform_of",
    "v1_status",
]

_ENVELOPE = frozenset({"timestamp_collected", "item_id", "source_platform_url"})
# Zeeschuimer's capture module -> infoscope platform.
_PLATFORMS = {
    "tiktok.com": "tiktok",
    "tiktok-comments": "tiktok",
    "twitter.com": "twitter",
    "x.com": "twitter",
    "instagram.com": "instagram",
    "instagram-comments": "instagram",
    "threads.com": "threads",
}
_TIKTOK_STATS = (
    ("diggCount", "like_count"),
    ("shareCount", "share_count"),
    ("commentCount", "comment_count"),
    ("playCount", "view_count"),
    ("collectCount", "favorites_count"),
)


def platform_of(source_platform: str) -> str:
    """The infoscope platform of a Zeeschuimer module: ``x.com`` -> ``twitter``,
    ``linkedin.com`` -> ``linkedin``."""
    known = _PLATFORMS.get(source_platform.lower())
    if known is not None:
        return known
    name = source_platform.lower().removeprefix("www.")
    return name.rsplit(".", 1)[0] if "." in name else name


def _count(value: Any) -> int | None:
    """A count written as a number or as digits (TikTok's ``statsV2``)."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return int_or_none(value)


class _Item:
    """One line being mapped: where it is, what it says, and how to quarantine it."""

    def __init__(self, source: str, record: int, line: int | None, raw: str, ctx: ReadContext):
        self.prov = Provenance(source, record, line)
        self.raw = raw
        self.layouts = ctx.date_formats
        self.platform_override = ctx.platform

    def quarantine(self, reason: str) -> Quarantined:
        return Quarantined(reason, self.raw, self.prov.record, self.prov.line)

    def start(self, post_id: str | None, time_value: Any) -> tuple[str, Any] | Quarantined:
        if post_id is None:
            return self.quarantine("missing post id")
        created = post_time(time_value, self.layouts)
        if created is None:
            shown = None if time_value is None else str(time_value)
            return self.quarantine(unparseable_date_reason(shown))
        return post_id, created

    def provenance(self) -> Provenance:
        return Provenance(self.prov.source, self.prov.record, self.prov.line)


# -- TikTok ------------------------------------------------------------------------------------


def _tiktok_video(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    started = item.start(id_text(data.get("id")), data.get("createTime"))
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    author = data.get("author")
    profile = author if isinstance(author, dict) else {}
    handle = text_or_none(profile.get("uniqueId")) if profile else text_or_none(author)
    account_id = tiktok_account_id(handle)
    extras = [e for e in as_list(data.get("textExtra")) if isinstance(e, dict)]
    hashtags = mentions = None
    if "textExtra" in data:
        hashtags = [e["hashtagName"].lower() for e in extras if text_or_none(e.get("hashtagName"))]
        mentions = [
            e["userUniqueId"].lower() for e in extras if text_or_none(e.get("userUniqueId"))
        ]
    elif "challenges" in data:
        hashtags = [
            c["title"].lower()
            for c in as_list(data.get("challenges"))
            if isinstance(c, dict) and text_or_none(c.get("title"))
        ]
    duet_of = id_text(as_dict(data.get("duetInfo")).get("duetFromId"))
    stats = {**as_dict(data.get("statsV2")), **as_dict(data.get("stats"))}
    metrics = {name: n for key, name in _TIKTOK_STATS if (n := _count(stats.get(key))) is not None}
    desc = data.get("desc")
    is_duet = duet_of not in (None, "0")
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=account_id,
        account_handle=handle,
        created_at=created,
        text=desc if isinstance(desc, str) else None,
        kind="quote" if is_duet else "original",
        ref_post_id=duet_of if is_duet else None,
        hashtags=hashtags,
        mentions=mentions,
        metrics=metrics or None,
        raw=item.raw,
        provenance=item.prov,
    )
    if account_id is None:
        return
    author_stats = as_dict(data.get("authorStats"))
    kept = {k: v for k, v in profile.items() if k not in ("uniqueId", "nickname", "signature")}
    yield Account(
        platform,
        account_id,
        handle=handle,
        display_name=text_or_none(profile.get("nickname")) or text_or_none(data.get("nickname")),
        description=text_or_none(profile.get("signature")),
        followers=_count(author_stats.get("followerCount")),
        following=_count(author_stats.get("followingCount")),
        posts_count=_count(author_stats.get("videoCount")),
        favourites=_count(author_stats.get("diggCount")),
        verified=bool_or_none(profile.get("verified")),
        raw=dumps({**kept, "authorStats": author_stats}) if kept or author_stats else None,
        provenance=item.provenance(),
    )


def _tiktok_comment(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    started = item.start(
        id_text(data.get("cid")) or id_text(data.get("id")), data.get("create_time")
    )
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    user = as_dict(data.get("user"))
    handle = text_or_none(user.get("unique_id"))
    account_id = tiktok_account_id(handle)
    reply_to = id_text(data.get("reply_id"))
    text = data.get("text")
    metrics = {
        name: n
        for key, name in (("digg_count", "like_count"), ("reply_comment_total", "reply_count"))
        if (n := _count(data.get(key))) is not None
    }
    yield from _comment(
        item,
        platform,
        post_id,
        created,
        text,
        reply_to if reply_to not in (None, "0") else id_text(data.get("aweme_id")),
        metrics,
        user,
        account_id,
        handle=handle,
        display_name=text_or_none(user.get("nickname")),
    )


def _comment(
    item: _Item,
    platform: str,
    post_id: str,
    created: datetime,
    text: Any,
    ref_post_id: str | None,
    metrics: dict[str, int],
    user: dict[str, Any],
    account_id: str | None,
    **account: Any,
) -> Iterator[ParsedItem]:
    """A comment as a reply by its author (to `ref_post_id`), and the author as an account
    with the fields in `account` (its ``raw`` the platform's user object)."""
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=account_id,
        account_handle=account.get("handle"),
        created_at=created,
        text=text if isinstance(text, str) else None,
        kind="reply",
        ref_post_id=ref_post_id,
        metrics=metrics or None,
        raw=item.raw,
        provenance=item.prov,
    )
    if account_id is not None:
        yield Account(
            platform, account_id, raw=dumps(user), provenance=item.provenance(), **account
        )


# -- X/Twitter ---------------------------------------------------------------------------------


def _v1_user(user: Any) -> dict[str, Any] | None:
    """A GraphQL user result as a v1.1 user object (``legacy`` with ``core`` and ``rest_id``)."""
    user = as_dict(user)
    if "legacy" not in user:
        return user or None
    merged = {**as_dict(user.get("legacy")), **as_dict(user.get("core"))}
    if user_id := id_text(user.get("rest_id")):
        merged["id_str"] = user_id
    location = as_dict(user.get("location")).get("location")
    if isinstance(location, str) and not merged.get("location"):
        merged["location"] = location
    verification = as_dict(user.get("verification"))
    if isinstance(verification.get("verified"), bool):
        merged.setdefault("verified", verification["verified"])
    return merged


def v1_status(tweet: Any) -> dict[str, Any] | None:
    """A GraphQL tweet result (or Zeeschuimer's adaptive item) as the v1.1 status it mirrors;
    None when it holds no tweet (a tombstone, an unavailable tweet)."""
    tweet = as_dict(tweet)
    if isinstance(tweet.get("tweet"), dict):  # TweetWithVisibilityResults
        tweet = tweet["tweet"]
    legacy = tweet.get("legacy")
    if not isinstance(legacy, dict):
        return None
    status = {
        k: v for k, v in legacy.items() if k not in ("retweeted_status_result", "quoted_status")
    }
    tweet_id = id_text(legacy.get("id_str")) or id_text(tweet.get("rest_id"))
    tweet_id = tweet_id or id_text(tweet.get("id"))
    if tweet_id is not None:
        status["id_str"] = tweet_id
    user = _v1_user(as_dict(as_dict(tweet.get("core")).get("user_results")).get("result"))
    user = user or _v1_user(tweet.get("user"))
    if user:
        status["user"] = user
    retweeted = as_dict(legacy.get("retweeted_status_result")).get("result")
    if (retweeted_status := v1_status(retweeted)) is not None:
        status["retweeted_status"] = retweeted_status
    quoted = as_dict(tweet.get("quoted_status_result")).get("result")
    if (quoted_status := v1_status(quoted)) is not None:
        status["quoted_status"] = quoted_status
    note = as_dict(
        as_dict(as_dict(tweet.get("note_tweet")).get("note_tweet_results")).get("result")
    )
    if isinstance(note.get("text"), str):
        status["extended_tweet"] = {
            "full_text": note["text"],
            "entities": {**as_dict(legacy.get("entities")), **as_dict(note.get("entity_set"))},
        }
    return status


def _twitter(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    if data.get("__typename") == "User":
        account = account_from_user(_v1_user(data) or {}, platform, item.prov)
        yield account if account is not None else item.quarantine("missing account id")
        return
    status = v1_status(data)
    if status is None:
        what = text_or_none(data.get("__typename")) or "no legacy tweet"
        yield item.quarantine(f"not a tweet: {what}")
        return
    tweet = data["tweet"] if isinstance(data.get("tweet"), dict) else data
    for mapped in map_status(status, item.raw, item.prov, platform, date_formats=item.layouts):
        if isinstance(mapped, Post):
            extra = {
                "impression_count": _count(as_dict(tweet.get("views")).get("count")),
                "bookmark_count": int_or_none(status.get("bookmark_count")),
            }
            metrics = {
                **(mapped.metrics or {}),
                **{k: v for k, v in extra.items() if v is not None},
            }
            mapped.metrics = metrics or None
        yield mapped


# -- Instagram ---------------------------------------------------------------------------------


def _instagram(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    graph = "shortcode" in data and "taken_at_timestamp" in data
    if graph:
        code, taken = text_or_none(data.get("shortcode")), data.get("taken_at_timestamp")
        edges = as_list(as_dict(data.get("edge_media_to_caption")).get("edges"))
        caption = as_dict(as_dict(edges[0] if edges else {}).get("node")).get("text")
        likes = as_dict(data.get("edge_media_preview_like") or data.get("edge_liked_by"))
        comments = as_dict(
            data.get("edge_media_to_comment") or data.get("edge_media_preview_comment")
        )
        counts = {
            "like_count": int_or_none(likes.get("count")),
            "comment_count": int_or_none(comments.get("count")),
            "view_count": int_or_none(data.get("video_view_count")),
        }
    else:
        code, taken = text_or_none(data.get("code")), data.get("taken_at")
        caption = as_dict(data.get("caption")).get("text")
        counts = {
            "like_count": int_or_none(data.get("like_count")),
            "comment_count": int_or_none(data.get("comment_count")),
            "view_count": int_or_none(data.get("play_count"))
            or int_or_none(data.get("view_count")),
        }
    started = item.start(code, taken)
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    user = as_dict(data.get("user")) or as_dict(data.get("owner"))
    account_id = id_text(user.get("pk")) or id_text(user.get("id"))
    handle = text_or_none(user.get("username"))
    metrics = {k: v for k, v in counts.items() if v is not None}
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=account_id,
        account_handle=handle,
        created_at=created,
        text=caption if isinstance(caption, str) else None,
        metrics=metrics or None,
        raw=item.raw,
        provenance=item.prov,
    )
    if account_id is not None:
        yield Account(
            platform,
            account_id,
            handle=handle,
            display_name=text_or_none(user.get("full_name")),
            verified=bool_or_none(user.get("is_verified")),
            raw=dumps(user),
            provenance=item.provenance(),
        )


# -- Instagram comments ------------------------------------------------------------------------

_SHORTCODE_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def instagram_shortcode(media_id: str) -> str | None:
    """The shortcode of an Instagram media id (``3301234567890123456``, or with the owner's id
    after an underscore): the number written in base 64 with Instagram's URL alphabet, as in
    its post URLs (``/p/<shortcode>/``). None when it is not a media id."""
    digits = media_id.split("_", 1)[0]
    if not digits.isdigit() or int(digits) == 0:
        return None
    number, code = int(digits), ""
    while number:
        number, rest = divmod(number, 64)
        code = _SHORTCODE_ALPHABET[rest] + code
    return code


def _instagram_comment(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    comment_id = (
        id_text(data.get("comment_id")) or id_text(data.get("pk")) or id_text(data.get("id"))
    )
    started = item.start(comment_id, data.get("created_at", data.get("created_at_utc")))
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    # Zeeschuimer rewrites the user as {id, unique_id, nickname, ...}; the API's own is kept
    # ({pk, username, full_name, is_verified}).
    user = as_dict(data.get("user")) or as_dict(data.get("owner"))
    account_id = id_text(user.get("id")) or id_text(user.get("pk")) or id_text(user.get("pk_id"))
    handle = text_or_none(user.get("unique_id")) or text_or_none(user.get("username"))
    media = id_text(data.get("post_id")) or id_text(data.get("media_id"))
    shortcode = text_or_none(data.get("post_shortcode")) or (
        instagram_shortcode(media) if media else None
    )
    parent = id_text(data.get("parent_comment_id"))
    text = data.get("text")
    metrics = {
        name: n
        for key, name in (
            ("comment_like_count", "like_count"),
            ("child_comment_count", "reply_count"),
        )
        if (n := int_or_none(data.get(key))) is not None
    }
    yield from _comment(
        item,
        platform,
        post_id,
        created,
        text,
        parent or shortcode,
        metrics,
        user,
        account_id,
        handle=handle,
        display_name=text_or_none(user.get("nickname")) or text_or_none(user.get("full_name")),
        verified=bool_or_none(user.get("verified", user.get("is_verified"))),
    )


# -- Threads -----------------------------------------------------------------------------------

_THREADS_COUNTS = (
    ("direct_reply_count", "reply_count"),
    ("repost_count", "repost_count"),
    ("quote_count", "quote_count"),
    ("reshare_count", "share_count"),
)


def _threads_link(url: str) -> str:
    """The target of a link card: Threads wraps it in ``l.threads.com/?u=<target>``."""
    parts = urlsplit(url)
    if parts.hostname in ("l.threads.com", "l.threads.net", "l.instagram.com"):
        target = parse_qs(parts.query).get("u")
        if target:
            return target[0]
    return url


def _threads_user(post: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
    user = as_dict(post.get("user"))
    return (
        id_text(user.get("pk")) or id_text(user.get("id")),
        text_or_none(user.get("username")),
        user,
    )


def _threads(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    started = item.start(text_or_none(data.get("code")), data.get("taken_at"))
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    account_id, handle, user = _threads_user(data)
    info = as_dict(data.get("text_post_app_info"))
    share = as_dict(info.get("share_info"))
    reposted, quoted = as_dict(share.get("reposted_post")), as_dict(share.get("quoted_post"))
    content = reposted if text_or_none(reposted.get("code")) else data
    kind, ref = "original", {}
    ref_id = ref_handle = None
    if content is reposted:
        kind, ref = "retweet", reposted
    elif text_or_none(quoted.get("code")):
        kind, ref = "quote", quoted
    elif info.get("is_reply") is True or isinstance(info.get("reply_to_author"), dict):
        kind = "reply"  # the parent's author is given, not the parent itself
        parent_author = as_dict(info.get("reply_to_author"))
        ref_id = id_text(parent_author.get("pk")) or id_text(parent_author.get("id"))
        ref_handle = text_or_none(parent_author.get("username"))
    if ref:
        ref_id, ref_handle, _ = _threads_user(ref)
    caption = as_dict(content.get("caption")).get("text")
    text = caption if isinstance(caption, str) and caption else None
    card = as_dict(as_dict(content.get("text_post_app_info")).get("link_preview_attachment"))
    link = text_or_none(card.get("url"))
    counts = {name: int_or_none(info.get(key)) for key, name in _THREADS_COUNTS}
    counts["like_count"] = int_or_none(data.get("like_count"))
    metrics = {k: v for k, v in counts.items() if v is not None}
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=account_id,
        account_handle=handle,
        created_at=created,
        text=text,
        kind=kind,
        ref_post_id=text_or_none(ref.get("code")) if ref else None,
        ref_account_id=ref_id,
        ref_account_handle=ref_handle,
        urls=merge_urls([_threads_link(link)] if link else [], text),
        metrics=metrics or None,
        raw=item.raw,
        provenance=item.prov,
    )
    for who in (user, as_dict(ref.get("user")) if ref else {}):
        who_id = id_text(who.get("pk")) or id_text(who.get("id"))
        if who_id is not None:
            yield Account(
                platform,
                who_id,
                handle=text_or_none(who.get("username")),
                display_name=text_or_none(who.get("full_name")),
                verified=bool_or_none(who.get("is_verified")),
                raw=dumps(who),
                provenance=item.provenance(),
            )


# -- LinkedIn ----------------------------------------------------------------------------------

_ACTIVITY = re.compile(r"urn:li:activity:([0-9]+)")
_LINKEDIN_COUNTS = (
    ("numComments", "comment_count"),
    ("numShares", "share_count"),
    ("numLikes", "like_count"),
)


def linkedin_activity(update: dict[str, Any]) -> str | None:
    """The activity id of a LinkedIn update (the number in ``urn:li:activity:<id>`` of its
    ``updateMetadata.urn``, ``preDashEntityUrn``, ``entityUrn`` or Zeeschuimer's ``id``; of an
    aggregate of several, the first)."""
    for key in ("updateMetadata", "preDashEntityUrn", "entityUrn", "id"):
        value = update.get(key)
        value = as_dict(value).get("urn") if key == "updateMetadata" else value
        found = _ACTIVITY.search(value) if isinstance(value, str) else None
        if found:
            return found.group(1)
    return None


def linkedin_time(activity: str) -> float:
    """When a LinkedIn activity was posted, in seconds since the epoch: its id's first 41 bits
    are the milliseconds (the feed shows only "2d ago")."""
    return (int(activity) >> 22) / 1000


def _linkedin_actor(update: dict[str, Any]) -> tuple[str | None, str | None, dict[str, Any]]:
    """(account id, handle, actor) of an update: the path of the actor's profile URL
    (``in/jane-doe``, ``company/acme``: its first two segments), lower-cased as the id."""
    actor = as_dict(update.get("actor"))
    target = text_or_none(as_dict(actor.get("navigationContext")).get("actionTarget"))
    parts = urlsplit(target).path.strip("/").split("/") if target else []
    if len(parts) < 2 or not parts[1]:
        return None, None, actor
    path = "/".join(parts[:2])  # in/<id>, company/<id>, school/<id>, showcase/<id>
    return path.lower(), path, actor


def _linkedin_entities(update: dict[str, Any]) -> tuple[list[str], list[str]]:
    """Hashtags and mentions of an update's commentary: ``attributes`` (``HASHTAG``,
    ``PROFILE_MENTION``, ``COMPANY_NAME``) or ``attributesV2`` (``detailData`` with
    ``*hashtag``, ``*profileFullName``, ``*companyName``). Mentions are written as the accounts'
    ids: ``in/<publicIdentifier>``, ``company/<universalName>``."""
    text = as_dict(as_dict(update.get("commentary")).get("text"))
    hashtags: list[str] = []
    mentions: list[str] = []
    for attribute in as_list(text.get("attributes")):
        attribute = as_dict(attribute)
        kind = attribute.get("type")
        if kind == "HASHTAG" and isinstance(attribute.get("trackingUrn"), str):
            hashtags.append(attribute["trackingUrn"].rsplit(":", 1)[-1].lower())
        elif kind == "PROFILE_MENTION":
            who = text_or_none(as_dict(attribute.get("*miniProfile")).get("publicIdentifier"))
            mentions += [f"in/{who.lower()}"] if who else []
        elif kind == "COMPANY_NAME":
            who = text_or_none(as_dict(attribute.get("*miniCompany")).get("universalName"))
            mentions += [f"company/{who.lower()}"] if who else []
    for attribute in as_list(text.get("attributesV2")):
        detail = as_dict(as_dict(attribute).get("detailData"))
        tag = as_dict(detail.get("*hashtag")).get("trackingUrn")
        person = text_or_none(as_dict(detail.get("*profileFullName")).get("publicIdentifier"))
        company = text_or_none(as_dict(detail.get("*companyName")).get("universalName"))
        if isinstance(tag, str):
            hashtags.append(tag.rsplit(":", 1)[-1].lower())
        if person:
            mentions.append(f"in/{person.lower()}")
        if company:
            mentions.append(f"company/{company.lower()}")
    return hashtags, mentions


def _linkedin_text(update: dict[str, Any]) -> str | None:
    text = as_dict(as_dict(update.get("commentary")).get("text")).get("text")
    return text if isinstance(text, str) and text else None


def _linkedin(data: dict[str, Any], item: _Item, platform: str) -> Iterator[ParsedItem]:
    if not isinstance(data.get("actor"), dict):
        yield item.quarantine("not a post: LinkedIn item without an actor")
        return
    activity = linkedin_activity(data)
    started = item.start(activity, linkedin_time(activity) if activity else None)
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    account_id, handle, _ = _linkedin_actor(data)
    reshared = as_dict(data.get("*resharedUpdate")) or as_dict(data.get("resharedUpdate"))
    ref_post = linkedin_activity(reshared) if reshared else None
    own = _linkedin_text(data)
    kind, ref_id, ref_handle = "original", None, None
    if ref_post is not None:
        kind = "quote" if own else "retweet"  # a repost with or without words of its own
        ref_id, ref_handle, _ = _linkedin_actor(reshared)
    # A repost carries the reposted update's text, entities and link, as retweets do.
    shown = reshared if kind == "retweet" else data
    text = _linkedin_text(shown)
    hashtags, mentions = _linkedin_entities(shown)
    content = as_dict(shown.get("content"))
    link = text_or_none(as_dict(content.get("navigationContext")).get("actionTarget")) or (
        text_or_none(
            as_dict(as_dict(content.get("articleComponent")).get("navigationContext")).get(
                "actionTarget"
            )
        )
    )
    social = as_dict(data.get("*socialDetail")) or as_dict(data.get("socialDetail"))
    totals = as_dict(social.get("*totalSocialActivityCounts"))
    metrics = {
        name: n for key, name in _LINKEDIN_COUNTS if (n := int_or_none(totals.get(key))) is not None
    }
    for reaction in as_list(totals.get("reactionTypeCounts")):
        reaction = as_dict(reaction)
        if (
            isinstance(reaction.get("reactionType"), str)
            and (n := int_or_none(reaction.get("count"))) is not None
        ):
            metrics[f"reaction_{reaction['reactionType'].lower()}"] = n
    if not totals:  # the older layout
        older = {
            "comment_count": as_dict(as_dict(social.get("comments")).get("paging")).get("total"),
            "share_count": social.get("totalShares"),
            "like_count": as_dict(as_dict(social.get("likes")).get("paging")).get("total"),
        }
        metrics = {k: n for k, v in older.items() if (n := int_or_none(v)) is not None}
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=account_id,
        account_handle=handle,
        created_at=created,
        text=text,
        kind=kind,
        ref_post_id=ref_post,
        ref_account_id=ref_id,
        ref_account_handle=ref_handle,
        hashtags=hashtags if "commentary" in shown else None,
        mentions=mentions if "commentary" in shown else None,
        urls=merge_urls([link] if link else [], text),
        metrics=metrics or None,
        raw=item.raw,
        provenance=item.prov,
    )
    for update in (data, reshared) if ref_post is not None else (data,):
        who_id, who_handle, who = _linkedin_actor(update)
        if who_id is None:
            continue
        yield Account(
            platform,
            who_id,
            handle=who_handle,
            display_name=text_or_none(as_dict(who.get("name")).get("text")),
            description=text_or_none(as_dict(who.get("description")).get("text")),
            url=f"https://www.linkedin.com/{who_handle}",
            raw=dumps(who),
            provenance=item.provenance(),
        )


_Mapper = Callable[[dict[str, Any], _Item, str], Iterator[ParsedItem]]
_MAPPERS: dict[str, _Mapper] = {
    "tiktok.com": _tiktok_video,
    "tiktok-comments": _tiktok_comment,
    "twitter.com": _twitter,
    "x.com": _twitter,
    "instagram.com": _instagram,
    "instagram-comments": _instagram_comment,
    "threads.net": _threads,
    "threads.com": _threads,
    "linkedin.com": _linkedin,
}


class FourCatNdjson(RecordFormat):
    name = "4cat-ndjson"
    containers = JSON_KINDS
    description = (
        "4CAT / Zeeschuimer NDJSON captures (TikTok videos and comments, X/Twitter, Instagram "
        "posts and comments, Threads, LinkedIn)"
    )

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind not in JSON_KINDS:
            return 0
        keys = keys_at(sniff)
        return 30 if "source_platform" in keys and keys & _ENVELOPE else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        record = 0
        for line in iter_json_records(source, ctx):
            record += 1
            if isinstance(line, Bad):
                yield Quarantined(line.reason, line.raw, record, line.line)
                continue
            item = _Item(source.name, record, line.line, line.raw, ctx)
            envelope = as_dict(line.value)
            source_platform = text_or_none(envelope.get("source_platform"))
            data = envelope.get("data")
            if source_platform is None:
                yield item.quarantine("not a post: no source_platform")
                continue
            mapper = _MAPPERS.get(source_platform.lower())
            if mapper is None:
                yield item.quarantine(f"platform {source_platform} not mapped yet")
            elif not isinstance(data, dict):
                yield item.quarantine("not a post: data is not a JSON object")
            else:
                platform = ctx.platform or platform_of(source_platform)
                yield from mapper(data, item, platform)


register(FourCatNdjson())
