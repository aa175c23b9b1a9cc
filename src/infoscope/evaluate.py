"""Score what has run in a store against a scenario's ground truth.

The truth is what `infoscope simulate` writes next to a corpus: ``truth_posts.parquet``
(one row per post: ``post_id``, ``account_id``, ``created_at``, ``kind``, ``planted``, ...),
``truth_accounts.csv`` and the ``scenario.json`` manifest. Ids are those the importers store.

`evaluate` scores ingest (`evaluate_ingest`: did the importers keep every post, with its kind
and time?) and then every registered analysis that has an evaluator (`infoscope.registry`: the
evaluator lives in the analysis' package and documents its metrics), and returns
``{analysis: {metric: value}}``; an analysis that has not run in the store is left out.

Ingest's metrics: ``post_recall`` and ``planted_post_recall`` (share of truth posts stored),
``account_recall`` (share of posting accounts stored), ``kind_agreement`` and
``time_agreement`` (share of stored truth posts whose kind and creation time match the truth
exactly: to the minute for io-archive, whose times have minute precision), and
``extra_posts`` (posts of the scenario's platform that the truth does not know: 0 unless other
data was ingested).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from infoscope.errors import InfoscopeError
from infoscope.store import Store

__all__ = ["Truth", "evaluate", "evaluate_ingest", "format_score", "load_truth", "ratio"]

TRUTH_POSTS = "truth_posts.parquet"
TRUTH_ACCOUNTS = "truth_accounts.csv"
MANIFEST = "scenario.json"


@dataclass(frozen=True)
class Truth:
    """Paths of a scenario's ground truth, and its manifest."""

    directory: Path
    posts: Path
    accounts: Path
    manifest: dict[str, Any]

    @property
    def platform(self) -> str:
        """The platform the scenario's format is stored under (``twitter``, ``telegram``,
        ``mastodon``, ``bluesky``): what the truth joins the store on."""
        from infoscope.scenario.writers import CORPUS_WRITERS

        writer = CORPUS_WRITERS.get(str(self.manifest.get("format", "twitter-v2")))
        return writer.platform if writer is not None else "twitter"


def load_truth(path: str | Path) -> Truth:
    """The truth next to `path`: a scenario directory, its manifest or one of its truth files."""
    path = Path(path)
    directory = path if path.is_dir() else path.parent
    posts, accounts, manifest = (directory / n for n in (TRUTH_POSTS, TRUTH_ACCOUNTS, MANIFEST))
    missing = [p.name for p in (posts, accounts, manifest) if not p.exists()]
    if not path.exists() or missing:
        raise InfoscopeError(
            f"--truth {path}: no scenario ground truth there "
            f"(missing {', '.join(missing) or path}); "
            "pass the directory written by `infoscope simulate --out DIR`"
        )
    return Truth(directory, posts, accounts, orjson.loads(manifest.read_bytes()))


def evaluate(store: Store, truth: Truth) -> dict[str, dict[str, float]]:
    """Score ingest and every registered analysis that has run: ``{analysis: {metric: value}}``."""
    from infoscope.registry import registered_analyses

    results = {}
    found = evaluate_ingest(store, truth)
    if found is not None:
        results["ingest"] = found
    for name, analysis in registered_analyses().items():
        if analysis.evaluator is None:
            continue
        scores = analysis.function("evaluator")(store, truth)
        if scores is not None:
            results[name] = scores
    return results


def format_score(value: float) -> str:
    """A metric for people: counts as integers, rates with four decimals."""
    if value == value and float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4f}"


def ratio(num: int, den: int) -> float:
    """`num` / `den`, NaN when `den` is 0 (a rate over nothing is undefined, not 0)."""
    return num / den if den else float("nan")


def evaluate_ingest(store: Store, truth: Truth) -> dict[str, float] | None:
    """How faithfully the importers kept the scenario's posts (None before any ingest)."""
    con = store.con
    ran = con.execute(
        "SELECT count(*) FROM runs WHERE command = 'ingest' AND status = 'completed'"
    ).fetchone()
    if not ran or not ran[0]:
        return None
    platform = truth.platform
    # io-archive states times to the minute, as Twitter's archive does.
    precision = "minute" if truth.manifest.get("format") == "io-archive" else "microseconds"
    row = con.execute(
        f"""
        WITH t AS (SELECT * FROM read_parquet(?)),
             joined AS (
               SELECT t.planted, t.kind AS true_kind, t.created_at AS true_at,
                      p.post_id IS NOT NULL AS found, p.kind, p.created_at
               FROM t LEFT JOIN posts p ON p.platform = '{platform}' AND p.post_id = t.post_id)
        SELECT count(*), count(*) FILTER (WHERE found),
               count(*) FILTER (WHERE planted), count(*) FILTER (WHERE planted AND found),
               count(*) FILTER (WHERE found AND kind = true_kind),
               count(*) FILTER (WHERE found AND date_trunc('{precision}', created_at)
                                                 = date_trunc('{precision}', true_at))
        FROM joined
        """,
        [str(truth.posts)],
    ).fetchone()
    assert row is not None
    total, found, planted, planted_found, kind_ok, time_ok = (int(v) for v in row)
    accounts = con.execute(
        f"""
        SELECT count(*), count(a.account_id)
        FROM (SELECT DISTINCT account_id FROM read_parquet(?)) t
        LEFT JOIN accounts a ON a.platform = '{platform}' AND a.account_id = t.account_id
        """,
        [str(truth.posts)],
    ).fetchone()
    assert accounts is not None
    extra = con.execute(
        f"""
        SELECT count(*) FROM posts p WHERE p.platform = '{platform}' AND NOT EXISTS (
          SELECT 1 FROM read_parquet(?) t WHERE t.post_id = p.post_id)
        """,
        [str(truth.posts)],
    ).fetchone()
    return {
        "posts": float(total),
        "post_recall": ratio(found, total),
        "planted_post_recall": ratio(planted_found, planted),
        "account_recall": ratio(int(accounts[1]), int(accounts[0])),
        "kind_agreement": ratio(kind_ok, found),
        "time_agreement": ratio(time_ok, found),
        "extra_posts": float(extra[0] if extra else 0),
    }
