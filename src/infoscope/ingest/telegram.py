"""Telegram Desktop chat export (``result.json`` of one channel, group or chat).

Users get it from Telegram Desktop: open the channel or chat, menu "Export chat history",
format "Machine-readable JSON". The file is one JSON object::

    {"name": "...", "type": "public_channel", "id": 1234567890, "messages": [
        {"id": 7, "type": "message", "date": "2021-03-01T10:00:00",
         "date_unixtime": "1614592800", "from": "...", "from_id": "channel1234567890",
         "forwarded_from": "...", "reply_to_message_id": 5, "photo": "photos/...jpg",
         "text": ["plain ", {"type": "hashtag", "text": "#tag"}],
         "text_entities": [...], "reactions": [{"type": "emoji", "count": 3, "emoji": "👍"}]},
        ...]}

Real exports run to hundreds of MB, so the file is streamed: the chat's ``name``, ``type``
and ``id`` are read from the first bytes (Telegram Desktop writes them before ``messages``;
an export without an ``id`` there is refused with a message), and the items of
``messages`` are read one at a time with ijson. A full-account export (``about``,
``chats.list``) is not this format: export the chat on its own.

Mapping (Telegram Desktop's writer, ``export_output_json.cpp``, defines the fields):

- ``post_id`` is ``<chat id>/<message id>``: message ids are only unique within a chat.
- ``account_id`` is ``from_id`` (``user123``, ``channel456``, ``chat789``); a message
  without one in a channel is the channel's own post. Telegram exports carry no @usernames,
  so ``account_handle`` is the display name (``from``); ids are the stable key.
- ``created_at`` comes from ``date_unixtime`` (seconds since the epoch, so UTC). Old exports
  only have ``date``, written in the local time of the machine that exported, with no offset:
  it is read as UTC and may therefore be off by that machine's UTC offset, or with the
  ``--date-format`` layouts when given (an export edited by hand or another tool). A message
  with neither parsable is quarantined with the value and the fix.
- A forward (``forwarded_from``) is a repost: kind ``retweet`` with ``ref_account_handle`` the
  origin's display name and ``ref_account_id`` its ``forwarded_from_id`` when the export has
  it; the origin message id is not exported. Otherwise ``reply_to_message_id`` gives kind
  ``reply`` with ``ref_post_id`` ``<chat id>/<reply id>`` (the chat of ``reply_to_peer_id``
  when the reply is to another chat). The replied-to author is not in the message: unknown.
- ``text`` is the concatenation of the text parts. Hashtags, mentions and URLs come from the
  entities Telegram marked (``text_entities``, else the object parts of ``text``): hashtag,
  mention (``@name``), mention_name (a user without a username, stored as ``user<id>``, the
  same string as that user's ``account_id``), link and text_link (its ``href``). When the
  message has no entity list they are extracted from the text at store time.
- ``media_ids`` are the relative paths of ``photo`` and ``file`` in the export folder; the
  placeholders written for files not downloaded ("(File not included. ...)") are left out.
- ``metrics``: ``reactions`` (total), ``reaction:<emoji>`` per emoji, and ``views`` and
  ``forwards`` when the export has them. Other fields (``edited``, ``media_type``, ...) stay in
  ``raw``.
- Service messages (joins, pins, title changes) and ``unsupported`` messages are not posts:
  they are quarantined with reason ``not a post: ...`` so that nothing is dropped silently.
  A file cut short (or otherwise invalid JSON) keeps the messages before the damage; the rest
  is quarantined as ``invalid JSON: ...``. Telegram Desktop writes UTF-8; a file re-saved in
  another encoding is refused with a message naming ``--encoding``, and read with it.

One `Account` is yielded for the chat itself (``user``/``chat``/``channel`` + id by chat type,
provenance record 0: the export's header, not a message) and one for each sender, with the
record of the sender's first message.
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import ijson
import orjson

from infoscope.errors import InfoscopeError, InputEncodingError
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
from infoscope.ingest.reading import PREVIEW_BYTES, CountingReader, too_large
from infoscope.ingest.sources import HEAD_BYTES, Source
from infoscope.records import Account, Post, Provenance

__all__ = ["TelegramExport", "read_header"]

# Chat type -> prefix of its peer id, as Telegram Desktop writes from_id ("user123", ...).
_PEER_PREFIX = {
    "personal_chat": "user",
    "bot_chat": "user",
    "saved_messages": "user",
    "replies": "user",
    "private_group": "chat",
    "private_supergroup": "channel",
    "public_supergroup": "channel",
    "private_channel": "channel",
    "public_channel": "channel",
}
_CHANNEL_TYPES = frozenset({"private_channel", "public_channel"})
_HEADER_KEYS = ("name", "type", "id")
# Fields mapped to Post columns; everything else is kept in `raw`.
_MAPPED = frozenset(
    {
        "id",
        "type",
        "date",
        "date_unixtime",
        "from",
        "from_id",
        "text",
        "text_entities",
        "photo",
        "file",
        "reactions",
        "views",
        "forwards",
        "forwarded_from",
        "forwarded_from_id",
    }
)
_PEER_ID = re.compile(r"^(?:user|chat|channel)(-?\d+)$")
_BOM = codecs.BOM_UTF8


class _Recoded(io.RawIOBase):
    """A byte stream in another encoding, re-encoded as UTF-8 for ijson."""

    def __init__(self, stream: io.BufferedReader, encoding: str):
        self._text = io.TextIOWrapper(stream, encoding=encoding, newline="")
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(1 << 16)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


def read_header(head: bytes) -> dict[str, Any]:
    """The chat's ``name``, ``type`` and ``id`` written before ``messages`` in `head`."""
    header: dict[str, Any] = {}
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head.removeprefix(_BOM))):
            if prefix == "" and event == "map_key" and value == "messages":
                break
            if prefix in _HEADER_KEYS and event in ("string", "number", "null"):
                header[prefix] = int(value) if prefix == "id" and event == "number" else value
    except ijson.common.IncompleteJSONError:
        # `head` is a prefix of the file: it may end anywhere.
        pass
    return header


def _text_of(message: Mapping[str, Any]) -> str | None:
    text = message.get("text")
    if text is None:
        text = message.get("text_entities")
    if isinstance(text, list):
        text = "".join(p if isinstance(p, str) else str(p.get("text", "")) for p in text)
    return text if isinstance(text, str) and text else None


def _entities_of(message: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    entities = message.get("text_entities")
    if isinstance(entities, list):
        return [e for e in entities if isinstance(e, dict)]
    text = message.get("text")
    if isinstance(text, list):
        return [p for p in text if isinstance(p, dict)]
    return None


def _entity_lists(
    entities: list[Mapping[str, Any]],
) -> tuple[list[str], list[str], list[str]]:
    """Hashtags, mentions and raw URLs that Telegram marked in the text."""
    hashtags: list[str] = []
    mentions: list[str] = []
    urls: list[str] = []
    for e in entities:
        kind = e.get("type")
        text = str(e.get("text") or "")
        if kind == "hashtag" and text.lstrip("#＃"):
            hashtags.append(text.lstrip("#＃").lower())
        elif kind == "mention" and text.lstrip("@＠"):
            mentions.append(text.lstrip("@＠").lower())
        elif kind == "mention_name":
            user_id = e.get("user_id")
            if user_id is not None:
                mentions.append(f"user{user_id}")
            elif text:
                mentions.append(text.lower())
        elif kind in ("link", "url") and text:
            urls.append(text)
        elif kind == "text_link" and e.get("href"):
            urls.append(str(e["href"]))
    return hashtags, mentions, urls


def _local_iso(date: Any) -> datetime | None:
    if not isinstance(date, str):
        return None
    try:
        parsed = datetime.fromisoformat(date.strip())
    except ValueError:
        return None
    # Local time of the exporting machine, offset unknown: read as UTC (module docstring).
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _created_at(message: Mapping[str, Any], layouts: tuple[str, ...]) -> datetime | None:
    unix = message.get("date_unixtime")
    if isinstance(unix, int | float) or (isinstance(unix, str) and unix.strip().isdigit()):
        try:
            return datetime.fromtimestamp(int(unix), UTC)
        except (OverflowError, OSError, ValueError):
            return None
    return parse_date(message.get("date"), layouts, _local_iso)


def _media_ids(message: Mapping[str, Any]) -> list[str] | None:
    paths = [
        str(message[k])
        for k in ("photo", "file")
        if isinstance(message.get(k), str) and message[k] and not message[k].startswith("(")
    ]
    return paths or None


def _metrics(message: Mapping[str, Any]) -> dict[str, int] | None:
    metrics: dict[str, int] = {}
    reactions = message.get("reactions")
    if isinstance(reactions, list):
        total = 0
        for r in reactions:
            if not isinstance(r, dict) or not isinstance(r.get("count"), int):
                continue
            total += r["count"]
            if r.get("type") == "emoji" and r.get("emoji"):
                key = f"reaction:{r['emoji']}"
                metrics[key] = metrics.get(key, 0) + r["count"]
        metrics["reactions"] = total
    for key in ("views", "forwards"):
        if isinstance(message.get(key), int):
            metrics[key] = message[key]
    return metrics or None


def _bare_peer(peer: Any) -> str | None:
    """``channel123`` -> ``123``: the chat id part of a peer id."""
    match = _PEER_ID.match(str(peer))
    return match.group(1) if match else None


def _encoding_error(source: str, where: str) -> InputEncodingError:
    return InputEncodingError(
        f"{source}: not valid UTF-8 {where}. Telegram Desktop writes UTF-8, so the file was "
        "re-saved in another encoding: pass --encoding with it (often worth trying: "
        "--encoding cp1251 or --encoding latin-1)"
    )


def _check_utf8(head: bytes, source: str) -> None:
    """Refuse a head that is not UTF-8 (a character cut by the head's end is fine)."""
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 3:
            line = head.count(b"\n", 0, exc.start) + 1
            raise _encoding_error(source, f"(line {line})") from None


def _dumps(value: Any) -> str:
    return orjson.dumps(value, default=str).decode()


class TelegramExport(RecordFormat):
    name = "telegram"
    containers = JSON_KINDS
    description = "Telegram Desktop chat or channel export (result.json, machine-readable JSON)"
    extensions = (".json",)

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind == "json-object":
            keys: frozenset[str] | set[str] = sniff.top_keys
        elif sniff.kind == "jsonl" and sniff.first is not None:
            # A small export written on one line looks like JSON Lines to the sniffer.
            keys = set(sniff.first)
        else:
            return 0
        if "messages" not in keys or not keys & {"type", "name"}:
            return 0
        return 10 + len(keys & {"messages", "type", "name", "id"})

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        utf8 = ctx.encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
        head = source.head if utf8 else source.head.decode(ctx.encoding, "replace").encode()
        if utf8:
            # Only the first bytes: past them (a one-line export read on for detection) the
            # streaming reader names the message where the damage is.
            _check_utf8(head[:HEAD_BYTES], source.name)
        header = read_header(head)
        chat_id = header.get("id")
        if chat_id is None:
            raise InfoscopeError(
                f"{source.name}: no chat 'id' before 'messages'; a Telegram Desktop export "
                "starts with the chat's name, type and id. Export the chat again from "
                "Telegram Desktop (Export chat history, JSON)"
            )
        chat_id = str(chat_id)
        chat_type = str(header.get("type") or "")
        chat_name = header.get("name")
        platform = ctx.platform or "telegram"
        chat_account = f"{_PEER_PREFIX.get(chat_type, 'chat')}{chat_id}"
        is_channel = chat_type in _CHANNEL_TYPES
        yield Account(
            platform,
            chat_account,
            handle=chat_name,
            display_name=chat_name,
            raw=_dumps({"type": chat_type}),
            provenance=Provenance(source.name, 0),
        )

        stream: Any = source.stream
        if not utf8:
            stream = io.BufferedReader(_Recoded(stream, ctx.encoding))
        if stream.peek(3)[:3] == _BOM:
            stream.read(3)
        senders: set[str] = {chat_account}
        record = 0
        # A message over the record limit is parsed (ijson cannot skip it unread) but dropped;
        # only a message after a read of nearly the limit can be one (ijson reads ahead by at
        # most one 64 KiB buffer), so few are measured.
        limit = ctx.max_record_bytes
        counted = CountingReader(stream)
        seen = 0
        try:
            for message in ijson.items(counted, "messages.item", use_float=True):
                record += 1
                if counted.consumed - seen > limit - (1 << 17):
                    raw = _dumps(message)
                    if len(raw.encode()) > limit:
                        seen = counted.consumed
                        yield Quarantined(too_large(limit), raw[:PREVIEW_BYTES], record)
                        continue
                seen = counted.consumed
                yield from self._message(
                    message,
                    record,
                    source.name,
                    chat_id,
                    chat_account,
                    chat_name,
                    is_channel,
                    platform,
                    senders,
                    ctx.date_formats,
                )
        except ijson.common.JSONError as exc:
            if "invalid bytes in UTF8" in str(exc):
                raise _encoding_error(source.name, f"after message {record}") from None
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else "unexpected end"
            yield Quarantined(
                f"invalid JSON: {detail} (after message {record}; the rest of the file "
                "is not read)",
                None,
                record + 1,
            )

    def _message(
        self,
        message: Any,
        record: int,
        source: str,
        chat_id: str,
        chat_account: str,
        chat_name: str | None,
        is_channel: bool,
        platform: str,
        senders: set[str],
        layouts: tuple[str, ...] = (),
    ) -> Iterator[ParsedItem]:
        if not isinstance(message, dict):
            yield Quarantined("not a post: not a JSON object", _dumps(message), record)
            return
        mtype = message.get("type", "message")
        if mtype != "message":
            what = f"{mtype} message"
            if mtype == "service" and message.get("action"):
                what += f" ({message['action']})"
            yield Quarantined(f"not a post: {what}", _dumps(message), record)
            return
        if message.get("id") is None:
            yield Quarantined("missing post id", _dumps(message), record)
            return
        created = _created_at(message, layouts)
        if created is None:
            raw_date = message.get("date") or message.get("date_unixtime")
            shown = None if raw_date is None else str(raw_date)
            yield Quarantined(unparseable_date_reason(shown), _dumps(message), record)
            return
        prov = Provenance(source, record)
        account_id = message.get("from_id")
        handle = message.get("from")
        if account_id is None and is_channel:
            account_id, handle = chat_account, handle or chat_name
        account_id = None if account_id is None else str(account_id)
        if account_id is not None and account_id not in senders:
            senders.add(account_id)
            yield Account(platform, account_id, handle=handle, display_name=handle, provenance=prov)

        mapped = set(_MAPPED)
        kind = "original"
        ref_post = ref_account_id = ref_handle = None
        # The key marks a forward: its value is null when the origin has no name (deleted).
        if "forwarded_from" in message or "forwarded_from_id" in message:
            kind = "retweet"
            ref_handle = message.get("forwarded_from")
            ref_account_id = message.get("forwarded_from_id")
        elif message.get("reply_to_message_id") is not None:
            kind = "reply"
            peer = message.get("reply_to_peer_id")
            ref_chat = chat_id if peer is None else (_bare_peer(peer) or str(peer))
            ref_post = f"{ref_chat}/{message['reply_to_message_id']}"
            mapped |= {"reply_to_message_id", "reply_to_peer_id"}

        entities = _entities_of(message)
        hashtags = mentions = urls = None
        if entities is not None:
            hashtags, mentions, urls = _entity_lists(entities)
        rest = {k: v for k, v in message.items() if k not in mapped}
        yield Post(
            platform=platform,
            post_id=f"{chat_id}/{message['id']}",
            account_id=account_id,
            account_handle=handle,
            created_at=created,
            text=_text_of(message),
            kind=kind,
            ref_post_id=ref_post,
            ref_account_id=None if ref_account_id is None else str(ref_account_id),
            ref_account_handle=ref_handle,
            hashtags=hashtags,
            mentions=mentions,
            urls=urls,
            media_ids=_media_ids(message),
            metrics=_metrics(message),
            raw=_dumps(rest) if rest else None,
            provenance=prov,
        )


register(TelegramExport())
