"""Training the profile model on several labelled collections, judged on the ones left out.

A model trained on one collection of humans and one of bots learns how those collections were
sampled as much as what a bot looks like (Yang et al., "Scalable and generalizable social bot
detection through data selection", AAAI 2020). So training here takes several labelled
**collections** (a profile file each, with a label file or one label for all of it) and every
figure that chooses something is measured on collections the model did not see.

Leave-one-collection-out (`leave_one_collection_out`)
------------------------------------------------------
For each collection L in turn, models are trained without it and scored on it:

- **A collection of one class** (all bots, or all humans) cannot give an AUC alone, so it is
  paired with **held-out accounts of the other class** from the other collections: those are
  split into `folds` folds (stratified by collection) and, for fold k, the model is trained on
  every other collection minus fold k, then scores fold k and a k-th share of L. No account of L
  is in any training set, and no paired account is in the training set that scores it. The
  pooled out-of-fold scores give the AUC of L against the held-out accounts, the recall of L's
  bots (or the false-flag rate on L's humans) at the threshold each model chose on its own
  training data, and the false-flag rate on the held-out humans.
- Fields L does not carry (known for under 5% of it: the NBC IRA profiles have no fetch time,
  hence no age or rates, and no theme flags) are **hidden from the paired accounts too**, so
  that the presence of a field cannot separate them.
- **A mixed collection** (both labels) is scored directly by a model trained on all the others.
- Not evaluable, with the reason, when the others hold no account of one class (leaving out the
  only human collection leaves nothing to learn humans from).
- With each figure: the share of L the domain check marks outside the model's experience or
  too little known, and the AUC and recall among L's accounts it keeps.

**In-collection** figures (`in_collection_cv`) are the same figures from ordinary stratified
cross-validation over all collections pooled, where L's own accounts are in the training folds:
the usual, optimistic, numbers, printed next to the left-out ones.

Data selection (`select_features`, `select_mix`)
------------------------------------------------
- Features: backward elimination of whole feature groups (`FEATURE_GROUPS`) by the mean
  left-out AUC: a group goes when the figure without it is within `tolerance` of the best seen.
  A group that only encodes how a bot collection was sampled (its era, a field it lacks) helps
  in-collection and hurts, or does nothing, left out: this finds and drops it.
- Training mix: every subset of the bot collections (with all human collections) is trained and
  scored on each bot collection outside it; the mix with the best mean left-out AUC (within
  `tolerance`, the larger mix) is kept.
- What this cannot find: with one human collection, every left-out figure pairs bots with
  held-out humans **of the same human collection**, so what that collection's sampling encodes
  (verified celebrities and organisations: popularity, account age) is invisible to it. Such
  fields are excluded by rule (``verified``, ``profile_lang``, ``time_zone``: see
  `infoscope.authenticity.profile`), and the figures below say so. Selecting on the same
  left-out figures that are reported makes them slightly optimistic (no nested selection: three
  bot collections are too few to nest).

Baseline (`BoostedBaseline`): histogram gradient boosting on the raw count fields of the
profile (followers, following, posts, likes, lists), trained on the same rows, with its
threshold chosen the same way, in the same run.

`train_profile_model` does all of it, fits the final model on the chosen mix and features, and
writes ``profile-model.json`` (byte-identical when retrained on the same inputs) and
``manifest.json`` (inputs with their sha256, counts, selection, left-out and in-collection
figures for the model and the baseline, domain-check figures, versions).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from infoscope._version import __version__
from infoscope.authenticity.domain import CARRIED, DOMAIN_MEASURE
from infoscope.authenticity.profile import (
    FEATURE_GROUPS,
    FEATURES,
    MANIFEST_FILE,
    MODEL_FILE,
    ProfileModelSet,
    _matrix,
    human_threshold,
    one_thread,
    profile_features,
)
from infoscope.common.langid import language_or_none
from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = [
    "BASELINE_FEATURES",
    "LABEL_KEY",
    "BoostedBaseline",
    "Collection",
    "Scorer",
    "baseline_fit",
    "in_collection_cv",
    "labelled_collections",
    "labelled_features",
    "leave_one_collection_out",
    "model_fit",
    "reliability_table",
    "select_features",
    "select_mix",
    "train_profile_model",
]

LABEL_KEY = "botrepo_label"
# The raw numeric fields of a profile (as ln(1 + count): boosting is unchanged by it).
BASELINE_FEATURES: tuple[str, ...] = (
    "log_followers",
    "log_following",
    "log_posts",
    "log_favourites",
    "log_listed",
)
LABELS = ("bot", "human")


class Scorer(Protocol):
    """What the evaluation needs of a fitted model."""

    threshold_: float

    def predict_proba(self, X: Any) -> np.ndarray: ...


# A model factory: fit on (matrix, labels, collections) and return the fitted scorer.
Fit = Callable[[np.ndarray, np.ndarray, np.ndarray], Any]


# -- small figures -----------------------------------------------------------------------


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def _auc(scores: np.ndarray, y: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    if len(np.unique(y)) < 2:
        return None
    return _round(float(roc_auc_score(y, scores)))


def _share(mask: np.ndarray) -> float | None:
    return _round(float(np.mean(mask))) if len(mask) else None


def reliability_table(p: np.ndarray, y: np.ndarray, bins: int = 10) -> list[dict[str, Any]]:
    """Equal-width probability bins: count, mean predicted probability, observed bot rate."""
    index = np.minimum((p * bins).astype(np.int64), bins - 1)
    out = []
    for b in range(bins):
        mask = index == b
        count = int(mask.sum())
        out.append(
            {
                "bin": [round(b / bins, 3), round((b + 1) / bins, 3)],
                "count": count,
                "mean_predicted": _round(float(p[mask].mean())) if count else None,
                "observed_rate": _round(float(y[mask].mean())) if count else None,
            }
        )
    return out


# -- models --------------------------------------------------------------------------------


class BoostedBaseline:
    """Histogram gradient boosting on raw numeric fields: the baseline of every figure.

    Its threshold is chosen as the model's: the lowest that flags at most
    `human_false_flag_rate` of the training humans, on out-of-fold scores (`folds` folds).
    NULLs are handled natively by the boosting. No domain check.
    """

    def __init__(
        self,
        features: Sequence[str] = BASELINE_FEATURES,
        *,
        human_false_flag_rate: float = 0.05,
        folds: int = 3,
        random_state: int = 0,
    ) -> None:
        self.features = features
        self.human_false_flag_rate = human_false_flag_rate
        self.folds = folds
        self.random_state = random_state

    def _model(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        return HistGradientBoostingClassifier(random_state=self.random_state)

    def fit(self, X: Any, y: Any, groups: Sequence[str] | None = None) -> BoostedBaseline:
        from sklearn.model_selection import StratifiedKFold

        M = _matrix(X, list(self.features))
        target = np.asarray(y).astype(np.int64)
        # A column unknown throughout training carries nothing (and boosting cannot bin it).
        self.columns_ = np.flatnonzero((~np.isnan(M)).any(axis=0))
        M = M[:, self.columns_]
        self.model_ = self._model().fit(M, target)
        oof = np.empty(len(target))
        folds = min(self.folds, int(np.bincount(target, minlength=2).min()))
        if folds >= 2:
            splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
            for train, test in splitter.split(M, target):
                oof[test] = self._model().fit(M[train], target[train]).predict_proba(M[test])[:, 1]
        else:
            oof = self.model_.predict_proba(M)[:, 1]
        self.threshold_ = human_threshold(oof, target, self.human_false_flag_rate)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        M = _matrix(X, list(self.features))[:, self.columns_]
        out: np.ndarray = self.model_.predict_proba(M)[:, 1]
        return out


def model_fit(
    features: Sequence[str],
    *,
    seed: int = 0,
    human_false_flag_rate: float = 0.05,
    domain: bool = True,
    params: dict[str, Any] | None = None,
) -> Fit:
    """A factory fitting a `ProfileModelSet` on `features` (columns of the full `FEATURES`
    matrix), with or without its domain checks."""
    index = [list(FEATURES).index(f) for f in features]

    def fit(M: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
        model = ProfileModelSet(
            features=list(features),
            random_state=seed,
            human_false_flag_rate=human_false_flag_rate,
            outside_share=(params or {}).get("outside_share", 0.05) if domain else None,
            **{k: v for k, v in (params or {}).items() if k != "outside_share"},
        ).fit(M[:, index], y, groups)
        return _Columns(model, index)

    return fit


def baseline_fit(
    features: Sequence[str] = BASELINE_FEATURES,
    *,
    seed: int = 0,
    human_false_flag_rate: float = 0.05,
    names: Sequence[str] = tuple(FEATURES),
) -> Fit:
    """A factory fitting a `BoostedBaseline` on `features` (columns of a `names` matrix)."""
    index = [list(names).index(f) for f in features]

    def fit(M: np.ndarray, y: np.ndarray, groups: np.ndarray) -> Any:
        model = BoostedBaseline(
            [str(i) for i in range(len(index))],
            human_false_flag_rate=human_false_flag_rate,
            random_state=seed,
        ).fit(M[:, index], y)
        return _Columns(model, index)

    return fit


class _Columns:
    """A fitted model reading its columns out of the full feature matrix."""

    def __init__(self, model: Any, index: list[int]) -> None:
        self.model = model
        self.index = index
        self.threshold_ = float(model.threshold_)

    def predict_proba(self, M: np.ndarray) -> np.ndarray:
        out: np.ndarray = self.model.predict_proba(M[:, self.index])
        return out

    def thresholds(self, M: np.ndarray) -> np.ndarray:
        """Per row: its threshold (a model set's field set, or the one threshold)."""
        per_row = getattr(self.model, "thresholds", None)
        if per_row is None:
            return np.full(len(M), self.threshold_)
        out: np.ndarray = per_row(M[:, self.index])
        return out

    def check_domain(self, M: np.ndarray) -> dict[str, Any] | None:
        """The domain check of each row; None for a model without one."""
        if getattr(self.model, "model_params", {}).get("outside_share", 0.05) is None:
            return None
        check = getattr(self.model, "check_domain", None)
        if check is None:
            return None
        result: dict[str, Any] = check(M[:, self.index])
        return result


# -- evaluation ----------------------------------------------------------------------------


def _kind(y: np.ndarray) -> str:
    if y.all():
        return "bot"
    if not y.any():
        return "human"
    return "mixed"


def _carried(M: np.ndarray) -> np.ndarray:
    return (~np.isnan(M)).mean(axis=0) >= CARRIED if len(M) else np.zeros(M.shape[1], bool)


def _fold_ids(groups: np.ndarray, folds: int, seed: int) -> np.ndarray:
    """A fold per row, spread evenly within each group (seeded)."""
    rng = np.random.default_rng(seed)
    out = np.empty(len(groups), dtype=np.int64)
    for g in sorted(set(groups.tolist())):
        rows = np.flatnonzero(groups == g)
        out[rows[rng.permutation(len(rows))]] = np.arange(len(rows)) % folds
    return out


def _figures(
    scores: np.ndarray,
    y: np.ndarray,
    thresholds: np.ndarray,
    left_out: np.ndarray,
    status: np.ndarray | None,
) -> dict[str, Any]:
    """AUC, recall, false-flag rates, and the domain check's shares and kept figures. A row
    nothing could score (no feature known) counts as not flagged and stays out of the AUC."""
    scored = ~np.isnan(scores)
    flagged = scored & (np.nan_to_num(scores, nan=-1.0) >= thresholds)
    bots_out = left_out & (y == 1)
    humans_out = left_out & (y == 0)
    out: dict[str, Any] = {
        "auc": _auc(scores[scored], y[scored]),
        "unscored": _share(~scored),
        "recall": _share(flagged[y == 1]),
        "human_false_flag_rate": _share(flagged[y == 0]),
        "left_out_recall": _share(flagged[bots_out]) if bots_out.any() else None,
        "left_out_false_flag_rate": _share(flagged[humans_out]) if humans_out.any() else None,
        "threshold": _round(float(np.mean(thresholds))),
    }
    if status is not None:
        inside = (status == "inside") & scored
        out["domain"] = {
            "left_out_outside": _share(status[left_out] == "outside"),
            "left_out_too_little_known": _share(status[left_out] == "too_little_known"),
            "paired_outside": _share(status[~left_out] != "inside") if (~left_out).any() else None,
            "auc_inside": _auc(scores[inside], y[inside]),
            "recall_inside": _share(flagged[inside & (y == 1)])
            if (inside & (y == 1)).any()
            else None,
            "human_false_flag_rate_inside": _share(flagged[inside & (y == 0)])
            if (inside & (y == 0)).any()
            else None,
        }
    return out


def leave_one_collection_out(
    M: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    fit: Fit,
    *,
    folds: int = 5,
    seed: int = 0,
    only: Sequence[str] | None = None,
    train_on: Sequence[str] | None = None,
    names: Sequence[str] = tuple(FEATURES),
) -> dict[str, dict[str, Any]]:
    """Figures of `fit`'s models on each collection left out (see the module docstring).

    `M` is the feature matrix (NaN unknown) with columns `names`, `y` the labels (1 bot),
    `groups` each row's collection. `only` restricts the collections left out; `train_on` the
    collections a model may train on (default all). Each result: ``kind`` (bot, human,
    mixed), ``accounts``, ``evaluable`` (else ``reason``), ``paired`` (held-out accounts of
    the other class and the collections they come from), ``hidden_fields``, and the figures
    of `_figures`.
    """
    groups = np.asarray(groups, dtype=object)
    y = np.asarray(y).astype(np.int64)
    everyone = sorted(set(groups.tolist()))
    allowed = set(everyone if train_on is None else train_on)
    out: dict[str, dict[str, Any]] = {}
    for left in everyone if only is None else only:
        here = groups == left
        kind = _kind(y[here])
        rest = ~here & np.isin(groups, list(allowed))
        result: dict[str, Any] = {"kind": kind, "accounts": int(here.sum())}
        out[left] = result
        if kind == "mixed":
            if len(np.unique(y[rest])) < 2:
                result.update(evaluable=False, reason="the other collections lack a class")
                continue
            model = fit(M[rest], y[rest], groups[rest])
            scores = model.predict_proba(M[here])
            check = model.check_domain(M[here])
            result.update(evaluable=True, paired=None, hidden_fields=[])
            result.update(
                _figures(
                    scores,
                    y[here],
                    model.thresholds(M[here]),
                    np.ones(int(here.sum()), dtype=bool),
                    None if check is None else np.asarray(check["status"]),
                )
            )
            continue
        own = 1 if kind == "bot" else 0
        if not (rest & (y == own)).any():
            result.update(
                evaluable=False,
                reason=f"the other collections hold no {LABELS[1 - own]} to learn from: a "
                f"model trained without it would have one class",
            )
            continue
        partner = rest & (y == 1 - own)
        if not partner.any():
            result.update(evaluable=False, reason=f"no {LABELS[own]} left to pair it with")
            continue
        hidden = ~_carried(M[here])
        pair_rows = np.flatnonzero(partner)
        here_rows = np.flatnonzero(here)
        k_folds = max(2, min(folds, len(pair_rows)))
        pair_fold = _fold_ids(groups[pair_rows], k_folds, seed)
        here_fold = _fold_ids(groups[here_rows], k_folds, seed + 1)
        rows = np.concatenate([here_rows, pair_rows])
        fold = np.concatenate([here_fold, pair_fold])
        scores = np.empty(len(rows))
        thresholds = np.empty(len(rows))
        status: np.ndarray | None = np.empty(len(rows), dtype=object)
        for k in range(k_folds):
            train = rest.copy()
            train[pair_rows[pair_fold == k]] = False
            if len(np.unique(y[train])) < 2:
                continue
            model = fit(M[train], y[train], groups[train])
            test = fold == k
            X = M[rows[test]].copy()
            X[:, hidden] = np.nan
            scores[test] = model.predict_proba(X)
            thresholds[test] = model.thresholds(X)
            check = model.check_domain(X)
            if check is None:
                status = None
            elif status is not None:
                status[test] = np.asarray(check["status"])
        left_mask = np.zeros(len(rows), dtype=bool)
        left_mask[: len(here_rows)] = True
        result.update(
            evaluable=True,
            paired={
                "accounts": len(pair_rows),
                "class": LABELS[own],
                "collections": sorted(set(groups[pair_rows].tolist())),
                "folds": k_folds,
            },
            hidden_fields=[n for n, h in zip(names, hidden, strict=True) if h],
        )
        result.update(_figures(scores, y[rows], thresholds, left_mask, status))
    return out


def in_collection_cv(
    M: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    fit: Fit,
    *,
    folds: int = 5,
    seed: int = 0,
) -> dict[str, Any]:
    """Ordinary cross-validation over all collections pooled (stratified by collection and
    label): the pooled figures, the reliability table, and per collection the figures of
    `leave_one_collection_out` from these out-of-fold scores (its own accounts were in the
    other folds' training data). Also returns the out-of-fold scores as ``_oof``."""
    from sklearn.metrics import brier_score_loss
    from sklearn.model_selection import StratifiedKFold

    groups = np.asarray(groups, dtype=object)
    y = np.asarray(y).astype(np.int64)
    strata = np.asarray([f"{g}|{t}" for g, t in zip(groups, y, strict=True)])
    if min(np.unique(strata, return_counts=True)[1]) < folds:
        strata = y.astype(str)
    oof = np.empty(len(y))
    thresholds = np.empty(len(y))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(M, strata):
        model = fit(M[train], y[train], groups[train])
        oof[test] = model.predict_proba(M[test])
        thresholds[test] = model.thresholds(M[test])
    flagged = oof >= thresholds
    out: dict[str, Any] = {
        "n": len(y),
        "bots": int(y.sum()),
        "humans": int(len(y) - y.sum()),
        "auc": _auc(oof, y),
        "brier": _round(float(brier_score_loss(y, oof, labels=[0, 1]))),
        "recall": _share(flagged[y == 1]),
        "human_false_flag_rate": _share(flagged[y == 0]),
        "precision": _share(y[flagged] == 1) if flagged.any() else None,
        "reliability": reliability_table(oof, y),
        "collections": {},
    }
    for name in sorted(set(groups.tolist())):
        here = groups == name
        kind = _kind(y[here])
        # A one-class collection is read against the other class's accounts, as left out.
        rows = here if kind == "mixed" else here | (y == (0 if kind == "bot" else 1))
        out["collections"][name] = {"kind": kind, "accounts": int(here.sum())} | _figures(
            oof[rows], y[rows], thresholds[rows], here[rows], None
        )
    out["_oof"] = oof
    return out


# -- selection -----------------------------------------------------------------------------


def _mean_auc(results: dict[str, dict[str, Any]]) -> float:
    """The mean left-out AUC; NaN when a collection is mostly unscorable."""
    evaluable = [r for r in results.values() if r.get("evaluable")]
    if any((r.get("unscored") or 0) > 0.5 or r.get("auc") is None for r in evaluable):
        return float("nan")
    return float(np.mean([r["auc"] for r in evaluable])) if evaluable else float("nan")


def select_features(
    M: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    *,
    feature_groups: dict[str, tuple[str, ...]] = FEATURE_GROUPS,
    folds: int = 5,
    seed: int = 0,
    tolerance: float = 0.002,
    human_false_flag_rate: float = 0.05,
    params: dict[str, Any] | None = None,
) -> tuple[list[str], list[dict[str, Any]]]:
    """Backward elimination of feature groups by the mean left-out AUC; returns the kept
    features (in `FEATURES` order) and the path (each step: the groups tried and their
    figures, the group dropped)."""
    kept = list(feature_groups)

    def score(names: list[str]) -> float:
        features = [f for f in FEATURES if any(f in feature_groups[g] for g in names)]
        fit = model_fit(
            features,
            seed=seed,
            human_false_flag_rate=human_false_flag_rate,
            domain=False,
            params=params,
        )
        return _mean_auc(leave_one_collection_out(M, y, groups, fit, folds=folds, seed=seed))

    best = score(kept)
    path: list[dict[str, Any]] = [{"groups": list(kept), "mean_left_out_auc": _round(best)}]
    while len(kept) > 1:
        tried = {g: score([k for k in kept if k != g]) for g in kept}
        drop = max(kept, key=lambda g: (np.nan_to_num(tried[g], nan=-1.0), -kept.index(g)))
        step: dict[str, Any] = {
            "without": {g: _round(v) for g, v in tried.items()},
            "best_so_far": _round(best),
        }
        if math.isnan(tried[drop]) or tried[drop] < best - tolerance:
            step["dropped"] = None
            path.append(step)
            break
        kept.remove(drop)
        best = max(best, tried[drop])
        step["dropped"] = drop
        path.append(step)
    features = [f for f in FEATURES if any(f in feature_groups[g] for g in kept)]
    return features, path


def select_mix(
    M: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    features: Sequence[str],
    *,
    folds: int = 5,
    seed: int = 0,
    tolerance: float = 0.002,
    human_false_flag_rate: float = 0.05,
    params: dict[str, Any] | None = None,
    max_subsets: int = 64,
) -> tuple[list[str], dict[str, Any]]:
    """BotometerLite's data selection over the bot collections: every subset (all human and
    mixed collections always kept) trained and scored on each bot collection outside it.
    Returns the chosen collections and the table: per training subset, the AUC on each
    collection left out, and per candidate mix its mean over the bot collections."""
    groups = np.asarray(groups, dtype=object)
    names = sorted(set(groups.tolist()))
    bots = [n for n in names if _kind(y[groups == n]) == "bot"]
    always = [n for n in names if n not in bots]
    fit = model_fit(
        features, seed=seed, human_false_flag_rate=human_false_flag_rate, domain=False,
        params=params,
    )  # fmt: skip
    subsets = [list(s) for r in range(1, len(bots)) for s in itertools.combinations(bots, r)][
        :max_subsets
    ]
    scores: dict[tuple[str, ...], dict[str, float | None]] = {}
    for subset in subsets:
        outside = [b for b in bots if b not in subset]
        res = leave_one_collection_out(
            M, y, groups, fit, folds=folds, seed=seed, only=outside, train_on=always + subset
        )
        scores[tuple(subset)] = {b: res[b].get("auc") for b in outside}
    full = leave_one_collection_out(M, y, groups, fit, folds=folds, seed=seed, only=bots)
    scores[tuple(bots)] = {b: full[b].get("auc") for b in bots}
    mixes: dict[str, Any] = {}
    for r in range(2, len(bots) + 1):
        for mix in itertools.combinations(bots, r):
            figures = {}
            for b in bots:
                trained = tuple(x for x in mix if x != b)
                figures[b] = scores.get(trained, {}).get(b)
            known = [v for v in figures.values() if v is not None]
            mixes[" + ".join(mix)] = {
                "collections": list(mix),
                "auc": figures,
                "mean_auc": _round(float(np.mean(known))) if len(known) == len(bots) else None,
            }
    candidates = [m for m in mixes.values() if m["mean_auc"] is not None]
    if not candidates:
        return bots, {"trained_on": _table(scores), "mixes": mixes, "chosen": bots}
    top = max(m["mean_auc"] for m in candidates)
    chosen = max(
        (m for m in candidates if m["mean_auc"] >= top - tolerance),
        key=lambda m: (len(m["collections"]), m["mean_auc"]),
    )["collections"]
    return list(chosen), {"trained_on": _table(scores), "mixes": mixes, "chosen": list(chosen)}


def _table(scores: dict[tuple[str, ...], dict[str, float | None]]) -> list[dict[str, Any]]:
    return [{"bot_collections": list(k), "auc_left_out": v} for k, v in scores.items()]


# -- collections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Collection:
    """A labelled collection: a profile file and its labels, either a Bot Repository label
    file (``<id><TAB>human|bot``) or one `label` (``bot`` or ``human``) for every profile in
    it. `name` defaults to the file name without ``_profiles`` and extensions."""

    profiles: Path
    labels: Path | None = None
    label: str | None = None
    name: str = ""

    @classmethod
    def parse(cls, profiles: str | Path, labels: str | Path) -> Collection:
        """From a profile file and either a label file or the word ``bot`` or ``human``."""
        path = Path(profiles)
        name = path.name.split(".")[0].removesuffix("_profiles")
        if str(labels) in LABELS:
            return cls(path, None, str(labels), name)
        return cls(path, Path(labels), None, name)


def _file_info(path: Path, role: str) -> dict[str, Any]:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "name": path.name,
        "role": role,
        "bytes": path.stat().st_size,
        "sha256": digest.hexdigest(),
    }


def labelled_collections(
    store: Store, collections: Sequence[Collection]
) -> tuple[pa.Table, np.ndarray, np.ndarray, dict[str, dict[str, int]]]:
    """The features, labels (1 bot) and collection names of the labelled accounts with a
    profile, and per collection its counts. An account's collection is the profile file its
    stored profile came from; its label comes from that collection's label file or label.
    Accounts with both labels and labelled accounts without a profile are left out, counted."""
    features = profile_features(store)
    source = dict(
        store.con.execute("SELECT platform || '/' || account_id, source FROM accounts").fetchall()
    )
    keys = [
        f"{p}/{a}"
        for p, a in zip(
            features.column("platform").to_pylist(),
            features.column("account_id").to_pylist(),
            strict=True,
        )
    ]
    rows: list[int] = []
    target: list[int] = []
    names: list[str] = []
    counts: dict[str, dict[str, int]] = {}
    featured = set(keys)
    for c in collections:
        count = {"bot": 0, "human": 0, "labelled_without_profile": 0, "conflicting_labels": 0}
        count["profiles_without_label"] = 0
        if c.labels is not None:
            found = store.con.execute(
                f"SELECT platform || '/' || account_id, min(label_value), "
                f"count(DISTINCT label_value) FROM account_labels WHERE source = ? "
                f"AND label_key = '{LABEL_KEY}' AND label_value IN ('human', 'bot') GROUP BY ALL",
                [str(c.labels)],
            ).fetchall()
            labels = {k: lab for k, lab, n in found if n == 1}
            count["conflicting_labels"] = sum(1 for _, _, n in found if n > 1)
            count["labelled_without_profile"] = sum(1 for k, _, _ in found if k not in featured)
        else:
            labels = None
        for i, key in enumerate(keys):
            if source.get(key) != str(c.profiles):
                continue
            label = c.label if labels is None else labels.get(key)
            if label is None:
                count["profiles_without_label"] += 1
                continue
            rows.append(i)
            target.append(1 if label == "bot" else 0)
            names.append(c.name)
            count[label] += 1
        counts[c.name] = count
    return (
        features.take(rows),
        np.asarray(target, dtype=np.int64),
        np.asarray(names, dtype=object),
        counts,
    )


def labelled_features(store: Store) -> tuple[pa.Table, np.ndarray, dict[str, int]]:
    """The features of the accounts labelled ``botrepo_label`` human or bot, whatever their
    file, their labels (1 = bot) and counts (left out: labelled accounts without a profile and
    accounts with both labels)."""
    labels = store.con.sql(
        f"""
        SELECT platform, account_id, min(label_value) AS label, count(DISTINCT label_value) AS k
        FROM account_labels
        WHERE label_key = '{LABEL_KEY}' AND label_value IN ('human', 'bot')
        GROUP BY platform, account_id
        """
    ).to_arrow_table()
    features = profile_features(store)
    keyed = {
        (p, a): (lab, k)
        for p, a, lab, k in zip(
            labels.column("platform").to_pylist(),
            labels.column("account_id").to_pylist(),
            labels.column("label").to_pylist(),
            labels.column("k").to_pylist(),
            strict=True,
        )
    }
    keys = list(
        zip(
            features.column("platform").to_pylist(),
            features.column("account_id").to_pylist(),
            strict=True,
        )
    )
    rows, target = [], []
    for i, key in enumerate(keys):
        found = keyed.get(key)
        if found is not None and found[1] == 1:
            rows.append(i)
            target.append(1 if found[0] == "bot" else 0)
    featured = set(keys)
    counts = {
        "bot": int(sum(target)),
        "human": len(target) - int(sum(target)),
        "labelled_without_profile": sum(1 for key in keyed if key not in featured),
        "conflicting_labels": sum(1 for _, k in keyed.values() if k > 1),
        "profiles_without_label": len(featured) - len(featured & set(keyed)),
    }
    return features.take(rows), np.asarray(target, dtype=np.int64), counts


def _description_groups(descriptions: list[str | None]) -> list[str]:
    """English, other or unknown (under 10 characters, or identified below 0.5)."""
    out = []
    for text in descriptions:
        lang = language_or_none(text, min_confidence=0.5, min_chars=10)
        out.append("unknown" if lang is None else ("en" if lang == "en" else "other"))
    return out


def _carried_by(M: np.ndarray, groups: np.ndarray, group: str, feature: str) -> bool:
    column = M[groups == group][:, list(FEATURES).index(feature)]
    return bool((~np.isnan(column)).mean() >= CARRIED) if len(column) else False


def _clean(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if not k.startswith("_")}


# -- training ------------------------------------------------------------------------------


def train_profile_model(
    profile_paths: Sequence[str | Path],
    label_paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    seed: int = 0,
    folds: int = 5,
    human_false_flag_rate: float = 0.05,
    outside_share: float = 0.05,
    select: bool = True,
    compare_baseline: bool = True,
    tolerance: float = 0.002,
) -> dict[str, Any]:
    """Train the profile model on labelled collections, judged on the ones left out; write
    ``out_dir/profile-model.json`` and ``out_dir/manifest.json`` and return the manifest.

    `profile_paths` are profile files (format detected: Bot Repository ``*_profiles.json``,
    Twitter user CSVs ...), one collection each; `label_paths` give, for each, a label file
    (``botrepo-labels``) or the word ``bot`` or ``human`` for all its profiles. With `select`,
    feature groups and the training mix are chosen by left-out figures (`select_features`,
    `select_mix`), else every feature and collection is used. The threshold flags at most
    `human_false_flag_rate` of the training humans (out of fold); the domain check marks
    outside accounts less typical than all but `outside_share` of the training accounts.
    `compare_baseline` adds `BoostedBaseline`'s figures. Same inputs and parameters: the same
    model file, byte for byte.
    """
    from infoscope.ingest import ingest

    if folds < 2:
        raise BadParameterError(f"folds must be at least 2, got {folds}")
    if len(profile_paths) != len(label_paths):
        raise BadParameterError("give one label file (or bot/human) per profile file")
    started = time.perf_counter()
    collections = [
        Collection.parse(p, lab) for p, lab in zip(profile_paths, label_paths, strict=True)
    ]
    for c in collections:
        for path in (c.profiles, c.labels):
            if path is not None and not path.is_file():
                raise BadParameterError(f"{path}: no such file")
    seen: set[str] = set()
    for c in collections:
        if c.name in seen:
            raise BadParameterError(f"two collections are named {c.name}: rename a file")
        seen.add(c.name)
    with (
        tempfile.TemporaryDirectory(prefix="infoscope-train-") as tmp,
        Store.open(Path(tmp) / "train.duckdb") as store,
    ):
        for c in collections:
            ingest(store, [c.profiles])
            if c.labels is not None:
                ingest(store, [c.labels], format="botrepo-labels")
        X, y, groups, counts = labelled_collections(store, collections)
        descriptions = dict(
            store.con.execute(
                "SELECT platform || '/' || account_id, description FROM accounts"
            ).fetchall()
        )
    bots, humans = int(y.sum()), int(len(y) - y.sum())
    if bots < folds or humans < folds:
        raise BadParameterError(
            f"too few labelled profiles for {folds} folds: {bots} bots, {humans} humans"
        )
    with one_thread():
        return _train(
            X, y, groups, counts, descriptions, collections, out_dir, started,
            seed=seed, folds=folds, human_false_flag_rate=human_false_flag_rate,
            outside_share=outside_share, select=select, compare_baseline=compare_baseline,
            tolerance=tolerance,
        )  # fmt: skip


def _train(
    X: pa.Table,
    y: np.ndarray,
    groups: np.ndarray,
    counts: dict[str, dict[str, int]],
    descriptions: dict[str, str | None],
    collections: list[Collection],
    out_dir: str | Path,
    started: float,
    *,
    seed: int,
    folds: int,
    human_false_flag_rate: float,
    outside_share: float,
    select: bool,
    compare_baseline: bool,
    tolerance: float,
) -> dict[str, Any]:
    import sklearn

    M = _matrix(X, list(FEATURES))
    fit_args: dict[str, Any] = {"seed": seed, "human_false_flag_rate": human_false_flag_rate}
    params = {"outside_share": outside_share}
    selection: dict[str, Any] = {"done": select, "tolerance": tolerance}
    features = list(FEATURES)
    mix = sorted(set(groups.tolist()))
    if select:
        features, path = select_features(
            M, y, groups, folds=folds, seed=seed, tolerance=tolerance, params=params,
            human_false_flag_rate=human_false_flag_rate,
        )  # fmt: skip
        chosen, table = select_mix(
            M, y, groups, features, folds=folds, seed=seed, tolerance=tolerance,
            params=params, human_false_flag_rate=human_false_flag_rate,
        )  # fmt: skip
        mix = sorted(set(chosen) | {g for g in mix if _kind(y[groups == g]) != "bot"})
        selection.update(
            feature_groups={g: list(v) for g, v in FEATURE_GROUPS.items()},
            feature_path=path,
            dropped_groups=[s["dropped"] for s in path[1:] if s.get("dropped")],
            mix=table,
        )
    selection["features"] = features
    selection["collections"] = mix

    # The left-out and in-collection figures of the chosen model, every feature, the baseline.
    train_on = list(mix)
    variants: dict[str, Fit] = {
        "infoscope": model_fit(features, domain=True, params=params, **fit_args),
    }
    if select and features != list(FEATURES):
        variants["infoscope_all_features"] = model_fit(
            list(FEATURES), domain=True, params=params, **fit_args
        )
    if compare_baseline:
        variants["baseline"] = baseline_fit(**fit_args)
    left_out: dict[str, Any] = {}
    in_collection: dict[str, Any] = {}
    for name, fit in variants.items():
        left_out[name] = leave_one_collection_out(
            M, y, groups, fit, folds=folds, seed=seed, train_on=train_on
        )
        mask = np.isin(groups, train_on)
        cv = in_collection_cv(M[mask], y[mask], groups[mask], fit, folds=folds, seed=seed)
        if name == "infoscope":
            keys = [
                f"{p}/{a}"
                for p, a in zip(
                    X.column("platform").to_pylist(), X.column("account_id").to_pylist(),
                    strict=True,
                )
            ]  # fmt: skip
            langs = np.asarray(
                _description_groups(
                    [descriptions.get(k) for k, m in zip(keys, mask, strict=True) if m]
                )
            )
            oof, ym = cv["_oof"], y[mask]
            cv["by_description_language"] = {
                g: {"n": int(np.sum(langs == g)), "auc": _auc(oof[langs == g], ym[langs == g])}
                for g in sorted(set(langs.tolist()))
            }
        in_collection[name] = _clean(cv)

    mask = np.isin(groups, train_on)
    model = ProfileModelSet(
        features=features,
        random_state=seed,
        human_false_flag_rate=human_false_flag_rate,
        outside_share=outside_share,
    ).fit(M[mask][:, [list(FEATURES).index(f) for f in features]], y[mask], groups[mask])
    model.fit_all()
    full = model.models_.get("all")
    if full is None:
        raise BadParameterError(
            "no collection with both labels carries every field: nothing to train the "
            "complete model on"
        )
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.to_json(out / MODEL_FILE)
    manifest: dict[str, Any] = {
        "model": MODEL_FILE,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "sklearn_version": sklearn.__version__,
        "inputs": [
            info
            for c in collections
            for info in (
                [_file_info(c.profiles, "profiles")]
                + ([_file_info(c.labels, "labels")] if c.labels is not None else [])
            )
        ],
        "collections": {
            c.name: {
                "profiles": c.profiles.name,
                "labels": c.labels.name if c.labels is not None else f"all {c.label}",
                "kind": _kind(y[groups == c.name]) if (groups == c.name).any() else None,
                "trained_on": c.name in mix,
                **counts[c.name],
            }
            for c in collections
        },
        "features": {n: FEATURES[n] for n in features},
        "parameters": {k: v for k, v in full.get_params().items() if k != "features"}
        | {"folds": folds, "seed": seed},
        "field_sets": {
            key: None
            if sub is None
            else {
                "trained_on": model.trained_on_[key],
                "features": len(sub.features_),
                "threshold": _round(sub.threshold_, 6),
                "training_humans_flagged_out_of_fold": _round(sub.threshold_rate_),
            }
            for key, sub in model.models_.items()
        },
        "threshold": {
            "probability": _round(full.threshold_, 6),
            "human_false_flag_rate": human_false_flag_rate,
            "training_humans_flagged_out_of_fold": _round(full.threshold_rate_),
        },
        "domain_check": {
            "measure": DOMAIN_MEASURE,
            "outside_share": outside_share,
            "min_coverage": full.min_coverage,
        },
        "sampling_artifacts": {
            "excluded_by_rule": {
                "verified": "the human collection was sampled as verified accounts",
                "profile_lang, time_zone, utc_offset": "Twitter stopped returning them by the "
                "time the human profiles were fetched (2019), not yet for the bot ones (2017-18)",
            },
            "fields_absent_from_a_collection": {
                f: sorted({str(g) for g in groups[mask] if not _carried_by(M, groups, g, f)})
                for f in features
                if any(not _carried_by(M, groups, g, f) for g in set(groups[mask].tolist()))
            },
            "dropped_by_selection": selection.get("dropped_groups", []),
        },
        "selection": selection,
        "left_out": left_out,
        "in_collection": in_collection,
        "limits": [
            "One human collection: every left-out bot collection is paired with held-out "
            "humans of that same collection, so what its sampling encodes (verified "
            "celebrities and organisations) cannot be found by leaving collections out.",
            "Leaving out the only human collection leaves a one-class training set: not evaluable.",
            "Features and mix are chosen on the same left-out figures that are reported: "
            "slightly optimistic.",
        ],
        "coefficients": {name: _round(full.coef_[j]) for j, name in enumerate(full.features_)}
        | {
            f"{name}_missing": _round(full.coef_[len(full.features_) + k])
            for k, name in enumerate(full.indicators_)
        },
        "training_seconds": round(time.perf_counter() - started, 2),
    }
    (out / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest
