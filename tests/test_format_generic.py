"""User-mapped exports (formats ``generic-csv`` and ``generic-jsonl``).

``posts_semicolon.csv`` (';'-delimited, every field mapped), one row per case:

- m1: ISO time without offset (UTC), "@Alice" (the @ is dropped), blank entity cells
  (hashtags and URLs extracted from the text), the --platform default
- m2: a retweet given by columns (retweet_of_id m1 by Alice)
- m3: a retweet by its "RT @carol" prefix; epoch seconds; hashtags "#A,#b" and a URL list;
  language given as a name (German -> de)
- m4: epoch milliseconds, kind "reply" given, its own platform (mastodon)
- m5: created_at "soon": quarantined
- m6: kind "boost" is not a canonical kind (derived: original); "[]" means no hashtags

``posts.tsv``: tab-delimited with --date-format; row 2's day 32 does not parse.

``posts.jsonl`` (dotted paths), one line per case: a v1.1-like tweet with entity objects and
Twitter's date layout; a numeric id, epoch ms and an "RT @Zoe" retweet by "@Yan" (no user id:
account "@yan"); a reply with an ISO offset (+01:00); a blank line (skipped); a line without
date, one without id, one not JSON, one not an object (all quarantined).
"""

from __future__ import annotations

import re
import zipfile
from datetime import UTC, datetime

import pytest

from infoscope.errors import InfoscopeError, MissingColumnError, UnknownFormatError
from infoscope.ingest import ingest, registered_formats
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.formats import detect_format, sniff
from infoscope.ingest.generic import parse_time, value_at
from infoscope.ingest.sources import iter_sources

from .conftest import FIXTURES, cli_json, rows, shared

FIX = FIXTURES / "generic"
CSV = FIX / "posts_semicolon.csv"
TSV = FIX / "posts.tsv"
JSONL = FIX / "posts.jsonl"
CSV_MAP = {
    "id": "msg_id",
    "text": "body",
    "author": "user",
    "author_id": "uid",
    "created_at": "time",
    "lang": "language",
    "kind": "type",
    "reply_to_id": "parent",
    "retweet_of_id": "rt_of",
    "retweet_of_author": "rt_user",
    "hashtags": "tags",
    "urls": "links",
    "platform": "network",
}
JSONL_MAP = {
    "id": "id_str",
    "text": "full_text",
    "author": "user.screen_name",
    "author_id": "user.id_str",
    "created_at": "created_at",
    "lang": "lang",
    "hashtags": "entities.hashtags",
    "urls": "entities.urls",
    "reply_to_id": "in_reply_to_status_id_str",
    "reply_to_author": "in_reply_to_screen_name",
}
POST_COLUMNS = (
    "platform, post_id, account_id, account_handle, created_at, kind, ref_post_id, "
    "ref_account_handle, lang, hashtags, urls"
)


def _ingest_csv(store):
    return ingest(
        store, [CSV], format="generic-csv", delimiter=";", mapping=CSV_MAP, platform="web"
    )


def _posts(store):
    return {r["post_id"]: r for r in rows(store, f"SELECT {POST_COLUMNS} FROM posts")}


def _t(hour: int, minute: int = 0) -> datetime:
    return datetime(2021, 3, 1, hour, minute, tzinfo=UTC)


def test_never_detected():
    formats = registered_formats()
    for path in (CSV, TSV, JSONL):
        sn = sniff(next(iter_sources(path)))
        assert formats["generic-csv"].detect(sn) == 0
        assert formats["generic-jsonl"].detect(sn) == 0
    with pytest.raises(UnknownFormatError):
        detect_format(sniff(next(iter_sources(CSV)), delimiter=";"))


def test_csv_summary(store):
    summary = _ingest_csv(store)
    assert (summary.posts, summary.duplicates) == (5, 0)
    assert dict(summary.quarantined) == {"unparseable date": 1}
    # u1..u3 on web; u4 on mastodon (m4) and on web (m5, m6).
    assert summary.accounts == 5


def test_csv_posts_exact(store):
    _ingest_csv(store)
    assert _posts(store) == {
        "m1": {"platform": "web", "post_id": "m1", "account_id": "u1", "account_handle": "Alice",
               "created_at": _t(10), "kind": "original", "ref_post_id": None,
               "ref_account_handle": None, "lang": "en", "hashtags": ["world"],
               "urls": ["t.co/x1"]},
        "m2": {"platform": "web", "post_id": "m2", "account_id": "u2", "account_handle": "Bob",
               "created_at": _t(11), "kind": "retweet", "ref_post_id": "m1",
               "ref_account_handle": "alice", "lang": "en", "hashtags": [], "urls": []},
        "m3": {"platform": "web", "post_id": "m3", "account_id": "u3", "account_handle": "Dan",
               "created_at": _t(11), "kind": "retweet", "ref_post_id": None,
               "ref_account_handle": "carol", "lang": "de", "hashtags": ["a", "b"],
               "urls": ["example.com/x", "example.org/y"]},
        "m4": {"platform": "mastodon", "post_id": "m4", "account_id": "u4",
               "account_handle": "Eve", "created_at": _t(11), "kind": "reply",
               "ref_post_id": "m1", "ref_account_handle": None, "lang": "en", "hashtags": [],
               "urls": []},
        "m6": {"platform": "web", "post_id": "m6", "account_id": "u4", "account_handle": "Eve",
               "created_at": _t(12), "kind": "original", "ref_post_id": None,
               "ref_account_handle": None, "lang": "en", "hashtags": [], "urls": []},
    }  # fmt: skip
    # Unmapped columns stay in raw.
    assert rows(store, "SELECT raw FROM posts WHERE post_id = 'm4'") == [
        {"raw": '{"note":"reply, own platform"}'}
    ]
    [q] = rows(store, "SELECT source_line, source_record, reason FROM quarantine")
    assert q == {"source_line": 6, "source_record": 5, "reason": unparseable_date_reason("soon")}


def test_tab_delimited_with_date_format_through_the_cli(tmp_path):
    store = str(tmp_path / "cli.duckdb")
    summary = cli_json(
        "ingest", str(TSV), "--store", store, "--format", "generic-csv", "--quiet",
        "--delimiter", "\\t", "--date-format", "%d.%m.%Y %H:%M",
        "--map", "id=id,text=text,author=author,created_at=when",
    )  # fmt: skip
    assert (summary["posts"], summary["accounts"]) == (1, 1)
    assert summary["quarantined_by_reason"] == {"unparseable date": 1}


def test_tab_delimited_posts(store):
    ingest(
        store,
        [TSV],
        format="generic-csv",
        delimiter="\t",
        date_format="%d.%m.%Y %H:%M",
        mapping={"id": "id", "text": "text", "author": "author", "created_at": "when"},
    )
    # Without author_id the account is keyed by handle; without --platform: "unknown".
    assert _posts(store)["1"] == {
        "platform": "unknown", "post_id": "1", "account_id": "@anna", "account_handle": "anna",
        "created_at": _t(10), "kind": "original", "ref_post_id": None,
        "ref_account_handle": None, "lang": None, "hashtags": [], "urls": [],
    }  # fmt: skip
    assert rows(store, "SELECT reason FROM quarantine") == [
        {"reason": unparseable_date_reason("32.03.2021 10:00")}
    ]


def test_csv_without_id_mapping_hashes_the_row(store):
    ingest(store, [TSV], format="generic-csv", delimiter="\t", date_format="%d.%m.%Y %H:%M",
           mapping={"text": "text", "created_at": "when"})  # fmt: skip
    [post] = rows(store, "SELECT post_id, account_id FROM posts")
    assert post["post_id"].startswith("gen-") and len(post["post_id"]) == 36
    assert post["account_id"] is None


@pytest.mark.parametrize(
    ("mapping", "error", "message"),
    [
        ({"text": "body"}, InfoscopeError, "needs --map for created_at"),
        ({"created_at": "time"}, InfoscopeError, "needs --map for text"),
        ({}, InfoscopeError, "--map text=COLUMN,created_at=COLUMN"),
        ({"text": "body", "created_at": "time", "likes": "x"}, InfoscopeError,
         "unknown field(s) likes"),
        # A mapped column the header lacks is reported with the header's columns.
        ({"text": "body", "created_at": "posted"}, MissingColumnError,
         "missing required column(s) posted"),
    ],
)  # fmt: skip
def test_mapping_errors_name_the_fix(store, mapping, error, message):
    with pytest.raises(error) as excinfo:
        ingest(store, [CSV], format="generic-csv", delimiter=";", mapping=mapping)
    assert message in str(excinfo.value)


def test_jsonl_summary_and_posts(store):
    summary = ingest(store, [JSONL], format="generic-jsonl", mapping=JSONL_MAP)
    assert (summary.posts, summary.accounts) == (3, 2)  # accounts 77 and @yan
    assert dict(summary.quarantined) == {
        "unparseable date": 1,
        "missing post id": 1,
        "invalid JSON": 1,
        "not a JSON object": 1,
    }
    assert _posts(store) == {
        "10": {"platform": "unknown", "post_id": "10", "account_id": "77",
               "account_handle": "Zoe", "created_at": _t(10), "kind": "original",
               "ref_post_id": None, "ref_account_handle": None, "lang": "en",
               "hashtags": ["there"], "urls": ["example.com/page"]},
        "11": {"platform": "unknown", "post_id": "11", "account_id": "@yan",
               "account_handle": "Yan", "created_at": _t(11), "kind": "retweet",
               "ref_post_id": None, "ref_account_handle": "zoe", "lang": None,
               "hashtags": [], "urls": []},
        "12": {"platform": "unknown", "post_id": "12", "account_id": "77",
               "account_handle": "Zoe", "created_at": _t(11), "kind": "reply",
               "ref_post_id": "10", "ref_account_handle": "zoe", "lang": None,
               "hashtags": ["tag"], "urls": []},
    }  # fmt: skip
    quarantined = rows(store, "SELECT source_line, source_record, reason, raw FROM quarantine")
    # Line 4 is blank: records count the non-blank lines.
    assert [(q["source_line"], q["source_record"]) for q in quarantined] == [
        (5, 4),
        (6, 5),
        (7, 6),
        (8, 7),
    ]
    assert quarantined[0]["reason"] == unparseable_date_reason("(empty)")
    assert quarantined[3]["raw"] == "[1, 2]"
    raw = rows(store, "SELECT raw FROM posts WHERE post_id = '11'")[0]["raw"]
    assert raw.startswith('{"id_str": 11, "full_text": "RT @Zoe: Hi"')  # the whole line


def test_jsonl_mapping_error(store):
    with pytest.raises(InfoscopeError, match="needs --map for created_at"):
        ingest(store, [JSONL], format="generic-jsonl", mapping={"text": "full_text"})


@pytest.mark.parametrize(
    ("value", "date_format", "expected"),
    [
        ("2021-03-01T10:00:00Z", None, _t(10)),
        ("2021-03-01 10:00", None, _t(10)),  # no offset: UTC
        ("2021-03-01T12:30:00+02:00", None, _t(10, 30)),
        ("1614592800", None, _t(10)),
        ("1614592800000", None, _t(10)),
        (1614592800, None, _t(10)),
        (1614592800000, None, _t(10)),
        (1614592800.5, None, datetime(2021, 3, 1, 10, 0, 0, 500000, tzinfo=UTC)),
        ("Mon Mar 01 10:00:00 +0000 2021", None, _t(10)),
        ("01/03/2021 10:00", "%d/%m/%Y %H:%M", _t(10)),
        ("01/03/2021 10:00", None, None),  # ambiguous without --date-format
        ("20210301", None, None),  # 8 digits: neither epoch nor ISO
        (True, None, None),
        (None, None, None),
    ],
)
def test_parse_time_table(value, date_format, expected):
    assert parse_time(value, date_format) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("user.screen_name", "Zoe"),
        ("entities.urls.0.url", "https://t.co/a"),
        ("entities.urls.5.url", None),
        ("user.missing.deeper", None),
        ("text", None),
    ],
)
def test_value_at_table(path, expected):
    record = {"user": {"screen_name": "Zoe"}, "entities": {"urls": [{"url": "https://t.co/a"}]}}
    assert value_at(record, path) == expected


def test_real_gop_debate_as_generic_csv(store):
    """The CrowdFlower GOP file through the generic mapping (no id repair, no time zone)."""
    path = shared("control/gop-debate-2015-tweets.csv")
    summary = ingest(
        store,
        [path],
        format="generic-csv",
        platform="twitter",
        date_format="%m/%d/%y %H:%M",
        mapping={"id": "tweet_id", "text": "text", "author": "name", "created_at": "tweet_created"},
    )
    # The rounded ids are taken as they are (13,837 distinct, 34 rows repeat one), except the
    # one that two different tweets share: the text contradicts it, so those two rows are
    # keyed by a content hash and both stored; the 33 others are the same tweet annotated twice.
    assert (summary.posts, summary.duplicates, summary.accounts) == (13838, 33, 9829)
    assert summary.untrusted_ids == 2
    assert sum(summary.quarantined.values()) == 0
    post = rows(store, "SELECT * FROM posts WHERE post_id = '629697200650592000'")[0]
    assert post["created_at"] == datetime(2015, 8, 7, 9, 54, tzinfo=UTC)  # read as UTC
    assert (post["account_id"], post["kind"], post["ref_account_handle"]) == (
        "@i_am_kenzi",
        "retweet",
        "nancyleegrahn",
    )


def test_generic_csv_reads_archive_members(store, tmp_path):
    """Regression (core, pipeline._Reader._format_for): with --format, an archive member is
    read only if the format's detect() accepts it, and generic formats never detect, so every
    member of a zip was skipped. A named never-detected format must read the members."""
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(TSV, "export/posts.tsv")
    summary = ingest(
        store,
        [archive],
        format="generic-csv",
        delimiter="\t",
        date_format="%d.%m.%Y %H:%M",
        mapping={"id": "id", "text": "text", "author": "author", "created_at": "when"},
    )
    assert summary.skipped_members == []
    assert (summary.posts, dict(summary.quarantined)) == (1, {"unparseable date": 1})


# -- labels, raw columns, ids and line ends (real-world exports) ------------------------------

TROLLS = FIX / "state_trolls.csv"


def _t16(day: int, hour: int, m: int = 0, s: int = 0) -> datetime:
    return datetime(2016, 10, day, hour, m, s, tzinfo=UTC)


TROLL_MAP = {
    "id": "tweetid",
    "text": "tweet_text",
    "author": "user_screen_name",
    "created_at": "tweet_time",
    "lang": "tweet_language",
    "label:troll": "is_troll",
    "raw:retweet_count": "retweet_count",
}


def test_csv_labels_and_raw_columns(store):
    """A near-IO-archive troll file without user ids (BOM, CRLF, a bare CR inside a quoted
    field, times with and without seconds): every row stored, the troll flag as a label."""
    summary = ingest(store, [TROLLS], format="generic-csv", mapping=TROLL_MAP,
                     date_format=("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"))  # fmt: skip
    assert (summary.posts, summary.accounts, summary.labels) == (4, 2, 2)
    assert not summary.quarantined
    assert rows(store, "SELECT post_id, text, created_at, raw, source_line FROM posts "
                "ORDER BY 1") == [
        {"post_id": "101", "text": "Breaking:\rsee thread", "created_at": _t16(5, 14, 22),
         "raw": '{"retweet_count":"12"}', "source_line": 2},
        {"post_id": "102", "text": "ordinary post\r\nsecond line",
         "created_at": _t16(5, 14, 22, s=31), "raw": '{"retweet_count":"0"}',
         "source_line": 3},
        {"post_id": "103", "text": "#MAGA rally tonight", "created_at": _t16(6, 9),
         "raw": '{"retweet_count":"40"}', "source_line": 5},
        {"post_id": "104", "text": "no flag here", "created_at": _t16(6, 9, 1, s=2),
         "raw": '{"retweet_count":"1"}', "source_line": 6},
    ]  # fmt: skip
    # A blank flag adds no label; both of jane_doe's values would be kept if they differed.
    assert rows(store, "SELECT account_id, label_key, label_value FROM account_labels "
                "ORDER BY 1") == [
        {"account_id": "@jane_doe", "label_key": "troll", "label_value": "0"},
        {"account_id": "@ten_gop", "label_key": "troll", "label_value": "1"},
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"text": "tweet_text", "created_at": "tweet_time", "label:troll": "is_troll"},
         "no author is mapped"),
        ({**TROLL_MAP, "label:": "is_troll"}, "needs a label name and a column"),
        ({**TROLL_MAP, "label:troll": "missing_col"}, "missing required column(s) missing_col"),
        ({**TROLL_MAP, "raw:nope": "nope"}, "missing required column(s) nope"),
    ],
)  # fmt: skip
def test_label_and_raw_items_are_checked(store, mapping, message):
    with pytest.raises(InfoscopeError, match=re.escape(message)):
        ingest(store, [TROLLS], format="generic-csv", mapping=mapping)
    assert store.count("posts") == 0


def test_cli_map_items(store_path):
    out = cli_json(
        "ingest", str(TROLLS), "--store", str(store_path), "--format", "generic-csv",
        "--map", "id=tweetid,text=tweet_text,author=user_screen_name,created_at=tweet_time",
        "--map", "label:troll=is_troll,raw:retweet_count",
        "--date-format", "%Y-%m-%d %H:%M:%S", "--date-format", "%Y-%m-%d %H:%M",
    )  # fmt: skip
    assert (out["posts"], out["labels"]) == (4, 2)


def test_jsonl_labels_raw_paths_and_untrusted_ids(store):
    """Float ids (5.70306e+17) and an id shared by different texts are never merged on; the
    same record read twice is still one post."""
    mapping = {"id": "id", "text": "text", "author": "user", "created_at": "t",
               "label:flag": "flag", "raw:n": "n"}  # fmt: skip
    summary = ingest(store, [FIX / "float_ids.jsonl"], format="generic-jsonl", mapping=mapping)
    assert (summary.posts, summary.duplicates) == (4, 1)
    assert summary.untrusted_ids == 5  # every record read, the repeat included
    posts = rows(store, "SELECT post_id, account_id, text, raw FROM posts ORDER BY created_at")
    assert [(p["account_id"], p["text"]) for p in posts] == [
        ("@ann", "first"),
        ("@bob", "second"),
        ("@ann", "shared id"),
        ("@cy", "other text"),
    ]
    assert len({p["post_id"] for p in posts}) == 4
    assert all(p["post_id"].startswith(("570306000000000000-", "7-")) for p in posts)
    assert posts[0]["raw"] == '{"n":3}'
    assert rows(store, "SELECT account_id, label_value FROM account_labels ORDER BY 1") == [
        {"account_id": "@ann", "label_value": "troll"}
    ]


def test_cr_line_ends_are_read_as_lines(store):
    """A "CSV (Macintosh)" export ends its lines with a bare CR."""
    summary = ingest(store, [FIX / "mac_line_ends.csv"], format="generic-csv",
                     mapping={"id": "id", "text": "text", "author": "author",
                              "created_at": "when"})  # fmt: skip
    assert (summary.posts, summary.quarantined) == (2, {})
    assert rows(store, "SELECT post_id, text, source_line FROM posts ORDER BY 1") == [
        {"post_id": "1", "text": "two\nlines", "source_line": 2},
        {"post_id": "2", "text": "plain", "source_line": 4},
    ]


def test_blank_rows_are_counted_not_quarantined(store, tmp_path):
    # A spreadsheet's CSV: blank lines and rows of bare delimiters between the records. They
    # hold nothing to keep: not records, not quarantined (20,000 of them made an ingest
    # "mostly quarantined" as "missing post id"), but counted; line numbers stay exact.
    header, first, second = TSV.read_text(encoding="utf-8").splitlines()
    path = tmp_path / "spaced.tsv"
    path.write_text("\n".join([header, "", first, "\t\t\t", "", second, ""]), encoding="utf-8")
    summary = ingest(
        store,
        [path],
        format="generic-csv",
        delimiter="\t",
        date_format="%d.%m.%Y %H:%M",
        mapping={"id": "id", "text": "text", "author": "author", "created_at": "when"},
    )
    assert (summary.records, summary.blank_records, summary.posts) == (2, 3, 1)
    assert summary.as_dict()["blank_records"] == 3
    assert dict(summary.quarantined) == {"unparseable date": 1}
    assert rows(store, "SELECT source_line, source_record FROM quarantine") == [
        {"source_line": 6, "source_record": 5}
    ]
