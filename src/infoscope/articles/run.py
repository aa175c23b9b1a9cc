"""Article analyses as stored runs: each reads the store's ``articles`` and writes its table.

- `run_actors`: actor mentions (`infoscope.articles.actors`) into ``article_mentions``, and
  their co-occurrence relations at sentence and article level into ``actor_relations``;
- `run_quotes`: quotes and cited sources into ``article_quotes``;
- `run_narratives`: narratives into ``narratives`` and ``narrative_units``;
- `run_techniques`: propaganda-technique spans into ``article_techniques``;
- `run_syndication`: near-duplicate (syndicated) articles into ``article_syndication``.

Each runs inside `Store.run` (parameters, seed, input fingerprint in ``runs``) and returns its
result, which its ``load_*`` function reads back from the store (`SyndicationRun`,
`ActorsRun`, `QuotesRun`, `NarrativesRun`, `TechniquesRun`: the summary and what the CLI
prints). Syndicated copies count once in narratives, relations and quotes (only the first
article of each syndication group of the latest syndication run is read). The analyses read a
page's main items (and the articles reposted on aggregator pages), not its teasers, sidebar
posts and related stories (`ITEMS`: ``items="all"`` reads those too, each on its own).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from infoscope.errors import BadParameterError, InfoscopeError
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "ITEMS",
    "ActorsRun",
    "NarrativesRun",
    "QuotesRun",
    "SyndicationRun",
    "TechniquesRun",
    "actor_relation_rows",
    "demo_actors",
    "demo_narratives",
    "demo_quotes",
    "demo_syndication",
    "demo_techniques",
    "has_main_articles",
    "load_actors",
    "load_narratives",
    "load_quotes",
    "load_syndication",
    "load_technique_file_spans",
    "load_techniques",
    "read_articles",
    "run_actors",
    "run_narratives",
    "run_quotes",
    "run_syndication",
    "run_techniques",
]


@dataclass
class SyndicationRun(AnalysisResult):
    """A stored syndication run: how many articles were linked into how many groups."""


@dataclass
class ActorsRun(AnalysisResult):
    """A stored actors run: the most mentioned actors and the strongest sentence pairs, with
    their PMI, NPMI and evidence sentences."""

    top_actors: list[dict[str, Any]] = field(default_factory=list)
    top_pairs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class QuotesRun(AnalysisResult):
    """A stored quotes run: the most quoted sources, and the first quotes."""

    sources: list[dict[str, Any]] = field(default_factory=list)
    examples: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class NarrativesRun(AnalysisResult):
    """A stored narratives run: the profiles of its narratives."""

    narratives: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class TechniquesRun(AnalysisResult):
    """A stored techniques run: spans per technique (``counts``) and the most confident spans,
    each with up to 120 characters of its text's context on each side (``top``)."""

    counts: list[dict[str, Any]] = field(default_factory=list)
    top: list[dict[str, Any]] = field(default_factory=list)


ITEMS = ("main", "all")


def _items_where(items: str) -> str:
    if items not in ITEMS:
        raise BadParameterError(f"items must be one of {', '.join(ITEMS)}, got {items!r}")
    # Articles stored before pages had items (item_kind NULL) were each a page's one article.
    return "" if items == "all" else " AND coalesce(item_kind, 'main') IN ('main', 'repost')"


def read_articles(
    store: Store, *, dedupe: bool = True, items: str = "main"
) -> list[dict[str, Any]]:
    """Every stored article with text (article_id, title, text, outlet, published, lang);
    with `dedupe`, one article per syndication group of the latest syndication run. `items`:
    ``"main"`` reads main items and reposts (a page's own story, an article reposted on an
    aggregator page), ``"all"`` also the secondary items (teasers, sidebar posts, related
    stories)."""
    where = "text IS NOT NULL AND length(trim(text)) > 0" + _items_where(items)
    args: list[Any] = []
    run_id = store.latest_run_id("articles-syndication")
    if dedupe and run_id is not None:
        where += (
            " AND article_id NOT IN (SELECT article_id FROM article_syndication "
            "WHERE run_id = ? AND article_id <> group_id)"
        )
        args.append(run_id)
    cur = store.con.execute(
        f"SELECT article_id, title, text, outlet, published, lang FROM articles WHERE {where} "
        "ORDER BY article_id",
        args,
    )
    names = [d[0] for d in cur.description]
    rows = [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    if not rows:
        raise InfoscopeError(
            f"store {store.path} has no articles with text: ingest some first "
            "(infoscope articles ingest FILE... or infoscope ingest --format html-article FILE)"
        )
    return rows


def _stored(
    store: Store,
    command: str,
    params: dict[str, Any],
    articles: list[dict[str, Any]],
    work: Callable[[str], dict[str, Any]],
    *,
    seed: int,
) -> str:
    """Run `work` (which stores the rows of the run id it is given) as a run of `command`."""
    with store.run(command, params, seed=seed) as run:
        started = time.perf_counter()
        counts = work(run.run_id)
        counts["articles"] = len(articles)
        counts["seconds"] = round(time.perf_counter() - started, 3)
        run.counts = counts
    return run.run_id


def _rows(store: Store, sql: str, args: list[Any]) -> list[dict[str, Any]]:
    cur = store.con.execute(sql, args)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def run_narratives(
    store: Store,
    *,
    unit: str = "sentence",
    distance_threshold: float = 0.55,
    min_size: int = 4,
    min_articles: int = 2,
    period: str = "month",
    seed: int = 0,
    top: int = 20,
    items: str = "main",
) -> NarrativesRun:
    """Find narratives in the stored articles and store them; returns the run with its `top`
    narratives."""
    from infoscope.articles.narratives import find_narratives

    articles = read_articles(store, items=items)

    def work(run_id: str) -> dict[str, Any]:
        found = find_narratives(
            articles, unit=unit, distance_threshold=distance_threshold, min_size=min_size,
            min_articles=min_articles, period=period, seed=seed,
        )  # fmt: skip
        units = found.units.append_column(
            "run_id", pa.array([run_id] * found.units.num_rows, pa.string())
        )
        store.insert("narrative_units", units)
        profiles = pa.table(
            {
                "run_id": pa.array([run_id] * len(found.narratives), pa.string()),
                "narrative": pa.array([n["narrative"] for n in found.narratives], pa.int64()),
                "profile": pa.array(
                    [json.dumps(n, ensure_ascii=False, default=str) for n in found.narratives],
                    pa.string(),
                ),
            }
        )
        store.insert("narratives", profiles)
        assigned = sum(1 for n in found.units.column("narrative").to_pylist() if n >= 0)
        return {
            "units": found.units.num_rows,
            "narratives": len(found.narratives),
            "units_in_narratives": assigned,
        }

    params = {
        "unit": unit, "distance_threshold": distance_threshold, "min_size": min_size,
        "min_articles": min_articles, "period": period, "items": items,
    }  # fmt: skip
    run_id = _stored(store, "articles-narratives", params, articles, work, seed=seed)
    return load_narratives(store, run_id, top=top)


def load_narratives(store: Store, run_id: str | None = None, *, top: int = 20) -> NarrativesRun:
    """A stored narratives run (the latest by default) with its first `top` narratives."""
    run = store.completed_run("articles-narratives", run_id)
    profiles = [
        json.loads(p)
        for (p,) in store.con.execute(
            "SELECT profile FROM narratives WHERE run_id = ? ORDER BY narrative LIMIT ?",
            [run.run_id, top],
        ).fetchall()
    ]
    return NarrativesRun(run.run_id, run.counts, profiles)


def run_syndication(store: Store, *, threshold: float = 0.8, seed: int = 0) -> SyndicationRun:
    """Link syndicated copies (near-duplicate article texts) and store the groups; later
    article analyses read one article per group."""
    from infoscope.articles.syndication import link_syndicated

    articles = read_articles(store, dedupe=False)

    def work(run_id: str) -> dict[str, Any]:
        groups = link_syndicated(store, threshold=threshold, seed=seed)
        groups = groups.append_column("run_id", pa.array([run_id] * groups.num_rows, pa.string()))
        store.insert("article_syndication", groups)
        ids = groups.column("group_id").to_pylist()
        return {"linked_articles": groups.num_rows, "groups": len(set(ids))}

    params = {"threshold": threshold}
    run_id = _stored(store, "articles-syndication", params, articles, work, seed=seed)
    return load_syndication(store, run_id)


def load_syndication(store: Store, run_id: str | None = None) -> SyndicationRun:
    """A stored syndication run (the latest by default)."""
    run = store.completed_run("articles-syndication", run_id)
    return SyndicationRun(run.run_id, run.counts)


def _with_run(table: pa.Table, run_id: str) -> pa.Table:
    return table.append_column("run_id", pa.array([run_id] * table.num_rows, pa.string()))


def run_actors(
    store: Store,
    *,
    aliases: str | None = None,
    min_count: int = 2,
    evidence: int = 3,
    seed: int = 0,
    top: int = 20,
    items: str = "main",
) -> ActorsRun:
    """Actor mentions (resolved through the alias table: the shipped one, extended or
    overridden by `aliases`) and their co-occurrence relations at sentence and article level,
    stored; returns the run with its `top` actors and sentence pairs. Extraction is
    deterministic: `seed` is recorded for provenance only."""
    from infoscope.articles.actors import extract_actors, load_aliases
    from infoscope.articles.relations import actor_relations

    articles = read_articles(store, items=items)
    table = load_aliases(aliases) if aliases else None

    def work(run_id: str) -> dict[str, Any]:
        mentions = extract_actors(
            [
                {"article_id": a["article_id"], "text": a["text"], "lang": a["lang"]}
                for a in articles
            ],
            aliases=table,
        )
        stored = mentions.select(
            ["article_id", "sentence", "sentence_start", "sentence_end", "mention", "start",
             "end", "entity_type", "actor", "actor_kind", "resolution", "affiliation", "role"]
        ).rename_columns(
            ["article_id", "sentence", "sentence_start", "sentence_end", "mention", "start",
             "end", "entity_type", "actor", "actor_kind", "resolved_by", "affiliation", "role"]
        )  # fmt: skip
        store.insert("article_mentions", _with_run(stored, run_id))
        pairs = 0
        for level in ("sentence", "article"):
            found = actor_relations(mentions, level=level, min_count=min_count, evidence=evidence)
            rows = pa.table(
                {
                    "level": found.column("level"),
                    "actor_a": found.column("actor_a"),
                    "actor_b": found.column("actor_b"),
                    "count": found.column("count"),
                    "pmi": found.column("pmi"),
                    "npmi": found.column("npmi"),
                    "evidence": pa.array(
                        [
                            json.dumps(e, ensure_ascii=False)
                            for e in found.column("evidence").to_pylist()
                        ],
                        pa.string(),
                    ),
                }
            )
            store.insert("actor_relations", _with_run(rows, run_id))
            pairs += rows.num_rows
        return {
            "mentions": mentions.num_rows,
            "actors": len(set(mentions.column("actor").to_pylist())),
            "relations": pairs,
        }

    params = {"aliases": aliases, "min_count": min_count, "evidence": evidence, "items": items}
    run_id = _stored(store, "articles-actors", params, articles, work, seed=seed)
    return load_actors(store, run_id, top=top)


def load_actors(store: Store, run_id: str | None = None, *, top: int = 20) -> ActorsRun:
    """A stored actors run (the latest by default) with its `top` actors (most mentions) and
    `top` sentence-level pairs (most sentences, then NPMI)."""
    run = store.completed_run("articles-actors", run_id)
    actors = _rows(
        store,
        "SELECT actor, min(actor_kind) AS kind, count(*) AS mentions, "
        "count(DISTINCT article_id) AS articles FROM article_mentions WHERE run_id = ? "
        "GROUP BY actor ORDER BY mentions DESC, actor LIMIT ?",
        [run.run_id, top],
    )
    pairs = _rows(
        store,
        "SELECT level, actor_a, actor_b, count, pmi, npmi, evidence FROM actor_relations "
        "WHERE run_id = ? AND level = 'sentence' "
        "ORDER BY count DESC, npmi DESC, actor_a, actor_b LIMIT ?",
        [run.run_id, top],
    )
    for pair in pairs:
        pair["evidence"] = json.loads(pair["evidence"]) if pair["evidence"] else []
    return ActorsRun(run.run_id, run.counts, actors, pairs)


def actor_relation_rows(store: Store, run_id: str | None = None) -> list[tuple[Any, ...]]:
    """Every relation of an actors run (the latest by default): level, actor_a, actor_b,
    count, pmi, npmi and evidence (JSON text), sentence level first, strongest first."""
    run = store.completed_run("articles-actors", run_id)
    return list(
        store.con.execute(
            "SELECT level, actor_a, actor_b, count, pmi, npmi, evidence FROM actor_relations "
            "WHERE run_id = ? ORDER BY level DESC, count DESC, actor_a, actor_b",
            [run.run_id],
        ).fetchall()
    )


def run_quotes(
    store: Store,
    *,
    aliases: str | None = None,
    pronouns: bool = True,
    seed: int = 0,
    top: int = 20,
    items: str = "main",
) -> QuotesRun:
    """Who is quoted or cited in the stored articles, with role, affiliation and the medium
    named; stored; returns the run with its `top` sources. Extraction is deterministic: `seed`
    is recorded for provenance only."""
    from infoscope.articles.actors import load_aliases
    from infoscope.articles.quotes import extract_quotes

    articles = read_articles(store, items=items)
    table = load_aliases(aliases) if aliases else None

    def work(run_id: str) -> dict[str, Any]:
        texts = [{k: a[k] for k in ("article_id", "text", "lang")} for a in articles]
        found = extract_quotes(texts, aliases=table, pronouns=pronouns)
        starts = [
            q if q is not None else s
            for q, s in zip(
                found.column("quote_start").to_pylist(),
                found.column("sentence_start").to_pylist(),
                strict=True,
            )
        ]
        ends = [
            q if q is not None else s
            for q, s in zip(
                found.column("quote_end").to_pylist(),
                found.column("sentence_end").to_pylist(),
                strict=True,
            )
        ]
        rows = pa.table(
            {
                "article_id": found.column("article_id"),
                "sentence": found.column("sentence").cast(pa.int64()),
                "start": pa.array(starts, pa.int64()),
                "end": pa.array(ends, pa.int64()),
                "speaker": found.column("speaker"),
                "actor": found.column("actor"),
                "affiliation": found.column("affiliation"),
                "verb": found.column("verb"),
                "medium": found.column("outlet"),
                "quote": found.column("quote"),
                "pattern": found.column("cue"),
                "speaker_written": found.column("speaker_written"),
                "speaker_reason": found.column("speaker_reason"),
            }
        )
        store.insert("article_quotes", _with_run(rows, run_id))
        return {
            "quotes": found.num_rows,
            "sources": len({a for a in found.column("actor").to_pylist() if a}),
        }

    params = {"aliases": aliases, "pronouns": pronouns, "items": items}
    run_id = _stored(store, "articles-quotes", params, articles, work, seed=seed)
    return load_quotes(store, run_id, top=top)


def load_quotes(store: Store, run_id: str | None = None, *, top: int = 20) -> QuotesRun:
    """A stored quotes run (the latest by default) with its `top` sources (most quotes)."""
    run = store.completed_run("articles-quotes", run_id)
    sources = _rows(
        store,
        "SELECT coalesce(q.actor, q.speaker) AS source, count(*) AS quotes, "
        "count(DISTINCT q.article_id) AS articles, count(DISTINCT a.outlet) AS outlets, "
        "min(q.affiliation) AS affiliation "
        "FROM article_quotes q LEFT JOIN articles a USING (article_id) WHERE q.run_id = ? "
        "AND coalesce(q.actor, q.speaker) IS NOT NULL GROUP BY ALL "
        "ORDER BY quotes DESC, source LIMIT ?",
        [run.run_id, top],
    )
    examples = _rows(
        store,
        "SELECT article_id, speaker, affiliation, verb, medium, quote FROM article_quotes "
        "WHERE run_id = ? AND quote IS NOT NULL ORDER BY article_id, start LIMIT ?",
        [run.run_id, top],
    )
    return QuotesRun(run.run_id, run.counts, sources, examples)


def run_techniques(
    store: Store,
    *,
    threshold: float | None = None,
    flags_per_1000_words: float | None = None,
    model: str | None = None,
    seed: int = 0,
    top: int = 20,
    items: str = "main",
) -> TechniquesRun:
    """Propaganda technique spans in the stored articles, detected on each article's title
    and text together, stored with their confidence; returns the run with its `top` most
    confident spans. Offsets count from the start of ``articles.text``; a span of the
    title has negative offsets (see `infoscope.articles.techniques.semeval`).

    `model`: a registered model name (``fast``, the default) or a folder written by
    ``train-techniques``. `threshold`: the lowest calibrated fragment confidence kept
    (default the model's span-F1-best one), or `flags_per_1000_words`: the model's
    operating point for that many flags per 1,000 words. Detection is deterministic:
    `seed` is recorded for provenance only."""
    from infoscope.articles.techniques import Article, detect_techniques, resolve_technique_model
    from infoscope.articles.techniques.semeval import article_document

    detector = resolve_technique_model(model)
    articles = read_articles(store, items=items)

    def work(run_id: str) -> dict[str, Any]:
        documents = [article_document(a["title"], a["text"]) for a in articles]
        found = detect_techniques(
            [
                Article(a["article_id"], doc)
                for a, (doc, _) in zip(articles, documents, strict=True)
            ],
            model=detector,
            span_threshold=threshold,
            flags_per_1000_words=flags_per_1000_words,
        )
        rows: dict[str, list[Any]] = {
            k: [] for k in ("article_id", "technique", "start", "end", "text", "confidence")
        }
        for a, (_, at), result in zip(articles, documents, found, strict=True):
            for span in result["spans"]:
                rows["article_id"].append(a["article_id"])
                rows["start"].append(span["start"] - at)
                rows["end"].append(span["end"] - at)
                for key in ("technique", "text", "confidence"):
                    rows[key].append(span[key])
        table = pa.table(
            {
                "article_id": pa.array(rows["article_id"], pa.string()),
                "technique": pa.array(rows["technique"], pa.string()),
                "start": pa.array(rows["start"], pa.int64()),
                "end": pa.array(rows["end"], pa.int64()),
                "text": pa.array(rows["text"], pa.string()),
                "confidence": pa.array(rows["confidence"], pa.float64()),
            }
        )
        store.insert("article_techniques", _with_run(table, run_id))
        per = Counter(rows["technique"])
        words = sum(count_words(doc) for doc, _ in documents)
        return {
            "spans": table.num_rows,
            "articles_with_spans": len(set(rows["article_id"])),
            "title_spans": sum(1 for s in rows["start"] if s < 0),
            "flags_per_1000_words": round(1000 * table.num_rows / max(words, 1), 2),
            "techniques": dict(per.most_common()),
        }

    from infoscope.articles.techniques import count_words

    params = {
        "threshold": threshold,
        "flags_per_1000_words": flags_per_1000_words,
        "model": model or "fast",
        "model_sha256": getattr(detector, "fingerprint_", None),
        "items": items,
    }
    run_id = _stored(store, "articles-techniques", params, articles, work, seed=seed)
    return load_techniques(store, run_id, top=top)


def load_technique_file_spans(
    store: Store, run_id: str | None = None
) -> list[tuple[str, str, int, int]]:
    """The spans of a stored techniques run (the latest by default) as (article id,
    technique, start, end) with offsets of the article's source file
    (`infoscope.articles.techniques.semeval.to_file_offsets`): what the task's SI and TC
    files hold."""
    from infoscope.articles.techniques.semeval import to_file_offsets

    run = store.completed_run("articles-techniques", run_id)
    found = store.con.execute(
        'SELECT t.article_id, t.technique, t.start, t."end", a.raw FROM article_techniques t '
        "LEFT JOIN articles a USING (article_id) WHERE t.run_id = ? "
        'ORDER BY t.article_id, t.start, t."end", t.technique',
        [run.run_id],
    ).fetchall()
    out = []
    for aid, technique, s, e, raw in found:
        fs, fe = to_file_offsets(int(s), int(e), raw)
        out.append((aid, technique, fs, fe))
    return out


def load_techniques(store: Store, run_id: str | None = None, *, top: int = 20) -> TechniquesRun:
    """A stored techniques run (the latest by default) with its `top` most confident spans,
    each with up to 120 characters of context on each side, cut at line ends (a span of
    the title is shown in the title)."""
    from infoscope.articles.techniques.semeval import article_document

    run = store.completed_run("articles-techniques", run_id)
    counts = _rows(
        store,
        "SELECT technique, count(*) AS spans, count(DISTINCT article_id) AS articles, "
        "avg(confidence) AS mean_confidence FROM article_techniques WHERE run_id = ? "
        "GROUP BY ALL ORDER BY spans DESC, technique",
        [run.run_id],
    )
    spans = _rows(
        store,
        'SELECT t.article_id, a.title, t.technique, t.start, t."end", t.text, t.confidence, '
        "a.text AS article_text FROM article_techniques t LEFT JOIN articles a "
        "USING (article_id) WHERE t.run_id = ? "
        "ORDER BY t.confidence DESC, t.article_id, t.start LIMIT ?",
        [run.run_id, top],
    )
    for span in spans:
        doc, at = article_document(span["title"], span.pop("article_text") or "")
        s, e = span["start"] + at, span["end"] + at
        before = doc[max(s - 120, 0) : s]
        after = doc[e : e + 120]
        span["before"] = before.rsplit("\n", 1)[-1]
        span["after"] = after.split("\n", 1)[0]
    return TechniquesRun(run.run_id, run.counts, counts, spans)


def has_main_articles(store: Store) -> bool:
    """Whether the store has main items (or reposts) with text: what the analyses read."""
    row = store.con.execute(
        "SELECT count(*) FROM articles WHERE text IS NOT NULL AND length(trim(text)) > 0"
        + _items_where("main")
    ).fetchone()
    return bool(row and row[0])


def _has_articles(store: Store) -> bool:
    return has_main_articles(store)


def _demo(
    store: Store, context: DemoContext, what: str, run: Callable[[], AnalysisResult]
) -> DemoStep | None:
    if not _has_articles(store):
        return None
    context.say(what)
    result = run()
    counts = {k: v for k, v in result.summary.items() if k != "seconds"}
    text = ", ".join(
        f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items() if isinstance(v, int)
    )
    return DemoStep(result, counts, text + ".")


def demo_syndication(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when the store has articles: syndicated copies linked."""
    return _demo(
        store, context, "linking syndicated articles",
        lambda: run_syndication(store, seed=context.seed),
    )  # fmt: skip


def demo_actors(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when the store has articles: actors and their relations."""
    return _demo(
        store, context, "finding actors in articles",
        lambda: run_actors(store, seed=context.seed),
    )  # fmt: skip


def demo_quotes(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when the store has articles: quotes and sources."""
    return _demo(
        store, context, "finding quotes in articles",
        lambda: run_quotes(store, seed=context.seed),
    )  # fmt: skip


def demo_narratives(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when the store has articles: narratives (small clusters allowed)."""
    return _demo(
        store, context, "finding narratives in articles",
        lambda: run_narratives(store, min_size=2, seed=context.seed),
    )  # fmt: skip


def demo_techniques(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when the store has articles: propaganda technique spans."""
    return _demo(
        store, context, "detecting propaganda techniques",
        lambda: run_techniques(store, seed=context.seed),
    )  # fmt: skip
