"""Texts of the scenario: word distributions and vectorised sampling of post bodies.

Every post body is a bag of words drawn from one *distribution* over the vocabulary of
`infoscope.scenario.words`:

- organic ``(language, topic)``: the language's common words (55 % of the tokens) and the
  topic's words (45 %), each list with Zipf-like frequencies (weight of the word of rank r is
  ``1 / (r + 2)``), as word frequencies in real corpora are (Zipf 1949);
- narrative of an operation: with probability ``1 - shift`` a token follows the organic
  distribution of the topic the operation targets, with probability ``shift`` it is one of the
  operation's *keywords*: 24 words of that topic's list taken from its less frequent half
  (organic speakers use them too, rarely) and up to 16 loaded words of `words.LOADED` that
  organic speakers never use. Keyness (log-odds, Monroe et al. 2008) and resonance measures
  therefore have a known shift to find: `Lexicon.keyword_share` gives the expected share of
  keyword tokens under any distribution.

All distributions are stored as one concatenated cumulative table (distribution ``d``
occupies the values ``(d, d + 1]``), so tokens of many posts with different distributions are
drawn with one `numpy.searchsorted` call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from infoscope.scenario.words import COMMON, LOADED, TOPIC_WORDS, TOPICS

__all__ = [
    "Lexicon",
    "narrative_keywords",
    "narrative_weights",
    "organic_weights",
    "topic_lists",
    "zipf_weights",
]

COMMON_MASS = 0.55
KEYWORDS_FROM_TOPIC = 24
KEYWORDS_LOADED = 16


def zipf_weights(n: int) -> np.ndarray:
    """Weights of ranks 0..n-1, proportional to ``1 / (r + 2)``, summing to 1."""
    w = 1.0 / (np.arange(n, dtype=np.float64) + 2.0)
    return w / w.sum()


@dataclass
class Lexicon:
    """The vocabulary and the distributions posts are written from."""

    words: list[str] = field(default_factory=list)
    _index: dict[str, int] = field(default_factory=dict)
    _dists: list[np.ndarray] = field(default_factory=list)  # (word ids, probabilities) pairs
    _probs: list[np.ndarray] = field(default_factory=list)
    names: list[str] = field(default_factory=list)
    cdf: np.ndarray | None = None
    entry_word: np.ndarray | None = None
    word_array: np.ndarray | None = None

    def word_id(self, word: str) -> int:
        wid = self._index.get(word)
        if wid is None:
            wid = self._index[word] = len(self.words)
            self.words.append(word)
        return wid

    def add(self, name: str, weights: dict[int, float]) -> int:
        """Register a distribution (word id -> weight); returns its number."""
        ids = np.fromiter(weights, dtype=np.int64, count=len(weights))
        probs = np.fromiter(weights.values(), dtype=np.float64, count=len(weights))
        self._dists.append(ids)
        self._probs.append(probs / probs.sum())
        self.names.append(name)
        return len(self.names) - 1

    def probabilities(self, dist: int) -> dict[str, float]:
        """Word -> probability under distribution `dist`."""
        return {
            self.words[w]: float(p)
            for w, p in zip(self._dists[dist], self._probs[dist], strict=True)
        }

    def keyword_share(self, dist: int, keywords: tuple[str, ...]) -> float:
        """Expected share of `keywords` among the tokens of distribution `dist`."""
        probs = self.probabilities(dist)
        return sum(probs.get(k, 0.0) for k in keywords)

    def freeze(self) -> None:
        """Build the concatenated cumulative table used by `sample`."""
        cdfs, entries = [], []
        for d, (ids, probs) in enumerate(zip(self._dists, self._probs, strict=True)):
            c = np.cumsum(probs)
            c[-1] = 1.0
            cdfs.append(d + c)
            entries.append(ids)
        self.cdf = np.concatenate(cdfs)
        self.entry_word = np.concatenate(entries)
        self.word_array = np.array(self.words, dtype=object)

    def sample(
        self, dists: np.ndarray, lengths: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Word ids of ``lengths[i]`` tokens from distribution ``dists[i]``, concatenated."""
        assert self.cdf is not None and self.entry_word is not None
        per_token = np.repeat(dists.astype(np.float64), lengths)
        u = per_token + rng.random(per_token.size)
        pos = np.searchsorted(self.cdf, u, side="left")
        np.minimum(pos, self.cdf.size - 1, out=pos)
        return self.entry_word[pos]

    def join(self, word_ids: np.ndarray, lengths: np.ndarray) -> list[str]:
        """Texts of consecutive runs of `word_ids` of the given lengths, words joined by spaces."""
        assert self.word_array is not None
        tokens = self.word_array[word_ids].tolist()
        ends = np.cumsum(lengths).tolist()
        out, start = [], 0
        join = " ".join
        for end in ends:
            out.append(join(tokens[start:end]))
            start = end
        return out


def topic_lists(lang: str) -> dict[str, tuple[str, ...]]:
    """Each topic's words in `lang`, without the language's common words."""
    common = set(COMMON[lang])
    return {t: tuple(w for w in TOPIC_WORDS[t][lang] if w not in common) for t in TOPICS}


def organic_weights(lex: Lexicon, lang: str, topic: str) -> dict[int, float]:
    common = COMMON[lang]
    words = topic_lists(lang)[topic]
    weights: dict[int, float] = {}
    for w, p in zip(common, zipf_weights(len(common)) * COMMON_MASS, strict=True):
        weights[lex.word_id(w)] = weights.get(lex.word_id(w), 0.0) + float(p)
    for w, p in zip(words, zipf_weights(len(words)) * (1 - COMMON_MASS), strict=True):
        weights[lex.word_id(w)] = weights.get(lex.word_id(w), 0.0) + float(p)
    return weights


def narrative_keywords(lang: str, topic: str, rng: np.random.Generator) -> tuple[str, ...]:
    """An operation's keywords: rarer words of its topic and loaded words (module docstring)."""
    words = topic_lists(lang)[topic]
    half = words[len(words) // 2 :]
    picked = rng.choice(len(half), size=min(KEYWORDS_FROM_TOPIC, len(half)), replace=False)
    everyday = set(COMMON[lang]).union(*(TOPIC_WORDS[t][lang] for t in TOPICS))
    loaded = [w for w in LOADED[lang] if w not in everyday]
    chosen = rng.choice(len(loaded), size=min(KEYWORDS_LOADED, len(loaded)), replace=False)
    return tuple([half[i] for i in sorted(picked)] + [loaded[i] for i in sorted(chosen)])


def narrative_weights(
    lex: Lexicon, organic: dict[int, float], keywords: tuple[str, ...], shift: float
) -> dict[int, float]:
    weights = {w: p * (1 - shift) for w, p in organic.items()}
    for w, p in zip(keywords, zipf_weights(len(keywords)) * shift, strict=True):
        wid = lex.word_id(w)
        weights[wid] = weights.get(wid, 0.0) + float(p)
    return weights
