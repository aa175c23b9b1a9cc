"""Profile-only authenticity: features computed in the store, the model, its JSON, training.

Small hand-built accounts: Bot Repository items written under tmp_path (fetch time in the
wrapper, v1.1 user fields), or rows inserted straight into the store's tables.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from infoscope.authenticity.profile import (
    FEATURES,
    ProfileModel,
    ProfileModelSet,
    load_shipped_model,
    profile_features,
)
from infoscope.authenticity.train import reliability_table, train_profile_model
from infoscope.errors import BadParameterError
from infoscope.ingest import ingest

from .conftest import run_cli, shared

FETCHED = datetime(2019, 1, 11, tzinfo=UTC)


def _tw(when: datetime) -> str:
    return when.strftime("%a %b %d %H:%M:%S +0000 %Y")


def _item(uid: int, handle: str, *, fetched: datetime = FETCHED, **user: Any) -> dict[str, Any]:
    return {
        "created_at": _tw(fetched),
        "user": {"id": uid, "id_str": str(uid), "screen_name": handle, **user},
    }


def _write_profiles(path: Path, items: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def _features(store, **kw) -> dict[str, dict[str, Any]]:
    table = profile_features(store, **kw)
    return {r["account_id"]: r for r in table.to_pylist()}


def _insert_accounts(store, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        store.con.execute(f"INSERT INTO accounts ({cols}) VALUES ({marks})", list(row.values()))


# -- features --------------------------------------------------------------------------------


def test_feature_values_exact(store, tmp_path):
    items = [
        # Followers count first: the format is detected from the first item.
        _item(
            1,
            "guowei534",
            name="Guo Wei",
            description="hello",
            location="Beijing",
            url=None,
            created_at=_tw(FETCHED - timedelta(days=10)),
            followers_count=9,
            friends_count=0,
            statuses_count=99,
            favourites_count=0,
            listed_count=0,
            verified=False,
            default_profile=True,
            default_profile_image=False,
            profile_use_background_image=False,
        ),
        _item(
            2,
            "aab12x345",
            name="",
            url="https://t.co/x",
            created_at=_tw(FETCHED - timedelta(hours=6)),
            followers_count=0,
            friends_count=3,
            statuses_count=12,
            favourites_count=4,
            listed_count=1,
            default_profile=False,
            default_profile_image=True,
            profile_use_background_image=True,
        ),
        # No counts, no creation date, no theme flags: those features stay NULL.
        _item(3, "only_a_name"),
    ]
    path = _write_profiles(tmp_path / "mini_profiles.json", items)
    labels = tmp_path / "mini.tsv"
    labels.write_text("1\tbot\n2\tbot\n4\thuman\n", encoding="utf-8")
    ingest(store, [path, labels])
    f = _features(store)
    assert sorted(f) == ["1", "2", "3"]  # account 4 is only a label: no row

    a = f["1"]
    assert a["platform"] == "twitter"
    assert a["log_followers"] == pytest.approx(math.log(10))
    assert a["log_following"] == 0.0
    assert a["log_posts"] == pytest.approx(math.log(100))
    assert a["age_days"] == pytest.approx(10.0)
    assert a["log_posts_per_day"] == pytest.approx(math.log(1 + 9.9))
    assert a["log_followers_per_day"] == pytest.approx(math.log(1 + 0.9))
    assert a["log_following_per_day"] == 0.0
    assert a["log_followers_following_ratio"] == pytest.approx(math.log(10))
    assert a["handle_length"] == 9
    assert a["handle_digits"] == 3
    assert a["handle_longest_digit_run"] == 3
    assert a["handle_entropy"] == pytest.approx(math.log2(9))  # nine distinct characters
    assert a["handle_looks_default"] == 1.0
    assert a["display_name_length"] == 7
    assert a["description_length"] == 5
    assert (a["has_url"], a["has_location"]) == (0.0, 1.0)
    assert (a["default_profile"], a["default_profile_image"], a["no_background_image"]) == (
        1.0,
        0.0,
        1.0,
    )

    b = f["2"]
    assert b["age_days"] == pytest.approx(0.25)
    # Rates divide by the age floored at one day.
    assert b["log_posts_per_day"] == pytest.approx(math.log(13))
    assert b["log_favourites_per_day"] == pytest.approx(math.log(5))
    assert b["log_listed_per_day"] == pytest.approx(math.log(2))
    assert b["log_followers_following_ratio"] == pytest.approx(math.log(1 / 4))
    assert b["handle_digits"] == 5
    assert b["handle_longest_digit_run"] == 3
    # "aab12x345": a twice, seven other characters once.
    expected = -(2 / 9) * math.log2(2 / 9) - 7 * (1 / 9) * math.log2(1 / 9)
    assert b["handle_entropy"] == pytest.approx(expected)
    assert b["handle_looks_default"] == 0.0  # digits inside the name
    assert b["display_name_length"] is None  # an empty name is unknown, not 0
    assert b["description_length"] is None
    assert (b["has_url"], b["has_location"]) == (1.0, 0.0)
    assert (b["default_profile"], b["default_profile_image"], b["no_background_image"]) == (
        0.0,
        1.0,
        0.0,
    )

    c = f["3"]
    for name in (
        "log_followers",
        "log_posts",
        "age_days",
        "log_posts_per_day",
        "log_followers_following_ratio",
        "default_profile",
        "no_background_image",
        "display_name_length",
    ):
        assert c[name] is None, name
    assert c["handle_length"] == 11
    assert c["handle_digits"] == 0
    assert c["handle_longest_digit_run"] == 0
    assert c["has_url"] == 0.0


def test_features_are_float_columns_in_documented_order(store, tmp_path):
    path = _write_profiles(tmp_path / "p_profiles.json", [_item(1, "x", followers_count=1)])
    ingest(store, [path])
    table = profile_features(store)
    assert table.column_names == ["platform", "account_id", *FEATURES]
    assert all(table.schema.field(n).type == pa.float64() for n in FEATURES)
    assert "verified" not in table.column_names


@pytest.mark.parametrize(
    ("handle", "default"),
    [
        ("guowei534", True),
        ("user12345678", True),
        ("Maria_Lopez19283746", True),
        ("news24", False),  # two digits are not a long run
        ("ab12cd", False),  # digits not at the end
        ("2pac123", False),  # starts with a digit
        ("j_smith", False),
    ],
)
def test_default_looking_handle(store, handle, default):
    _insert_accounts(store, [{"platform": "twitter", "account_id": "1", "handle": handle}])
    assert _features(store)["1"]["handle_looks_default"] == float(default)


def test_reference_time_is_the_latest_post_without_a_fetch_time(store):
    created = datetime(2020, 1, 1, tzinfo=UTC)
    _insert_accounts(
        store,
        [
            # A Twitter user object as raw (twitter-v1): flags at the top level.
            {
                "platform": "twitter",
                "account_id": "a",
                "handle": "alpha",
                "created_at": created,
                "posts_count": 40,
                "raw": json.dumps({"default_profile": True}),
            },
            # No posts and no fetch time: no reference time, so no age and no rates.
            {
                "platform": "twitter",
                "account_id": "b",
                "handle": "beta",
                "created_at": created,
                "posts_count": 40,
            },
            # An ISO fetch time wins over the posts.
            {
                "platform": "twitter",
                "account_id": "c",
                "handle": "gamma",
                "created_at": created,
                "posts_count": 40,
                "raw": json.dumps({"fetched_at": "2020-01-05T00:00:00Z"}),
            },
            # Created after its reference time: inconsistent, so no age.
            {
                "platform": "twitter",
                "account_id": "d",
                "handle": "delta",
                "created_at": datetime(2021, 1, 1, tzinfo=UTC),
                "posts_count": 40,
                "raw": "not json",
            },
        ],
    )
    for post_id, account, day in (("1", "a", 3), ("2", "a", 21), ("3", "c", 30), ("4", "d", 5)):
        store.con.execute(
            "INSERT INTO posts (platform, post_id, account_id, created_at) VALUES (?, ?, ?, ?)",
            ["twitter", post_id, account, created + timedelta(days=day)],
        )
    f = _features(store)
    assert f["a"]["age_days"] == pytest.approx(21)
    assert f["a"]["log_posts_per_day"] == pytest.approx(math.log(1 + 40 / 21))
    assert f["a"]["default_profile"] == 1.0
    assert f["b"]["age_days"] is None
    assert f["b"]["log_posts_per_day"] is None
    assert f["b"]["log_posts"] == pytest.approx(math.log(41))
    assert f["c"]["age_days"] == pytest.approx(4)
    assert f["d"]["age_days"] is None
    assert f["d"]["default_profile"] is None  # raw that is not JSON reads as absent


def test_platform_and_account_filters(store):
    _insert_accounts(
        store,
        [
            {"platform": "twitter", "account_id": "1", "handle": "one"},
            {"platform": "twitter", "account_id": "2", "handle": "two"},
            {"platform": "telegram", "account_id": "1", "handle": "uno"},
            {"platform": "telegram", "account_id": "9"},  # nothing known: no row
        ],
    )
    table = profile_features(store)
    assert list(
        zip(table["platform"].to_pylist(), table["account_id"].to_pylist(), strict=True)
    ) == [("telegram", "1"), ("twitter", "1"), ("twitter", "2")]
    assert sorted(_features(store, platform="twitter")) == ["1", "2"]
    assert list(_features(store, platform="twitter", accounts=["2", "7"])) == ["2"]
    assert profile_features(store, accounts=[]).num_rows == 0


# -- model -----------------------------------------------------------------------------------


def _synthetic(n: int = 300, seed: int = 0) -> tuple[pa.Table, np.ndarray]:
    """Bots follow fast and carry digits in their names; humans write longer descriptions."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.4).astype(np.int64)
    cols: dict[str, Any] = {
        "platform": ["twitter"] * n,
        "account_id": [str(i) for i in range(n)],
    }
    for name in FEATURES:
        cols[name] = rng.normal(0, 1, n)
    cols["log_following_per_day"] = rng.normal(0, 1, n) + 2.0 * y
    cols["handle_digits"] = rng.poisson(0.3 + 2 * y).astype(float)
    description = rng.normal(100, 30, n) - 40 * y
    description[rng.random(n) < 0.2] = np.nan  # unknown for a fifth
    cols["description_length"] = description
    return pa.table(cols), y


def test_fit_predict_explain(tmp_path):
    from sklearn.metrics import roc_auc_score

    X, y = _synthetic()
    model = ProfileModel(random_state=3).fit(X, y)
    p = model.predict_proba(X)
    assert p.shape == (len(y),)
    assert ((p > 0) & (p < 1)).all()
    assert roc_auc_score(y, p) > 0.9
    # predict cuts at the threshold chosen for the stated human false-flag rate, not 0.5.
    assert list(model.predict(X)) == list((p >= model.threshold_).astype(int))
    assert list(model.predict(X, threshold=0.5)) == list((p >= 0.5).astype(int))
    assert model.indicators_ == ["description_length"]  # the only feature with NULLs
    # Deterministic with the seed.
    again = ProfileModel(random_state=3).fit(X, y)
    assert np.array_equal(again.coef_, model.coef_)
    # Calibrated: the mean probability matches the share of bots.
    assert abs(p.mean() - y.mean()) < 0.03

    # Contributions plus the intercept are the log-odds, exactly.
    contributions = model.contributions(X)
    z = model.decision_function(X)
    assert np.allclose(contributions.sum(axis=1) + model.intercept_, z)
    assert np.allclose(1 / (1 + np.exp(-z)), p)

    bot = int(np.argmax(p))
    top = model.explain(X, bot, n=3)
    assert len(top) == 3
    assert top[0]["feature"] in ("log_following_per_day", "handle_digits")
    assert top[0]["contribution"] > 0
    assert abs(top[0]["contribution"]) >= abs(top[1]["contribution"]) >= abs(top[2]["contribution"])
    j = model.features_.index(top[0]["feature"])
    assert top[0]["contribution"] == pytest.approx(contributions[bot, j])
    assert top[0]["value"] == X[top[0]["feature"]][bot].as_py()
    json.dumps(top)  # plain JSON values
    # Explaining every row at once gives what explaining each row gives.
    everyone = model.explain_all(X, n=3)
    assert len(everyone) == len(y)
    for i in (0, bot, len(y) - 1):
        assert everyone[i] == model.explain(X, i, n=3)

    missing = int(
        np.flatnonzero(np.isnan(X["description_length"].to_numpy(zero_copy_only=False)))[0]
    )
    everything = {e["feature"]: e for e in model.explain(X, missing, n=len(FEATURES))}
    assert len(everything) == len(FEATURES)
    assert everything["description_length"]["value"] is None
    # Unknown: it weighs through its missing indicator (the design column after the features).
    k = len(FEATURES)
    indicator = model.coef_[k] * (1 - model.mean_[k]) / model.scale_[k]
    assert everything["description_length"]["contribution"] == pytest.approx(indicator)


def test_missing_values_and_arrays():
    X, y = _synthetic()
    model = ProfileModel(features=["log_following_per_day", "handle_digits"]).fit(X, y)
    M = np.column_stack([X["log_following_per_day"].to_numpy(), X["handle_digits"].to_numpy()])
    assert np.array_equal(model.predict_proba(M), model.predict_proba(X))
    rows = np.array([[np.nan, np.nan], [np.nan, 3.0], [3.0, np.nan]])
    p = model.predict_proba(rows)
    assert math.isnan(p[0])  # nothing known: no probability
    assert 0 < p[1] < 1 and 0 < p[2] < 1  # one unknown value is imputed
    # An unknown value (no missing indicator here) is no evidence: it contributes exactly 0.
    assert model.contributions(rows)[1, 0] == 0.0
    assert model.contributions(rows)[1, 1] != 0.0
    with pytest.raises(BadParameterError, match="2 feature columns"):
        model.predict_proba(np.zeros((2, 3)))
    with pytest.raises(BadParameterError, match="missing"):
        model.predict_proba(X.drop_columns(["handle_digits"]))


def test_fit_refuses_one_class_and_unfitted_use():
    X, _ = _synthetic(50)
    with pytest.raises(BadParameterError, match="both present"):
        ProfileModel().fit(X, np.zeros(50))
    with pytest.raises(BadParameterError, match="not fitted"):
        ProfileModel().predict_proba(X)


def test_json_round_trip_gives_identical_probabilities(tmp_path):
    X, y = _synthetic()
    model = ProfileModel(C=0.5, random_state=1).fit(X, y)
    path = tmp_path / "model.json"
    model.to_json(path)
    loaded = ProfileModel.from_json(path)
    assert np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert loaded.explain(X, 7) == model.explain(X, 7)
    assert loaded.get_params() == model.get_params()
    data = json.loads(path.read_text(encoding="utf-8"))
    data["format"] = "something-else"
    with pytest.raises(BadParameterError, match="not an infoscope profile model"):
        ProfileModel.from_dict(data)


def test_reliability_table():
    p = np.array([0.05, 0.05, 0.15, 0.95, 1.0])
    y = np.array([0, 1, 0, 1, 1])
    table = reliability_table(p, y)
    assert len(table) == 10
    assert table[0] == {"bin": [0.0, 0.1], "count": 2, "mean_predicted": 0.05, "observed_rate": 0.5}
    assert table[9]["count"] == 2  # 1.0 falls in the last bin
    assert table[5]["count"] == 0 and table[5]["mean_predicted"] is None


# -- the shipped model -------------------------------------------------------------------------


def test_shipped_model_scores_a_botrepo_file(store, tmp_path):
    model = load_shipped_model()
    assert set(model.features_) <= set(FEATURES)
    manifest = model.manifest_
    assert manifest["features"] == {f: FEATURES[f] for f in model.features_}
    assert sum(c["bot"] for c in manifest["collections"].values()) > 0
    assert manifest["left_out"]["infoscope"] and manifest["left_out"]["baseline"]
    items = [
        _item(
            10,
            "CityNewsroom",
            fetched=datetime(2019, 6, 5, tzinfo=UTC),
            name="City Newsroom",
            description="News, sport and weather from the city desk. Tips: desk@example.org",
            location="Springfield",
            url="https://t.co/abc",
            created_at="Tue Apr 14 10:57:46 +0000 2009",
            followers_count=250_000,
            friends_count=900,
            statuses_count=120_000,
            favourites_count=5_000,
            listed_count=2_000,
            default_profile=False,
            default_profile_image=False,
            profile_use_background_image=True,
        ),
        _item(
            11,
            "user73920184",
            fetched=datetime(2018, 1, 10, tzinfo=UTC),
            created_at="Mon Nov 20 00:00:00 +0000 2017",
            followers_count=2,
            friends_count=3_500,
            statuses_count=0,
            favourites_count=0,
            listed_count=0,
            default_profile=True,
            default_profile_image=True,
            profile_use_background_image=True,
        ),
    ]
    ingest(store, [_write_profiles(tmp_path / "tiny_profiles.json", items)])
    table = profile_features(store)
    p = dict(zip(table["account_id"].to_pylist(), model.predict_proba(table), strict=True))
    assert p["10"] < 0.1 < 0.9 < p["11"]
    flagged = dict(zip(table["account_id"].to_pylist(), model.predict(table), strict=True))
    assert (flagged["10"], flagged["11"]) == (0, 1)
    top = model.explain(table, table["account_id"].to_pylist().index("11"), n=5)
    assert len(top) == 5 and top[0]["contribution"] > 0


# -- training --------------------------------------------------------------------------------


def _labelled_files(tmp_path: Path, n: int = 24) -> tuple[list[Path], list[Path]]:
    rng = np.random.default_rng(7)
    humans, bots = [], []
    for i in range(n):
        humans.append(
            _item(
                100 + i,
                f"reporter_{chr(97 + i % 26)}",
                name="A Reporter",
                description="Writing about the city" * int(1 + rng.integers(3)),
                location="Town",
                created_at=_tw(FETCHED - timedelta(days=int(2000 + rng.integers(2000)))),
                followers_count=int(10_000 + rng.integers(90_000)),
                friends_count=int(100 + rng.integers(900)),
                statuses_count=int(5_000 + rng.integers(50_000)),
                favourites_count=int(rng.integers(5_000)),
                listed_count=int(50 + rng.integers(500)),
                default_profile=bool(rng.random() < 0.2),
                default_profile_image=False,
                profile_use_background_image=True,
            )
        )
        bots.append(
            _item(
                500 + i,
                f"user{rng.integers(10**7, 10**8)}",
                created_at=_tw(FETCHED - timedelta(days=int(30 + rng.integers(300)))),
                followers_count=int(rng.integers(20)),
                friends_count=int(1_000 + rng.integers(4_000)),
                statuses_count=int(rng.integers(30)),
                favourites_count=int(rng.integers(10)),
                listed_count=0,
                default_profile=bool(rng.random() < 0.7),
                default_profile_image=bool(rng.random() < 0.3),
                profile_use_background_image=True,
            )
        )
    profiles = [
        _write_profiles(tmp_path / "humans_profiles.json", humans),
        _write_profiles(tmp_path / "bots_profiles.json", bots),
    ]
    labels = [tmp_path / "humans.tsv", tmp_path / "bots.tsv"]
    labels[0].write_text("".join(f"{100 + i}\thuman\n" for i in range(n)), encoding="utf-8")
    # One bot label without a profile: counted, not used.
    labels[1].write_text(
        "".join(f"{500 + i}\tbot\n" for i in range(n)) + "999\tbot\n", encoding="utf-8"
    )
    return profiles, labels


def _second_bot_collection(tmp_path: Path, n: int = 24) -> Path:
    """Self-declared bots, unlike the purchased ones: old accounts with descriptions, posting
    a lot, few followings (one label, bot, for the whole file)."""
    rng = np.random.default_rng(8)
    items = [
        _item(
            900 + i,
            f"every_{chr(97 + i % 26)}_bot",
            name="A Bot",
            description="I post the time every hour",
            created_at=_tw(FETCHED - timedelta(days=int(500 + rng.integers(1500)))),
            followers_count=int(rng.integers(500)),
            friends_count=int(rng.integers(5)),
            statuses_count=int(20_000 + rng.integers(100_000)),
            favourites_count=0,
            listed_count=int(rng.integers(20)),
            default_profile=True,
            default_profile_image=False,
            profile_use_background_image=True,
        )
        for i in range(n)
    ]
    return _write_profiles(tmp_path / "declared_profiles.json", items)


def test_train_writes_model_and_manifest(tmp_path):
    profiles, labels = _labelled_files(tmp_path)
    collections = [*profiles, _second_bot_collection(tmp_path)]
    labelling = [*labels, "bot"]
    out = tmp_path / "model"
    manifest = train_profile_model(collections, labelling, out, seed=2, folds=3, select=False)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    model = ProfileModelSet.from_json(out / "profile-model.json")
    assert model.features_ == list(FEATURES)
    counts = manifest["collections"]
    assert counts["humans"]["labels"] == "humans.tsv"
    assert (counts["humans"]["human"], counts["bots"]["bot"], counts["declared"]["bot"]) == (
        24,
        24,
        24,
    )
    assert counts["bots"]["labelled_without_profile"] == 1  # the label without a profile
    assert counts["declared"]["labels"] == "all bot"
    inputs = {i["name"]: i for i in manifest["inputs"]}
    assert inputs["bots.tsv"]["role"] == "labels"
    digest = hashlib.sha256((tmp_path / "humans_profiles.json").read_bytes()).hexdigest()
    assert inputs["humans_profiles.json"]["sha256"] == digest
    assert (manifest["parameters"]["seed"], manifest["parameters"]["folds"]) == (2, 3)
    assert manifest["threshold"]["human_false_flag_rate"] == 0.05
    # Each bot collection left out is scored by models that never saw it, beside the baseline
    # fitted on the same rows; the only human collection cannot be left out.
    for variant in ("infoscope", "baseline"):
        left_out = manifest["left_out"][variant]
        assert (
            left_out["humans"]["evaluable"] is False and "no human" in left_out["humans"]["reason"]
        )
        for name in ("bots", "declared"):
            assert left_out[name]["evaluable"] is True
            assert left_out[name]["paired"]["collections"] == ["humans"]
            assert 0 <= left_out[name]["auc"] <= 1
        cv = manifest["in_collection"][variant]
        assert cv["n"] == 72 and sum(b["count"] for b in cv["reliability"]) == 72
    assert "domain" in manifest["left_out"]["infoscope"]["bots"]
    assert "domain" not in manifest["left_out"]["baseline"]["bots"]  # no domain check
    assert manifest["in_collection"]["infoscope"]["auc"] > 0.95  # the sets are far apart
    # Trained on the same data with the same seed: the same model, byte for byte.
    again = train_profile_model(
        collections, labelling, tmp_path / "again", seed=2, folds=3, select=False,
        compare_baseline=False,
    )  # fmt: skip
    assert again["left_out"]["infoscope"] == manifest["left_out"]["infoscope"]
    assert (tmp_path / "again" / "profile-model.json").read_bytes() == (
        out / "profile-model.json"
    ).read_bytes()


def test_cli_train_prints_the_left_out_table(tmp_path):
    profiles, labels = _labelled_files(tmp_path)
    out = tmp_path / "model"
    args = ["accounts", "train", "--folds", "3", "--no-select", "--out", str(out)]
    for p, lab in zip([*profiles, _second_bot_collection(tmp_path)], [*labels, "bot"],
                      strict=True):  # fmt: skip
        args += ["--profiles", str(p), "--labels", str(lab)]
    result = run_cli(*args)
    assert result.exit_code == 0, result.output
    assert (out / "profile-model.json").is_file() and (out / "manifest.json").is_file()
    lines = result.stdout.splitlines()
    assert lines[0] == f"model and manifest written to {out}"
    assert any(line.split()[:2] == ["baseline", "declared"] for line in lines)
    assert any(
        line.split()[:2] == ["infoscope", "humans"] and "not evaluable" in line for line in lines
    )
    # A --labels that is neither a file nor bot/human: one line, no traceback.
    bad = run_cli("accounts", "train", "--profiles", str(profiles[0]), "--labels", "bots",
                  "--out", str(out))  # fmt: skip
    assert bad.exit_code != 0 and "--labels bots: no such file" in bad.output


def test_train_refuses_bad_input(tmp_path):
    with pytest.raises(BadParameterError, match="no such file"):
        train_profile_model([tmp_path / "absent.json"], ["bot"], tmp_path / "out")
    with pytest.raises(BadParameterError, match="one label"):
        train_profile_model([tmp_path / "absent.json"], [], tmp_path / "out")
    profiles, labels = _labelled_files(tmp_path, n=2)
    with pytest.raises(BadParameterError, match="too few"):
        train_profile_model(profiles, labels, tmp_path / "out", folds=3)


@pytest.mark.realdata
def test_shipped_model_was_trained_on_the_shared_collections():
    """The shipped manifest names the shared files by sha256, and its left-out figures are
    the ones the README reports (retraining takes minutes:
    `benchmarks/real_authenticity.py profile` reruns it)."""
    folder = shared("accounts")
    model = load_shipped_model()
    manifest = model.manifest_
    for info in manifest["inputs"]:
        path = folder / info["name"]
        if not path.exists():
            path = shared(f"ira/{info['name']}")
        assert hashlib.sha256(path.read_bytes()).hexdigest() == info["sha256"], info["name"]
    counts = manifest["collections"]
    assert counts["verified-2019"]["human"] > 1900 and counts["vendor-purchased-2019"]["bot"] > 1000
    left_out = manifest["left_out"]
    for name in ("vendor-purchased-2019", "botwiki-2019", "nbc-ira-users"):
        assert left_out["infoscope"][name]["evaluable"] and left_out["baseline"][name]["evaluable"]
    assert not left_out["infoscope"]["verified-2019"]["evaluable"]
