"""What the models see: the lexical cues of sentences and fragments (`SENTENCE_CUES`,
`SPAN_CUES`), an article prepared for the models (`_Doc`: sentences, article-level word
counts, cues, tokens), the hashed token features of the tagger, the TF-IDF vectorisers saved
as plain data, and the optional sentence embeddings (`EmbeddingCache`)."""

from __future__ import annotations

import itertools
import math
import re
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from infoscope.articles.techniques.corpus import tokenize
from infoscope.articles.techniques.wordlists import word_list
from infoscope.common.sentences import split_sentences

__all__ = ["EmbeddingCache"]

_WORD = re.compile(r"\w+(?:['’\-]\w+)*")
_QUOTES = frozenset('"“”«»')
_STOP = word_list("stop")
_NOT_SUPERLATIVE = word_list("not_superlative")
_ABSOLUTES = word_list("absolutes")
_INTENSIFIERS = word_list("intensifiers")
_HEDGES = word_list("hedges")
_NEGATIONS = word_list("negations")
_FIRST_PLURAL = word_list("first_plural")
_SECOND_PERSON = word_list("second_person")

# -- lexical cues ----------------------------------------------------------------------------

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
        min(sum(1 for w in lower if w in _FIRST_PLURAL), 3),
        min(sum(1 for w in lower if w in _SECOND_PERSON), 3),
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


def _standardiser(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and scales (standard deviations, 1 for constant columns) of the cue
    rows `M`, fitted on the training rows to standardise every cue row."""
    mean = M.mean(axis=0) if len(M) else np.zeros(M.shape[1])
    scale = M.std(axis=0) if len(M) else np.ones(M.shape[1])
    scale = np.where(scale > 1e-12, scale, 1.0)
    return mean, scale


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
        from infoscope.common.embeddings import embed

        missing = sorted({t for t in texts if t not in self.vectors})
        for t, v in zip(missing, embed(missing), strict=True):
            self.vectors[t] = v
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.stack([self.vectors[t] for t in texts])


def _embed(texts: Sequence[str]) -> np.ndarray:
    from infoscope.common.embeddings import embed

    return embed(list(texts))
