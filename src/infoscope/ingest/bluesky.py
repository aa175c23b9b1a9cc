"""Bluesky (AT Protocol) records: Jetstream events and repository exports.

Two registered formats share one mapping of the ``app.bsky`` records (the lexicons in
``bluesky-social/atproto/lexicons``):

- ``bluesky-jetstream``: what Bluesky's Jetstream service streams (``wss://jetstream*.bsky.network
  /subscribe``), saved one event a line. Events are ``{"did", "time_us", "kind", ...}``:
  ``kind`` ``commit`` carries ``commit: {"rev", "operation", "collection", "rkey", "record",
  "cid"}`` (a create, update or delete of one record in the account's repository),
  ``identity`` carries ``identity: {"did", "handle", "seq", "time"}`` and ``account`` carries
  ``account: {"active", "did", "seq", "time", "status"}``. Detected by ``did``, ``time_us`` and
  ``kind`` in the first event.
- ``bluesky-repo``: the records of repositories as ``com.atproto.repo.listRecords`` returns
  them, ``{"records": [{"uri", "cid", "value"}], "cursor"}``: one response page, pages one a
  line, an array of pages, or the record objects themselves (``{"uri", "cid", "value"}`` a
  line, as ``getRecord`` returns them, or an array of them). Detected by ``records`` whose first
  item has ``uri`` and ``value``, or by ``uri`` (an ``at://`` URI), ``cid`` and ``value``.
  JSON Lines are read line by line; a pretty-printed or minified page (or several) is streamed
  record by record, so one page merging a whole repository is never held whole. (The binary CAR
  files of ``com.atproto.sync.getRepo`` are read by ``bluesky-car``, `infoscope.ingest
  .bluesky_car`, and the AppView's post views by ``bluesky-api``, `infoscope.ingest
  .bluesky_api`, both with `map_record`.)

Mapping (``platform`` ``bluesky``)
-----------------------------------
- A post's id is its AT URI ``at://<did>/<collection>/<rkey>``, the key every reference
  (replies, quotes, reposts, likes) uses, so posts from both formats merge. Accounts are keyed
  by their DID (``did:plc:...``), stable across handle changes; handles are only known from
  ``identity`` events and are stored on the account (mentions by handle resolve through it).
- ``app.bsky.feed.post``: ``text``; ``created_at`` from ``createdAt`` (the time the client
  declares: importers of old tweets backdate it, and Jetstream's ``time_us``, when the relay
  saw the commit, stays in ``raw`` to compare); ``lang`` the first of ``langs``. Facets give
  the entities (the app renders only faceted text as links, tags and mentions, so a post
  without facets has none, rather than entities guessed from its text): ``#tag`` features and
  the record's ``tags`` are hashtags (lower-cased), ``#link`` features URLs, ``#mention``
  features mentions, stored as the lower-cased handle the facet covers in the text (its DID
  when the covered text is not ``@handle``). An external embed (link card) adds its URL.
  ``media_ids`` are the CIDs of the embedded images and video (content addresses: the same
  image posted twice has the same id). Kind: ``quote`` when it embeds a post
  (``app.bsky.embed.record`` or ``recordWithMedia``; a list or feed embed is not a quote),
  else ``reply`` when it has ``reply.parent``; ``ref_post_id`` is that post's URI and
  ``ref_account_id`` the DID in it. A quote that replies is a quote, as for Twitter.
- ``app.bsky.feed.repost``: kind ``retweet`` with the reposted post's URI (``subject.uri``) and
  its author's DID; no text.
- ``app.bsky.actor.profile``: an account with ``displayName``, ``description`` and
  ``createdAt``. ``identity`` events: an account with its ``handle``; ``account`` events: an
  account (``raw`` holds ``active`` and ``status``, e.g. ``takendown``).
- Likes, follows, blocks, list items, deletes and every other collection are not posts and the
  store has no table for them: each is quarantined with the reason ``not a post (<what>):
  <operation> <collection>`` (``like``, ``follow``, ``delete``, ...), so the ingest summary
  counts them by kind and ``infoscope export quarantine`` returns them whole; nothing is
  dropped. A capture of the whole firehose is mostly likes (and the ingest then ends with
  the error that most records were quarantined): collect with Jetstream's
  ``wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost`` (plus
  ``app.bsky.actor.profile``) when only posts are wanted.
- An ``update`` is read as a create (a profile update refreshes nothing already stored: the
  store keeps the first value of each field; an edited post is a duplicate of its id).
- ``raw`` is the whole event (Jetstream) or record object (repository) as read.

A record whose ``createdAt`` does not parse is quarantined with the value and the fix
(``--date-format`` layouts are honoured); a post without an rkey as ``missing post id``; a
record without a valid AT URI, or a repost without its subject, as ``invalid record: ...``;
a line that is not JSON
or not an event, as ``invalid JSON`` or ``not a Jetstream event``. Provenance: one record per
line (Jetstream, JSON Lines) or per record object (pages; the line is then unknown).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

import ijson
from ijson.common import ObjectBuilder

from infoscope.ingest._json_records import (
    Bad,
    _utf8,
    as_dict,
    as_list,
    bool_or_none,
    dumps,
    first_record_keys,
    head_keys,
    iter_json_records,
    layout_of,
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

__all__ = ["BlueskyJetstream", "BlueskyRepo", "map_record", "parse_at_uri", "parse_bsky_date"]

PLATFORM = "bluesky"
POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
PROFILE = "app.bsky.actor.profile"
_EMBED_RECORD = "app.bsky.embed.record"
_EMBED_WITH_MEDIA = "app.bsky.embed.recordWithMedia"
_JETSTREAM_KEYS = frozenset({"did", "time_us", "kind"})
_RECORD_KEYS = frozenset({"uri", "cid", "value"})


def parse_bsky_date(value: Any) -> datetime | None:
    """An AT Protocol datetime (``2024-11-20T10:00:00.000Z``) as aware UTC; None if not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_at_uri(uri: Any) -> tuple[str, str, str] | None:
    """``at://<authority>/<collection>/<rkey>`` as its three parts, None if not that shape."""
    if not isinstance(uri, str) or not uri.startswith("at://"):
        return None
    parts = uri[len("at://") :].split("/")
    if len(parts) != 3 or not all(parts):
        return None
    return parts[0], parts[1], parts[2]


def _author_of(uri: Any) -> tuple[str | None, str | None]:
    """(DID, handle) of the authority of an AT URI: a DID, or a handle in older URIs."""
    parts = parse_at_uri(uri)
    if parts is None:
        return None, None
    authority = parts[0]
    return (authority, None) if authority.startswith("did:") else (None, authority.lower())


def _nsid_name(collection: str) -> str:
    """``app.bsky.feed.like`` -> ``like``: what a record is, for quarantine reasons."""
    return collection.rsplit(".", 1)[-1] or collection


def _facet_entities(
    record: Mapping[str, Any],
) -> tuple[list[str], list[str], list[str]]:
    """Hashtags, mentions and URLs of a post's facets (and its outline ``tags``)."""
    hashtags: list[str] = []
    mentions: list[str] = []
    urls: list[str] = []
    text = record.get("text")
    encoded = text.encode("utf-8") if isinstance(text, str) else b""
    for facet in as_list(record.get("facets")):
        facet = as_dict(facet)
        index = as_dict(facet.get("index"))
        for feature in as_list(facet.get("features")):
            feature = as_dict(feature)
            kind = feature.get("$type")
            if kind == "app.bsky.richtext.facet#tag" and text_or_none(feature.get("tag")):
                hashtags.append(feature["tag"].lstrip("#＃").lower())
            elif kind == "app.bsky.richtext.facet#link" and text_or_none(feature.get("uri")):
                urls.append(feature["uri"])
            elif kind == "app.bsky.richtext.facet#mention" and text_or_none(feature.get("did")):
                # Byte offsets into the UTF-8 text: the covered text is "@handle".
                start, end = index.get("byteStart"), index.get("byteEnd")
                covered = ""
                if isinstance(start, int) and isinstance(end, int):
                    covered = encoded[start:end].decode("utf-8", errors="replace")
                if covered.startswith(("@", "＠")) and len(covered) > 1:
                    mentions.append(covered[1:].lower())
                else:
                    mentions.append(feature["did"])
    for tag in as_list(record.get("tags")):
        if isinstance(tag, str) and tag.lstrip("#＃"):
            hashtags.append(tag.lstrip("#＃").lower())
    return hashtags, mentions, urls


def _blob_cid(blob: Any) -> str | None:
    """The CID of a blob (``{"$type": "blob", "ref": {"$link": cid}}``, or legacy ``cid``)."""
    blob = as_dict(blob)
    return text_or_none(as_dict(blob.get("ref")).get("$link")) or text_or_none(blob.get("cid"))


def _embed_parts(embed: Any) -> tuple[str | None, list[str], list[str]]:
    """(URI of the quoted post, URLs of link cards, media CIDs) of a post's embed."""
    embed = as_dict(embed)
    kind = embed.get("$type")
    quoted = None
    urls: list[str] = []
    media: list[str] = []
    if kind == _EMBED_RECORD:
        quoted = as_dict(embed.get("record")).get("uri")
    elif kind == _EMBED_WITH_MEDIA:
        quoted = as_dict(as_dict(embed.get("record")).get("record")).get("uri")
        _, urls, media = _embed_parts(embed.get("media"))
    elif kind == "app.bsky.embed.external":
        url = text_or_none(as_dict(embed.get("external")).get("uri"))
        urls = [url] if url else []
    elif kind == "app.bsky.embed.images":
        media = [
            c for i in as_list(embed.get("images")) if (c := _blob_cid(as_dict(i).get("image")))
        ]
    elif kind == "app.bsky.embed.video":
        media = [c] if (c := _blob_cid(embed.get("video"))) else []
    # Only an embedded post makes a quote (a list, feed or starter pack is not one).
    parts = parse_at_uri(quoted)
    return (quoted if parts is not None and parts[1] == POST else None), urls, media


def _quarantine(reason: str, raw: str, prov: Provenance) -> Quarantined:
    return Quarantined(reason, raw, prov.record, prov.line)


def map_record(
    did: str,
    collection: str,
    rkey: str | None,
    record: Any,
    *,
    raw: str,
    prov: Provenance,
    platform: str = PLATFORM,
    date_formats: tuple[str, ...] = (),
    operation: str = "create",
) -> Iterator[ParsedItem]:
    """One repository record (``did``'s ``collection``/``rkey``) as canonical records.

    Posts and reposts become a `Post`, profiles an `Account`; any other record, and any
    delete, is quarantined as ``not a post (<what>)`` (see the module docstring).
    """
    if operation == "delete":
        yield _quarantine(f"not a post (delete): delete {collection}", raw, prov)
        return
    if collection not in (POST, REPOST, PROFILE):
        yield _quarantine(
            f"not a post ({_nsid_name(collection)}): {operation} {collection}", raw, prov
        )
        return
    if not isinstance(record, dict):
        yield _quarantine(f"invalid record: {collection} without a record object", raw, prov)
        return
    if collection == PROFILE:
        yield Account(
            platform=platform,
            account_id=did,
            display_name=text_or_none(record.get("displayName")),
            description=text_or_none(record.get("description")),
            created_at=parse_bsky_date(record.get("createdAt")),
            raw=dumps(record),
            provenance=Provenance(prov.source, prov.record, prov.line),
        )
        return
    if rkey is None:
        yield _quarantine("missing post id: no rkey", raw, prov)
        return
    created = parse_date(record.get("createdAt"), date_formats, parse_bsky_date)
    if created is None:
        shown = record.get("createdAt")
        yield _quarantine(unparseable_date_reason(None if shown is None else str(shown)), raw, prov)
        return
    post_id = f"at://{did}/{collection}/{rkey}"
    if collection == REPOST:
        subject = as_dict(record.get("subject")).get("uri")
        if parse_at_uri(subject) is None:
            yield _quarantine("invalid record: repost without a subject.uri AT URI", raw, prov)
            return
        ref_id, ref_handle = _author_of(subject)
        yield Post(
            platform=platform,
            post_id=post_id,
            account_id=did,
            account_handle=None,
            created_at=created,
            text=None,
            kind="retweet",
            ref_post_id=subject,
            ref_account_id=ref_id,
            ref_account_handle=ref_handle,
            hashtags=[],
            mentions=[],
            urls=[],
            raw=raw,
            provenance=prov,
        )
        return

    hashtags, mentions, urls = _facet_entities(record)
    quoted, card_urls, media = _embed_parts(record.get("embed"))
    urls += [u for u in card_urls if u not in urls]
    kind, ref = "original", None
    parent = as_dict(as_dict(record.get("reply")).get("parent")).get("uri")
    if quoted is not None:
        kind, ref = "quote", quoted
    elif parse_at_uri(parent) is not None:
        kind, ref = "reply", parent
    ref_id, ref_handle = _author_of(ref)
    langs = [lang for lang in as_list(record.get("langs")) if text_or_none(lang)]
    text = record.get("text")
    yield Post(
        platform=platform,
        post_id=post_id,
        account_id=did,
        account_handle=None,
        created_at=created,
        text=text if isinstance(text, str) and text else None,
        lang=langs[0] if langs else None,
        kind=kind,
        ref_post_id=ref,
        ref_account_id=ref_id,
        ref_account_handle=ref_handle,
        hashtags=hashtags,
        mentions=mentions,
        urls=urls,
        media_ids=media or None,
        raw=raw,
        provenance=prov,
    )


# -- Jetstream -------------------------------------------------------------------------------


class BlueskyJetstream(RecordFormat):
    name = "bluesky-jetstream"
    containers = JSON_KINDS
    description = (
        "Bluesky Jetstream events (JSON Lines): posts, reposts, profiles, handles; "
        "markers: did, time_us, kind"
    )

    def detect(self, sniff: Sniff) -> int:
        keys = first_record_keys(sniff)
        return 20 if keys and keys >= _JETSTREAM_KEYS else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or PLATFORM
        record = 0
        for item in iter_json_records(source, ctx):
            record += 1
            if isinstance(item, Bad):
                yield Quarantined(item.reason, item.raw, record, item.line)
                continue
            prov = Provenance(source.name, record, item.line)
            yield from self._event(item.value, item.raw, prov, platform, ctx.date_formats)

    @staticmethod
    def _event(
        event: Any, raw: str, prov: Provenance, platform: str, date_formats: tuple[str, ...]
    ) -> Iterator[ParsedItem]:
        event = as_dict(event)
        did = text_or_none(event.get("did"))
        kind = event.get("kind")
        if did is None or not isinstance(kind, str):
            yield _quarantine("not a Jetstream event: no did or kind", raw, prov)
            return
        if kind == "commit":
            commit = as_dict(event.get("commit"))
            collection = text_or_none(commit.get("collection"))
            if collection is None:
                yield _quarantine("not a Jetstream event: commit without collection", raw, prov)
                return
            yield from map_record(
                did,
                collection,
                text_or_none(commit.get("rkey")),
                commit.get("record"),
                raw=raw,
                prov=prov,
                platform=platform,
                date_formats=date_formats,
                operation=str(commit.get("operation") or "create"),
            )
        elif kind == "identity":
            identity = as_dict(event.get("identity"))
            handle = text_or_none(identity.get("handle"))
            yield Account(
                platform=platform,
                account_id=did,
                handle=None if handle is None else handle.lower(),
                raw=dumps(identity),
                provenance=Provenance(prov.source, prov.record, prov.line),
            )
        elif kind == "account":
            account = as_dict(event.get("account"))
            state = {"active": bool_or_none(account.get("active"))}
            if account.get("status") is not None:
                state["status"] = account["status"]
            yield Account(
                platform=platform,
                account_id=did,
                raw=dumps(state),
                provenance=Provenance(prov.source, prov.record, prov.line),
            )
        else:
            yield _quarantine(f"not a post ({kind} event)", raw, prov)


# -- repository export (com.atproto.repo.listRecords) ------------------------------------------


class BlueskyRepo(RecordFormat):
    name = "bluesky-repo"
    containers = JSON_KINDS
    description = (
        "Bluesky repository records as com.atproto.repo.listRecords returns them; "
        "markers: records[] of {uri, cid, value}, or uri (at://), cid, value"
    )

    def detect(self, sniff: Sniff) -> int:
        keys = first_record_keys(sniff)
        if keys is None and sniff.kind == "json-array":
            keys = head_keys(sniff.head, "item")  # a first item longer than the head
        if not keys:
            return 0
        if keys >= _RECORD_KEYS:
            uri = (sniff.first or {}).get("uri", "at://")
            return 20 if isinstance(uri, str) and uri.startswith("at://") else 0
        if "records" in keys:
            first = _first_page_record(sniff)
            return 20 if {"uri", "value"} <= first else 0
        return 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        platform = ctx.platform or PLATFORM
        record = 0
        for value, raw, line in _repo_values(source, ctx):
            if isinstance(value, Bad):
                record += 1
                yield Quarantined(value.reason, value.raw, record, value.line)
                continue
            if isinstance(value, dict) and "records" in value and "uri" not in value:
                records = value["records"]
                if not isinstance(records, list):
                    record += 1
                    yield Quarantined("invalid record: records is not a list", raw, record, line)
                    continue
                for rec in records:  # a page of a JSON Lines file or of an array
                    record += 1
                    yield from _repo_record(
                        rec, dumps(rec), Provenance(source.name, record, line), platform, ctx
                    )
                continue
            record += 1
            yield from _repo_record(
                value, raw, Provenance(source.name, record, line), platform, ctx
            )


def _first_page_record(sniff: Sniff) -> frozenset[str]:
    """Keys of the first item of ``records`` in the first page."""
    if sniff.first is not None:
        records = sniff.first.get("records")
        first = records[0] if isinstance(records, list) and records else None
        return frozenset(first) if isinstance(first, dict) else frozenset()
    return head_keys(sniff.head, "records.item") | head_keys(sniff.head, "item.records.item")


def _repo_record(
    value: Any, raw: str, prov: Provenance, platform: str, ctx: ReadContext
) -> Iterator[ParsedItem]:
    parts = parse_at_uri(as_dict(value).get("uri"))
    if parts is None:
        yield _quarantine("invalid record: no at:// uri", raw, prov)
        return
    did, collection, rkey = parts
    if not did.startswith("did:"):
        yield _quarantine(f"invalid record: the uri names {did!r}, not a DID", raw, prov)
        return
    value_obj = as_dict(value).get("value")
    yield from map_record(
        did,
        collection,
        rkey,
        value_obj,
        raw=raw,
        prov=prov,
        platform=platform,
        date_formats=ctx.date_formats,
    )


def _repo_values(source: Source, ctx: ReadContext) -> Iterator[tuple[Any, str, int | None]]:
    """(value, raw, line) of each page, record object or bad input of a repository export.

    JSON Lines go through `iter_json_records` (one value a line); a JSON document or array is
    streamed with ijson so that the items of a page's ``records`` come one at a time.
    """
    layout = layout_of(source.head)
    if layout == "lines":
        for read in iter_json_records(source, ctx):
            if isinstance(read, Bad):
                yield read, "", read.line
            else:
                yield read.value, read.raw, read.line
        return
    base = "item" if layout == "array" else ""
    records_item = f"{base}.records.item" if base else "records.item"
    stream = _utf8(source.stream, ctx.encoding, source.name)
    events = ijson.parse(stream, multiple_values=True, use_float=True)
    doc: ObjectBuilder | None = None
    item: ObjectBuilder | None = None
    depth = 0
    try:
        for prefix, event, value in events:
            if item is not None:  # inside one item of records: build it
                item.event(event, value)
                depth += event in ("start_map", "start_array")
                depth -= event in ("end_map", "end_array")
                if depth == 0:
                    yield item.value, dumps(item.value), None
                    item = None
                continue
            if prefix == records_item:
                if event in ("start_map", "start_array"):
                    item, depth = ObjectBuilder(), 1
                    item.event(event, value)
                else:
                    yield value, dumps(value), None
                continue
            if prefix == base and event in ("start_map", "start_array") and doc is None:
                doc = ObjectBuilder()
            if doc is None:
                if prefix == base and event not in ("end_map", "end_array"):
                    yield value, dumps(value), None  # a scalar where a record was expected
                continue
            doc.event(event, value)
            if prefix == base and event in ("end_map", "end_array"):
                # A page was streamed item by item above (its records are built empty
                # here); any other document is a record object.
                whole = doc.value
                page = isinstance(whole, dict) and "uri" not in whole
                if not (page and isinstance(whole.get("records"), list)):
                    yield whole, dumps(whole), None
                doc = None
    except ijson.JSONError as exc:
        message = " ".join(str(exc).split())
        yield (
            Bad(f"invalid JSON: {message}; the rest of the {layout} is not read", None, None),
            "",
            None,
        )


register(BlueskyJetstream())
register(BlueskyRepo())
