"""Spark benchmark: every ``--engine spark`` command on DuckDB and on Spark, the same rows.

For a scenario of ``--posts`` posts (default 200,000; twitter-v2, made with ``infoscope
simulate`` and ingested, shared with ``bench_coordination.py`` under
``bench-out/coordination/POSTS``), the store is copied into ``--out-dir`` (default
``bench-out/spark/POSTS``) and exported with ``infoscope export --format parquet``. Then each
command of `COMMANDS` (``--commands`` chooses) runs in a fresh process on each engine:
``--engine duckdb`` and ``--engine spark --data DIR --spark-master MASTER`` (default
``local[2]``; a master of yours, ``spark://host:7077`` or Spark Connect's ``sc://host:15002``;
or ``standalone``: a standalone master and one worker started on this machine for the run, and
``connect``: the same with a Spark Connect server before it, see ``spark_cluster.py``). Wall
time is the
whole process (a Spark run includes starting its JVM); peak RSS is the largest sum of the
resident memory of the process tree (the Spark driver's JVM is a child of the Python
process; executors of a standalone master are not, and are not counted), sampled every 0.1 s.

The two runs' stored rows (every table of the analysis, the run's rows; ids that are random
by design, such as a signature's id, left out) are then compared: row counts, a checksum of
the rows in a total order with floating-point values (those inside JSON documents, such as a
community's profile, included) rounded to 9 significant digits (sums
of floats may differ in their last bits between engines, which add in different orders),
and the largest relative difference of any float. ``stats`` stores nothing: its JSON output
is compared. Results go to stdout and ``OUT_DIR/results.json``.

``signature`` learns the signature of half of the scenario's first operation (the seeds an
analyst might hold, as the demo does) on each engine; ``resonance`` scores with the one the
DuckDB run learnt on both engines, so that its comparison is of resonance alone.

Run on demand: ``make bench-spark`` or ``python benchmarks/bench_spark.py [--posts N]
[--master local[4]] [--commands communities,coordination] [--traces co-retweet,co-link]``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
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
from spark_cluster import connect_server, standalone

REPO = Path(__file__).resolve().parent.parent
COMMANDS = ("stats", "communities", "signature", "resonance", "accounts", "coordination")
# Columns whose values are random by design (ids, times, names of this benchmark's runs).
UNCOMPARED = {"run_id", "signature_id", "created_at", "name"}


def _parsed(value: Any) -> Any:
    """`value`, with a JSON document stored as text (a community's profile) parsed."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _leaves(value: Any) -> list[Any]:
    """The scalars of a cell (of a parsed JSON document, in document order)."""
    value = _parsed(value)
    if isinstance(value, dict):
        return [x for k in sorted(value) for x in [k, *_leaves(value[k])]]
    if isinstance(value, (list, tuple)):
        return [x for item in value for x in _leaves(item)]
    return [value]


def _rounded(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value != 0.0:
        return float(f"{value:.9g}")
    return value


def _key(row: tuple[Any, ...]) -> str:
    return repr(tuple(tuple(_rounded(x) for x in _leaves(v)) for v in row))


def analysis_tables(command: str) -> list[str]:
    """The tables of the analysis that `command` runs, from the registry."""
    from infoscope.registry import ANALYSES

    for analysis in ANALYSES:
        if analysis.name == command:
            return list(analysis.table_ddl())
    raise SystemExit(f"no analysis {command} in the registry")


def stored(store: Path, command: str, run_id: str) -> dict[str, list[tuple[Any, ...]]]:
    """Each of `command`'s tables' rows of run `run_id` (a signature's by its id), sorted."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    con.execute("SET TimeZone = 'UTC'")
    try:
        found: dict[str, list[tuple[Any, ...]]] = {}
        for table in analysis_tables(command):
            columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()]
            if "run_id" in columns:
                where, param = "run_id = ?", run_id
            elif "signature_id" in columns:
                where = "signature_id IN (SELECT signature_id FROM signatures WHERE run_id = ?)"
                param = run_id
            else:
                continue
            kept = ", ".join(f'"{c}"' for c in columns if c not in UNCOMPARED)
            got = con.execute(f"SELECT {kept} FROM {table} WHERE {where}", [param]).fetchall()
            found[table] = sorted(got, key=_key)
        return found
    finally:
        con.close()


def compare(a: list[tuple[Any, ...]], b: list[tuple[Any, ...]]) -> dict[str, Any]:
    """Counts, checksums (floats to 9 significant digits) and the largest float difference."""

    def checksum(rows: list[tuple[Any, ...]]) -> str:
        digest = hashlib.sha256()
        for row in rows:
            digest.update(_key(row).encode())
        return digest.hexdigest()[:16]

    worst = 0.0
    same_cells = len(a) == len(b)
    for x, y in zip(a, b, strict=False):
        cells = [(_leaves(u), _leaves(v)) for u, v in zip(x, y, strict=True)]
        if any(len(p) != len(q) for p, q in cells):
            same_cells = False
            continue
        for u, v in ((p, q) for ps, qs in cells for p, q in zip(ps, qs, strict=True)):
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


def latest_run(store: Path, command: str) -> str:
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        row = con.execute(
            "SELECT run_id FROM runs WHERE command = ? AND status = 'completed' "
            "ORDER BY started_at DESC LIMIT 1",
            [command],
        ).fetchone()
    finally:
        con.close()
    if row is None:
        raise SystemExit(f"{command} stored no completed run")
    return str(row[0])


def seed_accounts(shared: Path, out: Path) -> Path:
    """Half of the first operation's accounts, as the demo's signature step takes them."""
    with open(shared / "scenario" / "truth_accounts.csv", encoding="utf-8") as handle:
        members = [r["account_id"] for r in csv.DictReader(handle) if r["operation_id"] == "op1"]
    out.write_text("\n".join(members[::2]) + "\n", encoding="utf-8")
    return out


def arguments(command: str, store: Path, seeds: Path, engine: str, traces: str) -> list[str]:
    """The command line of `command` (its own options; the engine's are added by the caller)."""
    at = ["--store", str(store)]
    if command == "stats":
        return ["stats", *at, "--json"]
    if command == "communities":
        return ["communities", *at, "--seed", "0", "-q"]
    if command == "signature":
        return [
            "signature", "learn", "--target", f"accounts:{seeds}", *at, "--name", f"bench-{engine}",
            "--replace", "--seed", "0", "-q",
        ]  # fmt: skip
    if command == "resonance":
        return ["resonance", *at, "--signature", "bench-duckdb", "--seed", "0", "-q"]
    if command == "accounts":
        return ["accounts", *at, "--seed", "0", "-q"]
    if command == "coordination":
        return ["coordination", *at, "--traces", traces, "--seed", "0", "-q"]
    raise SystemExit(f"unknown command {command}; choose from {', '.join(COMMANDS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--traces", default="all")
    parser.add_argument("--out-dir", type=Path)
    args = parser.parse_args()
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]
    shared = REPO / "bench-out" / "coordination" / str(args.posts)
    work = args.out_dir or REPO / "bench-out" / "spark" / str(args.posts)
    print(f"preparing {args.posts:,} posts in {shared}", file=sys.stderr)
    record: dict[str, Any] = {"posts": args.posts, "seed": args.seed, "master": args.master}
    record["prepared"] = prepare(args.posts, args.seed, shared)
    work.mkdir(parents=True, exist_ok=True)
    store, data = work / "store.duckdb", work / "parquet"
    shutil.copyfile(shared / "store.duckdb", store)
    seeds = seed_accounts(shared, work / "seed_accounts.txt")
    cli = infoscope_cli()
    started = time.perf_counter()
    m = measure(
        [cli, "export", "--format", "parquet", "--out", str(data), "--store", str(store), "-q"],
        work / "export.log",
    )
    record["export"] = {"seconds": m.seconds, "peak_mb": m.peak_mb}
    print(f"export --format parquet: {time.perf_counter() - started:,.1f} s", file=sys.stderr)
    with contextlib.ExitStack() as cluster:
        master = args.master
        if master in ("standalone", "connect"):
            master = cluster.enter_context(standalone(work / "cluster"))
            if args.master == "connect":
                master = cluster.enter_context(connect_server(master, work / "cluster"))
            print(f"cluster: {master}", file=sys.stderr)
        record["master_url"] = master
        results = run_commands(commands, cli, store, data, seeds, master, args.traces, work, record)
    report(args.posts, args.master, results)


def run_commands(
    commands: list[str],
    cli: str,
    store: Path,
    data: Path,
    seeds: Path,
    master: str,
    traces: str,
    work: Path,
    record: dict[str, Any],
) -> dict[str, Any]:
    """Each command on both engines, measured and compared (see the module docstring)."""
    spark = ["--engine", "spark", "--data", str(data), "--spark-master", master]
    results: dict[str, Any] = {}
    for command in commands:
        runs: dict[str, Any] = {}
        for engine, extra in (("duckdb", []), ("spark", spark)):
            line = [cli, *arguments(command, store, seeds, engine, traces), *extra]
            m = measure(line, work / f"{command}-{engine}.log")
            runs[engine] = {"seconds": m.seconds, "peak_mb": m.peak_mb, "others": m.others}
            if command == "stats":
                runs[engine]["output"] = json.loads(m.stdout)
            else:
                runs[engine]["run_id"] = latest_run(store, command)
            print(
                f"{command} --engine {engine}: {m.seconds:,.1f} s, peak RSS {m.peak_mb:,.0f} MB",
                file=sys.stderr,
            )
        if command == "stats":
            a = {"output": [(json.dumps(runs["duckdb"].pop("output"), sort_keys=True),)]}
            b = {"output": [(json.dumps(runs["spark"].pop("output"), sort_keys=True),)]}
        else:
            a = stored(store, command, runs["duckdb"]["run_id"])
            b = stored(store, command, runs["spark"]["run_id"])
        compared = {table: compare(a[table], b[table]) for table in a}
        results[command] = {"runs": runs, "compared": compared}
        (work / "results.json").write_text(
            json.dumps({**record, "commands": results}, indent=2, default=str)
        )
    return results


def report(posts: int, master: str, results: dict[str, Any]) -> None:
    """The comparison as two tables on stdout."""
    print(f"\n{posts:,} posts, Spark master {master}")
    print(f"{'command':<14}{'duckdb s':>10}{'MB':>7}{'spark s':>10}{'MB':>7}  same rows")
    for command, r in results.items():
        d, s = r["runs"]["duckdb"], r["runs"]["spark"]
        same = all(c["identical"] for c in r["compared"].values())
        rows = sum(c["rows"][0] for c in r["compared"].values())
        print(
            f"{command:<14}{d['seconds']:>10.1f}{d['peak_mb']:>7.0f}{s['seconds']:>10.1f}"
            f"{s['peak_mb']:>7.0f}  {'yes' if same else 'NO'} ({rows:,} rows)"
        )
    print(f"\n{'table':<28}{'rows duckdb':>12}{'rows spark':>12}  checksums  identical")
    for r in results.values():
        for table, c in r["compared"].items():
            same = "yes" if c["identical"] else "NO"
            print(
                f"{table:<28}{c['rows'][0]:>12,}{c['rows'][1]:>12,}  "
                f"{c['checksums'][0]} {c['checksums'][1]}  {same} "
                f"(floats within {c['max_float_rel_diff']:.1e})"
            )


if __name__ == "__main__":
    main()
