"""Profile-only authenticity: how much an account's profile looks automated or purchased.

In the spirit of BotometerLite (Yang et al., "Scalable and generalizable social bot detection
through data selection", AAAI 2020): features of the profile alone (counts, age, growth rates,
screen name and profile texts), so every account the store holds a profile of can be scored
without its timeline, and a transparent model over them.

Features (`profile_features`)
-----------------------------
Computed inside DuckDB from the ``accounts`` table (and its ``raw`` JSON) and documented one
per line in `FEATURES`. Counts, dates and the profile flags of ``raw`` stay NULL when the
source lacks them (the model imputes them, see below), never zero.

- **Reference time**: the age and the rates need the time the counts were read. It is, per
  account, the fetch time ``raw.fetched_at`` when the source records one (Bot Repository
  profiles: a Twitter date or an ISO timestamp), else the time of the account's latest post in
  the store (the counts of a tweet's user object are read when the tweet is collected, so this
  is an approximation), else NULL, and then the age and every rate are NULL. An account
  created after its reference time also gets NULL age and rates (inconsistent data).
- **Rates** divide a count by the age in days, with the age floored at one day (an account a
  few hours old would otherwise get huge rates), then take ``ln(1 + rate)``.
- **Texts**: ingest stores an empty profile text as NULL (unknown), so the store cannot tell
  an empty description from one the source does not carry. Lengths of a NULL text are NULL;
  ``has_url`` and ``has_location`` are 0 for a NULL text of an account with a handle. In the
  training set (Twitter profiles) a NULL text is an empty one, so the model reads it as empty:
  accounts from a source that carries no descriptions at all are scored as if they had an
  empty one.
- **Default-looking handle**: ``handle_looks_default`` is 1 when the whole handle matches
  `DEFAULT_HANDLE` (a letter, then letters or underscores, then a run of at least three
  digits and nothing after: ``guowei534``, ``user12345678``, ``Maria_Lopez19283746``), as
  handles suggested at sign-up are; ``ab12cd`` or ``news24`` do not match.
- **Not used**: ``verified``: the human accounts of the training set were sampled as verified
  accounts, so the flag would separate the classes perfectly and mean nothing elsewhere
  (label leakage). For the same reason ``profile_lang``, ``time_zone`` and ``utc_offset``
  are not features: Twitter stopped returning them in 2019, when the human profiles were
  fetched, but not yet when the bot profiles were (2018), so their absence marks the class.

An account with no feature known (known only by its id, e.g. from a label file) gets no row.

Model (`ProfileModel`)
----------------------
A logistic regression on standardised features, in scikit-learn style (``fit``,
``predict_proba``, ``predict``; fitted attributes end in ``_``):

- a NULL feature is replaced by its training mean, so that an unknown value is no evidence
  either way (its standardised value, hence its contribution, is exactly 0; the training
  median would push a skewed feature one way), and each feature that had NULLs in training
  also gets a 0/1 missing indicator (so "no description" can carry its own weight);
- every design column (imputed features and indicators) is standardised with the training
  mean and standard deviation, and the L2-penalised regression is fitted on them;
- calibration: Platt scaling (`infoscope.common.calibration.fit_platt`: a logistic regression
  of the label on the decision value) fitted on out-of-fold decision values of
  ``calibration_folds`` stratified folds, as scikit-learn's
  ``CalibratedClassifierCV(method="sigmoid", ensemble=False)`` does. The sigmoid's slope and
  offset are folded into the coefficients, so the final model is still one logistic
  regression and its explanations stay exact;
- `ProfileModel.explain`: the contribution of a feature to the calibrated log-odds is
  ``coef * standardised value`` (plus its missing indicator's ``coef * standardised value``);
  the contributions and the intercept sum to the log-odds exactly. A contribution is relative
  to the average training account (standardised value 0).

Probabilities are calibrated to the training set's class balance (about one bot for two
humans), not to the share of automated accounts in any population, and they are probabilities
that the profile resembles the purchased-follower accounts more than the verified ones: a
signal from the profile alone, not a verdict.

Saved as JSON (`ProfileModel.to_json`, `ProfileModel.from_json`, no pickle); the shipped model
and its manifest live in ``infoscope/authenticity/model/`` (`load_shipped_model`). Training
and cross-validation (`train_profile_model`, which writes both) live in
`infoscope.authenticity.train`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.base import BaseEstimator, ClassifierMixin

from infoscope.common.calibration import fit_platt
from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = [
    "APPEARANCE_FEATURES",
    "DEFAULT_HANDLE",
    "FEATURES",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "MODEL_FORMAT",
    "MODEL_FORMAT_VERSION",
    "POPULARITY_FEATURES",
    "TWITTER_DATE",
    "ProfileModel",
    "load_shipped_model",
    "profile_features",
]

MODEL_FILE = "profile-model.json"
MANIFEST_FILE = "manifest.json"
MODEL_FORMAT = "infoscope-profile-model"
MODEL_FORMAT_VERSION = 1
# A handle as suggested at sign-up: a name, then a long run of digits.
DEFAULT_HANDLE = r"[A-Za-z][A-Za-z_]*[0-9]{3,}"
TWITTER_DATE = "%a %b %d %H:%M:%S %z %Y"

# Feature name -> one-line meaning. ln is the natural logarithm.
FEATURES: dict[str, str] = {
    "log_followers": "ln(1 + followers)",
    "log_following": "ln(1 + accounts followed)",
    "log_posts": "ln(1 + posts published (statuses count))",
    "log_favourites": "ln(1 + posts liked)",
    "log_listed": "ln(1 + lists the account is on)",
    "age_days": "days from the account's creation to the reference time",
    "log_posts_per_day": "ln(1 + posts per day of age)",
    "log_followers_per_day": "ln(1 + followers gained per day of age)",
    "log_following_per_day": "ln(1 + accounts followed per day of age)",
    "log_favourites_per_day": "ln(1 + likes per day of age)",
    "log_listed_per_day": "ln(1 + list memberships per day of age)",
    "log_followers_following_ratio": "ln((1 + followers) / (1 + following))",
    "handle_length": "characters in the screen name",
    "handle_digits": "digits in the screen name",
    "handle_longest_digit_run": "longest run of consecutive digits in the screen name",
    "handle_entropy": "Shannon entropy (bits) of the lower-cased screen name's characters",
    "handle_looks_default": "1 when the screen name is a name then 3+ digits (DEFAULT_HANDLE)",
    "display_name_length": "characters in the display name (NULL when none)",
    "description_length": "characters in the profile description (NULL when none)",
    "has_url": "1 when the profile has a link",
    "has_location": "1 when the profile states a location",
    "default_profile": "1 when the profile keeps the default theme (raw; NULL elsewhere)",
    "default_profile_image": "1 when the profile keeps the default avatar (raw; NULL elsewhere)",
    "no_background_image": "1 when the profile shows no background image (raw; NULL elsewhere)",
}
# Features that measure popularity (how many follow or list the account): the harder
# evaluation variant leaves them out.
POPULARITY_FEATURES: tuple[str, ...] = (
    "log_followers",
    "log_listed",
    "log_followers_per_day",
    "log_listed_per_day",
    "log_followers_following_ratio",
)
# Features read from the profile's face alone (no count, age or rate): the hardest variant.
APPEARANCE_FEATURES: tuple[str, ...] = (
    "handle_length",
    "handle_digits",
    "handle_longest_digit_run",
    "handle_entropy",
    "handle_looks_default",
    "display_name_length",
    "description_length",
    "has_url",
    "has_location",
    "default_profile",
    "default_profile_image",
    "no_background_image",
)


# -- features ------------------------------------------------------------------------------


def _raw_text(path: str) -> str:
    """A field of ``raw``: under ``user`` (Bot Repository items) or at the top (user objects)."""
    return (
        f"CASE WHEN json_valid(a.raw) THEN coalesce("
        f"json_extract_string(a.raw, '$.user.{path}'), json_extract_string(a.raw, '$.{path}')"
        f") END"
    )


def _raw_flag(path: str) -> str:
    return f"TRY_CAST({_raw_text(path)} AS BOOLEAN)"


def _features_sql(where: str) -> str:
    fetched = "CASE WHEN json_valid(a.raw) THEN json_extract_string(a.raw, '$.fetched_at') END"
    # The age floored at one day (greatest() would skip a NULL age).
    rate = "ln(1 + {count} / CASE WHEN age_days < 1 THEN 1.0 ELSE age_days END)"
    feature_sql = {
        "log_followers": "ln(1 + followers)",
        "log_following": "ln(1 + following)",
        "log_posts": "ln(1 + posts_count)",
        "log_favourites": "ln(1 + favourites)",
        "log_listed": "ln(1 + listed)",
        "age_days": "age_days",
        "log_posts_per_day": rate.format(count="posts_count"),
        "log_followers_per_day": rate.format(count="followers"),
        "log_following_per_day": rate.format(count="following"),
        "log_favourites_per_day": rate.format(count="favourites"),
        "log_listed_per_day": rate.format(count="listed"),
        "log_followers_following_ratio": "ln((1 + followers) / (1 + following))",
        "handle_length": "length(handle)",
        "handle_digits": "length(regexp_replace(handle, '[^0-9]', '', 'g'))",
        "handle_longest_digit_run": (
            "CASE WHEN handle IS NOT NULL THEN coalesce(list_max(list_transform("
            "regexp_extract_all(handle, '[0-9]+'), lambda r: length(r))), 0) END"
        ),
        "handle_entropy": (
            "CASE WHEN length(handle) > 0 THEN log2(length(handle)) - list_sum(list_transform("
            "list_distinct(chars), lambda c: len(list_filter(chars, lambda x: x = c)) "
            "* log2(len(list_filter(chars, lambda x: x = c))))) / length(handle) END"
        ),
        "handle_looks_default": f"regexp_full_match(handle, '{DEFAULT_HANDLE}')",
        "display_name_length": "length(display_name)",
        "description_length": "length(description)",
        "has_url": "CASE WHEN handle IS NOT NULL THEN url IS NOT NULL END",
        "has_location": "CASE WHEN handle IS NOT NULL THEN location IS NOT NULL END",
        "default_profile": "default_profile",
        "default_profile_image": "default_profile_image",
        "no_background_image": "NOT use_background_image",
    }
    assert list(feature_sql) == list(FEATURES)
    columns = ",\n  ".join(f"CAST({sql} AS DOUBLE) AS {name}" for name, sql in feature_sql.items())
    known = " OR ".join(f"{name} IS NOT NULL" for name in FEATURES)
    return f"""
WITH last_post AS (
  SELECT platform, account_id, max(created_at) AS last_post_at
  FROM posts WHERE account_id IS NOT NULL GROUP BY platform, account_id
),
base AS (
  SELECT a.platform, a.account_id, a.handle, a.display_name, a.description, a.location,
         a.url, a.created_at, a.followers, a.following, a.posts_count, a.favourites, a.listed,
         coalesce(try_strptime({fetched}, '{TWITTER_DATE}'), TRY_CAST({fetched} AS TIMESTAMPTZ),
                  lp.last_post_at) AS reference_at,
         {_raw_flag("default_profile")} AS default_profile,
         {_raw_flag("default_profile_image")} AS default_profile_image,
         {_raw_flag("profile_use_background_image")} AS use_background_image,
         string_split(lower(a.handle), '') AS chars
  FROM accounts a LEFT JOIN last_post lp USING (platform, account_id)
  WHERE {where}
),
aged AS (
  SELECT *, CASE WHEN reference_at >= created_at
                 THEN date_diff('second', created_at, reference_at) / 86400.0 END AS age_days
  FROM base
),
features AS (
  SELECT platform, account_id,
  {columns}
  FROM aged
)
SELECT * FROM features WHERE {known} ORDER BY platform, account_id
"""


def profile_features(
    store: Store, *, platform: str | None = None, accounts: Iterable[str] | None = None
) -> pa.Table:
    """The profile features (`FEATURES`) of the store's accounts, one row per account.

    Columns ``platform``, ``account_id`` and one float64 column per feature (NULL when
    unknown); `platform` keeps one platform, `accounts` those account ids. Accounts with no
    feature known (known only by their id) get no row. The reference time of the age and the
    rates is the profile's fetch time, else the account's latest post in the store (see the
    module docstring). ``verified`` is not a feature: it is how the training set's humans were
    sampled (leakage).
    """
    where = ["TRUE"]
    params: list[Any] = []
    if platform is not None:
        where.append("a.platform = ?")
        params.append(platform)
    if accounts is not None:
        where.append("list_contains(?, a.account_id)")
        params.append([str(a) for a in accounts])
    sql = _features_sql(" AND ".join(where))
    table: pa.Table = store.con.sql(sql, params=params).to_arrow_table()
    return table


# -- model ---------------------------------------------------------------------------------


def _matrix(X: Any, names: Sequence[str]) -> np.ndarray:
    """`X` as a float matrix of the columns `names` (NaN for NULL).

    `X` is an Arrow table (e.g. from `profile_features`), a pandas DataFrame or anything with
    named columns (extra columns are ignored), or a 2-D array whose columns are `names`.
    """
    if isinstance(X, pa.Table | pa.RecordBatch):
        missing = [n for n in names if n not in X.schema.names]
        if missing:
            raise BadParameterError(f"features missing from the table: {', '.join(missing)}")
        cols = [X.column(n).cast(pa.float64()).to_numpy(zero_copy_only=False) for n in names]
        return np.column_stack(cols) if cols else np.empty((X.num_rows, 0))
    if hasattr(X, "columns") and hasattr(X, "loc"):  # a pandas DataFrame
        missing = [n for n in names if n not in X.columns]
        if missing:
            raise BadParameterError(f"features missing from the frame: {', '.join(missing)}")
        return np.asarray(X.loc[:, list(names)].astype("float64").to_numpy(), dtype=np.float64)
    M = np.array(X, dtype=np.float64)
    if M.ndim != 2 or M.shape[1] != len(names):
        raise BadParameterError(
            f"expected a matrix with {len(names)} feature columns, got shape {M.shape}"
        )
    return M


def _row(X: Any, row: int) -> Any:
    """Row `row` of `X`, as the same kind of object (no full conversion)."""
    if isinstance(X, pa.Table | pa.RecordBatch):
        return X.slice(row, 1)
    if hasattr(X, "iloc"):
        return X.iloc[[row]]
    return np.asarray(X, dtype=np.float64)[row : row + 1]


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # Not scipy.special.expit: the two differ by an ulp on most values and, far in the lower
    # tail, tanh rounds to 0 where expit does not; the shipped model's probabilities stay
    # bit-identical this way.
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))  # exp-free, never overflows
    return out


class _Standardised:
    """Mean imputation, missing indicators and standardisation, learnt from a matrix."""

    def __init__(self, M: np.ndarray, names: Sequence[str]) -> None:
        nan = np.isnan(M)
        fill = np.array(
            [
                float(M[~nan[:, j], j].mean()) if (~nan[:, j]).any() else 0.0
                for j in range(M.shape[1])
            ]
        )
        self.fill = fill
        self.indicators = [names[j] for j in range(M.shape[1]) if nan[:, j].any()]
        self._ind_index = [list(names).index(n) for n in self.indicators]
        D = self.design(M, scaled=False)
        # The feature columns' means are the fill values (exactly: an imputed value
        # standardises to 0), the indicators' their shares of NULLs.
        self.mean = np.concatenate([fill, D[:, len(fill) :].mean(axis=0)])
        scale = D.std(axis=0)
        self.scale = np.where(scale > 0, scale, 1.0)

    @classmethod
    def from_params(
        cls,
        fill: list[float],
        indicators: list[str],
        names: Sequence[str],
        mean: list[float],
        scale: list[float],
    ) -> _Standardised:
        self = cls.__new__(cls)
        self.fill = np.asarray(fill, dtype=np.float64)
        self.indicators = list(indicators)
        self._ind_index = [list(names).index(n) for n in self.indicators]
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        return self

    def design(self, M: np.ndarray, *, scaled: bool = True) -> np.ndarray:
        nan = np.isnan(M)
        filled = np.where(nan, self.fill, M)
        D = np.hstack([filled, nan[:, self._ind_index].astype(np.float64)])
        return (D - self.mean) / self.scale if scaled else D


def _fit_logit(Z: np.ndarray, y: np.ndarray, C: float, max_iter: int) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=C, max_iter=max_iter).fit(Z, y)
    return lr.coef_[0].astype(np.float64), float(lr.intercept_[0])


class ProfileModel(ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Calibrated logistic regression on profile features; see the module docstring.

    Parameters: `features` (names from `FEATURES`, default all), `C` (inverse L2 penalty),
    `calibration_folds` (folds for Platt scaling; below 2, no calibration), `random_state`
    (the calibration folds' shuffle) and `max_iter`.

    Fitted: ``features_``, ``fill_`` (training means, replacing NULLs), ``indicators_``
    (features with a missing indicator), ``mean_``/``scale_`` (of the design columns:
    features, then indicators), ``coef_`` and ``intercept_`` (of the calibrated log-odds, per
    standardised design column), ``calibration_`` (Platt slope and offset folded into them)
    and ``classes_`` ([0, 1], 1 = bot).
    """

    def __init__(
        self,
        features: Sequence[str] | None = None,
        C: float = 1.0,
        calibration_folds: int = 5,
        random_state: int = 0,
        max_iter: int = 1000,
    ) -> None:
        self.features = features
        self.C = C
        self.calibration_folds = calibration_folds
        self.random_state = random_state
        self.max_iter = max_iter

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any) -> ProfileModel:
        """Fit on features `X` and labels `y` (1 = bot or automated, 0 = human)."""
        names = list(self.features) if self.features is not None else list(FEATURES)
        M = _matrix(X, names)
        target = np.asarray(y).astype(np.int64).ravel()
        if len(target) != len(M):
            raise BadParameterError(f"{len(M)} rows of features but {len(target)} labels")
        if set(np.unique(target)) != {0, 1}:
            raise BadParameterError("labels must be 0 (human) and 1 (bot), both present")
        prep = _Standardised(M, names)
        coef, intercept = _fit_logit(prep.design(M), target, self.C, self.max_iter)
        slope, offset = 1.0, 0.0
        folds = min(self.calibration_folds, int(np.bincount(target).min()))
        if folds >= 2:
            slope, offset = self._platt(M, target, names, folds)
        self.features_ = names
        self.fill_ = prep.fill
        self.indicators_ = prep.indicators
        self.mean_ = prep.mean
        self.scale_ = prep.scale
        self.coef_ = slope * coef
        self.intercept_ = slope * intercept + offset
        self.calibration_ = {"slope": slope, "offset": offset}
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(names)
        self._prep = prep
        return self

    def _platt(
        self, M: np.ndarray, y: np.ndarray, names: list[str], folds: int
    ) -> tuple[float, float]:
        """Platt slope and offset fitted on out-of-fold decision values."""
        from sklearn.model_selection import StratifiedKFold

        oof = np.empty(len(y))
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        for train, test in splitter.split(M, y):
            if len(np.unique(y[train])) < 2:
                return 1.0, 0.0
            prep = _Standardised(M[train], names)
            coef, intercept = _fit_logit(prep.design(M[train]), y[train], self.C, self.max_iter)
            oof[test] = prep.design(M[test]) @ coef + intercept
        # `fit` calls this with at least two examples of each class, so fit_platt's
        # too-few-examples identity never applies; a non-positive slope gives the identity.
        platt = fit_platt(oof, y, max_iter=self.max_iter)
        return platt.slope, platt.offset

    # -- scoring ---------------------------------------------------------------------------
    def _check(self) -> None:
        if not hasattr(self, "coef_"):
            raise BadParameterError("the model is not fitted: call fit() or load one")

    def _parts(self, X: Any) -> tuple[np.ndarray, np.ndarray]:
        """Per row and feature the contribution to the log-odds, and the rows without data."""
        self._check()
        M = _matrix(X, self.features_)
        Z = self._prep.design(M)
        terms = Z * self.coef_
        d = len(self.features_)
        contrib = terms[:, :d].copy()
        for k, name in enumerate(self.indicators_):
            contrib[:, self.features_.index(name)] += terms[:, d + k]
        empty = np.isnan(M).all(axis=1) if d else np.ones(len(M), dtype=bool)
        return contrib, empty

    def contributions(self, X: Any) -> np.ndarray:
        """Rows x features: each feature's signed contribution to the calibrated log-odds.

        Each row's contributions plus ``intercept_`` sum to its `decision_function`.
        """
        return self._parts(X)[0]

    def decision_function(self, X: Any) -> np.ndarray:
        """The calibrated log-odds of being a bot (NaN for a row with no feature known)."""
        contrib, empty = self._parts(X)
        z = contrib.sum(axis=1) + self.intercept_
        z[empty] = np.nan
        return z

    def predict_proba(self, X: Any) -> np.ndarray:
        """The probability that each row is a bot or automated account (1-D).

        Unlike scikit-learn's two-column convention, one value per row: the bot probability
        (NaN for a row with no feature known).
        """
        return _sigmoid(self.decision_function(X))

    def predict(self, X: Any, threshold: float = 0.5) -> np.ndarray:
        """1 (bot) where the probability reaches `threshold`, else 0."""
        return (self.predict_proba(X) >= threshold).astype(np.int64)

    def explain(self, X: Any, row: int, n: int = 5) -> list[dict[str, Any]]:
        """The `n` features that moved row `row`'s log-odds most, largest first.

        Each is ``{"feature", "value", "contribution"}``: the feature's value and its signed
        contribution to the calibrated log-odds (positive: towards bot), relative to the
        average training account. An unknown value (None) contributes through its missing
        indicator only, and nothing when the feature has none.
        """
        self._check()
        one = _row(X, row)
        contrib = self.contributions(one)[0]
        values = _matrix(one, self.features_)[0]
        order = sorted(range(len(contrib)), key=lambda j: (-abs(contrib[j]), j))[:n]
        return [
            {
                "feature": self.features_[j],
                "value": None if math.isnan(values[j]) else float(values[j]),
                "contribution": float(contrib[j]),
            }
            for j in order
        ]

    def explain_all(self, X: Any, n: int = 5) -> list[list[dict[str, Any]]]:
        """`explain` for every row at once (one matrix product, not one call per row)."""
        self._check()
        contrib = self.contributions(X)
        values = _matrix(X, self.features_)
        if contrib.shape[0] == 0:
            return []
        # Largest |contribution| first; ties by feature order, as `explain` does.
        order = np.argsort(-np.abs(contrib), axis=1, kind="stable")[:, :n]
        names = self.features_
        out = []
        for i in range(contrib.shape[0]):
            out.append(
                [
                    {
                        "feature": names[j],
                        "value": None if math.isnan(values[i, j]) else float(values[i, j]),
                        "contribution": float(contrib[i, j]),
                    }
                    for j in order[i]
                ]
            )
        return out

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """The fitted model as plain JSON-able data (exact floats)."""
        self._check()
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "params": self.get_params(),
            "features": list(self.features_),
            "fill": [float(v) for v in self.fill_],
            "indicators": list(self.indicators_),
            "mean": [float(v) for v in self.mean_],
            "scale": [float(v) for v in self.scale_],
            "coef": [float(v) for v in self.coef_],
            "intercept": float(self.intercept_),
            "calibration": dict(self.calibration_),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProfileModel:
        if data.get("format") != MODEL_FORMAT:
            raise BadParameterError(
                f"not an infoscope profile model (format {data.get('format')!r})"
            )
        if data.get("format_version") != MODEL_FORMAT_VERSION:
            raise BadParameterError(
                f"profile model format version {data.get('format_version')} is not "
                f"{MODEL_FORMAT_VERSION}: retrain it with this infoscope"
            )
        params = dict(data["params"])
        if params.get("features") is not None:
            params["features"] = list(params["features"])
        model = cls(**params)
        names = list(data["features"])
        prep = _Standardised.from_params(
            data["fill"], data["indicators"], names, data["mean"], data["scale"]
        )
        model.features_ = names
        model.fill_ = prep.fill
        model.indicators_ = prep.indicators
        model.mean_ = prep.mean
        model.scale_ = prep.scale
        model.coef_ = np.asarray(data["coef"], dtype=np.float64)
        model.intercept_ = float(data["intercept"])
        model.calibration_ = dict(data["calibration"])
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = len(names)
        model._prep = prep
        return model

    def to_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: str | Path) -> ProfileModel:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))


def load_shipped_model() -> ProfileModel:
    """The model shipped with infoscope, its manifest (training data, CV figures) as
    ``manifest_``."""
    folder = resources.files("infoscope.authenticity").joinpath("model")
    model = ProfileModel.from_dict(json.loads(folder.joinpath(MODEL_FILE).read_text("utf-8")))
    manifest = folder.joinpath(MANIFEST_FILE)
    model.manifest_ = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
    return model
