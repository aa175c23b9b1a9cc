"""The main job on the built-in scenario: generate, ingest, analyse, evaluate, summarise.

`run_demo` is what ``make demo`` runs (through ``infoscope demo``): it generates a scenario
with planted operations, ingests it through the real importer into a fresh store, runs every
analysis infoscope has so far, scores them against the scenario's ground truth and writes a
summary (``summary.md`` and ``summary.json``) next to the store. As analyses are added they
join the demo. It ends by writing the HTML report (``report.html``) of the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infoscope.authenticity import assess_accounts
from infoscope.coordination import detect_coordination
from infoscope.evaluate import evaluate, format_score, load_truth
from infoscope.geo.accounts import locate_accounts
from infoscope.ingest import ingest
from infoscope.language.monitor import monitor_resonance
from infoscope.language.resonance import score_resonance
from infoscope.language.signature import learn_signature
from infoscope.network import find_communities
from infoscope.queries import corpus_stats
from infoscope.report.render import write_report
from infoscope.scenario import ScenarioConfig, generate_scenario
from infoscope.store import Store

DEMO_POSTS = 50_000


@dataclass(frozen=True)
class DemoResult:
    """Where the demo wrote its outputs, and what it measured."""

    out_dir: Path
    store: Path
    summary: Path
    report: Path
    data: dict[str, Any]


def run_demo(
    out_dir: str | Path,
    *,
    posts: int = DEMO_POSTS,
    seed: int = 7,
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate a scenario of `posts` posts, ingest, evaluate and summarise it in `out_dir`.

    The demo's store (``out_dir/demo.duckdb``) is made anew on every run.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    say(f"generating a scenario of {posts:,} posts (seed {seed})")
    manifest = generate_scenario(ScenarioConfig(posts=posts, seed=seed), out / "scenario")
    timings["simulate"] = time.perf_counter() - started

    store_path = out / "demo.duckdb"
    for stale in (store_path, store_path.with_name(store_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    corpus = out / "scenario" / manifest.counts["corpus_file"]
    with Store.open(store_path) as store:
        started = time.perf_counter()
        say(f"ingesting {corpus}")
        summary = ingest(store, [corpus])
        timings["ingest"] = time.perf_counter() - started
        stats = corpus_stats(store.ibis.table("posts"), store.ibis.table("accounts"), top=10)
        started = time.perf_counter()
        say("finding communities (Leiden, 10 seeded runs)")
        communities = find_communities(store, levels=2, seed=seed)
        timings["communities"] = time.perf_counter() - started
        started = time.perf_counter()
        seeds = _write_seeds(out / "scenario")
        say(f"learning the signature of {seeds.name} (half of op1's accounts) vs the rest")
        signature = learn_signature(store, f"accounts:{seeds}", name="op1-seeds", replace=True)
        say("scoring every account's resonance with it (calibrated, 5-fold)")
        resonance = score_resonance(store, signature.name, period="week", seed=seed)
        timings["signature_and_resonance"] = time.perf_counter() - started
        started = time.perf_counter()
        say("locating accounts and monitoring resonance by country and week")
        located = locate_accounts(store)
        monitored = monitor_resonance(store, min_accounts=10)
        timings["locate_and_monitor"] = time.perf_counter() - started
        started = time.perf_counter()
        say("detecting coordinated behaviour (7 traces, null model, evidence)")
        coordinated = detect_coordination(store, seed=seed)
        timings["coordination"] = time.perf_counter() - started
        started = time.perf_counter()
        say("assessing account authenticity (automation, amplification, persona)")
        assessed = assess_accounts(store)
        timings["accounts"] = time.perf_counter() - started
        scores = evaluate(store, load_truth(out / "scenario"))
        started = time.perf_counter()
        say("writing the HTML report")
        report = write_report(store, out / "report.html", seed=seed)
        timings["report"] = time.perf_counter() - started
    data = {
        "scenario": {"posts": posts, "seed": seed, "counts": manifest.counts},
        "ingest": summary.as_dict(),
        "stats": stats,
        "communities": {
            **{k: v for k, v in communities.summary.items() if k != "parameters"},
            "largest": [_community_digest(p) for p in communities.profiles[:8]],
        },
        "signature": {
            "name": signature.name,
            "counts": signature.counts,
            "top_terms": [r["term"] for r in signature.top(15)],
        },
        "resonance": {k: v for k, v in resonance.summary.items() if k != "parameters"},
        "places": {
            "accounts": located.summary["accounts"],
            "with_place": located.summary["located"],
            "unknown": located.summary["unknown"],
            "top_countries": located.summary["top_countries"][:5],
        },
        "monitor": {**monitored.summary, "alerts": monitored.alerts},
        "coordination": {
            **{k: v for k, v in coordinated.summary.items() if k != "parameters"},
            "largest": [_cluster_digest(p) for p in coordinated.clusters[:8]],
        },
        "accounts": {k: assessed.summary[k] for k in ("accounts", "flagged", "flags")},
        "evaluation": scores,
        "report": {"path": report["path"], "bytes": report["bytes"]},
        "seconds": {k: round(v, 2) for k, v in timings.items()},
    }
    (out / "summary.json").write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    summary_path = out / "summary.md"
    summary_path.write_text(_markdown(data, store_path), encoding="utf-8")
    return DemoResult(out, store_path, summary_path, Path(report["path"]), data)


def _write_seeds(scenario: Path) -> Path:
    """What an analyst might hold: every other account of the first operation, as seeds."""
    import csv

    with open(scenario / "truth_accounts.csv", encoding="utf-8") as handle:
        members = [r["account_id"] for r in csv.DictReader(handle) if r["operation_id"] == "op1"]
    path = scenario / "seed_accounts.txt"
    path.write_text("\n".join(members[::2]) + "\n", encoding="utf-8")
    return path


def _community_digest(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "community": profile["community"],
        "group": profile["group"],
        "size": profile["size"],
        "stability": round(profile["stability"], 3),
        "languages": dict(list(profile.get("languages", {}).items())[:3]),
        "top_hashtags": [h for h, _ in profile.get("top_hashtags", [])[:4]],
        "top_accounts": [a["handle"] or a["account_id"] for a in profile["top_by_pagerank"][:3]],
    }


def _cluster_digest(profile: dict[str, Any]) -> dict[str, Any]:
    return {
        "cluster": profile["cluster"],
        "size": profile["size"],
        "edges": profile["edges"],
        "traces": profile["traces"],
        "top_accounts": [a["handle"] or a["account_id"] for a in profile["accounts"][:3]],
    }


def _coordination_text(c: dict[str, Any]) -> str:
    traces = ", ".join(
        f"{name} {t['kept_pairs']:,} of {t['candidate_pairs']:,}" for name, t in c["traces"].items()
    )
    return (
        f"{c['accounts']:,} accounts in {c['clusters']:,} coordinated clusters, "
        f"{c['edges']:,} significant edges (kept of co-acting pairs per trace: {traces})."
    )


def _markdown(data: dict[str, Any], store_path: Path) -> str:
    counts = data["scenario"]["counts"]
    ingest_ = data["ingest"]
    stats = data["stats"]
    lines = [
        "# infoscope demo",
        "",
        f"The HTML report of this store is `{data['report']['path']}` "
        f"({data['report']['bytes'] / 1e6:.1f} MB, opens offline).",
        "",
        f"Scenario: {counts['posts']:,} posts by {counts['accounts_with_posts']:,} accounts, "
        f"{len(counts['operations'])} planted operations ({counts['planted_posts']:,} planted "
        f"posts, {counts['operation_accounts']:,} operation accounts, "
        f"{counts['sympathisers']:,} organic sympathisers).",
        "",
        "## Ingest",
        "",
        f"{ingest_['records']:,} records read in {ingest_['seconds']:.1f} s: "
        f"{ingest_['posts']:,} posts and {ingest_['accounts']:,} accounts stored, "
        f"{ingest_['duplicates']:,} duplicates, {ingest_['quarantined']:,} quarantined.",
        "",
        "## Corpus",
        "",
        "| kind | posts |",
        "|---|---|",
        *(f"| {k} | {v:,} |" for k, v in stats["by_kind"].items()),
        "",
        "| language | posts |",
        "|---|---|",
        *(f"| {k} | {v:,} |" for k, v in stats["by_language"].items()),
        "",
        "Top hashtags: "
        + ", ".join(f"#{r['hashtag']} ({r['posts']:,})" for r in stats["top_hashtags"]),
        "",
        "Top hosts: " + ", ".join(f"{r['host']} ({r['posts']:,})" for r in stats["top_hosts"]),
        "",
        "## Communities",
        "",
        _communities_text(data["communities"]),
        "",
        "| community | group | accounts | stability | languages | hashtags | top accounts |",
        "|---|---|---|---|---|---|---|",
        *(
            f"| {c['community']} | {c['group']} | {c['size']:,} | {c['stability']:.2f} | "
            + ", ".join(c["languages"])
            + " | "
            + ", ".join("#" + h for h in c["top_hashtags"])
            + " | "
            + ", ".join("@" + a for a in c["top_accounts"])
            + " |"
            for c in data["communities"]["largest"]
        ),
        "",
        "## Signature and resonance",
        "",
        _language_text(data["signature"], data["resonance"]),
        "",
        "## Places and monitoring",
        "",
        _places_text(data["places"], data["monitor"]),
        "",
        "## Coordinated behaviour",
        "",
        _coordination_text(data["coordination"]),
        "",
        "| cluster | accounts | edges | traces | top accounts |",
        "|---|---|---|---|---|",
        *(
            f"| {c['cluster']} | {c['size']:,} | {c['edges']:,} | "
            + ", ".join(f"{t} {n:,}" for t, n in c["traces"].items())
            + " | "
            + ", ".join("@" + a for a in c["top_accounts"])
            + " |"
            for c in data["coordination"]["largest"]
        ),
        "",
        "## Account authenticity signals",
        "",
        f"{data['accounts']['accounts']:,} accounts assessed: "
        + "; ".join(
            f"{family} flags on {n:,} ("
            + (
                ", ".join(f"{k} {v:,}" for k, v in data["accounts"]["flags"][family].items())
                or "none"
            )
            + ")"
            for family, n in data["accounts"]["flagged"].items()
        )
        + ".",
        "",
        "## Evaluation against the planted truth",
        "",
        "| analysis | metric | value |",
        "|---|---|---|",
    ]
    for analysis, metrics in data["evaluation"].items():
        for metric, value in metrics.items():
            lines.append(f"| {analysis} | {metric} | {format_score(value)} |")
    lines += [
        "",
        f"Store: `{store_path}` (explore it with `infoscope stats --store {store_path}`).",
        "",
    ]
    return "\n".join(lines)


def _language_text(sig: dict[str, Any], res: dict[str, Any]) -> str:
    cv = res["cv"]
    return (
        f"Signature `{sig['name']}` ({sig['counts']['signature_terms']} terms) of the seed "
        f"accounts against everyone else; its top terms: "
        + ", ".join(f"`{t}`" for t in sig["top_terms"])
        + f". Resonance scored {res['scored_accounts']:,} accounts and found "
        f"{res['resonant_accounts']:,} resonant; held-out ({cv['folds']:.0f}-fold) precision "
        f"{cv['precision']:.3f}, recall {cv['recall']:.3f}, ROC AUC {cv['roc_auc']:.3f} "
        "(the baseline holds the operation's unseen accounts, so precision here is a floor)."
    )


def _places_text(places: dict[str, Any], monitor: dict[str, Any]) -> str:
    return (
        f"{places['with_place']:,} of {places['accounts']:,} accounts located from their "
        f"evidence ({places['unknown']:,} unknown, left unknown); top countries: "
        + ", ".join(f"{c[0]} ({c[1]:,})" for c in places["top_countries"])
        + f". Resonance monitored over {monitor['places']} countries and "
        f"{monitor['periods']} weeks ({monitor['unknown_share']:.0%} of scored account-weeks "
        f"without a known place): {len(monitor['alerts'])} alert(s)."
    )


def _communities_text(c: dict[str, Any]) -> str:
    return (
        f"{c['nodes']:,} accounts and {c['edges']:,} interaction edges; Leiden found "
        f"{c['communities']:,} communities in {c['groups']:,} groups (modularity "
        f"{c['modularity']:.3f}); over {c['runs']} seeded runs the mean NMI between partitions "
        f"is {c['mean_nmi']:.3f}. The largest:"
    )
