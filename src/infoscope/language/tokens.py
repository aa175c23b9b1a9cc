"""Tokens of social-media posts in many languages, computed inside the engine (Ibis).

One token stream per post, made of:

- words: runs of letters (any script: Latin, Cyrillic, ...), marks and digits, with inner
  apostrophes, hyphens and underscores (``don't``, ``e-mail``, ``санкции``), case-folded;
  words of one letter and stop-words are dropped;
- numbers (``2016``, ``3.5``), unless ``numbers=False``;
- emoji and other pictographic symbols, one token each (``🔥``);
- ``#hashtag``, ``@mention`` and ``domain:host`` tokens from the post's entity columns, which
  the importers filled from the platform's entities or the text; URLs, mentions and hashtags
  are removed from the text before it is split, so each counts once.

Stop-words are per language (the `stop-words` package: English, Russian, Ukrainian, German,
French, Spanish and more) applied by the post's language: the platform's, else the one
`detect_languages` identified, else the union of all lists. Platform artefacts (``rt``,
``via``, ``amp``) are always stop-words. ``ngrams=2`` adds word bigrams (of adjacent kept
words, within a post). Everything here is an Ibis expression: DuckDB runs it by default, and
the same code runs on Spark (`post_tokens` with ``engine=``, an `infoscope.engine.Engine`).

The patterns mean the same to DuckDB (RE2) and to Spark (Java regular expressions): both
read the Unicode general categories (letters, marks, numbers, other symbols), code points
written in braces and negated classes alike, and group 0 of ``regexp_extract_all`` is the
whole match in both. Case folding differs: Spark lower-cases with Unicode's full,
context-sensitive mapping (a word-final ``Σ`` becomes ``ς``, ``İ`` becomes ``i`` with a
combining dot), DuckDB with the simple one (``σ``, ``i``); `fold_case` maps those two letters
first, so both engines give DuckDB's tokens.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

from infoscope.common.urls import domain_of
from infoscope.engine import Engine

__all__ = [
    "TokenOptions",
    "fold_case",
    "post_tokens",
    "regexp_extract_all",
    "stopword_rows",
    "stopwords_table",
]

ARTEFACTS = ("rt", "via", "amp", "gt", "lt", "http", "https")

_STRIP = r"(https?://|www\.)\S+|[@#][\p{L}\p{M}\p{N}_]+"
_WORD = r"[\p{L}\p{M}][\p{L}\p{M}\p{N}_'’-]*[\p{L}\p{M}\p{N}]|[\p{L}\p{M}]"
_NUMBER = r"\p{N}+(?:[.,]\p{N}+)*"
# Letters and marks alone: a word shorter than ``min_length`` is dropped only when it is one.
_LETTERS = r"^[\p{L}\p{M}]+$"
# A flag is a pair of regional indicators; U+FFFD (a decoding error) is no symbol.
_SYMBOL = r"[\x{1F1E6}-\x{1F1FF}]{2}|[^\P{So}\x{FFFD}]"
KINDS = ("word", "number", "emoji", "hashtag", "mention", "domain")
# The engine table holding `stopword_rows` while tokens are computed (see `post_tokens`).
STOPWORDS_TABLE = "_infoscope_stopwords"


@ibis.udf.scalar.builtin
def regexp_extract_all(s: str, pattern: str, group: int) -> dt.Array(dt.string):  # type: ignore[valid-type,empty-body]
    """The engine's ``regexp_extract_all`` (DuckDB, Spark)."""


@dataclass(frozen=True)
class TokenOptions:
    """How posts become tokens: which `kinds` (see `KINDS`) to keep, word `ngrams` (1 or
    2), `min_length` (in characters, for words) and whether `stop_words` are kept (they are
    dropped for a keyness table people read; function words are style, which a classifier
    may use)."""

    kinds: tuple[str, ...] = ("word", "emoji", "hashtag", "mention", "domain")
    ngrams: int = 1
    min_length: int = 2
    stop_words: bool = False

    def __post_init__(self) -> None:
        unknown = sorted(set(self.kinds) - set(KINDS))
        if unknown or not self.kinds:
            raise ValueError(f"token kinds {unknown or '(none)'}: choose from {', '.join(KINDS)}")
        if self.ngrams not in (1, 2):
            raise ValueError(f"ngrams must be 1 or 2, got {self.ngrams}")
        if self.min_length < 1:
            raise ValueError(f"min_length must be at least 1, got {self.min_length}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kinds": list(self.kinds),
            "ngrams": self.ngrams,
            "min_length": self.min_length,
            "stop_words": self.stop_words,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> TokenOptions:
        """Options as `as_dict` wrote them (defaults for what is missing)."""
        o = data or {}
        default = cls()
        return cls(
            kinds=tuple(o.get("kinds", default.kinds)),
            ngrams=int(o.get("ngrams", default.ngrams)),
            min_length=int(o.get("min_length", default.min_length)),
            stop_words=bool(o.get("stop_words", default.stop_words)),
        )


@functools.lru_cache(maxsize=1)
def stopword_rows() -> pa.Table:
    """``stop_lang, stop_token`` for every stop-word list applied (``""`` rows: the words of
    every list, for a post of no listed language; ``*`` rows: the artefacts)."""
    from infoscope.common.stopwords import LANGUAGES, stop_words

    langs, tokens = [], []
    for code in LANGUAGES:
        for word in sorted(stop_words(code)):
            langs.append(code)
            tokens.append(word)
    # Under "": the words of every list, for posts whose language has none or is unknown.
    for word in sorted({w for code in LANGUAGES for w in stop_words(code)}):
        langs.append("")
        tokens.append(word)
    for word in ARTEFACTS:
        langs.append("*")
        tokens.append(word)
    return pa.table({"stop_lang": langs, "stop_token": tokens})


def fold_case(text: Any) -> Any:
    """An Ibis string column lower-cased alike on every engine: the simple Unicode mapping
    (DuckDB's), with the two letters Spark's full mapping treats otherwise (a word-final
    ``Σ``, ``İ``) mapped first."""
    return text.translate("Σİ", "σi").lower()


def stopwords_table(engine: Engine | None = None) -> ibis.Table:
    """`stopword_rows` as a table of `engine` (under `STOPWORDS_TABLE`; release it when done),
    or, without an engine, as an in-memory table for the DuckDB tables of a store."""
    if engine is None:
        return ibis.memtable(stopword_rows())
    return engine.from_arrow(STOPWORDS_TABLE, stopword_rows())


def _pattern(options: TokenOptions) -> str:
    parts = []
    if "word" in options.kinds:
        parts.append(_WORD)
    if "number" in options.kinds:
        parts.append(_NUMBER)
    if "emoji" in options.kinds:
        parts.append(_SYMBOL)
    return "|".join(parts)


def post_tokens(
    posts: ibis.Table,
    options: TokenOptions | None = None,
    *,
    keep: tuple[str, ...] = ("platform", "post_id", "account_id", "created_at"),
    engine: Engine | None = None,
) -> ibis.Table:
    """One row per token occurrence: the `keep` columns of `posts` and ``token``.

    `posts` needs ``text``, ``lang``, ``hashtags``, ``mentions`` and ``urls`` (the store's
    posts, possibly with ``lang`` already filled from detected languages); `keep` must
    include ``platform`` and ``post_id`` when ``ngrams=2``. `engine` is the
    `infoscope.engine.Engine` whose tables `posts` are: it holds the stop-words (under
    `STOPWORDS_TABLE`, which the caller releases); without one, `posts` must be DuckDB's.

    Each post's tokens are gathered into one list (words, word pairs, entities), unnested
    once: the engine reads and splits every post a single time. Unnesting several lists of
    one scan of the posts side by side made DuckDB fail under a memory limit it otherwise
    keeps (3M posts under 2 GB), and every extra scan repeats the splitting.
    """
    opts = options or TokenOptions()
    stop = stopwords_table(engine)
    pattern = _pattern(opts)
    text = fold_case(posts.text.fill_null("").re_replace(_STRIP, " "))
    if pattern and opts.ngrams == 2 and not opts.stop_words:
        return _windowed_tokens(posts, text, opts, pattern, keep, stop)
    lists = {}
    if pattern:
        # The words as a column first: the pairs read that list instead of splitting again.
        posts = posts.mutate(_words=_words(text, opts, pattern))
        lists["_words"] = posts._words
        if opts.ngrams == 2:
            pairs = posts._words[:-1].zip(posts._words[1:])
            lists["_pairs"] = pairs.map(lambda p: p.f1 + " " + p.f2)
    lists |= _entity_lists(posts, opts)
    if not lists:
        return posts.select(*keep, token=ibis.null("string")).filter(ibis.literal(False))
    # Each list a column, then joined: the engine computes each once (a concatenation
    # tests each of its arguments for NULL before joining them).
    posts = posts.mutate(**lists)
    listed = _joined(posts, list(lists))
    out = posts.select(*keep, lang=posts.lang, token=listed.unnest())
    out = out.filter(out.token.notnull() & (out.token != ""))
    if not opts.stop_words:
        out = _without_stopwords(out, stop)
    return out.select(*keep, "token")


def _words(text: Any, opts: TokenOptions, pattern: str) -> Any:
    """Each post's words as a list: one-letter words go, and with stop-words kept the
    artefacts too (stop-words proper are dropped later, by the post's language)."""
    artefacts = list(ARTEFACTS)

    def kept(w: Any) -> Any:
        long_enough = (w.length() >= opts.min_length) | ~w.re_search(_LETTERS)
        return long_enough & ~w.isin(artefacts) if opts.stop_words else long_enough

    return regexp_extract_all(text, pattern, 0).filter(kept)


def _entity_lists(posts: ibis.Table, opts: TokenOptions) -> dict[str, Any]:
    """``#hashtag``, ``@mention`` and ``domain:host`` tokens of each post, as lists."""
    empty = ibis.literal([], type=dt.Array(dt.string))
    lists = {}
    for kind, column, prefix in (("hashtag", "hashtags", "#"), ("mention", "mentions", "@")):
        if kind in opts.kinds:
            values = posts[column].fill_null(empty)
            lists[f"_{column}"] = values.map(lambda v, p=prefix: ibis.literal(p) + fold_case(v))
    if "domain" in opts.kinds:
        urls = posts.urls.fill_null(empty)
        lists["_domains"] = urls.map(lambda u: ibis.literal("domain:") + domain_of(u))
    return lists


def _joined(table: ibis.Table, names: list[str]) -> Any:
    """The list columns `names` of `table`, joined end to end."""
    first, *rest = (table[name] for name in names)
    return first.concat(*rest) if rest else first


def _windowed_tokens(
    posts: ibis.Table,
    text: Any,
    opts: TokenOptions,
    pattern: str,
    keep: tuple[str, ...],
    stop: ibis.Table,
) -> ibis.Table:
    """Tokens with stop-words dropped and word pairs: a pair joins adjacent words that are
    no stop-words of the post's language, found by their positions in the post."""
    listed = posts.select(*keep, lang=posts.lang, tokens=regexp_extract_all(text, pattern, 0))
    words = listed.unnest("tokens", offset="position").rename(token="tokens")
    words = words.filter(
        (words.token.length() >= opts.min_length) | ~words.token.re_search(_LETTERS)
    )
    words = _without_stopwords(words, stop)
    following = words.token.lead().over(group_by=["platform", "post_id"], order_by="position")
    pairs = words.mutate(next_token=following)
    pairs = pairs.filter(pairs.next_token.notnull())
    parts = [
        words.select(*keep, "token"),
        pairs.select(*keep, token=pairs.token + " " + pairs.next_token),
    ]
    entities = _entity_lists(posts, opts)
    if entities:
        posts = posts.mutate(**entities)
        parts.append(posts.select(*keep, token=_joined(posts, list(entities)).unnest()))
    out = _nullable(parts[0])
    for part in parts[1:]:
        out = out.union(_nullable(part), distinct=False)
    return out.filter(out.token.notnull() & (out.token != ""))


def _nullable(table: ibis.Table) -> ibis.Table:
    """The same columns, all nullable: set operations need equal schemas."""
    schema = table.schema()
    return table.cast({name: schema[name].copy(nullable=True) for name in schema.names})


def _without_stopwords(words: ibis.Table, stop: ibis.Table) -> ibis.Table:
    """Drop artefacts, and words that are stop-words of their post's language (of any list
    when the language is unknown or has no list): one pass over the words, which meet the
    stop-words of their language under its code and those of every list under ``""``."""
    from infoscope.common.stopwords import LANGUAGES

    listed = words.lang.notnull() & words.lang.isin(list(LANGUAGES))
    keyed = words.mutate(_stop_key=ibis.ifelse(listed, words.lang, ""))
    per_lang = stop.filter(stop.stop_lang != "*")
    kept = keyed.anti_join(
        per_lang, [keyed._stop_key == per_lang.stop_lang, keyed.token == per_lang.stop_token]
    )
    artefacts = stop.filter(stop.stop_lang == "*").select(art="stop_token")
    kept = kept.anti_join(artefacts, kept.token == artefacts.art)
    return kept.drop("_stop_key")
