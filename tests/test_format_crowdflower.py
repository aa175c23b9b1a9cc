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
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.formats import detect_format, sniff
from infoscope.ingest.sources import iter_sources

from .conftest import FIXTURES, rows, run_cli, shared

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
    assert q["reason"] == unparseable_date_reason("yesterday")
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


# -- a file re-saved through a spreadsheet -----------------------------------------------------
# ``airline_spreadsheet.csv``: the airline layout after a spreadsheet round trip. Ids kept 6
# significant digits (``5.70306E+17``) and dates lost their seconds and offset and became
# day-first (``24-02-2015 11:35``). Six different tweets:
#   rows 1-3 share 5.70306E+17 (rows 1 and 2 even share the minute), rows 4-5 share
#   5.70301E+17, row 6 alone; flyer_one and flyer_two each wrote two of them.
#   Row 6's date (03-02-2015) is ambiguous alone: the column's 24-02-2015 makes it 3 February.
SPREADSHEET = FIX / "airline_spreadsheet.csv"


def test_spreadsheet_mangled_file_stores_every_row_with_the_right_dates(store):
    summary = ingest(store, [SPREADSHEET])
    # Every row stored, none merged as a duplicate, none quarantined.
    assert (summary.records, summary.posts, summary.duplicates) == (6, 6, 0)
    assert dict(summary.quarantined) == {}
    # Float-notation ids are not trusted: each is keyed by id + a hash of author and text.
    assert summary.untrusted_ids == 6
    posts = rows(store, "SELECT post_id, account_id, text, created_at FROM posts ORDER BY ALL")
    assert len({p["post_id"] for p in posts}) == 6
    by_text = {p["text"]: p for p in posts}
    first = by_text["@VirginAmerica late again"]
    assert first["post_id"] == _hashed(
        "570306000000000000", "flyer_one", "@VirginAmerica late again"
    )
    # Day-first, read as US Pacific time (PST, UTC-8): 24 Feb 11:35 -> 19:35 UTC. The rounded
    # id's snowflake (minutes off) is not used.
    assert first["created_at"] == datetime(2015, 2, 24, 19, 35, tzinfo=UTC)
    assert by_text["@SouthwestAir great crew today"]["created_at"] == datetime(
        2015, 2, 3, 15, 5, tzinfo=UTC
    )
    # The summary says how the dates were read.
    [found] = summary.date_layouts
    assert (found["column"], found["order"], found["layouts"]) == (
        "tweet_created",
        "day-first",
        ["%d-%m-%Y %H:%M"],
    )
    assert found["evidence"] == "24-02-2015 11:35"


def test_spreadsheet_file_ingested_twice_adds_nothing(store, tmp_path):
    ingest(store, [SPREADSHEET])
    # Another file (the rows in reverse order, so another content hash: the ledger does not
    # skip it) holding the same six tweets: all six are duplicates.
    lines = SPREADSHEET.read_text().splitlines()
    copy = tmp_path / "reordered.csv"
    copy.write_text("\n".join([lines[0], *reversed(lines[1:])]) + "\n")
    summary = ingest(store, [copy])
    assert (summary.posts, summary.duplicates) == (0, 6)
    assert store.count("posts") == 6


def test_spreadsheet_file_through_the_cli_says_day_first_and_warns(tmp_path):
    result = run_cli("ingest", str(SPREADSHEET), "--store", str(tmp_path / "s.duckdb"), "-q")
    assert result.exit_code == 0, result.output
    assert "posts stored                   6" in result.stdout
    assert "warning: 6 post ids could not be trusted" in result.stdout
    assert "(tweet_created): day-first, '%d-%m-%Y %H:%M'" in result.stdout


@pytest.mark.parametrize(
    ("options", "expected", "said"),
    [
        # No value over 12: the format's convention (month-first) is assumed, and said so.
        ((), datetime(2015, 3, 2, 15, 5, tzinfo=UTC), "assumed"),
        # --date-format decides; several are tried in order (the first does not match).
        (
            {"date_format": ["%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"]},
            datetime(2015, 2, 3, 15, 5, tzinfo=UTC),
            None,
        ),
    ],
)
def test_ambiguous_dates_and_date_format(store, tmp_path, options, expected, said):
    path = tmp_path / "ambiguous.csv"
    lines = SPREADSHEET.read_text().splitlines()
    path.write_text(lines[0] + "\n" + lines[6] + "\n")  # only 03-02-2015 07:05 (PST)
    summary = ingest(store, [path], **dict(options))
    [post] = rows(store, "SELECT created_at FROM posts")
    assert post["created_at"] == expected
    if said:
        assert summary.date_layouts[0]["assumed"] is True
        assert said in summary.date_layouts[0]["note"]
    else:
        assert summary.date_layouts == []


def test_unparseable_dates_fail_the_run_with_the_reasons_and_the_fix(tmp_path):
    """Regression: a file whose every date was unreadable exited 0."""
    path = tmp_path / "bad_dates.csv"
    lines = SPREADSHEET.read_text().splitlines()
    # Five dates in no layout; the sixth in the format's own (month-first, two-digit year).
    mangled = [line.replace("24-02-2015", "Feb 24th 2015") for line in lines[1:]]
    mangled[5] = mangled[5].replace("03-02-2015 07:05", "2/3/15 7:05")
    path.write_text("\n".join([lines[0], *mangled]) + "\n")
    result = run_cli("ingest", str(path), "--store", str(tmp_path / "s.duckdb"), "-q")
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in result.output
    assert message.startswith("Error: 5 of 6 records were quarantined: unparseable date (5)")
    assert "--date-format" in message
    # The summary still ends the run: read, stored, duplicates, quarantined by reason.
    assert "quarantined                    5" in result.stdout
