"""The same scenario in several formats, every analysis scored: the evaluations side by side.

Runs `infoscope.demo.run_demo` (generate, ingest, every analysis, evaluate) once per format
with the same seed and size, so the posts are the same and only what each format carries
differs, and prints one Markdown table of every evaluation metric, a column per format, the
rows that differ from the first format marked. Each demo's output stays in ``--out``
(``<format>/summary.json``, its store and report).

    python benchmarks/scenario_formats.py --posts 30000 --seed 7 --out cmp \\
        --formats twitter-v2,mastodon,bluesky-jetstream
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any


def _shown(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if float(value).is_integer() and abs(value) >= 1:
        return f"{int(value):,}"
    return f"{value:.4f}"


def table(evaluations: dict[str, dict[str, dict[str, float]]]) -> str:
    """A Markdown table: one row per (analysis, metric), one column per format."""
    names = list(evaluations)
    first = evaluations[names[0]]
    lines = [
        "| analysis | metric | " + " | ".join(names) + " | |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    for analysis, metrics in first.items():
        for metric in metrics:
            values = [_shown(evaluations[n].get(analysis, {}).get(metric)) for n in names]
            mark = "≠" if len(set(values)) > 1 else ""
            lines.append(f"| {analysis} | {metric} | " + " | ".join(values) + f" | {mark} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("scenario-formats"))
    parser.add_argument("--formats", default="twitter-v2,mastodon,bluesky-jetstream")
    args = parser.parse_args()

    from infoscope.demo import run_demo

    evaluations = {}
    for name in args.formats.split(","):
        result = run_demo(args.out / name, posts=args.posts, seed=args.seed, format=name)
        evaluations[name] = result.data["evaluation"]
        seconds = json.dumps(result.data["seconds"])
        print(f"{name}: done ({seconds})", flush=True)
    print(table(evaluations))


if __name__ == "__main__":
    main()
