"""Report benchmark: size and time of `infoscope report` on a 1M-post scenario with every
analysis run, and how long a browser takes to draw it.

Steps (outputs under ``bench-out/report/<posts>/``):
1. generate the scenario (``--format io-archive``, the fastest to ingest) and ingest it, unless
   ``--store`` names a store of the same scenario already ingested (it is copied, never
   changed) together with ``--scenario`` (its directory, for the seed accounts);
2. run what the demo runs: communities, a signature from half of one operation's accounts,
   resonance per week, locate, monitor, coordination (every trace);
3. time ``infoscope report`` ``--runs`` times, each in a fresh process (so the map layout is
   computed every time), and print the median whole-process time, the in-process build and
   render timings, and the file size;
4. with chromium and Playwright present, open the file ``--runs`` times in headless chromium
   and print the median time until every chart is drawn, and the console errors seen.

Run with ``python benchmarks/bench_report.py [--posts N] [--runs N] [--store S --scenario D]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(args: argparse.Namespace, out: Path) -> tuple[Path, Path]:
    from infoscope.ingest import ingest
    from infoscope.scenario import ScenarioConfig, generate_scenario
    from infoscope.store import Store

    store_path = out / "store.duckdb"
    if store_path.exists() and (out / "analysed.json").exists():
        return store_path, Path(json.loads((out / "analysed.json").read_text())["scenario"])
    store_path.unlink(missing_ok=True)
    if args.store:
        say(f"copying {args.store}")
        shutil.copyfile(args.store, store_path)
        scenario = Path(args.scenario)
    else:
        scenario = out / "scenario"
        started = time.perf_counter()
        manifest = generate_scenario(
            ScenarioConfig(posts=args.posts, seed=args.seed), scenario, format="io-archive"
        )
        say(f"scenario: {args.posts:,} posts in {time.perf_counter() - started:.0f} s")
        with Store.open(store_path) as store:
            started = time.perf_counter()
            ingest(store, [scenario / manifest.counts["corpus_file"]])
            say(f"ingest: {time.perf_counter() - started:.0f} s")
    analyse(store_path, scenario, args.seed)
    (out / "analysed.json").write_text(json.dumps({"scenario": str(scenario)}))
    return store_path, scenario


def analyse(store_path: Path, scenario: Path, seed: int) -> None:
    from infoscope.coordination import run_coordination
    from infoscope.geo.accounts import run_locate
    from infoscope.language.monitor import run_monitor
    from infoscope.language.resonance import run_resonance
    from infoscope.language.signature import run_signature
    from infoscope.network import run_communities
    from infoscope.store import Store

    with open(scenario / "truth_accounts.csv", encoding="utf-8") as handle:
        members = [r["account_id"] for r in csv.DictReader(handle) if r["operation_id"] == "op1"]
    seeds = scenario.parent / "seed_accounts.txt"
    seeds.write_text("\n".join(members[::2]) + "\n", encoding="utf-8")
    steps: list[tuple[str, Any]] = [
        ("communities", lambda s: run_communities(s, levels=2, seed=seed)),
        ("signature", lambda s: run_signature(s, f"accounts:{seeds}", name="op1", replace=True)),
        ("resonance", lambda s: run_resonance(s, "op1", period="week", seed=seed)),
        ("locate", run_locate),
        ("monitor", lambda s: run_monitor(s, min_accounts=10)),
        ("coordination", lambda s: run_coordination(s, seed=seed)),
    ]
    with Store.open(store_path) as store:
        for name, step in steps:
            started = time.perf_counter()
            step(store)
            say(f"{name}: {time.perf_counter() - started:.0f} s")


def time_report(store: Path, out: Path, runs: int) -> dict[str, Any]:
    walls, inner = [], []
    html = out / "report.html"
    for i in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "infoscope.cli.main", "report", "--store", str(store),
             "--out", str(html), "--json"],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        walls.append(time.perf_counter() - started)
        inner.append(json.loads(done.stdout))
        say(f"report run {i + 1}: {walls[-1]:.1f} s, {inner[-1]['bytes'] / 1e6:.1f} MB")
    middle = sorted(range(runs), key=lambda i: walls[i])[runs // 2]
    return {
        "process_seconds_median": round(statistics.median(walls), 2),
        "process_seconds": [round(w, 2) for w in walls],
        "bytes": inner[middle]["bytes"],
        "timings_of_median_run": inner[middle]["timings"],
        "path": str(html),
    }


def time_browser(html: Path, runs: int) -> dict[str, Any] | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if chromium is None:
        return None
    seconds, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        for _ in range(runs):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            started = time.perf_counter()
            page.goto(html.resolve().as_uri(), wait_until="load", timeout=300_000)
            page.wait_for_function(
                "() => [...document.querySelectorAll('.plotly-graph-div')]"
                ".every(d => d._fullLayout)",
                timeout=300_000,
            )
            seconds.append(time.perf_counter() - started)
            page.close()
        browser.close()
    return {
        "seconds_median": round(statistics.median(seconds), 2),
        "seconds": [round(s, 2) for s in seconds],
        "console_errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--store", help="An ingested store of the scenario to copy.")
    parser.add_argument("--scenario", help="The scenario directory of --store.")
    args = parser.parse_args()
    if bool(args.store) != bool(args.scenario):
        parser.error("--store and --scenario go together")
    out = Path("bench-out") / "report" / str(args.posts)
    out.mkdir(parents=True, exist_ok=True)
    store, _ = prepare(args, out)
    from infoscope.report import views
    from infoscope.store import Store

    with Store.open(store, read_only=True) as s:
        counts = {
            "posts": s.con.execute("SELECT count(*) FROM posts").fetchone()[0],
            "accounts": s.con.execute("SELECT count(*) FROM accounts").fetchone()[0],
            "runs": {k: v is not None for k, v in views.latest_runs(s).items()},
        }
    results = {
        "store": counts,
        "report": time_report(store, out, args.runs),
    }
    results["browser"] = time_browser(Path(results["report"]["path"]), args.runs)
    (out / "results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
