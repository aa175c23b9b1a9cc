"""twitter-users-csv (flattened v1.1 user objects) and coortweet (CooRTweet share rows)."""

from __future__ import annotations

from datetime import UTC, datetime

from infoscope.ingest import ingest

from .conftest import FIXTURES, rows, shared


def test_users_csv_maps_profile_fields_and_merges_repeated_ids(store):
    summary = ingest(store, [FIXTURES / "twitter_users" / "users.csv"])
    assert summary.formats == {"twitter-users-csv": 1}
    # Three rows, two accounts: the third row repeats id 1001 (first values are kept).
    assert summary.accounts == 2
    ivan, joe = rows(store, "SELECT * FROM accounts ORDER BY account_id")
    assert (ivan["handle"], ivan["location"], ivan["time_zone"], ivan["profile_lang"]) == (
        "ivan_m",
        "Москва",
        "Moscow",
        "ru",
    )
    assert (ivan["followers"], ivan["following"], ivan["posts_count"]) == (10, 20, 200)
    assert ivan["created_at"] == datetime(2009, 1, 7, 4, 38, 2, tzinfo=UTC)
    assert ivan["verified"] is False and joe["verified"] is True
    # An unparseable profile date leaves created_at unknown; its text stays in raw.
    assert joe["created_at"] is None and '"not a date"' in joe["raw"]
    assert joe["followers"] is None


def test_coortweet_rows_are_shares_with_exact_duplicates_only(store):
    summary = ingest(store, [FIXTURES / "coortweet" / "shares.csv"])
    # Row 4 repeats row 1 exactly: a duplicate. Rows 2 and 3 are one post sharing two objects:
    # two shares, both kept.
    assert (summary.posts, summary.duplicates) == (3, 1)
    got = rows(
        store, "SELECT post_id, account_id, kind, ref_post_id, created_at FROM posts ORDER BY 1"
    )
    assert [(r["post_id"], r["ref_post_id"], r["kind"]) for r in got] == [
        ("c1:objA", "objA", "retweet"),
        ("c2:objA", "objA", "retweet"),
        ("c2:objB", "objB", "retweet"),
    ]
    assert got[0]["created_at"] == datetime.fromtimestamp(1623881091, UTC)
    assert summary.accounts == 2


def test_real_nbc_users_and_coordination_shares(store):
    users = ingest(store, [shared("ira/nbc-ira-users.csv")])
    assert users.formats == {"twitter-users-csv": 1}
    assert users.accounts == 393  # 454 rows, 393 distinct ids
    shares = ingest(store, [shared("coordination/russian-coord-tweets-2021.csv.gz")])
    assert shares.formats == {"coortweet": 1}
    assert (shares.posts, shares.duplicates, sum(shares.quarantined.values())) == (35_124, 1, 0)
    assert shares.accounts == 9_509
