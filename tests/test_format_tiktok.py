"""TikTok Research API: video query and comment list responses, and their items one a line.

Fixtures (tests/fixtures/tiktok/, invented accounts and texts):

- research_videos.jsonl, video query responses one a line:
  line 1: video ...456 by Tok_Anna with every field (hashtags, a mention, five counters,
  voice_to_text, effect and playlist ids...) and ...457 by boris_t with only a description
  (hashtags then extracted from it); line 2: ...458 whose create_time is "n/a" ->
  quarantined, a video without id -> quarantined, ...460 by "tok_anna" (the same account,
  other case; an empty hashtag list is TikTok's word), ...461; line 3: a rate-limit error ->
  quarantined; line 4: an empty page (has_more still true) -> nothing.
- research_comments.json, one pretty-printed comment list response: a top-level comment
  (parent_comment_id is the video), a reply to it, a comment without create_time ->
  quarantined. Comments have no author in the Research API.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from infoscope.ingest import detect_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows
from .test_format_youtube import claimed_elsewhere

FIX = FIXTURES / "tiktok"
COLS = (
    "account_id, account_handle, created_at, text, kind, ref_post_id, hashtags, mentions, "
    "metrics, source_record, source_line"
)
ANNA = "7341234567890123456"


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


@pytest.mark.parametrize("fixture", ["research_videos.jsonl", "research_comments.json"])
def test_detected_by_data_videos_or_comments(fixture):
    assert detect_format(sniff(next(iter_sources(FIX / fixture)))).name == "tiktok-research"


def test_other_formats_fixtures_are_not_claimed():
    assert claimed_elsewhere("tiktok-research", "tiktok") == []


def test_items_one_a_line_are_detected_and_read(tmp_path, store):
    page = json.loads((FIX / "research_videos.jsonl").read_text(encoding="utf-8").splitlines()[0])
    comments = json.loads((FIX / "research_comments.json").read_text(encoding="utf-8"))
    videos = tmp_path / "videos.jsonl"
    videos.write_text("".join(json.dumps(v) + "\n" for v in page["data"]["videos"]), "utf-8")
    replies = tmp_path / "comments.jsonl"
    items = comments["data"]["comments"][:2]
    replies.write_text("".join(json.dumps(c) + "\n" for c in items), "utf-8")
    for path in (videos, replies):
        assert detect_format(sniff(next(iter_sources(path)))).name == "tiktok-research"
    summary = ingest(store, [videos, replies])
    assert (summary.posts, summary.accounts) == (4, 2)
    raw = rows(store, "SELECT raw FROM posts WHERE post_id = ?", [ANNA])[0]["raw"]
    assert raw == json.dumps(page["data"]["videos"][0])  # the line as read


@pytest.mark.parametrize(
    ("fixture", "records", "posts", "accounts", "quarantined"),
    [
        (
            "research_videos.jsonl",
            7,
            4,
            3,
            {"unparseable date": 1, "missing post id": 1, "not a post": 1},
        ),
        ("research_comments.json", 3, 2, 0, {"unparseable date": 1}),
    ],
)
def test_cli_ingest_json_summary(ingested, fixture, records, posts, accounts, quarantined):
    summary, _ = ingested(fixture)
    assert summary["formats"] == {"tiktok-research": 1}
    assert (summary["records"], summary["posts"], summary["accounts"]) == (records, posts, accounts)
    assert summary["duplicates"] == 0
    assert summary["quarantined_by_reason"] == quarantined


# -- videos -----------------------------------------------------------------------------------


def test_videos_exact(ingested):
    _, store = ingested("research_videos.jsonl")
    assert _posts(store) == {
        # 64-bit ids kept exactly; account keyed by the lower-case handle
        ANNA: (
            "@tok_anna", "Tok_Anna", _utc(2024, 3, 1, 10, 46, 40),
            "Vote early! #Election #news @boris_t", "original", None, ["election", "news"],
            ["boris_t"],
            {"like_count": 120, "comment_count": 8, "share_count": 15, "view_count": 3400,
             "favorites_count": 6}, 1, 1,
        ),
        # no hashtag_names asked: extracted from the description
        "7341234567890123457": (
            "@boris_t", "boris_t", _utc(2024, 3, 1, 10, 47, 40), "Same here #fyp", "original",
            None, ["fyp"], [], None, 2, 1,
        ),
        # the same account in another case; TikTok's empty hashtag list is kept as given
        "7341234567890123460": (
            "@tok_anna", "tok_anna", _utc(2024, 3, 1, 11, 1, 40), "Part 2 #Election",
            "original", None, [], [], {"like_count": 7}, 5, 2,
        ),
        "7341234567890123461": (
            "@eve_t", "Eve_T", _utc(2024, 3, 1, 11, 2, 40), "stitched #news", "original", None,
            ["news"], [], {"view_count": 15}, 6, 2,
        ),
    }  # fmt: skip
    assert rows(store, "SELECT account_id, handle FROM accounts ORDER BY 1") == [
        {"account_id": "@boris_t", "handle": "boris_t"},
        {"account_id": "@eve_t", "handle": "Eve_T"},
        {"account_id": "@tok_anna", "handle": "Tok_Anna"},  # the first spelling read
    ]
    raw = json.loads(rows(store, "SELECT raw FROM posts WHERE post_id = ?", [ANNA])[0]["raw"])
    page = json.loads((FIX / "research_videos.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert raw == page["data"]["videos"][0]  # region, music, voice_to_text... all kept


def test_videos_quarantine_reasons(ingested):
    _, store = ingested("research_videos.jsonl")
    assert rows(store, "SELECT source_record, source_line, reason FROM quarantine ORDER BY 1") == [
        {"source_record": 3, "source_line": 2, "reason": unparseable_date_reason("n/a")},
        {"source_record": 4, "source_line": 2, "reason": "missing post id"},
        {
            "source_record": 7,
            "source_line": 3,
            "reason": "not a post: API error rate_limit_exceeded: daily quota reached",
        },
    ]


# -- comments ---------------------------------------------------------------------------------


def test_comments_exact_without_authors(ingested):
    _, store = ingested("research_comments.json")
    assert _posts(store) == {
        # the Research API never says who commented: no account
        "7341300000000000001": (
            None, None, _utc(2024, 3, 1, 10, 51, 40), "Done! #voted", "reply", ANNA, ["voted"],
            [], {"like_count": 3, "reply_count": 1}, 1, None,
        ),
        "7341300000000000002": (
            None, None, _utc(2024, 3, 1, 10, 52, 40), "Where?", "reply", "7341300000000000001",
            [], [], {"like_count": 0, "reply_count": 0}, 2, None,
        ),
    }  # fmt: skip
    assert rows(store, "SELECT source_record, reason FROM quarantine") == [
        {"source_record": 3, "reason": unparseable_date_reason(None)}
    ]
