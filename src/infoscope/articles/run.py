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
