"""Twitter formats: API v1.1 statuses, API v2 (twarc2 pages and flattened), twarc-csv.

Fixtures (tests/fixtures/twitter/, invented accounts and texts):

- v1_statuses.jsonl, one status a line:
  1 original by anna_k (id 11) with entities, a tracking URL, metrics and a full profile;
  2 Cyrillic reply by Boris_P (22) to 1, created at +0300 (UTC conversion), sparse profile;
  3 quote of 2 by anna_k whose full text and media are only in ``extended_tweet``;
  4 retweet of 1 by Carl_Z (33): text/entities from the retweeted status;
  5 stream delete notice; 6 status with created_at "yesterday"; 7 stream limit notice;
  8 ``full_text`` status with a numeric ``id`` only and no entities (extracted from text).
- v1_statuses.json: a pretty-printed JSON array of two statuses (original 2001, reply 2002).
- v2_pages.jsonl, twarc2 response pages:
  line 1: tweets 1 (original, entities incl. a media URL, impression_count), 2 (retweet of
  900, only in includes.tweets), 3 (Cyrillic quote of 1), 4 (reply to 3); users 101-104
  (104 only mentioned); line 2: tweets 5 (invalid date) and 6 (no entities, no metrics);
  line 3: a stream error message; line 4: a stream line whose ``data`` is one tweet (7).
- v2_flat.jsonl, twarc2 flatten output: 1 and 2 as above with inline expansions, 11 a reply
  whose parent is unavailable (author from in_reply_to_user), 12 a Cyrillic quote of 900.
- twarc.csv, recent twarc-csv columns: 1 original (escaped line break, entity strings, a
  media link), 2 retweet (merged text), 3 Cyrillic quote with a \\u-escaped hashtag cell,
  4 reply, 5 unparseable date, 6 minimal row (entities extracted from the text).
- twarc_old_layout.csv, an older twarc-csv: entity cells are API objects (21), and a retweet
  without the ``*_username`` columns (22).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from infoscope.errors import InputEncodingError
from infoscope.ingest import detect_format, ingest, registered_formats, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows, shared

FIX = FIXTURES / "twitter"
POST_COLS = (
    "kind, ref_post_id, ref_account_id, ref_account_handle, hashtags, mentions, urls, "
    "media_ids, metrics"
)


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _posts(store, cols: str = POST_COLS) -> dict[str, tuple]:
    """post_id -> the selected columns as a tuple."""
    result = {}
    for r in rows(store, f"SELECT post_id, {cols} FROM posts"):
        post_id = r.pop("post_id")
        result[post_id] = tuple(r.values())
    return result


def _account(store, account_id: str) -> dict:
    [acct] = rows(store, "SELECT * FROM accounts WHERE account_id = ?", [account_id])
    return acct


# -- detection ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("v1_statuses.jsonl", "twitter-v1"),
        ("v1_statuses.json", "twitter-v1"),
        ("v2_pages.jsonl", "twitter-v2"),
        ("v2_flat.jsonl", "twitter-v2"),
        ("twarc.csv", "twarc-csv"),
        ("twarc_old_layout.csv", "twarc-csv"),
    ],
)
def test_detection_picks_the_format_from_markers(fixture, expected):
    source = next(iter_sources(FIX / fixture))
    assert detect_format(sniff(source)).name == expected


def test_stream_capture_starting_with_a_delete_notice_is_v1(tmp_path):
    # Real stream captures often begin with a delete notice: it alone identifies the format.
    lines = (FIX / "v1_statuses.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "stream.jsonl"
    path.write_text("\n".join([lines[4], *lines[:4]]) + "\n", encoding="utf-8")
    assert detect_format(sniff(next(iter_sources(path)))).name == "twitter-v1"


def test_first_record_longer_than_the_sniffed_head_is_detected(tmp_path, store):
    # A twarc2 page of 100 tweets is ~95 KB on one line, far beyond the 64 KiB head; so is a
    # v1.1 status with a huge profile. Detection reads on to the end of the first line.
    page = json.loads((FIX / "v2_pages.jsonl").read_text(encoding="utf-8").splitlines()[0])
    page["data"] = [dict(page["data"][0], id=str(i)) for i in range(5000, 5100)]
    big_page = tmp_path / "big_page.jsonl"
    big_page.write_text(json.dumps(page) + "\n", encoding="utf-8")
    status = json.loads((FIX / "v1_statuses.jsonl").read_text(encoding="utf-8").splitlines()[0])
    status["user"]["description"] = "x" * 70_000
    big_status = tmp_path / "big_status.jsonl"
    big_status.write_text(json.dumps(status) + "\n", encoding="utf-8")
    for path, name in ((big_page, "twitter-v2"), (big_status, "twitter-v1")):
        sn = sniff(next(iter_sources(path)))
        assert sn.kind == "jsonl" and sn.first is not None and len(sn.head) > 1 << 16
        assert detect_format(sn).name == name
    summary = ingest(store, [big_page, big_status])
    assert summary.posts == 101 and summary.formats == {"twitter-v2": 1, "twitter-v1": 1}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """Each fixture ingested once, by the CLI without --format, into its own store.

    Returns a function: fixture name -> (the CLI's JSON summary, the store opened read-only).
    """
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


@pytest.mark.parametrize(
    ("fixture", "fmt", "posts", "accounts", "quarantined"),
    [
        ("v1_statuses.jsonl", "twitter-v1", 5, 4, {"not a tweet": 2, "unparseable date": 1}),
        ("v1_statuses.json", "twitter-v1", 2, 2, {}),
        ("v2_pages.jsonl", "twitter-v2", 6, 5, {"not a tweet": 1, "unparseable date": 1}),
        ("v2_flat.jsonl", "twitter-v2", 4, 5, {}),
        ("twarc.csv", "twarc-csv", 5, 4, {"unparseable date": 1}),
        ("twarc_old_layout.csv", "twarc-csv", 2, 2, {}),
    ],
)
def test_cli_ingest_json_summary(ingested, fixture, fmt, posts, accounts, quarantined):
    summary, _ = ingested(fixture)
    assert summary["formats"] == {fmt: 1}
    assert (summary["posts"], summary["accounts"], summary["duplicates"]) == (posts, accounts, 0)
    assert summary["quarantined_by_reason"] == quarantined


# -- API v1.1 -----------------------------------------------------------------------------


def test_v1_jsonl_posts(ingested):
    _, store = ingested("v1_statuses.jsonl")
    assert _posts(store) == {
        # original: entities from the payload, tracking URL normalised, four metrics
        "1001": (
            "original",
            None,
            None,
            None,
            ["election2018"],
            ["boris_p"],
            ["example.com/a"],
            None,
            {"retweet_count": 2, "like_count": 5, "reply_count": 1, "quote_count": 1},
        ),
        # reply: refs from in_reply_to_*; Cyrillic hashtag lower-cased
        "1002": (
            "reply",
            "1001",
            "11",
            "anna_k",
            ["москва"],
            ["anna_k"],
            [],
            None,
            {"retweet_count": 0, "like_count": 1},
        ),
        # quote: refs from quoted_status; entities and all media from extended_tweet
        "1003": (
            "quote",
            "1002",
            "22",
            "Boris_P",
            ["выборы"],
            [],
            [],
            ["5001", "5002"],
            {"retweet_count": 0, "like_count": 0, "reply_count": 0, "quote_count": 0},
        ),
        # retweet: the retweeted status's entities (no mention of anna_k from "RT @anna_k:")
        "1004": (
            "retweet",
            "1001",
            "11",
            "anna_k",
            ["election2018"],
            ["boris_p"],
            ["example.com/a"],
            None,
            {"retweet_count": 2, "like_count": 0},
        ),
        # no entities in the payload: extracted from the text at store time
        "1008": ("original", None, None, None, ["tag"], [], ["example.com/b"], None, None),
    }
    texts = _posts(store, "account_id, account_handle, created_at, lang, text")
    assert texts["1001"] == (
        "11",
        "anna_k",
        _utc(2018, 10, 10, 20, 19, 24),
        "en",
        "Good morning #Election2018 @Boris_P https://t.co/aaa",
    )
    # +0300 converted to UTC
    assert texts["1002"][2] == _utc(2018, 10, 10, 22, 0, 0)
    # the full text of a long tweet, not the truncated "text"
    assert texts["1003"][4].startswith("Ответ Борису: выборы важны") and texts["1003"][4].endswith(
        " #Выборы"
    )
    assert "…" not in texts["1003"][4]
    # a retweet's text is the retweeted status's full text, its author the retweeter
    assert texts["1004"] == (
        "33",
        "Carl_Z",
        _utc(2018, 10, 11, 9, 30),
        "en",
        "Good morning #Election2018 @Boris_P https://t.co/aaa",
    )
    # numeric id only, no lang
    assert texts["1008"][:2] == ("44", "dora") and texts["1008"][3] is None


def test_v1_provenance_and_raw(ingested):
    path = FIX / "v1_statuses.jsonl"
    _, store = ingested("v1_statuses.jsonl")
    prov = rows(
        store,
        "SELECT post_id, source, source_line, source_record, format FROM posts ORDER BY post_id",
    )
    assert [(r["post_id"], r["source_line"], r["source_record"]) for r in prov] == [
        ("1001", 1, 1),
        ("1002", 2, 2),
        ("1003", 3, 3),
        ("1004", 4, 4),
        ("1008", 8, 8),
    ]
    assert {(r["source"], r["format"]) for r in prov} == {(str(path), "twitter-v1")}
    [raw] = rows(store, "SELECT raw FROM posts WHERE post_id = '1002'")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert raw["raw"] == lines[1]


def test_v1_accounts_with_profiles(ingested):
    _, store = ingested("v1_statuses.jsonl")
    anna = _account(store, "11")
    assert {
        k: anna[k]
        for k in (
            "handle",
            "display_name",
            "description",
            "location",
            "profile_lang",
            "time_zone",
            "created_at",
            "followers",
            "following",
            "posts_count",
            "favourites",
            "listed",
            "verified",
            "url",
            "source_record",
            "format",
        )
    } == {
        "handle": "anna_k",
        "display_name": "Anna K",
        "description": "News and views",
        "location": "Moscow",
        "profile_lang": "en",
        "time_zone": "Moscow",
        "created_at": _utc(2012, 1, 2, 3, 4, 5),
        "followers": 1200,
        "following": 300,
        "posts_count": 5000,
        "favourites": 450,
        "listed": 7,
        "verified": False,
        # the expanded profile link, not the t.co one
        "url": "https://anna.example.org/",
        "source_record": 1,
        "format": "twitter-v1",
    }
    assert json.loads(anna["raw"])["screen_name"] == "anna_k"
    # sparse profile: empty description and null location are unknown (NULL)
    boris = _account(store, "22")
    boris_profile = (boris["display_name"], boris["description"], boris["location"])
    assert boris_profile == ("Борис П", None, None)
    assert (boris["followers"], boris["favourites"], boris["verified"]) == (10, None, False)
    carl = _account(store, "33")
    assert (carl["verified"], carl["profile_lang"], carl["time_zone"]) == (True, "de", "Berlin")
    # the minimal user of record 8 (integer id only)
    assert _account(store, "44")["handle"] == "dora"


def test_v1_notices_and_bad_dates_are_quarantined(ingested):
    _, store = ingested("v1_statuses.jsonl")
    got = rows(store, "SELECT source_line, source_record, reason, raw FROM quarantine ORDER BY 1")
    assert [(r["source_line"], r["source_record"], r["reason"]) for r in got] == [
        (5, 5, "not a tweet: delete notice"),
        (6, 6, unparseable_date_reason("yesterday")),
        (7, 7, "not a tweet: limit notice"),
    ]
    assert json.loads(got[0]["raw"])["delete"]["status"]["id_str"] == "999"


def test_v1_json_array(ingested):
    _, store = ingested("v1_statuses.json")
    assert _posts(store, "kind, ref_post_id, ref_account_id, ref_account_handle, text") == {
        "2001": ("original", None, None, None, "Array tweet #One"),
        "2002": ("reply", "2001", "11", "anna_k", "@anna_k ответ"),
    }
    # array items have no line; the record is the item's ordinal
    got = rows(store, "SELECT post_id, source_line, source_record FROM posts ORDER BY 1")
    assert [(r["post_id"], r["source_line"], r["source_record"]) for r in got] == [
        ("2001", None, 1),
        ("2002", None, 2),
    ]


def test_v1_gzip_jsonl_gives_the_same_posts(store, tmp_path):
    plain = FIX / "v1_statuses.jsonl"
    packed = tmp_path / "statuses.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    summary = ingest(store, [packed])
    assert (summary.formats, summary.posts) == ({"twitter-v1": 1}, 5)
    assert summary.quarantined == {"not a tweet": 2, "unparseable date": 1}
    again = ingest(store, [plain])
    assert (again.posts, again.duplicates) == (0, 5)


def test_v1_truncated_array_keeps_the_items_before_the_damage(store, tmp_path):
    text = (FIX / "v1_statuses.json").read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: text.index('"id": 2002')], encoding="utf-8")
    summary = ingest(store, [cut])
    assert summary.posts == 1 and summary.quarantined == {"invalid JSON": 1}


def test_v1_invalid_line_is_quarantined_and_others_kept(store, tmp_path):
    lines = (FIX / "v1_statuses.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join([lines[0], '{"id_str": "7", "text": ', "", lines[1]]) + "\n")
    summary = ingest(store, [path])
    assert summary.posts == 2
    [q] = rows(store, "SELECT source_line, source_record, reason FROM quarantine")
    # the blank line is not a record: line 4 is record 3
    assert (q["source_line"], q["source_record"]) == (2, 2)
    assert q["reason"].startswith("invalid JSON: ")
    assert rows(store, "SELECT source_record FROM posts WHERE post_id = '1002'") == [
        {"source_record": 3}
    ]


def test_v1_other_encoding_needs_encoding_option(store, tmp_path):
    line = (FIX / "v1_statuses.jsonl").read_text(encoding="utf-8").splitlines()[1]
    path = tmp_path / "cp1251.jsonl"
    path.write_bytes((line + "\n").encode("cp1251"))
    with pytest.raises(InputEncodingError, match="line 1 is not valid UTF-8"):
        ingest(store, [path], format="twitter-v1")
    ingest(store, [path], format="twitter-v1", encoding="cp1251")
    assert _posts(store, "text") == {"1002": ("@anna_k Привет! #Москва",)}


def test_v1_pretty_printed_documents(store, tmp_path):
    # `jq .` output: statuses pretty-printed one after another, not one a line.
    lines = (FIX / "v1_statuses.jsonl").read_text(encoding="utf-8").splitlines()
    path = tmp_path / "pretty.json"
    path.write_text(
        "".join(json.dumps(json.loads(line), indent=2) + "\n" for line in lines[:2]),
        encoding="utf-8",
    )
    assert sniff(next(iter_sources(path))).kind == "json-object"
    summary = ingest(store, [path])
    assert (summary.formats, summary.posts) == ({"twitter-v1": 1}, 2)
    got = rows(store, "SELECT post_id, source_line, source_record FROM posts ORDER BY 1")
    assert [(r["post_id"], r["source_line"], r["source_record"]) for r in got] == [
        ("1001", None, 1),
        ("1002", None, 2),
    ]


def test_v1_json_array_in_another_encoding(store, tmp_path):
    path = tmp_path / "cp1251.json"
    path.write_bytes((FIX / "v1_statuses.json").read_text(encoding="utf-8").encode("cp1251"))
    ingest(store, [path], format="twitter-v1", encoding="cp1251")
    assert _posts(store, "text") == {
        "2001": ("Array tweet #One",),
        "2002": ("@anna_k ответ",),
    }


# -- API v2 -------------------------------------------------------------------------------

V2_POSTS = {
    # original: tags/usernames lower-cased, the media URL (media_key) left out, metrics
    "1": (
        "original",
        None,
        None,
        None,
        ["world"],
        ["boris_v2", "eva_only_mentioned"],
        ["example.com/a"],
        ["3_1"],
        {
            "retweet_count": 3,
            "reply_count": 1,
            "like_count": 10,
            "quote_count": 1,
            "impression_count": 500,
        },
    ),
    # retweet: text, entities and media of the retweeted tweet 900 (only in includes)
    "2": (
        "retweet",
        "900",
        "103",
        "dmitri",
        ["longread"],
        [],
        ["news.example.com/story"],
        ["3_900"],
        {"retweet_count": 40, "reply_count": 0, "like_count": 0, "quote_count": 0},
    ),
}


def test_v2_pages_posts(ingested):
    _, store = ingested("v2_pages.jsonl")
    posts = _posts(store)
    assert {k: posts[k] for k in V2_POSTS} == V2_POSTS
    # quote of 1: the quoted tweet's author from includes.tweets -> author_id -> users
    assert posts["3"] == (
        "quote",
        "1",
        "101",
        "alice_v2",
        ["киев"],
        [],
        ["twitter.com/alice_v2/status/1"],
        None,
        {"retweet_count": 0, "reply_count": 0, "like_count": 2, "quote_count": 0},
    )
    # reply to 3 (Boris_V2's quote)
    assert posts["4"] == (
        "reply",
        "3",
        "102",
        "Boris_V2",
        [],
        ["boris_v2"],
        [],
        None,
        None,
    )
    # no entities, no metrics: extracted from the text
    assert posts["6"] == (
        "original",
        None,
        None,
        None,
        ["noentities"],
        ["somebody"],
        [],
        None,
        None,
    )
    # stream line: data is one tweet
    assert posts["7"][0] == "original"
    texts = _posts(store, "account_id, account_handle, created_at, lang, text")
    assert texts["2"] == (
        "102",
        "Boris_V2",
        _utc(2022, 1, 1, 11),
        "en",
        "The full original text, longer than a retweet shows #Longread https://t.co/orig",
    )
    assert texts["3"] == (
        "102",
        "Boris_V2",
        _utc(2022, 1, 1, 12),
        "ru",
        "Посмотрите на это #Киев https://t.co/q",
    )
    assert texts["6"] == (
        "105",
        "fedor",
        _utc(2022, 1, 2, 8, 30),
        None,
        "Minimal tweet #NoEntities @Somebody",
    )
    # tweets only in includes are not collected posts
    assert "900" not in posts


def test_v2_pages_provenance_quarantine_and_raw(ingested):
    _, store = ingested("v2_pages.jsonl")
    got = rows(store, "SELECT post_id, source_line, source_record FROM posts ORDER BY 3")
    # each tweet of a page is a record; the line is the page's
    assert [(r["post_id"], r["source_line"], r["source_record"]) for r in got] == [
        ("1", 1, 1),
        ("2", 1, 2),
        ("3", 1, 3),
        ("4", 1, 4),
        ("6", 2, 6),
        ("7", 4, 8),
    ]
    q = rows(store, "SELECT source_line, source_record, reason, raw FROM quarantine ORDER BY 2")
    assert [(r["source_line"], r["source_record"], r["reason"]) for r in q] == [
        (2, 5, unparseable_date_reason("2022-13-45T99:00:00.000Z")),
        (3, 7, "not a tweet: error message"),
    ]
    assert json.loads(q[0]["raw"])["id"] == "5"
    [raw] = rows(store, "SELECT raw FROM posts WHERE post_id = '1'")
    payload = json.loads(raw["raw"])
    # the tweet object with the page's twarc stamp, not the whole page
    assert payload["__twarc"]["version"] == "2.14.0" and "includes" not in payload


def test_v2_pages_accounts(ingested):
    _, store = ingested("v2_pages.jsonl")
    alice = _account(store, "101")
    assert {
        k: alice[k]
        for k in (
            "handle",
            "display_name",
            "description",
            "location",
            "created_at",
            "followers",
            "following",
            "posts_count",
            "favourites",
            "listed",
            "verified",
            "url",
        )
    } == {
        "handle": "alice_v2",
        "display_name": "Alice",
        "description": "Reporter",
        "location": "Kyiv",
        "created_at": _utc(2015, 5, 5, 5, 5, 5),
        "followers": 900,
        "following": 90,
        "posts_count": 9000,
        "favourites": 99,
        "listed": 9,
        "verified": True,
        "url": "https://alice.example.net/",
    }
    # the retweeted author, known only from includes, and a user only mentioned
    dmitri = _account(store, "103")
    assert (dmitri["handle"], dmitri["followers"], dmitri["source_record"]) == ("dmitri", 5000, 2)
    assert _account(store, "104")["handle"] == "eva_only_mentioned"
    boris = _account(store, "102")
    boris_profile = (boris["display_name"], boris["description"], boris["verified"])
    assert boris_profile == ("Борис", None, False)


def test_v2_flattened_posts_and_accounts(ingested):
    _, store = ingested("v2_flat.jsonl")
    posts = _posts(store)
    assert {k: posts[k] for k in V2_POSTS} == V2_POSTS
    # reply whose parent is unavailable: the replied-to user from in_reply_to_user
    assert posts["11"] == (
        "reply",
        "10",
        "199",
        "someone_gone",
        [],
        ["someone_gone"],
        [],
        None,
        None,
    )
    # quote of 900 with its author expanded inline
    assert posts["12"] == (
        "quote",
        "900",
        "103",
        "dmitri",
        [],
        [],
        [],
        None,
        {
            "retweet_count": 1,
            "reply_count": 0,
            "like_count": 4,
            "quote_count": 0,
            "impression_count": 77,
        },
    )
    texts = _posts(store, "text, created_at, source_line, source_record")
    assert texts["12"] == ("Цитата дня", _utc(2022, 1, 4, 10), 4, 4)
    # raw is the line as read
    line = (FIX / "v2_flat.jsonl").read_text(encoding="utf-8").splitlines()[3]
    assert rows(store, "SELECT raw FROM posts WHERE post_id = '12'") == [{"raw": line}]
    accounts = {r["account_id"]: r["handle"] for r in rows(store, "SELECT * FROM accounts")}
    assert accounts == {
        "101": "alice_v2",
        "102": "Boris_V2",
        "103": "dmitri",
        "104": "eva_only_mentioned",
        "199": "someone_gone",
    }
    # mentions merged with user objects carry their profiles
    assert _account(store, "104")["display_name"] == "Eva"


# -- twarc-csv ----------------------------------------------------------------------------


def test_twarc_csv_posts(ingested):
    _, store = ingested("twarc.csv")
    assert _posts(store) == {
        # entity cells as twarc-csv writes them (["#World"]); the pic.twitter.com media link
        # is left out
        "1": (
            "original",
            None,
            None,
            None,
            ["world"],
            ["boris_v2"],
            ["example.com/a"],
            ["3_1"],
            {
                "retweet_count": 3,
                "reply_count": 1,
                "like_count": 10,
                "quote_count": 1,
                "impression_count": 500,
            },
        ),
        "2": (
            "retweet",
            "900",
            "103",
            "dmitri",
            ["longread"],
            [],
            ["news.example.com/story"],
            None,
            {"retweet_count": 40, "reply_count": 2, "like_count": 300, "quote_count": 1},
        ),
        # hashtag cell \u-escaped by json.dumps; like_count written as 2.0 by pandas
        "3": ("quote", "1", "101", "alice_v2", ["киев"], [], [], None, {"like_count": 2}),
        "4": ("reply", "3", "102", "Boris_V2", [], ["boris_v2"], [], None, None),
        # empty entity cells: extracted from the text
        "6": ("original", None, None, None, ["noentities"], ["somebody"], [], None, None),
    }
    texts = _posts(store, "account_id, account_handle, created_at, lang, text, source_line")
    # twarc-csv's escaped line break is a line break again
    assert texts["1"] == (
        "101",
        "alice_v2",
        _utc(2022, 1, 1, 10),
        "en",
        "Line one\nline two #World @Boris_V2 https://t.co/x https://t.co/pic",
        2,
    )
    assert texts["6"] == (
        "105",
        None,
        _utc(2022, 1, 2, 8, 30),
        None,
        "Minimal tweet #NoEntities @Somebody",
        7,
    )
    [raw] = rows(store, "SELECT raw FROM posts WHERE post_id = '1'")
    assert json.loads(raw["raw"])["geo.place_id"] == "abc123"
    [q] = rows(store, "SELECT source_line, source_record, reason, format FROM quarantine")
    assert q == {
        "source_line": 6,
        "source_record": 5,
        "reason": unparseable_date_reason("not a date"),
        "format": "twarc-csv",
    }


def test_twarc_csv_accounts(ingested):
    _, store = ingested("twarc.csv")
    alice = _account(store, "101")
    assert {
        k: alice[k]
        for k in (
            "handle",
            "display_name",
            "description",
            "location",
            "created_at",
            "followers",
            "following",
            "posts_count",
            "listed",
            "verified",
            "url",
            "source_record",
        )
    } == {
        "handle": "alice_v2",
        "display_name": "Alice",
        "description": "Reporter\nand editor",
        "location": "Kyiv",
        "created_at": _utc(2015, 5, 5, 5, 5, 5),
        "followers": 900,
        "following": 90,
        "posts_count": 9000,
        "listed": 9,
        "verified": True,
        "url": "https://alice.example.net/",
        "source_record": 1,
    }
    boris = _account(store, "102")
    assert (boris["display_name"], boris["followers"], boris["verified"]) == ("Борис", 10, False)
    # the retweeted user named by retweeted_user_id / retweeted_username
    dmitri = _account(store, "103")
    assert (dmitri["handle"], dmitri["display_name"]) == ("dmitri", None)
    assert _account(store, "105")["handle"] is None


def test_twarc_csv_old_layout_with_entity_objects(ingested):
    _, store = ingested("twarc_old_layout.csv")
    assert _posts(store) == {
        # entity objects: tag, username, expanded_url; the URL with a media_key left out
        "21": (
            "original",
            None,
            None,
            None,
            ["tag"],
            ["zed"],
            ["example.com/a"],
            ["3_21"],
            {"retweet_count": 0, "like_count": 1},
        ),
        # no retweeted_username column: the handle is unknown, not guessed
        "22": ("retweet", "21", "201", None, ["tag"], ["zed"], ["t.co/a"], None, None),
    }
    # author.url is the t.co link here; the expanded one comes from author.entities.url.urls
    assert _account(store, "201")["url"] == "https://olga.example.org/"


def test_twarc_csv_keeps_the_twarc_stamp_in_raw(ingested):
    # Unmapped columns are kept in raw, twarc's provenance stamp (__twarc.*) included.
    # Exposes a core bug: the pipeline (pipeline.py, _store_tabular) and sql.json_of drop
    # every source column whose name starts with "_", mistaking it for an internal column.
    _, store = ingested("twarc.csv")
    [raw] = rows(store, "SELECT raw FROM posts WHERE post_id = '1'")
    payload = json.loads(raw["raw"])
    assert payload["__twarc.url"] == "https://api.twitter.com/2/tweets/search/all?query=example"
    assert payload["__twarc.version"] == "2.14.0"


def test_twarc_csv_of_a_collection_dedupes_against_its_json(store):
    # The same collection as twarc2 pages and as twarc-csv: tweets 1-4 and 6 are duplicates.
    ingest(store, [FIX / "v2_pages.jsonl"])
    summary = ingest(store, [FIX / "twarc.csv"])
    assert (summary.posts, summary.duplicates) == (0, 5)


@pytest.mark.realdata
def test_real_v1_user_profiles_are_not_statuses():
    # The Bot Repository's profiles are v1.1 objects with "user" and "created_at" but no
    # status id or text: twitter-v1 must not claim them (botrepo-profiles does).
    path = shared("accounts/verified-2019_profiles.json")
    sn = sniff(next(iter_sources(path)))
    assert sn.kind == "json-array"
    assert registered_formats()["twitter-v1"].detect(sn) == 0
    assert registered_formats()["twitter-v2"].detect(sn) == 0
