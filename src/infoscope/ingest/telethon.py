"""Telegram messages collected with Telethon: ``Message.to_dict()`` dumped as JSON Lines.

What a Telethon script writes when it saves each message of ``client.iter_messages(channel)``
with ``message.to_json()`` or ``json.dumps(message.to_dict(), default=str)``, one a line (a
JSON array of them is read too)::

    {"_": "Message", "id": 45, "peer_id": {"_": "PeerChannel", "channel_id": 1001},
     "date": "2024-01-01T10:00:00+00:00", "message": "text", "post": true, "from_id": null,
     "fwd_from": {"_": "MessageFwdHeader", "from_id": {"_": "PeerChannel", "channel_id": 2002},
                  "date": "...", "channel_post": 7},
     "reply_to": {"_": "MessageReplyHeader", "reply_to_msg_id": 40},
     "views": 1500, "forwards": 3, "replies": {"_": "MessageReplies", "replies": 2},
     "reactions": {"_": "MessageReactions", "results": [...]},
     "entities": [{"_": "MessageEntityHashtag", "offset": 0, "length": 5}],
     "media": {"_": "MessageMediaPhoto", "photo": {"_": "Photo", "id": 5123}}}

Scripts often save the chat itself too (``(await client.get_entity(...)).to_dict()``): lines
whose ``_`` is ``Channel``, ``Chat`` or ``User`` become accounts with their ``username``,
title or name. Detected by ``_`` ``Message``/``MessageService`` with ``peer_id``, or
``Channel``/``Chat``/``User`` with ``id``, in the first record. Field reference: the Telegram
API schema (core.telegram.org/constructor/message) as Telethon names it.

Mapping (platform ``telegram``, the same ids as the ``telegram`` Desktop export, so messages
of both sources merge)
----------------------------------------------------------------------------------------
- ``post_id`` is ``<chat id>/<message id>``, the chat id being the bare id of ``peer_id``
  (``channel_id``, ``chat_id`` or ``user_id``; Telethon's ``-100`` marked ids are not used).
- Accounts are ``channel<id>``, ``chat<id>`` (basic groups) and ``user<id>`` as the Desktop
  export writes ``from_id``. ``account_id`` is ``from_id``; a message without one (a channel's
  post, an anonymous group admin) is the chat's own, as in the Desktop export; an outgoing
  message of a private chat has no known sender. Each chat, sender and forward origin is an
  `Account`, with its kind in ``raw`` as ``{"account_kind": "channel" | "group" | "user"}``:
  a ``PeerChannel`` is a channel when its messages are channel posts (``post`` true) and a
  group (a supergroup) when not (without ``post``: when others than the chat write in it),
  as the first message read shows it; a forward from a ``PeerChannel`` comes from a channel.
  Messages carry no usernames: ``account_handle`` stays unknown unless an entity line gives it.
- ``created_at`` from ``date`` (ISO 8601 with offset as Telethon writes it, ``2024-01-01
  10:00:00+00:00`` from ``default=str``, or epoch seconds; ``--date-format`` layouts are
  honoured). A message whose date does not parse is quarantined with the value and the fix.
- A forward (``fwd_from``) is kind ``retweet`` with ``ref_account_id`` the origin's peer id
  (``fwd_from.from_id``), ``ref_account_handle`` ``fwd_from.from_name`` (the name shown for
  origins that hide their account) and ``ref_post_id`` ``<origin channel id>/<channel_post>``
  when the origin message id is given. Else ``reply_to.reply_to_msg_id`` makes a ``reply`` to
  ``<chat id>/<id>`` (the chat of ``reply_to_peer_id`` when the reply is to another chat).
- ``text`` is ``message``. Entities (offsets in UTF-16 code units) give hashtags, mentions
  (``@name`` lower-cased; ``MessageEntityMentionName`` as ``user<id>``), URLs
  (``MessageEntityUrl`` text and ``MessageEntityTextUrl`` targets); a record without an
  ``entities`` key has them extracted from the text at store time.
- ``media_ids``: ``photo:<id>`` or ``document:<id>`` of the photo or file (the same file
  forwarded keeps its id, so shared images can be traced). ``metrics``: ``views``,
  ``forwards``, ``replies`` (``replies.replies``), ``reactions`` (the total) and
  ``reaction:<emoji>`` per emoji.
- ``raw`` is the whole record as read (``post_author``, ``grouped_id``, ``edit_date``, ...).

``MessageService`` records (joins, pins, title changes) are quarantined as ``not a post:
service message (<action>)`` and ``MessageEmpty`` (deleted) as ``not a post: empty
message``; other records as ``not a post: <type>``; a message without ``id`` or ``peer_id`` as
``missing post id``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

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

__all__ = ["Telethon", "map_message", "parse_telethon_date", "peer_of"]

PLATFORM = "telegram"
_MESSAGES = frozenset({"Message", "MessageService", "MessageEmpty"})
_ENTITIES = frozenset({"Channel", "ChannelForbidden", "Chat", "ChatForbidden", "User"})
# Peer constructor -> (account id prefix, its id field, account kind)
_PEERS = {
    "PeerChannel": ("channel", "channel_id", "channel"),
    "PeerChat": ("chat", "chat_id", "group"),
    "PeerUser": ("user", "user_id", "user"),
}


def peer_of(peer: Any) -> tuple[str, str, str] | None:
    """(account id, bare chat id, kind) of a Telethon peer dict, None if not a peer."""
    peer = as_dict(peer)
    found = _PEERS.get(str(peer.get("_")))
    if found is None:
        return None
    prefix, field, kind = found
    bare = id_text(peer.get(field))
    return None if bare is None else (f"{prefix}{bare}", bare, kind)


def parse_telethon_date(value: Any) -> datetime | None:
    """Telethon's ISO date (``T`` or space separated), or epoch seconds, as aware UTC."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _entity_lists(text: str, entities: list[Any]) -> tuple[list[str], list[str], list[str]]:
    """Hashtags, mentions and URLs marked by Telegram's entities (UTF-16 offsets)."""
    utf16 = text.encode("utf-16-le")
    hashtags: list[str] = []
    mentions: list[str] = []
    urls: list[str] = []
    for entity in entities:
        entity = as_dict(entity)
        offset, length = entity.get("offset"), entity.get("length")
        covered = ""
        if isinstance(offset, int) and isinstance(length, int):
            covered = utf16[2 * offset : 2 * (offset + length)].decode("utf-16-le", "replace")
        kind = entity.get("_")
        if kind == "MessageEntityHashtag" and covered.lstrip("#＃"):
            hashtags.append(covered.lstrip("#＃").lower())
        elif kind == "MessageEntityMention" and covered.lstrip("@＠"):
            mentions.append(covered.lstrip("@＠").lower())
        elif kind in ("MessageEntityMentionName", "InputMessageEntityMentionName"):
            user = id_text(entity.get("user_id"))
            if user is not None:
                mentions.append(f"user{user}")
        elif kind == "MessageEntityUrl" and covered:
            urls.append(covered)
        elif kind == "MessageEntityTextUrl" and text_or_none(entity.get("url")):
            urls.append(entity["url"])
    return hashtags, mentions, urls


def _media_ids(media: Any) -> list[str] | None:
    media = as_dict(media)
    for field in ("photo", "document"):
        file_id = id_text(as_dict(media.get(field)).get("id"))
        if file_id is not None:
            return [f"{field}:{file_id}"]
    return None


def _metrics(message: Mapping[str, Any]) -> dict[str, int] | None:
    metrics: dict[str, int] = {}
    for key in ("views", "forwards"):
        if (value := int_or_none(message.get(key))) is not None:
            metrics[key] = value
    replies = int_or_none(as_dict(message.get("replies")).get("replies"))
    if replies is not None:
        metrics["replies"] = replies
    results = as_list(as_dict(message.get("reactions")).get("results"))
    if results:
        total = 0
        for result in results:
            count = int_or_none(as_dict(result).get("count"))
            if count is None:
                continue
            total += count
            emoji = text_or_none(as_dict(as_dict(result).get("reaction")).get("emoticon"))
            if emoji is not None:
                metrics[f"reaction:{emoji}"] = metrics.get(f"reaction:{emoji}", 0) + count
        metrics["reactions"] = total
    return metrics or None


def _kind_account(
    account_id: str, kind: str, platform: str, prov: Provenance, yielded: set[str]
) -> Iterator[Account]:
    if account_id not in yielded:
        yielded.add(account_id)
        yield Account(
            platform=platform,
            account_id=account_id,
            raw=dumps({"account_kind": kind}),
            provenance=Provenance(prov.source, prov.record, prov.line),
        )


def _entity_account(entity: dict[str, Any], platform: str, prov: Provenance) -> Account | None:
    """A Channel, Chat or User entity as an `Account` (None without an id)."""
    bare = id_text(entity.get("id"))
    if bare is None:
        return None
    etype = entity["_"]
    if etype.startswith("Channel"):
        account_id = f"channel{bare}"
        kind = "group" if entity.get("megagroup") or entity.get("gigagroup") else "channel"
    elif etype.startswith("Chat"):
        account_id, kind = f"chat{bare}", "group"
    else:
        account_id, kind = f"user{bare}", "user"
    username = text_or_none(entity.get("username"))
    for extra in as_list(entity.get("usernames")):  # collectible usernames: the active one
        if username is None and as_dict(extra).get("active"):
            username = text_or_none(as_dict(extra).get("username"))
    name = text_or_none(entity.get("title"))
    if name is None:
        parts = [text_or_none(entity.get(k)) for k in ("first_name", "last_name")]
        name = " ".join(p for p in parts if p) or None
    return Account(
        platform=platform,
        account_id=account_id,
        handle=username,
        display_name=name,
        followers=int_or_none(entity.get("participants_count")),
        verified=bool_or_none(entity.get("verified")),
        url=f"https://t.me/{username}" if username else None,
        raw=dumps({"account_kind": kind, **entity}),
        provenance=Provenance(prov.source, prov.record, prov.line),
    )


class Telethon(RecordFormat):
    name = "telethon"
    containers = JSON_KINDS
    description = (
        "Telegram messages saved with Telethon (Message.to_dict() as JSON Lines); "
        'markers: "_": "Message" with peer_id'
    )

    def detect(self, sniff: Sniff) -> int:
        keys = first_record_keys(sniff)
        if keys is None and sniff.kind == "json-array":
            keys = head_keys(sniff.head, "item")
        if not keys or "_" not in keys:
            return 0
        first = sniff.first
        if first is None:  # a first record longer than the sniffed head: keys only
            return 20 if "peer_id" in keys else 0
        kind = first.get("_")
        if kind in _MESSAGES and "peer_id" in keys:
            return 20
        if kind in _ENTITIES and "id" in keys:
            return 15
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or PLATFORM
        yielded: set[str] = set()
        record = 0
        for item in iter_json_records(source, ctx):
            record += 1
            if isinstance(item, Bad):
                yield Quarantined(item.reason, item.raw, record, item.line)
                continue
            prov = Provenance(source.name, record, item.line)
            yield from map_message(
                item.value, item.raw, prov, platform, yielded, date_formats=ctx.date_formats
            )


def map_message(
    message: Any,
    raw: str,
    prov: Provenance,
    platform: str,
    yielded: set[str],
    *,
    date_formats: tuple[str, ...] = (),
) -> Iterator[ParsedItem]:
    """One Telethon record as a `Post` and the `Account`s it names (those not in `yielded`)."""
    where = (prov.record, prov.line)
    if not isinstance(message, dict):
        yield Quarantined("not a post: not a JSON object", raw, *where)
        return
    mtype = message.get("_")
    if mtype in _ENTITIES:
        account = _entity_account(message, platform, prov)
        if account is None:
            yield Quarantined(f"missing account id: {mtype} without id", raw, *where)
        else:
            yielded.add(account.account_id)
            yield account
        return
    if mtype == "MessageService":
        action = as_dict(message.get("action")).get("_") or "unknown action"
        yield Quarantined(f"not a post: service message ({action})", raw, *where)
        return
    if mtype == "MessageEmpty":
        yield Quarantined("not a post: empty message", raw, *where)
        return
    if mtype != "Message":
        yield Quarantined(f"not a post: {mtype or 'no _ type'}", raw, *where)
        return
    chat = peer_of(message.get("peer_id"))
    msg_id = id_text(message.get("id"))
    if chat is None or msg_id is None:
        yield Quarantined("missing post id: no id or peer_id", raw, *where)
        return
    created = parse_date(message.get("date"), date_formats, parse_telethon_date)
    if created is None:
        shown = message.get("date")
        yield Quarantined(
            unparseable_date_reason(None if shown is None else str(shown)), raw, *where
        )
        return

    chat_account, chat_id, chat_kind = chat
    sender = peer_of(message.get("from_id"))
    if chat_kind == "channel":
        # Every message of a broadcast channel is a channel post; a supergroup's are not.
        post = bool_or_none(message.get("post"))
        if post is False or (post is None and sender is not None and sender[0] != chat_account):
            chat_kind = "group"
    yield from _kind_account(chat_account, chat_kind, platform, prov, yielded)
    if sender is not None:
        account_id: str | None = sender[0]
        yield from _kind_account(sender[0], sender[2], platform, prov, yielded)
    elif chat_kind == "user" and message.get("out"):
        account_id = None  # sent by the collecting account, whose id the record does not give
    else:
        account_id = chat_account

    kind = "original"
    ref_post = ref_account = ref_handle = None
    forward = message.get("fwd_from")
    reply = as_dict(message.get("reply_to"))
    if isinstance(forward, dict):
        kind = "retweet"
        origin = peer_of(forward.get("from_id"))
        ref_handle = text_or_none(forward.get("from_name"))
        if origin is not None:
            ref_account = origin[0]
            yield from _kind_account(origin[0], origin[2], platform, prov, yielded)
            channel_post = id_text(forward.get("channel_post"))
            if channel_post is not None and origin[2] == "channel":
                ref_post = f"{origin[1]}/{channel_post}"
    elif id_text(reply.get("reply_to_msg_id")) is not None:
        kind = "reply"
        other = peer_of(reply.get("reply_to_peer_id"))
        ref_post = f"{other[1] if other else chat_id}/{id_text(reply['reply_to_msg_id'])}"

    text = message.get("message")
    text = text if isinstance(text, str) else ""
    hashtags = mentions = urls = None
    if isinstance(message.get("entities"), list):
        hashtags, mentions, urls = _entity_lists(text, message["entities"])
    yield Post(
        platform=platform,
        post_id=f"{chat_id}/{msg_id}",
        account_id=account_id,
        account_handle=None,
        created_at=created,
        text=text or None,
        kind=kind,
        ref_post_id=ref_post,
        ref_account_id=ref_account,
        ref_account_handle=ref_handle,
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        media_ids=_media_ids(message.get("media")),
        metrics=_metrics(message),
        raw=raw,
        provenance=prov,
    )


register(Telethon())
