"""Who appears with whom: co-occurrence of canonical actors in sentences or articles.

`actor_relations` reads the mentions of `infoscope.articles.actors.extract_actors` and counts,
for every pair of actors, the units (sentences, or whole articles) that mention both. With N
the number of units that mention at least one actor (or `n_units`, when the number of all
units is known), c(a) the units mentioning a and c(a, b) those mentioning both:

- PMI(a, b) = ln( c(a, b) N / (c(a) c(b)) ): above 0 when a and b appear together more often
  than their frequencies predict;
- NPMI(a, b) = PMI(a, b) / -ln( c(a, b) / N ), in [-1, 1] (Bouma 2009, "Normalized
  (pointwise) mutual information in collocation extraction"): 1 when they only ever appear
  together; taken as 1 when c(a, b) = N (both in every unit).

Each pair keeps up to `evidence` references (article, sentence index, sentence text): the
sentences that name both; at article level, per article the first sentence that names both,
or else the first sentence of each.

`actor_network` turns the pairs into an undirected igraph graph with Leiden communities
(`infoscope.network.communities.detect_communities`) and each actor's degree and strength;
`relations_over_time` counts pairs per day, week, month or year.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections import Counter, defaultdict
from collections.abc import Mapping
from typing import Any

import igraph as ig
import pyarrow as pa

from infoscope.errors import BadParameterError

__all__ = ["actor_network", "actor_relations", "relations_over_time"]

LEVELS = ("sentence", "article")
WEIGHTS = ("npmi", "pmi", "count")
PERIODS = ("day", "week", "month", "year")

EVIDENCE_TYPE = pa.list_(
    pa.struct([("article_id", pa.string()), ("sentence", pa.int32()), ("text", pa.string())])
)
RELATION_SCHEMA = pa.schema(
    [
        ("actor_a", pa.string()),
        ("kind_a", pa.string()),
        ("actor_b", pa.string()),
        ("kind_b", pa.string()),
        ("count", pa.int64()),
        ("count_a", pa.int64()),
        ("count_b", pa.int64()),
        ("units", pa.int64()),
        ("articles", pa.int64()),
        ("pmi", pa.float64()),
        ("npmi", pa.float64()),
        ("level", pa.string()),
        ("evidence", EVIDENCE_TYPE),
    ]
)
OVER_TIME_SCHEMA = pa.schema(
    [
        ("period", pa.date32()),
        ("actor_a", pa.string()),
        ("actor_b", pa.string()),
        ("count", pa.int64()),
        ("articles", pa.int64()),
    ]
)
_NEEDED = ("article_id", "sentence", "sentence_text", "actor", "actor_kind")


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise BadParameterError(f"level {level!r}: choose one of {', '.join(LEVELS)}")


def _columns(mentions: pa.Table, needed: tuple[str, ...]) -> dict[str, list[Any]]:
    missing = [c for c in needed if c not in mentions.column_names]
    if missing:
        raise BadParameterError(f"mentions lack column(s) {missing}; use extract_actors' output")
    return {c: mentions.column(c).to_pylist() for c in needed}


def _units(
    mentions: pa.Table, level: str
) -> tuple[dict[Any, set[str]], dict[str, str], dict[tuple[str, int], str]]:
    """Actors per unit (in first-seen order), each actor's kind, and each sentence's text."""
    cols = _columns(mentions, _NEEDED)
    units: dict[Any, set[str]] = {}
    kinds: dict[str, Counter[str]] = defaultdict(Counter)
    texts: dict[tuple[str, int], str] = {}
    rows = zip(*(cols[c] for c in _NEEDED), strict=True)
    for article_id, sentence, text, actor, kind in rows:
        if actor is None:
            continue
        key = (article_id, sentence) if level == "sentence" else article_id
        units.setdefault(key, set()).add(actor)
        kinds[actor][kind] += 1
        texts.setdefault((article_id, sentence), text)
    kind_of = {a: min(c.items(), key=lambda kv: (-kv[1], kv[0] or ""))[0] for a, c in kinds.items()}
    return units, kind_of, texts


def _pmi(together: int, a: int, b: int, n: int) -> tuple[float, float]:
    pmi = math.log(together * n / (a * b))
    if together == n:
        return pmi, 1.0
    return pmi, pmi / -math.log(together / n)


def actor_relations(
    mentions: pa.Table,
    *,
    level: str = "sentence",
    min_count: int = 2,
    evidence: int = 3,
    n_units: int | None = None,
) -> pa.Table:
    """Pairs of canonical actors that share at least `min_count` units (sentences or articles),
    with their counts, PMI, NPMI and up to `evidence` sentence references (module doc).

    `n_units` is the number of units to measure PMI against (default: the units that mention
    an actor). Sorted by count, then NPMI (both decreasing), then the actors' names.
    """
    _check_level(level)
    if min_count < 1:
        raise BadParameterError(f"min_count must be at least 1, got {min_count}")
    if evidence < 0:
        raise BadParameterError(f"evidence must be 0 or more, got {evidence}")
    units, kind_of, texts = _units(mentions, level)
    n = len(units)
    if n_units is not None:
        if n_units < n:
            raise BadParameterError(
                f"n_units ({n_units}) is below the {n} {level}s that mention an actor"
            )
        n = n_units
    single: Counter[str] = Counter()
    pairs: Counter[tuple[str, str]] = Counter()
    where: dict[tuple[str, str], list[Any]] = defaultdict(list)
    for key, actors in units.items():
        single.update(actors)
        for pair in itertools.combinations(sorted(actors), 2):
            pairs[pair] += 1
            where[pair].append(key)
    kept = [(p, c) for p, c in pairs.items() if c >= min_count]
    first_sentence: dict[tuple[str, str], int] = {}
    both_sentence: dict[tuple[str, str, str], int] = {}
    if level == "article" and evidence:
        first_sentence, both_sentence = _article_sentences(mentions)
    rows: list[dict[str, Any]] = []
    for (a, b), count in kept:
        pmi, npmi = _pmi(count, single[a], single[b], n)
        refs: list[dict[str, Any]] = []
        if level == "sentence":
            for article_id, sentence in where[(a, b)][:evidence]:
                refs.append(_ref(article_id, sentence, texts))
        else:
            for article_id in where[(a, b)]:
                if len(refs) >= evidence:
                    break
                both = both_sentence.get((article_id, a, b))
                if both is not None:
                    refs.append(_ref(article_id, both, texts))
                    continue
                for actor in (a, b):
                    if len(refs) < evidence:
                        refs.append(_ref(article_id, first_sentence[(article_id, actor)], texts))
        articles = len({k[0] if level == "sentence" else k for k in where[(a, b)]})
        rows.append(
            {
                "actor_a": a,
                "kind_a": kind_of[a],
                "actor_b": b,
                "kind_b": kind_of[b],
                "count": count,
                "count_a": single[a],
                "count_b": single[b],
                "units": n,
                "articles": articles,
                "pmi": pmi,
                "npmi": npmi,
                "level": level,
                "evidence": refs,
            }
        )
    rows.sort(key=lambda r: (-r["count"], -r["npmi"], r["actor_a"], r["actor_b"]))
    return pa.Table.from_pylist(rows, schema=RELATION_SCHEMA)


def _ref(article_id: str, sentence: int, texts: dict[tuple[str, int], str]) -> dict[str, Any]:
    return {"article_id": article_id, "sentence": sentence, "text": texts[(article_id, sentence)]}


def _article_sentences(
    mentions: pa.Table,
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str, str], int]]:
    """Per (article, actor) its first sentence; per (article, a, b) the first sentence naming
    both."""
    first: dict[tuple[str, str], int] = {}
    per_sentence: dict[tuple[str, int], set[str]] = {}
    cols = _columns(mentions, ("article_id", "sentence", "actor"))
    for article_id, sentence, actor in zip(
        cols["article_id"], cols["sentence"], cols["actor"], strict=True
    ):
        if actor is None:
            continue
        key = (article_id, actor)
        if key not in first or sentence < first[key]:
            first[key] = sentence
        per_sentence.setdefault((article_id, sentence), set()).add(actor)
    both: dict[tuple[str, str, str], int] = {}
    for (article_id, sentence), actors in per_sentence.items():
        for a, b in itertools.combinations(sorted(actors), 2):
            key3 = (article_id, a, b)
            if key3 not in both or sentence < both[key3]:
                both[key3] = sentence
    return first, both


def actor_network(
    relations: pa.Table,
    *,
    weight: str = "npmi",
    seed: int = 0,
    runs: int = 10,
    resolution: float | None = None,
) -> ig.Graph:
    """An undirected graph of actors from `actor_relations` pairs, weighted by `weight`
    (``npmi``, ``pmi`` or ``count``).

    Pairs whose weight is not positive (actors that co-occur no more than chance predicts) are
    left out. Vertices carry ``name``, ``kind``, ``units`` (units mentioning the actor),
    ``degree``, ``strength`` (sum of edge weights), ``community`` (Leiden, modularity, best of
    `runs` seeded from `seed`; 0 is the largest) and ``community_stability``; edges carry
    ``weight``, ``count``, ``pmi`` and ``npmi``; the graph ``modularity``. Same input and seed,
    same graph.
    """
    from infoscope.network.communities import detect_communities

    if weight not in WEIGHTS:
        raise BadParameterError(f"weight {weight!r}: choose one of {', '.join(WEIGHTS)}")
    missing = [c for c in RELATION_SCHEMA.names[:10] if c not in relations.column_names]
    if missing:
        raise BadParameterError(f"relations lack column(s) {missing}; use actor_relations' output")
    rows = relations.select(
        ["actor_a", "kind_a", "actor_b", "kind_b", "count", "count_a", "count_b", "pmi", "npmi"]
    ).to_pylist()
    kinds: dict[str, str] = {}
    units: dict[str, int] = {}
    for r in rows:
        kinds[r["actor_a"]], kinds[r["actor_b"]] = r["kind_a"], r["kind_b"]
        units[r["actor_a"]], units[r["actor_b"]] = r["count_a"], r["count_b"]
    names = sorted(kinds)
    index = {name: i for i, name in enumerate(names)}
    edges = sorted(
        (r for r in rows if float(r[weight]) > 0), key=lambda r: (r["actor_a"], r["actor_b"])
    )
    graph = ig.Graph(
        n=len(names), edges=[(index[r["actor_a"]], index[r["actor_b"]]) for r in edges]
    )
    graph.vs["name"] = names
    graph.vs["kind"] = [kinds[a] for a in names]
    graph.vs["units"] = [units[a] for a in names]
    graph.es["weight"] = [float(r[weight]) for r in edges]
    for column in ("count", "pmi", "npmi"):
        graph.es[column] = [r[column] for r in edges]
    graph.vs["degree"] = graph.degree()
    graph.vs["strength"] = graph.strength(weights="weight") if edges else [0.0] * len(names)
    found = detect_communities(graph, seed=seed, runs=runs, resolution=resolution)
    graph.vs["community"] = found.membership
    graph.vs["community_stability"] = found.stability
    graph["modularity"] = found.modularity
    graph["weight"] = weight
    return graph


def _as_date(value: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "date") and callable(value.date):  # pandas Timestamp and the like
        return value.date()  # type: ignore[no-any-return]
    text = str(value).strip()
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        raise BadParameterError(f"date {value!r} is not an ISO 8601 date") from None


def _period_start(day: dt.date, period: str) -> dt.date:
    if period == "day":
        return day
    if period == "week":
        return day - dt.timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day.replace(month=1, day=1)


def _dates(dates: Mapping[str, Any] | pa.Table) -> dict[str, dt.date | None]:
    if isinstance(dates, pa.Table):
        if "article_id" not in dates.column_names or dates.num_columns < 2:
            raise BadParameterError("dates: a table needs 'article_id' and a date column")
        column = "date" if "date" in dates.column_names else None
        if column is None:
            column = next(c for c in dates.column_names if c != "article_id")
        pairs = zip(
            dates.column("article_id").to_pylist(), dates.column(column).to_pylist(), strict=True
        )
        return {str(k): _as_date(v) for k, v in pairs}
    return {str(k): _as_date(v) for k, v in dates.items()}


def relations_over_time(
    mentions: pa.Table,
    dates: Mapping[str, Any] | pa.Table,
    *,
    period: str = "month",
    level: str = "sentence",
    min_count: int = 1,
) -> pa.Table:
    """Pair counts per period: for each period (its first day; weeks start on Monday) and
    pair, the units (sentences or articles) of that period's articles that name both, and in
    how many articles. `dates` maps article_id to a date, datetime or ISO string (or is a
    table of ``article_id`` and ``date``); articles without a date are left out."""
    _check_level(level)
    if period not in PERIODS:
        raise BadParameterError(f"period {period!r}: choose one of {', '.join(PERIODS)}")
    when = _dates(dates)
    units, _, _ = _units(mentions, level)
    counts: Counter[tuple[dt.date, str, str]] = Counter()
    articles: dict[tuple[dt.date, str, str], set[str]] = defaultdict(set)
    for key, actors in units.items():
        article_id = key[0] if level == "sentence" else key
        day = when.get(article_id)
        if day is None:
            continue
        start = _period_start(day, period)
        for a, b in itertools.combinations(sorted(actors), 2):
            counts[(start, a, b)] += 1
            articles[(start, a, b)].add(article_id)
    rows: list[dict[str, Any]] = [
        {"period": p, "actor_a": a, "actor_b": b, "count": c, "articles": len(articles[(p, a, b)])}
        for (p, a, b), c in counts.items()
        if c >= min_count
    ]
    rows.sort(key=lambda r: (r["period"], -r["count"], r["actor_a"], r["actor_b"]))
    return pa.Table.from_pylist(rows, schema=OVER_TIME_SCHEMA)
