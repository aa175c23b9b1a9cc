"""The whole pipeline, stage by stage, at several corpus sizes: time, CPU and peak memory.

For each size in ``--posts`` (default 300k, 1M and 3M posts), a scenario is generated with
``infoscope simulate --format FORMAT`` (default ``io-archive``, a CSV) and every stage runs as
its own CLI process on one store, in the order an analyst runs them:

    ingest, communities, signature learn (half of the first operation's accounts against
    everyone else, as the demo does), resonance, locate, monitor, coordination (every trace),
    accounts, report

Printed per stage and size: wall time (median of ``--repeat`` runs of the whole sequence,
each on a fresh store), CPU-seconds (user + system of the process and its children), peak
RSS, and the growth of CPU-seconds from one size to the next against the growth of the
posts (a stage that grows linearly has a ratio near 1). ``ingest`` also gets its floor: DuckDB
``read_csv`` of the same file into a table. ``--markdown`` prints the table the README shows.
The scenario files and stores are kept under ``--out-dir`` (default ``bench-out/pipeline``)
and reused while the size, seed and format match.

Run with ``python benchmarks/bench_pipeline.py [--posts 300000,1000000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).with_name("infoscope")

_READ_CSV_CHILD = """
import duckdb, sys
con = duckdb.connect()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [sys.argv[1]])
"""


def _in_fresh_process(args: list[str]) -> dict[str, float]:
    """`args` in a child that reports its own children's usage (peak RSS per stage)."""
    code = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "r = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "wall = time.perf_counter() - t\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': r.returncode, 'err': r.stderr[-800:], 'wall': wall,\n"
        "                  'cpu': u.ru_utime + u.ru_stime, 'rss_mb': u.ru_maxrss / 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    got = json.loads(out.stdout.strip().splitlines()[-1])
    if got["rc"] != 0:
        raise SystemExit(f"{' '.join(args[1:3])} failed ({got['rc']}): {got['err']}")
    return {k: got[k] for k in ("wall", "cpu", "rss_mb")}


def _prepare(out: Path, posts: int, seed: int, fmt: str) -> tuple[Path, Path]:
    """The scenario of `posts` posts (generated when missing) and its corpus file."""
    folder = out / f"{posts}-{fmt}-{seed}"
    scenario = folder / "scenario"
    manifest = scenario / "scenario.json"
    if not manifest.exists():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        print(f"generating {posts:,} posts ({fmt})", file=sys.stderr)
        subprocess.run(
            [str(BIN), "simulate", "--posts", str(posts), "--seed", str(seed), "--format", fmt,
             "--out", str(scenario), "-q"],
            check=True,
        )  # fmt: skip
    counts = json.loads(manifest.read_text())["counts"]
    return folder, scenario / counts["corpus_file"]


def _stages(store: Path, corpus: Path, scenario: Path, report: Path) -> list[tuple[str, list]]:
    truth = scenario / "truth_accounts.csv"
    members = [
        line.split(",")[0]
        for line in truth.read_text(encoding="utf-8").splitlines()[1:]
        if ",op1," in f",{line},"
    ]
    seeds = scenario / "seed_accounts.txt"
    seeds.write_text("\n".join(members[::2]) + "\n", encoding="utf-8")
    s = ["--store", str(store), "-q"]
    loud = ["--store", str(store)]  # commands without --quiet (their progress is on stderr)
    return [
        ("ingest", ["ingest", str(corpus), *s]),
        ("communities", ["communities", *s]),
        ("signature", ["signature", "learn", "--target", f"accounts:{seeds}", "--name", "op1",
                       "--replace", *s]),
        ("resonance", ["resonance", "--signature", "op1", "--period", "week", *s]),
        ("locate", ["locate", *s]),
        ("monitor", ["monitor", "--min-accounts", "10", *loud]),
        ("coordination", ["coordination", "--traces", "all", *s]),
        ("accounts", ["accounts", *s]),
        ("report", ["report", "--out", str(report), *loud]),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", default="300000,1000000,3000000")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--format", default="io-archive")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench-out" / "pipeline")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    sizes = [int(p) for p in args.posts.split(",")]
    results: dict[int, dict[str, dict[str, float]]] = {}
    for posts in sizes:
        folder, corpus = _prepare(args.out_dir, posts, args.seed, args.format)
        runs: dict[str, list[dict[str, float]]] = {}
        for _ in range(args.repeat):
            store = folder / "bench.duckdb"
            for stale in (store, store.with_name(store.name + ".wal")):
                stale.unlink(missing_ok=True)
            stages = _stages(store, corpus, corpus.parent, folder / "report.html")
            for name, cli in stages:
                print(f"{posts:,} posts: {name}", file=sys.stderr)
                runs.setdefault(name, []).append(_in_fresh_process([str(BIN), *cli]))
            if args.format == "io-archive":
                floor = _in_fresh_process([sys.executable, "-c", _READ_CSV_CHILD, str(corpus)])
                runs.setdefault("ingest floor (DuckDB read_csv)", []).append(floor)
        results[posts] = {
            name: {k: statistics.median(r[k] for r in rs) for k in ("wall", "cpu", "rss_mb")}
            for name, rs in runs.items()
        }
    _print(results, sizes, args.markdown, os.cpu_count() or 1)


def _print(results: dict, sizes: list[int], markdown: bool, cores: int) -> None:
    names = list(results[sizes[0]])
    header = ["stage"] + [f"{p / 1e6:g}M: wall s / CPU s / RSS MB" for p in sizes]
    if len(sizes) > 1:
        header += [f"CPU growth {sizes[i] / 1e6:g}M->{sizes[i + 1] / 1e6:g}M (posts x"
                   f"{sizes[i + 1] / sizes[i]:.1f})" for i in range(len(sizes) - 1)]  # fmt: skip
    rows = []
    for name in [*names, "total"]:
        row = [name]
        cells = []
        for p in sizes:
            if name == "total":
                part = [v for k, v in results[p].items() if not k.startswith("ingest floor")]
                cell = {
                    "wall": sum(v["wall"] for v in part),
                    "cpu": sum(v["cpu"] for v in part),
                    "rss_mb": max(v["rss_mb"] for v in part),
                }
            else:
                cell = results[p][name]
            cells.append(cell)
            row.append(f"{cell['wall']:.1f} / {cell['cpu']:.1f} / {cell['rss_mb']:.0f}")
        for a, b in itertools.pairwise(cells):
            row.append(f"x{b['cpu'] / max(a['cpu'], 1e-9):.2f}")
        rows.append(row)
    print(f"# whole pipeline per stage ({cores} cores; medians; CPU = user + system)")
    if markdown:
        print("| " + " | ".join(header) + " |")
        print("|" + "---|" * len(header))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    for row in [header, *rows]:
        print("  ".join(f"{c:<24}" if i == 0 else f"{c:>26}" for i, c in enumerate(row)))


if __name__ == "__main__":
    main()
