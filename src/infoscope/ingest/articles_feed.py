"""RSS and Atom feeds: one article per entry (feedparser).

News sites, blogs and aggregators publish their latest stories as a feed; saved feeds (one
file per fetch, as a feed reader or a cron job with ``curl`` keeps them) are this format. The
feed is parsed with feedparser (RSS 0.9x, 1.0 and 2.0, Atom 0.3 and 1.0, with its
HTML sanitising, relative-link resolution and date parsing). Each entry gives one `Article`:

- ``url``: the entry's link (``<link>``, Atom ``rel="alternate"``); ``article_id`` its normal
  form, else a hash of outlet, title and text (see `infoscope.ingest._articles`), so the same
  story read from a feed and from its page, or from two fetches of the feed, is stored once.
- ``title``: the entry's title, as text; ``author``: its author (``<author>``,
  ``<dc:creator>``); ``published``: its publication date (``<pubDate>``, ``<published>``,
  ``<dc:date>``), else its update date, in UTC; with ``--date-format`` the dates as written are
  read with those layouts first (a feed in a local layout feedparser does not know).
- ``text``: the full content (``<content:encoded>``, Atom ``<content>``) when the entry has
  it, else the summary (``<description>``, ``<summary>``), converted from HTML to plain text by
  trafilatura (paragraphs on lines of their own; "Continue reading" links and similar
  boilerplate dropped). An entry with a title but no text is kept (headline feeds);
  one with neither is quarantined (``empty entry``).
- ``outlet``: the feed's title, else the host of its link.
- ``lang``: the entry's or the feed's declared language (``xml:lang``, ``<language>``),
  else identified with py3langid.
- ``raw``: the entry's ``guid``/``id``, categories, comments link, the summary when the text
  is the full content, the dates as written, and the feed's title and link.

Detection: the document's root element (after the XML declaration, comments and
processing instructions such as stylesheets) is ``<rss>``, ``<feed>`` (Atom) or ``<rdf:RDF>``
(RSS 1.0).

A feed is parsed whole (a feed larger than ``--max-record-bytes`` is quarantined).
feedparser reads malformed XML with a lenient parser: the entries it recovers are kept, except
the last one, which is quarantined with the XML error (``malformed feed: ...``): damage most
often cuts a file short, through the entry being written. A file from which no entry can be
read is quarantined whole. Feeds declare their
character set, which is honoured.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from infoscope.components import requires
from infoscope.ingest._articles import (
    article_id,
    collapse,
    dumps,
    extract,
    hostname,
    language_of,
    read_document,
    root_kind,
    short_text_config,
)
from infoscope.ingest.dates import parse_date
from infoscope.ingest.formats import (
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.sources import Source
from infoscope.records import Article, Provenance

__all__ = ["RssFeed", "html_to_text"]

_RAW_LIMIT = 4096


def _get(entry: dict[str, Any], key: str) -> Any:
    """A field as feedparser stored it (plain lookup: `FeedParserDict` maps some missing keys
    onto others, with a deprecation warning)."""
    return dict.get(entry, key)


def html_to_text(html: str | None) -> str:
    """Plain text of an entry's HTML content, one paragraph a line."""
    if not html or not html.strip():
        return ""
    with requires("trafilatura"):
        from trafilatura import html2txt

    page = f"<html><body>{html}</body></html>"
    doc = extract(page, favor_recall=True, include_comments=False, config=short_text_config())
    text = doc.text if doc is not None and doc.text else html2txt(page)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def _layout_date(entry: dict[str, Any], layouts: tuple[str, ...]) -> datetime | None:
    """The entry's published (else updated) text read with `layouts`, None without layouts."""
    if not layouts:
        return None
    for key in ("published", "updated"):
        when = parse_date(_get(entry, key), layouts, lambda _: None)
        if when is not None:
            return when
    return None


def _utc(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    return datetime(*parsed[:6], tzinfo=UTC)


def _content(entry: dict[str, Any]) -> tuple[str | None, str | None]:
    """The entry's full content (HTML or text) and its declared language, else None."""
    for part in _get(entry, "content") or []:
        value = part.get("value")
        if value and value.strip():
            return value, part.get("language")
    return None, None


def _detail_language(entry: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        detail = _get(entry, key)
        if isinstance(detail, Mapping) and detail.get("language"):
            return str(detail["language"])
    return None


class RssFeed(RecordFormat):
    name = "rss-feed"
    description = "RSS or Atom feed: one article per entry (feedparser)"

    def detect(self, sniff: Sniff) -> int:
        return 10 if root_kind(sniff) == "feed" else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        data = read_document(source, ctx)
        if isinstance(data, Quarantined):
            yield data
            return
        with requires("feedparser"):
            import feedparser

        utf8 = ctx.encoding.lower().replace("_", "-") in ("utf-8", "utf8", "utf-8-sig")
        try:
            parsed = feedparser.parse(data if utf8 else data.decode(ctx.encoding, errors="replace"))
        except ValueError as exc:
            # feedparser decodes with the encoding its XML declaration names and raises when
            # the name itself is damaged (bytes that are not UTF-8, a NUL).
            reason = f"malformed feed: {collapse(str(exc))} (no entry could be read)"
            yield Quarantined(reason, data[:_RAW_LIMIT], 1)
            return
        feed = parsed.feed
        feed_title = collapse(_get(feed, "title")) or None
        feed_link = _get(feed, "link")
        outlet = feed_title or hostname(feed_link)
        feed_lang = _get(feed, "language") or _detail_language(feed, "title_detail")
        problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
        if isinstance(problem, feedparser.CharacterEncodingOverride):
            problem = None  # the declared charset was wrong; the text was decoded anyway
        detail = "" if problem is None else collapse(str(problem)) or type(problem).__name__
        entries = list(parsed.entries)
        if problem is not None and not entries:
            reason = f"malformed feed: {detail} (no entry could be read)"
            yield Quarantined(reason, data[:_RAW_LIMIT], 1)
            return
        for record, entry in enumerate(entries, start=1):
            item = self._entry(
                entry, record, source.name, outlet, feed_title, feed_link, feed_lang,
                ctx.date_formats,
            )  # fmt: skip
            if problem is not None and record == len(entries):
                # The damage most often cuts the file short, through the last entry read.
                item = Quarantined(
                    f"malformed feed: {detail} (the last entry read before the damage may be "
                    "incomplete; the entries before it are kept)",
                    dumps(dict(entry)),
                    record,
                )
            yield item

    def _entry(
        self,
        entry: dict[str, Any],
        record: int,
        source: str,
        outlet: str | None,
        feed_title: str | None,
        feed_link: str | None,
        feed_lang: str | None,
        layouts: tuple[str, ...] = (),
    ) -> ParsedItem:
        title = collapse(_get(entry, "title")) or None
        content, content_lang = _content(entry)
        summary = _get(entry, "summary")
        text = html_to_text(content) or html_to_text(summary)
        if not title and not text:
            return Quarantined("empty entry: no title and no text", dumps(dict(entry)), record)
        link = _get(entry, "link")
        url = link if isinstance(link, str) and link.startswith(("http://", "https://")) else None
        declared = (
            content_lang or _detail_language(entry, "title_detail", "summary_detail") or feed_lang
        )
        # --date-format first (a feed written with a local layout feedparser cannot read).
        published = (
            _layout_date(entry, layouts)
            or _utc(_get(entry, "published_parsed"))
            or _utc(_get(entry, "updated_parsed"))
        )
        return Article(
            article_id=article_id(url, outlet, title, text),
            url=url,
            outlet=outlet,
            title=title,
            text=text or None,
            author=collapse(_get(entry, "author")) or None,
            published=published,
            lang=language_of(declared, title, text),
            raw=dumps(
                {
                    "id": _get(entry, "id"),
                    "categories": [t.get("term") for t in _get(entry, "tags") or []],
                    "comments": _get(entry, "comments"),
                    "summary": html_to_text(summary) if content else None,
                    "published": _get(entry, "published"),
                    "updated": _get(entry, "updated"),
                    "feed_title": feed_title,
                    "feed_link": feed_link,
                }
            ),
            provenance=Provenance(source, record),
        )


register(RssFeed())
