"""4CAT / Zeeschuimer NDJSON: captured items of several platforms in their envelope.

Fixture tests/fixtures/fourcat/zeeschuimer.ndjson (invented accounts and texts), one item a line:

 1 tiktok.com video by Tok_Anna: textExtra hashtags and mention, stats, author and authorStats
 2 tiktok.com duet of video 1 by boris_t                       -> quote of video 1
 3 tiktok.com item embedded in the page (author a plain username, createTime as text,
   challenges only)
 4 tiktok-comments comment by Dora_T on video 1                 -> reply to the video
 5 twitter.com GraphQL tweet by anna_x: entities, views, bookmarks
 6 x.com retweet of 5 by boris_x (2025 user layout: core, location)
 7 x.com quote of 5 by boris_x whose full text is a note_tweet
 8 twitter.com reply to 7 by anna_x, wrapped in TweetWithVisibilityResults
 9 x.com user item (boris_x's profile)                          -> account only
10 instagram.com media item (web API) by insta_anna
11 instagram.com GraphQL node (GraphVideo) by insta_boris
12 linkedin.com update by Jane (attributesV2: a hashtag, a company mention; a link card;
   reaction counts)                                             -> original, time from the id
13 tiktok.com video whose createTime is "soon"                  -> unparseable date
14 twitter.com TweetTombstone                                   -> not a tweet
15 a line cut off                                               -> invalid JSON
16 linkedin.com reshare by Jane of Acme's update, no words of her own (older layout:
   attributes, socialDetail totals)                             -> retweet with Acme's text
17 linkedin.com item without an actor (a suggestion block)      -> not a post
18 threads.net post by anna.threads with a wrapped link card    -> original, the link unwrapped
19 threads.net reply by boris.threads (reply_to_author only)    -> reply to anna, post unknown
20 threads.net repost of 18 by boris (reposted_post)            -> retweet with 18's text
21 threads.net quote of 18 by boris (quoted_post)               -> quote
22 instagram-comments comment by insta_carl on post C4abcDEF (line 10) -> reply to C4abcDEF
23 instagram-comments reply by insta_dora to comment 22         -> reply to comment 22
24 instagram-comments comment without post_shortcode            -> reply to the shortcode the
   media id spells (C3L9IQOygAK)
25 9gag.com item                                                -> "platform ... not mapped yet"
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from infoscope.ingest import detect_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.fourcat_ndjson import (
    instagram_shortcode,
    linkedin_activity,
    linkedin_time,
    platform_of,
)
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows
from .test_format_youtube import claimed_elsewhere

FIX = FIXTURES / "fourcat" / "zeeschuimer.ndjson"
COLS = (
    "platform, account_id, account_handle, created_at, text, kind, ref_post_id, "
    "ref_account_id, ref_account_handle, hashtags, mentions, urls, metrics, source_record"
)
ANNA_TT = "7341234567890123456"
JANE_LI = "7170000000000000000"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The fixture ingested once by the CLI, format detected: (summary, store)."""
    path = tmp_path_factory.mktemp("store") / "s.duckdb"
    summary = cli_json("ingest", str(FIX), "--store", str(path), "-q")
    with Store.open(path, read_only=True) as store:
        yield summary, store


def _posts(store: Store) -> dict[str, tuple]:
    found = {}
    for r in rows(store, f"SELECT post_id, {COLS} FROM posts"):
        post_id = r.pop("post_id")
        found[post_id] = tuple(r.values())
    return found


def _lines() -> list[str]:
    return FIX.read_text(encoding="utf-8").splitlines()


# -- detection ------------------------------------------------------------------------------


def test_detected_by_the_envelope():
    assert detect_format(sniff(next(iter_sources(FIX)))).name == "4cat-ndjson"


def test_other_formats_fixtures_are_not_claimed():
    assert claimed_elsewhere("4cat-ndjson", "fourcat") == []


def test_line_longer_than_the_sniffed_head_is_detected(tmp_path, store):
    # Captured X items run to tens of KB; the envelope's keys come before "data".
    item = json.loads(_lines()[4])
    item["data"]["legacy"]["full_text"] = "x" * 70_000
    path = tmp_path / "big.ndjson"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    sn = sniff(next(iter_sources(path)))
    assert sn.kind == "jsonl" and detect_format(sn).name == "4cat-ndjson"
    assert ingest(store, [path]).posts == 1


def test_cli_ingest_json_summary(ingested):
    summary, _ = ingested
    assert summary["formats"] == {"4cat-ndjson": 1}
    assert (summary["records"], summary["posts"], summary["accounts"]) == (25, 19, 14)
    assert summary["duplicates"] == 0
    assert summary["quarantined_by_reason"] == {
        "platform 9gag.com not mapped yet": 1,
        "not a post": 1,
        "unparseable date": 1,
        "not a tweet": 1,
        "invalid JSON": 1,
    }


# -- posts ------------------------------------------------------------------------------------


def test_posts_exact(ingested):
    _, store = ingested
    tiktok_stats = {"like_count": 121, "share_count": 15, "comment_count": 8, "view_count": 3500}
    x_zero = {"retweet_count": 0, "like_count": 0, "reply_count": 0, "quote_count": 0}
    threads_zero = {
        "reply_count": 0, "repost_count": 0, "quote_count": 0, "share_count": 0, "like_count": 0,
    }  # fmt: skip
    assert _posts(store) == {
        # TikTok: hashtags and mentions from textExtra, stats named as the Research API does
        ANNA_TT: (
            "tiktok", "@tok_anna", "Tok_Anna", _utc(2024, 3, 1, 10, 46, 40),
            "Vote early! #Election #news @boris_t", "original", None, None, None,
            ["election", "news"], ["boris_t"], [], {**tiktok_stats, "favorites_count": 6}, 1,
        ),
        "7341234567890123999": (
            "tiktok", "@boris_t", "boris_t", _utc(2024, 3, 1, 10, 48, 40), "duet with @Tok_Anna",
            "quote", ANNA_TT, None, None, [], [], [],
            {"like_count": 1, "share_count": 0, "comment_count": 0, "view_count": 50}, 2,
        ),
        # embedded item: challenges give the hashtags, mentions are extracted from the text
        "7341234567890124000": (
            "tiktok", "@tok_carl", "tok_carl", _utc(2024, 3, 1, 10, 50, 40), "embedded #fyp",
            "original", None, None, None, ["fyp"], [], [],
            {"like_count": 2, "share_count": 0, "comment_count": 0, "view_count": 9}, 3,
        ),
        "7341300000000000009": (
            "tiktok", "@dora_t", "Dora_T", _utc(2024, 3, 1, 10, 55), "@Tok_Anna source?",
            "reply", ANNA_TT, None, None, [], ["tok_anna"], [],
            {"like_count": 2, "reply_count": 0}, 4,
        ),
        # X: mapped by the twitter-v1 rules (entities, expanded URL normalised), plus views
        "1800000000000000001": (
            "twitter", "11", "anna_x", _utc(2024, 3, 1, 10), "Read this #OSINT https://t.co/abc",
            "original", None, None, None, ["osint"], [], ["example.org/report"],
            {"retweet_count": 2, "like_count": 5, "reply_count": 1, "quote_count": 1,
             "impression_count": 1234, "bookmark_count": 3}, 5,
        ),
        # a retweet carries the original's text and entities
        "1800000000000000002": (
            "twitter", "22", "boris_x", _utc(2024, 3, 1, 10, 5),
            "Read this #OSINT https://t.co/abc", "retweet", "1800000000000000001", "11",
            "anna_x", ["osint"], [], ["example.org/report"],
            {**x_zero, "retweet_count": 2, "impression_count": 10, "bookmark_count": 0}, 6,
        ),
        # the note tweet's full text and entities
        "1800000000000000003": (
            "twitter", "22", "boris_x", _utc(2024, 3, 1, 10, 10),
            "This is long, see thread: the full note text #longread", "quote",
            "1800000000000000001", "11", "anna_x", ["longread"], [], [],
            {**x_zero, "impression_count": 10, "bookmark_count": 0}, 7,
        ),
        "1800000000000000004": (
            "twitter", "11", "anna_x", _utc(2024, 3, 1, 10, 20), "@boris_x thanks", "reply",
            "1800000000000000003", "22", "boris_x", [], ["boris_x"], [],
            {**x_zero, "impression_count": 10, "bookmark_count": 0}, 8,
        ),
        # Instagram: the shortcode is the post id; entities extracted from the caption
        "C4abcDEF": (
            "instagram", "44", "insta_anna", _utc(2024, 3, 1, 11, 46, 40),
            "Rally today #vote @friend_ig", "original", None, None, None, ["vote"],
            ["friend_ig"], [], {"like_count": 250, "comment_count": 12}, 10,
        ),
        "C4xyzUVW": (
            "instagram", "45", "insta_boris", _utc(2024, 3, 1, 12, 46, 40),
            "Clip from the rally", "original", None, None, None, [], [], [],
            {"like_count": 30, "comment_count": 2, "view_count": 900}, 11,
        ),
        # LinkedIn: the activity id is the post id and tells the time (its first 41 bits)
        JANE_LI: (
            "linkedin", "in/jane-doe-123", "in/Jane-Doe-123",
            datetime(2024, 3, 3, 10, 20, 12, 158000, tzinfo=UTC),
            "Hiring reporters #Journalism with Acme Media https://lnkd.in/abc", "original",
            None, None, None, ["journalism"], ["company/acme-media"],
            ["example.org/jobs", "lnkd.in/abc"],  # the card's link, then the text's
            {"comment_count": 4, "share_count": 2, "like_count": 30, "reaction_like": 25,
             "reaction_praise": 5}, 12,
        ),
        # a reshare without words of its own: Acme's update's text and hashtags
        "7171000000000000000": (
            "linkedin", "in/jane-doe-123", "in/Jane-Doe-123",
            datetime(2024, 3, 6, 4, 33, 50, 737000, tzinfo=UTC), "Our annual report #media",
            "retweet", "7169000000000000000", "company/acme-media", "company/acme-media",
            ["media"], [], [], {"comment_count": 0, "share_count": 0, "like_count": 1}, 16,
        ),
        # Threads: the code is the post id; the link card's target unwrapped
        "C9threadA1": (
            "threads", "63000000001", "anna.threads", _utc(2024, 3, 1, 13, 33, 20),
            "Debate tonight #politics", "original", None, None, None, ["politics"], [],
            ["example.org/live"],
            {"reply_count": 1, "repost_count": 1, "quote_count": 1, "share_count": 4,
             "like_count": 12}, 18,
        ),
        "C9threadB2": (
            "threads", "63000000002", "boris.threads", _utc(2024, 3, 1, 13, 43, 20),
            "Which channel?", "reply", None, "63000000001", "anna.threads", [], [], [],
            threads_zero, 19,
        ),
        "C9threadB3": (
            "threads", "63000000002", "boris.threads", _utc(2024, 3, 1, 13, 53, 20),
            "Debate tonight #politics", "retweet", "C9threadA1", "63000000001", "anna.threads",
            ["politics"], [], ["example.org/live"], threads_zero, 20,
        ),
        "C9threadB4": (
            "threads", "63000000002", "boris.threads", _utc(2024, 3, 1, 14, 3, 20),
            "Worth watching", "quote", "C9threadA1", "63000000001", "anna.threads", [], [], [],
            {**threads_zero, "like_count": 2}, 21,
        ),
        # Instagram comments reply to the post's shortcode, or to their parent comment
        "18000000000000001": (
            "instagram", "46", "insta_carl", _utc(2024, 3, 1, 13, 50),
            "Great rally @insta_anna #vote", "reply", "C4abcDEF", None, None, ["vote"],
            ["insta_anna"], [], {"like_count": 3, "reply_count": 1}, 22,
        ),
        "18000000000000002": (
            "instagram", "47", "insta_dora", _utc(2024, 3, 1, 13, 51), "@insta_carl agreed",
            "reply", "18000000000000001", None, None, [], ["insta_carl"], [],
            {"like_count": 0, "reply_count": 0}, 23,
        ),
        "18000000000000003": (
            "instagram", "47", "insta_dora", _utc(2024, 3, 1, 13, 52), "first!", "reply",
            "C3L9IQOygAK", None, None, [], [], [], {"like_count": 1, "reply_count": 0}, 24,
        ),
    }  # fmt: skip
    # raw is the whole line, envelope included
    raw = rows(store, "SELECT raw FROM posts WHERE post_id = ?", [ANNA_TT])[0]["raw"]
    assert raw == _lines()[0]
    assert json.loads(raw)["timestamp_collected"] == 1709400001000


def test_accounts(ingested):
    _, store = ingested
    cols = "platform, account_id, handle, display_name, location, followers, verified"
    got = {r["account_id"]: r for r in rows(store, f"SELECT {cols}, raw FROM accounts")}
    assert {k: tuple(v.values())[:7] for k, v in got.items()} == {
        "@tok_anna": ("tiktok", "@tok_anna", "Tok_Anna", "Anna T.", None, 1500, False),
        "@boris_t": ("tiktok", "@boris_t", "boris_t", "Boris", None, 10, None),
        "@tok_carl": ("tiktok", "@tok_carl", "tok_carl", "Carl", None, None, None),
        "@dora_t": ("tiktok", "@dora_t", "Dora_T", "Dora", None, None, None),
        "11": ("twitter", "11", "anna_x", "Anna X", None, 100, False),
        # the 2025 layout: screen name in core, location in location.location
        "22": ("twitter", "22", "boris_x", "Boris X", "Berlin", 100, False),
        "44": ("instagram", "44", "insta_anna", "Anna I", None, None, True),
        "45": ("instagram", "45", "insta_boris", None, None, None, None),
        "46": ("instagram", "46", "insta_carl", "Carl I", None, None, False),
        "47": ("instagram", "47", "insta_dora", None, None, None, True),
        "in/jane-doe-123": ("linkedin", "in/jane-doe-123", "in/Jane-Doe-123", "Jane Doe", None,
                            None, None),
        "company/acme-media": ("linkedin", "company/acme-media", "company/acme-media",
                               "Acme Media", None, None, None),
        "63000000001": ("threads", "63000000001", "anna.threads", "Anna Th", None, None, True),
        "63000000002": ("threads", "63000000002", "boris.threads", None, None, None, False),
    }  # fmt: skip
    # TikTok's own user id stays in the account's raw
    assert json.loads(got["@tok_anna"]["raw"])["id"] == "6800000000000000001"


def test_quarantine_reasons(ingested):
    _, store = ingested
    assert rows(store, "SELECT source_record, source_line, reason FROM quarantine ORDER BY 1") == [
        {"source_record": 13, "source_line": 13, "reason": unparseable_date_reason("soon")},
        {"source_record": 14, "source_line": 14, "reason": "not a tweet: TweetTombstone"},
        {
            "source_record": 15,
            "source_line": 15,
            "reason": "invalid JSON: unexpected end of data: line 1 column 62 (char 61)",
        },
        {
            "source_record": 17,
            "source_line": 17,
            "reason": "not a post: LinkedIn item without an actor",
        },
        {"source_record": 25, "source_line": 25, "reason": "platform 9gag.com not mapped yet"},
    ]
    # the unmapped item is kept whole for when its platform is mapped
    raw = rows(store, "SELECT raw FROM quarantine WHERE source_record = 25")[0]["raw"]
    assert json.loads(raw)["data"] == {"id": "aXyZ123", "title": "meme", "creationTs": 1709300000}


def test_same_tiktok_video_and_account_merge_with_the_research_api(tmp_path):
    with Store.open(tmp_path / "s.duckdb") as store:
        research = ingest(store, [FIXTURES / "tiktok" / "research_videos.jsonl"])
        captured = ingest(store, [FIX])
        assert research.posts == 4 and captured.duplicates == 1  # video 1 in both
        handles = rows(store, "SELECT handle FROM accounts WHERE account_id = '@tok_anna'")
        assert handles == [{"handle": "Tok_Anna"}]


@pytest.mark.parametrize(
    ("module", "platform"),
    [
        ("tiktok.com", "tiktok"),
        ("tiktok-comments", "tiktok"),
        ("x.com", "twitter"),
        ("twitter.com", "twitter"),
        ("instagram.com", "instagram"),
        ("linkedin.com", "linkedin"),
        ("threads.net", "threads"),
        ("threads.com", "threads"),
        ("instagram-comments", "instagram"),
        ("www.9gag.com", "9gag"),
    ],
)
def test_platform_names(module, platform):
    assert platform_of(module) == platform


# -- LinkedIn, Threads, Instagram comments ----------------------------------------------------


def test_linkedin_accounts_and_raw(ingested):
    _, store = ingested
    got = rows(
        store,
        "SELECT account_id, description, url, raw FROM accounts WHERE platform = 'linkedin' "
        "ORDER BY 1",
    )
    assert [(r["account_id"], r["description"], r["url"]) for r in got] == [
        ("company/acme-media", "5,000 followers", "https://www.linkedin.com/company/acme-media"),
        ("in/jane-doe-123", "Editor at Example News", "https://www.linkedin.com/in/Jane-Doe-123"),
    ]
    # the actor is kept whole (its member URN, the "2d • Edited" line)
    assert json.loads(got[1]["raw"])["urn"] == "urn:li:member:12345"
    [post] = rows(store, "SELECT raw FROM posts WHERE post_id = '7171000000000000000'")
    assert json.loads(post["raw"])["data"]["header"]["text"]["text"] == "Jane Doe reposted this"


def test_instagram_comments_link_to_the_captured_post(ingested):
    _, store = ingested
    got = rows(
        store,
        "SELECT c.post_id FROM posts c JOIN posts p ON p.post_id = c.ref_post_id "
        "AND p.platform = c.platform WHERE c.platform = 'instagram' ORDER BY 1",
    )
    assert [r["post_id"] for r in got] == ["18000000000000001", "18000000000000002"]


@pytest.mark.parametrize(
    ("media_id", "shortcode"),
    [
        # the id's bytes in URL-safe base64 without the leading zeros ("A"s), as Instaloader's
        # mediaid_to_shortcode writes it
        ("3300000000000000010", "C3L9IQOygAK"),
        ("3300000000000000010_63000000001", "C3L9IQOygAK"),  # with the owner's id
        ("1", "B"),
        ("64", "BA"),
        ("0", None),
        ("C4abcDEF", None),
    ],
)
def test_instagram_shortcode(media_id, shortcode):
    assert instagram_shortcode(media_id) == shortcode
    if shortcode:
        n = int(media_id.split("_")[0])
        spelled = base64.urlsafe_b64encode(n.to_bytes(9, "big")).decode().lstrip("A")
        assert spelled == shortcode


@pytest.mark.parametrize(
    ("update", "activity"),
    [
        ({"updateMetadata": {"urn": "urn:li:activity:7170000000000000000"}}, "7170000000000000000"),
        ({"preDashEntityUrn": "urn:li:fs_updateV2:(urn:li:activity:42,MAIN_FEED)"}, "42"),
        # an aggregate of several activities: the first
        (
            {"updateMetadata": {"urn": "urn:li:aggregate:(urn:li:activity:1,urn:li:activity:2)"}},
            "1",
        ),
        ({"id": "urn:li:fsd_update:(urn:li:activity:9,MAIN_FEED)"}, "9"),
        ({"id": "urn:li:fsd_update:(urn:li:sponsored:9)"}, None),
    ],
)
def test_linkedin_activity(update, activity):
    assert linkedin_activity(update) == activity


def test_linkedin_time_is_in_the_activity_id():
    # 2024-03-03 10:20:12.158 UTC in milliseconds, shifted into the id's first 41 bits
    millis = 1709461212158
    assert linkedin_time(str(millis << 22 | 12345)) == millis / 1000


def test_linkedin_activity_id_out_of_range_is_an_unparseable_date(tmp_path, store):
    item = json.loads(_lines()[11])
    item["data"]["updateMetadata"]["urn"] = "urn:li:activity:" + "9" * 40  # past year 9999
    path = tmp_path / "li.ndjson"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    assert ingest(store, [path]).quarantined == {"unparseable date": 1}
