"""Ingest benchmark: the IRA archive (about 2.1M tweets) straight from its .tar.xz.

Measures, as the median of N runs (default 3), each in a fresh process with a fresh store:

- infoscope: wall time of ``infoscope ingest ira-tweets-by-author.tar.xz``, posts per second
  and the process's peak RSS;
- the floor: the time to decompress the archive (``tar -xJf``) plus DuckDB's own
  ``read_csv`` of the extracted CSVs into a table (no mapping, no dedup, no store on disk);

and prints the ratio of the two. Run with ``make bench`` or
``python benchmarks/bench_ingest.py [--runs N] [--archive PATH]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ARCHIVE = ROOT.parent / "shared" / "data" / "ira" / "ira-tweets-by-author.tar.xz"

_INGEST_CHILD = """
import json, resource, sys, time
from infoscope.ingest import ingest
from infoscope.store import Store
started = time.perf_counter()
with Store.open(sys.argv[1]) as store:
    summary = ingest(store, [sys.argv[2]])
seconds = time.perf_counter() - started
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "posts": summary.posts, "peak_mb": peak_mb,
                  "duplicates": summary.duplicates, "records": summary.records}))
"""

_READ_CSV_CHILD = """
import duckdb, json, resource, sys, time
started = time.perf_counter()
con = duckdb.connect()
con.execute(
    "CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
    [sys.argv[1]],
)
rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _child(code: str, *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", code, *args], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def run_floor(archive: Path, workdir: Path) -> tuple[float, float]:
    """Seconds to untar, seconds for DuckDB's read_csv of every tweet CSV."""
    target = workdir / "extracted"
    target.mkdir()
    started = time.perf_counter()
    subprocess.run(["tar", "-xJf", str(archive), "-C", str(target)], check=True)
    untar = time.perf_counter() - started
    csvs = str(target / "*" / "*" / "*.csv")
    read = _child(_READ_CSV_CHILD, csvs)["seconds"]
    return untar, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--archive", type=Path, default=DEFAULT_ARCHIVE)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if not args.archive.exists():
        print(f"skipped: {args.archive} is absent (the benchmark needs ../shared/data)")
        return
    ingests, floors = [], []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory() as tmp:
            untar, read = run_floor(args.archive, Path(tmp))
            floors.append(untar + read)
            print(
                f"floor run {run}: untar {untar:.1f}s + read_csv {read:.1f}s = {untar + read:.1f}s"
            )
        with tempfile.TemporaryDirectory() as tmp:
            result = _child(_INGEST_CHILD, str(Path(tmp) / "bench.duckdb"), str(args.archive))
            ingests.append(result)
            print(
                f"ingest run {run}: {result['seconds']:.1f}s, {result['posts']:,} posts "
                f"({result['duplicates']:,} duplicates), peak RSS {result['peak_mb']:,.0f} MB"
            )
    seconds = statistics.median(r["seconds"] for r in ingests)
    floor = statistics.median(floors)
    posts = ingests[0]["posts"]
    peak = statistics.median(r["peak_mb"] for r in ingests)
    print()
    print(f"median ingest      {seconds:.1f} s  ({posts / seconds:,.0f} posts/s)")
    print(f"median peak RSS    {peak:,.0f} MB  (target < 2048 MB)")
    print(f"median floor       {floor:.1f} s  (untar + DuckDB read_csv)")
    print(f"ratio to floor     {seconds / floor:.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
