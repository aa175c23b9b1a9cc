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
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infoscope.ingest import detect_format, get_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, rows, run_cli

JETSTREAM = FIXTURES / "bluesky" / "jetstream.jsonl"
REPO = FIXTURES / "bluesky" / "listrecords.json"
ALICE = "did:plc:aliceaaaaaaaaaaaaaaaaaaa"
BOB = "did:plc:bobbbbbbbbbbbbbbbbbbbbbb"
CAROL = "did:plc:carolccccccccccccccccccc"
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
    ],
)
def test_detection_table(tmp_path, text, expected):
    sn = _sniffed(tmp_path, text)
    scores = {n: get_format(n).detect(sn) for n in ("bluesky-jetstream", "bluesky-repo")}
    assert {n for n, s in scores.items() if s > 0} == ({expected} if expected else set())


def test_fixtures_are_detected_and_no_other_fixture_is_bluesky():
    assert detect_format(sniff(next(iter_sources(JETSTREAM)))).name == "bluesky-jetstream"
    assert detect_format(sniff(next(iter_sources(REPO)))).name == "bluesky-repo"
    mine = {"bluesky-jetstream", "bluesky-repo"}
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
