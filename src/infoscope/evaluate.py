"""Score what has run in a store against a scenario's ground truth.

The truth is what `infoscope simulate` writes next to a corpus: ``truth_posts.parquet``
(one row per post: ``post_id``, ``account_id``, ``created_at``, ``kind``, ``planted``, ...),
``truth_accounts.csv`` and the ``scenario.json`` manifest. Ids are those the importers store.

Each analysis contributes one evaluator, registered by name with `register_evaluator`; an
evaluator returns ``{metric: value}``, or None when its analysis has not run in the store.
`evaluate` runs them all and returns ``{analysis: {metric: value}}``.

Evaluators so far:

- ``ingest``: did the importers keep every post, with its kind and time? ``post_recall`` and
  ``planted_post_recall`` (share of truth posts stored), ``account_recall`` (share of posting
  accounts stored), ``kind_agreement`` and ``time_agreement`` (share of stored truth posts
  whose kind and creation time match the truth exactly: to the minute for io-archive, whose
  times have minute precision), and ``extra_posts`` (posts of the
  scenario's platform that the truth does not know: 0 unless other data was ingested).
- ``resonance``: the latest resonance run, over the accounts it was not calibrated on:
  ``precision`` (share of resonant accounts that are operation members),
  ``recall_targeted_operations`` (of the members of the operations its calibration members
  belong to), ``recall_all_operations``, ``sympathiser_flag_rate`` (organic accounts that
  adopted the targeted operations' narrative and were found resonant: language is what
  resonance measures, so this is expected, not an error) and ``organic_flag_rate`` (other
  organic accounts: false alarms).
- ``locate``: the latest locate run against the scenario's claimed places (see
  `_evaluate_locate`: claimed places resolved, country agreement, junk resolved, night-shift
  personas flagged).
- ``communities``: the latest communities run against the planted groups, over the scenario's
  accounts that are nodes of its network: ``nmi`` and ``ari`` (normalised mutual information
  and adjusted Rand index) against the planted topic communities, ``nmi_groups`` and
  ``ari_groups`` against the planted groups (each operation one group, organic accounts by
  community), ``operation_cohesion`` (mean over operations of the share of its accounts in
  its most common found community), ``coverage`` (share of posting accounts in the network)
  and ``accounts_scored``.
- ``coordination``: the latest coordination run against the planted operations: precision
  and recall of flagged (clustered) accounts, recall per persona, the flag rates of organic
  sympathisers and of other organic accounts, and cluster purity (see
  `_evaluate_coordination`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from infoscope.errors import InfoscopeError
from infoscope.store import Store

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
        return "telegram" if self.manifest.get("format") == "telegram" else "twitter"


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


Evaluator = Callable[[Store, Truth], dict[str, float] | None]
_EVALUATORS: dict[str, Evaluator] = {}


def register_evaluator(name: str) -> Callable[[Evaluator], Evaluator]:
    """Register an evaluator under the name of the analysis it scores."""

    def decorate(fn: Evaluator) -> Evaluator:
        if name in _EVALUATORS:
            raise ValueError(f"evaluator {name!r} registered twice")
        _EVALUATORS[name] = fn
        return fn

    return decorate


def registered_evaluators() -> dict[str, Evaluator]:
    return dict(_EVALUATORS)


def evaluate(store: Store, truth: Truth) -> dict[str, dict[str, float]]:
    """Run every registered evaluator whose analysis has run; ``{analysis: {metric: value}}``."""
    results = {}
    for name, fn in _EVALUATORS.items():
        scores = fn(store, truth)
        if scores is not None:
            results[name] = scores
    return results


def format_score(value: float) -> str:
    """A metric for people: counts as integers, rates with four decimals."""
    if value == value and float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4f}"


def _ratio(num: int, den: int) -> float:
    return num / den if den else float("nan")


@register_evaluator("ingest")
def _evaluate_ingest(store: Store, truth: Truth) -> dict[str, float] | None:
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
        "post_recall": _ratio(found, total),
        "planted_post_recall": _ratio(planted_found, planted),
        "account_recall": _ratio(int(accounts[1]), int(accounts[0])),
        "kind_agreement": _ratio(kind_ok, found),
        "time_agreement": _ratio(time_ok, found),
        "extra_posts": float(extra[0] if extra else 0),
    }


def _partition_scores(found: list[object], planted: list[object]) -> tuple[float, float]:
    """(NMI, ARI) of two labelings of the same items."""
    import igraph as ig

    def codes(labels: list[object]) -> list[int]:
        index: dict[object, int] = {}
        return [index.setdefault(v, len(index)) for v in labels]

    a, b = codes(found), codes(planted)
    return (
        float(ig.compare_communities(a, b, method="nmi")),
        float(ig.compare_communities(a, b, method="adjusted_rand")),
    )


@register_evaluator("communities")
def _evaluate_communities(store: Store, truth: Truth) -> dict[str, float] | None:
    from infoscope.network.run import latest_run_id

    run_id = latest_run_id(store)
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT n.community, t.community AS planted, t.role, t.operation_id
        FROM read_csv(?, all_varchar = true) t
        JOIN network_nodes n ON n.run_id = ? AND n.platform = ? AND n.account_id = t.account_id
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id, truth.platform],
    ).fetchall()
    posting = store.con.execute(
        "SELECT count(*) FROM read_csv(?, all_varchar = true) WHERE CAST(posts AS BIGINT) > 0",
        [str(truth.accounts)],
    ).fetchone()
    found = [r[0] for r in rows]
    nmi, ari = _partition_scores(found, [r[1] for r in rows])
    groups = [r[3] if r[2] == "operation" else f"community {r[1]}" for r in rows]
    nmi_groups, ari_groups = _partition_scores(found, groups)
    by_operation: dict[str, list[int]] = {}
    for community, _planted, role, operation in rows:
        if role == "operation":
            by_operation.setdefault(operation, []).append(community)
    cohesion = [
        max(members.count(c) for c in set(members)) / len(members)
        for members in by_operation.values()
    ]
    return {
        "accounts_scored": float(len(rows)),
        "coverage": _ratio(len(rows), int(posting[0]) if posting else 0),
        "nmi": nmi,
        "ari": ari,
        "nmi_groups": nmi_groups,
        "ari_groups": ari_groups,
        "operation_cohesion": sum(cohesion) / len(cohesion) if cohesion else float("nan"),
    }


@register_evaluator("resonance")
def _evaluate_resonance(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest resonance run against the planted operations, on accounts it did not
    calibrate on: the operations targeted are those of the calibration members."""
    if not store.has_table("resonance_scores"):
        return None
    row = store.con.execute(
        "SELECT run_id, parameters FROM runs WHERE command = 'resonance' "
        "AND status = 'completed' ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    import json

    from infoscope.language.groups import GroupSpec, group_accounts

    run_id, params = row[0], json.loads(row[1])
    members = set(
        group_accounts(store, GroupSpec.parse(params["members"]), params["platform"])
        .to_pyarrow()["account_id"]
        .to_pylist()
    )
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.operation_id, t.sympathiser, t.adopts_narrative_of,
               coalesce(r.resonant, false)
        FROM read_csv(?, all_varchar = true) t
        LEFT JOIN resonance_scores r ON r.run_id = ? AND r.period IS NULL
             AND r.account_id = t.account_id
        WHERE CAST(t.posts AS BIGINT) > 0
        """,
        [str(truth.accounts), run_id],
    ).fetchall()
    targeted = {r[2] for r in rows if r[0] in members and r[1] == "operation"}
    unseen = [r for r in rows if r[0] not in members]
    flagged = [r for r in unseen if r[5]]
    in_target = [r for r in unseen if r[1] == "operation" and r[2] in targeted]
    any_operation = [r for r in unseen if r[1] == "operation"]
    sympathisers = [r for r in unseen if r[3] == "true" and r[4] in targeted]
    organic = [r for r in unseen if r[1] != "operation" and r[3] != "true"]
    return {
        "calibration_members": float(len(members)),
        "precision": _ratio(sum(1 for r in flagged if r[1] == "operation"), len(flagged)),
        "recall_targeted_operations": _ratio(sum(1 for r in in_target if r[5]), len(in_target)),
        "recall_all_operations": _ratio(sum(1 for r in any_operation if r[5]), len(any_operation)),
        "sympathiser_flag_rate": _ratio(sum(1 for r in sympathisers if r[5]), len(sympathisers)),
        "organic_flag_rate": _ratio(sum(1 for r in organic if r[5]), len(organic)),
    }


@register_evaluator("locate")
def _evaluate_locate(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest locate run against the places the scenario's accounts claim.

    A claimed location is only what the profile says (the scenario also knows where accounts
    really are, their ``true_timezone``, which no profile states). Over the scenario's
    accounts in the run: ``claimed_resolved`` is the share of accounts claiming a real place
    (one with a ``claimed_timezone``) that got a country; ``country_agreement`` the share of
    those whose country is the one of the claimed place's time zone (pytz); ``junk_resolved``
    the share of accounts claiming no place ("Earth", "🌍") that got a country anyway (0 is
    right); ``night_flagged_trolls`` and ``night_flagged_organic`` the share of troll and of
    organic accounts with a posting-hours check whose posting hours contradict their place.
    """
    from infoscope.geo.accounts import latest_run_id
    from infoscope.geo.zones import zone_country

    run_id = latest_run_id(store)
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.claimed_location, t.claimed_timezone, t.persona, t.role, l.country,
               json_extract_string(l.checks, '$.posting_hours.consistent') AS hours_ok
        FROM read_csv(?, all_varchar = true) t
        JOIN account_locations l
          ON l.run_id = ? AND l.platform = ? AND l.account_id = t.account_id
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id, truth.platform],
    ).fetchall()
    countries = zone_country()
    places = [r for r in rows if r[0] and r[1]]
    junk = [r for r in rows if r[0] and not r[1]]
    resolved = [r for r in places if r[4] != "unknown"]
    comparable = [r for r in resolved if r[1] in countries]
    agree = [r for r in comparable if countries[r[1]] == r[4]]

    def flagged(group: list[tuple[Any, ...]]) -> float:
        checked = [r for r in group if r[5] is not None]
        return _ratio(sum(r[5] == "false" for r in checked), len(checked))

    return {
        "accounts_scored": float(len(rows)),
        "claimed_places": float(len(places)),
        "claimed_resolved": _ratio(len(resolved), len(places)),
        "country_agreement": _ratio(len(agree), len(comparable)),
        "junk_resolved": _ratio(sum(r[4] != "unknown" for r in junk), len(junk)),
        "night_flagged_trolls": flagged([r for r in rows if r[2] == "troll"]),
        "night_flagged_organic": flagged([r for r in rows if r[3] == "organic"]),
    }


@register_evaluator("coordination")
def _evaluate_coordination(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest coordination run against the planted operations.

    Over the scenario's accounts that posted: an account is *flagged* when it is in a
    coordinated cluster. ``precision`` is the share of flagged accounts that are operation
    members, ``recall`` the share of operation members flagged (also per persona:
    ``recall_news-front``, ``recall_amplifier``, ``recall_automated``, ``recall_troll``),
    ``sympathiser_flag_rate`` the share of organic sympathisers (accounts that adopt an
    operation's narrative without coordinating) flagged, which should stay near 0, and
    ``organic_flag_rate`` that of the other organic accounts. ``cluster_purity`` is the share
    of flagged operation members whose cluster's most common operation is their own.
    """
    from infoscope.coordination.run import latest_run_id

    run_id = latest_run_id(store)
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.operation_id, t.persona, t.sympathiser, a.cluster
        FROM read_csv(?, all_varchar = true) t
        LEFT JOIN coordination_accounts a ON a.run_id = ? AND a.account_id = t.account_id
        WHERE CAST(t.posts AS BIGINT) > 0
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id],
    ).fetchall()
    flagged = [r for r in rows if r[5] is not None]
    members = [r for r in rows if r[1] == "operation"]
    sympathisers = [r for r in rows if r[1] != "operation" and r[4] == "true"]
    organic = [r for r in rows if r[1] != "operation" and r[4] != "true"]
    scores = {
        "accounts_flagged": float(len(flagged)),
        "clusters": float(len({r[5] for r in flagged})),
        "precision": _ratio(sum(r[1] == "operation" for r in flagged), len(flagged)),
        "recall": _ratio(sum(r[5] is not None for r in members), len(members)),
    }
    for persona in sorted({r[3] for r in members if r[3]}):
        group = [r for r in members if r[3] == persona]
        scores[f"recall_{persona}"] = _ratio(sum(r[5] is not None for r in group), len(group))
    scores["sympathiser_flag_rate"] = _ratio(
        sum(r[5] is not None for r in sympathisers), len(sympathisers)
    )
    scores["organic_flag_rate"] = _ratio(sum(r[5] is not None for r in organic), len(organic))
    by_cluster: dict[Any, list[str]] = {}
    for r in flagged:
        if r[1] == "operation":
            by_cluster.setdefault(r[5], []).append(r[2])
    pure = sum(
        sum(op == max(set(ops), key=lambda o: (ops.count(o), o)) for op in ops)
        for ops in by_cluster.values()
    )
    scores["cluster_purity"] = _ratio(pure, sum(len(v) for v in by_cluster.values()))
    return scores


@register_evaluator("accounts")
def _evaluate_accounts(store: Store, truth: Truth) -> dict[str, float] | None:
    """The latest `infoscope accounts` run against the scenario's personas.

    Over the scenario's accounts that posted: ``automation_precision`` and
    ``automation_recall`` of any automation flag against the planted automated accounts, and
    the same per flag (``regular_intervals_precision`` ...); ``amplification_recall_amplifier``
    the share of planted amplifiers with an amplification flag and
    ``amplification_organic_rate`` that of organic accounts; ``persona_recall_troll`` the share
    of planted trolls (who claim a place they do not post from) with a persona flag and
    ``persona_organic_rate`` that of organic accounts; ``creation_cluster_recall`` the share of
    operation members flagged as created in a cluster and its organic rate;
    ``profile_auc_automated_vs_organic`` how the profile model ranks automated accounts above
    organic ones and ``profile_organic_over_half`` the share of organic profiles it scores 0.5
    or more.
    """
    from infoscope.authenticity.assess import latest_run_id

    run_id = latest_run_id(store)
    if run_id is None:
        return None
    rows = store.con.execute(
        """
        SELECT t.account_id, t.role, t.persona, s.automation, s.amplification, s.persona,
               s.profile_probability
        FROM read_csv(?, all_varchar = true) t
        JOIN account_signals s ON s.run_id = ? AND s.account_id = t.account_id
        WHERE CAST(t.posts AS BIGINT) > 0
        ORDER BY t.account_id
        """,
        [str(truth.accounts), run_id],
    ).fetchall()
    bots = [r for r in rows if r[2] == "automated"]
    organic = [r for r in rows if r[1] != "operation"]
    flagged = [r for r in rows if r[3]]
    scores = {
        "accounts": float(len(rows)),
        "automation_flagged": float(len(flagged)),
        "automation_precision": _ratio(sum(r[2] == "automated" for r in flagged), len(flagged)),
        "automation_recall": _ratio(sum(bool(r[3]) for r in bots), len(bots)),
    }
    for flag in ("high_volume", "regular_intervals", "copy_paste", "bot_like_profile"):
        hit = [r for r in rows if flag in r[3]]
        scores[f"{flag}_flagged"] = float(len(hit))
        scores[f"{flag}_precision"] = _ratio(sum(r[2] == "automated" for r in hit), len(hit))
        scores[f"{flag}_recall"] = _ratio(sum(flag in r[3] for r in bots), len(bots))
    amps = [r for r in rows if r[2] == "amplifier"]
    trolls = [r for r in rows if r[2] == "troll"]
    members = [r for r in rows if r[1] == "operation"]
    scores["amplification_recall_amplifier"] = _ratio(sum(bool(r[4]) for r in amps), len(amps))
    scores["amplification_organic_rate"] = _ratio(sum(bool(r[4]) for r in organic), len(organic))
    persona_flags = ("hours_vs_place", "language_vs_place", "language_switch", "topic_switch")
    scores["persona_recall_troll"] = _ratio(
        sum(any(f in r[5] for f in persona_flags) for r in trolls), len(trolls)
    )
    scores["persona_organic_rate"] = _ratio(
        sum(any(f in r[5] for f in persona_flags) for r in organic), len(organic)
    )
    scores["creation_cluster_recall"] = _ratio(
        sum("creation_cluster" in r[5] for r in members), len(members)
    )
    scores["creation_cluster_organic_rate"] = _ratio(
        sum("creation_cluster" in r[5] for r in organic), len(organic)
    )
    # The profile model: how well it ranks automated accounts above organic ones, and how
    # many organic profiles it scores over 0.5 (it was trained on another population).
    scored = [r for r in rows if r[6] is not None and (r[2] == "automated" or r[1] != "operation")]
    if {r[2] == "automated" for r in scored} == {True, False}:
        from sklearn.metrics import roc_auc_score

        scores["profile_auc_automated_vs_organic"] = float(
            roc_auc_score([r[2] == "automated" for r in scored], [r[6] for r in scored])
        )
    organic_scored = [r for r in organic if r[6] is not None]
    scores["profile_organic_over_half"] = _ratio(
        sum(r[6] >= 0.5 for r in organic_scored), len(organic_scored)
    )
    return scores
