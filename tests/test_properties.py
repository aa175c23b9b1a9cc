"""Property tests (Hypothesis) for the invariants ingest relies on.

- CSV splitting: `iter_csv_blocks` cuts any RFC 4180 body into blocks of whole records, with
  the line numbers `csv.reader` sees, and quarantines exactly the records it must;
- Arrow parsing of a block gives the values and record lines `csv.reader` gives;
- ingest is idempotent (the same rows again, in another file or the same one, change nothing)
  and order-insensitive for the set of post ids;
- the vectorised URL fast path agrees with `ural.normalize_url` wherever it answers;
- hashtag and mention extraction, table-driven.

Settings are modest (deadline off, tens of examples) so that the file runs in seconds.
"""

from __future__ import annotations

import csv
import io
import math
import random
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
import ural
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from infoscope.ingest import ingest
from infoscope.ingest.ira_by_author import TWEET_COLUMNS
from infoscope.ingest.reading import CsvBlock, Oversized, iter_csv_blocks, parse_csv_block
from infoscope.store import Store
from infoscope.text import FAST_URL, fast_normal_form, install_sql_functions, normalize_url

SETTINGS = settings(max_examples=80, deadline=None)

# -- generated CSV ---------------------------------------------------------------------------

# Pieces that stress a CSV splitter: quotes, delimiters, LF and CRLF inside fields, multi-byte
# characters, and the texts Arrow treats as NULL by default.
_PIECES = st.sampled_from(
    ['"', '""', ",", "\n", "\r\n", " ", "a", "Ж", "é", "😀", "NA", "null", "x" * 7]
)
# Any other text, without NUL (the csv module refuses it) and without a bare CR (a line break
# only for csv.reader, never for a reader counting LF: CR is generated as part of CRLF).
_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\x00"), max_size=6)
FIELD = st.lists(_PIECES | _TEXT, max_size=6).map("".join)


@st.composite
def csv_bodies(draw: st.DrawFn) -> tuple[bytes, list[list[str]]]:
    """A CSV body (no header) written by the csv module, and its rows."""
    width = draw(st.integers(1, 4))
    rows = draw(st.lists(st.lists(FIELD, min_size=width, max_size=width), max_size=12))
    buf = io.StringIO(newline="")
    writer = csv.writer(
        buf,
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    writer.writerows(rows)
    text = buf.getvalue()
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")  # a file without a final line break
    return text.encode("utf-8"), rows


def reference_records(data: bytes, first_line: int = 1) -> list[tuple[int, bytes, list[str]]]:
    """(first line, bytes, fields) of each record, as `csv.reader` reads them; lines end at LF."""
    pieces = data.split(b"\n")
    lines = [p + b"\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    reader = csv.reader(line.decode("utf-8") for line in lines)
    records = []
    consumed = 0
    for row in reader:
        start, consumed = consumed, reader.line_num
        records.append((first_line + start, b"".join(lines[start:consumed]), row))
    return records


def _blocks(data: bytes, **kwargs: int) -> list[CsvBlock | Oversized]:
    return list(iter_csv_blocks(io.BufferedReader(io.BytesIO(data)), first_line=1, **kwargs))


def _with_final_newline(data: bytes) -> bytes:
    return data if not data or data.endswith(b"\n") else data + b"\n"


@SETTINGS
@given(body=csv_bodies(), block_bytes=st.integers(1, 64))
def test_csv_blocks_are_whole_records_with_csv_reader_lines(body, block_bytes):
    data, rows = body
    # Left out: a last line without a line break that is only blanks, which the reader drops
    # (a blank line elsewhere is kept and quarantined by the parser for its column count).
    assume(data.rsplit(b"\n", 1)[-1].strip() or not data.rsplit(b"\n", 1)[-1])
    blocks = _blocks(data, max_record_bytes=1 << 20, block_bytes=block_bytes)
    assert all(isinstance(b, CsvBlock) for b in blocks)
    # Nothing lost, nothing repeated (a final line break is added when missing).
    assert b"".join(b.data for b in blocks) == _with_final_newline(data)
    expected = reference_records(data)
    assert [r[2] for r in expected] == rows
    got = []
    line = 1
    for block in blocks:
        assert block.data.endswith(b"\n")
        assert block.first_line == line
        assert block.lines == block.data.count(b"\n")
        line += block.lines
        # Every block holds whole records: read alone, it gives those records, at the lines
        # they have in the whole file.
        got.extend(reference_records(block.data, block.first_line))
    assert [(r[0], r[2]) for r in got] == [(r[0], r[2]) for r in expected]


@SETTINGS
@given(body=csv_bodies(), block_bytes=st.integers(1, 64), limit=st.integers(1, 80))
def test_csv_blocks_quarantine_exactly_the_long_records(body, block_bytes, limit):
    data, _ = body
    items = _blocks(data, max_record_bytes=limit, block_bytes=block_bytes)
    flagged = {item.line for item in items if isinstance(item, Oversized)}
    records = reference_records(data)
    # A record is reported once it is seen incomplete beyond the limit, so one within the limit
    # never is. The limit is soft: a record that arrives whole in one read is parsed, so until
    # the first skip a record is sure to be reported only beyond limit + one read block. (After
    # a skip the reader goes on from a 1 MiB read: records up to about 1 MiB may pass there.)
    for line, raw, _ in records:
        if len(raw) <= limit:
            assert line not in flagged
    first_skip = min(flagged, default=math.inf)
    assert all(len(raw) <= limit + block_bytes + 1 for line, raw, _ in records if line < first_skip)
    assert flagged <= {r[0] for r in records}
    kept = b"".join(raw for line, raw, _ in records if line not in flagged)
    assert b"".join(b.data for b in items if isinstance(b, CsvBlock)) == _with_final_newline(kept)


@SETTINGS
@given(body=csv_bodies(), block_bytes=st.integers(1, 64))
@example(body=(b'NA,null\n"N/A",nan\n', [["NA", "null"], ["N/A", "nan"]]), block_bytes=64)
def test_parsed_blocks_match_csv_reader(body, block_bytes):
    # Values and record lines from Arrow equal csv.reader's; an empty field reads as NULL and
    # nothing else does (a post whose text is "NA" or a user named "null" keeps it). Records
    # with every field empty are counted as blank and left out, the others keep their lines.
    data, rows = body
    width = len(rows[0]) if rows else 1
    columns = [f"c{i}" for i in range(width)]
    values: list[list[str | None]] = []
    lines: list[int] = []
    blank = 0
    for block in _blocks(data, max_record_bytes=1 << 20, block_bytes=block_bytes):
        assert isinstance(block, CsvBlock)
        parsed = parse_csv_block(block, columns, delimiter=",", encoding="utf-8", source="t")
        assert parsed.invalid == []
        assert parsed.records == parsed.table.num_rows + parsed.blank
        table = parsed.table.to_pydict()
        values.extend(list(v) for v in zip(*(table[c] for c in columns), strict=True))
        lines.extend(table["_line"])
        blank += parsed.blank
    kept = [(row, ref[0]) for row, ref in zip(rows, reference_records(data), strict=True)
            if any(v != "" for v in row)]  # fmt: skip
    assert values == [[v if v != "" else None for v in row] for row, _ in kept]
    assert lines == [line for _, line in kept]
    assert blank == len(rows) - len(kept)


# -- ingest: idempotent, order-insensitive ------------------------------------------------------

IRA_COLUMNS = TWEET_COLUMNS  # the per-author layout, as the format declares it
IRA_ROW = st.tuples(
    st.sampled_from(["anna_k", "boris_k", "Carl_US"]),
    FIELD,
    st.sampled_from(["United States", "Russian Federation", ""]),
    st.sampled_from(["English", "Russian", "German"]),
    st.datetimes(min_value=datetime(2012, 1, 1), max_value=datetime(2018, 12, 31)).map(
        lambda d: d.strftime("%Y-%m-%d %H:%M:%S")
    ),
    st.sampled_from(["", "R", "Q"]),
)


def _ira_csv(path: Path, rows: list[tuple[str, ...]], *, quote_all: bool = False) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(
            f,
            lineterminator="\n" if quote_all else "\r\n",
            quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL,
        )
        writer.writerow(IRA_COLUMNS)
        for author, content, region, lang, date, ptype in rows:
            writer.writerow(
                [
                    author,
                    content,
                    region,
                    lang,
                    date,
                    date,
                    "1",
                    "2",
                    "3",
                    ptype,
                    "1" if ptype else "0",
                ]
            )
    return path


def _posts(store: Store) -> list[tuple[object, ...]]:
    return store.con.execute("SELECT * FROM posts ORDER BY post_id").fetchall()


@pytest.fixture(scope="module")
def scratch() -> Iterator[Path]:
    # Hypothesis runs many examples per test: a module-scoped directory, one store per example.
    with tempfile.TemporaryDirectory() as d:
        yield Path(d)


# Each example opens two stores and runs four ingests (about 0.6 s): fewer examples than the
# pure properties, each with up to 15 rows of the same stressing fields.
@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(IRA_ROW, min_size=1, max_size=15), order=st.randoms(use_true_random=False))
# Regression: "NA" is a text, not a missing value; it must not make the two posts one.
@example(
    rows=[
        ("anna_k", "NA", "", "English", "2016-01-01 10:00:00", ""),
        ("anna_k", "", "", "English", "2016-01-01 10:00:00", ""),
    ],
    order=random.Random(0),
)
def test_ingest_is_idempotent_and_order_insensitive(scratch, rows, order):
    with tempfile.TemporaryDirectory(dir=scratch) as d:
        tmp = Path(d)
        first = _ira_csv(tmp / "a.csv", rows)
        # The same rows in different bytes (all fields quoted, LF line ends): a different file.
        same_rows = _ira_csv(tmp / "b.csv", rows, quote_all=True)
        assert first.read_bytes() != same_rows.read_bytes()
        shuffled = list(rows)
        order.shuffle(shuffled)
        with Store.open(tmp / "one.duckdb") as store:
            summary = ingest(store, [first])
            distinct = len(set(rows))  # a post's id is a hash of all its fields
            assert summary.posts == distinct and not summary.quarantined
            assert summary.duplicates == len(rows) - distinct
            stored = _posts(store)
            again = ingest(store, [first])
            assert again.skipped_files == [str(first)] and again.posts == 0
            copy = ingest(store, [same_rows])
            assert (copy.posts, copy.duplicates) == (0, len(rows))
            assert _posts(store) == stored
            ids = {r[1] for r in stored}
        with Store.open(tmp / "two.duckdb") as store:
            ingest(store, [_ira_csv(tmp / "c.csv", shuffled)])
            assert {r[0] for r in store.con.execute("SELECT post_id FROM posts").fetchall()} == ids


# -- URLs: the fast path agrees with ural ----------------------------------------------------------


@pytest.fixture(scope="module")
def fast_only() -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection where `is_normalize_urls` answers 'SLOW' instead of calling ural: what it
    returns otherwise comes from the vectorised fast path alone."""
    con = duckdb.connect()
    con.create_function(
        "is_ural_normalize",
        lambda u: "SLOW",
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
    )
    install_sql_functions(con)  # keeps the stub: the UDF is registered only when absent
    yield con
    con.close()


def _fast(con: duckdb.DuckDBPyConnection, url: str) -> str:
    row = con.execute("SELECT is_normalize_urls([?])[1]", [url]).fetchone()
    assert row is not None
    return str(row[0])


def test_fast_path_answers_for_shortener_links(fast_only):
    # The fast path is not vacuous: the common shape takes it.
    assert _fast(fast_only, "https://t.co/AbC123") == "t.co/AbC123"
    assert _fast(fast_only, "http://bit.ly/3xYz_-9") == "bit.ly/3xYz_-9"


@SETTINGS
@given(
    url=st.from_regex(FAST_URL, fullmatch=True)
    # the same shape with hyphens in the host label, where ural's subdomain rules also bite
    | st.from_regex(r"^https?://[a-z0-9][a-z0-9-]*\.[a-z]{2,}/[A-Za-z0-9_-]+$", fullmatch=True)
)
# Shapes FAST_URL admits but ural rewrites: irrelevant subdomains (www, www1, m, mobile, amp,
# also after a hyphen), an amp- prefix, punycode, AMP and index path segments.
@example(url="https://www.co/abc")
@example(url="https://www1.co/abc")
@example(url="http://m.co/x")
@example(url="https://a-m.co/x")
@example(url="https://mobile.co/x")
@example(url="https://amp.co/x")
@example(url="https://amp-news.co/x")
@example(url="https://xn--80ak6aa92e.co/a")
@example(url="https://a.co/index")
@example(url="https://a.co/default")
@example(url="https://a.co/AMP")
@example(url="https://awww.co/x")  # no word boundary before www: ural keeps it, fast path too
def test_fast_url_path_agrees_with_ural(fast_only, url):
    fast = _fast(fast_only, url)
    # The engine's macro and the Python mirror apply the same rule ...
    assert fast_normal_form(url) == (None if fast == "SLOW" else fast)
    # ... and wherever it answers, it answers what ural does.
    if fast != "SLOW":
        assert fast == ural.normalize_url(url)


# -- hashtags and mentions ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sql() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect()
    install_sql_functions(con)
    yield con
    con.close()


@pytest.mark.parametrize(
    ("text", "hashtags", "mentions"),
    [
        ("plain text", [], []),
        ("#MAGA and #maga", ["maga", "maga"], []),  # case-folded, repeats kept
        ("Привет #Москва! #СПб_2018", ["москва", "спб_2018"], []),  # Cyrillic
        ("#2018 is a number, #2018year is a tag", ["2018year"], []),  # digits only: no tag
        ("fullwidth ＃タグ", ["タグ"], []),
        ("mail me: ivan@example.com", [], []),  # an e-mail address is not a mention
        ("@Alice_W, @bob: hi", [], ["alice_w", "bob"]),
        ("RT @Boris_K: #News", ["news"], ["boris_k"]),
        ("(@paren) [#bracket]", ["bracket"], ["paren"]),
        ("https://example.com/page#section", [], []),  # a URL fragment is not a hashtag
        ("https://example.com/#/route and #real", ["real"], []),
        ("https://example.com/@user/status", [], []),  # a path segment is not a mention
        ("a&#39;b", [], []),  # an HTML entity is not a hashtag
        ("word#inside", [], []),
        ("email@x.com @real", [], ["real"]),
    ],
)
def test_hashtag_and_mention_extraction(sql, text, hashtags, mentions):
    row = sql.execute("SELECT is_hashtags(?), is_mentions(?)", [text, text]).fetchone()
    assert row == (hashtags, mentions)


@pytest.mark.parametrize(
    "url",
    [
        "http://news.example:coastaltimes.example/a",
        "https://x.example:99999999999/p",
        "http://[::1/",
    ],
)
def test_a_url_ural_cannot_parse_is_kept_as_written(url):
    """A damaged URL (a port that is not a number, an unclosed IPv6 host) is kept, not a crash
    of the ingest that meets it."""
    assert normalize_url(url) == url
