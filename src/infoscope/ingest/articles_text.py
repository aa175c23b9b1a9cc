"""Plain-text articles and pages: a ``.txt`` file, its items found by segmentation.

Two layouts are read the same way. Article corpora distributed as text files, such as the
Propaganda Techniques Corpus (Da San Martino et al., 2019; SemEval-2020 task 11), hold the
headline on the first line and the body after it::

    Headline of the story

    First paragraph of the body.
    Second paragraph ...

Pages saved as text (a browser's "save as text", a copy of the whole page, ``lynx -dump``)
hold the site around the story: menus, share prompts, "Keep reading" boxes, teasers of other
stories, sidebars, footers; an aggregator page holds social posts and reposted articles. Each
file is segmented into items (`infoscope.ingest.pages`): the **main** item, **secondary** items
(teasers, sidebar posts, related stories: stored with ``item_kind`` ``secondary`` and an
``article_links`` row ``secondary_of`` the main item), **reposts** (an article reposted on an
aggregator page, with its own outlet, linked ``reposted_by`` the account), **posts** (``@handle:
text`` lines become `Post` records of that account, retweets and quotes naming the account
they repost) and furniture, which is dropped. A clean article is one main item.

Mapping of the main item: ``title`` is the title segmentation finds (the first line of a clean
article); ``text`` is its text blocks: the file's text from its first to its last block as
written when nothing between them was dropped, else the kept runs joined by a line break.
``author`` and ``published`` come from its byline and dates ("By ...", "Posted by: ...
October 24, 2014", "Published On 24 Feb 2022"), ``outlet`` from ``--outlet``, else from the
page's copyright line or opinion disclaimer, ``url`` from a saved page's header line
(``URL: https://...``); what the page does not say stays NULL. ``raw`` keeps
``body_offset``, the character offset in the file where ``text`` starts, and, when lines were
dropped inside it, ``segments`` (``[text offset, file offset, length]`` for each kept run), so
that annotations given as character offsets into the whole file (the corpus's technique
spans) map onto ``text``. Offsets count the characters of the file as decoded, a byte-order
mark included, as the corpus's own offsets do (and as Python reads the file with
``encoding="utf-8"``); the mark itself is never part of a title or a text. ``article_id`` is
the file name without its directory and extension (``article111111111``): the id the corpus's
annotations use (a second main item gets ``#2``); two files with the same name (in two
archives) are therefore the same article, and the second is a duplicate. ``lang`` is
identified with py3langid (see `infoscope.ingest._articles`).

Detection: with ``--format text-article``, any text file; otherwise a file is detected only
when its name ends in ``.txt``, its content is not another format (this format scores lowest,
so any other match wins, and content starting with ``{``, ``[`` or ``<`` is never a text
article), its name is not that of a README, licence or changelog, its first line is at most
`MAX_TITLE_CHARS` characters, at least `MIN_BODY_WORDS` words follow it, and its first lines
are not a table (`MIN_TABLE_LINES` lines with the same non-zero number of ``,``, ``;``,
tab or ``|`` separators: a delimited file needs ``--delimiter`` or ``--format``). A short
note (``notes.txt`` with two lines) is therefore not taken for an article: pass ``--format
text-article`` to read it as one.

The file is decoded with ``--encoding`` (UTF-8 by default); a file that is not valid in it is
refused with a message naming the line and ``--encoding``. A file with a title but no text
after it, or with nothing but whitespace, is quarantined; a file larger than
``--max-record-bytes`` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from infoscope.ingest._articles import file_stem, read_document
from infoscope.ingest.formats import (
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.pages import PageContext, page_records, segment_text
from infoscope.ingest.pages.meta import header_url
from infoscope.ingest.pages.segment import PageItem, Segmentation
from infoscope.ingest.reading import to_utf8
from infoscope.ingest.sources import Source

__all__ = ["TextArticle", "exact_text"]

MAX_TITLE_CHARS = 300
MIN_BODY_WORDS = 30
MIN_TABLE_LINES = 3
# File names (without extension, case-insensitive) that are documentation, not articles.
_NOT_ARTICLES = frozenset(
    {
        "readme",
        "license",
        "licence",
        "copying",
        "changelog",
        "changes",
        "history",
        "news",
        "notice",
        "authors",
        "contributors",
        "install",
        "citation",
        "manifest",
        "requirements",
    }
)
_SEPARATORS = (",", ";", "\t", "|")
_WORD = re.compile(r"\w+")
_FIRST_LINE = re.compile(r"\s*([^\r\n]*)")
_RAW_LIMIT = 4096


def _looks_tabular(lines: list[str]) -> bool:
    first = lines[:MIN_TABLE_LINES]
    if len(first) < MIN_TABLE_LINES:
        return False
    for sep in _SEPARATORS:
        counts = {line.count(sep) for line in first}
        if len(counts) == 1 and counts != {0}:
            return True
    return False


def _title_and_body(text: str) -> tuple[str, str, int]:
    """The first non-empty line (trimmed), the text after it (verbatim, whitespace around it
    trimmed) and the offset in `text` where that body starts."""
    title = _FIRST_LINE.match(text)
    assert title is not None  # the pattern matches any string
    start = len(text) - len(text[title.end() :].lstrip())
    return title.group(1).strip(), text[start:].rstrip(), start


class TextArticle(RecordFormat):
    name = "text-article"
    description = (
        "Plain-text article or saved page (.txt): main item, teasers, posts (PTC article<ID>.txt)"
    )

    def detect(self, sniff: Sniff) -> int:
        name = sniff.source.replace("\\", "/").rsplit("!", 1)[-1].rsplit("/", 1)[-1]
        if not name.lower().endswith(".txt") or file_stem(name).lower() in _NOT_ARTICLES:
            return 0
        if sniff.kind not in ("text", "csv"):
            return 0
        text = sniff.text.replace("\r\n", "\n")
        if text.lstrip()[:1] in ("{", "[", "<"):
            return 0
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines or len(lines[0].strip()) > MAX_TITLE_CHARS or _looks_tabular(lines):
            return 0
        _, body, _ = _title_and_body(text)
        return 1 if len(_WORD.findall(body)) >= MIN_BODY_WORDS else 0

    def parse(self, source: Source, ctx: ReadContext) -> Iterator[ParsedItem]:
        data = read_document(source, ctx)
        if isinstance(data, Quarantined):
            yield data
            return
        # Offsets count the decoded text as it is, a byte-order mark included.
        text = to_utf8(data, ctx.encoding, source.name, 1).decode("utf-8")
        seg = segment_text(text)
        if not seg.blocks:
            yield Quarantined("empty file: no title and no text", data[:_RAW_LIMIT], 1)
            return
        if not any(item.blocks for item in seg.items) and not seg.posts:
            yield Quarantined("no text after the title line", data[:_RAW_LIMIT], 1)
            return
        page = PageContext(
            source=source.name,
            main_id=file_stem(source.name),
            url=header_url(text),
            outlet_option=ctx.outlet,
            platform=ctx.platform,
            text_of=lambda seg, item: exact_text(text, seg, item),
        )
        yield from page_records(seg, page)


def exact_text(page: str, seg: Segmentation, item: PageItem) -> tuple[str, dict[str, Any]]:
    """An item's text as the page writes it, and where it lies in the page: ``body_offset``,
    and ``segments`` when blocks were dropped inside it (see the module docstring)."""
    if not item.blocks:
        return "", {}
    runs: list[list[int]] = [[item.blocks[0]]]
    for j in item.blocks[1:]:
        if j == runs[-1][-1] + 1:
            runs[-1].append(j)
        else:
            runs.append([j])
    pieces: list[str] = []
    segments: list[list[int]] = []
    at = 0
    for run in runs:
        start, end = seg.blocks[run[0]].start, seg.blocks[run[-1]].end
        if pieces:
            at += 1  # the line break joining runs
        pieces.append(page[start:end])
        segments.append([at, start, end - start])
        at += end - start
    offsets: dict[str, Any] = {"body_offset": segments[0][1]}
    if len(segments) > 1:
        offsets["segments"] = segments
    return "\n".join(pieces), offsets


register(TextArticle())
