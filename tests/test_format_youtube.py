"""YouTube comments: Data API v3 responses and youtube-comment-downloader output.

Fixtures (tests/fixtures/youtube/, invented channels and texts):

- comment_threads.jsonl, Data API responses one a line:
  line 1, a commentThreads.list page: thread UgxAnna1 on video vid0000001 (channel
  UCvideoOwner) by @anna_yt (hashtag, tracking URL, 5 likes, 2 replies) with its replies
  UgxAnna1.AAA (@boris_yt, HTML textDisplay only) and UgxAnna1.BBB (old-style display name,
  handle unknown, Cyrillic); thread UgyDora1 whose publishedAt is "yesterday" -> quarantined;
  line 2, a comments.list page: reply UgzOther.CCC (parent not in the file) and a comment
  without id -> quarantined; line 3, an API error -> quarantined; line 4, a bare thread whose
  comment's author channel is gone (no authorChannelId) on video vid0000002.
- downloader.jsonl, youtube-comment-downloader lines: UgwDmitri1 ("1.2K" votes), its reply
  UgwDmitri1.r1, UgwPaid1 (paid comment, old-style name, hearted), UgwFritz1 without
  time_parsed -> quarantined, and a line cut off -> quarantined.
- downloader_pretty.json, the same tool's --pretty output of the first two lines.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from infoscope.ingest import detect_format, get_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.ingest.youtube_comments import parse_votes
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows

FIX = FIXTURES / "youtube"
COLS = (
    "account_id, account_handle, created_at, text, kind, ref_post_id, ref_account_id, "
    "ref_account_handle, hashtags, mentions, urls, media_ids, metrics, source_record, source_line"
)
SAMPLES = Path(__file__).resolve().parents[1] / "src" / "infoscope" / "doctor" / "samples"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _posts(store: Store) -> dict[str, tuple]:
    found = {}
    for r in rows(store, f"SELECT post_id, {COLS} FROM posts"):
        post_id = r.pop("post_id")
        found[post_id] = tuple(r.values())
    return found


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """Each fixture ingested once by the CLI, format detected: name -> (summary, store)."""
    cache: dict[str, tuple[dict, Store]] = {}

    def get(name: str) -> tuple[dict, Store]:
        if name not in cache:
            path = tmp_path_factory.mktemp("store") / "s.duckdb"
            summary = cli_json("ingest", str(FIX / name), "--store", str(path), "-q")
            cache[name] = (summary, Store.open(path, read_only=True))
        return cache[name]

    yield get
    for _, store in cache.values():
        store.close()


# -- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fixture", ["comment_threads.jsonl", "downloader.jsonl", "downloader_pretty.json"]
)
def test_detected_by_kind_or_downloader_keys(fixture):
    assert detect_format(sniff(next(iter_sources(FIX / fixture)))).name == "youtube-comments"


def claimed_elsewhere(format_name: str, own: str) -> list[str]:
    """Sources of the other formats' fixtures and doctor samples that `format_name` detects
    (the fixtures under `own` are its own)."""
    fmt = get_format(format_name)
    files = [
        p for p in FIXTURES.rglob("*") if p.is_file() and p.relative_to(FIXTURES).parts[0] != own
    ]
    files += [p for p in SAMPLES.iterdir() if not p.name.startswith(format_name + ".")]
    return [src.name for p in files for src in iter_sources(p) if fmt.detect(sniff(src))]


def test_other_formats_fixtures_are_not_claimed():
    assert claimed_elsewhere("youtube-comments", "youtube") == []


@pytest.mark.parametrize("layout", ["pretty", "array"])
def test_pretty_printed_page_and_array_of_pages(tmp_path, store, layout):
    page = json.loads((FIX / "comment_threads.jsonl").read_text(encoding="utf-8").splitlines()[0])
    path = tmp_path / "page.json"
    path.write_text(json.dumps(page if layout == "pretty" else [page], indent=2), "utf-8")
    assert detect_format(sniff(next(iter_sources(path)))).name == "youtube-comments"
    summary = ingest(store, [path])
    assert (summary.posts, dict(summary.quarantined)) == (3, {"unparseable date": 1})


def test_page_longer_than_the_sniffed_head_is_detected(tmp_path, store):
    # A page of 100 threads with replies is hundreds of KB on one line: the head holds its kind.
    page = json.loads((FIX / "comment_threads.jsonl").read_text(encoding="utf-8").splitlines()[0])
    thread = page["items"][0]
    page["items"] = [
        {**thread, "id": f"T{i}", "snippet": {**thread["snippet"], "topLevelComment": {
            **thread["snippet"]["topLevelComment"], "id": f"T{i}"}}, "replies": {"comments": []}}
        for i in range(100)
    ]  # fmt: skip
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    sn = sniff(next(iter_sources(path)))
    assert sn.kind == "jsonl" and detect_format(sn).name == "youtube-comments"
    assert ingest(store, [path]).posts == 100


# -- Data API -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "records", "posts", "accounts", "quarantined"),
    [
        (
            "comment_threads.jsonl",
            8,
            5,
            3,
            {"unparseable date": 1, "missing post id": 1, "not a post": 1},
        ),
        ("downloader.jsonl", 5, 3, 3, {"unparseable date": 1, "invalid JSON": 1}),
        ("downloader_pretty.json", 2, 2, 2, {}),
    ],
)
def test_cli_ingest_json_summary(ingested, fixture, records, posts, accounts, quarantined):
    summary, _ = ingested(fixture)
    assert summary["formats"] == {"youtube-comments": 1}
    assert (summary["records"], summary["posts"], summary["accounts"]) == (records, posts, accounts)
    assert summary["duplicates"] == 0
    assert summary["quarantined_by_reason"] == quarantined


def test_api_posts_exact(ingested):
    _, store = ingested("comment_threads.jsonl")
    assert _posts(store) == {
        # top-level comment: a reply to the video, whose channel is the referenced account
        "UgxAnna1": (
            "UCanna", "anna_yt", _utc(2024, 3, 1, 10), (
                "Great report #Election2024 https://example.org/a?utm_source=yt"
            ), "reply", "vid0000001", "UCvideoOwner", None, ["election2024"], [],
            ["example.org/a"], None, {"like_count": 5, "reply_count": 2}, 1, 1,
        ),
        # reply: to its parent comment, whose author is known from the thread; HTML decoded
        "UgxAnna1.AAA": (
            "UCboris", "boris_yt", _utc(2024, 3, 1, 10, 3), "@anna_yt agreed & shared\ntwice",
            "reply", "UgxAnna1", "UCanna", "anna_yt", [], ["anna_yt"], [], None,
            {"like_count": 0}, 2, 1,
        ),
        # an old-style display name is no handle
        "UgxAnna1.BBB": (
            "UCcarl", None, _utc(2024, 3, 1, 11), "Спасибо!", "reply", "UgxAnna1", "UCanna",
            "anna_yt", [], [], [], None, {"like_count": 1}, 3, 1,
        ),
        # comments.list: the parent thread is not in the file, so its author is unknown
        "UgzOther.CCC": (
            "UCanna", "anna_yt", _utc(2024, 3, 2, 8), "Same again", "reply", "UgzOther", None,
            None, [], [], [], None, {"like_count": 0}, 5, 2,
        ),
        # a thread one a line; the author's channel is gone
        "UgzGhost1": (
            None, None, _utc(2024, 3, 3, 12), "plain text from a deleted channel", "reply",
            "vid0000002", "UCother", None, [], [], [], None,
            {"like_count": 0, "reply_count": 0}, 8, 4,
        ),
    }  # fmt: skip
    assert {r["platform"] for r in rows(store, "SELECT platform FROM posts")} == {"youtube"}


def test_api_accounts_exact(ingested):
    _, store = ingested("comment_threads.jsonl")
    got = rows(
        store,
        "SELECT account_id, handle, display_name, url, raw, source_record FROM accounts "
        "ORDER BY account_id",
    )
    assert got == [
        {
            "account_id": "UCanna",
            "handle": "anna_yt",
            "display_name": "@anna_yt",
            "url": "http://www.youtube.com/@anna_yt",
            "raw": '{"account_kind":"channel","authorProfileImageUrl":'
            '"https://yt3.ggpht.com/UgxAnna1"}',
            "source_record": 1,
        },
        {
            "account_id": "UCboris",
            "handle": "boris_yt",
            "display_name": "@boris_yt",
            "url": "http://www.youtube.com/@boris_yt",
            "raw": '{"account_kind":"channel","authorProfileImageUrl":'
            '"https://yt3.ggpht.com/UgxAnna1.AAA"}',
            "source_record": 2,
        },
        {
            "account_id": "UCcarl",
            "handle": None,
            "display_name": "Carl Zeiss",
            "url": "http://www.youtube.com/channel/UCcarl",
            "raw": '{"account_kind":"channel","authorProfileImageUrl":'
            '"https://yt3.ggpht.com/UgxAnna1.BBB"}',
            "source_record": 3,
        },
    ]


def test_api_quarantine_reasons(ingested):
    _, store = ingested("comment_threads.jsonl")
    got = rows(store, "SELECT source_record, source_line, reason FROM quarantine ORDER BY 1")
    assert got == [
        {"source_record": 4, "source_line": 1, "reason": unparseable_date_reason("yesterday")},
        {"source_record": 6, "source_line": 2, "reason": "missing post id"},
        {
            "source_record": 7,
            "source_line": 3,
            "reason": "not a post: API error 403 The caller does not have permission",
        },
    ]


def test_api_raw_keeps_every_field(ingested):
    _, store = ingested("comment_threads.jsonl")
    page = json.loads((FIX / "comment_threads.jsonl").read_text(encoding="utf-8").splitlines()[0])
    thread = page["items"][0]
    raws = {
        r["post_id"]: json.loads(r["raw"]) for r in rows(store, "SELECT post_id, raw FROM posts")
    }
    # The top-level comment as the API gave it, with the thread's own fields (not its replies,
    # which are posts of their own).
    top = thread["snippet"]["topLevelComment"]
    thread_fields = {k: v for k, v in thread.items() if k != "replies"}
    thread_fields["snippet"] = {
        k: v for k, v in thread["snippet"].items() if k != "topLevelComment"
    }
    assert raws["UgxAnna1"] == {**top, "thread": thread_fields}
    assert raws["UgxAnna1.AAA"] == thread["replies"]["comments"][0]


def test_date_format_reads_a_rewritten_published_at(tmp_path):
    comment = {
        "kind": "youtube#comment",
        "id": "Ugz1",
        "snippet": {"textOriginal": "hi", "publishedAt": "01.03.2024 10:00"},
    }
    path = tmp_path / "comments.jsonl"
    path.write_text(json.dumps(comment) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "a.duckdb") as store:
        summary = ingest(store, [path])
        assert dict(summary.quarantined) == {"unparseable date": 1}
    with Store.open(tmp_path / "b.duckdb") as store:
        assert ingest(store, [path], date_format="%d.%m.%Y %H:%M").posts == 1
        assert rows(store, "SELECT created_at FROM posts") == [{"created_at": _utc(2024, 3, 1, 10)}]


# -- youtube-comment-downloader -----------------------------------------------------------------


def test_downloader_posts_exact(ingested):
    _, store = ingested("downloader.jsonl")
    assert _posts(store) == {
        # time_parsed (epoch seconds, fractions kept); "1.2K" votes read as 1200
        "UgwDmitri1": (
            "UCdmitri", "dmitri", datetime.fromtimestamp(1714000000.5, UTC),
            "Who paid for this? #propaganda", "reply", None, None, None, ["propaganda"], [], [],
            None, {"like_count": 1200, "reply_count": 2}, 1, 1,
        ),
        # a reply: its parent is the id before the dot, its author the parent's, read before
        "UgwDmitri1.r1": (
            "UCelena", "elena", _utc(2024, 4, 25, 23, 6, 40), "@dmitri nobody did", "reply",
            "UgwDmitri1", "UCdmitri", "dmitri", [], ["dmitri"], [], None,
            {"like_count": 0, "reply_count": 0}, 2, 2,
        ),
        "UgwPaid1": (
            "UCold", None, _utc(2024, 4, 26, 16, 46, 40), "Thanks for the stream", "reply", None,
            None, None, [], [], [], None, {"like_count": 12, "reply_count": 0}, 3, 3,
        ),
    }  # fmt: skip
    raw = rows(store, "SELECT raw FROM posts WHERE post_id = 'UgwPaid1'")[0]["raw"]
    assert json.loads(raw)["paid"] == "$5.00" and json.loads(raw)["heart"] is True
    assert rows(store, "SELECT source_record, reason FROM quarantine ORDER BY 1") == [
        {"source_record": 4, "reason": unparseable_date_reason("vor 2 Jahren")},
        {
            "source_record": 5,
            "reason": "invalid JSON: unexpected end of data: line 1 column 38 (char 37)",
        },
    ]


def test_downloader_pretty_output_gives_the_same_posts(ingested):
    _, lines = ingested("downloader.jsonl")
    _, pretty = ingested("downloader_pretty.json")
    cols = "post_id, account_id, created_at, text, kind, ref_post_id, ref_account_id, metrics"
    first_two = "WHERE post_id IN ('UgwDmitri1', 'UgwDmitri1.r1') ORDER BY post_id"
    assert rows(pretty, f"SELECT {cols} FROM posts ORDER BY post_id") == rows(
        lines, f"SELECT {cols} FROM posts {first_two}"
    )
    assert rows(pretty, "SELECT source_line FROM posts") == [{"source_line": None}] * 2


@pytest.mark.parametrize(
    ("shown", "count"),
    [("7", 7), ("", 0), ("1.2K", 1200), ("15K", 15000), ("3M", 3_000_000), ("1,2 тыс.", None)],
)
def test_votes_as_youtube_shows_them(shown, count):
    assert parse_votes(shown) == count
