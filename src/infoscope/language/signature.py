"""Lexical signatures: the terms that set a group's language apart, stored and portable.

`run_signature` counts tokens (see `infoscope.language.tokens`) in the target and reference
groups' posts inside the engine, computes their keyness (`compute_keyness`) and keeps the
``size`` most distinctive terms on each side with ``|z| >= z_min`` (3.29 is two-sided p =
0.001): the target's terms get a positive weight, the reference's a negative one, the weight
being the term's log-odds ratio (the evidence one use of it carries). A `Signature` is saved in
the store (``signatures``, ``signature_terms``) with every parameter that made it, and can be
written to and read from a JSON file (`write_signature`, `read_signature`), so a signature
learnt on one corpus scores accounts in another. `get_signature` reads a stored signature by
name or id; `load_signature` reads a learning run back (`SignatureRun`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
from ibis import _

from infoscope.errors import BadParameterError, InfoscopeError
from infoscope.language.groups import GroupSpec, group_posts
from infoscope.language.keyness import TermCounts, compute_keyness
from infoscope.language.tokens import TokenOptions, post_tokens
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "Signature",
    "SignatureRun",
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
FILE_VERSION = 1
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

    @property
    def weights(self) -> dict[str, float]:
        return dict(
            zip(self.terms["term"].to_pylist(), self.terms["weight"].to_pylist(), strict=True)
        )

    @property
    def options(self) -> TokenOptions:
        o = self.parameters.get("tokens", {})
        return TokenOptions(
            kinds=tuple(o.get("kinds", TokenOptions().kinds)),
            ngrams=int(o.get("ngrams", 1)),
            min_length=int(o.get("min_length", 2)),
        )

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
        }


def term_counts(tokens: ibis.Table) -> tuple[pa.Table, int, int]:
    """``term, uses, accounts, top_share`` of a token table, its total tokens and accounts."""
    per_account = tokens.group_by(["token", "account_id"]).aggregate(n=_.count())
    per_term = per_account.group_by("token").aggregate(
        uses=per_account.n.sum(), accounts=_.count(), top=per_account.n.max()
    )
    table = per_term.select(
        term="token",
        uses="uses",
        accounts="accounts",
        top_share=per_term.top.cast("float64") / per_term.uses,
    ).to_pyarrow()
    totals = tokens.aggregate(n=_.count(), accounts=_.account_id.nunique()).to_pyarrow()
    return table, int(totals["n"][0].as_py() or 0), int(totals["accounts"][0].as_py() or 0)


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
    replace: bool = False,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> SignatureRun:
    """Learn the signature of `target` against `reference` (group specs) and store it.

    Learning is deterministic: `seed` is recorded for the run's provenance only."""
    from infoscope.language.detect import detect_languages, posts_with_language

    say = progress or (lambda message: None)
    t_spec = target if isinstance(target, GroupSpec) else GroupSpec.parse(target)
    r_spec = reference if isinstance(reference, GroupSpec) else GroupSpec.parse(reference)
    if t_spec.kind == "rest":
        raise BadParameterError("the target cannot be 'rest'; name a group")
    if size < 1:
        raise BadParameterError(f"size must be at least 1, got {size}")
    opts = options or TokenOptions()
    platform = platform or store.default_platform()
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
    }
    with store.run(COMMAND, {**params, "name": name}, seed=seed) as run:
        say("identifying languages of posts without one")
        detect_languages(store)
        posts = posts_with_language(store)
        counted = {}
        for side, spec, other in (("target", t_spec, r_spec), ("reference", r_spec, t_spec)):
            say(f"counting the {side}'s tokens ({spec})")
            chosen = group_posts(store, spec, platform, other=other, posts=posts)
            table, tokens, accounts = term_counts(post_tokens(chosen, opts))
            counted[side] = TermCounts.from_table(
                table, total_tokens=tokens, total_accounts=accounts
            )
        for side, counts in counted.items():
            if counts.total_tokens == 0:
                spec = t_spec if side == "target" else r_spec
                raise BadParameterError(
                    f"the {side} group {spec} has no posts with tokens on {platform}; "
                    "check the spec (infoscope stats lists labels) or --platform"
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
            | {"signature_terms": terms.num_rows, "tested_terms": keyness.num_rows},
        )
        save_signature(store, signature, run_id=run.run_id, replace=replace)
        run.counts = {
            "signature_id": signature.signature_id,
            "name": signature.name,
            **signature.counts,
        }
    return SignatureRun(run.run_id, run.counts, signature)


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
    return Signature(
        name=str(row[1]),
        terms=terms,
        parameters=json.loads(row[3]),
        counts=json.loads(row[4]) if row[4] else {},
        signature_id=sid,
        created_at=row[2],
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
    if data.get("version") != FILE_VERSION:
        raise BadParameterError(
            f"{path}: signature file version {data.get('version')}; this infoscope reads "
            f"version {FILE_VERSION}"
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
