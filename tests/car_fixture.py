"""Writes the Bluesky repository CAR fixtures (``bluesky-car``) with libipld.

A repository export as ``com.atproto.sync.getRepo`` writes it (atproto's repository spec): a
CAR v1 header naming the commit, then blocks (CID + DAG-CBOR). The records follow the
``app.bsky`` lexicons; the Merkle Search Tree is built as the spec lays it out (a key's layer is
the number of leading zero bits of its SHA-256 divided by 2, keys of the highest layer in the
root, the keys between them in subtrees one layer down, each key written as the prefix length
it shares with the previous key of its node plus the rest).

Run ``python -m tests.car_fixture`` to write them again; `tests/test_format_bluesky.py` checks
that the files are what this module writes.

tests/fixtures/bluesky/repo.car, alice's repository (the same DID and first post as the
Jetstream fixture), blocks in this order:

 1 the commit (DID, rev, signature)                     -> alice's account, commit in raw
 2 alice's profile (avatar blob)                        -> held until its tree entry is read
 3 a like of bob's reply                                -> held
 4 the post of Jetstream line 3 (facets, link card)     -> held
 5-7 the tree: root (layer 1: profile, post 03), two layer-0 nodes -> 2, 3 and 4 mapped; the
   like's content is also under a second key (like 08)  -> "duplicate record content"
 8 a reply to bob with an image and facets              -> reply, media CID
 9 a quote of carol's post                              -> quote
10 a post no tree entry names                           -> "invalid record: not in the tree"
11 a block whose content is not what its CID says       -> "invalid block"
12 a post whose createdAt is "yesterday"                -> unparseable date
13 a repost of bob's reply                              -> retweet
14 a follow of bob                                      -> not a post (follow)
and a tree entry (post 09) whose record is not in the file -> "record missing from the CAR"
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import libipld

FIXTURES = Path(__file__).parent / "fixtures"
REPO_CAR = FIXTURES / "bluesky" / "repo.car"
DOCTOR_CAR = (
    Path(__file__).resolve().parents[1] / "src" / "infoscope" / "doctor" / "samples"
    / "bluesky-car.car"
)  # fmt: skip

ALICE = "did:plc:aliceaaaaaaaaaaaaaaaaaaa"
BOB = "did:plc:bobbbbbbbbbbbbbbbbbbbbbb"
CAROL = "did:plc:carolccccccccccccccccccc"
BOB_REPLY = {"uri": f"at://{BOB}/app.bsky.feed.post/3lbbob0004", "cid": "bafyreicid04"}
DAG_CBOR, RAW = 0x71, 0x55


def cid_of(data: bytes, codec: int = DAG_CBOR) -> bytes:
    """A CIDv1 (SHA-256) of `data`, as bytes (libipld writes these as DAG-CBOR links)."""
    return bytes([1, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()


def block(value: Any) -> tuple[bytes, bytes]:
    data = libipld.encode_dag_cbor(value)
    return cid_of(data), data


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def car(root: bytes, blocks: list[tuple[bytes, bytes]]) -> bytes:
    header = libipld.encode_dag_cbor({"roots": [root], "version": 1})
    body = b"".join(varint(len(c) + len(d)) + c + d for c, d in blocks)
    return varint(len(header)) + header + body


def layer(key: str) -> int:
    digest = hashlib.sha256(key.encode()).digest()
    zeros = 0
    for byte in digest:
        if byte:
            zeros += 8 - byte.bit_length()
            break
        zeros += 8
    return zeros // 2


def tree(entries: dict[str, bytes]) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The root CID and the node blocks (root first) of the tree of `entries` (key -> CID)."""
    items = sorted(entries.items())
    nodes: list[tuple[bytes, bytes]] = []

    def build(part: list[tuple[str, bytes]], level: int) -> bytes | None:
        if not part:
            return None
        node: dict[str, Any] = {"l": None, "e": []}
        group: list[tuple[str, bytes]] = []
        previous = b""
        slot: list[Any] = []  # where the pending group's subtree goes: l or an entry's t
        for key, cid in part:
            if layer(key) < level:
                group.append((key, cid))
                continue
            subtree = build(group, level - 1)
            if slot:
                slot[0]["t"] = subtree
            else:
                node["l"] = subtree
            group = []
            raw = key.encode()
            shared = 0
            while shared < min(len(raw), len(previous)) and raw[shared] == previous[shared]:
                shared += 1
            entry = {"p": shared, "k": raw[shared:], "v": cid, "t": None}
            node["e"].append(entry)
            slot = [entry]
            previous = raw
        subtree = build(group, level - 1)
        if slot:
            slot[0]["t"] = subtree
        else:
            node["l"] = subtree
        made = block(node)
        nodes.insert(0, made)
        return made[0]

    root = build(items, max(layer(k) for k, _ in items))
    assert root is not None
    return root, nodes


def commit(root: bytes) -> tuple[bytes, bytes]:
    return block(
        {"did": ALICE, "version": 3, "data": root, "rev": "3lbalice99zzz", "prev": None,
         "sig": bytes(range(64))}
    )  # fmt: skip


def _post(text: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"$type": "app.bsky.feed.post", "text": text, "createdAt": at, **fields}


def repo_car() -> bytes:
    avatar = cid_of(b"alice avatar", RAW)
    screenshot = cid_of(b"screenshot", RAW)
    profile = block(
        {"$type": "app.bsky.actor.profile", "displayName": "Alice A.", "description":
         "Journalist", "createdAt": "2023-05-01T08:00:00.000Z", "avatar": {"$type": "blob",
         "ref": avatar, "mimeType": "image/jpeg", "size": 5000}}
    )  # fmt: skip
    like = block(
        {"$type": "app.bsky.feed.like", "subject": BOB_REPLY,
         "createdAt": "2024-11-18T10:31:00.000Z"}
    )  # fmt: skip
    first = block(
        _post(
            "Ça commence: merci @bob.bsky.social! Lire "
            "https://example.org/report?utm_source=bsky #Wahl2025",
            "2024-11-18T10:02:00.000Z",
            langs=["fr", "en"],
            facets=[
                {"index": {"byteStart": 20, "byteEnd": 36},
                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BOB}]},
                {"index": {"byteStart": 43, "byteEnd": 85},
                 "features": [{"$type": "app.bsky.richtext.facet#link",
                               "uri": "https://example.org/report?utm_source=bsky"}]},
                {"index": {"byteStart": 86, "byteEnd": 95},
                 "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "Wahl2025"}]},
            ],
            embed={"$type": "app.bsky.embed.external",
                   "external": {"uri": "https://news.example.com/story", "title": "Story",
                                "description": "A story"}},
        )
    )  # fmt: skip
    reply = block(
        _post(
            "Thanks @bob.bsky.social #factcheck",
            "2024-11-18T10:20:00.000Z",
            langs=["en"],
            reply={"root": BOB_REPLY, "parent": BOB_REPLY},
            facets=[
                {"index": {"byteStart": 7, "byteEnd": 23},
                 "features": [{"$type": "app.bsky.richtext.facet#mention", "did": BOB}]},
                {"index": {"byteStart": 24, "byteEnd": 34},
                 "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "factcheck"}]},
            ],
            embed={"$type": "app.bsky.embed.images",
                   "images": [{"alt": "screenshot", "aspectRatio": {"width": 4, "height": 3},
                               "image": {"$type": "blob", "ref": screenshot,
                                         "mimeType": "image/png", "size": 2048}}]},
        )
    )  # fmt: skip
    quote = block(
        _post(
            "Worth reading",
            "2024-11-18T10:25:00.000Z",
            embed={"$type": "app.bsky.embed.record",
                   "record": {"uri": f"at://{CAROL}/app.bsky.feed.post/3lbcarol05",
                              "cid": "bafyreicid05"}},
        )
    )  # fmt: skip
    orphan = block(_post("not in the tree", "2024-11-18T10:40:00.000Z"))
    damaged_data = libipld.encode_dag_cbor(_post("damaged", "2024-11-18T10:41:00.000Z"))
    damaged = (cid_of(b"something else"), damaged_data)
    undated = block(_post("undated", "yesterday"))
    repost = block(
        {"$type": "app.bsky.feed.repost", "subject": BOB_REPLY,
         "createdAt": "2024-11-18T10:30:00.000Z"}
    )  # fmt: skip
    follow = block(
        {"$type": "app.bsky.graph.follow", "subject": BOB,
         "createdAt": "2024-11-18T10:32:00.000Z"}
    )  # fmt: skip
    missing = block(_post("deleted before the export", "2024-11-18T10:50:00.000Z"))
    entries = {
        "app.bsky.actor.profile/self": profile[0],
        "app.bsky.feed.like/3lbalice05": like[0],
        "app.bsky.feed.like/3lbalice08": like[0],  # the same content under a second key
        "app.bsky.feed.post/3lbalice01": first[0],
        "app.bsky.feed.post/3lbalice02": reply[0],
        "app.bsky.feed.post/3lbalice03": quote[0],
        "app.bsky.feed.post/3lbalice07": undated[0],
        "app.bsky.feed.post/3lbalice09": missing[0],  # its block is left out
        "app.bsky.feed.repost/3lbalice04": repost[0],
        "app.bsky.graph.follow/3lbalice06": follow[0],
    }
    root, nodes = tree(entries)
    head = commit(root)
    blocks = [head, profile, like, first, *nodes, reply, quote, orphan, damaged, undated,
              repost, follow]  # fmt: skip
    return car(head[0], blocks)


def doctor_car() -> bytes:
    """The doctor's sample: one post in a one-node tree."""
    post = block(_post("Hello #doctor", "2024-11-18T10:00:02.000Z", langs=["en"]))
    root, nodes = tree({"app.bsky.feed.post/3lbdoctor1": post[0]})
    head = commit(root)
    return car(head[0], [head, *nodes, post])


if __name__ == "__main__":
    REPO_CAR.write_bytes(repo_car())
    DOCTOR_CAR.write_bytes(doctor_car())
