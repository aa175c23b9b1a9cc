"""Bad input: every case ends in a one-line error that names the problem and the fix, or in a
quarantined record with its reason; and nothing already stored is lost or duplicated.

Each test first ingests a good file, then the bad one, and compares the store's contents.
Inputs are written to tmp_path at test time (the large ones especially: nothing big is
committed). JSON Lines cases use the "twitter-v1" format (one status a line), tabular ones
"ira-by-author".
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import duckdb
import pytest

from infoscope.errors import (
    InfoscopeError,
    InputEncodingError,
    MissingColumnError,
    StoreVersionError,
    UnknownFormatError,
)
from infoscope.ingest import ingest
from infoscope.ingest.dates import unparseable_date_reason
from infoscope.store import Store

from .bad_input_cases import CASES, run_case
from .conftest import rows, run_cli

IRA_HEADER = (
    "author_id,content,region,language,publish_date,harvested_date,following,followers,"
    "updates,post_type,retweet"
)


def _ira_row(author: str, content: str, date: str, sep: str = ",") -> str:
    fields = [author, content, "US", "English", date, date, "1", "2", "3", "", "0"]
    return sep.join(fields)


def _status(i: int, text: str = "hello", created: str = "Wed Oct 10 20:19:24 +0000 2018") -> str:
    """One Twitter v1.1 status as a JSON line (minimal: id, date, text, user)."""
    return json.dumps(
        {
            "id_str": str(i),
            "created_at": created,
            "text": f"{text} {i}",
            "user": {"id_str": "10", "screen_name": "alice"},
        }
    )


def _good_csv(tmp_path: Path) -> Path:
    # Three distinct tweets of one account: the store's contents before each bad input.
    path = tmp_path / "good.csv"
    path.write_text(
        "\n".join(
            [IRA_HEADER]
            + [
                _ira_row("good_acct", f"good tweet {i}", f"2017-01-0{i} 10:00:00")
                for i in (1, 2, 3)
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


def _good_jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "good.jsonl"
    path.write_text(_status(101) + "\n" + _status(102) + "\n", encoding="utf-8")
    return path


def _contents(store: Store) -> dict[str, Any]:
    """Everything a bad input must not change: posts (with a duplicate check), accounts,
    labels, quarantine rows and the ledger."""
    return {
        "posts": rows(store, "SELECT platform, post_id, text FROM posts ORDER BY ALL"),
        "distinct_posts": rows(store, "SELECT count(DISTINCT (platform, post_id)) n FROM posts"),
        "accounts": rows(store, "SELECT platform, account_id FROM accounts ORDER BY ALL"),
        "labels": store.count("account_labels"),
        "quarantine": rows(
            store, "SELECT source, source_record, reason FROM quarantine ORDER BY ALL"
        ),
        "ledger": rows(store, "SELECT path FROM ingested_sources ORDER BY ALL"),
    }


def _contents_at(path: Path) -> dict[str, Any]:
    with Store.open(path, read_only=True) as store:
        return _contents(store)


def _assert_one_line_error(result: Any, *needles: str) -> None:
    assert result.exit_code != 0
    message = result.stderr.strip()
    assert "\n" not in message, message  # one line
    assert message.startswith("Error: "), message
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in message, (needle, message)


# -- one-line errors, through the CLI -------------------------------------------------------------


def _semicolon(tmp_path: Path) -> Path:
    path = tmp_path / "semicolon.csv"
    path.write_text(
        IRA_HEADER.replace(",", ";")
        + "\n"
        + _ira_row("semi", "semicolon tweet", "2017-02-01 10:00:00", sep=";")
        + "\n",
        encoding="utf-8",
    )
    return path


def _latin1(tmp_path: Path) -> Path:
    # Line 2 is plain ASCII, line 3 has "é" encoded as Latin-1 (byte 0xe9).
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (
            IRA_HEADER
            + "\n"
            + _ira_row("fr_acct", "plain ascii", "2017-03-01 10:00:00")
            + "\n"
            + _ira_row("fr_acct", "café crème", "2017-03-02 10:00:00")
            + "\n"
        ).encode("latin-1")
    )
    return path


def _no_date_column(tmp_path: Path) -> Path:
    path = tmp_path / "no_date.csv"
    path.write_text("author_id,content,post_type,retweet\nx,some text,,0\n", encoding="utf-8")
    return path


def _random_text(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("lorem ipsum dolor sit amet\nconsectetur adipiscing\n", encoding="utf-8")
    return path


def _empty(tmp_path: Path) -> Path:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    return path


# (case, input builder, extra CLI options, what the message must say)
ERROR_CASES = [
    # ';'-separated: no format matches; the message names the delimiter and --delimiter.
    ("semicolon, detected", _semicolon, [], ["semicolon.csv", "';'-delimited", "--delimiter ';'"]),
    # ... and with the format forced, the missing columns and a hint at the delimiter.
    (
        "semicolon, --format",
        _semicolon,
        ["--format", "ira-by-author"],
        ["missing required column(s) author_id, content, publish_date", "--delimiter"],
    ),
    # Latin-1 read as UTF-8: the line and the fix.
    ("latin-1", _latin1, [], ["latin1.csv", "line 3", "not valid UTF-8", "--encoding latin-1"]),
    # A required column is absent: its name.
    (
        "missing column",
        _no_date_column,
        ["--format", "ira-by-author"],
        ["missing required column(s) publish_date", "'ira-by-author'"],
    ),
    # Not any known format: the formats and --format.
    (
        "unknown format",
        _random_text,
        [],
        ["notes.txt", "cannot detect the format", "--format", "ira-by-author", "telegram"],
    ),
    # An empty file: said so. (Expected: an error, as for any file that cannot be ingested;
    # members of archives that are empty are skipped instead.)
    ("empty, detected", _empty, [], ["empty.csv", "empty"]),
    # The same with a format named: still "empty", not a missing-columns message about a
    # header that does not exist.
    ("empty, --format", _empty, ["--format", "ira-by-author"], ["empty.csv", "empty"]),
]


@pytest.mark.parametrize(
    ("builder", "options", "needles"),
    [case[1:] for case in ERROR_CASES],
    ids=[case[0] for case in ERROR_CASES],
)
def test_cli_one_line_error_and_store_unchanged(tmp_path, builder, options, needles):
    store_path = tmp_path / "s.duckdb"
    good = run_cli("ingest", str(_good_csv(tmp_path)), "--store", str(store_path), "--quiet")
    assert good.exit_code == 0, good.output
    before = _contents_at(store_path)
    assert len(before["posts"]) == 3
    result = run_cli(
        "ingest", str(builder(tmp_path)), *options, "--store", str(store_path), "--quiet"
    )
    _assert_one_line_error(result, *needles)
    assert _contents_at(store_path) == before


@pytest.mark.parametrize(
    ("builder", "options", "error"),
    [
        (_semicolon, {}, UnknownFormatError),
        (_latin1, {}, InputEncodingError),
        (_no_date_column, {"format": "ira-by-author"}, MissingColumnError),
        (_random_text, {}, UnknownFormatError),
    ],
)
def test_library_raises_typed_errors(store, tmp_path, builder, options, error):
    ingest(store, [_good_csv(tmp_path)])
    before = _contents(store)
    with pytest.raises(error):
        ingest(store, [builder(tmp_path)], **options)
    assert _contents(store) == before
    # The failed run is recorded as such.
    assert store.runs()[-1].status == "failed"


def test_semicolon_file_ingests_with_delimiter(store, tmp_path):
    ingest(store, [_good_csv(tmp_path)])
    summary = ingest(store, [_semicolon(tmp_path)], delimiter=";")
    assert summary.formats == {"ira-by-author": 1} and summary.posts == 1
    assert rows(store, "SELECT text FROM posts WHERE account_handle = 'semi'") == [
        {"text": "semicolon tweet"}
    ]


def test_latin1_with_encoding_ingests_decoded_text(tmp_path):
    store_path = tmp_path / "s.duckdb"
    run_cli("ingest", str(_good_csv(tmp_path)), "--store", str(store_path), "--quiet")
    path = _latin1(tmp_path)
    assert run_cli("ingest", str(path), "--store", str(store_path), "--quiet").exit_code != 0
    result = run_cli(
        "ingest", str(path), "--encoding", "latin-1", "--store", str(store_path), "--json"
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["posts"] == 2
    with Store.open(store_path, read_only=True) as store:
        texts = rows(store, "SELECT text FROM posts WHERE account_handle = 'fr_acct' ORDER BY 1")
        assert texts == [
            {"text": "café crème"},
            {"text": "plain ascii"},
        ]
        assert store.count("posts") == 5


# -- quarantined records, through ingest() ----------------------------------------------------


def test_truncated_last_jsonl_line_is_quarantined(store, tmp_path):
    ingest(store, [_good_jsonl(tmp_path)])
    before = _contents(store)
    path = tmp_path / "cut.jsonl"
    # Line 3 is cut mid-object, as when a collection stops while writing.
    path.write_text(_status(1) + "\n" + _status(2) + "\n" + _status(3)[:40], encoding="utf-8")
    summary = ingest(store, [path])
    assert summary.formats == {"twitter-v1": 1}
    assert (summary.posts, summary.duplicates) == (2, 0)
    assert dict(summary.quarantined) == {"invalid JSON": 1}
    (q,) = rows(store, f"SELECT * FROM quarantine WHERE source = '{path}'")
    assert (q["source_line"], q["source_record"]) == (3, 3)
    assert q["reason"].startswith("invalid JSON: ")
    assert q["raw"] == _status(3)[:40]
    after = _contents(store)
    assert after["distinct_posts"] == [{"n": 4}]
    assert {(p["post_id"]) for p in after["posts"]} == {"1", "2", "101", "102"}
    assert set(map(str, before["posts"])) <= set(map(str, after["posts"]))


@pytest.mark.parametrize(
    ("name", "content", "raw_date", "line"),
    [
        # Day 31 of February and minute 61: a date-shaped value that is not a date.
        (
            "bad_date.csv",
            IRA_HEADER
            + "\n"
            + _ira_row("d", "ok", "2017-04-01 10:00:00")
            + "\n"
            + _ira_row("d", "bad", "2017-02-31 10:61:00")
            + "\n",
            "2017-02-31 10:61:00",
            3,  # line 1 is the header
        ),
        # A JSON status with a free-text date.
        (
            "bad_date.jsonl",
            _status(7) + "\n" + _status(8, created="yesterday") + "\n",
            "yesterday",
            2,
        ),
    ],
)
def test_unparseable_date_is_quarantined_with_the_raw_value(
    store, tmp_path, name, content, raw_date, line
):
    ingest(store, [_good_csv(tmp_path)])
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    summary = ingest(store, [path])
    assert summary.posts == 1
    assert dict(summary.quarantined) == {"unparseable date": 1}
    (q,) = rows(store, f"SELECT reason, source_line FROM quarantine WHERE source = '{path}'")
    assert q == {"reason": unparseable_date_reason(raw_date), "source_line": line}
    assert store.count("posts") == 4


def test_header_only_file_ingests_nothing_without_error(tmp_path):
    # Expected: a valid file with no records; exit 0, zero records, and it is in the ledger
    # (so a second ingest skips it).
    store_path = tmp_path / "s.duckdb"
    run_cli("ingest", str(_good_csv(tmp_path)), "--store", str(store_path), "--quiet")
    before = _contents_at(store_path)
    path = tmp_path / "header_only.csv"
    path.write_text(IRA_HEADER + "\n", encoding="utf-8")
    result = run_cli("ingest", str(path), "--store", str(store_path), "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["records"], data["posts"], data["quarantined"]) == (0, 0, 0)
    assert data["formats"] == {"ira-by-author": 1}
    after = _contents_at(store_path)
    assert after["ledger"] == [*before["ledger"], {"path": str(path)}]
    assert {k: v for k, v in after.items() if k != "ledger"} == {
        k: v for k, v in before.items() if k != "ledger"
    }
    again = run_cli("ingest", str(path), "--store", str(store_path), "--json")
    assert json.loads(again.stdout)["skipped_files"] == [str(path)]


# -- oversized records: quarantined, never held whole --------------------------------------------

LIMIT = 1 << 20  # --max-record-bytes for these tests


def _oversized_jsonl(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as f:
        f.write(_status(1) + "\n")
        f.write(_status(2, text="x" * size) + "\n")  # one line of `size` bytes
        f.write(_status(3) + "\n")
    return path


def _oversized_csv(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write(IRA_HEADER + "\n")
        f.write(_ira_row("big", "before", "2017-05-01 10:00:00") + "\n")
        # One quoted field of `size` bytes spanning two lines.
        f.write(_ira_row("big", '"' + "y" * size + "\nz" + '"', "2017-05-02 10:00:00") + "\n")
        f.write(_ira_row("big", "after", "2017-05-03 10:00:00") + "\n")
    return path


# Peak Python memory while ingesting must stay far below the oversized record. tracemalloc
# counts every Python object (the bytes read from the file, slices, joins), which is where a
# reader that held the record whole would show it; DuckDB's and Arrow's own allocators are not
# traced, but the oversized record never reaches them. Imports and caches are warmed up by the
# first ingest so that only the reading is measured. The JSON Lines reader reads a long line in
# 1 MiB pieces (peak about 5 MB); the CSV reader works on blocks of 8 MiB and holds up to about
# three of them at once (peak about 26 MB whatever the record size), so its field is 64 MiB and
# the bound is half of it: well below the record, proof that it was never held whole.
@pytest.mark.parametrize(
    ("builder", "size", "bound", "reason_start", "line"),
    [
        (
            _oversized_jsonl,
            30 << 20,
            10 << 20,
            f"record too large: line longer than {LIMIT} bytes",
            2,
        ),
        (_oversized_csv, 64 << 20, 32 << 20, f"record too large: longer than {LIMIT} bytes", 3),
    ],
    ids=["jsonl line", "csv field"],
)
def test_oversized_record_is_quarantined_in_bounded_memory(
    store, tmp_path, builder, size, bound, reason_start, line
):
    ingest(store, [_good_csv(tmp_path)])
    ingest(store, [_good_jsonl(tmp_path)])
    before = _contents(store)
    path = builder(tmp_path, size)
    assert path.stat().st_size > size
    tracemalloc.start()
    try:
        summary = ingest(store, [path], max_record_bytes=LIMIT)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < bound, f"peak Python allocation {peak / 1e6:.1f} MB"
    assert summary.posts == 2 and summary.duplicates == 0
    assert sum(summary.quarantined.values()) == 1
    (q,) = rows(store, f"SELECT * FROM quarantine WHERE source = '{path}'")
    assert q["reason"].startswith(reason_start)
    assert "--max-record-bytes" in q["reason"]
    assert (q["source_line"], q["source_record"]) == (line, 2)
    assert 0 < len(q["raw"]) <= 4096  # a preview, not the record
    after = _contents(store)
    assert after["distinct_posts"] == [{"n": 7}]
    assert set(map(str, before["posts"])) <= set(map(str, after["posts"]))


# -- the store itself -----------------------------------------------------------------------------


def test_store_with_another_schema_version_is_refused(tmp_path):
    store_path = tmp_path / "s.duckdb"
    run_cli("ingest", str(_good_csv(tmp_path)), "--store", str(store_path), "--quiet")
    con = duckdb.connect(str(store_path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    with pytest.raises(StoreVersionError, match="schema version 999"):
        Store.open(store_path)
    for command in (["stats"], ["ingest", str(_good_jsonl(tmp_path)), "--quiet"]):
        result = run_cli(*command, "--store", str(store_path))
        _assert_one_line_error(
            result, "schema version 999", "Ingest your inputs again into a new store (--store NEW)"
        )
    # Nothing was written to the refused store.
    con = duckdb.connect(str(store_path), read_only=True)
    runs = con.execute("SELECT status, count(*) FROM runs GROUP BY ALL").fetchall()
    assert runs == [("completed", 1)]
    assert con.execute("SELECT count(*) FROM posts").fetchall() == [(3,)]
    con.close()


def test_duckdb_file_of_another_program_is_refused_and_untouched(tmp_path):
    store_path = tmp_path / "other.duckdb"
    con = duckdb.connect(str(store_path))
    con.execute("CREATE TABLE measurements (x INTEGER); INSERT INTO measurements VALUES (1)")
    con.close()
    with pytest.raises(InfoscopeError, match="not an infoscope store"):
        Store.open(store_path)
    result = run_cli("ingest", str(_good_csv(tmp_path)), "--store", str(store_path), "--quiet")
    _assert_one_line_error(result, "is a DuckDB file but not an infoscope store", "--store")
    con = duckdb.connect(str(store_path), read_only=True)
    assert con.execute("SELECT table_name FROM duckdb_tables()").fetchall() == [("measurements",)]
    con.close()


def _foreign(path: Path) -> None:
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE measurements (x INTEGER)")
    con.close()


def _version_999(path: Path) -> None:
    Store.open(path).close()
    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()


@pytest.mark.parametrize(
    ("make", "error"),
    [(_foreign, InfoscopeError), (_version_999, StoreVersionError)],
    ids=["not infoscope", "schema 999"],
)
def test_refused_store_is_released(tmp_path, make, error):
    # Regression: Store.open left its DuckDB connection open when it refused the file, so the
    # file stayed held for as long as the exception was referenced (a notebook's last error,
    # click's exception chain in the CLI runner), and opening it again with another
    # configuration (read-only, or from another process) failed.
    store_path = tmp_path / "refused.duckdb"
    make(store_path)
    with pytest.raises(error) as excinfo:
        Store.open(store_path)
    assert excinfo.value is not None  # the exception, and its traceback, are still referenced
    con = duckdb.connect(str(store_path), read_only=True)
    con.close()


def test_file_that_is_not_duckdb_is_refused(tmp_path):
    store_path = tmp_path / "notes.duckdb"
    store_path.write_text("not a database\n", encoding="utf-8")
    result = run_cli("stats", "--store", str(store_path))
    _assert_one_line_error(result, "cannot be opened as an infoscope store", "--store")
    assert store_path.read_text(encoding="utf-8") == "not a database\n"


# -- the bad-input table (benchmarks/bad_inputs.py prints it) ---------------------------------


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bad_input_table(tmp_path, case):
    """Each case: its exit code, a message that names the problem and the fix (one line for an
    error, never a traceback), and the store unchanged, or only added to with the three good
    posts intact and none duplicated."""
    outcome = run_case(case, tmp_path)
    if outcome.message.startswith("SKIPPED"):
        pytest.skip(outcome.message)
    assert not outcome.message.startswith("CRASH"), outcome.message
    assert outcome.exit_code == case.exit_code, outcome
    if outcome.exit_code == 1:
        assert outcome.message.startswith("Error: ") and "\n" not in outcome.message
    for needle in case.needles:
        assert needle in outcome.message, (needle, outcome.message)
    assert outcome.intact
    assert outcome.store == case.store


def test_bad_input_table_covers_the_issue_list():
    assert len(CASES) >= 25


def test_json_format_named_skips_text_members_of_an_archive(store, tmp_path):
    """Regression guard for the --format container check: inside an archive, a member the
    named JSON format cannot read (a README) is skipped, not an error for the archive."""
    import io
    import tarfile

    path = tmp_path / "bundle.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for name, data in (
            ("README.txt", b"about these files\n"),
            ("t.jsonl", (_status(7) + "\n").encode()),
        ):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    summary = ingest(store, [path], format="twitter-v1")
    assert summary.posts == 1
    assert summary.skipped_members == [f"{path}!README.txt"]
