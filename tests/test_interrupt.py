"""An ingest killed with SIGKILL part-way leaves a usable store, and running it again completes
it: every post exactly once, and the killed run marked "interrupted".

The ingest runs as ``python -m infoscope.cli.main ingest first.csv second.csv`` on two generated
files in the IRA by-author layout (100,000 and 200,000 rows, every row distinct). The pipeline
commits each file's records at the end of the file (batches are 250,000 rows) and then writes
the file to the ledger; so once the first file is committed, the second is being read for a
few seconds: that is when the process is killed.

While the writer runs, DuckDB's lock keeps other processes out of the store, so the commit is
observed from the files: a commit writes the records to the write-ahead log or the database
file, and before it both stay a few kilobytes (the schema and the run's row); once they have
grown and then stopped changing, the commit is done and the second file is being read.
Whichever way the kill falls, the test accepts the states a crash may leave (the first file
committed or not, its ledger entry written or not) and checks each exactly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from infoscope.store import Store

from .conftest import rows

HEADER = (
    "author_id,content,region,language,publish_date,harvested_date,following,followers,"
    "updates,post_type,retweet\n"
)
FIRST, SECOND = 100_000, 200_000
COMMITTED_BYTES = 1 << 20  # far above the empty store and its run row, far below one file


def _write_rows(path: Path, start: int, n: int) -> Path:
    with path.open("w", encoding="utf-8") as f:
        f.write(HEADER)
        f.writelines(
            f"acct_{i % 500},Tweet number {i} about #topic{i % 97} https://t.co/x{i},"
            f"United States,English,2017-{1 + i % 12:02d}-{1 + i % 28:02d} "
            f"{i % 24:02d}:{i % 60:02d}:00,2017-12-31 00:00:00,{i % 1000},{i % 5000},{i},,0\n"
            for i in range(start, start + n)
        )
    return path


def _ingest_command(store_path: Path, *files: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "infoscope.cli.main",
        "ingest",
        *map(str, files),
        "--store",
        str(store_path),
        "--quiet",
        "--json",
    ]


def _store_files(store_path: Path) -> tuple[int, int]:
    """Sizes of the database file and its write-ahead log (0 when absent)."""
    wal = store_path.with_name(store_path.name + ".wal")
    db_size = store_path.stat().st_size if store_path.exists() else 0
    return db_size, wal.stat().st_size if wal.exists() else 0


def test_killed_ingest_leaves_usable_store_and_rerun_completes(tmp_path):
    first = _write_rows(tmp_path / "first.csv", 0, FIRST)
    second = _write_rows(tmp_path / "second.csv", FIRST, SECOND)
    store_path = tmp_path / "store.duckdb"
    command = _ingest_command(store_path, first, second)

    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        # Wait for the first file's commit: the store's files grow past COMMITTED_BYTES, then
        # stop changing (the commit, its checkpoint and the ledger entry are written) while the
        # second file is read.
        deadline = time.monotonic() + 60
        seen, stable_since = (0, 0), time.monotonic()
        while True:
            assert proc.poll() is None, f"the ingest ended early: {proc.stderr.read()!r}"
            assert time.monotonic() < deadline, "no commit seen within 60 s"
            sizes = _store_files(store_path)
            if sizes != seen:
                seen, stable_since = sizes, time.monotonic()
            elif max(sizes) >= COMMITTED_BYTES and time.monotonic() - stable_since > 0.25:
                break
            time.sleep(0.01)
        assert proc.poll() is None, "the ingest ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.communicate(timeout=30)  # waits, and closes the pipe
    assert proc.returncode == -signal.SIGKILL

    # The store opens (DuckDB replays the log's complete commits) and is consistent: every post
    # once, and a file in the ledger only with its records (the ledger entry comes after them).
    with Store.open(store_path, read_only=True) as store:
        posts = store.count("posts")
        assert rows(store, "SELECT count(DISTINCT (platform, post_id)) d FROM posts") == [
            {"d": posts}
        ]
        ledger = [r["path"] for r in rows(store, "SELECT path FROM ingested_sources")]
        (killed,) = store.runs()
    # With 250,000-row batches, the first file is committed whole or not at all.
    assert posts in (0, FIRST), posts
    assert ledger in ([], [str(first)])
    if ledger:
        assert posts == FIRST
    # Nothing could mark it (the process was killed): the file still says running, and a
    # read-only open reports it interrupted, since DuckDB's lock means no writer is alive.
    assert (killed.status, "killed" in (killed.error or "")) == ("interrupted", True)

    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    # A file in the ledger is skipped; any other is read again, its committed posts counted as
    # duplicates.
    assert summary["skipped_files"] == ledger
    assert (summary["posts"], summary["duplicates"]) == (
        FIRST + SECOND - posts,
        posts - (FIRST if ledger else 0),
    )
    assert summary["quarantined"] == 0

    with Store.open(store_path, read_only=True) as store:
        assert rows(
            store, "SELECT count(*) n, count(DISTINCT (platform, post_id)) d FROM posts"
        ) == [{"n": FIRST + SECOND, "d": FIRST + SECOND}]
        assert store.count("accounts") == 500
        assert sorted(r["path"] for r in rows(store, "SELECT path FROM ingested_sources")) == [
            str(first),
            str(second),
        ]
        runs = store.runs()
    assert [(r.run_id, r.status) for r in runs] == [
        (killed.run_id, "interrupted"),
        (summary["run_id"], "completed"),
    ]
