"""Bot Repository profiles and labels (formats ``botrepo-profiles`` and ``botrepo-labels``).

``sample_profiles.json``, one item per case:

1. LocalNews: a full v1.1 user, verified, profile link expanded from ``entities.url``
2. bot_seller_22: empty name/location/description (unknown, not ""), a time zone and lang
3. odd_date: only a numeric ``id`` (no ``id_str``), an unparseable ``created_at`` (kept in
   raw, the account still stored), no entities (the t.co profile link is used)
4. no_id: a user without an id: quarantined
5. a string instead of an object: quarantined

``sample.tsv``: labels of 1001 (human), 1002 (bot) and 1005 (bot, no profile).
``sample_with_bad_lines.tsv`` (needs --format): a header-like line and a three-field line
(quarantined), a blank line (skipped) and an upper-case label ("Bot", stored as "bot").
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import orjson
import pytest

from infoscope.errors import UnknownFormatError
from infoscope.ingest import ingest, registered_formats
from infoscope.ingest.formats import detect_format, sniff
from infoscope.ingest.sources import Source, iter_sources

from .conftest import FIXTURES, rows, shared

FIX = FIXTURES / "botrepo"
PROFILES = FIX / "sample_profiles.json"
LABELS = FIX / "sample.tsv"
BAD_LABELS = FIX / "sample_with_bad_lines.tsv"


def _detect(path):
    return detect_format(sniff(next(iter_sources(path)))).name


def _sniff_bytes(data: bytes):
    return sniff(Source("x", data, io.BufferedReader(io.BytesIO(data))))


def test_detection():
    assert _detect(PROFILES) == "botrepo-profiles"
    assert _detect(LABELS) == "botrepo-labels"
    # A label file with any other line is not detected: it needs --format.
    with pytest.raises(UnknownFormatError):
        _detect(BAD_LABELS)


@pytest.mark.parametrize(
    ("data", "name"),
    [
        # A v1.1 tweet array also has "user", but more keys than the wrapper's two.
        (b'[{"created_at": "x", "id_str": "1", "text": "hi", "user": {"screen_name": "a", '
         b'"followers_count": 1}}]', None),
        (b'[{"created_at": "x", "user": {"id": 1}}]', None),  # no profile fields
        (b"1\thuman\n2\tbot", "botrepo-labels"),  # the last line may lack its newline
        (b"1\thuman\r\n2\tbot\r\n", "botrepo-labels"),  # Windows line ends
        (b"1\tspam\n", None),  # only human/bot are recognised
        (b"user_id\tlabel\n1\thuman\n", "botrepo-labels"),  # a header line is allowed
        (b"\xef\xbb\xbfid\tclass\r\n1\tbot\r\n", "botrepo-labels"),  # BOM, CRLF
        (b"id\tclass\n", None),  # a header alone says nothing
        (b"id\tclass\nname\tbot\n1\thuman\n", None),  # a second header-like line is not
    ],
)  # fmt: skip
def test_detection_table(data, name):
    sn = _sniff_bytes(data)
    formats = registered_formats()
    assert formats["botrepo-profiles"].detect(sn) == (20 if name == "botrepo-profiles" else 0)
    assert formats["botrepo-labels"].detect(sn) == (20 if name == "botrepo-labels" else 0)


def test_profiles_summary(store):
    summary = ingest(store, [PROFILES])
    assert (summary.posts, summary.accounts, summary.labels) == (0, 3, 0)
    assert dict(summary.quarantined) == {"not a profile": 2}


def test_profile_fields_exact(store):
    ingest(store, [PROFILES])
    accounts = {r["account_id"]: r for r in rows(store, "SELECT * FROM accounts")}
    news = accounts["1001"]
    expected = {
        "handle": "LocalNews",
        "display_name": "Local News",
        "description": "News for #Springfield",
        "location": "Springfield",
        "profile_lang": None,
        "time_zone": None,
        "created_at": datetime(2009, 4, 14, 10, 57, 46, tzinfo=UTC),
        "followers": 1200,
        "following": 300,
        "posts_count": 9000,
        "favourites": 50,
        "listed": 12,
        "verified": True,
        "url": "http://www.localnews.example",
        "source_record": 1,
        "format": "botrepo-profiles",
    }
    assert {k: news[k] for k in expected} == expected
    raw = orjson.loads(news["raw"])
    assert raw["fetched_at"] == "Wed Jun 05 20:09:15 +0000 2019"
    assert raw["user"]["profile_image_url_https"] == "https://pbs.example/img.jpg"
    assert "screen_name" not in raw["user"] and "followers_count" not in raw["user"]
    seller = accounts["1002"]
    assert (seller["display_name"], seller["location"], seller["description"]) == (None,) * 3
    assert (seller["time_zone"], seller["profile_lang"], seller["verified"]) == (
        "Pacific Time (US & Canada)",
        "en",
        False,
    )
    odd = accounts["1003"]
    assert (odd["handle"], odd["created_at"], odd["url"]) == (
        "odd_date",
        None,
        "https://t.co/plain",
    )
    assert orjson.loads(odd["raw"])["user"]["created_at"] == "sometime in 2012"


def test_quarantined_items(store):
    ingest(store, [PROFILES])
    got = rows(store, "SELECT source_record, reason, raw FROM quarantine ORDER BY 1")
    assert got == [
        {
            "source_record": 4,
            "reason": "not a profile: no user id",
            "raw": '{"created_at":"Wed Jun 05 20:12:00 +0000 2019",'
            '"user":{"screen_name":"no_id","followers_count":1}}',
        },
        {"source_record": 5, "reason": "not a profile: no user id", "raw": '"not an object"'},
    ]


def test_truncated_array_keeps_the_profiles_before_the_cut(store, tmp_path):
    text = PROFILES.read_text()
    cut = tmp_path / "cut_profiles.json"
    cut.write_text(text[: text.index('{"created_at": "Wed Jun 05 20:11:00')] + '{"created')
    summary = ingest(store, [cut], format="botrepo-profiles")
    assert summary.accounts == 2
    [q] = rows(store, "SELECT source_record, reason FROM quarantine")
    assert q["source_record"] == 3 and q["reason"].startswith("invalid JSON: ")


def test_labels_join_profiles(store):
    summary = ingest(store, [PROFILES, LABELS])
    # 1005 is labelled but has no profile: stored with its id alone.
    assert (summary.accounts, summary.labels) == (4, 3)
    got = rows(
        store,
        "SELECT a.account_id, a.handle, l.label_key, l.label_value, l.source_line "
        "FROM account_labels l JOIN accounts a USING (platform, account_id) ORDER BY 1",
    )
    assert got == [
        {"account_id": "1001", "handle": "LocalNews", "label_key": "botrepo_label",
         "label_value": "human", "source_line": 1},
        {"account_id": "1002", "handle": "bot_seller_22", "label_key": "botrepo_label",
         "label_value": "bot", "source_line": 2},
        {"account_id": "1005", "handle": None, "label_key": "botrepo_label",
         "label_value": "bot", "source_line": 3},
    ]  # fmt: skip


def test_label_file_with_bad_lines_needs_format(store):
    summary = ingest(store, [BAD_LABELS], format="botrepo-labels")
    assert (summary.accounts, summary.labels) == (2, 2)
    labels = {
        r["account_id"]: r["label_value"] for r in rows(store, "SELECT * FROM account_labels")
    }
    assert labels == {"1003": "human", "1004": "bot"}
    got = rows(store, "SELECT source_line, source_record, reason, raw FROM quarantine ORDER BY 1")
    # Records count non-blank lines: the blank line 3 is skipped.
    assert got == [
        {"source_line": 2, "source_record": 2, "reason": "not <user id><TAB><label>",
         "raw": "id\tlabel"},
        {"source_line": 5, "source_record": 4, "reason": "not <user id><TAB><label>",
         "raw": "1006\thuman\textra"},
    ]  # fmt: skip


def test_real_bot_repository_sets(store):
    """Verified humans and vendor-bought bots of the Bot Repository (Yang et al. 2019)."""
    files = [
        shared("accounts/verified-2019_profiles.json"),
        shared("accounts/verified-2019.tsv"),
        shared("accounts/vendor-purchased-2019_profiles.json"),
        shared("accounts/vendor-purchased-2019.tsv"),
    ]
    summary = ingest(store, files)
    assert dict(summary.formats) == {"botrepo-profiles": 2, "botrepo-labels": 2}
    # 1,987 + 1,088 profiles; 13 verified ids and 1 vendor id are labelled without a profile.
    assert (summary.accounts, summary.labels, sum(summary.quarantined.values())) == (3089, 3088, 0)
    counts = rows(
        store,
        "SELECT l.label_value, count(*) AS n, count(a.handle) AS with_profile "
        "FROM account_labels l JOIN accounts a USING (platform, account_id) GROUP BY 1 ORDER BY 1",
    )
    assert counts == [
        {"label_value": "bot", "n": 1088, "with_profile": 1087},
        {"label_value": "human", "n": 2000, "with_profile": 1987},
    ]
    # One vendor profile (615262815) has no label line in the release.
    unlabelled = rows(
        store,
        "SELECT account_id FROM accounts a WHERE NOT EXISTS (SELECT 1 FROM account_labels l "
        "WHERE l.account_id = a.account_id)",
    )
    assert unlabelled == [{"account_id": "615262815"}]
    news = rows(store, "SELECT * FROM accounts WHERE account_id = '31098240'")[0]
    assert (news["handle"], news["followers"], news["verified"], news["url"]) == (
        "Netwerk24",
        188419,
        True,
        "http://www.netwerk24.com",
    )
    assert news["created_at"] == datetime(2009, 4, 14, 10, 57, 46, tzinfo=UTC)


def test_account_provenance_comes_from_one_record(store):
    """Regression (core, staging.Stager.accounts): provenance columns are merged field by field
    like profile fields, so a profile later labelled from the TSV got the TSV's line number
    next to the JSON file's name. An account's provenance must name one input record."""
    ingest(store, [PROFILES, LABELS])
    news = rows(
        store,
        "SELECT source, source_line, source_record, format FROM accounts WHERE account_id = '1001'",
    )
    assert news == [
        {
            "source": str(PROFILES),
            "source_line": None,  # a JSON array item has no line
            "source_record": 1,
            "format": "botrepo-profiles",
        }
    ]


def test_headered_labels_skip_the_header(store, tmp_path):
    path = tmp_path / "labels.tsv"
    path.write_bytes(b"\xef\xbb\xbfid\tclass\r\n1001\thuman\r\n1002\tBot\r\nx\tbot\r\n")
    # A bad line keeps the file from being detected (see the table above): --format.
    summary = ingest(store, [path], format="botrepo-labels")
    assert (summary.accounts, summary.labels) == (2, 2)
    assert summary.quarantined == {"not <user id><TAB><label>": 1}
    assert rows(store, "SELECT account_id, label_value, source_line FROM account_labels "
                "ORDER BY 1") == [
        {"account_id": "1001", "label_value": "human", "source_line": 2},
        {"account_id": "1002", "label_value": "bot", "source_line": 3},
    ]  # fmt: skip
    assert rows(store, "SELECT source_line, reason FROM quarantine") == [
        {"source_line": 4, "reason": "not <user id><TAB><label>"}
    ]
