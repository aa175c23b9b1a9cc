"""Automation-likeness: behaviour and profile in one calibrated score, where posts exist.

A profile says little next to what an account does. For an account with enough posts in the
store (``min_posts``, default 20), `ActivityModelSet` combines:

- rhythm: ``interval_cv``, ``interval_entropy``, ``hour_entropy``;
- reaction delays: ``log_reaction_median_s``, ``fast_reaction_share`` (reactions to posts in
  the store);
- repetition: ``duplicate_share``, ``near_duplicate_share``;
- ``share_retweet``;
- ``profile_log_odds``: the profile model's calibrated log-odds, only when the profile is
  inside that model's domain,

in a calibrated logistic regression (`infoscope.authenticity.profile.ProfileModel`: Platt
scaling out of fold, contributions that sum to the log-odds, a threshold at a stated human
false-flag rate, a domain check), one per set of fields (`ACTIVITY_OPTIONAL`: an account
without a profile or without reactions is scored by the model fitted without them, on the
collections that carry them). Every score comes with its evidence: the contributions, the
domain check, the threshold.

Training (`train_activity_model`) takes collections of accounts with posts in a store
(`PostCollection`: by the posts' source files, or one collection per value of an account
label such as the IRA archive's ``account_category``), each labelled ``bot`` (inauthentic),
``human`` (organic) or unlabelled (scored only, never a figure), and reports the same
leave-one-collection-out and in-collection figures as the profile model
(`infoscope.authenticity.train`), against a gradient-boosting baseline on the same features.

**Sampling artifacts** are dropped before fitting, by rule and by the data:

- volume features (posts, active days, posts per day, the median gap) are never used: they
  measure how many of an account's posts the collection holds (a keyword sample against a
  whole timeline) as much as the account;
- a feature that some training collection does not carry (known for under 5% of its accounts,
  e.g. no profiles in a CSV of tweets) is only used by the field set that has it, trained on
  the collections that carry it;
- a feature that a training collection of 30+ accounts holds at one value for 98%+ of them
  while others vary (a collection made without retweets has a retweet share of 0 throughout)
  encodes that collection and is dropped (``dropped``, with the reason, in the manifest).

**What the labels mean.** With the data at hand the inauthentic accounts with posts are the
IRA's, mostly run by hand, and the organic ones come from keyword collections: the score
measures how much an account behaves like those IRA accounts rather than like the organic
ones, with the collections' differences that no rule catches. It is called automation-likeness
because its signals are those of automation, but it proves neither automation nor who runs an
account, and it is not one of the flag families (automation, amplification, persona), which
stay separate.
"""

from __future__ import annotations

import fnmatch
import json
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from infoscope._version import __version__
from infoscope.authenticity.domain import DOMAIN_MEASURE
from infoscope.authenticity.profile import ProfileModelSet, one_thread
from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = [
    "ACTIVITY_FEATURES",
    "ACTIVITY_MANIFEST_FILE",
    "ACTIVITY_MODEL_FILE",
    "ACTIVITY_OPTIONAL",
    "ActivityModelSet",
    "PostCollection",
    "activity_features",
    "collection_members",
    "load_activity_model",
    "profile_log_odds",
    "train_activity_model",
]

ACTIVITY_MODEL_FILE = "activity-model.json"
ACTIVITY_MANIFEST_FILE = "activity-manifest.json"
ACTIVITY_FEATURES: dict[str, str] = {
    "interval_cv": "coefficient of variation of the gaps between posts",
    "interval_entropy": "entropy (bits) of the gaps binned by powers of two",
    "hour_entropy": "entropy (bits) of the posting hour of day, UTC",
    "log_reaction_median_s": "ln(1 + median seconds to its retweets, replies and quotes of "
    "posts in the store)",
    "fast_reaction_share": "share of those reactions within 60 seconds",
    "duplicate_share": "share of its own posts repeating a text it posted before",
    "near_duplicate_share": "share of its own posts nearly repeating one (MinHash/LSH)",
    "share_retweet": "share of retweets among its posts",
    "profile_log_odds": "the profile model's calibrated log-odds, inside its domain only",
}
ACTIVITY_OPTIONAL: dict[str, tuple[str, ...]] = {
    "profile": ("profile_log_odds",),
    "reactions": ("log_reaction_median_s", "fast_reaction_share"),
}
MIN_POSTS = 20
# A collection holding one value for this share of its accounts does not vary on a feature.
DEGENERATE = 0.98
MIN_DEGENERATE_ACCOUNTS = 30
LABELS = ("bot", "human")


class ActivityModelSet(ProfileModelSet):
    """`ProfileModelSet` over `ACTIVITY_FEATURES`: one calibrated model per field set, for
    accounts with at least `min_posts` posts (fewer: too little known)."""

    FORMAT = "infoscope-activity-model-set"
    FORMAT_VERSION = 1
    KIND = "activity"
    DEFAULT_FEATURES: tuple[str, ...] = tuple(ACTIVITY_FEATURES)
    DEFAULT_OPTIONAL: dict[str, tuple[str, ...]] = ACTIVITY_OPTIONAL

    def __init__(
        self,
        features: Sequence[str] | None = None,
        optional: dict[str, tuple[str, ...]] | None = None,
        min_posts: int = MIN_POSTS,
        **model_params: Any,
    ) -> None:
        super().__init__(features, optional, **model_params)
        self.min_posts = min_posts

    def _extra_params(self) -> dict[str, Any]:
        return {"min_posts": self.min_posts}


def load_activity_model(folder: str | Path) -> ActivityModelSet:
    """The activity model `train_activity_model` wrote to `folder` (manifest as
    ``manifest_``). None ships with infoscope: on the IRA archive its boosted baseline beats
    it (README, "Automation-likeness")."""
    path = Path(folder)
    model_file = path / ACTIVITY_MODEL_FILE if path.is_dir() else path
    if not model_file.is_file():
        raise BadParameterError(
            f"no activity model at {folder}: give the folder that `infoscope accounts "
            f"train-activity --out` wrote ({ACTIVITY_MODEL_FILE} and {ACTIVITY_MANIFEST_FILE})"
        )
    model: ActivityModelSet = ActivityModelSet.from_json(model_file)
    manifest = model_file.parent / ACTIVITY_MANIFEST_FILE
    info = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
    model.manifest_ = info  # type: ignore[attr-defined]
    return model


# -- features ------------------------------------------------------------------------------


def _significant(values: np.ndarray, digits: int = 12) -> np.ndarray:
    """`values` rounded to `digits` significant digits (NaN and 0 kept)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.floor(np.log10(np.abs(values)))
    scale = np.where(np.isfinite(magnitude), 10.0 ** (digits - 1 - magnitude), 1.0)
    return np.round(values * scale) / scale


def activity_features(
    behaviour: pa.Table,
    near: dict[tuple[str, str], float] | None = None,
    profile_log_odds: dict[tuple[str, str], float] | None = None,
) -> pa.Table:
    """``platform``, ``account_id``, ``posts`` and every `ACTIVITY_FEATURES` column (NaN
    unknown) for the accounts of `behaviour` (`behaviour.behaviour_features`), with the
    near-duplicate shares `near` and the in-domain profile log-odds `profile_log_odds` by
    (platform, account id)."""
    near = near or {}
    profile = profile_log_odds or {}
    keys = list(
        zip(
            behaviour.column("platform").to_pylist(),
            behaviour.column("account_id").to_pylist(),
            strict=True,
        )
    )

    def column(name: str) -> np.ndarray:
        # The engine aggregates in parallel, so sums come back in any order and may differ in
        # their last bits between runs: 12 significant digits keep training byte-identical.
        values = np.asarray(
            behaviour.column(name).cast(pa.float64()).to_numpy(zero_copy_only=False),
            dtype=np.float64,
        )
        return _significant(values)

    reaction = column("reaction_median_s")
    cols: dict[str, Any] = {
        "platform": [k[0] for k in keys],
        "account_id": [k[1] for k in keys],
        "posts": behaviour.column("posts").cast(pa.int64()),
        "interval_cv": column("interval_cv"),
        "interval_entropy": column("interval_entropy"),
        "hour_entropy": column("hour_entropy"),
        "log_reaction_median_s": np.log1p(np.maximum(reaction, 0.0)),
        "fast_reaction_share": column("fast_reaction_share"),
        "duplicate_share": column("duplicate_share"),
        "near_duplicate_share": np.asarray([near.get(k, math.nan) for k in keys], dtype=float),
        "share_retweet": column("share_retweet"),
        "profile_log_odds": np.asarray([profile.get(k, math.nan) for k in keys], dtype=float),
    }
    assert list(cols)[3:] == list(ACTIVITY_FEATURES)
    return pa.table(cols)


def profile_log_odds(store: Store, platform: str | None = None) -> dict[tuple[str, str], float]:
    """The shipped profile model's log-odds of the accounts whose profile is inside its
    domain."""
    from infoscope.authenticity.profile import load_shipped_model, profile_features

    model = load_shipped_model()
    table = profile_features(store, platform=platform)
    if table.num_rows == 0:
        return {}
    z = model.decision_function(table)
    status = model.check_domain(table)["status"]
    keys = zip(table.column("platform").to_pylist(), table.column("account_id").to_pylist(),
               strict=True)  # fmt: skip
    return {
        k: float(v)
        for k, v, s in zip(keys, z, status, strict=True)
        if s == "inside" and not math.isnan(v)
    }


# -- collections ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PostCollection:
    """Accounts with posts in a store, as one labelled collection (``bot``, ``human``, or
    None: scored, never counted in a figure).

    Chosen by `source`, a pattern (``fnmatch``, e.g. ``*brexit*``) over the posts' source
    files, or by `label_key`: every account carrying that label, one collection per value
    (named after the value) unless `label_value` keeps one.
    """

    name: str
    label: str | None
    source: str | None = None
    label_key: str | None = None
    label_value: str | None = None

    def __post_init__(self) -> None:
        if self.label is not None and self.label not in LABELS:
            raise BadParameterError(f"collection {self.name}: label must be bot, human or none")
        if (self.source is None) == (self.label_key is None):
            raise BadParameterError(
                f"collection {self.name}: give either a source pattern or a label key"
            )


def collection_members(
    store: Store, collections: Sequence[PostCollection]
) -> tuple[dict[tuple[str, str], tuple[str, str | None]], dict[str, dict[str, Any]]]:
    """(platform, account id) -> (collection, label) for the accounts of `collections` (the
    first collection naming an account keeps it; an account in a bot and a human collection is
    left out), and per collection its counts."""
    sources = [
        r[0] for r in store.con.execute("SELECT DISTINCT source FROM posts ORDER BY 1").fetchall()
    ]
    members: dict[tuple[str, str], tuple[str, str | None]] = {}
    labels_of: dict[tuple[str, str], set[str]] = {}
    counts: dict[str, dict[str, Any]] = {}
    for c in collections:
        if c.source is not None:
            chosen = [s for s in sources if s is not None and fnmatch.fnmatch(s, c.source)]
            rows = store.con.execute(
                "SELECT DISTINCT platform, account_id, ? FROM posts WHERE account_id IS NOT NULL "
                "AND list_contains(?, source) ORDER BY 1, 2",
                [c.name, chosen],
            ).fetchall()
        else:
            rows = store.con.execute(
                "SELECT DISTINCT platform, account_id, label_value FROM account_labels "
                "WHERE label_key = ? AND (? IS NULL OR label_value = ?) ORDER BY 1, 2",
                [c.label_key, c.label_value, c.label_value],
            ).fetchall()
        for p, a, value in rows:
            name = c.name if c.source is not None or c.label_value else f"{value}"
            key = (p, a)
            if c.label is not None:
                labels_of.setdefault(key, set()).add(c.label)
            if key not in members:
                members[key] = (name, c.label)
                count = counts.setdefault(name, {"label": c.label, "accounts": 0})
                count["accounts"] += 1
    conflicting = {k for k, v in labels_of.items() if len(v) > 1}
    for key in conflicting:
        name = members.pop(key)[0]
        counts[name]["accounts"] -= 1
        counts[name]["conflicting_labels"] = counts[name].get("conflicting_labels", 0) + 1
    return members, counts


def _degenerate(M: np.ndarray, groups: np.ndarray, names: Sequence[str]) -> dict[str, str]:
    """Features a collection holds at one value for `DEGENERATE` of its accounts while other
    collections vary: feature -> the reason."""
    out: dict[str, str] = {}
    collections = sorted(set(groups.tolist()))
    for j, name in enumerate(names):
        for c in collections:
            values = M[groups == c, j]
            values = values[~np.isnan(values)]
            if len(values) < MIN_DEGENERATE_ACCOUNTS:
                continue
            uniques, counts = np.unique(values, return_counts=True)
            share = counts.max() / len(values)
            if share < DEGENERATE:
                continue
            others = M[groups != c, j]
            others = others[~np.isnan(others)]
            if len(others) and np.mean(others == uniques[counts.argmax()]) < DEGENERATE:
                out[name] = (
                    f"{c} holds {uniques[counts.argmax()]:g} for {share:.1%} of its accounts: "
                    f"it was collected without variation in it"
                )
                break
    return out


# -- training ------------------------------------------------------------------------------


def train_activity_model(
    store: Store,
    collections: Sequence[PostCollection],
    out_dir: str | Path,
    *,
    min_posts: int = MIN_POSTS,
    seed: int = 0,
    folds: int = 5,
    human_false_flag_rate: float = 0.05,
    outside_share: float = 0.05,
    near_duplicates: bool = True,
    compare_baseline: bool = True,
    progress: Any = None,
) -> dict[str, Any]:
    """Train the activity model on `collections` of the store's accounts with at least
    `min_posts` posts; write ``out_dir/activity-model.json`` and
    ``out_dir/activity-manifest.json`` and return the manifest (left-out and in-collection
    figures of the model and of the baseline, the unlabelled collections' scores, the features
    dropped as sampling artifacts). The store is only read."""
    from infoscope.authenticity.behaviour import behaviour_features, near_duplicate_shares

    say = progress or (lambda message: None)
    started = time.perf_counter()
    members, counts = collection_members(store, collections)
    if not members:
        raise BadParameterError("no account of the store belongs to these collections")
    say("computing behaviour features")
    behaviour = behaviour_features(store)
    near = near_duplicate_shares(store, None, say) if near_duplicates else {}
    say("scoring profiles")
    profiles = profile_log_odds(store)
    table = activity_features(behaviour, near, profiles)
    keys = list(
        zip(table.column("platform").to_pylist(), table.column("account_id").to_pylist(),
            strict=True)
    )  # fmt: skip
    posts = table.column("posts").to_numpy()
    rows = [i for i, k in enumerate(keys) if k in members and posts[i] >= min_posts]
    names = list(ACTIVITY_FEATURES)
    M = np.column_stack(
        [table.column(n).to_numpy(zero_copy_only=False).astype(np.float64) for n in names]
    )[rows]
    groups = np.asarray([members[keys[i]][0] for i in rows], dtype=object)
    label = [members[keys[i]][1] for i in rows]
    for name in counts:
        counts[name]["with_enough_posts"] = int(np.sum(groups == name))
    labelled = np.asarray([lab is not None for lab in label])
    y = np.asarray([1 if lab == "bot" else 0 for lab in label], dtype=np.int64)
    if len(np.unique(y[labelled])) < 2:
        raise BadParameterError(
            f"the labelled collections with {min_posts}+ posts per account need both bots and "
            "humans"
        )
    with one_thread():
        return _train_activity(
            M, y, groups, labelled, names, counts, collections, out_dir, started,
            min_posts=min_posts, seed=seed, folds=folds,
            human_false_flag_rate=human_false_flag_rate, outside_share=outside_share,
            compare_baseline=compare_baseline, store=store,
        )  # fmt: skip


def _train_activity(
    M: np.ndarray,
    y: np.ndarray,
    groups: np.ndarray,
    labelled: np.ndarray,
    names: list[str],
    counts: dict[str, dict[str, Any]],
    collections: Sequence[PostCollection],
    out_dir: str | Path,
    started: float,
    *,
    min_posts: int,
    seed: int,
    folds: int,
    human_false_flag_rate: float,
    outside_share: float,
    compare_baseline: bool,
    store: Store,
) -> dict[str, Any]:
    import sklearn

    from infoscope.authenticity.train import (
        _clean,
        _Columns,
        baseline_fit,
        in_collection_cv,
        leave_one_collection_out,
    )

    Ml, yl, gl = M[labelled], y[labelled], groups[labelled]
    dropped = _degenerate(Ml, gl, names)
    features = [n for n in names if n not in dropped]
    index = [names.index(f) for f in features]
    params: dict[str, Any] = {
        "random_state": seed,
        "human_false_flag_rate": human_false_flag_rate,
        "outside_share": outside_share,
    }

    def fit(Mt: np.ndarray, yt: np.ndarray, gt: np.ndarray) -> Any:
        model = ActivityModelSet(features=features, min_posts=min_posts, **params)
        return _Columns(model.fit(Mt[:, index], yt, gt), index)

    variants: dict[str, Any] = {"infoscope": fit}
    if compare_baseline:
        variants["baseline"] = baseline_fit(
            features, seed=seed, human_false_flag_rate=human_false_flag_rate, names=names
        )
    left_out: dict[str, Any] = {}
    in_collection: dict[str, Any] = {}
    for name, f in variants.items():
        left_out[name] = leave_one_collection_out(
            Ml, yl, gl, f, folds=folds, seed=seed, names=names
        )
        in_collection[name] = _clean(in_collection_cv(Ml, yl, gl, f, folds=folds, seed=seed))
    model = ActivityModelSet(features=features, min_posts=min_posts, **params)
    model.fit(Ml[:, index], yl, gl).fit_all()
    full = model.models_.get(model._resolve("all"))
    # The unlabelled collections: scored by the final model, never a figure.
    unlabelled: dict[str, Any] = {}
    for name in sorted(set(groups[~labelled].tolist())):
        here = (~labelled) & (groups == name)
        X = M[here][:, index]
        p = model.predict_proba(X)
        check = model.check_domain(X)
        inside = np.asarray(check["status"]) == "inside"
        unlabelled[name] = {
            "accounts": int(here.sum()),
            "outside": _share(np.asarray(check["status"]) == "outside"),
            "too_little_known": _share(np.asarray(check["status"]) == "too_little_known"),
            "median_inside": _round(float(np.median(p[inside]))) if inside.any() else None,
            "above_threshold_inside": _share((p >= model.thresholds(X))[inside])
            if inside.any()
            else None,
        }
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    model.to_json(out / ACTIVITY_MODEL_FILE)
    sources = {
        r[0]
        for r in store.con.execute("SELECT DISTINCT source FROM posts").fetchall()
        if r[0] is not None
    }
    manifest: dict[str, Any] = {
        "model": ACTIVITY_MODEL_FILE,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "sklearn_version": sklearn.__version__,
        "min_posts": min_posts,
        "collections": {name: count for name, count in sorted(counts.items())},
        "selectors": [{k: v for k, v in c.__dict__.items() if v is not None} for c in collections],
        "sources": sorted(
            {
                s.split("!")[0]
                for s in sources
                if any(c.source and fnmatch.fnmatch(s, c.source) for c in collections)
            }
        ),
        "features": {n: ACTIVITY_FEATURES[n] for n in features},
        "sampling_artifacts": {
            "excluded_by_rule": "volume features (posts, active days, posts per day, the "
            "median gap): they measure the collection's sampling of an account's posts",
            "dropped": dropped,
        },
        "field_sets": {
            key: None
            if sub is None
            else {
                "trained_on": model.trained_on_[key],
                "features": sub.features_,
                "threshold": _round(sub.threshold_, 6),
                "training_humans_flagged_out_of_fold": _round(sub.threshold_rate_),
            }
            for key, sub in model.models_.items()
        },
        "threshold": {"human_false_flag_rate": human_false_flag_rate},
        "domain_check": {"measure": DOMAIN_MEASURE, "outside_share": outside_share},
        "left_out": left_out,
        "in_collection": in_collection,
        "unlabelled": unlabelled,
        "coefficients": {}
        if full is None
        else {n: _round(full.coef_[j]) for j, n in enumerate(full.features_)},
        "caveat": "The inauthentic accounts are those attributed to the IRA, mostly run by "
        "hand; the organic ones come from keyword collections. The score measures likeness "
        "to the former against the latter, not automation, and never who runs an account.",
        "training_seconds": round(time.perf_counter() - started, 2),
    }
    (out / ACTIVITY_MANIFEST_FILE).write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return manifest


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), digits)


def _share(mask: np.ndarray) -> float | None:
    return _round(float(np.mean(mask))) if len(mask) else None
