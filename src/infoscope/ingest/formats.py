"""The format registry, format detection and the two kinds of format.

A format is one module in `infoscope.ingest` that calls `register(...)` with either

- a `TabularFormat` (delimited text): it declares the header columns that identify it
  (`markers`), those it needs (`required`), and SQL that maps a batch of raw rows (all text,
  relation ``raw``) to the canonical staging relations. Reading, splitting and parsing the
  CSV is shared and column-wise, so tabular formats ingest at engine speed; or
- a `RecordFormat` (JSON and other nested payloads): it declares `detect(sniff)` over clear
  markers (JSON keys) and a `parse(source, ctx)` generator of canonical records.

Detection never tries a parser and catches its failure: each format scores the sniffed header
or first record, the highest score wins, and a tie or no match is an error naming `--format`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import ijson
import orjson

from infoscope.errors import UnknownFormatError
from infoscope.ingest.reading import header_fields
from infoscope.ingest.sources import Source
from infoscope.records import Account, Article, ArticleLink, Post

__all__ = [
    "Format",
    "Quarantined",
    "ReadContext",
    "RecordFormat",
    "Sniff",
    "TabularFormat",
    "detect_format",
    "get_format",
    "register",
    "registered_formats",
    "sniff",
]

DEFAULT_MAX_RECORD_BYTES = 8 << 20
# Sniffed container kinds of JSON input (see `Sniff.kind`).
JSON_KINDS = frozenset({"jsonl", "json-array", "json-object"})
# Text never holds a NUL byte (UTF-16 aside, told by its byte-order mark): one in the first
# bytes marks binary data (an image, a database, an executable).
_BINARY_PROBE = 4096


@dataclass(slots=True)
class Quarantined:
    """A record that could not be stored, with the reason."""

    reason: str
    raw: str | bytes | None
    record: int
    line: int | None = None


ParsedItem = Post | Account | Article | ArticleLink | Quarantined


@dataclass(frozen=True)
class ReadContext:
    """Options of one ingest that formats may read."""

    run_id: str = ""
    encoding: str = "utf-8"
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    platform: str | None = None
    mapping: Mapping[str, str] = field(default_factory=dict)
    # strptime layouts of the date column, tried in order: given with --date-format, or
    # detected per source from a sample of its values (`infoscope.ingest.dates`).
    date_formats: tuple[str, ...] = ()
    delimiter: str | None = None
    outlet: str | None = None


@dataclass(frozen=True)
class Sniff:
    """What detection sees of a source: its first bytes, header or first record."""

    source: str
    head: bytes
    kind: str  # "csv", "jsonl", "json-array", "json-object", "empty", "text", "binary", "utf-16"
    columns: tuple[str, ...] = ()
    first: Mapping[str, Any] | None = None
    top_keys: frozenset[str] = frozenset()

    @property
    def first_line(self) -> str:
        return self.text.split("\n", 1)[0].rstrip("\r")

    @property
    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace").lstrip("\ufeff")


class Format:
    """Base of every registered format."""

    name: ClassVar[str]
    description: ClassVar[str]
    # False for formats that are only ever chosen with --format (never detected): inside an
    # archive, every member is then read with them.
    detectable: ClassVar[bool] = True
    # The container kinds (`Sniff.kind`) the format reads; None: any. A source of another kind
    # named with --format is refused with the reason instead of quarantining every record.
    containers: ClassVar[frozenset[str] | None] = None

    def detect(self, sniff: Sniff) -> int:
        """A score above 0 if the sniffed source is this format (higher: more specific)."""
        raise NotImplementedError


class TabularFormat(Format):
    """Delimited text mapped to canonical records with SQL (see the module docstring)."""

    markers: ClassVar[frozenset[str]]
    required: ClassVar[frozenset[str]]
    delimiter: ClassVar[str] = ","
    # The column of the post's date, whose layout is detected from its values when
    # --date-format is not given (`infoscope.ingest.dates`); the order assumed when no value
    # tells day from month.
    date_column: ClassVar[str | None] = None
    date_order: ClassVar[Literal["day-first", "month-first"]] = "month-first"

    def detect(self, sniff: Sniff) -> int:
        if sniff.kind != "csv" or not self.markers <= set(sniff.columns):
            return 0
        return 10 + len(self.markers)

    def required_columns(self, ctx: ReadContext) -> frozenset[str]:
        return self.required

    def date_column_of(self, ctx: ReadContext) -> str | None:
        """The source column holding the post's date (see `date_column`)."""
        return self.date_column

    def stage_sql(self, columns: tuple[str, ...], ctx: ReadContext) -> dict[str, str]:
        """SELECT statements over relation ``raw`` for ``posts``, ``accounts``, ``labels``.

        ``raw`` has the source's columns as text plus ``_source``, ``_line`` and ``_record``.
        The ``posts`` select gives the post columns (see `infoscope.records.POST_SCHEMA`) plus
        ``_created_raw``, the unparsed date, for the quarantine message (the pipeline keeps the
        raw row of a quarantined record itself), and ``_id_raw``, the id as written, by which
        ids in float notation are told (see `infoscope.ingest.staging`). Missing columns read
        as NULL. Dates are read with ``ctx.date_formats`` when not empty.
        """
        raise NotImplementedError


class RecordFormat(Format):
    """Nested payloads parsed record by record in Python."""

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        raise NotImplementedError


_REGISTRY: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add a format to the registry under its `name`."""
    if fmt.name in _REGISTRY:
        raise ValueError(f"format {fmt.name!r} registered twice")
    _REGISTRY[fmt.name] = fmt
    return fmt


def registered_formats() -> dict[str, Format]:
    """Name -> format, in registration order."""
    return dict(_REGISTRY)


def get_format(name: str) -> Format:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise UnknownFormatError(
            f"unknown format {name!r}; choose one of: {', '.join(sorted(_REGISTRY))}"
        ) from None


def _first_json_item(head: bytes) -> Mapping[str, Any] | None:
    """The first element of a JSON array, if it is complete within `head`."""
    try:
        for item in ijson.items(io.BytesIO(head), "item"):
            return item if isinstance(item, dict) else None
    except ijson.common.IncompleteJSONError:
        return None
    return None


def _top_keys(head: bytes) -> frozenset[str]:
    """Top-level keys of a JSON object, as far as `head` reaches."""
    keys: set[str] = set()
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(head)):
            if prefix == "" and event == "map_key":
                keys.add(value)
    except ijson.common.IncompleteJSONError:
        pass
    return frozenset(keys)


def sniff(source: Source, *, delimiter: str = ",") -> Sniff:
    """Look at the first bytes of a source to tell its container kind, header or first record."""
    head = source.head
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return Sniff(source.name, head, "utf-16")
    if b"\x00" in head[:_BINARY_PROBE]:
        return Sniff(source.name, head, "binary")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    stripped = text.lstrip()
    if not stripped:
        return Sniff(source.name, head, "empty")
    if stripped[0] == "[":
        return Sniff(source.name, head, "json-array", first=_first_json_item(head.lstrip()))
    first_line = stripped.split("\n", 1)[0].strip()
    if stripped[0] == "{":
        if first_line.endswith("}"):
            return Sniff(source.name, head, "jsonl", first=_json_object_or_none(first_line))
        return Sniff(source.name, head, "json-object", top_keys=_top_keys(head.lstrip()))
    fields = header_fields(text.split("\n", 1)[0], delimiter)
    if fields is None:
        return Sniff(source.name, head, "text")
    columns = tuple(fields)
    if len(columns) > 1 or delimiter != ",":
        return Sniff(source.name, head, "csv", columns=tuple(c.strip() for c in columns))
    return Sniff(source.name, head, "text", columns=tuple(columns))


def _json_object_or_none(line: str) -> Mapping[str, Any] | None:
    """The first line as a JSON object, or None when it is not valid JSON (reported later)."""
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def detect_format(sn: Sniff, candidates: Mapping[str, Format] | None = None) -> Format:
    """The registered format whose markers match `sn` best, or an error naming --format."""
    formats = candidates if candidates is not None else _REGISTRY
    scored = sorted(
        ((fmt.detect(sn), name, fmt) for name, fmt in formats.items()), key=lambda t: -t[0]
    )
    scored = [s for s in scored if s[0] > 0]
    if not scored:
        raise UnknownFormatError(f"{sn.source}: {_describe(sn)}")
    if len(scored) > 1 and scored[0][0] == scored[1][0]:
        raise UnknownFormatError(
            f"{sn.source}: matches both {scored[0][1]!r} and {scored[1][1]!r}; "
            "pass --format to choose"
        )
    return scored[0][2]


def _describe(sn: Sniff) -> str:
    names = ", ".join(sorted(_REGISTRY))
    if sn.kind == "empty":
        return "the file is empty; nothing to ingest"
    if sn.kind == "utf-16":
        return (
            "the file is UTF-16 text (it starts with a byte-order mark); convert it to UTF-8 "
            "first, e.g. iconv -f UTF-16 -t UTF-8 FILE > FILE.utf8"
        )
    if sn.kind == "binary":
        return (
            "the file is binary data, not text (a NUL byte near its start); infoscope reads "
            "CSV, JSON and HTML text, plain, compressed (.gz, .xz, .bz2) or archived (.zip, "
            f".tar.*); pass the export file itself, or --format with one of: {names}"
        )
    if sn.kind in ("csv", "text"):
        cols = ", ".join(sn.columns[:8]) or "(none)"
        hint = ""
        if len(sn.columns) == 1:
            for sep in (";", "\t", "|"):
                if sep in sn.columns[0]:
                    hint = (
                        f" It looks {sep!r}-delimited: pass --delimiter {sep!r} so that its "
                        "columns are read"
                    )
                    if "generic-csv" in _REGISTRY:
                        hint += (
                            f" (other columns: --format generic-csv --delimiter {sep!r} --map ...)."
                        )
                    else:
                        hint += "."
                    break
        return (
            f"cannot detect the format from the header ({cols}).{hint} "
            f"Pass --format with one of: {names}"
        )
    if sn.kind == "jsonl" and sn.first is None:
        return "the first line is not a complete JSON object; pass --format or fix the file"
    return f"cannot detect the format of this {sn.kind} input; pass --format with one of: {names}"
