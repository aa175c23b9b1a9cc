"""FiveThirtyEight's 21-column IRA schema (format ``ira-538``).

Fixture ``russian_troll_tweets_sample.csv`` is laid out like the redistributed sample users
hold (two leading pandas index columns), one row per case:

1. ALICE_W original with a t.co link and its resolved target (urls: both, normalised)
2. BERLINER_BOTE RETWEET whose external id is spreadsheet-rounded (731000000000000000): the
   account is identified by handle, the retweet's author is unknown
3. HAFEN_BOTE, same rounded id and the same (wrong) alt_external_id: a different account
4. ALICE_W QUOTE_TWEET, her latest counts (120 followers)
5. ALICE_W manual retweet ("RT @Some_One: ...", empty post_type): retweet of some_one
6. FINDSTUFF with the placeholder id '-1' and two resolved links
7. BORIS_K with publish_date "not-a-date": quarantined
8. an exact repeat of row 1 (same tweet_id): a duplicate
9. BORIS_K RETWEET whose text names the author ("RT @News_Desk: ...")

``IRAhandle_tweets_1.csv`` has the early layout: no index columns, no tweet_id and no links.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import orjson
import pytest

from infoscope.ingest import ingest, registered_formats
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.formats import detect_format, sniff
from infoscope.ingest.sources import iter_sources

from .conftest import FIXTURES, rows, shared

FIX = FIXTURES / "ira_538"
SAMPLE = FIX / "russian_troll_tweets_sample.csv"
EARLY_LAYOUT = FIX / "IRAhandle_tweets_1.csv"


def _posts(store):
    return {r["post_id"]: r for r in rows(store, "SELECT * FROM posts")}


@pytest.mark.parametrize("path", [SAMPLE, EARLY_LAYOUT])
def test_detected_without_format(path):
    source = next(iter_sources(path))
    assert detect_format(sniff(source)).name == "ira-538"


def test_summary_counts(store):
    summary = ingest(store, [SAMPLE])
    # 9 rows: 7 stored, row 8 repeats row 1, row 7 has no parsable date.
    assert (summary.posts, summary.duplicates) == (7, 1)
    assert dict(summary.quarantined) == {"unparseable date": 1}
    # alice (1001), boris (2002), @berliner_bote, @hafen_bote, @findstuff; boris is stored
    # from his valid row and his labels from both.
    assert summary.accounts == 5
    assert summary.labels == 10  # account_category and account_type of each account


def test_post_fields_exact(store):
    ingest(store, [SAMPLE])
    posts = _posts(store)
    first = posts["815963007977213952"]
    assert first["account_id"] == "1001"
    assert first["account_handle"] == "alice_w"  # FiveThirtyEight upper-cases handles
    assert first["created_at"] == datetime(2017, 1, 2, 16, 48, tzinfo=UTC)
    assert first["kind"] == "original"
    assert first["lang"] == "en"
    assert first["hashtags"] == ["fema"]
    # The t.co link of the text, then its resolved target (tracking parameter and www removed).
    assert first["urls"] == ["t.co/AbC123", "example.com/storm"]
    assert first["metrics"] == {
        "account_following": 10,
        "account_followers": 100,
        "account_posts": 5,
    }
    raw = orjson.loads(first["raw"])
    assert raw["article_url"] == "http://twitter.com/1001/statuses/815963007977213952"
    assert raw["harvested_date"] == "1/2/2017 16:48"
    # Index columns of the re-export and mapped columns are not repeated in raw.
    assert not {"Unnamed: 0", "_c0", "content", "tweet_id", "followers"} & set(raw)
    assert (first["source_line"], first["source_record"]) == (2, 1)


@pytest.mark.parametrize(
    ("post_id", "account_id", "kind", "ref_handle", "urls"),
    [
        # Rounded external id: identified by handle; IRA retweets never name the original.
        ("816178900000000001", "@berliner_bote", "retweet", None, []),
        # Same rounded id and alt id, another account: never merged with berliner_bote.
        ("816194000000000002", "@hafen_bote", "original", None, []),
        (
            "817000000000000003",
            "1001",
            "quote",
            None,
            ["t.co/Xyz9", "twitter.com/someone/status/816000000000000000"],
        ),
        # A manual retweet: the text names its author.
        ("816600000000000004", "1001", "retweet", "some_one", []),
        # Placeholder id '-1': identified by handle; two links and two resolved targets.
        (
            "826600000000000005",
            "@findstuff",
            "original",
            None,
            ["t.co/Buy1", "t.co/Buy2", "shop.example/a", "shop.example/b"],
        ),
        ("705000000000000007", "2002", "retweet", "news_desk", []),
    ],
)
def test_kinds_and_account_ids(store, post_id, account_id, kind, ref_handle, urls):
    ingest(store, [SAMPLE])
    post = _posts(store)[post_id]
    assert (post["account_id"], post["kind"], post["ref_account_handle"]) == (
        account_id,
        kind,
        ref_handle,
    )
    assert post["ref_account_id"] is None and post["ref_post_id"] is None
    assert post["urls"] == urls


def test_accounts_latest_counts_labels_and_raw_ids(store):
    ingest(store, [SAMPLE])
    accounts = {r["account_id"]: r for r in rows(store, "SELECT * FROM accounts")}
    alice = accounts["1001"]
    # Rows 1, 4, 5: the counts of the latest tweet (row 4, 2017-01-05).
    assert (alice["handle"], alice["followers"], alice["following"], alice["posts_count"]) == (
        "alice_w",
        120,
        12,
        7,
    )
    bote = accounts["@berliner_bote"]
    assert orjson.loads(bote["raw"]) == {
        "external_author_id": ["731000000000000000"],
        "alt_external_id": ["731021916568424449"],
        "new_june_2018": "0",
    }
    labels = {
        (r["account_id"], r["label_key"]): r["label_value"]
        for r in rows(store, "SELECT * FROM account_labels")
    }
    assert labels[("1001", "account_category")] == "RightTroll"
    assert labels[("@hafen_bote", "account_type")] == "German"
    assert labels[("@findstuff", "account_category")] == "Commercial"


def test_bad_date_is_quarantined_with_the_row(store):
    ingest(store, [SAMPLE])
    [q] = rows(store, "SELECT * FROM quarantine")
    assert q["reason"] == unparseable_date_reason("not-a-date")
    assert (q["source_line"], q["source_record"], q["format"]) == (8, 7, "ira-538")
    assert orjson.loads(q["raw"])["content"] == "Привет @Alice_W #Москва"


def test_layout_without_tweet_id_hashes_rows(store):
    summary = ingest(store, [EARLY_LAYOUT])
    assert (summary.posts, summary.accounts, summary.labels) == (2, 1, 2)
    # Without tweet_id the id is the MD5 of the row's fields, joined by the unit separator.
    fields = [
        "3003",
        "CAROL_T",
        'First release row, "quoted" text',
        "United States",
        "English",
        "10/1/2017 19:58",
        "10/1/2017 19:59",
        "1052",
        "9636",
        "253",
        "",
        "Right",
        "0",
        "0",
        "RightTroll",
    ]
    expected_id = "ira538-" + hashlib.md5("\x1f".join(fields).encode()).hexdigest()
    post = rows(store, "SELECT * FROM posts WHERE kind = 'original'")[0]
    assert post["post_id"] == expected_id
    assert post["account_id"] == "3003"
    retweet = rows(store, "SELECT * FROM posts WHERE kind = 'retweet'")[0]
    assert retweet["created_at"] == datetime(2017, 10, 1, 22, 43, tzinfo=UTC)
    account = rows(store, "SELECT * FROM accounts")[0]
    assert account["followers"] == 9637
    assert orjson.loads(account["raw"]) == {
        "external_author_id": ["3003"],
        "new_june_2018": "0",
    }


def test_registered():
    assert "ira-538" in registered_formats()


def test_real_sample(store):
    """The 2,582-row sample of FiveThirtyEight's release (meghanvoneill/Russian_Troll_Tweets)."""
    path = shared("ira/ira-538-schema-sample.csv")
    summary = ingest(store, [path])
    assert (summary.posts, summary.duplicates, sum(summary.quarantined.values())) == (2582, 0, 0)
    # 734 account ids for 731 handles: a few handles were used by two accounts (two exact
    # ids), and 420 rows of 133 accounts have a rounded or placeholder id (keyed by handle).
    assert (summary.accounts, summary.labels) == (734, 1468)
    counts = rows(
        store,
        "SELECT count(*) FILTER (WHERE account_id LIKE '@%') AS by_handle, "
        "count(*) FILTER (WHERE kind = 'retweet') AS retweets, "
        "count(*) FILTER (WHERE kind = 'quote') AS quotes, "
        "count(ref_account_handle) AS named FROM posts",
    )[0]
    # 1,045 RETWEET rows and 8 manual "RT @" retweets; 9 texts name the retweeted author.
    assert counts == {"by_handle": 420, "retweets": 1053, "quotes": 37, "named": 9}
    post = _posts(store)["815963007977213952"]
    assert post["account_id"] == "1720981580"
    assert post["account_handle"] == "hunteroddddom"
    assert post["created_at"] == datetime(2017, 1, 2, 16, 48, tzinfo=UTC)
    assert post["kind"] == "retweet"
    # The three accounts sharing the rounded id 731000000000000000 stay apart.
    shared_id = rows(
        store,
        "SELECT account_id FROM accounts WHERE raw LIKE '%731000000000000000%' ORDER BY 1",
    )
    assert [r["account_id"] for r in shared_id] == [
        "@hamburgbote",
        "@tribunaonline24",
        "@whitehousecards",
    ]
