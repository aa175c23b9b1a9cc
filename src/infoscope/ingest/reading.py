"""Bounded-memory readers: CSV blocks and JSON lines, with oversized records quarantined.

Nothing here holds a whole file, and no single record larger than `max_record_bytes` is ever
held whole: it is skipped in chunks and reported with a short preview.

CSV records are split without parsing: the quote state after a prefix of an RFC 4180 file is the
parity of the number of `"` characters in it, so a newline after an even number of quotes ends a
record. Whole blocks of records are then handed to Arrow's CSV parser.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from infoscope.errors import InputEncodingError

PREVIEW_BYTES = 2048
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
    """Whole CSV records (no header) starting at `first_line` / `first_record`.

    `starts` lists each record's first line when some record spans several lines; it is None
    when every record is one line.
    """

    data: bytes
    first_line: int
    first_record: int
    lines: int
    starts: list[int] | None

    @property
    def records(self) -> int:
        return self.lines if self.starts is None else len(self.starts)

    def record_lines(self) -> list[int]:
        """The line at which each record starts."""
        if self.starts is None:
            return list(range(self.first_line, self.first_line + self.lines))
        return self.starts


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


def _record_starts(data: bytes, first_line: int) -> list[int] | None:
    """Line numbers at which each CSV record in `data` starts, None if all are one line."""
    pieces = data.split(b"\n")
    if data.endswith(b"\n"):
        pieces.pop()
    if not any(piece.count(b'"') % 2 for piece in pieces):
        return None
    starts: list[int] = []
    open_quote = False
    for offset, piece in enumerate(pieces):
        if not open_quote:
            starts.append(first_line + offset)
        if piece.count(b'"') % 2:
            open_quote = not open_quote
    return starts


def iter_csv_blocks(
    stream: io.BufferedReader,
    *,
    max_record_bytes: int,
    block_bytes: int = 8 << 20,
    first_line: int = 2,
) -> Iterator[CsvBlock | Oversized]:
    """Split a CSV body (header already consumed) into blocks of whole records.

    Records longer than `max_record_bytes` are yielded as `Oversized` and never held whole.
    """
    line_no = first_line
    record_no = 1
    pending = b""
    while True:
        chunk = stream.read(block_bytes)
        data = pending + chunk if pending else chunk
        if not chunk:
            if data.strip():
                if data.count(b'"') % 2:
                    yield Oversized(
                        line_no, record_no, len(data), data[:PREVIEW_BYTES],
                        "unterminated quoted field at end of file",
                    )
                    return
                if not data.endswith(b"\n"):
                    data += b"\n"
                yield _block(data, line_no, record_no)
            return
        cut = data.rfind(b"\n") + 1
        if cut and data.count(b'"', 0, cut) % 2 == 0:
            body = data[:cut]
        else:
            body = _split_at_last_record(data[:cut])
        pending = data[len(body) :]
        if body:
            block = _block(body, line_no, record_no)
            yield block
            line_no += block.lines
            record_no += block.records
        if len(pending) > max_record_bytes:
            report, pending, line_no = _skip_oversized(
                stream, pending, line_no, record_no, max_record_bytes
            )
            yield report
            record_no += 1


def _block(body: bytes, line_no: int, record_no: int) -> CsvBlock:
    return CsvBlock(body, line_no, record_no, body.count(b"\n"), _record_starts(body, line_no))


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
    stream: io.BufferedReader, pending: bytes, line_no: int, record_no: int, limit: int
) -> tuple[Oversized, bytes, int]:
    """Consume one record that starts `pending` and is over `limit` bytes, in bounded chunks.

    Returns the report, the bytes after the record, and the line number after it.
    """
    preview = pending[:PREVIEW_BYTES]
    reason = f"record longer than {limit} bytes (raise --max-record-bytes to keep it)"
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
                return Oversized(line_no, record_no, size, preview, reason), data[pos:], line_no + lines
        data = stream.read(_CHUNK)
        if not data:
            return Oversized(line_no, record_no, size, preview, reason), b"", line_no + lines


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
            reason = f"line longer than {max_record_bytes} bytes (raise --max-record-bytes)"
            yield line_no, Oversized(line_no, line_no, size, preview, reason)
            continue
        yield line_no, line
