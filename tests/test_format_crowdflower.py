"""CrowdFlower annotated tweet exports (format ``crowdflower-tweets``).

``gop_debate_sample.csv`` (the GOP debate layout, fewer annotation columns), one row per case:

1. Dana_Votes: "RT @Poll_Watcher: ..." with a rounded id (ends 000): a retweet of poll_watcher,
   id suffixed with a hash, time from the id's snowflake (16:54:46.5 UTC; 9:54 PDT)
2. Eli_Writes: original with a link, profile location and time zone
3. row 1 annotated again (another sentiment): the same tweet, a duplicate
4. Fay_Reads: a different tweet whose rounded id collides with row 1's: a distinct post
5. Gus_Counts: tweet_created "yesterday": quarantined
6. Gus_Counts: id 12345 is no snowflake: tweet_created read as Pacific time (18:00 PDT)
7. Eli_Writes: exact (unrounded) id, "RT @" inside the text (not a retweet), blank profile
   fields (the first ones are kept)

``airline_sample.csv`` (the airline layout): ``tweet_created`` with its own offset; row 2's id
is no snowflake, so the offset decides.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson
import pytest

from infoscope.ingest import ingest
from infoscope.ingest.formats import detect_format, sniff
from infoscope.ingest.sources import iter_sources

from .conftest import FIXTURES, rows, shared

FIX = FIXTURES / "crowdflower"
GOP = FIX / "gop_debate_sample.csv"
AIRLINE = FIX / "airline_sample.csv"
RT_TEXT = "RT @Poll_Watcher: Who won tonight? #GOPDebate"


def _hashed(tweet_id: str, name: str, text: str) -> str:
    """The documented id of a rounded tweet id: id, '-', 8 hex digits of MD5(name, text)."""
    digest = hashlib.md5(f"{name.lower()}\x1f{text}".encode()).hexdigest()[:8]
    return f"{tweet_id}-{digest}"


def _posts(store):
    return {r["post_id"]: r for r in rows(store, "SELECT * FROM posts")}


@pytest.mark.parametrize("path", [GOP, AIRLINE])
def test_detected_without_format(path):
    assert detect_format(sniff(next(iter_sources(path)))).name == "crowdflower-tweets"


def test_summary_counts(store):
    summary = ingest(store, [GOP])
    assert (summary.posts, summary.duplicates, summary.accounts) == (5, 1, 4)
    assert dict(summary.quarantined) == {"unparseable date": 1}
    assert summary.labels == 0  # annotations describe tweets: they stay in raw


def test_hash_suffix_is_the_documented_scheme():
    assert _hashed("629697200649155000", "Dana_Votes", RT_TEXT) == "629697200649155000-c9dc2ec4"


@pytest.mark.parametrize(
    ("post_id", "account_id", "created_at", "kind", "ref_handle"),
    [
        (
            _hashed("629697200649155000", "Dana_Votes", RT_TEXT),
            "@dana_votes",
            datetime(2015, 8, 7, 16, 54, 46, 500000, tzinfo=UTC),
            "retweet",
            "poll_watcher",
        ),
        (
            _hashed(
                "629697300263875000",
                "Eli_Writes",
                "Moderators talked too much. #GOPDebate http://t.co/Mod1",
            ),
            "@eli_writes",
            datetime(2015, 8, 7, 16, 55, 10, 250000, tzinfo=UTC),
            "original",
            None,
        ),
        (
            _hashed("629697200649155000", "Fay_Reads", "Watching with friends #GOPDebate"),
            "@fay_reads",
            datetime(2015, 8, 7, 16, 54, 46, 500000, tzinfo=UTC),
            "original",
            None,
        ),
        ("12345", "@gus_counts", datetime(2015, 8, 7, 1, 0, tzinfo=UTC), "original", None),
        (
            "629429241246658617",
            "@eli_writes",
            datetime(2015, 8, 6, 23, 10, tzinfo=UTC),
            "original",
            None,
        ),
    ],
)
def test_posts_exact(store, post_id, account_id, created_at, kind, ref_handle):
    ingest(store, [GOP])
    post = _posts(store)[post_id]
    assert post["account_id"] == account_id
    assert post["created_at"] == created_at
    assert (post["kind"], post["ref_account_handle"], post["ref_account_id"]) == (
        kind,
        ref_handle,
        None,
    )


def test_retweet_keeps_text_metrics_and_annotations(store):
    ingest(store, [GOP])
    post = _posts(store)[_hashed("629697200649155000", "Dana_Votes", RT_TEXT)]
    assert post["text"] == RT_TEXT
    assert post["account_handle"] == "Dana_Votes"
    assert post["metrics"] == {"retweet_count": 5}
    assert post["hashtags"] == ["gopdebate"]
    raw = orjson.loads(post["raw"])
    # The first annotation row of the tweet (row 3's "Positive" was a duplicate).
    assert raw["sentiment"] == "Neutral" and raw["id"] == "1"
    assert raw["tweet_created"] == "8/7/15 9:54" and raw["tweet_id"] == "629697200649155000"


def test_accounts_from_profile_fields(store):
    ingest(store, [GOP])
    accounts = {r["account_id"]: r for r in rows(store, "SELECT * FROM accounts")}
    assert set(accounts) == {"@dana_votes", "@eli_writes", "@fay_reads", "@gus_counts"}
    eli = accounts["@eli_writes"]
    assert (eli["handle"], eli["location"], eli["time_zone"]) == (
        "Eli_Writes",
        "Brooklyn, NY",
        "Eastern Time (US & Canada)",
    )
    assert (accounts["@dana_votes"]["location"], accounts["@dana_votes"]["time_zone"]) == (
        None,
        "Quito",
    )


def test_bad_date_quarantined(store):
    ingest(store, [GOP])
    [q] = rows(store, "SELECT * FROM quarantine")
    assert q["reason"] == "unparseable date: yesterday"
    assert (q["source_line"], q["source_record"]) == (6, 5)


def test_offsets_in_tweet_created(store):
    summary = ingest(store, [AIRLINE])
    assert (summary.posts, summary.accounts) == (2, 2)
    posts = _posts(store)
    # An exact snowflake id: the id's time, which agrees with the -0800 local time.
    assert posts["570306130736066617"]["created_at"] == datetime(
        2015, 2, 24, 19, 35, 52, tzinfo=UTC
    )
    # No snowflake: the written offset (-0500) is used.
    assert posts["42"]["created_at"] == datetime(2015, 2, 24, 14, 0, tzinfo=UTC)
    assert posts["42"]["metrics"] == {"retweet_count": 3}


def test_real_gop_debate(store):
    """CrowdFlower's first 2015 GOP debate set: 13,871 annotated tweets by 9,829 users."""
    path = shared("control/gop-debate-2015-tweets.csv")
    summary = ingest(store, [path])
    # 33 tweets were annotated twice; one rounded id is shared by two different tweets.
    assert (summary.posts, summary.duplicates, summary.accounts) == (13838, 33, 9829)
    assert sum(summary.quarantined.values()) == 0
    kinds = {
        r["kind"]: r["n"] for r in rows(store, "SELECT kind, count(*) n FROM posts GROUP BY 1")
    }
    assert kinds == {"retweet": 7661, "original": 6177}
    # tweet_created is Pacific daylight time: every id's snowflake time is 7 h to 7 h 1 min
    # after it (the minute was truncated).
    off = rows(
        store,
        "SELECT count(*) AS n FROM posts WHERE created_at - "
        "strptime(raw->>'tweet_created', '%m/%d/%y %H:%M')::TIMESTAMPTZ "
        "NOT BETWEEN INTERVAL 7 HOUR AND INTERVAL '7 hours 59 seconds 999 milliseconds'",
    )
    assert off == [{"n": 0}]
    post = rows(store, "SELECT * FROM posts WHERE post_id LIKE '629697200650592000-%'")[0]
    assert post["account_id"] == "@i_am_kenzi"
    assert post["created_at"] == datetime(2015, 8, 7, 16, 54, 46, 500000, tzinfo=UTC)
    assert (post["kind"], post["ref_account_handle"]) == ("retweet", "nancyleegrahn")
    collided = rows(
        store, "SELECT count(*) AS n FROM posts WHERE post_id LIKE '629671409610944000-%'"
    )
    assert collided == [{"n": 2}]
