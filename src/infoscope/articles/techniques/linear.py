"""The linear models' helpers: L2 logistic regressions with balanced class weights (their
coefficients kept at the float16 precision they are saved with) and the article-grouped fold
splitter. Calibration and thresholds are the shared ones (`infoscope.common.calibration`)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = []


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


def _group_folds(groups: np.ndarray, folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of at most `folds` GroupKFold folds shuffled with `seed`,
    rows of one group (one article) never split; none with fewer than two groups."""
    from sklearn.model_selection import GroupKFold

    k = min(folds, len(np.unique(groups)))
    if k < 2:
        return []
    splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(groups)), groups=groups))
