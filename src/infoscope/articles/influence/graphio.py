"""Export an influence run as a graph for Gephi, networkx and other tools.

GEXF (``.gexf``) and GraphML (``.graphml``) hold a directed multigraph written with networkx:
nodes carry their kind, label, community, PageRank, in- and out-strength and expert-circuit
flag; each typed edge its kind, quad class, weight, articles, first and last date, weight per
month and its evidence (up to `EVIDENCE_PER_EDGE` rows as JSON text: article, outlet, date,
action, sentence or quote).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = ["write_influence_graph"]

GRAPH_SUFFIXES = (".gexf", ".graphml")
EVIDENCE_PER_EDGE = 20


def write_influence_graph(store: Store, run_id: str, path: str | Path) -> tuple[int, int]:
    """Write influence run `run_id` to `path` (by suffix); returns (nodes, edges) written."""
    import networkx as nx

    from infoscope.articles.influence.run import edge_evidence

    path = Path(path)
    if path.suffix.lower() not in GRAPH_SUFFIXES:
        raise BadParameterError(
            f"--out {path}: the influence graph is written as {', '.join(GRAPH_SUFFIXES)}; "
            "choose one"
        )
    cur = store.con.execute(
        "SELECT * EXCLUDE (run_id) FROM influence_nodes WHERE run_id = ? ORDER BY node", [run_id]
    )
    names = [d[0] for d in cur.description]
    graph = nx.MultiDiGraph()
    for values in cur.fetchall():
        row = dict(zip(names, values, strict=True))
        graph.add_node(row.pop("node"), **{k: "" if v is None else v for k, v in row.items()})
    cur = store.con.execute(
        "SELECT * EXCLUDE (run_id) FROM influence_edges WHERE run_id = ? "
        "ORDER BY source, target, kind, quad_class",
        [run_id],
    )
    names = [d[0] for d in cur.description]
    edges = [dict(zip(names, values, strict=True)) for values in cur.fetchall()]
    for e in edge_evidence(store, run_id, edges, per_edge=EVIDENCE_PER_EDGE):
        attrs: dict[str, Any] = {
            "kind": e["kind"], "quad_class": e["quad_class"] or "", "weight": e["weight"],
            "articles": e["articles"],
            "first_seen": e["first_seen"].isoformat() if e["first_seen"] else "",
            "last_seen": e["last_seen"].isoformat() if e["last_seen"] else "",
            "periods": e["periods"] or "{}", "evidence": json.dumps(e["evidence"]),
        }  # fmt: skip
        graph.add_edge(e["source"], e["target"], key=f"{e['kind']}:{e['quad_class'] or ''}",
                       **attrs)  # fmt: skip
    if path.suffix.lower() == ".gexf":
        nx.write_gexf(graph, path)
    else:
        nx.write_graphml(graph, path)
    return graph.number_of_nodes(), graph.number_of_edges()
