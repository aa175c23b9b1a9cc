"""Delta Lake and Apache Iceberg tables as the Spark engine's data (`infoscope.engine.tables`).

The export writes a store's tables as Delta or Iceberg tables with the same manifest as a
Parquet folder; the driver resolves each table's snapshot to its Parquet files and Spark
reads those. Snapshots that plain Parquet cannot read (Delta deletion vectors, partition
values in the log; Iceberg delete files, renamed columns) and tables written to since the
export are refused with a message naming the fix. The deletion vector and the delete file
are written by hand, as Spark or Databricks would (delta-rs and pyiceberg only rewrite files
when they delete), and checked to be real: delta-rs and pyiceberg themselves drop the rows.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from deltalake import DeltaTable, write_deltalake

from infoscope.engine.parquet import MANIFEST, export_data, export_parquet, read_manifest
from infoscope.engine.tables import export_catalog, resolve_table
from infoscope.errors import InfoscopeError
from infoscope.ingest import ingest
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, run_cli
from .test_coordination_traces import insert
from .test_engine_coordination import MIXED, pairs

FORMATS = ("delta", "iceberg")
# Tables of the store that the fixtures fill: MIXED's posts and the CSV's shares.
FILLED = {"posts": "post_id", "shares": "post_id, object_id"}


def make_store(path: Path) -> Path:
    """MIXED (every trace, test_engine_coordination) and the shares of 10 posts on two
    platforms (test_coordination_shares): 35 posts, empty accounts and labels."""
    with Store.open(path) as store:
        insert(store, MIXED)
        ingest(store, [FIXTURES / "shares" / "election_long.csv"])
    return path


def export(store_path: Path, fmt: str, out: Path) -> Any:
    result = run_cli("export", "--format", fmt, "--out", str(out), "--store", str(store_path))
    assert result.exit_code == 0, result.output
    return result


def table_rows(fmt: str, entry: dict[str, Any], folder: Path) -> list[dict[str, Any]]:
    """The rows of an exported table as delta-rs or pyiceberg reads it (not Spark)."""
    if fmt == "delta":
        return pa.table(DeltaTable(folder / entry["path"]).scan()).to_pylist()
    table = export_catalog(folder).load_table(entry["table"])
    return table.scan().to_arrow().to_pylist()


def store_rows(store_path: Path, name: str) -> list[dict[str, Any]]:
    with Store.open(store_path, read_only=True) as store:
        return store.con.sql(f"SELECT * FROM {name}").to_arrow_table().to_pylist()


def by(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: tuple(str(r[k.strip()]) for k in key.split(",")))


@pytest.mark.parametrize("fmt", FORMATS)
def test_export_writes_the_tables_and_their_versions_in_the_manifest(tmp_path, fmt):
    store_path = make_store(tmp_path / "s.duckdb")
    folder = tmp_path / fmt
    first = export(store_path, fmt, folder)
    assert f"wrote posts {len(MIXED) + 10}, " in first.stderr
    before = json.loads((folder / MANIFEST).read_text())["tables"]["posts"]
    export(store_path, fmt, folder)  # again: the tables are replaced, not appended to
    manifest = read_manifest(folder)
    posts = manifest["tables"]["posts"]
    assert posts["format"] == fmt and posts["rows"] == len(MIXED) + 10
    if fmt == "delta":
        assert (posts["path"], before["version"], posts["version"]) == ("posts.delta", 0, 1)
    else:
        assert posts["table"] == "infoscope.posts"
        assert posts["snapshot_id"] != before["snapshot_id"]
        assert (folder / "catalog.db").is_file()
    assert set(manifest["tables"]) == {
        "posts", "accounts", "shares", "account_labels", "account_links", "quarantine"
    }  # fmt: skip
    for name, key in FILLED.items():
        got = table_rows(fmt, manifest["tables"][name], folder)
        assert by(got, key) == by(store_rows(store_path, name), key)
        assert len(resolve_table(folder, name, manifest["tables"][name]).files) >= 1


def _append_first_row(fmt: str, folder: Path, entry: dict[str, Any]) -> None:
    if fmt == "delta":
        path = folder / entry["path"]
        write_deltalake(path, pa.table(DeltaTable(path).scan()).slice(0, 1), mode="append")
    else:
        table = export_catalog(folder).load_table(entry["table"])
        table.append(table.scan(limit=1).to_arrow())


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_table_written_to_after_the_export_is_refused(tmp_path, fmt):
    store_path = make_store(tmp_path / "s.duckdb")
    folder = tmp_path / fmt
    export(store_path, fmt, folder)
    read_manifest(folder)  # as exported: read
    _append_first_row(fmt, folder, read_manifest(folder)["tables"]["posts"])
    with pytest.raises(InfoscopeError, match="written to since the export") as caught:
        read_manifest(folder)
    assert f"infoscope export --format {fmt}" in str(caught.value)
    # The command refuses it in one line before Spark starts.
    result = run_cli("stats", "--engine", "spark", "--data", str(folder))
    assert result.exit_code == 1
    assert "written to since the export" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


# -- snapshots plain Parquet cannot read ---------------------------------------------------

Z85 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#"


def z85(data: bytes) -> str:
    """ZeroMQ's Base85 (Delta's encoding of inline deletion vectors), padded to 4 bytes."""
    data += b"\0" * (-len(data) % 4)
    out = []
    for i in range(0, len(data), 4):
        n = int.from_bytes(data[i : i + 4], "big")
        out.append("".join(Z85[n // 85**k % 85] for k in range(4, -1, -1)))
    return "".join(out)


def delete_with_deletion_vector(path: Path, rows: list[int]) -> None:
    """Commit a deletion vector (inline, Delta protocol 'Deletion Vector Format') on the
    table's only file: what a Spark DELETE on a table with deletion vectors commits."""
    from pyroaring import BitMap

    log = path / "_delta_log"
    actions = [json.loads(line) for line in (log / f"{0:020}.json").read_text().splitlines()]
    add = next(a["add"] for a in actions if "add" in a)
    bitmaps = struct.pack("<iqi", 1681511377, 1, 0) + BitMap(rows).serialize()
    vector = {"storageType": "i", "pathOrInlineDv": z85(bitmaps), "sizeInBytes": len(bitmaps),
              "cardinality": len(rows)}  # fmt: skip
    when = add["modificationTime"] + 1
    commit = [
        {"commitInfo": {"timestamp": when, "operation": "DELETE"}},
        {"remove": {"path": add["path"], "deletionTimestamp": when, "dataChange": True}},
        {"add": {**add, "deletionVector": vector}},
    ]
    (log / f"{1:020}.json").write_text("".join(json.dumps(a) + "\n" for a in commit))


TEN = pa.table({"platform": ["t"] * 10, "post_id": [f"p{i}" for i in range(10)]})


def test_delta_deletion_vectors_are_refused(tmp_path):
    path = tmp_path / "posts.delta"
    write_deltalake(path, TEN, configuration={"delta.enableDeletionVectors": "true"})
    allowed = {"format": "delta", "path": str(path), "version": 0}
    # Deletion vectors allowed but none used: the files hold the rows, read.
    assert len(resolve_table(tmp_path, "posts", allowed).files) == 1
    delete_with_deletion_vector(path, [3, 7])
    table = DeltaTable(path)
    assert pa.table(table.scan()).num_rows == 8  # delta-rs applies the vector
    assert len(table.file_uris()) == 1  # ... to a file that still holds 10 rows
    with pytest.raises(InfoscopeError) as caught:
        resolve_table(tmp_path, "posts", {**allowed, "version": 1})
    message = str(caught.value)
    assert "has deletion vectors on 1 data files" in message
    assert "APPLY (PURGE)" in message and "infoscope export --format parquet" in message


def test_iceberg_delete_files_are_refused(tmp_path):
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    catalog = export_catalog(tmp_path)
    catalog.create_namespace("infoscope")
    table = catalog.create_table("infoscope.posts", schema=TEN.schema)
    table.append(TEN)
    data = next(iter(table.scan().plan_files())).file.file_path
    deletes = tmp_path / "deletes.parquet"
    pq.write_table(pa.table({"file_path": [data, data], "pos": pa.array([3, 7], pa.int64())}),
                   deletes)  # fmt: skip
    delete_file = DataFile.from_args(
        _table_format_version=table.format_version,
        content=DataFileContent.POSITION_DELETES,
        file_path=deletes.as_uri(),
        file_format=FileFormat.PARQUET,
        partition=Record(),
        record_count=2,
        file_size_in_bytes=deletes.stat().st_size,
    )
    delete_file.spec_id = 0
    with table.transaction() as tx, tx.update_snapshot().fast_append() as append:
        append.append_data_file(delete_file)
    table = catalog.load_table("infoscope.posts")
    assert table.scan().to_arrow().num_rows == 8  # pyiceberg applies the delete file
    snapshot_id = table.current_snapshot().snapshot_id
    entries = [
        {"format": "iceberg", "table": "infoscope.posts", "snapshot_id": snapshot_id,
         "catalog": dict(catalog.properties)},
        {"format": "iceberg", "metadata": table.metadata_location, "snapshot_id": snapshot_id},
    ]  # fmt: skip
    for entry in entries:  # through the catalog, and through the metadata file alone
        with pytest.raises(InfoscopeError, match="has delete files on 1 data files") as caught:
            resolve_table(tmp_path, "posts", entry)
        assert "rewrite_data_files" in str(caught.value)


def _partitioned_delta(folder: Path) -> dict[str, Any]:
    write_deltalake(folder / "t.delta", TEN, partition_by=["platform"])
    return {"format": "delta", "path": "t.delta", "version": 0}


def _iceberg(folder: Path, change: Any) -> dict[str, Any]:
    catalog = export_catalog(folder)
    catalog.create_namespace_if_not_exists("infoscope")
    table = catalog.create_table("infoscope.t", schema=TEN.schema)
    table.append(TEN)
    with table.update_schema() as update:
        change(update)
    table = catalog.load_table("infoscope.t")
    return {"format": "iceberg", "metadata": table.metadata_location,
            "snapshot_id": table.current_snapshot().snapshot_id}  # fmt: skip


def _renamed_iceberg(folder: Path) -> dict[str, Any]:
    return _iceberg(folder, lambda update: update.rename_column("post_id", "id"))


def _widened_iceberg(folder: Path) -> dict[str, Any]:
    from pyiceberg.types import StringType

    return _iceberg(folder, lambda update: update.add_column("lang", StringType()))


def _missing_delta(folder: Path) -> dict[str, Any]:
    return {"format": "delta", "path": "nowhere.delta", "version": 0}


def _hudi(folder: Path) -> dict[str, Any]:
    return {"format": "hudi", "path": "t.hudi"}


@pytest.mark.parametrize(
    ("make", "refused"),
    [
        (_partitioned_delta, "is partitioned by platform, whose values are only in the Delta log"),
        (_renamed_iceberg, "had its column 'post_id' renamed or replaced"),
        (_missing_delta, "is missing: export the store again"),
        (_hudi, "is a 'hudi' table, which this infoscope cannot read"),
        (_widened_iceberg, None),  # a column added: old files read it as null, accepted
    ],
    ids=["partitioned-delta", "renamed-iceberg-column", "missing-delta", "unknown-format",
         "added-iceberg-column"],
)  # fmt: skip
def test_tables_plain_parquet_cannot_read_are_refused(tmp_path, make, refused):
    entry = make(tmp_path)
    if refused is None:
        assert len(resolve_table(tmp_path, "t", entry).files) == 1
        return
    with pytest.raises(InfoscopeError, match=refused):
        resolve_table(tmp_path, "t", entry)


def test_a_parquet_folder_exported_before_formats_is_still_read(store, tmp_path):
    insert(store, MIXED[:3])
    folder = tmp_path / "parquet"
    manifest = export_parquet(store, folder)
    assert {e["format"] for e in manifest["tables"].values()} == {"parquet"}
    for entry in manifest["tables"].values():
        del entry["format"]
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    assert read_manifest(folder)["tables"]["posts"]["rows"] == 3


def test_export_of_one_table_as_delta_is_refused(store_path, tmp_path):
    Store.open(store_path).close()
    result = run_cli("export", "posts", "--format", "delta", "--out", str(tmp_path / "p"),
                     "--store", str(store_path))  # fmt: skip
    assert result.exit_code == 1
    assert "drop WHAT (`infoscope export --format delta --out DIR`)" in result.stderr


# -- on Spark ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One store exported as Parquet, Delta and Iceberg, and its statistics on DuckDB."""
    root = tmp_path_factory.mktemp("tables")
    store_path = make_store(root / "s.duckdb")
    with Store.open(store_path, read_only=True) as store:
        for fmt in ("parquet", *FORMATS):
            export_data(store, root / fmt, format=fmt)
    return {
        "root": root,
        "store": store_path,
        "stats": cli_json("stats", "--store", str(store_path)),
    }


@pytest.mark.spark
@pytest.mark.parametrize("fmt", FORMATS)
def test_spark_reads_delta_and_iceberg_as_it_reads_parquet(exported, fmt, spark_session):
    from infoscope.engine.spark_engine import SparkEngine

    root = exported["root"]
    with Store.open(exported["store"], read_only=True) as store:
        parquet = SparkEngine(root / "parquet", session=spark_session, store=store)
        engine = SparkEngine(root / fmt, session=spark_session, store=store)
        try:
            for name, key in FILLED.items():
                got = engine.to_arrow(engine.table(name))
                want = parquet.to_arrow(parquet.table(name))
                assert got.schema == want.schema
                assert by(got.to_pylist(), key) == by(want.to_pylist(), key)
            # MIXED's co-retweets within 60 s, as test_engine_coordination states them.
            assert pairs(engine, "co-retweet", window=60.0) == {
                ("a", "b"): (1, 2), ("a", "d"): (1, 2), ("b", "c"): (1, 1), ("b", "d"): (1, 1)
            }  # fmt: skip
            described = engine.describe()["tables"]
            manifest = read_manifest(root / fmt)["tables"]
            version = "version" if fmt == "delta" else "snapshot_id"
            assert described["posts"][version] == manifest["posts"][version] is not None
            assert engine.fingerprint() == store.fingerprint() == parquet.fingerprint()
            assert "tables" not in parquet.describe()
        finally:
            engine.close()
            parquet.close()
    spark = cli_json("stats", "--engine", "spark", "--data", str(root / fmt))
    assert spark == exported["stats"]
    assert spark["posts"] == len(MIXED) + 10 and spark["first_post"].endswith("+00:00")
