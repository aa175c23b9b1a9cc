"""Article pipeline benchmark: the whole pipeline on the PTC articles (a few hundred).

Ingests ``--articles`` (default: the shared PTC training articles, 300 plain-text files) into
a fresh store under ``bench-out/articles/``, then times each stage once: ingest with
syndication, actors and relations, quotes, narratives, techniques (the shipped model).
Prints seconds and articles per second per stage and for the whole pipeline, and the
top actors and actor pairs of those articles.

Run with ``python benchmarks/bench_articles.py [--articles DIR]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "propaganda" / "ptc-train"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", default=str(SHARED / "articles"))
    args = parser.parse_args()
    from infoscope.articles import run
    from infoscope.ingest import ingest
    from infoscope.store import Store

    out = Path("bench-out") / "articles"
    out.mkdir(parents=True, exist_ok=True)
    store_path = out / "store.duckdb"
    store_path.unlink(missing_ok=True)
    files = sorted(str(p) for p in Path(args.articles).glob("*.txt"))
    seconds: dict[str, float] = {}
    results: dict[str, object] = {"files": len(files)}
    with Store.open(store_path) as store:
        started = time.perf_counter()
        ingest(store, files, format="text-article")
        run.run_syndication(store)
        seconds["ingest_and_syndication"] = time.perf_counter() - started
        n = store.count("articles")
        results["articles"] = n
        stages = {
            "actors_and_relations": lambda: run.run_actors(store),
            "quotes": lambda: run.run_quotes(store),
            "narratives": lambda: run.run_narratives(store),
            "techniques": lambda: run.run_techniques(store),
        }
        for name, stage in stages.items():
            started = time.perf_counter()
            result = stage()
            seconds[name] = time.perf_counter() - started
            print(f"{name}: {seconds[name]:.1f} s", file=sys.stderr, flush=True)
            results[name] = result.summary
        actors = run.load_actors(store, top=10)
        results["top_actors"] = [[a["actor"], a["kind"], a["mentions"]] for a in actors.top_actors]
        results["top_pairs"] = [
            [p["actor_a"], p["actor_b"], p["count"], round(p["npmi"], 3)] for p in actors.top_pairs
        ]
    total = sum(seconds.values())
    results["seconds"] = {k: round(v, 1) for k, v in seconds.items()}
    results["articles_per_second"] = {k: round(n / v, 2) for k, v in seconds.items()}
    results["pipeline"] = {"seconds": round(total, 1), "articles_per_second": round(n / total, 2)}
    text = json.dumps(results, indent=2, ensure_ascii=False, default=str)
    (out / "results.json").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
