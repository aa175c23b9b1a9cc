"""JSON ingest benchmark: a twitter-v2 scenario read by the Python reader, by the engine, and
by DuckDB's own ``read_json`` (the floor).

A scenario of ``--posts`` posts is generated once with ``infoscope simulate`` (kept under
``--work`` for the next run). Then, ``--runs`` times (default 3), interleaved and each in a
fresh process with a fresh store:

- ``floor``: DuckDB's ``read_json`` of the corpus into an in-memory table (no mapping, no
  dedup, no store on disk);
- ``python``: ``infoscope.ingest.ingest`` with every record parsed and mapped in Python
  (``INFOSCOPE_INGEST_ENGINE=python``, the reference path);
- ``engine``: the same call, flattened tweets mapped inside DuckDB
  (`infoscope.ingest._columnar`).

Each run reports wall seconds, CPU seconds (user and system, the process's threads included)
and peak RSS; the medians are printed with posts per second and the ratio to the floor. The
two ingests must store the same numbers of posts and accounts. Run with
``python benchmarks/bench_ingest_json.py [--posts N] [--runs N] [--work DIR]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INFOSCOPE = Path(sys.executable).with_name("infoscope")

_INGEST_CHILD = """
import json, resource, sys, time
from infoscope.ingest import ingest
from infoscope.store import Store
started = time.perf_counter()
with Store.open(sys.argv[1]) as store:
    summary = ingest(store, [sys.argv[2]])
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024, "posts": summary.posts,
                  "accounts": summary.accounts, "quarantined": sum(summary.quarantined.values())}))
"""

_FLOOR_CHILD = """
import duckdb, json, resource, sys, time
started = time.perf_counter()
con = duckdb.connect()
con.execute("CREATE TABLE t AS SELECT * FROM read_json(?)", [sys.argv[1]])
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
seconds = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime,
                  "peak_mb": usage.ru_maxrss / 1024, "posts": rows}))
"""

PATHS = ("floor", "python", "engine")


def scenario(posts: int, seed: int, work: Path) -> Path:
    """The corpus of a twitter-v2 scenario of `posts` posts, generated unless present."""
    out = work / f"twitter-v2-{posts}-{seed}"
    corpus = out / "tweets.jsonl"
    if not (out / "scenario.json").exists():
        cmd = [str(INFOSCOPE), "simulate", "--posts", str(posts), "--seed", str(seed)]
        subprocess.run([*cmd, "--out", str(out), "--format", "twitter-v2", "-q"], check=True)
    return corpus


def measure(path: str, corpus: Path) -> dict:
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-json-") as tmp:
        if path == "floor":
            args = [sys.executable, "-c", _FLOOR_CHILD, str(corpus)]
        else:
            env["INFOSCOPE_INGEST_ENGINE"] = path
            args = [
                sys.executable,
                "-c",
                _INGEST_CHILD,
                str(Path(tmp) / "store.duckdb"),
                str(corpus),
            ]
        out = subprocess.run(args, check=True, capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--paths", default=",".join(PATHS), help="comma-separated: floor, python, engine"
    )
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()) / "infoscope-bench-ingest-json",
        help="where the scenario is generated and kept",
    )
    args = parser.parse_args()
    paths = [p for p in args.paths.split(",") if p]
    corpus = scenario(args.posts, args.seed, args.work)
    size_mb = corpus.stat().st_size / 1e6
    print(f"corpus: {corpus} ({size_mb:,.0f} MB, {args.posts:,} posts)")
    results: dict[str, list[dict]] = {p: [] for p in paths}
    for run in range(1, args.runs + 1):
        # Interleaved, the order rotated from run to run: a shared machine's load falls on each.
        order = paths[run - 1 :] + paths[: run - 1]
        for path in order:
            r = measure(path, corpus)
            results[path].append(r)
            print(
                f"run {run} {path:7s} {r['seconds']:7.1f} s  cpu {r['cpu']:7.1f} s  "
                f"peak {r['peak_mb']:7,.0f} MB  posts {r['posts']:,}",
                flush=True,
            )
    stored = {(r["posts"], r["accounts"]) for p in ("python", "engine") for r in results.get(p, [])}
    if len(stored) > 1:
        raise SystemExit(f"the two ingests stored different counts: {sorted(stored)}")
    floor = (
        statistics.median(r["seconds"] for r in results["floor"]) if "floor" in results else None
    )
    print()
    widths = {"seconds": 8, "posts/s": 10, "cpu s": 7, "peak MB": 8, "x floor": 8}
    print(f"{'path':8s} " + " ".join(f"{h:>{w}s}" for h, w in widths.items()))
    for path in paths:
        seconds = statistics.median(r["seconds"] for r in results[path])
        cpu = statistics.median(r["cpu"] for r in results[path])
        peak = statistics.median(r["peak_mb"] for r in results[path])
        ratio = f"{seconds / floor:7.2f}x" if floor else "       -"
        print(
            f"{path:8s} {seconds:8.1f} {args.posts / seconds:10,.0f} {cpu:7.1f} {peak:8,.0f} "
            f"{ratio}"
        )
    print("targets (issue 22, at 1M posts): engine <= 3x the floor, peak RSS < 2048 MB")


if __name__ == "__main__":
    main()
