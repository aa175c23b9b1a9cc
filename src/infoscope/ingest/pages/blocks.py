"""A page as a sequence of blocks: lines of a text dump, block elements of an HTML page.

- `text_blocks`: each non-empty line is a block, with its character offsets in the page text
  and its line number. A dump hard-wrapped at a fixed width (``lynx -dump``, ``fmt``: most lines
  within a few characters of the same length, paragraphs separated by blank lines) has its
  wrapped lines joined into one block per paragraph. Offsets count characters of the text as
  decoded, a byte-order mark included (see `infoscope.ingest.articles_text`).
- `html_blocks`: the text of each block-level element in document order (``p``, ``h1``-``h6``,
  ``li``, ``blockquote``, table cells, and the loose text of ``div``-like containers), without
  scripts, styles, forms and ``noscript``; each block carries what its markup says: its tag, the
  region it sits in (``nav`` for navigation, headers, footers, share bars, comments and cookie
  notices; ``aside`` for sidebars, related-story lists, "more from" sections and cards), the
  share of its text inside links, its link when the block is one link, and a ``<time
  datetime>`` inside it.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

__all__ = ["Block", "html_blocks", "text_blocks"]

if TYPE_CHECKING:
    from lxml.html import HtmlElement

_SPACES = re.compile(r"\s+")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
# Hard wrapping: this share of the longer lines lie within this many characters of the width.
_WRAP_SHARE = 0.6
_WRAP_SLACK = 18
_WRAP_MIN_LINES = 8

_BLOCK_TAGS = frozenset(
    [
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "dt",
        "dd",
        "blockquote",
        "pre",
        "td",
        "th",
        "tr",
        "figcaption",
        "caption",
        "address",
        "div",
        "section",
        "article",
        "aside",
        "header",
        "footer",
        "nav",
        "main",
        "ul",
        "ol",
        "dl",
        "table",
        "figure",
        "form",
        "hgroup",
        "details",
        "summary",
        "center",
        "body",
        "html",
    ]
)
_SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "iframe",
        "select",
        "option",
        "input",
        "textarea",
        "button",
        "head",
        "object",
        "embed",
        "canvas",
        "audio",
        "video",
        "map",
    ]
)
_HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
_NAV_TAGS = frozenset({"nav", "header", "footer"})
_NAV_WORDS = re.compile(
    r"(?:^|[\W_])(?:nav|navbar|navigation|menu|masthead|site-header|header|footer|breadcrumbs?|"
    r"cookie|cookies|consent|gdpr|share|sharing|social|comments?|subscribe|newsletter|signup|"
    r"login|skip|toolbar|topbar|byline-share|tags|taglist|pagination)(?:$|[\W_])",
    re.I,
)
_ASIDE_WORDS = re.compile(
    r"(?:^|[\W_])(?:sidebar|side-bar|widget|widgets|related|recommended|recommend|more-from|"
    r"morefrom|more-stories|most-read|mostread|popular|trending|teaser|teasers|card|cards|promo|"
    r"keep-reading|read-next|readnext|also-read|latest|recent|outbrain|taboola)(?:$|[\W_])",
    re.I,
)


@dataclass
class Block:
    """One block of a page and what segmentation decided about it.

    `start`/`end` are character offsets in the page text (text pages; -1 for HTML), `line`
    the 1-based line (text) or block ordinal (HTML). HTML blocks carry `tag`, `region`
    (``nav``, ``aside`` or empty), `link_share`, `href`, `when` (a ``<time datetime>``) and
    `in_main` (its text is in trafilatura's main text). Segmentation fills `kind` (``title``,
    ``meta``, ``body``, ``furniture``, ``post``), `reason` (why, in words) and `item` (the index
    of the item it belongs to, if any).
    """

    index: int
    text: str
    start: int = -1
    end: int = -1
    line: int = 0
    tag: str = ""
    region: str = ""
    region_id: int = 0
    link_share: float = 0.0
    href: str | None = None
    when: str | None = None
    in_main: bool = False
    kind: str = ""
    reason: str = ""
    item: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def words(self) -> int:
        return len(self.text.split())


def _lines(text: str) -> list[tuple[int, int, int]]:
    """(line number, start, end) of each line, `end` before its line break."""
    out = []
    for number, m in enumerate(_LINE.finditer(text), start=1):
        if m.start() == len(text) and m.end() == len(text):
            break
        content = m.group(0).rstrip("\r\n")
        out.append((number, m.start(), m.start() + len(content)))
    return out


def _wrap_width(lengths: list[int]) -> int | None:
    """The width a hard-wrapped text is filled to, or None when it is not wrapped."""
    long = [n for n in lengths if n >= 40]
    if len(long) < _WRAP_MIN_LINES:
        return None
    width = max(long)
    if width > 100:
        return None
    near = sum(1 for n in long if n >= width - _WRAP_SLACK)
    if near < _WRAP_SHARE * len(long):
        return None
    # Wrapped text has blank lines between paragraphs and runs of filled lines.
    return width if statistics.median(long) >= width - _WRAP_SLACK else None


def text_blocks(text: str) -> list[Block]:
    """The blocks of a plain-text page (see the module docstring)."""
    spans: list[tuple[int, int, int] | None] = []
    for number, start, end in _lines(text):
        content = text[start:end]
        # A byte-order mark (at the start, or left inside by a careless concatenation) is not
        # text: it is skipped like whitespace, and counted in the offsets.
        stripped = content.strip().strip("\ufeff").strip()
        if not stripped:
            spans.append(None)
            continue
        lead = content.index(stripped)
        spans.append((number, start + lead, start + lead + len(stripped)))
    width = _wrap_width([s[2] - s[1] for s in spans if s is not None])
    blocks: list[Block] = []
    previous_filled = False
    for span in spans:
        if span is None:
            previous_filled = False
            continue
        number, start, end = span
        if width is not None and previous_filled and blocks:
            last = blocks[-1]
            last.end = end
            last.text = _SPACES.sub(" ", text[last.start : end]).strip()
        else:
            blocks.append(Block(len(blocks), _SPACES.sub(" ", text[start:end]), start, end, number))
        previous_filled = width is not None and end - start >= width - _WRAP_SLACK
    return blocks


class _Collector:
    """Walks an HTML tree and cuts its text into blocks."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_chars = 0
        self.hrefs: list[str] = []
        self.times: list[str] = []
        self.owner: HtmlElement | None = None
        self.regions: dict[str, int] = {}

    def flush(self) -> None:
        text = _SPACES.sub(" ", "".join(self.parts)).strip()
        owner = self.owner
        if text and owner is not None:
            region, region_el = _region(owner)
            key = region_el.getroottree().getpath(region_el) if region_el is not None else ""
            region_id = self.regions.setdefault(key, len(self.regions) + 1)
            share = min(1.0, self.link_chars / len(text))
            self.blocks.append(
                Block(
                    len(self.blocks),
                    text,
                    line=len(self.blocks) + 1,
                    tag=str(owner.tag),
                    region=region,
                    region_id=region_id if region_el is not None else 0,
                    link_share=share,
                    href=self.hrefs[0] if len(self.hrefs) == 1 and share >= 0.6 else None,
                    when=self.times[0] if self.times else None,
                )
            )
        self.parts, self.link_chars, self.hrefs, self.times = [], 0, [], []

    def walk(self, el: HtmlElement, in_link: bool = False) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _SKIP_TAGS or not tag:
            return
        block = tag in _BLOCK_TAGS
        if block or tag == "br":
            self.flush()
        if block:
            self.owner = el
        if tag == "a":
            in_link = True
            href = el.get("href")
            if href and not href.startswith(("#", "javascript:", "mailto:")):
                self.hrefs.append(href)
        if tag == "time" and el.get("datetime"):
            self.times.append(str(el.get("datetime")))
        if el.text:
            self.parts.append(el.text)
            if in_link:
                self.link_chars += len(el.text.strip())
        for child in el:
            self.walk(child, in_link)
            if child.tail:
                self.parts.append(child.tail)
                if in_link:
                    self.link_chars += len(child.tail.strip())
        if block:
            self.flush()
            parent = el.getparent()
            while parent is not None and parent.tag not in _BLOCK_TAGS:
                parent = parent.getparent()
            self.owner = parent


def _region(el: HtmlElement) -> tuple[str, HtmlElement | None]:
    """``nav``, ``aside`` or ``""`` for the region `el` sits in, and the region's element: the
    outermost navigation or aside element around it below ``main``, ``article`` or ``body``
    (a card inside a "more from" section belongs to the section)."""
    found: tuple[str, HtmlElement | None] = ("", None)
    node: HtmlElement | None = el
    while node is not None and isinstance(node.tag, str):
        if node.tag in ("main", "article", "body"):
            break
        names = f"{node.get('class') or ''} {node.get('id') or ''}"
        if node.tag in _NAV_TAGS or _NAV_WORDS.search(names):
            found = ("nav", node)
        elif node.tag == "aside" or _ASIDE_WORDS.search(names):
            found = ("aside", node)
        node = node.getparent()
    return found


def html_blocks(tree: HtmlElement) -> list[Block]:
    """The blocks of an HTML page (see the module docstring)."""
    body = tree.find(".//body")
    collector = _Collector()
    collector.owner = body if body is not None else tree
    collector.walk(body if body is not None else tree)
    collector.flush()
    return collector.blocks
