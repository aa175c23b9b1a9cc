"""The fast detector (`TechniqueDetector`: sentence models, a two-stage token tagger and the
fragment technique model; saved without pickle), the shipped model (`load_technique_model`),
the registry of span models (`TECHNIQUE_MODELS`) and the public entry point
`detect_techniques`.

A span model is anything with ``predict(texts_or_articles, *, span_threshold=None,
flags_per_1000_words=None)`` returning, per article, ``sentences`` and ``spans`` as
`TechniqueDetector.predict` does, and ``classify_spans(text, spans)``; it is registered by
name in `TECHNIQUE_MODELS` (``fast`` is this module's; ``transformer`` is the fine-tuned
MiniLM tagger of `infoscope.articles.techniques.transformer`). Both share the decoding of
token probabilities into spans and its tuning (`tune_decoding`)."""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from infoscope.articles.techniques.corpus import TECHNIQUES, Article
from infoscope.articles.techniques.features import (
    SENTENCE_CUES,
    SPAN_CUES,
    _Doc,
    _embed,
    _standardiser,
    _Tfidf,
    _token_features,
)
from infoscope.articles.techniques.linear import _fit_binary, _group_folds, _half, _sigmoid
from infoscope.articles.techniques.metrics import si_score
from infoscope.articles.techniques.tagger import (
    CONTEXT_FEATURES,
    RISKY_KINDS,
    _context_matrix,
    _Isotonic,
    _sentence_layout,
    _Trees,
    span_kind,
    token_runs,
)
from infoscope.common.calibration import fit_platt
from infoscope.common.parallel import delayed, parallel
from infoscope.errors import BadParameterError

__all__ = [
    "TECHNIQUE_MODELS",
    "TechniqueDetector",
    "classify_fragments",
    "count_words",
    "detect_techniques",
    "load_technique_model",
    "resolve_technique_model",
    "set_decoding",
    "tune_decoding",
]

MODEL_FILE = "technique-model.json"
ARRAYS_FILE = "technique-model.npz"
MANIFEST_FILE = "manifest.json"
MODEL_FORMAT = "infoscope-technique-model"
MODEL_FORMAT_VERSION = 2
SENTENCE_GAP = 1000  # a gap this wide joins every marked token of a sentence into one span
_GAPS = (2, SENTENCE_GAP)
_TAGGER_GRID = tuple(float(t) for t in np.round(np.arange(0.05, 0.6, 0.025), 3))
_WORD = re.compile(r"\w+")


def count_words(text: str) -> int:
    """Words (runs of letters and digits) in `text`: the unit of "flags per 1,000 words"."""
    return len(_WORD.findall(text))


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
    """Propaganda technique spans, techniques per sentence, and the technique of given
    fragments: the ``fast`` model.

    Parameters: `C` (inverse L2 penalty of the sentence models), `span_C` (of the fragment
    technique model), `token_C` (of the first-stage token tagger), `word_features` and
    `char_features` (vocabulary sizes of the word 1-2 gram and character 2-5 gram TF-IDF),
    `min_df`, `embeddings` (add USE v3 sentence embeddings), `embedding_weight`,
    `context_weight` (scale of the sentence TF-IDF in the fragment model), `hash_features`
    (log2 of the token feature space), `trees`, `tree_leaves`, `tree_learning_rate`,
    `min_samples_leaf` (the second-stage tree ensemble), `max_spans_per_gold` (the
    decoding tuned for span F1 predicts at most this many spans per gold span on the
    training articles), `strong_quantile` (a proper name, a header or a one-word sentence
    needs at least this quantile of the out-of-fold spans' confidences, or the span-F1-best
    level when it is higher), `folds` (inner article-grouped folds for out-of-fold scores),
    `n_jobs` (processes fitting the linear models; -1: one per core; the result does not
    depend on it), `random_state`, `max_iter`.

    ``fit(X, y)``: `X` a list of article texts (or `Article` objects, then `y` may be None),
    `y` per article a list of (technique, start, end).

    Fitted, all from the training articles only (out-of-fold scores of `folds`
    article-grouped inner folds for everything that is tuned or calibrated):
    ``techniques_``, ``word_``/``char_``, ``sentence_cue_mean_``/``sentence_cue_scale_``,
    ``sentence_coef_``/``sentence_intercept_``, ``sentence_platt_``, ``thresholds_``
    (per technique); ``token_coef_``/``token_intercept_`` (first stage), ``trees_``
    (second stage), ``tagger_threshold_`` and ``tagger_gap_`` (decoding), ``calibration_``
    (isotonic map of a span's mean token probability to the expected share of its characters
    inside a gold fragment), ``min_confidence_`` (the span-F1-best lowest calibrated
    confidence), ``strong_confidence_`` (the lowest one for a proper name, a header or a
    one-word sentence), ``density_`` (calibrated confidences of the out-of-fold spans, highest
    first, and ``training_words_``: the flags-per-1,000-words operating points),
    ``span_cue_mean_``/``span_cue_scale_``, ``span_classes_``, ``span_coef_``/``span_intercept_``,
    ``counts_``, ``tuning_`` (the out-of-fold figures behind the choices).
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
        hash_features: int = 18,
        trees: int = 100,
        tree_leaves: int = 31,
        tree_learning_rate: float = 0.1,
        min_samples_leaf: int = 50,
        max_spans_per_gold: float = 1.5,
        strong_quantile: float = 0.75,
        folds: int = 3,
        n_jobs: int | None = -1,
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
        self.hash_features = hash_features
        self.trees = trees
        self.tree_leaves = tree_leaves
        self.tree_learning_rate = tree_learning_rate
        self.min_samples_leaf = min_samples_leaf
        self.max_spans_per_gold = max_spans_per_gold
        self.strong_quantile = strong_quantile
        self.folds = folds
        self.n_jobs = n_jobs
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
        blocks = [  # word TF-IDF and cues (character n-grams only in the fragment model)
            self.word_.transform(texts),
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
    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any = None) -> TechniqueDetector:
        """Fit on articles `X` with fragments `y` (see the class docstring)."""
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
        oof = np.zeros((len(Y), len(techniques)))
        fitted = parallel(self.n_jobs)(
            delayed(_sentence_model)(Xs, Y[:, k], folds, self.C, seed, self.max_iter)
            for k in range(len(techniques))
        )
        for k, (c, b, pl, threshold, probs) in enumerate(fitted):
            coef[k], intercept[k], platt[k], thresholds[k] = c, b, pl, threshold
            if probs is not None:
                oof[:, k] = probs
        self.sentence_coef_, self.sentence_intercept_ = coef, intercept
        self.sentence_platt_, self.thresholds_ = platt, thresholds
        if not folds:  # no held-out sentences: the fitted models' own probabilities
            oof = self._sentence_probabilities(Xs)

        self._fit_tagger(articles, docs, oof.max(axis=1), seed)
        self._fit_spans(articles, docs)
        self.counts_ = {
            "articles": len(articles),
            "sentences": len(Y),
            "words": self.training_words_,
            "sentences_per_technique": {t: int(Y[:, k].sum()) for k, t in enumerate(techniques)},
            "fragments_per_technique": {
                t: sum(1 for a in articles for s in a.spans if s[0] == t) for t in techniques
            },
        }
        return self

    def fit_fragments(self, X: Any, y: Any = None) -> TechniqueDetector:
        """Fit only what the technique of a given fragment needs (the TC subtask:
        `span_proba`, `classify_spans`): the TF-IDF vocabularies and the fragment technique
        model, on articles `X` with fragments `y`, as `fit` does. The ``transformer``
        model's spans get their technique from it."""
        articles = _as_articles(X, y)
        if not articles:
            raise BadParameterError("no articles to fit on")
        docs = [_Doc(a.text) for a in articles]
        texts = [d.text[s:e] for d in docs for s, e in d.sentences]
        if not texts:
            raise BadParameterError("the articles have no text")
        self.techniques_ = list(TECHNIQUES)
        self.word_ = _Tfidf("word", (1, 2)).fit(
            texts, min_df=self.min_df, max_features=self.word_features
        )
        self.char_ = _Tfidf("char_wb", (2, 5)).fit(
            texts, min_df=self.min_df, max_features=self.char_features
        )
        self._fit_spans(articles, docs)
        return self

    def _tree_options(self) -> dict[str, Any]:
        return {
            "max_iter": self.trees,
            "learning_rate": self.tree_learning_rate,
            "max_leaf_nodes": self.tree_leaves,
            "min_samples_leaf": self.min_samples_leaf,
            "seed": self.random_state,
        }

    def _fit_tagger(
        self, articles: list[Article], docs: list[_Doc], sentence_max: np.ndarray, seed: int
    ) -> None:
        """The two stages of the any-technique token tagger, then the decoding, the span
        calibration and the operating points, all from out-of-fold token probabilities."""
        Xt = self._token_matrix(docs)
        yt = np.zeros(Xt.shape[0], dtype=np.int8)
        groups = np.zeros(Xt.shape[0], dtype=np.int64)
        row = 0
        for g, (a, d) in enumerate(zip(articles, docs, strict=True)):
            inside = _inside(a, len(d.text))
            for toks in d.tokens:
                for a0, a1 in toks:
                    yt[row] = inside[a0:a1].any()
                    groups[row] = g
                    row += 1
        folds = _group_folds(groups, self.folds, seed)
        everything = np.arange(len(yt))
        fits = parallel(self.n_jobs)(
            delayed(_fit_binary)(Xt[train], yt[train], self.token_C, seed, self.max_iter)
            for train in [everything, *(train for train, _ in folds)]
        )
        self.token_coef_, self.token_intercept_ = fits[0]
        z = Xt @ self.token_coef_ + self.token_intercept_
        for (c, b), (_, test) in zip(fits[1:], folds, strict=True):
            z[test] = Xt[test] @ c + b
        F = _context_matrix(docs, z, sentence_max)
        self.trees_ = _Trees.fit(F, yt, **self._tree_options())
        if folds:
            p = np.zeros(len(yt))
            for train, test in folds:
                trees = _Trees.fit(F[train], yt[train], **self._tree_options())
                p[test] = trees.probability(F[test])
        else:  # no held-out tokens: the fitted trees' own probabilities
            p = self.trees_.probability(F)
        # Decoding, calibration and operating points from the out-of-fold probabilities.
        set_decoding(self, articles, docs, p)

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

    # -- prediction ------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "trees_"):
            raise BadParameterError("the model is not fitted: call fit() or load one")

    def _thresholds(self, threshold: float | Mapping[str, float] | None) -> np.ndarray:
        out = np.array(self.thresholds_, dtype=np.float64)
        if threshold is None:
            return out
        if isinstance(threshold, Mapping):
            for t, v in threshold.items():
                if t not in self.techniques_:
                    raise BadParameterError(f"unknown technique {t!r}")
                out[self.techniques_.index(t)] = _probability(v)
            return out
        return np.full(len(out), _probability(threshold))

    def _sentence_probabilities(self, Xs: Any) -> np.ndarray:
        Z = Xs @ self.sentence_coef_.T + self.sentence_intercept_
        return _sigmoid(Z * self.sentence_platt_[:, 0] + self.sentence_platt_[:, 1])

    def sentence_proba(self, docs: Sequence[_Doc]) -> np.ndarray:
        """Calibrated probability per sentence (all articles' sentences in order) and
        technique."""
        self._check()
        if not any(d.sentences for d in docs):
            return np.zeros((0, len(self.techniques_)))
        return self._sentence_probabilities(self._sentence_matrix(docs))

    def token_proba(
        self, docs: Sequence[_Doc], sentence_probs: np.ndarray | None = None
    ) -> np.ndarray:
        """Probability per token (all articles' tokens in order) that it lies inside a
        fragment of any technique (the second stage)."""
        self._check()
        if sentence_probs is None:
            sentence_probs = self.sentence_proba(docs)
        Xt = self._token_matrix(docs)
        if not Xt.shape[0]:
            return np.zeros(0)
        z = Xt @ self.token_coef_ + self.token_intercept_
        best = sentence_probs.max(axis=1) if sentence_probs.size else np.zeros(len(sentence_probs))
        return self.trees_.probability(_context_matrix(docs, z, best))

    def confidence_for_density(self, flags_per_1000_words: float) -> float:
        """The lowest span confidence at which the training articles' out-of-fold spans
        number `flags_per_1000_words` per 1,000 words (at most that many)."""
        return _confidence_for_density(self.density_, self.training_words_, flags_per_1000_words)

    def predict(
        self,
        X: Any,
        threshold: float | Mapping[str, float] | None = None,
        *,
        span_threshold: float | None = None,
        flags_per_1000_words: float | None = None,
    ) -> list[dict[str, Any]]:
        """Per article: ``sentences`` (start, end, text and the predicted techniques with
        their confidence) and ``spans`` (technique, start, end, text, confidence,
        fragment_confidence, technique_confidence, runner_up, kind).

        `threshold`: the sentence models' thresholds (None for the fitted F1-best ones, one
        probability for all, or a mapping technique -> probability overriding some).
        `span_threshold`: the lowest calibrated fragment confidence of a span (default the
        span-F1-best one, ``min_confidence_``); or `flags_per_1000_words`: the operating
        point at which the training articles had that many spans per 1,000 words. A proper
        name, a header or a one-word sentence also needs ``strong_confidence_``."""
        self._check()
        articles = _as_articles(X)
        docs = [_Doc(a.text) for a in articles]
        c_min = _min_confidence(self, span_threshold, flags_per_1000_words)
        return self._predict_docs(articles, docs, threshold, c_min)

    def _predict_docs(
        self,
        articles: Sequence[Article],
        docs: Sequence[_Doc],
        threshold: float | Mapping[str, float] | None,
        c_min: float,
    ) -> list[dict[str, Any]]:
        thr = self._thresholds(threshold)
        P = self.sentence_proba(docs)
        T = self.token_proba(docs, P)
        blocks = _split_blocks(docs, T)
        out = []
        row = 0
        for a, d, b in zip(articles, docs, blocks, strict=True):
            n = len(d.sentences)
            probs = P[row : row + n]
            row += n
            sentences = []
            for i, (s, e) in enumerate(d.sentences):
                found: list[dict[str, Any]] = [
                    {"technique": t, "confidence": round(float(probs[i, k]), 4)}
                    for k, t in enumerate(self.techniques_)
                    if probs[i, k] >= thr[k]
                ]
                found.sort(key=lambda f: -f["confidence"])
                sentences.append({"start": s, "end": e, "text": d.text[s:e], "techniques": found})
            spans = self._spans(d, b, c_min)
            out.append({"id": a.id, "sentences": sentences, "spans": spans})
        return out

    def _spans(self, d: _Doc, blocks: list[np.ndarray], c_min: float) -> list[dict[str, Any]]:
        """The kept candidate spans of one article, each given its most probable technique:
        ``confidence`` = P(fragment) × P(technique | fragment), with both factors
        (``fragment_confidence``, calibrated; ``technique_confidence``), the runner-up
        technique and the span's ``kind``."""
        cands = _candidates(d, blocks, self.tagger_threshold_, self.tagger_gap_)
        kept = []
        for s, e, mean, kind in cands:
            conf = float(self.calibration_(np.array([mean]))[0])
            if conf >= c_min and (kind not in RISKY_KINDS or conf >= self.strong_confidence_):
                kept.append((s, e, conf, kind))
        if not kept:
            return []
        P = self.span_proba([d], [(0, s, e) for s, e, _, _ in kept])
        out = []
        for (s, e, conf, kind), row in zip(kept, P, strict=True):
            order = np.argsort(-row, kind="stable")
            best = float(row[order[0]])
            out.append(
                {
                    "technique": self.span_classes_[int(order[0])],
                    "start": s,
                    "end": e,
                    "text": d.text[s:e],
                    "confidence": round(conf * best, 4),
                    "fragment_confidence": round(conf, 4),
                    "technique_confidence": round(best, 4),
                    "runner_up": self.span_classes_[int(order[1])] if len(order) > 1 else None,
                    "kind": kind,
                }
            )
        return out

    def classify_spans(self, text: str, spans: Sequence[tuple[int, int]]) -> list[dict[str, Any]]:
        """The technique of each fragment (start, end) of `text` (the TC subtask): per
        fragment ``technique``, ``confidence`` and ``ranking`` (techniques by probability)."""
        return classify_fragments(self, text, spans)

    def span_proba(self, docs: Sequence[_Doc], spans: Sequence[tuple[int, int, int]]) -> np.ndarray:
        """Probability per fragment (doc index, start, end) of each of ``span_classes_``."""
        if not hasattr(self, "span_coef_"):
            raise BadParameterError("the model is not fitted: call fit() or load one")
        if not spans:
            return np.zeros((0, len(self.span_classes_)))
        if len(self.span_classes_) < 2:
            return np.ones((len(spans), len(self.span_classes_)))
        Z = self._span_matrix(docs, spans) @ self.span_coef_.T + self.span_intercept_
        Z -= Z.max(axis=1, keepdims=True)
        E = np.exp(Z)
        return np.asarray(E / E.sum(axis=1, keepdims=True))

    # -- saving ----------------------------------------------------------------------------
    # -- saving ----------------------------------------------------------------------------
    def to_data(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The fitted model as JSON-able data and named arrays."""
        self._check()
        meta = {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "params": self.get_params(),
            "techniques": list(self.techniques_),
            "span_classes": list(self.span_classes_),
            "sentence_cues": list(SENTENCE_CUES),
            "span_cues": list(SPAN_CUES),
            "context_features": list(CONTEXT_FEATURES),
            "word": self.word_.to_dict(),
            "char": self.char_.to_dict(),
            "thresholds": [float(v) for v in self.thresholds_],
            "sentence_platt": self.sentence_platt_.tolist(),
            "sentence_intercept": [float(v) for v in self.sentence_intercept_],
            "token_intercept": float(self.token_intercept_),
            "trees_baseline": self.trees_.baseline,
            "tagger_threshold": float(self.tagger_threshold_),
            "tagger_gap": int(self.tagger_gap_),
            "calibration": {"x": self.calibration_.x.tolist(), "y": self.calibration_.y.tolist()},
            "min_confidence": self.min_confidence_,
            "strong_confidence": self.strong_confidence_,
            "training_words": self.training_words_,
            "span_intercept": [float(v) for v in self.span_intercept_],
            "sentence_cue_mean": [float(v) for v in self.sentence_cue_mean_],
            "sentence_cue_scale": [float(v) for v in self.sentence_cue_scale_],
            "span_cue_mean": [float(v) for v in self.span_cue_mean_],
            "span_cue_scale": [float(v) for v in self.span_cue_scale_],
            "counts": self.counts_,
            "tuning": self.tuning_,
        }
        arrays: dict[str, np.ndarray] = {
            "word_idf": self.word_.idf.astype(np.float64),
            "char_idf": self.char_.idf.astype(np.float64),
            "sentence_coef": self.sentence_coef_.astype(np.float16),
            "token_coef": self.token_coef_.astype(np.float16),
            "span_coef": self.span_coef_.astype(np.float16),
            "density": self.density_.astype(np.float32),
            **self.trees_.to_arrays("trees"),
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
        if (
            meta.get("sentence_cues") != list(SENTENCE_CUES)
            or meta.get("span_cues") != list(SPAN_CUES)
            or meta.get("context_features") != list(CONTEXT_FEATURES)
        ):
            raise BadParameterError("the technique model's features differ from this infoscope's")
        m = cls(**dict(meta["params"]))
        m.techniques_ = list(meta["techniques"])
        m.span_classes_ = list(meta["span_classes"])
        m.word_ = _Tfidf.from_dict(meta["word"], arrays["word_idf"])
        m.char_ = _Tfidf.from_dict(meta["char"], arrays["char_idf"])
        m.thresholds_ = np.asarray(meta["thresholds"], dtype=np.float64)
        m.sentence_platt_ = np.asarray(meta["sentence_platt"], dtype=np.float64).reshape(-1, 2)
        m.sentence_intercept_ = np.asarray(meta["sentence_intercept"], dtype=np.float64)
        m.sentence_coef_ = np.asarray(arrays["sentence_coef"], dtype=np.float64)
        m.token_coef_ = np.asarray(arrays["token_coef"], dtype=np.float64)
        m.token_intercept_ = float(meta["token_intercept"])
        m.trees_ = _Trees.from_arrays(dict(arrays), "trees", meta["trees_baseline"])
        m.tagger_threshold_ = float(meta["tagger_threshold"])
        m.tagger_gap_ = int(meta["tagger_gap"])
        m.calibration_ = _Isotonic(meta["calibration"]["x"], meta["calibration"]["y"])
        m.min_confidence_ = float(meta["min_confidence"])
        m.strong_confidence_ = float(meta["strong_confidence"])
        m.training_words_ = int(meta["training_words"])
        m.density_ = np.asarray(arrays["density"], dtype=np.float64)
        m.span_intercept_ = np.asarray(meta["span_intercept"], dtype=np.float64)
        m.sentence_cue_mean_ = np.asarray(meta["sentence_cue_mean"], dtype=np.float64)
        m.sentence_cue_scale_ = np.asarray(meta["sentence_cue_scale"], dtype=np.float64)
        m.span_cue_mean_ = np.asarray(meta["span_cue_mean"], dtype=np.float64)
        m.span_cue_scale_ = np.asarray(meta["span_cue_scale"], dtype=np.float64)
        m.span_coef_ = np.asarray(arrays["span_coef"], dtype=np.float64)
        m.counts_ = dict(meta["counts"])
        m.tuning_ = dict(meta["tuning"])
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


def classify_fragments(
    model: Any, text: str, spans: Sequence[tuple[int, int]]
) -> list[dict[str, Any]]:
    """The TC answer of `model` (its ``span_proba`` and ``span_classes_``) for each fragment
    (start, end) of `text`: ``technique``, ``confidence`` and ``ranking`` (by probability)."""
    for s, e in spans:
        if not 0 <= s < e <= len(text):
            raise BadParameterError(f"bad span {s}-{e} for a text of {len(text)} chars")
    P = model.span_proba([_Doc(text)], [(0, int(s), int(e)) for s, e in spans])
    classes = model.span_classes_
    out = []
    for row in P:
        order = np.argsort(-row, kind="stable")
        out.append(
            {
                "technique": classes[int(order[0])],
                "confidence": round(float(row[order[0]]), 4),
                "ranking": [classes[int(k)] for k in order],
            }
        )
    return out


def set_decoding(model: Any, articles: list[Article], docs: list[_Doc], p: np.ndarray) -> None:
    """Tune `model`'s decoding on token probabilities `p` (`tune_decoding`, with the model's
    ``max_spans_per_gold`` and ``strong_quantile``) and set the fitted attributes on it."""
    fitted = tune_decoding(
        articles,
        docs,
        p,
        max_spans_per_gold=model.max_spans_per_gold,
        strong_quantile=model.strong_quantile,
    )
    for name, value in fitted.items():
        setattr(model, name, value)


def tune_decoding(
    articles: Sequence[Article],
    docs: Sequence[_Doc],
    p: np.ndarray,
    *,
    max_spans_per_gold: float = 1.5,
    strong_quantile: float = 0.75,
) -> dict[str, Any]:
    """Decoding (token threshold and gap: the best span F1 with at most
    `max_spans_per_gold` spans per gold span), calibration of span confidence
    (isotonic), the lowest confidence kept and the one needed by risky spans (span F1),
    and the density operating points, on out-of-fold token probabilities `p` (one per token
    of `docs`, in order): the fitted attributes of a span model by name (``tagger_threshold_``,
    ``tagger_gap_``, ``calibration_``, ``min_confidence_``, ``strong_confidence_``,
    ``density_``, ``training_words_``, ``tuning_``; see `TechniqueDetector`)."""
    gold = {a.id: [(s, e) for _, s, e in a.spans] for a in articles}
    blocks = _split_blocks(docs, p)
    best: tuple[Any, ...] | None = None
    for gap in _GAPS:
        for threshold in _TAGGER_GRID:
            cands = [_candidates(d, b, threshold, gap) for d, b in zip(docs, blocks, strict=True)]
            pred = {a.id: [(c[0], c[1]) for c in cs] for a, cs in zip(articles, cands, strict=True)}
            score = si_score(pred, gold)
            ok = score["predicted"] <= max_spans_per_gold * max(score["gold"], 1)
            key = (ok, score["f1"])
            if best is None or key > best[0]:
                best = (key, threshold, gap, cands, score)
    assert best is not None
    _, tagger_threshold, tagger_gap, cands, decoded = best
    rows = []  # (article, start, end, mean probability, kind, share inside gold)
    for k, (a, cs) in enumerate(zip(articles, cands, strict=True)):
        inside = _inside(a, len(a.text))
        for s, e, mean, kind in cs:
            rows.append((k, s, e, mean, kind, float(inside[s:e].mean())))
    means = np.array([r[3] for r in rows])
    shares = np.array([r[5] for r in rows])
    calibration = _Isotonic.fit(means, shares)
    conf = calibration(means)
    risky = np.array([r[4] in RISKY_KINDS for r in rows], dtype=bool)
    grid = (
        sorted({0.0, *np.round(np.quantile(conf, np.linspace(0, 0.9, 19)), 4)})
        if len(conf)
        else [0.0]
    )

    def kept(c_min: float, strong: float) -> dict[str, Any]:
        keep = (conf >= c_min) & (~risky | (conf >= strong))
        pred: dict[str, list[tuple[int, int]]] = {a.id: [] for a in articles}
        for r, on in zip(rows, keep, strict=True):
            if on:
                pred[articles[r[0]].id].append((r[1], r[2]))
        return si_score(pred, gold)

    c_best = (-1.0, 0.0)
    for c_min in grid:
        f1 = kept(c_min, c_min)["f1"]
        if f1 > c_best[0] + 1e-9:
            c_best = (f1, c_min)
    min_confidence = float(c_best[1])
    s_best = (-1.0, min_confidence)
    for strong in [g for g in grid if g >= min_confidence] + [1.01]:
        f1 = kept(min_confidence, strong)["f1"]
        if f1 > s_best[0] + 1e-9:
            s_best = (f1, strong)
    floor = float(np.quantile(conf[~risky], strong_quantile)) if (~risky).any() else 0.0
    strong_confidence = float(min(max(s_best[1], floor, min_confidence), 1.01))
    final = kept(min_confidence, strong_confidence)
    passing = conf[~risky | (conf >= strong_confidence)]
    tuning = {
        "decoded": {k: decoded[k] for k in ("precision", "recall", "f1", "predicted", "gold")},
        "kept": {k: final[k] for k in ("precision", "recall", "f1", "predicted", "gold")},
        "risky_spans": int(risky.sum()),
        "strong_span_f1_best": float(s_best[1]),
        "strong_quantile_floor": floor,
        "risky_share_inside_gold": float(shares[risky].mean()) if risky.any() else None,
        "plain_share_inside_gold": float(shares[~risky].mean()) if (~risky).any() else None,
    }
    return {
        "tagger_threshold_": float(tagger_threshold),
        "tagger_gap_": int(tagger_gap),
        "calibration_": calibration,
        "min_confidence_": min_confidence,
        "strong_confidence_": strong_confidence,
        "density_": np.sort(passing)[::-1],
        "training_words_": int(sum(count_words(d.text) for d in docs)),
        "tuning_": tuning,
    }


def _sentence_model(
    X: Any,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
    C: float,
    seed: int,
    max_iter: int,
) -> tuple[np.ndarray, float, np.ndarray, float, np.ndarray | None]:
    """One technique's sentence model: coefficients and intercept on every row, then Platt
    parameters, the F1-best threshold and the calibrated out-of-fold probabilities (None
    without folds or positives) from the inner folds."""
    from infoscope.common.calibration import best_threshold

    coef, intercept = _fit_binary(X, y, C, seed, max_iter)
    if not folds or int(y.sum()) == 0:
        return coef, intercept, np.array([1.0, 0.0]), (1.0 if int(y.sum()) == 0 else 0.5), None
    oof = np.zeros(len(y))
    for train, test in folds:
        c, b = _fit_binary(X[train], y[train], C, seed, max_iter)
        oof[test] = X[test] @ c + b
    platt = fit_platt(oof, y)
    probs = platt.probability(oof)
    return coef, intercept, np.array([platt.slope, platt.offset]), best_threshold(probs, y), probs


def _inside(article: Article, length: int) -> np.ndarray:
    """Per character of the article: inside a gold fragment of any technique."""
    marks = np.zeros(length + 1, dtype=np.int32)
    for _, s, e in article.spans:
        marks[s] += 1
        marks[e] -= 1
    return np.asarray(np.cumsum(marks)[:length] > 0)


def _split_blocks(docs: Sequence[_Doc], p: np.ndarray) -> list[list[np.ndarray]]:
    """Token probabilities `p` (all articles' tokens in order) cut per article and sentence."""
    out = []
    j = 0
    for d in docs:
        blocks = []
        for toks in d.tokens:
            blocks.append(p[j : j + len(toks)])
            j += len(toks)
        out.append(blocks)
    return out


def _candidates(
    d: _Doc, blocks: list[np.ndarray], threshold: float, gap: int
) -> list[tuple[int, int, float, str]]:
    """The decoded spans of one article: (start, end, mean token probability, kind)."""
    out = []
    layout = _sentence_layout(d)
    for i, (toks, block) in enumerate(zip(d.tokens, blocks, strict=True)):
        if not len(block) or block.max() < threshold:
            continue
        for s, e, mean in token_runs(d.text, toks, block >= threshold, block, gap):
            out.append((s, e, mean, span_kind(d, i, s, e, layout[i])))
    return out


def _confidence_for_density(
    density: np.ndarray, training_words: int, flags_per_1000_words: float
) -> float:
    """The lowest confidence at which the tuning articles' spans (their confidences
    `density`, highest first, over `training_words` words) number `flags_per_1000_words` per
    1,000 words (at most that many)."""
    if not flags_per_1000_words > 0:
        raise BadParameterError(
            f"flags per 1,000 words must be positive, got {flags_per_1000_words}"
        )
    k = int(flags_per_1000_words * training_words / 1000)
    if k <= 0:
        return 1.01
    if k >= len(density):
        return 0.0
    return float(np.nextafter(density[k], np.inf))


def _min_confidence(
    model: Any, span_threshold: float | None, flags_per_1000_words: float | None
) -> float:
    """The lowest span confidence kept by a span model: `span_threshold`, the operating
    point of `flags_per_1000_words`, or the model's span-F1-best ``min_confidence_``."""
    if span_threshold is not None and flags_per_1000_words is not None:
        raise BadParameterError("give a span threshold or flags per 1,000 words, not both")
    if span_threshold is not None:
        return _probability(span_threshold)
    if flags_per_1000_words is not None:
        return float(model.confidence_for_density(flags_per_1000_words))
    return float(model.min_confidence_)


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


_SHIPPED: TechniqueDetector | None = None


def load_technique_model() -> TechniqueDetector:
    """The ``fast`` model shipped with infoscope (its manifest as ``manifest_``); loaded
    once."""
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


def _load_transformer() -> Any:
    from infoscope.articles.techniques.transformer import load_transformer_model

    return load_transformer_model()


# The span models by name: the CLI's ``--model`` choices. Each loader returns a model with
# ``predict`` and ``classify_spans`` as `TechniqueDetector` has them.
TECHNIQUE_MODELS: dict[str, Callable[[], Any]] = {
    "fast": load_technique_model,
    "transformer": _load_transformer,
}


def resolve_technique_model(name_or_folder: str | None) -> Any:
    """A registered model by name (`TECHNIQUE_MODELS`, default ``fast``) or one saved in a
    folder: by `TechniqueDetector.save`, or a transformer's graph, tokenizer and decoding
    (`infoscope.articles.techniques.transformer`)."""
    if name_or_folder is None:
        return TECHNIQUE_MODELS["fast"]()
    if name_or_folder in TECHNIQUE_MODELS:
        return TECHNIQUE_MODELS[name_or_folder]()
    if Path(name_or_folder).is_dir():
        from infoscope.articles.techniques.transformer import ONNX_FILE, TransformerTagger

        if (Path(name_or_folder) / ONNX_FILE).is_file():
            return TransformerTagger.load(name_or_folder)
        return TechniqueDetector.load(name_or_folder)
    raise BadParameterError(
        f"unknown technique model {name_or_folder!r}: use one of "
        f"{', '.join(sorted(TECHNIQUE_MODELS))} or a folder written by "
        "infoscope articles train-techniques"
    )


def detect_techniques(
    texts_or_articles: str | Article | Iterable[str | Article],
    *,
    model: Any = None,
    threshold: float | Mapping[str, float] | None = None,
    span_threshold: float | None = None,
    flags_per_1000_words: float | None = None,
) -> list[dict[str, Any]]:
    """Propaganda techniques in each article (a text or an `Article`; one alone is taken as
    a list of one): per article ``id``, ``sentences`` (with their predicted techniques) and
    ``spans`` (technique, start, end, text, confidence, ...), offsets into its text.

    `model` defaults to the shipped ``fast`` one; `threshold`, `span_threshold` and
    `flags_per_1000_words` as in `TechniqueDetector.predict`."""
    items: list[Any]
    if isinstance(texts_or_articles, (str, Article)):
        items = [texts_or_articles]
    else:
        items = list(texts_or_articles)
    detector = model if model is not None else load_technique_model()
    return detector.predict(  # type: ignore[no-any-return]
        items,
        threshold=threshold,
        span_threshold=span_threshold,
        flags_per_1000_words=flags_per_1000_words,
    )
