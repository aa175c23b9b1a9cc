"""Pages into items: how well saved pages are cut into their main story, secondary items and
posts, against expected items written by hand; and whether clean articles stay whole.

Scores (`infoscope.ingest.pages.evaluate`) on the page fixtures of the tests:

- ``development``: ``tests/fixtures/articles/pages/expected.json``, the pages the rules were
  written against (an op-ed followed by teasers, a blog post with a 30-post sidebar, an
  aggregator of tweets and reposted articles, a clean news story, an HTML op-ed with asides,
  the HTML news page of the format tests);
- ``held out``: ``tests/fixtures/articles/pages/heldout/expected.json``, four pages written
  and annotated after the rules were set (a wire story with "Read Next" and "Trending", an
  X account's page of posts and reposts, an op-ed with "Related" and an author bio, a
  WordPress post with widgets).

Each set is scored for three systems: the **baseline** (what infoscope stored before: a text
page is one article titled by its first line, an HTML page trafilatura's extraction), the
segmenter with its **rules only**, and **rules + classifier** (what ingest runs). Columns:
item boundary F1 (precision, recall), the share of furniture characters left in main items,
main-text recall, and title/author/date accuracy on the main items and on all items.

On the PTC (``../shared/data/propaganda/ptc-train/articles``, clean pages: one article per
file), it counts the articles read as exactly one main item, with the file's first line as
title, the secondary items and posts found, and the lines dropped as furniture (by reason). The
shipped classifier was fitted on synthetic pages built from these same articles, so that check
is in sample for it; the rules alone (which never saw them) are counted beside it.

``--train`` refits the block classifier on synthetic pages built from the PTC articles and
writes ``src/infoscope/ingest/pages/_weights.py`` (then run again to score it).

Run with ``python benchmarks/bench_pages.py [--ptc DIR] [--train]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "articles" / "pages"
SHARED = ROOT.parent / "shared" / "data" / "propaganda" / "ptc-train" / "articles"
WEIGHTS = ROOT / "src" / "infoscope" / "ingest" / "pages" / "_weights.py"
COLUMNS = (
    ("boundary_f1", "bnd F1"),
    ("boundary_precision", "P"),
    ("boundary_recall", "R"),
    ("furniture_share", "furn."),
    ("main_text_recall", "text R"),
    ("main_title_accuracy", "title"),
    ("main_author_accuracy", "author"),
    ("main_date_accuracy", "date"),
    ("all_title_accuracy", "title*"),
    ("all_author_accuracy", "author*"),
    ("all_date_accuracy", "date*"),
)


def ptc_articles(folder: Path) -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of each PTC article: the first line and the non-empty lines after."""
    out = []
    for path in sorted(folder.glob("article*.txt")):
        lines = [
            line.strip().strip("\ufeff")
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip().strip("\ufeff")
        ]
        if len(lines) > 1:
            out.append((lines[0], lines[1:]))
    return out


def train(folder: Path) -> dict[str, Any]:
    from infoscope.ingest.pages.model import train_block_classifier

    started = time.perf_counter()
    classifier, report = train_block_classifier(ptc_articles(folder), pages=600, seed=0)
    report["seconds"] = round(time.perf_counter() - started, 1)
    classifier.info.update(report)
    WEIGHTS.write_text(
        '"""The block classifier\'s shipped coefficients (`infoscope.ingest.pages.model`), '
        "fitted on\nsynthetic pages built from the 300 PTC training articles; written by\n"
        '``benchmarks/bench_pages.py --train``."""\n\nfrom __future__ import annotations\n\n'
        'from typing import Any\n\n__all__ = ["WEIGHTS"]\n\nWEIGHTS: dict[str, Any] = '
        + json.dumps(classifier.as_dict(), indent=4)
        + "\n",
        encoding="utf-8",
    )
    return report


@contextlib.contextmanager
def rules_only() -> Iterator[None]:
    """Segment with the rules alone: the shipped classifier is not loaded."""
    from infoscope.ingest.pages import segment

    shipped = segment.load_block_classifier
    segment.load_block_classifier = lambda weights=None: None  # type: ignore[assignment]
    try:
        yield
    finally:
        segment.load_block_classifier = shipped


def score_systems(expected: Path) -> dict[str, dict[str, Any]]:
    from infoscope.ingest.pages import model
    from infoscope.ingest.pages.evaluate import baseline_items, score_pages

    out: dict[str, dict[str, Any]] = {}
    out["baseline (page = one article)"] = score_pages(expected, items=baseline_items)[0].as_dict()
    with rules_only():
        out["rules only"] = score_pages(expected)[0].as_dict()
    assert model.load_block_classifier() is not None, "no shipped classifier: run --train"
    total, per_page = score_pages(expected)
    out["rules + classifier"] = total.as_dict()
    out["rules + classifier"]["errors"] = total.errors
    out["rules + classifier"]["per_page"] = {
        name: {k: s.as_dict()[k] for k in ("boundary_f1", "furniture_share", "items_predicted")}
        for name, s in per_page.items()
    }
    return out


def ptc_check(folder: Path) -> dict[str, Any]:
    """Clean pages: one main item each, titled by the first line; what is dropped."""
    from infoscope.ingest.formats import ReadContext, get_format
    from infoscope.ingest.pages import segment_text
    from infoscope.ingest.sources import iter_sources
    from infoscope.records import Article, Post

    fmt = get_format("text-article")
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    body_chars = kept_chars = 0
    started = time.perf_counter()
    files = sorted(folder.glob("article*.txt"))
    for path in files:
        records: list[Any] = []
        for source in iter_sources(path):
            records += list(fmt.parse(source, ReadContext()))  # type: ignore[attr-defined]
        articles = [r for r in records if isinstance(r, Article)]
        mains = [a for a in articles if a.item_kind == "main"]
        counts["articles"] += 1
        counts["one main item"] += len(mains) == 1
        counts["secondary items"] += sum(a.item_kind == "secondary" for a in articles)
        counts["articles with secondary items"] += any(a.item_kind == "secondary" for a in articles)
        counts["posts"] += sum(isinstance(r, Post) for r in records)
        text = path.read_text(encoding="utf-8")
        lines = [x.strip().strip("\ufeff") for x in text.splitlines() if x.strip().strip("\ufeff")]
        counts["title = first line"] += bool(mains) and mains[0].title == lines[0]
        body = "\n".join(lines[1:])
        body_chars += len(body)
        kept_chars += sum(len(a.text or "") for a in mains)
        for b in segment_text(text).blocks:
            if b.kind == "furniture" and b.line > 1:
                reason = b.reason.split(" (")[0]
                reasons[reason] += 1
                examples.setdefault(reason, [])
                if len(examples[reason]) < 3:
                    examples[reason].append(b.text[:70])
    return {
        **counts,
        "seconds": round(time.perf_counter() - started, 1),
        "main_text_share_of_body_chars": round(kept_chars / body_chars, 4) if body_chars else None,
        "lines_dropped_by_reason": dict(reasons.most_common()),
        "examples": examples,
    }


def table(title: str, systems: dict[str, dict[str, Any]]) -> str:
    head = f"{'system':<32}" + "".join(f"{label:>9}" for _, label in COLUMNS)
    rows = [title, head]
    for name, score in systems.items():
        cells = []
        for key, _ in COLUMNS:
            value = score.get(key)
            cells.append(f"{value:>9.3f}" if isinstance(value, float) else f"{'-':>9}")
        rows.append(f"{name:<32}" + "".join(cells))
    first = next(iter(systems.values()))
    rows.append(
        f"({first['pages']} pages, {first['items_expected']} expected items; * = all items, "
        "secondary included; furn. = share of furniture characters in main items)"
    )
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ptc", default=str(SHARED), help="PTC articles folder")
    parser.add_argument("--train", action="store_true", help="refit the block classifier")
    args = parser.parse_args()
    ptc = Path(args.ptc)
    results: dict[str, Any] = {}
    if args.train:
        if not ptc.is_dir():
            sys.exit(f"{ptc}: no PTC articles to train on")
        results["training"] = train(ptc)
        print(json.dumps(results["training"], indent=1), file=sys.stderr)
        sys.exit("weights written; run again (without --train) to score them")
    for name, expected in (
        ("development", FIXTURES / "expected.json"),
        ("held out", FIXTURES / "heldout" / "expected.json"),
    ):
        results[name] = score_systems(expected)
        print(table(f"\n{name} pages", results[name]))
    if ptc.is_dir():
        results["ptc"] = ptc_check(ptc)
        p = results["ptc"]
        print(
            f"\nPTC ({p['articles']} clean articles): {p['one main item']} read as one main "
            f"item, {p['title = first line']} titled by their first line; "
            f"{p['secondary items']} secondary items in {p['articles with secondary items']} "
            f"articles, {p['posts']} posts; main text = {p['main_text_share_of_body_chars']:.1%} "
            "of the body characters"
        )
        for reason, n in p["lines_dropped_by_reason"].items():
            print(f"  dropped {n:>4}  {reason}: {p['examples'][reason]}")
        # The classifier was fitted on pages built from these articles: the rules alone are the
        # out-of-sample figure here.
        with rules_only():
            results["ptc_rules_only"] = r = ptc_check(ptc)
        print(
            f"PTC, rules only (never fitted on them): {r['one main item']} one main item, "
            f"{r['title = first line']} titled by their first line, {r['secondary items']} "
            f"secondary items, {r['posts']} posts; main text = "
            f"{r['main_text_share_of_body_chars']:.1%} of the body characters"
        )
    else:
        print(f"\nPTC check skipped: {ptc} is absent")
    out = ROOT / "bench-out" / "pages"
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, indent=1, default=str, ensure_ascii=False), encoding="utf-8"
    )


if __name__ == "__main__":
    main()
