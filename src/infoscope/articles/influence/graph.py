"""The influence graph: a typed, directed multigraph over actors, outlets, quoted sources,
accounts and articles, each edge with the evidence behind it, and its communities and
central nodes.

Nodes are named ``kind:name``. An actor of an event is ``actor:NAME``; a quoted source is the
same node when the quote resolved to a canonical actor (the node's kind is ``actor`` when it
takes part in an event, ``source`` when it is only quoted); unresolved speakers (pronouns,
fragments) are left out. Edges, one per (source, target, kind, quad class):

- ``event``: actor -> actor, from the events analysis (source, verb, target), one edge per
  quad class, weighted by the number of events;
- ``quotes``: outlet -> source, an outlet quoting or citing a source (who quotes whom);
- ``reposts``: account -> article, an article reposted by the account on an aggregator page
  (``article_links`` ``reposted_by``);
- ``shares``: account -> article, a post of the account carrying the article's URL;
- ``channel``: actor -> account, the account is the actor's own channel. Only two stated ties
  count: an alias ``@handle`` of the actor in the alias table, or an account whose display
  name is exactly the actor's name (case and spacing aside) and no other account's.

A source quoted by at least ``min_outlets`` outlets is on an *expert circuit* (``circuit``).
Every edge keeps its first and last date and its weight per month (``periods``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from infoscope.errors import BadParameterError

__all__ = [
    "EDGE_KINDS",
    "NODE_KINDS",
    "InfluenceGraph",
    "account_node",
    "actor_node",
    "build_influence_graph",
    "rank_influence",
]

NODE_KINDS: tuple[str, ...] = ("actor", "source", "outlet", "account", "article")
EDGE_KINDS: tuple[str, ...] = ("event", "quotes", "reposts", "shares", "channel")


@dataclass
class InfluenceGraph:
    """Nodes (``node, kind, label, outlets, circuit``), edges (``source, target, kind,
    quad_class, weight, articles, first_seen, last_seen, periods``) and the evidence rows
    behind the edges (``source, target, kind, quad_class, article_id, outlet, published,
    action, text``)."""

    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, Any]] = field(default_factory=list)
    evidence: list[dict[str, Any]] = field(default_factory=list)


def actor_node(name: str) -> str:
    return f"actor:{name}"


def account_node(handle: str) -> str:
    """The node of an account, by its handle (``@`` and case aside)."""
    return f"account:@{handle.strip().lstrip('@').lower()}"


def _same_name(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


def _period(published: datetime | None) -> str:
    return published.strftime("%Y-%m") if published is not None else "undated"


def build_influence_graph(
    events: Iterable[Mapping[str, Any]] = (),
    quotes: Iterable[Mapping[str, Any]] = (),
    reposts: Iterable[Mapping[str, Any]] = (),
    shares: Iterable[Mapping[str, Any]] = (),
    accounts: Iterable[Mapping[str, Any]] = (),
    *,
    handles: Mapping[str, str] | None = None,
    min_outlets: int = 2,
) -> InfluenceGraph:
    """The influence graph of rows read from the store (see the module docstring).

    `events`: ``source, target, verb, negated, modality, quad_class, article_id, outlet,
    published, sentence``; `quotes`: ``actor, outlet, article_id, published, verb, quote``;
    `reposts`: ``handle, article_id, title, outlet, published``; `shares`: ``handle,
    article_id, title, published, text``; `accounts`: ``handle, display_name``; `handles`:
    handle -> actor, the ``@handle`` aliases of the alias table. `min_outlets`: outlets that
    must quote a source for it to be on an expert circuit (at least 2)."""
    if min_outlets < 2:
        raise BadParameterError(f"min_outlets={min_outlets}: a circuit needs at least 2 outlets")
    nodes: dict[str, dict[str, Any]] = {}
    evidence: list[dict[str, Any]] = []

    def node(key: str, kind: str, label: str) -> str:
        nodes.setdefault(key, {"node": key, "kind": kind, "label": label})
        return key

    def add(source: str, target: str, kind: str, row: Mapping[str, Any], action: str | None,
            text: str | None, quad: str | None = None) -> None:  # fmt: skip
        evidence.append(
            {
                "source": source, "target": target, "kind": kind, "quad_class": quad,
                "article_id": row.get("article_id"), "outlet": row.get("outlet"),
                "published": row.get("published"), "action": action, "text": text,
            }
        )  # fmt: skip

    for e in events:
        if not e["source"] or not e["target"] or e["source"] == e["target"]:
            continue
        s = node(actor_node(e["source"]), "actor", e["source"])
        t = node(actor_node(e["target"]), "actor", e["target"])
        verb = ("not " if e.get("negated") else "") + (e.get("verb") or "")
        if e.get("modality"):
            verb = f"[{e['modality']}] {verb}"
        add(s, t, "event", e, verb, e.get("sentence"), e.get("quad_class") or "none")
    quoted_by: dict[str, set[str]] = defaultdict(set)
    for q in quotes:
        if not q.get("actor") or not q.get("outlet"):
            continue
        s = node(f"outlet:{q['outlet']}", "outlet", q["outlet"])
        t = node(actor_node(q["actor"]), "source", q["actor"])
        quoted_by[t].add(q["outlet"])
        add(s, t, "quotes", q, q.get("verb"), q.get("quote"))
    for kind, rows in (("reposts", reposts), ("shares", shares)):
        for r in rows:
            if not r.get("handle"):
                continue
            s = node(account_node(r["handle"]), "account", "@" + r["handle"].lstrip("@").lower())
            t = node(f"article:{r['article_id']}", "article", r.get("title") or r["article_id"])
            add(s, t, kind, r, kind, r.get("text") or r.get("title"))
    # Channels: an @handle alias of an actor, or an account named exactly as one actor.
    actors = {n["label"]: k for k, n in nodes.items() if n["kind"] in ("actor", "source")}
    channels: dict[tuple[str, str], str] = {}
    for handle, actor in sorted((handles or {}).items()):
        if actor in actors:
            channels[(actors[actor], handle.lstrip("@").lower())] = f"alias @{handle.lstrip('@')}"
    by_name: dict[str, list[str]] = defaultdict(list)
    for a in accounts:
        if a.get("handle") and a.get("display_name"):
            by_name[_same_name(a["display_name"])].append(a["handle"].lstrip("@").lower())
    for name, key in sorted(actors.items()):
        found = sorted(set(by_name.get(_same_name(name), [])))
        if len(found) == 1:
            channels.setdefault((key, found[0]), f"display name {name!r}")
    for (key, handle), how in sorted(channels.items()):
        s = node(account_node(handle), "account", "@" + handle)
        add(key, s, "channel", {}, "channel", how)
    for key, n in nodes.items():
        n["outlets"] = len(quoted_by.get(key, ()))
        n["circuit"] = n["outlets"] >= min_outlets
    return InfluenceGraph(
        sorted(nodes.values(), key=lambda n: n["node"]), _edges(evidence), evidence
    )


def _edges(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    grouped: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in evidence:
        grouped[(row["source"], row["target"], row["kind"], row["quad_class"])].append(row)
    edges = []
    for (source, target, kind, quad), rows in sorted(grouped.items(), key=lambda i: str(i[0])):
        dates = sorted(r["published"] for r in rows if r["published"] is not None)
        periods: dict[str, int] = defaultdict(int)
        for r in rows:
            periods[_period(r["published"])] += 1
        edges.append(
            {
                "source": source, "target": target, "kind": kind, "quad_class": quad,
                "weight": len(rows),
                "articles": len({r["article_id"] for r in rows if r["article_id"]}),
                "first_seen": dates[0] if dates else None,
                "last_seen": dates[-1] if dates else None,
                "periods": dict(sorted(periods.items())),
            }
        )  # fmt: skip
    return edges


def rank_influence(
    graph: InfluenceGraph, *, resolution: float = 1.0, runs: int = 5, seed: int = 0
) -> list[dict[str, Any]]:
    """The nodes of `graph` with their Leiden community (modularity at `resolution` on the
    undirected graph, edge weights summed; the best of `runs` seeded runs, 0 the largest),
    weighted PageRank and in- and out-strength on the directed graph."""
    import pyarrow as pa

    from infoscope.network.communities import build_graph, detect_communities

    if not graph.nodes:
        return []
    weights: dict[tuple[str, str], float] = defaultdict(float)
    for e in graph.edges:
        weights[(e["source"], e["target"])] += e["weight"]
    edges = pa.table(
        {
            "source": [s for s, _ in weights],
            "target": [t for _, t in weights],
            "weight": pa.array(list(weights.values()), pa.float64()),
        }
    )
    g = build_graph(edges, pa.table({"account_id": [n["node"] for n in graph.nodes]}))
    found = detect_communities(g, resolution=resolution, runs=runs, seed=seed)
    pagerank = g.pagerank(weights="weight" if g.ecount() else None, directed=True)
    ins = g.strength(mode="in", weights="weight" if g.ecount() else None)
    outs = g.strength(mode="out", weights="weight" if g.ecount() else None)
    at = {name: i for i, name in enumerate(g.vs["name"])}
    ranked = []
    for n in graph.nodes:
        i = at[n["node"]]
        ranked.append(
            {
                **n, "community": found.membership[i], "pagerank": float(pagerank[i]),
                "in_strength": float(ins[i]), "out_strength": float(outs[i]),
            }
        )  # fmt: skip
    return ranked
