"""Resonance: how much each account talks like a signature's group, calibrated and explained.

RAND (Helmus et al. 2018) called an account "resonant" when its language matched the
pro-Russia community's lexical fingerprint. Here the match is a calibrated probability from the
signature's classifier (`infoscope.language.model`, learnt by `infoscope signature learn`):

- **Scores**: every account of the signature's platform gets the classifier's log-odds
  (``score``), its calibrated ``probability`` and ``resonant`` (at or above the threshold the
  signature learnt on its training data), with the terms that moved the score most
  (``top_terms``: term, uses, contribution to the log-odds). With `period`, every account is
  also scored per week or month; with `posts`, every post by the signature's post classifier.
- **Nothing re-fitted here**: calibration and threshold come with the signature, learnt
  out-of-fold on its training documents. Scoring another store never fits them on that store's
  labels. An account the signature was trained on (in the store it was learnt in) gets its
  out-of-fold probability (``source = out-of-fold``), not the score of a model that saw it.
- **Out of depth, said**: an account with fewer tokens than the model's minimum
  (``too_little_text``), or whose tokens the model barely knows (``unlike_training``: another
  language or register) gets no probability and is not resonant; its status says why.
- **Evaluation, marked as such**: with `members` (and `baseline`, default everyone else) the
  run also reports precision, recall, F1 and ROC AUC of the scored accounts against those
  labels, and the calibration on them, under ``evaluation``; the labels change no score.

Scores are stored in ``resonance_scores`` (and ``resonance_posts``), the calibration tables in
``resonance_calibration``. `AccountTerms` (documents x terms) is what the classifier reads;
`term_table` and `account_terms` build it in the engine.

Engines: tokens, term counts and the vocabulary's cells are computed on an
`infoscope.engine.Engine` (``engine=``; default the store's DuckDB; Spark over a Parquet
export with ``--engine spark``) and scored here (only the signature's terms are counted one
by one; every other token of an account in a period adds to one row, which gives its
total); the signature, its training accounts and the scores are read from and written to the
DuckDB store whichever engine counted the terms.
The run records the engine, its versions and the input's fingerprint.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from ibis import _
from scipy import sparse

from infoscope.engine import Engine, as_engine, engine_run
from infoscope.errors import BadParameterError
from infoscope.language.keyness import TermCounts
from infoscope.language.tokens import STOPWORDS_TABLE, TokenOptions, post_tokens
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "AccountTerms",
    "ResonanceRun",
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
# Engine tables of driver lists (accounts, a vocabulary), released once read.
_ACCOUNTS_TABLE = "_infoscope_resonance_accounts"
_VOCABULARY_TABLE = "_infoscope_resonance_vocabulary"


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
    posts: ibis.Table,
    options: TokenOptions | None = None,
    *,
    period: str | None = None,
    vocabulary: Sequence[str] | None = None,
    by_post: bool = False,
    engine: Engine | None = None,
) -> TermTable:
    """``account_id`` (and ``period``), ``token``, ``n``: the posts tokenised once and counted
    per account (per account and period), materialised by `engine` (whose tables `posts` are;
    without one, a temporary table of the posts' DuckDB backend); its ``release()`` drops it.

    With `vocabulary`, the tokens outside it are counted together under a NULL token: the
    table then holds the vocabulary's cells and one row of the other tokens per account (and
    period), so its size follows the accounts, not the number of distinct terms. `by_post`
    counts per post too (key ``post_id``): one table then serves the scoring of posts and,
    summed, that of accounts (`account_terms` sums the keys it does not use)."""
    if period is not None and period not in PERIODS:
        raise BadParameterError(f"period must be one of {', '.join(PERIODS)}, got {period!r}")
    tokens = post_tokens(
        posts, options, keep=("platform", "post_id", "account_id", "created_at"), engine=engine
    )
    keys = ["post_id", "account_id"] if by_post else ["account_id"]
    if period is not None:
        tokens = tokens.mutate(
            period=tokens.created_at.truncate(PERIODS[period]).cast("date").cast("string")
        )
        keys.append("period")
    if vocabulary is not None:
        wanted = _driver_table(
            _VOCABULARY_TABLE, pa.table({"v_term": list(dict.fromkeys(vocabulary))}), engine
        )
        joined = tokens.left_join(wanted, tokens.token == wanted.v_term)
        tokens = joined.select(*keys, token=joined.v_term)
    counted = tokens.group_by([*keys, "token"]).aggregate(n=_.count())
    name = f"_infoscope_terms_{uuid.uuid4().hex[:12]}"
    try:
        if engine is not None:
            return TermTable(engine.materialize(name, counted), name, engine)
        backend = counted._find_backend()
        return TermTable(backend.create_table(name, counted, temp=True), name, backend=backend)
    finally:
        if engine is not None and vocabulary is not None:
            engine.release(_VOCABULARY_TABLE)


@dataclass
class TermTable:
    """A materialised table of term counts (see `term_table`) and the engine holding it (or,
    without one, the DuckDB backend holding it as a temporary table)."""

    table: ibis.Table
    name: str
    engine: Engine | None = None
    backend: Any = None

    def release(self) -> None:
        if self.engine is not None:
            self.engine.release(self.name)
            return
        # Ibis 12's drop_table emits SQL DuckDB 2.0 rejects; the statement is plain.
        self.backend.con.execute(f'DROP TABLE IF EXISTS "{self.name}"')


def _arrow(expr: Any, engine: Engine | None) -> pa.Table:
    """The rows of `expr` from `engine`, or from the expression's own backend."""
    return expr.to_pyarrow() if engine is None else engine.to_arrow(expr)


def _driver_table(name: str, table: pa.Table, engine: Engine | None) -> ibis.Table:
    """A driver's Arrow table in `engine` (without one, in memory for DuckDB)."""
    return ibis.memtable(table) if engine is None else engine.from_arrow(name, table)


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
    engine: Engine | None = None,
) -> AccountTerms:
    """Each account's (or account-period's) term counts, counted in the engine.

    From `posts` (tokenised here, by `engine` whose tables they are) or from a `table` made
    by `term_table` (counted by its engine); `per_account` pools a per-period table by
    account, and `accounts` keeps only those accounts. Keeps the terms of `vocabulary` when
    given (scoring needs only a signature's terms), else every term used by at least
    `min_accounts` accounts; ``tokens`` counts all tokens.
    """
    own = table is None
    if table is None:
        if posts is None:
            raise BadParameterError("account_terms needs posts or a term table")
        table = term_table(posts, options, period=period, vocabulary=vocabulary, engine=engine)
    engine = table.engine
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
            wanted_accounts = _driver_table(
                _ACCOUNTS_TABLE, pa.table({"w_account": list(dict.fromkeys(accounts))}), engine
            )
            per = per.semi_join(wanted_accounts, per.account_id == wanted_accounts.w_account)
        if set(per.columns) != {*keys, "token", "n"}:  # per post or period: summed
            per = per.group_by([*keys, "token"]).aggregate(n=per.n.sum())
        totals = _arrow(per.group_by(keys).aggregate(n=per.n.sum()).order_by(keys), engine)
        if vocabulary is not None:
            wanted = _driver_table(
                _VOCABULARY_TABLE, pa.table({"v_term": list(dict.fromkeys(vocabulary))}), engine
            )
            cells_expr = per.semi_join(wanted, per.token == wanted.v_term)
        else:
            spread = per.group_by("token").aggregate(k=per.account_id.nunique())
            spread = spread.filter(spread.k >= min_accounts).select(s_token="token")
            cells_expr = per.semi_join(spread, per.token == spread.s_token)
        cells = _arrow(cells_expr.select(*keys, "token", "n"), engine)
    finally:
        if engine is not None:
            engine.release(_ACCOUNTS_TABLE, _VOCABULARY_TABLE)
        if own:
            table.release()
    terms = (
        sorted(set(cells["token"].to_pylist()))
        if vocabulary is None
        else list(dict.fromkeys(vocabulary))
    )
    # Each cell's row (its key among the totals' keys, which are distinct) and column.
    rows = pc.index_in(_row_key(cells, keys), value_set=_row_key(totals, keys))
    cols = pc.index_in(cells["token"], value_set=pa.array(terms, pa.string()))
    matrix = sparse.csr_matrix(
        (
            cells["n"].to_numpy().astype(float),
            (rows.to_numpy(zero_copy_only=False), cols.to_numpy(zero_copy_only=False)),
        ),
        shape=(totals.num_rows, len(terms)),
    )
    return AccountTerms(
        counts=matrix,
        terms=terms,
        tokens=totals["n"].to_numpy().astype(float),
        accounts=[str(a) for a in totals["account_id"].to_pylist()],
        periods=None if len(keys) == 1 else [str(p) for p in totals["period"].to_pylist()],
    )


def _row_key(table: pa.Table, keys: list[str]) -> pa.Array:
    """One string per row naming its `keys` (the account, or the period then the account: a
    period is an ISO date, or "-" when missing, and holds no "|")."""
    account = table["account_id"].combine_chunks().cast(pa.string())
    if keys == ["account_id"]:
        return account
    period = pc.fill_null(table["period"].combine_chunks().cast(pa.string()), "-")
    return pc.binary_join_element_wise(period, account, "|")


@dataclass
class ResonanceRun(AnalysisResult):
    """A stored resonance run: its summary (the signature's training figures, counts by
    status, the evaluation when labels were given) and its most resonant accounts with the
    terms behind their scores."""

    top: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"run_id": self.run_id, **self.summary, "top_accounts": self.top}


def _score_table(
    model: Any,
    X: AccountTerms,
    *,
    run_id: str,
    signature_id: str,
    platform: str,
    oof: dict[str, float] | None = None,
) -> pa.Table:
    """The stored rows of documents `X` (accounts, or accounts per period)."""
    X = model.align(X)
    status = model.status(X)
    score = model.decision(X)
    probability = model.predict_proba(X)
    source = np.full(len(X), "model", dtype=object)
    if oof:
        for i, account in enumerate(X.accounts):
            if account in oof:
                source[i] = "out-of-fold"
                probability[i] = oof[account]
                if np.isnan(oof[account]) and status[i] == "scored":
                    status[i] = "too_little_text"
    resonant = np.where(np.isnan(probability), False, probability >= model.threshold)
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
            "score": score,
            "probability": pa.array(probability, mask=np.isnan(probability)),
            "resonant": resonant,
            "top_terms": [json.dumps(t, ensure_ascii=False) for t in model.explain(X)],
            "status": pa.array(status.tolist(), pa.string()),
            "coverage": model.coverage(X),
            "source": pa.array(source.tolist(), pa.string()),
        }
    )


def _evaluation(
    table: pa.Table, members: set[str], baseline: set[str] | None
) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    """Precision, recall, F1 and ROC AUC of the scored accounts against the labels given."""
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    accounts = table["account_id"].to_pylist()
    probability = table["probability"].to_numpy(zero_copy_only=False).astype(np.float64)
    resonant = table["resonant"].to_numpy(zero_copy_only=False)
    labelled = [
        i
        for i, a in enumerate(accounts)
        if (a in members or baseline is None or a in baseline) and not np.isnan(probability[i])
    ]
    y = np.array([accounts[i] in members for i in labelled])
    p, flagged = probability[labelled], resonant[labelled]
    both = len(np.unique(y)) == 2
    out = {
        "note": "measured on the labels given to this run (--members/--baseline); "
        "they changed no score or threshold",
        "accounts": len(labelled),
        "members": int(y.sum()),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "precision": round(float(precision_score(y, flagged, zero_division=0)), 4),
        "recall": round(float(recall_score(y, flagged, zero_division=0)), 4) if y.any() else None,
        "f1": round(float(f1_score(y, flagged, zero_division=0)), 4) if y.any() else None,
    }
    return out, p, y


def run_resonance(
    store: Store,
    signature: str,
    *,
    members: str | None = None,
    baseline: str | None = None,
    period: str | None = None,
    posts: bool = False,
    top: int = 20,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> ResonanceRun:
    """Score every account of the signature's platform with its classifier, and store the run.

    `period` (``week`` or ``month``) also scores every account per period; `posts` scores
    every post with the signature's post classifier. `members` and `baseline` (group specs)
    only evaluate: see the module docstring. Scoring is deterministic: `seed` is recorded for
    provenance only. `engine` tokenises and counts the posts (default: the store's DuckDB);
    the signature is read from `store` and the scores written there.
    """
    from infoscope.language.groups import (
        DETECTED_TABLE,
        GroupSpec,
        group_accounts,
        group_table,
        language_posts,
    )
    from infoscope.language.model import reliability_table
    from infoscope.language.signature import get_signature
    from infoscope.queries import resolve_platforms

    say = progress or (lambda message: None)
    engine = engine or as_engine(store)
    sig = get_signature(store, signature)
    model = sig.model("account")
    post_model = sig.model("post") if posts else None
    platform = (
        sig.parameters.get("platform")
        or resolve_platforms(engine.table("posts"), None, engine=engine)[0]
    )
    m_spec = GroupSpec.parse(members) if members else None
    b_spec = GroupSpec.parse(baseline) if baseline else None
    for spec in (m_spec, b_spec):
        if spec is not None and (spec.is_window or spec.kind in ("rest", "all")):
            raise BadParameterError(
                "resonance evaluates on groups of accounts: give --members (and --baseline) as "
                "label:, community:, accounts:, format: or source: groups"
            )
    run_params = {
        "signature": sig.name,
        "signature_id": sig.signature_id,
        "members": None if m_spec is None else str(m_spec),
        "baseline": None if b_spec is None else str(b_spec),
        "period": period,
        "posts": posts,
        "platform": platform,
    }
    oof = _training_probabilities(store, sig.signature_id)
    # The engine tables made on the way go, however the run ends (term tables join them).
    made = [
        STOPWORDS_TABLE,
        DETECTED_TABLE,
        *(group_table(spec, platform) for spec in (m_spec, b_spec) if spec is not None),
    ]
    with engine_run(store, engine, COMMAND, run_params, seed=seed, release=made) as run:
        chosen = language_posts(store, engine)
        chosen = chosen.filter(chosen.platform == platform)
        say("tokenising every post")
        options = _options(sig, model)
        # Posts scored with the same tokens are counted in the same pass, per post.
        shared = post_model is not None and _options(sig, post_model) == options
        extra = post_model.terms if shared and post_model is not None else []
        vocabulary = [*model.terms, *extra]
        counted = term_table(
            chosen, options, period=period, vocabulary=vocabulary, by_post=shared, engine=engine
        )
        made.append(counted.name)
        try:
            X = account_terms(table=counted, vocabulary=model.terms, per_account=True)
            XP = None if period is None else account_terms(table=counted, vocabulary=model.terms)
        finally:
            if not shared:
                counted.release()
        # Accounts that posted but left no token (only links, say) are listed too, with too
        # little text: nothing is silently unscored.
        posted = chosen.filter(chosen.account_id.notnull()).select("account_id").distinct()
        silent = sorted(_ids(posted, engine) - set(X.accounts))
        if silent:
            X = AccountTerms(
                sparse.vstack([X.counts, sparse.csr_matrix((len(silent), len(X.terms)))]).tocsr(),
                X.terms,
                np.concatenate([X.tokens, np.zeros(len(silent))]),
                [*X.accounts, *silent],
            )
        say(f"scoring {len(X):,} accounts")
        keys = {"run_id": run.run_id, "signature_id": sig.signature_id, "platform": platform}
        tables = [
            _score_table(
                model, X, oof=oof, run_id=run.run_id, signature_id=sig.signature_id,
                platform=platform,
            )
        ]  # fmt: skip
        if XP is not None:
            tables.append(
                _score_table(
                    model, XP, run_id=run.run_id, signature_id=sig.signature_id,
                    platform=platform,
                )
            )  # fmt: skip
        for rows in tables:
            store.insert("resonance_scores", rows)
        accounts = tables[0]
        status = accounts["status"].to_pylist()
        calibration = [("training (out-of-fold)", model.reliability)]
        evaluation = None
        if m_spec is not None:
            member_ids = _ids(group_accounts(store, m_spec, platform, engine=engine), engine)
            baseline_ids = (
                None
                if b_spec is None
                else _ids(group_accounts(store, b_spec, platform, engine=engine), engine)
            )
            evaluation, p, y = _evaluation(accounts, member_ids, baseline_ids)
            calibration.append(("evaluation", reliability_table(p, y)))
        store.insert("resonance_calibration", _calibration_rows(run.run_id, sig, calibration))
        scored_posts = 0
        if post_model is not None:
            say("scoring every post")
            if not shared:
                counted = term_table(
                    chosen, _options(sig, post_model), vocabulary=post_model.terms,
                    by_post=True, engine=engine,
                )  # fmt: skip
                made.append(counted.name)
            try:
                scored_posts = _score_posts(store, counted, post_model, keys)
            finally:
                counted.release()
        run.counts = {
            "signature": sig.name,
            "platform": platform,
            "seed": seed,
            "parameters": run_params,
            "threshold": model.threshold,
            "min_tokens": model.min_tokens,
            "cv": model.cv,
            "evaluation": evaluation,
            "warnings": sig.counts.get("warnings", []),
            "accounts": accounts.num_rows,
            "scored_accounts": status.count("scored"),
            "too_little_text": status.count("too_little_text"),
            "unlike_training": status.count("unlike_training"),
            "out_of_fold": accounts["source"].to_pylist().count("out-of-fold"),
            "resonant_accounts": int(pa.compute.sum(accounts["resonant"]).as_py() or 0),
            "posts_scored": scored_posts,
        }
    return load_resonance(store, run.run_id, top=top)


def _ids(table: ibis.Table, engine: Engine) -> set[str]:
    return set(engine.to_arrow(table)["account_id"].to_pylist())


def _training_probabilities(store: Store, signature_id: str) -> dict[str, float]:
    """The out-of-fold probability of each account the signature was trained on in this store
    (NaN: too little text); none for a signature learnt elsewhere."""
    if not store.has_table("signature_training"):
        return {}
    rows = store.con.execute(
        "SELECT account_id, max(oof_probability) FROM signature_training "
        "WHERE signature_id = ? GROUP BY account_id",
        [signature_id],
    ).fetchall()
    return {a: (np.nan if p is None else float(p)) for a, p in rows}


def _calibration_rows(
    run_id: str, sig: Any, tables: list[tuple[str, list[dict[str, Any]]]]
) -> pa.Table:
    rows = [
        {
            "run_id": run_id,
            "signature_id": sig.signature_id,
            "source": source,
            "bin_low": b["bin"][0],
            "bin_high": b["bin"][1],
            "documents": b["documents"],
            "mean_probability": b["mean_probability"],
            "observed_rate": b["observed_rate"],
        }
        for source, table in tables
        for b in table
    ]
    return pa.Table.from_pylist(rows)


def _options(sig: Any, model: Any) -> TokenOptions:
    """The tokens a model of signature `sig` reads."""
    return TokenOptions.from_dict(model.tokens) if model.tokens else sig.options


def _score_posts(store: Store, table: TermTable, model: Any, keys: dict[str, str]) -> int:
    """Score every post of `table` (`term_table` counted per post) with the post classifier;
    returns how many."""
    from infoscope.language.model import documents_matrix

    engine = table.engine
    assert engine is not None
    per = table.table
    vocabulary = engine.from_arrow(_VOCABULARY_TABLE, pa.table({"v_term": model.terms}))
    try:
        totals = engine.to_arrow(per.group_by(["post_id", "account_id"]).aggregate(n=per.n.sum()))
        known = per.semi_join(vocabulary, per.token == vocabulary.v_term)
        counted = engine.to_arrow(known.group_by(["post_id", "token"]).aggregate(n=known.n.sum()))
    finally:
        engine.release(_VOCABULARY_TABLE)
    ids = totals["post_id"].to_pylist()
    X = documents_matrix(counted.rename_columns(["doc", "token", "n"]), ids, vocabulary=model.terms)
    X.tokens = totals["n"].to_numpy().astype(np.float64)
    status = model.status(X)
    probability = model.predict_proba(X)
    n = len(X)
    table = pa.table(
        {
            "run_id": [keys["run_id"]] * n,
            "signature_id": [keys["signature_id"]] * n,
            "platform": [keys["platform"]] * n,
            "post_id": ids,
            "account_id": totals["account_id"],
            "tokens": X.tokens.astype(np.int64),
            "score": model.decision(X),
            "probability": pa.array(probability, mask=np.isnan(probability)),
            "resonant": np.where(np.isnan(probability), False, probability >= model.threshold),
            "status": pa.array(status.tolist(), pa.string()),
            "coverage": model.coverage(X),
            "top_terms": [json.dumps(t, ensure_ascii=False) for t in model.explain(X, n=3)],
        }
    )
    store.insert("resonance_posts", table)
    return n


def load_resonance(store: Store, run_id: str | None = None, *, top: int = 20) -> ResonanceRun:
    """A stored resonance run (the latest completed one by default) with its `top` most
    resonant accounts (highest probability, then score, then account id)."""
    run = store.completed_run(COMMAND, run_id)
    cur = store.con.execute(
        "SELECT platform, account_id, tokens, score, probability, resonant, status, source, "
        "top_terms FROM resonance_scores WHERE run_id = ? AND period IS NULL AND resonant "
        "ORDER BY probability DESC, score DESC, account_id LIMIT ?",
        [run.run_id, top],
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["top_terms"] = json.loads(r["top_terms"])
    return ResonanceRun(run.run_id, run.counts, rows)


def explain_resonance(
    store: Store, account: str, *, run_id: str | None = None, engine: Engine | None = None
) -> dict[str, Any]:
    """One account's score in a resonance run (the latest by default), by id or handle:
    score, probability, resonant, status, tokens, the share of them the model knows, where
    the probability comes from, and the terms behind the score (``[term, uses,
    contribution to the log-odds]``). Handles are looked up in the posts of `engine`
    (default: the store's)."""
    run = store.completed_run(COMMAND, run_id)
    name = account.lstrip("@")
    engine = engine or as_engine(store)
    posts = engine.table("posts")
    named = posts.filter(posts.account_handle.lower() == ibis.literal(name).lower())
    ids = [name, *sorted(_ids(named.select("account_id").distinct(), engine))]
    cur = store.con.execute(
        """
        SELECT r.account_id, r.score, r.probability, r.resonant, r.status, r.tokens, r.coverage,
               r.source, r.top_terms
        FROM resonance_scores r
        WHERE r.run_id = ? AND r.period IS NULL AND list_contains(?, r.account_id)
        ORDER BY r.account_id LIMIT 1
        """,
        [run.run_id, ids],
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
    context.say("scoring every account's resonance with it (the signature's classifier)")
    result = run_resonance(store, name, period="week", seed=context.seed)
    res = result.summary
    cv = res["cv"]
    text = (
        f"Resonance scored {res['scored_accounts']:,} accounts "
        f"({res['too_little_text']:,} with too little text, {res['unlike_training']:,} unlike "
        f"the training data) and found {res['resonant_accounts']:,} resonant; the signature's "
        f"classifier, cross-validated on its training accounts ({cv['folds']}-fold): precision "
        f"{cv['precision']:.3f}, recall {cv['recall']:.3f}, ROC AUC {cv['roc_auc']:.3f} (its "
        "reference holds the operation's unseen accounts, so precision there is a floor)."
    )
    return DemoStep(result, {k: v for k, v in res.items() if k != "parameters"}, text)
