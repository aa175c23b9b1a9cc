"""A model's domain: how typical an account's features are of the collections it learnt from.

A classifier trained on a few labelled collections gives a confident probability for any
input, including accounts unlike anything it saw (the failure every bot detector is known for:
Yang et al., AAAI 2020). `DomainCheck` says when a score is out of its depth, with a stated
measure:

- **Typicality** (the measure): each training collection is summarised by a Gaussian over the
  standardised features (its mean and a Ledoit-Wolf shrunk covariance, Ledoit & Wolf 2004).
  An account's squared Mahalanobis distance to a collection, over the features known both for
  the account and for the collection, is turned into a chi-square tail probability with as
  many degrees of freedom as features compared; its tail at the nearest collection (the largest
  tail) is its raw typicality. Because profile features are neither Gaussian nor continuous,
  the raw value is then read against the training accounts' own, computed out of fold (each
  fold's Gaussians fitted without it): ``typicality`` is the share of training accounts that
  are less typical, from 0 (less typical than every training account) to 1.
- **Outside the model's experience** when ``typicality < outside_share`` (default 0.01: less
  typical than 99% of the training accounts).
- **Coverage**: the share of the model's weight (absolute standardised coefficients) carried
  by the features known for the account. Below ``min_coverage`` (default 0.5) too little of
  the account is known for the model to speak: status ``too_little_known``.

Statuses: ``inside``, ``outside`` (unlike the training collections) and ``too_little_known``.
`DomainCheck.atypical` names the features furthest from the nearest collection (in that
collection's standard deviations): the evidence of an ``outside``.

Pure numpy/scipy/scikit-learn on float matrices with NaN for unknown values, in scikit-learn
style (``fit`` learns, fitted attributes end in ``_``); saved as plain JSON (`to_dict`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from infoscope.errors import BadParameterError

__all__ = ["DOMAIN_MEASURE", "STATUSES", "DomainCheck"]

STATUSES = ("inside", "outside", "too_little_known")
DOMAIN_MEASURE = (
    "typicality: the share of training accounts (out of fold) whose chi-square tail of the "
    "Mahalanobis distance to their nearest training collection (Gaussian, Ledoit-Wolf "
    "covariance, known features only) is smaller than the account's"
)
# A collection "carries" a feature when it is known for at least this share of its accounts.
CARRIED = 0.05
# Quantiles of the training accounts' raw typicality kept to turn a raw value into a share.
_GRID = 201
# The log chi-square tail of an account compared on no feature, and the lowest value kept.
_FLOOR = -1e9


def _ledoit_wolf(Z: np.ndarray) -> np.ndarray:
    """The Ledoit-Wolf (2004) shrunk covariance of the rows of `Z`: the sample covariance
    shrunk towards a scaled identity by the estimated optimal intensity."""
    n, p = Z.shape
    if n < 2:
        return np.eye(p)
    X = Z - Z.mean(axis=0)
    S = X.T @ X / n
    mu = float(np.trace(S)) / p
    target = S - mu * np.eye(p)
    d2 = float((target**2).sum())
    if d2 <= 0:
        return S
    norms = (X**2).sum(axis=1)
    b2 = min(d2, float(((norms**2).sum() - n * (S**2).sum()) / n**2))
    shrink = max(b2, 0.0) / d2
    out: np.ndarray = shrink * mu * np.eye(p) + (1 - shrink) * S
    return out


class DomainCheck:
    """Typicality and coverage of accounts against the training collections (see the module
    docstring).

    Parameters: `outside_share` (accounts less typical than this share of the training
    accounts are outside), `min_coverage` (share of the model's weight that must be known),
    `folds` (for the out-of-fold calibration) and `random_state`.

    Fitted: ``names_`` (features), ``center_``/``scale_`` (global standardisation),
    ``collections_`` (names), ``carried_`` (per collection, the features it carries),
    ``means_``/``covariances_`` (per collection, over the carried features),
    ``quantiles_`` (raw typicality of the training accounts, out of fold, at evenly spaced
    probabilities), ``cutoff_`` (the raw typicality at `outside_share`) and ``weights_``
    (per feature, for coverage).
    """

    def __init__(
        self,
        outside_share: float = 0.01,
        min_coverage: float = 0.5,
        folds: int = 5,
        random_state: int = 0,
    ) -> None:
        if not 0 <= outside_share < 1:
            raise BadParameterError(f"outside_share must be in [0, 1), got {outside_share}")
        if not 0 <= min_coverage <= 1:
            raise BadParameterError(f"min_coverage must be in [0, 1], got {min_coverage}")
        self.outside_share = outside_share
        self.min_coverage = min_coverage
        self.folds = folds
        self.random_state = random_state

    # -- fitting ---------------------------------------------------------------------------
    def fit(
        self,
        M: np.ndarray,
        groups: Sequence[str] | np.ndarray,
        names: Sequence[str],
        *,
        weights: Sequence[float] | np.ndarray | None = None,
    ) -> DomainCheck:
        """Learn the collections' Gaussians from `M` (rows x `names`, NaN unknown) with the
        collection of each row in `groups`; `weights` (default equal) weigh coverage."""
        M = np.asarray(M, dtype=np.float64)
        labels = np.asarray([str(g) for g in groups], dtype=object)
        if M.ndim != 2 or M.shape[1] != len(names) or len(labels) != len(M):
            raise BadParameterError("the domain check needs one row per group label")
        if len(M) == 0:
            raise BadParameterError("the domain check needs training rows")
        self.names_ = list(names)
        known = ~np.isnan(M)
        counted = known.sum(axis=0)
        filled = np.where(known, M, 0.0)
        center = np.divide(filled.sum(axis=0), counted, out=np.zeros(M.shape[1]), where=counted > 0)
        spread = np.where(known, M - center, 0.0)
        var = np.divide(
            (spread**2).sum(axis=0), counted, out=np.zeros(M.shape[1]), where=counted > 0
        )
        scale = np.sqrt(var)
        self.center_ = center
        self.scale_ = np.where(scale > 0, scale, 1.0)
        w = np.ones(len(names)) if weights is None else np.abs(np.asarray(weights, dtype=float))
        self.weights_ = w if w.sum() > 0 else np.ones(len(names))
        Z = self._standardise(M)
        self.collections_ = sorted(set(labels.tolist()))
        self.carried_, self.means_, self.covariances_ = self._gaussians(Z, labels)
        # Out of fold: each training account against Gaussians fitted without its fold.
        raw = np.empty(len(Z))
        rng = np.random.default_rng(self.random_state)
        fold_of = np.empty(len(Z), dtype=np.int64)
        for name in self.collections_:
            rows = np.flatnonzero(labels == name)
            order = rng.permutation(len(rows))
            fold_of[rows[order]] = np.arange(len(rows)) % max(self.folds, 2)
        for k in range(max(self.folds, 2)):
            test = fold_of == k
            if not test.any():
                continue
            carried, means, covs = self._gaussians(Z[~test], labels[~test])
            raw[test] = self._raw(Z[test], carried, means, covs)[0]
        self.quantiles_ = np.quantile(raw, np.linspace(0, 1, _GRID))
        self.cutoff_ = float(np.quantile(raw, self.outside_share)) if self.outside_share else _FLOOR
        return self

    def _standardise(self, M: np.ndarray) -> np.ndarray:
        out: np.ndarray = (np.asarray(M, dtype=np.float64) - self.center_) / self.scale_
        return out

    def _gaussians(
        self, Z: np.ndarray, labels: np.ndarray
    ) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        carried, means, covs = [], [], []
        for name in self.collections_:
            rows = Z[labels == name]
            if len(rows) == 0:
                carried.append(np.zeros(Z.shape[1], dtype=bool))
                means.append(np.zeros(0))
                covs.append(np.zeros((0, 0)))
                continue
            known = ~np.isnan(rows)
            keep = known.mean(axis=0) >= CARRIED
            sub = rows[:, keep]
            mean = np.nanmean(sub, axis=0) if sub.size else np.zeros(0)
            filled = np.where(np.isnan(sub), mean, sub)
            carried.append(keep)
            means.append(mean)
            covs.append(_ledoit_wolf(filled) if keep.any() else np.zeros((0, 0)))
        return carried, means, covs

    @staticmethod
    def _raw(
        Z: np.ndarray,
        carried: list[np.ndarray],
        means: list[np.ndarray],
        covs: list[np.ndarray],
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per row: the largest chi-square log-tail over the collections (`_FLOOR` when nothing
        is compared), and which collection (-1 for none)."""
        from scipy.stats import chi2

        best = np.full(len(Z), _FLOOR)
        nearest = np.full(len(Z), -1, dtype=np.int64)
        known = ~np.isnan(Z)
        for c, (keep, mean, cov) in enumerate(zip(carried, means, covs, strict=True)):
            if not keep.any():
                continue
            sub = Z[:, keep]
            sub_known = known[:, keep]
            # Rows share few distinct patterns of known features: one inverse per pattern.
            patterns, inverse = np.unique(sub_known, axis=0, return_inverse=True)
            tail = np.full(len(Z), _FLOOR)
            for p, pattern in enumerate(patterns):
                rows = np.flatnonzero(inverse.ravel() == p)
                df = int(pattern.sum())
                if df == 0:
                    continue
                d = sub[np.ix_(rows, np.flatnonzero(pattern))] - mean[pattern]
                inv = np.linalg.pinv(cov[np.ix_(pattern, pattern)])
                d2 = np.einsum("ij,jk,ik->i", d, inv, d)
                tail[rows] = np.maximum(chi2.logsf(np.maximum(d2, 0.0), df), _FLOOR)
            better = tail > best
            best[better] = tail[better]
            nearest[better] = c
        return best, nearest

    # -- checking --------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "quantiles_"):
            raise BadParameterError("the domain check is not fitted: call fit() or load one")

    def typicality(self, raw: np.ndarray) -> np.ndarray:
        """The share of training accounts less typical than a raw typicality (a log tail),
        interpolated in the stored quantiles."""
        self._check_fitted()
        grid = np.linspace(0, 1, len(self.quantiles_))
        out: np.ndarray = np.interp(raw, self.quantiles_, grid, left=0.0, right=1.0)
        return out

    def check(self, M: np.ndarray) -> dict[str, Any]:
        """For each row of `M`: ``typicality``, ``coverage``, ``nearest`` (collection name or
        None) and ``status`` (`STATUSES`)."""
        self._check_fitted()
        M = np.asarray(M, dtype=np.float64)
        if M.ndim != 2 or M.shape[1] != len(self.names_):
            raise BadParameterError(
                f"expected {len(self.names_)} feature columns, got shape {M.shape}"
            )
        Z = self._standardise(M)
        raw, nearest = self._raw(Z, self.carried_, self.means_, self.covariances_)
        typical = self.typicality(raw)
        known = ~np.isnan(M)
        coverage = (known * self.weights_).sum(axis=1) / self.weights_.sum()
        status = np.where(
            coverage < self.min_coverage,
            "too_little_known",
            np.where(raw < self.cutoff_, "outside", "inside"),
        )
        return {
            "typicality": typical,
            "raw": raw,
            "coverage": coverage,
            "nearest": [None if c < 0 else self.collections_[c] for c in nearest],
            "status": status.astype(object),
        }

    def atypical(self, M: np.ndarray, row: int, n: int = 3) -> list[dict[str, Any]]:
        """The `n` known features of row `row` furthest from its nearest collection's mean,
        in that collection's standard deviations (``{"feature", "value", "sd", "collection"}``)."""
        self._check_fitted()
        one = np.asarray(M, dtype=np.float64)[row : row + 1]
        Z = self._standardise(one)
        _, nearest = self._raw(Z, self.carried_, self.means_, self.covariances_)
        c = int(nearest[0])
        if c < 0:  # nothing compared: say how far from the whole training data
            dev = np.abs(Z[0])
            collection = None
        else:
            keep = self.carried_[c]
            sd = np.sqrt(np.clip(np.diag(self.covariances_[c]), 1e-12, None))
            dev = np.full(len(self.names_), np.nan)
            dev[keep] = (Z[0, keep] - self.means_[c]) / sd
            collection = self.collections_[c]
        order = [j for j in np.argsort(-np.nan_to_num(np.abs(dev), nan=-1.0), kind="stable")]
        out = []
        for j in order:
            if math.isnan(one[0, j]) or math.isnan(dev[j]):
                continue
            out.append(
                {
                    "feature": self.names_[j],
                    "value": float(one[0, j]),
                    "sd": round(float(dev[j]), 2),
                    "collection": collection,
                }
            )
            if len(out) == n:
                break
        return out

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "measure": DOMAIN_MEASURE,
            "params": {
                "outside_share": self.outside_share,
                "min_coverage": self.min_coverage,
                "folds": self.folds,
                "random_state": self.random_state,
            },
            "features": list(self.names_),
            "center": [float(v) for v in self.center_],
            "scale": [float(v) for v in self.scale_],
            "weights": [float(v) for v in self.weights_],
            "collections": {
                name: {
                    "carried": [self.names_[j] for j in np.flatnonzero(keep)],
                    "mean": [float(v) for v in mean],
                    "covariance": [[float(v) for v in r] for r in cov],
                }
                for name, keep, mean, cov in zip(
                    self.collections_, self.carried_, self.means_, self.covariances_, strict=True
                )
            },
            "quantiles": [float(v) for v in self.quantiles_],
            "cutoff": float(self.cutoff_),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DomainCheck:
        self = cls(**data["params"])
        self.names_ = list(data["features"])
        self.center_ = np.asarray(data["center"], dtype=np.float64)
        self.scale_ = np.asarray(data["scale"], dtype=np.float64)
        self.weights_ = np.asarray(data["weights"], dtype=np.float64)
        self.collections_ = list(data["collections"])
        self.carried_, self.means_, self.covariances_ = [], [], []
        for name in self.collections_:
            c = data["collections"][name]
            self.carried_.append(np.asarray([n in c["carried"] for n in self.names_], dtype=bool))
            self.means_.append(np.asarray(c["mean"], dtype=np.float64))
            k = len(c["mean"])
            self.covariances_.append(np.asarray(c["covariance"], dtype=np.float64).reshape(k, k))
        self.quantiles_ = np.asarray(data["quantiles"], dtype=np.float64)
        self.cutoff_ = float(data["cutoff"])
        return self
