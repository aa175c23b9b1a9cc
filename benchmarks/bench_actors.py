"""Actor precision on the annotated news fixtures: the top 20 actors of each article.

Reads the fixture articles in ``tests/fixtures/articles/actors/`` (short news texts written for
this benchmark) and their true actors in ``expected.json`` (canonical name, kind and accepted
other names), runs `infoscope.articles.actors.extract_actors` on them, and scores the 20
actors with the most mentions in each article (ties: first mentioned first). An actor is an
(actor, kind) pair, so one name with two kinds is two actors. A predicted actor is right when
its name is a true actor's canonical or accepted name and its kind is that actor's kind; each
true actor is matched once, so an actor split in two ("RAND" and "RAND Corporation") counts
one of the two as wrong. Prints, per article, the predicted actors (+ right, - wrong) and the
precision, then the precision over all articles (right / predicted) and the recall (true
actors found / true actors).

Pronoun mentions (``resolution = "pronoun"``) name a person already named in the article, so
they add to that actor's count and never make an actor of their own; ``--no-pronouns`` scores
without them. The last line counts them (the fixtures hold one "he", left unresolved: two
persons fit).

Before issue 20's resolution (nationality adjectives as actors, no kind vote, no dictionary
of nationalities and roles), the same fixtures scored 0.66 precision (45 of 68), recall 0.88.

Run with ``python benchmarks/bench_actors.py [--show]``.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "articles" / "actors"
TOP = 20


def top_actors(rows: list[dict], top: int = TOP) -> list[tuple[str, str]]:
    """The `top` (actor, kind) pairs with the most mentions, first mentioned first on ties."""
    counts = Counter((r["actor"], r["actor_kind"]) for r in rows)
    first: dict[tuple[str, str], int] = {}
    for r in sorted(rows, key=lambda r: r["start"]):
        first.setdefault((r["actor"], r["actor_kind"]), r["start"])
    return sorted(counts, key=lambda a: (-counts[a], first[a]))[:top]


def score(predicted: list[tuple[str, str]], truth: list[dict]) -> list[bool]:
    """Right or wrong for each predicted actor; each true actor is matched at most once."""
    names = {}
    for i, t in enumerate(truth):
        for name in [t["actor"], *t.get("names", [])]:
            names[(name.casefold(), t["kind"])] = i
    used: set[int] = set()
    marks = []
    for actor, kind in predicted:
        match = names.get((actor.casefold(), kind))
        marks.append(match is not None and match not in used)
        if match is not None:
            used.add(match)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--show", action="store_true", help="print each article's actors")
    parser.add_argument("--no-pronouns", action="store_true", help="no pronoun mentions")
    args = parser.parse_args()
    from infoscope.articles.actors import extract_actors

    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))
    articles = [
        (p.stem, p.read_text(encoding="utf-8"), "en") for p in sorted(FIXTURES.glob("*.txt"))
    ]
    table = extract_actors(articles, pronouns=not args.no_pronouns).to_pylist()
    right = predicted = found = true = 0
    for article_id, _, _ in articles:
        rows = [r for r in table if r["article_id"] == article_id]
        top = top_actors(rows)
        marks = score(top, expected[article_id])
        right += sum(marks)
        predicted += len(marks)
        found += sum(marks)
        true += len(expected[article_id])
        print(
            f"{article_id}: precision {sum(marks) / max(len(marks), 1):.2f} "
            f"({sum(marks)}/{len(marks)})"
        )
        if args.show:
            for (actor, kind), ok in zip(top, marks, strict=True):
                print(f"  {'+' if ok else '-'} {actor} ({kind})")
    print(
        f"precision (top {TOP} per article): {right / max(predicted, 1):.2f} "
        f"({right}/{predicted}); recall {found / max(true, 1):.2f} ({found}/{true})"
    )
    print(f"pronoun mentions resolved: {sum(r['resolution'] == 'pronoun' for r in table)}")


if __name__ == "__main__":
    main()
