"""The events analysis as a stored run (``articles-events``): `run_events` codes the stored
articles (`infoscope.articles.events.extract.extract_events`) and stores the events and each
article's status; `load_events` reads a run back with its "who does what to whom" rows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa

from infoscope.articles.run import _rows, _stored, _with_run, has_main_articles, read_articles
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = ["EventsRun", "demo_events", "load_events", "run_events"]

_STORED = (
    "article_id", "sentence", "sentence_start", "sentence_end", "source", "source_code",
    "verb", "verb_start", "verb_end", "target", "target_code", "cameo_code", "quad_class",
    "quad_source", "negated", "modality",
)  # fmt: skip


@dataclass
class EventsRun(AnalysisResult):
    """A stored events run: events per quad class, the most frequent directed pairs and the
    first `top` events with their sentence, outlet and date."""

    quads: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    top_events: list[dict[str, Any]] = field(default_factory=list)


def run_events(
    store: Store,
    *,
    dictionaries: str | Path | None = None,
    aliases: str | None = None,
    fallback: bool = True,
    seed: int = 0,
    top: int = 20,
    items: str = "main",
) -> EventsRun:
    """Directed, typed events in the stored articles (see `infoscope.articles.events.extract`),
    stored; `dictionaries`: a folder of PETRARCH dictionaries (CAMEO verb codes and actor
    codes; without it, actors come from the actor mentions and quad classes from the
    fallback verb list); `fallback`: give verbs without a CAMEO code the fallback quad class.
    Coding is deterministic: `seed` is recorded for provenance only."""
    from infoscope.articles.actors import load_aliases
    from infoscope.articles.events.dictionaries import load_dictionaries
    from infoscope.articles.events.extract import extract_events

    loaded = load_dictionaries(dictionaries) if dictionaries is not None else None
    articles = read_articles(store, items=items)
    table = load_aliases(aliases) if aliases else None

    def work(run_id: str) -> dict[str, Any]:
        texts = [{k: a[k] for k in ("article_id", "text", "lang", "published")} for a in articles]
        found, status = extract_events(texts, dictionaries=loaded, aliases=table,
                                       fallback=fallback)  # fmt: skip
        store.insert("article_events", _with_run(found.select(list(_STORED)), run_id))
        rows = pa.Table.from_pylist(
            status,
            schema=pa.schema(
                [("article_id", pa.string()), ("lang", pa.string()), ("sentences", pa.int64()),
                 ("events", pa.int64()), ("status", pa.string()), ("reason", pa.string())]
            ),
        )  # fmt: skip
        store.insert("article_event_status", _with_run(rows, run_id))
        quads = Counter(found.column("quad_class").to_pylist())
        return {
            "events": found.num_rows,
            "coded_articles": sum(s["status"] == "coded" for s in status),
            "not_coded_articles": sum(s["status"] != "coded" for s in status),
            "with_cameo_code": sum(c is not None for c in found.column("cameo_code").to_pylist()),
            "negated": sum(bool(n) for n in found.column("negated").to_pylist()),
            "quad_classes": {str(k): v for k, v in sorted(quads.items(), key=str)},
        }

    params = {
        "dictionaries": str(dictionaries) if dictionaries is not None else None,
        "dictionary_files": list(loaded.sources) if loaded is not None else [],
        "aliases": aliases,
        "fallback": fallback,
        "items": items,
    }
    run_id = _stored(store, "articles-events", params, articles, work, seed=seed)
    return load_events(store, run_id, top=top)


def load_events(store: Store, run_id: str | None = None, *, top: int = 20) -> EventsRun:
    """A stored events run (the latest by default): events per quad class, the `top`
    directed pairs (most events) and the first `top` events (article order) with their
    sentence, outlet and date."""
    run = store.completed_run("articles-events", run_id)
    quads = _rows(
        store,
        "SELECT coalesce(quad_class, 'none') AS quad_class, count(*) AS events, "
        "count(*) FILTER (WHERE negated) AS negated FROM article_events WHERE run_id = ? "
        "GROUP BY ALL ORDER BY events DESC, quad_class",
        [run.run_id],
    )
    pairs = _rows(
        store,
        "SELECT source, target, count(*) AS events, "
        "count(DISTINCT article_id) AS articles, mode(quad_class) AS quad_class "
        "FROM article_events WHERE run_id = ? GROUP BY source, target "
        "ORDER BY events DESC, source, target LIMIT ?",
        [run.run_id, top],
    )
    events = _rows(
        store,
        "SELECT e.article_id, a.outlet, CAST(a.published AS VARCHAR) AS published, e.source, "
        "e.source_code, e.verb, e.target, e.target_code, e.cameo_code, e.quad_class, "
        "e.negated, e.modality, e.sentence_start, e.sentence_end, "
        "substring(a.text, e.sentence_start + 1, e.sentence_end - e.sentence_start) "
        "AS sentence_text FROM article_events e LEFT JOIN articles a USING (article_id) "
        "WHERE e.run_id = ? ORDER BY e.article_id, e.verb_start, e.source, e.target LIMIT ?",
        [run.run_id, top],
    )
    return EventsRun(run.run_id, run.counts, quads, pairs, events)


def demo_events(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when the store has articles: events between actors (no dictionaries:
    actors from the mentions, quad classes from the fallback verb list)."""
    if not has_main_articles(store):
        return None
    context.say("coding events between actors")
    result = run_events(store, seed=context.seed)
    counts = {k: v for k, v in result.summary.items() if k != "seconds"}
    text = ", ".join(
        f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items() if isinstance(v, int)
    )
    return DemoStep(result, counts, text + ".")
