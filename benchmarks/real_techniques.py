"""Propaganda techniques on the PTC: 5-fold article-grouped cross-validation of the fast model
against the task's simple baselines, its false flags on neutral reporting, and its speed.

``../shared/data/propaganda/ptc-train/`` holds the 300 training articles of the Propaganda
Techniques Corpus (Da San Martino et al., EMNLP 2019; SemEval-2020 Task 11), 5,179 labelled
fragments. Each fold's model is fitted on the other four folds only: its decoding threshold,
span calibration (isotonic, on out-of-fold spans of its training articles), the confidence
needed by proper names, headers and one-word sentences, and its flag-budget operating points
are all chosen on its training articles, never on the fold it is scored on.

Printed, in the same run and on the same folds:

- SI (span identification, the task's scorer: character overlap, overlapping spans merged):
  precision, recall, F1, spans per gold span, share of the text marked and flags per 1,000
  words, for the fast model at its span-F1 operating point, at the operating point of
  ``--per-1000-words`` (5 by default), and for the "every sentence is a span" baseline;
- TC (technique of the gold fragments): micro and macro F1 of the fast model and of the
  training folds' most frequent technique;
- the calibration of span confidence on held-out articles (expected calibration error
  against the share of each span inside a gold fragment);
- flags per 1,000 words on the neutral reports of ``tests/fixtures/techniques_neutral/``
  (each fold's model, and the shipped model) next to the PTC's gold density;
- articles per second of the shipped fast model (detection on 60 PTC articles, 2 cores).

Measured (seed 0): SI F1 0.352 (P 0.256, R 0.563), 1.41 spans per gold span, 31.7% of the
text marked (gold 13.7%); at 5 flags per 1,000 words, F1 0.248 (P 0.326, R 0.200) with 5.5
flags per 1,000 held-out words; every sentence a span: F1 0.238. TC micro-F1 0.584, macro
0.394; most frequent technique 0.343 / 0.036. Calibration error 0.015. Neutral reports: 4.4
flags per 1,000 words (fold models), 2.9 (shipped model); PTC gold 15.9. 16 articles/s.

Run on demand (35 minutes on 2 cores shared with other jobs, load about 11; a fold's fit is
the slow part: 14 sentence models and the token tagger with 3 inner folds each, then the
tree ensemble 4 times)::

    python benchmarks/real_techniques.py
    python benchmarks/real_techniques.py --json cv.json

It prints a message and exits when ``../shared/data`` is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PTC = ROOT.parent / "shared" / "data" / "propaganda" / "ptc-train"
NEUTRAL = ROOT / "tests" / "fixtures" / "techniques_neutral"


def _si_row(name: str, s: dict) -> str:
    return (
        f"{name:<34} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
        f"{s['spans_per_gold']:>9.2f} {s['marked_share']:>7.1%} {s['flags_per_1000_words']:>9.1f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=PTC, help="a PTC folder")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--per-1000-words", type=float, default=5.0, dest="budget",
                        help="the flag budget of the second operating point")  # fmt: skip
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not (args.data / "labels-TC.tsv").exists():
        print(f"real data {args.data} is absent (a fresh clone has no ../shared/data)")
        return 0
    from infoscope.articles.techniques import (
        count_words,
        cross_validate_techniques,
        detect_techniques,
        load_technique_model,
        read_ptc,
    )

    articles = read_ptc(args.data)
    neutral = [p.read_text(encoding="utf-8") for p in sorted(NEUTRAL.glob("*.txt"))]
    started = time.perf_counter()
    cv = cross_validate_techniques(
        articles,
        folds=args.folds,
        seed=args.seed,
        flags_per_1000_words=args.budget,
        neutral=neutral,
        progress=lambda m: print(
            f"  [{time.perf_counter() - started:5.0f} s] {m}", file=sys.stderr
        ),
    )
    seconds = time.perf_counter() - started

    model = load_technique_model()
    shipped_flags = sum(len(r["spans"]) for r in detect_techniques(neutral, model=model))
    neutral_words = sum(count_words(t) for t in neutral)
    sample = articles[:60]
    detect_techniques(sample[:2], model=model)  # warm up
    timed = time.perf_counter()
    detect_techniques(sample, model=model)
    per_second = len(sample) / (time.perf_counter() - timed)

    gold = cv["gold"]
    print(f"PTC: {cv['articles']} articles, {cv['words']:,} words, {gold['spans']:,} gold spans "
          f"(overlaps merged; {gold['per_1000_words']:.1f} per 1,000 words, "
          f"{gold['marked_share']:.1%} of the text); {args.folds}-fold article-grouped CV, "
          f"seed {args.seed}, {seconds / 60:.1f} min\n")  # fmt: skip
    print(f"{'SI (span identification)':<34} {'P':>6} {'R':>6} {'F1':>6} {'spans/gold':>9} "
          f"{'marked':>7} {'per 1k w':>9}")  # fmt: skip
    print(_si_row("fast model (span-F1 point)", cv["si"]))
    print(_si_row(f"fast model ({args.budget:g} per 1,000 words)", cv["si_operating_point"]))
    print(_si_row("baseline: every sentence a span", cv["si_baseline_every_sentence"]))
    print(_si_row("gold", {**gold, "precision": 1, "recall": 1, "f1": 1, "spans_per_gold": 1,
                           "flags_per_1000_words": gold["per_1000_words"]}))  # fmt: skip
    print(f"\n{'TC (technique of gold spans)':<34} {'micro-F1':>9} {'macro-F1':>9}")
    for name, key in (("fast model", "tc"), ("baseline: most frequent", "tc_baseline_majority")):
        print(f"{name:<34} {cv[key]['micro_f1']:>9.3f} {cv[key]['macro_f1']:>9.3f}")
    cal = cv["calibration"]
    print(f"\ncalibration on held-out articles: {cal['spans']:,} spans, mean confidence "
          f"{cal['mean_confidence']:.3f} vs mean share inside gold "
          f"{cal['mean_share_inside_gold']:.3f}, ECE {cal['ece']:.3f}")  # fmt: skip
    n = cv["neutral"]
    print(f"\nneutral reports ({n['texts']} texts, {n['words']:,} words): "
          f"{n['flags_per_1000_words']:.1f} flags per 1,000 words (fold models), "
          f"{1000 * shipped_flags / max(neutral_words, 1):.1f} (shipped model, {shipped_flags} "
          f"flags); PTC gold {gold['per_1000_words']:.1f}")  # fmt: skip
    print(f"\nspeed: {per_second:.1f} articles/s (shipped fast model, {len(sample)} PTC "
          f"articles); CV fit {cv['fit_seconds']:.0f} s, "
          f"predict {cv['predict_seconds']:.0f} s")  # fmt: skip
    print("\nper fold:")
    for f in cv["per_fold"]:
        print(f"  {f}")
    if args.json:
        cv["neutral"]["shipped_flags"] = shipped_flags
        cv["articles_per_second"] = per_second
        args.json.write_text(json.dumps(cv, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
