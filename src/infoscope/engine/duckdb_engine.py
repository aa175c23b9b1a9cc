"""The DuckDB engine: the store's own connection, as infoscope has always run.

Tables are the store's (`Store.ibis`); a materialised result is a temporary table of the
store's Ibis connection, so it lives as long as the store is open and is seen by every
engine over the same store; Arrow results come from DuckDB directly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pyarrow as pa

from infoscope.engine import conform_batches
from infoscope.store import Store

__all__ = ["DuckDBEngine"]


class DuckDBEngine:
    """The `infoscope.engine.Engine` of a DuckDB store (see the module docstring)."""

    name = "duckdb"

    def __init__(self, store: Store) -> None:
        self.store = store

    def table(self, name: str) -> Any:
        return self.store.ibis.table(name)

    def has_table(self, name: str) -> bool:
        return self.store.has_table(name)

    def materialize(self, name: str, expr: Any) -> Any:
        import ibis

        sql = ibis.to_sql(expr, dialect="duckdb")
        self.store.ibis.con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
        return self.store.ibis.table(name)

    def release(self, *names: str) -> None:
        for name in names:
            self.store.ibis.con.execute(f"DROP TABLE IF EXISTS {name}")

    def from_arrow(self, name: str, table: pa.Table) -> Any:
        con = self.store.ibis.con
        view = f"{name}_arrow"
        con.register(view, table)
        try:
            con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS SELECT * FROM {view}")
        finally:
            con.unregister(view)
        return self.store.ibis.table(name)

    def to_arrow(self, expr: Any) -> pa.Table:
        return expr.to_pyarrow()  # type: ignore[no-any-return]

    def to_batches(self, expr: Any, *, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        yield from self.store.arrow_reader(expr, batch_rows=batch_rows)

    def map_batches(
        self,
        expr: Any,
        fn: Callable[[pa.RecordBatch], pa.RecordBatch | pa.Table],
        schema: pa.Schema,
        *,
        batch_rows: int = 100_000,
    ) -> Iterator[pa.RecordBatch]:
        """`fn` over the batches of `expr` streamed from the store, here on the driver (one
        input batch in memory at a time)."""
        for batch in self.to_batches(expr, batch_rows=batch_rows):
            yield from conform_batches(fn(batch), schema, batch_rows=batch_rows)

    def scalar(self, expr: Any) -> Any:
        return expr.to_pyarrow().as_py()

    def fingerprint(self) -> str:
        return self.store.fingerprint()

    def describe(self) -> dict[str, Any]:
        import duckdb
        import ibis

        return {
            "name": self.name,
            "versions": {"duckdb": duckdb.__version__, "ibis": ibis.__version__},
            "data": str(self.store.path),
        }

    def close(self) -> None:
        """Nothing to do: temporary tables go with the store's connection."""
