"""Geolocation coverage on real accounts: NBC's IRA user profiles against the GOP-debate control.

Ingests ``../shared/data/ira/nbc-ira-users.csv`` (``twitter-users-csv``: 454 IRA account
profiles, no tweets) and ``../shared/data/control/gop-debate-2015-tweets.csv`` (CrowdFlower:
13,871 tweets of about 9,800 accounts, with their profile location, time zone and, for a few,
coordinates) into a store (``--store``; a temporary one by default), runs `run_locate`, and
prints for each population (accounts stored by the one file or the other): the share with a
place, by source and by confidence band, the top countries and the consistency checks.

The NBC file has profiles but no tweets, so its accounts get time zone and (profile) language
checks only: the IRA tweets of the by-author archive name the same accounts by handle
(``@handle`` ids), not by the numeric ids of the NBC file, so they do not attach to them.

Run on demand: ``python benchmarks/real_geo_coverage.py [--store PATH]``. It prints a message
and exits when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
IRA_USERS = SHARED / "ira" / "nbc-ira-users.csv"
CONTROL = SHARED / "control" / "gop-debate-2015-tweets.csv"
POPULATIONS = (
    ("IRA (NBC user profiles)", "twitter-users-csv"),
    ("control (GOP debate, CrowdFlower)", "crowdflower-tweets"),
)


def report(store: object, run_id: str, label: str, fmt: str) -> None:
    con = store.con  # type: ignore[attr-defined]
    base = """
        FROM account_locations l
        JOIN accounts a ON a.platform = l.platform AND a.account_id = l.account_id
        WHERE l.run_id = ? AND a.format = ?
    """
    band = (
        "CASE WHEN l.country = 'unknown' THEN 'unknown' WHEN l.confidence >= 0.8 THEN 'high' "
        "WHEN l.confidence >= 0.5 THEN 'medium' ELSE 'low' END"
    )
    n, with_location = con.execute(
        f"SELECT count(*), count(*) FILTER (WHERE a.location IS NOT NULL) {base}", [run_id, fmt]
    ).fetchone()
    print(f"\n## {label}: {n:,} accounts, {with_location:,} with a profile location")
    if not n:
        return
    located = con.execute(
        f"SELECT count(*) {base} AND l.country <> 'unknown'", [run_id, fmt]
    ).fetchone()[0]
    print(f"with a place: {located:,} ({100 * located / n:.1f}%)")
    rows = con.execute(
        f"SELECT l.source, {band} AS band, count(*) {base} GROUP BY ALL", [run_id, fmt]
    ).fetchall()
    cells = {(s, b): k for s, b, k in rows}
    bands = ("high", "medium", "low", "unknown")
    print(f"{'source':<8} {'accounts':>15} " + " ".join(f"{b:>15}" for b in bands))
    for source in ("geotag", "place", "profile", "none"):
        total = sum(k for (s, _), k in cells.items() if s == source)
        line = " ".join(
            f"{cells.get((source, b), 0):>6,} ({100 * cells.get((source, b), 0) / n:5.1f}%)"
            for b in bands
        )
        print(f"{source:<8} {total:>6,} ({100 * total / n:5.1f}%) {line}")
    totals = {b: sum(k for (_, bb), k in cells.items() if bb == b) for b in bands}
    print(
        f"{'all':<8} {n:>6,} (100.0%) "
        + " ".join(f"{totals[b]:>6,} ({100 * totals[b] / n:5.1f}%)" for b in bands)
    )
    top = con.execute(
        f"SELECT l.country, count(*) {base} AND l.country <> 'unknown' "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10",
        [run_id, fmt],
    ).fetchall()
    print("top countries: " + ", ".join(f"{c} {k:,} ({100 * k / n:.1f}%)" for c, k in top))
    for check in ("time_zone", "posting_hours", "language"):
        checked, bad = con.execute(
            f"""
            SELECT count(*) FILTER (WHERE json_extract(l.checks, '$.{check}') IS NOT NULL),
                   count(*) FILTER (
                     WHERE json_extract_string(l.checks, '$.{check}.consistent') = 'false')
            {base}
            """,
            [run_id, fmt],
        ).fetchone()
        print(f"check {check}: {bad:,} inconsistent of {checked:,} checked")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", help="store to use (default: a temporary one)")
    args = parser.parse_args()
    if not IRA_USERS.exists() or not CONTROL.exists():
        print(f"the shared data is absent ({SHARED}); nothing to measure")
        return

    from infoscope.geo import run_locate
    from infoscope.ingest import ingest
    from infoscope.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.store) if args.store else Path(tmp) / "geo.duckdb"
        with Store.open(path) as store:
            inputs = [IRA_USERS, CONTROL]
            started = time.perf_counter()
            ingest(store, inputs)  # a no-op for files already in the store
            print(
                f"ingested {', '.join(p.name for p in inputs)} in "
                f"{time.perf_counter() - started:.1f} s"
            )
            started = time.perf_counter()
            run = run_locate(store, platform="twitter")
            print(
                f"locate run {run.run_id}: {run.summary['accounts']:,} accounts in "
                f"{time.perf_counter() - started:.1f} s ({run.summary['seconds']})"
            )
            for label, fmt in POPULATIONS:
                report(store, run.run_id, label, fmt)


if __name__ == "__main__":
    sys.exit(main())
