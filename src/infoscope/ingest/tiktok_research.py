"""TikTok Research API: video query and comment list responses, or their items one a line.

What is read, all recognised by their markers:

- **Responses** of ``/v2/research/video/query/`` (``{"data": {"videos": [...], "cursor",
  "has_more", "search_id"}, "error": {"code": "ok", ...}}``) and of
  ``/v2/research/video/comment/list/`` (``{"data": {"comments": [...], "cursor",
  "has_more"}, "error": {...}}``), one a line (JSON Lines), as a JSON array, or one
  pretty-printed. Detected by ``data.videos`` or ``data.comments``.
- **Videos or comments one a line**, as collection scripts write them: a video has ``id``,
  ``create_time`` and one of ``username``, ``video_description``, ``region_code``,
  ``music_id``, ``hashtag_names``, ``voice_to_text``; a comment ``id``, ``video_id``,
  ``create_time`` and ``text``.

Field reference: TikTok for Developers, Research API "Query Videos" and "Query Video
Comments" (the fields returned are those the query asked for).

Mapping
-------
- Videos: ``post_id`` the video ``id`` (a 64-bit integer, kept exactly as decimal text);
  ``account_id`` ``@`` plus the lower-case ``username`` (the API gives no user id; this is the
  key infoscope gives accounts known only by handle, and the one ``4cat-ndjson`` gives TikTok
  authors, so the same account merges across both), ``account_handle`` the ``username``;
  ``created_at`` ``create_time`` (seconds since the epoch, UTC); ``text``
  ``video_description``; kind ``original``. ``hashtags``: ``hashtag_names`` (lower-cased;
  extracted from the description when the field was not asked for); ``mentions``:
  ``video_mention_list`` (lower-cased, no ``@``). ``metrics``: ``like_count``,
  ``comment_count``, ``share_count``, ``view_count``, ``favorites_count``. Everything else
  (``region_code``, ``music_id``, ``effect_ids``, ``playlist_id``, ``voice_to_text``,
  ``is_stem_verified``, ``video_duration``, ``video_label``, ``video_tag``, sticker and effect
  lists...) stays in ``raw``.
- Comments: ``post_id`` the comment ``id``; **no author**: the Research API does not return
  who wrote a comment, so ``account_id`` and ``account_handle`` are NULL (comments count in
  text analyses, never in account-level ones). Kind ``reply``; ``ref_post_id`` the
  ``parent_comment_id`` (a reply's parent comment; for a top-level comment TikTok gives the
  video's id there), else the ``video_id``. ``metrics``: ``like_count``, ``reply_count``.
- ``created_at`` written as text (some exporters do) is read with ``--date-format`` when given,
  else as ISO 8601.
- ``raw``: the video or comment object (as read, for one a line).

One `Account` per video author (handle only). Provenance: every video or comment is its own
record, ``line`` the line of its response. A response whose ``error.code`` is not ``ok`` and
that holds nothing is quarantined as ``not a post: API error <code>: <message>``; an empty
page (the API returns some while ``has_more`` is still true) holds no record and stores
nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from infoscope.ingest._json_records import (
    Bad,
    as_dict,
    as_list,
    dumps,
    id_text,
    int_or_none,
    iter_json_records,
    text_or_none,
)
from infoscope.ingest._social_json import keys_at, post_time
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
from infoscope.records import Account, Post, Provenance

__all__ = ["TikTokResearch", "map_comment", "map_video", "tiktok_account_id"]

PLATFORM = "tiktok"
_VIDEO_MARKERS = frozenset(
    {"username", "video_description", "region_code", "music_id", "hashtag_names", "voice_to_text"}
)
_COMMENT_KEYS = frozenset({"id", "video_id", "create_time", "text"})
_VIDEO_METRICS = ("like_count", "comment_count", "share_count", "view_count", "favorites_count")
_COMMENT_METRICS = ("like_count", "reply_count")


def tiktok_account_id(username: Any) -> str | None:
    """The account key of a TikTok username: ``@`` plus its lower-case form."""
    handle = text_or_none(username)
    return None if handle is None else "@" + handle.lstrip("@").lower()


def _is_video_keys(keys: frozenset[str]) -> bool:
    return {"id", "create_time"} <= keys and bool(keys & _VIDEO_MARKERS)


def _lower_list(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [v.lstrip("#@").lower() for v in value if isinstance(v, str) and v.lstrip("#@")]


def _metrics(item: dict[str, Any], names: tuple[str, ...]) -> dict[str, int] | None:
    found = {n: v for n in names if (v := int_or_none(item.get(n))) is not None}
    return found or None


class TikTokResearch(RecordFormat):
    name = "tiktok-research"
    containers = JSON_KINDS
    description = "TikTok Research API video and comment query responses (or their items)"

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind not in JSON_KINDS:
            return 0
        keys = keys_at(sniff)
        if "data" in keys:
            data = keys_at(sniff, "data")
            if "videos" in data:
                return (
                    25
                    if _is_video_keys(keys_at(sniff, "data.videos.item"))
                    or (data & {"has_more", "cursor", "search_id"})
                    else 0
                )
            if "comments" in data:
                first = keys_at(sniff, "data.comments.item")
                return 25 if first >= _COMMENT_KEYS or data & {"has_more", "cursor"} else 0
            return 0
        if _is_video_keys(keys) or keys >= _COMMENT_KEYS:
            return 20
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or PLATFORM
        record = 0
        for item in iter_json_records(source, ctx):
            if isinstance(item, Bad):
                record += 1
                yield Quarantined(item.reason, item.raw, record, item.line)
                continue
            value = item.value
            data = as_dict(value).get("data")
            if isinstance(data, dict):
                videos = as_list(data.get("videos"))
                comments = as_list(data.get("comments"))
                error = as_dict(as_dict(value).get("error"))
                if not videos and not comments and error.get("code") not in (None, "ok"):
                    record += 1
                    reason = f"not a post: API error {error.get('code')}: {error.get('message')}"
                    yield Quarantined(reason, item.raw, record, item.line)
                    continue
                for video in videos:
                    record += 1
                    yield from map_video(
                        video, dumps(video), record, item.line, source, ctx, platform
                    )
                for comment in comments:
                    record += 1
                    raw = dumps(comment)
                    yield from map_comment(comment, raw, record, item.line, source, ctx, platform)
            else:
                record += 1
                if isinstance(value, dict) and "video_id" in value:
                    yield from map_comment(
                        value, item.raw, record, item.line, source, ctx, platform
                    )
                else:
                    yield from map_video(value, item.raw, record, item.line, source, ctx, platform)


def _start(
    value: Any, raw: str, record: int, line: int | None, layouts: tuple[str, ...]
) -> tuple[str, Any] | Quarantined:
    """The id and time of an item, or why it is quarantined."""
    if not isinstance(value, dict):
        return Quarantined("not a post: not a JSON object", raw, record, line)
    post_id = id_text(value.get("id"))
    if post_id is None:
        return Quarantined("missing post id", raw, record, line)
    created = post_time(value.get("create_time"), layouts)
    if created is None:
        shown = value.get("create_time")
        reason = unparseable_date_reason(None if shown is None else str(shown))
        return Quarantined(reason, raw, record, line)
    return post_id, created


def map_video(
    video: Any,
    raw: str,
    record: int,
    line: int | None,
    source: Source,
    ctx: ReadContext,
    platform: str,
) -> Iterator[ParsedItem]:
    """One video object as a `Post` and its author's `Account`."""
    started = _start(video, raw, record, line, ctx.date_formats)
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    handle = text_or_none(video.get("username"))
    account_id = tiktok_account_id(handle)
    description = video.get("video_description")
    prov = Provenance(source.name, record, line)
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=account_id,
        account_handle=handle,
        created_at=created,
        text=description if isinstance(description, str) else None,
        hashtags=_lower_list(video.get("hashtag_names")),
        mentions=_lower_list(video.get("video_mention_list")),
        metrics=_metrics(video, _VIDEO_METRICS),
        raw=raw,
        provenance=prov,
    )
    if account_id is not None:
        yield Account(
            platform,
            account_id,
            handle=handle,
            provenance=Provenance(source.name, record, line),
        )


def map_comment(
    comment: Any,
    raw: str,
    record: int,
    line: int | None,
    source: Source,
    ctx: ReadContext,
    platform: str,
) -> Iterator[ParsedItem]:
    """One comment object as a `Post` without author."""
    started = _start(comment, raw, record, line, ctx.date_formats)
    if isinstance(started, Quarantined):
        yield started
        return
    post_id, created = started
    text = comment.get("text")
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=None,
        account_handle=None,
        created_at=created,
        text=text if isinstance(text, str) else None,
        kind="reply",
        ref_post_id=id_text(comment.get("parent_comment_id")) or id_text(comment.get("video_id")),
        metrics=_metrics(comment, _COMMENT_METRICS),
        raw=raw,
        provenance=Provenance(source.name, record, line),
    )


register(TikTokResearch())
