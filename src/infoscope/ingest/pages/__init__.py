"""Pages into items: the main story, secondary items, posts and furniture.

The pages people save are not articles: a text dump or an HTML file of a news page holds the
story, and around it menus, share prompts, "Keep reading" boxes, teasers of other stories,
sidebars of recent posts and footers; an aggregator page holds social posts and reposted
articles side by side. The article formats (``text-article``, ``html-article``) cut each page
into items with this package, so that only the story feeds the article analyses, the other
items are kept as records of their own, linked to it, and the posts reach the social analyses:

- `blocks`: the page as blocks (text lines; HTML block elements with their markup hints);
- `lexicon`: the furniture cue lists (navigation, share prompts, section markers...);
- `meta`: bylines, dates, outlets and saved-page headers in the text;
- `posts`: ``@handle: text`` lines as posts (retweets and quotes of the named account);
- `model`: the block classifier (heading, body or furniture) for what the rules leave;
- `segment`: labels and the walk that cuts a page into items (`Segmentation`);
- `records`: a segmentation as `Article`, `Post`, `Account` and `ArticleLink` records.

`segment_text` and `segment_html` are the entry points; `Segmentation.explain` says, block by
block, what each is and why (``infoscope articles segment PAGE``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from infoscope.ingest.pages.blocks import Block, html_blocks, text_blocks
from infoscope.ingest.pages.lexicon import normalize
from infoscope.ingest.pages.model import BlockClassifier
from infoscope.ingest.pages.records import PageContext, page_records
from infoscope.ingest.pages.segment import PageItem, PagePost, Segmentation, segment_blocks

if TYPE_CHECKING:
    from lxml.html import HtmlElement

__all__ = [
    "Block",
    "PageContext",
    "PageItem",
    "PagePost",
    "Segmentation",
    "mark_main_text",
    "page_records",
    "segment_file",
    "segment_html",
    "segment_text",
]

# A block this long is in the main text when a line of it contains it, or it contains one.
_CONTAINED_CHARS = 40


def segment_text(text: str, *, classifier: BlockClassifier | bool | None = True) -> Segmentation:
    """Segment a plain-text page (offsets count `text` as given, a byte-order mark included).
    `classifier`: True for the shipped block classifier, a `BlockClassifier`, or False for the
    rules alone."""
    return segment_blocks(text_blocks(text), classifier=classifier)


def mark_main_text(blocks: list[Block], main_text: str | None) -> None:
    """Set `Block.in_main` for the blocks whose text is in `main_text` (trafilatura's
    extraction, one paragraph a line)."""
    if not main_text:
        return
    lines = [normalize(line) for line in main_text.splitlines() if line.strip()]
    exact = set(lines)
    long_lines = [line for line in lines if len(line) >= _CONTAINED_CHARS]
    for b in blocks:
        norm = normalize(b.text)
        if not norm:
            continue
        if norm in exact:
            b.in_main = True
        elif len(norm) >= _CONTAINED_CHARS:
            b.in_main = any(norm in line or line in norm for line in long_lines)


def segment_html(
    tree: HtmlElement,
    *,
    main_text: str | None = None,
    title: str | None = None,
    classifier: BlockClassifier | bool | None = True,
) -> Segmentation:
    """Segment an HTML page (`tree` as `lxml` parsed it); `main_text` is trafilatura's
    extraction of it and `title` the title its metadata give, both used as hints."""
    blocks = html_blocks(tree)
    mark_main_text(blocks, main_text)
    return segment_blocks(blocks, title=title, html=True, classifier=classifier)


def segment_file(
    path: str, *, encoding: str = "utf-8", classifier: BlockClassifier | bool | None = True
) -> Segmentation:
    """Segment a saved page as ingest does: HTML (a ``<!doctype html>`` or ``<html>`` first)
    with trafilatura's main text and title as hints, anything else as text."""
    from pathlib import Path

    from infoscope.ingest._articles import root_kind
    from infoscope.ingest.articles_html import extract_page
    from infoscope.ingest.formats import ReadContext, sniff
    from infoscope.ingest.reading import to_utf8
    from infoscope.ingest.sources import iter_sources

    for source in iter_sources(Path(path)):  # the file stays open while the generator runs
        kind = root_kind(sniff(source))
        data = source.stream.read()
        break
    if kind == "html":
        tree, doc, text = extract_page(data, ReadContext(encoding=encoding))
        title = doc.title if doc is not None else None
        return segment_html(tree, main_text=text, title=title, classifier=classifier)
    decoded = to_utf8(data, encoding, path, 1).decode("utf-8")
    return segment_text(decoded, classifier=classifier)
