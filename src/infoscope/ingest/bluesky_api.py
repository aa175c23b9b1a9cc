"""Bluesky AppView API views: author feeds, searches and threads as the API returns them.

What a script collecting from Bluesky's public API saves (``curl`` on
``public.api.bsky.app/xrpc/...``, the SDKs' responses written as JSON with the API's own
camelCase names): registered as ``bluesky-api``. The views (lexicon ``app.bsky.feed.defs``)
read, as JSON Lines (a page or a view a line), a JSON array of them, or pretty-printed
documents one after the other:

- ``app.bsky.feed.getAuthorFeed``, ``getTimeline``, ``getFeed``, ``getListFeed``,
  ``getActorLikes``: ``{"feed": [feedViewPost], "cursor"}``; a ``feedViewPost`` is
  ``{"post": postView, "reply": {"root", "parent", "grandparentAuthor"}, "reason",
  "feedContext"}``;
- ``app.bsky.feed.searchPosts``, ``getPosts``, ``getQuotes``: ``{"posts": [postView], "cursor",
  "hitsTotal"}``;
- ``app.bsky.feed.getPostThread``: ``{"thread": threadViewPost, "threadgate"}``, a
  ``threadViewPost`` being ``{"post", "parent", "replies"}`` (parents and replies nest);
- a ``feedViewPost``, ``threadViewPost`` or ``postView`` on its own (one a line, or an array).

A ``postView`` is ``{"uri", "cid", "author": {"did", "handle", "displayName", "avatar",
"createdAt", ...}, "record": <the app.bsky.feed.post record>, "embed": <its view>,
"replyCount", "repostCount", "likeCount", "quoteCount", "bookmarkCount", "indexedAt", "labels",
"viewer", ...}``. Detected by a ``postView``'s ``uri``, ``cid``, ``author`` and ``record``: at
the top, under ``post``, or in the first item of ``feed`` / ``posts`` / ``thread.post``.

Mapping (``platform`` ``bluesky``)
----------------------------------
- Each post view is the post record mapped by the rules of the Jetstream and repository formats
  (`infoscope.ingest.bluesky.map_record`): the id is the post's AT URI, the account its
  author's DID, so posts merge with those formats; text, language, facets (hashtags, mentions,
  links), link cards, media CIDs, and the kind from the record: ``quote`` when it embeds a post
  (``app.bsky.embed.record``), else ``reply`` to ``reply.parent``. The view adds what the
  record lacks: ``account_handle`` (``author.handle``, lower-cased), the quoted post's author
  handle (``ref_account_handle``, from the embed view), and ``metrics`` ``reply_count``,
  ``repost_count``, ``like_count``, ``quote_count``, ``bookmark_count``.
- Reposts: a feed item whose ``reason`` is a ``#reasonRepost`` is the reposted post (mapped as
  above) and a ``retweet`` by ``reason.by``: its id is the repost record's ``reason.uri`` when
  the API gives it (the id the Jetstream and repository formats store), else
  ``repost:<by DID>:<post URI>``; its time is ``reason.indexedAt`` (when the AppView saw the
  repost; the record's own ``createdAt`` is not in the view); no text. A ``#reasonPin`` (a
  pinned post) stays in ``raw``.
- The posts a feed item shows for context (``reply.root``, ``reply.parent``) and every post of
  a thread (its parents and replies, however deep) are posts too; within one page a post is
  mapped once.
- Accounts: each author (``handle``, ``displayName``, ``createdAt``; ``raw`` the profile view:
  avatar, labels, ``associated``, ``viewer``...), the reposter, the quoted posts' authors and
  ``reply.grandparentAuthor``.
- ``raw`` of a post is its whole feed item (post, reason, reply context, ``feedContext``) for the
  post of a feed item, else its post view (a thread node without its parents and replies); of
  a repost, the ``reason``.

A post that was deleted or is hidden from the collector (``#notFoundPost``, ``#blockedPost``)
is quarantined as ``not a post (not found)`` / ``not a post (blocked)``; a post view without an
``at://`` post URI or a record as ``invalid record: ...``; a record whose ``createdAt`` does not
parse with the value and the fix (``--date-format`` layouts are honoured); a repost whose
``indexedAt`` does not parse likewise; a value that is none of the views as ``not a post view:
...``. Provenance: ``record`` is the ordinal of the feed item, post or thread node in the
source (a post and its repost share it), ``line`` the line of its page in JSON Lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    dumps,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest._social_json import keys_at
from infoscope.ingest.bluesky import PLATFORM, POST, map_record, parse_at_uri, parse_bsky_date
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

__all__ = ["BlueskyApi"]

_VIEW_KEYS = frozenset({"uri", "cid", "author", "record"})
_DEFS = "app.bsky.feed.defs"
_REPOST = f"{_DEFS}#reasonRepost"
_METRICS = (
    ("replyCount", "reply_count"),
    ("repostCount", "repost_count"),
    ("likeCount", "like_count"),
    ("quoteCount", "quote_count"),
    ("bookmarkCount", "bookmark_count"),
)
_EMBED_RECORD_VIEW = "app.bsky.embed.record#view"
_EMBED_WITH_MEDIA_VIEW = "app.bsky.embed.recordWithMedia#view"


def _is_view(value: Any) -> bool:
    return isinstance(value, dict) and set(value) >= _VIEW_KEYS


class BlueskyApi(RecordFormat):
    name = "bluesky-api"
    containers = JSON_KINDS
    description = (
        "Bluesky API views (getAuthorFeed, getTimeline, searchPosts, getPosts, getPostThread); "
        "markers: a postView's uri, cid, author, record (top level, under post, or in feed[], "
        "posts[], thread)"
    )

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind not in JSON_KINDS:
            return 0
        top = keys_at(sniff)
        for container, path in (
            ("feed", "feed.item.post"),
            ("posts", "posts.item"),
            ("thread", "thread.post"),
            ("post", "post"),
        ):
            if container in top and keys_at(sniff, path) >= _VIEW_KEYS:
                return 20
        return 20 if top >= _VIEW_KEYS else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        reader = _Reader(source.name, ctx)
        for item in iter_json_records(source, ctx):
            if isinstance(item, Bad):
                yield reader.quarantine(item.reason, item.raw, item.line)
                continue
            yield from reader.value(item.value, item.raw, item.line)


class _Reader:
    """Mapping state of one source: the record counter and the posts mapped in this page."""

    def __init__(self, source: str, ctx: ReadContext):
        self.source = source
        self.ctx = ctx
        self.platform = ctx.platform or PLATFORM
        self.record = 0
        self.seen: set[str] = set()

    def quarantine(self, reason: str, raw: str | bytes | None, line: int | None) -> Quarantined:
        self.record += 1
        return Quarantined(reason, raw, self.record, line)

    def value(self, value: Any, raw: str, line: int | None) -> Iterator[ParsedItem]:
        """One top-level JSON value: a page, a feed item, a thread node or a post view."""
        self.seen = set()
        if isinstance(value, dict) and isinstance(value.get("feed"), list):
            for entry in value["feed"]:
                yield from self.feed_item(entry, dumps(entry), line)
        elif isinstance(value, dict) and isinstance(value.get("posts"), list):
            for view in value["posts"]:
                self.record += 1
                yield from self.post(view, dumps(view), line)
        elif isinstance(value, dict) and isinstance(value.get("thread"), dict):
            yield from self.thread(value["thread"], line)
        elif isinstance(value, dict) and _is_thread_node(value):
            yield from self.thread(value, line)
        elif isinstance(value, dict) and isinstance(value.get("post"), dict):
            yield from self.feed_item(value, raw, line)
        elif _is_view(value):
            self.record += 1
            yield from self.post(value, raw, line)
        else:
            what = "not a JSON object" if not isinstance(value, dict) else "no feed, posts or post"
            yield self.quarantine(f"not a post view: {what}", raw, line)

    def feed_item(self, entry: Any, raw: str, line: int | None) -> Iterator[ParsedItem]:
        entry = as_dict(entry)
        view = entry.get("post")
        if not _is_view(view):
            yield self.quarantine("not a post view: feed item without a post view", raw, line)
            return
        self.record += 1
        yield from self.post(view, raw, line)
        reply = as_dict(entry.get("reply"))
        for key in ("root", "parent"):
            context = reply.get(key)
            if context is not None:
                yield from self.post(context, dumps(context), line)
        grandparent = self.account(reply.get("grandparentAuthor"), line)
        if grandparent is not None:
            yield grandparent
        reason = as_dict(entry.get("reason"))
        if reason.get("$type") == _REPOST:
            yield from self.repost(reason, view, line)

    def thread(self, node: dict[str, Any], line: int | None) -> Iterator[ParsedItem]:
        """The posts of a thread: its parents from the root down, the node, then its replies
        breadth-first (iteratively: threads nest as deep as they are long)."""
        parents: list[dict[str, Any]] = []
        parent = node.get("parent")
        while isinstance(parent, dict):
            parents.append(parent)
            parent = parent.get("parent")
        for current in reversed(parents):
            yield from self.thread_node(current, line)
        queue = [node]
        while queue:
            current = queue.pop(0)
            yield from self.thread_node(current, line)
            queue.extend(r for r in as_list(current.get("replies")) if isinstance(r, dict))

    def thread_node(self, node: dict[str, Any], line: int | None) -> Iterator[ParsedItem]:
        kept = {k: v for k, v in node.items() if k not in ("parent", "replies")}
        self.record += 1
        yield from self.post(node.get("post", node), dumps(kept), line)

    def post(self, view: Any, raw: str, line: int | None) -> Iterator[ParsedItem]:
        """One post view (or a not-found or blocked post) as a `Post` and its accounts."""
        view = as_dict(view)
        kind = text_or_none(view.get("$type")) or ""
        uri = view.get("uri")
        if isinstance(uri, str) and uri in self.seen:
            return  # shown twice in one page (a thread's root and parent)
        for flag, what in (("notFound", "not found"), ("blocked", "blocked")):
            if kind.endswith(f"#{flag}Post") or view.get(flag) is True:
                self.seen.add(str(uri))
                yield Quarantined(f"not a post ({what}): {uri}", raw, self.record, line)
                return
        parts = parse_at_uri(uri)
        author = as_dict(view.get("author"))
        if parts is None or parts[1] != POST:
            reason = "invalid record: post view without an at:// post uri"
            yield Quarantined(reason, raw, self.record, line)
            return
        did = text_or_none(author.get("did")) or parts[0]
        if not did.startswith("did:"):
            reason = f"invalid record: the post's author {did!r} is not a DID"
            yield Quarantined(reason, raw, self.record, line)
            return
        self.seen.add(str(uri))
        prov = Provenance(self.source, self.record, line)
        handle = _handle(author)
        quoted = _quoted_view(view.get("embed"))
        for item in map_record(
            did,
            POST,
            parts[2],
            view.get("record"),
            raw=raw,
            prov=prov,
            platform=self.platform,
            date_formats=self.ctx.date_formats,
        ):
            if isinstance(item, Post):
                item.account_handle = handle
                if quoted and item.kind == "quote" and quoted.get("uri") == item.ref_post_id:
                    item.ref_account_handle = _handle(as_dict(quoted.get("author")))
                metrics = {
                    name: n
                    for key, name in _METRICS
                    if (n := int_or_none(view.get(key))) is not None
                }
                item.metrics = metrics or None
            yield item
        for profile in (author, as_dict(quoted.get("author")) if quoted else {}):
            account = self.account(profile, line)
            if account is not None:
                yield account

    def repost(
        self, reason: dict[str, Any], view: dict[str, Any], line: int | None
    ) -> Iterator[ParsedItem]:
        by = as_dict(reason.get("by"))
        reposter = text_or_none(by.get("did"))
        subject = str(view.get("uri"))
        raw = dumps(reason)
        if reposter is None:
            yield Quarantined(
                "invalid record: repost without its reposter (by.did)", raw, self.record, line
            )
            return
        created = parse_date(reason.get("indexedAt"), self.ctx.date_formats, parse_bsky_date)
        if created is None:
            shown = reason.get("indexedAt")
            reason_text = unparseable_date_reason(None if shown is None else str(shown))
            yield Quarantined(reason_text, raw, self.record, line)
            return
        uri = reason.get("uri")
        parts = parse_at_uri(uri)
        post_id = str(uri) if parts is not None and parts[1] == "app.bsky.feed.repost" else None
        author = as_dict(view.get("author"))
        yield Post(
            platform=self.platform,
            post_id=post_id or f"repost:{reposter}:{subject}",
            account_id=reposter,
            account_handle=_handle(by),
            created_at=created,
            text=None,
            kind="retweet",
            ref_post_id=subject,
            ref_account_id=text_or_none(author.get("did")),
            ref_account_handle=_handle(author),
            hashtags=[],
            mentions=[],
            urls=[],
            raw=raw,
            provenance=Provenance(self.source, self.record, line),
        )
        account = self.account(by, line)
        if account is not None:
            yield account

    def account(self, profile: Any, line: int | None) -> Account | None:
        profile = as_dict(profile)
        did = text_or_none(profile.get("did"))
        if did is None or not did.startswith("did:"):
            return None
        return Account(
            platform=self.platform,
            account_id=did,
            handle=_handle(profile),
            display_name=text_or_none(profile.get("displayName")),
            description=text_or_none(profile.get("description")),
            created_at=parse_bsky_date(profile.get("createdAt")),
            followers=int_or_none(profile.get("followersCount")),
            following=int_or_none(profile.get("followsCount")),
            posts_count=int_or_none(profile.get("postsCount")),
            raw=dumps(profile),
            provenance=Provenance(self.source, self.record, line),
        )


def _handle(profile: dict[str, Any]) -> str | None:
    handle = text_or_none(profile.get("handle"))
    # "handle.invalid" is what the AppView shows when a handle no longer resolves.
    return None if handle is None or handle == "handle.invalid" else handle.lower()


def _quoted_view(embed: Any) -> dict[str, Any]:
    """The view of the post an embed view quotes (``viewRecord``), or {}."""
    embed = as_dict(embed)
    kind = embed.get("$type")
    if kind == _EMBED_RECORD_VIEW:
        return as_dict(embed.get("record"))
    if kind == _EMBED_WITH_MEDIA_VIEW:
        return as_dict(as_dict(embed.get("record")).get("record"))
    return {}


def _is_thread_node(value: dict[str, Any]) -> bool:
    kind = text_or_none(value.get("$type")) or ""
    return kind == f"{_DEFS}#threadViewPost" or (
        _is_view(value.get("post")) and ("replies" in value or "parent" in value)
    )


register(BlueskyApi())
