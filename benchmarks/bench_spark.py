"""Spark benchmark: `infoscope coordination` on DuckDB and on Spark, the same rows, side by side.

For a scenario of ``--posts`` posts (default 200,000; twitter-v2, made with ``infoscope
simulate`` and ingested, shared with ``bench_coordination.py`` under
``bench-out/coordination/POSTS``), the store is copied into ``--out-dir`` (default
``bench-out/spark/POSTS``), exported with ``infoscope export --format parquet``, and
``infoscope coordination --seed 0`` (every trace, or ``--traces``) runs in a fresh process on
each engine: ``--engine duckdb`` and ``--engine spark --data DIR --spark-master MASTER``
(default ``local[2]``). Wall time is the whole process (a Spark run includes starting its
JVM); peak RSS is the largest sum of the resident memory of the process tree (the Spark
driver's JVM is a child of the Python process), sampled every 0.1 s.

The two runs' stored rows (``coordination_edges``, ``coordination_evidence``,
``coordination_accounts``) are then compared: row counts, a checksum of the rows with
floating-point columns rounded to 9 significant digits (sums of floats may differ in their
last bits between engines, which add in different orders), and the largest relative
difference of any float. Results go to stdout and ``OUT_DIR/results.json``.

Run on demand: ``make bench-spark`` or ``python benchmarks/bench_spark.py [--posts N]
[--master local[4]] [--traces co-retweet,co-link]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import shutil
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_coordination import infoscope_cli, measure, prepare

REPO = Path(__file__).resolve().parent.parent
TABLES = {
    "coordination_edges": "trace, account_a, account_b",
    "coordination_evidence": "trace, account_a, account_b, object_id",
    "coordination_accounts": "account_key",
}


def _rounded(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value != 0.0:
        return float(f"{value:.9g}")
    return value


def stored(store: Path, run_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Each coordination table's rows of run `run_id`, in a total order."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    try:
        return {
            table: con.execute(
                f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ? ORDER BY {order}",
                [run_id],
            ).fetchall()
            for table, order in TABLES.items()
        }
    finally:
        con.close()


def compare(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Counts, checksums (floats to 9 significant digits) and the largest float difference."""

    def checksum(rows: list[tuple[Any, ...]]) -> str:
        digest = hashlib.sha256()
        for row in rows:
            digest.update(repr(tuple(_rounded(v) for v in row)).encode())
        return digest.hexdigest()[:16]

    worst = 0.0
    same_cells = len(a) == len(b)
    for x, y in zip(a, b, strict=False):
        for u, v in zip(x, y, strict=True):
            if isinstance(u, float) and isinstance(v, float):
                scale = max(abs(u), abs(v))
                worst = max(worst, abs(u - v) / scale if scale else 0.0)
            elif u != v:
                same_cells = False
    return {
        "rows": [len(a), len(b)],
        "checksums": [checksum(a), checksum(b)],
        "identical": same_cells and worst <= 1e-9,
        "max_float_rel_diff": worst,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--traces", default="all")
    parser.add_argument("--out-dir", type=Path)
    args = parser.parse_args()
    shared = REPO / "bench-out" / "coordination" / str(args.posts)
    work = args.out_dir or REPO / "bench-out" / "spark" / str(args.posts)
    print(f"preparing {args.posts:,} posts in {shared}", file=sys.stderr)
    record: dict[str, Any] = {"posts": args.posts, "seed": args.seed, "master": args.master}
    record["prepared"] = prepare(args.posts, args.seed, shared)
    work.mkdir(parents=True, exist_ok=True)
    store, data = work / "store.duckdb", work / "parquet"
    shutil.copyfile(shared / "store.duckdb", store)
    cli = infoscope_cli()
    started = time.perf_counter()
    m = measure(
        [cli, "export", "--format", "parquet", "--out", str(data), "--store", str(store), "-q"],
        work / "export.log",
    )
    record["export"] = {"seconds": m.seconds, "peak_mb": m.peak_mb}
    print(f"export --format parquet: {time.perf_counter() - started:,.1f} s", file=sys.stderr)
    base = [cli, "coordination", "--store", str(store), "--traces", args.traces, "--seed", "0"]
    runs: dict[str, Any] = {}
    for engine, extra in (
        ("duckdb", []),
        ("spark", ["--engine", "spark", "--data", str(data), "--spark-master", args.master]),
    ):
        m = measure([*base, *extra, "--json", "-q"], work / f"coordination-{engine}.log")
        result = json.loads(m.stdout)
        runs[engine] = {
            "run_id": result["run_id"],
            "seconds": m.seconds,
            "peak_mb": m.peak_mb,
            "others": m.others,
            "per_trace_s": {n: t["seconds"] for n, t in result["traces"].items()},
            "edges": result["edges"],
        }
        print(
            f"coordination --engine {engine}: {m.seconds:,.1f} s, peak RSS {m.peak_mb:,.0f} MB, "
            f"{result['edges']:,} edges",
            file=sys.stderr,
        )
    record["runs"] = runs
    a = stored(store, runs["duckdb"]["run_id"])
    b = stored(store, runs["spark"]["run_id"])
    record["compared"] = {table: compare(a[table], b[table]) for table in TABLES}
    (work / "results.json").write_text(json.dumps(record, indent=2, default=str))

    print(f"\n{args.posts:,} posts, Spark master {args.master}, traces {args.traces}")
    print(f"{'engine':<8}{'wall s':>10}{'peak MB':>10}  per trace (s)")
    for engine, r in runs.items():
        per = ", ".join(f"{n} {s:.1f}" for n, s in r["per_trace_s"].items())
        print(f"{engine:<8}{r['seconds']:>10.1f}{r['peak_mb']:>10.0f}  {per}")
    print(f"\n{'table':<24}{'rows duckdb':>12}{'rows spark':>12}  checksums  identical")
    for table, c in record["compared"].items():
        same = "yes" if c["identical"] else "NO"
        print(
            f"{table:<24}{c['rows'][0]:>12,}{c['rows'][1]:>12,}  "
            f"{c['checksums'][0]} {c['checksums'][1]}  {same} "
            f"(floats within {c['max_float_rel_diff']:.1e})"
        )


if __name__ == "__main__":
    main()
