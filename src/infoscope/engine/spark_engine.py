"""The Spark engine: Apache Spark over the folder of ``infoscope export --format
parquet|delta|iceberg``, through Ibis' PySpark backend (Delta Lake and Iceberg tables are read
as the Parquet files of their current version, `infoscope.engine.tables`).

Spark runs locally (``local[N]``, N cores of this machine; ``local[*]`` all of them), on a
cluster (``spark://host:7077``, a standalone master; the folder must then be where
every worker reads it, a shared disk or an object store), or behind a Spark Connect server
(``sc://host:15002``: the client sends plans and receives Arrow, the server's session runs
them on its own master; the folder must be where that server reads it). The session runs in
UTC. Python work on executors (`SparkEngine.map_batches`) runs with ``PYSPARK_PYTHON``, set
to this interpreter when unset (on a cluster whose workers keep Python elsewhere, set it to
theirs; for Spark Connect, the server's environment decides).

Each data table is a temporary view of its Parquet file; a materialised result is a cached
DataFrame under a temporary view (Ibis' PySpark backend has no temporary tables), released by
unpersisting it. Results reach the driver through Spark's own Arrow collection
(``DataFrame.toArrow``, which keeps the time zone), cast to the types the Ibis expression
states: the driver holds the whole result before it is cut in batches, so results fetched
(scored pairs, kept evidence) must fit the driver's memory. `SparkEngine.map_batches` runs a
Python function over Arrow batches on the executors (``DataFrame.mapInArrow``): only its
output is collected (MinHash signatures, not the texts). The executors' Python is the
driver's own on a local master (``PYSPARK_PYTHON`` when set); on a cluster, set
``PYSPARK_PYTHON`` to a Python with infoscope installed on every worker.

pyspark is an optional dependency (``pip install 'infoscope[spark]'``) and needs Java (17 or
21); both are checked when an engine starts, with a message naming the fix.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from infoscope.engine import DEFAULT_SPARK_MASTER, arrow_result, conform_batches
from infoscope.engine.parquet import read_manifest
from infoscope.errors import InfoscopeError, MissingComponentError

__all__ = ["SparkEngine", "is_connect_session", "is_connect_url", "spark_session"]

# Settings every session gets: UTC (infoscope's time zone), Arrow for collection.
SESSION_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}


def spark_session(master: str = DEFAULT_SPARK_MASTER, *, conf: dict[str, str] | None = None) -> Any:
    """A SparkSession on `master` (``local[2]``, ``spark://host:7077``, or a Spark Connect
    server's ``sc://host:15002``) with infoscope's settings (`SESSION_CONF`) and `conf`; the
    running one when there is one."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MissingComponentError(
            "--engine spark needs pyspark, which is not installed",
            "pip install 'infoscope[spark]'",
        ) from None
    if is_connect_url(master):
        return _connect_session(master, {**SESSION_CONF, **(conf or {})})
    local = _local_conf(master)
    # Python work on executors (`SparkEngine.map_batches`) needs infoscope's Python, not the
    # first `python3` on the PATH (pyspark's default); read when the context starts. On a
    # cluster whose workers keep Python elsewhere, set PYSPARK_PYTHON to theirs.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(master).appName("infoscope")
    settings = {**SESSION_CONF, **local, **(conf or {})}
    for key, value in settings.items():
        builder = builder.config(key, value)
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # pyspark raises its own runtime error when Java cannot start
        if "JAVA_GATEWAY_EXITED" in str(exc) or "JAVA_HOME" in str(exc):
            raise MissingComponentError(
                "Spark could not start Java (it needs Java 17 or 21)",
                "apt-get install openjdk-17-jre-headless, or set JAVA_HOME",
            ) from None
        raise InfoscopeError(f"Spark master {master} could not be reached: {exc}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


def is_connect_url(master: str) -> bool:
    """Whether `master` names a Spark Connect server (``sc://host:port``)."""
    return master.strip().startswith("sc://")


def is_connect_session(session: Any) -> bool:
    """Whether `session` is a Spark Connect client's session (which has no SparkContext)."""
    return type(session).__module__.startswith("pyspark.sql.connect")


def _connect_session(url: str, conf: dict[str, str]) -> Any:
    """A Spark Connect session on the server at `url`, with the settings of `conf` that a
    client may set (SQL settings; the server's own, such as its master, stay its own)."""
    _check_reachable(url)
    try:
        from pyspark.sql import SparkSession

        session = SparkSession.builder.remote(url.strip()).getOrCreate()
    except ImportError as exc:
        raise MissingComponentError(
            f"Spark Connect needs pyspark's client libraries ({exc.name} is missing)",
            "pip install 'infoscope[spark]'",
        ) from None
    except Exception as exc:  # gRPC errors: no server, refused, wrong port
        raise InfoscopeError(
            f"the Spark Connect server {url} could not be reached: {str(exc).splitlines()[0]}"
        ) from None
    for key, value in conf.items():
        if key.startswith("spark.sql."):
            session.conf.set(key, value)
    return session


def _local_conf(master: str) -> dict[str, str]:
    """Settings for a local master: shuffles into 4 partitions per core instead of Spark's
    200, which on one machine cost more in tasks than they gain (synchronised on 200k posts,
    local[2]: 318 s with 200, 73 s with 8); and the JVM's heap, where the executors run too,
    as large as infoscope's memory limit (``--memory-limit``, by default 60% of the machine)
    instead of Spark's 1 GB (a signature on 2M posts ran out of it), unless
    $SPARK_DRIVER_MEMORY says otherwise, with results collected to the driver allowed half of
    it (Spark's 1 GB was too little at 2M posts too). A cluster keeps its own settings."""
    found = re.fullmatch(r"local(?:\[(\*|\d+)(?:,\d+)?\])?", master.strip())
    if found is None:
        return {}
    cores = found.group(1)
    if cores is None:
        n = 1
    elif cores == "*":
        n = os.cpu_count() or 1
    else:
        n = int(cores)
    conf = {"spark.sql.shuffle.partitions": str(max(4 * n, 4))}
    if not os.environ.get("SPARK_DRIVER_MEMORY"):
        from infoscope.store import memory_limit

        limit = int(memory_limit().removesuffix("MiB"))
        conf["spark.driver.memory"] = f"{limit}m"
        # Results collected to the driver (edge lists, per-account counts) may take half of it.
        conf["spark.driver.maxResultSize"] = f"{max(limit // 2, 1024)}m"
    return conf


# What a result too large for the driver looks like in Spark's errors, and its fix.
_DRIVER_LIMITS = (
    ("spark.driver.maxResultSize", "spark.driver.maxResultSize"),
    ("Java heap space", "spark.driver.memory"),
)


def _collected(frame: Any) -> pa.Table:
    """`frame`'s rows on the driver as Arrow; a result larger than the driver allows is a
    one-line error naming the setting to raise instead of Spark's stack trace."""
    try:
        return frame.toArrow()
    except Exception as exc:
        text = str(exc)
        for found, setting in _DRIVER_LIMITS:
            if found in text:
                raise InfoscopeError(
                    f"a result is larger than Spark's driver allows ({found}): raise "
                    f"{setting} (PYSPARK_SUBMIT_ARGS='--conf {setting}=8g pyspark-shell', or "
                    "the cluster's spark-defaults.conf), or, on a local master, --memory-limit"
                ) from None
        raise


def _check_reachable(url: str, seconds: float = 10.0) -> None:
    """Refuse a Spark Connect URL whose server does not answer: the client would retry for
    minutes before failing."""
    from urllib.parse import urlparse

    parsed = urlparse(url.strip().replace("sc://", "http://", 1))
    host, port = parsed.hostname or "localhost", parsed.port or 15002
    try:
        socket.create_connection((host, port), timeout=seconds).close()
    except OSError as exc:
        raise InfoscopeError(
            f"no Spark Connect server answers at {url} ({exc.strerror or exc}): start one "
            "(README: Apache Spark) or check --spark-master"
        ) from None


def _master_of(session: Any) -> str:
    """The master a session runs on (for a Spark Connect client: the server's URL)."""
    if is_connect_session(session):
        builder = getattr(getattr(session, "client", None), "_builder", None)
        netloc = getattr(getattr(builder, "url", None), "netloc", None)
        return f"sc://{netloc}" if netloc else "sc://"
    return str(session.sparkContext.master)


def _running_session() -> Any:
    """The SparkSession already running in this process, or None."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    return SparkSession.getActiveSession()


class SparkEngine:
    """The `infoscope.engine.Engine` of an exported folder on Spark (see the module docstring).

    `session` is used as given and left running by `close`; without one, the session running
    in this process is used (and left running), else one is started on `master` and stopped
    by `close`. `store` is the DuckDB store that results (and the
    near-duplicate cache) go to.
    """

    name = "spark"

    def __init__(
        self,
        data: str | Path,
        *,
        master: str | None = None,
        session: Any = None,
        store: Any = None,
    ) -> None:
        self.data = Path(data).resolve()
        self.manifest = read_manifest(self.data)
        self.store = store
        if session is None and master is not None and is_connect_url(master):
            # A Spark Connect client: its own session, whatever runs in this process.
            session = spark_session(master)
            self._own_session = True
        elif session is None:
            session = _running_session()
            # A session already running in this process is shared: only one started here
            # is stopped by `close`.
            self._own_session = session is None
            running = None if session is None else _master_of(session)
            if running is not None and master is not None and master != running:
                raise InfoscopeError(
                    f"a Spark session on {running} already runs in this process: "
                    f"--spark-master {master} cannot be used beside it"
                )
            session = session or spark_session(master or DEFAULT_SPARK_MASTER)
        else:
            self._own_session = False
        self.session = session
        import ibis

        self.con = ibis.pyspark.connect(self.session)
        # Views of this engine's data are named after the folder, so engines over other
        # folders can share the session.
        self._token = hashlib.sha256(str(self.data).encode()).hexdigest()[:8]
        self._data_views: dict[str, str] = {}
        self._cached: dict[str, Any] = {}

    # -- tables ---------------------------------------------------------------------------
    def has_table(self, name: str) -> bool:
        return name in self.manifest["tables"]

    def table(self, name: str) -> Any:
        if not self.has_table(name):
            raise InfoscopeError(
                f"{self.data} has no table {name}: export the store again "
                "(`infoscope export --format parquet`)"
            )
        view = self._data_views.get(name)
        if view is None:
            view = f"_data_{self._token}_{name}"
            entry = self.manifest["tables"][name]
            if entry.get("format", "parquet") == "parquet":
                frame = self.session.read.parquet(str(self.data / entry["file"]))
            else:  # a Delta or Iceberg table: its snapshot's Parquet files, checked again
                from infoscope.engine.tables import resolve_table, spark_frame

                frame = spark_frame(self.session, resolve_table(self.data, name, entry))
            frame.createOrReplaceTempView(view)
            self._data_views[name] = view
        return self.con.table(view)

    def _keep(self, name: str, frame: Any) -> Any:
        frame = frame.cache()
        frame.count()  # computes and caches every partition now
        frame.createOrReplaceTempView(name)
        previous = self._cached.pop(name, None)
        if previous is not None:
            previous.unpersist()
        self._cached[name] = frame
        return self.con.table(name)

    def materialize(self, name: str, expr: Any) -> Any:
        return self._keep(name, self._frame(expr))

    def release(self, *names: str) -> None:
        for name in names:
            frame = self._cached.pop(name, None)
            if frame is not None:
                self.session.catalog.dropTempView(name)
                frame.unpersist()

    def from_arrow(self, name: str, table: pa.Table) -> Any:
        return self._keep(name, self.session.createDataFrame(table))

    # -- results --------------------------------------------------------------------------
    def _frame(self, expr: Any) -> Any:
        """The Spark DataFrame of an Ibis table expression (in-memory tables registered)."""
        self.con._run_pre_execute_hooks(expr)
        return self.session.sql(self.con.compile(expr))

    def to_arrow(self, expr: Any) -> pa.Table:
        table = expr.as_table()
        return arrow_result(_collected(self._frame(table)), table.schema())

    def to_batches(self, expr: Any, *, batch_rows: int = 100_000) -> Iterator[pa.RecordBatch]:
        yield from self.to_arrow(expr).to_batches(max_chunksize=batch_rows)

    def map_batches(
        self,
        expr: Any,
        fn: Callable[[pa.RecordBatch], pa.RecordBatch | pa.Table],
        schema: pa.Schema,
        *,
        batch_rows: int = 100_000,
    ) -> Iterator[pa.RecordBatch]:
        """`fn` over the Arrow batches of `expr` on the executors (``mapInArrow``, batches
        of at most ``spark.sql.execution.arrow.maxRecordsPerBatch`` rows); only its output
        is collected, whole, on the driver, then cut into batches of `batch_rows` rows."""
        from pyspark.sql.pandas.types import from_arrow_schema

        frame = self._frame(expr.as_table())
        mapped = frame.mapInArrow(functools.partial(_apply, fn, schema), from_arrow_schema(schema))
        yield from conform_batches(_collected(mapped), schema, batch_rows=batch_rows)

    def scalar(self, expr: Any) -> Any:
        table = self.to_arrow(expr.as_table())
        return table.column(0)[0].as_py() if table.num_rows else None

    # -- provenance -----------------------------------------------------------------------
    def fingerprint(self) -> str:
        # The store's, as exported: Delta and Iceberg tables are read only at the version
        # or snapshot the export wrote (`describe` names them), so the same input as DuckDB's.
        return str(self.manifest["fingerprint"])

    def describe(self) -> dict[str, Any]:
        import ibis
        import pyspark

        # Delta and Iceberg tables: where each is and the version or snapshot read.
        keys = ("format", "path", "table", "metadata", "version", "snapshot_id")
        tables = {
            name: {key: entry[key] for key in keys if key in entry}
            for name, entry in self.manifest["tables"].items()
            if entry.get("format", "parquet") != "parquet"
        }
        return {
            "name": self.name,
            "versions": {
                "spark": self.session.version,
                "pyspark": pyspark.__version__,
                "ibis": ibis.__version__,
            },
            "master": _master_of(self.session),
            "data": str(self.data),
            **({"tables": tables} if tables else {}),
        }

    def close(self) -> None:
        self.release(*list(self._cached))
        for view in self._data_views.values():
            self.session.catalog.dropTempView(view)
        self._data_views.clear()
        if self._own_session:
            self.session.stop()


def _apply(
    fn: Callable[[pa.RecordBatch], pa.RecordBatch | pa.Table],
    schema: pa.Schema,
    batches: Iterator[pa.RecordBatch],
) -> Iterator[pa.RecordBatch]:
    """What ``mapInArrow`` runs on an executor: `fn` over each batch of a partition, its
    output in `schema` (module-level, so Spark pickles it by reference)."""
    for batch in batches:
        yield from conform_batches(fn(batch), schema)
