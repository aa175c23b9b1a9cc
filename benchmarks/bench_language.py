"""Language benchmark: tokenisation, signature learning and resonance on a 1M-post scenario.

Generates a scenario (``--posts``, default 1M, io-archive), ingests it into a temporary store,
writes seed accounts (every other account of the first operation) and times, ``--runs``
times (default 3), printing medians:

- tokens: every post tokenised and counted per account in the engine (``term_table``);
- signature: `run_signature` of the seeds against the rest (tokenises both groups);
- resonance: `run_resonance` of every account, per week too, with 5-fold calibration.

Run with ``make bench`` or ``python benchmarks/bench_language.py [--posts N] [--runs N]``.
"""

from __future__ import annotations

import argparse
import csv
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", default="io-archive")
    args = parser.parse_args()

    from infoscope.ingest import ingest
    from infoscope.language.resonance import run_resonance, term_table
    from infoscope.language.signature import run_signature
    from infoscope.scenario import ScenarioConfig, generate_scenario
    from infoscope.store import Store

    with tempfile.TemporaryDirectory(prefix="bench-language-") as tmp:
        out = Path(tmp)
        manifest = generate_scenario(
            ScenarioConfig(posts=args.posts, seed=1), out / "scenario", format=args.format
        )
        with open(out / "scenario" / "truth_accounts.csv", encoding="utf-8") as handle:
            op1 = [r["account_id"] for r in csv.DictReader(handle) if r["operation_id"] == "op1"]
        seeds = out / "seeds.txt"
        seeds.write_text("\n".join(op1[::2]) + "\n", encoding="utf-8")
        with Store.open(out / "bench.duckdb") as store:
            ingest(store, [out / "scenario" / manifest.counts["corpus_file"]])
            posts = store.ibis.table("posts")
            total = store.count("posts")
            print(f"{total:,} posts ingested", file=sys.stderr)
            stages: dict[str, list[float]] = {"tokens": [], "signature": [], "resonance": []}
            for i in range(args.runs):
                started = time.perf_counter()
                table = term_table(posts)
                stages["tokens"].append(time.perf_counter() - started)
                table.release()
                started = time.perf_counter()
                run_signature(store, f"accounts:{seeds}", name="bench", replace=True)
                stages["signature"].append(time.perf_counter() - started)
                started = time.perf_counter()
                run = run_resonance(store, "bench", period="week", seed=1)
                stages["resonance"].append(time.perf_counter() - started)
                print(
                    f"run {i + 1}: " + ", ".join(f"{k} {v[-1]:.1f}s" for k, v in stages.items()),
                    file=sys.stderr,
                )
        print(f"{total:,} posts ({args.format}), median of {args.runs}:")
        for name, values in stages.items():
            m = statistics.median(values)
            print(f"  {name:<10} {m:7.1f} s  ({total / m:,.0f} posts/s)")
        cv = run.summary["cv"]
        print(
            f"resonance held-out: precision {cv['precision']:.3f}, recall {cv['recall']:.3f}, "
            f"ROC AUC {cv['roc_auc']:.3f}; {run.summary['resonant_accounts']:,} resonant of "
            f"{run.summary['scored_accounts']:,} scored"
        )
        print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
