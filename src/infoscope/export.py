"""Export store tables and derived edges to Parquet or CSV."""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from infoscope.errors import BadParameterError
from infoscope.store import Store

EXPORTABLE = (
    "posts",
    "accounts",
    "labels",
    "edges",
    "quarantine",
    "runs",
    "nodes",
    "communities",
    "graph",
    "coordination-edges",
    "coordination-evidence",
    "coordination-accounts",
    "coordination-clusters",
    "coordination-graph",
    "account-signals",
    "account-features",
    "articles",
    "article-syndication",
    "article-mentions",
    "actor-relations",
    "article-quotes",
    "narratives",
    "narrative-units",
    "article-techniques",
)
# Tables of one analysis run: exported for the run asked for, by default the latest.
_RUN_TABLES = {"nodes": "network_nodes", "communities": "communities"}
_COORDINATION_TABLES = {
    "coordination-edges": "coordination_edges",
    "coordination-evidence": "coordination_evidence",
    "coordination-accounts": "coordination_accounts",
    "coordination-clusters": "coordination_clusters",
}
_ACCOUNT_TABLES = {"account-signals": "account_signals", "account-features": "account_features"}
# Article analyses: (the command whose latest run is exported, table).
_ARTICLE_TABLES = {
    "article-syndication": ("articles-syndication", "article_syndication"),
    "article-mentions": ("articles-actors", "article_mentions"),
    "actor-relations": ("articles-actors", "actor_relations"),
    "article-quotes": ("articles-quotes", "article_quotes"),
    "narratives": ("articles-narratives", "narratives"),
    "narrative-units": ("articles-narratives", "narrative_units"),
    "article-techniques": ("articles-techniques", "article_techniques"),
}


def _csv_safe(table: pa.Table) -> pa.Table:
    """CSV cannot hold lists or maps: write them as JSON text."""
    import orjson

    columns = []
    for name, column in zip(table.column_names, table.columns, strict=True):
        if pa.types.is_list(column.type) or pa.types.is_map(column.type):
            values = column.to_pylist()
            column = pa.array(
                [
                    None
                    if v is None
                    else orjson.dumps(
                        dict(v) if pa.types.is_map(table.schema.field(name).type) else v
                    ).decode()
                    for v in values
                ],
                pa.string(),
            )
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def export_table(store: Store, what: str, out: str, *, run_id: str | None = None) -> int:
    """Write `what` (one of EXPORTABLE) to `out` (.parquet, .csv or '-' for CSV on stdout).

    ``nodes`` and ``communities`` are those of communities run `run_id` (default: the
    latest); ``graph`` writes that run's network as GEXF, GraphML or Parquet (see
    `infoscope.network.graphio`). Returns the number of rows (nodes for a graph) written.
    """
    if what not in EXPORTABLE:
        raise BadParameterError(f"cannot export {what!r}; choose one of {', '.join(EXPORTABLE)}")
    if what in ("graph", *_RUN_TABLES):
        from infoscope.network.run import load_communities

        run_id = load_communities(store, run_id).run_id
        if what == "graph":
            from infoscope.network.graphio import write_graph

            if out == "-":
                raise BadParameterError("export graph: pass --out FILE.gexf, .graphml or .parquet")
            return write_graph(store, run_id, out)[0]
    if what.startswith("coordination-"):
        from infoscope.coordination.run import load_coordination

        run_id = load_coordination(store, run_id).run_id
        if what == "coordination-graph":
            from infoscope.coordination.graphio import write_coordination_graph

            if out == "-":
                raise BadParameterError(
                    "export coordination-graph: pass --out FILE.gexf, .graphml or .parquet"
                )
            return write_coordination_graph(store, run_id, out)[0]
    if what in _ACCOUNT_TABLES:
        from infoscope.authenticity.assess import latest_run_id

        run_id = run_id or latest_run_id(store)
        if run_id is None:
            raise BadParameterError(
                f"export {what}: the store has no accounts run; run `infoscope accounts` first"
            )
    if what in _ARTICLE_TABLES:
        command, table = _ARTICLE_TABLES[what]
        run_id = run_id or store.latest_run_id(command, table)
        if run_id is None:
            raise BadParameterError(
                f"export {what}: the store has no {command} run; run "
                f"`infoscope {command.replace('-', ' ')}` first"
            )
    if out != "-" and Path(out).suffix.lower() not in (".parquet", ".csv"):
        raise BadParameterError(f"--out {out}: use a .parquet or .csv file name, or '-'")
    if what == "edges":
        from infoscope.network.edges import interaction_edges

        posts, accounts = store.ibis.table("posts"), store.ibis.table("accounts")
        reader = store.arrow_reader(
            interaction_edges(posts, accounts).order_by(["source", "target", "type"])
        )
    elif what in _ARTICLE_TABLES:
        reader = store.con.sql(
            f"SELECT * FROM {_ARTICLE_TABLES[what][1]} WHERE run_id = ?", params=[run_id]
        ).to_arrow_reader(100_000)
    elif what in _RUN_TABLES or what in _COORDINATION_TABLES or what in _ACCOUNT_TABLES:
        table = {**_RUN_TABLES, **_COORDINATION_TABLES, **_ACCOUNT_TABLES}[what]
        reader = store.con.sql(
            f"SELECT * FROM {table} WHERE run_id = ?", params=[run_id]
        ).to_arrow_reader(100_000)
    else:
        table = {"labels": "account_labels"}.get(what, what)
        reader = store.con.sql(f"SELECT * FROM {table}").to_arrow_reader(100_000)
    rows = 0
    if out != "-" and out.lower().endswith(".parquet"):
        with pq.ParquetWriter(out, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
        return rows
    sink = sys.stdout.buffer if out == "-" else open(out, "wb")  # noqa: SIM115
    try:
        writer = None
        for batch in reader:
            safe = _csv_safe(pa.Table.from_batches([batch]))
            if writer is None:
                writer = pacsv.CSVWriter(sink, safe.schema)
            writer.write_table(safe)
            rows += batch.num_rows
        if writer is not None:
            writer.close()
    finally:
        if out != "-":
            sink.close()
    return rows
