"""The main job on the built-in scenario: generate, ingest, analyse, evaluate, summarise.

`run_demo` is what ``make demo`` runs (through ``infoscope demo``): it generates a scenario
with planted operations, ingests it through the real importer into a fresh store, runs every
registered analysis (`infoscope.registry`: each one's demo step, in registry order; the
article analyses are skipped as the scenario has no articles), scores them against the
scenario's ground truth and writes a summary (``summary.md`` and ``summary.json``) next to the
store. It ends by writing the HTML report (``report.html``) of the store.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infoscope.evaluate import evaluate, format_score, load_truth
from infoscope.ingest import ingest
from infoscope.queries import corpus_stats
from infoscope.registry import DemoContext, registered_analyses
from infoscope.report.render import write_report
from infoscope.scenario import ScenarioConfig, generate_scenario
from infoscope.store import Store

__all__ = ["DemoResult", "run_demo"]

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
    format: str = "twitter-v2",
    progress: Callable[[str], None] | None = None,
) -> DemoResult:
    """Generate a scenario of `posts` posts, ingest, evaluate and summarise it in `out_dir`.

    `format` is the scenario's corpus format (one of `infoscope.scenario.scenario_formats()`):
    the same `posts` and `seed` give the same posts in every format, so the evaluations of two
    formats differ only by what the formats carry. The demo's store (``out_dir/demo.duckdb``)
    is made anew on every run.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    say = progress or (lambda message: None)
    timings: dict[str, float] = {}

    started = time.perf_counter()
    say(f"generating a scenario of {posts:,} posts (seed {seed}, {format})")
    manifest = generate_scenario(
        ScenarioConfig(posts=posts, seed=seed), out / "scenario", format=format
    )
    timings["simulate"] = time.perf_counter() - started

    store_path = out / "demo.duckdb"
    for stale in (store_path, store_path.with_name(store_path.name + ".wal")):
        stale.unlink(missing_ok=True)
    corpus = out / "scenario" / manifest.counts["corpus_file"]
    sections: list[tuple[str, str]] = []
    data: dict[str, Any] = {
        "scenario": {"posts": posts, "seed": seed, "format": format, "counts": manifest.counts}
    }
    with Store.open(store_path) as store:
        started = time.perf_counter()
        say(f"ingesting {corpus}")
        summary = ingest(store, [corpus])
        timings["ingest"] = time.perf_counter() - started
        data["ingest"] = summary.as_dict()
        data["stats"] = corpus_stats(
            store.ibis.table("posts"), store.ibis.table("accounts"), top=10
        )
        context = DemoContext(scenario=out / "scenario", seed=seed, say=say)
        for name, analysis in registered_analyses().items():
            if analysis.demo is None:
                continue
            started = time.perf_counter()
            step = analysis.function("demo")(store, context)
            if step is None:
                continue
            timings[name] = time.perf_counter() - started
            context.results[name] = step.result
            data[name] = step.data
            sections.append((analysis.title, step.text))
        data["evaluation"] = evaluate(store, load_truth(out / "scenario"))
        started = time.perf_counter()
        say("writing the HTML report")
        report = write_report(store, out / "report.html", seed=seed)
        timings["report"] = time.perf_counter() - started
    data["report"] = {"path": report["path"], "bytes": report["bytes"]}
    data["seconds"] = {k: round(v, 2) for k, v in timings.items()}
    (out / "summary.json").write_text(json.dumps(data, indent=2, default=str), encoding="utf-8")
    summary_path = out / "summary.md"
    summary_path.write_text(_markdown(data, sections, store_path), encoding="utf-8")
    return DemoResult(out, store_path, summary_path, Path(report["path"]), data)


def _markdown(data: dict[str, Any], sections: list[tuple[str, str]], store_path: Path) -> str:
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
    ]
    for title, text in sections:
        lines += [f"## {title}", "", text, ""]
    lines += [
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
