"""Date layouts (`infoscope.ingest.dates`): detection of day/month order from a column's
values, and `--date-format` honoured by the formats."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from infoscope.ingest import ingest
from infoscope.ingest.dates import detect_date_layouts, parse_date
from infoscope.store import Store

from .conftest import FIXTURES, rows, run_cli


@pytest.mark.parametrize(
    ("values", "order", "layouts", "assumed"),
    [
        # A first field over 12: day-first.
        (["24-02-2015 11:35", "03-02-2015 07:05"], "day-first", ("%d-%m-%Y %H:%M",), False),
        # A second field over 12: month-first; two-digit years, seconds kept.
        (["2/24/15 11:35:52", "2/3/15 7:05:00"], "month-first", ("%m/%d/%y %H:%M:%S",), False),
        # Nothing over 12: the default order, said to be assumed.
        (["03.02.2015", "04.02.2015"], "month-first", ("%m.%d.%Y",), True),
        # Two- and four-digit years mixed: %y first ('%Y' would read '15' as the year 15).
        (["24/02/15 10:00", "25/02/2015 10:00"], "day-first",
         ("%d/%m/%y %H:%M", "%d/%m/%Y %H:%M"), False),
    ],
)  # fmt: skip
def test_detect_date_layouts(values, order, layouts, assumed):
    found = detect_date_layouts([None, "", *values])
    assert found is not None
    assert (found.order, found.layouts, found.assumed) == (order, layouts, assumed)


@pytest.mark.parametrize(
    "values",
    [
        ["2015-02-24 11:35:52"],  # ISO: the format's own layouts read it
        ["24-02-2015 11:35", "Feb 24 2015"],  # not all numeric day/month dates
        ["24-02-2015", "02-24-2015"],  # contradicting orders: rows then quarantine
        ["24-02-2015", "24/02/2015"],  # two separators
        [None, ""],  # nothing to go by
    ],
)
def test_no_layout_detected(values):
    assert detect_date_layouts(values) is None


def test_parse_date_with_layouts_is_utc_or_its_own_offset():
    assert parse_date("24.02.2015 11:35", ("%d.%m.%Y %H:%M",), lambda v: None) == datetime(
        2015, 2, 24, 11, 35, tzinfo=UTC
    )
    assert parse_date("24.02.2015 11:35 -0800", ("%d.%m.%Y %H:%M %z",), lambda v: None) == (
        datetime(2015, 2, 24, 19, 35, tzinfo=UTC)
    )
    assert parse_date("soon", ("%d.%m.%Y",), lambda v: None) is None


def test_twitter_v1_honours_date_format(store, tmp_path):
    path = tmp_path / "v1.jsonl"
    path.write_text(
        '{"id_str": "1", "created_at": "24.02.2015 11:35", "text": "hi", '
        '"user": {"id_str": "9", "screen_name": "a"}}\n'
    )
    summary = ingest(store, [path], date_format=["%Y-%m-%d", "%d.%m.%Y %H:%M"])
    assert summary.posts == 1
    assert rows(store, "SELECT created_at FROM posts") == [
        {"created_at": datetime(2015, 2, 24, 11, 35, tzinfo=UTC)}
    ]


def test_io_archive_day_first_dates_detected(store, tmp_path):
    path = tmp_path / "io.csv"
    path.write_text(
        "tweetid,userid,tweet_text,tweet_time,is_retweet\n"
        "101,7,first,13/01/2019 08:00,false\n"
        "102,7,second,02/01/2019 08:00,false\n"
    )
    summary = ingest(store, [path])
    assert summary.posts == 2 and not summary.quarantined
    assert summary.date_layouts[0]["order"] == "day-first"
    got = {r["post_id"]: r["created_at"] for r in rows(store, "SELECT * FROM posts")}
    assert got == {
        "101": datetime(2019, 1, 13, 8, 0, tzinfo=UTC),
        "102": datetime(2019, 1, 2, 8, 0, tzinfo=UTC),
    }


def test_colliding_ids_that_the_text_contradicts_are_not_merged(store, tmp_path):
    # Rows 1-2 share an id but not a text (two posts); rows 3-4 are the same post twice.
    path = tmp_path / "io.csv"
    path.write_text(
        "tweetid,userid,tweet_text,tweet_time,is_retweet\n"
        "500,7,one text,2019-01-13 08:00,false\n"
        "500,8,another text,2019-01-13 08:01,false\n"
        "600,7,same,2019-01-13 09:00,false\n"
        "600,7,same,2019-01-13 09:00,false\n"
    )
    summary = ingest(store, [path])
    assert (summary.posts, summary.duplicates, summary.untrusted_ids) == (3, 1, 2)
    ids = sorted(r["post_id"] for r in rows(store, "SELECT post_id FROM posts"))
    assert ids[0].startswith("500-") and ids[1].startswith("500-") and ids[2] == "600"


def test_export_quiet(tmp_path):
    store = tmp_path / "s.duckdb"
    path = tmp_path / "io.csv"
    path.write_text("tweetid,userid,tweet_text,tweet_time,is_retweet\n1,7,x,2019-01-13 08:00,f\n")
    assert run_cli("ingest", str(path), "--store", str(store), "-q").exit_code == 0
    out = tmp_path / "posts.csv"
    loud = run_cli("export", "posts", "--store", str(store), "--out", str(out))
    assert loud.exit_code == 0 and "wrote 1 posts rows" in loud.stderr
    quiet = run_cli("export", "posts", "--store", str(store), "--out", str(out), "-q")
    assert quiet.exit_code == 0 and quiet.stderr == "" and out.exists()


def _published(store):
    return [r["published"] for r in rows(store, "SELECT published FROM articles ORDER BY 1")]


def test_text_article_byline_read_with_date_format(store, tmp_path):
    # A slashed date is ambiguous between orders and not read on its own; --date-format says
    # which it is, and a time without a zone is then UTC as in every other format.
    path = tmp_path / "story.txt"
    path.write_text(
        "Harbour council bans cruise ships\n\nPosted by: Anna Kivi 24/02/2022 11:35\n\n"
        "The harbour council voted on Tuesday to ban large cruise ships from the old port.\n"
        "Tour operators warned that the decision could cost the local economy millions.\n",
        encoding="utf-8",
    )
    with Store.open(tmp_path / "plain.duckdb") as plain:
        ingest(plain, [path], format="text-article")
        assert _published(plain) == [None]
    ingest(store, [path], format="text-article", date_format=["%d/%m/%Y %H:%M"])
    assert _published(store) == [datetime(2022, 2, 24, 11, 35, tzinfo=UTC)]


def test_feed_dates_read_with_date_format_first(store, tmp_path):
    feed = (FIXTURES / "articles" / "feed.rss").read_text(encoding="utf-8")
    local = feed.replace("Mon, 10 Jun 2024 07:45:00 +0200", "10.06.2024 07:45")
    path = tmp_path / "local.rss"
    path.write_text(local, encoding="utf-8")
    with Store.open(tmp_path / "plain.duckdb") as plain:
        ingest(plain, [FIXTURES / "articles" / "feed.rss"])
        expected = _published(plain)
    ingest(store, [path], date_format=["%d.%m.%Y %H:%M"])
    got = _published(store)
    # The local-layout entry is read as written (UTC); the RFC 822 ones as feedparser reads.
    assert datetime(2024, 6, 10, 7, 45, tzinfo=UTC) in got
    assert datetime(2024, 6, 10, 5, 45, tzinfo=UTC) in expected
    assert sorted(d for d in got if d != datetime(2024, 6, 10, 7, 45, tzinfo=UTC)) == sorted(
        d for d in expected if d != datetime(2024, 6, 10, 5, 45, tzinfo=UTC)
    )


def test_botrepo_profiles_honour_date_format(store, tmp_path):
    profiles = orjson.loads((FIXTURES / "botrepo" / "sample_profiles.json").read_bytes())
    profiles[0]["user"]["created_at"] = "14.04.2009 10:57"
    path = tmp_path / "profiles.json"
    path.write_bytes(orjson.dumps(profiles))
    ingest(store, [path], date_format=["%d.%m.%Y %H:%M"])
    sql = "SELECT account_id, created_at FROM accounts"
    created = {r["account_id"]: r["created_at"] for r in rows(store, sql)}
    first = profiles[0]["user"]["id_str"]
    assert created.pop(first) == datetime(2009, 4, 14, 10, 57, tzinfo=UTC)
    # The others, as Twitter writes dates, are still read.
    with Store.open(tmp_path / "plain.duckdb") as plain:
        ingest(plain, [FIXTURES / "botrepo" / "sample_profiles.json"])
        expected = {r["account_id"]: r["created_at"] for r in rows(plain, sql)}
    expected.pop(first)
    assert created == expected and any(expected.values())
