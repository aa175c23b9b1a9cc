"""The profile model's domain check, field sets, stated-rate thresholds and the
leave-one-collection-out evaluation, on small synthetic collections."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from infoscope.authenticity.domain import DomainCheck
from infoscope.authenticity.profile import (
    FEATURES,
    OPTIONAL_FIELDS,
    ProfileModel,
    ProfileModelSet,
    human_threshold,
)
from infoscope.authenticity.train import (
    in_collection_cv,
    leave_one_collection_out,
    model_fit,
)
from infoscope.errors import BadParameterError


def collections(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Three collections over every profile feature: humans (old, followed, long
    descriptions), fast-following bots, and young bots with digits in their handles."""
    rng = np.random.default_rng(seed)
    sizes = {"humans": 240, "followers": 160, "young": 120}
    rows, labels, groups = [], [], []
    for name, n in sizes.items():
        M = rng.normal(0, 1, (n, len(FEATURES)))
        col = {f: j for j, f in enumerate(FEATURES)}
        if name == "followers":
            M[:, col["log_following_per_day"]] += 3
            M[:, col["log_followers"]] -= 2
        if name == "young":
            M[:, col["age_days"]] -= 3
            M[:, col["handle_digits"]] += 3
        if name == "humans":
            M[:, col["description_length"]] += 1.5
        rows.append(M)
        labels += [0 if name == "humans" else 1] * n
        groups += [name] * n
    return (
        np.vstack(rows),
        np.asarray(labels, dtype=np.int64),
        np.asarray(groups, dtype=object),
    )


# -- the domain check -----------------------------------------------------------------------


def test_domain_check_flags_a_made_up_profile_far_from_training_data():
    M, y, g = collections()
    model = ProfileModel(random_state=1).fit(M, y, g)
    typical = M[:3]
    # A profile no training collection resembles: every count ten standard deviations out.
    far = np.full((1, len(FEATURES)), 10.0)
    check = model.check_domain(np.vstack([typical, far]))
    assert list(check["status"][:3]) == ["inside"] * 3
    assert check["status"][3] == "outside"
    assert check["typicality"][3] == 0.0 < min(check["typicality"][:3])
    assert check["nearest"][0] == "humans"
    # The evidence: the features furthest from the nearest collection, in its sd.
    atypical = model.atypical(np.vstack([typical, far]), 3)
    assert len(atypical) == 3 and all(abs(a["sd"]) > 4 for a in atypical)
    # The model still computes a number for it: the check is what says not to trust it.
    assert 0 <= model.predict_proba(far)[0] <= 1


def test_domain_check_needs_enough_of_the_model_weight_known():
    M, y, g = collections()
    model = ProfileModel(random_state=1).fit(M, y, g)
    handle_only = np.full((1, len(FEATURES)), np.nan)
    handle_only[0, list(FEATURES).index("handle_length")] = 0.0
    check = model.check_domain(handle_only)
    assert check["status"][0] == "too_little_known"
    assert check["coverage"][0] < 0.5


def test_about_the_stated_share_of_training_accounts_is_outside():
    M, _, g = collections()
    check = DomainCheck(outside_share=0.05, random_state=0).fit(M, g, list(FEATURES))
    # Out of fold, 5% of the training accounts fall below the cutoff; scored in sample
    # (their own collection fitted with them) fewer do.
    assert np.mean(check.check(M)["status"] == "outside") <= 0.05
    again = DomainCheck.from_dict(check.to_dict())
    assert np.array_equal(again.check(M)["typicality"], check.check(M)["typicality"])
    with pytest.raises(BadParameterError, match="outside_share"):
        DomainCheck(outside_share=1.5)


# -- thresholds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "y", "rate", "flagged_humans"),
    [
        # 20 humans at 0.00 .. 0.95, a 10% rate: at most 2 humans flagged.
        (np.arange(20) / 20, np.zeros(20), 0.1, 2),
        ([0.1, 0.2, 0.9, 0.9], [0, 0, 0, 1], 0.0, 0),  # no human may be flagged
        ([0.3, 0.3, 0.3], [0, 0, 0], 0.5, 0),  # ties: the rate is never exceeded
    ],
)
def test_threshold_flags_at_most_the_stated_share_of_humans(p, y, rate, flagged_humans):
    p, y = np.asarray(p, dtype=float), np.asarray(y)
    t = human_threshold(p, y, rate)
    assert np.sum((p >= t) & (y == 0)) == flagged_humans
    assert human_threshold(p[y == 1], y[y == 1], rate) == math.inf


def test_model_threshold_is_chosen_out_of_fold_at_the_stated_rate():
    M, y, g = collections()
    model = ProfileModel(human_false_flag_rate=0.1, random_state=0).fit(M, y, g)
    assert model.threshold_rate_ <= 0.1
    assert np.mean(model.oof_probability_[y == 0] >= model.threshold_) <= 0.1
    assert model.threshold_ != 0.5
    data = model.to_dict()
    assert data["threshold"]["human_false_flag_rate"] == 0.1
    assert ProfileModel.from_dict(data).threshold_ == model.threshold_


# -- fields a collection does not carry --------------------------------------------------------


def test_a_field_absent_from_a_whole_collection_gets_no_missing_indicator():
    M, y, g = collections()
    M = M.copy()
    age = list(FEATURES).index("age_days")
    desc = list(FEATURES).index("description_length")
    M[g == "young", age] = np.nan  # the young bots' source has no fetch time at all
    M[::7, desc] = np.nan  # descriptions missing here and there, in every collection
    model = ProfileModel(random_state=0).fit(M, y, g)
    assert model.absent_ == {"age_days": ["young"]}
    assert "age_days" not in model.indicators_  # its absence marks the collection
    assert "description_length" in model.indicators_


def test_each_profile_is_scored_by_the_model_of_the_fields_it_has():
    M, y, g = collections()
    models = ProfileModelSet(random_state=0).fit(M, y, g).fit_all()
    assert set(models.models_) == {
        "all",
        "without fetch_time",
        "without theme",
        "without fetch_time, theme",
    }
    no_time = M[:2].copy()
    no_time[:, [list(FEATURES).index(f) for f in OPTIONAL_FIELDS["fetch_time"]]] = np.nan
    assert models.field_set(np.vstack([M[:1], no_time])) == ["all"] + ["without fetch_time"] * 2
    sub = models.models_["without fetch_time"]
    assert "age_days" not in sub.features_
    # Contributions plus the row's intercept give its log-odds, whatever its field set.
    X = np.vstack([M[:3], no_time])
    z = models.decision_function(X)
    assert np.allclose(models.contributions(X).sum(axis=1) + models.intercepts(X), z)
    thresholds = models.thresholds(X)
    assert thresholds[0] == models.models_["all"].threshold_
    assert thresholds[-1] == sub.threshold_
    again = ProfileModelSet.from_dict(models.to_dict())
    assert np.array_equal(again.predict_proba(X), models.predict_proba(X))


# -- leave one collection out -------------------------------------------------------------------


class Recording:
    """A fit that remembers the rows each model was trained on (by a row id column)."""

    def __init__(self) -> None:
        self.trained: list[set[int]] = []
        self.scored: list[set[int]] = []
        self.inner = model_fit(list(FEATURES), domain=False)

    def __call__(self, M: np.ndarray, y: np.ndarray, g: np.ndarray) -> Any:
        self.trained.append(set(M[:, -1].astype(int).tolist()))
        model = self.inner(M[:, :-1], y, g)
        outer = self

        class Scorer:
            threshold_ = model.threshold_

            def predict_proba(self, X: np.ndarray) -> np.ndarray:
                outer.scored.append(set(X[:, -1].astype(int).tolist()))
                return model.predict_proba(X[:, :-1])

            def thresholds(self, X: np.ndarray) -> np.ndarray:
                return model.thresholds(X[:, :-1])

            def check_domain(self, X: np.ndarray) -> None:
                return None

        return Scorer()


def test_a_left_out_collection_is_never_trained_on_nor_its_paired_humans():
    M, y, g = collections()
    ids = np.arange(len(M), dtype=float)[:, None]
    fit = Recording()
    names = [*FEATURES, "row"]
    out = leave_one_collection_out(
        np.hstack([M, ids]), y, g, fit, folds=4, seed=0, only=["young"], names=names
    )
    young = set(np.flatnonzero(g == "young").tolist())
    assert len(fit.trained) == 4
    for trained, scored in zip(fit.trained, fit.scored, strict=True):
        assert not trained & young  # the left-out bots: in no training set
        assert not trained & scored  # nothing a model scores was in its training set
    r = out["young"]
    assert r["evaluable"] and r["kind"] == "bot" and r["accounts"] == 120
    assert r["paired"] == {"accounts": 240, "class": "human", "collections": ["humans"],
                           "folds": 4}  # fmt: skip
    # The young bots share nothing with the bots trained on but shorter descriptions: left
    # out, they are barely told from humans, where ordinary cross-validation (which trains
    # on young bots too) finds them all. That gap is what leaving collections out measures.
    pooled = in_collection_cv(M, y, g, model_fit(list(FEATURES), domain=False), folds=4)
    assert pooled["collections"]["young"]["auc"] > 0.95
    assert r["auc"] < pooled["collections"]["young"]["auc"] - 0.2
    assert r["human_false_flag_rate"] <= 0.1


def test_the_domain_check_marks_an_unseen_kind_of_bot_outside():
    M, y, g = collections()
    out = leave_one_collection_out(
        M, y, g, model_fit(list(FEATURES), domain=True), folds=3, only=["young", "followers"]
    )
    # Young bots (3 sd younger, 3 sd more digits) are unlike anything the others hold.
    assert out["young"]["domain"]["left_out_outside"] > 0.5
    # Held-out humans are like the training humans: about the stated 5% are outside.
    assert out["young"]["domain"]["paired_outside"] < 0.15


def test_leaving_out_the_only_human_collection_is_not_evaluable():
    M, y, g = collections()
    out = leave_one_collection_out(M, y, g, model_fit(list(FEATURES), domain=False), folds=3)
    assert out["humans"]["evaluable"] is False
    assert "no human to learn from" in out["humans"]["reason"]
    assert out["followers"]["evaluable"] and out["young"]["evaluable"]


def test_paired_accounts_hide_the_fields_the_left_out_collection_lacks():
    M, y, g = collections()
    M = M.copy()
    theme = [list(FEATURES).index(f) for f in OPTIONAL_FIELDS["theme"]]
    M[np.ix_(np.flatnonzero(g == "young"), theme)] = np.nan
    out = leave_one_collection_out(
        M, y, g, model_fit(list(FEATURES), domain=True), folds=3, only=["young"]
    )
    assert out["young"]["hidden_fields"] == list(OPTIONAL_FIELDS["theme"])
    assert 0 <= out["young"]["domain"]["left_out_outside"] <= 1


def test_in_collection_figures_pool_every_collection():
    M, y, g = collections()
    cv = in_collection_cv(M, y, g, model_fit(list(FEATURES), domain=False), folds=3)
    assert cv["n"] == len(y) and set(cv["collections"]) == {"humans", "followers", "young"}
    assert cv["collections"]["young"]["auc"] > 0.9
    assert sum(b["count"] for b in cv["reliability"]) == len(y)


def test_model_set_refuses_one_class_and_reports_rows_it_cannot_score():
    M, y, g = collections()
    with pytest.raises(BadParameterError, match="both present"):
        ProfileModelSet().fit(M, np.ones(len(M)))
    with pytest.raises(BadParameterError, match="not fitted"):
        ProfileModelSet().field_set(M)
    models = ProfileModelSet(random_state=0).fit(M, y, g)
    empty = np.full((1, len(FEATURES)), np.nan)
    assert math.isnan(models.predict_proba(empty)[0])
    table = pa.table({n: M[:2, j] for j, n in enumerate(FEATURES)})
    assert models.predict_proba(table).shape == (2,)
