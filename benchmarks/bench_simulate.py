"""Scenario generation benchmark: posts per second and peak memory at 1M posts (or --posts).

Each run is a fresh process that calls `infoscope.scenario.generate_scenario` into a temporary
directory (deleted afterwards) and reports its wall time and peak resident memory: that of the
generating process and, when the corpus is serialised in a second process (``workers=2``, the
default from 100,000 posts on), that of the writer process. The median of N runs (default 3)
is printed. Bounded memory is the point of ``--posts 10000000``: the peak should stay near the
1M figure. Run with ``make bench`` or
``python benchmarks/bench_simulate.py [--posts N] [--runs N] [--format NAME] [--workers 1|2]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from infoscope.scenario import ScenarioConfig, generate_scenario
posts, out, fmt, workers = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
n_workers = None if workers == "auto" else int(workers)
started = time.perf_counter()
manifest = generate_scenario(ScenarioConfig(posts=posts), out, format=fmt, workers=n_workers)
seconds = time.perf_counter() - started
print(json.dumps({
    "seconds": seconds,
    "posts": manifest.counts["posts"],
    "bytes": sum(f["bytes"] for f in manifest.files.values()),
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "writer_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
}))
"""


def run_once(posts: int, fmt: str, workers: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-simulate-") as tmp:
        out = subprocess.run(
            [sys.executable, "-c", _CHILD, str(posts), str(Path(tmp) / "scenario"), fmt, workers],
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--format", default="twitter-v2")
    parser.add_argument("--workers", default="auto", choices=["auto", "1", "2"])
    args = parser.parse_args()
    results = []
    for run in range(1, args.runs + 1):
        r = run_once(args.posts, args.format, args.workers)
        results.append(r)
        print(
            f"run {run}: {r['seconds']:.1f}s, {r['posts'] / r['seconds']:,.0f} posts/s, "
            f"{r['bytes'] / 1e9:.2f} GB written, peak RSS {r['peak_mb']:,.0f} MB "
            f"(writer process {r['writer_peak_mb']:,.0f} MB)"
        )
    seconds = statistics.median(r["seconds"] for r in results)
    print()
    print(f"{args.format}, {args.posts:,} posts, median of {args.runs}:")
    print(f"median time        {seconds:.1f} s  ({args.posts / seconds:,.0f} posts/s)")
    print(f"median peak RSS    {statistics.median(r['peak_mb'] for r in results):,.0f} MB")
    print(f"writer peak RSS    {statistics.median(r['writer_peak_mb'] for r in results):,.0f} MB")


if __name__ == "__main__":
    main()
