"""Authenticity signals benchmark: feature throughput on a 1M-post scenario.

Times, ``--runs`` times (default 3) each and prints the medians with posts per second:
- behaviour features (the Ibis expression of `infoscope.authenticity.behaviour`, run by
  DuckDB into Arrow);
- profile features and scoring with the shipped model;
- the whole `run_accounts` (features, model, persona checks, flags, storing), once.

It needs an ingested store of a scenario (``--store``, e.g. the one
``benchmarks/bench_report.py`` leaves in ``bench-out/report/1000000/store.duckdb``); the
whole run adds one accounts run to it. With ``--truth`` (the scenario directory) it also
prints the `accounts` evaluation against the planted personas.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", required=True)
    parser.add_argument("--truth", help="The scenario directory, to evaluate the flags.")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    from infoscope.authenticity import run_accounts
    from infoscope.authenticity.behaviour import behaviour_features
    from infoscope.authenticity.profile import load_shipped_model, profile_features
    from infoscope.evaluate import evaluate, load_truth
    from infoscope.store import Store

    results: dict[str, object] = {}
    with Store.open(args.store) as store:
        posts, accounts = store.count("posts"), store.count("accounts")
        results["posts"], results["accounts"] = posts, accounts
        timings: dict[str, list[float]] = {"behaviour": [], "profile": []}
        model = load_shipped_model()
        for _ in range(args.runs):
            started = time.perf_counter()
            behaviour_features(store)
            timings["behaviour"].append(time.perf_counter() - started)
            started = time.perf_counter()
            table = profile_features(store)
            model.predict_proba(table)
            timings["profile"].append(time.perf_counter() - started)
        for name, values in timings.items():
            median = statistics.median(values)
            results[name] = {
                "seconds_median": round(median, 2),
                "seconds": [round(v, 2) for v in values],
                "posts_per_second": round(posts / median),
            }
        started = time.perf_counter()
        run = run_accounts(store)
        whole = time.perf_counter() - started
        results["run_accounts"] = {
            "seconds": round(whole, 2),
            "posts_per_second": round(posts / whole),
            "parts": run.summary["seconds"],
            "flagged": run.summary["flagged"],
            "flags": run.summary["flags"],
        }
        if args.truth:
            results["evaluation"] = evaluate(store, load_truth(args.truth)).get("accounts")
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
