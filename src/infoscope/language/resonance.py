"""Resonance: how much an account talks like a signature's group, calibrated and explained.

RAND (Helmus et al. 2018) called an account "resonant" when its language matched the
pro-Russia community's lexical fingerprint. Here the match is a number with an error rate:

- **Score**: ``sum(count_t * weight_t) / (tokens + smoothing)`` over the signature's terms,
  where ``weight_t`` is the term's log-odds ratio (positive for the target's terms, negative
  for the reference's) and ``tokens`` all of the account's tokens: the average evidence per
  token, shrunk toward 0 for accounts that say little. Each score shows the terms that drove
  it (`ResonanceScorer.explain`).
- **Calibration**: Platt scaling (`infoscope.common.calibration.fit_platt`) of membership on
  the out-of-fold scores turns scores into probabilities, and the threshold is the one that
  maximises F1 (or reaches a target precision) on out-of-fold scores
  (`infoscope.common.calibration.best_threshold`).
- **Honest figures**: with ``cv`` folds of the labelled accounts (stratified, seeded), when
  the scorer learns its own signature each fold's accounts are scored by a signature learnt
  without them; the threshold applied to a fold is chosen on the other folds' scores. The
  reported precision, recall, F1 and ROC AUC are of held-out accounts only.

`ResonanceScorer` follows scikit-learn (`fit`, `score`, `predict_proba`, `predict`; fitted
attributes end in ``_``) on an `AccountTerms` matrix, which `account_terms` builds from the
store inside the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
from ibis import _
from scipy import sparse

from infoscope.common.calibration import best_threshold, fit_platt
from infoscope.errors import BadParameterError
from infoscope.language.keyness import TermCounts, compute_keyness
from infoscope.language.signature import Signature, select_terms
from infoscope.language.tokens import TokenOptions, post_tokens
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "AccountTerms",
    "ResonanceRun",
    "ResonanceScorer",
    "TermTable",
    "account_terms",
    "demo_resonance",
    "explain_resonance",
    "load_resonance",
    "run_resonance",
    "term_table",
]

COMMAND = "resonance"
PERIODS = {"week": "W", "month": "M"}
# How a signature selects its terms: parameters of `run_signature` and `ResonanceScorer`.
SELECTION_PARAMETERS = (
    "size",
    "z_min",
    "min_count",
    "min_accounts",
    "max_account_share",
    "prior_strength",
)


@dataclass
class AccountTerms:
    """Term counts per row (an account, or an account in a period): a sparse ``counts``
    matrix (rows x `terms`), each row's total ``tokens`` (all terms, kept or not), and the
    row keys ``accounts`` (and ``periods``, ISO dates, when per period)."""

    counts: sparse.csr_matrix
    terms: list[str]
    tokens: np.ndarray
    accounts: list[str]
    periods: list[str] | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return self.counts.shape[0]

    def term_index(self) -> dict[str, int]:
        if not self._index:
            self._index.update({t: i for i, t in enumerate(self.terms)})
        return self._index

    def rows(self, index: Sequence[int] | np.ndarray) -> AccountTerms:
        index = np.asarray(index, dtype=np.int64)
        return AccountTerms(
            self.counts[index],
            self.terms,
            self.tokens[index],
            [self.accounts[i] for i in index],
            None if self.periods is None else [self.periods[i] for i in index],
        )

    def term_counts(self) -> TermCounts:
        """The rows pooled into one group's `TermCounts`."""
        counts = np.asarray(self.counts.sum(axis=0)).ravel()
        present = self.counts.copy()
        present.data = np.ones_like(present.data)
        accounts = np.asarray(present.sum(axis=0)).ravel()
        top = self.counts.max(axis=0).toarray().ravel() if len(self) else np.zeros(len(counts))
        used = np.flatnonzero(counts > 0)
        return TermCounts(
            terms=[self.terms[i] for i in used],
            counts=counts[used],
            accounts=accounts[used],
            top_share=top[used] / counts[used],
            total_tokens=int(self.tokens.sum()),
            total_accounts=len(set(self.accounts)),
        )


def term_table(
    posts: ibis.Table, options: TokenOptions | None = None, *, period: str | None = None
) -> TermTable:
    """``account_id`` (and ``period``), ``token``, ``n``: the posts tokenised once and counted
    per account (per account and period), held by the engine as a temporary table; its
    ``release()`` drops it."""
    if period is not None and period not in PERIODS:
        raise BadParameterError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    tokens = post_tokens(posts, options, keep=("platform", "post_id", "account_id", "created_at"))
    keys = ["account_id"]
    if period is not None:
        tokens = tokens.mutate(
            period=tokens.created_at.truncate(PERIODS[period]).cast("date").cast("string")
        )
        keys.append("period")
    counted = tokens.group_by([*keys, "token"]).aggregate(n=_.count())
    backend = counted._find_backend()
    name = f"_infoscope_terms_{uuid.uuid4().hex[:12]}"
    return TermTable(backend.create_table(name, counted, temp=True), backend, name)


@dataclass
class TermTable:
    """A temporary engine table of term counts (see `term_table`)."""

    table: ibis.Table
    backend: Any
    name: str

    def release(self) -> None:
        # Ibis 12's drop_table emits SQL DuckDB 2.0 rejects; the statement is plain.
        self.backend.con.execute(f'DROP TABLE IF EXISTS "{self.name}"')


def account_terms(
    posts: ibis.Table | None = None,
    options: TokenOptions | None = None,
    *,
    vocabulary: Sequence[str] | None = None,
    min_accounts: int = 2,
    period: str | None = None,
    table: TermTable | None = None,
    accounts: Sequence[str] | None = None,
    per_account: bool = False,
) -> AccountTerms:
    """Each account's (or account-period's) term counts, counted in the engine.

    From `posts` (tokenised here) or from a `table` made by `term_table`; `per_account`
    pools a per-period table by account, and `accounts` keeps only those accounts. Keeps the
    terms of `vocabulary` when given (scoring needs only a signature's terms), else every
    term used by at least `min_accounts` accounts; ``tokens`` counts all tokens.
    """
    own = table is None
    if table is None:
        if posts is None:
            raise BadParameterError("account_terms needs posts or a term table")
        table = term_table(posts, options, period=period)
    try:
        per = table.table
        keys = (
            ["account_id"]
            if per_account or "period" not in per.columns
            else [
                "account_id",
                "period",
            ]
        )
        if accounts is not None:
            wanted_accounts = ibis.memtable(pa.table({"w_account": list(dict.fromkeys(accounts))}))
            per = per.semi_join(wanted_accounts, per.account_id == wanted_accounts.w_account)
        if keys == ["account_id"] and "period" in per.columns:
            per = per.group_by(["account_id", "token"]).aggregate(n=per.n.sum())
        totals = per.group_by(keys).aggregate(n=per.n.sum()).order_by(keys).to_pyarrow()
        if vocabulary is not None:
            wanted = ibis.memtable(pa.table({"v_term": list(dict.fromkeys(vocabulary))}))
            cells_expr = per.semi_join(wanted, per.token == wanted.v_term)
        else:
            spread = per.group_by("token").aggregate(k=per.account_id.nunique())
            spread = spread.filter(spread.k >= min_accounts).select(s_token="token")
            cells_expr = per.semi_join(spread, per.token == spread.s_token)
        cells = cells_expr.select(*keys, "token", "n").to_pyarrow()
    finally:
        if own:
            table.release()
    row_keys = list(zip(*(totals[k].to_pylist() for k in keys), strict=True))
    row_of = {key: i for i, key in enumerate(row_keys)}
    terms = (
        sorted(set(cells["token"].to_pylist()))
        if vocabulary is None
        else list(dict.fromkeys(vocabulary))
    )
    term_of = {t: i for i, t in enumerate(terms)}
    cell_keys = zip(*(cells[k].to_pylist() for k in keys), strict=True)
    rows = np.fromiter((row_of[k] for k in cell_keys), dtype=np.int64, count=cells.num_rows)
    cols = np.fromiter(
        (term_of[t] for t in cells["token"].to_pylist()), dtype=np.int64, count=cells.num_rows
    )
    matrix = sparse.csr_matrix(
        (cells["n"].to_numpy().astype(float), (rows, cols)), shape=(len(row_keys), len(terms))
    )
    return AccountTerms(
        counts=matrix,
        terms=terms,
        tokens=totals["n"].to_numpy().astype(float),
        accounts=[str(k[0]) for k in row_keys],
        periods=None if len(keys) == 1 else [str(k[1]) for k in row_keys],
    )


def _weights(signature: Signature, X: AccountTerms) -> np.ndarray:
    index = X.term_index()
    w = np.zeros(len(X.terms))
    for term, weight in signature.weights.items():
        i = index.get(term)
        if i is not None:
            w[i] = weight
    return w


class ResonanceScorer:
    """Score accounts against a signature; calibrated, with held-out error rates.

    Parameters: `signature` (a `Signature`; None to learn one from the labelled accounts in
    `fit`, with `size`, `z_min`, `min_count`, `min_accounts`, `max_account_share` and
    `prior_strength` as in `run_signature`), `smoothing` (pseudo-tokens added to every
    account's length), `min_tokens` (accounts with fewer tokens are not scored: too little
    evidence), `precision` (None: threshold at the best F1; a number: the lowest threshold
    reaching that precision), `cv` folds and `seed`.

    Fitted attributes: ``signature_``, ``calibrator_``, ``threshold_``, ``cv_metrics_``
    (precision, recall, f1, roc_auc, accounts, members, unscored), ``oof_scores_``.
    """

    def __init__(
        self,
        signature: Signature | None = None,
        *,
        size: int = 200,
        z_min: float = 3.29,
        min_count: int = 5,
        min_accounts: int = 3,
        max_account_share: float = 0.5,
        prior_strength: float = 1000.0,
        smoothing: float = 50.0,
        min_tokens: int = 20,
        precision: float | None = None,
        cv: int = 5,
        seed: int = 0,
    ) -> None:
        self.signature = signature
        self.size = size
        self.z_min = z_min
        self.min_count = min_count
        self.min_accounts = min_accounts
        self.max_account_share = max_account_share
        self.prior_strength = prior_strength
        self.smoothing = smoothing
        self.min_tokens = min_tokens
        self.precision = precision
        self.cv = cv
        self.seed = seed

    # -- learning --------------------------------------------------------------------------
    def _learn(self, X: AccountTerms, y: np.ndarray) -> Signature:
        target, reference = X.rows(np.flatnonzero(y)), X.rows(np.flatnonzero(~y))
        keyness = compute_keyness(
            target.term_counts(),
            reference.term_counts(),
            min_count=self.min_count,
            min_accounts=self.min_accounts,
            max_account_share=self.max_account_share,
            prior_strength=self.prior_strength,
        )
        return Signature(
            name="learnt in fit",
            terms=select_terms(keyness, size=self.size, z_min=self.z_min),
            parameters={"learnt_from": "ResonanceScorer.fit"},
        )

    def _raw(self, signature: Signature, X: AccountTerms) -> np.ndarray:
        w = _weights(signature, X)
        return np.asarray(X.counts @ w).ravel() / (X.tokens + self.smoothing)

    def fit(self, X: AccountTerms, y: Sequence[bool] | np.ndarray) -> ResonanceScorer:
        """Learn (or take) the signature, calibrate, and measure held-out error rates."""
        from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(y, dtype=bool)
        if len(y) != len(X):
            raise BadParameterError(f"{len(X)} accounts but {len(y)} labels")
        scored = X.tokens >= self.min_tokens
        members, others = int((y & scored).sum()), int((~y & scored).sum())
        folds = min(self.cv, members, others)
        if folds < 2:
            raise BadParameterError(
                f"calibration needs at least 2 members and 2 baseline accounts with "
                f"{self.min_tokens}+ tokens; got {members} and {others}"
            )
        Xs, ys = X.rows(np.flatnonzero(scored)), y[scored]
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=self.seed)
        split = list(splitter.split(np.zeros(len(ys)), ys))
        oof = np.zeros(len(ys))
        fold_of = np.zeros(len(ys), dtype=np.int64)
        for k, (train, test) in enumerate(split):
            signature = self.signature or self._learn(Xs.rows(train), ys[train])
            oof[test] = self._raw(signature, Xs.rows(test))
            fold_of[test] = k
        predicted = np.zeros(len(ys), dtype=bool)
        for k in range(folds):
            here = fold_of == k
            threshold = best_threshold(oof[~here], ys[~here], precision=self.precision)
            predicted[here] = oof[here] >= threshold
        self.oof_scores_ = oof
        self.cv_metrics_ = {
            "precision": float(precision_score(ys, predicted, zero_division=0)),
            "recall": float(recall_score(ys, predicted, zero_division=0)),
            "f1": float(f1_score(ys, predicted, zero_division=0)),
            "roc_auc": float(roc_auc_score(ys, oof)),
            "accounts": float(len(ys)),
            "members": float(members),
            "unscored": float((~scored).sum()),
            "folds": float(folds),
        }
        self.signature_ = self.signature or self._learn(Xs, ys)
        # Calibrate on out-of-fold scores: in-sample scores of a learnt signature flatter it.
        self.calibrator_ = fit_platt(oof, ys)
        self.threshold_ = best_threshold(oof, ys, precision=self.precision)
        return self

    # -- scoring ---------------------------------------------------------------------------
    def score(self, X: AccountTerms) -> np.ndarray:
        """Raw resonance per row (NaN below `min_tokens`)."""
        raw = self._raw(self.signature_, X)
        return np.where(X.tokens >= self.min_tokens, raw, np.nan)

    def predict_proba(self, X: AccountTerms) -> np.ndarray:
        """Calibrated probability of membership per row (NaN below `min_tokens`)."""
        s = self.score(X)
        out = np.full(len(s), np.nan)
        ok = ~np.isnan(s)
        if ok.any():
            out[ok] = self.calibrator_.probability(s[ok])
        return out

    def predict(self, X: AccountTerms) -> np.ndarray:
        """Resonant (score at or above the calibrated threshold) per row."""
        s = self.score(X)
        return np.where(np.isnan(s), False, s >= self.threshold_)

    def explain(self, X: AccountTerms, row: int, n: int = 10) -> list[dict[str, Any]]:
        """The terms that moved row `row`'s score most: count, weight and contribution."""
        w = _weights(self.signature_, X)
        counts = X.counts[row].toarray().ravel()
        contribution = counts * w / (X.tokens[row] + self.smoothing)
        order = np.argsort(-np.abs(contribution), kind="stable")
        return [
            {
                "term": X.terms[i],
                "count": int(counts[i]),
                "weight": float(w[i]),
                "contribution": float(contribution[i]),
            }
            for i in order[:n]
            if contribution[i] != 0
        ]


@dataclass
class ResonanceRun(AnalysisResult):
    """A stored resonance run: its summary (cross-validated metrics included) and its most
    resonant accounts with the terms behind their scores."""

    top: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **self.summary, "top_accounts": self.top}


def _top_terms(scorer: ResonanceScorer, X: AccountTerms, n: int = 5) -> list[str]:
    """Per row, JSON of its `n` strongest contributions: [term, count, contribution]."""
    import json

    w = _weights(scorer.signature_, X)
    counts = X.counts.tocsr()
    out = []
    for i in range(counts.shape[0]):
        start, end = counts.indptr[i], counts.indptr[i + 1]
        cols, values = counts.indices[start:end], counts.data[start:end]
        pull = values * w[cols]
        order = [k for k in np.argsort(-np.abs(pull), kind="stable")[:n] if pull[k] != 0]
        scale = X.tokens[i] + scorer.smoothing
        out.append(
            json.dumps(
                [
                    [X.terms[cols[k]], int(values[k]), round(float(pull[k] / scale), 5)]
                    for k in order
                ],
                ensure_ascii=False,
            )
        )
    return out


def run_resonance(
    store: Store,
    signature: str,
    *,
    members: str | None = None,
    baseline: str | None = None,
    period: str | None = None,
    min_tokens: int = 20,
    precision: float | None = None,
    cv: int = 5,
    top: int = 20,
    seed: int = 0,
    progress: Any = None,
) -> ResonanceRun:
    """Score every account of the signature's platform and store the run.

    Calibrates on `members` vs `baseline` (group specs; default: the signature's own target
    and reference). When those are the groups the signature was learnt from in this store,
    the cross-validation re-learns the signature without each fold's accounts, so the
    reported error rates are of accounts the signature never saw. With `period` (``week`` or
    ``month``) every account is also scored per period, with the same calibration.
    """
    from infoscope.language.detect import posts_with_language
    from infoscope.language.groups import GroupSpec, group_accounts
    from infoscope.language.signature import get_signature

    say = progress or (lambda message: None)
    sig = get_signature(store, signature)
    params = sig.parameters
    platform = params.get("platform") or store.default_platform()
    m_spec = GroupSpec.parse(members or params.get("target", ""))
    b_spec = GroupSpec.parse(baseline or params.get("reference", "rest"))
    if m_spec.is_window or b_spec.is_window or m_spec.kind in ("rest", "all"):
        raise BadParameterError(
            "resonance calibrates on groups of accounts: give --members (and --baseline) as "
            "label:, community:, accounts:, format: or source: groups"
        )
    relearn = (
        "imported_from" not in params
        and str(m_spec) == params.get("target")
        and str(b_spec) == params.get("reference")
    )
    run_params = {
        "signature": sig.name,
        "signature_id": sig.signature_id,
        "members": str(m_spec),
        "baseline": str(b_spec),
        "period": period,
        "min_tokens": min_tokens,
        "precision": precision,
        "cv": cv,
        "relearn_in_cv": relearn,
        "platform": platform,
    }
    with store.run(COMMAND, run_params, seed=seed) as run:
        run_id = run.run_id
        posts = posts_with_language(store)
        posts = posts.filter(posts.platform == platform)
        say("tokenising every post")
        counted = term_table(posts, sig.options, period=period)
        vocabulary = sig.terms["term"].to_pylist()
        try:
            X = account_terms(table=counted, vocabulary=vocabulary, per_account=True)
            XP = None if period is None else account_terms(table=counted, vocabulary=vocabulary)
            member_ids = set(
                group_accounts(store, m_spec, platform).to_pyarrow()["account_id"].to_pylist()
            )
            if b_spec.kind == "rest":
                baseline_ids = set(X.accounts) - member_ids
            else:
                baseline_ids = (
                    set(
                        group_accounts(store, b_spec, platform)
                        .to_pyarrow()["account_id"]
                        .to_pylist()
                    )
                    - member_ids
                )
            say(f"calibrating on {len(member_ids):,} members and {len(baseline_ids):,} baseline")
            knobs: dict[str, Any] = dict(
                min_tokens=min_tokens, precision=precision, cv=cv, seed=seed
            )
            if relearn:
                XL = account_terms(
                    table=counted,
                    accounts=sorted(member_ids | baseline_ids),
                    per_account=True,
                )
                # Each fold re-learns the signature as it was learnt: same parameters.
                learnt: dict[str, Any] = {k: params[k] for k in SELECTION_PARAMETERS if k in params}
                scorer = ResonanceScorer(**learnt, **knobs)
            else:
                index = [
                    i for i, a in enumerate(X.accounts) if a in member_ids or a in baseline_ids
                ]
                XL = X.rows(index)
                scorer = ResonanceScorer(signature=sig, **knobs)  # type: ignore[arg-type]
        finally:
            counted.release()
        y = np.array([a in member_ids for a in XL.accounts])
        scorer.fit(XL, y)
        scorer.signature_ = sig  # the stored signature scores; the folds only measured it
        tables = [_score_rows(scorer, X, run_id, sig.signature_id, platform)]
        if XP is not None:
            tables.append(_score_rows(scorer, XP, run_id, sig.signature_id, platform))
        with store.transaction() as con:
            for rows in tables:
                con.register("_scores", rows)
                con.execute("INSERT INTO resonance_scores BY NAME SELECT * FROM _scores")
                con.unregister("_scores")
        accounts = tables[0]
        resonant = int(pa.compute.sum(accounts["resonant"]).as_py() or 0)
        scored = int(pa.compute.sum(pa.compute.is_valid(accounts["probability"])).as_py() or 0)
        summary = {
            "signature": sig.name,
            "platform": platform,
            "seed": seed,
            "parameters": run_params,
            "threshold": scorer.threshold_,
            "cv": scorer.cv_metrics_,
            "accounts": accounts.num_rows,
            "scored_accounts": scored,
            "resonant_accounts": resonant,
        }
        run.counts = summary
    return load_resonance(store, run_id, top=top)


def load_resonance(store: Store, run_id: str | None = None, *, top: int = 20) -> ResonanceRun:
    """A stored resonance run (the latest completed one by default) with its `top` most
    resonant accounts (highest score first, ties by account id)."""
    import json

    run = store.completed_run(COMMAND, run_id)
    cur = store.con.execute(
        "SELECT platform, account_id, period, tokens, score, probability, resonant, top_terms "
        "FROM resonance_scores WHERE run_id = ? AND period IS NULL "
        "ORDER BY score DESC, account_id LIMIT ?",
        [run.run_id, top],
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["top_terms"] = json.loads(r["top_terms"])
    return ResonanceRun(run.run_id, run.counts, rows)


def explain_resonance(store: Store, account: str, *, run_id: str | None = None) -> dict[str, Any]:
    """One account's score in a resonance run (the latest by default), by id or handle:
    score, probability, resonant, tokens and the terms behind the score
    (``[term, count, contribution]``)."""
    import json

    run = load_resonance(store, run_id, top=0)
    name = account.lstrip("@")
    cur = store.con.execute(
        """
        SELECT r.account_id, r.score, r.probability, r.resonant, r.tokens, r.top_terms
        FROM resonance_scores r
        WHERE r.run_id = ? AND r.period IS NULL AND (r.account_id = ? OR r.account_id IN (
          SELECT account_id FROM posts WHERE lower(account_handle) = lower(?)))
        ORDER BY r.account_id LIMIT 1
        """,
        [run.run_id, name, name],
    )
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        raise BadParameterError(f"--explain {account}: no such account among those scored")
    out = dict(zip(names, rows[0], strict=True))
    out["top_terms"] = json.loads(out["top_terms"])
    return out


def demo_resonance(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: every account scored with the demo's signature, per week too."""
    signature = context.results["signature"]
    name = signature.summary["name"]
    context.say("scoring every account's resonance with it (calibrated, 5-fold)")
    result = run_resonance(store, name, period="week", seed=context.seed)
    res = result.summary
    cv = res["cv"]
    text = (
        f"Resonance scored {res['scored_accounts']:,} accounts and found "
        f"{res['resonant_accounts']:,} resonant; held-out ({cv['folds']:.0f}-fold) precision "
        f"{cv['precision']:.3f}, recall {cv['recall']:.3f}, ROC AUC {cv['roc_auc']:.3f} "
        "(the baseline holds the operation's unseen accounts, so precision here is a floor)."
    )
    return DemoStep(result, {k: v for k, v in res.items() if k != "parameters"}, text)


def _score_rows(
    scorer: ResonanceScorer, X: AccountTerms, run_id: str, signature_id: str, platform: str
) -> pa.Table:
    score = scorer.score(X)
    probability = scorer.predict_proba(X)
    n = len(X)
    return pa.table(
        {
            "run_id": [run_id] * n,
            "signature_id": [signature_id] * n,
            "platform": [platform] * n,
            "account_id": X.accounts,
            "period": pa.array([None] * n if X.periods is None else X.periods, pa.string()).cast(
                pa.date32()
            ),
            "tokens": X.tokens.astype(np.int64),
            "score": np.nan_to_num(score, nan=0.0),
            "probability": pa.array(probability, mask=np.isnan(probability)),
            "resonant": scorer.predict(X),
            "top_terms": _top_terms(scorer, X),
        }
    )
