"""Telegram Desktop export (result.json): mapping, detection, streaming and damaged files.

Fixture tests/fixtures/telegram/result.json is a public channel (id 1001) with 9 messages:

1. service ``create_channel``                      -> quarantined "not a post: service ..."
2. plain Russian text; ``date`` is local (UTC+3), ``date_unixtime`` wins; three reactions
3. text as a list with a hashtag (Cyrillic), a mention and a link; a photo; edited
4. forward from another channel                      -> kind retweet, ref account
5. reply to message 3                                -> kind reply, ref_post_id 1001/3
6. text_link and mention_name; a video not downloaded (placeholder, no media id)
7. unparseable ``date`` and no ``date_unixtime``     -> quarantined "unparseable date: ..."
8. old-style export: no ``date_unixtime``, no ``from``/``from_id``, plain string text with a
   hashtag and no entity list, views, a downloaded file
9. service ``pin_message``                           -> quarantined
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infoscope.errors import InfoscopeError, InputEncodingError
from infoscope.ingest import get_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.store import Store

from .conftest import FIXTURES, rows, run_cli

FIX = FIXTURES / "telegram" / "result.json"


def _posts(store: Any) -> dict[str, dict[str, Any]]:
    return {r["post_id"]: r for r in rows(store, "SELECT * FROM posts")}


def _write(tmp_path: Path, export: dict[str, Any], name: str = "result.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(export, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _msg(i: int, text: Any = "hi", **fields: Any) -> dict[str, Any]:
    """A minimal Telegram Desktop message (1 March 2021 10:00 UTC + i minutes)."""
    return {
        "id": i,
        "type": "message",
        "date": "2021-03-01T10:00:00",
        "date_unixtime": str(1614592800 + 60 * i),
        "text": text,
        **fields,
    }


def test_fixture_summary(store):
    summary = ingest(store, [FIX])
    assert summary.formats == {"telegram": 1}
    assert summary.records == 9  # every message, service ones included
    assert summary.posts == 6
    assert summary.accounts == 1  # the channel: its posts' sender is the channel itself
    assert summary.duplicates == 0
    assert dict(summary.quarantined) == {"not a post": 2, "unparseable date": 1}


def test_fixture_posts_exact(store):
    ingest(store, [FIX])
    posts = _posts(store)
    assert sorted(posts) == ["1001/2", "1001/3", "1001/4", "1001/5", "1001/6", "1001/8"]
    # Expected columns per message (see the module docstring for each message's purpose).
    expected = {
        "1001/2": dict(
            kind="original",
            text="Доброе утро, подписчики!",
            # date_unixtime 1614592800 wins over the local "13:00" of the exporting machine
            created_at=datetime(2021, 3, 1, 10, 0, tzinfo=UTC),
            hashtags=[],
            mentions=[],
            urls=[],
            media_ids=None,
            metrics={"reactions": 8, "reaction:👍": 5, "reaction:🔥": 2},
            raw=None,
        ),
        "1001/3": dict(
            kind="original",
            text="Новости #Москва и @Other_Channel https://example.org/news?utm_source=tg",
            created_at=datetime(2021, 3, 1, 11, 0, tzinfo=UTC),
            hashtags=["москва"],
            mentions=["other_channel"],
            urls=["example.org/news"],  # normalised: scheme and utm_ parameter dropped
            media_ids=["photos/photo_3@01-03-2021_14-00-00.jpg"],
            metrics=None,
            raw='{"edited":"2021-03-01T14:05:00","edited_unixtime":"1614596700",'
            '"width":1280,"height":720}',
        ),
        "1001/4": dict(
            kind="retweet",
            ref_account_id="channel2002",
            ref_account_handle="Example News",
            ref_post_id=None,  # the export does not give the original message id
            text="Breaking: example headline",
        ),
        "1001/5": dict(
            kind="reply",
            ref_post_id="1001/3",
            ref_account_id=None,
            ref_account_handle=None,
        ),
        "1001/6": dict(
            text="Read here, thanks Ivan",
            urls=["example.com/Article"],  # text_link href, normalised
            mentions=["user3003"],  # mention_name: the user's id as an account id
            media_ids=None,  # "(File not included ...)" is not a media id
            raw='{"media_type":"video_file","mime_type":"video/mp4"}',
        ),
        "1001/8": dict(
            # no unixtime: the local "date" is read as UTC
            created_at=datetime(2021, 3, 2, 9, 30, tzinfo=UTC),
            # no from_id in a channel: the channel's own post
            account_id="channel1001",
            account_handle="Тестовый канал",
            # no entity list: extracted from the text at store time
            hashtags=["report"],
            media_ids=["files/report.pdf"],
            metrics={"views": 1500},
        ),
    }
    for post_id, want in expected.items():
        got = {k: posts[post_id][k] for k in want}
        assert got == want, post_id
    for post in posts.values():
        assert post["platform"] == "telegram"
        assert post["account_id"] == "channel1001"
        assert post["format"] == "telegram"
        assert post["source"] == str(FIX)
        assert post["source_line"] is None  # a JSON document has no per-message lines
    assert {p["post_id"]: p["source_record"] for p in posts.values()} == {
        "1001/2": 2,
        "1001/3": 3,
        "1001/4": 4,
        "1001/5": 5,
        "1001/6": 6,
        "1001/8": 8,
    }


def test_fixture_accounts_and_quarantine(store):
    ingest(store, [FIX])
    accounts = rows(
        store, "SELECT account_id, handle, display_name, raw, source_record FROM accounts"
    )
    assert accounts == [
        {
            "account_id": "channel1001",
            "handle": "Тестовый канал",
            "display_name": "Тестовый канал",
            "raw": '{"type":"public_channel"}',
            "source_record": 0,  # the export's header, not a message
        }
    ]
    quarantine = rows(store, "SELECT source_record, reason FROM quarantine ORDER BY source_record")
    assert quarantine == [
        {"source_record": 1, "reason": "not a post: service message (create_channel)"},
        {"source_record": 7, "reason": unparseable_date_reason("yesterday")},
        {"source_record": 9, "reason": "not a post: service message (pin_message)"},
    ]
    raw = json.loads(rows(store, "SELECT raw FROM quarantine WHERE source_record = 7")[0]["raw"])
    assert raw["text"] == "Дата испорчена"  # the whole message is kept for inspection


def test_date_format_reads_hand_edited_dates(store, tmp_path):
    """An export whose dates were rewritten by another tool (no ``date_unixtime``): read with
    --date-format, and quarantined with the value and the fix without it."""
    messages = [
        {"id": 1, "type": "message", "date": "01.03.2021 10:05", "text": "one"},
        {"id": 2, "type": "message", "date": "01.03.2021 10:06:30", "text": "two"},
    ]
    export = {"name": "Edited", "type": "public_channel", "id": 55, "messages": messages}
    path = _write(tmp_path, export)
    summary = ingest(store, [path])
    assert summary.posts == 0
    assert rows(store, "SELECT reason FROM quarantine ORDER BY source_record") == [
        {"reason": unparseable_date_reason("01.03.2021 10:05")},
        {"reason": unparseable_date_reason("01.03.2021 10:06:30")},
    ]
    with Store.open(tmp_path / "second.duckdb") as second:
        summary = ingest(second, [path], date_format=("%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M"))
        assert summary.posts == 2 and not summary.quarantined
        assert [r["created_at"] for r in rows(second, "SELECT created_at FROM posts "
                                              "ORDER BY 1")] == [
            datetime(2021, 3, 1, 10, 5, tzinfo=UTC), datetime(2021, 3, 1, 10, 6, 30, tzinfo=UTC)
        ]  # fmt: skip


def test_detection_from_top_keys():
    (source,) = iter_sources(FIX)
    sn = sniff(source)
    assert sn.kind == "json-object"
    assert {"name", "type", "id", "messages"} <= sn.top_keys
    assert get_format("telegram").detect(sn) == 14


@pytest.mark.parametrize(
    ("document", "detected"),
    [
        ({"name": "c", "type": "public_channel", "id": 1, "messages": []}, True),
        ({"type": "saved_messages", "id": 1, "messages": []}, True),  # saved messages: no name
        ({"messages": [], "count": 0}, False),  # "messages" alone is too weak a marker
        ({"name": "x", "type": "y", "items": []}, False),
    ],
)
def test_detection_table(tmp_path, document, detected):
    path = _write(tmp_path, document)
    (source,) = iter_sources(path)
    assert (get_format("telegram").detect(sniff(source)) > 0) is detected


def test_one_line_export_is_detected(store, tmp_path):
    # A minified export fits on one line and the sniffer calls it JSON Lines.
    path = tmp_path / "min.json"
    path.write_bytes(
        json.dumps({"name": "g", "type": "public_channel", "id": 5, "messages": [_msg(1)]}).encode()
    )
    summary = ingest(store, [path])
    assert summary.formats == {"telegram": 1} and summary.posts == 1
    assert [r["post_id"] for r in rows(store, "SELECT post_id FROM posts")] == ["5/1"]


def test_group_senders_replies_and_deleted_accounts(store, tmp_path):
    export = {
        "name": "Обсуждение",
        "type": "private_supergroup",
        "id": 777,
        "messages": [
            # a user's message: the sender becomes an account
            _msg(1, "Привет всем", **{"from": "Анна", "from_id": "user11"}),
            # a second user replies to it
            _msg(2, "Hi Anna", **{"from": "Bob", "from_id": "user22", "reply_to_message_id": 1}),
            # the same user again: no second account
            _msg(3, "again", **{"from": "Bob", "from_id": "user22"}),
            # a deleted account: name null, id kept
            _msg(4, "ghost", **{"from": None, "from_id": "user33"}),
            # a reply to a message of another chat (a linked channel)
            _msg(
                5,
                "x",
                **{
                    "from_id": "user11",
                    "reply_to_message_id": 9,
                    "reply_to_peer_id": "channel4242",
                },
            ),
            # a group message without any sender: account unknown, not the group
            _msg(6, "anon"),
            # a forward from a deleted account: Telegram writes its name as null
            _msg(7, "fwd", **{"from_id": "user22", "forwarded_from": None}),
        ],
    }
    summary = ingest(store, [_write(tmp_path, export)])
    assert summary.posts == 7
    accounts = {
        r["account_id"]: (r["handle"], r["source_record"])
        for r in rows(store, "SELECT * FROM accounts")
    }
    assert accounts == {
        "channel777": ("Обсуждение", 0),  # a supergroup's peer id is a channel id
        "user11": ("Анна", 1),
        "user22": ("Bob", 2),
        "user33": (None, 4),
    }
    posts = _posts(store)
    assert (posts["777/2"]["kind"], posts["777/2"]["ref_post_id"]) == ("reply", "777/1")
    assert posts["777/5"]["ref_post_id"] == "4242/9"
    assert posts["777/6"]["account_id"] is None
    fwd = posts["777/7"]
    assert (fwd["kind"], fwd["ref_account_id"], fwd["ref_account_handle"]) == (
        "retweet",
        None,
        None,
    )
    assert posts["777/1"]["text"] == "Привет всем"


def test_entities_from_text_parts_when_no_entity_list(store, tmp_path):
    # Some exports (and hand-made files) have the object parts in "text" only.
    text = ["see ", {"type": "hashtag", "text": "#Тест"}, " ", {"type": "bold", "text": "bold"}]
    export = {"name": "c", "type": "public_channel", "id": 1, "messages": [_msg(1, text)]}
    ingest(store, [_write(tmp_path, export)])
    post = _posts(store)["1/1"]
    assert (post["text"], post["hashtags"], post["mentions"]) == ("see #Тест bold", ["тест"], [])


def test_truncated_export_keeps_messages_before_the_cut(store, tmp_path):
    export = {
        "name": "c",
        "type": "public_channel",
        "id": 1,
        "messages": [_msg(i, f"message {i}") for i in range(1, 6)],
    }
    full = json.dumps(export, indent=1).encode()
    path = tmp_path / "cut.json"
    # Cut inside message 4: messages 1-3 are complete.
    path.write_bytes(full[: full.index(b'"message 4"')])
    summary = ingest(store, [path])
    assert summary.posts == 3
    assert dict(summary.quarantined) == {"invalid JSON": 1}
    (q,) = rows(store, "SELECT source_record, reason FROM quarantine")
    assert q["source_record"] == 4
    assert q["reason"].startswith("invalid JSON: ")
    assert q["reason"].endswith("(after message 3; the rest of the file is not read)")


def test_export_without_chat_id_is_refused_with_a_message(store, tmp_path):
    path = _write(tmp_path, {"name": "c", "type": "public_channel", "messages": [_msg(1)]})
    with pytest.raises(InfoscopeError, match="no chat 'id' before 'messages'"):
        ingest(store, [path])
    result = run_cli("ingest", str(path), "--store", str(tmp_path / "cli.duckdb"))
    assert result.exit_code == 1
    assert "no chat 'id' before 'messages'" in result.stderr
    assert "Traceback" not in result.output


def test_resaved_in_cp1251_needs_encoding(store, tmp_path):
    export = {
        "name": "Канал",
        "type": "public_channel",
        "id": 3,
        "messages": [_msg(1, "Привет"), _msg(2, "Пока")],
    }
    path = tmp_path / "cp1251.json"
    path.write_bytes(json.dumps(export, ensure_ascii=False).encode("cp1251"))
    with pytest.raises(InputEncodingError, match="--encoding cp1251"):
        ingest(store, [path])
    assert rows(store, "SELECT count(*) n FROM posts") == [{"n": 0}]
    summary = ingest(store, [path], encoding="cp1251")
    assert summary.posts == 2
    assert rows(store, "SELECT text FROM posts ORDER BY post_id") == [
        {"text": "Привет"},
        {"text": "Пока"},
    ]
    assert rows(store, "SELECT handle FROM accounts") == [{"handle": "Канал"}]


def test_bad_byte_past_the_head_names_the_message(store, tmp_path):
    # The head is clean UTF-8; message 2000 has a Latin-1 "é" far past the first 64 KiB.
    export = {
        "name": "c",
        "type": "public_channel",
        "id": 3,
        "messages": [_msg(i, "x" * 60) for i in range(1, 2001)],
    }
    data = json.dumps(export).encode()
    cut = data.rindex(b"x" * 60)
    path = tmp_path / "mixed.json"
    path.write_bytes(data[:cut] + "é".encode("latin-1") + data[cut + 1 :])
    with pytest.raises(InputEncodingError, match="not valid UTF-8 after message 1999"):
        ingest(store, [path])


def test_large_export_streams_past_the_sniffed_head(store, tmp_path):
    # 3,000 Cyrillic messages (~0.7 MB): the 64 KiB head that detection and the chat header
    # are read from ends inside a message and inside a two-byte character (the chat name is
    # padded until it does).
    from infoscope.ingest.sources import HEAD_BYTES

    for pad in range(100):
        export = {
            "name": "Большой" + "x" * pad,
            "type": "public_channel",
            "id": 9,
            "messages": [_msg(i, f"Сообщение {i} #тег{i % 7} " + "ж" * 40) for i in range(1, 3001)],
        }
        path = _write(tmp_path, export)
        data = path.read_bytes()
        if data[HEAD_BYTES] & 0xC0 == 0x80:  # a UTF-8 continuation byte: the cut splits it
            break
    assert data[HEAD_BYTES] & 0xC0 == 0x80 and len(data) > 4 * HEAD_BYTES
    summary = ingest(store, [path])
    assert summary.formats == {"telegram": 1}
    assert summary.posts == 3000 and not summary.quarantined
    assert rows(store, "SELECT count(DISTINCT post_id) n, max(source_record) m FROM posts") == [
        {"n": 3000, "m": 3000}
    ]
    # No entity list in these messages: hashtags are extracted from the text at store time.
    assert rows(store, "SELECT hashtags FROM posts WHERE post_id = '9/3000'") == [
        {"hashtags": ["тег4"]}
    ]


def test_same_export_twice_and_a_copy(store, tmp_path):
    first = ingest(store, [FIX])
    again = ingest(store, [FIX])
    assert again.skipped_files == [str(FIX)] and again.posts == 0
    copy = tmp_path / "copy.json"
    copy.write_bytes(FIX.read_bytes() + b"\n")  # different bytes, same messages
    dup = ingest(store, [copy])
    assert dup.posts == 0 and dup.duplicates == first.posts
    assert rows(store, "SELECT count(*) n FROM posts") == [{"n": 6}]


def test_cli_ingest_json_summary(tmp_path):
    result = run_cli("ingest", str(FIX), "--store", str(tmp_path / "s.duckdb"), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["posts"], data["quarantined"], data["formats"]) == (6, 3, {"telegram": 1})
