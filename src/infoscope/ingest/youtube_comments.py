"""YouTube comments: YouTube Data API v3 responses, and youtube-comment-downloader output.

Two sources of the same comments, both recognised:

- **YouTube Data API v3** (``commentThreads.list``, ``comments.list``), saved as the API
  returns them: one response a line (JSON Lines), a JSON array of responses, or a response
  pretty-printed; threads or comments one a line are read too. A ``youtube#commentThread``
  holds ``snippet.topLevelComment`` and, with ``part=replies``, ``replies.comments``; each
  comment is a ``youtube#comment`` with ``snippet.textOriginal``/``textDisplay``,
  ``authorDisplayName``, ``authorChannelId.value``, ``authorChannelUrl``, ``likeCount``,
  ``publishedAt``, ``updatedAt``, ``videoId``, ``channelId`` and, for replies, ``parentId``.
  Detected by the value of ``kind`` (``youtube#commentThreadListResponse``,
  ``youtube#commentListResponse``, ``youtube#commentThread``, ``youtube#comment``).
- **youtube-comment-downloader** (egbertbouman), which scrapes the web page: one comment a
  line, ``{"cid", "text", "time", "author", "channel", "votes", "replies", "photo", "heart",
  "reply", "time_parsed"}`` (and ``paid`` for a paid comment); with ``--pretty``, one
  indented ``{"comments": [...]}`` object, streamed item by item. Detected by ``cid``,
  ``text``, ``channel`` with ``votes`` or ``time_parsed``.

Field reference: the Data API's CommentThreads and Comments resources (developers.google.com
/youtube/v3/docs), and youtube-comment-downloader's ``downloader.py``.

Mapping
-------
- ``post_id`` is the comment id (a reply's id is ``<parent id>.<reply id>``); ``account_id``
  the author's channel id (``authorChannelId.value``; the downloader's ``channel``), NULL when
  the API gives none (deleted channels). ``account_handle`` is the ``@handle``: the display
  name without its ``@`` when YouTube shows handles there (it has since 2023), else the handle
  of ``authorChannelUrl`` (``.../@handle``), else NULL (an old-style display name is not a
  handle; it is kept as the account's display name).
- Every comment is kind ``reply``. A reply's ``ref_post_id`` is its parent comment
  (``parentId``; the downloader's id before the dot) and ``ref_account_id`` the parent's
  author when the parent was read in the same thread (API) or shortly before (the downloader
  writes a page of comments, then their replies). A top-level comment replies to the video:
  ``ref_post_id`` is the ``videoId`` and ``ref_account_id`` the video's channel
  (``snippet.channelId``), so that the co-reply trace and reply networks see commenters of the
  same video, and the co-link trace does not (the video's URL is not put in ``urls``: every
  commenter would "share" it). The downloader's lines do not name the video: their top-level
  comments have no ``ref_post_id``.
- ``created_at``: ``publishedAt`` (ISO 8601, UTC; ``--date-format`` layouts when given). The
  downloader only has the relative time the page shows (``"2 years ago"``), and
  ``time_parsed``, that text read at download time: days to months off for old comments, so
  time windows are only meaningful for recent ones. A line without ``time_parsed`` is
  quarantined with its ``time``.
- ``text``: ``textOriginal``, else ``textDisplay`` (HTML unless requested as plain text: tags
  removed, entities decoded). Hashtags, mentions and URLs are extracted from the text at store
  time.
- ``metrics``: ``like_count`` (``likeCount``; the downloader's ``votes`` as shown, ``1.2K``
  read as 1200; other notations stay in ``raw`` only) and ``reply_count`` (the thread's
  ``totalReplyCount``; the downloader's ``replies``).
- ``raw``: the comment resource (for a top-level comment, with the thread's own fields under
  ``thread``, its replies left out: they are posts of their own); the downloader's line as read.

Accounts: one per comment author with a channel id: ``handle`` as above, ``display_name``,
``url`` (``authorChannelUrl``) and ``raw`` ``{"account_kind": "channel", ...}`` with the
profile image. Provenance: every comment is its own record (``record`` counts comments in the
file, ``line`` is the line of the response that holds it). A response with ``error`` is
quarantined as ``not a post: API error ...``; an object of another ``kind`` as ``not a post:
...``; a comment without an id as ``missing post id``.
"""

from __future__ import annotations

import html
import re
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import ijson
import orjson

from infoscope.ingest._json_records import (
    Bad,
    _utf8,
    as_dict,
    as_list,
    dumps,
    head_keys,
    int_or_none,
    iter_json_records,
    layout_of,
    text_or_none,
)
from infoscope.ingest._social_json import iso_utc, keys_at, post_time, value_at
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

__all__ = ["YouTubeComments", "parse_votes"]

PLATFORM = "youtube"
_PAGE_KINDS = frozenset({"youtube#commentThreadListResponse", "youtube#commentListResponse"})
_ITEM_KINDS = frozenset({"youtube#commentThread", "youtube#comment"})
_DOWNLOADER_KEYS = frozenset({"cid", "text", "channel"})
_HANDLE_IN_URL = re.compile(r"/@([^/?#\s]+)")
_TAG = re.compile(r"<[^>]+>")
_VOTES = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*([KkMm]?)")
# Parents remembered for the downloader's replies (they follow their page of comments).
_RECENT_PARENTS = 10_000


def parse_votes(value: Any) -> int | None:
    """A like count as YouTube shows it: ``"7"``, ``"1.2K"`` (1200), ``"3M"``; else None."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if not isinstance(value, str):
        return None
    if not value.strip():
        return 0
    match = _VOTES.fullmatch(value.strip())
    if match is None:
        return None
    number, unit = match.groups()
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[unit.lower()]
    return round(float(number) * scale)


def _handle(display: str | None, channel_url: str | None) -> str | None:
    if display and display.startswith("@") and len(display) > 1:
        return display[1:]
    match = _HANDLE_IN_URL.search(channel_url or "")
    return match.group(1) if match else None


def _plain(text_display: str) -> str:
    """``textDisplay`` in the default HTML format as plain text."""
    if "<" not in text_display and "&" not in text_display:
        return text_display
    return html.unescape(_TAG.sub("", text_display.replace("<br>", "\n")))


class YouTubeComments(RecordFormat):
    name = "youtube-comments"
    containers = JSON_KINDS
    description = (
        "YouTube comments: Data API v3 commentThreads/comments responses, or "
        "youtube-comment-downloader JSON Lines"
    )

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind not in JSON_KINDS:
            return 0
        kind = value_at(sniff, "kind")
        if isinstance(kind, str) and kind in _PAGE_KINDS | _ITEM_KINDS:
            return 30
        keys = keys_at(sniff)
        if keys >= _DOWNLOADER_KEYS and keys & {"votes", "time_parsed"}:
            return 25
        if keys == {"comments"} and keys_at(sniff, "comments.item") >= _DOWNLOADER_KEYS:
            return 25  # --pretty output
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        parser = _Parser(source.name, ctx.platform or PLATFORM, ctx.date_formats)
        if layout_of(source.head) == "documents" and "comments" in head_keys(source.head, ""):
            yield from parser.pretty_downloader(source, ctx)
            return
        for item in iter_json_records(source, ctx):
            if isinstance(item, Bad):
                yield Quarantined(item.reason, item.raw, parser.next_record(), item.line)
                continue
            yield from parser.top_level(item.value, item.raw, item.line)


class _Parser:
    """State of one source: the record counter and the downloader's recent parents."""

    def __init__(self, source: str, platform: str, layouts: tuple[str, ...]):
        self.source = source
        self.platform = platform
        self.layouts = layouts
        self.record = 0
        self.parents: OrderedDict[str, tuple[str | None, str | None]] = OrderedDict()

    def next_record(self) -> int:
        self.record += 1
        return self.record

    def top_level(self, value: Any, raw: str, line: int | None) -> Iterator[ParsedItem]:
        if not isinstance(value, dict):
            yield Quarantined("not a post: not a JSON object", raw, self.next_record(), line)
            return
        kind = value.get("kind")
        if "error" in value and "items" not in value:
            error = as_dict(value.get("error"))
            what = f"{error.get('code', '')} {error.get('message', '')}".strip()
            yield Quarantined(f"not a post: API error {what}", raw, self.next_record(), line)
        elif kind in _PAGE_KINDS:
            for item in as_list(value.get("items")):
                yield from self.api_item(item, line)
        elif kind in _ITEM_KINDS:
            yield from self.api_item(value, line, raw)
        elif "cid" in value:
            yield from self.downloader(value, raw, line)
        else:
            what = f"kind {kind}" if isinstance(kind, str) else "no kind or cid"
            yield Quarantined(f"not a post: {what}", raw, self.next_record(), line)

    # -- Data API ------------------------------------------------------------------------------

    def api_item(self, item: Any, line: int | None, raw: str | None = None) -> Iterator[ParsedItem]:
        if not isinstance(item, dict):
            raw = raw or orjson.dumps(item).decode()
            yield Quarantined("not a post: not a JSON object", raw, self.next_record(), line)
            return
        if item.get("kind") == "youtube#comment":
            yield from self.api_comment(item, line, None, (None, None))
            return
        if item.get("kind") != "youtube#commentThread":
            what = f"kind {item.get('kind')}"
            yield Quarantined(f"not a post: {what}", raw or dumps(item), self.next_record(), line)
            return
        snippet = as_dict(item.get("snippet"))
        top = snippet.get("topLevelComment")
        thread = {k: v for k, v in item.items() if k != "replies"}
        thread["snippet"] = {k: v for k, v in snippet.items() if k != "topLevelComment"}
        top_author: tuple[str | None, str | None] = (None, None)
        if isinstance(top, dict):
            top_snippet = as_dict(top.get("snippet"))
            top_author = (
                text_or_none(as_dict(top_snippet.get("authorChannelId")).get("value")),
                _handle(
                    text_or_none(top_snippet.get("authorDisplayName")),
                    text_or_none(top_snippet.get("authorChannelUrl")),
                ),
            )
            yield from self.api_comment(top, line, thread, (None, None))
        else:
            yield Quarantined(
                "missing post id: a thread without its topLevelComment",
                dumps(thread),
                self.next_record(),
                line,
            )
        for reply in as_list(as_dict(item.get("replies")).get("comments")):
            yield from self.api_comment(reply, line, None, top_author)

    def api_comment(
        self,
        comment: Any,
        line: int | None,
        thread: dict[str, Any] | None,
        parent_author: tuple[str | None, str | None],
    ) -> Iterator[ParsedItem]:
        record = self.next_record()
        if not isinstance(comment, dict):
            yield Quarantined("not a post: not a JSON object", dumps(comment), record, line)
            return
        raw = dumps({**comment, "thread": thread} if thread is not None else comment)
        post_id = text_or_none(comment.get("id"))
        if post_id is None:
            yield Quarantined("missing post id", raw, record, line)
            return
        snippet = as_dict(comment.get("snippet"))
        created = parse_date(snippet.get("publishedAt"), self.layouts, iso_utc)
        if created is None:
            shown = snippet.get("publishedAt")
            yield Quarantined(unparseable_date_reason(shown), raw, record, line)
            return
        author = text_or_none(as_dict(snippet.get("authorChannelId")).get("value"))
        display = text_or_none(snippet.get("authorDisplayName"))
        channel_url = text_or_none(snippet.get("authorChannelUrl"))
        handle = _handle(display, channel_url)
        parent = text_or_none(snippet.get("parentId"))
        thread_snippet = as_dict(as_dict(thread).get("snippet"))
        ref_post: str | None = parent
        ref_account, ref_handle = parent_author
        if parent is None:
            video = snippet.get("videoId") or thread_snippet.get("videoId")
            channel = snippet.get("channelId") or thread_snippet.get("channelId")
            ref_post, ref_account, ref_handle = text_or_none(video), text_or_none(channel), None
        text = snippet.get("textOriginal")
        if not isinstance(text, str):
            display_text = snippet.get("textDisplay")
            text = _plain(display_text) if isinstance(display_text, str) else None
        metrics = {
            name: value
            for name, value in (
                ("like_count", int_or_none(snippet.get("likeCount"))),
                ("reply_count", int_or_none(thread_snippet.get("totalReplyCount"))),
            )
            if value is not None
        }
        prov = Provenance(self.source, record, line)
        yield Post(
            platform=self.platform,
            post_id=post_id,
            account_id=author,
            account_handle=handle,
            created_at=created,
            text=text,
            kind="reply",
            ref_post_id=ref_post,
            ref_account_id=ref_account,
            ref_account_handle=ref_handle,
            metrics=metrics or None,
            raw=raw,
            provenance=prov,
        )
        if author is not None:
            profile = {"account_kind": "channel"}
            if image := text_or_none(snippet.get("authorProfileImageUrl")):
                profile["authorProfileImageUrl"] = image
            yield Account(
                self.platform,
                author,
                handle=handle,
                display_name=display,
                url=channel_url,
                raw=dumps(profile),
                provenance=Provenance(self.source, record, line),
            )

    # -- youtube-comment-downloader ------------------------------------------------------------

    def pretty_downloader(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        stream = _utf8(source.stream, ctx.encoding, source.name)
        try:
            for comment in ijson.items(stream, "comments.item", use_float=True):
                raw = dumps(comment)
                if isinstance(comment, dict):
                    yield from self.downloader(comment, raw, None)
                else:
                    record = self.next_record()
                    yield Quarantined("not a post: not a JSON object", raw, record, None)
        except ijson.JSONError as exc:
            message = " ".join(str(exc).split())
            yield Quarantined(
                f"invalid JSON: {message}; the rest of the document is not read",
                None,
                self.next_record(),
                None,
            )

    def downloader(
        self, comment: dict[str, Any], raw: str, line: int | None
    ) -> Iterator[ParsedItem]:
        record = self.next_record()
        post_id = text_or_none(comment.get("cid"))
        if post_id is None:
            yield Quarantined("missing post id", raw, record, line)
            return
        parsed = comment.get("time_parsed")
        created = post_time(parsed, ()) if parsed is not None else None
        if created is None and self.layouts:
            # Only a tool that rewrote ``time`` as a date can be helped by --date-format.
            created = post_time(comment.get("time"), self.layouts)
        if created is None:
            shown = comment.get("time") if parsed is None else parsed
            yield Quarantined(unparseable_date_reason(_shown(shown)), raw, record, line)
            return
        author = text_or_none(comment.get("channel"))
        display = text_or_none(comment.get("author"))
        handle = _handle(display, None)
        is_reply = comment.get("reply") is True or "." in post_id
        ref_post = None
        ref_account: tuple[str | None, str | None] = (None, None)
        if is_reply:
            ref_post = post_id.split(".", 1)[0]
            ref_account = self.parents.get(ref_post, ref_account)
        else:
            self.parents[post_id] = (author, handle)
            if len(self.parents) > _RECENT_PARENTS:
                self.parents.popitem(last=False)
        metrics = {
            name: value
            for name, value in (
                ("like_count", parse_votes(comment.get("votes"))),
                ("reply_count", parse_votes(comment.get("replies"))),
            )
            if value is not None
        }
        text = comment.get("text")
        yield Post(
            platform=self.platform,
            post_id=post_id,
            account_id=author,
            account_handle=handle,
            created_at=created,
            text=text if isinstance(text, str) else None,
            kind="reply",
            ref_post_id=ref_post,
            ref_account_id=ref_account[0],
            ref_account_handle=ref_account[1],
            metrics=metrics or None,
            raw=raw,
            provenance=Provenance(self.source, record, line),
        )
        if author is not None:
            profile = {"account_kind": "channel"}
            if photo := text_or_none(comment.get("photo")):
                profile["photo"] = photo
            yield Account(
                self.platform,
                author,
                handle=handle,
                display_name=display,
                raw=dumps(profile),
                provenance=Provenance(self.source, record, line),
            )


def _shown(value: Any) -> str | None:
    return None if value is None else str(value)


register(YouTubeComments())
