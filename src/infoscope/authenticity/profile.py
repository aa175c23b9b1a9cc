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

import itertools
import json
import math
from collections.abc import Iterable, Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from sklearn.base import BaseEstimator, ClassifierMixin

from infoscope.authenticity.domain import CARRIED, DomainCheck
from infoscope.common.calibration import fit_platt
from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = [
    "APPEARANCE_FEATURES",
    "DEFAULT_HANDLE",
    "FEATURES",
    "FEATURE_GROUPS",
    "MANIFEST_FILE",
    "MODEL_FILE",
    "MODEL_FORMAT",
    "MODEL_FORMAT_VERSION",
    "OPTIONAL_FIELDS",
    "POPULARITY_FEATURES",
    "TWITTER_DATE",
    "ProfileModel",
    "ProfileModelSet",
    "check_format",
    "human_threshold",
    "load_shipped_model",
    "one_thread",
    "profile_features",
]

MODEL_FILE = "profile-model.json"
MANIFEST_FILE = "manifest.json"
MODEL_FORMAT = "infoscope-profile-model"
MODEL_FORMAT_VERSION = 2
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
# Every feature in one group; data selection (`infoscope.authenticity.train`) drops whole
# groups when leaving them out improves the figures on left-out collections.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {
    "popularity": POPULARITY_FEATURES,
    "activity_counts": ("log_following", "log_posts", "log_favourites"),
    "age": ("age_days",),
    "activity_rates": ("log_posts_per_day", "log_following_per_day", "log_favourites_per_day"),
    "handle": (
        "handle_length",
        "handle_digits",
        "handle_longest_digit_run",
        "handle_entropy",
        "handle_looks_default",
    ),
    "texts": ("display_name_length", "description_length", "has_url", "has_location"),
    "theme": ("default_profile", "default_profile_image", "no_background_image"),
}

# Groups of fields some sources cannot give at all: a profile lacking a whole group is scored
# by the model fitted without it (`ProfileModelSet`).
OPTIONAL_FIELDS: dict[str, tuple[str, ...]] = {
    "fetch_time": (
        "age_days",
        "log_posts_per_day",
        "log_followers_per_day",
        "log_following_per_day",
        "log_favourites_per_day",
        "log_listed_per_day",
    ),
    "theme": ("default_profile", "default_profile_image", "no_background_image"),
}


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
    """Mean imputation, missing indicators and standardisation, learnt from a matrix.

    With `groups` (the collection of each row), a feature that some collection does not carry
    (known for under `CARRIED` of its rows) gets no missing indicator: its absence marks the
    collection, not the account (``absent_``: feature -> the collections without it).
    """

    def __init__(
        self, M: np.ndarray, names: Sequence[str], groups: np.ndarray | None = None
    ) -> None:
        nan = np.isnan(M)
        fill = np.array(
            [
                float(M[~nan[:, j], j].mean()) if (~nan[:, j]).any() else 0.0
                for j in range(M.shape[1])
            ]
        )
        self.fill = fill
        self.absent: dict[str, list[str]] = {}
        if groups is not None:
            for g in sorted(set(groups.tolist())):
                rows = groups == g
                known = (~nan[rows]).mean(axis=0)
                for j in np.flatnonzero(known < CARRIED):
                    self.absent.setdefault(names[int(j)], []).append(str(g))
        self.indicators = [
            names[j] for j in range(M.shape[1]) if nan[:, j].any() and names[j] not in self.absent
        ]
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
        self.absent = {}
        self._ind_index = [list(names).index(n) for n in self.indicators]
        self.mean = np.asarray(mean, dtype=np.float64)
        self.scale = np.asarray(scale, dtype=np.float64)
        return self

    def design(self, M: np.ndarray, *, scaled: bool = True) -> np.ndarray:
        nan = np.isnan(M)
        filled = np.where(nan, self.fill, M)
        D = np.hstack([filled, nan[:, self._ind_index].astype(np.float64)])
        return (D - self.mean) / self.scale if scaled else D


def one_thread() -> Any:
    """A context in which BLAS and OpenMP use one thread: the matrices here are small
    (thousands of rows, dozens of columns), and on a busy machine threads spinning for work
    make each product a hundred times slower. (threadpoolctl comes with scikit-learn.)"""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1)


def _fit_logit(Z: np.ndarray, y: np.ndarray, C: float, max_iter: int) -> tuple[np.ndarray, float]:
    from sklearn.linear_model import LogisticRegression

    # Newton-CG: on a few dozen standardised columns it converges in a handful of exact steps
    # (lbfgs stops earlier, further from the optimum, and takes longer).
    lr = LogisticRegression(C=C, max_iter=max_iter, solver="newton-cg").fit(Z, y)
    return lr.coef_[0].astype(np.float64), float(lr.intercept_[0])


def human_threshold(p: np.ndarray, y: np.ndarray, rate: float) -> float:
    """The lowest probability threshold that flags (``p >= threshold``) at most a share `rate`
    of the humans (``y == 0``) among these scores; ``inf`` without humans."""
    humans = np.sort(np.asarray(p, dtype=np.float64)[np.asarray(y) == 0])[::-1]
    if len(humans) == 0:
        return math.inf
    allowed = math.floor(rate * len(humans) + 1e-9)
    if allowed >= len(humans):
        return float(humans[-1])
    # Flag strictly above the (allowed + 1)-th highest human score.
    return float(np.nextafter(humans[allowed], np.inf))


def check_format(data: dict[str, Any], fmt: str, version: int, kind: str) -> None:
    """Refuse a model file that is not a `kind` model of format `fmt`, version `version`."""
    if data.get("format") != fmt:
        raise BadParameterError(f"not an infoscope {kind} model (format {data.get('format')!r})")
    if data.get("format_version") != version:
        raise BadParameterError(
            f"{kind} model format version {data.get('format_version')} is not {version}: "
            "retrain it with this infoscope"
        )


class _JsonFile:
    """`to_json`/`from_json` for a model class with `to_dict`/`from_dict`."""

    def to_json(self, path: str | Path) -> None:
        data = self.to_dict()  # type: ignore[attr-defined]
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_json(cls, path: str | Path) -> Any:
        return cls.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))  # type: ignore[attr-defined]


class ProfileModel(_JsonFile, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Calibrated logistic regression with a stated-rate threshold and a domain check; see the
    module docstring.

    Parameters: `features` (names, default `FEATURES`), `C` (inverse L2 penalty),
    `calibration_folds` (folds for Platt scaling and for the out-of-fold scores behind the
    threshold; below 2, no calibration and an in-sample threshold), `human_false_flag_rate`
    (the share of training humans, out of fold, the threshold may flag), `outside_share` and
    `min_coverage` (of the domain check, `infoscope.authenticity.domain.DomainCheck`; an
    `outside_share` of None fits no domain check), `random_state` and `max_iter`.

    Fitted: ``features_``, ``fill_`` (training means, replacing NULLs), ``indicators_``
    (features with a missing indicator), ``absent_`` (features some training collection does
    not carry -> those collections: no indicator), ``mean_``/``scale_`` (of the design
    columns: features, then indicators), ``coef_`` and ``intercept_`` (of the calibrated
    log-odds, per standardised design column), ``calibration_`` (Platt slope and offset folded
    into them), ``threshold_`` (flag at or above it) with ``threshold_rate_`` (the share of
    training humans flagged out of fold), ``collections_`` (training collection -> accounts
    and bots), ``domain_`` (a `DomainCheck` or None), ``oof_probability_`` (out-of-fold
    calibrated probabilities of the training rows; not saved) and ``classes_`` ([0, 1]).
    """

    FORMAT = MODEL_FORMAT
    FORMAT_VERSION = MODEL_FORMAT_VERSION
    DEFAULT_FEATURES: tuple[str, ...] = tuple(FEATURES)

    def __init__(
        self,
        features: Sequence[str] | None = None,
        C: float = 1.0,
        calibration_folds: int = 5,
        human_false_flag_rate: float = 0.05,
        outside_share: float | None = 0.05,
        min_coverage: float = 0.5,
        random_state: int = 0,
        max_iter: int = 1000,
    ) -> None:
        self.features = features
        self.C = C
        self.calibration_folds = calibration_folds
        self.human_false_flag_rate = human_false_flag_rate
        self.outside_share = outside_share
        self.min_coverage = min_coverage
        self.random_state = random_state
        self.max_iter = max_iter

    # -- fitting ---------------------------------------------------------------------------
    def fit(self, X: Any, y: Any, groups: Sequence[str] | np.ndarray | None = None) -> ProfileModel:
        """Fit on features `X` and labels `y` (1 = bot or automated, 0 = human); `groups`
        names each row's collection (default: ``bot`` and ``human`` by label)."""
        names = list(self.features) if self.features is not None else list(self.DEFAULT_FEATURES)
        M = _matrix(X, names)
        target = np.asarray(y).astype(np.int64).ravel()
        if len(target) != len(M):
            raise BadParameterError(f"{len(M)} rows of features but {len(target)} labels")
        if set(np.unique(target)) != {0, 1}:
            raise BadParameterError("labels must be 0 (human) and 1 (bot), both present")
        if not 0 <= self.human_false_flag_rate < 1:
            raise BadParameterError(
                f"human_false_flag_rate must be in [0, 1), got {self.human_false_flag_rate}"
            )
        labels = (
            np.where(target == 1, "bot", "human").astype(object)
            if groups is None
            else np.asarray([str(g) for g in groups], dtype=object)
        )
        if len(labels) != len(M):
            raise BadParameterError(f"{len(M)} rows of features but {len(labels)} groups")
        prep = _Standardised(M, names, labels)
        coef, intercept = _fit_logit(prep.design(M), target, self.C, self.max_iter)
        slope, offset = 1.0, 0.0
        folds = min(self.calibration_folds, int(np.bincount(target).min()))
        if folds >= 2:
            oof = self._oof(M, target, names, labels, folds)
            platt = fit_platt(oof, target, max_iter=self.max_iter)
            slope, offset = platt.slope, platt.offset
            oof_p = _sigmoid(slope * oof + offset)
        else:
            oof_p = _sigmoid(prep.design(M) @ coef + intercept)
        self.features_ = names
        self.fill_ = prep.fill
        self.indicators_ = prep.indicators
        self.absent_ = prep.absent
        self.mean_ = prep.mean
        self.scale_ = prep.scale
        self.coef_ = slope * coef
        self.intercept_ = slope * intercept + offset
        self.calibration_ = {"slope": slope, "offset": offset}
        self.oof_probability_ = oof_p
        self.threshold_ = human_threshold(oof_p, target, self.human_false_flag_rate)
        humans = oof_p[target == 0]
        self.threshold_rate_ = float(np.mean(humans >= self.threshold_)) if len(humans) else 0.0
        self.collections_ = {
            str(g): {
                "accounts": int(np.sum(labels == g)),
                "bots": int(target[labels == g].sum()),
            }
            for g in sorted(set(labels.tolist()))
        }
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = len(names)
        self._prep = prep
        self.domain_: DomainCheck | None = None
        if self.outside_share is not None:
            self.domain_ = DomainCheck(
                outside_share=self.outside_share,
                min_coverage=self.min_coverage,
                random_state=self.random_state,
            ).fit(M, labels, names, weights=np.abs(self.coef_[: len(names)]))
        return self

    def _oof(
        self, M: np.ndarray, y: np.ndarray, names: list[str], groups: np.ndarray, folds: int
    ) -> np.ndarray:
        """Out-of-fold decision values (stratified by label and collection)."""
        from sklearn.model_selection import StratifiedKFold

        oof = np.empty(len(y))
        strata = np.asarray([f"{g}|{t}" for g, t in zip(groups, y, strict=True)])
        # A stratum smaller than the folds cannot be spread over them: fall back to the label.
        sizes = {s: int(np.sum(strata == s)) for s in set(strata.tolist())}
        if min(sizes.values()) < folds:
            strata = y.astype(str)
        splitter = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        # Each fold's training rows hold both labels: `fit` asks for at least `folds` of each.
        for train, test in splitter.split(M, strata):
            prep = _Standardised(M[train], names, groups[train])
            coef, intercept = _fit_logit(prep.design(M[train]), y[train], self.C, self.max_iter)
            oof[test] = prep.design(M[test]) @ coef + intercept
        return oof

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
        (NaN for a row with no feature known). It says nothing of whether the row is within
        the model's experience: see `check_domain`.
        """
        return _sigmoid(self.decision_function(X))

    def predict(self, X: Any, threshold: float | None = None) -> np.ndarray:
        """1 (bot) where the probability reaches `threshold` (default ``threshold_``, the
        stated human false-flag rate), else 0."""
        self._check()
        cut = self.threshold_ if threshold is None else threshold
        return (self.predict_proba(X) >= cut).astype(np.int64)

    def check_domain(self, X: Any) -> dict[str, Any]:
        """The domain check of each row (`DomainCheck.check`: ``typicality``, ``coverage``,
        ``nearest``, ``status``); every row ``inside`` when the model has none."""
        self._check()
        M = _matrix(X, self.features_)
        if self.domain_ is None:
            n = len(M)
            return {
                "typicality": np.full(n, np.nan),
                "raw": np.full(n, np.nan),
                "coverage": np.ones(n),
                "nearest": [None] * n,
                "status": np.array(["inside"] * n, dtype=object),
            }
        return self.domain_.check(M)

    def atypical(self, X: Any, row: int, n: int = 3) -> list[dict[str, Any]]:
        """The features of row `row` furthest from its nearest training collection."""
        self._check()
        if self.domain_ is None:
            return []
        return self.domain_.atypical(_matrix(_row(X, row), self.features_), 0, n=n)

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
        params = self.get_params()
        if params.get("features") is not None:
            params["features"] = list(params["features"])
        return {
            "format": self.FORMAT,
            "format_version": self.FORMAT_VERSION,
            "params": params,
            "features": list(self.features_),
            "fill": [float(v) for v in self.fill_],
            "indicators": list(self.indicators_),
            "absent": {k: list(v) for k, v in sorted(self.absent_.items())},
            "mean": [float(v) for v in self.mean_],
            "scale": [float(v) for v in self.scale_],
            "coef": [float(v) for v in self.coef_],
            "intercept": float(self.intercept_),
            "calibration": dict(self.calibration_),
            "threshold": {
                "probability": float(self.threshold_),
                "human_false_flag_rate": self.human_false_flag_rate,
                "training_humans_flagged_out_of_fold": float(self.threshold_rate_),
            },
            "collections": self.collections_,
            "domain": None if self.domain_ is None else self.domain_.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ProfileModel:
        check_format(data, cls.FORMAT, cls.FORMAT_VERSION, "profile")
        params = dict(data["params"])
        if params.get("features") is not None:
            params["features"] = list(params["features"])
        model = cls(**params)
        names = list(data["features"])
        prep = _Standardised.from_params(
            data["fill"], data["indicators"], names, data["mean"], data["scale"]
        )
        prep.absent = {k: list(v) for k, v in data.get("absent", {}).items()}
        model.features_ = names
        model.fill_ = prep.fill
        model.indicators_ = prep.indicators
        model.absent_ = prep.absent
        model.mean_ = prep.mean
        model.scale_ = prep.scale
        model.coef_ = np.asarray(data["coef"], dtype=np.float64)
        model.intercept_ = float(data["intercept"])
        model.calibration_ = dict(data["calibration"])
        model.threshold_ = float(data["threshold"]["probability"])
        model.threshold_rate_ = float(data["threshold"]["training_humans_flagged_out_of_fold"])
        model.collections_ = dict(data["collections"])
        model.domain_ = None if data["domain"] is None else DomainCheck.from_dict(data["domain"])
        model.classes_ = np.array([0, 1])
        model.n_features_in_ = len(names)
        model._prep = prep
        return model


# -- one model per field set ---------------------------------------------------------------


def _lacking(
    M: np.ndarray, names: Sequence[str], optional: dict[str, tuple[str, ...]]
) -> list[str]:
    """Per row, the key of the optional field groups it lacks entirely (`_set_key`)."""
    index = {n: j for j, n in enumerate(names)}
    known = ~np.isnan(M)
    lacks = {
        group: ~known[:, [index[f] for f in fields if f in index]].any(axis=1)
        for group, fields in optional.items()
        if any(f in index for f in fields)
    }
    return [_set_key([g for g, lack in lacks.items() if lack[i]]) for i in range(len(M))]


def _set_key(groups: Iterable[str]) -> str:
    """The name of a field set: ``all`` or ``without`` the optional groups it lacks."""
    lacking = sorted(groups)
    return "all" if not lacking else "without " + ", ".join(lacking)


def _set_groups(key: str) -> list[str]:
    return [] if key == "all" else key.removeprefix("without ").split(", ")


class ProfileModelSet(_JsonFile):
    """One `ProfileModel` per field set: what a profile can be scored on depends on its source.

    Some sources cannot give whole groups of fields (`OPTIONAL_FIELDS`): a CSV of user
    fields has no fetch time, hence no age and no rates, and Twitter API v2 users carry no theme
    flags. Imputing them would score such a profile against thresholds and a domain learnt on
    complete ones (leaving out the NBC IRA profiles, complete held-out humans with the same
    fields hidden were flagged four times as often as stated). So a model is fitted for every
    combination of optional groups a profile may lack, each on the collections that carry its
    fields, with its own Platt calibration, threshold (at the stated human false-flag rate) and
    domain check; each profile is scored by the model of the optional groups it lacks
    entirely (``field_set``). A sub-model that cannot be fitted (its collections lack a class)
    falls back to the next one without more groups.

    Parameters: `features` (default `FEATURES`), `optional` (default `OPTIONAL_FIELDS`) and the
    parameters of `ProfileModel` (`model_params`). Fitted: ``features_``, ``models_`` (field
    set -> `ProfileModel`), ``trained_on_`` (field set -> collections), ``threshold_`` (of the
    complete field set, for a single figure). Sub-models are fitted when first needed
    (`fit_all` fits every one: saving does).
    """

    FORMAT = "infoscope-profile-model-set"
    FORMAT_VERSION = 1
    KIND = "profile"
    DEFAULT_FEATURES: tuple[str, ...] = tuple(FEATURES)
    DEFAULT_OPTIONAL: dict[str, tuple[str, ...]] = OPTIONAL_FIELDS

    def __init__(
        self,
        features: Sequence[str] | None = None,
        optional: dict[str, tuple[str, ...]] | None = None,
        **model_params: Any,
    ) -> None:
        self.features = features
        self.optional = optional
        self.model_params = model_params

    def fit(
        self, X: Any, y: Any, groups: Sequence[str] | np.ndarray | None = None
    ) -> ProfileModelSet:
        names = list(self.features) if self.features is not None else list(self.DEFAULT_FEATURES)
        M = _matrix(X, names)
        target = np.asarray(y).astype(np.int64).ravel()
        if len(target) != len(M):
            raise BadParameterError(f"{len(M)} rows of features but {len(target)} labels")
        if set(np.unique(target)) != {0, 1}:
            raise BadParameterError("labels must be 0 (human) and 1 (bot), both present")
        labels = (
            np.where(target == 1, "bot", "human").astype(object)
            if groups is None
            else np.asarray([str(g) for g in groups], dtype=object)
        )
        if len(labels) != len(M):
            raise BadParameterError(f"{len(M)} rows of features but {len(labels)} groups")
        optional = self.optional if self.optional is not None else self.DEFAULT_OPTIONAL
        self.features_ = names
        self.optional_ = {g: tuple(f for f in v if f in names) for g, v in optional.items()}
        self.optional_ = {g: v for g, v in self.optional_.items() if v}
        self.models_: dict[str, ProfileModel | None] = {}
        self.trained_on_: dict[str, list[str]] = {}
        self._train = (M, target, labels)
        full = self._model("all")
        self.threshold_ = math.inf if full is None else full.threshold_
        return self

    def _keys(self) -> list[str]:
        groups = sorted(self.optional_)
        return [
            _set_key(c) for r in range(len(groups) + 1) for c in itertools.combinations(groups, r)
        ]

    def _model(self, key: str) -> ProfileModel | None:
        """The sub-model of field set `key`, fitted when first needed."""
        if key in self.models_:
            return self.models_[key]
        if not hasattr(self, "_train"):
            self.models_[key] = None
            return None
        M, y, labels = self._train
        lacking = _set_groups(key)
        dropped = {f for g in lacking for f in self.optional_[g]}
        used = [f for f in self.features_ if f not in dropped]
        index = [self.features_.index(f) for f in used]
        needed = [self.features_.index(f) for g in self.optional_ if g not in lacking
                  for f in self.optional_[g]]  # fmt: skip
        carried = [
            str(c)
            for c in sorted(set(labels.tolist()))
            if not needed or ((~np.isnan(M[labels == c][:, needed])).mean(axis=0) >= CARRIED).all()
        ]
        rows = np.isin(labels, carried)
        model: ProfileModel | None = None
        counts = np.bincount(y[rows], minlength=2)
        if used and counts.min() >= 2:
            model = ProfileModel(features=used, **self.model_params).fit(
                M[rows][:, index], y[rows], labels[rows]
            )
        self.models_[key] = model
        self.trained_on_[key] = carried if model is not None else []
        return model

    def fit_all(self) -> ProfileModelSet:
        """Fit every field set's model (saving needs them all)."""
        for key in self._keys():
            self._model(key)
        return self

    def _check(self) -> None:
        if not hasattr(self, "models_"):
            raise BadParameterError("the model is not fitted: call fit() or load one")

    def field_set(self, X: Any) -> list[str]:
        """Per row, the field set whose model scores it (`_set_key`; ``none`` when no model
        can)."""
        self._check()
        M = _matrix(X, self.features_)
        out = []
        cache: dict[str, str] = {}
        for key in _lacking(M, self.features_, self.optional_):
            if key not in cache:
                cache[key] = self._resolve(key)
            out.append(cache[key])
        return out

    def _resolve(self, key: str) -> str:
        """`key`, or the nearest fitted field set lacking more groups."""
        lacking = set(_set_groups(key))
        candidates = sorted(
            (k for k in self._keys() if lacking <= set(_set_groups(k))),
            key=lambda k: (len(_set_groups(k)), k),
        )
        for k in candidates:
            if self._model(k) is not None:
                return k
        return "none"

    def _split(self, X: Any) -> tuple[np.ndarray, list[str], dict[str, np.ndarray]]:
        M = _matrix(X, self.features_)
        keys = self.field_set(M)
        rows: dict[str, list[int]] = {}
        for i, k in enumerate(keys):
            rows.setdefault(k, []).append(i)
        return M, keys, {k: np.asarray(v) for k, v in rows.items()}

    def _columns(self, model: ProfileModel) -> list[int]:
        return [self.features_.index(f) for f in model.features_]

    def contributions(self, X: Any) -> np.ndarray:
        """Rows x `features_`: each feature's contribution to the row's log-odds in the model
        of its field set (0 for features that model does not use); with `intercepts`, they
        sum to `decision_function`."""
        M, _, parts = self._split(X)
        out = np.zeros(M.shape)
        for key, rows in parts.items():
            model = self.models_.get(key)
            if model is not None:
                out[np.ix_(rows, np.asarray(self._columns(model)))] = model.contributions(
                    M[rows][:, self._columns(model)]
                )
        return out

    def _per_row(self, X: Any, attribute: str) -> np.ndarray:
        M, _, parts = self._split(X)
        out = np.full(len(M), np.nan)
        for key, rows in parts.items():
            model = self.models_.get(key)
            if model is None:
                continue
            if attribute == "decision":
                out[rows] = model.decision_function(M[rows][:, self._columns(model)])
            else:
                out[rows] = getattr(model, attribute)
        return out

    def intercepts(self, X: Any) -> np.ndarray:
        """Per row, the intercept of its field set's model."""
        return self._per_row(X, "intercept_")

    def thresholds(self, X: Any) -> np.ndarray:
        """Per row, the threshold of its field set's model (stated human false-flag rate)."""
        return self._per_row(X, "threshold_")

    def decision_function(self, X: Any) -> np.ndarray:
        """The calibrated log-odds of each row in the model of its field set (NaN: none)."""
        return self._per_row(X, "decision")

    def predict_proba(self, X: Any) -> np.ndarray:
        """The bot probability of each row (1-D; NaN when nothing can score it)."""
        return _sigmoid(self.decision_function(X))

    def predict(self, X: Any) -> np.ndarray:
        """1 where the probability reaches its field set's threshold, else 0."""
        p = self.predict_proba(X)
        return (np.nan_to_num(p, nan=-1.0) >= self.thresholds(X)).astype(np.int64)

    def check_domain(self, X: Any) -> dict[str, Any]:
        """`ProfileModel.check_domain` of each row in its field set's model, with
        ``field_set``."""
        M, keys, parts = self._split(X)
        n = len(M)
        out: dict[str, Any] = {
            "typicality": np.full(n, np.nan),
            "raw": np.full(n, np.nan),
            "coverage": np.zeros(n),
            "nearest": [None] * n,
            "status": np.array(["too_little_known"] * n, dtype=object),
            "field_set": keys,
        }
        for key, rows in parts.items():
            model = self.models_.get(key)
            if model is None:
                continue
            part = model.check_domain(M[rows][:, self._columns(model)])
            for name in ("typicality", "raw", "coverage", "status"):
                out[name][rows] = part[name]
            for i, r in enumerate(rows):
                out["nearest"][r] = part["nearest"][i]
        return out

    def explain_all(self, X: Any, n: int = 5) -> list[list[dict[str, Any]]]:
        """The `n` features that moved each row's log-odds most (`ProfileModel.explain`)."""
        M, _, parts = self._split(X)
        out: list[list[dict[str, Any]]] = [[] for _ in range(len(M))]
        for key, rows in parts.items():
            model = self.models_.get(key)
            if model is None:
                continue
            for i, e in zip(rows, model.explain_all(M[rows][:, self._columns(model)], n=n),
                            strict=True):  # fmt: skip
                out[i] = e
        return out

    def explain(self, X: Any, row: int, n: int = 5) -> list[dict[str, Any]]:
        return self.explain_all(_row(X, row), n=n)[0]

    def atypical(self, X: Any, row: int, n: int = 3) -> list[dict[str, Any]]:
        """The features of row `row` furthest from its nearest training collection."""
        M = _matrix(_row(X, row), self.features_)
        key = self.field_set(M)[0]
        model = self.models_.get(key)
        return [] if model is None else model.atypical(M[:, self._columns(model)], 0, n=n)

    # -- JSON ------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Every field set's model as plain JSON-able data (fits the ones not yet fitted)."""
        self._check()
        self.fit_all()
        return {
            "format": self.FORMAT,
            "format_version": self.FORMAT_VERSION,
            "params": self._extra_params(),
            "features": list(self.features_),
            "optional": {g: list(v) for g, v in self.optional_.items()},
            "field_sets": {
                key: {
                    "trained_on": self.trained_on_.get(key, []),
                    "model": None if model is None else model.to_dict(),
                }
                for key in self._keys()
                for model in [self.models_.get(key)]
            },
        }

    def _extra_params(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Any:
        check_format(data, cls.FORMAT, cls.FORMAT_VERSION, cls.KIND)
        self = cls(features=list(data["features"]), **data.get("params", {}))
        self.features_ = list(data["features"])
        self.optional_ = {g: tuple(v) for g, v in data["optional"].items()}
        self.models_ = {}
        self.trained_on_ = {}
        for key, entry in data["field_sets"].items():
            model = entry["model"]
            self.models_[key] = None if model is None else ProfileModel.from_dict(model)
            self.trained_on_[key] = list(entry["trained_on"])
        full = self.models_.get("all")
        self.threshold_ = math.inf if full is None else full.threshold_
        return self


def _load_packaged(cls: Any, model_file: str, manifest_file: str) -> Any:
    folder = resources.files("infoscope.authenticity").joinpath("model")
    model = cls.from_dict(json.loads(folder.joinpath(model_file).read_text("utf-8")))
    manifest = folder.joinpath(manifest_file)
    model.manifest_ = json.loads(manifest.read_text("utf-8")) if manifest.is_file() else {}
    return model


def load_shipped_model() -> ProfileModelSet:
    """The profile model shipped with infoscope, its manifest (training collections,
    leave-one-collection-out and cross-validated figures) as ``manifest_``."""
    model: ProfileModelSet = _load_packaged(ProfileModelSet, MODEL_FILE, MANIFEST_FILE)
    return model
