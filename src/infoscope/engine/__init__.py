"""The engine seam: where the relational work over posts runs (DuckDB or Apache Spark).

infoscope's heavy passes are written once with Ibis (`infoscope.queries`, the coordination
traces and co-action pairs) and run on an `Engine`:

- ``duckdb`` (the default, `DuckDBEngine`): the store itself, over its own connection;
- ``spark`` (`SparkEngine`): Apache Spark, local (``local[N]``), a cluster
  (``--spark-master spark://host:7077``) or a Spark Connect server (``sc://host:15002``),
  reading the folder that ``infoscope export --format parquet|delta|iceberg`` writes
  (`infoscope.engine.parquet.export_data`: Parquet files, or Delta Lake or Iceberg tables).

An engine gives the store's tables as Ibis tables (`Engine.table`), materialises intermediate
results under a name and releases them (`Engine.materialize`, `Engine.release`; the portable
layer never writes ``CREATE TEMP TABLE`` nor ``create_table(temp=True)``, which Ibis' Spark
backend lacks), brings results to the driver as Arrow (`Engine.to_arrow`, in batches with
`Engine.to_batches`; timestamps in UTC whatever the engine returns), runs a Python function
over the Arrow batches of a result where the data is (`Engine.map_batches`: on the driver for
DuckDB, on Spark's executors with ``mapInArrow``, so that only its output reaches the driver)
and fingerprints its input
(`Engine.fingerprint`: the store's fingerprint, or the one the Parquet export recorded, so a
run on either engine over the same data records the same input). `Engine.describe` is what a
run records: the engine, its versions and where its data is.

Results of analyses are always written into the DuckDB store, whichever engine computed them,
so the report and the dashboard read them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import pyarrow as pa

from infoscope.errors import BadParameterError

if TYPE_CHECKING:
    from infoscope.store import Run, Store

__all__ = [
    "DEFAULT_SPARK_MASTER",
    "ENGINES",
    "Engine",
    "arrow_result",
    "as_engine",
    "conform_batches",
    "engine_run",
    "open_engine",
    "utc_timestamps",
]

ENGINES = ("duckdb", "spark")
DEFAULT_SPARK_MASTER = "local[*]"


@runtime_checkable
class Engine(Protocol):
    """Where Ibis expressions over the store's tables run.

    `name` is ``duckdb`` or ``spark``; `store` the DuckDB store results are written to (and
    caches kept in), or None for an engine used only to read.
    """

    name: str
    store: Any

    def table(self, name: str) -> Any:
        """The table `name` (``posts``, ``shares``...) as an Ibis table."""

    def has_table(self, name: str) -> bool:
        """Whether the engine's data has table `name`."""

    def materialize(self, name: str, expr: Any) -> Any:
        """Compute `expr` once and keep it under `name` (replacing any); returns the table."""

    def release(self, *names: str) -> None:
        """Forget the materialised tables `names` (names never materialised are ignored)."""

    def from_arrow(self, name: str, table: pa.Table) -> Any:
        """An Arrow table from the driver, kept under `name` as a table of the engine."""

    def to_arrow(self, expr: Any) -> pa.Table:
        """The rows of a table expression on the driver (timestamps in UTC)."""

    def to_batches(self, expr: Any, *, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        """The rows of a table expression as record batches of at most `batch_rows` rows."""

    def map_batches(
        self,
        expr: Any,
        fn: Callable[[pa.RecordBatch], pa.RecordBatch | pa.Table],
        schema: pa.Schema,
        *,
        batch_rows: int = 100_000,
    ) -> Iterator[pa.RecordBatch]:
        """`fn` applied to each Arrow batch of the rows of `expr`, its results as batches of
        `schema` on the driver (at most `batch_rows` rows each).

        `fn` takes a batch (the columns of `expr`; strings may come as ``large_string``) and
        returns a batch or table with the columns of `schema`, for any number of rows. It
        runs where the engine computes: on the driver for DuckDB, on Spark's executors
        (``DataFrame.mapInArrow``) for Spark, where it arrives pickled (cloudpickle: a
        function of an installed module, a `functools.partial` of one, or a closure).
        Nothing but `fn`'s output reaches the driver; batches come in no particular order.
        """

    def scalar(self, expr: Any) -> Any:
        """The Python value of a scalar expression (``table.count()``)."""

    def fingerprint(self) -> str:
        """A hash of the input the engine reads (what a run records as its input)."""

    def describe(self) -> dict[str, Any]:
        """What a run records about the engine: its name, versions and data location."""

    def close(self) -> None:
        """Release what the engine holds (materialised tables; not a shared Spark session)."""


def as_engine(source: Any) -> Engine:
    """`source` as an engine: an engine as it is, a `Store` as its DuckDB engine."""
    if isinstance(source, Engine):
        return source
    from infoscope.engine.duckdb_engine import DuckDBEngine
    from infoscope.store import Store

    if isinstance(source, Store):
        return DuckDBEngine(source)
    raise TypeError(f"expected a Store or an Engine, got {type(source).__name__}")


def open_engine(
    name: str,
    store: Any = None,
    *,
    data: str | None = None,
    master: str | None = None,
    session: Any = None,
) -> Engine:
    """The engine `name` (one of `ENGINES`).

    ``duckdb`` runs on `store`. ``spark`` reads the folder `data` (written by ``infoscope
    export --format parquet|delta|iceberg``) on the Spark master `master` (default
    `DEFAULT_SPARK_MASTER`, or an existing `session`); its results go to `store` when given.
    """
    if name == "duckdb":
        if store is None:
            raise BadParameterError("the duckdb engine needs a store (--store)")
        if data is not None or master is not None:
            raise BadParameterError(
                "--data and --spark-master are for --engine spark; the duckdb engine reads "
                "the store itself"
            )
        from infoscope.engine.duckdb_engine import DuckDBEngine

        return DuckDBEngine(store)
    if name == "spark":
        if data is None:
            raise BadParameterError(
                "--engine spark reads an exported folder: write one with `infoscope export "
                "--format parquet --out DIR` (or delta, iceberg), then pass --data DIR"
            )
        from infoscope.engine.spark_engine import SparkEngine

        return SparkEngine(data, master=master, session=session, store=store)
    raise BadParameterError(f"unknown engine {name!r}; choose {' or '.join(ENGINES)}")


@contextmanager
def engine_run(
    store: Store,
    engine: Engine,
    command: str,
    params: Mapping[str, Any],
    *,
    seed: int | None,
    release: Iterable[str] = (),
) -> Iterator[Run]:
    """`store`'s run of `command` (`Store.run`) with its work on `engine`: the engine, its
    versions and its data recorded in the run's parameters under ``engine`` (results are
    compared across engines, and a difference must be traceable to one; ``run.parameters``
    is what was recorded), the engine's input fingerprint as the run's, and the engine
    tables named in `release` released however the run ends."""
    recorded = {**params, "engine": engine.describe()}
    with store.run(
        command, recorded, seed=seed, fingerprint=engine.fingerprint(), engine=engine.name
    ) as run:
        try:
            yield run
        finally:
            engine.release(*release)


def utc_timestamps(table: pa.Table) -> pa.Table:
    """`table` with every timestamp column in UTC: a column without a time zone holds UTC
    values (Spark's session runs in UTC and returns them naive), and gets the zone back."""
    fields = []
    changed = False
    for f in table.schema:
        if pa.types.is_timestamp(f.type) and f.type.tz is None:
            fields.append(f.with_type(pa.timestamp(f.type.unit, tz="UTC")))
            changed = True
        else:
            fields.append(f)
    return table.cast(pa.schema(fields)) if changed else table


def arrow_result(table: pa.Table, schema: Any) -> pa.Table:
    """An engine's Arrow result in the types of the expression's Ibis `schema`: strings as
    ``string`` (not ``large_string``), integers at the width Ibis states, timestamps in UTC."""
    wanted = []
    for f, dtype in zip(table.schema, schema.types, strict=True):
        target = dtype.to_pyarrow()
        if pa.types.is_timestamp(target):
            target = pa.timestamp(target.unit, tz="UTC")
        wanted.append(pa.field(f.name, target))
    return table.cast(pa.schema(wanted))


def conform_batches(
    out: pa.RecordBatch | pa.Table, schema: pa.Schema, *, batch_rows: int = 100_000
) -> Iterator[pa.RecordBatch]:
    """The rows of `out` (what a function given to `Engine.map_batches` returned) as batches
    of at most `batch_rows` rows in `schema`'s column order and types."""
    table = pa.Table.from_batches([out]) if isinstance(out, pa.RecordBatch) else out
    yield from table.select(schema.names).cast(schema).to_batches(max_chunksize=batch_rows)
