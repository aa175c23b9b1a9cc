"""Helpers shared by the article formats (``html-article``, ``html-aggregator``,
``text-article``, ``rss-feed``); private, registers nothing.

- **Article ids** (`article_id`): the canonical URL in its normal form (`infoscope.text.
  normalize_url`: no scheme, ``www``, tracking parameters or fragment), the same string that
  ``posts.urls`` holds for a shared link, so posts join to the articles they share; without a
  URL, ``sha256:`` and the first 32 hex digits of the SHA-256 of outlet, title and text (each
  with its whitespace collapsed, joined by a unit separator). Either way the id depends only on
  the article, so reading the same article again (another copy of the file, the same page
  saved twice) is a duplicate.
- **Language** (`language_of`): the language the document declares (``<html lang>``, a feed's
  ``language``), reduced to its language subtag (plus a script subtag: ``en-GB`` -> ``en``,
  ``zh-Hant-TW`` -> ``zh-Hant``), as posts store it; else the language py3langid identifies in
  the title and text, as `infoscope.language.detect` does for posts, when its confidence is at
  least `MIN_CONFIDENCE`; else None.
- **Dates** (`utc_datetime`): ISO 8601 strings; without an offset they are read as UTC, and a
  date without a time is midnight UTC.
- **Whole documents** (`read_document`): an HTML page or a feed is parsed whole, so a document
  larger than ``--max-record-bytes`` is quarantined rather than read.
"""

from __future__ import annotations

import functools
import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import orjson

from infoscope.components import requires
from infoscope.ingest.formats import Quarantined, ReadContext, Sniff
from infoscope.ingest.reading import PREVIEW_BYTES, too_large
from infoscope.ingest.sources import Source
from infoscope.langs import language_code
from infoscope.text import normalize_url

__all__ = [
    "article_id",
    "collapse",
    "declared_language",
    "detected_language",
    "dumps",
    "extract",
    "file_stem",
    "hostname",
    "language_of",
    "read_document",
    "root_kind",
    "short_text_config",
    "utc_datetime",
    "without_title",
]

if TYPE_CHECKING:
    from trafilatura.settings import Document

# Texts shorter than this (after removing URLs) are not given to the language identifier.
MIN_DETECT_CHARS = 20
_SPACES = re.compile(r"\s+")
# Markup before the root element: a byte-order mark, whitespace, processing instructions
# (``<?xml ...?>``, ``<?xml-stylesheet ...?>``) and comments.
_PROLOG = re.compile(r"(?:\s+|<\?.*?\?>|<!--.*?-->)*", re.S)
_DOCTYPE = re.compile(r"<!doctype\s+([^\s>\[]+)[^>\[]*(?:\[.*?\])?\s*>", re.S | re.I)
_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")
_FEED_ROOTS = frozenset({"rss", "feed", "rdf:rdf"})


def root_kind(sniff: Sniff) -> str | None:
    """``"html"`` or ``"feed"`` from the document's first markup, else None.

    HTML: a ``<!doctype html>`` declaration or an ``<html>`` root element. A feed: an
    ``<rss>``, ``<feed>`` (Atom) or ``<rdf:RDF>`` (RSS 1.0) root element. Only the prolog
    (whitespace, ``<?...?>`` instructions, comments, another doctype) may come before it.
    """
    if sniff.kind not in ("text", "csv"):
        return None
    text = sniff.text
    pos = _after_prolog(text, 0)
    doctype = _DOCTYPE.match(text, pos)
    if doctype is not None:
        if doctype.group(1).lower() == "html":
            return "html"
        pos = _after_prolog(text, doctype.end())
    root = _ROOT.match(text, pos)
    if root is None:
        return None
    name = root.group(1).lower()
    if name == "html":
        return "html"
    return "feed" if name in _FEED_ROOTS else None


def _after_prolog(text: str, pos: int) -> int:
    match = _PROLOG.match(text, pos)
    return match.end() if match else pos


def read_document(source: Source, ctx: ReadContext) -> bytes | Quarantined:
    """The whole source, or a quarantine item when it is over ``ctx.max_record_bytes``."""
    limit = ctx.max_record_bytes
    data = source.stream.read(limit + 1)
    if len(data) > limit:
        while source.stream.read(1 << 20):  # consume the rest: the source must be read out
            pass
        return Quarantined(
            too_large(limit),
            data[:PREVIEW_BYTES],
            1,
        )
    return data


def extract(page: Any, **options: Any) -> Document | None:
    """trafilatura's extraction of `page` (HTML bytes, text or tree) with `options`, or None
    when it finds no main text."""
    with requires("trafilatura"):
        from trafilatura import bare_extraction
        from trafilatura.settings import Document

    doc = bare_extraction(page, **options)
    return doc if isinstance(doc, Document) else None


@functools.lru_cache(maxsize=1)
def short_text_config() -> Any:
    """trafilatura's settings for a short piece of HTML (an item of a listing, a feed entry):
    the minimum size of an extraction, 250 characters for whole pages, is lifted."""
    with requires("trafilatura"):
        from trafilatura.settings import use_config

    config = use_config()
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    return config


def collapse(text: str | None) -> str:
    """`text` with every run of whitespace made one space, trimmed."""
    return _SPACES.sub(" ", text or "").strip()


def article_id(url: str | None, outlet: str | None, title: str | None, text: str | None) -> str:
    """The article's stable id (see the module docstring)."""
    if url:
        return normalize_url(url)
    key = "\x1f".join(collapse(v) for v in (outlet, title, text))
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def hostname(url: str | None) -> str | None:
    """The host of an absolute URL, without ``www.``; None for a relative or empty one."""
    if not url:
        return None
    host = urlsplit(url).hostname
    if not host:
        return None
    return host.removeprefix("www.")


def declared_language(value: str | None) -> str | None:
    """The language subtag (and script) of a declared language tag, or None."""
    if not value or not value.strip():
        return None
    code = language_code(value.strip().replace("_", "-"))
    if code is None or code == "und":
        return None
    parts = code.split("-")
    if len(parts) > 1 and len(parts[1]) == 4 and parts[1].isalpha():
        return f"{parts[0]}-{parts[1]}"
    return parts[0]


def detected_language(text: str | None) -> str | None:
    """The language identified in `text` when confident enough (`infoscope.common.langid`);
    else None."""
    from infoscope.common.langid import language_or_none

    return language_or_none(text, min_chars=MIN_DETECT_CHARS)


def language_of(declared: str | None, title: str | None, text: str | None) -> str | None:
    """The declared language, else the identified one (see the module docstring)."""
    found = declared_language(declared)
    if found is not None:
        return found
    return detected_language(f"{title or ''}\n{text or ''}")


def utc_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 date or date-time as an aware UTC datetime (naive: read as UTC)."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def without_title(text: str, title: str | None) -> str:
    """`text` without a first line that repeats the title (extractors keep the heading)."""
    text = text.strip()
    if not title:
        return text
    first, _, rest = text.partition("\n")
    if collapse(first).casefold() == collapse(title).casefold():
        return rest.strip()
    return text


def dumps(values: dict[str, Any]) -> str | None:
    """The non-empty values as a JSON object (``raw``), or None when there are none."""
    kept = {k: v for k, v in values.items() if v not in (None, "", [], {})}
    return orjson.dumps(kept, default=str).decode() if kept else None


def file_stem(source_name: str) -> str:
    """The file name of a source without directories and extension (``a/b!c/article7.txt``
    -> ``article7``)."""
    name = re.split(r"[/\\!]", source_name)[-1]
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name
