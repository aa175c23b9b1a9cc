"""Export a coordination run as a graph with its evidence, for Gephi and other tools.

GEXF (``.gexf``) and GraphML (``.graphml``) hold one undirected edge per coordinated pair
(written with networkx): the traces that tie it, per trace the shared count, expected count
and p-value, the fused weight (sum of the traces' similarities) and the evidence (objects,
posts with their platforms and time gaps, up to `EVIDENCE_PER_EDGE` rows, as JSON text).
Nodes are named by their key in the run (``platform:account_id`` in a run across platforms)
and carry the platform, account id, handle, cluster, subcluster, degree, strength and traces.
Parquet (``.parquet``) writes the nodes to the given path, every trace's edges to
``NAME.edges.parquet`` and all the evidence to ``NAME.evidence.parquet``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = ["write_coordination_graph"]

GRAPH_SUFFIXES = (".gexf", ".graphml", ".parquet")
EVIDENCE_PER_EDGE = 20


def _table(store: Store, sql: str, run_id: str) -> Any:
    return store.con.sql(sql, params=[run_id]).to_arrow_table()


def write_coordination_graph(store: Store, run_id: str, path: str | Path) -> tuple[int, int]:
    """Write coordination run `run_id` to `path` (by suffix); returns (nodes, edges) written."""
    import networkx as nx

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise BadParameterError(
            f"--out {path}: a graph is written as {', '.join(GRAPH_SUFFIXES)}; choose one"
        )
    nodes = _table(
        store,
        "SELECT * EXCLUDE (run_id) FROM coordination_accounts WHERE run_id = ? "
        "ORDER BY account_key",
        run_id,
    )
    edges = _table(
        store,
        "SELECT * EXCLUDE (run_id) FROM coordination_edges WHERE run_id = ? "
        "ORDER BY trace, account_a, account_b",
        run_id,
    )
    evidence = _table(
        store,
        "SELECT * EXCLUDE (run_id) FROM coordination_evidence WHERE run_id = ? "
        "ORDER BY trace, account_a, account_b, at_a, object_id",
        run_id,
    )
    if suffix == ".parquet":
        pq.write_table(nodes, path)
        pq.write_table(edges, path.with_name(path.stem + ".edges.parquet"))
        pq.write_table(evidence, path.with_name(path.stem + ".evidence.parquet"))
        return nodes.num_rows, edges.num_rows
    proofs: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in evidence.to_pylist():
        key = (row["trace"], row["account_a"], row["account_b"])
        shown = proofs.setdefault(key, [])
        if len(shown) < EVIDENCE_PER_EDGE:
            shown.append(
                {
                    "object": row["object_id"],
                    "platform_a": row["platform_a"],
                    "post_a": row["post_a"],
                    "platform_b": row["platform_b"],
                    "post_b": row["post_b"],
                    "at_a": row["at_a"].isoformat() if row["at_a"] else None,
                    "gap_s": row["gap_s"],
                }
            )
    graph = nx.Graph()
    for row in nodes.to_pylist():
        name = row.pop("account_key") or row["account_id"]
        row["traces"] = ",".join(row["traces"])
        graph.add_node(name, label=row["handle"] or name, **{k: v or "" if v is None else v
                                                             for k, v in row.items()})  # fmt: skip
    for row in edges.to_pylist():
        a, b, trace = row["account_a"], row["account_b"], row["trace"]
        data = graph.get_edge_data(a, b) or {"traces": "", "weight": 0.0, "evidence": "{}"}
        traces = [t for t in data["traces"].split(",") if t] + [trace]
        found = json.loads(data["evidence"])
        found[trace] = proofs.get((trace, a, b), [])
        similarity = row["similarity"] if row["similarity"] is not None else 1.0
        data.update(
            {
                "traces": ",".join(traces),
                "weight": data["weight"] + similarity,
                f"{trace}_objects": row["objects"],
                f"{trace}_expected": row["expected"],
                f"{trace}_p_value": row["p_value"],
                "evidence": json.dumps(found),
            }
        )
        graph.add_edge(a, b, **data)
    if suffix == ".gexf":
        nx.write_gexf(graph, path)
    else:
        nx.write_graphml(graph, path)
    return graph.number_of_nodes(), graph.number_of_edges()
