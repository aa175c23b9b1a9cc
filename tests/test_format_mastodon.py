"""Mastodon API statuses (``mastodon``): mapping, account addresses, boosts, quotes, replies.

Fixture tests/fixtures/mastodon/statuses.json is one API page (a JSON array) as
``/api/v1/timelines/public`` returns it, served by mastodon.social:

1. alice (local: ``acct`` "alice") posts: a hashtag, a mention of remote bob, a shortened link
   (hidden spans), a ``<br>`` and two paragraphs, an image, every count -> original
2. bob (remote: ``acct`` "bob@example.social") replies to 1 -> reply to 1 (its uri: status 1,
   read before, has the local id ``in_reply_to_id`` names) and to alice
3. Carol (local, capitalised) boosts 1 -> retweet of 1, with 1's text and entities
4. bob quotes 1 (Mastodon 4.4 ``quote``, accepted) and replies to it -> quote (a quote wins)
5. alice replies to herself (a thread) -> reply to 1 and to alice
6. Carol's quote still pending approval (no quoted status) -> quote, reference unknown
7. ``created_at`` "01/05/2024 10:12" -> quarantined: unparseable date
8. no ``uri`` and no ``url`` -> quarantined: missing post id
9. an API error object -> quarantined: not a status
10. alice replies to bob's status 11, which comes after it (timelines are newest first)
    -> reply to 11's uri, resolved once 11 is read
11. bob's remote status (its uri on example.social, its local id on mastodon.social)
12. Carol replies to a status of local alice that is not in the page -> reply to
    ``https://mastodon.social/users/alice/statuses/<in_reply_to_id>``: alice is local and
    mastodon.social writes Mastodon's URIs (status 1's uri ends in its own id)
13. bob replies to remote dave's status, not in the page -> parent unknown (a remote status's
    local id says nothing of its uri), dave from the mentions
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infoscope.ingest import detect_format, get_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.mastodon import account_address, html_to_text, map_status
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, rows, run_cli

FIX = FIXTURES / "mastodon" / "statuses.json"
S1 = "https://mastodon.social/users/alice/statuses/110000000000000001"
S11 = "https://example.social/users/bob/statuses/998899"
ZERO = {"replies_count": 0, "reblogs_count": 0, "favourites_count": 0}
POST_COLUMNS = (
    "post_id, account_id, account_handle, created_at, text, lang, kind, ref_post_id, "
    "ref_account_id, ref_account_handle, hashtags, mentions, urls, media_ids, metrics, "
    "source_line, source_record, platform, format"
)
S1_TEXT = (
    "Polls open today in #Wahl, says @bob.\n"
    "Details: https://example.org/report?utm_source=mastodon\n\n"
    "Second paragraph & more"
)


def _statuses() -> list[Any]:
    return json.loads(FIX.read_text(encoding="utf-8"))


def _post(at: str, account: str, **fields: Any) -> dict[str, Any]:
    row = dict(
        account_id=account.lower(),
        account_handle=account,
        created_at=datetime.fromisoformat(at),
        lang="en",
        kind="original",
        ref_post_id=None,
        ref_account_id=None,
        ref_account_handle=None,
        hashtags=[],
        mentions=[],
        urls=[],
        media_ids=None,
        metrics=ZERO,
        source_line=None,  # statuses of a JSON array have no line
        platform="mastodon",
        format="mastodon",
    )
    row.update(fields)
    return row


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Store.open(tmp_path_factory.mktemp("masto") / "s.duckdb") as store:
        summary = ingest(store, [FIX])
        yield store, summary


def test_summary(ingested):
    _, summary = ingested
    assert summary.formats == {"mastodon": 1}
    assert (summary.records, summary.posts, summary.accounts) == (13, 10, 3)
    assert dict(summary.quarantined) == {
        "unparseable date": 1,
        "missing post id": 1,
        "not a status": 1,
    }


def test_posts_exact(ingested):
    store, _ = ingested
    got = {r.pop("post_id"): r for r in rows(store, f"SELECT {POST_COLUMNS} FROM posts")}
    alice, bob, carol = "alice@mastodon.social", "bob@example.social", "Carol@mastodon.social"
    assert got == {
        S1: _post(
            "2024-05-01T10:00:00+00:00",
            alice,  # the bare acct qualified with the host of the profile url
            text=S1_TEXT,  # the link whole: hidden spans kept, the ellipsis span joined
            hashtags=["wahl"],
            mentions=["bob@example.social"],
            urls=["example.org/report"],  # not the mention's or hashtag's link; normalised
            media_ids=["111000000000000001"],
            metrics={
                "replies_count": 2,
                "reblogs_count": 5,
                "favourites_count": 9,
                "quotes_count": 1,
            },
            source_record=1,
        ),
        "https://example.social/users/bob/statuses/998877": _post(
            "2024-05-01T10:05:00+00:00",
            bob,
            text="@alice which polling stations?",
            kind="reply",
            ref_post_id=S1,  # in_reply_to_id is status 1's local id: its uri
            # the parent's author, found among the mentions by in_reply_to_account_id
            ref_account_id=alice,
            ref_account_handle=alice,
            mentions=[alice],
            source_record=2,
        ),
        "https://mastodon.social/users/Carol/statuses/110000000000000003/activity": _post(
            "2024-05-01T10:06:00+00:00",
            carol,  # account_id lower-cased, the handle as written
            text=S1_TEXT,  # the boosted status's content, tags, mentions, links and media
            kind="retweet",
            ref_post_id=S1,
            ref_account_id=alice,
            ref_account_handle=alice,
            hashtags=["wahl"],
            mentions=["bob@example.social"],
            urls=["example.org/report"],
            media_ids=["111000000000000001"],
            source_record=3,
        ),
        "https://example.social/users/bob/statuses/998878": _post(
            "2024-05-01T10:07:00+00:00",
            bob,
            text="Worth reading: the full list",
            kind="quote",
            ref_post_id=S1,
            ref_account_id=alice,
            ref_account_handle=alice,
            metrics={**ZERO, "quotes_count": 0},
            source_record=4,
        ),
        "https://mastodon.social/users/alice/statuses/110000000000000005": _post(
            "2024-05-01T10:10:00+00:00",
            alice,
            text="Update: turnout 61%",
            lang="de",
            kind="reply",
            ref_post_id=S1,
            ref_account_id=alice,  # her own thread
            ref_account_handle=alice,
            source_record=5,
        ),
        "https://mastodon.social/users/Carol/statuses/110000000000000006": _post(
            "2024-05-01T10:11:00+00:00",
            carol,
            text="Quote pending approval",
            kind="quote",  # the quoted status is not included: reference unknown
            source_record=6,
        ),
        "https://mastodon.social/users/alice/statuses/110000000000000010": _post(
            "2024-05-01T10:30:00+00:00",
            alice,
            text="@bob the count is public",
            kind="reply",
            ref_post_id=S11,  # its parent came after it
            ref_account_id=bob,
            ref_account_handle=bob,
            mentions=[bob],
            source_record=10,
        ),
        S11: _post(
            "2024-05-01T10:25:00+00:00",
            bob,
            text="Where is the count published?",
            source_record=11,
        ),
        "https://mastodon.social/users/Carol/statuses/110000000000000012": _post(
            "2024-05-01T10:40:00+00:00",
            carol,
            text="@alice agreed",
            kind="reply",
            # not in the page: the uri local alice's status has on mastodon.social
            ref_post_id="https://mastodon.social/users/alice/statuses/110000000000000050",
            ref_account_id=alice,
            ref_account_handle=alice,
            mentions=[alice],
            source_record=12,
        ),
        "https://example.social/users/bob/statuses/998900": _post(
            "2024-05-01T10:45:00+00:00",
            bob,
            text="@dave source?",
            kind="reply",  # a remote parent not in the page: unknown
            ref_account_id="dave@other.example",
            ref_account_handle="dave@other.example",
            mentions=["dave@other.example"],
            source_record=13,
        ),
    }


def test_accounts_exact(ingested):
    store, _ = ingested
    got = rows(
        store,
        "SELECT account_id, handle, display_name, description, created_at, followers, "
        "following, posts_count, url, source_record FROM accounts ORDER BY account_id",
    )
    assert got == [
        {
            "account_id": "alice@mastodon.social",
            "handle": "alice@mastodon.social",
            "display_name": "Alice 🌍",
            "description": "Reporter at example.org\n\nViews mine.",  # note as text
            "created_at": datetime(2022, 11, 5, tzinfo=UTC),
            "followers": 1500,
            "following": 300,
            "posts_count": 4200,
            "url": "https://mastodon.social/@alice",
            "source_record": 1,
        },
        {
            "account_id": "bob@example.social",
            "handle": "bob@example.social",
            "display_name": "Bob",
            "description": None,
            "created_at": datetime(2022, 11, 5, tzinfo=UTC),
            "followers": 10,
            "following": 5,
            "posts_count": 100,
            "url": "https://example.social/@bob",
            "source_record": 2,
        },
        {
            "account_id": "carol@mastodon.social",
            "handle": "Carol@mastodon.social",
            "display_name": "Carol",
            "description": None,
            "created_at": datetime(2022, 11, 5, tzinfo=UTC),
            "followers": 10,
            "following": 5,
            "posts_count": 100,
            "url": "https://mastodon.social/@Carol",
            "source_record": 3,
        },
    ]
    [bob] = rows(store, "SELECT raw FROM accounts WHERE account_id = 'bob@example.social'")
    raw = json.loads(bob["raw"])
    # The account entity is kept: the instance-local id, the bot flag, fields...
    assert (raw["id"], raw["bot"], raw["acct"]) == (
        "109000000000000002",
        True,
        "bob@example.social",
    )


def test_quarantine_and_raw(ingested):
    store, _ = ingested
    statuses = _statuses()
    got = rows(store, "SELECT source_record, reason, raw FROM quarantine ORDER BY 1")
    assert [(q["source_record"], q["reason"]) for q in got] == [
        (7, unparseable_date_reason("01/05/2024 10:12")),
        (8, "missing post id: no uri or url"),
        (9, "not a status: error message"),
    ]
    assert [json.loads(q["raw"]) for q in got] == statuses[6:9]
    # A post's raw is the whole status: visibility, the local ids, the boosted status...
    for row in rows(store, "SELECT source_record, raw FROM posts"):
        assert json.loads(row["raw"]) == statuses[row["source_record"] - 1]


def test_json_lines_and_date_format(tmp_path):
    statuses = _statuses()
    path = tmp_path / "statuses.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in statuses) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "a.duckdb") as store:
        summary = ingest(store, [path])
        assert summary.formats == {"mastodon": 1}
        assert (summary.posts, sum(summary.quarantined.values())) == (10, 3)
        lines = rows(store, "SELECT source_line, source_record FROM posts ORDER BY 2")
        assert all(r["source_line"] == r["source_record"] for r in lines)
    with Store.open(tmp_path / "b.duckdb") as store:
        summary = ingest(store, [path], date_format="%d/%m/%Y %H:%M")
        # every date is read with the layout now: only status 7's matches it
        assert summary.posts == 1
        [row] = rows(store, "SELECT created_at FROM posts")
        assert row["created_at"] == datetime(2024, 5, 1, 10, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("account", "address"),
    [
        ({"acct": "bob@example.social", "url": "https://other.host/@bob"}, "bob@example.social"),
        ({"acct": "alice", "url": "https://mastodon.social/@alice"}, "alice@mastodon.social"),
        ({"acct": "alice", "uri": "https://m.example/users/alice"}, "alice@m.example"),
        ({"username": "alice", "url": "https://mastodon.social/@alice"}, "alice@mastodon.social"),
        ({"acct": "alice"}, None),  # local, and the instance is not known: no address
        ({}, None),
    ],
)
def test_account_address(account, address):
    assert account_address(account) == address


@pytest.mark.parametrize(
    ("html", "text", "links"),
    [
        ("<p>a</p><p>b</p>", "a\n\nb", []),
        ("<p>a<br>b<br />c</p>", "a\nb\nc", []),
        (
            '<p><a href="https://x.org/y" rel="nofollow">x.org/y</a></p>',
            "x.org/y",
            ["https://x.org/y"],
        ),
        ('<p><a href="https://m.s/tags/t" rel="tag">#<span>t</span></a></p>', "#t", []),
        ("<p>5 &lt; 6 &amp; 7</p>", "5 < 6 & 7", []),
        ("", None, []),
        (None, None, []),
    ],
)
def test_html_to_text(html, text, links):
    assert html_to_text(html) == (text, links)


# -- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "detected"),
    [
        ({"id": "1", "uri": "u", "created_at": "t", "account": {}, "content": ""}, True),
        ({"id": "1", "uri": "u", "created_at": "t", "content": ""}, False),  # no account
        ({"id": "1", "user": {}, "text": "x", "created_at": "t"}, False),  # a tweet
    ],
)
def test_detection_table(tmp_path, status, detected):
    for name, text in (("a.jsonl", json.dumps(status) + "\n"), ("b.json", json.dumps([status]))):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert (get_format("mastodon").detect(sniff(next(iter_sources(path)))) > 0) is detected


def test_fixture_is_detected_and_no_other_fixture_is_mastodon():
    assert detect_format(sniff(next(iter_sources(FIX)))).name == "mastodon"
    fmt = get_format("mastodon")
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.parent.name != "mastodon":
            for source in iter_sources(path):
                assert fmt.detect(sniff(source)) == 0, path


def test_cli_ingest_json_summary(tmp_path: Path):
    result = run_cli("ingest", str(FIX), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["formats"] == {"mastodon": 1}
    assert (data["records"], data["posts"], data["accounts"], data["quarantined"]) == (
        13,
        10,
        3,
        3,
    )


# -- reply parents: local ids mapped to URIs --------------------------------------------------


def _replies_linked(store: Store) -> set[tuple[str, str]]:
    """(reply, parent) of every reply whose parent is a stored post."""
    got = rows(
        store,
        "SELECT r.post_id AS reply, p.post_id AS parent FROM posts r "
        "JOIN posts p ON p.post_id = r.ref_post_id WHERE r.kind = 'reply'",
    )
    return {(r["reply"], r["parent"]) for r in got}


@pytest.mark.parametrize("order", ["as served", "reversed"])
def test_replies_link_to_their_parent_whatever_the_order(tmp_path, order):
    statuses = [s for s in _statuses() if "uri" in s and s.get("created_at", "").endswith("Z")]
    if order == "reversed":
        statuses.reverse()
    path = tmp_path / "statuses.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in statuses) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest(store, [path])
        assert _replies_linked(store) == {
            ("https://example.social/users/bob/statuses/998877", S1),
            ("https://mastodon.social/users/alice/statuses/110000000000000005", S1),
            ("https://mastodon.social/users/alice/statuses/110000000000000010", S11),
        }


def test_a_constructed_parent_uri_is_the_key_the_parent_is_stored_under(tmp_path):
    """Status 12's parent, read later from another server's timeline, merges with the uri
    built from mastodon.social's host and the local id."""
    parent = dict(_statuses()[4])
    parent.update(
        id="555",  # its id on the other server
        in_reply_to_id=None,
        in_reply_to_account_id=None,
        uri="https://mastodon.social/users/alice/statuses/110000000000000050",
        account={**parent["account"], "acct": "alice@mastodon.social", "id": "777"},
    )
    later = tmp_path / "other_server.json"
    later.write_text(json.dumps([parent]), encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest(store, [FIX, later])
        linked = _replies_linked(store)
        assert (
            "https://mastodon.social/users/Carol/statuses/110000000000000012",
            "https://mastodon.social/users/alice/statuses/110000000000000050",
        ) in linked


def test_no_uri_is_built_for_a_server_of_another_uri_scheme(tmp_path):
    """Pleroma and Akkoma write ``/objects/<uuid>`` URIs: a local parent's URI cannot be built
    from its id there, so it stays unknown."""
    statuses = _statuses()
    pleroma = []
    for status in (statuses[0], statuses[11]):  # alice's status 1 and Carol's reply 12
        status = json.loads(json.dumps(status).replace("mastodon.social", "pleroma.example"))
        status["uri"] = f"https://pleroma.example/objects/uuid-{status['id'][-2:]}"
        pleroma.append(status)
    path = tmp_path / "pleroma.json"
    path.write_text(json.dumps(pleroma), encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        ingest(store, [path], platform="pleroma")
        got = rows(store, "SELECT ref_post_id, ref_account_id FROM posts WHERE kind = 'reply'")
        assert got == [{"ref_post_id": None, "ref_account_id": "alice@pleroma.example"}]


def test_waiting_replies_are_bounded():
    """Past `max_waiting` replies waiting for their parent, the oldest goes on unresolved."""
    from infoscope.ingest.mastodon import ReplyParents
    from infoscope.records import Provenance

    statuses = _statuses()
    parents = ReplyParents(max_waiting=0)
    reply = statuses[9]  # alice's reply to 11, which has not been read
    mapped = list(map_status(reply, json.dumps(reply), Provenance("x", 10)))
    [post, *_] = list(parents.add(reply, mapped))
    assert post.ref_post_id is None  # went on at once: bob is remote, no URI to build
    assert list(parents.add(statuses[10], [])) == [] and list(parents.finish()) == []
