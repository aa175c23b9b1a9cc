"""Export store tables, derived edges and every analysis' tables to Parquet or CSV.

The corpus exports (`CORPUS_EXPORTS`: posts, accounts, labels, interaction edges, quarantine,
runs, articles, article links) are the store's own; every other choice is an export of a
registered analysis (`infoscope.registry`), written for one of its runs: the latest completed
one by default.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from infoscope.errors import BadParameterError
from infoscope.registry import resolve
from infoscope.store import Store

__all__ = ["export_table", "exportable"]

# The store's own tables (and the interaction edges derived from the posts).
CORPUS_EXPORTS = (
    "posts",
    "accounts",
    "labels",
    "edges",
    "quarantine",
    "runs",
    "articles",
    "article-links",
)


def exportable() -> tuple[str, ...]:
    """Every ``infoscope export`` choice: the corpus exports, then each analysis' exports."""
    from infoscope.registry import registered_exports

    return (*CORPUS_EXPORTS, *registered_exports())


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
    """Write `what` (one of `exportable()`) to `out` (.parquet, .csv or '-' for CSV on stdout).

    An analysis export is the rows of its run `run_id` (default: the latest completed run of
    that analysis); a writer export (a graph) writes the file formats it names. Returns the
    number of rows (nodes for a graph) written.
    """
    from infoscope.registry import registered_exports

    exports = registered_exports()
    if what not in CORPUS_EXPORTS and what not in exports:
        raise BadParameterError(f"cannot export {what!r}; choose one of {', '.join(exportable())}")
    if what in exports:
        analysis, export = exports[what]
        if run_id is None:
            run_id = store.latest_run_id(analysis.name)
            if run_id is None:
                raise BadParameterError(
                    f"export {what}: the store has no {analysis.name} run; run "
                    f"`{analysis.hint}` first"
                )
        elif store.get_run(run_id, analysis.name).status != "completed":
            raise BadParameterError(
                f"export {what}: run {run_id} did not complete; `infoscope runs` lists the runs"
            )
        if export.writer is not None:
            if out == "-" or Path(out).suffix.lower() not in export.suffixes:
                raise BadParameterError(
                    f"export {what}: pass --out FILE ending in {', '.join(export.suffixes)}"
                )
            written = resolve(export.writer)(store, run_id, out)
            return int(written[0] if isinstance(written, tuple) else written)
    if out != "-" and Path(out).suffix.lower() not in (".parquet", ".csv"):
        raise BadParameterError(f"--out {out}: use a .parquet or .csv file name, or '-'")
    if what == "edges":
        from infoscope.network.edges import interaction_edges

        posts, accounts = store.ibis.table("posts"), store.ibis.table("accounts")
        reader = store.arrow_reader(
            interaction_edges(posts, accounts).order_by(["source", "target", "type"])
        )
    elif what in exports:
        table = exports[what][1].table
        reader = store.con.sql(
            f"SELECT * FROM {table} WHERE run_id = ?", params=[run_id]
        ).to_arrow_reader(100_000)
    else:
        table = {"labels": "account_labels", "article-links": "article_links"}.get(what, what)
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
