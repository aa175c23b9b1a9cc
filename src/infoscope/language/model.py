"""The signature's classifier: a calibrated, regularised logistic regression over terms, with
the keyness log-odds as an informative prior, and the evidence behind every score.

`SignatureClassifier` follows scikit-learn (parameters in ``__init__``, ``fit`` learns, fitted
attributes end in ``_``) on an `AccountTerms` matrix (documents x terms: an account's posts, an
account's posts in a period, or one post):

- **Features**: for the ``size`` terms that separate the two groups most (by the |z| of their
  log-odds with an informative Dirichlet prior, Monroe et al. 2008, computed on the training
  documents), ``log(1 + count) * idf``, each document scaled to unit length (so long and short
  documents are comparable).
- **Prior**: one more feature, the document's keyness score (its features times the terms'
  log-odds), standardised and multiplied by ``prior_weight``: the regression starts from what
  keyness says and spends its (L2-penalised) coefficients on what keyness misses. With few
  training documents the prior carries the model; with many, the coefficients take over.
- **Choices by cross-validation**: words alone or with word pairs, ``size``, the penalty ``C``
  and ``prior_weight`` are chosen among the candidates by the out-of-fold ROC AUC of stratified
  folds of the training documents (the keyness ranking and prior are recomputed inside each
  fold, so no fold sees its held-out labels): the simplest configuration within ``tolerance``
  of the best AUC (words before pairs, fewer terms, a stronger penalty, a smaller prior).
- **Calibration and threshold**: Platt scaling of the chosen configuration's out-of-fold scores
  (`infoscope.common.calibration`), and the threshold with the best F1 (or the lowest reaching
  ``precision``) on the calibrated out-of-fold probabilities. Both are learnt on training data
  only and travel with the model; scoring another corpus never re-fits them. The reported
  precision, recall and F1 apply to each fold the threshold chosen on the other folds.
- **Bounded cross-validation**: with more than ``max_cv_documents`` training documents, the
  choices, the calibration and the threshold are learnt on all target documents and a
  seeded random sample of the reference documents, each sampled reference document weighted
  by the inverse of the sampling rate (so the calibration, the threshold and the reported
  metrics stand for the whole reference); the final model is then fitted on every document.
  The grid search's cost stops growing with the corpus; what is sampled is said in ``cv``.
  The folds are fitted in parallel processes (``n_jobs``) when there are enough documents to
  pay for them; a fold's fits are the same wherever they run, so the model does not depend on
  it.
- **Out of depth**: a document with fewer than ``min_tokens`` tokens gets no probability
  (``too_little_text``); one whose share of tokens among the model's terms is below the 1st
  percentile of the training documents' (another language, another register) gets none either
  (``unlike_training``). Both are said, never silently dropped.

The fitted model is linear in the features, so a score is a sum of per-term contributions
(`SignatureModel.explain`). `SignatureModel` is what is stored and exported (plain JSON).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
from scipy import sparse

from infoscope.common.calibration import Platt, best_threshold, fit_platt
from infoscope.common.parallel import delayed, parallel
from infoscope.errors import BadParameterError
from infoscope.language.keyness import log_odds_z

if TYPE_CHECKING:
    from infoscope.language.resonance import AccountTerms

__all__ = [
    "MIN_DOCUMENTS",
    "STATUSES",
    "SignatureClassifier",
    "SignatureModel",
    "documents_matrix",
    "reliability_table",
]

STATUSES = ("scored", "too_little_text", "unlike_training")
# Coverage below this share of the training documents' 1st percentile marks a document unlike
# the training data (a small margin keeps the training documents themselves inside).
_COVERAGE_QUANTILE = 0.01
# Cross-validation over fewer documents than this stays in this process (starting workers
# would cost more than the fits).
_PARALLEL_FROM = 2_000
# A term of fewer training documents than this is left out of a classifier's vocabulary.
MIN_DOCUMENTS = 3


@dataclass
class SignatureModel:
    """A fitted signature classifier, as stored: its terms with their idf and effective weight
    (the regression coefficient plus the prior's share), the intercept, the calibration, the
    threshold on the calibrated probability, and what decides out-of-depth documents."""

    terms: list[str]
    idf: np.ndarray
    weights: np.ndarray
    intercept: float
    platt: Platt
    threshold: float
    min_tokens: int
    coverage_floor: float
    parameters: dict[str, Any] = field(default_factory=dict)
    cv: dict[str, Any] = field(default_factory=dict)
    reliability: list[dict[str, Any]] = field(default_factory=list)

    @property
    def tokens(self) -> dict[str, Any] | None:
        """How its documents must be tokenised (`TokenOptions.as_dict`), when recorded."""
        found = self.parameters.get("tokens")
        return dict(found) if found else None

    def align(self, X: AccountTerms) -> AccountTerms:
        """`X` with one column per term of the model, in its order (the other methods then
        read its counts as they are instead of aligning them on every call)."""
        if X.terms == self.terms:
            return X
        return dataclasses.replace(X, counts=_aligned_counts(X, self.terms), terms=list(self.terms))

    def _features(self, X: AccountTerms) -> sparse.csr_matrix:
        return _features(_aligned_counts(X, self.terms), self.idf)

    def coverage(self, X: AccountTerms) -> np.ndarray:
        """Per document: the share of its tokens that are the model's terms."""
        counts = _aligned_counts(X, self.terms)
        used = np.asarray(counts.sum(axis=1)).ravel()
        return np.where(X.tokens > 0, used / np.maximum(X.tokens, 1), 0.0)

    def status(self, X: AccountTerms) -> np.ndarray:
        """Per document: ``scored``, ``too_little_text`` or ``unlike_training``."""
        out = np.full(len(X), "scored", dtype=object)
        out[self.coverage(X) < self.coverage_floor] = "unlike_training"
        out[X.tokens < self.min_tokens] = "too_little_text"
        return out

    def decision(self, X: AccountTerms) -> np.ndarray:
        """The linear score (log-odds before calibration) of every document."""
        return np.asarray(self._features(X) @ self.weights).ravel() + self.intercept

    def predict_proba(self, X: AccountTerms) -> np.ndarray:
        """The calibrated probability of every document; NaN where it is out of depth."""
        p = self.platt.probability(self.decision(X))
        return np.where(self.status(X) == "scored", p, np.nan)

    def predict(self, X: AccountTerms) -> np.ndarray:
        """Resonant: a calibrated probability at or above the threshold."""
        p = self.predict_proba(X)
        return np.where(np.isnan(p), False, p >= self.threshold)

    def explain(self, X: AccountTerms, n: int = 5) -> list[list[list[Any]]]:
        """Per document, its `n` strongest term contributions to the log-odds:
        ``[term, count, contribution]``, largest magnitude first."""
        counts = _aligned_counts(X, self.terms)
        features = _features(counts, self.idf)
        rows = np.repeat(np.arange(features.shape[0]), np.diff(features.indptr))
        cols = features.indices
        pull = features.data * self.weights[cols] * self.platt.slope
        # Per row, by magnitude, ties in the row's stored order; the first `n`, then nonzero.
        order = np.lexsort((np.arange(len(pull)), -np.abs(pull), rows))
        rank = np.arange(len(order)) - features.indptr[rows[order]]
        top = order[(rank < n) & (pull[order] != 0)]
        values = np.asarray(counts[rows[top], cols[top]]).ravel() if len(top) else np.zeros(0)
        out: list[list[list[Any]]] = [[] for _ in range(features.shape[0])]
        for r, c, v, p in zip(
            rows[top].tolist(),
            cols[top].tolist(),
            values.tolist(),
            pull[top].tolist(),
            strict=True,
        ):
            out[r].append([self.terms[c], int(v), round(p, 5)])
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "terms": self.terms,
            "idf": [round(float(v), 6) for v in self.idf],
            "weights": [round(float(v), 7) for v in self.weights],
            "intercept": self.intercept,
            "platt": {"slope": self.platt.slope, "offset": self.platt.offset},
            "threshold": self.threshold,
            "min_tokens": self.min_tokens,
            "coverage_floor": self.coverage_floor,
            "parameters": self.parameters,
            "cv": self.cv,
            "reliability": self.reliability,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SignatureModel:
        try:
            return cls(
                terms=list(data["terms"]),
                idf=np.asarray(data["idf"], dtype=np.float64),
                weights=np.asarray(data["weights"], dtype=np.float64),
                intercept=float(data["intercept"]),
                platt=Platt(float(data["platt"]["slope"]), float(data["platt"]["offset"])),
                threshold=float(data["threshold"]),
                min_tokens=int(data["min_tokens"]),
                coverage_floor=float(data["coverage_floor"]),
                parameters=dict(data.get("parameters") or {}),
                cv=dict(data.get("cv") or {}),
                reliability=list(data.get("reliability") or []),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise BadParameterError(f"a signature model lacks or mangles {exc}") from None


def documents_matrix(
    counts: Any,
    documents: list[str],
    *,
    vocabulary: list[str] | None = None,
    min_documents: int = MIN_DOCUMENTS,
    exclude: frozenset[str] | set[str] = frozenset(),
) -> AccountTerms:
    """Documents as an `AccountTerms` from a ``doc, token, n`` Arrow table: one row per id of
    `documents` (in that order), one column per term of `vocabulary` (default: every term of
    at least `min_documents` documents, less `exclude`, sorted); ``tokens`` counts every token
    of a document, in the vocabulary or not."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from infoscope.language.resonance import AccountTerms

    def positions(values: Any, among: list[str]) -> np.ndarray:
        """Each value's position in `among` (-1 when absent), computed by Arrow."""
        found = pc.index_in(values, value_set=pa.array(among, pa.string()))
        return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)

    doc_column = pa.chunked_array(counts["doc"]).cast(pa.string())
    token_column = pa.chunked_array(counts["token"]).cast(pa.string())
    doc = positions(doc_column, documents)
    n = counts["n"].to_numpy().astype(np.float64)
    known = doc >= 0
    totals = np.bincount(doc[known], weights=n[known], minlength=len(documents))
    if vocabulary is None:
        # Rows are (document, token) pairs: a token's rows count its documents.
        spread = pc.value_counts(token_column.filter(pa.array(known)))
        terms = spread.field("values")
        wide = pc.greater_equal(spread.field("counts"), min_documents)
        if exclude:
            wide = pc.and_(wide, pc.invert(pc.is_in(terms, pa.array(sorted(exclude)))))
        kept = terms.filter(wide)
        vocabulary = kept.take(pc.sort_indices(kept)).to_pylist()
    col = positions(token_column, vocabulary)
    keep = known & (col >= 0)
    matrix = sparse.csr_matrix(
        (n[keep], (doc[keep], col[keep])), shape=(len(documents), len(vocabulary))
    )
    return AccountTerms(matrix, list(vocabulary), totals, list(documents))


def _aligned_counts(X: AccountTerms, terms: list[str]) -> sparse.csr_matrix:
    """`X`'s counts with one column per term of `terms` (0 for terms `X` lacks)."""
    if X.terms == terms:
        return X.counts.tocsr()
    index = X.term_index()
    columns = np.array([index.get(t, -1) for t in terms], dtype=np.int64)
    present = np.flatnonzero(columns >= 0)
    picked = X.counts.tocsc()[:, columns[present]]
    out = sparse.csr_matrix((len(X), len(terms)))
    if present.size:
        expand = sparse.csr_matrix(
            (np.ones(present.size), (np.arange(present.size), present)),
            shape=(present.size, len(terms)),
        )
        out = (picked @ expand).tocsr()
    return out


def _idf(counts: sparse.csr_matrix) -> np.ndarray:
    documents = np.bincount(counts.indices, minlength=counts.shape[1])
    return np.log((1.0 + counts.shape[0]) / (1.0 + documents)) + 1.0


def _features(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """``log(1 + count) * idf`` per document, scaled to unit length."""
    X = counts.astype(np.float64).tocsr(copy=True)
    X.data = np.log1p(X.data)
    X = (X @ sparse.diags(idf)).tocsr()
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return (sparse.diags(1.0 / norms) @ X).tocsr()


def reliability_table(
    p: np.ndarray, y: np.ndarray, bins: int = 10, *, weights: np.ndarray | None = None
) -> list[dict[str, Any]]:
    """Equal-width probability bins: documents, mean predicted probability, observed rate
    (means weighted by `weights` when given: a sample standing for more documents)."""
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    w = np.ones(len(p)) if weights is None else np.asarray(weights, dtype=np.float64)
    out = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        out.append(
            {
                "bin": [round(b / bins, 3), round((b + 1) / bins, 3)],
                "documents": count,
                "mean_probability": (
                    round(float(np.average(p[mask], weights=w[mask])), 4) if count else None
                ),
                "observed_rate": (
                    round(float(np.average(y[mask], weights=w[mask])), 4) if count else None
                ),
            }
        )
    return out


@dataclass
class _Fold:
    """One training fold's keyness rankings (all terms, and words alone: ``orders[2]`` and
    ``orders[1]``), prior and idf, computed on its own labels."""

    orders: dict[int, np.ndarray]
    log_odds: np.ndarray
    idf: np.ndarray


class SignatureClassifier:
    """Learn a signature's classifier from labelled documents; see the module docstring.

    Parameters: `ngrams` (1: words alone; 2: words and word pairs, when the documents have
    pairs), `sizes` (candidate numbers of terms), `Cs` (candidate inverse L2 penalties),
    `prior_weights` (candidate weights of the keyness prior feature; 0 leaves it out),
    `prior_strength` (the Dirichlet prior's pseudo-count of the log-odds), `min_tokens` (fewer
    tokens: too little text), `folds` (cross-validation), `precision` (None: threshold at the
    best F1; a number: the lowest threshold reaching it), `tolerance` (the simplest
    configuration within this much of the best cross-validated AUC is chosen), `n_jobs`
    (processes cross-validating the folds; -1: one per core; the result does not depend on
    it), `seed`.

    Fitted attributes: ``model_`` (`SignatureModel`), ``oof_proba_`` (out-of-fold calibrated
    probability of every training document, NaN where out of depth), ``scored_`` (which
    training documents had enough text), ``cv_metrics_``, ``ngrams_``, ``size_``, ``C_``,
    ``prior_weight_``, ``keyness_`` (the chosen terms and their log-odds on all training
    documents).
    """

    def __init__(
        self,
        *,
        ngrams: tuple[int, ...] = (1, 2),
        sizes: tuple[int, ...] = (250, 1000, 4000, 16000, 64000),
        Cs: tuple[float, ...] = (0.1, 1.0, 10.0, 100.0),
        prior_weights: tuple[float, ...] = (0.0, 3.0),
        tolerance: float = 0.002,
        prior_strength: float = 1000.0,
        min_tokens: int = 20,
        folds: int = 5,
        precision: float | None = None,
        max_cv_documents: int = 20_000,
        n_jobs: int | None = -1,
        seed: int = 0,
    ) -> None:
        self.ngrams = ngrams
        self.sizes = sizes
        self.Cs = Cs
        self.tolerance = tolerance
        self.prior_weights = prior_weights
        self.prior_strength = prior_strength
        self.min_tokens = min_tokens
        self.folds = folds
        self.precision = precision
        self.max_cv_documents = max_cv_documents
        self.n_jobs = n_jobs
        self.seed = seed

    # -- learning --------------------------------------------------------------------------
    def _rank(self, counts: sparse.csr_matrix, y: np.ndarray) -> _Fold:
        a = np.asarray(counts[y].sum(axis=0)).ravel().astype(np.float64)
        b = np.asarray(counts[~y].sum(axis=0)).ravel().astype(np.float64)
        log_odds, z = np.zeros(len(a)), np.zeros(len(a))
        used = (a + b) > 0  # a term these documents never use separates nothing
        log_odds[used], z[used] = log_odds_z(
            a[used], b[used], max(a.sum(), 1.0), max(b.sum(), 1.0),
            prior_strength=self.prior_strength,
        )  # fmt: skip
        order = np.lexsort((np.arange(len(z)), -np.abs(z)))  # by |z|, ties by column
        orders = {2: order, 1: order[self._single[order]]}
        return _Fold(orders=orders, log_odds=log_odds, idf=_idf(counts))

    @staticmethod
    def _base(
        counts: sparse.csr_matrix, fold: _Fold, ngrams: int, size: int
    ) -> tuple[sparse.csr_matrix, np.ndarray]:
        """Features of the `size` top terms (words alone, or with word pairs) and each
        document's keyness score (the prior)."""
        cols = fold.orders[ngrams][:size]
        X = _features(counts[:, cols], fold.idf[cols])
        return X, np.asarray(X @ fold.log_odds[cols]).ravel()

    @staticmethod
    def _with_prior(X: sparse.csr_matrix, prior: np.ndarray, weight: float, scale: float) -> Any:
        """`X` with the prior column (standardised by `scale`, times `weight`) when weighted."""
        if not weight:
            return X
        return sparse.hstack([X, sparse.csr_matrix(prior[:, None] * weight / scale)]).tocsr()

    def _regression(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        # Warm starts: the Cs are fitted in increasing order, each from the last solution.
        return LogisticRegression(
            class_weight="balanced", max_iter=5000, random_state=self.seed, warm_start=True
        )

    def fit(self, X: AccountTerms, y: Any) -> SignatureClassifier:
        """Learn from the documents `X` labelled `y` (True: the signature's target)."""
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y, dtype=bool)
        if len(y) != len(X):
            raise BadParameterError(f"{len(X)} documents but {len(y)} labels")
        scored = X.tokens >= self.min_tokens
        members, others = int((y & scored).sum()), int((~y & scored).sum())
        folds = min(self.folds, members, others)
        if folds < 2:
            raise BadParameterError(
                f"a signature needs at least 2 target and 2 reference documents with "
                f"{self.min_tokens}+ tokens; got {members} and {others}"
            )
        counts = X.counts.tocsr()[scored]
        ys = y[scored]
        # Word pairs are the terms with a space; words, hashtags, mentions and domains have none.
        self._single = np.array([" " not in t for t in X.terms], dtype=bool)
        widths = {1: int(self._single.sum()), 2: counts.shape[1]}
        kinds = [n for n in sorted(self.ngrams) if n == 1 or widths[2] > widths[1]]
        grid = [
            (n, s_, c, w)
            for n in kinds
            for s_ in sorted({min(s, widths[n]) for s in self.sizes})
            for c in sorted(self.Cs)
            for w in sorted(self.prior_weights)
        ]
        # Cross-validation reads every target document and at most `max_cv_documents` in all
        # (a seeded sample of the reference, weighted by its inverse sampling rate).
        cv_rows, w = self._cv_sample(ys)
        cv_counts, cv_y = counts[cv_rows], ys[cv_rows]
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
        split = list(splitter.split(np.zeros(len(cv_y)), cv_y))
        oof = {key: np.zeros(len(cv_y)) for key in grid}
        # The folds in parallel when they are worth a process (a fold's fits are the same
        # wherever they run).
        jobs = self.n_jobs if len(cv_y) >= _PARALLEL_FROM else 1
        scores = parallel(jobs)(
            delayed(self._fold_scores)(cv_counts[train], cv_y[train], cv_counts[test], grid)
            for train, test in split
        )
        for (_train, test), fold_scores in zip(split, scores, strict=True):
            for key, values in fold_scores.items():
                oof[key][test] = values
        aucs = {key: float(roc_auc_score(cv_y, v, sample_weight=w)) for key, v in oof.items()}
        # The simplest configuration within `tolerance` of the best AUC: words before word
        # pairs, fewer terms, a stronger penalty, a smaller prior (the grid's order).
        top = max(aucs.values())
        best = next(key for key in grid if aucs[key] >= top - self.tolerance)
        ngrams, size, C, weight = best
        weights_ = None if cv_rows.size == len(ys) else w
        platt = fit_platt(oof[best], cv_y, sample_weight=weights_)
        probability = platt.probability(oof[best])
        threshold = best_threshold(
            probability, cv_y, precision=self.precision, sample_weight=weights_
        )
        predicted = np.zeros(len(cv_y), dtype=bool)
        for _, test in split:
            others_ = np.setdiff1d(np.arange(len(cv_y)), test)
            t = best_threshold(
                probability[others_], cv_y[others_], precision=self.precision,
                sample_weight=None if weights_ is None else w[others_],
            )  # fmt: skip
            predicted[test] = probability[test] >= t
        self.cv_metrics_ = _metrics(cv_y, probability, predicted, weights_) | {
            "folds": folds,
            "documents": len(ys),
            "cv_documents": int(cv_rows.size),
            "cv_reference_share": round(float(1.0 / w[~cv_y].max()), 6) if (~cv_y).any() else 1.0,
            "targets": members,
            "unscored": int((~scored).sum()),
            "grid_auc": {f"ngrams={k[0]} size={k[1]} C={k[2]:g} prior={k[3]:g}": round(v, 4)
                         for k, v in aucs.items()},
        }  # fmt: skip
        full = self._rank(counts, ys)
        X_all, prior_all = self._base(counts, full, ngrams, size)
        scale = float(prior_all.std()) or 1.0
        model = self._regression().set_params(C=C, warm_start=False)
        model.fit(self._with_prior(X_all, prior_all, weight, scale), ys)
        cols = full.orders[ngrams][:size]
        weights = model.coef_[0][:size].copy()
        if weight:
            weights += model.coef_[0][size] * weight / scale * full.log_odds[cols]
        terms = [X.terms[i] for i in cols]
        train_features = counts[:, cols]
        coverage = np.asarray(train_features.sum(axis=1)).ravel() / np.maximum(X.tokens[scored], 1)
        floor = float(np.quantile(coverage, _COVERAGE_QUANTILE)) * 0.5 if len(coverage) else 0.0
        self.model_ = SignatureModel(
            terms=terms,
            idf=full.idf[cols],
            weights=weights,
            intercept=float(model.intercept_[0]),
            platt=platt,
            threshold=float(threshold),
            min_tokens=self.min_tokens,
            coverage_floor=floor,
            parameters={
                "ngrams": int(ngrams),
                "size": int(size),
                "C": float(C),
                "prior_weight": float(weight),
                "prior_strength": self.prior_strength,
                "precision": self.precision,
                "folds": folds,
                "seed": self.seed,
            },
            cv=self.cv_metrics_,
            reliability=reliability_table(probability, cv_y, weights=weights_),
        )
        self.ngrams_, self.size_ = int(ngrams), int(size)
        self.C_, self.prior_weight_ = float(C), float(weight)
        self.scored_ = scored
        # Out-of-fold probabilities: those of cross-validation, and for the documents it left
        # out of its sample, those of the chosen configuration fitted on the sample.
        held = np.ones(len(ys), dtype=bool)
        held[cv_rows] = False
        every = np.full(len(ys), np.nan)
        every[cv_rows] = probability
        if held.any():
            sample = self._rank(cv_counts, cv_y)
            X_s, prior_s = self._base(cv_counts, sample, ngrams, size)
            X_h, prior_h = self._base(counts[held], sample, ngrams, size)
            scale_s = float(prior_s.std()) or 1.0
            on_sample = self._regression().set_params(C=C, warm_start=False)
            on_sample.fit(self._with_prior(X_s, prior_s, weight, scale_s), cv_y)
            held_scores = on_sample.decision_function(
                self._with_prior(X_h, prior_h, weight, scale_s)
            )
            every[held] = platt.probability(held_scores)
        self.oof_proba_ = np.full(len(y), np.nan)
        self.oof_proba_[scored] = every
        self.keyness_ = {
            "terms": terms,
            "log_odds": full.log_odds[cols],
        }
        return self

    def _fold_scores(
        self,
        train: sparse.csr_matrix,
        y_train: np.ndarray,
        test: sparse.csr_matrix,
        grid: list[tuple[int, int, float, float]],
    ) -> dict[tuple[int, int, float, float], np.ndarray]:
        """The decision values on `test` of every configuration of `grid` fitted on `train`."""
        out = {}
        fold = self._rank(train, y_train)
        for n, size in dict.fromkeys((k[0], k[1]) for k in grid):
            X_tr, prior_tr = self._base(train, fold, n, size)
            X_te, prior_te = self._base(test, fold, n, size)
            scale = float(prior_tr.std()) or 1.0
            for weight in sorted(self.prior_weights):
                Z_tr = self._with_prior(X_tr, prior_tr, weight, scale)
                Z_te = self._with_prior(X_te, prior_te, weight, scale)
                model = self._regression()
                for C in sorted(self.Cs):
                    model.set_params(C=C).fit(Z_tr, y_train)
                    out[(n, size, C, weight)] = model.decision_function(Z_te)
        return out

    def _cv_sample(self, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rows (sorted) that cross-validation reads and their weights: every row while they
        number at most `max_cv_documents`, else every target row and a seeded sample of the
        reference rows, each weighted by the reference's inverse sampling rate."""
        rows = np.arange(len(ys))
        if len(ys) <= self.max_cv_documents:
            return rows, np.ones(len(ys))
        targets, reference = rows[ys], rows[~ys]
        keep = max(self.max_cv_documents - targets.size, min(reference.size, 2 * self.folds))
        rng = np.random.default_rng(self.seed)
        sampled = np.sort(rng.choice(reference, size=keep, replace=False))
        chosen = np.sort(np.concatenate([targets, sampled]))
        weights = np.where(ys[chosen], 1.0, reference.size / keep)
        return chosen, weights

    def predict_proba(self, X: AccountTerms) -> np.ndarray:
        return self.model_.predict_proba(X)

    def predict(self, X: AccountTerms) -> np.ndarray:
        return self.model_.predict(X)


def _metrics(
    y: np.ndarray,
    probability: np.ndarray,
    predicted: np.ndarray,
    weights: np.ndarray | None = None,
) -> dict[str, Any]:
    from sklearn.metrics import (
        average_precision_score,
        f1_score,
        precision_score,
        recall_score,
        roc_auc_score,
    )

    def r(v: float) -> float | None:
        return None if v is None or math.isnan(v) else round(float(v), 4)

    both = len(np.unique(y)) == 2
    return {
        "roc_auc": r(roc_auc_score(y, probability, sample_weight=weights)) if both else None,
        "average_precision": (
            r(average_precision_score(y, probability, sample_weight=weights)) if both else None
        ),
        "precision": r(precision_score(y, predicted, zero_division=0, sample_weight=weights)),
        "recall": r(recall_score(y, predicted, zero_division=0, sample_weight=weights)),
        "f1": r(f1_score(y, predicted, zero_division=0, sample_weight=weights)),
    }
