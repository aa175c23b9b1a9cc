"""VK API wall posts and comments: responses with profiles and groups, and items one a line.

Fixtures (tests/fixtures/vk/, invented accounts and texts):

- wall_get.json, one pretty-printed wall.get response (extended=1) of 5 items:
  1 community -1001's post with a photo, a link (tracking parameter), mention markup
  [id501|Анна], a plain @mention, a hashtag and all four counters;
  2 user 502's repost of it without text -> retweet carrying the original's content;
  3 user 501's repost of community -2002's post with text -> quote;
  4 a text date "вчера" -> quarantined; 5 an item without id -> quarantined.
  profiles 501, 502 and 503 (named by no item), groups 1001 and 2002.
- wall_comments.jsonl: a wall.getComments response (extended, with threads): comment 201 on
  post -1001_101 with a thread reply 202 (to comment 201 and user 501, mention markup),
  comment 203 by the community with a video, a deleted comment 204 -> quarantined; then an
  API error line -> quarantined.
- items.jsonl: two posts one a line (no profiles: accounts by id with their kind) and a line
  that is not JSON -> quarantined.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from infoscope.ingest import detect_format, ingest, sniff
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.ingest.sources import iter_sources
from infoscope.ingest.vk import vk_mentions
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows
from .test_format_youtube import claimed_elsewhere

FIX = FIXTURES / "vk"
COLS = (
    "account_id, account_handle, created_at, text, kind, ref_post_id, ref_account_id, "
    "ref_account_handle, hashtags, mentions, urls, media_ids, metrics, source_record"
)
ORIGINAL_TEXT = "Новости дня #выборы [id501|Анна] и @boris_vk"


def _utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def _posts(store: Store) -> dict[str, tuple]:
    found = {}
    for r in rows(store, f"SELECT post_id, {COLS} FROM posts"):
        post_id = r.pop("post_id")
        found[post_id] = tuple(r.values())
    return found


def _accounts(store: Store) -> dict[str, tuple]:
    cols = "handle, display_name, followers, verified, raw, source_record"
    found = {}
    for r in rows(store, f"SELECT account_id, {cols} FROM accounts"):
        account_id = r.pop("account_id")
        found[account_id] = (*list(r.values())[:4], json.loads(r["raw"]), r["source_record"])
    return found


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """Each fixture ingested once by the CLI, format detected: name -> (summary, store)."""
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


# -- detection ------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["wall_get.json", "wall_comments.jsonl", "items.jsonl"])
def test_detected_by_response_items_or_item_keys(fixture):
    assert detect_format(sniff(next(iter_sources(FIX / fixture)))).name == "vk"


def test_other_formats_fixtures_are_not_claimed():
    assert claimed_elsewhere("vk", "vk") == []


def test_response_longer_than_the_sniffed_head_is_detected(tmp_path, store):
    response = json.loads((FIX / "wall_get.json").read_text(encoding="utf-8"))
    first = response["response"]["items"][0]
    response["response"]["items"] = [{**first, "id": i} for i in range(1, 201)]
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps(response, ensure_ascii=False) + "\n", encoding="utf-8")
    sn = sniff(next(iter_sources(path)))
    assert sn.kind == "jsonl" and detect_format(sn).name == "vk"
    assert ingest(store, [path]).posts == 200


@pytest.mark.parametrize(
    ("fixture", "records", "posts", "accounts", "quarantined"),
    [
        ("wall_get.json", 5, 3, 5, {"unparseable date": 1, "missing post id": 1}),
        ("wall_comments.jsonl", 5, 3, 3, {"not a post": 2}),
        ("items.jsonl", 3, 2, 2, {"invalid JSON": 1}),
    ],
)
def test_cli_ingest_json_summary(ingested, fixture, records, posts, accounts, quarantined):
    summary, _ = ingested(fixture)
    assert summary["formats"] == {"vk": 1}
    assert (summary["records"], summary["posts"], summary["accounts"]) == (records, posts, accounts)
    assert summary["duplicates"] == 0
    assert summary["quarantined_by_reason"] == quarantined


# -- wall.get ---------------------------------------------------------------------------------


def test_wall_posts_exact(ingested):
    _, store = ingested("wall_get.json")
    assert _posts(store) == {
        # markup mention resolved to the profile's screen name, plus the plain @mention; the
        # link attachment's URL normalised; the photo in VK's notation; four counters
        "-1001_101": (
            "-1001", "news_club", _utc(2024, 3, 1, 8), ORIGINAL_TEXT, "original", None, None,
            None, ["выборы"], ["anna_vk", "boris_vk"], ["example.org/news"],
            ["photo-1001_456239017"],
            {"like_count": 10, "repost_count": 3, "comment_count": 2, "view_count": 1500}, 1,
        ),
        # repost without text: a retweet with the original's text, links and media
        "502_7": (
            "502", "id502", _utc(2024, 3, 1, 8, 10), ORIGINAL_TEXT, "retweet", "-1001_101",
            "-1001", "news_club", ["выборы"], ["anna_vk", "boris_vk"], ["example.org/news"],
            ["photo-1001_456239017"], {"like_count": 0, "repost_count": 0, "view_count": 12}, 2,
        ),
        # repost with text: a quote with its own text only
        "501_8": (
            "501", "anna_vk", _utc(2024, 3, 1, 8, 20), "Посмотрите это", "quote", "-2002_55",
            "-2002", "other_media", [], [], [], None,
            {"like_count": 2, "repost_count": 1, "view_count": 40}, 3,
        ),
    }  # fmt: skip
    assert {r["platform"] for r in rows(store, "SELECT platform FROM posts")} == {"vk"}
    raw = json.loads(rows(store, "SELECT raw FROM posts WHERE post_id = '-1001_101'")[0]["raw"])
    wall = json.loads((FIX / "wall_get.json").read_text(encoding="utf-8"))
    assert raw == wall["response"]["items"][0]  # every field kept (signer_id, hash, ...)


def test_wall_accounts_with_their_kind(ingested):
    _, store = ingested("wall_get.json")
    assert _accounts(store) == {
        "-1001": (
            "news_club", "Новостной клуб", 50000, True,
            {"account_kind": "community", "is_closed": 0, "type": "page",
             "photo_50": "https://sun9-3.userapi.com/g.jpg"}, 1,
        ),
        "502": ("id502", "Boris Ivanov", 12, None, {"account_kind": "user", "is_closed": True}, 2),
        "-2002": (
            "other_media", "Other Media", None, None,
            {"account_kind": "community", "is_closed": 0, "type": "group"}, 3,
        ),
        "501": (
            "anna_vk", "Анна Петрова", None, None,
            {"account_kind": "user", "sex": 1, "photo_50": "https://sun9-2.userapi.com/a.jpg",
             "online": 0, "is_closed": False}, 3,
        ),
        # named by no item: stored with the response's last record
        "503": ("viktor503", "Viktor Only", None, None,
                {"account_kind": "user", "deactivated": "banned"}, 5),
    }  # fmt: skip


def test_wall_quarantine_reasons(ingested):
    _, store = ingested("wall_get.json")
    assert rows(store, "SELECT source_record, source_line, reason FROM quarantine ORDER BY 1") == [
        {"source_record": 4, "source_line": None, "reason": unparseable_date_reason("вчера")},
        {"source_record": 5, "source_line": None, "reason": "missing post id"},
    ]


# -- wall.getComments and items one a line -----------------------------------------------------


def test_comments_exact(ingested):
    _, store = ingested("wall_comments.jsonl")
    assert _posts(store) == {
        # a comment replies to its post; URLs of the text extracted at store time
        "-1001_201": (
            "501", "anna_vk", _utc(2024, 3, 1, 9), "Согласна! https://example.com/src", "reply",
            "-1001_101", None, None, [], [], ["example.com/src"], None,
            {"like_count": 4, "reply_count": 1}, 1,
        ),
        # a thread reply answers comment 201 and its author 501 (markup resolved)
        "-1001_202": (
            "504", "dk504", _utc(2024, 3, 1, 10), "[id501|Анна], источник?", "reply",
            "-1001_201", "501", "anna_vk", [], ["anna_vk"], [], None, {"like_count": 0}, 2,
        ),
        "-1001_203": (
            "-1001", "news_club", _utc(2024, 3, 1, 11), "Спасибо за комментарии", "reply",
            "-1001_101", None, None, [], [], [], ["video-1001_456239100"], None, 3,
        ),
    }  # fmt: skip
    assert rows(store, "SELECT source_record, source_line, reason FROM quarantine ORDER BY 1") == [
        {"source_record": 4, "source_line": 1, "reason": "not a post: deleted comment"},
        {
            "source_record": 5,
            "source_line": 2,
            "reason": "not a post: API error 15 Access denied: post was deleted",
        },
    ]
    raw = json.loads(rows(store, "SELECT raw FROM posts WHERE post_id = '-1001_201'")[0]["raw"])
    assert "thread" not in raw and raw["parents_stack"] == []  # replies are posts of their own


def test_items_one_a_line(ingested):
    _, store = ingested("items.jsonl")
    assert _posts(store) == {
        "505_301": (
            "505", None, _utc(2024, 3, 2, 9), "Join us at https://t.me/example_channel",
            "original", None, None, None, [], [], ["t.me/example_channel"], None,
            {"like_count": 1, "repost_count": 0}, 1,
        ),
        # a member's post on a community wall: the wall is in the id, the member is the author
        "-1001_302": (
            "506", None, _utc(2024, 3, 2, 10), "Posted by a member, signed", "original", None,
            None, None, [], [], [], None, {"comment_count": 0}, 2,
        ),
    }  # fmt: skip
    assert _accounts(store) == {
        "505": (None, None, None, None, {"account_kind": "user"}, 1),
        "506": (None, None, None, None, {"account_kind": "user"}, 2),
    }
    [bad] = rows(store, "SELECT source_line, reason FROM quarantine")
    assert bad["source_line"] == 3 and bad["reason"].startswith("invalid JSON")


def test_text_dates_need_date_format(tmp_path):
    item = {"id": 1, "owner_id": 5, "from_id": 5, "date": "01.03.2024 10:00", "text": "x"}
    path = tmp_path / "items.jsonl"
    path.write_text(json.dumps(item) + "\n", encoding="utf-8")
    with Store.open(tmp_path / "a.duckdb") as store:
        assert dict(ingest(store, [path]).quarantined) == {"unparseable date": 1}
    with Store.open(tmp_path / "b.duckdb") as store:
        assert ingest(store, [path], date_format="%d.%m.%Y %H:%M").posts == 1
        assert rows(store, "SELECT created_at FROM posts") == [{"created_at": _utc(2024, 3, 1, 10)}]


@pytest.mark.parametrize(
    ("text", "mentions"),
    [
        ("no markup @here", None),  # extracted from the text at store time
        ("[id1|Павел] hi", ["id1"]),  # no profile: VK's default screen name
        ("[club45|Клуб], [public7|Паблик] и @durov", ["club45", "public7", "durov"]),
        ("a [broken markup", None),
    ],
)
def test_mention_markup(text, mentions):
    assert vk_mentions(text) == mentions
