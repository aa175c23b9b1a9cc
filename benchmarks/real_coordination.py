"""Coordinated-behaviour detection on real data: CooRTweet's co-retweets and the IRA archive.

One configuration per invocation; the stores live under ``--work``
(``bench-out/real-coordination`` by default) and are reused (ingesting a file already stored
is a no-op). Every run is stored, and the figures are read back from the run's tables
(``coordination_edges``, ``coordination_accounts``).

``coretweet``: ``../shared/data/coordination/russian-coord-tweets-2021.csv.gz`` (real
co-retweets of pro-government Russian Twitter, June 2021, shipped with CooRTweet: 35,125
shares of 9,509 accounts). For one ``--window`` (seconds, ``auto`` or ``none``) it runs
co-retweet three times: with the null model (``--alpha``, at least 2 objects), and without
(alpha none, at least 1 and at least 2 co-retweets: the raw network other tools give). It
prints per run the candidate and kept pairs, coordinated accounts, clusters and their sizes,
the window used and the time taken; then what the null model removed: the raw pairs with at
least 2 co-retweets whose q-value is above alpha, and their observed and expected counts.

``ira``: ``../shared/data/ira/ira-tweets-by-author.tar.xz`` (IRA tweets, with each account's
``account_category`` as a label) and ``../shared/data/control/gop-debate-2015-tweets.csv``
(organic tweets of one night, the first 2015 Republican debate) in one store. It runs
`run_coordination` with ``--traces`` and the given windows and options, and prints, with
an account's side IRA when it posts through the IRA importer or has an ``account_category``
label, control when it posts through the CrowdFlower importer: per trace the accounts flagged
by side, the share of each side's posting accounts flagged and the edges within and across
sides; the clusters with their purity (share of a cluster's accounts from its majority side)
and the IRA categories they gather; and per IRA category the share of its accounts flagged.
The control covers a few hours of one night while the IRA archive spans years: the time
context (IRA posts during the control's hours) is printed with the figures.

Run on demand, one configuration at a time::

    python benchmarks/real_coordination.py coretweet --window 10
    python benchmarks/real_coordination.py ira --ingest-only
    python benchmarks/real_coordination.py ira --traces co-hashtag --hashtag-mode rare
    python benchmarks/real_coordination.py ira --traces near-duplicate --window near-duplicate=none
    python benchmarks/real_coordination.py ira --traces synchronised --bin 60

It prints a message and exits when ``../shared/data`` is absent. Peak RSS is the process's
(``getrusage``), so it includes ingestion when the store did not hold the files yet.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COORTWEET = SHARED / "coordination" / "russian-coord-tweets-2021.csv.gz"
IRA = SHARED / "ira" / "ira-tweets-by-author.tar.xz"
CONTROL = SHARED / "control" / "gop-debate-2015-tweets.csv"
IRA_FORMAT = "ira-by-author"
CONTROL_FORMAT = "crowdflower-tweets"
IRA_TRACES = "co-hashtag,near-duplicate,synchronised,co-link"


def peak_rss_mb() -> float:
    """The process's peak resident set size so far, in MB (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def parse_window(text: str) -> float | str | None:
    """``"60"`` -> 60.0, ``"auto"`` -> "auto", ``"none"`` -> None."""
    if text.lower() == "none":
        return None
    if text.lower() == "auto":
        return "auto"
    return float(text)


def utc_time(text: str) -> datetime:
    """An ISO time, read as UTC when it names no zone."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def ingest_files(store: Any, paths: list[Path]) -> None:
    from infoscope.ingest import ingest

    started = time.perf_counter()
    summary = ingest(store, paths)  # a no-op for files already in the store
    print(
        f"ingest {', '.join(p.name for p in paths)}: {time.perf_counter() - started:.1f} s "
        f"({summary})"
    )


def cluster_sizes(store: Any, run_id: str) -> list[int]:
    """Sizes of the run's clusters, largest first."""
    rows = store.con.execute(
        "SELECT count(*) FROM coordination_accounts WHERE run_id = ? GROUP BY cluster "
        "ORDER BY 1 DESC",
        [run_id],
    ).fetchall()
    return [int(r[0]) for r in rows]


def sizes_text(sizes: list[int], show: int = 5) -> str:
    if not sizes:
        return "no clusters"
    return (
        f"largest {', '.join(map(str, sizes[:show]))}; median {statistics.median(sizes):g}; "
        f"size 2: {sum(1 for s in sizes if s == 2):,}"
    )


def quantiles(values: list[float]) -> str:
    """min / 25% / median / 75% / 95% / max of `values`."""
    if not values:
        return "-"
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]

    points = (0.0, 0.25, 0.5, 0.75, 0.95, 1.0)
    return " / ".join(f"{at(q):.3g}" for q in points)


def append_json(path: str | None, record: dict[str, Any]) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record, default=str) + "\n")


# --------------------------------------------------------------------------- co-retweet


def coretweet(args: argparse.Namespace) -> None:
    from infoscope.coordination import TraceOptions, run_coordination
    from infoscope.store import Store

    if not COORTWEET.exists():
        print(f"the shared data is absent ({COORTWEET}); nothing to measure")
        return
    window = parse_window(args.window)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    variants = (
        (f"null model, alpha {args.alpha}, >= 2", args.alpha, 2),
        ("raw, >= 1 co-retweet", None, 1),
        ("raw, >= 2 co-retweets", None, 2),
    )
    runs: dict[int, str] = {}
    with Store.open(work / "coretweet.duckdb") as store:
        ingest_files(store, [COORTWEET])
        shares, accounts = store.con.execute(
            "SELECT count(*), count(DISTINCT account_id) FROM posts WHERE kind = 'retweet'"
        ).fetchone()
        print(f"co-retweet window {args.window}: {shares:,} shares of {accounts:,} accounts\n")
        header = (
            f"{'run':<28} {'window s':>9} {'candidates':>11} {'kept':>8} {'accounts':>9} "
            f"{'clusters':>9} {'seconds':>8}  cluster sizes"
        )
        print(header)
        print("-" * len(header))
        for i, (label, alpha, min_count) in enumerate(variants):
            started = time.perf_counter()
            run = run_coordination(
                store,
                ["co-retweet"],
                TraceOptions(windows={"co-retweet": window}),
                min_count=min_count,
                alpha=alpha,
                seed=args.seed,
            )
            seconds = time.perf_counter() - started
            runs[i] = run.run_id
            stats = run.summary["traces"]["co-retweet"]
            sizes = cluster_sizes(store, run.run_id)
            used = stats["window_s"]
            used_text = "none" if used is None else f"{used:g}"
            print(
                f"{label:<28} {used_text:>9} {stats['candidate_pairs']:>11,} "
                f"{stats['kept_pairs']:>8,} {run.summary['accounts']:>9,} {len(sizes):>9,} "
                f"{seconds:>8.1f}  {sizes_text(sizes)}"
            )
            append_json(
                args.json,
                {
                    "part": "coretweet",
                    "window": args.window,
                    "window_s": used,
                    "alpha": alpha,
                    "min_count": min_count,
                    "candidates": stats["candidate_pairs"],
                    "kept": stats["kept_pairs"],
                    "accounts": run.summary["accounts"],
                    "clusters": len(sizes),
                    "sizes": sizes[:10],
                    "median_size": statistics.median(sizes) if sizes else None,
                    "size2": sum(1 for s in sizes if s == 2),
                    "seconds": round(seconds, 2),
                    "trace_seconds": stats["seconds"],
                    "run_id": run.run_id,
                },
            )
        null_model_removed(store, runs[2], runs[0], args.alpha)
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB")


def null_model_removed(store: Any, raw_run: str, test_run: str, alpha: float) -> None:
    """What the test removed: raw pairs (>= 2 co-retweets) whose q-value is above alpha."""
    con = store.con
    rows = con.execute(
        "SELECT objects, expected, p_value, q_value, account_a, account_b "
        "FROM coordination_edges WHERE run_id = ?",
        [raw_run],
    ).fetchall()
    kept = {
        (a, b)
        for a, b in con.execute(
            "SELECT account_a, account_b FROM coordination_edges WHERE run_id = ?", [test_run]
        ).fetchall()
    }
    removed = [r for r in rows if r[3] > alpha]
    significant = [r for r in rows if r[3] <= alpha]
    agree = {(r[4], r[5]) for r in significant} == kept
    print(
        f"\nnull model: of {len(rows):,} raw pairs with >= 2 co-retweets, {len(removed):,} "
        f"({100 * len(removed) / max(len(rows), 1):.1f}%) have q > {alpha} "
        f"(kept by the test run: {len(kept):,}; same set as q <= alpha: {agree})"
    )
    header = f"  {'':<14} {'pairs':>8}  {'objects min/25%/50%/75%/95%/max':<36} expected (same)"
    print(header)
    for label, group in (("not significant", removed), ("significant", significant)):
        print(
            f"  {label:<14} {len(group):>8,}  {quantiles([r[0] for r in group]):<36} "
            f"{quantiles([r[1] for r in group])}"
        )
    by_objects: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for r in rows:
        by_objects[min(int(r[0]), 10)].append(r)
    print("  by co-retweets: pairs, removed, median expected, max expected of the removed")
    for k in sorted(by_objects):
        group = by_objects[k]
        gone = [r for r in group if r[3] > alpha]
        print(
            f"    {'>=10' if k == 10 else k:>4}: {len(group):>7,} pairs, {len(gone):>7,} removed, "
            f"median E {statistics.median(r[1] for r in group):.3g}, "
            f"max E removed {max((r[1] for r in gone), default=0):.3g}"
        )
    # The kept pair with the highest expectation and the removed one with the lowest: the edges
    # of the test's decision.
    if removed and significant:
        lo = min(removed, key=lambda r: r[1])
        hi = max(significant, key=lambda r: r[1])
        print(
            f"  removed pair with the smallest E: {lo[0]} co-retweets, E {lo[1]:.3g}, "
            f"p {lo[2]:.2g}, q {lo[3]:.2g}"
        )
        print(
            f"  kept pair with the largest E:     {hi[0]} co-retweets, E {hi[1]:.3g}, "
            f"p {hi[2]:.2g}, q {hi[3]:.2g}"
        )


# --------------------------------------------------------------------------- IRA + control


SIDE_SQL = f"""
CREATE OR REPLACE TEMP TABLE _bench_side AS
WITH p AS (
  SELECT account_id,
         bool_or(format = '{IRA_FORMAT}') AS ira_posts,
         bool_or(format = '{CONTROL_FORMAT}') AS control_posts
  FROM posts WHERE platform = 'twitter' AND account_id IS NOT NULL GROUP BY account_id),
c AS (
  SELECT account_id, min(label_value) AS category FROM account_labels
  WHERE platform = 'twitter' AND label_key = 'account_category' GROUP BY account_id)
SELECT p.account_id,
       CASE WHEN (p.ira_posts OR c.category IS NOT NULL) AND p.control_posts THEN 'both'
            WHEN p.ira_posts OR c.category IS NOT NULL THEN 'IRA'
            ELSE 'control' END AS side,
       coalesce(c.category, '-') AS category
FROM p LEFT JOIN c USING (account_id)
"""


def ira_context(store: Any) -> dict[str, int]:
    """Posting accounts per side, and the IRA's activity during the control's hours."""
    con = store.con
    con.execute(SIDE_SQL)
    per_side = dict(con.execute("SELECT side, count(*) FROM _bench_side GROUP BY 1").fetchall())
    lo, hi, n = con.execute(
        f"SELECT min(created_at), max(created_at), count(*) FROM posts "
        f"WHERE format = '{CONTROL_FORMAT}'"
    ).fetchone()
    ira_posts, ira_accounts = con.execute(
        f"SELECT count(*), count(DISTINCT account_id) FROM posts WHERE format = '{IRA_FORMAT}' "
        "AND created_at BETWEEN ? AND ?",
        [lo, hi],
    ).fetchone()
    first, last = con.execute(
        f"SELECT min(created_at), max(created_at) FROM posts WHERE format = '{IRA_FORMAT}'"
    ).fetchone()
    keys = con.execute(
        "SELECT format, count(*), count(DISTINCT account_id), "
        "min(account_id), count(*) FILTER (WHERE urls IS NOT NULL AND len(urls) > 0), "
        "count(*) FILTER (WHERE len(hashtags) >= 2), "
        "count(*) FILTER (WHERE kind = 'retweet') "
        "FROM posts WHERE platform = 'twitter' GROUP BY 1 ORDER BY 1"
    ).fetchall()
    print("posts by format: posts, accounts, an account id, with URLs, >= 2 hashtags, retweets")
    for fmt, posts, accounts, example, urls, tags, rts in keys:
        print(
            f"  {fmt:<20} {posts:>10,} {accounts:>7,}  {example:<18} {urls:>9,} {tags:>9,} "
            f"{rts:>9,}"
        )
    print(
        f"posting accounts by side: {per_side}\n"
        f"control posts {n:,} from {lo} to {hi}; IRA posts {first} to {last}, of which "
        f"{ira_posts:,} by {ira_accounts:,} accounts within the control's hours"
    )
    return {str(k): int(v) for k, v in per_side.items()}


def ira(args: argparse.Namespace) -> None:
    from infoscope.coordination import TraceOptions, parse_traces, run_coordination
    from infoscope.store import Store

    if not IRA.exists() or not CONTROL.exists():
        print(f"the shared data is absent ({SHARED}); nothing to measure")
        return
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    windows: dict[str, float | str | None] = {}
    for item in args.window:
        trace, _, value = item.partition("=")
        windows[trace] = parse_window(value)
    with Store.open(work / "ira-control.duckdb") as store:
        ingest_files(store, [IRA, CONTROL])
        posting = ira_context(store)
        if args.since or args.until:
            posting = dict(
                store.con.execute(
                    "SELECT s.side, count(DISTINCT p.account_id) FROM posts p "
                    "JOIN _bench_side s USING (account_id) WHERE p.platform = 'twitter' "
                    "AND p.created_at >= coalesce(?, p.created_at) "
                    "AND p.created_at < coalesce(?, p.created_at + INTERVAL 1 SECOND) "
                    "GROUP BY 1",
                    [args.since, args.until],
                ).fetchall()
            )
            print(f"posting accounts by side from {args.since} until {args.until}: {posting}")
        if args.ingest_only:
            print(f"\npeak RSS {peak_rss_mb():,.0f} MB")
            return
        traces = parse_traces(args.traces)
        options = TraceOptions(
            platform="twitter",
            since=args.since,
            until=args.until,
            windows=windows,
            hashtag_mode=args.hashtag_mode,
            min_hashtags=args.min_hashtags,
            rare_hashtag_accounts=args.rare_hashtag_accounts,
            bin_seconds=args.bin,
            max_bin_accounts=args.max_bin_accounts,
            link_level=args.link_level,
        )
        started = time.perf_counter()
        run = run_coordination(
            store,
            traces,
            options,
            min_count=args.min_count,
            alpha=args.alpha,
            seed=args.seed,
            progress=lambda message: print(f"  {message}", flush=True),
        )
        seconds = time.perf_counter() - started
        print(
            f"\nrun {run.run_id}: traces {','.join(traces)}, windows "
            f"{run.summary['parameters']['windows']}, hashtag mode {args.hashtag_mode}, "
            f"bin {args.bin:g} s, since {args.since}, until {args.until}, "
            f"min count {args.min_count}, alpha {args.alpha}: "
            f"{seconds:.1f} s, peak RSS {peak_rss_mb():,.0f} MB"
        )
        report_ira(store, run, posting, args, seconds)


def report_ira(
    store: Any, run: Any, posting: dict[str, int], args: argparse.Namespace, seconds: float
) -> None:
    con = store.con
    run_id = run.run_id
    side = dict(con.execute("SELECT account_id, side FROM _bench_side").fetchall())
    category = dict(con.execute("SELECT account_id, category FROM _bench_side").fetchall())
    edges = con.execute(
        "SELECT trace, account_a, account_b FROM coordination_edges WHERE run_id = ?", [run_id]
    ).fetchall()
    n_ira, n_control = posting.get("IRA", 0), posting.get("control", 0)

    header = (
        f"{'trace':<15} {'window s':>9} {'accts':>8} {'cands':>11} {'kept':>9} "
        f"{'flagged':>8} {'IRA':>6} {'ctrl':>6} {'%IRA':>6} {'IRA fl%':>8} {'ctrl fl%':>8} "
        f"{'e IRA':>8} {'e ctrl':>8} {'e mix':>6} {'s':>7}"
    )
    print(
        "\nper trace (flagged: accounts in a kept edge; fl%: share of the side's posting "
        "accounts; e: kept edges within IRA, within control, across)"
    )
    print(header)
    print("-" * len(header))
    per_trace = run.summary["traces"]
    records = []
    for trace, stats in per_trace.items():
        own = [(a, b) for t, a, b in edges if t == trace]
        flagged = {x for pair in own for x in pair}
        counts = Counter(side.get(x, "?") for x in flagged)
        kinds = Counter(
            "IRA"
            if {side.get(a), side.get(b)} == {"IRA"}
            else "control"
            if {side.get(a), side.get(b)} == {"control"}
            else "mixed"
            for a, b in own
        )
        window = stats.get("window_s")
        window_text = "none" if window is None else f"{window:g}"
        if trace == "synchronised":
            window_text = f"bin {args.bin:g}"
        elif trace == "fast-retweet":
            window_text = f"fast {stats.get('fast_seconds', 0):g}"
        print(
            f"{trace:<15} {window_text:>9} {stats['accounts']:>8,} "
            f"{stats['candidate_pairs']:>11,} {stats['kept_pairs']:>9,} {len(flagged):>8,} "
            f"{counts['IRA']:>6,} {counts['control']:>6,} "
            f"{100 * counts['IRA'] / max(len(flagged), 1):>5.1f}% "
            f"{100 * counts['IRA'] / max(n_ira, 1):>7.1f}% "
            f"{100 * counts['control'] / max(n_control, 1):>7.1f}% "
            f"{kinds['IRA']:>8,} {kinds['control']:>8,} {kinds['mixed']:>6,} "
            f"{stats['seconds']:>7.1f}"
        )
        records.append(
            {
                "trace": trace,
                "window_s": window,
                "trace_accounts": stats["accounts"],
                "candidates": stats["candidate_pairs"],
                "kept": stats["kept_pairs"],
                "flagged": len(flagged),
                "flagged_ira": counts["IRA"],
                "flagged_control": counts["control"],
                "flagged_both": counts["both"],
                "edges_ira": kinds["IRA"],
                "edges_control": kinds["control"],
                "edges_mixed": kinds["mixed"],
                "seconds": stats["seconds"],
            }
        )

    members = con.execute(
        "SELECT account_id, cluster FROM coordination_accounts WHERE run_id = ?", [run_id]
    ).fetchall()
    by_cluster: dict[int, list[str]] = defaultdict(list)
    for account, cluster in members:
        by_cluster[int(cluster)].append(account)
    majority = 0
    pure = {"IRA": 0, "control": 0}
    mixed = 0
    for accounts in by_cluster.values():
        counts = Counter(side.get(a, "?") for a in accounts)
        top_side, top = counts.most_common(1)[0]
        majority += top
        if top == len(accounts) and top_side in pure:
            pure[top_side] += 1
        else:
            mixed += 1
    sizes = sorted((len(v) for v in by_cluster.values()), reverse=True)
    purity = majority / max(len(members), 1)
    print(
        f"\nclusters: {len(by_cluster):,} over {len(members):,} accounts ({sizes_text(sizes)}); "
        f"purity {purity:.3f}; all-IRA {pure['IRA']:,}, all-control {pure['control']:,}, "
        f"mixed {mixed:,}"
    )
    print(f"largest clusters (of {len(by_cluster):,}): IRA, control, purity, IRA categories")
    order = sorted(by_cluster, key=lambda c: (-len(by_cluster[c]), c))
    for c in order[: args.show]:
        accounts = by_cluster[c]
        counts = Counter(side.get(a, "?") for a in accounts)
        cats = Counter(category.get(a, "-") for a in accounts if side.get(a) == "IRA")
        leading = ", ".join(f"{k} {v}" for k, v in cats.most_common(4))
        print(
            f"  cluster {c:>5}: {len(accounts):>6,}  IRA {counts['IRA']:>5,}  control "
            f"{counts['control']:>5,}  purity {max(counts.values()) / len(accounts):.2f}  {leading}"
        )

    profiles = {int(p["cluster"]): p for p in run.clusters}
    with_control = [c for c in order if any(side.get(a) == "control" for a in by_cluster[c])]
    if with_control:
        print("clusters with control accounts: size, sides, what their members shared most")
    for c in with_control[:3]:
        counts = Counter(side.get(a, "?") for a in by_cluster[c])
        shared = "; ".join(
            f"{o['trace']} {str(o['object_id'])[:40]!r} ({o['accounts']} accounts)"
            for o in profiles.get(c, {}).get("shared_objects", [])[:3]
        )
        print(f"  cluster {c:>5}: {len(by_cluster[c]):,} ({dict(counts)}): {shared}")

    flagged_all = {a for a, _ in members}
    cats_posting = Counter(v for k, v in category.items() if side.get(k) == "IRA")
    cats_flagged = Counter(category[a] for a in flagged_all if side.get(a) == "IRA")
    clusters_of: dict[str, set[int]] = defaultdict(set)
    cluster_of = {a: int(c) for a, c in members}
    for a in flagged_all:
        if side.get(a) == "IRA":
            clusters_of[category[a]].add(cluster_of[a])
    print("IRA categories: posting accounts (whole corpus), flagged (share), clusters they fall in")
    for cat, n in cats_posting.most_common():
        k = cats_flagged[cat]
        print(f"  {cat:<13} {n:>5,}  {k:>5,} ({100 * k / n:5.1f}%)  {len(clusters_of[cat]):>5,}")
    append_json(
        args.json,
        {
            "part": "ira",
            "run_id": run_id,
            "traces": list(per_trace),
            "windows": run.summary["parameters"]["windows"],
            "hashtag_mode": args.hashtag_mode,
            "bin": args.bin,
            "since": args.since,
            "until": args.until,
            "min_count": args.min_count,
            "alpha": args.alpha,
            "per_trace": records,
            "clusters": len(by_cluster),
            "cluster_accounts": len(members),
            "sizes": sizes[:10],
            "purity": round(purity, 4),
            "pure_ira": pure["IRA"],
            "pure_control": pure["control"],
            "mixed": mixed,
            "categories_flagged": dict(cats_flagged),
            "seconds": round(seconds, 2),
            "peak_rss_mb": round(peak_rss_mb()),
        },
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--work", default=str(ROOT / "bench-out" / "real-coordination"))
    common.add_argument("--seed", type=int, default=1)
    common.add_argument("--json", help="append a JSON line of each run's figures to this file")
    parts = parser.add_subparsers(dest="part", required=True)

    rt = parts.add_parser(
        "coretweet", parents=[common], help="co-retweet on CooRTweet's Russian data"
    )
    rt.add_argument("--window", default="60", help="seconds, auto or none")
    rt.add_argument("--alpha", type=float, default=0.01)

    ir = parts.add_parser("ira", parents=[common], help="IRA archive plus the GOP-debate control")
    ir.add_argument("--ingest-only", action="store_true")
    ir.add_argument("--traces", default=IRA_TRACES)
    ir.add_argument("--window", action="append", default=[], help="TRACE=SECONDS|auto|none")
    ir.add_argument("--hashtag-mode", default="sequence", choices=("sequence", "rare"))
    ir.add_argument("--min-hashtags", type=int, default=2)
    ir.add_argument("--rare-hashtag-accounts", type=int, default=50)
    ir.add_argument("--bin", type=float, default=60.0)
    ir.add_argument("--max-bin-accounts", type=int, default=50)
    ir.add_argument("--link-level", default="url", choices=("url", "domain"))
    ir.add_argument("--since", type=utc_time, help="posts from this time (ISO, UTC)")
    ir.add_argument("--until", type=utc_time, help="posts before this time (ISO, UTC)")
    ir.add_argument("--min-count", type=int, default=2)
    ir.add_argument("--alpha", type=lambda s: None if s == "none" else float(s), default=0.01)
    ir.add_argument("--show", type=int, default=10)

    args = parser.parse_args()
    if args.part == "coretweet":
        coretweet(args)
    else:
        ira(args)


if __name__ == "__main__":
    main()
