"""JSON Lines mapped in the engine store exactly what the Python reader stores.

Every fixture of each format with an engine mapping (`infoscope.ingest._columnar`) is ingested
twice, once with ``INFOSCOPE_INGEST_ENGINE=python`` (the reference: every record parsed and
mapped in Python) and once by the engine, into two stores; the rows of ``posts``,
``accounts``, ``account_labels`` and ``quarantine`` must be identical (the run id aside), and so
must the summaries. Besides the real-shaped fixtures, `EDGE_LINES` holds one line per case the
engine maps or hands to Python (each with its reason); the edge corpus is also read with a
small record limit and small blocks, so that oversized lines and records spread over many
blocks are compared too, and damaged by Hypothesis (bytes replaced, deleted, repeated or
inserted in a few lines: invalid JSON, stray nulls, repeated keys, odd values) and compared
again.
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from infoscope.errors import InfoscopeError, InputEncodingError
from infoscope.ingest import _columnar, ingest
from infoscope.ingest._columnar import ENGINE_SWITCH
from infoscope.store import Store

from .conftest import FIXTURES

TABLES = {
    "posts": "platform, post_id",
    "accounts": "platform, account_id",
    "account_labels": "platform, account_id, label_key, label_value",
    "quarantine": "source, source_record, reason",
}
STAMP = {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.14.0"}
ALICE = {
    "id": "101",
    "username": "Alice_A",
    "name": "Alice",
    "created_at": "2015-05-05T05:05:05.000Z",
    "description": "Reporter",
    "location": "Kyiv",
    "verified": True,
    "url": "https://t.co/alice",
    "entities": {
        "url": {"urls": [{"url": "https://t.co/alice", "expanded_url": "https://a.net/"}]}
    },
    "public_metrics": {"followers_count": 900, "following_count": 90, "tweet_count": 9000},
}
BORIS = {"id": "102", "username": "boris", "name": "Борис", "verified": False}
# Boris again with more keys: the fuller object wins within a tweet, and the store fills the
# fields the first object lacked.
BORIS_FULL = {**BORIS, "description": "Писатель", "location": "Минск", "protected": False}
DMITRI = {"id": "103", "username": "dmitri", "name": "Dmitri", "created_at": "2010-01-01T00:00:00Z"}


def _tweet(tid: Any, **fields: Any) -> dict[str, Any]:
    tweet = {
        "id": tid,
        "text": f"tweet {tid}",
        "created_at": "2022-01-01T10:00:00.000Z",
        "author_id": "101",
        "lang": "en",
        "public_metrics": {"retweet_count": 1, "reply_count": 0, "like_count": 3, "quote_count": 0},
        "author": ALICE,
        "__twarc": STAMP,
    }
    tweet.update(fields)
    return tweet


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _spaced(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


ORIGINAL = _tweet(
    "1",
    text="Hello #Tag #ΟΔΟΣ #İZMİR @Someone https://t.co/x https://t.co/pic https://t.co/e",
    entities={
        "hashtags": [{"tag": "Tag"}, {"tag": "ΟΔΟΣ"}, {"tag": "İZMİR"}],
        "mentions": [{"start": 21, "end": 29, "username": "Someone", "id": "555"}],
        "urls": [
            {"url": "https://t.co/x", "expanded_url": "https://www.example.com/a/?utm_source=x"},
            {"url": "https://t.co/pic", "expanded_url": "https://t.co/p", "media_key": "3_1"},
            {"url": "https://t.co/e", "expanded_url": ""},
        ],
    },
    attachments={"media_keys": ["3_1", ""]},
)
RETWEET = _tweet(
    "2",
    author_id="102",
    author=BORIS,
    text="RT @dmitri: The full original text, longer than a retweet sh…",
    entities={"mentions": [{"start": 3, "end": 10, **DMITRI}]},
    referenced_tweets=[
        {
            "type": "retweeted",
            "id": "900",
            "text": "The full original text #Longread https://t.co/orig",
            "author_id": "103",
            "entities": {
                "hashtags": [{"tag": "Longread"}],
                "urls": [{"url": "https://t.co/orig", "expanded_url": "https://n.example.com/s"}],
            },
            "attachments": {"media_keys": ["3_900"]},
            "author": DMITRI,
        }
    ],
)
# (why, line): one line per case; "engine" lines are mapped in the engine, the others are
# parsed in Python (the reason is said).
EDGE_LINES: list[tuple[str, str]] = [
    (
        "engine: an original with entities, non-ASCII hashtags (final sigma, dotted I), media",
        _compact(ORIGINAL),
    ),
    (
        "engine: a retweet of an expanded tweet, spaced like json.dumps; the mention with a "
        "name is Dmitri's fuller object",
        _spaced(RETWEET),
    ),
    (
        "engine: a retweet of a tweet not expanded",
        _compact(_tweet("3", referenced_tweets=[{"type": "retweeted", "id": "901"}])),
    ),
    (
        "engine: a quote of an expanded tweet by Boris",
        _compact(
            _tweet(
                "4",
                referenced_tweets=[
                    {
                        "type": "quoted",
                        "id": "902",
                        "text": "q",
                        "author_id": "102",
                        "author": BORIS,
                    }
                ],
            )
        ),
    ),
    (
        "engine: a reply; the expanded tweet's author object (Boris, more keys) wins over "
        "in_reply_to_user",
        _compact(
            _tweet(
                "5",
                in_reply_to_user_id="102",
                in_reply_to_user=BORIS,
                referenced_tweets=[
                    {
                        "type": "replied_to",
                        "id": "903",
                        "text": "p",
                        "author_id": "102",
                        "author": BORIS_FULL,
                    }
                ],
            )
        ),
    ),
    (
        "engine: a reply to a tweet not expanded: the replied-to user from in_reply_to_user_id",
        _compact(
            _tweet(
                "6",
                in_reply_to_user_id="199",
                referenced_tweets=[{"type": "replied_to", "id": "904"}],
            )
        ),
    ),
    (
        "engine: a reference of another type is no kind, its author a user object only",
        _compact(
            _tweet(
                "7",
                referenced_tweets=[
                    {
                        "type": "mentioned",
                        "id": "905",
                        "text": "m",
                        "author_id": "103",
                        "author": DMITRI,
                    }
                ],
            )
        ),
    ),
    (
        "python: two references (a reply that quotes)",
        _compact(
            _tweet(
                "8",
                referenced_tweets=[
                    {"type": "replied_to", "id": "906"},
                    {"type": "quoted", "id": "907"},
                ],
            )
        ),
    ),
    ("engine: an id written as an integer", _compact(_tweet(9))),
    ("python: an id written as a float (missing post id)", _compact(_tweet(10.5))),
    ("python: an id with spaces around it (stripped)", _compact(_tweet(" 11 "))),
    ("python: an empty id (missing post id)", _compact(_tweet(""))),
    (
        "engine: a date with an offset and microseconds",
        _compact(_tweet("12", created_at="2022-01-01T10:00:00.123456+05:30")),
    ),
    (
        "python: a date without a zone (read as UTC)",
        _compact(_tweet("13", created_at="2022-01-01T10:00:00")),
    ),
    (
        "python: a date that does not exist (quarantined)",
        _compact(_tweet("14", created_at="2022-02-30T10:00:00.000Z")),
    ),
    (
        "python: a date in another layout (quarantined)",
        _compact(_tweet("15", created_at="Sat Jan 01 10:00:00 +0000 2022")),
    ),
    ("python: a date as a number (quarantined)", _compact(_tweet("16", created_at=1641031200))),
    (
        "engine: metrics in another order, with a float, a boolean and a string left out",
        _compact(
            _tweet(
                "17",
                public_metrics={
                    "like_count": 2,
                    "score": 1.5,
                    "x": True,
                    "y": "3",
                    "retweet_count": 7,
                },
            )
        ),
    ),
    ("engine: empty metrics (none)", _compact(_tweet("18", public_metrics={}))),
    ("python: entities that are not an object", _compact(_tweet("19", entities="none"))),
    (
        "python: empty entities (an object, or not: Python tells)",
        _compact(_tweet("20", entities={})),
    ),
    (
        "engine: entities with annotations only (empty lists, not extracted from the text)",
        _compact(_tweet("21", text="#x @y", entities={"annotations": [{"type": "Place"}]})),
    ),
    (
        "engine: a tag that is not a string, an item that is not an object, a username number",
        _compact(
            _tweet(
                "22",
                entities={
                    "hashtags": [{"tag": 5}, "x", {"tag": "ok"}],
                    "mentions": [{"username": 7, "id": "556"}],
                },
            )
        ),
    ),
    ("engine: a lang that is not a string, and an empty one", _compact(_tweet("23", lang=5))),
    ("engine: an empty lang", _compact(_tweet("24", lang=""))),
    ("python: a note_tweet (long post)", _compact(_tweet("25", note_tweet={"text": "long " * 60}))),
    (
        "python: a media key that is a number",
        _compact(_tweet("26", attachments={"media_keys": [3]})),
    ),
    (
        "engine: text with escapes, an emoji as a surrogate pair",
        '{"id":"27","text":"line\\nbreak \\"quoted\\" caf\\u00e9 \\ud83d\\ude00",'
        '"created_at":"2022-01-01T10:00:00.000Z","author_id":"101",'
        '"author":{"id":"101","username":"Alice_A"}}',
    ),
    ("engine: text that is not a string (NULL)", _compact(_tweet("28", text=12))),
    ("python: a null somewhere", _compact(_tweet("29", geo=None))),
    (
        "python: a trailing comma (orjson refuses: invalid JSON)",
        '{"id":"30","text":"t","created_at":"2022-01-01T10:00:00Z","author_id":"101",}',
    ),
    (
        "python: NaN (invalid JSON for orjson)",
        '{"id":"31","text":"t","created_at":"2022-01-01T10:00:00Z","author_id":"101","geo":{"lat":NaN}}',
    ),
    (
        "python: a number beyond a double (invalid JSON for orjson)",
        '{"id":"32","text":"t","created_at":"2022-01-01T10:00:00Z","author_id":"101","x":1e400}',
    ),
    ("python: JSON cut short", '{"id":"33","text":"t","created_at":"2022-01-01T10:'),
    (
        "python: a user object nested deeper than orjson reads (invalid JSON)",
        _compact(_tweet("38", author={**ALICE, "x": "DEEP"})).replace(
            '"DEEP"', "[" * 1100 + "]" * 1100
        ),
    ),
    (
        "python: a key read here given twice (orjson keeps the last value, DuckDB the first)",
        _compact(_tweet("39", lang="en"))[:-1] + ',"lang":"fr"}',
    ),
    (
        "python: a key given twice in the entities",
        _compact(_tweet("42", entities={"hashtags": [{"tag": "a"}]}))[:-1].replace(
            '"entities":{', '"entities":{"hashtags":[],'
        )
        + "}",
    ),
    (
        "engine: a key not read here given twice (the line is its raw)",
        _compact(_tweet("43"))[:-1] + ',"edit_controls":1,"edit_controls":2}',
    ),
    ("skipped: a blank line", ""),
    ("skipped: a line of spaces", "   "),
    ("python: a tweet after spaces", "  " + _compact(_tweet("34"))),
    (
        "python: a response page in the middle (two records)",
        _compact(
            {
                "data": [_tweet("35"), _tweet("36", author_id="105")],
                "includes": {"users": [ALICE, {"id": "105", "username": "fedor"}]},
            }
        ),
    ),
    ("python: a stream error (not a tweet)", '{"errors":[{"title":"operational-disconnect"}]}'),
    ("python: an object without id or text (not a tweet)", '{"foo":1}'),
    ("python: an array (not a tweet)", "[1,2]"),
    (
        "engine: Boris as an author with more fields (filled in the stored account)",
        _compact(_tweet("37", author_id="102", author=BORIS_FULL)),
    ),
    ("engine: tweet 1 again (a duplicate)", _compact(ORIGINAL)),
]


def _write(path: Path, lines: list[str], end: str = "\n") -> Path:
    path.write_bytes((end.join(lines) + end).encode("utf-8"))
    return path


def _edge(tmp_path: Path) -> Path:
    return _write(tmp_path / "edge.jsonl", [line for _, line in EDGE_LINES])


def _rows(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    for table, key in TABLES.items():
        columns = [
            r[0] for r in store.con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "ingest_run"
        ]
        out[table] = store.con.execute(
            f"SELECT {', '.join(columns)} FROM {table} ORDER BY {key}, {', '.join(columns)}"
        ).fetchall()
    return out


def _both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, paths: list[Path], **options: Any
) -> tuple[Any, Any, int]:
    """(rows, summary) by Python and by the engine, and the records the engine mapped."""
    mapped = []
    real = _columnar._map_block

    def counting(*args: Any, **kwargs: Any) -> _columnar.Block:
        block = real(*args, **kwargs)
        mapped.append(block.records)
        return block

    results = []
    with monkeypatch.context() as patch:
        patch.setattr(_columnar, "_map_block", counting)
        for engine in ("python", "engine"):
            patch.setenv(ENGINE_SWITCH, engine)
            with Store.open(tmp_path / f"{engine}.duckdb") as store:
                try:
                    summary = ingest(store, paths, **options).as_dict()
                except InfoscopeError as error:
                    # A file refused whole (not UTF-8 before any record): the same refusal,
                    # with the same message naming the line, and nothing stored.
                    results.append((_rows(store), {"error": str(error)}))
                    continue
                for volatile in ("run_id", "seconds"):
                    summary.pop(volatile)
                results.append((_rows(store), summary))
    return results[0], results[1], sum(mapped)


def _assert_same(python: Any, engine: Any) -> None:
    for table in TABLES:
        assert engine[0][table] == python[0][table], table
    assert engine[1] == python[1]


FIXTURE_CASES = {
    "twitter-v2": ["twitter/v2_flat.jsonl", "twitter/v2_pages.jsonl"],
}


def test_every_engine_mapping_has_fixtures():
    assert set(FIXTURE_CASES) == set(_columnar._MAPPINGS)


@pytest.mark.parametrize(
    ("fmt", "fixture"), [(f, x) for f, xs in FIXTURE_CASES.items() for x in xs]
)
def test_fixture_rows_are_the_python_readers(tmp_path, monkeypatch, fmt, fixture):
    python, engine, _ = _both(tmp_path, monkeypatch, [FIXTURES / fixture], format=fmt)
    _assert_same(python, engine)


def test_flattened_fixture_is_mapped_in_the_engine(tmp_path, monkeypatch):
    # Every line of the twarc2 flatten fixture has the shape the engine maps.
    python, engine, mapped = _both(tmp_path, monkeypatch, [FIXTURES / "twitter/v2_flat.jsonl"])
    _assert_same(python, engine)
    assert mapped == 4


def test_edge_lines_are_stored_as_python_stores_them(tmp_path, monkeypatch):
    python, engine, mapped = _both(tmp_path, monkeypatch, [_edge(tmp_path)])
    _assert_same(python, engine)
    assert mapped == sum(why.startswith("engine") for why, _ in EDGE_LINES)
    posts = {row[1]: row for row in engine[0]["posts"]}
    assert {"1", "2", "9", "17", "27"} <= set(posts)  # mapped lines are stored, not dropped
    assert engine[1]["duplicates"] == 1


@pytest.mark.parametrize(
    ("limit", "block"),
    [(900, 1 << 20), (900, 4_096), (900, 512), (8 << 20, 2_048)],
    ids=["oversized-lines", "oversized-and-small-blocks", "lines-over-a-block", "small-blocks"],
)
def test_oversized_lines_and_block_edges(tmp_path, monkeypatch, limit, block):
    # With a limit of 900 bytes the longer lines (the original and its duplicate, the retweet,
    # the page...) are quarantined; with blocks of a few kilobytes records are numbered across
    # blocks and a line longer than a block is skipped in chunks.
    monkeypatch.setattr(_columnar, "BLOCK_BYTES", block)
    python, engine, _ = _both(tmp_path, monkeypatch, [_edge(tmp_path)], max_record_bytes=limit)
    _assert_same(python, engine)
    if limit < 1_000:
        assert engine[1]["quarantined_by_reason"]["record too large"] >= 5


def test_crlf_gzip_bom_and_several_files(tmp_path, monkeypatch):
    lines = [line for _, line in EDGE_LINES]
    crlf = _write(tmp_path / "crlf.jsonl", lines, end="\r\n")
    packed = tmp_path / "edge.jsonl.gz"
    packed.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode()))
    # A byte-order mark before the first line: orjson refuses that line (quarantined).
    bom = tmp_path / "bom.jsonl"
    bom.write_bytes(
        b"\xef\xbb\xbf" + (_compact(_tweet("40")) + "\n" + _compact(_tweet("41")) + "\n").encode()
    )
    python, engine, mapped = _both(tmp_path, monkeypatch, [crlf, packed, bom])
    _assert_same(python, engine)
    assert mapped > 0


def test_platform_option(tmp_path, monkeypatch):
    python, engine, _ = _both(tmp_path, monkeypatch, [_edge(tmp_path)], platform="x")
    _assert_same(python, engine)
    assert {row[0] for row in engine[0]["posts"]} == {"x"}


def test_invalid_utf8_fails_with_the_same_message(tmp_path, monkeypatch):
    path = tmp_path / "latin.jsonl"
    good = _compact(_tweet("50")).encode()
    path.write_bytes(good + b"\n" + good.replace(b"tweet 50", b"caf\xe9") + b"\n")
    messages = []
    for engine in ("python", "engine"):
        monkeypatch.setenv(ENGINE_SWITCH, engine)
        with (
            Store.open(tmp_path / f"{engine}.duckdb") as store,
            pytest.raises(InputEncodingError) as err,
        ):
            ingest(store, [path])
        messages.append(str(err.value))
    assert messages[0] == messages[1]
    assert "line 2" in messages[0]


_INSERTS = (b"null", b",", b'"id":"77",', b'"lang":"fr",', b" ", b"\\u00e9", b"1e500", b"NaN", b"}")


@st.composite
def _mutated_corpus(draw: st.DrawFn) -> bytes:
    """The edge corpus with a few lines damaged: bytes replaced, deleted, repeated (a repeated
    span often repeats a key) or inserted."""
    lines = [line.encode() for _, line in EDGE_LINES]
    for _ in range(draw(st.integers(1, 6))):
        k = draw(st.integers(0, len(lines) - 1))
        line = bytearray(lines[k])
        if not line:
            continue
        at = draw(st.integers(0, len(line) - 1))
        op = draw(st.sampled_from(["replace", "delete", "repeat", "insert"]))
        if op == "replace":
            line[at] = draw(st.sampled_from(list(b'{}[],:"\\0123456789aenul -')))
        elif op == "delete":
            del line[at : at + draw(st.integers(1, 20))]
        elif op == "repeat":
            line[at:at] = line[at : at + draw(st.integers(1, 40))]
        else:
            line[at:at] = draw(st.sampled_from(_INSERTS))
        lines[k] = bytes(line)
    return b"\n".join(lines) + b"\n"


_ENTITY_ITEM_KEYS = frozenset({"tag", "username", "id", "name", "url", "expanded_url", "media_key"})


def _repeats_an_entity_item_key(data: bytes) -> bool:
    """Whether a line repeats a key in an object that may be an entity (hashtag, mention or
    URL): the one case the engine reads otherwise (see `infoscope.ingest._twitter_v2_engine`)."""
    found = False

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal found
        keys = [key for key, _ in items]
        repeated = {key for key in keys if keys.count(key) > 1}
        found = found or bool(repeated & _ENTITY_ITEM_KEYS)
        return dict(items)

    for line in data.splitlines():
        try:
            json.loads(line, object_pairs_hook=pairs)
        except ValueError:
            continue
    return found


@settings(
    max_examples=int(os.environ.get("INFOSCOPE_FUZZ_EXAMPLES", "8")),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=_mutated_corpus())
def test_damaged_lines_are_stored_as_python_stores_them(tmp_path_factory, monkeypatch, data):
    assume(not _repeats_an_entity_item_key(data))
    tmp_path = tmp_path_factory.mktemp("damaged")
    path = tmp_path / "damaged.jsonl"
    path.write_bytes(data)
    python, engine, _ = _both(tmp_path, monkeypatch, [path], format="twitter-v2")
    _assert_same(python, engine)
