"""Article analyses as stored runs: each reads the store's ``articles`` and writes its table.

- `run_actors`: actor mentions (`infoscope.articles.actors`) into ``article_mentions``, and
  their co-occurrence relations at sentence and article level into ``actor_relations``;
- `run_quotes`: quotes and cited sources into ``article_quotes``;
- `run_narratives`: narratives into ``narratives`` and ``narrative_units``;
- `run_techniques`: propaganda-technique spans into ``article_techniques``;
- `run_syndication`: near-duplicate (syndicated) articles into ``article_syndication``.

Every run records its parameters, seed and an input fingerprint (the article ids and text
lengths) in ``runs``; syndicated copies count once in narratives, relations and quotes (only
the first article of each syndication group of the latest syndication run is read).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import pyarrow as pa

from infoscope.errors import InfoscopeError
from infoscope.store import Store


def read_articles(store: Store, *, dedupe: bool = True) -> list[dict[str, Any]]:
    """Every stored article with text (article_id, title, text, outlet, published, lang);
    with `dedupe`, one article per syndication group of the latest syndication run."""
    where = "text IS NOT NULL AND length(trim(text)) > 0"
    args: list[Any] = []
    run_id = store.latest_run_id("articles-syndication", "article_syndication")
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


def _fingerprint(articles: list[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for a in articles:
        digest.update(f"{a['article_id']}\t{len(a['text'] or '')}\n".encode())
    return digest.hexdigest()[:32]


def _stored(
    store: Store,
    command: str,
    params: dict[str, Any],
    articles: list[dict[str, Any]],
    work: Callable[[str], dict[str, Any]],
    *,
    seed: int | None = None,
) -> tuple[str, dict[str, Any]]:
    run_id = store.begin_run(command, params, input_fingerprint=_fingerprint(articles), seed=seed)
    try:
        started = time.perf_counter()
        counts = work(run_id)
        counts["articles"] = len(articles)
        counts["seconds"] = round(time.perf_counter() - started, 3)
    except BaseException:
        store.end_run(run_id, status="failed", counts={})
        raise
    store.end_run(run_id, status="completed", counts=counts)
    return run_id, counts


def _insert(store: Store, table: str, data: pa.Table) -> None:
    with store.transaction() as con:
        con.register("_rows", data)
        try:
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _rows")
        finally:
            con.unregister("_rows")


def run_narratives(
    store: Store,
    *,
    unit: str = "sentence",
    distance_threshold: float = 0.55,
    min_size: int = 4,
    min_articles: int = 2,
    period: str = "month",
    seed: int = 0,
) -> tuple[str, dict[str, Any]]:
    """Find narratives in the stored articles and store them; returns (run id, summary)."""
    from infoscope.articles.narratives import find_narratives

    articles = read_articles(store)

    def work(run_id: str) -> dict[str, Any]:
        found = find_narratives(
            articles, unit=unit, distance_threshold=distance_threshold, min_size=min_size,
            min_articles=min_articles, period=period, seed=seed,
        )  # fmt: skip
        units = found.units.append_column(
            "run_id", pa.array([run_id] * found.units.num_rows, pa.string())
        )
        _insert(store, "narrative_units", units)
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
        _insert(store, "narratives", profiles)
        assigned = sum(1 for n in found.units.column("narrative").to_pylist() if n >= 0)
        return {
            "units": found.units.num_rows,
            "narratives": len(found.narratives),
            "units_in_narratives": assigned,
        }

    params = {
        "unit": unit, "distance_threshold": distance_threshold, "min_size": min_size,
        "min_articles": min_articles, "period": period,
    }  # fmt: skip
    return _stored(store, "articles-narratives", params, articles, work, seed=seed)


def run_syndication(
    store: Store, *, threshold: float = 0.8, seed: int = 0
) -> tuple[str, dict[str, Any]]:
    """Link syndicated copies (near-duplicate article texts) and store the groups; later
    article analyses read one article per group."""
    from infoscope.articles.syndication import link_syndicated

    articles = read_articles(store, dedupe=False)

    def work(run_id: str) -> dict[str, Any]:
        groups = link_syndicated(store, threshold=threshold, seed=seed)
        groups = groups.append_column("run_id", pa.array([run_id] * groups.num_rows, pa.string()))
        _insert(store, "article_syndication", groups)
        ids = groups.column("group_id").to_pylist()
        return {"linked_articles": groups.num_rows, "groups": len(set(ids))}

    return _stored(
        store, "articles-syndication", {"threshold": threshold}, articles, work, seed=seed
    )


def _with_run(table: pa.Table, run_id: str) -> pa.Table:
    return table.append_column("run_id", pa.array([run_id] * table.num_rows, pa.string()))


def run_actors(
    store: Store,
    *,
    aliases: str | None = None,
    min_count: int = 2,
    evidence: int = 3,
) -> tuple[str, dict[str, Any]]:
    """Actor mentions (resolved through the alias table: the shipped one, extended or
    overridden by `aliases`) and their co-occurrence relations at sentence and article level,
    stored; returns (run id, summary)."""
    from infoscope.articles.actors import extract_actors, load_aliases
    from infoscope.articles.relations import actor_relations

    articles = read_articles(store)
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
             "end", "entity_type", "actor", "actor_kind", "resolution"]
        ).rename_columns(
            ["article_id", "sentence", "sentence_start", "sentence_end", "mention", "start",
             "end", "entity_type", "actor", "actor_kind", "resolved_by"]
        )  # fmt: skip
        _insert(store, "article_mentions", _with_run(stored, run_id))
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
            _insert(store, "actor_relations", _with_run(rows, run_id))
            pairs += rows.num_rows
        return {
            "mentions": mentions.num_rows,
            "actors": len(set(mentions.column("actor").to_pylist())),
            "relations": pairs,
        }

    params = {"aliases": aliases, "min_count": min_count, "evidence": evidence}
    return _stored(store, "articles-actors", params, articles, work)


def run_quotes(
    store: Store, *, aliases: str | None = None, pronouns: bool = True
) -> tuple[str, dict[str, Any]]:
    """Who is quoted or cited in the stored articles, with role, affiliation and the medium
    named; stored; returns (run id, summary)."""
    from infoscope.articles.actors import load_aliases
    from infoscope.articles.quotes import extract_quotes

    articles = read_articles(store)
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
            }
        )
        _insert(store, "article_quotes", _with_run(rows, run_id))
        return {
            "quotes": found.num_rows,
            "sources": len({a for a in found.column("actor").to_pylist() if a}),
        }

    return _stored(
        store, "articles-quotes", {"aliases": aliases, "pronouns": pronouns}, articles, work
    )


def run_techniques(
    store: Store, *, threshold: float | None = None, model: str | None = None
) -> tuple[str, dict[str, Any]]:
    """Propaganda technique spans in the stored articles (the shipped model, or the one
    saved in folder `model`), stored with their confidence; returns (run id, summary)."""
    from infoscope.articles.techniques import (
        TechniqueDetector,
        detect_techniques,
        load_technique_model,
    )

    detector = TechniqueDetector.load(model) if model else load_technique_model()
    articles = read_articles(store)

    def work(run_id: str) -> dict[str, Any]:
        found = detect_techniques(
            [a["text"] for a in articles], model=detector, threshold=threshold
        )
        rows: dict[str, list[Any]] = {
            k: [] for k in ("article_id", "technique", "start", "end", "text", "confidence")
        }
        for a, result in zip(articles, found, strict=True):
            for span in result["spans"]:
                rows["article_id"].append(a["article_id"])
                for key in ("technique", "start", "end", "text", "confidence"):
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
        _insert(store, "article_techniques", _with_run(table, run_id))
        per = Counter(rows["technique"])
        return {
            "spans": table.num_rows,
            "articles_with_spans": len(set(rows["article_id"])),
            "techniques": dict(per.most_common()),
        }

    params = {
        "threshold": threshold,
        "model": model or "shipped",
        "model_sha256": getattr(detector, "fingerprint_", None),
    }
    return _stored(store, "articles-techniques", params, articles, work)
