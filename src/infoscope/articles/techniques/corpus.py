"""The corpus: the 14 techniques of the PTC, articles with their labelled fragments
(`Article`, `read_ptc`), and the tokens every model works on (`tokenize`; sentences come from
`infoscope.common.sentences`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from infoscope.errors import BadParameterError

__all__ = ["Article", "read_ptc", "tokenize"]

TECHNIQUES: tuple[str, ...] = (
    "Loaded_Language",
    "Name_Calling,Labeling",
    "Repetition",
    "Exaggeration,Minimisation",
    "Doubt",
    "Appeal_to_fear-prejudice",
    "Flag-Waving",
    "Causal_Oversimplification",
    "Slogans",
    "Appeal_to_Authority",
    "Black-and-White_Fallacy",
    "Thought-terminating_Cliches",
    "Whataboutism,Straw_Men,Red_Herring",
    "Bandwagon,Reductio_ad_hitlerum",
)
ANY = "any"  # the token tagger's label for "inside a fragment of any technique"

Span = tuple[str, int, int]  # (technique, start, end), end exclusive


# -- articles ------------------------------------------------------------------------------


@dataclass
class Article:
    """An article's text and (for training and evaluation) its labelled fragments."""

    id: str
    text: str
    spans: list[Span] = field(default_factory=list)


def read_ptc(ptc_dir: str | Path) -> list[Article]:
    """The articles of a PTC folder (``articles/article<ID>.txt`` and ``labels-TC.tsv``),
    sorted by id. Texts are read as UTF-8 with newlines kept as they are, so the offsets of
    the label file index them."""
    root = Path(ptc_dir)
    folder = root / "articles"
    labels = root / "labels-TC.tsv"
    if not folder.is_dir() or not labels.is_file():
        raise BadParameterError(f"{root}: not a PTC folder (needs articles/ and labels-TC.tsv)")
    articles: dict[str, Article] = {}
    for path in sorted(folder.glob("article*.txt")):
        aid = path.stem.removeprefix("article")
        with path.open(encoding="utf-8", newline="") as fh:
            articles[aid] = Article(aid, fh.read())
    with labels.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            parts = line.rstrip("\r\n").split("\t")
            if len(parts) != 4:
                raise BadParameterError(f"{labels}:{n}: expected 4 tab-separated columns")
            aid, technique, start, end = parts
            if aid not in articles:
                raise BadParameterError(f"{labels}:{n}: no article file for id {aid}")
            articles[aid].spans.append((technique, int(start), int(end)))
    return [articles[k] for k in sorted(articles)]


# -- text units ----------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token (start, end) offsets in ``text[start:end]``: words (with inner apostrophes and
    hyphens) and single punctuation characters."""
    stop = len(text) if end is None else end
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text, start, stop)]
