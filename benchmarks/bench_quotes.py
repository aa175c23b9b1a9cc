"""Quote attribution benchmark: speaker accuracy, quote recall and precision on the annotated
fixtures in ``tests/fixtures/articles/quotes/`` (multi-paragraph quotes, "he added" / "she
said" / "the minister said", affiliations next to book titles, pronouns that name no one).

A gold quote (``expected.json``: the offset of its first word, its speaker, its affiliation) is
found when an extracted direct quote's span covers that offset. Recall: gold quotes found;
precision: extracted direct quotes covering at least one gold quote; speaker accuracy: gold
quotes found with the right speaker (the resolved actor, else the speaker text; the gold name
or its surname; a gold null wants no speaker), over all gold quotes, so a missed quote counts
as wrong; affiliation accuracy: over the quotes found.

``--compare FILE`` scores another version of ``infoscope/articles/quotes.py`` as well (the
code before a change: ``git show REV:src/infoscope/articles/quotes.py > /tmp/old.py``). The
figures of the code before the quotes fix (commit 03c6c74) are recorded in ``BEFORE``.

Run with ``python benchmarks/bench_quotes.py [--compare FILE]``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "articles" / "quotes"

# Measured once with `--compare` on the code at commit 03c6c74 (before the quotes fix).
BEFORE = {
    "gold": 19,
    "found": 14,
    "extracted": 16,
    "recall": 0.737,
    "precision": 0.875,
    "speaker_accuracy": 0.526,
    "affiliation_accuracy": 0.857,
}


def _source(row: dict[str, Any]) -> str | None:
    return row["actor"] or row["speaker"]


def _same_speaker(found: str | None, gold: str | None) -> bool:
    if gold is None or found is None:
        return gold is found
    return found == gold or gold.endswith(" " + found)


def _norm(affiliation: str | None) -> str | None:
    if affiliation is None:
        return None
    return affiliation[4:] if affiliation.lower().startswith("the ") else affiliation


def score(extract: Any) -> dict[str, Any]:
    """Scores of `extract` (an ``extract_quotes``) on the fixtures."""
    gold = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))["quotes"]
    texts = [(name, (FIXTURES / name).read_text(encoding="utf-8")) for name in sorted(gold)]
    rows = [r for r in extract(texts, lang="en").to_pylist() if r["quote_start"] is not None]
    found = speakers = affiliations = 0
    covering: set[int] = set()
    misses: list[str] = []
    for name, quotes in gold.items():
        mine = [(i, r) for i, r in enumerate(rows) if r["article_id"] == name]
        for g in quotes:
            hit = next(
                ((i, r) for i, r in mine if r["quote_start"] <= g["start"] < r["quote_end"]), None
            )
            if hit is None:
                misses.append(f"{name}: missed {g['words']!r}")
                continue
            i, r = hit
            covering.add(i)
            found += 1
            if _same_speaker(_source(r), g["speaker"]):
                speakers += 1
            else:
                misses.append(f"{name}: {g['words']!r} by {_source(r)!r}, not {g['speaker']!r}")
            if _norm(r["affiliation"]) == g["affiliation"]:
                affiliations += 1
            else:
                misses.append(
                    f"{name}: {g['words']!r} affiliation {r['affiliation']!r}, "
                    f"not {g['affiliation']!r}"
                )
    total = sum(len(q) for q in gold.values())
    return {
        "gold": total,
        "found": found,
        "extracted": len(rows),
        "recall": round(found / total, 3),
        "precision": round(len(covering) / len(rows), 3) if rows else 0.0,
        "speaker_accuracy": round(speakers / total, 3),
        "affiliation_accuracy": round(affiliations / found, 3) if found else 0.0,
        "errors": misses,
    }


def _load(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("quotes_compared", path)
    if spec is None or spec.loader is None:
        sys.exit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.extract_quotes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compare", help="another quotes.py to score (the code before)")
    args = parser.parse_args()
    from infoscope.articles.quotes import extract_quotes

    results: dict[str, Any] = {"before (recorded, 03c6c74)": BEFORE}
    if args.compare:
        results["compared"] = score(_load(args.compare))
    results["after"] = score(extract_quotes)
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
