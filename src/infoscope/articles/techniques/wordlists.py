"""The word lists of the sentence splitter and the lexical cues, kept as data files in
``words/`` (``<name>.txt``: one word a line, ``#`` starts a comment)."""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["word_list"]


@cache
def word_list(name: str) -> frozenset[str]:
    """The words of ``words/<name>.txt`` (read once; blank lines and comments skipped)."""
    text = resources.files(__package__).joinpath("words", f"{name}.txt").read_text("utf-8")
    words = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return frozenset(w for w in words if w)
