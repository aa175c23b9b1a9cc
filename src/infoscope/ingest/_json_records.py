"""Reading JSON payloads record by record: JSON Lines, a JSON array, or concatenated documents.

Shared by the JSON record formats (``twitter_v1``, ``twitter_v2``); private, registers nothing.
The layout is read from the source's first bytes, never by trying a parser:

- ``[`` first: a JSON array, streamed item by item with ijson (never loaded whole);
- ``{`` on a line of its own: pretty-printed documents (``jq .`` output, one tweet saved from a
  browser), streamed as concatenated values with ijson;
- otherwise JSON Lines (twarc, twarc2, tweepy and stream captures), read line by line with
  `infoscope.ingest.reading.iter_lines`, so no line over ``max_record_bytes`` is held whole.

A line that is not valid JSON becomes a `Bad` item (the format quarantines it); an array or
document that breaks off keeps what came before and reports the rest as one `Bad` item. A
record over ``max_record_bytes`` is a `Bad` item too, with a preview of its start: a JSON Lines
line is never held whole; an item of an array or a document is parsed (ijson has no way to
skip an item unread) and then dropped, so it costs memory while it is measured but is not
stored.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import IO, Any

import ijson
import orjson

from infoscope.errors import InputEncodingError
from infoscope.ingest.formats import ReadContext, Sniff
from infoscope.ingest.reading import PREVIEW_BYTES, Oversized, iter_lines, to_utf8, too_large
from infoscope.ingest.sources import Source

__all__ = [
    "Bad",
    "JsonRecord",
    "as_dict",
    "as_list",
    "bool_or_none",
    "dumps",
    "first_record_keys",
    "head_keys",
    "id_text",
    "int_or_none",
    "iter_json_records",
    "layout_of",
    "text_or_none",
]


@dataclass(slots=True)
class JsonRecord:
    """One parsed top-level JSON value, its text (for ``raw``) and the line where it starts."""

    value: Any
    raw: str
    line: int | None


@dataclass(slots=True)
class Bad:
    """Input that is not a JSON value: why, a preview of it, and where."""

    reason: str
    raw: str | bytes | None
    line: int | None


def layout_of(head: bytes) -> str:
    """``"array"``, ``"documents"`` or ``"lines"``, from the first bytes of a source."""
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff").lstrip()
    if text.startswith("["):
        return "array"
    if text.split("\n", 1)[0].strip() == "{":
        return "documents"
    return "lines"


class _Recoded:
    """A byte stream in `encoding` read as UTF-8 (only ``read``, which is all ijson uses).

    `codecs.EncodedFile` is not enough: it hands attributes such as ``readinto`` through to
    the undecoded stream, and ijson's C backend uses them.
    """

    def __init__(self, stream: IO[bytes], encoding: str, name: str):
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder(encoding)()
        self._encoding = encoding
        self._name = name
        self._buffer = b""
        self._done = False

    def read(self, size: int = -1) -> bytes:
        while not self._done and (size < 0 or len(self._buffer) < size):
            chunk = self._stream.read(max(size, 1 << 16))
            self._done = not chunk
            try:
                text = self._decoder.decode(chunk, final=self._done)
            except UnicodeDecodeError:
                raise InputEncodingError(
                    f"{self._name} cannot be decoded as {self._encoding}; check --encoding"
                ) from None
            self._buffer += text.encode("utf-8")
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


def _utf8(stream: IO[bytes], encoding: str, name: str) -> IO[bytes] | _Recoded:
    """`stream` as UTF-8 bytes for ijson, re-encoded when the input is in another encoding."""
    if encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return stream
    return _Recoded(stream, encoding, name)


def iter_json_records(source: Source, ctx: ReadContext) -> Iterator[JsonRecord | Bad]:
    """Yield every top-level record of `source` (see the module docstring)."""
    layout = layout_of(source.head)
    if layout == "lines":
        yield from _iter_lines(source, ctx)
        return
    stream = _utf8(source.stream, ctx.encoding, source.name)
    if layout == "array":
        items = ijson.items(stream, "item", use_float=True)
    else:
        items = ijson.items(stream, "", multiple_values=True, use_float=True)
    limit = ctx.max_record_bytes
    try:
        for value in items:
            raw = orjson.dumps(value)
            if len(raw) > limit:
                yield Bad(too_large(limit), raw[:PREVIEW_BYTES], None)
                continue
            yield JsonRecord(value, raw.decode("utf-8"), None)
    except ijson.JSONError as exc:
        # Parsing the data, not detecting its format: a file cut short keeps what came before.
        message = " ".join(str(exc).split())
        yield Bad(f"invalid JSON: {message}; the rest of the {layout} is not read", None, None)


def _iter_lines(source: Source, ctx: ReadContext) -> Iterator[JsonRecord | Bad]:
    for line_no, line in iter_lines(source.stream, max_record_bytes=ctx.max_record_bytes):
        if isinstance(line, Oversized):
            yield Bad(line.reason, line.preview, line_no)
            continue
        data = to_utf8(line, ctx.encoding, source.name, line_no).strip()
        if not data:
            continue
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            yield Bad(f"invalid JSON: {exc}", data, line_no)
            continue
        yield JsonRecord(value, data.decode("utf-8"), line_no)


def first_record_keys(sn: Sniff) -> frozenset[str] | None:
    """Keys of the first JSON object as detection sees it, None if it is not JSON objects.

    A first record longer than the sniffed head gives the keys that fit in the head: a JSON
    Lines file whose first line is cut is seen as a ``json-object`` (`Sniff.top_keys`), and
    the first item of an array is read as far as the head goes (`head_keys`).
    """
    if sn.kind in ("jsonl", "json-array"):
        if isinstance(sn.first, Mapping):
            return frozenset(sn.first)
        if sn.kind == "json-array":
            return head_keys(sn.head, "item") or None
        return None
    if sn.kind == "json-object":
        return sn.top_keys
    return None


def head_keys(head: bytes, prefix: str) -> frozenset[str]:
    """Keys of the first object at ijson `prefix` (``"data"``, ``"data.item"``) in `head`.

    For a first record too long for the sniffed head; only the head is read, so a truncated
    record gives the keys up to where the head ends.
    """
    keys: set[str] = set()
    try:
        for path, event, value in ijson.parse(io.BytesIO(head.lstrip(b"\xef\xbb\xbf \t\r\n"))):
            if path == prefix and event == "map_key":
                keys.add(value)
            elif path == prefix and event == "end_map":
                break
    except ijson.JSONError:
        pass  # the head ends inside the record: keep the keys seen so far
    return frozenset(keys)


# -- small typed accessors for payload fields ------------------------------------------------


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a JSON object, else an empty dict."""
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    """`value` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def text_or_none(value: Any) -> str | None:
    """A non-empty string, else None (empty profile fields are unknown, not values)."""
    return value if isinstance(value, str) and value != "" else None


def int_or_none(value: Any) -> int | None:
    """An integer count (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def bool_or_none(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def id_text(value: Any) -> str | None:
    """An identifier as text: a non-empty string as is, an integer in decimal."""
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def dumps(value: Any) -> str:
    """Compact JSON text of `value` (for ``raw``)."""
    return orjson.dumps(value).decode("utf-8")
