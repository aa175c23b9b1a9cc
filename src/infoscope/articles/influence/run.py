"""The influence graph as a stored run (``articles-influence``): `run_influence` reads the
latest events and quotes runs, the reposts and posts of the store and the alias table's
``@handle`` aliases, builds the graph (`infoscope.articles.influence.graph`), ranks it and
stores its nodes, edges and evidence; `load_influence` reads a run back."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from infoscope.articles.run import _rows
from infoscope.errors import NotFoundError
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = ["InfluenceRun", "demo_influence", "edge_evidence", "load_influence", "run_influence"]

COMMAND = "articles-influence"
_TS = pa.timestamp("us", tz="UTC")


@dataclass
class InfluenceRun(AnalysisResult):
    """A stored influence run: its `top` central nodes (PageRank), its `top` edges (weight)
    with up to three pieces of evidence each, its communities and its expert circuits."""

    central: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    communities: list[dict[str, Any]] = field(default_factory=list)
    circuits: list[dict[str, Any]] = field(default_factory=list)


def _read_inputs(store: Store, events_run: str | None, quotes_run: str | None) -> dict[str, Any]:
    events = (
        _rows(
            store,
            "SELECT e.source, e.target, e.verb, e.negated, e.modality, e.quad_class, "
            "e.article_id, a.outlet, a.published, substring(a.text, e.sentence_start + 1, "
            "e.sentence_end - e.sentence_start) AS sentence FROM article_events e "
            "LEFT JOIN articles a USING (article_id) WHERE e.run_id = ? "
            "ORDER BY e.article_id, e.verb_start, e.source, e.target",
            [events_run],
        )
        if events_run
        else []
    )
    quotes = (
        _rows(
            store,
            "SELECT q.actor, a.outlet, q.article_id, a.published, q.verb, q.quote "
            "FROM article_quotes q LEFT JOIN articles a USING (article_id) "
            "WHERE q.run_id = ? AND q.actor IS NOT NULL ORDER BY q.article_id, q.start",
            [quotes_run],
        )
        if quotes_run
        else []
    )
    reposts = _rows(
        store,
        "SELECT DISTINCT l.target_id AS handle, l.article_id, a.title, a.outlet, a.published "
        "FROM article_links l JOIN articles a USING (article_id) "
        "WHERE l.relation = 'reposted_by' ORDER BY l.article_id, handle",
        [],
    )
    shares = _rows(
        store,
        "SELECT DISTINCT p.account_handle AS handle, a.article_id, a.title, a.outlet, "
        "p.created_at AS published, p.text FROM posts p JOIN articles a "
        "ON a.url IS NOT NULL AND list_contains(p.urls, a.url) "
        "WHERE p.account_handle IS NOT NULL ORDER BY a.article_id, handle, published",
        [],
    )
    accounts = _rows(
        store,
        "SELECT DISTINCT handle, display_name FROM accounts WHERE handle IS NOT NULL "
        "AND display_name IS NOT NULL ORDER BY handle",
        [],
    )
    return {
        "events": events, "quotes": quotes, "reposts": reposts, "shares": shares,
        "accounts": accounts,
    }  # fmt: skip


def run_influence(
    store: Store,
    *,
    aliases: str | None = None,
    min_outlets: int = 2,
    resolution: float = 1.0,
    runs: int = 5,
    seed: int = 0,
    top: int = 20,
) -> InfluenceRun:
    """The influence graph of the store (see `infoscope.articles.influence.graph`), stored:
    events from the latest ``articles-events`` run, quotes from the latest ``articles-quotes``
    run (at least one of them must exist), reposts and posts sharing an article's URL, and
    channels from the ``@handle`` aliases of the alias table (the shipped one extended by
    `aliases`) and the accounts' display names. Communities: Leiden (`resolution`, best of
    `runs` runs seeded from `seed`)."""
    from infoscope.articles.actors import load_aliases
    from infoscope.articles.influence.graph import build_influence_graph, rank_influence

    events_run = store.latest_run_id("articles-events")
    quotes_run = store.latest_run_id("articles-quotes")
    if events_run is None and quotes_run is None:
        raise NotFoundError(
            f"store {store.path} has no events or quotes run yet: run `infoscope articles "
            "events` and `infoscope articles quotes` first"
        )
    handles = {
        alias.lstrip("@").lower(): canonical
        for alias, canonical, _ in load_aliases(aliases).rows()
        if alias.startswith("@")
    }
    params = {
        "aliases": aliases, "min_outlets": min_outlets, "resolution": resolution, "runs": runs,
        "events_run": events_run, "quotes_run": quotes_run,
    }  # fmt: skip
    with store.run(COMMAND, params, seed=seed) as run:
        inputs = _read_inputs(store, events_run, quotes_run)
        graph = build_influence_graph(**inputs, handles=handles, min_outlets=min_outlets)
        nodes = rank_influence(graph, resolution=resolution, runs=runs, seed=seed)
        store.insert("influence_nodes", _table(nodes, run.run_id, _NODE_SCHEMA))
        edges = [{**e, "periods": json.dumps(e["periods"])} for e in graph.edges]
        store.insert("influence_edges", _table(edges, run.run_id, _EDGE_SCHEMA))
        store.insert("influence_evidence", _table(graph.evidence, run.run_id, _EVIDENCE_SCHEMA))
        kinds: dict[str, int] = {}
        for e in graph.edges:
            kinds[e["kind"]] = kinds.get(e["kind"], 0) + 1
        run.counts = {
            "nodes": len(nodes),
            "edges": len(graph.edges),
            "evidence": len(graph.evidence),
            "communities": len({n["community"] for n in nodes}),
            "circuit_sources": sum(bool(n["circuit"]) for n in nodes),
            "edge_kinds": dict(sorted(kinds.items())),
        }
    return load_influence(store, run.run_id, top=top)


_NODE_SCHEMA = pa.schema(
    [("node", pa.string()), ("kind", pa.string()), ("label", pa.string()),
     ("community", pa.int64()), ("pagerank", pa.float64()), ("in_strength", pa.float64()),
     ("out_strength", pa.float64()), ("outlets", pa.int64()), ("circuit", pa.bool_())]
)  # fmt: skip
_EDGE_SCHEMA = pa.schema(
    [("source", pa.string()), ("target", pa.string()), ("kind", pa.string()),
     ("quad_class", pa.string()), ("weight", pa.int64()), ("articles", pa.int64()),
     ("first_seen", _TS), ("last_seen", _TS), ("periods", pa.string())]
)  # fmt: skip
_EVIDENCE_SCHEMA = pa.schema(
    [("source", pa.string()), ("target", pa.string()), ("kind", pa.string()),
     ("quad_class", pa.string()), ("article_id", pa.string()), ("outlet", pa.string()),
     ("published", _TS), ("action", pa.string()), ("text", pa.string())]
)  # fmt: skip


def _table(rows: list[dict[str, Any]], run_id: str, schema: pa.Schema) -> pa.Table:
    table = pa.Table.from_pylist([{k: r.get(k) for k in schema.names} for r in rows], schema)
    return table.append_column("run_id", pa.array([run_id] * table.num_rows, pa.string()))


def edge_evidence(
    store: Store, run_id: str, edges: list[dict[str, Any]], *, per_edge: int = 3
) -> list[dict[str, Any]]:
    """`edges` with up to `per_edge` pieces of evidence each (oldest first)."""
    found = _rows(
        store,
        "SELECT source, target, kind, coalesce(quad_class, '') AS quad, article_id, outlet, "
        "CAST(published AS VARCHAR) AS published, action, text FROM (SELECT *, row_number() "
        "OVER (PARTITION BY source, target, kind, quad_class ORDER BY published NULLS LAST, "
        "article_id, text) AS k FROM influence_evidence WHERE run_id = ?) WHERE k <= ? "
        "ORDER BY source, target, kind, quad, k",
        [run_id, per_edge],
    )
    by_edge: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in found:
        key = (r.pop("source"), r.pop("target"), r.pop("kind"), r.pop("quad"))
        by_edge.setdefault(key, []).append(r)
    return [
        {**e, "evidence": by_edge.get(
            (e["source"], e["target"], e["kind"], e["quad_class"] or ""), [])}
        for e in edges
    ]  # fmt: skip


def load_influence(store: Store, run_id: str | None = None, *, top: int = 20) -> InfluenceRun:
    """A stored influence run (the latest by default): the `top` nodes by PageRank, the `top`
    edges by weight with their evidence, each community's size and leading members, and the
    sources on an expert circuit with the outlets quoting them."""
    run = store.completed_run(COMMAND, run_id)
    rid = run.run_id
    central = _rows(
        store,
        "SELECT node, kind, label, community, pagerank, in_strength, out_strength, outlets, "
        "circuit FROM influence_nodes WHERE run_id = ? ORDER BY pagerank DESC, node LIMIT ?",
        [rid, top],
    )
    edges = _rows(
        store,
        "SELECT source, target, kind, quad_class, weight, articles, "
        "CAST(first_seen AS VARCHAR) AS first_seen, CAST(last_seen AS VARCHAR) AS last_seen, "
        "periods FROM influence_edges WHERE run_id = ? "
        "ORDER BY weight DESC, source, target, kind, quad_class LIMIT ?",
        [rid, top],
    )
    for e in edges:
        e["periods"] = json.loads(e["periods"]) if e["periods"] else {}
    communities = _rows(
        store,
        "SELECT community, count(*) AS size, list(label ORDER BY pagerank DESC, node)[1:5] "
        "AS leading FROM influence_nodes WHERE run_id = ? GROUP BY community "
        "ORDER BY size DESC, community LIMIT ?",
        [rid, top],
    )
    circuits = _rows(
        store,
        "SELECT n.label AS source, n.outlets, list(DISTINCT e.source ORDER BY e.source) AS "
        "outlet_nodes FROM influence_nodes n JOIN influence_edges e ON e.run_id = n.run_id "
        "AND e.target = n.node AND e.kind = 'quotes' WHERE n.run_id = ? AND n.circuit "
        "GROUP BY ALL ORDER BY n.outlets DESC, source LIMIT ?",
        [rid, top],
    )
    for c in circuits:
        c["outlets_quoting"] = [o.removeprefix("outlet:") for o in c.pop("outlet_nodes")]
    return InfluenceRun(
        rid, run.counts, central, edge_evidence(store, rid, edges), communities, circuits
    )


def demo_influence(store: Store, context: DemoContext) -> DemoStep | None:
    """The demo's step when an events or quotes run exists: the influence graph."""
    if not any(store.latest_run_id(c) for c in ("articles-events", "articles-quotes")):
        return None
    context.say("building the influence graph")
    result = run_influence(store, seed=context.seed)
    counts = {k: v for k, v in result.summary.items() if isinstance(v, int)}
    text = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in counts.items())
    return DemoStep(result, counts, text + ".")
