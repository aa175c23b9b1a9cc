"""Bluesky: Jetstream events (``bluesky-jetstream``) and repository exports (``bluesky-repo``).

Fixture tests/fixtures/bluesky/jetstream.jsonl, one Jetstream event a line:

1. identity: alice's handle, written ``Alice.example.com`` -> account handle, lower-cased
2. alice's profile record -> account name, bio, created_at
3. alice's post: multi-byte text before the facets (byte offsets), mention, link and tag
   facets, a link card, languages fr and en -> original
4. bob replies to 3 with two images -> reply, media CIDs
5. carol quotes 3 with a video (``recordWithMedia``) -> quote
6. carol replies to 4 and quotes 3 -> quote (a quote wins)
7. carol reposts 3 -> retweet
8. bob likes 3 -> quarantined: not a post (like)
9. bob follows alice -> quarantined: not a post (follow)
10. bob deletes a post -> quarantined: not a post (delete)
11. account event: carol taken down -> account, raw status
12. ``createdAt`` "yesterday" -> quarantined: unparseable date
13. a line cut short -> quarantined: invalid JSON
14. bob embeds a list (not a quote), no facets, outline ``tags`` -> original, hashtags from tags
15. a commit without collection -> quarantined: not a Jetstream event

Fixture tests/fixtures/bluesky/listrecords.json, one pretty-printed ``listRecords`` page of
bob's repository:

1. the reply of line 4 above (same AT URI: a duplicate when both files are ingested)
2. a repost of 3 -> retweet
3. a like -> quarantined: not a post (like)
4. bob's profile -> account
5. a repost without subject -> quarantined: invalid record
6. an ``https://`` uri -> quarantined: invalid record
7. an image-only post (empty text), ``createdAt`` without offset -> original, read as UTC

Fixture tests/fixtures/bluesky/repo.car, alice's repository as ``getRepo`` exports it
(``bluesky-car``): written by `tests.car_fixture`, whose docstring lists its blocks.

Fixture tests/fixtures/bluesky/api_views.jsonl, AppView responses one a line (``bluesky-api``):

1. ``getAuthorFeed`` of alice: (1) her post of Jetstream line 3 with counts; (2) bob's reply,
   reposted by alice (``reasonRepost`` with the repost's uri: the id the repository gives it)
   with the reply context (alice's post again: mapped once); (3) her quote of carol (the embed
   view gives carol's handle); (4) carol's post reposted by alice, older API without the
   repost's uri -> ``repost:<did>:<uri>``; (5) her pinned post (``reasonPin``, kept in raw);
   (6) bob's reply to a deleted post (``notFoundPost`` as root and parent) -> quarantined
   once: not a post (not found); dave, the grandparent author with an invalid handle
2. ``searchPosts``: carol's post again (a duplicate), a post dated "yesterday" (unparseable
   date), a post view with an ``https://`` uri (invalid record)
3. ``getPostThread`` of bob's reply: its parent (alice's post), and a reply (alice's reply
   to bob) whose own reply is a ``blockedPost`` -> not a post (blocked)
4. ``{"cursor": "end"}`` -> not a post view
5. a line cut short -> invalid JSON
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infoscope.ingest import detect_format, get_format, ingest, sniff
from infoscope.ingest.bluesky_car import car_header_length
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from . import car_fixture
from .conftest import FIXTURES, rows, run_cli

JETSTREAM = FIXTURES / "bluesky" / "jetstream.jsonl"
REPO = FIXTURES / "bluesky" / "listrecords.json"
CAR = FIXTURES / "bluesky" / "repo.car"
API = FIXTURES / "bluesky" / "api_views.jsonl"
MINE = ("bluesky-jetstream", "bluesky-repo", "bluesky-car", "bluesky-api")
ALICE = "did:plc:aliceaaaaaaaaaaaaaaaaaaa"
BOB = "did:plc:bobbbbbbbbbbbbbbbbbbbbbb"
CAROL = "did:plc:carolccccccccccccccccccc"
DAVE = "did:plc:davedddddddddddddddddddd"
ALICE_POST = f"at://{ALICE}/app.bsky.feed.post/3lbalice01"
POST_COLUMNS = (
    "post_id, account_id, account_handle, created_at, text, lang, kind, ref_post_id, "
    "ref_account_id, ref_account_handle, hashtags, mentions, urls, media_ids, metrics, "
    "source_line, source_record, format"
)


def _posts(store: Store) -> dict[str, dict[str, Any]]:
    found = rows(store, f"SELECT {POST_COLUMNS} FROM posts")
    return {r.pop("post_id"): r for r in found}


def _post(at: str, **fields: Any) -> dict[str, Any]:
    """An expected post row: no references, no entities, no metrics unless given."""
    row = dict(
        account_handle=None,
        lang=None,
        kind="original",
        ref_post_id=None,
        ref_account_id=None,
        ref_account_handle=None,
        hashtags=[],
        mentions=[],
        urls=[],
        media_ids=None,
        metrics=None,
        created_at=datetime.fromisoformat(at),
    )
    row.update(fields)
    return row


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def jetstream(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Store.open(tmp_path_factory.mktemp("bsky") / "s.duckdb") as store:
        summary = ingest(store, [JETSTREAM])
        yield store, summary


# -- Jetstream -----------------------------------------------------------------------------


def test_jetstream_summary(jetstream):
    _, summary = jetstream
    assert summary.formats == {"bluesky-jetstream": 1}
    assert summary.records == 15
    assert (summary.posts, summary.accounts, summary.duplicates) == (6, 2, 0)
    assert dict(summary.quarantined) == {
        "not a post (like)": 1,
        "not a post (follow)": 1,
        "not a post (delete)": 1,
        "unparseable date": 1,
        "invalid JSON": 1,
        "not a Jetstream event": 1,
    }


def test_jetstream_posts_exact(jetstream):
    store, _ = jetstream
    j = "bluesky-jetstream"
    assert _posts(store) == {
        ALICE_POST: _post(
            "2024-11-18T10:02:00+00:00",
            account_id=ALICE,
            text="Ça commence: merci @bob.bsky.social! Lire "
            "https://example.org/report?utm_source=bsky #Wahl2025",
            lang="fr",  # the first of langs
            hashtags=["wahl2025"],
            mentions=["bob.bsky.social"],  # the handle the facet covers, not its DID
            # the link facet (normalised at store time) and then the link card
            urls=["example.org/report", "news.example.com/story"],
            source_line=3,
            source_record=3,
            format=j,
        ),
        f"at://{BOB}/app.bsky.feed.post/3lbbob0004": _post(
            "2024-11-18T10:03:00+00:00",
            account_id=BOB,
            text="Agreed with @alice.example.com",
            lang="en",
            kind="reply",
            ref_post_id=ALICE_POST,  # reply.parent
            ref_account_id=ALICE,  # the DID in the parent's URI
            mentions=["alice.example.com"],
            media_ids=["bafkreiimage1", "bafkreiimage2"],  # blob CIDs
            source_line=4,
            source_record=4,
            format=j,
        ),
        f"at://{CAROL}/app.bsky.feed.post/3lbcarol05": _post(
            "2024-11-18T10:04:00+00:00",
            account_id=CAROL,
            text="Look at this",
            kind="quote",
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            media_ids=["bafkreivideo1"],
            source_line=5,
            source_record=5,
            format=j,
        ),
        f"at://{CAROL}/app.bsky.feed.post/3lbcarol06": _post(
            "2024-11-18T10:05:00+00:00",
            account_id=CAROL,
            text="Both a reply and a quote",
            kind="quote",  # not reply: the quoted post, not the parent (bob's reply)
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            source_line=6,
            source_record=6,
            format=j,
        ),
        f"at://{CAROL}/app.bsky.feed.repost/3lbcarol07": _post(
            "2024-11-18T10:07:00+00:00",
            account_id=CAROL,
            text=None,
            kind="retweet",
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            source_line=7,
            source_record=7,
            format=j,
        ),
        f"at://{BOB}/app.bsky.feed.post/3lbbob0014": _post(
            "2024-11-18T10:14:00+00:00",
            account_id=BOB,
            text="My list of newsrooms",
            hashtags=["media", "lists"],  # outline tags; the embedded list is not a quote
            source_line=14,
            source_record=14,
            format=j,
        ),
    }
    platforms = rows(store, "SELECT DISTINCT platform FROM posts")
    assert platforms == [{"platform": "bluesky"}]


def test_jetstream_accounts_exact(jetstream):
    store, _ = jetstream
    got = rows(
        store,
        "SELECT account_id, handle, display_name, description, created_at, raw, source_line "
        "FROM accounts ORDER BY account_id",
    )
    assert got == [
        {
            "account_id": ALICE,
            "handle": "alice.example.com",  # identity event, lower-cased
            "display_name": "Alice A.",  # profile record (line 2), merged into the account
            "description": "Journalist",
            "created_at": datetime(2023, 5, 1, 8, 0, tzinfo=UTC),
            "raw": '{"did":"did:plc:aliceaaaaaaaaaaaaaaaaaaa","handle":"Alice.example.com",'
            '"seq":101,"time":"2024-11-18T10:00:01.000Z"}',
            "source_line": 1,
        },
        {
            "account_id": CAROL,
            "handle": None,
            "display_name": None,
            "description": None,
            "created_at": None,
            "raw": '{"active":false,"status":"takendown"}',
            "source_line": 11,
        },
    ]
    # Bob only posts: his DID is an account of the posts, not a row of its own here.
    assert len(got) == 2


def test_jetstream_quarantine_exact(jetstream):
    store, _ = jetstream
    lines = _lines(JETSTREAM)
    got = rows(store, "SELECT source_line, source_record, reason, raw FROM quarantine ORDER BY 1")
    assert [(r["source_line"], r["source_record"], r["reason"]) for r in got] == [
        (8, 8, "not a post (like): create app.bsky.feed.like"),
        (9, 9, "not a post (follow): create app.bsky.graph.follow"),
        (10, 10, "not a post (delete): delete app.bsky.feed.post"),
        (12, 12, unparseable_date_reason("yesterday")),
        (13, 13, "invalid JSON: unexpected end of data: line 1 column 67 (char 66)"),
        (15, 15, "not a Jetstream event: commit without collection"),
    ]
    # Nothing is lost: each quarantined line is kept whole.
    assert [r["raw"] for r in got] == [lines[i - 1] for i in (8, 9, 10, 12, 13, 15)]


def test_jetstream_raw_is_the_event(jetstream):
    """Every field is mapped or kept: a post's raw is its whole event (time_us, cid, rev...)."""
    store, _ = jetstream
    lines = _lines(JETSTREAM)
    for row in rows(store, "SELECT source_line, raw FROM posts"):
        assert row["raw"] == lines[row["source_line"] - 1]
    [raw] = rows(store, "SELECT raw FROM posts WHERE post_id = ?", [ALICE_POST])
    event = json.loads(raw["raw"])
    assert event["time_us"] == 1731924003000000
    assert event["commit"]["record"]["embed"]["external"]["title"] == "Story"


def test_date_format_is_honoured(tmp_path):
    event = json.loads(_lines(JETSTREAM)[2])
    event["commit"]["record"]["createdAt"] = "18.11.2024 10:02"
    path = tmp_path / "dates.jsonl"
    path.write_text(json.dumps(event) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "a.duckdb") as store:
        assert ingest(store, [path]).quarantined == {"unparseable date": 1}
    with Store.open(tmp_path / "b.duckdb") as store:
        summary = ingest(store, [path], date_format="%d.%m.%Y %H:%M")
        assert summary.posts == 1
        [row] = rows(store, "SELECT created_at FROM posts")
        assert row["created_at"] == datetime(2024, 11, 18, 10, 2, tzinfo=UTC)


def test_oversized_event_is_quarantined(tmp_path):
    lines = _lines(JETSTREAM)
    path = tmp_path / "big.jsonl"
    path.write_text("\n".join([lines[2], lines[3] + " " * 2000]) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest(store, [path], max_record_bytes=1500)
        assert (summary.posts, summary.quarantined) == (1, {"record too large": 1})


# -- repository export -----------------------------------------------------------------------


def test_repo_page_exact(store):
    summary = ingest(store, [REPO])
    assert summary.formats == {"bluesky-repo": 1}
    assert (summary.records, summary.posts, summary.accounts) == (7, 3, 1)
    r = "bluesky-repo"
    assert _posts(store) == {
        f"at://{BOB}/app.bsky.feed.post/3lbbob0004": _post(
            "2024-11-18T10:03:00+00:00",
            account_id=BOB,
            text="Agreed with @alice.example.com",
            lang="en",
            kind="reply",
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            mentions=["alice.example.com"],
            media_ids=["bafkreiimage1", "bafkreiimage2"],
            source_line=None,  # records of a JSON document have no line
            source_record=1,
            format=r,
        ),
        f"at://{BOB}/app.bsky.feed.repost/3lbbob0020": _post(
            "2024-11-18T11:00:00+00:00",
            account_id=BOB,
            text=None,
            kind="retweet",
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            source_line=None,
            source_record=2,
            format=r,
        ),
        f"at://{BOB}/app.bsky.feed.post/3lbbob0025": _post(
            "2024-11-18T11:05:00+00:00",  # no offset: UTC
            account_id=BOB,
            text=None,  # an image-only post
            media_ids=["bafkreiimage1"],  # the same image as bob's reply: the same CID
            source_line=None,
            source_record=7,
            format=r,
        ),
    }
    assert rows(
        store, "SELECT account_id, display_name, description, source_record FROM accounts"
    ) == [{"account_id": BOB, "display_name": "Bob", "description": "Reader", "source_record": 4}]
    page = json.loads(REPO.read_text(encoding="utf-8"))
    got = rows(store, "SELECT source_record, reason, raw FROM quarantine ORDER BY 1")
    assert [(q["source_record"], q["reason"]) for q in got] == [
        (3, "not a post (like): create app.bsky.feed.like"),
        (5, "invalid record: repost without a subject.uri AT URI"),
        (6, "invalid record: no at:// uri"),
    ]
    assert [json.loads(q["raw"]) for q in got] == [page["records"][i - 1] for i in (3, 5, 6)]
    [raw] = rows(store, "SELECT raw FROM posts WHERE source_record = 1")
    assert json.loads(raw["raw"]) == page["records"][0]  # the record object, cid included


def test_both_formats_merge_on_the_at_uri(store):
    summary = ingest(store, [JETSTREAM, REPO])
    assert summary.formats == {"bluesky-jetstream": 1, "bluesky-repo": 1}
    assert (summary.posts, summary.duplicates) == (8, 1)  # bob's reply is in both


def _flat(page: dict[str, Any]) -> list[dict[str, Any]]:
    return page["records"]


@pytest.mark.parametrize(
    "layout",
    ["pages-jsonl", "records-jsonl", "records-array", "pages-array", "documents", "minified"],
)
def test_repo_layouts_read_the_same(tmp_path, layout):
    page = json.loads(REPO.read_text(encoding="utf-8"))
    first = {"records": page["records"][:3], "cursor": "a"}
    second = {"records": page["records"][3:], "cursor": "b"}
    records = page["records"]
    text = {
        "pages-jsonl": "\n".join(json.dumps(p) for p in (first, second)) + "\n",
        "records-jsonl": "\n".join(json.dumps(r) for r in records) + "\n",
        "records-array": json.dumps(records, indent=1),
        "pages-array": json.dumps([first, second], indent=1),
        "documents": json.dumps(first, indent=2) + "\n" + json.dumps(second, indent=2) + "\n",
        "minified": json.dumps(page),
    }[layout]
    path = tmp_path / "repo.json"
    path.write_text(text, encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest(store, [path])
        assert summary.formats == {"bluesky-repo": 1}
        assert (summary.records, summary.posts, summary.accounts) == (7, 3, 1)
        assert sum(summary.quarantined.values()) == 3
        got = rows(store, "SELECT source_record FROM posts ORDER BY 1")
        assert [r["source_record"] for r in got] == [1, 2, 7]


def test_repo_document_cut_short_keeps_what_came_before(store, tmp_path):
    text = REPO.read_text(encoding="utf-8")
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index('"at://did:plc:bobbbbbbbbbbbbbbbbbbbbbb/app.bsky.actor')])
    summary = ingest(store, [path])
    assert (summary.posts, summary.records) == (2, 4)
    [q] = [r for r in rows(store, "SELECT reason FROM quarantine") if "JSON" in r["reason"]]
    assert q["reason"].startswith("invalid JSON: ")
    assert q["reason"].endswith("the rest of the documents is not read")


# -- detection -----------------------------------------------------------------------------


def _sniffed(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "x.json"
    path.write_text(text, encoding="utf-8")
    return sniff(next(iter_sources(path)))


_EVENT = {"did": ALICE, "time_us": 1, "kind": "commit", "commit": {}}
_RECORD = {"uri": ALICE_POST, "cid": "c", "value": {}}
_VIEW = {"uri": ALICE_POST, "cid": "c", "author": {"did": ALICE}, "record": {}, "indexedAt": "x"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (json.dumps(_EVENT) + "\n", "bluesky-jetstream"),
        (json.dumps({**_EVENT, "kind": "identity"}) + "\n", "bluesky-jetstream"),
        (json.dumps(_EVENT, indent=1), "bluesky-jetstream"),  # pretty-printed
        (json.dumps(_RECORD) + "\n", "bluesky-repo"),
        (json.dumps([_RECORD]), "bluesky-repo"),
        (json.dumps({"records": [_RECORD], "cursor": "x"}, indent=1), "bluesky-repo"),
        (json.dumps({"records": [_RECORD]}) + "\n", "bluesky-repo"),
        (json.dumps([{"records": [_RECORD]}]), "bluesky-repo"),
        # not Bluesky: an https uri with cid and value, records of something else, a bare did
        (json.dumps({**_RECORD, "uri": "https://x"}) + "\n", None),
        (json.dumps({"records": [{"id": 1}]}) + "\n", None),
        (json.dumps({"did": ALICE, "kind": "commit"}) + "\n", None),
        # AppView views: pages of feeds, searches and threads, feed items, post views
        (json.dumps({"feed": [{"post": _VIEW}], "cursor": "x"}) + "\n", "bluesky-api"),
        (json.dumps({"posts": [_VIEW], "hitsTotal": 1}, indent=1), "bluesky-api"),
        (json.dumps({"thread": {"post": _VIEW, "replies": []}}) + "\n", "bluesky-api"),
        (json.dumps([{"feed": [{"post": _VIEW}]}]), "bluesky-api"),
        (json.dumps({"post": _VIEW, "reason": None}) + "\n", "bluesky-api"),
        (json.dumps(_VIEW) + "\n", "bluesky-api"),
        (json.dumps([_VIEW]), "bluesky-api"),
        # a feed or posts of something else
        (json.dumps({"feed": [{"id": 1}]}) + "\n", None),
        (json.dumps({"posts": [{"uri": ALICE_POST, "value": {}}]}) + "\n", None),
    ],
)
def test_detection_table(tmp_path, text, expected):
    sn = _sniffed(tmp_path, text)
    scores = {n: get_format(n).detect(sn) for n in MINE}
    assert {n for n, s in scores.items() if s > 0} == ({expected} if expected else set())


def test_fixtures_are_detected_and_no_other_fixture_is_bluesky():
    assert detect_format(sniff(next(iter_sources(JETSTREAM)))).name == "bluesky-jetstream"
    assert detect_format(sniff(next(iter_sources(REPO)))).name == "bluesky-repo"
    assert detect_format(sniff(next(iter_sources(CAR)))).name == "bluesky-car"
    assert detect_format(sniff(next(iter_sources(API)))).name == "bluesky-api"
    mine = set(MINE)
    for path in sorted(FIXTURES.rglob("*")):
        if not path.is_file() or path.parent.name == "bluesky":
            continue
        for source in iter_sources(path):
            sn = sniff(source)
            assert all(get_format(n).detect(sn) == 0 for n in mine), path


# -- CLI -----------------------------------------------------------------------------------


def test_cli_ingest_json_summary(tmp_path):
    result = run_cli("ingest", str(JETSTREAM), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["formats"] == {"bluesky-jetstream": 1}
    assert (data["records"], data["posts"], data["accounts"], data["quarantined"]) == (15, 6, 2, 6)
    assert data["quarantined_by_reason"]["not a post (like)"] == 1


def test_a_capture_of_mostly_likes_is_not_a_failed_ingest(tmp_path):
    """Likes are read whole but not stored (quarantined as ``not a post (like)``): a capture
    that is mostly likes ends with exit 0, and a file that is mostly unreadable still fails."""

    def like(i: int) -> dict[str, Any]:
        record = {
            "$type": "app.bsky.feed.like",
            "createdAt": "2024-01-01T10:00:00Z",
            "subject": {"uri": f"at://did:plc:b/app.bsky.feed.post/p{i}", "cid": "x"},
        }
        return {"did": "did:plc:a", "time_us": 1704103200000000 + i, "kind": "commit",
                "commit": {"rev": str(i), "operation": "create", "cid": f"c{i}",
                           "collection": "app.bsky.feed.like", "rkey": f"l{i}",
                           "record": record}}  # fmt: skip

    post = {"did": "did:plc:c", "time_us": 1704103200000009, "kind": "commit",
            "commit": {"rev": "9", "operation": "create", "cid": "c9", "rkey": "p9",
                       "collection": "app.bsky.feed.post",
                       "record": {"$type": "app.bsky.feed.post", "text": "hello",
                                  "createdAt": "2024-01-01T10:00:00Z"}}}  # fmt: skip
    likes = tmp_path / "likes.jsonl"
    likes.write_text("".join(json.dumps(e) + "\n" for e in [like(1), like(2), like(3), post]))
    result = run_cli("ingest", str(likes), "--store", str(tmp_path / "a.duckdb"), "-q")
    assert result.exit_code == 0, result.output
    assert "not a post (like)" in result.stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(post) + "\n" + '{"did": "x", "time_us": 1, "kind": "co\n' * 3)
    result = run_cli("ingest", str(broken), "--store", str(tmp_path / "b.duckdb"), "-q")
    assert result.exit_code == 1 and "3 of 4 records were quarantined" in result.stderr


# -- repository export as a CAR file (bluesky-car) ---------------------------------------------


def test_car_fixtures_are_what_the_generator_writes():
    assert CAR.read_bytes() == car_fixture.repo_car()
    assert car_fixture.DOCTOR_CAR.read_bytes() == car_fixture.doctor_car()


@pytest.fixture(scope="module")
def car(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Store.open(tmp_path_factory.mktemp("car") / "s.duckdb") as store:
        summary = ingest(store, [CAR])
        yield store, summary


def test_car_summary(car):
    _, summary = car
    assert summary.formats == {"bluesky-car": 1}
    assert (summary.records, summary.posts, summary.accounts, summary.duplicates) == (12, 4, 1, 0)
    assert dict(summary.quarantined) == {
        "not a post (like)": 1,
        "not a post (follow)": 1,
        "duplicate record content": 1,
        "invalid block": 1,
        "invalid record": 1,
        "unparseable date": 1,
        "record missing from the CAR": 1,
    }


def test_car_posts_exact(car):
    store, _ = car
    c = "bluesky-car"
    screenshot = "bafkreiceiekgwd7b2xdiiwxre25fzzqah2tx222mwbgriekpq2uslro3zi"
    bob_reply = f"at://{BOB}/app.bsky.feed.post/3lbbob0004"
    assert _posts(store) == {
        # the record of Jetstream line 3, mapped alike (held until its tree entry was read)
        ALICE_POST: _post(
            "2024-11-18T10:02:00+00:00",
            account_id=ALICE,
            text="Ça commence: merci @bob.bsky.social! Lire "
            "https://example.org/report?utm_source=bsky #Wahl2025",
            lang="fr",
            hashtags=["wahl2025"],
            mentions=["bob.bsky.social"],
            urls=["example.org/report", "news.example.com/story"],
            source_line=None,
            source_record=4,
            format=c,
        ),
        f"at://{ALICE}/app.bsky.feed.post/3lbalice02": _post(
            "2024-11-18T10:20:00+00:00",
            account_id=ALICE,
            text="Thanks @bob.bsky.social #factcheck",
            lang="en",
            kind="reply",
            ref_post_id=bob_reply,
            ref_account_id=BOB,
            hashtags=["factcheck"],
            mentions=["bob.bsky.social"],
            media_ids=[screenshot],  # the blob's CID link, as its base32 text
            source_line=None,
            source_record=5,
            format=c,
        ),
        f"at://{ALICE}/app.bsky.feed.post/3lbalice03": _post(
            "2024-11-18T10:25:00+00:00",
            account_id=ALICE,
            text="Worth reading",
            kind="quote",
            ref_post_id=f"at://{CAROL}/app.bsky.feed.post/3lbcarol05",
            ref_account_id=CAROL,
            source_line=None,
            source_record=6,
            format=c,
        ),
        f"at://{ALICE}/app.bsky.feed.repost/3lbalice04": _post(
            "2024-11-18T10:30:00+00:00",
            account_id=ALICE,
            text=None,
            kind="retweet",
            ref_post_id=bob_reply,
            ref_account_id=BOB,
            source_line=None,
            source_record=9,
            format=c,
        ),
    }


def test_car_account_holds_profile_and_commit(car):
    store, _ = car
    [account] = rows(
        store, "SELECT account_id, display_name, description, created_at, raw FROM accounts"
    )
    assert account["account_id"] == ALICE
    assert (account["display_name"], account["description"]) == ("Alice A.", "Journalist")
    assert account["created_at"] == datetime(2023, 5, 1, 8, 0, tzinfo=UTC)
    raw = json.loads(account["raw"])
    assert raw["commit"]["rev"] == "3lbalice99zzz" and raw["commit"]["version"] == 3
    assert raw["commit"]["data"]["$link"].startswith("bafyrei")  # a link, in atproto's JSON
    assert raw["profile"]["avatar"]["ref"]["$link"].startswith("bafkrei")


def test_car_quarantine_exact(car):
    store, _ = car
    got = rows(store, "SELECT source_record, reason, raw FROM quarantine ORDER BY 1")
    reasons = [(q["source_record"], q["reason"].split(" bafy")[0]) for q in got]
    assert reasons == [
        (2, "not a post (like): create app.bsky.feed.like"),
        (3, "duplicate record content: app.bsky.feed.like/3lbalice08 has the same CID as "
            "app.bsky.feed.like/3lbalice05, mapped once"),
        (7, "invalid block: block 11's content does not match its CID"),
        (8, unparseable_date_reason("yesterday")),
        (10, "not a post (follow): create app.bsky.graph.follow"),
        (11, "invalid record: not in the repository tree (block"),
        (12, "record missing from the CAR: app.bsky.feed.post/3lbalice09"),
    ]  # fmt: skip
    # the records read whole are kept as listRecords would give them
    like = json.loads(got[0]["raw"])
    assert like["uri"] == f"at://{ALICE}/app.bsky.feed.like/3lbalice05"
    assert like["value"]["subject"]["uri"] == f"at://{BOB}/app.bsky.feed.post/3lbbob0004"
    assert json.loads(got[5]["raw"])["value"]["text"] == "not in the tree"


def test_car_raw_is_the_record_object(car):
    store, _ = car
    [row] = rows(store, "SELECT raw FROM posts WHERE post_id = ?", [ALICE_POST])
    record = json.loads(row["raw"])
    assert set(record) == {"uri", "cid", "value"} and record["uri"] == ALICE_POST
    assert record["value"]["embed"]["external"]["title"] == "Story"
    [row] = rows(store, "SELECT raw FROM posts WHERE post_id LIKE '%3lbalice02'")
    image = json.loads(row["raw"])["value"]["embed"]["images"][0]
    assert image["image"]["ref"] == {"$link": image["image"]["ref"]["$link"]}
    assert image["aspectRatio"] == {"width": 4, "height": 3}


def test_car_merges_with_jetstream_and_the_api(store):
    summary = ingest(store, [JETSTREAM, CAR, API])
    # the CAR: alice's post (in Jetstream); the API: alice's post, bob's reply, carol's post (in
    # Jetstream), alice's repost (reason.uri), quote and reply (in the CAR), and the
    # duplicates within the API file (carol's post in line 2, bob's and alice's in line 3)
    assert summary.duplicates == 10
    [row] = rows(store, "SELECT format FROM posts WHERE post_id = ?", [ALICE_POST])
    assert row["format"] == "bluesky-jetstream"  # the first ingested is kept


def test_car_blocks_in_any_order(tmp_path):
    """Records before their tree nodes, the commit last: the same records are mapped."""
    data = CAR.read_bytes()
    header_end = 1 + car_header_length(data)
    blocks, at = [], header_end
    while at < len(data):
        size, length = data[at], 1
        if size & 0x80:
            size, length = (size & 0x7F) | (data[at + 1] << 7), 2
        blocks.append(data[at : at + length + size])
        at += length + size
    path = tmp_path / "reversed.car"
    path.write_bytes(data[:header_end] + b"".join(reversed(blocks)))
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest(store, [path])
        assert (summary.posts, summary.accounts) == (4, 1)
        assert sum(summary.quarantined.values()) == 7


def test_car_cut_short_keeps_what_was_read(tmp_path):
    data = CAR.read_bytes()
    path = tmp_path / "cut.car"
    path.write_bytes(data[: len(data) - 40])  # inside the last block (the follow)
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest(store, [path])
        assert summary.posts == 4
        assert summary.quarantined["invalid CAR"] == 1
        # the follow's tree entry names a record the file no longer holds
        reasons = [r["reason"] for r in rows(store, "SELECT reason FROM quarantine")]
        assert "record missing from the CAR: app.bsky.graph.follow/3lbalice06" in reasons


def test_car_block_over_the_record_limit(tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest(store, [CAR], max_record_bytes=300)
        assert summary.quarantined["record too large"] >= 1
        assert summary.posts < 4


@pytest.mark.parametrize(
    ("head", "length"),
    [
        (b"\x11\xa2eroots\x80gversion\x01", 17),
        (b"\x11\xa2eroots\x80gversion\x02", None),  # CAR v2 starts otherwise
        (b"\x11\xa1eroots\x80gversion\x01", None),  # not a map of two keys
        (b"\x05\xa2eroots\x80gversion\x01", None),  # the header's end before "version"
        (b"\xff\xff\xff", None),
        (b"[1, 2]", None),
        (b"", None),
    ],
)
def test_car_header_marker(head, length):
    assert car_header_length(head) == length


def test_car_header_of_the_fixture():
    data = CAR.read_bytes()
    assert car_header_length(data) == data[0] and data[0] < 0x80


# -- AppView post views (bluesky-api) ------------------------------------------------------------


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Store.open(tmp_path_factory.mktemp("api") / "s.duckdb") as store:
        summary = ingest(store, [API])
        yield store, summary


def test_api_summary(api):
    _, summary = api
    assert summary.formats == {"bluesky-api": 1}
    assert (summary.records, summary.posts, summary.accounts) == (15, 9, 4)
    assert summary.duplicates == 3  # carol's post in line 2, bob's and alice's in line 3
    assert dict(summary.quarantined) == {
        "not a post (not found)": 1,
        "not a post (blocked)": 1,
        "unparseable date": 1,
        "invalid record": 1,
        "not a post view": 1,
        "invalid JSON": 1,
    }


def _counts(replies: int, reposts: int, likes: int, quotes: int) -> dict[str, int]:
    return {
        "reply_count": replies,
        "repost_count": reposts,
        "like_count": likes,
        "quote_count": quotes,
        "bookmark_count": 0,
    }


def test_api_posts_exact(api):
    store, _ = api
    a = "bluesky-api"
    alice, bob, carol = "alice.example.com", "bob.bsky.social", "carol.bsky.social"
    bob_reply = f"at://{BOB}/app.bsky.feed.post/3lbbob0004"
    carol_post = f"at://{CAROL}/app.bsky.feed.post/3lbcarol05"
    common = dict(source_line=1, format=a)
    assert _posts(store) == {
        ALICE_POST: _post(
            "2024-11-18T10:02:00+00:00",
            account_id=ALICE,
            account_handle=alice,  # the author's handle, lower-cased
            text="Ça commence: merci @bob.bsky.social! Lire "
            "https://example.org/report?utm_source=bsky #Wahl2025",
            lang="fr",
            hashtags=["wahl2025"],
            mentions=["bob.bsky.social"],
            urls=["example.org/report", "news.example.com/story"],
            metrics=_counts(1, 2, 10, 1),
            source_record=1,
            **common,
        ),
        bob_reply: _post(
            "2024-11-18T10:03:00+00:00",
            account_id=BOB,
            account_handle=bob,
            text="Agreed with @alice.example.com",
            lang="en",
            kind="reply",
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            mentions=["alice.example.com"],
            media_ids=["bafkreiimage1", "bafkreiimage2"],
            metrics=_counts(1, 1, 3, 0),
            source_record=2,
            **common,
        ),
        # reason.uri: the repost record's own AT URI
        f"at://{ALICE}/app.bsky.feed.repost/3lbalice04": _post(
            "2024-11-18T10:30:01+00:00",  # reason.indexedAt
            account_id=ALICE,
            account_handle=alice,
            text=None,
            kind="retweet",
            ref_post_id=bob_reply,
            ref_account_id=BOB,
            ref_account_handle=bob,
            source_record=2,
            **common,
        ),
        f"at://{ALICE}/app.bsky.feed.post/3lbalice03": _post(
            "2024-11-18T10:25:00+00:00",
            account_id=ALICE,
            account_handle=alice,
            text="Worth reading",
            kind="quote",
            ref_post_id=carol_post,
            ref_account_id=CAROL,
            ref_account_handle=carol,  # from the embed view
            metrics=_counts(0, 0, 1, 0),
            source_record=3,
            **common,
        ),
        carol_post: _post(
            "2024-11-18T10:04:00+00:00",
            account_id=CAROL,
            account_handle=carol,
            text="Look at this",
            kind="quote",
            ref_post_id=ALICE_POST,
            ref_account_id=ALICE,
            ref_account_handle=alice,
            media_ids=["bafkreivideo1"],
            metrics=_counts(0, 1, 4, 0),
            source_record=4,
            **common,
        ),
        # an older API's repost, without the repost's uri
        f"repost:{ALICE}:{carol_post}": _post(
            "2024-11-18T10:35:00+00:00",
            account_id=ALICE,
            account_handle=alice,
            text=None,
            kind="retweet",
            ref_post_id=carol_post,
            ref_account_id=CAROL,
            ref_account_handle=carol,
            source_record=4,
            **common,
        ),
        f"at://{ALICE}/app.bsky.feed.post/3lbalice00": _post(
            "2024-01-02T09:00:00+00:00",
            account_id=ALICE,
            account_handle=alice,
            text="About me: reporter. Tips welcome",
            lang="en",
            metrics=_counts(0, 0, 2, 0),
            source_record=5,
            **common,
        ),
        f"at://{BOB}/app.bsky.feed.post/3lbbob0009": _post(
            "2024-11-18T12:00:00+00:00",
            account_id=BOB,
            account_handle=bob,
            text="This was answered elsewhere",
            kind="reply",
            ref_post_id=f"at://{DAVE}/app.bsky.feed.post/3lbdave0001",  # deleted since
            ref_account_id=DAVE,
            metrics=_counts(0, 0, 0, 0),
            source_record=6,
            **common,
        ),
        # from the thread (line 3): alice's reply to bob
        f"at://{ALICE}/app.bsky.feed.post/3lbalice02": _post(
            "2024-11-18T10:20:00+00:00",
            account_id=ALICE,
            account_handle=alice,
            text="Thanks @bob.bsky.social #factcheck",
            lang="en",
            kind="reply",
            ref_post_id=bob_reply,
            ref_account_id=BOB,
            hashtags=["factcheck"],
            mentions=["bob.bsky.social"],
            metrics=_counts(1, 0, 0, 0),
            source_line=3,
            source_record=12,
            format=a,
        ),
    }


def test_api_accounts_exact(api):
    store, _ = api
    got = rows(
        store,
        "SELECT account_id, handle, display_name, created_at FROM accounts ORDER BY account_id",
    )
    assert got == [
        {"account_id": ALICE, "handle": "alice.example.com", "display_name": "Alice A.",
         "created_at": datetime(2023, 5, 1, 8, 0, tzinfo=UTC)},
        {"account_id": BOB, "handle": "bob.bsky.social", "display_name": "Bob",
         "created_at": datetime(2023, 6, 1, 8, 0, tzinfo=UTC)},
        # an empty display name is unknown; carol's labels stay in raw
        {"account_id": CAROL, "handle": "carol.bsky.social", "display_name": None,
         "created_at": None},
        # the grandparent author: "handle.invalid" is no handle
        {"account_id": DAVE, "handle": None, "display_name": "Dave", "created_at": None},
    ]  # fmt: skip
    [carol] = rows(store, "SELECT raw FROM accounts WHERE account_id = ?", [CAROL])
    assert json.loads(carol["raw"])["labels"][0]["val"] == "!no-unauthenticated"


def test_api_quarantine_exact(api):
    store, _ = api
    got = rows(store, "SELECT source_line, source_record, reason FROM quarantine ORDER BY 2")
    assert [(q["source_line"], q["source_record"], q["reason"]) for q in got] == [
        (1, 6, f"not a post (not found): at://{DAVE}/app.bsky.feed.post/3lbdave0001"),
        (2, 8, unparseable_date_reason("yesterday")),
        (2, 9, "invalid record: post view without an at:// post uri"),
        (3, 13, f"not a post (blocked): at://{DAVE}/app.bsky.feed.post/3lbdave0002"),
        (4, 14, "not a post view: no feed, posts or post"),
        (5, 15, "invalid JSON: unexpected end of data: line 1 column 72 (char 71)"),
    ]


def test_api_raw_keeps_the_feed_item(api):
    store, _ = api
    feed = json.loads(_lines(API)[0])["feed"]
    [main] = rows(store, "SELECT raw FROM posts WHERE source_record = 5")
    assert json.loads(main["raw"]) == feed[4]  # the pinned post's item: its reasonPin kept
    [repost] = rows(store, "SELECT raw FROM posts WHERE kind = 'retweet' AND source_record = 2")
    assert json.loads(repost["raw"]) == feed[1]["reason"]
    [reply] = rows(store, "SELECT raw FROM posts WHERE source_record = 12")
    node = json.loads(reply["raw"])
    assert "replies" not in node and node["post"]["uri"].endswith("3lbalice02")


def test_api_each_view_alone(tmp_path):
    """A feed item, a thread node or a post view one a line, or an array of post views."""
    feed = json.loads(_lines(API)[0])["feed"]
    thread = json.loads(_lines(API)[2])["thread"]
    path = tmp_path / "views.jsonl"
    path.write_text(
        "\n".join(json.dumps(v) for v in (feed[1], thread, feed[2]["post"])) + "\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / "s.duckdb") as store:
        summary = ingest(store, [path])
        assert summary.formats == {"bluesky-api": 1}
        # bob's reply with alice's post as its context, alice's repost; the thread: alice's
        # post and bob's reply again, her reply and the blocked one; alice's quote
        assert (summary.posts, summary.duplicates) == (5, 2)
    path = tmp_path / "views.json"
    path.write_text(json.dumps([f["post"] for f in feed]), encoding="utf-8")
    with Store.open(tmp_path / "t.duckdb") as store:
        assert ingest(store, [path]).posts == 6
