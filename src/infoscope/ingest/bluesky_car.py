"""Bluesky repository exports as CAR files (``com.atproto.sync.getRepo``).

What Bluesky's "Export my data" button, ``goat repo export`` and the SDKs' ``get_repo`` write: one
account's whole repository in a CAR v1 file (Content Addressable aRchive, the IPLD block
container). Registered as ``bluesky-car``; the records are mapped by the same rules as the JSON
formats of `infoscope.ingest.bluesky` (`map_record`), so posts merge with Jetstream and
``listRecords`` captures on their AT URIs.

Layout (atproto's repository spec)
----------------------------------
The file is a header, ``varint length`` + DAG-CBOR ``{"roots": [commit CID], "version": 1}``,
then blocks, each ``varint length`` + CID + DAG-CBOR data. The root block is the signed commit
``{"did", "version", "data", "rev", "prev", "sig"}``; ``data`` is the root of a Merkle Search
Tree whose nodes ``{"l", "e": [{"p", "k", "v", "t"}]}`` list the record keys
(``<collection>/<rkey>``, each key written as the ``p`` first bytes of the previous key of the
node plus the suffix ``k``) with the CID of each record (``v``); the other blocks are the records
(``{"$type": "app.bsky.feed.post", ...}``). Detected by the header: a varint and then a
DAG-CBOR map of ``roots`` and ``version`` 1 (the bytes ``roots`` and ``version``), never by
trying to parse.

Reading
-------
Blocks are read one at a time from the stream (the CAR framing here; each block's DAG-CBOR is
decoded with ``libipld``), never the whole file at once. A record is mapped as soon as both its
block and the tree entry naming its CID have been read: exports list the commit first, and tree
nodes and records in any order, so memory holds the records whose tree entry has not yet been
read (at most the repository's records), the keys of entries whose record has not, and the CID
and key of each record mapped (to tell a second key of the same content). Each
block's content is checked against its CID (SHA-256), so a damaged block is reported rather
than mapped. Records come out in the order their second half (block or entry) is read.

Mapping (``platform`` ``bluesky``)
----------------------------------
- Each record, with the DID of the commit, is the record object ``listRecords`` would return,
  ``{"uri": "at://<did>/<collection>/<rkey>", "cid", "value"}``, mapped by
  `infoscope.ingest.bluesky.map_record`: ``app.bsky.feed.post`` a post (reply, quote, facets,
  embeds, media CIDs), ``app.bsky.feed.repost`` a ``retweet``, ``app.bsky.actor.profile`` the
  account's name and bio; likes, follows, blocks, list items and every other collection are
  quarantined as ``not a post (like)`` etc. (no table for them; a repository is mostly likes
  and follows, which do not count towards the "mostly quarantined" failure).
- Record values are DAG-CBOR; they are written in ``raw`` as atproto's JSON form of its data
  model: a link (CID) as ``{"$link": "bafy..."}``, bytes as ``{"$bytes": base64}``, so a blob's
  ``ref`` reads as in the JSON formats.
- The repository's owner is an account (the commit's DID): its profile record's name, bio and
  creation time, and in ``raw`` ``{"commit": {rev, version, data, prev, sig}, "profile":
  <the profile record>}``; without a profile, an account of the commit alone, after the last
  record (the export says the account exists).
- ``raw`` of a record is ``{"uri", "cid", "value"}``; provenance: ``record`` is the ordinal of
  the record (or other block) mapped or quarantined, in the order they come out; there are no
  lines.

Quarantined, with the reason: a block whose content does not match its CID or is not DAG-CBOR
(``invalid block: ...``); a block that is neither the commit, a tree node nor a record
(``invalid block: ... not a record``); a block over the record size limit (``record too
large``); a file cut inside a block (``invalid CAR: ...``, the rest is not read); a record no
tree entry names (``invalid record: not in the repository tree``); a tree entry whose record
is not in the file (``record missing from the CAR: <key>``: a partial export such as
``getRepo?since=``, or a file cut short); a second key whose record has the same content (the
same CID) as one already mapped (``duplicate record content``); and every record when the file
has no commit block (``no commit block``: the repository's DID is unknown).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import IO, Any

import libipld

from infoscope.ingest._json_records import as_dict, as_list, dumps, text_or_none
from infoscope.ingest.bluesky import PLATFORM, map_record
from infoscope.ingest.formats import (
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.sources import Source
from infoscope.records import Account, Provenance

__all__ = ["BlueskyCar", "car_header_length", "to_atproto_json"]

# The DAG-CBOR header of a CAR v1 file: a map of two keys, "roots" (5 letters, sorted first)
# and "version" (7), the latter 1.
_HEADER_START = b"\xa2\x65roots"
_HEADER_VERSION = b"\x67version\x01"
_SKIP_CHUNK = 1 << 20
# atproto's CIDs: version 1, codec dag-cbor (0x71) or raw (0x55), SHA-256 (0x12) of 32 bytes.
_CID_LENGTH = 36
_CID_CODECS = (0x71, 0x55)
_SHA256 = 0x12


class _CutShort(Exception):
    """The stream ended inside a varint or a block."""


def _uvarint(data: bytes, pos: int) -> tuple[int, int] | None:
    """The unsigned LEB128 varint at `pos` of `data` and the position after it."""
    value = shift = 0
    while pos < len(data) and shift < 64:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


def car_header_length(head: bytes) -> int | None:
    """The length of the CAR v1 header at the start of `head` when `head` starts with one
    (a varint, then the DAG-CBOR map of ``roots`` and ``version`` 1), else None."""
    read = _uvarint(head, 0)
    if read is None:
        return None
    length, pos = read
    header = head[pos : pos + length]
    if not 0 < length < 1 << 16 or not header.startswith(_HEADER_START):
        return None
    return length if _HEADER_VERSION in header else None


def _is_cid(value: bytes) -> bool:
    """A CID link as atproto writes them (see the constants above)."""
    return (
        len(value) == _CID_LENGTH
        and value[0] == 1
        and value[1] in _CID_CODECS
        and value[2] == _SHA256
        and value[3] == 32
    )


def to_atproto_json(value: Any) -> Any:
    """A decoded DAG-CBOR value in atproto's JSON form: a link as ``{"$link": cid}``, bytes as
    ``{"$bytes": base64}`` (libipld decodes both as bytes; atproto's links are all v1 SHA-256
    CIDs of 36 bytes, which no other bytes field of the lexicons is)."""
    if isinstance(value, dict):
        return {k: to_atproto_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_atproto_json(v) for v in value]
    if isinstance(value, bytes):
        if _is_cid(value):
            return {"$link": libipld.encode_cid(value)}
        return {"$bytes": base64.b64encode(value).decode("ascii").rstrip("=")}
    return value


def _cid_text(value: Any) -> str | None:
    return libipld.encode_cid(value) if isinstance(value, bytes) and _is_cid(value) else None


def _split_cid(section: bytes) -> tuple[bytes, bytes] | None:
    """(CID bytes, block data) of a block section, None when no CID of atproto's kind starts
    it."""
    read = _uvarint(section, 0)
    if read is None or read[0] != 1:
        return None
    pos = read[1]
    for _ in range(2):  # codec, hash function
        read = _uvarint(section, pos)
        if read is None:
            return None
        pos = read[1]
    read = _uvarint(section, pos)
    if read is None or read[1] + read[0] > len(section):
        return None
    end = read[1] + read[0]
    cid = section[:end]
    return (cid, section[end:]) if _is_cid(cid) else None


def _read_varint(stream: IO[bytes]) -> int | None:
    """The next varint of the stream; None at its clean end, `_CutShort` inside one."""
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift:
                raise _CutShort
            return None
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise _CutShort


def _read_exactly(stream: IO[bytes], size: int) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise _CutShort
    return data


def _skip(stream: IO[bytes], size: int) -> None:
    while size > 0:
        chunk = stream.read(min(size, _SKIP_CHUNK))
        if not chunk:
            raise _CutShort
        size -= len(chunk)


def _tree_entries(node: dict[str, Any]) -> list[tuple[str, bytes]] | None:
    """(key, record CID) of each entry of a tree node; None when an entry is malformed."""
    found: list[tuple[str, bytes]] = []
    previous = b""
    for entry in as_list(node.get("e")):
        entry = as_dict(entry)
        prefix, suffix, record = entry.get("p"), entry.get("k"), entry.get("v")
        if not (
            isinstance(prefix, int)
            and isinstance(suffix, bytes)
            and isinstance(record, bytes)
            and _is_cid(record)
            and 0 <= prefix <= len(previous)
        ):
            return None
        previous = previous[:prefix] + suffix
        found.append((previous.decode("utf-8", errors="replace"), record))
    return found


def _is_node(block: Any) -> bool:
    return (
        isinstance(block, dict)
        and set(block) == {"e", "l"}
        and isinstance(block["e"], list)
        and (block["l"] is None or isinstance(block["l"], bytes))
    )


class _Repo:
    """The state of one CAR being read: the commit's DID and the halves still unmatched."""

    def __init__(self, source: Source, ctx: ReadContext):
        self.source = source.name
        self.ctx = ctx
        self.platform = ctx.platform or PLATFORM
        self.did: str | None = None
        self.record = 0
        self.records: dict[bytes, bytes] = {}  # record CID -> data, no entry read yet
        self.keys: dict[bytes, list[str]] = {}  # record CID -> keys, no block read yet
        self.mapped: dict[bytes, str] = {}  # record CID -> the key it was mapped under
        self.waiting: list[tuple[str, bytes, bytes]] = []  # matched before the commit
        self.commit_json: Any = None
        self.has_profile = False

    def quarantine(self, reason: str, raw: str | bytes | None) -> Quarantined:
        self.record += 1
        return Quarantined(reason, raw, self.record)

    def commit(self, block: dict[str, Any]) -> Iterator[ParsedItem]:
        did = text_or_none(block.get("did"))
        if did is None or not did.startswith("did:"):
            raw = dumps(to_atproto_json(block))
            yield self.quarantine("invalid block: the commit names no DID", raw)
            return
        self.did = did
        self.commit_json = to_atproto_json(block)
        waiting, self.waiting = self.waiting, []
        for key, cid, data in waiting:
            yield from self.map(key, cid, data)

    def node(self, entries: list[tuple[str, bytes]]) -> Iterator[ParsedItem]:
        for key, cid in entries:
            if cid in self.mapped:
                yield self.duplicate(key, cid)
            elif cid in self.records:
                data = self.records.pop(cid)
                yield from self.map(key, cid, data)
                for other in self.keys.pop(cid, []):
                    yield self.duplicate(other, cid)
            else:
                self.keys.setdefault(cid, []).append(key)

    def block(self, cid: bytes, data: bytes) -> Iterator[ParsedItem]:
        keys = self.keys.pop(cid, None)
        if not keys:
            self.records[cid] = data
            return
        yield from self.map(keys[0], cid, data)
        for key in keys[1:]:
            yield self.duplicate(key, cid)

    def owner(self, did: str) -> Account:
        """The repository's account when it has no profile: the commit in ``raw``."""
        self.record += 1
        return Account(
            self.platform,
            did,
            raw=dumps({"commit": self.commit_json}),
            provenance=Provenance(self.source, self.record),
        )

    def duplicate(self, key: str, cid: bytes) -> Quarantined:
        first = self.mapped[cid]
        raw = dumps({"uri": self.uri(key), "cid": libipld.encode_cid(cid)})
        return self.quarantine(
            f"duplicate record content: {key} has the same CID as {first}, mapped once", raw
        )

    def uri(self, key: str) -> str:
        return f"at://{self.did or '?'}/{key}"

    def map(self, key: str, cid: bytes, data: bytes) -> Iterator[ParsedItem]:
        self.mapped[cid] = key
        if self.did is None:
            self.waiting.append((key, cid, data))
            return
        # Held as bytes (smaller than decoded), decoded again now: it decoded when read.
        value = to_atproto_json(libipld.decode_dag_cbor(data))
        raw = dumps({"uri": self.uri(key), "cid": libipld.encode_cid(cid), "value": value})
        collection, _, rkey = key.partition("/")
        self.record += 1
        prov = Provenance(self.source, self.record)
        if not collection or not rkey or "/" in rkey:
            yield Quarantined(f"invalid record: tree key {key!r}", raw, self.record)
            return
        for item in map_record(
            self.did,
            collection,
            rkey,
            value,
            raw=raw,
            prov=prov,
            platform=self.platform,
            date_formats=self.ctx.date_formats,
        ):
            if isinstance(item, Account) and item.account_id == self.did:
                # the owner's profile: the commit joins it in raw
                item.raw = dumps({"commit": self.commit_json, "profile": value})
                self.has_profile = True
            yield item

    def finish(self) -> Iterator[ParsedItem]:
        if self.did is not None and not self.has_profile:
            yield self.owner(self.did)
        elif self.did is None:
            for key, cid, data in self.waiting:
                raw = dumps({"key": key, "cid": libipld.encode_cid(cid), "block": _preview(data)})
                yield self.quarantine("no commit block: the repository's DID is unknown", raw)
        for cid, data in self.records.items():
            value = to_atproto_json(libipld.decode_dag_cbor(data))
            kind = as_dict(value).get("$type")
            raw = dumps({"cid": libipld.encode_cid(cid), "value": value})
            yield self.quarantine(
                f"invalid record: not in the repository tree (block {libipld.encode_cid(cid)}, "
                f"{kind})",
                raw,
            )
        for cid, keys in self.keys.items():
            for key in keys:
                raw = dumps({"uri": self.uri(key), "cid": libipld.encode_cid(cid)})
                yield self.quarantine(f"record missing from the CAR: {key}", raw)


def _preview(data: bytes) -> str:
    return base64.b64encode(data[:256]).decode("ascii")


class BlueskyCar(RecordFormat):
    name = "bluesky-car"
    containers = frozenset({"binary"})
    description = (
        "Bluesky repository export (CAR file of com.atproto.sync.getRepo, 'Export my data'): "
        "posts, reposts, profile; marker: the CAR v1 header (roots, version 1)"
    )

    def detect(self, sniff: Sniff) -> int:
        return 30 if car_header_length(sniff.head) is not None else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        stream = source.stream
        repo = _Repo(source, ctx)
        try:
            length = _read_varint(stream)
            header: Any = None
            if length is not None and length <= ctx.max_record_bytes:
                header = _decode(_read_exactly(stream, length))
            roots = [r for r in as_list(as_dict(header).get("roots")) if isinstance(r, bytes)]
            if not roots or as_dict(header).get("version") != 1:
                yield repo.quarantine("invalid CAR: no header with roots and version 1", None)
                return
            commit_cid = roots[0]
            number = 0
            while (size := _read_varint(stream)) is not None:
                number += 1
                if size > ctx.max_record_bytes:
                    _skip(stream, size)
                    yield repo.quarantine(
                        f"record too large: block {number} is {size:,} bytes, over the limit "
                        f"of {ctx.max_record_bytes:,}",
                        None,
                    )
                    continue
                yield from _block(repo, _read_exactly(stream, size), number, commit_cid)
        except _CutShort:
            yield repo.quarantine(
                "invalid CAR: the file ends inside a block (cut short?); the rest is not read",
                None,
            )
        yield from repo.finish()


def _decode(data: bytes) -> Any:
    """The DAG-CBOR value of `data`, or `_Undecodable` with the library's message."""
    try:
        return libipld.decode_dag_cbor(data)
    except (ValueError, RecursionError) as exc:
        return _Undecodable(" ".join(str(exc).split()))


class _Undecodable:
    def __init__(self, message: str):
        self.message = message


def _block(repo: _Repo, section: bytes, number: int, commit_cid: bytes) -> Iterator[ParsedItem]:
    split = _split_cid(section)
    if split is None:
        yield repo.quarantine(
            f"invalid block: block {number} does not start with a CID", _preview(section)
        )
        return
    cid, data = split
    if hashlib.sha256(data).digest() != cid[4:]:
        yield repo.quarantine(
            f"invalid block: block {number}'s content does not match its CID {_cid_text(cid)}",
            _preview(data),
        )
        return
    value = _decode(data)
    if isinstance(value, _Undecodable):
        yield repo.quarantine(f"invalid block: block {number}: {value.message}", _preview(data))
    elif cid == commit_cid and isinstance(value, dict):
        yield from repo.commit(value)
    elif _is_node(value):
        entries = _tree_entries(value)
        if entries is None:
            yield repo.quarantine(
                f"invalid block: tree node {_cid_text(cid)} has a malformed entry",
                dumps(to_atproto_json(value)),
            )
        else:
            yield from repo.node(entries)
    elif isinstance(value, dict) and isinstance(value.get("$type"), str):
        yield from repo.block(cid, data)
    else:
        yield repo.quarantine(
            f"invalid block: {_cid_text(cid)} is not a record, tree node or commit",
            dumps(to_atproto_json(value)) if not isinstance(value, bytes) else _preview(value),
        )


register(BlueskyCar())
