"""Interaction edges from the store: exact edges of a tiny hand-built corpus.

The corpus (platform twitter, accounts by id, all on 2024-01-01 UTC unless said) is a
generic-jsonl export plus one twitter-v2 quote, one row per case:

- g1  1 Alice 10:00  original "hello #news ...": no interaction; Alice posts under a capital A
- g2  2 bob   11:00  "RT @alice: ...": a retweet by its RT prefix, 2 -> 1; its "@alice" is
      the retweet itself, not also a mention
- g3  2 bob   12:00  retweet of "Alice" by column: with g2, retweet 2 -> 1 of weight 2
- g4  3 carol 13:00  reply to "bob" (a handle): reply 3 -> 2
- g5  4 dan   14:00  "@CAROL and @eve": mention 4 -> 3 (case-insensitive) and 4 -> @eve
      (eve never posts: key '@eve', outside the corpus)
- g6  4 dan   15:00  "@dan": a self-mention, dropped unless self_loops
- q1  4 dan   16:00  twitter-v2 quote of g1 (author id 1): quote 4 -> 1
- g7  4 dan   17:00  reply to "carol": with g5, 4 -> 3 combines a mention and a reply
- g8  5 erin  09:00  "@bob hi", erin's only post: mention 5 -> 2, gone with min_posts=2
- g9  3 carol 2024-01-02 10:00, French, "@alice salut": mention 3 -> 1, gone with
      langs=("en",) and with until=2024-01-02T10:00 (exclusive)
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infoscope.errors import BadParameterError
from infoscope.ingest import ingest
from infoscope.network.edges import (
    EDGE_TYPES,
    EdgeSelection,
    combine_edges,
    interaction_edges,
    network_nodes,
    parse_types,
)
from infoscope.store import Store

GENERIC_MAP = {
    "id": "id",
    "author_id": "uid",
    "author": "user",
    "created_at": "at",
    "text": "text",
    "lang": "lang",
    "retweet_of_author": "rt_user",
    "reply_to_author": "reply_to",
}
GENERIC_ROWS = [
    {"id": "g1", "uid": "1", "user": "Alice", "at": "2024-01-01T10:00:00Z", "lang": "en",
     "text": "hello #news https://example.com/a"},
    {"id": "g2", "uid": "2", "user": "bob", "at": "2024-01-01T11:00:00Z", "lang": "en",
     "text": "RT @alice: hello #news"},
    {"id": "g3", "uid": "2", "user": "bob", "at": "2024-01-01T12:00:00Z", "lang": "en",
     "text": "hello again", "rt_user": "Alice"},
    {"id": "g4", "uid": "3", "user": "carol", "at": "2024-01-01T13:00:00Z", "lang": "en",
     "text": "I agree", "reply_to": "bob"},
    {"id": "g5", "uid": "4", "user": "dan", "at": "2024-01-01T14:00:00Z", "lang": "en",
     "text": "@CAROL and @eve look"},
    {"id": "g6", "uid": "4", "user": "dan", "at": "2024-01-01T15:00:00Z", "lang": "en",
     "text": "@dan note to self"},
    {"id": "g7", "uid": "4", "user": "dan", "at": "2024-01-01T17:00:00Z", "lang": "en",
     "text": "right", "reply_to": "carol"},
    {"id": "g8", "uid": "5", "user": "erin", "at": "2024-01-01T09:00:00Z", "lang": "en",
     "text": "@bob hi"},
    {"id": "g9", "uid": "3", "user": "carol", "at": "2024-01-02T10:00:00Z", "lang": "fr",
     "text": "@alice salut"},
]  # fmt: skip
QUOTE = {
    "id": "q1",
    "author_id": "4",
    "created_at": "2024-01-01T16:00:00.000Z",
    "text": "look at this",
    "lang": "en",
    "author": {"id": "4", "username": "dan"},
    "referenced_tweets": [
        {
            "type": "quoted",
            "id": "g1",
            "author_id": "1",
            "text": "hello #news",
            "author": {"id": "1", "username": "Alice"},
        }
    ],
}


def _jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def _t(hour: int, day: int = 1) -> datetime:
    return datetime(2024, 1, day, hour, tzinfo=UTC)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("edges")
    with Store.open(tmp / "edges.duckdb") as store:
        ingest(
            store,
            [_jsonl(tmp / "generic.jsonl", GENERIC_ROWS)],
            format="generic-jsonl",
            mapping=GENERIC_MAP,
            platform="twitter",
        )
        ingest(store, [_jsonl(tmp / "quote.jsonl", [QUOTE])], format="twitter-v2")
        yield store


def _edges(store: Store, selection: EdgeSelection | None = None) -> set[tuple[Any, ...]]:
    posts, accounts = store.ibis.table("posts"), store.ibis.table("accounts")
    table = store.arrow_reader(interaction_edges(posts, accounts, selection)).read_all()
    return {
        (r["source"], r["target"], r["type"], r["weight"], r["first_at"], r["last_at"])
        for r in table.to_pylist()
    }


def _combined(store: Store, min_weight: float = 1.0) -> dict[tuple[str, str], dict[str, Any]]:
    posts, accounts = store.ibis.table("posts"), store.ibis.table("accounts")
    expr = combine_edges(interaction_edges(posts, accounts), min_weight=min_weight)
    return {
        (r.pop("source"), r.pop("target")): r
        for r in store.arrow_reader(expr).read_all().to_pylist()
    }


# Every edge of the corpus with the default selection (all types, no self-loops, outside kept).
ALL_EDGES = {
    ("2", "1", "retweet", 2, _t(11), _t(12)),  # g2 + g3; g2's "@alice" is not a mention
    ("3", "1", "mention", 1, _t(10, day=2), _t(10, day=2)),  # g9
    ("3", "2", "reply", 1, _t(13), _t(13)),  # g4
    ("4", "1", "quote", 1, _t(16), _t(16)),  # q1
    ("4", "3", "mention", 1, _t(14), _t(14)),  # g5 "@CAROL"
    ("4", "3", "reply", 1, _t(17), _t(17)),  # g7
    ("4", "@eve", "mention", 1, _t(14), _t(14)),  # g5 "@eve": known only by handle
    ("5", "2", "mention", 1, _t(9), _t(9)),  # g8
}


def test_every_edge_of_the_corpus_exactly(corpus):
    assert _edges(corpus) == ALL_EDGES


def test_self_loops_are_dropped_by_default_and_kept_on_request(corpus):
    with_loops = _edges(corpus, EdgeSelection(self_loops=True))
    # g6: dan mentions himself; "dan" resolves to his own id 4.
    assert with_loops == ALL_EDGES | {("4", "4", "mention", 1, _t(15), _t(15))}


def test_types_select_the_interactions(corpus):
    # Only mentions: g2's "RT @alice", not counted as a retweet now, is a mention of alice.
    assert _edges(corpus, EdgeSelection(types=("mention",))) == {
        e for e in ALL_EDGES if e[2] == "mention"
    } | {("2", "1", "mention", 1, _t(11), _t(11))}
    assert _edges(corpus, EdgeSelection(types=("quote", "retweet"))) == {
        ("2", "1", "retweet", 2, _t(11), _t(12)),
        ("4", "1", "quote", 1, _t(16), _t(16)),
    }


def test_since_is_inclusive_and_until_exclusive(corpus):
    window = EdgeSelection(since=_t(12), until=_t(10, day=2))
    # g3 at 12:00 is in (since inclusive), g9 at 10:00 next day is out (until exclusive);
    # g1, g2 and g8 are before the window. Alice (1) does not post in the window but is
    # still a target: outside targets are kept by default.
    assert _edges(corpus, window) == {
        ("2", "1", "retweet", 1, _t(12), _t(12)),
        ("3", "2", "reply", 1, _t(13), _t(13)),
        ("4", "1", "quote", 1, _t(16), _t(16)),
        ("4", "3", "mention", 1, _t(14), _t(14)),
        ("4", "3", "reply", 1, _t(17), _t(17)),
        ("4", "@eve", "mention", 1, _t(14), _t(14)),
    }


def test_langs_keep_posts_in_those_languages(corpus):
    # g9 is the only French post.
    assert _edges(corpus, EdgeSelection(langs=("en",))) == {
        e for e in ALL_EDGES if e[:2] != ("3", "1")
    }
    assert _edges(corpus, EdgeSelection(langs=("fr",))) == {
        ("3", "1", "mention", 1, _t(10, day=2), _t(10, day=2))
    }


def test_min_posts_keeps_active_sources(corpus):
    # Posts per source: bob 2, carol 2, dan 4, erin 1 (g8 only).
    assert _edges(corpus, EdgeSelection(min_posts=2)) == {e for e in ALL_EDGES if e[0] != "5"}
    assert _edges(corpus, EdgeSelection(min_posts=3)) == {e for e in ALL_EDGES if e[0] == "4"}


def test_outside_false_drops_targets_that_never_post(corpus):
    assert _edges(corpus, EdgeSelection(outside=False)) == {e for e in ALL_EDGES if e[1] != "@eve"}


def test_combine_edges_sums_types_and_spans(corpus):
    combined = _combined(corpus)
    assert set(combined) == {(e[0], e[1]) for e in ALL_EDGES}
    # g5 (mention at 14:00) and g7 (reply at 17:00) make one edge of weight 2.
    assert combined[("4", "3")] == {
        "weight": 2.0,
        "retweet": 0,
        "quote": 0,
        "reply": 1,
        "mention": 1,
        "first_at": _t(14),
        "last_at": _t(17),
    }
    assert combined[("2", "1")]["weight"] == 2.0 and combined[("2", "1")]["retweet"] == 2
    assert combined[("4", "1")]["quote"] == 1
    # min_weight 2 keeps the two edges of weight 2 only.
    assert set(_combined(corpus, min_weight=2)) == {("2", "1"), ("4", "3")}


def test_network_nodes_flag_accounts_outside_the_corpus(corpus):
    posts, accounts = corpus.ibis.table("posts"), corpus.ibis.table("accounts")
    edges = interaction_edges(posts, accounts)
    got = corpus.arrow_reader(network_nodes(posts, accounts, edges)).read_all().to_pylist()
    # Every account an edge touches, once; posts counted in the selection (dan: g5, g6, g7,
    # q1). The handle is the profile's ("Alice" as she wrote it); eve, only ever mentioned,
    # keeps the handle she was named by and has no posts.
    assert got == [
        {"account_id": "1", "handle": "Alice", "posts": 1, "in_corpus": True},
        {"account_id": "2", "handle": "bob", "posts": 2, "in_corpus": True},
        {"account_id": "3", "handle": "carol", "posts": 2, "in_corpus": True},
        {"account_id": "4", "handle": "dan", "posts": 4, "in_corpus": True},
        {"account_id": "5", "handle": "erin", "posts": 1, "in_corpus": True},
        {"account_id": "@eve", "handle": "eve", "posts": 0, "in_corpus": False},
    ]
    inside = EdgeSelection(outside=False)
    kept = interaction_edges(posts, accounts, inside)
    nodes = corpus.arrow_reader(network_nodes(posts, accounts, kept, inside)).read_all()
    assert "@eve" not in nodes["account_id"].to_pylist()
    assert all(nodes["in_corpus"].to_pylist())


def test_a_reused_handle_resolves_to_the_account_posting_most_under_it(store, tmp_path):
    rows = [
        # "zed" was account 7's handle for two posts, then account 8's for one (reuse).
        {"id": "z1", "uid": "7", "user": "zed", "at": "2024-02-01T10:00:00Z", "text": "a"},
        {"id": "z2", "uid": "7", "user": "zed", "at": "2024-02-01T11:00:00Z", "text": "b"},
        {"id": "z3", "uid": "8", "user": "Zed", "at": "2024-02-02T10:00:00Z", "text": "c"},
        # 9 mentions @ZED: the account posting most under that handle, 7.
        {"id": "z4", "uid": "9", "user": "yan", "at": "2024-02-03T10:00:00Z", "text": "@ZED"},
    ]
    ingest(
        store,
        [_jsonl(tmp_path / "zed.jsonl", rows)],
        format="generic-jsonl",
        mapping=GENERIC_MAP,
        platform="twitter",
    )
    assert {(s, t) for s, t, *_ in _edges(store)} == {("9", "7")}


def test_a_mentioned_account_with_a_profile_is_keyed_by_its_id(store, tmp_path):
    # Twitter v2 expands the mentioned user (id 6, "frank"), who never posts: the mention
    # resolves to the stored profile's id, not to '@frank', and frank stays outside.
    tweet = {
        "id": "t1",
        "author_id": "10",
        "created_at": "2024-03-01T10:00:00.000Z",
        "text": "hi @Frank",
        "author": {"id": "10", "username": "gil"},
        "entities": {"mentions": [{"username": "Frank", "id": "6", "name": "Frank F"}]},
    }
    ingest(store, [_jsonl(tmp_path / "v2.jsonl", [tweet])], format="twitter-v2")
    at = datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert _edges(store) == {("10", "6", "mention", 1, at, at)}
    posts, accounts = store.ibis.table("posts"), store.ibis.table("accounts")
    edges = interaction_edges(posts, accounts)
    nodes = store.arrow_reader(network_nodes(posts, accounts, edges)).read_all().to_pylist()
    assert {"account_id": "6", "handle": "Frank", "posts": 0, "in_corpus": False} in nodes


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"types": ("like",)}, "edge types like: choose from retweet, quote, reply, mention"),
        ({"types": ()}, r"edge types \(none\): choose from"),
        ({"min_posts": 0}, "min_posts must be at least 1, got 0"),
        ({"min_weight": 0}, "min_weight must be positive, got 0"),
        ({"since": _t(12), "until": _t(12)}, "is not before until"),
        ({"since": _t(13), "until": _t(12)}, "is not before until"),
    ],
)
def test_edge_selection_refuses_bad_values_with_a_clear_message(kwargs, message):
    with pytest.raises(BadParameterError, match=message):
        EdgeSelection(**kwargs)


def test_parse_types():
    assert parse_types(None) == EDGE_TYPES
    assert parse_types(" Mention, reply,mention ") == ("mention", "reply")
    assert parse_types(["quote"]) == ("quote",)
    with pytest.raises(BadParameterError, match="edge types likes"):
        parse_types("mention,likes")


def test_a_reply_mentioning_its_parent_by_handle_is_one_edge_when_the_source_gives_an_id(
    store, tmp_path
):
    # Regression: Bluesky replies name the parent's author by DID only (in the AT URI), so
    # the "@alice..." the reply starts with was counted as a mention besides the reply.
    alice, bob = "did:plc:aliceaaaaaaaaaaaaaaaaaaa", "did:plc:bobbbbbbbbbbbbbbbbbbbbbb"
    parent = f"at://{alice}/app.bsky.feed.post/3lbalice01"
    text = "@alice.example.com agreed"
    events = [
        {"did": alice, "time_us": 1, "kind": "identity",
         "identity": {"did": alice, "handle": "alice.example.com", "seq": 1,
                      "time": "2024-11-18T10:00:00.000Z"}},
        {"did": alice, "time_us": 2, "kind": "commit", "commit": {
            "rev": "r1", "operation": "create", "collection": "app.bsky.feed.post",
            "rkey": "3lbalice01", "cid": "c1", "record": {
                "$type": "app.bsky.feed.post", "text": "hello",
                "createdAt": "2024-11-18T10:01:00.000Z"}}},
        {"did": bob, "time_us": 3, "kind": "commit", "commit": {
            "rev": "r2", "operation": "create", "collection": "app.bsky.feed.post",
            "rkey": "3lbbob0001", "cid": "c2", "record": {
                "$type": "app.bsky.feed.post", "text": text,
                "createdAt": "2024-11-18T10:02:00.000Z",
                "facets": [{"index": {"byteStart": 0, "byteEnd": 18}, "features": [
                    {"$type": "app.bsky.richtext.facet#mention", "did": alice}]}],
                "reply": {"root": {"uri": parent, "cid": "c1"},
                          "parent": {"uri": parent, "cid": "c1"}}}}},
    ]  # fmt: skip
    ingest(store, [_jsonl(tmp_path / "jetstream.jsonl", events)])
    at = datetime(2024, 11, 18, 10, 2, tzinfo=UTC)
    assert _edges(store) == {(bob, alice, "reply", 1, at, at)}
    # Mentions alone still see it.
    assert _edges(store, EdgeSelection(types=("mention",))) == {(bob, alice, "mention", 1, at, at)}
