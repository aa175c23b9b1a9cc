"""Plain-text articles: one article per ``.txt`` file, its first non-empty line the title.

This is the layout of article corpora distributed as text files, such as the Propaganda
Techniques Corpus (Da San Martino et al., 2019; SemEval-2020 task 11), whose
``article<ID>.txt`` files hold the headline on the first line and the body after it::

    Headline of the story

    First paragraph of the body.
    Second paragraph ...

Mapping: ``title`` is the first non-empty line (trimmed); ``text`` is everything after it as
written, with the whitespace around it trimmed. ``raw`` keeps ``body_offset``, the character
offset in the file (after a byte-order mark) where ``text`` starts, so that annotations given
as character offsets into the whole file (the corpus's technique spans) map onto ``text`` by
subtracting it. ``article_id`` is the file
name without its directory and extension (``article111111111``): the id the corpus's
annotations use; two files with the same name (in two archives) are therefore the same
article, and the second is a duplicate. ``url``, ``outlet``, ``author`` and ``published``
are not in such files and stay NULL; ``lang`` is identified with py3langid (see
`infoscope.ingest._articles`).

Detection: with ``--format text-article``, any text file; otherwise a file is detected only
when its name ends in ``.txt``, its content is not another format (this format scores lowest,
so any other match wins, and content starting with ``{``, ``[`` or ``<`` is never a text
article), its name is not that of a README, licence or changelog, its first line is at most
`MAX_TITLE_CHARS` characters, at least `MIN_BODY_WORDS` words follow it, and its first lines
are not a table (`MIN_TABLE_LINES` lines with the same non-zero number of ``,``, ``;``,
tab or ``|`` separators: a delimited file needs ``--delimiter`` or ``--format``). A short
note (``notes.txt`` with two lines) is therefore not taken for an article: pass ``--format
text-article`` to read it as one.

The file is decoded with ``--encoding`` (UTF-8 by default; a byte-order mark is removed); a
file that is not valid in it is refused with a message naming the line and ``--encoding``. A
file with a title but no text after it, or with nothing but whitespace, is quarantined; a
file larger than ``--max-record-bytes`` too.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from infoscope.ingest._articles import dumps, file_stem, language_of, read_document
from infoscope.ingest.formats import (
    ParsedItem,
    Quarantined,
    ReadContext,
    RecordFormat,
    Sniff,
    register,
)
from infoscope.ingest.reading import to_utf8
from infoscope.ingest.sources import Source
from infoscope.records import Article, Provenance

__all__ = ["TextArticle"]

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
    description = "Plain-text article, first line the title (e.g. the PTC's article<ID>.txt)"

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
        text = to_utf8(data, ctx.encoding, source.name, 1).decode("utf-8").removeprefix("\ufeff")
        title, body, offset = _title_and_body(text)
        if not title:
            yield Quarantined("empty file: no title and no text", data[:_RAW_LIMIT], 1)
            return
        if not body:
            yield Quarantined("no text after the title line", data[:_RAW_LIMIT], 1)
            return
        yield Article(
            article_id=file_stem(source.name),
            url=None,
            outlet=None,
            title=title,
            text=body,
            lang=language_of(None, title, body),
            raw=dumps({"body_offset": offset}),
            provenance=Provenance(source.name, 1, line=1),
        )


register(TextArticle())
