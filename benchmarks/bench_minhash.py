"""Near-duplicate benchmark: `near_duplicate_groups` on the two worst cases of the unit tests.

The inputs are those of ``tests/test_common_minhash.py`` (its 28-word English template), at
each size of ``--sizes`` (default 2,000, the tests' size, then 20,000 and 100,000 texts):

- identical: copies of one text differing only in a leading mention (removed by the
  normalisation, so they are one normalised text), plus one unrelated post;
- near-copies: distinct texts, the template followed by ``ticket <i>``, which share most LSH
  buckets: one bucket of thousands of texts, where pairing every two texts would be
  quadratic.

Each size is written once to a temporary store; the call alone (not the store's creation) is
timed ``--runs`` times (default 5) and the table gives the median, the texts per second and,
to show the work stays linear, the LSH candidate pairs per distinct normalised text (at most
two per text and band) and the posts grouped. The unit tests check the groups and the
candidate pairs; their former wall-clock targets (under 5 s at 2,000 texts) live here.

Run with ``make bench`` or ``python benchmarks/bench_minhash.py [--sizes 2000,20000]
[--runs N]``; the defaults take about half a minute.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa

TEMPLATE = (
    "The city council voted last night to close the old harbour bridge for urgent repairs "
    "until the end of next summer while ferries carry commuters across the bay every morning"
)
UNRELATED = (
    "The city council will meet next week to discuss the budget for schools and the new "
    "public library downtown before the elections in autumn"
)


def identical(n: int) -> list[tuple[str, str]]:
    rows = [(f"c{i:07d}", f"@user{i} {TEMPLATE}") for i in range(n)]
    rows.append(("z", UNRELATED))
    return rows


def near_copies(n: int) -> list[tuple[str, str]]:
    return [(f"n{i:07d}", f"{TEMPLATE} ticket {i}") for i in range(n)]


WORKLOADS: dict[str, Callable[[int], list[tuple[str, str]]]] = {
    "identical": identical,
    "near-copies": near_copies,
}


def _write(path: Path, rows: list[tuple[str, str]]) -> None:
    from infoscope.store import Store

    new = pa.table({"post_id": [r[0] for r in rows], "text": [r[1] for r in rows]})
    with Store.open(path) as store:
        store.con.register("new_posts", new)
        store.con.execute(
            "INSERT INTO posts (platform, post_id, text) "
            "SELECT 'twitter', post_id, text FROM new_posts"
        )
        store.con.unregister("new_posts")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000,100000")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]

    from infoscope.common import minhash
    from infoscope.store import Store

    # Count the LSH candidate pairs of each call (the wrapper adds nothing measurable).
    pairs: list[tuple[int, int]] = []
    candidates = minhash._candidates

    def counting(sig: Any, rank: Any, bands: int) -> Any:
        found = candidates(sig, rank, bands)
        pairs.append((sig.shape[0], found.size))
        return found

    minhash._candidates = counting  # type: ignore[assignment]

    print(f"near_duplicate_groups, default parameters, median of {args.runs} runs:")
    header = f"{'workload':<12} {'texts':>9} {'median s':>9} {'texts/s':>11}"
    header += f" {'distinct':>9} {'pairs/text':>11} {'grouped':>9}"
    print(header)
    with tempfile.TemporaryDirectory(prefix="bench-minhash-") as tmp:
        for name, make in WORKLOADS.items():
            for n in sizes:
                rows = make(n)
                path = Path(tmp) / f"{name}-{n}.duckdb"
                _write(path, rows)
                seconds = []
                with Store.open(path) as store:
                    for _ in range(args.runs):
                        pairs.clear()
                        started = time.perf_counter()
                        table = minhash.near_duplicate_groups(store, store.ibis.table("posts"))
                        seconds.append(time.perf_counter() - started)
                median = statistics.median(seconds)
                distinct, found = pairs[-1] if pairs else (0, 0)
                per_text = found / distinct if distinct else 0.0
                print(
                    f"{name:<12} {len(rows):>9,} {median:>9.3f} {len(rows) / median:>11,.0f}"
                    f" {distinct:>9,} {per_text:>11.2f} {table.num_rows:>9,}"
                )
                path.unlink()


if __name__ == "__main__":
    main()
