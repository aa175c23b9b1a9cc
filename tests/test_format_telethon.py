"""Telegram via Telethon (``telethon``): ``Message.to_dict()`` lines, merging with Desktop exports.

Fixture tests/fixtures/telethon/messages.jsonl, one Telethon record a line (channel 1001):

1. the channel's ``Channel`` entity -> account with username, title, subscribers
2. channel post: an emoji (two UTF-16 units) before a Cyrillic hashtag, a mention and a URL;
   a photo; views, forwards, replies, two reactions (one custom emoji) -> original
3. forward of post 7 of channel 2002 -> retweet, ref 2002/7, origin account
4. reply to 2 -> reply, ref 1001/2
5. forward from a user who hides their account (name only) -> retweet, ref handle only
6. ``MessageService`` pin -> quarantined: not a post
7. ``MessageEmpty`` (deleted) -> quarantined: not a post
8. date "not a date" -> quarantined: unparseable date
9. supergroup 3003 (``post`` false): user 44 replies to channel 1001's post 2 (its discussion
   group); mention_name and text_url entities; a document; the date as ``default=str`` writes
   it -> reply, ref 1001/2
10. not JSON -> quarantined: invalid JSON
11. no ``entities`` key, date in epoch seconds -> entities extracted at store time
12. no ``peer_id`` -> quarantined: missing post id
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from infoscope.ingest import detect_format, get_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, rows, run_cli

FIX = FIXTURES / "telethon" / "messages.jsonl"
DESKTOP = FIXTURES / "telegram" / "result.json"
POST_COLUMNS = (
    "post_id, account_id, account_handle, created_at, text, lang, kind, ref_post_id, "
    "ref_account_id, ref_account_handle, hashtags, mentions, urls, media_ids, metrics, "
    "source_line, source_record, platform, format"
)


def _post(line: int, minute: int, text: str | None, **fields: Any) -> dict[str, Any]:
    row = dict(
        account_id="channel1001",
        account_handle=None,  # messages carry no usernames
        created_at=datetime(2024, 1, 1, 10, minute, tzinfo=UTC),
        text=text,
        lang=None,
        kind="original",
        ref_post_id=None,
        ref_account_id=None,
        ref_account_handle=None,
        hashtags=[],
        mentions=[],
        urls=[],
        media_ids=None,
        metrics=None,
        source_line=line,
        source_record=line,
        platform="telegram",
        format="telethon",
    )
    row.update(fields)
    return row


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Store.open(tmp_path_factory.mktemp("telethon") / "s.duckdb") as store:
        summary = ingest(store, [FIX])
        yield store, summary


def test_summary(ingested):
    _, summary = ingested
    assert summary.formats == {"telethon": 1}
    assert (summary.records, summary.posts, summary.accounts) == (12, 6, 4)
    assert dict(summary.quarantined) == {
        "not a post": 2,
        "unparseable date": 1,
        "invalid JSON": 1,
        "missing post id": 1,
    }


def test_posts_exact(ingested):
    store, _ = ingested
    got = {r.pop("post_id"): r for r in rows(store, f"SELECT {POST_COLUMNS} FROM posts")}
    assert got == {
        "1001/2": _post(
            2,
            0,
            "🔥 Новости #Москва и @Other_Channel https://example.org/news?utm_source=tg",
            hashtags=["москва"],  # UTF-16 offsets past the emoji
            mentions=["other_channel"],
            urls=["example.org/news"],  # normalised at store time
            media_ids=["photo:5123456789"],
            # the custom-emoji reaction counts in the total only
            metrics={"views": 1500, "forwards": 12, "replies": 4, "reaction:👍": 5, "reactions": 7},
        ),
        "1001/3": _post(
            3,
            1,
            "Breaking: example headline",
            kind="retweet",
            ref_post_id="2002/7",  # <origin channel>/<channel_post>
            ref_account_id="channel2002",
            metrics={"views": 900},
        ),
        "1001/4": _post(4, 2, "Уточнение к новости", kind="reply", ref_post_id="1001/2"),
        "1001/5": _post(
            5,
            3,
            "Screenshot from a reader",
            kind="retweet",
            ref_account_handle="Hidden Person",  # the origin hides its account: name only
        ),
        "3003/9": _post(
            9,
            8,
            "Спасибо, Иван! Подробнее здесь",
            account_id="user44",
            kind="reply",
            ref_post_id="1001/2",  # reply_to_peer_id: the channel the group discusses
            mentions=["user55"],  # mention_name: the user's id as an account id
            urls=["example.com/Article"],  # text_url target
            media_ids=["document:6987654321"],
        ),
        "1001/11": _post(
            11,
            11,
            "Итоги дня #report",
            # no entities key: extracted from the text at store time
            hashtags=["report"],
        ),
    }


def test_accounts_exact(ingested):
    store, _ = ingested
    got = rows(
        store,
        "SELECT account_id, handle, display_name, followers, url, raw, source_line "
        "FROM accounts ORDER BY account_id",
    )
    kinds = {r["account_id"]: json.loads(r["raw"])["account_kind"] for r in got}
    assert kinds == {
        "channel1001": "channel",  # the Channel entity: broadcast
        "channel2002": "channel",  # a forward's origin channel
        "channel3003": "group",  # post false: a supergroup
        "user44": "user",
    }
    assert {r["account_id"]: r["source_line"] for r in got} == {
        "channel1001": 1,
        "channel2002": 3,
        "channel3003": 9,
        "user44": 9,
    }
    [channel] = [r for r in got if r["account_id"] == "channel1001"]
    assert (channel["handle"], channel["display_name"], channel["followers"], channel["url"]) == (
        "test_channel",
        "Тестовый канал",
        5400,
        "https://t.me/test_channel",
    )
    assert json.loads(channel["raw"])["access_hash"] == 123456789  # the entity is kept whole


def test_quarantine_and_raw(ingested):
    store, _ = ingested
    lines = FIX.read_text(encoding="utf-8").splitlines()
    got = rows(store, "SELECT source_line, reason, raw FROM quarantine ORDER BY 1")
    assert [(q["source_line"], q["reason"]) for q in got] == [
        (6, "not a post: service message (MessageActionPinMessage)"),
        (7, "not a post: empty message"),
        (8, unparseable_date_reason("not a date")),
        (10, "invalid JSON: unexpected character, expected a JSON value: line 1 column 1 (char 0)"),
        (12, "missing post id: no id or peer_id"),
    ]
    assert [q["raw"] for q in got] == [lines[i - 1] for i in (6, 7, 8, 10, 12)]
    # Every field is kept: a post's raw is its whole line (post_author, grouped_id, ...).
    for row in rows(store, "SELECT source_line, raw FROM posts"):
        assert row["raw"] == lines[row["source_line"] - 1]


def test_merges_with_the_desktop_export(store):
    """The same channel from Telethon and from Telegram Desktop: the same post ids."""
    summary = ingest(store, [DESKTOP, FIX])
    assert summary.formats == {"telegram": 1, "telethon": 1}
    assert summary.duplicates == 4  # 1001/2 to 1001/5 are in both files
    assert rows(store, "SELECT count(*) AS n FROM accounts WHERE account_id = 'channel1001'") == [
        {"n": 1}
    ]


def test_date_format_and_json_array(tmp_path):
    lines = FIX.read_text(encoding="utf-8").splitlines()
    message = json.loads(lines[3])
    message["date"] = "01.01.2024 10:02"
    path = tmp_path / "messages.json"
    path.write_text(json.dumps([json.loads(lines[1]), message], indent=1), encoding="utf-8")
    with Store.open(tmp_path / "a.duckdb") as store:
        summary = ingest(store, [path])
        assert summary.formats == {"telethon": 1}
        assert (summary.posts, dict(summary.quarantined)) == (1, {"unparseable date": 1})
    with Store.open(tmp_path / "b.duckdb") as store:
        summary = ingest(store, [path], date_format=("%Y-%m-%dT%H:%M:%S%z", "%d.%m.%Y %H:%M"))
        assert summary.posts == 2
        got = rows(store, "SELECT post_id, created_at FROM posts ORDER BY 1")
        assert [r["created_at"] for r in got] == [
            datetime(2024, 1, 1, 10, 0, tzinfo=UTC),
            datetime(2024, 1, 1, 10, 2, tzinfo=UTC),
        ]


# -- detection -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("record", "detected"),
    [
        ({"_": "Message", "id": 1, "peer_id": {"_": "PeerChannel", "channel_id": 1}}, True),
        ({"_": "MessageService", "id": 1, "peer_id": {}, "action": {}}, True),
        ({"_": "Channel", "id": 1, "title": "t"}, True),  # the chat saved first
        ({"_": "Message", "id": 1, "text": "x"}, False),  # no peer_id
        ({"_": "Photo", "id": 1}, False),
        ({"id": 1, "from_id": 2, "owner_id": 3, "date": 4, "text": "x"}, False),  # a VK post
    ],
)
def test_detection_table(tmp_path, record, detected):
    path = tmp_path / "x.jsonl"
    path.write_text(json.dumps(record) + "\n", encoding="utf-8")
    assert (get_format("telethon").detect(sniff(next(iter_sources(path)))) > 0) is detected


def test_fixture_is_detected_and_no_other_fixture_is_telethon():
    assert detect_format(sniff(next(iter_sources(FIX)))).name == "telethon"
    fmt = get_format("telethon")
    for path in sorted(FIXTURES.rglob("*")):
        if path.is_file() and path.parent.name != "telethon":
            for source in iter_sources(path):
                assert fmt.detect(sniff(source)) == 0, path


def test_cli_ingest_json_summary(tmp_path):
    result = run_cli("ingest", str(FIX), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["formats"] == {"telethon": 1}
    assert (data["records"], data["posts"], data["accounts"], data["quarantined"]) == (12, 6, 4, 5)
