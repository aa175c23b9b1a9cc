"""Columnar ingest of JSON Lines: payloads of a fixed shape mapped inside the engine.

A record format that registers an `EngineMapping` (`register_engine_mapping`) has its JSON
Lines read in blocks of whole lines (`BLOCK_BYTES`, never a whole file) instead of one line at
a time. For each block:

1. the lines are split with numpy into one Arrow string column (their text without the line
   end, in one copy of the block), handed to a private in-memory DuckDB without a copy; empty
   lines are skipped, as the Python reader skips them;
2. the format's mapping parses the lines that look like one JSON object in the engine
   (``json_transform`` with an explicit structure), maps them to posts and accounts (SQL, Arrow
   and numpy, each distinct nested object such as a user profile once in Python) and says which
   lines it cannot vouch for (see each mapping's docstring: invalid JSON for orjson, another
   layout, a value of an unexpected type or shape);
3. those lines, and every other non-empty line, are parsed by the format's own Python `parse`,
   one line at a time, so that their records, quarantine reasons and provenance are exactly
   those of the Python reader. A line over ``max_record_bytes`` is quarantined with the Python
   reader's reason and preview; one that does not end within a block is skipped in chunks, so
   memory stays within a block and the record limit.

Record ordinals are counted across the block in line order (a line parsed in Python may hold
several records, as a twarc2 response page does), so provenance (source, line, record) is the
same as the Python reader's. A block that is not valid UTF-8 is read line by line in Python,
which raises the same one-line error naming the line. `tests/test_ingest_columnar.py` checks
that both readers store the same rows.

The Python reader can be forced, for comparisons and benchmarks, with the environment variable
``INFOSCOPE_INGEST_ENGINE=python``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pyarrow as pa

from infoscope.ingest.formats import ParsedItem, Quarantined, ReadContext, RecordFormat
from infoscope.ingest.reading import PREVIEW_BYTES, Oversized, to_utf8, too_large
from infoscope.ingest.sources import Source

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "ENGINE_SWITCH",
    "Block",
    "EngineMapping",
    "LineBlock",
    "columnar_blocks",
    "engine_mapping",
    "iter_line_blocks",
    "register_engine_mapping",
]

# Set to "python" to read every JSON format record by record in Python (the reference path).
ENGINE_SWITCH = "INFOSCOPE_INGEST_ENGINE"
# A block's tables wait in the pipeline's queue (16 events) while the store takes the previous
# ones: a few megabytes each keep that memory small.
BLOCK_BYTES = 8 << 20
# The engine of the reader thread: small, since a block is a few megabytes.
_ENGINE_MEMORY = "256MB"
_ENGINE_THREADS = 2
_NL, _CR, _OPEN, _CLOSE = 10, 13, ord("{"), ord("}")


@dataclass(slots=True)
class LineBlock:
    """Whole lines (each ending in a newline) starting at line `first_line`."""

    data: bytes
    first_line: int


@dataclass
class Block:
    """What one block gives the pipeline: the items of the lines parsed in Python (in line
    order), Arrow tables of what the engine mapped (``posts``, ``accounts``, ...), and the
    number of records the engine mapped."""

    items: list[ParsedItem] = field(default_factory=list)
    tables: list[tuple[str, pa.Table]] = field(default_factory=list)
    records: int = 0


class EngineMapping:
    """How a record format maps JSON Lines of its shape in the engine.

    For each block, `map_lines` gets the block's lines (text without the line end) and a mask
    of those that are one JSON object at a glance (a ``{`` first and a ``}`` last), and returns
    the mask of the lines it maps; the others are parsed in Python. `tables` then gives what it
    mapped as Arrow tables (``posts``, ``accounts``...), with the record ordinal of each line
    (`records`, by line index) that the Python reader would give it.
    """

    format_name: ClassVar[str]

    def applies(self, source: Source, ctx: ReadContext) -> bool:
        """Whether this source can be mapped in the engine with these options."""
        return True

    def start(self, con: duckdb.DuckDBPyConnection, ctx: ReadContext) -> None:
        """Prepare the engine (macros) and any state kept across the blocks of one source."""

    def map_lines(
        self, con: duckdb.DuckDBPyConnection, lines: pa.Array, cand: np.ndarray
    ) -> np.ndarray:
        raise NotImplementedError

    def tables(
        self,
        *,
        records: np.ndarray,
        lines: pa.Array,
        source: str,
        first_line: int,
        ctx: ReadContext,
    ) -> list[tuple[str, pa.Table]]:
        raise NotImplementedError

    def oversized(self, part: Oversized, record: int) -> list[ParsedItem]:
        """The items of a line over the record limit (what the Python reader yields)."""
        return [Quarantined(part.reason, part.preview, record, part.line)]


_MAPPINGS: dict[str, type[EngineMapping]] = {}


def register_engine_mapping(mapping: type[EngineMapping]) -> type[EngineMapping]:
    """Map the JSON Lines of format ``mapping.format_name`` in the engine (a new instance of
    `mapping` reads each source)."""
    if mapping.format_name in _MAPPINGS:
        raise ValueError(f"engine mapping of {mapping.format_name!r} registered twice")
    _MAPPINGS[mapping.format_name] = mapping
    return mapping


def engine_mapping(name: str) -> type[EngineMapping] | None:
    """The engine mapping registered for format `name`, if any."""
    return _MAPPINGS.get(name)


def _engine_enabled() -> bool:
    return os.environ.get(ENGINE_SWITCH, "").strip().lower() not in ("python", "0", "off")


def _is_utf8(encoding: str) -> bool:
    return encoding.lower().replace("_", "-") in ("utf-8", "utf8")


def _is_json_lines(head: bytes) -> bool:
    """JSON Lines, not an array or pretty-printed documents (`_json_records.layout_of`)."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    return not text.startswith("[") and text.split("\n", 1)[0].strip() != "{"


def columnar_blocks(fmt: RecordFormat, source: Source, ctx: ReadContext) -> Iterator[Block] | None:
    """The blocks of `source` mapped in the engine, or None when `fmt` is read in Python
    (no engine mapping, another layout or encoding, or the switch set to ``python``)."""
    kind = _MAPPINGS.get(fmt.name)
    if (
        kind is None
        or not _engine_enabled()
        or not _is_utf8(ctx.encoding)
        or not _is_json_lines(source.head)
    ):
        return None
    mapping = kind()
    if not mapping.applies(source, ctx):
        return None
    return _read_blocks(fmt, mapping, source, ctx)


def iter_line_blocks(
    stream: io.BufferedReader, *, max_record_bytes: int, block_bytes: int = BLOCK_BYTES
) -> Iterator[LineBlock | Oversized]:
    """Split a stream into blocks of whole lines; a line over `max_record_bytes` that does not
    end within a block is reported as `Oversized` (with `record` 0) and skipped in chunks.

    Lines within a block are not checked against the limit here (the caller does, with the
    same rule as `infoscope.ingest.reading.iter_lines`: more than `max_record_bytes` bytes
    before the newline). The last block ends with a newline even when the stream does not.
    """
    line_no = 1
    pending = b""
    while True:
        chunk = stream.read(block_bytes)
        if not chunk:
            if pending:
                yield LineBlock(pending + b"\n", line_no)
            return
        data = pending + chunk if pending else chunk
        cut = data.rfind(b"\n") + 1
        if cut:
            yield LineBlock(data[:cut], line_no)
            line_no += data.count(b"\n", 0, cut)
            pending = data[cut:]
        else:
            pending = data
        if len(pending) > max_record_bytes:
            yield _skip_line(stream, pending, line_no, max_record_bytes)
            line_no += 1
            pending = b""


def _skip_line(stream: io.BufferedReader, pending: bytes, line_no: int, limit: int) -> Oversized:
    """Consume the rest of a line that is already over `limit` bytes."""
    preview = pending[: min(PREVIEW_BYTES, limit + 1)]
    size = len(pending)
    while True:
        more = stream.readline(1 << 20)
        size += len(more)
        if not more or more.endswith(b"\n"):
            break
    return Oversized(line_no, line_no, size, preview, too_large(limit, "line "))


def _read_blocks(
    fmt: RecordFormat, mapping: EngineMapping, source: Source, ctx: ReadContext
) -> Iterator[Block]:
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{_ENGINE_MEMORY}'")
        con.execute(f"SET threads = {_ENGINE_THREADS}")
        con.execute("SET TimeZone = 'UTC'")
        mapping.start(con, ctx)
        record = 0
        blocks = iter_line_blocks(
            source.stream, max_record_bytes=ctx.max_record_bytes, block_bytes=BLOCK_BYTES
        )
        for part in blocks:
            if isinstance(part, Oversized):
                record += 1
                yield Block(items=mapping.oversized(part, record))
                continue
            block = _map_block(fmt, mapping, con, source, ctx, part, record)
            record += block.records + _records_of(block.items)
            yield block
    finally:
        con.close()


def _records_of(items: list[ParsedItem]) -> int:
    """How many input records the items of Python-parsed lines stand for."""
    seen = set()
    for item in items:
        if isinstance(item, Quarantined):
            seen.add(item.record)
        elif item.provenance is not None:
            seen.add(item.provenance.record)
    return len(seen)


def _map_block(
    fmt: RecordFormat,
    mapping: EngineMapping,
    con: duckdb.DuckDBPyConnection,
    source: Source,
    ctx: ReadContext,
    part: LineBlock,
    record: int,
) -> Block:
    data = part.data
    limit = ctx.max_record_bytes
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero(raw == _NL)  # the newline of each line
    n = len(ends)
    starts = np.empty(n, dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    length = ends - starts
    oversized = length > limit
    lines, content_length = _content(data, ends)
    empty = content_length == 0
    cand = ~oversized & ~empty
    cand[cand] = (raw[starts[cand]] == _OPEN) & (
        raw[starts[cand] + content_length[cand] - 1] == _CLOSE
    )
    valid_utf8 = True
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        valid_utf8 = False  # read in Python, which names the first line that is not UTF-8
        cand[:] = False

    engine = mapping.map_lines(con, lines, cand) if cand.any() else cand
    python = ~engine & ~empty & ~oversized

    # Records before each line: one per engine line, as many as Python finds in the others.
    counts = engine.astype(np.int64) + oversized
    items: list[ParsedItem] = []
    todo = np.flatnonzero(python | oversized)
    if len(todo):
        before = np.cumsum(counts) - counts
        extra = 0
        for i in todo.tolist():
            line_no = part.first_line + i
            base = record + int(before[i]) + extra
            if oversized[i]:
                preview = data[starts[i] : starts[i] + min(PREVIEW_BYTES, limit + 1)]
                size = int(length[i]) + 1
                reported = Oversized(line_no, line_no, size, preview, too_large(limit, "line "))
                items.extend(mapping.oversized(reported, base + 1))
                continue
            line = data[starts[i] : ends[i] + 1]
            if not valid_utf8:
                to_utf8(line, ctx.encoding, source.name, line_no)
            found = _parse_line(fmt, source, ctx, line, line_no, base)
            counts[i] = _records_of(found)
            extra += int(counts[i])
            items.extend(found)
    if not engine.any():
        return Block(items=items)
    records = record + np.cumsum(counts)  # the record of each engine line (one each)
    tables = mapping.tables(
        records=records, lines=lines, source=source.name, first_line=part.first_line, ctx=ctx
    )
    return Block(items=items, tables=tables, records=int(engine.sum()))


def _content(data: bytes, ends: np.ndarray) -> tuple[pa.Array, np.ndarray]:
    """The block's lines without their line ends (a CR before the newline dropped), as one
    Arrow string array over a copy of the block, and each line's length."""
    n = len(ends)
    if b"\r" in data:
        crlf = np.zeros(n, dtype=bool)
        has = ends > 0
        crlf[has] = np.frombuffer(data, dtype=np.uint8)[ends[has] - 1] == _CR
        # Lines are separated by their line ends: drop a CR before a newline, then newlines.
        starts = np.empty(n, dtype=np.int64)
        starts[0] = 0
        starts[1:] = ends[:-1] + 1
        lengths = ends - starts - crlf
        text = data.replace(b"\r\n", b"\n").replace(b"\n", b"")
    else:
        lengths = np.diff(ends, prepend=-1) - 1
        text = data.replace(b"\n", b"")
    large = len(text) >= 1 << 31  # only with a --max-record-bytes of gigabytes
    offsets = np.zeros(n + 1, dtype=np.int64 if large else np.int32)
    offsets[1:] = np.cumsum(lengths)
    kind = pa.LargeStringArray if large else pa.StringArray
    lines = kind.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(text))
    return lines, lengths


def _parse_line(
    fmt: RecordFormat, source: Source, ctx: ReadContext, line: bytes, line_no: int, base: int
) -> list[ParsedItem]:
    """The items of one line parsed by the format's own reader, renumbered: records follow
    `base`, and the line is `line_no` (a line after the first is read as a source's second
    line, so that what formats do to a first line alone, such as dropping a BOM, is not
    done to it)."""
    data = line if line_no == 1 else b"\n" + line
    shift = line_no - (1 if line_no == 1 else 2)
    stream: Any = io.BytesIO(data)
    items = list(fmt.parse(Source(source.name, source.head, stream), ctx))
    seen: set[int] = set()
    for item in items:
        if isinstance(item, Quarantined):
            item.record += base
            if item.line is not None:
                item.line += shift
            continue
        prov = item.provenance
        if prov is not None and id(prov) not in seen:
            seen.add(id(prov))
            prov.record += base
            if prov.line is not None:
                prov.line += shift
    return items
