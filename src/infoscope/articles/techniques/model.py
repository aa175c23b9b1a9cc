"""The detector (`TechniqueDetector`: sentence models, token taggers and the fragment
technique model; saved without pickle), the shipped model (`load_technique_model`) and the
public entry point `detect_techniques`."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from infoscope.articles.techniques.corpus import ANY, TECHNIQUES, TOKEN_TECHNIQUES, Article
from infoscope.articles.techniques.features import (
    SENTENCE_CUES,
    SPAN_CUES,
    _Doc,
    _embed,
    _standardiser,
    _Tfidf,
    _token_features,
)
from infoscope.articles.techniques.linear import (
    _fit_binary,
    _group_folds,
    _half,
    _sigmoid,
)
from infoscope.articles.techniques.metrics import si_score
from infoscope.common.calibration import best_threshold, fit_platt
from infoscope.errors import BadParameterError

__all__ = ["TechniqueDetector", "detect_techniques", "load_technique_model"]

SPAN_MODES = ("tagger", "token", "sentence", "token+sentence")

MODEL_FILE = "technique-model.json"
ARRAYS_FILE = "technique-model.npz"
MANIFEST_FILE = "manifest.json"
MODEL_FORMAT = "infoscope-technique-model"
MODEL_FORMAT_VERSION = 1
_TRIM_TOKENS = frozenset(".,:;")  # trimmed off the edges of tagged token runs


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
    docstring of the package, `infoscope.articles.techniques`), `hash_features` (log2 of the
    token feature space), `folds` (inner article-grouped folds for calibration and
    thresholds), `random_state`, `max_iter`.

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
        platt = fit_platt(oof, y)
        probs = platt.probability(oof)
        return np.array([platt.slope, platt.offset]), best_threshold(probs, y), probs

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


def _span(text: str, technique: str, s: int, e: int, conf: float, source: str) -> dict[str, Any]:
    return {
        "technique": technique,
        "start": s,
        "end": e,
        "text": text[s:e],
        "confidence": conf,
        "source": source,
    }


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
