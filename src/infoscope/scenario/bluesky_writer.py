"""The ``bluesky-jetstream`` scenario writer: Bluesky Jetstream events, one a line.

``jetstream.jsonl`` is what a Jetstream client saves when it subscribes with
``wantedCollections=app.bsky.feed.post&wantedCollections=app.bsky.feed.repost&
wantedCollections=app.bsky.actor.profile`` (likes and follows, which the store has no table
for, are not asked for). The importer ``bluesky-jetstream`` (`infoscope.ingest.bluesky`) reads
it back. How the scenario maps:

- Accounts are DIDs (``did:plc:`` and 24 base32 characters, derived from the account's id) with
  handles under ``bsky.social`` (the scenario's handle in lower case, ``_`` written ``-``:
  handles are DNS names). Each account's first post is preceded by an ``identity`` event
  (its handle) and a commit of its ``app.bsky.actor.profile`` record (``displayName``,
  ``description``, ``createdAt``), as a capture long enough to have seen every posting
  account's identity and profile; the store needs the handles to resolve mentions, which
  Bluesky writes by handle. Accounts that never post get neither.
- Posts are ``create`` commits of ``app.bsky.feed.post`` records: ``text`` with mentions
  (``@handle``), hashtags and links (shown shortened, as the app does) made rich text by
  facets (byte offsets into the UTF-8 text), ``langs``, ``createdAt`` (the post's time; the
  event's ``time_us`` is when the relay saw it, a fraction of a second later). A reply has
  ``reply.root`` and ``reply.parent`` (strong references: URI and CID), a quote an
  ``app.bsky.embed.record`` embed, a post with a link an ``app.bsky.embed.external`` card.
- Retweets are ``app.bsky.feed.repost`` records: a reference to the reposted post and no text,
  hashtags or links of their own (on Twitter a retweet repeats the original's).
- Record keys are TIDs (13 base32-sortable characters of the creation time in microseconds
  and a clock id), so a post's URI ``at://<did>/app.bsky.feed.post/<rkey>`` follows from its
  time; CIDs are CIDv1 dag-cbor sha-256 of the record's URI (content addresses in shape).
- Bluesky has no profile location, follower counts (the AppView computes them; they are not in
  the repository) or engagement counts in records.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any, ClassVar

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from infoscope.scenario.batch import QUOTE, REPLY, RETWEET, Batch, Parts
from infoscope.scenario.config import ScenarioConfig
from infoscope.scenario.generate import TWITTER_EPOCH_MS
from infoscope.scenario.population import Population
from infoscope.scenario.writers import CorpusWriter, iso_times, register_writer

__all__ = ["BlueskyJetstreamWriter", "at_cid", "post_rkeys", "tids"]

POST = "app.bsky.feed.post"
REPOST = "app.bsky.feed.repost"
PROFILE = "app.bsky.actor.profile"
_S32 = np.frombuffer(b"234567abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
# A relay sees a commit 0.2 to 0.9 s after the client stamps it.
RELAY_DELAY_MS = (200, 700)


def tids(t_us: np.ndarray, clock: np.ndarray) -> list[str]:
    """AT Protocol TIDs: 64 bits (a zero bit, 53 bits of microseconds since the epoch, a
    10-bit clock id) as 13 characters of the base32-sortable alphabet."""
    value = (t_us.astype(np.uint64) << np.uint64(10)) | (clock.astype(np.uint64) & np.uint64(1023))
    chars = np.empty((value.size, 13), dtype=np.uint8)
    for i in range(13):
        chars[:, 12 - i] = _S32[((value >> np.uint64(5 * i)) & np.uint64(31)).astype(np.intp)]
    return [c.decode("ascii") for c in chars.view("S13").ravel().tolist()]


def post_rkeys(uid: np.ndarray) -> list[str]:
    """The record key of each scenario post, from its id alone (its time and counter).

    The id is ``(ms - epoch) << 22 | counter``; the TID's microseconds are the post's
    millisecond and counter bits 10-19 (mod 1000), its clock id counter bits 0-9, so posts of
    one account differ in key unless a million posts were made in the same millisecond.
    """
    uid = np.asarray(uid, dtype=np.int64)
    safe = np.maximum(uid, 0)
    counter = safe & 0x3FFFFF
    t_us = ((safe >> 22) + TWITTER_EPOCH_MS) * 1000 + ((counter >> 10) % 1000)
    return tids(t_us, counter & 1023)


# Two base32 characters for each 10-bit value: base32 of 36 bytes ten bits at a time.
_PAIRS = [
    a + b for a in "abcdefghijklmnopqrstuvwxyz234567" for b in "abcdefghijklmnopqrstuvwxyz234567"
]


def at_cid(uri: str) -> str:
    """A CIDv1 (dag-cbor, sha-256) in base32, as record CIDs are written (``bafyrei...``):
    here the hash of the record's URI, so references to a record carry its CID."""
    digest = hashlib.sha256(uri.encode("utf-8")).digest()
    # The 36 bytes of the CID (version, codec, multihash header, digest), 290 bits with two
    # zero bits of padding: RFC 4648 base32 in lower case, without "=" (base64 is ~10x slower).
    n = int.from_bytes(b"\x01\x71\x12\x20" + digest, "big") << 2
    return "b" + "".join([_PAIRS[(n >> shift) & 1023] for shift in range(280, -1, -10)])


def _did(account_id: str) -> str:
    digest = hashlib.sha256(b"infoscope-scenario/" + account_id.encode("utf-8")).digest()
    return "did:plc:" + base64.b32encode(digest).decode("ascii").lower()[:24]


def _short(url: str) -> str:
    """A link as the Bluesky app shows it: no scheme, long paths cut with an ellipsis."""
    bare = url.split("://", 1)[-1]
    return bare if len(bare) <= 30 else bare[:27] + "..."


@register_writer
class BlueskyJetstreamWriter(CorpusWriter):
    name = "bluesky-jetstream"
    filename = "jetstream.jsonl"
    platform = "bluesky"
    kinds: ClassVar[tuple[str, ...]] = ("original", "retweet", "reply", "quote")

    def __init__(self, pop: Population, config: ScenarioConfig):
        super().__init__(pop, config)
        self.did = [_did(i) for i in self.id_text]
        self.bsky_handle = [h.lower().replace("_", "-") + ".bsky.social" for h in pop.handle]
        self.created = [t + "Z" for t in iso_times(pop.created_s * 1000)]

    def account_ids(self) -> list[str]:
        return self.did

    def post_id_array(self, batch: Batch) -> pa.Array:
        dids = pa.array(self.did, pa.string()).take(pa.array(batch.author))
        collection = pa.array(
            np.where(batch.kind == RETWEET, f"/{REPOST}/", f"/{POST}/"), pa.string()
        )
        return pc.binary_join_element_wise(
            "at://", dids, collection, pa.array(post_rkeys(batch.uid), pa.string()), ""
        )

    def _uri(self, author: int, rkey: str, collection: str = POST) -> str:
        return f"at://{self.did[author]}/{collection}/{rkey}"

    def _ref(self, author: int, rkey: str) -> dict[str, str]:
        """A strong reference (``com.atproto.repo.strongRef``) to a post."""
        uri = self._uri(author, rkey)
        return {"cid": at_cid(uri), "uri": uri}

    def _rich_text(self, parts: Parts) -> tuple[str, list[dict[str, Any]]]:
        """Text (mentions first, hashtags and links last) and its facets (UTF-8 offsets)."""
        body, tags, mentions, urls = parts
        if not (tags or mentions or urls):
            return body, []
        pieces: list[str] = []
        facets: list[dict[str, Any]] = []
        pos = 0

        def add(text: str, feature: dict[str, str] | None) -> None:
            nonlocal pos
            size = len(text.encode("utf-8"))
            if feature is not None:
                facets.append(
                    {"features": [feature], "index": {"byteEnd": pos + size, "byteStart": pos}}
                )
            pieces.append(text)
            pos += size + 1  # the space after it

        for m in mentions:
            add(
                "@" + self.bsky_handle[m],
                {"$type": "app.bsky.richtext.facet#mention", "did": self.did[m]},
            )
        add(body, None)
        for tag in tags:
            add("#" + tag, {"$type": "app.bsky.richtext.facet#tag", "tag": tag})
        for _, url in urls:
            add(_short(url), {"$type": "app.bsky.richtext.facet#link", "uri": url})
        return " ".join(pieces), facets

    def _event(
        self, author: int, time_us: int, rev: str, collection: str, rkey: str,
        record: dict[str, Any], operation: str = "create",
    ) -> bytes:  # fmt: skip
        """A Jetstream commit event (record keys sorted, as Jetstream's Go encoder writes a
        decoded record); `rev` is the repository revision (a TID of the commit's time)."""
        uri = self._uri(author, rkey, collection)
        commit = {
            "rev": rev,
            "operation": operation,
            "collection": collection,
            "rkey": rkey,
            "record": orjson.Fragment(orjson.dumps(record, option=orjson.OPT_SORT_KEYS)),
            "cid": at_cid(uri),
        }
        return orjson.dumps(
            {"did": self.did[author], "time_us": time_us, "kind": "commit", "commit": commit}
        )

    def _introduce(self, a: int, time_us: int, rev: str, seq: int) -> list[bytes]:
        """The identity event and the profile commit of an account, before its first post."""
        pop = self.pop
        when = iso_times(np.array([time_us // 1000 - 2]))[0] + "Z"
        identity = {
            "did": self.did[a],
            "time_us": time_us - 2000,
            "kind": "identity",
            "identity": {
                "did": self.did[a],
                "handle": self.bsky_handle[a],
                "seq": seq,
                "time": when,
            },
        }
        profile: dict[str, Any] = {
            "$type": PROFILE,
            "createdAt": self.created[a],
            "displayName": pop.name[a],
        }
        if pop.description[a]:
            profile["description"] = pop.description[a]
        return [
            orjson.dumps(identity),
            self._event(a, time_us - 1000, rev, PROFILE, "self", profile, operation="update"),
        ]

    def serialise(self, batch: Batch) -> bytes:
        n = len(batch)
        created = [t + "Z" for t in iso_times(batch.t_ms)]
        counter = batch.uid & 0x3FFFFF
        low, span = RELAY_DELAY_MS
        delay_us = (low + (counter * 7919) % span) * 1000 + counter % 1000
        times = batch.t_ms * 1000 + delay_us
        time_us = times.tolist()
        revs = tids(times, batch.author)
        profile_revs = tids(times - 1000, batch.author)
        rkeys = post_rkeys(batch.uid)
        ref_rkeys = post_rkeys(batch.ref_uid)
        conv_rkeys = post_rkeys(batch.conv_uid)
        authors, kinds = batch.author.tolist(), batch.kind.tolist()
        ref_author, conv_author = batch.ref_author.tolist(), batch.conv_author.tolist()
        first, seqs = batch.first.tolist(), batch.seq.tolist()
        lang = self.lang_code
        lines: list[bytes] = []
        for i, parts in enumerate(batch.parts.tolist()):
            a, k = authors[i], kinds[i]
            if first[i]:
                lines.extend(
                    self._introduce(a, time_us[i], profile_revs[i], 3_000_000_000 + 3 * seqs[i])
                )
            if k == RETWEET:
                record: dict[str, Any] = {
                    "$type": REPOST,
                    "createdAt": created[i],
                    "subject": self._ref(ref_author[i], ref_rkeys[i]),
                }
                lines.append(self._event(a, time_us[i], revs[i], REPOST, rkeys[i], record))
                continue
            text, facets = self._rich_text(parts)
            record = {"$type": POST, "createdAt": created[i], "langs": [lang[a]], "text": text}
            if facets:
                record["facets"] = facets
            if k == REPLY:
                record["reply"] = {
                    "parent": self._ref(ref_author[i], ref_rkeys[i]),
                    "root": self._ref(conv_author[i], conv_rkeys[i]),
                }
            if k == QUOTE:
                record["embed"] = {
                    "$type": "app.bsky.embed.record",
                    "record": self._ref(ref_author[i], ref_rkeys[i]),
                }
            elif parts[3]:
                record["embed"] = {
                    "$type": "app.bsky.embed.external",
                    "external": {"description": "", "title": "", "uri": parts[3][0][1]},
                }
            lines.append(self._event(a, time_us[i], revs[i], POST, rkeys[i], record))
        if n:
            lines.append(b"")
        return b"\n".join(lines)
