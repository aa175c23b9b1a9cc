"""Bounded-memory readers: CSV blocks and JSON lines, with oversized records quarantined.

Nothing here holds a whole file, and no single record larger than `max_record_bytes` is ever
held whole: it is skipped in chunks and reported with a short preview.

CSV records are split without parsing: the quote state after a prefix of an RFC 4180 file is the
parity of the number of `"` characters in it, so a newline after an even number of quotes ends a
record. Whole blocks of records are then handed to Arrow's CSV parser.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from infoscope.errors import InputEncodingError

__all__ = [
    "CountingReader",
    "CsvBlock",
    "Oversized",
    "ParsedBlock",
    "header_fields",
    "iter_csv_blocks",
    "iter_lines",
    "parse_csv_block",
    "to_utf8",
    "too_large",
]

PREVIEW_BYTES = 2048


class CountingReader:
    """A byte stream that counts the bytes read from it (only ``read``, which is all ijson uses).

    A streaming parser's consumption between two items bounds the second item's size from
    above (to within one read buffer), so only items that may be over a limit need measuring.
    """

    def __init__(self, stream: Any):
        self._stream = stream
        self.consumed = 0

    def read(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.consumed += len(data)
        return data


def too_large(limit: int, what: str = "") -> str:
    """The quarantine reason of a record over ``--max-record-bytes`` (`what`: ``"line "``)."""
    return (
        f"record too large: {what}longer than {limit} bytes (raise --max-record-bytes to keep it)"
    )


_CHUNK = 1 << 20


@dataclass(slots=True)
class Oversized:
    """A record that cannot be parsed whole: where it started, its size, why, and a preview."""

    line: int
    record: int
    size: int
    preview: bytes
    reason: str = "record too large"


@dataclass(slots=True)
class CsvBlock:
    """Whole CSV records (no header), starting at line `first_line`, `lines` lines long."""

    data: bytes
    first_line: int
    lines: int


def to_utf8(data: bytes, encoding: str, source: str, first_line: int) -> bytes:
    """Return `data` as UTF-8, or raise a one-line error that names the line and the fix."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        try:
            data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = first_line + data.count(b"\n", 0, exc.start)
            raise InputEncodingError(
                f"{source}: line {line} is not valid UTF-8 (byte 0x{data[exc.start]:02x}). "
                "Pass --encoding with the file's encoding; it is often worth trying "
                "--encoding latin-1 or --encoding cp1252"
            ) from None
        return data
    try:
        return data.decode(encoding).encode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise InputEncodingError(
            f"{source}: line {line} cannot be decoded as {encoding}; check --encoding"
        ) from None


def header_fields(line: str, delimiter: str) -> list[str] | None:
    """The fields of a CSV header line (a BOM and line end dropped, a stray CR or LF read as
    a space), or None when the line is too long to be a header."""
    line = line.lstrip("\ufeff").rstrip("\r\n").replace("\r", " ").replace("\n", " ")
    if len(line) >= csv.field_size_limit():
        return None
    return next(csv.reader([line], delimiter=delimiter), [])


def iter_csv_blocks(
    stream: io.BufferedReader,
    *,
    max_record_bytes: int,
    block_bytes: int = 8 << 20,
    first_line: int = 2,
) -> Iterator[CsvBlock | Oversized]:
    """Split a CSV body (header already consumed) into blocks of whole records.

    Records longer than `max_record_bytes` are yielded as `Oversized` (with `record` 0: the
    caller numbers records) and never held whole.
    """
    line_no = first_line
    pending = b""
    while True:
        chunk = stream.read(block_bytes)
        data = pending + chunk if pending else chunk
        if not chunk:
            if data:
                if data.count(b'"') % 2:
                    yield Oversized(
                        line_no,
                        0,
                        len(data),
                        data[:PREVIEW_BYTES],
                        "malformed CSV: unterminated quoted field at end of file",
                    )
                    return
                if not data.endswith(b"\n"):
                    data += b"\n"
                yield CsvBlock(data, line_no, data.count(b"\n"))
            return
        cut = data.rfind(b"\n") + 1
        if cut and data.count(b'"', 0, cut) % 2 == 0:
            body = data[:cut]
        else:
            body = _split_at_last_record(data[:cut])
        pending = data[len(body) :]
        if body:
            block = CsvBlock(body, line_no, body.count(b"\n"))
            yield block
            line_no += block.lines
        if len(pending) > max_record_bytes:
            report, pending, line_no = _skip_oversized(stream, pending, line_no, max_record_bytes)
            yield report


def _split_at_last_record(data: bytes) -> bytes:
    """The longest prefix of `data` that ends at a record boundary."""
    end = 0
    pos = 0
    open_quote = False
    for piece in data.split(b"\n")[:-1]:
        pos += len(piece) + 1
        if piece.count(b'"') % 2:
            open_quote = not open_quote
        if not open_quote:
            end = pos
    return data[:end]


def _skip_oversized(
    stream: io.BufferedReader, pending: bytes, line_no: int, limit: int
) -> tuple[Oversized, bytes, int]:
    """Consume one record that starts `pending` and is over `limit` bytes, in bounded chunks.

    Returns the report, the bytes after the record, and the line number after it.
    """
    preview = pending[:PREVIEW_BYTES]
    reason = too_large(limit)
    size = 0
    open_quote = False
    lines = 0
    data = pending
    while True:
        pos = 0
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                if data.count(b'"', pos) % 2:
                    open_quote = not open_quote
                size += len(data) - pos
                break
            if data.count(b'"', pos, nl) % 2:
                open_quote = not open_quote
            lines += 1
            size += nl + 1 - pos
            pos = nl + 1
            if not open_quote:
                return Oversized(line_no, 0, size, preview, reason), data[pos:], line_no + lines
        data = stream.read(_CHUNK)
        if not data:
            return Oversized(line_no, 0, size, preview, reason), b"", line_no + lines


@dataclass(slots=True)
class ParsedBlock:
    """A CSV block parsed to text columns, with the records that did not parse."""

    table: pa.Table  # the source columns plus _line (first line of each record)
    positions: np.ndarray  # 0-based position of each valid row among the block's records
    invalid: list[tuple[int, int, str, int, int]]  # (position, line, text, expected, actual)
    records: int  # valid + invalid + blank
    blank: int = 0  # records with every field empty (blank lines, ",,,"): not in `table`


def parse_csv_block(
    block: CsvBlock, columns: list[str], *, delimiter: str, encoding: str, source: str
) -> ParsedBlock:
    """Parse a block of whole CSV records with Arrow; every value is text, empty is NULL.

    Each record's first line is computed from the newlines inside the records before it, so
    multi-line records keep exact line numbers without a Python pass over the lines. Records
    with every field empty (a blank line, or only delimiters as a spreadsheet leaves them) hold
    nothing to keep: they are left out of the table and counted in `ParsedBlock.blank`.
    """
    # Valid UTF-8 before Arrow: it decodes a bad row's text for on_invalid, and invalid
    # UTF-8 there is an ignored exception (traceback on stderr) then a bare ArrowInvalid.
    data = to_utf8(block.data, encoding, source, block.first_line)
    invalid_rows: list[Any] = []

    def on_invalid(row: Any) -> str:
        invalid_rows.append(row)
        return "skip"

    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(
                column_names=columns, use_threads=False, block_size=len(data) + 1
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=on_invalid,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                # Only an empty field is missing: "NA", "null" or "nan" are text to keep.
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if "UTF8" in str(exc):
            # Arrow validated the text and found invalid UTF-8: name the line and the fix.
            to_utf8(data, "utf-8", source, block.first_line)
        raise
    n_total = table.num_rows + len(invalid_rows)
    # Newlines inside each record: from the parsed fields of valid rows, from the text of
    # invalid ones; record k starts at first_line + k + (newlines in records before k).
    inner = np.zeros(n_total, dtype=np.int64)
    invalid_at = np.array([row.number - 1 for row in invalid_rows], dtype=np.int64)
    valid_mask = np.ones(n_total, dtype=bool)
    valid_mask[invalid_at] = False
    if table.num_rows and b"\n" in data and block.lines != n_total:
        per_row = np.zeros(table.num_rows, dtype=np.int64)
        for column in table.columns:
            counts = pc.count_substring(column, "\n").fill_null(0)
            per_row += counts.to_numpy(zero_copy_only=False)
        inner[valid_mask] = per_row
        for i, row in zip(invalid_at, invalid_rows, strict=True):
            inner[i] = row.text.count("\n")
    starts = block.first_line + np.arange(n_total, dtype=np.int64) + np.cumsum(inner) - inner
    table = table.append_column("_line", pa.array(starts[valid_mask]))
    invalid = [
        (int(i), int(starts[i]), row.text, row.expected_columns, row.actual_columns)
        for i, row in zip(invalid_at, invalid_rows, strict=True)
    ]
    positions = np.flatnonzero(valid_mask)
    blank = 0
    if table.num_rows:
        empty = pc.is_null(table.column(0))
        for column in table.columns[1 : len(columns)]:
            empty = pc.and_(empty, pc.is_null(column))
        blank = pc.sum(empty).as_py() or 0
        if blank:
            keep = pc.invert(empty)
            table = table.filter(keep)
            positions = positions[keep.to_numpy(zero_copy_only=False)]
    return ParsedBlock(table, positions, invalid, n_total, blank)


def iter_lines(
    stream: io.BufferedReader, *, max_record_bytes: int
) -> Iterator[tuple[int, bytes | Oversized]]:
    """Yield (line number, line bytes) for a line-oriented file such as JSON Lines.

    A line over `max_record_bytes` is yielded as `Oversized` after being skipped in chunks.
    """
    line_no = 0
    while True:
        line = stream.readline(max_record_bytes + 1)
        if not line:
            return
        line_no += 1
        if len(line) > max_record_bytes and not line.endswith(b"\n"):
            size = len(line)
            preview = line[:PREVIEW_BYTES]
            while True:
                more = stream.readline(_CHUNK)
                size += len(more)
                if not more or more.endswith(b"\n"):
                    break
            reason = too_large(max_record_bytes, "line ")
            yield line_no, Oversized(line_no, line_no, size, preview, reason)
            continue
        yield line_no, line
