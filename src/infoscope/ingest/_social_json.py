"""Helpers shared by the JSON formats of platform APIs and capture tools (YouTube, VK, TikTok,
4CAT/Zeeschuimer); private, registers nothing.

- Detection reads the first record as the sniffer saw it, or, when that record is longer than
  the sniffed head, the keys and values the head holds (`keys_at`, `value_at`): never a parser
  tried and its failure caught.
- Times: platform APIs give seconds since the epoch (numbers, or digits in a string), which are
  UTC whatever ``--date-format`` says; a time written as text is read with the ``--date-format``
  layouts when given, else as ISO 8601 (a time without an offset is UTC) (`post_time`).
- `text_urls` extracts URLs from a text exactly as the store does (`infoscope.text`), for the
  formats that add URLs of their own (link attachments) to those of the text.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import ijson

from infoscope.ingest._json_records import head_keys
from infoscope.ingest.dates import parse_date
from infoscope.ingest.formats import Sniff

__all__ = [
    "from_epoch",
    "iso_utc",
    "keys_at",
    "merge_urls",
    "post_time",
    "text_urls",
    "value_at",
]

_EPOCH = re.compile(r"-?[0-9]{1,12}(\.[0-9]+)?")
# The store's URL pattern and trailing punctuation (`infoscope.text`), and its minimum length.
_URL = re.compile(r"""https?://[^\s<>"'…]+""")
_URL_TRAILING = re.compile(r"""[.,;:!?)\]}'"]+$""")


def from_epoch(value: float) -> datetime | None:
    """Seconds since the epoch as an aware UTC datetime, None when out of range."""
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def iso_utc(value: Any) -> datetime | None:
    """ISO 8601 text (``2023-05-01T10:00:00Z``) as UTC; no offset means UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def post_time(value: Any, layouts: tuple[str, ...]) -> datetime | None:
    """A post's time: epoch seconds (a number or digits), else text read with `layouts`
    (``--date-format``) when given, else ISO 8601. None when it does not parse."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if _EPOCH.fullmatch(text):
            return from_epoch(float(text))
        return parse_date(text, layouts, iso_utc)
    return None


def text_urls(text: str | None) -> list[str]:
    """URLs in `text`, as the store extracts them when a format gives none."""
    if not text or "http" not in text:
        return []
    found = (_URL_TRAILING.sub("", u) for u in _URL.findall(text))
    return [u for u in found if len(u) > 10]


def merge_urls(given: list[str], text: str | None) -> list[str] | None:
    """URLs a payload gives (attachments) followed by those of the text, each once; None when
    the payload gives none, so that the store extracts them from the text itself."""
    if not given:
        return None
    return list(dict.fromkeys([*given, *text_urls(text)]))


# -- detection ---------------------------------------------------------------------------------


def _walk(record: Any, path: str) -> Any:
    """The value at an ijson-style `path` (``response.items.item``: first item) of `record`."""
    current = record
    for part in path.split(".") if path else ():
        if part == "item":
            current = current[0] if isinstance(current, list) and current else None
        elif isinstance(current, Mapping):
            current = current.get(part)
        else:
            return None
    return current


def _prefix(sn: Sniff, path: str) -> str:
    """The ijson prefix of `path` within the first record of the sniffed source."""
    if sn.kind == "json-array":
        return f"item.{path}" if path else "item"
    return path


def keys_at(sn: Sniff, path: str = "") -> frozenset[str]:
    """Keys of the object at `path` of the source's first record (see `_walk`); from the
    sniffed head when the record is longer than it."""
    if sn.first is not None:
        found = _walk(sn.first, path)
        return frozenset(found) if isinstance(found, Mapping) else frozenset()
    if sn.kind == "json-object" and not path:
        return sn.top_keys
    if sn.kind in ("json-object", "json-array", "jsonl"):
        return head_keys(sn.head, _prefix(sn, path))
    return frozenset()


def value_at(sn: Sniff, path: str) -> Any:
    """The scalar at `path` of the source's first record (from the head when needed)."""
    if sn.first is not None:
        return _walk(sn.first, path)
    if sn.kind not in ("json-object", "json-array", "jsonl"):
        return None
    prefix = _prefix(sn, path)
    try:
        for where, event, value in ijson.parse(io.BytesIO(sn.head.lstrip(b"\xef\xbb\xbf \t\r\n"))):
            if where == prefix and event in ("string", "number", "boolean"):
                return value
    except ijson.JSONError:
        pass  # the head ends inside the record
    return None
