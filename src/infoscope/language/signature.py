"""Lexical signatures: what sets a group's language apart, stored, portable and scored.

`run_signature` selects the target's and the reference's posts (group specs, see
`infoscope.language.groups`), describes how far they differ in time, language and topic, and
warns when the reference would teach the signature something other than the group's language
(`infoscope.language.reference`; ``match`` restricts both groups to the periods, languages
and topics they share, and ``drop_event_terms`` leaves out terms that only mark one moment).
Then, from the same posts tokenised in the engine (`infoscope.language.tokens`):

- the **keyness table** an analyst reads: the ``size`` most distinctive terms on each side with
  ``|z| >= z_min`` (log-odds with an informative Dirichlet prior, with G2 and log-ratio;
  `compute_keyness`), the target's with a positive weight, the reference's a negative one;
- the **classifier** that scores accounts (`infoscope.language.model.SignatureClassifier`):
  one document per account and side, a regularised logistic regression with the keyness
  log-odds as its prior, its size, penalty and prior weight chosen by cross-validation, Platt
  calibration and a threshold learnt out-of-fold on these training documents only; with
  ``posts``, a second one on single posts. The training accounts' out-of-fold probabilities
  are kept, so scoring this store does not score them with a model that saw them.

A `Signature` is saved in the store (``signatures``, ``signature_terms``, ``signature_models``,
``signature_training``) with every parameter that made it, and written to and read from a JSON
file (`write_signature`, `read_signature`) with its models, calibration and thresholds, so a
signature learnt on one corpus scores accounts in another without being fitted again there.
`get_signature` reads a stored signature by name or id; `load_signature` reads a learning run
back (`SignatureRun`).

Engines: the posts, the groups, the tokens, the term counts and the documents are computed on
an `infoscope.engine.Engine` (``engine=``; default the store's DuckDB; Spark over a Parquet
export with ``--engine spark``); the training documents leave the engine as integer cells
(document, term, count) with the vocabulary and each document's total, not as one row per
term name; keyness, the classifier's fitting and calibration run here,
and the signature is stored in the DuckDB store whichever engine counted its terms. The run
records the engine, its versions and the input's fingerprint.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pyarrow as pa
import pyarrow.compute
from ibis import _
from scipy import sparse

from infoscope.engine import Engine, as_engine, engine_run
from infoscope.errors import BadParameterError, InfoscopeError
from infoscope.language.groups import (
    DETECTED_TABLE,
    GroupSpec,
    group_posts,
    group_table,
    language_posts,
)
from infoscope.language.keyness import TermCounts, compute_keyness
from infoscope.language.model import MIN_DOCUMENTS, SignatureClassifier, SignatureModel
from infoscope.language.tokens import STOPWORDS_TABLE, TokenOptions, post_tokens
from infoscope.queries import resolve_platforms
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

if TYPE_CHECKING:
    from infoscope.language.resonance import AccountTerms

__all__ = [
    "Signature",
    "SignatureRun",
    "classifier_tokens",
    "demo_signature",
    "get_signature",
    "list_signatures",
    "load_signature",
    "read_signature",
    "run_signature",
    "save_signature",
    "select_terms",
    "term_counts",
    "write_signature",
]

COMMAND = "signature"

FILE_FORMAT = "infoscope-signature"
FILE_VERSION = 2
UNITS = ("account", "post")
POSTS_PER_ACCOUNT = 40
MAX_POSTS = 50_000
# Engine tables of the training documents (their cells, rows and columns), released once read.
_CELLS_TABLE = "_infoscope_signature_cells"
_ROWS_TABLE = "_infoscope_signature_rows"
_COLUMNS_TABLE = "_infoscope_signature_columns"
MIN_POST_TOKENS = 4
TERM_COLUMNS = (
    "term",
    "weight",
    "z",
    "log_odds",
    "g2",
    "log_ratio",
    "target_count",
    "reference_count",
    "target_accounts",
    "reference_accounts",
)


@dataclass
class Signature:
    """A named set of weighted terms with the parameters and counts that produced it."""

    name: str
    terms: pa.Table
    parameters: dict[str, Any]
    counts: dict[str, Any] = field(default_factory=dict)
    signature_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    models: dict[str, SignatureModel] = field(default_factory=dict)

    def model(self, unit: str = "account") -> SignatureModel:
        """The classifier scoring `unit` documents, or a BadParameterError saying how to get
        one (signatures learnt before version 2 or imported from version-1 files have none)."""
        if unit not in self.models:
            raise BadParameterError(
                f"signature {self.name!r} has no {unit} classifier: learn it again with "
                "`infoscope signature learn`"
                + (" --posts" if unit == "post" else "")
                + " (signatures from older versions carry only their terms)"
            )
        return self.models[unit]

    @property
    def weights(self) -> dict[str, float]:
        return dict(
            zip(self.terms["term"].to_pylist(), self.terms["weight"].to_pylist(), strict=True)
        )

    @property
    def options(self) -> TokenOptions:
        """How the keyness table's tokens were made."""
        return TokenOptions.from_dict(self.parameters.get("tokens"))

    def top(self, n: int = 20, *, side: str = "target") -> list[dict[str, Any]]:
        rows = self.terms.to_pylist()
        rows = [r for r in rows if (r["weight"] > 0) == (side == "target")]
        rows.sort(key=lambda r: -abs(r["z"]))
        return rows[:n]

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": FILE_FORMAT,
            "version": FILE_VERSION,
            "signature_id": self.signature_id,
            "name": self.name,
            "created_at": self.created_at.isoformat(),
            "parameters": self.parameters,
            "counts": self.counts,
            "terms": self.terms.to_pylist(),
            "models": {unit: m.as_dict() for unit, m in self.models.items()},
        }


def _arrow(expr: Any, engine: Engine | None) -> pa.Table:
    """The rows of `expr` from `engine`, or from the expression's own backend."""
    return expr.to_pyarrow() if engine is None else engine.to_arrow(expr)


def term_counts(tokens: ibis.Table, *, engine: Engine | None = None) -> tuple[pa.Table, int, int]:
    """``term, uses, accounts, top_share`` of a token table, its total tokens and accounts,
    counted by `engine` (default: the table's own backend) in one query: the tokens are
    computed once."""
    per_account = tokens.group_by(["token", "account_id"]).aggregate(n=_.count())
    per_term = per_account.group_by("token").aggregate(
        uses=per_account.n.sum(), accounts=_.count(), top=per_account.n.max()
    )
    terms = per_term.select(
        term="token",
        uses="uses",
        accounts="accounts",
        top_share=per_term.top.cast("float64") / per_term.uses,
    )
    # The totals ride along as the one row without a term (tokens are never NULL).
    totals = per_account.aggregate(
        uses=per_account.n.sum(), accounts=per_account.account_id.nunique()
    ).select(
        term=ibis.null("string"), uses="uses", accounts="accounts", top_share=ibis.null("float64")
    )
    both = _arrow(terms.union(totals.cast(terms.schema()), distinct=False), engine)
    total = both.filter(pa.compute.is_null(both["term"]))
    table = both.filter(pa.compute.is_valid(both["term"]))
    return table, int(total["uses"][0].as_py() or 0), int(total["accounts"][0].as_py() or 0)


@dataclass
class SignatureRun(AnalysisResult):
    """A stored signature-learning run: its summary and the signature it stored."""

    signature: Signature | None = None

    def as_dict(self) -> dict[str, Any]:
        sig = self.signature
        return {
            "run_id": self.run_id,
            **self.summary,
            "signature": None if sig is None else {**sig.as_dict(), "terms": sig.top(20)},
        }


def run_signature(
    store: Store,
    target: str | GroupSpec,
    reference: str | GroupSpec = "rest",
    *,
    name: str | None = None,
    platform: str | None = None,
    options: TokenOptions | None = None,
    size: int = 200,
    z_min: float = 3.29,
    min_count: int = 5,
    min_accounts: int = 3,
    max_account_share: float = 0.5,
    prior_strength: float = 1000.0,
    match: tuple[str, ...] = (),
    match_period: str = "day",
    topic: str | None = None,
    drop_event_terms: bool = False,
    min_tokens: int = 20,
    folds: int = 5,
    precision: float | None = None,
    posts: bool = False,
    replace: bool = False,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> SignatureRun:
    """Learn the signature of `target` against `reference` (group specs) and store it: the
    keyness table and the classifier (see the module docstring). Returns the run, whose
    summary holds the groups' overlap, its warnings and the classifier's cross-validated
    figures. `engine` computes the posts' tokens, counts and documents (default: the
    store's DuckDB); the signature is stored in `store`."""
    from infoscope.language.reference import describe_overlap, event_terms, match_posts

    say = progress or (lambda message: None)
    t_spec = target if isinstance(target, GroupSpec) else GroupSpec.parse(target)
    r_spec = reference if isinstance(reference, GroupSpec) else GroupSpec.parse(reference)
    if t_spec.kind == "rest":
        raise BadParameterError("the target cannot be 'rest'; name a group")
    if size < 1:
        raise BadParameterError(f"size must be at least 1, got {size}")
    opts = options or TokenOptions()
    engine = engine or as_engine(store)
    platform = platform or resolve_platforms(engine.table("posts"), None, engine=engine)[0]
    name = name or f"{t_spec} vs {r_spec}"
    _check_name(store, name, replace)
    params = {
        "target": str(t_spec),
        "reference": str(r_spec),
        "platform": platform,
        "tokens": opts.as_dict(),
        "size": size,
        "z_min": z_min,
        "min_count": min_count,
        "min_accounts": min_accounts,
        "max_account_share": max_account_share,
        "prior_strength": prior_strength,
        "match": list(match),
        "match_period": match_period,
        "topic": topic,
        "drop_event_terms": drop_event_terms,
        "min_tokens": min_tokens,
        "folds": folds,
        "precision": precision,
        "posts": posts,
    }
    # The engine is a parameter of the run, not of the signature (which travels to other
    # stores); the engine tables made on the way go, however the run ends.
    made = (
        STOPWORDS_TABLE,
        DETECTED_TABLE,
        group_table(t_spec, platform),
        group_table(r_spec, platform),
    )
    with engine_run(
        store, engine, COMMAND, {**params, "name": name}, seed=seed, release=made
    ) as run:
        say("identifying languages of posts without one")
        everything = language_posts(store, engine, detect=True)
        sides = {
            side: group_posts(store, spec, platform, other=other, posts=everything, engine=engine)
            for side, spec, other in (("target", t_spec, r_spec), ("reference", r_spec, t_spec))
        }
        say("comparing the groups' periods, languages and topics")
        overlap = {
            "groups": describe_overlap(
                sides["target"], sides["reference"], period=match_period, engine=engine
            )
        }
        if match:
            sides["target"], sides["reference"] = match_posts(
                sides["target"],
                sides["reference"],
                match,
                period=match_period,
                topic=topic,
                engine=engine,
            )
            overlap["matched"] = describe_overlap(
                sides["target"], sides["reference"], period=match_period, engine=engine
            )
        warnings = overlap["matched" if match else "groups"]["warnings"]
        for warning in warnings:
            say(f"warning: {warning}")
        keep = ("platform", "post_id", "account_id", "created_at")
        tokens = {
            side: post_tokens(chosen, opts, keep=keep, engine=engine)
            for side, chosen in sides.items()
        }
        # The classifier reads style too: function words and word pairs.
        model_opts = classifier_tokens(opts)
        model_tokens = {
            side: post_tokens(chosen, model_opts, keep=keep, engine=engine)
            for side, chosen in sides.items()
        }
        events: set[str] = set()
        if drop_event_terms:
            say("finding terms that mark one moment")
            events = event_terms(
                model_tokens["target"].union(model_tokens["reference"], distinct=False),
                period=match_period,
                min_count=min_count,
                engine=engine,
            )
            if events:
                dropped = sorted(events)
                tokens = {side: t.filter(~t.token.isin(dropped)) for side, t in tokens.items()}
                model_tokens = {
                    side: t.filter(~t.token.isin(dropped)) for side, t in model_tokens.items()
                }
        counted = {}
        for side, spec in (("target", t_spec), ("reference", r_spec)):
            say(f"counting the {side}'s tokens ({spec})")
            table, total, accounts = term_counts(tokens[side], engine=engine)
            if total == 0:
                raise BadParameterError(
                    f"the {side} group {spec} has no posts with tokens on {platform}"
                    + (" after matching" if match else "")
                    + "; check the spec (infoscope stats lists labels), --platform or --match"
                )
            counted[side] = TermCounts.from_table(
                table, total_tokens=total, total_accounts=accounts
            )
        say("computing keyness")
        keyness = compute_keyness(
            counted["target"],
            counted["reference"],
            min_count=min_count,
            min_accounts=min_accounts,
            max_account_share=max_account_share,
            prior_strength=prior_strength,
        )
        terms = select_terms(keyness, size=size, z_min=z_min)
        say("learning the classifier (cross-validated size, penalty and prior)")
        documents = _documents(model_tokens, "account", engine=engine)
        classifier = SignatureClassifier(
            min_tokens=min_tokens, folds=folds, precision=precision,
            prior_strength=prior_strength, seed=seed,
        ).fit(documents.X, documents.y)  # fmt: skip
        classifier.model_.parameters["tokens"] = model_opts.as_dict()
        models = {"account": classifier.model_}
        if posts:
            say("learning the classifier of single posts")
            post_documents = _documents(model_tokens, "post", seed=seed, engine=engine)
            models["post"] = SignatureClassifier(
                min_tokens=MIN_POST_TOKENS, folds=folds, precision=precision,
                prior_strength=prior_strength, seed=seed,
            ).fit(post_documents.X, post_documents.y).model_  # fmt: skip
            models["post"].parameters["tokens"] = model_opts.as_dict()
        signature = Signature(
            name=name,
            terms=terms,
            parameters=params,
            counts={
                side: {
                    "tokens": c.total_tokens,
                    "accounts": c.total_accounts,
                    "terms": len(c.terms),
                }
                for side, c in counted.items()
            }
            | {
                "signature_terms": terms.num_rows,
                "tested_terms": keyness.num_rows,
                "event_terms": len(events),
                "overlap": overlap,
                "warnings": warnings,
                "models": {
                    u: {"cv": m.cv, **m.parameters, "terms": len(m.terms), "threshold": m.threshold}
                    for u, m in models.items()
                },
            },
            models=models,
        )
        save_signature(store, signature, run_id=run.run_id, replace=replace)
        _save_training(store, signature, run.run_id, platform, documents, classifier)
        run.counts = {
            "signature_id": signature.signature_id,
            "name": signature.name,
            **signature.counts,
        }
    return SignatureRun(run.run_id, run.counts, signature)


def classifier_tokens(options: TokenOptions) -> TokenOptions:
    """The classifier's tokens: those of `options` with stop words kept and word bigrams
    added (style as well as vocabulary: on the IRA posts this closed the gap to a TF-IDF
    baseline of word unigrams and bigrams, see ``benchmarks/real_resonance.py``)."""
    return TokenOptions(
        kinds=options.kinds, ngrams=2, min_length=options.min_length, stop_words=True
    )


@dataclass
class _Documents:
    """Training documents: their matrix, labels (True: target) and (side, account) keys."""

    X: AccountTerms
    y: np.ndarray
    keys: list[tuple[str, str]]


def _documents(
    tokens: dict[str, ibis.Table], unit: str, *, engine: Engine, seed: int = 0
) -> _Documents:
    """One document per account and side (``unit="account"``), or single posts: up to
    `POSTS_PER_ACCOUNT` per account, `MAX_POSTS` in all, drawn by a seeded hash (MD5, which
    every engine computes alike, so each draws the same posts), counted by `engine`.

    The counts stay in the engine: what comes back is each document's total, the vocabulary
    (terms of at least 3 documents, in code point order) and the cells as integer positions,
    so memory here grows with the cells, not with the posts or the length of their terms."""
    parts = []
    for position, table in enumerate(tokens.values()):
        doc = table.account_id if unit == "account" else table.post_id
        chosen = table.mutate(doc=doc)
        if unit == "post":
            draw = (chosen.post_id + ibis.literal(f":{seed}")).hexdigest("md5")
            posts = chosen.select("account_id", "post_id", draw=draw).distinct()
            posts = posts.mutate(
                rank=ibis.row_number().over(group_by="account_id", order_by=[posts.draw, "post_id"])
            )
            posts = posts.filter(posts["rank"] < POSTS_PER_ACCOUNT)
            posts = posts.order_by(["draw", "post_id"]).limit(MAX_POSTS // 2)
            drawn = posts.select(p_id="post_id")
            chosen = chosen.semi_join(drawn, chosen.post_id == drawn.p_id)
        counted = chosen.group_by(["doc", "token"]).aggregate(n=_.count())
        parts.append(counted.mutate(side=ibis.literal(position, "int8")))
    union = parts[0]
    for part in parts[1:]:
        union = union.union(part, distinct=False)
    cells = engine.materialize(_CELLS_TABLE, union)
    try:
        totals = engine.to_arrow(cells.group_by(["side", "doc"]).aggregate(total=cells.n.sum()))
        spread = cells.group_by("token").aggregate(k=_.count())
        found = engine.to_arrow(spread.filter(spread.k >= MIN_DOCUMENTS).select("token"))
        # Every document has a token: its keys, side by side, in code point order.
        order = pa.compute.sort_indices(totals, [("side", "ascending"), ("doc", "ascending")])
        totals = totals.take(order)
        terms = found["token"].take(pa.compute.sort_indices(found["token"]))
        rows = engine.from_arrow(
            _ROWS_TABLE,
            pa.table({"r_side": totals["side"], "r_doc": totals["doc"],
                      "r": pa.array(np.arange(totals.num_rows, dtype=np.int32))}),
        )  # fmt: skip
        columns = engine.from_arrow(
            _COLUMNS_TABLE,
            pa.table({"c_token": terms, "c": pa.array(np.arange(len(terms), dtype=np.int32))}),
        )
        placed = cells.join(rows, [cells.side == rows.r_side, cells.doc == rows.r_doc])
        placed = placed.join(columns, placed.token == columns.c_token)
        found_cells = engine.to_arrow(placed.select("r", "c", "n"))
    finally:
        engine.release(_CELLS_TABLE, _ROWS_TABLE, _COLUMNS_TABLE)
    from infoscope.language.resonance import AccountTerms

    matrix = sparse.csr_matrix(
        (
            found_cells["n"].to_numpy().astype(np.float64),
            (found_cells["r"].to_numpy(), found_cells["c"].to_numpy()),
        ),
        shape=(totals.num_rows, len(terms)),
    )
    names = list(tokens)
    sides = [names[i] for i in totals["side"].to_pylist()]
    docs = [str(d) for d in totals["doc"].to_pylist()]
    keys = list(zip(sides, docs, strict=True))
    X = AccountTerms(
        matrix,
        terms.to_pylist(),
        totals["total"].to_numpy().astype(np.float64),
        [f"{side}:{doc}" for side, doc in keys],
    )
    return _Documents(X, np.array([side == "target" for side in sides]), keys)


def _save_training(
    store: Store,
    signature: Signature,
    run_id: str,
    platform: str,
    documents: _Documents,
    classifier: SignatureClassifier,
) -> None:
    """Each training account's side and out-of-fold probability (NaN: too little text)."""
    rows = pa.table(
        {
            "signature_id": [signature.signature_id] * len(documents.keys),
            "run_id": [run_id] * len(documents.keys),
            "platform": [platform] * len(documents.keys),
            "account_id": [account for _side, account in documents.keys],
            "target": pa.array(documents.y, pa.bool_()),
            "oof_probability": pa.array(
                classifier.oof_proba_, mask=np.isnan(classifier.oof_proba_)
            ),
        }
    )
    store.insert("signature_training", rows)


def select_terms(keyness: pa.Table, *, size: int, z_min: float) -> pa.Table:
    """The `size` strongest terms on each side with ``|z| >= z_min``, weighted by log-odds."""
    rows = keyness.to_pylist()
    ahead = [r for r in rows if r["z"] >= z_min][:size]
    behind = sorted((r for r in rows if r["z"] <= -z_min), key=lambda r: r["z"])[:size]
    chosen = ahead + behind
    return pa.table(
        {
            "term": [r["term"] for r in chosen],
            "weight": [float(r["log_odds"]) for r in chosen],
            "z": [float(r["z"]) for r in chosen],
            "log_odds": [float(r["log_odds"]) for r in chosen],
            "g2": [float(r["g2"]) for r in chosen],
            "log_ratio": [float(r["log_ratio"]) for r in chosen],
            "target_count": pa.array([r["target_count"] for r in chosen], pa.int64()),
            "reference_count": pa.array([r["reference_count"] for r in chosen], pa.int64()),
            "target_accounts": pa.array([r["target_accounts"] for r in chosen], pa.int64()),
            "reference_accounts": pa.array([r["reference_accounts"] for r in chosen], pa.int64()),
        }
    )


# The current version of each signature name: the latest learnt or imported (older versions
# stay stored, reachable by id, so replacing one loses nothing).
_CURRENT = (
    "SELECT * FROM signatures QUALIFY row_number() OVER "
    "(PARTITION BY name ORDER BY created_at DESC, signature_id) = 1"
)


def _check_name(store: Store, name: str, replace: bool) -> None:
    row = store.con.execute("SELECT count(*) FROM signatures WHERE name = ?", [name]).fetchone()
    if row and row[0] and not replace:
        raise BadParameterError(
            f"a signature named {name!r} exists; choose another --name or pass --replace"
        )


def save_signature(
    store: Store, signature: Signature, *, run_id: str | None = None, replace: bool = False
) -> None:
    """Store `signature` as the current version of its name (with `replace`, a new version of a
    name already stored: the older ones stay, reachable by id)."""
    _check_name(store, signature.name, replace)
    terms = signature.terms.select(list(TERM_COLUMNS))
    terms = terms.add_column(0, "signature_id", pa.array([signature.signature_id] * len(terms)))
    terms = terms.append_column("run_id", pa.array([run_id] * len(terms), pa.string()))
    with store.transaction() as con:
        con.execute(
            "INSERT INTO signatures VALUES (?, ?, ?, ?, ?, ?)",
            [
                signature.signature_id,
                signature.name,
                run_id,
                signature.created_at,
                json.dumps(signature.parameters, sort_keys=True),
                json.dumps(signature.counts, sort_keys=True),
            ],
        )
        con.register("_terms", terms)
        con.execute("INSERT INTO signature_terms BY NAME SELECT * FROM _terms")
        con.unregister("_terms")
        for unit, model in signature.models.items():
            con.execute(
                "INSERT INTO signature_models VALUES (?, ?, ?, ?)",
                [signature.signature_id, unit, json.dumps(model.as_dict()), run_id],
            )


def list_signatures(store: Store) -> list[dict[str, Any]]:
    """The current version of every stored signature (id, name, creation time, parameters,
    number of terms), oldest first."""
    if not store.has_table("signatures"):
        return []
    cur = store.con.execute(
        "SELECT s.signature_id, s.name, s.created_at, s.parameters, "
        "(SELECT count(*) FROM signature_terms t WHERE t.signature_id = s.signature_id) AS terms "
        f"FROM ({_CURRENT}) s ORDER BY s.created_at"
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    for r in rows:
        r["parameters"] = json.loads(r["parameters"])
    return rows


def get_signature(store: Store, name_or_id: str) -> Signature:
    """A stored signature by name or id."""
    row = None
    if store.has_table("signatures"):
        row = store.con.execute(
            "SELECT signature_id, name, created_at, parameters, counts FROM signatures "
            "WHERE name = ? OR signature_id = ? ORDER BY created_at DESC LIMIT 1",
            [name_or_id, name_or_id],
        ).fetchone()
    if row is None:
        known = ", ".join(repr(r["name"]) for r in list_signatures(store)) or "none yet"
        raise InfoscopeError(
            f"no signature {name_or_id!r} in {store.path} (stored: {known}); learn one with "
            "`infoscope signature learn` or import a file with `infoscope signature import`"
        )
    sid = str(row[0])
    terms = store.con.sql(
        f"SELECT {', '.join(TERM_COLUMNS)} FROM signature_terms WHERE signature_id = ? "
        "ORDER BY weight DESC, term",
        params=[sid],
    ).to_arrow_table()
    models = {}
    if store.has_table("signature_models"):
        models = {
            unit: SignatureModel.from_dict(json.loads(model))
            for unit, model in store.con.execute(
                "SELECT unit, model FROM signature_models WHERE signature_id = ?", [sid]
            ).fetchall()
        }
    return Signature(
        name=str(row[1]),
        terms=terms,
        parameters=json.loads(row[3]),
        counts=json.loads(row[4]) if row[4] else {},
        signature_id=sid,
        created_at=row[2],
        models=models,
    )


def write_signature(signature: Signature, path: str | Path) -> None:
    """Write `signature` as a JSON file (``-`` for stdout)."""
    text = json.dumps(signature.as_dict(), indent=2, ensure_ascii=False, default=str)
    if str(path) == "-":
        print(text)
    else:
        Path(path).write_text(text + "\n", encoding="utf-8")


def read_signature(path: str | Path, *, name: str | None = None) -> Signature:
    """A signature from a file written by `write_signature` (a new id; `name` renames it)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BadParameterError(f"{path}: not a readable signature file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        raise BadParameterError(
            f'{path}: not an infoscope signature file (no "format": "{FILE_FORMAT}"); '
            "export one with `infoscope signature export NAME --out FILE`"
        )
    if data.get("version") not in (1, FILE_VERSION):
        raise BadParameterError(
            f"{path}: signature file version {data.get('version')}; this infoscope reads "
            f"versions 1 and {FILE_VERSION}"
        )
    rows = data.get("terms") or []
    missing = [c for c in TERM_COLUMNS if rows and c not in rows[0]]
    if not rows or missing:
        raise BadParameterError(f"{path}: the signature has no terms or lacks {missing}")
    terms = pa.table({c: [r[c] for r in rows] for c in TERM_COLUMNS})
    return Signature(
        name=name or str(data["name"]),
        terms=terms,
        parameters=dict(data.get("parameters") or {}) | {"imported_from": str(path)},
        counts=dict(data.get("counts") or {}),
        models={
            unit: SignatureModel.from_dict(model)
            for unit, model in (data.get("models") or {}).items()
            if unit in UNITS
        },
    )


def load_signature(store: Store, run_id: str | None = None) -> SignatureRun:
    """A stored signature-learning run (the latest completed one by default) with the
    signature it stored (kept by id even when a later run replaced its name)."""
    run = store.completed_run(COMMAND, run_id)
    return SignatureRun(run.run_id, run.counts, get_signature(store, run.counts["signature_id"]))


def demo_signature(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: the signature of half of the first operation's accounts (seeds an
    analyst might hold) against everyone else."""
    import csv

    with open(context.scenario / "truth_accounts.csv", encoding="utf-8") as handle:
        members = [r["account_id"] for r in csv.DictReader(handle) if r["operation_id"] == "op1"]
    seeds = context.scenario / "seed_accounts.txt"
    seeds.write_text("\n".join(members[::2]) + "\n", encoding="utf-8")
    context.say(f"learning the signature of {seeds.name} (half of op1's accounts) vs the rest")
    result = run_signature(
        store, f"accounts:{seeds}", name="op1-seeds", replace=True, seed=context.seed
    )
    assert result.signature is not None
    sig = result.signature
    top = [r["term"] for r in sig.top(15)]
    text = (
        f"Signature `{sig.name}` ({sig.counts['signature_terms']} terms) of the seed accounts "
        "against everyone else; its top terms: " + ", ".join(f"`{t}`" for t in top) + "."
    )
    return DemoStep(result, {"name": sig.name, "counts": sig.counts, "top_terms": top}, text)
