"""The folder an engine other than DuckDB reads: the store's corpus tables and a manifest.

``infoscope export --format parquet --out DIR`` (`export_parquet`) writes each table of
`DATA_TABLES` the store has as ``DIR/TABLE.parquet`` (timestamps in UTC, lists and maps as
Parquet's own, row groups of `ROW_GROUP_ROWS` rows so that Spark reads them in parallel) and
``DIR/infoscope.json`` (`MANIFEST`): the store's schema version, the infoscope version that
wrote it, the store's input fingerprint, and each table's format, file, rows and bytes.
``--format delta`` and ``--format iceberg`` (`export_data`) write each table as a Delta or an
Iceberg table instead (`infoscope.engine.tables`), and the manifest names each table's
location and the version (Delta) or snapshot id (Iceberg) written. A table without a
``format`` is Parquet (folders exported before there were other formats).

`read_manifest` checks a folder before an engine reads it: a schema this infoscope cannot
read, a file changed since the export, or a Delta or Iceberg table written to since (or one
that plain Parquet cannot read) is refused with a message that says what to do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infoscope.engine.tables import TABLE_FORMATS, resolve_table
from infoscope.errors import BadParameterError, InfoscopeError, StoreVersionError
from infoscope.store import Store

__all__ = [
    "DATA_TABLES",
    "FORMATS",
    "MANIFEST",
    "ROW_GROUP_ROWS",
    "export_data",
    "export_parquet",
    "read_manifest",
]

# The store's tables that an engine other than DuckDB reads.
DATA_TABLES = ("posts", "accounts", "shares", "account_labels", "account_links", "quarantine")
MANIFEST = "infoscope.json"
ROW_GROUP_ROWS = 262_144


def export_parquet(store: Store, out: str | Path) -> dict[str, Any]:
    """Write the store's `DATA_TABLES` as Parquet files and the manifest into folder `out`
    (created; files of an earlier export there are replaced). Returns the manifest."""
    return export_data(store, out, format="parquet")


def export_data(store: Store, out: str | Path, *, format: str = "parquet") -> dict[str, Any]:
    """Write the store's `DATA_TABLES` in `format` (one of `FORMATS`) and the manifest into
    folder `out` (created; tables of an earlier export there are replaced). Returns the
    manifest."""
    from infoscope._version import __version__
    from infoscope.store import SCHEMA_VERSION

    write = _WRITERS.get(format)
    if write is None:
        raise BadParameterError(f"unknown data format {format!r}; choose {', '.join(FORMATS)}")
    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InfoscopeError(f"--out {folder} is a file: give a folder for --format {format}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # no manifest while the files change
    tables: dict[str, Any] = {}
    for name in DATA_TABLES:
        if not store.has_table(name):
            continue
        tables[name] = {**write(store, name, folder), "rows": store.count(name)}
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "written_by": __version__,
        "fingerprint": store.fingerprint(),
        "store": str(store.path),
        "tables": tables,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def _write_parquet(store: Store, name: str, folder: Path) -> dict[str, Any]:
    path = folder / f"{name}.parquet"
    quoted = str(path).replace("'", "''")
    store.con.execute(
        f"COPY (SELECT * FROM {name}) TO '{quoted}' "
        f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
    )
    return {"format": "parquet", "file": path.name, "bytes": path.stat().st_size}


def _table_writer(fmt: str) -> Callable[[Store, str, Path], dict[str, Any]]:
    """The writer of `fmt` (`TABLE_FORMATS`), fed the table as a stream of Arrow batches."""

    def write(store: Store, name: str, folder: Path) -> dict[str, Any]:
        reader = store.con.sql(f"SELECT * FROM {name}").to_arrow_reader(ROW_GROUP_ROWS)
        return TABLE_FORMATS[fmt].write(reader, folder, name)

    return write


# How each format writes one table into the folder (returns its manifest entry).
_WRITERS: dict[str, Callable[[Store, str, Path], dict[str, Any]]] = {
    "parquet": _write_parquet,
    **{fmt: _table_writer(fmt) for fmt in TABLE_FORMATS},
}
FORMATS = tuple(_WRITERS)


def read_manifest(folder: str | Path) -> dict[str, Any]:
    """The manifest of an exported folder, checked against its files and this infoscope's
    schema version."""
    from infoscope.store import SCHEMA_VERSION

    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        raise InfoscopeError(
            f"{folder} has no {MANIFEST}: write the folder with `infoscope export --format "
            f"parquet --out {folder}`"
        )
    manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    found = int(manifest.get("schema_version", 0))
    if found != SCHEMA_VERSION:
        raise StoreVersionError(
            f"{folder} was exported with schema version {found}; this infoscope reads "
            f"version {SCHEMA_VERSION}: export the store again with this infoscope "
            "(`infoscope export --format parquet`)"
        )
    for name, entry in manifest.get("tables", {}).items():
        if entry.get("format", "parquet") != "parquet":
            resolve_table(folder, name, entry)  # Delta or Iceberg: checked by its snapshot
            continue
        file = folder / entry["file"]
        if not file.is_file() or file.stat().st_size != entry["bytes"]:
            raise InfoscopeError(
                f"{file} is missing or changed since the export ({name}): export the store "
                "again (`infoscope export --format parquet`)"
            )
    return manifest
