"""The event coder on PETRARCH2's unit-test records, with the records' own dictionaries.

``../shared/data/events/`` holds PETRARCH2's unit tests (``PETR.UnitTest.records.xml``: 284
coded sentences about fictional states, 385 expected events; records testing input errors,
discards and datelines are left out, 277 records with 359 events stay) and the test
dictionaries they assume (``PETR.Validate.verbs.txt``, ``.actors.txt``, ``.agents.txt``).
Each record's text is parsed by spaCy (``en_core_web_sm``: a dependency parse; PETRARCH2
reads the record's own constituency parse instead) and coded by
`infoscope.articles.events.extract.code_sentence`. Printed: for the coder and for a trivial
baseline (first actor named -> second actor named, with the most common expected code), the
share of expected events found with the right source, target and quad class, with the right
CAMEO root code, and the produced events that no record expects; then the same per record
category, and with ``--misses`` every record coded differently from its expectation.

Measured: 74.1 % of expected events at quad class and at root code, 52 produced events (16 %)
unexpected; baseline 8.4 % and 2.2 %. By category: verbs 95 %, synonym sets 85 %, dates 87 %,
compound actors 78 %, PETRARCH patterns 43 %.

Run on demand::

    python benchmarks/real_events.py
    python benchmarks/real_events.py --misses

It prints a message and exits when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

EVENTS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "events"


def _line(name: str, s: dict) -> str:
    return (
        f"{name:<28} {s['expected']:>8} {s['produced']:>8} {s['quad']:>7.1%} {s['root']:>7.1%} "
        f"{s['unexpected']:>6} ({s['unexpected_share']:.0%})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=EVENTS, help="the events folder")
    parser.add_argument("--misses", action="store_true", help="print every record coded wrong")
    args = parser.parse_args()
    if not (args.data / "PETR.UnitTest.records.xml").exists():
        print(f"real data {args.data} is absent (a fresh clone has no ../shared/data)")
        return 0
    from infoscope.articles.events.evaluate import score_unit_tests

    started = time.perf_counter()
    scores = score_unit_tests(args.data)
    seconds = time.perf_counter() - started
    coder, baseline = scores["coder"], scores["baseline"]
    print(f"PETRARCH2 unit tests: {coder['records']} records, {coder['expected']} expected "
          f"events, coded in {seconds:.1f} s\n")  # fmt: skip
    print(f"{'system':<28} {'expected':>8} {'produced':>8} {'quad':>7} {'root':>7} unexpected")
    print(_line("baseline: first -> second", baseline))
    print(_line("infoscope (spaCy deps)", coder))
    print("\nper category (infoscope):")
    for category, s in scores["per_category"].items():
        print(_line(f"  {category}", s))
    if args.misses:
        print("\nrecords coded differently from their expectation:")
        for miss in scores["misses"]:
            print(f"{miss['id']}: {miss['text']}\n  expected {miss['expected']}\n"
                  f"  produced {miss['produced']}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
