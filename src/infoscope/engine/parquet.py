"""The Parquet folder the Spark engine reads: the store's corpus tables and a manifest.

``infoscope export --format parquet --out DIR`` (`export_parquet`) writes each table of
`DATA_TABLES` the store has as ``DIR/TABLE.parquet`` (timestamps in UTC, lists and maps as
Parquet's own, row groups of `ROW_GROUP_ROWS` rows so that Spark reads them in parallel) and
``DIR/infoscope.json`` (`MANIFEST`): the store's schema version, the infoscope version that
wrote it, the store's input fingerprint, and each table's file, rows and bytes.

`read_manifest` checks a folder before an engine reads it: a schema this infoscope cannot
read, or a file changed since the export, is refused with a message that says what to do.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from infoscope.errors import InfoscopeError, StoreVersionError
from infoscope.store import Store

__all__ = ["DATA_TABLES", "MANIFEST", "ROW_GROUP_ROWS", "export_parquet", "read_manifest"]

# The store's tables that an engine other than DuckDB reads.
DATA_TABLES = ("posts", "accounts", "shares", "account_labels", "account_links", "quarantine")
MANIFEST = "infoscope.json"
ROW_GROUP_ROWS = 262_144


def export_parquet(store: Store, out: str | Path) -> dict[str, Any]:
    """Write the store's `DATA_TABLES` and the manifest into folder `out` (created; files of
    an earlier export there are replaced). Returns the manifest."""
    from infoscope._version import __version__
    from infoscope.store import SCHEMA_VERSION

    folder = Path(out)
    if folder.exists() and not folder.is_dir():
        raise InfoscopeError(f"--out {folder} is a file: give a folder for --format parquet")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / MANIFEST).unlink(missing_ok=True)  # no manifest while the files change
    tables: dict[str, Any] = {}
    for name in DATA_TABLES:
        if not store.has_table(name):
            continue
        path = folder / f"{name}.parquet"
        quoted = str(path).replace("'", "''")
        store.con.execute(
            f"COPY (SELECT * FROM {name}) TO '{quoted}' "
            f"(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE {ROW_GROUP_ROWS})"
        )
        tables[name] = {"file": path.name, "rows": store.count(name), "bytes": path.stat().st_size}
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "written_by": __version__,
        "fingerprint": store.fingerprint(),
        "store": str(store.path),
        "tables": tables,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


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
        file = folder / entry["file"]
        if not file.is_file() or file.stat().st_size != entry["bytes"]:
            raise InfoscopeError(
                f"{file} is missing or changed since the export ({name}): export the store "
                "again (`infoscope export --format parquet`)"
            )
    return manifest
