"""Calibration and thresholds shared by every scorer: Platt scaling and the F1-best threshold.

- `fit_platt`: Platt scaling (Platt 1999), a logistic regression of the label on a score,
  fitted on out-of-fold scores by the caller, as scikit-learn's
  ``CalibratedClassifierCV(method="sigmoid")`` does internally; returned as a slope and an
  offset so that a linear model can fold them into its coefficients and stay explainable.
- `best_threshold`: the score threshold with the best F1 on labelled scores (or the lowest one
  reaching a stated precision), read off scikit-learn's ``precision_recall_curve``. Ties go to
  the lowest threshold that reaches the best F1.

Degenerate inputs have one rule everywhere: a calibration that cannot be fitted (fewer than
two examples of a class, or a slope that is not positive) is the identity (slope 1, offset 0);
a threshold without positive examples is ``inf`` (flag nothing).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Platt", "best_threshold", "fit_platt"]

# Regularisation of the Platt regression: effectively unpenalised, as in Platt's method.
PLATT_C = 1e6


@dataclass(frozen=True)
class Platt:
    """A fitted sigmoid ``p = 1 / (1 + exp(-(slope * score + offset)))``."""

    slope: float = 1.0
    offset: float = 0.0

    def log_odds(self, scores: np.ndarray) -> np.ndarray:
        return np.asarray(scores, dtype=np.float64) * self.slope + self.offset

    def probability(self, scores: np.ndarray) -> np.ndarray:
        from scipy.special import expit

        return np.asarray(expit(self.log_odds(scores)))


def fit_platt(
    scores: np.ndarray,
    y: np.ndarray,
    *,
    max_iter: int = 1000,
    sample_weight: np.ndarray | None = None,
) -> Platt:
    """Platt scaling of `scores` to the 0/1 labels `y` (the identity when it cannot be
    fitted: fewer than two examples of either class, or a non-positive slope). With
    `sample_weight`, each example counts that many times (a sample standing for more)."""
    from sklearn.linear_model import LogisticRegression

    y = np.asarray(y).astype(np.int64).ravel()
    positives = int(y.sum())
    if positives < 2 or positives > len(y) - 2:
        return Platt()
    model = LogisticRegression(C=PLATT_C, max_iter=max_iter)
    model.fit(np.asarray(scores, dtype=np.float64).reshape(-1, 1), y, sample_weight=sample_weight)
    slope, offset = float(model.coef_[0, 0]), float(model.intercept_[0])
    return Platt(slope, offset) if slope > 0 else Platt()


def best_threshold(
    scores: np.ndarray,
    y: np.ndarray,
    *,
    precision: float | None = None,
    sample_weight: np.ndarray | None = None,
) -> float:
    """The threshold (flag scores at or above it) with the best F1 on these labelled scores,
    the lowest one on ties; with `precision`, the lowest threshold reaching that precision
    (the highest threshold when none does). ``inf`` when `y` has no positive example.
    `sample_weight` weighs the examples as in `fit_platt`."""
    from sklearn.metrics import precision_recall_curve

    y = np.asarray(y).astype(bool).ravel()
    scores = np.asarray(scores, dtype=np.float64).ravel()
    if not y.any():
        return math.inf
    if y.all():
        return float(scores.min())
    p, r, t = precision_recall_curve(y, scores, sample_weight=sample_weight)
    p, r = p[:-1], r[:-1]
    if precision is not None:
        ok = np.flatnonzero(p >= precision)
        return float(t[ok[0]]) if ok.size else float(t[-1])
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(p + r > 0, 2 * p * r / (p + r), 0.0)
    best = np.flatnonzero(f1 == f1.max())
    return float(t[best[0]])  # thresholds ascend: the first best is the lowest
