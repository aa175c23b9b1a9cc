"""Training and evaluation of the profile model (`infoscope.authenticity.profile`).

Training (`train_profile_model`)
--------------------------------
One call ingests labelled Bot Repository files into a temporary store, builds the features,
runs stratified k-fold cross-validation and reports (in ``manifest.json``) ROC AUC, precision,
recall and F1 at 0.5 and at the F1-best threshold (chosen on the other folds' scores for each
held-out fold), the Brier score, a 10-bin reliability table, the same per language group, a
variant without the popularity features (followers and listed counts) and a gradient-boosting
comparison; then fits on all accounts and writes ``profile-model.json`` and the manifest.

The pieces are usable alone: `labelled_features` (the labelled accounts' features and labels
from a store), `cross_validate` (out-of-fold figures of a `ProfileModel`) and
`reliability_table`. The F1-best threshold is `infoscope.common.calibration.best_threshold`
and the description languages come from `infoscope.common.langid`, as everywhere else.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from infoscope._version import __version__
from infoscope.authenticity.profile import (
    APPEARANCE_FEATURES,
    FEATURES,
    MANIFEST_FILE,
    MODEL_FILE,
    POPULARITY_FEATURES,
    ProfileModel,
    _matrix,
    profile_features,
)
from infoscope.common.calibration import best_threshold
from infoscope.common.langid import language_or_none
from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = [
    "LABEL_KEY",
    "cross_validate",
    "labelled_features",
    "reliability_table",
    "train_profile_model",
]

LABEL_KEY = "botrepo_label"


# -- evaluation ----------------------------------------------------------------------------


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def _at(p: np.ndarray, y: np.ndarray, threshold: float | np.ndarray) -> dict[str, float | None]:
    predicted = p >= threshold
    tp = int(np.sum(predicted & (y == 1)))
    fp = int(np.sum(predicted & (y == 0)))
    fn = int(np.sum(~predicted & (y == 1)))
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else None
    return {
        "precision": _round(precision),
        "recall": _round(recall),
        "f1": _round(f1),
        "accuracy": _round(float(np.mean(predicted == (y == 1)))) if len(y) else None,
    }


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


def _metrics(
    p: np.ndarray, y: np.ndarray, held_out_threshold: np.ndarray | None = None
) -> dict[str, Any]:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    both = len(np.unique(y)) == 2
    out: dict[str, Any] = {
        "n": len(y),
        "bots": int(y.sum()),
        "humans": int(len(y) - y.sum()),
        "roc_auc": _round(float(roc_auc_score(y, p))) if both else None,
        "brier": _round(float(brier_score_loss(y, p, labels=[0, 1]))) if len(y) else None,
        "mean_probability": _round(float(p.mean())) if len(y) else None,
        "at_0.5": _at(p, y, 0.5),
    }
    if held_out_threshold is not None:
        out["at_f1_best"] = _at(p, y, held_out_threshold)
    return out


def _groups(values: list[str | None]) -> list[str]:
    out = []
    for v in values:
        if v is None or v == "":
            out.append("unknown")
        elif v.lower() == "en" or v.lower().startswith("en-"):
            out.append("en")
        else:
            out.append("other")
    return out


def _description_languages(descriptions: list[str | None]) -> list[str | None]:
    """The language of each description, None when under 10 characters (once URLs, mentions
    and hashtags are removed) or identified with a probability under 0.5."""
    return [language_or_none(text, min_confidence=0.5, min_chars=10) for text in descriptions]


def cross_validate(
    X: pa.Table,
    y: np.ndarray,
    *,
    features: Sequence[str],
    folds: int,
    seed: int,
    groups: dict[str, list[str]] | None = None,
    params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Out-of-fold figures of a `ProfileModel` on `features` (stratified, seeded folds).

    Overall and per group (each entry of `groups` gives a group name per row): ROC AUC,
    Brier score, precision, recall, F1 and accuracy at 0.5 and at the F1-best threshold (for
    each held-out fold, the threshold maximising F1 on the other folds' out-of-fold scores),
    and the overall reliability table.
    """
    from sklearn.model_selection import StratifiedKFold

    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    oof = np.empty(len(y))
    fold_of = np.empty(len(y), dtype=np.int64)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(y)), y)):
        model = ProfileModel(features=list(features), random_state=seed, **(params or {}))
        model.fit(X.take(train), y[train])
        oof[test] = model.predict_proba(X.take(test))
        fold_of[test] = k
    thresholds = np.empty(len(y))
    fold_thresholds = []
    for k in range(folds):
        # The other folds are fold k's training rows: its model's fit required both classes
        # there, so the threshold is finite (best_threshold is inf without a positive).
        other = fold_of != k
        t = best_threshold(oof[other], y[other])
        thresholds[fold_of == k] = t
        fold_thresholds.append(_round(t))
    out = _metrics(oof, y, thresholds)
    out["f1_best_threshold"] = {
        "overall": _round(best_threshold(oof, y)),
        "per_fold": fold_thresholds,
    }
    out["reliability"] = reliability_table(oof, y)
    for name, labels in (groups or {}).items():
        names = np.asarray(labels, dtype=object)
        out[name] = {
            g: _metrics(oof[names == g], y[names == g], thresholds[names == g])
            for g in sorted(set(labels))
        }
    out["_oof"] = oof
    return out


def _boosting_cv(
    X: pa.Table, y: np.ndarray, features: Sequence[str], folds: int, seed: int
) -> dict[str, Any]:
    """ROC AUC and Brier score of a histogram gradient boosting on the same folds."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    M = _matrix(X, list(features))
    oof = np.empty(len(y))
    splitter = StratifiedKFold(folds, shuffle=True, random_state=seed)
    for train, test in splitter.split(M, y):
        gb = HistGradientBoostingClassifier(random_state=seed).fit(M[train], y[train])
        oof[test] = gb.predict_proba(M[test])[:, 1]
    return {
        "model": "HistGradientBoostingClassifier (default parameters, NaN handled natively)",
        "roc_auc": _round(float(roc_auc_score(y, oof))),
        "brier": _round(float(brier_score_loss(y, oof))),
    }


# -- training ------------------------------------------------------------------------------


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


def labelled_features(store: Store) -> tuple[pa.Table, np.ndarray, dict[str, int]]:
    """The features of the accounts labelled ``botrepo_label`` human or bot, their labels
    (1 = bot) and counts (used per label; left out: labelled accounts without a profile and
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
    rows, target = [], []
    for i, key in enumerate(
        zip(
            features.column("platform").to_pylist(),
            features.column("account_id").to_pylist(),
            strict=True,
        )
    ):
        found = keyed.get(key)
        if found is not None and found[1] == 1:
            rows.append(i)
            target.append(1 if found[0] == "bot" else 0)
    y = np.asarray(target, dtype=np.int64)
    featured = {
        key
        for key in zip(
            features.column("platform").to_pylist(),
            features.column("account_id").to_pylist(),
            strict=True,
        )
    }
    counts = {
        "bot": int(y.sum()),
        "human": int(len(y) - y.sum()),
        "labelled_without_profile": sum(1 for key in keyed if key not in featured),
        "conflicting_labels": sum(1 for _, k in keyed.values() if k > 1),
        "profiles_without_label": len(featured) - len(set(featured) & set(keyed)),
    }
    return features.take(rows), y, counts


def train_profile_model(
    profile_paths: Sequence[str | Path],
    label_paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    seed: int = 0,
    folds: int = 5,
    compare_boosting: bool = True,
) -> dict[str, Any]:
    """Train, cross-validate and save the profile model; returns the manifest.

    `profile_paths` are profile files (format detected, e.g. ``botrepo-profiles``) and
    `label_paths` Bot Repository label files (``botrepo-labels``: ``<id><TAB>human|bot``).
    They are ingested into a temporary store; the labelled accounts with a profile are
    cross-validated (`folds` stratified folds shuffled with `seed`) with every feature and
    without the popularity features (`POPULARITY_FEATURES`), per language group of
    ``profile_lang`` and of the description's detected language, and against gradient
    boosting (`compare_boosting`). Then a model fitted on all of them is written to
    ``out_dir/profile-model.json`` with ``out_dir/manifest.json`` (inputs with their sha256,
    counts, features, parameters, seed, CV figures, versions, training date).
    """
    import sklearn

    from infoscope.ingest import ingest

    if folds < 2:
        raise BadParameterError(f"folds must be at least 2, got {folds}")
    started = time.perf_counter()
    profiles = [Path(p) for p in profile_paths]
    label_files = [Path(p) for p in label_paths]
    for path in [*profiles, *label_files]:
        if not path.is_file():
            raise BadParameterError(f"{path}: no such file")
    with (
        tempfile.TemporaryDirectory(prefix="infoscope-train-") as tmp,
        Store.open(Path(tmp) / "train.duckdb") as store,
    ):
        ingest(store, profiles)
        ingest(store, label_files, format="botrepo-labels")
        X, y, counts = labelled_features(store)
        langs = store.con.sql(
            "SELECT platform, account_id, profile_lang, description FROM accounts"
        ).to_arrow_table()
    if counts["bot"] < folds or counts["human"] < folds:
        raise BadParameterError(
            f"too few labelled profiles for {folds} folds: {counts['bot']} bots, "
            f"{counts['human']} humans"
        )
    by_key = {
        (p, a): (lang, text)
        for p, a, lang, text in zip(
            *(langs.column(c).to_pylist() for c in langs.column_names), strict=True
        )
    }
    keys = list(
        zip(X.column("platform").to_pylist(), X.column("account_id").to_pylist(), strict=True)
    )
    groups = {
        "by_profile_lang": _groups([by_key[k][0] for k in keys]),
        "by_description_language": _groups(_description_languages([by_key[k][1] for k in keys])),
    }
    names = list(FEATURES)
    variants = {
        "all_features": names,
        "without_popularity": [n for n in names if n not in POPULARITY_FEATURES],
        "appearance_only": list(APPEARANCE_FEATURES),
    }
    params = ProfileModel(random_state=seed).get_params()
    cv: dict[str, Any] = {}
    for variant, features in variants.items():
        cv[variant] = cross_validate(X, y, features=features, folds=folds, seed=seed, groups=groups)
        cv[variant].pop("_oof")
    if compare_boosting:
        cv["gradient_boosting"] = {
            variant: _boosting_cv(X, y, variants[variant], folds, seed)
            for variant in ("all_features", "without_popularity")
        }
    model = ProfileModel(features=names, random_state=seed).fit(X, y)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.to_json(out / MODEL_FILE)
    manifest: dict[str, Any] = {
        "model": MODEL_FILE,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "sklearn_version": sklearn.__version__,
        "inputs": [_file_info(p, "profiles") for p in profiles]
        + [_file_info(p, "labels") for p in label_files],
        "counts": counts,
        "features": {n: FEATURES[n] for n in names},
        "popularity_features": list(POPULARITY_FEATURES),
        "appearance_features": list(APPEARANCE_FEATURES),
        "parameters": {k: v for k, v in params.items() if k != "features"},
        "seed": seed,
        "folds": folds,
        "variants": {
            "all_features": "every feature (the shipped model)",
            "without_popularity": "without the popularity features (popularity_features)",
            "appearance_only": "screen name, profile texts and theme flags: no count, age or rate",
        },
        "cv": cv,
        "coefficients": {name: _round(model.coef_[j]) for j, name in enumerate(model.features_)}
        | {
            f"{name}_missing": _round(model.coef_[len(names) + k])
            for k, name in enumerate(model.indicators_)
        },
        "training_seconds": round(time.perf_counter() - started, 2),
    }
    (out / MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest
