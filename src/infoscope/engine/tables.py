"""Delta Lake and Apache Iceberg tables as the Spark engine's data, read as plain Parquet.

A table of an exported folder's manifest (`infoscope.engine.parquet`) may be a Delta table
(a folder with a ``_delta_log``) or an Iceberg table (a table of a pyiceberg catalog, or a
metadata JSON file) instead of one Parquet file. The driver resolves the table's current
snapshot to its Parquet data files, with delta-rs (``deltalake``) or ``pyiceberg``, and
Spark reads those files as Parquet with the table's schema (`spark_frame`): no Delta or
Iceberg jars on the cluster, the same reader as a Parquet folder.

That is exact only when the files hold the snapshot's rows and nothing else, so
`resolve_table` refuses, with a message naming the fix, a snapshot that needs what plain
Parquet cannot express: Delta deletion vectors, column mapping or partition values kept in
the log, reader features it does not know; Iceberg delete files, data files in another
format, columns renamed or replaced since files were written, default values of added
columns, partition values absent from the files. It also refuses a table whose version
(Delta) or snapshot (Iceberg) is no longer the one the export recorded: the manifest's
fingerprint describes the store as it was exported, as a changed Parquet file is refused.

The writers (`TABLE_FORMATS`, used by ``infoscope export --format delta|iceberg``) write a
store table from an Arrow stream: a Delta table ``DIR/NAME.delta``, or an Iceberg table
``infoscope.NAME`` of a SQLite catalog ``DIR/catalog.db`` with its files under
``DIR/iceberg`` (Iceberg names its files by absolute path: such a folder cannot be moved).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from infoscope.errors import InfoscopeError, MissingComponentError

__all__ = [
    "TABLE_FORMATS",
    "TableFormat",
    "TableSnapshot",
    "export_catalog",
    "resolve_table",
    "spark_frame",
]

# Delta reader features whose tables' Parquet files still hold exactly the snapshot's rows
# under the schema's names (deletion vectors and column mapping are checked per snapshot:
# a table may allow them without using them).
DELTA_PLAIN_FEATURES = frozenset(
    {
        "deletionVectors",
        "columnMapping",
        "timestampNtz",
        "v2Checkpoint",
        "vacuumProtocolCheck",
        "variantType",
        "variantType-preview",
    }
)
ICEBERG_NAMESPACE = "infoscope"
ICEBERG_CATALOG = "catalog.db"
ICEBERG_WAREHOUSE = "iceberg"
AS_PARQUET = "or export the store as Parquet (`infoscope export --format parquet`)"


@dataclass(frozen=True)
class TableSnapshot:
    """One snapshot of a Delta or Iceberg table, as Spark reads it: its Parquet `files`
    (paths or URIs) and Arrow `schema`. `version` is the Delta version or the Iceberg
    snapshot id (None for an Iceberg table without a snapshot)."""

    name: str
    format: str
    location: str
    version: int | None
    files: tuple[str, ...]
    schema: pa.Schema


@dataclass(frozen=True)
class TableFormat:
    """A table format an export writes and the Spark engine reads.

    `write(reader, folder, name)` writes the Arrow stream as table `name` in `folder` and
    returns its manifest entry; `resolve(folder, name, entry)` checks a manifest entry and
    returns the snapshot to read.
    """

    name: str
    write: Callable[[pa.RecordBatchReader, Path, str], dict[str, Any]]
    resolve: Callable[[Path, str, dict[str, Any]], TableSnapshot]


def resolve_table(folder: str | Path, name: str, entry: dict[str, Any]) -> TableSnapshot:
    """The snapshot of table `name` that `entry` (a manifest entry with a ``format`` of
    `TABLE_FORMATS`) names, checked: still the table's current one, and readable as plain
    Parquet (see the module docstring)."""
    fmt = TABLE_FORMATS.get(entry.get("format", "parquet"))
    if fmt is None:
        raise InfoscopeError(
            f"{name} in {folder} is a {entry.get('format')!r} table, which this infoscope "
            f"cannot read (it reads {', '.join(TABLE_FORMATS)} and parquet): export the store "
            "again with this infoscope"
        )
    return fmt.resolve(Path(folder), name, entry)


def spark_frame(session: Any, snapshot: TableSnapshot) -> Any:
    """The Spark DataFrame of `snapshot`: its files read as Parquet with the table's schema
    (a column added after some files were written reads as null there)."""
    from pyspark.sql.pandas.types import from_arrow_schema

    schema = from_arrow_schema(snapshot.schema)
    if not snapshot.files:  # an empty table: Spark cannot read zero files
        return session.createDataFrame([], schema)
    return session.read.schema(schema).parquet(*snapshot.files)


def _locate(folder: Path, where: str) -> str:
    """A manifest's path: as it is when absolute or a URI, else within `folder`."""
    if "://" in where or Path(where).is_absolute():
        return where
    return str(folder / where)


def _refuse(kind: str, location: str, name: str, problem: str, fix: str) -> InfoscopeError:
    return InfoscopeError(f"the {kind} table {location} ({name}) {problem}: {fix}")


def _check_exported(
    kind: str, location: str, name: str, what: str, found: Any, exported: Any, fix: str
) -> None:
    """Refuse a table whose current `what` (version, snapshot) is not the exported one."""
    if found != exported:
        raise _refuse(
            kind, location, name,
            f"is at {what} {found}, not {what} {exported} as exported: it was written to "
            "since the export", fix,
        )  # fmt: skip


# -- Delta Lake ----------------------------------------------------------------------------
def _deltalake() -> Any:
    try:
        import deltalake
    except ImportError:
        raise MissingComponentError(
            "Delta tables need deltalake, which is not installed", "pip install 'infoscope[spark]'"
        ) from None
    return deltalake


def _write_delta(reader: pa.RecordBatchReader, folder: Path, name: str) -> dict[str, Any]:
    """Write `reader` as the Delta table ``folder/NAME.delta`` (a new version of it when it
    exists: readers of the old one are not disturbed; `vacuum` reclaims its files)."""
    from infoscope.engine.parquet import ROW_GROUP_ROWS

    deltalake = _deltalake()
    path = folder / f"{name}.delta"
    deltalake.write_deltalake(
        path,
        reader,
        mode="overwrite",
        schema_mode="overwrite",
        writer_properties=deltalake.WriterProperties(
            compression="ZSTD", max_row_group_size=ROW_GROUP_ROWS
        ),
    )
    version = deltalake.DeltaTable(path).version()
    return {"format": "delta", "path": path.name, "version": version}


def _resolve_delta(folder: Path, name: str, entry: dict[str, Any]) -> TableSnapshot:
    """The Delta table `entry` names (``path``, its ``version``), checked."""
    deltalake = _deltalake()
    location = _locate(folder, entry["path"])
    again = "export the store again (`infoscope export --format delta`)"
    try:
        table = deltalake.DeltaTable(location)
    except deltalake.exceptions.TableNotFoundError:
        raise _refuse("Delta", location, name, "is missing", again) from None
    version = table.version()
    _check_exported("Delta", location, name, "version", version, entry["version"], again)
    metadata = table.metadata()
    features = set(table.protocol().reader_features or ())
    mode = metadata.configuration.get("delta.columnMapping.mode") or "none"
    if mode != "none":
        raise _refuse(
            "Delta", location, name,
            f"uses column mapping (mode {mode}): its Parquet files name columns otherwise",
            f"rewrite it without column mapping, {AS_PARQUET}",
        )  # fmt: skip
    if metadata.partition_columns:
        raise _refuse(
            "Delta", location, name,
            f"is partitioned by {', '.join(metadata.partition_columns)}, whose values are "
            "only in the Delta log",
            f"rewrite it unpartitioned, {AS_PARQUET}",
        )  # fmt: skip
    unknown = sorted(features - DELTA_PLAIN_FEATURES)
    if unknown:
        raise _refuse(
            "Delta", location, name,
            f"needs reader features that plain Parquet cannot express ({', '.join(unknown)})",
            f"rewrite it without them, {AS_PARQUET}",
        )  # fmt: skip
    if "deletionVectors" in features:
        # Materialises the vectors of the files that have one (delta-rs has no cheaper
        # listing); a table without deletion vectors returns nothing.
        marked = sum(batch.num_rows for batch in pa.RecordBatchReader.from_stream(
            table.deletion_vectors()
        ))  # fmt: skip
        if marked:
            raise _refuse(
                "Delta", location, name,
                f"has deletion vectors on {marked} data files: rows deleted from the table "
                "are still in its Parquet files",
                "purge them (Spark: `REORG TABLE ... APPLY (PURGE)`, or `OPTIMIZE`), "
                + AS_PARQUET,
            )  # fmt: skip
    return TableSnapshot(
        name=name,
        format="delta",
        location=location,
        version=version,
        files=tuple(table.file_uris()),
        schema=pa.schema(table.schema().to_arrow()),
    )


# -- Apache Iceberg ------------------------------------------------------------------------
def _pyiceberg() -> Any:
    try:
        import pyiceberg.catalog
        import pyiceberg.table
    except ImportError:
        raise MissingComponentError(
            "Iceberg tables need pyiceberg, which is not installed",
            "pip install 'infoscope[spark]'",
        ) from None
    return pyiceberg


def export_catalog(folder: Path) -> Any:
    """The SQLite catalog of an Iceberg export in `folder` (created when absent)."""
    pyiceberg = _pyiceberg()
    folder = folder.resolve()
    return pyiceberg.catalog.load_catalog(
        "infoscope",
        type="sql",
        uri=f"sqlite:///{folder / ICEBERG_CATALOG}",
        warehouse=(folder / ICEBERG_WAREHOUSE).as_uri(),
    )


def _write_iceberg(reader: pa.RecordBatchReader, folder: Path, name: str) -> dict[str, Any]:
    """Write `reader` as the Iceberg table ``infoscope.NAME`` of the folder's SQLite catalog
    (`export_catalog`); a table of an earlier export is dropped with its files first."""
    from infoscope.engine.parquet import ROW_GROUP_ROWS

    catalog = export_catalog(folder)
    catalog.create_namespace_if_not_exists(ICEBERG_NAMESPACE)
    identifier = f"{ICEBERG_NAMESPACE}.{name}"
    if catalog.table_exists(identifier):
        catalog.purge_table(identifier)
    table = catalog.create_table(
        identifier,
        schema=reader.schema,
        properties={
            "write.parquet.compression-codec": "zstd",
            "write.parquet.row-group-limit": str(ROW_GROUP_ROWS),
        },
    )
    table.append(reader)  # streamed, in files of at most write.target-file-size-bytes
    table = catalog.load_table(identifier)
    snapshot = table.current_snapshot()
    return {
        "format": "iceberg",
        "table": identifier,
        "catalog": {key: catalog.properties[key] for key in ("type", "uri", "warehouse")},
        "metadata": table.metadata_location,
        "snapshot_id": None if snapshot is None else snapshot.snapshot_id,
    }


def _resolve_iceberg(folder: Path, name: str, entry: dict[str, Any]) -> TableSnapshot:
    """The Iceberg table `entry` names, checked: ``table`` of the pyiceberg ``catalog``
    (its properties) when given, which must still be at ``snapshot_id``; else the table of
    the ``metadata`` file (a path, or a table folder with ``metadata/version-hint.text``)."""
    pyiceberg = _pyiceberg()
    from pyiceberg.exceptions import NoSuchTableError

    again = "export the store again (`infoscope export --format iceberg`)"
    if entry.get("catalog"):
        location = entry["table"]
        properties = dict(entry["catalog"])
        try:
            catalog = pyiceberg.catalog.load_catalog(
                properties.pop("name", "infoscope"), **properties
            )
            table = catalog.load_table(location)
        except NoSuchTableError:
            raise _refuse("Iceberg", location, name, "is not in its catalog", again) from None
    else:
        location = _locate(folder, entry["metadata"])
        try:
            table = pyiceberg.table.StaticTable.from_metadata(location)
        except FileNotFoundError:
            raise _refuse("Iceberg", location, name, "is missing", again) from None
    snapshot = table.current_snapshot()
    snapshot_id = None if snapshot is None else snapshot.snapshot_id
    _check_exported("Iceberg", location, name, "snapshot", snapshot_id, entry["snapshot_id"], again)
    _check_iceberg_schema(table, location, name)
    files: list[str] = []
    if snapshot is not None:
        compact = (
            "compact it (Spark: `CALL system.rewrite_data_files` with delete-file-threshold "
            f"1), {AS_PARQUET}"
        )
        try:
            tasks = list(table.scan(snapshot_id=snapshot_id).plan_files())
        except ValueError as exc:  # pyiceberg refuses equality deletes
            if "equality deletes" not in str(exc):
                raise
            raise _refuse(
                "Iceberg", location, name,
                "has equality delete files: rows deleted from the table are still in its "
                "Parquet files", compact,
            ) from None  # fmt: skip
        deleted = sum(1 for task in tasks if task.delete_files)
        if deleted:
            raise _refuse(
                "Iceberg", location, name,
                f"has delete files on {deleted} data files: rows deleted from the table are "
                "still in its Parquet files", compact,
            )  # fmt: skip
        _check_iceberg_files(table, tasks, location, name)
        files = [task.file.file_path for task in tasks]
    return TableSnapshot(
        name=name,
        format="iceberg",
        location=location,
        version=snapshot_id,
        files=tuple(files),
        schema=table.schema().as_arrow(),
    )


def _check_iceberg_schema(table: Any, location: str, name: str) -> None:
    """Refuse a table whose column names do not say, in every file, what the current schema
    says: a column renamed, or a name given to another column (Iceberg matches columns by
    id, Parquet by name), or an added column with a default (files without it read null)."""
    from pyiceberg.schema import index_by_id, index_name_by_id

    current = index_name_by_id(table.schema())  # field id -> full name (``urls.element``)
    ids = {full: field_id for field_id, full in current.items()}
    for schema in table.metadata.schemas:
        for field_id, full in index_name_by_id(schema).items():
            if current.get(field_id, full) != full or ids.get(full, field_id) != field_id:
                raise _refuse(
                    "Iceberg", location, name,
                    f"had its column {full!r} renamed or replaced since some of its files were "
                    "written, and Parquet files are read by column name",
                    f"write the table anew, {AS_PARQUET}",
                )  # fmt: skip
    for field in index_by_id(table.schema()).values():
        if getattr(field, "initial_default", None) is not None:
            raise _refuse(
                "Iceberg", location, name,
                f"gives its column {field.name!r} a default for files written without it",
                f"write the table anew, {AS_PARQUET}",
            )  # fmt: skip


def _check_iceberg_files(table: Any, tasks: list[Any], location: str, name: str) -> None:
    """Refuse data files that are not Parquet, or that lack a column an identity partition
    gives them only in the metadata (files imported from a Hive layout)."""
    from pyiceberg.manifest import FileFormat
    from pyiceberg.transforms import IdentityTransform

    specs = table.metadata.specs()
    for task in tasks:
        data = task.file
        if data.file_format != FileFormat.PARQUET:
            raise _refuse(
                "Iceberg", location, name,
                f"has data files in {data.file_format.name} ({data.file_path})",
                f"rewrite them as Parquet, {AS_PARQUET}",
            )  # fmt: skip
        spec = specs.get(data.spec_id)
        stored = set(data.value_counts or ()) | set(data.column_sizes or ())
        if spec is None or not stored:  # no column metrics: nothing to check against
            continue
        for field in spec.fields:
            if isinstance(field.transform, IdentityTransform) and field.source_id not in stored:
                raise _refuse(
                    "Iceberg", location, name,
                    f"keeps partition values of {field.name} only in its metadata "
                    f"({data.file_path} has no such column)",
                    f"rewrite its data files, {AS_PARQUET}",
                )  # fmt: skip


TABLE_FORMATS: dict[str, TableFormat] = {
    "delta": TableFormat("delta", _write_delta, _resolve_delta),
    "iceberg": TableFormat("iceberg", _write_iceberg, _resolve_iceberg),
}
