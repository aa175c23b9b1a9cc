"""Fuzzing ingest: every format's fixture, mutated, is ingested or refused cleanly.

For each registered format, `FUZZED` names a fixture (and the options the format needs);
Hypothesis mutates the fixture's bytes (truncation at any offset, flipped, inserted, deleted or
repeated bytes, re-encoding to UTF-16, Latin-1 or CP1251 with the encoding declared right or
wrong, a field longer than the record limit, gzip or zip compression, cut or whole) and
ingests the result, with the format named or detected, into a store that already holds good
data. The property, for every example:

- ingest completes, and the rows it added are the counts of its summary (posts, accounts,
  labels, articles, links, quarantined records), no row stored before is changed, and the run
  is recorded ``completed``; or
- it raises `InfoscopeError` with a one-line message (what the CLI prints), the store's data
  is unchanged (the count and a digest of every row of each table) and the run is ``failed``;
- nothing else: any other exception is a crash (a traceback for the user), and an example
  still running after `EXAMPLE_SECONDS` a hang.

CI runs `EXAMPLES` examples per fixture (15: the file takes under a minute), derandomised so
that every run tries the same inputs, with no example database; a local campaign sets
``INFOSCOPE_FUZZ_EXAMPLES=300`` (about half an hour). A failing example prints its recipe
(the mutations, in order) and keeps its input under pytest's temporary folder. Regression
tests for what the campaigns found follow the property.
"""

from __future__ import annotations

import contextlib
import csv
import faulthandler
import gzip
import hashlib
import io
import itertools
import os
import signal
import sys
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from infoscope.errors import InfoscopeError, InputEncodingError, MissingColumnError
from infoscope.ingest import (
    IngestSummary,
    ReadContext,
    TabularFormat,
    ingest,
    registered_formats,
)
from infoscope.store import Store

from .bad_input_cases import IRA_HEADER, ira_csv, ira_row, status_line
from .conftest import FIXTURES
from .test_format_generic import CSV_MAP, JSONL_MAP

EXAMPLES = int(os.environ.get("INFOSCOPE_FUZZ_EXAMPLES", "15"))
# The record limit of every fuzzed ingest: small, so that a "huge" field of a few hundred
# kilobytes already takes the oversized-record path, as a 50 MB one does at the default limit.
LIMIT = 64 << 10
# An example is a few kilobytes ingested in about 0.2 s: past this it is a hang.
EXAMPLE_SECONDS = 30

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    # Timing is guarded by `_time_limit` (a shared CI machine makes deadlines flaky).
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@dataclass(frozen=True)
class Fuzzed:
    """A fixture of a format, the options the format needs to read it, and whether each record
    read is one post (``one_post``: then posts stored, duplicates and quarantined records add
    up to the records read)."""

    format: str
    fixture: str  # under tests/fixtures
    options: dict[str, Any] = field(default_factory=dict)
    one_post: bool = False

    @property
    def id(self) -> str:
        return f"{self.format}:{Path(self.fixture).name}"

    @property
    def path(self) -> Path:
        return FIXTURES / self.fixture


# One fixture per registered format (a test checks the table covers the registry), plus the
# other container layout of Twitter v1.1 (an array next to JSON Lines). Formats whose records
# are not one post each: article pages and feeds (items, links), accounts and labels (merged
# with those stored, uncounted) and Twitter v2 (a page of posts per line).
FUZZED = [
    Fuzzed("rss-feed", "articles/feed.rss"),
    Fuzzed("html-article", "articles/news_page.html"),
    Fuzzed("html-aggregator", "articles/aggregator.html"),
    Fuzzed("text-article", "articles/article999000001.txt"),
    Fuzzed("twitter-v1", "twitter/v1_statuses.jsonl", one_post=True),
    Fuzzed("twitter-v1", "twitter/v1_statuses.json", one_post=True),
    Fuzzed("botrepo-profiles", "botrepo/sample_profiles.json"),
    Fuzzed("botrepo-labels", "botrepo/sample.tsv"),
    Fuzzed("coortweet", "coortweet/shares.csv", one_post=True),
    Fuzzed("crowdflower-tweets", "crowdflower/airline_spreadsheet.csv", one_post=True),
    Fuzzed(
        "generic-csv",
        "generic/posts_semicolon.csv",
        {"delimiter": ";", "mapping": CSV_MAP, "platform": "web"},
        one_post=True,
    ),
    Fuzzed("generic-jsonl", "generic/posts.jsonl", {"mapping": JSONL_MAP}, one_post=True),
    Fuzzed("io-archive", "io_archive/example_022019_tweets_csv_hashed.csv", one_post=True),
    Fuzzed("ira-538", "ira_538/russian_troll_tweets_sample.csv", one_post=True),
    Fuzzed("ira-by-author", "ira_by_author/alice_w.csv", one_post=True),
    Fuzzed("ira-authors", "ira_by_author/authors.csv"),
    Fuzzed("telegram", "telegram/result.json", one_post=True),
    Fuzzed("twarc-csv", "twitter/twarc.csv", one_post=True),
    Fuzzed("twitter-users-csv", "twitter_users/users.csv"),
    Fuzzed("twitter-v2", "twitter/v2_pages.jsonl"),
    Fuzzed("bluesky-jetstream", "bluesky/jetstream.jsonl"),
    Fuzzed("bluesky-repo", "bluesky/listrecords.json"),
    Fuzzed("bluesky-car", "bluesky/repo.car"),
    Fuzzed("bluesky-api", "bluesky/api_views.jsonl"),
    Fuzzed("mastodon", "mastodon/statuses.json"),
    Fuzzed("telethon", "telethon/messages.jsonl"),
    Fuzzed("tiktok-research", "tiktok/research_videos.jsonl"),
    Fuzzed("4cat-ndjson", "fourcat/zeeschuimer.ndjson"),
    Fuzzed("vk", "vk/wall_get.json"),
    Fuzzed("youtube-comments", "youtube/comment_threads.jsonl"),
    Fuzzed("shares", "shares/election_long.csv"),
]

# The store's tables that ingest writes, and which a failed ingest must leave as they were.
TABLES = (
    "posts",
    "accounts",
    "account_labels",
    "articles",
    "article_links",
    "quarantine",
    "ingested_sources",
)


# -- mutations ----------------------------------------------------------------------------------


@dataclass
class Mutated:
    """Mutated input bytes, the encoding ingest is told, and how they were made."""

    data: bytes
    encoding: str = "utf-8"
    steps: list[str] = field(default_factory=list)
    suffix: str = ""  # ".gz" or ".zip" when compressed

    def __repr__(self) -> str:  # the bytes can be megabytes: Hypothesis prints the recipe
        digest = hashlib.sha256(self.data).hexdigest()[:12]
        return (
            f"Mutated({' | '.join(self.steps) or 'unchanged'}; {len(self.data)} bytes "
            f"sha256:{digest}; encoding={self.encoding})"
        )

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:  # Hypothesis's printer
        printer.text(repr(self))


# Bytes that mean something to a CSV, JSON, HTML or XML reader, or to a decoder.
SPECIAL = st.sampled_from(
    [
        b'"', b'""', b"\n", b"\r", b"\r\n", b",", b";", b"\t", b"{", b"}", b"[", b"]", b":",
        b"\\", b'\\u00', b"\\ud800", b"<", b">", b"</", b"<![CDATA[", b"&", b"&#0;", b"\x00",
        b"\xff", b"\xc3", b"\xef\xbb\xbf", b"\xff\xfe", b"\x1f\x8b", b"PK\x03\x04", b"null",
        b"NaN", b"1e999", b"-", b"9" * 40, b"\xd0\x96", b"\xf0\x9f\x98\x80",
    ]
)  # fmt: skip
# Encodings a file arrives in, and those ingest may be told (right or wrong).
ENCODINGS = ["utf-16", "utf-16-le", "utf-32", "latin-1", "cp1251", "utf-8-sig"]
DECLARED = ["utf-8", "latin-1", "cp1251", "utf-8-sig"]
# What a huge field is made of: plain text, multi-byte text, delimiters, quotes, markup. (Not
# line breaks: a megabyte of them is a million blank records, each quarantined, which takes
# minutes and is another case than one huge field.)
FILLERS = [b"x", b"\xd0\x96", b"a,b;", b'"', b"{[", b"<p>"]


def _mutate(draw: st.DrawFn, m: Mutated) -> None:
    data = m.data
    kind = draw(
        st.sampled_from(["truncate", "flip", "insert", "delete", "repeat", "encode", "huge"])
    )
    if kind == "truncate":
        at = draw(st.integers(0, len(data)))
        m.data, step = data[:at], f"truncate at {at}"
    elif kind == "flip":
        buf = bytearray(data)
        # Mostly within ASCII (the text stays valid UTF-8 and reaches the parsers), or any.
        xors = st.integers(1, 127) | st.integers(1, 255)
        flips = draw(st.lists(st.tuples(st.integers(0, 1 << 30), xors), min_size=1, max_size=8))
        for at, xor in flips:
            if buf:
                buf[at % len(buf)] ^= xor
        m.data, step = bytes(buf), f"flip {[(at % max(len(buf), 1), x) for at, x in flips]}"
    elif kind == "insert":
        at = draw(st.integers(0, len(data)))
        chunk = draw(SPECIAL | st.binary(min_size=1, max_size=16))
        m.data, step = data[:at] + chunk + data[at:], f"insert {chunk[:40]!r} at {at}"
    elif kind == "delete":
        at = draw(st.integers(0, len(data)))
        n = draw(st.integers(1, max(len(data) - at, 1)))
        m.data, step = data[:at] + data[at + n :], f"delete {n} at {at}"
    elif kind == "repeat":
        at = draw(st.integers(0, len(data)))
        n = draw(st.integers(1, max(len(data) - at, 1)))
        times = draw(st.integers(2, 50))
        m.data = data[:at] + data[at : at + n] * times + data[at + n :]
        step = f"repeat {n} at {at} x{times}"
    elif kind == "encode":
        encoding = draw(st.sampled_from(ENCODINGS))
        m.data = data.decode(m.encoding, "replace").encode(encoding, "replace")
        m.encoding = draw(st.sampled_from([encoding, *DECLARED]))
        if m.encoding in ("utf-16", "utf-16-le", "utf-32"):
            m.encoding = "utf-8"  # refused up front (ingest reads bytes by lines): not fuzzing
        step = f"encode {encoding}, declared {m.encoding}"
    else:
        at = draw(st.integers(0, len(data)))
        filler = draw(st.sampled_from(FILLERS))
        size = draw(st.sampled_from([LIMIT - 64, LIMIT + 1, 4 * LIMIT]))
        m.data = data[:at] + filler * (size // len(filler)) + data[at:]
        step = f"insert {size} bytes of {filler!r} at {at}"
    m.steps.append(step)


def _compress(draw: st.DrawFn, m: Mutated) -> None:
    kind = draw(st.sampled_from(["plain"] * 6 + ["gzip", "gzip cut", "zip", "zip cut"]))
    if kind == "plain":
        return
    if kind.startswith("gzip"):
        packed, m.suffix = gzip.compress(m.data, mtime=0), ".gz"
    else:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("member", m.data)
        packed, m.suffix = buffer.getvalue(), ".zip"
    if kind.endswith("cut"):
        at = draw(st.integers(0, len(packed) - 1))
        packed = packed[:at]
        kind = f"{kind} at {at}"
    m.data = packed
    m.steps.append(kind)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> Mutated:
    """`original` after one to three mutations, then perhaps compressed (and cut)."""
    m = Mutated(original)
    for _ in range(draw(st.integers(1, 3))):
        _mutate(draw, m)
    _compress(draw, m)
    return m


# -- the property ------------------------------------------------------------------------------


class IngestHang(Exception):
    """An example ran past `EXAMPLE_SECONDS`."""


@contextlib.contextmanager
def _time_limit(seconds: int) -> Iterator[None]:
    """Raise `IngestHang` in the main thread after `seconds`; should the main thread be stuck
    where the signal cannot reach it (joining a reader thread that never ends), dump every
    thread's traceback and end the process after twice as long, so that CI fails, not hangs."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return
    fired = []

    def hang(signum: int, frame: Any) -> None:
        fired.append(signum)
        raise IngestHang(f"ingest still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hang)
    faulthandler.dump_traceback_later(2 * seconds, exit=True)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except KeyboardInterrupt as exc:
        # Raised inside a DuckDB query, the error comes back as an interrupted run.
        if fired:
            raise IngestHang(f"ingest still running after {seconds} s") from exc
        raise
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        faulthandler.cancel_dump_traceback_later()
        signal.signal(signal.SIGALRM, previous)


def snapshot(store: Store, *, except_run: str | None = None) -> dict[str, tuple[int, str]]:
    """Per table, the row count and an order-free digest of every row (of the rows not
    written by `except_run`, when given: rows of earlier runs must stay as they were)."""
    out = {}
    for table in TABLES:
        where = ""
        if except_run is not None and table != "accounts":
            where = f" WHERE ingest_run IS DISTINCT FROM '{except_run}'"
        count, digest = store.con.execute(
            f"SELECT count(*), coalesce(sum(hash({table})), 0)::VARCHAR FROM {table}{where}"
        ).fetchone()
        out[table] = (int(count), str(digest))
    return out


def seed(store: Store, folder: Path) -> None:
    """The good data every fuzzed ingest meets: three IRA posts and two Twitter statuses."""
    good_csv = folder / "good.csv"
    good_csv.write_text(ira_csv(3, author="good_acct", date="2017-01-0{i} 10:00:00"))
    good_jsonl = folder / "good.jsonl"
    good_jsonl.write_text(status_line(101) + "\n" + status_line(102) + "\n")
    ingest(store, [good_csv])
    ingest(store, [good_jsonl])


def check_ingest(store: Store, path: Path, case: Fuzzed, m: Mutated, *, forced: bool) -> str:
    """Ingest `path` and assert the property (see the module docstring); returns the outcome
    (``"stored"``, ``"quarantined"``, ``"duplicates"``, ``"error <type>"``...) for the counts
    a campaign prints."""
    before = snapshot(store)
    options = dict(case.options)
    if forced or "mapping" in options:
        options["format"] = case.format
    with _time_limit(EXAMPLE_SECONDS):
        try:
            summary = ingest(store, [path], encoding=m.encoding, max_record_bytes=LIMIT, **options)
        except InfoscopeError as exc:
            message = str(exc)
            note(f"error: {message}")
            assert message.strip(), "an empty error message"
            assert "\n" not in message.strip(), f"not one line: {message!r}"
            assert snapshot(store) == before, "a failed ingest changed the store"
            assert store.runs()[-1].status == "failed"
            return f"error {type(exc).__name__}"
    note(f"summary: {summary.as_dict()}")
    _check_summary(store, summary, before)
    if case.one_post and not summary.skipped_files:
        quarantined = sum(summary.quarantined.values())
        assert summary.posts + summary.duplicates + quarantined == summary.records
    if summary.posts + summary.accounts + summary.articles + summary.labels:
        return "stored"
    if summary.quarantined:
        return "quarantined"
    if summary.duplicates or summary.skipped_files:
        return "duplicates"
    return "records read, none kept" if summary.records else "no records"


def _check_summary(store: Store, summary: IngestSummary, before: dict[str, Any]) -> None:
    after = snapshot(store)
    added = {table: after[table][0] - before[table][0] for table in TABLES}
    assert added == {
        "posts": summary.posts,
        "accounts": summary.accounts,
        "account_labels": summary.labels,
        "articles": summary.articles + summary.secondary_items,
        "article_links": summary.article_links,
        "quarantine": sum(summary.quarantined.values()),
        "ingested_sources": 0 if summary.skipped_files else 1,
    }
    # What was there before is still there, unchanged (accounts may gain missing fields).
    kept = snapshot(store, except_run=summary.run_id)
    assert {t: v for t, v in kept.items() if t != "accounts"} == {
        t: v for t, v in before.items() if t != "accounts"
    }
    assert store.runs()[-1].status == "completed"
    assert sum(summary.quarantined.values()) <= max(summary.records, 1)


def test_every_format_is_fuzzed():
    missing = set(registered_formats()) - {case.format for case in FUZZED}
    assert not missing, f"add a fixture of each to FUZZED: {sorted(missing)}"


def _skip_unless_present(case: Fuzzed) -> None:
    """Formats are added by their own changes: an entry waits for its format and fixture."""
    if case.format not in registered_formats() or not case.path.exists():
        pytest.skip(f"format {case.format} or its fixture {case.fixture} is not in this tree")


@pytest.mark.parametrize("case", FUZZED, ids=[case.id for case in FUZZED])
def test_mutated_fixture_ingests_or_fails_in_one_line(tmp_path, case):
    _skip_unless_present(case)
    original = case.path.read_bytes()
    suffix = Path(case.fixture).suffix
    numbers = itertools.count()
    outcomes: Counter[str] = Counter()
    with Store.open(tmp_path / "fuzz.duckdb") as store:
        seed(store, tmp_path)

        @FUZZ
        @given(m=mutated(original), forced=st.booleans())
        def check(m: Mutated, forced: bool) -> None:
            path = tmp_path / f"input{next(numbers)}{suffix}{m.suffix}"
            path.write_bytes(m.data)
            note(f"input kept at {path}")
            outcomes[check_ingest(store, path, case, m, forced=forced)] += 1
            path.unlink()  # kept only when the example fails

        check()
    print(f"{case.id}: {outcomes.total()} examples, {dict(outcomes.most_common())}")


# -- regressions: crashes the campaigns found ---------------------------------------------------


@pytest.mark.parametrize("damage", [b"\xff", b"\x00"], ids=["not UTF-8", "NUL"])
def test_feed_whose_declared_encoding_is_damaged_is_quarantined(store, tmp_path, damage):
    # Regression: feedparser decodes a feed with the encoding its XML declaration names, and
    # raised UnicodeDecodeError (or ValueError for a NUL) when that name was damaged.
    data = (FIXTURES / "articles" / "feed.rss").read_bytes()
    at = data.index(b'encoding="') + len(b'encoding="')
    path = tmp_path / "damaged.rss"
    path.write_bytes(data[:at] + damage + data[at:])
    summary = ingest(store, [path], format="rss-feed")
    assert dict(summary.quarantined) == {"malformed feed": 1}
    (reason,) = store.con.execute("SELECT reason FROM quarantine").fetchone()
    assert reason.endswith("(no entry could be read)")


def test_page_whose_head_is_cut_inside_an_attribute_ingests(store, tmp_path):
    # Regression: a page saved part-way (its head cut inside the og:title attribute, the
    # rest of the head lost) has main text but no block segmentation can place; the main item
    # then had no block, and looking up its line raised IndexError.
    data = (FIXTURES / "articles" / "news_page.html").read_bytes()
    cut = data.index(b'content="Old Mill') + len(b"content=")
    resume = data.index(b'">\n    <p>We use cookies')
    path = tmp_path / "cut_head.html"
    path.write_bytes(data[:cut] + data[resume:])
    summary = ingest(store, [path], format="html-article")
    assert summary.articles == 1
    text, line = store.con.execute("SELECT text, source_line FROM articles").fetchone()
    assert text.startswith("The Old Mill Bridge reopened") and line is None


TABULAR = [
    case for case in FUZZED if isinstance(registered_formats().get(case.format), TabularFormat)
]


@pytest.mark.parametrize("case", TABULAR, ids=[case.id for case in TABULAR])
def test_tabular_file_with_only_the_required_columns_ingests(store, tmp_path, case):
    # Regression: with --format named, a file that had the required columns but not the
    # optional ones failed with DuckDB's binder error: ira-by-author read post_type, language
    # and the counts directly, twarc-csv's entity lists broke on an absent column.
    fmt = registered_formats()[case.format]
    assert isinstance(fmt, TabularFormat)
    delimiter = case.options.get("delimiter", fmt.delimiter)
    required = fmt.required_columns(ReadContext(mapping=case.options.get("mapping", {})))
    text = case.path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    keep = [i for i, name in enumerate(rows[0]) if name.strip() in required]
    assert len(keep) == len(required)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
    writer.writerows([row[i] for i in keep] for row in rows)
    path = tmp_path / "required_only.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    try:
        summary = ingest(store, [path], **{**case.options, "format": case.format})
    except MissingColumnError as exc:
        # A format needing one of several alternative columns cannot declare them all as
        # required; it refuses in one line.
        assert "\n" not in str(exc)
        return
    assert summary.posts + summary.accounts > 0


def test_share_time_past_the_range_of_a_timestamp_is_quarantined(store, tmp_path):
    # Regression: coortweet read epoch seconds with to_timestamp, which raised DuckDB's
    # ConversionException for a number past the range of a timestamp (a damaged value).
    path = tmp_path / "shares.csv"
    path.write_text(
        "object_id,account_id,content_id,timestamp_share\n"
        "objA,acc1,c1,1623881091.0\n"
        "objA,acc2,c2,11111623881095.0\n"
    )
    summary = ingest(store, [path])
    assert (summary.posts, dict(summary.quarantined)) == (1, {"unparseable date": 1})


@pytest.mark.parametrize(
    ("fixture", "row"),
    [
        ("ira_by_author/authors.csv", ",,333,Right,RightTroll,0,333,1,1"),
        (
            "ira_538/russian_troll_tweets_sample.csv",
            "199,99,,,a text,United States,English,1/2/2017 16:48,1/2/2017 16:48,10,100,5,,"
            "Right,0,RightTroll,0,,815963007977213999,,,,",
        ),
    ],
    ids=["ira-authors", "ira-538"],
)
def test_labelled_row_without_an_author_labels_no_one(store, tmp_path, fixture, row):
    # Regression (found by fuzzing ira-authors: a line break inserted in a row): a row with
    # an account category but no author gave a label with a NULL account id, which the
    # store refused (ConstraintException); it labels no one.
    path = tmp_path / Path(fixture).name
    path.write_bytes((FIXTURES / fixture).read_bytes() + row.encode() + b"\n")
    summary = ingest(store, [path])
    assert summary.labels > 0
    assert store.con.execute(
        "SELECT count(*) FROM account_labels WHERE account_id IS NULL"
    ).fetchone() == (0,)


def test_nul_byte_in_a_header_name_with_format_named_fails_in_one_line(store, tmp_path):
    # Regression (found by fuzzing ira-authors): with --format named, a NUL byte in the name
    # of an optional column reached DuckDB as an identifier it cannot bind (BinderException).
    path = tmp_path / "authors.csv"
    data = (FIXTURES / "ira_by_author" / "authors.csv").read_bytes()
    path.write_bytes(data.replace(b",author,", b",\x00author,", 1))
    before = snapshot(store)
    try:
        ingest(store, [path], format="ira-authors")
    except InfoscopeError as exc:
        assert "\n" not in str(exc)
        assert snapshot(store) == before


def test_invalid_utf8_in_a_row_of_the_wrong_width_is_a_one_line_error(store, tmp_path, monkeypatch):
    # Regression (found by fuzzing io-archive): Arrow decodes the text of a row with the wrong
    # number of columns for the invalid-row handler; invalid UTF-8 there is printed as an
    # ignored exception (a traceback on stderr) and the parse fails with a bare ArrowInvalid.
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    path = tmp_path / "wide.csv"
    row = ira_row("fr_acct", "café crème", "2017-03-02 10:00:00") + ",one column too many"
    path.write_bytes((IRA_HEADER + "\n" + row + "\n").encode("latin-1"))
    with pytest.raises(InputEncodingError, match=r"line 2 is not valid UTF-8.*--encoding latin-1"):
        ingest(store, [path])
    assert unraisable == []


def _gzip_with_field(original: bytes, marker: bytes, size: int) -> bytes:
    """`original` with `size` bytes of text inserted after the last `marker` (detection reads
    the first record), gzipped: small on disk."""
    at = original.rindex(marker) + len(marker)
    stream = io.BytesIO()
    with gzip.GzipFile(fileobj=stream, mode="wb", mtime=0) as out:
        out.write(original[:at])
        chunk = b"z" * (1 << 20)
        for _ in range(size // len(chunk)):
            out.write(chunk)
        out.write(original[at:])
    return stream.getvalue()


@pytest.mark.parametrize(
    ("fixture", "marker"),
    [
        ("io_archive/example_022019_tweets_csv_hashed.csv", b"Vote! "),
        ("articles/news_page.html", b"<p>"),
        ("twitter/v2_flat.jsonl", b'"text": "'),
    ],
    ids=["csv", "html", "jsonl"],
)
def test_fifty_megabyte_field_is_quarantined(store, tmp_path, fixture, marker):
    # A 50 MB field, decompressed from a small .gz, at the default record limit (8 MiB): the
    # record is quarantined as too large, the others are stored.
    original = (FIXTURES / fixture).read_bytes()
    path = tmp_path / f"huge{Path(fixture).suffix}.gz"
    path.write_bytes(_gzip_with_field(original, marker, 50 << 20))
    assert path.stat().st_size < 1 << 20
    with _time_limit(EXAMPLE_SECONDS):
        summary = ingest(store, [path])
    assert summary.quarantined["record too large"] == 1
    reasons = [r for (r,) in store.con.execute("SELECT reason FROM quarantine").fetchall()]
    assert any("--max-record-bytes" in r for r in reasons)


@pytest.mark.parametrize(
    ("fixture", "marker"),
    [("twitter/v1_statuses.json", b'"text": "'), ("telegram/result.json", b'"text": "')],
    ids=["json array", "telegram document"],
)
def test_json_item_over_the_record_limit_is_quarantined(store, tmp_path, fixture, marker):
    # Found by the huge-field mutation: a JSON Lines line over the limit was quarantined, but
    # the same record as an item of an array (or of Telegram's messages) was stored whole.
    original = (FIXTURES / fixture).read_bytes()
    at = original.index(marker) + len(marker)
    path = tmp_path / Path(fixture).name
    path.write_bytes(original[:at] + b"z" * (2 << 20) + original[at:])
    summary = ingest(store, [path], max_record_bytes=1 << 20)
    assert summary.quarantined["record too large"] == 1
    reason, raw = store.con.execute("SELECT reason, raw FROM quarantine").fetchone()
    assert "longer than 1048576 bytes" in reason and "--max-record-bytes" in reason
    assert 0 < len(raw) <= 4096
    # Every other record of the file is read as it is without the oversized one (which may
    # be a record that is quarantined for another reason when it is not oversized).
    with Store.open(tmp_path / "whole.duckdb") as whole:
        full = ingest(whole, [FIXTURES / fixture])
    assert summary.posts + summary.quarantined.total() == full.posts + full.quarantined.total()
    assert summary.posts >= full.posts - 1
    assert store.con.execute("SELECT max(length(text)) FROM posts").fetchone()[0] < 1 << 20


@pytest.mark.parametrize(
    "fixture",
    [
        "twitter/v2_flat.jsonl",
        "telethon/messages.jsonl",
        "bluesky/jetstream.jsonl",
        "youtube/comment_threads.jsonl",
        "fourcat/zeeschuimer.ndjson",
    ],
)
def test_a_first_record_longer_than_the_head_is_detected(store, tmp_path, fixture):
    # A first line over the 64 KiB head (a long field written before the format's marker
    # keys) left detection with a cut record, and the file was refused as of unknown format.
    lines = (FIXTURES / fixture).read_bytes().split(b"\n")
    first = orjson.loads(lines[0])
    padded = {"padding": "p" * 100_000, **first}
    path = tmp_path / Path(fixture).name
    path.write_bytes(b"\n".join([orjson.dumps(padded), *lines[1:]]))
    with Store.open(tmp_path / "plain.duckdb") as plain:
        expected = ingest(plain, [FIXTURES / fixture])
    summary = ingest(store, [path])
    assert summary.formats == expected.formats
    assert summary.posts == expected.posts


def test_a_one_line_json_array_with_a_long_first_item_is_detected(store, tmp_path):
    items = orjson.loads((FIXTURES / "twitter" / "v1_statuses.json").read_bytes())
    items[0] = {"padding": "p" * 100_000, **items[0]}
    path = tmp_path / "statuses.json"
    path.write_bytes(orjson.dumps(items))
    with Store.open(tmp_path / "plain.duckdb") as plain:
        expected = ingest(plain, [FIXTURES / "twitter" / "v1_statuses.json"])
    summary = ingest(store, [path])
    assert summary.formats == {"twitter-v1": 1}
    assert summary.posts == expected.posts > 0
