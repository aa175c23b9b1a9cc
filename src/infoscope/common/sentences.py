"""One sentence splitter for article text: rules, with character offsets into the text.

Lines are always boundaries (many article files hold one sentence a line); inside a line a
sentence ends at ``.``, ``!``, ``?`` or ``…`` (with closing quotes or brackets) followed by
whitespace and a word starting with a Latin or Cyrillic capital or a digit (after an opening
quote or bracket, if any), unless the word before the full stop is a common abbreviation
(`abbreviations`: titles, months, "U.S.", "e.g.") or a single letter (an initial). Offsets are
Python ``str`` indices, end exclusive, trimmed of surrounding whitespace; empty sentences are
left out. Paragraphs are blocks between blank lines.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = ["abbreviations", "split_paragraphs", "split_sentences"]

_SENT_END = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+(?=[\"'“‘«(\[]?[A-ZА-ЯЁ0-9])")
_INITIAL = re.compile(r"[a-z]")
_PARAGRAPH = re.compile(r"\S(?:.*?\S)?(?=\n\s*\n|\s*\Z)", re.S)


@cache
def abbreviations() -> frozenset[str]:
    """Lower-case abbreviations after which a full stop does not end a sentence (the data
    file ``abbreviations.txt``, one a line)."""
    text = resources.files(__package__).joinpath("abbreviations.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence ``(start, end)`` offsets of `text`: lines split at sentence ends, trimmed of
    surrounding whitespace, empty ones left out."""
    known = abbreviations()
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        base, pos = pos, pos + len(line) + 1
        cut = 0
        for m in _SENT_END.finditer(line):
            word = line[cut : m.start()].rsplit(None, 1)[-1:] or [""]
            head = word[0].lower().lstrip("\"'“‘(")
            abbreviated = head in known or _INITIAL.fullmatch(head)
            if abbreviated and m.group().startswith("."):
                continue
            if not any(c.isalnum() for c in line[cut : m.start()]):
                continue
            _add_trimmed(out, text, base + cut, base + m.end())
            cut = m.end()
        _add_trimmed(out, text, base + cut, base + len(line))
    return out


def split_paragraphs(text: str) -> list[tuple[int, int]]:
    """Paragraph ``(start, end)`` offsets: blocks of text between blank lines, trimmed."""
    return [(m.start(), m.end()) for m in _PARAGRAPH.finditer(text)]


def _add_trimmed(out: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))
