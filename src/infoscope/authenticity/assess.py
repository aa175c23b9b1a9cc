"""Account authenticity signals: automation, amplification and persona inconsistency.

`run_accounts` computes, for every account of the store:

- **features**: behaviour features from posts (`infoscope.authenticity.behaviour`), the
  share of its own posts nearly repeating its earlier texts (``near_duplicate_share``,
  MinHash/LSH) and profile features (`infoscope.authenticity.profile`, prefixed
  ``profile.``), stored one row per account and known feature in ``account_features``;
- **profile probability**: the calibrated probability, from the shipped profile model, that
  the profile looks like an automated or purchased account, with the features that contributed
  most (``profile_explanation``). It is a signal from the profile alone, trained on one labelled
  set, not a verdict;
- **flags**, each with its evidence in words and numbers (``evidence``), in three separate
  families (never merged into one score):

  - automation: ``high_volume`` (a day over 72 posts), ``regular_intervals`` (gaps between
    posts with a coefficient of variation under 0.25 over 10+ gaps: a scheduler),
    ``copy_paste`` (half of its own posts repeat or nearly repeat its earlier texts), and
    ``bot_like_profile`` (profile probability at least ``Thresholds.profile_probability``) only
    when that threshold is set: off by default, because the shipped model, trained on verified
    humans against purchased followers, scores most ordinary accounts of other populations
    above 0.5 (94% of the scenario's organic accounts, 84% of the NBC IRA profiles). Its
    probability is always stored and shown, as a signal to read with that caveat;
  - amplification: ``fast_reactions`` (half of its retweets, replies and quotes of posts in
    the store within 60 s), ``retweet_only`` (90%+ retweets), ``hashtag_flooding`` (half of
    its posts with 3+ hashtags), ``single_domain`` (80%+ of its links to one domain);
  - persona: ``hours_vs_place`` and ``language_vs_place`` (from the latest ``infoscope
    locate`` run's checks: posting hours or language inconsistent with the claimed place),
    ``language_switch`` (the dominant language of its first and second half of posts differ),
    ``topic_switch`` (its hashtags in the two halves are nearly disjoint),
    ``creation_cluster`` (created in a week when far more accounts of the store were created
    than in the weeks around it: at least ``creation_ratio`` times their mean, and a Poisson
    test, Bonferroni over weeks).

Thresholds are parameters (`Thresholds`) recorded with the run. Flags describe behaviour; none
of them says who runs an account.

**Engines.** The passes over posts and accounts (behaviour features, near-duplicate shares,
the persona checks' halves and weekly creations, handles) are Ibis expressions run by an
`infoscope.engine.Engine` (``engine=``; default the store's DuckDB, Spark over a Parquet export
with ``--engine spark``). The profile features are DuckDB SQL (JSON and list functions with no
portable form): on another engine the account rows and each account's latest post time are
read from it, one row per account, and the same SQL runs on them in a scratch DuckDB on the
driver. The models, the flags and the place checks (the latest ``locate`` run's results) run
on the driver, and everything is written into the store, whichever engine computed it; the
run records the engine (``engine`` in its parameters).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa

from infoscope.engine import Engine, as_engine, engine_run
from infoscope.errors import InfoscopeError
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "AccountsRun",
    "Thresholds",
    "demo_accounts",
    "explain_account",
    "load_accounts",
    "run_accounts",
]

COMMAND = "accounts"


@dataclass(frozen=True)
class Thresholds:
    """Where each flag starts; see the module docstring."""

    max_posts_per_day: int = 72
    interval_cv: float = 0.25
    min_gaps: int = 10
    copy_paste_share: float = 0.5
    min_own_posts: int = 10
    profile_probability: float | Literal["model"] | None = None
    fast_reaction_share: float = 0.5
    min_reactions: int = 10
    retweet_share: float = 0.9
    hashtag_flood_share: float = 0.5
    single_domain_share: float = 0.8
    min_posts: int = 20
    min_links: int = 10
    switch_share: float = 0.7
    min_half_posts: int = 10
    topic_similarity: float = 0.1
    min_half_hashtags: int = 20
    creation_min_accounts: int = 5
    creation_alpha: float = 0.001
    creation_window_weeks: int = 8
    creation_ratio: float = 3.0


FAMILIES = ("automation", "amplification", "persona")


@dataclass
class AccountsRun(AnalysisResult):
    """A stored run of `run_accounts`: its id, summary (flag counts per family) and, per
    family, the accounts with the most flags of it (``top``)."""

    top: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def run_accounts(
    store: Store,
    *,
    platform: str | None = None,
    thresholds: Thresholds | None = None,
    near_duplicates: bool = True,
    top: int = 10,
    seed: int = 0,
    activity_model: str | Path | None = None,
    progress: Callable[[str], None] | None = None,
    engine: Engine | None = None,
) -> AccountsRun:
    """Compute features, the profile probability and every flag for the store's accounts,
    store them as a run and return it with its `top` flagged accounts per family.

    `near_duplicates` adds ``near_duplicate_share`` (MinHash/LSH over the account's own
    texts, `infoscope.common.minhash`, whose hashing is fixed: `seed` is recorded for
    provenance only): about 15 s per million posts.

    `activity_model` is a folder written by `train_activity_model` (``activity-model.json``
    and its manifest): with it, accounts with enough posts also get an automation-likeness;
    without it (the default: none ships, see the README) that stays NULL.

    `engine` computes the features (see the module docstring; default the store's DuckDB);
    the run is stored in `store` whichever engine computed it, with the same rows."""
    limits = thresholds or Thresholds()
    say = progress or (lambda message: None)
    engine = engine or as_engine(store)
    if not _count(engine, "accounts") and not _count(engine, "posts"):
        if engine.name != "duckdb":
            raise InfoscopeError(
                f"{engine.describe()['data']} has no accounts: export a store with some "
                "(infoscope export --format parquet --out DIR)"
            )
        raise InfoscopeError(
            f"store {store.path} has no accounts: ingest something first (infoscope ingest FILE)"
        )
    params = {
        "platform": platform,
        "thresholds": asdict(limits),
        "near_duplicates": near_duplicates,
        **({"activity_model": str(activity_model)} if activity_model is not None else {}),
    }
    from infoscope.authenticity.activity import load_activity_model

    model = None if activity_model is None else load_activity_model(activity_model)
    with engine_run(store, engine, COMMAND, params, seed=seed) as run:
        run.counts = _assess(
            store, engine, run.run_id, platform, limits, near_duplicates, model, say
        )
    return load_accounts(store, run.run_id, top=top)


def _count(engine: Engine, table: str) -> int:
    """Rows of the engine's `table` (0 when it has none)."""
    if not engine.has_table(table):
        return 0
    return int(engine.scalar(engine.table(table).count()) or 0)


def load_accounts(store: Store, run_id: str | None = None, *, top: int = 10) -> AccountsRun:
    """A stored accounts run (the latest completed one by default) with, per flag family,
    its `top` accounts with the most flags (then the most posts)."""
    run = store.completed_run(COMMAND, run_id)
    listed = {}
    for family in FAMILIES:
        cur = store.con.execute(
            f"SELECT account_id, handle, posts, profile_probability, {family} "
            f"FROM account_signals WHERE run_id = ? AND len({family}) > 0 "
            f"ORDER BY len({family}) DESC, posts DESC, account_id LIMIT ?",
            [run.run_id, top],
        )
        names = [d[0] for d in cur.description]
        listed[family] = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    return AccountsRun(run.run_id, run.counts, listed)


def demo_accounts(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: every account's automation, amplification and persona signals."""
    context.say("assessing account authenticity (automation, amplification, persona)")
    result = run_accounts(store, seed=context.seed)
    data = {k: result.summary[k] for k in ("accounts", "flagged", "flags")}
    text = (
        f"{data['accounts']:,} accounts assessed: "
        + "; ".join(
            f"{family} flags on {n:,} ("
            + (", ".join(f"{k} {v:,}" for k, v in data["flags"][family].items()) or "none")
            + ")"
            for family, n in data["flagged"].items()
        )
        + "."
    )
    return DemoStep(result, data, text)


def _assess(
    store: Store,
    engine: Engine,
    run_id: str,
    platform: str | None,
    t: Thresholds,
    near_duplicates: bool,
    model: Any,
    say: Callable[[str], None],
) -> dict[str, Any]:
    import time

    from infoscope.authenticity.behaviour import (
        FEATURES,
        behaviour_features,
        near_duplicate_shares,
    )

    seconds: dict[str, float] = {}
    started = time.perf_counter()
    say("computing behaviour features from posts")
    behaviour = behaviour_features(engine, platform=platform)
    seconds["behaviour"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    near = {} if not near_duplicates else near_duplicate_shares(engine, platform, say)
    seconds["near_duplicates"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    say("scoring profiles with the shipped profile model (with its domain check)")
    profiles, profile_table, model_info = _profile_scores(engine, platform)
    profile_names = [c for c in profile_table.column_names if c not in ("platform", "account_id")]
    seconds["profile"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    say("automation-likeness of accounts with posts (behaviour and profile combined)")
    activity, activity_info = _activity_scores(model, behaviour, near, profiles)
    seconds["automation_likeness"] = round(time.perf_counter() - started, 3)
    started = time.perf_counter()
    say("persona checks: place, language and topic switches, creation clusters")
    persona = _persona(store, engine, platform, t)
    seconds["persona"] = round(time.perf_counter() - started, 3)

    started = time.perf_counter()
    listed = engine.table("accounts")
    if platform is not None:
        listed = listed.filter(listed.platform == platform)
    accounts = engine.to_arrow(listed.select("platform", "account_id", "handle")).to_pylist()
    handles = {(r["platform"], r["account_id"]): r["handle"] for r in accounts}
    feats: dict[tuple[str, str], dict[str, Any]] = {
        (r["platform"], r["account_id"]): r for r in behaviour.to_pylist()
    }
    keys = sorted(set(handles) | set(feats) | set(profiles))
    no_activity = {
        "likeness": None,
        "status": None if activity_info is None else "too_little_known",
        "evidence": None,
    }
    rows: list[dict[str, Any]] = []
    for key in keys:
        f = feats.get(key, {})
        if key in near:
            f["near_duplicate_share"] = near[key]
        prof = profiles.get(key)
        act = activity.get(key, no_activity)
        evidence: dict[str, str] = {}
        automation = _automation(f, prof, t, evidence)
        amplification = _amplification(f, t, evidence)
        flags = persona.get(key, {})
        evidence.update(flags)
        rows.append(
            {
                "run_id": run_id,
                "platform": key[0],
                "account_id": key[1],
                "handle": handles.get(key),
                "posts": int(f.get("posts") or 0),
                "language_group": _language_group(store, key, f),
                "profile_probability": None if prof is None else prof["probability"],
                "profile_explanation": None
                if prof is None or prof["explanation"] is None
                else json.dumps(prof["explanation"]),
                "automation": automation,
                "amplification": amplification,
                "persona": sorted(flags),
                "evidence": json.dumps(evidence, ensure_ascii=False),
                "profile_status": None if prof is None else prof["domain"]["status"],
                "profile_typicality": None if prof is None else prof["domain"]["typicality"],
                "profile_domain": None
                if prof is None
                else json.dumps(prof["domain"], ensure_ascii=False),
                "automation_likeness": act["likeness"],
                "automation_status": act["status"] if f else None,
                "automation_evidence": None
                if act["evidence"] is None
                else json.dumps(act["evidence"], ensure_ascii=False),
            }
        )
    near_table = pa.table(
        {
            "platform": pa.array([k[0] for k in near], pa.string()),
            "account_id": pa.array([k[1] for k in near], pa.string()),
            "near_duplicate_share": pa.array(list(near.values()), pa.float64()),
        }
    )
    _write(
        store,
        run_id,
        rows,
        [
            (behaviour, list(FEATURES), ""),
            (near_table, ["near_duplicate_share"], ""),
            (profile_table, profile_names, "profile."),
        ],
    )
    seconds["flags_and_store"] = round(time.perf_counter() - started, 3)
    return _summary(rows, seconds, model_info, activity_info, store, platform)


# -- profile model ---------------------------------------------------------------------------


def _domain(check: dict[str, Any], i: int, threshold: float, rate: float | None) -> dict[str, Any]:
    """One row's domain check and threshold, as stored (``profile_domain`` and in
    ``automation_evidence``)."""
    from infoscope.authenticity.domain import DOMAIN_MEASURE

    typicality = float(check["typicality"][i])
    return {
        "status": str(check["status"][i]),
        "typicality": None if math.isnan(typicality) else round(typicality, 4),
        "coverage": round(float(check["coverage"][i]), 4),
        "nearest_collection": check["nearest"][i],
        "field_set": check["field_set"][i],
        "threshold": None if math.isnan(threshold) else round(threshold, 6),
        "human_false_flag_rate": rate,
        "measure": DOMAIN_MEASURE,
    }


def _profile_features(engine: Engine, platform: str | None) -> pa.Table:
    """`infoscope.authenticity.profile.profile_features` of the engine's accounts.

    On DuckDB, the store's own. On another engine, the SQL of `profile_features` (DuckDB's
    JSON and list functions, no portable form) runs in a scratch DuckDB on the driver over
    what it reads, taken from the engine: the account rows (one per account) and each
    account's latest post time (as its only post), so the features are the same."""
    from infoscope.authenticity.profile import profile_features

    if engine.name == "duckdb":
        return profile_features(engine.store, platform=platform)
    import duckdb

    from infoscope.store import Store

    accounts = engine.table("accounts")
    posts = engine.table("posts")
    if platform is not None:
        accounts = accounts.filter(accounts.platform == platform)
        posts = posts.filter(posts.platform == platform)
    latest = (
        posts.filter(posts.account_id.notnull())
        .group_by(["platform", "account_id"])
        .aggregate(created_at=posts.created_at.max())
    )
    con = duckdb.connect()
    try:
        con.execute("SET TimeZone = 'UTC'")  # as the store's: offset-less times are UTC
        con.register("accounts", engine.to_arrow(accounts))
        con.register("posts", engine.to_arrow(latest))
        return profile_features(Store(con, Path(":memory:"), True), platform=platform)
    finally:
        con.close()


def _profile_scores(
    engine: Engine, platform: str | None
) -> tuple[dict[tuple[str, str], dict[str, Any]], pa.Table, dict[str, Any]]:
    """Per account with a profile: the shipped model's domain check and, inside its domain,
    its probability, log-odds and explanation; and the features."""
    from infoscope.authenticity.profile import load_shipped_model, one_thread

    model = load_shipped_model()
    table = _profile_features(engine, platform)
    info = getattr(model, "manifest_", None) or {}
    if table.num_rows == 0:
        return {}, table, info
    rate = (info.get("threshold") or {}).get("human_false_flag_rate")
    with one_thread():
        z = model.decision_function(table)
        check = model.check_domain(table)
        thresholds = model.thresholds(table)
        explanations = model.explain_all(table, n=5)
        out: dict[tuple[str, str], dict[str, Any]] = {}
        platforms = table.column("platform").to_pylist()
        ids = table.column("account_id").to_pylist()
        for i, key in enumerate(zip(platforms, ids, strict=True)):
            if check["field_set"][i] == "none":
                continue
            domain = _domain(check, i, float(thresholds[i]), rate)
            inside = domain["status"] == "inside" and not math.isnan(z[i])
            if domain["status"] == "outside":
                domain["atypical"] = model.atypical(table, i)
            probability = float(_sigmoid(z[i])) if inside else None
            domain["above_threshold"] = (
                None if probability is None else bool(probability >= thresholds[i])
            )
            out[key] = {
                "probability": probability,
                "log_odds": float(z[i]) if inside else None,
                "explanation": explanations[i] if inside else None,
                "domain": domain,
            }
    return out, table, info


def _sigmoid(z: float) -> float:
    return 0.5 * (1.0 + math.tanh(0.5 * z))


def _activity_scores(
    model: Any,
    behaviour: pa.Table,
    near: dict[tuple[str, str], float],
    profiles: dict[tuple[str, str], dict[str, Any]],
) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, Any] | None]:
    """Per posting account: the activity model's automation-likeness (inside its domain,
    with enough posts) and its evidence; None for the model info without a model."""
    from infoscope.authenticity.activity import activity_features
    from infoscope.authenticity.profile import one_thread

    if model is None:
        return {}, None
    info = getattr(model, "manifest_", None) or {}
    if behaviour.num_rows == 0:
        return {}, info
    log_odds = {k: v["log_odds"] for k, v in profiles.items() if v["log_odds"] is not None}
    table = activity_features(behaviour, near, log_odds)
    rate = (info.get("threshold") or {}).get("human_false_flag_rate")
    posts = table.column("posts").to_numpy()
    out: dict[tuple[str, str], dict[str, Any]] = {}
    with one_thread():
        z = model.decision_function(table)
        check = model.check_domain(table)
        thresholds = model.thresholds(table)
        explanations = model.explain_all(table, n=5)
        platforms = table.column("platform").to_pylist()
        ids = table.column("account_id").to_pylist()
        for i, key in enumerate(zip(platforms, ids, strict=True)):
            if posts[i] < model.min_posts:
                out[key] = {
                    "likeness": None,
                    "status": "too_little_known",
                    "evidence": {
                        "status": "too_little_known",
                        "posts": int(posts[i]),
                        "min_posts": model.min_posts,
                    },
                }
                continue
            domain = _domain(check, i, float(thresholds[i]), rate)
            inside = domain["status"] == "inside" and not math.isnan(z[i])
            if domain["status"] == "outside":
                domain["atypical"] = model.atypical(table, i)
            likeness = float(_sigmoid(z[i])) if inside else None
            domain["above_threshold"] = (
                None if likeness is None else bool(likeness >= thresholds[i])
            )
            domain["contributions"] = explanations[i] if inside else None
            out[key] = {"likeness": likeness, "status": domain["status"], "evidence": domain}
    return out, info


# -- flags -----------------------------------------------------------------------------------


def _automation(
    f: dict[str, Any], prof: dict[str, Any] | None, t: Thresholds, evidence: dict[str, str]
) -> list[str]:
    flags = []
    if (f.get("max_posts_per_day") or 0) > t.max_posts_per_day:
        flags.append("high_volume")
        evidence["high_volume"] = (
            f"{f['max_posts_per_day']} posts in one day ({f['days_over_72']} days over "
            f"{t.max_posts_per_day})"
        )
    cv = f.get("interval_cv")
    if cv is not None and cv < t.interval_cv:
        flags.append("regular_intervals")
        evidence["regular_intervals"] = (
            f"gaps between its {f['posts']} posts vary by {cv:.2f} of their mean "
            f"(median gap {_duration(f['interval_median_s'])}); organic posting is bursty, "
            "above 0.5"
        )
    exact, near = f.get("duplicate_share"), f.get("near_duplicate_share")
    own = max((v for v in (exact, near) if v is not None), default=None)
    own_posts = (f.get("posts") or 0) * (1 - (f.get("share_retweet") or 0))
    if own is not None and own >= t.copy_paste_share and own_posts >= t.min_own_posts:
        flags.append("copy_paste")
        kind = "repeat" if own == exact else "nearly repeat"
        evidence["copy_paste"] = f"{own:.0%} of its own posts {kind} a text it posted before"
    cut = t.profile_probability
    if cut == "model" and prof is not None:
        cut = prof["domain"]["threshold"]
    if (
        prof is not None
        and prof["probability"] is not None
        and isinstance(cut, float | int)
        and prof["probability"] >= cut
    ):
        flags.append("bot_like_profile")
        top = ", ".join(
            f"{e['feature']} ({e['contribution']:+.2f})" for e in prof["explanation"][:3]
        )
        stated = prof["domain"]["human_false_flag_rate"]
        at = (
            f"the model's threshold {cut:.3f} (stated human false-flag rate {stated:.0%})"
            if t.profile_probability == "model" and stated is not None
            else f"{cut:.2f}"
        )
        evidence["bot_like_profile"] = (
            f"profile model probability {prof['probability']:.2f}, at or above {at}, "
            f"inside the model's domain (typicality {prof['domain']['typicality']:.2f}); "
            f"most from {top}"
        )
    return flags


def _amplification(f: dict[str, Any], t: Thresholds, evidence: dict[str, str]) -> list[str]:
    flags = []
    posts = f.get("posts") or 0
    fast = f.get("fast_reaction_share")
    reactions = posts * (1 - (f.get("share_original") or 0))
    if fast is not None and fast >= t.fast_reaction_share and reactions >= t.min_reactions:
        flags.append("fast_reactions")
        evidence["fast_reactions"] = (
            f"{fast:.0%} of its reactions to posts in the store came within 60 s "
            f"(median {_duration(f['reaction_median_s'])})"
        )
    if posts >= t.min_posts and (f.get("share_retweet") or 0) >= t.retweet_share:
        flags.append("retweet_only")
        evidence["retweet_only"] = f"{f['share_retweet']:.0%} of its {posts} posts are retweets"
    if posts >= t.min_own_posts and (f.get("hashtag_flood_share") or 0) >= t.hashtag_flood_share:
        flags.append("hashtag_flooding")
        evidence["hashtag_flooding"] = (
            f"{f['hashtag_flood_share']:.0%} of its posts carry 3+ hashtags "
            f"({f['hashtags_per_post']:.1f} per post)"
        )
    links = posts * (f.get("url_share") or 0)
    top = f.get("top_domain_share")
    if top is not None and top >= t.single_domain_share and links >= t.min_links:
        flags.append("single_domain")
        evidence["single_domain"] = f"{top:.0%} of its links point to one domain"
    return flags


def _duration(seconds: Any) -> str:
    if seconds is None:
        return "unknown"
    s = float(seconds)
    if s < 120:
        return f"{s:.0f} s"
    if s < 7200:
        return f"{s / 60:.0f} min"
    if s < 172800:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


# -- persona checks --------------------------------------------------------------------------


def _persona(
    store: Store, engine: Engine, platform: str | None, t: Thresholds
) -> dict[tuple[str, str], dict[str, str]]:
    """Persona flags with their evidence: place checks from the store's latest ``locate``
    run, language and topic switches and creation clusters from the engine's data."""
    out: dict[tuple[str, str], dict[str, str]] = {}

    def add(key: tuple[str, str], flag: str, text: str) -> None:
        out.setdefault(key, {})[flag] = text

    where = "TRUE" if platform is None else "platform = ?"
    args: list[Any] = [] if platform is None else [platform]
    locate = store.latest_run_id("locate")
    if locate is not None:
        for p, a, country, checks in store.con.execute(
            f"SELECT platform, account_id, country, checks FROM account_locations "
            f"WHERE run_id = ? AND {where} AND checks IS NOT NULL",
            [locate, *args],
        ).fetchall():
            c = json.loads(checks)
            hours = c.get("posting_hours") or {}
            if hours.get("consistent") is False:
                add(
                    (p, a),
                    "hours_vs_place",
                    f"claims {country} ({hours.get('zone')}) but {hours.get('night_share', 0):.0%} "
                    f"of its {hours.get('posts')} posts fall at night there (locate run {locate})",
                )
            lang = c.get("language") or {}
            if lang.get("consistent") is False:
                add(
                    (p, a),
                    "language_vs_place",
                    f"claims {country} but posts in {lang.get('language')} (locate run {locate})",
                )
    from infoscope.authenticity.behaviour import language_switches, topic_switches

    posts = engine.table("posts")
    switched = language_switches(
        posts, platform=platform, min_share=t.switch_share, min_posts=t.min_half_posts
    )
    for r in engine.to_arrow(switched).to_pylist():
        add(
            (r["platform"], r["account_id"]),
            "language_switch",
            f"first half of its posts {r['first_share']:.0%} {r['first_lang']}, second half "
            f"{r['second_share']:.0%} {r['second_lang']}",
        )
    topics = topic_switches(
        posts,
        platform=platform,
        min_uses=t.min_half_hashtags,
        max_similarity=t.topic_similarity,
    )
    for r in engine.to_arrow(topics).to_pylist():
        add(
            (r["platform"], r["account_id"]),
            "topic_switch",
            f"hashtags of its first and second half of posts ({r['first_uses']} and "
            f"{r['second_uses']} uses) have a cosine similarity of {r['similarity']:.2f}",
        )
    for key, text in _creation_clusters(engine, platform, t).items():
        add(key, "creation_cluster", text)
    return out


def _creation_clusters(
    engine: Engine, platform: str | None, t: Thresholds
) -> dict[tuple[str, str], str]:
    """Accounts created in a week (Monday to Sunday, UTC) with far more creations than the
    weeks around it: Poisson test against the mean of the `creation_window_weeks` weeks on
    each side, Bonferroni over the weeks with creations."""
    from scipy.stats import poisson

    from infoscope.authenticity.behaviour import created_in_weeks, weekly_creations

    accounts = engine.table("accounts")
    counted = engine.to_arrow(weekly_creations(accounts, platform=platform)).to_pylist()
    weekly = sorted((r["week"], r["n"]) for r in counted)
    counts = {w: n for w, n in weekly}
    span = t.creation_window_weeks
    weeks = []
    for week, n in weekly:
        around = sum(counts.get(week + timedelta(weeks=k), 0) for k in range(-span, span + 1) if k)
        weeks.append((week, n, around / (2 * span)))
    if not weeks:
        return {}
    alpha = t.creation_alpha / len(weeks)
    flagged = {}
    for week, n, expected in weeks:
        # A batch stands out by its size relative to the weeks around it, not only by its
        # p-value: organic sign-ups grow and ebb, which a Poisson test alone over-reads.
        if n < t.creation_min_accounts or n < t.creation_ratio * expected:
            continue
        mean = max(float(expected or 0.0), 1.0 / (2 * t.creation_window_weeks))
        p = float(poisson.sf(n - 1, mean))
        if p < alpha:
            flagged[week] = (n, mean, p)
    if not flagged:
        return {}
    out = {}
    members = created_in_weeks(accounts, sorted(flagged), platform=platform)
    for r in engine.to_arrow(members).to_pylist():
        n, mean, p = flagged[r["week"]]
        out[(r["platform"], r["account_id"])] = (
            f"created in the week of {r['week']} with {n - 1} other accounts of the store "
            f"(about {mean:.1f} a week around it; p = {p:.1e})"
        )
    return out


# -- storing and summarising -----------------------------------------------------------------


def _language_group(store: Store, key: tuple[str, str], f: dict[str, Any]) -> str:
    return str(f.get("main_language") or "unknown")


SIGNAL_SCHEMA = pa.schema(
    [
        ("run_id", pa.string()),
        ("platform", pa.string()),
        ("account_id", pa.string()),
        ("handle", pa.string()),
        ("posts", pa.int64()),
        ("language_group", pa.string()),
        ("profile_probability", pa.float64()),
        ("profile_explanation", pa.string()),
        ("automation", pa.list_(pa.string())),
        ("amplification", pa.list_(pa.string())),
        ("persona", pa.list_(pa.string())),
        ("evidence", pa.string()),
        ("profile_status", pa.string()),
        ("profile_typicality", pa.float64()),
        ("profile_domain", pa.string()),
        ("automation_likeness", pa.float64()),
        ("automation_status", pa.string()),
        ("automation_evidence", pa.string()),
    ]
)


def _write(
    store: Store,
    run_id: str,
    rows: list[dict[str, Any]],
    features: list[tuple[pa.Table, list[str], str]],
) -> None:
    """The signals, and every known feature value as one row (unpivoted in DuckDB; unknown
    values are not stored)."""
    signals = pa.Table.from_pylist(rows, schema=SIGNAL_SCHEMA)
    with store.transaction() as con:
        con.register("_signals", signals)
        try:
            con.execute("INSERT INTO account_signals BY NAME SELECT * FROM _signals")
        finally:
            con.unregister("_signals")
        for i, (table, names, prefix) in enumerate(features):
            if not names or table.num_rows == 0:
                continue
            view = f"_features_{i}"
            cols = ", ".join(f'CAST("{n}" AS DOUBLE) AS "{prefix}{n}"' for n in names)
            on = ", ".join(f'"{prefix}{n}"' for n in names)
            con.register(view, table)
            try:
                con.execute(
                    f"""
                    INSERT INTO account_features
                    SELECT ?, platform, account_id, feature, value FROM (
                      UNPIVOT (SELECT platform, account_id, {cols} FROM {view})
                      ON {on} INTO NAME feature VALUE value
                    ) WHERE NOT isnan(value)
                    """,
                    [run_id],
                )
            finally:
                con.unregister(view)


def _summary(
    rows: list[dict[str, Any]],
    seconds: dict[str, float],
    model_info: dict[str, Any],
    activity_info: dict[str, Any] | None,
    store: Store,
    platform: str | None,
) -> dict[str, Any]:
    from collections import Counter

    flags: dict[str, Counter[str]] = {f: Counter() for f in ("automation", "amplification")}
    flags["persona"] = Counter()
    for r in rows:
        for family in flags:
            flags[family].update(r[family])
    scored = [r for r in rows if r["profile_probability"] is not None]
    likeness = [r for r in rows if r["automation_likeness"] is not None]
    return {
        "platform": platform,
        "accounts": len(rows),
        "posting_accounts": sum(1 for r in rows if r["posts"]),
        "profiles_scored": len(scored),
        # Above the model's own threshold (its stated human false-flag rate), not 0.5.
        "bot_like_profiles": sum(1 for r in scored if _above(r["profile_domain"])),
        "profile_domain": dict(
            sorted(Counter(r["profile_status"] for r in rows if r["profile_status"]).items())
        ),
        "automation_likeness": None
        if activity_info is None
        else {
            "scored": len(likeness),
            "above_threshold": sum(1 for r in likeness if _above(r["automation_evidence"])),
            "status": dict(
                sorted(
                    Counter(r["automation_status"] for r in rows if r["automation_status"]).items()
                )
            ),
        },
        "flagged": {
            family: sum(1 for r in rows if r[family])
            for family in ("automation", "amplification", "persona")
        },
        "flags": {family: dict(sorted(c.items())) for family, c in flags.items()},
        "place_checks": store.latest_run_id("locate") is not None,
        "profile_model": _model_info(model_info),
        "activity_model": None if activity_info is None else _model_info(activity_info),
        "seconds": seconds,
    }


def _above(domain: str | None) -> bool:
    return bool(domain and json.loads(domain).get("above_threshold"))


def _model_info(info: dict[str, Any]) -> dict[str, Any]:
    """What a run records of a shipped model: when it was trained, on what, its threshold."""
    return {
        "trained_at": info.get("trained_at"),
        "version": info.get("version"),
        "collections": sorted(info.get("collections") or {}),
        "threshold": info.get("threshold"),
        "domain_check": info.get("domain_check"),
    }


def explain_account(store: Store, name: str, *, run_id: str | None = None) -> dict[str, Any]:
    """One account of an accounts run (default: the latest), by id or ``@handle``: its
    flags with their evidence, profile probability with the features behind it and the
    domain check (``profile_domain``), automation-likeness with its evidence, and every
    feature value."""
    from infoscope.errors import BadParameterError

    run_id = run_id or store.latest_run_id(COMMAND)
    if run_id is None:
        raise BadParameterError("no accounts run in this store: run `infoscope accounts` first")
    cur = store.con.execute(
        "SELECT * EXCLUDE (run_id) FROM account_signals WHERE run_id = ? "
        "AND (account_id = ? OR lower(handle) = lower(?)) ORDER BY posts DESC, account_id LIMIT 1",
        [run_id, name, name.removeprefix("@")],
    )
    names = [d[0] for d in cur.description]
    rows = cur.fetchall()
    if not rows:
        raise BadParameterError(
            f"{name}: no such account in accounts run {run_id} (give an id or @handle)"
        )
    out = dict(zip(names, rows[0], strict=True))
    out["run_id"] = run_id
    out["evidence"] = json.loads(out["evidence"])
    for column in ("profile_explanation", "profile_domain", "automation_evidence"):
        out[column] = None if out.get(column) is None else json.loads(out[column])
    out["features"] = dict(
        store.con.execute(
            "SELECT feature, value FROM account_features WHERE run_id = ? AND platform = ? "
            "AND account_id = ? ORDER BY feature",
            [run_id, out["platform"], out["account_id"]],
        ).fetchall()
    )
    return out
