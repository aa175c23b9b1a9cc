"""The fast span tagger's second stage and its decoding (stacked sequential learning, Cohen &
Carvalho, "Stacked Sequential Learning", IJCAI 2005).

The first stage (`TechniqueDetector`'s token logistic regression over hashed word features)
gives every token a score; its out-of-fold scores on the training articles, with those of the
token's neighbours, of its sentence and of its article, and what the token and its sentence
look like (`CONTEXT_FEATURES`: a proper name, a section header, a one-word sentence, the
title, quotes...), are the input of a gradient-boosted tree ensemble (scikit-learn's
``HistGradientBoostingClassifier``), kept as plain arrays and evaluated here (`_Trees`) so the
model is saved without pickle. Its probability that a token lies inside a propaganda fragment
is decoded into spans (`token_runs`): the marked tokens of a sentence, runs at most ``gap``
tokens apart joined, edge punctuation trimmed.

Each span's confidence is calibrated on held-out articles: an isotonic regression (`_Isotonic`)
of the share of the span's characters inside a gold fragment on the span's mean token
probability, fitted on out-of-fold spans of the training articles. `span_kind` names the spans
that need strong evidence (``name``: only capitalised words; ``header``: a short line without
final punctuation; ``short_sentence``: a sentence of one or two words).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from infoscope.articles.techniques.features import _QUOTES, _STOP, _Doc

__all__ = ["CONTEXT_FEATURES", "RISKY_KINDS", "span_kind", "token_runs"]

CONTEXT_FEATURES: dict[str, str] = {
    "z": "first-stage score of the token (log-odds)",
    "z-3": "first-stage score of the token 3 before (-8 outside the sentence)",
    "z-2": "... 2 before",
    "z-1": "... 1 before",
    "z+1": "... 1 after",
    "z+2": "... 2 after",
    "z+3": "... 3 after",
    "z_window": "mean first-stage score of the tokens at most 5 away in the sentence",
    "sentence_mean": "mean first-stage score of the sentence's tokens",
    "sentence_max": "highest first-stage score in the sentence",
    "sentence_share": "share of the sentence's tokens with a positive first-stage score",
    "article_mean": "mean first-stage score of the article's tokens",
    "article_share": "share of the article's tokens with a positive first-stage score",
    "sentence_model": "highest calibrated technique probability of the sentence models",
    "position": "token index / (sentence tokens - 1)",
    "first": "1 for the sentence's first token",
    "last": "1 for the sentence's last token",
    "punctuation": "1 for a punctuation token",
    "stop": "1 for a stop word",
    "capitalised": "1 for a capitalised word that does not start the sentence",
    "allcaps": "1 for a word of 2+ letters in capitals",
    "in_quotes": "1 inside quotation marks",
    "repeats": "ln(1 + occurrences of the word in the article)",
    "sentence_tokens": "ln(1 + tokens of the sentence)",
    "sentence_words": "ln(1 + words of the sentence)",
    "title": "1 in the first sentence (the title)",
    "sentence_position": "sentence index / sentences",
    "header": "1 in a line of at most 12 words without final punctuation (not the title)",
    "short_sentence": "1 in a sentence of at most 2 words",
    "ends_sentence": "1 when the sentence ends with . ! ? or a quotation mark",
    "length": "characters of the token",
}
RISKY_KINDS = ("name", "header", "short_sentence")
_TRIM_TOKENS = frozenset(".,:;")  # trimmed off the edges of tagged token runs
_ENDS = frozenset(".!?\"”’'")
_PAD = -8.0


def _sentence_layout(doc: _Doc) -> list[dict[str, Any]]:
    """Per sentence: word count, header and short-sentence flags, final punctuation."""
    out = []
    for i, toks in enumerate(doc.tokens):
        s, e = doc.sentences[i]
        words = sum(1 for a, _ in toks if doc.text[a].isalnum())
        stripped = doc.text[s:e].rstrip()
        ends = bool(stripped) and stripped[-1] in _ENDS
        out.append(
            {
                "words": words,
                "header": (not ends) and words <= 12 and i > 0,
                "short": words <= 2,
                "ends": ends,
            }
        )
    return out


def _static_features(doc: _Doc) -> np.ndarray:
    """The features of `CONTEXT_FEATURES` from ``position`` on, per token of `doc`."""
    rows: list[list[float]] = []
    n = max(len(doc.sentences), 1)
    for i, (toks, lay) in enumerate(zip(doc.tokens, _sentence_layout(doc), strict=True)):
        quoted = False
        last = max(len(toks) - 1, 1)
        for j, (a, b) in enumerate(toks):
            w = doc.text[a:b]
            if w in _QUOTES:
                quoted = not quoted
            low = w.lower()
            rows.append(
                [
                    j / last,
                    1.0 if j == 0 else 0.0,
                    1.0 if j == len(toks) - 1 else 0.0,
                    0.0 if w[:1].isalnum() else 1.0,
                    1.0 if low in _STOP else 0.0,
                    1.0 if j > 0 and w[:1].isupper() else 0.0,
                    1.0 if len(w) > 1 and w.isupper() and w.isalpha() else 0.0,
                    1.0 if quoted else 0.0,
                    float(np.log1p(doc.word_counts.get(low, 0))),
                    float(np.log1p(len(toks))),
                    float(np.log1p(lay["words"])),
                    1.0 if i == 0 else 0.0,
                    i / n,
                    1.0 if lay["header"] else 0.0,
                    1.0 if lay["short"] else 0.0,
                    1.0 if lay["ends"] else 0.0,
                    float(len(w)),
                ]
            )
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), 17)


def _context_matrix(docs: Sequence[_Doc], z: np.ndarray, sentence_prob: np.ndarray) -> np.ndarray:
    """The second stage's input (`CONTEXT_FEATURES`) for every token of `docs` in order, from
    the first-stage scores `z` (one per token) and the sentence models' highest probability
    per sentence (`sentence_prob`, one per sentence)."""
    z = np.asarray(z, dtype=np.float64)
    sent = np.concatenate(
        [
            np.full(len(t), k, dtype=np.int64)
            for k, t in enumerate(t for d in docs for t in d.tokens)
        ]
        or [np.zeros(0, dtype=np.int64)]
    )
    art = np.concatenate(
        [np.full(sum(len(t) for t in d.tokens), k, dtype=np.int64) for k, d in enumerate(docs)]
        or [np.zeros(0, dtype=np.int64)]
    )
    if len(z) != len(sent):
        raise ValueError(f"{len(z)} token scores for {len(sent)} tokens")
    if not len(z):
        return np.zeros((0, len(CONTEXT_FEATURES)))
    n_sent = int(sent.max()) + 1
    idx = np.arange(len(z))

    def shifted(offset: int) -> np.ndarray:
        src = idx + offset
        ok = (src >= 0) & (src < len(z))
        ok[ok] &= sent[src[ok]] == sent[idx[ok]]
        out = np.full(len(z), _PAD)
        out[ok] = z[src[ok]]
        return out

    window = np.zeros(len(z))
    count = np.zeros(len(z))
    for offset in range(-5, 6):
        w = shifted(offset)
        inside = w > _PAD
        window += np.where(inside, w, 0.0)
        count += inside
    positive = (z > 0).astype(np.float64)
    s_count = np.maximum(np.bincount(sent, minlength=n_sent), 1)
    s_mean = np.bincount(sent, z, minlength=n_sent) / s_count
    s_max = np.full(n_sent, -np.inf)
    np.maximum.at(s_max, sent, z)
    s_share = np.bincount(sent, positive, minlength=n_sent) / s_count
    a_count = np.maximum(np.bincount(art, minlength=len(docs)), 1)
    a_mean = np.bincount(art, z, minlength=len(docs)) / a_count
    a_share = np.bincount(art, positive, minlength=len(docs)) / a_count
    static = np.vstack([_static_features(d) for d in docs])
    dynamic = np.column_stack(
        [
            z,
            *(shifted(o) for o in (-3, -2, -1, 1, 2, 3)),
            window / np.maximum(count, 1),
            s_mean[sent],
            s_max[sent],
            s_share[sent],
            a_mean[art],
            a_share[art],
            np.asarray(sentence_prob, dtype=np.float64)[sent],
        ]
    )
    return np.hstack([dynamic, static])


# -- the tree ensemble, as arrays -------------------------------------------------------------


class _Trees:
    """A binary gradient-boosted tree ensemble as flat arrays: per node the feature, the
    threshold (go left when the value is at most it), whether a missing value goes left,
    the children (indices into the flat arrays) and the leaf value; ``roots`` are the
    trees' first nodes and ``baseline`` the initial log-odds."""

    FIELDS = ("feature", "threshold", "missing_left", "left", "right", "leaf", "value", "roots")

    def __init__(self, arrays: dict[str, np.ndarray], baseline: float) -> None:
        self.feature = np.asarray(arrays["feature"], dtype=np.int64)
        self.threshold = np.asarray(arrays["threshold"], dtype=np.float64)
        self.missing_left = np.asarray(arrays["missing_left"], dtype=bool)
        self.left = np.asarray(arrays["left"], dtype=np.int64)
        self.right = np.asarray(arrays["right"], dtype=np.int64)
        self.leaf = np.asarray(arrays["leaf"], dtype=bool)
        self.value = np.asarray(arrays["value"], dtype=np.float64)
        self.roots = np.asarray(arrays["roots"], dtype=np.int64)
        self.baseline = float(baseline)

    @classmethod
    def fit(
        cls,
        X: np.ndarray,
        y: np.ndarray,
        *,
        max_iter: int,
        learning_rate: float,
        max_leaf_nodes: int,
        min_samples_leaf: int,
        seed: int,
    ) -> _Trees:
        from sklearn.ensemble import HistGradientBoostingClassifier

        y = np.asarray(y, dtype=np.int8)
        if y.min() == y.max():  # one class: a constant
            arrays = {k: np.zeros(1) for k in cls.FIELDS}
            arrays["leaf"] = np.ones(1)
            arrays["roots"] = np.zeros(1)
            return cls(arrays, 10.0 if y[0] else -10.0)
        clf = HistGradientBoostingClassifier(
            max_iter=max_iter,
            learning_rate=learning_rate,
            max_leaf_nodes=max_leaf_nodes,
            min_samples_leaf=min_samples_leaf,
            early_stopping=False,
            random_state=seed,
        ).fit(X, y)
        parts: dict[str, list[np.ndarray]] = {k: [] for k in cls.FIELDS}
        at = 0
        for (tree,) in clf._predictors:
            nodes = tree.nodes
            parts["feature"].append(nodes["feature_idx"])
            parts["threshold"].append(nodes["num_threshold"])
            parts["missing_left"].append(nodes["missing_go_to_left"])
            parts["left"].append(nodes["left"].astype(np.int64) + at)
            parts["right"].append(nodes["right"].astype(np.int64) + at)
            parts["leaf"].append(nodes["is_leaf"])
            parts["value"].append(nodes["value"])
            parts["roots"].append(np.array([at]))
            at += len(nodes)
        arrays = {k: np.concatenate(v) for k, v in parts.items()}
        return cls(arrays, float(np.ravel(clf._baseline_prediction)[0]))

    def to_arrays(self, prefix: str) -> dict[str, np.ndarray]:
        return {
            f"{prefix}_feature": self.feature.astype(np.int16),
            f"{prefix}_threshold": self.threshold,
            f"{prefix}_missing_left": self.missing_left.astype(np.int8),
            f"{prefix}_left": self.left.astype(np.int32),
            f"{prefix}_right": self.right.astype(np.int32),
            f"{prefix}_leaf": self.leaf.astype(np.int8),
            f"{prefix}_value": self.value,
            f"{prefix}_roots": self.roots.astype(np.int32),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], prefix: str, baseline: float) -> _Trees:
        return cls({k: arrays[f"{prefix}_{k}"] for k in cls.FIELDS}, baseline)

    def log_odds(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        out = np.full(len(X), self.baseline)
        if not len(X):
            return out
        rows_all = np.arange(len(X))
        for root in self.roots:
            node = np.full(len(X), root, dtype=np.int64)
            rows = rows_all[~self.leaf[node]]
            while rows.size:
                nd = node[rows]
                values = X[rows, self.feature[nd]]
                go_left = np.where(
                    np.isnan(values), self.missing_left[nd], values <= self.threshold[nd]
                )
                node[rows] = np.where(go_left, self.left[nd], self.right[nd])
                rows = rows[~self.leaf[node[rows]]]
            out += self.value[node]
        return out

    def probability(self, X: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        return np.asarray(expit(self.log_odds(X)))


class _Isotonic:
    """A monotone calibration map kept as its knots (``x`` ascending, ``y``), evaluated by
    linear interpolation and clipped at the ends. Fitted by isotonic regression
    (scikit-learn's ``IsotonicRegression``, pool-adjacent-violators), whose map is a
    staircase; the knots are the middles of its steps, so that the map is strictly
    increasing and ranks spans as their scores do (no ties at a step), each step's value
    kept at its middle."""

    def __init__(self, x: Sequence[float] | np.ndarray, y: Sequence[float] | np.ndarray) -> None:
        self.x = np.asarray(x, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.float64)

    @classmethod
    def fit(cls, scores: np.ndarray, target: np.ndarray) -> _Isotonic:
        from sklearn.isotonic import IsotonicRegression

        scores = np.asarray(scores, dtype=np.float64)
        if len(scores) < 2 or np.ptp(scores) == 0:
            level = float(np.mean(target)) if len(scores) else 0.0
            return cls(np.array([0.0, 1.0]), np.array([level, level]))
        iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
        iso.fit(scores, np.asarray(target, dtype=np.float64))
        xs, ys = np.asarray(iso.X_thresholds_), np.asarray(iso.y_thresholds_)
        mids_x, mids_y = [], []
        k = 0
        while k < len(xs):  # the steps: runs of knots with one value
            j = k
            while j + 1 < len(xs) and ys[j + 1] == ys[k]:
                j += 1
            mids_x.append((xs[k] + xs[j]) / 2)
            mids_y.append(ys[k])
            k = j + 1
        if len(mids_x) == 1:
            return cls(np.array([xs[0], xs[-1]]), np.array([ys[0], ys[0]]))
        return cls(np.array(mids_x), np.array(mids_y))

    def __call__(self, scores: np.ndarray) -> np.ndarray:
        return np.interp(np.asarray(scores, dtype=np.float64), self.x, self.y)


# -- decoding ---------------------------------------------------------------------------------


def token_runs(
    text: str,
    toks: Sequence[tuple[int, int]],
    on: np.ndarray,
    probs: np.ndarray,
    gap: int,
) -> list[tuple[int, int, float]]:
    """Runs of marked tokens of one sentence (runs at most `gap` unmarked tokens apart
    joined), trimmed of edge punctuation: (start, end, mean probability of the run's
    tokens)."""
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
            out.append((toks[a0][0], toks[a1 - 1][1], float(probs[a0:a1].mean())))
    return out


def span_kind(doc: _Doc, sentence: int, start: int, end: int, layout: dict[str, Any]) -> str:
    """``short_sentence`` or ``header`` after the span's sentence (see the module docstring),
    ``name`` when the span is at most four words, all capitalised, outside the title (a
    proper name such as "Islamic Jihad"), else ``plain``."""
    if layout["short"]:
        return "short_sentence"
    if layout["header"]:
        return "header"
    words = [w for w in doc.text[start:end].split() if w[:1].isalnum()]
    if sentence > 0 and 0 < len(words) <= 4 and all(w[:1].isupper() for w in words):
        return "name"
    return "plain"
