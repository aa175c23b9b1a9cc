"""The ingest pipeline: files -> sources -> formats -> batches -> the store.

Reading runs in a background thread (decompression, CSV splitting and Arrow parsing release the
GIL) while the main thread stores the previous batch, so the two overlap on two cores. Each batch
is stored in one transaction by `infoscope.ingest.staging`.

An input file whose ingest completes is written to the store's ledger under its content hash
(and the options that change how it is read) and skipped the next time. A file interrupted
part-way is simply ingested again: the batches already committed are recognised as duplicates.

A folder is read recursively (sorted, hidden entries left out): each file in a known format is
ingested, the others are listed in the summary as skipped (``skipped_members``, with the
archive members that are no known format). In a batch (several inputs, or a folder) a file that
cannot be read (its format cannot be told, it is not in the declared encoding, it lacks a
required column, its parser fails) does not stop the others: it goes to ``quarantine`` with the
reason (``file not ingested: ...``, record 0, its first 4 KiB as raw text) and to
``IngestSummary.failed_files``; the batches of that file not yet committed are dropped, and the
file is not written to the ledger, so the next run reads it again (the quarantine row is not
repeated). A single file that cannot be read raises the error as before (`on_error`).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import dataclasses
import gzip
import hashlib
import lzma
import queue
import shutil
import sys
import tarfile
import tempfile
import threading
import time
import zipfile
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from infoscope.errors import (
    CorruptInputError,
    InfoscopeError,
    InputEncodingError,
    MissingColumnError,
    MissingComponentError,
    UnknownFormatError,
)
from infoscope.ingest._columnar import columnar_blocks
from infoscope.ingest.dates import DATE_FIX, as_layouts, detect_date_layouts, reading_dates
from infoscope.ingest.formats import (
    DEFAULT_MAX_RECORD_BYTES,
    JSON_KINDS,
    Format,
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    TabularFormat,
    detect_format,
    get_format,
    registered_formats,
    sniff,
)
from infoscope.ingest.reading import (
    Oversized,
    header_fields,
    iter_csv_blocks,
    parse_csv_block,
    to_utf8,
)
from infoscope.ingest.sources import Source, fingerprint, iter_sources
from infoscope.ingest.sql import INTERNAL_COLUMNS, json_of
from infoscope.ingest.staging import QUARANTINE_SCHEMA, Stager, StoreCounts
from infoscope.records import (
    ACCOUNT_SCHEMA,
    ARTICLE_LINK_SCHEMA,
    ARTICLE_SCHEMA,
    LABEL_SCHEMA,
    POST_SCHEMA,
    Account,
    Article,
    ArticleLink,
    Post,
    record_to_row,
)
from infoscope.store import Store, memory_limit
from infoscope.text import install_sql_functions

__all__ = [
    "IngestSummary",
    "Ingester",
    "check_encoding",
    "expand_paths",
    "header_columns",
    "ingest",
]

OnError = Literal["raise", "quarantine"]

DEFAULT_BATCH_ROWS = 500_000
# A batch is also stored once its Arrow data reaches this size: JSON payloads kept in ``raw``
# make rows of kilobytes, where CSV rows are a few hundred bytes.
BATCH_BYTES = 256 << 20
INGEST_MEMORY_LIMIT = "1464MiB"  # as memory_limit() writes sizes
_ROWS_PER_EVENT = 5_000
_QUARANTINE_RAW_LIMIT = 4096
_PROV_COLS = ("source", "source_line", "source_record", "format", "ingest_run")
_SCHEMAS = {
    "posts": POST_SCHEMA,
    "accounts": ACCOUNT_SCHEMA,
    "labels": LABEL_SCHEMA,
    "articles": ARTICLE_SCHEMA,
    "article_links": ARTICLE_LINK_SCHEMA,
}
_FAILED_FILE = "file not ingested"
# Reasons of records read whole but of a kind not stored (a like, a service message).
NOT_STORED_REASON = "not a post"
# A run whose records that could not be read outnumber this share of those read fails (CLI:
# exit 1); records of a kind not stored (NOT_STORED_REASON) do not count.
MOSTLY_QUARANTINED = 0.5
# The fix printed for the most common quarantine reasons (the part before the colon).
_REASON_FIXES = {
    "unparseable date": DATE_FIX,
    "missing post id": "fix: check the id column (--map id=COLUMN for the generic formats)",
    "expected": "fix: check --delimiter and the quoting of the file",
    "not a tweet": "fix: check --format (drop it to detect the format)",
    _FAILED_FILE: "fix: see `infoscope export quarantine` for each file's reason",
}
# Errors of a compressed stream or an archive that ends early or is damaged.
_CORRUPT_STREAM_ERRORS = (
    EOFError,
    lzma.LZMAError,
    zlib.error,
    gzip.BadGzipFile,
    tarfile.TarError,
    zipfile.BadZipFile,
)


@dataclass
class IngestSummary:
    """What an ingest did: counts of stored, duplicate and quarantined records."""

    run_id: str = ""
    files: list[str] = field(default_factory=list)
    formats: Counter[str] = field(default_factory=Counter)
    records: int = 0
    # CSV records with every field empty (blank lines, rows of bare delimiters): nothing to
    # keep, so neither records nor quarantined, but counted.
    blank_records: int = 0
    store: StoreCounts = field(default_factory=StoreCounts)
    skipped_files: list[str] = field(default_factory=list)
    skipped_members: list[str] = field(default_factory=list)
    failed_files: list[dict[str, str]] = field(default_factory=list)
    # How the date column of each source was read when --date-format was not given:
    # {"source", "column", "layouts", "order", "assumed", "evidence", "note"}.
    date_layouts: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def posts(self) -> int:
        return self.store.posts

    @property
    def shares(self) -> int:
        return self.store.shares

    @property
    def accounts(self) -> int:
        return self.store.accounts

    @property
    def labels(self) -> int:
        return self.store.labels

    @property
    def articles(self) -> int:
        return self.store.articles

    @property
    def secondary_items(self) -> int:
        return self.store.secondary_items

    @property
    def article_links(self) -> int:
        return self.store.article_links

    @property
    def duplicates(self) -> int:
        return self.store.duplicates

    @property
    def quarantined(self) -> Counter[str]:
        return self.store.quarantined

    @property
    def untrusted_ids(self) -> int:
        """Posts whose id could not be trusted, keyed by a content hash instead (never merged
        on the id; see `infoscope.ingest.staging`)."""
        return self.store.untrusted_ids

    @property
    def failed_records(self) -> Counter[str]:
        """The quarantine reasons of records that could not be read, without those of records
        read whole but of a kind the store does not keep (``not a post``: likes, follows,
        service messages), which a capture may hold in any share."""
        return Counter(
            {r: n for r, n in self.quarantined.items() if not r.startswith(NOT_STORED_REASON)}
        )

    @property
    def mostly_quarantined(self) -> bool:
        """True when more than half of the records read could not be read (`failed_records`)."""
        n = sum(self.failed_records.values())
        return n > 0 and n > MOSTLY_QUARANTINED * max(self.records, 1)

    def quarantine_problem(self, top: int = 3) -> str:
        """One line: how many records were quarantined, the top reasons and their fixes."""
        n = sum(self.failed_records.values())
        reasons = self.failed_records.most_common(top)
        listed = ", ".join(f"{reason} ({count:,})" for reason, count in reasons)
        fixes = []
        for reason, _ in reasons:
            fix = _REASON_FIXES.get(reason) or _REASON_FIXES.get(reason.split(" ", 1)[0])
            if fix and fix not in fixes:
                fixes.append(fix)
        fix_text = "; ".join(fixes) or "fix: see `infoscope export quarantine` for each reason"
        return (
            f"{n:,} of {self.records:,} records were quarantined: {listed}; {fix_text}; then "
            "ingest again (the records already stored are kept)"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "files": self.files,
            "formats": dict(self.formats),
            "records": self.records,
            "blank_records": self.blank_records,
            "posts": self.posts,
            "shares": self.shares,
            "accounts": self.accounts,
            "labels": self.labels,
            "articles": self.articles,
            "secondary_items": self.secondary_items,
            "article_links": self.article_links,
            "duplicates": self.duplicates,
            "untrusted_ids": self.untrusted_ids,
            "quarantined": sum(self.quarantined.values()),
            "quarantined_by_reason": dict(self.quarantined),
            "skipped_files": self.skipped_files,
            "skipped_members": self.skipped_members,
            "failed_files": self.failed_files,
            "date_layouts": self.date_layouts,
            "seconds": round(self.seconds, 3),
        }


def _quarantine_row(q: Quarantined, source: str, fmt: str, run_id: str) -> dict[str, Any]:
    raw = q.raw
    if isinstance(raw, bytes):
        raw = raw[:_QUARANTINE_RAW_LIMIT].decode("utf-8", errors="replace")
    elif isinstance(raw, str):
        raw = raw[:_QUARANTINE_RAW_LIMIT]
    return {
        "source": source,
        "source_line": q.line,
        "source_record": q.record,
        "format": fmt,
        "reason": q.reason,
        "raw": raw,
        "ingest_run": run_id,
    }


# -- reading (background thread) -------------------------------------------------------------
# Events passed from the reader to the writer:
#   ("format", name) | ("skipped", member) | ("table", format, pa.Table, date layouts)
#   | ("dates", dict) | ("arrow", kind, pa.Table) | ("rows", "quarantine", list[dict])
#   | ("count", n) | ("blank", n)
#   | ("done", formats)
Event = tuple[Any, ...]


class _Reader:
    """Reads one input file into events; runs in a background thread."""

    def __init__(self, ctx: ReadContext, fixed: Format | None, emit: Callable[[Event], None]):
        self.ctx = ctx
        self.fixed = fixed
        self.emit = emit

    def read_file(self, path: Path, name: str, *, in_folder: bool = False) -> None:
        try:
            self._read_file(path, name, in_folder=in_folder)
        except _CORRUPT_STREAM_ERRORS as exc:
            # A damaged or truncated compressed file or archive: name it and the fix, not the
            # decompressor's bare exception (EOFError reached the CLI as "Aborted!").
            detail = str(exc) or type(exc).__name__
            raise CorruptInputError(
                f"{name}: the compressed file or archive is truncated or corrupt ({detail}); "
                "fix: download or copy it again (`xz -t`, `gzip -t` or `unzip -t` checks it)"
            ) from None

    def _read_file(self, path: Path, name: str, *, in_folder: bool = False) -> None:
        formats: set[str] = set()
        for source in iter_sources(path, name=name):
            if in_folder and "!" not in source.name:
                fmt = self._format_in_folder(source)
            else:
                fmt = self._format_for(source, is_member="!" in source.name)
            if fmt is None:
                self.emit(("skipped", source.name))
                continue
            formats.add(fmt.name)
            self.emit(("format", fmt.name))
            if isinstance(fmt, TabularFormat):
                self._read_tabular(fmt, source)
            elif isinstance(fmt, RecordFormat):
                self._read_records(fmt, source)
        self.emit(("done", formats))

    def _format_for(self, source: Source, *, is_member: bool) -> Format | None:
        if self.fixed is not None:
            # Inside an archive, --format applies to the members it recognises (or to every
            # non-empty member for formats that are never detected).
            sn = sniff(source, delimiter=self.ctx.delimiter or ",")
            if is_member and (
                sn.kind == "empty" or (self.fixed.detectable and self.fixed.detect(sn) == 0)
            ):
                return None
            containers = self.fixed.containers
            if containers is not None and sn.kind not in containers and sn.kind != "empty":
                if is_member:
                    return None  # a README next to the data: listed as skipped
                raise UnknownFormatError(_wrong_container(sn, self.fixed))
            return self.fixed
        sn = sniff(source, delimiter=self.ctx.delimiter or ",")
        if is_member:
            if sn.kind == "empty":
                return None
            try:
                return detect_format(sn)
            except UnknownFormatError:
                # Archives hold READMEs and statistics next to the data: such members are
                # listed in the summary as skipped, not an error.
                return None
        return detect_format(sn)

    def _format_in_folder(self, source: Source) -> Format | None:
        """A file found in a folder: None when no format recognises it (listed as skipped);
        two formats matching equally is an error, as for a file named alone."""
        if self.fixed is not None:
            return self._format_for(source, is_member=True)
        sn = sniff(source, delimiter=self.ctx.delimiter or ",")
        if sn.kind == "empty" or not _recognised(sn):
            return None
        return detect_format(sn)

    def _read_records(self, fmt: RecordFormat, source: Source) -> None:
        # Dates a format finds in running text (bylines, teasers) try --date-format first.
        with reading_dates(self.ctx.date_formats):
            blocks = columnar_blocks(fmt, source, self.ctx)
            if blocks is None:
                self._collect(fmt, source, fmt.parse(source, self.ctx))
                return
            # Mapped in the engine (`infoscope.ingest._columnar`): each block gives Arrow
            # tables of the records mapped there and, in order, the items of the lines parsed
            # in Python.
            for block in blocks:
                if block.items:
                    self._collect(fmt, source, block.items)
                for kind, table in block.tables:
                    self.emit(("arrow", kind, table))
                if block.records:
                    self.emit(("count", block.records))

    def _collect(self, fmt: RecordFormat, source: Source, items: Iterable[ParsedItem]) -> None:
        """Turn parsed records into rows, handed over as Arrow tables every few thousand."""
        run_id = self.ctx.run_id
        pending: dict[str, list[dict[str, Any]]] = {k: [] for k in (*_SCHEMAS, "quarantine")}
        # An account appears with every post it writes: merge repeats here (first non-null
        # value per field, as the store does) rather than staging each copy.
        accounts: dict[tuple[str, str], dict[str, Any]] = {}
        last_record = 0
        counted = 0
        for item in items:
            # A format may yield several records for one input record (a post and its
            # author): progress counts input records.
            record = item.record if isinstance(item, Quarantined) else _record_of(item)
            if record != last_record:
                last_record = record
                counted += 1
            if isinstance(item, Quarantined):
                pending["quarantine"].append(_quarantine_row(item, source.name, fmt.name, run_id))
            else:
                prov = item.provenance
                if prov is not None:
                    prov.run_id = run_id
                    prov.format = fmt.name
                row = record_to_row(item)
                if isinstance(item, Post):
                    if item.id_as_written is not None:
                        row["_id_raw"] = item.id_as_written
                    pending["posts"].append(row)
                elif isinstance(item, Account):
                    known = accounts.get((item.platform, item.account_id))
                    if known is None:
                        accounts[(item.platform, item.account_id)] = row
                    else:
                        for key, value in row.items():
                            if value is not None and known[key] is None:
                                known[key] = value
                    for key, value in item.labels.items():
                        label = {k: row[k] for k in ("platform", "account_id", *_PROV_COLS)}
                        label.update(label_key=key, label_value=value)
                        pending["labels"].append(label)
                elif isinstance(item, Article):
                    pending["articles"].append(row)
                elif isinstance(item, ArticleLink):
                    pending["article_links"].append(row)
            if counted >= _ROWS_PER_EVENT:
                pending["accounts"] = list(accounts.values())
                accounts.clear()
                self._emit_rows(pending, counted)
                counted = 0
        pending["accounts"] = list(accounts.values())
        self._emit_rows(pending, counted)

    def _emit_rows(self, pending: dict[str, list[dict[str, Any]]], counted: int) -> None:
        """Hand records over as Arrow tables, built here in the reader thread."""
        for kind, rows in pending.items():
            if rows:
                schema = QUARANTINE_SCHEMA if kind == "quarantine" else _SCHEMAS[kind]
                if kind == "posts" and any("_id_raw" in row for row in rows):
                    schema = schema.append(pa.field("_id_raw", pa.string()))
                self.emit(("arrow", kind, pa.Table.from_pylist(rows, schema=schema)))
                pending[kind] = []
        if counted:
            self.emit(("count", counted))

    def _read_tabular(self, fmt: TabularFormat, source: Source) -> None:
        ctx = self.ctx
        stream = source.stream
        header_raw = stream.readline(ctx.max_record_bytes)
        if b"\x00" in header_raw:
            raise InputEncodingError(
                f"{source.name}: the header line holds a NUL byte: the file is binary data, or "
                "UTF-16/UTF-32 text without a byte-order mark; convert it to UTF-8 first, e.g. "
                "iconv -f UTF-16LE -t UTF-8 FILE > FILE.utf8"
            )
        header = to_utf8(header_raw, ctx.encoding, source.name, 1).decode("utf-8")
        delimiter = ctx.delimiter or fmt.delimiter
        columns = header_columns(header, delimiter)
        missing = sorted(fmt.required_columns(ctx) - set(columns))
        if missing:
            hint = ""
            if len(columns) == 1 and any(sep in columns[0] for sep in ";\t|"):
                hint = " (is the delimiter right? pass --delimiter)"
            raise MissingColumnError(
                f"{source.name}: missing required column(s) {', '.join(missing)} for format "
                f"{fmt.name!r}; the header has: {', '.join(columns[:10])}{hint}"
            )
        record_no = 1
        name_col = None
        date_column = fmt.date_column_of(ctx)
        # None until the first rows are seen: then the detected layouts, or () for the
        # format's own (--date-format given, no date column, or values of no numeric shape).
        layouts: tuple[str, ...] | None = None if date_column in columns else ()
        if ctx.date_formats:
            layouts = ctx.date_formats
        for part in iter_csv_blocks(stream, max_record_bytes=ctx.max_record_bytes):
            if isinstance(part, Oversized):
                q = Quarantined(part.reason, part.preview, record_no, part.line)
                self.emit(
                    ("rows", "quarantine", [_quarantine_row(q, source.name, fmt.name, ctx.run_id)])
                )
                record_no += 1
                self.emit(("count", 1))
                continue
            parsed = parse_csv_block(
                part, columns, delimiter=delimiter, encoding=ctx.encoding, source=source.name
            )
            if parsed.invalid:
                self.emit(
                    (
                        "rows",
                        "quarantine",
                        [
                            _quarantine_row(
                                Quarantined(
                                    f"expected {expected} columns, found {actual}",
                                    text,
                                    record_no + position,
                                    line,
                                ),
                                source.name,
                                fmt.name,
                                ctx.run_id,
                            )
                            for position, line, text, expected, actual in parsed.invalid
                        ],
                    )
                )
            table = parsed.table
            if table.num_rows and layouts is None:
                assert date_column is not None
                layouts = self._date_layouts(fmt, source, table, date_column)
            if table.num_rows:
                if name_col is None or len(name_col) != table.num_rows:
                    name_col = pa.array([source.name] * table.num_rows, pa.string())
                table = table.append_column("_source", name_col)
                table = table.append_column("_record", pa.array(parsed.positions + record_no))
                self.emit(("table", fmt.name, table, layouts or ()))
            record_no += parsed.records
            self.emit(("count", parsed.records - parsed.blank))
            if parsed.blank:
                self.emit(("blank", parsed.blank))

    def _date_layouts(
        self, fmt: TabularFormat, source: Source, table: pa.Table, column: str
    ) -> tuple[str, ...]:
        """The layouts detected from the first rows' dates (said in the summary), or ()."""
        sample = table.column(column).slice(0, 5000).to_pylist()
        found = detect_date_layouts(sample, default_order=fmt.date_order)
        if found is None:
            return ()
        self.emit(
            (
                "dates",
                {
                    "source": source.name,
                    "column": column,
                    "layouts": list(found.layouts),
                    "order": found.order,
                    "assumed": found.assumed,
                    "evidence": found.evidence,
                    "note": found.describe(),
                },
            )
        )
        return found.layouts


def _wrong_container(sn: Sniff, fmt: Format) -> str:
    """The message for --format naming a format that cannot read this kind of input."""
    kinds = {
        "csv": "delimited text (CSV)",
        "text": "plain text",
        "jsonl": "JSON Lines",
        "json-array": "a JSON array",
        "json-object": "a JSON object",
        "binary": "binary data",
        "utf-16": "UTF-16 text",
    }
    seen = kinds.get(sn.kind, sn.kind)
    wanted = (
        "JSON (JSON Lines, an array or an object)"
        if fmt.containers == JSON_KINDS
        else " or ".join(kinds.get(k, k) for k in sorted(fmt.containers or ()))
    )
    scores = sorted(
        ((other.detect(sn), name) for name, other in registered_formats().items()), reverse=True
    )
    if scores and scores[0][0] > 0 and (len(scores) == 1 or scores[1][0] < scores[0][0]):
        detected = f"; it is detected as {scores[0][1]!r}: drop --format"
    else:
        detected = "; drop --format to detect its format, or pass the one that reads it"
    return f"{sn.source}: --format {fmt.name} reads {wanted}, but this input is {seen}{detected}"


def _recognised(sn: Sniff) -> bool:
    return any(fmt.detect(sn) > 0 for fmt in registered_formats().values())


def _record_of(item: Post | Account | Article | ArticleLink) -> int:
    return item.provenance.record if item.provenance is not None else 0


def header_columns(header: str, delimiter: str) -> list[str]:
    """Column names of a header line; empty names become ``_c<i>``, repeats get a suffix."""
    names = header_fields(header, delimiter)
    if names is None:
        raise MissingColumnError(
            f"the header line is longer than {csv.field_size_limit()} characters: this is not "
            "delimited text with a header (check --format and --delimiter)"
        )
    seen: Counter[str] = Counter()
    out = []
    for i, name in enumerate(n.strip() for n in names):
        base = name or f"_c{i}"
        seen[base] += 1
        out.append(base if seen[base] == 1 else f"{base}_{seen[base]}")
    return out


# -- writing (main thread) --------------------------------------------------------------------
class _Batch:
    def __init__(self) -> None:
        # Raw rows of tabular formats, by format and the date layouts detected for their source.
        self.tables: dict[tuple[str, tuple[str, ...]], list[pa.Table]] = {}
        self.records: dict[str, list[pa.Table]] = {k: [] for k in (*_SCHEMAS, "quarantine")}
        self.size = 0
        self.nbytes = 0

    def full(self, rows: int) -> bool:
        return self.size >= rows or self.nbytes >= BATCH_BYTES


class Ingester:
    """Ingests files into a store (see `ingest`)."""

    def __init__(
        self,
        store: Store,
        ctx: ReadContext,
        *,
        format_name: str | None = None,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        progress: Callable[[int], None] | None = None,
        on_error: OnError = "raise",
    ):
        self.store = store
        self.ctx = ctx
        self.fixed = get_format(format_name) if format_name else None
        self.batch_rows = batch_rows
        self.progress = progress
        self.on_error = on_error
        self.summary = IngestSummary(run_id=ctx.run_id)
        self.stager = Stager(store.con, self.summary.store)
        install_sql_functions(store.con)

    def _ledger_key(self, fp: str) -> str:
        c = self.ctx
        options = [
            self.fixed.name if self.fixed else "",
            sorted(c.mapping.items()),
            c.encoding,
            c.delimiter,
            # One layout is recorded as before, so that ledger entries stay valid.
            c.date_formats[0] if len(c.date_formats) == 1 else list(c.date_formats) or None,
            c.platform,
            *([c.outlet] if c.outlet else []),
        ]
        return hashlib.sha256(f"{fp}|{options}".encode()).hexdigest()

    def ingest_file(self, path: Path, name: str | None = None, *, in_folder: bool = False) -> None:
        """Ingest one file; `name` is how provenance names it (default: its path). A file
        found in a folder (`in_folder`) that no format recognises is listed as skipped. A file
        that cannot be read raises, or with ``on_error="quarantine"`` is quarantined whole."""
        name = name or str(path)
        fp = fingerprint(path)
        key = self._ledger_key(fp)
        self.summary.files.append(name)
        if self.store.ledger_has(key) is not None:
            self.summary.skipped_files.append(name)
            return
        skipped = len(self.summary.skipped_members)
        try:
            formats = self._consume(self._events(path, name, in_folder))
        except _ReaderFailed as failed:
            # A missing component is this environment's fault, not the file's: every file
            # would fail alike, so the command stops with the fix instead of quarantining.
            if self.on_error == "raise" or isinstance(failed.error, MissingComponentError):
                raise failed.error from None
            self._quarantine_file(path, name, failed.error)
            return
        if in_folder and not formats and len(self.summary.skipped_members) > skipped:
            return  # not a known format: listed as skipped, not entered in the ledger
        self.store.ledger_add(key, name, fp, ",".join(sorted(formats)), self.ctx.run_id)

    def _quarantine_file(self, path: Path, name: str, error: Exception) -> None:
        """Quarantine a whole file that could not be read, with the reason."""
        message = (
            str(error)
            if isinstance(error, InfoscopeError)
            else (f"{type(error).__name__}: {error}")
        )
        reason = f"{_FAILED_FILE}: {message}"
        with path.open("rb") as f:
            head = f.read(_QUARANTINE_RAW_LIMIT)
        row = _quarantine_row(
            Quarantined(reason, head, 0),
            name,
            self.fixed.name if self.fixed else "",
            self.ctx.run_id,
        )
        with self.store.transaction():
            self.store.con.register(
                "staged_failed", pa.Table.from_pylist([row], schema=QUARANTINE_SCHEMA)
            )
            self.stager.quarantine("staged_failed")
            self.store.con.unregister("staged_failed")
        self.summary.failed_files.append({"file": name, "reason": message})

    def _events(self, path: Path, name: str, in_folder: bool = False) -> Iterator[Event]:
        """Run the reader in a thread and yield its events; errors are re-raised here."""
        events: queue.Queue[Event] = queue.Queue(maxsize=16)
        stop = threading.Event()

        def emit(event: Event) -> None:
            while not stop.is_set():
                try:
                    events.put(event, timeout=0.1)
                    return
                except queue.Full:
                    continue
            raise _Stopped

        def run() -> None:
            try:
                _Reader(self.ctx, self.fixed, emit).read_file(path, name, in_folder=in_folder)
            except _Stopped:
                return
            except BaseException as exc:  # handed to the main thread, which raises it
                if not stop.is_set():
                    events.put(("error", exc))

        thread = threading.Thread(target=run, name="infoscope-reader", daemon=True)
        thread.start()
        try:
            while True:
                event = events.get()
                if event[0] == "error":
                    if isinstance(event[1], Exception):
                        raise _ReaderFailed(event[1])
                    raise event[1]
                yield event
                if event[0] == "done":
                    return
        finally:
            stop.set()
            thread.join()

    def _consume(self, events: Iterator[Event]) -> set[str]:
        batch = _Batch()
        formats: set[str] = set()
        for event in events:
            kind = event[0]
            if kind == "table":
                batch.tables.setdefault((event[1], event[3]), []).append(event[2])
                batch.size += event[2].num_rows
                batch.nbytes += event[2].nbytes
            elif kind == "arrow":
                batch.records[event[1]].append(event[2])
                batch.size += event[2].num_rows
                batch.nbytes += event[2].nbytes
            elif kind == "rows":
                table = pa.Table.from_pylist(event[2], schema=QUARANTINE_SCHEMA)
                batch.records[event[1]].append(table)
                batch.size += table.num_rows
            elif kind == "count":
                self.summary.records += event[1]
                if self.progress is not None:
                    self.progress(event[1])
            elif kind == "blank":
                self.summary.blank_records += event[1]
            elif kind == "format":
                self.summary.formats[event[1]] += 1
            elif kind == "skipped":
                self.summary.skipped_members.append(event[1])
            elif kind == "dates":
                self.summary.date_layouts.append(event[1])
            elif kind == "done":
                formats = event[1]
            if batch.full(self.batch_rows):
                self._store(batch)
                batch = _Batch()
        self._store(batch)
        return formats

    def _store(self, batch: _Batch) -> None:
        if not batch.size:
            return
        con = self.store.con
        stager = self.stager
        with self.store.transaction():
            if batch.records["quarantine"]:
                con.register("staged_quarantine", pa.concat_tables(batch.records["quarantine"]))
                stager.quarantine("staged_quarantine")
                con.unregister("staged_quarantine")
            for (name, layouts), tables in batch.tables.items():
                self._store_tabular(get_format(name), tables, layouts)
            for kind in ("posts", "accounts", "labels", "articles", "article_links"):
                if batch.records[kind]:
                    con.register(
                        f"staged_{kind}",
                        pa.concat_tables(batch.records[kind], promote_options="permissive"),
                    )
                    getattr(stager, kind)(f"staged_{kind}")
                    con.unregister(f"staged_{kind}")

    def _store_tabular(
        self, fmt: Format, tables: list[pa.Table], layouts: tuple[str, ...] = ()
    ) -> None:
        assert isinstance(fmt, TabularFormat)
        con = self.store.con
        ctx = dataclasses.replace(self.ctx, date_formats=layouts) if layouts else self.ctx
        raw = pa.concat_tables(tables, promote_options="permissive")
        columns = tuple(c for c in raw.column_names if c not in INTERNAL_COLUMNS)
        con.register("raw", raw)
        sql = fmt.stage_sql(columns, ctx)
        if "posts" in sql:
            con.execute(f"CREATE OR REPLACE TEMP TABLE staged_posts AS {sql['posts']}")
            raw_record = (
                f"(SELECT {json_of(columns)} FROM raw r "
                "WHERE r._source = s.source AND r._record = s.source_record)"
            )
            self.stager.posts("staged_posts", raw_record_sql=raw_record)
            con.execute("DROP TABLE staged_posts")
        for kind in ("accounts", "labels"):
            if sql.get(kind):
                con.execute(f"CREATE OR REPLACE TEMP VIEW staged_{kind} AS {sql[kind]}")
                getattr(self.stager, kind)(f"staged_{kind}")
                con.execute(f"DROP VIEW staged_{kind}")
        con.unregister("raw")


class _Stopped(Exception):
    """The writer stopped the reader (after an error of its own)."""


class _ReaderFailed(Exception):
    """The reader thread's error, handed to the writer: the file could not be read."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


def expand_paths(paths: Iterable[str | Path]) -> list[tuple[Path, str, bool]]:
    """Each input as (path, name, found in a folder): a file as itself, a folder as the files
    under it (recursively, sorted; hidden files and folders left out). A missing path, or a
    folder with no file in it, is an error naming it."""
    found: list[tuple[Path, str, bool]] = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            before = len(found)
            for child in sorted(path.rglob("*")):
                relative = child.relative_to(path).parts
                if child.is_file() and not any(part.startswith(".") for part in relative):
                    found.append((child, str(child), True))
            if len(found) == before:
                raise InfoscopeError(
                    f"{p}: the folder holds no files to ingest (hidden files and folders, "
                    "whose names start with a dot, are left out)"
                )
        elif path.is_file():
            found.append((path, str(p), False))
        else:
            raise InfoscopeError(f"{p}: no such file or folder")
    return found


def ingest(
    store: Store,
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    encoding: str = "utf-8",
    mapping: dict[str, str] | None = None,
    platform: str | None = None,
    delimiter: str | None = None,
    date_format: str | Sequence[str] | None = None,
    max_record_bytes: int | None = None,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    progress: Callable[[int], None] | None = None,
    on_error: OnError | None = None,
    outlet: str | None = None,
) -> IngestSummary:
    """Ingest files and folders into `store` and return what was stored, skipped, quarantined
    and failed.

    Formats are detected from each file's markers unless `format` names one (see
    `registered_formats()`); a path of ``-`` reads standard input; a folder is read
    recursively (see the module docstring). A file that cannot be read raises
    (`on_error="raise"`) or is quarantined whole while the others go on
    (``"quarantine"``, listed in `IngestSummary.failed_files`); by default a batch (several
    inputs, or a folder) goes on and a single file raises. The run is recorded in the store's
    ``runs`` table with its parameters, the inputs' fingerprint, its counts and its status.
    `outlet` names the outlet of pages that do not say it (the article formats).
    """
    paths = list(paths)
    if on_error not in (None, "raise", "quarantine"):
        raise InfoscopeError(f"on_error must be 'raise' or 'quarantine', got {on_error!r}")
    check_encoding(encoding)
    with contextlib.ExitStack() as stack:
        named: list[tuple[Path, str, bool]] = []
        for p in paths:
            if str(p) == "-":
                named.append((stack.enter_context(_spooled_stdin()), "-", False))
            else:
                named.extend(expand_paths([p]))
        if on_error is None:
            batch = len(paths) > 1 or any(folder for _, _, folder in named)
            on_error = "quarantine" if batch else "raise"
        return _ingest(
            store,
            named,
            format=format,
            encoding=encoding,
            mapping=mapping,
            platform=platform,
            delimiter=delimiter,
            date_format=date_format,
            max_record_bytes=max_record_bytes,
            batch_rows=batch_rows,
            progress=progress,
            on_error=on_error,
            outlet=outlet,
        )


def check_encoding(encoding: str) -> None:
    """Refuse an encoding name Python does not know as a text encoding, naming the fix."""
    try:
        known = codecs.lookup(encoding)._is_text_encoding  # type: ignore[attr-defined]
    except LookupError:
        known = False
    if known and codecs.lookup(encoding).name.startswith(("utf-16", "utf-32")):
        raise InputEncodingError(
            f"--encoding {encoding}: files are read line by line as bytes, which UTF-16 and "
            "UTF-32 do not allow; convert the file to UTF-8 first, e.g. "
            "iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8"
        )
    if not known:
        raise InputEncodingError(
            f"unknown text encoding {encoding!r}: pass --encoding with a Python codec name, "
            "e.g. --encoding utf-8, --encoding latin-1, --encoding cp1252 or --encoding cp1251"
        )


@contextlib.contextmanager
def _spooled_stdin() -> Iterator[Path]:
    """Standard input copied to a temporary file (the ledger needs the content's hash)."""
    with tempfile.TemporaryDirectory(prefix="infoscope-stdin-") as tmp:
        path = Path(tmp) / "stdin"
        with path.open("wb") as out:
            shutil.copyfileobj(sys.stdin.buffer, out, 1 << 20)
        yield path


def _ingest(
    store: Store,
    named: list[tuple[Path, str, bool]],
    *,
    format: str | None,
    encoding: str,
    mapping: dict[str, str] | None,
    platform: str | None,
    delimiter: str | None,
    date_format: str | Sequence[str] | None,
    max_record_bytes: int | None,
    batch_rows: int,
    progress: Callable[[int], None] | None,
    on_error: OnError,
    outlet: str | None = None,
) -> IngestSummary:
    paths = [p for p, _, _ in named]
    if batch_rows < 1:
        raise InfoscopeError(f"batch_rows must be at least 1, got {batch_rows}")
    limit = max_record_bytes or DEFAULT_MAX_RECORD_BYTES
    layouts = as_layouts(date_format)
    params = {
        "paths": [name for _, name, _ in named],
        "format": format,
        "encoding": encoding,
        "mapping": mapping or {},
        "platform": platform,
        "delimiter": delimiter,
        "date_format": layouts[0] if len(layouts) == 1 else list(layouts) or None,
        "max_record_bytes": limit,
        "on_error": on_error,
        **({"outlet": outlet} if outlet else {}),
    }
    input_fp = hashlib.sha256("".join(fingerprint(p) for p in paths).encode()).hexdigest()
    # Ingest needs little of DuckDB's cache: bound it so peak memory stays well under 2 GB
    # whatever the input size (DuckDB spills to disk past the limit).
    previous_limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()
    # The user's limit when it is lower (--memory-limit).
    store.con.execute(
        "SET memory_limit = ?",
        [min(INGEST_MEMORY_LIMIT, memory_limit(), key=lambda m: int(m.removesuffix("MiB")))],
    )
    try:
        with store.run("ingest", params, fingerprint=input_fp, tables=()) as run:
            ctx = ReadContext(
                run_id=run.run_id,
                encoding=encoding,
                max_record_bytes=limit,
                platform=platform,
                mapping=mapping or {},
                date_formats=layouts,
                delimiter=delimiter,
                outlet=outlet,
            )
            ingester = Ingester(
                store,
                ctx,
                format_name=format,
                batch_rows=batch_rows,
                progress=progress,
                on_error=on_error,
            )
            started = time.perf_counter()
            try:
                for path, name, in_folder in named:
                    ingester.ingest_file(path, name, in_folder=in_folder)
            finally:
                ingester.summary.seconds = time.perf_counter() - started
                run.counts = ingester.summary.as_dict()
    finally:
        if previous_limit:
            store.con.execute(f"SET memory_limit = '{previous_limit[0]}'")
    return ingester.summary
