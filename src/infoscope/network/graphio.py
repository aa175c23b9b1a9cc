"""Export a stored communities run as a graph file for Gephi and other tools.

GEXF (``.gexf``) and GraphML (``.graphml``) hold the directed, weighted account network with
every node's handle, community, group, stability and centralities, and every edge's weight,
count per interaction type and time span; they are written with networkx. Parquet
(``.parquet``) writes two tables: the nodes to the given path and the edges next to it
(``NAME.edges.parquet``).

In a run of several platforms, edges name accounts ``platform:account_id``: that key is the
graph's node id (and a ``node_key`` column of the Parquet nodes), the account's own platform
and id are node attributes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from infoscope.errors import BadParameterError
from infoscope.store import Store

__all__ = ["write_graph"]

GRAPH_SUFFIXES = (".gexf", ".graphml", ".parquet")


def _tables(store: Store, run_id: str) -> tuple[pa.Table, pa.Table]:
    from infoscope.network.run import node_key_sql

    key = node_key_sql(store, run_id)
    extra = "" if key == "account_id" else f", {key} AS node_key"
    nodes = store.con.sql(
        f"SELECT * EXCLUDE (run_id){extra} FROM network_nodes WHERE run_id = ? "
        "ORDER BY account_id, platform",
        params=[run_id],
    ).to_arrow_table()
    edges = store.con.sql(
        "SELECT * EXCLUDE (run_id) FROM network_edges WHERE run_id = ? ORDER BY source, target",
        params=[run_id],
    ).to_arrow_table()
    return nodes, edges


def _attr(value: Any) -> Any:
    """GEXF and GraphML take str, int, float and bool; times become ISO text."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def write_graph(store: Store, run_id: str, path: str | Path) -> tuple[int, int]:
    """Write run `run_id`'s network to `path` (by suffix); returns (nodes, edges) written."""
    import networkx as nx

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise BadParameterError(
            f"--out {path}: a graph is written as {', '.join(GRAPH_SUFFIXES)}; choose one"
        )
    nodes, edges = _tables(store, run_id)
    if suffix == ".parquet":
        pq.write_table(nodes, path)
        pq.write_table(edges, path.with_name(path.stem + ".edges.parquet"))
        return nodes.num_rows, edges.num_rows
    graph = nx.DiGraph()
    for row in nodes.to_pylist():
        key, account_id = row.pop("node_key", None), row.pop("account_id")
        if key is None:
            name = account_id
        else:  # a run of several platforms: the key names the node, the id is kept
            name, row["account_id"] = key, account_id
        graph.add_node(name, label=row["handle"] or name, **{k: _attr(v) for k, v in row.items()})
    for row in edges.to_pylist():
        graph.add_edge(
            row.pop("source"), row.pop("target"), **{k: _attr(v) for k, v in row.items()}
        )
    if suffix == ".gexf":
        nx.write_gexf(graph, path)
    else:
        nx.write_graphml(graph, path)
    return nodes.num_rows, edges.num_rows
