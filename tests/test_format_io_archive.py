"""Twitter's information-operations archive (format ``io-archive``).

``example_022019_tweets_csv_hashed.csv`` has the archive's 31 columns, one row per case:

1. a hashed account's original tweet: hashtags and expanded URLs from the columns (one URL
   contains a comma), user_mentions ids kept in raw, mentions from the text, coordinates
   "absent"
2. the same account's retweet (``is_retweet`` true): retweeted tweet and user ids, Python-style
   hashtag list, empty urls cell (no link); its later counts are the account's
3. an unhashed account's reply whose in_reply_to_userid is written as a float (4444.0)
4. a tweet that quotes and replies: a quote, reply ids kept in raw
5. tweet_time "01/05/2017": quarantined
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from infoscope.ingest import ingest
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.formats import detect_format, sniff
from infoscope.ingest.sources import iter_sources

from .conftest import FIXTURES, rows

FIX = FIXTURES / "io_archive" / "example_022019_tweets_csv_hashed.csv"
HASHED = "Q2xldmVsYW5kT2hpb0hhc2g="


@pytest.fixture
def posts(store):
    ingest(store, [FIX])
    return {r["post_id"]: r for r in rows(store, "SELECT * FROM posts")}


def test_detected_without_format():
    assert detect_format(sniff(next(iter_sources(FIX)))).name == "io-archive"


def test_summary_counts(store):
    summary = ingest(store, [FIX])
    assert (summary.posts, summary.accounts, summary.labels, summary.duplicates) == (4, 2, 0, 0)
    assert dict(summary.quarantined) == {"unparseable date": 1}


def test_original_with_entity_columns(posts):
    post = posts["900000000000000001"]
    # A hashed id and screen name are kept exactly (case-sensitive).
    assert (post["account_id"], post["account_handle"]) == (HASHED, HASHED)
    assert post["created_at"] == datetime(2017, 1, 1, 12, 34, tzinfo=UTC)
    assert (post["kind"], post["lang"]) == ("original", "en")
    assert post["hashtags"] == ["tag1", "tag2"]
    # The expanded URLs of the column, normalised; the comma inside the second one stays.
    assert post["urls"] == ["example.com/a", "news.example.org/b,c"]
    # user_mentions are ids: mentions are the handles written in the text.
    assert post["mentions"] == ["someone"]
    assert post["metrics"] == {
        "like_count": 2,
        "retweet_count": 3,
        "quote_count": 0,
        "reply_count": 1,
        "account_followers": 145,
        "account_following": 318,
    }
    raw = orjson.loads(post["raw"])
    assert raw["user_mentions"] == "[123, 456]"
    assert (raw["latitude"], raw["longitude"]) == ("absent", "absent")
    assert raw["tweet_client_name"] == "Twitter Web Client"
    assert "tweet_text" not in raw and "user_display_name" not in raw


@pytest.mark.parametrize(
    ("post_id", "kind", "ref_post", "ref_account", "ref_handle", "hashtags", "urls"),
    [
        ("900000000000000002", "retweet", "712647428139253760", "2882331822", "orig_user",
         ["vote"], []),
        # in_reply_to_userid "4444.0" is repaired; an empty hashtags cell means none.
        ("900000000000000003", "reply", "800000000000000009", "4444", None, [], []),
        # Quote and reply: the quote wins; the quoted author is not in the archive.
        ("900000000000000004", "quote", "800000000000000010", None, None, [],
         ["twitter.com/x/status/800000000000000010"]),
    ],
)  # fmt: skip
def test_references(posts, post_id, kind, ref_post, ref_account, ref_handle, hashtags, urls):
    post = posts[post_id]
    assert (post["kind"], post["ref_post_id"]) == (kind, ref_post)
    assert (post["ref_account_id"], post["ref_account_handle"]) == (ref_account, ref_handle)
    assert (post["hashtags"], post["urls"]) == (hashtags, urls)


def test_quote_keeps_reply_ids_in_raw(posts):
    raw = orjson.loads(posts["900000000000000004"]["raw"])
    assert (raw["in_reply_to_tweetid"], raw["in_reply_to_userid"]) == ("800000000000000009", "4444")
    assert orjson.loads(posts["900000000000000003"]["raw"])["latitude"] == "40.7"


def test_accounts_profile_and_latest_counts(store, posts):
    accounts = {r["account_id"]: r for r in rows(store, "SELECT * FROM accounts")}
    hashed = accounts[HASHED]
    assert (hashed["handle"], hashed["display_name"], hashed["location"]) == (
        HASHED,
        HASHED,
        "Cleveland, OH",
    )
    assert (hashed["description"], hashed["profile_lang"]) == ("Proud patriot", "en")
    assert hashed["created_at"] == datetime(2014, 3, 15, tzinfo=UTC)
    assert (hashed["followers"], hashed["following"]) == (150, 320)  # the retweet's, later
    guy = accounts["2002"]
    assert (guy["handle"], guy["display_name"], guy["url"]) == (
        "ReplyGuy",
        "Reply Guy",
        "https://t.co/prof",
    )
    # Row 4 is the latest tweet with a valid time (row 5's count of 12 has no date).
    assert guy["followers"] == 11


def test_bad_time_quarantined(store):
    ingest(store, [FIX])
    [q] = rows(store, "SELECT * FROM quarantine")
    assert q["reason"] == unparseable_date_reason("01/05/2017")
    assert (q["source_line"], q["source_record"]) == (6, 5)
    assert orjson.loads(q["raw"])["poll_choices"] == "yes, no"
