"""News and blog pages saved as HTML: one article per page, or one per item of a listing.

Two formats read HTML files (a page saved from a browser, fetched with ``curl`` or ``wget``,
or collected by a crawler), each file one page:

- ``html-article``: the page holds one story. Its main text is extracted with trafilatura
  (Barbaresi 2021), which leaves out navigation, cookie notices, share buttons, "Continue
  reading" links, comment counts and sections, related-story lists, headers and footers; the
  metadata come from trafilatura's reading of the page (``<meta>`` tags, Open Graph,
  JSON-LD, bylines): ``title``, ``author``, ``published`` (htmldate; the original
  publication date, with its time and offset when the page gives them), ``outlet`` (the site
  name, else the host of the URL; ``--outlet`` wins) and ``url`` (the canonical URL, ``<link
  rel=canonical>`` or ``og:url``, else a browser's ``saved from url=`` comment). A first line
  of the text that repeats the title is dropped. The page is then segmented into items
  (`infoscope.ingest.pages`), with trafilatura's main text and the page's title as hints and
  the markup's regions (navigation, headers and footers; asides, sidebars, "more from" and
  related-story sections, cards): lines of the main text that segmentation finds to be
  furniture or another story (an inline "Keep reading" list) are dropped from it; the teasers,
  sidebar posts and related stories become **secondary** items (``item_kind`` ``secondary``:
  title, link, excerpt, the date of their ``<time datetime>``), each linked ``secondary_of``
  the main article in ``article_links``; ``@handle: text`` lines become posts.
- ``html-aggregator``: the page holds several items, each with its own heading, date, author
  and body (a news roundup, a live blog, a blog's front page, a page of reposted tweets). The
  items are the outermost ``<article>`` elements and schema.org ``Article``,
  ``NewsArticle``, ``BlogPosting`` or ``SocialMediaPosting`` items (``itemtype``); an
  element nested inside another item (a quoted tweet inside a post) belongs to it. Each item
  gives one `Article`: its text extracted by trafilatura from the item alone, its ``title``
  the item's first heading (``h1``-``h6``), its ``author`` found by trafilatura in the item
  (bylines, ``rel=author``), its ``published`` the first ``<time datetime>`` in the item
  (else the date trafilatura finds in it), its ``url`` the item's own link
  (``itemprop=url``, the heading's link, ``rel=bookmark``; resolved against the page's
  ``<base>`` or URL) and its ``outlet`` and language the page's. An item without text is
  quarantined (``item <n>: no text``).
  With ``--format html-aggregator`` and no such elements, the items are the largest set of
  sibling elements with the same tag and class that each hold a heading and some text
  (repeated ``<div class="post">`` blocks); a page with neither is quarantined.

Detection (from the first 64 KiB): a file whose first markup, after whitespace, comments and
``<?...?>`` instructions, is ``<!doctype html`` or an ``<html>`` element is ``html-article``;
it is ``html-aggregator`` instead when at least `MIN_ITEMS` items (as above) each have a
heading and at least `MIN_ITEM_CHARS` characters of other text, unless the page declares
itself one article (``og:type`` ``article``: the items are then teasers of related stories).
A live blog declared as an article, or a listing whose items start after the first 64 KiB,
needs ``--format html-aggregator``; a single story with long teasers of other stories can be
read with ``--format html-article``.

The article's id is its canonical URL in normal form, else a hash of outlet, title and text
(see `infoscope.ingest._articles`); its language is the page's ``lang`` (``<html lang>``,
``Content-Language``), else identified with py3langid. ``raw`` keeps the page's description,
categories, tags, page type, image, licence and the date as the page wrote it, and for an
aggregator item its position and the page's URL and title.

A page is parsed whole: one larger than ``--max-record-bytes`` is quarantined, and so is a page
in which trafilatura finds less than `MIN_ARTICLE_WORDS` words of main text (``no article
text found``: an error page, a consent wall, a page built by scripts; ``<noscript>`` text is
never article text). HTML declares its own character set, which is honoured; ``--encoding``
overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from infoscope.components import requires
from infoscope.errors import UnknownFormatError
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
    utc_datetime,
    without_title,
)
from infoscope.ingest.formats import (
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.pages import PageContext, PageItem, Segmentation, page_records, segment_html
from infoscope.ingest.pages.lexicon import normalize
from infoscope.ingest.pages.meta import header_url
from infoscope.ingest.sources import Source
from infoscope.records import Article, Provenance

__all__ = ["HtmlAggregator", "HtmlArticle", "extract_page", "item_elements"]

if TYPE_CHECKING:
    from lxml.html import HtmlElement

# Detection of a listing: this many items, each with a heading and this much other text.
MIN_ITEMS = 2
MIN_ITEM_CHARS = 200
# A page whose main text is shorter is not an article (an error page, a consent wall).
MIN_ARTICLE_WORDS = 20
# Never article text: what a page shows when scripts are off ("Please enable JavaScript").
_PRUNE = "//noscript"
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_SCHEMA_ITEM = re.compile(
    r"schema\.org/(?:Article|NewsArticle|BlogPosting|SocialMediaPosting|ReportageNewsArticle)\b"
)
_TEXT_OUTSIDE = (
    ".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::h1) and "
    "not(ancestor::h2) and not(ancestor::h3) and not(ancestor::h4) and not(ancestor::h5) and "
    "not(ancestor::h6)]"
)
_DATE_PARAMS = {
    "extensive_search": True,
    "original_date": True,
    "outputformat": "%Y-%m-%dT%H:%M:%S%z",
}
_UTF8 = ("utf-8", "utf8", "utf-8-sig")
_WORD = re.compile(r"\w+")
_RAW_LIMIT = 4096


def _load_html(data: bytes | str) -> HtmlElement | None:
    with requires("trafilatura"):
        from trafilatura import load_html

    tree = load_html(data)
    return tree if tree is not None and isinstance(tree.tag, str) else None


def _page_input(data: bytes, ctx: ReadContext) -> bytes | str:
    """The page for trafilatura: bytes (it honours the page's charset), or text decoded with
    an explicit non-UTF-8 ``--encoding``."""
    if ctx.encoding.lower().replace("_", "-") in _UTF8:
        return data
    return data.decode(ctx.encoding, errors="replace")


def _is_item(el: HtmlElement) -> bool:
    return el.tag == "article" or bool(_SCHEMA_ITEM.search(el.get("itemtype") or ""))


def item_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The outermost ``<article>`` and schema.org article elements of a page, in order."""
    found = [el for el in tree.iter() if isinstance(el.tag, str) and _is_item(el)]
    return [el for el in found if not any(_is_item(a) for a in el.iterancestors())]


def _heading(el: HtmlElement) -> HtmlElement | None:
    for node in el.iter(*_HEADINGS):
        if collapse(node.text_content()):
            return node
    return None


def _other_text(el: HtmlElement) -> str:
    """The element's text outside headings, scripts and styles."""
    return collapse(" ".join(str(t) for t in el.xpath(_TEXT_OUTSIDE)))


def _declares_article(tree: HtmlElement) -> bool:
    values = tree.xpath("//meta[@property='og:type' or @name='og:type']/@content")
    return any(str(v).strip().lower() == "article" for v in values)


def _is_listing(tree: HtmlElement) -> bool:
    if _declares_article(tree):
        return False
    qualified = [
        el
        for el in item_elements(tree)
        if _heading(el) is not None and len(_other_text(el)) >= MIN_ITEM_CHARS
    ]
    return len(qualified) >= MIN_ITEMS


def _repeated_blocks(tree: HtmlElement) -> list[HtmlElement]:
    """The largest group of sibling elements of one tag and class that each hold a heading
    and other text (ties: the group with more text)."""
    best: list[HtmlElement] = []
    best_key = (0, 0)
    for parent in tree.iter():
        if not isinstance(parent.tag, str):
            continue
        groups: dict[tuple[str, str], list[HtmlElement]] = {}
        for child in parent:
            if isinstance(child.tag, str) and child.tag not in _HEADINGS:
                groups.setdefault((child.tag, child.get("class") or ""), []).append(child)
        for members in groups.values():
            if len(members) < MIN_ITEMS:
                continue
            texts = [_other_text(m) for m in members]
            if not all(_heading(m) is not None and t for m, t in zip(members, texts, strict=True)):
                continue
            key = (len(members), sum(len(t) for t in texts))
            if key > best_key:
                best, best_key = members, key
    return best


def _lang_attribute(tree: HtmlElement) -> str | None:
    for value in (
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        *tree.xpath(
            "//meta[translate(@http-equiv, 'CONTENT-LANGUAGE', 'content-language')"
            "='content-language']/@content"
        ),
        *tree.xpath("//meta[@property='og:locale']/@content"),
    ):
        if value and str(value).strip():
            return str(value).strip()
    return None


def _absolute(url: Any, base: str | None) -> str | None:
    if not url or not str(url).strip():
        return None
    resolved = urljoin(base or "", str(url).strip())
    return resolved if resolved.startswith(("http://", "https://")) else None


def _item_links(el: HtmlElement) -> list[str]:
    """The item's own links, most specific first: ``itemprop=url``, the heading's link, a
    ``rel=bookmark`` link (in-page anchors and scripts left out)."""
    candidates = [
        *el.xpath(".//*[@itemprop='url']/@href"),
        *el.xpath(".//*[@itemprop='url']/@content"),
    ]
    heading = _heading(el)
    if heading is not None:
        candidates += heading.xpath(".//a/@href") + heading.xpath("ancestor::a[1]/@href")
    candidates += el.xpath(".//a[contains(concat(' ', @rel, ' '), ' bookmark ')]/@href")
    links = [str(c).strip() for c in candidates]
    return [c for c in links if c and not c.startswith(("#", "javascript:", "mailto:"))]


def _item_time(el: HtmlElement) -> str | None:
    for value in el.xpath(".//time[not(ancestor::blockquote)]/@datetime"):
        if utc_datetime(str(value)) is not None:
            return str(value)
    return None


def _extract_article(tree: HtmlElement) -> Any:
    return extract(
        tree,
        with_metadata=True,
        include_comments=False,
        date_extraction_params=_DATE_PARAMS,
        prune_xpath=_PRUNE,
    )


def extract_page(data: bytes, ctx: ReadContext) -> tuple[HtmlElement, Any, str]:
    """A page as `html-article` reads it: its tree (unpruned, for segmentation),
    trafilatura's extraction (None without main text) and the main text without its title."""
    tree = _load_html(_page_input(data, ctx))
    if tree is None:
        raise UnknownFormatError("not an HTML page: nothing to parse")
    doc = _extract_article(tree)
    text = without_title(doc.text or "", doc.title) if doc is not None else ""
    fresh = _load_html(_page_input(data, ctx))
    assert fresh is not None  # it parsed once already
    return fresh, doc, text


def _main_text(seg: Segmentation, text: str) -> str:
    """trafilatura's main text without the lines segmentation found to be something else
    (furniture, a list of other stories, posts), and with the stories that hold main text
    made one main item (the others are secondary)."""
    holding = {item.index for item in seg.items if any(seg.blocks[j].in_main for j in item.blocks)}
    main: PageItem | None = None
    for item in seg.items:
        if item.kind == "repost":
            continue
        if item.index in holding and main is None:
            main, item.kind = item, "main"
        elif item.index in holding and main is not None:
            main.blocks += item.blocks
            for j in (item.title_block, *item.meta, *item.blocks):
                if j is not None:
                    seg.blocks[j].item = main.index
            item.blocks, item.meta, item.title, item.title_block = [], [], None, None
        elif item.kind == "main":
            item.kind = "secondary"
    seg.items = [i for i in seg.items if i.blocks or i.title_block is not None]
    if main is None:
        main = PageItem(len(seg.items), kind="main")
        main.blocks = [b.index for b in seg.blocks if b.in_main]
        seg.items.insert(0, main)
    for n, item in enumerate(seg.items):
        item.index = n
        for j in (item.title_block, *item.meta, *item.blocks):
            if j is not None:
                seg.blocks[j].item = n
    kept_main = {normalize(seg.blocks[j].text) for j in main.blocks}
    dropped = {
        normalize(b.text)
        for b in seg.blocks
        if b.in_main and b.item != main.index and normalize(b.text) not in kept_main
    }
    if not dropped:
        return text
    return "\n".join(line for line in text.split("\n") if normalize(line) not in dropped)


class HtmlArticle(RecordFormat):
    name = "html-article"
    description = "News or blog page saved as HTML: main text and metadata (trafilatura), teasers"

    def detect(self, sniff: Sniff) -> int:
        return 10 if root_kind(sniff) == "html" else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        data = read_document(source, ctx)
        if isinstance(data, Quarantined):
            yield data
            return
        tree = _load_html(_page_input(data, ctx))
        if tree is None:
            yield Quarantined("not an HTML page: nothing to parse", data[:_RAW_LIMIT], 1)
            return
        doc = _extract_article(tree)
        text = without_title(doc.text or "", doc.title) if doc is not None else ""
        words = len(_WORD.findall(text))
        if doc is None or words < MIN_ARTICLE_WORDS:
            found = f"only {words} words of main text" if words else "no main text"
            yield Quarantined(
                f"no article text found in the page ({found}; a page built by scripts has "
                "none, a listing needs --format html-aggregator)",
                data[:_RAW_LIMIT],
                1,
            )
            return
        title = collapse(doc.title) or None
        # The page again, for segmentation: extraction may have pruned the first tree.
        page_tree = _load_html(_page_input(data, ctx))
        assert page_tree is not None  # it parsed once already
        seg = segment_html(page_tree, main_text=text, title=title)
        text = _main_text(seg, text)
        url = _absolute(doc.url, None) or _absolute(
            header_url(data[:4096].decode("utf-8", "replace")), None
        )
        outlet = ctx.outlet or collapse(doc.sitename) or hostname(url)
        declared = _lang_attribute(tree)
        page = PageContext(
            source=source.name,
            main_id=article_id(url, outlet, title, text),
            url=url,
            title=title,
            outlet=outlet,
            author=collapse(doc.author) or None,
            published=utc_datetime(doc.date),
            declared_lang=declared,
            platform=ctx.platform,
            text_of=lambda seg, item: (
                (text, {}) if item.kind == "main" else (seg.item_text(item), {})
            ),
            extra_raw={
                "description": doc.description,
                "categories": doc.categories,
                "tags": doc.tags,
                "pagetype": doc.pagetype,
                "image": doc.image,
                "license": doc.license,
                "date": doc.date,
                "declared_lang": declared,
            },
        )
        yield from page_records(seg, page)


class HtmlAggregator(RecordFormat):
    name = "html-aggregator"
    description = "HTML page listing several items (roundup, live blog): one article per item"

    def detect(self, sniff: Sniff) -> int:
        if root_kind(sniff) != "html":
            return 0
        tree = _load_html(sniff.head)
        return 11 if tree is not None and _is_listing(tree) else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        data = read_document(source, ctx)
        if isinstance(data, Quarantined):
            yield data
            return
        tree = _load_html(_page_input(data, ctx))
        if tree is None:
            yield Quarantined("not an HTML page: nothing to parse", data[:_RAW_LIMIT], 1)
            return
        import lxml.html

        with requires("trafilatura"):
            from trafilatura.metadata import extract_metadata

        elements = item_elements(tree) or _repeated_blocks(tree)
        if not elements:
            yield Quarantined(
                "no items: the page has no <article> elements nor repeated blocks with a "
                "heading (a single story needs --format html-article)",
                data[:_RAW_LIMIT],
                1,
            )
            return
        declared = _lang_attribute(tree)
        bases = [str(b) for b in tree.xpath("//base/@href")]
        # Each item as HTML of its own, with what the page says about all of them.
        items = [
            (
                lxml.html.tostring(el, encoding="unicode"),
                _item_links(el),
                _item_time(el),
                _heading(el),
            )
            for el in elements
        ]
        page = extract_metadata(tree, date_config=None)
        page_url = _absolute(page.url, None)
        base = next(filter(None, (_absolute(b, page_url) for b in bases)), page_url)
        outlet = collapse(page.sitename) or hostname(page_url)
        lang_attr = f' lang="{declared}"' if declared else ""
        for record, (html, links, when, heading) in enumerate(items, start=1):
            doc = extract(
                f"<html{lang_attr}><body>{html}</body></html>",
                with_metadata=True,
                include_comments=False,
                favor_recall=True,
                date_extraction_params=_DATE_PARAMS,
                prune_xpath=_PRUNE,
                config=short_text_config(),
            )
            title = collapse(heading.text_content()) if heading is not None else ""
            title = title or (collapse(doc.title) if doc is not None else "")
            text = without_title(doc.text or "", title) if doc is not None else ""
            if doc is None or not text:
                yield Quarantined(f"item {record}: no text", html[:_RAW_LIMIT], record)
                continue
            url = next(filter(None, (_absolute(link, base) for link in links)), None)
            yield Article(
                article_id=article_id(url, outlet, title or None, text),
                url=url,
                outlet=outlet,
                title=title or None,
                text=text,
                author=collapse(doc.author) or None,
                published=utc_datetime(when or doc.date),
                lang=language_of(declared, title, text),
                raw=dumps(
                    {
                        "item": record,
                        "page_url": page_url,
                        "page_title": page.title,
                        "date": when or doc.date,
                        "tags": doc.tags,
                        "categories": doc.categories,
                    }
                ),
                provenance=Provenance(source.name, record),
            )


register(HtmlArticle())
register(HtmlAggregator())
