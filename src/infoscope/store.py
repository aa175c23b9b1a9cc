"""The store: one DuckDB file with a versioned schema, provenance, quarantine and runs.

Tables
------
- ``meta``: schema version and the version of infoscope that created the store.
- ``runs``: one row per command that changed or analysed the store: the command (an analysis
  name, or ``ingest``), parameters, seed, input fingerprint, version, engine, start and end
  time, status (``running``, ``completed``, ``failed``, ``interrupted``), counts and, for a run
  that did not complete, its error.
- ``posts``, ``accounts``, ``account_labels``, ``articles``, ``article_links``: canonical
  records (see `infoscope.records`), each with its provenance columns.
- ``shares``: the objects each post shares, one row per share (a URL, domain, hashtag, image
  hash, media id or shared post, `infoscope.records.SHARE_SCHEMA`), from the formats that give
  them (`infoscope.ingest.shares`), with provenance.
- ``account_links``: the same actor's accounts on several platforms, stated by the analyst or
  found by exact handle and URL matches, with the evidence (`infoscope.account_links`).
- ``quarantine``: records that could not be stored, with the reason and the raw text.
- ``ingested_sources``: the ledger of input files whose ingest completed (by content hash), so
  that ingesting a file again is a no-op and an interrupted ingest is simply run again.
- ``detected_languages``: languages identified for posts whose source gave none.
- the tables of each registered analysis (`infoscope.registry`): each analysis declares its
  own, keyed by ``run_id``, in its package, and the store creates the missing ones whenever it
  is opened for writing.

Runs
----
Every analysis and every ingest runs inside `Store.run`, one lifecycle: it records the run as
``running`` with its parameters, seed, input fingerprint (`Store.fingerprint`), version and
engine; it marks it ``completed`` with its counts when the block ends, ``failed`` with the
error when the block raises, and ``interrupted`` on Ctrl-C or SIGTERM. A process killed
outright (SIGKILL) cannot record anything: its run stays ``running`` in the file, and since
DuckDB's lock guarantees that no writer is alive when a store is opened, the next writable open
marks it ``interrupted`` and a read-only open reports it so (`Store.runs`). A failed or
interrupted run's rows are deleted from its analysis' tables, and readers only ever read
completed runs (`Store.latest_run`).

An older store is upgraded in place when opened for writing (each schema step only adds
tables or columns); opened read-only it is read as it is, and the analyses it lacks count as
not run.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from infoscope._version import __version__
from infoscope.errors import (
    BadParameterError,
    InfoscopeError,
    NotFoundError,
    StoreLockedError,
    StoreVersionError,
)
from infoscope.records import (
    ACCOUNT_LINK_SCHEMA,
    ACCOUNT_SCHEMA,
    ARTICLE_LINK_SCHEMA,
    ARTICLE_SCHEMA,
    LABEL_SCHEMA,
    POST_SCHEMA,
    SHARE_SCHEMA,
)

__all__ = ["Run", "Store", "machine_memory_bytes", "memory_limit"]

SCHEMA_VERSION = 14
DEFAULT_STORE = "infoscope.duckdb"
# The engine's memory limit: $INFOSCOPE_MEMORY_LIMIT (the CLI's --memory-limit sets it), else
# this share of the machine's memory. Past it DuckDB spills to ``<store>.tmp`` rather than
# fail; memory held in Python (arrays of MinHash signatures, graphs) is not counted.
MEMORY_LIMIT_ENV = "INFOSCOPE_MEMORY_LIMIT"
DEFAULT_MEMORY_SHARE = 0.6
_MEMORY_SIZE = re.compile(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*", re.I)
RUN_STATUSES = ("running", "completed", "failed", "interrupted")
DEFAULT_ENGINE = "duckdb"

_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.int64(): "BIGINT",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ",
    pa.list_(pa.string()): "VARCHAR[]",
    pa.map_(pa.string(), pa.int64()): "MAP(VARCHAR, BIGINT)",
}


def _columns_ddl(schema: pa.Schema) -> str:
    return ",\n  ".join(
        f"{f.name} {_DUCK_TYPES[f.type]}{'' if f.nullable else ' NOT NULL'}" for f in schema
    )


# The store's own tables; each analysis declares its tables in its package (`registry`).
_DDL = f"""
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS runs (
  run_id VARCHAR PRIMARY KEY,
  command VARCHAR NOT NULL,
  parameters JSON,
  seed BIGINT,
  input_fingerprint VARCHAR,
  version VARCHAR NOT NULL,
  started_at TIMESTAMPTZ NOT NULL,
  ended_at TIMESTAMPTZ,
  status VARCHAR NOT NULL,
  counts JSON,
  engine VARCHAR,
  error VARCHAR
);
CREATE TABLE IF NOT EXISTS posts (
  {_columns_ddl(POST_SCHEMA)}
);
CREATE TABLE IF NOT EXISTS accounts (
  {_columns_ddl(ACCOUNT_SCHEMA)},
  PRIMARY KEY (platform, account_id)
);
CREATE TABLE IF NOT EXISTS account_labels (
  {_columns_ddl(LABEL_SCHEMA)}
);
CREATE TABLE IF NOT EXISTS articles (
  {_columns_ddl(ARTICLE_SCHEMA)}
);
CREATE TABLE IF NOT EXISTS article_links (
  {_columns_ddl(ARTICLE_LINK_SCHEMA)}
);
CREATE TABLE IF NOT EXISTS shares (
  {_columns_ddl(SHARE_SCHEMA)}
);
CREATE TABLE IF NOT EXISTS account_links (
  {_columns_ddl(ACCOUNT_LINK_SCHEMA)}
);
CREATE TABLE IF NOT EXISTS quarantine (
  source VARCHAR NOT NULL,
  source_line BIGINT,
  source_record BIGINT,
  format VARCHAR,
  reason VARCHAR NOT NULL,
  raw VARCHAR,
  ingest_run VARCHAR
);
CREATE TABLE IF NOT EXISTS ingested_sources (
  ledger_key VARCHAR PRIMARY KEY,
  path VARCHAR NOT NULL,
  fingerprint VARCHAR NOT NULL,
  format VARCHAR,
  ingest_run VARCHAR NOT NULL,
  completed_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE IF NOT EXISTS detected_languages (
  platform VARCHAR NOT NULL,
  post_id VARCHAR NOT NULL,
  lang VARCHAR NOT NULL,
  confidence DOUBLE,
  model VARCHAR NOT NULL,
  PRIMARY KEY (platform, post_id)
);
"""


def _migrate_coordination_keys(con: Any) -> None:
    """Schema 14 on an older store's coordination tables (when it has them)."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "coordination_accounts" in tables:
        con.execute(
            "ALTER TABLE coordination_accounts ADD COLUMN IF NOT EXISTS account_key VARCHAR"
        )
        con.execute(
            "UPDATE coordination_accounts SET account_key = account_id WHERE account_key IS NULL"
        )
    if "coordination_evidence" in tables:
        for column in ("platform_a", "platform_b"):
            con.execute(
                f"ALTER TABLE coordination_evidence ADD COLUMN IF NOT EXISTS {column} VARCHAR"
            )
        if "coordination_accounts" in tables:
            con.execute(
                """
                UPDATE coordination_evidence e SET platform_a = a.platform, platform_b = a.platform
                FROM (SELECT run_id, any_value(platform) AS platform FROM coordination_accounts
                      GROUP BY run_id) a
                WHERE a.run_id = e.run_id AND e.platform_a IS NULL
                """
            )


# Changes to existing tables, by the schema version that made them; applied in order when an
# older store is opened for writing. (Versions 2 to 7 only added tables, which every writable
# open now creates when missing.) A step is SQL, or a function of the connection when what it
# does depends on the tables the store has.
_MIGRATIONS: dict[int, str | Callable[[Any], None]] = {
    8: """
ALTER TABLE runs ADD COLUMN IF NOT EXISTS engine VARCHAR;
ALTER TABLE runs ADD COLUMN IF NOT EXISTS error VARCHAR;
""",
    # A signature's terms carry the run that learnt them, so a failed run leaves none behind.
    9: """
ALTER TABLE IF EXISTS signature_terms ADD COLUMN IF NOT EXISTS run_id VARCHAR;
""",
    # Resonance scores say when a score is out of depth, and where a probability comes from.
    10: """
ALTER TABLE IF EXISTS resonance_scores ADD COLUMN IF NOT EXISTS status VARCHAR;
ALTER TABLE IF EXISTS resonance_scores ADD COLUMN IF NOT EXISTS coverage DOUBLE;
ALTER TABLE IF EXISTS resonance_scores ADD COLUMN IF NOT EXISTS source VARCHAR;
""",
    # Pages become items: each article says what it is on its page (main, repost, secondary);
    # the articles stored before were each a page's one article. (``article_links`` is new.)
    11: """
ALTER TABLE articles ADD COLUMN IF NOT EXISTS item_kind VARCHAR;
UPDATE articles SET item_kind = 'main' WHERE item_kind IS NULL;
""",
    # Account signals say whether a profile is inside its model's domain, and carry the
    # automation-likeness of accounts with posts (older runs keep NULLs: not assessed).
    12: """
ALTER TABLE IF EXISTS account_signals ADD COLUMN IF NOT EXISTS profile_status VARCHAR;
ALTER TABLE IF EXISTS account_signals ADD COLUMN IF NOT EXISTS profile_typicality DOUBLE;
ALTER TABLE IF EXISTS account_signals ADD COLUMN IF NOT EXISTS profile_domain JSON;
ALTER TABLE IF EXISTS account_signals ADD COLUMN IF NOT EXISTS automation_likeness DOUBLE;
ALTER TABLE IF EXISTS account_signals ADD COLUMN IF NOT EXISTS automation_status VARCHAR;
ALTER TABLE IF EXISTS account_signals ADD COLUMN IF NOT EXISTS automation_evidence JSON;
""",
    # Actor mentions carry the person's affiliation and role ("Russian President Vladimir
    # Putin": Russia, head of state); quotes the words written where the speaker is and why a
    # speaker was left NULL (a pronoun naming no one, a fragment). Older runs keep NULLs.
    13: """
ALTER TABLE IF EXISTS article_mentions ADD COLUMN IF NOT EXISTS affiliation VARCHAR;
ALTER TABLE IF EXISTS article_mentions ADD COLUMN IF NOT EXISTS role VARCHAR;
ALTER TABLE IF EXISTS article_quotes ADD COLUMN IF NOT EXISTS speaker_written VARCHAR;
ALTER TABLE IF EXISTS article_quotes ADD COLUMN IF NOT EXISTS speaker_reason VARCHAR;
""",
    # Coordination runs across platforms: each coordinated account keeps its own platform and
    # id beside its key in the run's network (``platform:account_id`` across platforms, the
    # id itself in a run of one platform, which every older run was), and each evidence row
    # the platforms of its two posts. (``shares`` and ``account_links`` are new tables.)
    14: _migrate_coordination_keys,
}


_KILLED = "its process ended before the run did (killed); run the command again"


class _Connection:
    """The store's DuckDB connection, whose ``fetchone`` drains the result.

    DuckDB 2.0 refuses any relational query (``con.sql``, Ibis) while a result of
    ``execute`` is partly read; ``execute(...).fetchone()`` is the usual way to read one row,
    so here it reads the result to its end and returns the first row.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)

    def execute(self, *args: Any, **kwargs: Any) -> _Connection:
        self._con.execute(*args, **kwargs)
        return self

    def executemany(self, *args: Any, **kwargs: Any) -> _Connection:
        self._con.executemany(*args, **kwargs)
        return self

    def fetchone(self) -> Any:
        rows = self._con.fetchall()
        return rows[0] if rows else None


def _query_interrupted(exc: BaseException) -> bool:
    """Whether DuckDB stopped a query because the process was interrupted."""
    return isinstance(exc, duckdb.InterruptException) or "Query interrupted" in str(exc)


def _now() -> datetime:
    return datetime.now(UTC)


def _json_or_empty(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    loaded = json.loads(value) if isinstance(value, str) else value
    return dict(loaded) if isinstance(loaded, Mapping) else {"value": loaded}


@dataclass
class Run:
    """One run of an analysis (or an ingest) as the store records it.

    Inside `Store.run` the analysis fills `counts` (what it produced); the lifecycle sets
    `status`, `ended_at` and, when the run did not complete, `error`.
    """

    run_id: str
    command: str
    parameters: dict[str, Any]
    seed: int | None
    input_fingerprint: str | None
    version: str
    engine: str | None
    started_at: datetime
    ended_at: datetime | None = None
    status: str = "running"
    counts: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def seconds(self) -> float | None:
        if self.ended_at is None:
            return None
        return round((self.ended_at - self.started_at).total_seconds(), 3)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: times as ISO 8601 text."""
        return {
            "run_id": self.run_id,
            "command": self.command,
            "status": self.status,
            "parameters": self.parameters,
            "seed": self.seed,
            "input_fingerprint": self.input_fingerprint,
            "version": self.version,
            "engine": self.engine,
            "started_at": self.started_at.isoformat(),
            "ended_at": None if self.ended_at is None else self.ended_at.isoformat(),
            "seconds": self.seconds,
            "counts": self.counts,
            "error": self.error,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Run:
        return cls(
            run_id=str(row["run_id"]),
            command=str(row["command"]),
            parameters=_json_or_empty(row.get("parameters")),
            seed=row.get("seed"),
            input_fingerprint=row.get("input_fingerprint"),
            version=str(row["version"]),
            engine=row.get("engine"),
            started_at=row["started_at"],
            ended_at=row.get("ended_at"),
            status=str(row["status"]),
            counts=_json_or_empty(row.get("counts")),
            error=row.get("error"),
        )


def machine_memory_bytes() -> int:
    """Physical memory of this machine."""
    return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def memory_limit(value: str | None = None) -> str:
    """DuckDB's ``memory_limit`` for `value` (``4GB``, ``512MiB``, ``50%`` of the machine),
    by default $INFOSCOPE_MEMORY_LIMIT or `DEFAULT_MEMORY_SHARE` of the machine, as ``<n>MiB``;
    an error naming the accepted forms when it is not a size."""
    given = value if value is not None else os.environ.get(MEMORY_LIMIT_ENV)
    if not given:
        return f"{int(machine_memory_bytes() * DEFAULT_MEMORY_SHARE) >> 20}MiB"
    match = _MEMORY_SIZE.fullmatch(given)
    if match is None:
        raise BadParameterError(
            f"memory limit {given!r} is not a size: give e.g. 4GB, 512MB or 50% (of this "
            f"machine's {machine_memory_bytes() >> 30} GiB)"
        )
    number, unit = float(match[1]), match[2].upper()
    if unit == "%":
        if not 0 < number <= 100:
            raise BadParameterError(f"memory limit {given!r}: a share must be in (0%, 100%]")
        size = machine_memory_bytes() * number / 100
    else:
        power = "KMGT".index(unit[0]) + 1
        size = number * ((1024 if "I" in unit else 1000) ** power)
    if size < 64 << 20:
        raise BadParameterError(f"memory limit {given!r} is under 64 MB: the engine needs more")
    return f"{int(size) >> 20}MiB"


_LOCK_HOLDER = re.compile(r"lock is held in (?P<program>.+?) \(PID (?P<pid>[0-9]+)\)")


def _lock_message(path: Path, error: str, read_only: bool) -> str | None:
    """What to tell the user when DuckDB refuses `path` because of a lock, or None."""
    if "different configuration" in error:
        # This process already holds the store in the other mode (a notebook or a test that
        # kept a read-only store open and now asks for a writable one, or the reverse).
        held = "writable" if read_only else "read-only"
        return (
            f"store {path} is already open {held} in this process; close that store "
            "(Store.close() or leave its with-block) before opening it again"
        )
    if "lock" not in error.lower():
        return None
    holder = _LOCK_HOLDER.search(error)
    who = (
        f"process {holder['pid']} ({Path(holder['program']).name})" if holder else "another process"
    )
    return (
        f"store {path} is locked by {who}: an infoscope command, a dashboard or a notebook "
        "that has it open (even read-only) keeps writers out; close it or wait for it to "
        "finish, or use another --store"
    )


class Store:
    """An open infoscope store. Use as a context manager, or call `close()`.

    >>> with Store.open("infoscope.duckdb") as store:  # doctest: +SKIP
    ...     store.count("posts")
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool):
        self.con: Any = _Connection(con)
        self.path = path
        self.read_only = read_only
        self._ibis: Any = None

    @classmethod
    def open(cls, path: str | Path = DEFAULT_STORE, *, read_only: bool = False) -> Store:
        """Open (creating when writable and absent) the store at `path` and check its schema."""
        path = Path(path)
        if read_only and not path.exists():
            raise InfoscopeError(
                f"no store at {path}: ingest something first (infoscope ingest FILE --store "
                f"{path}) or pass --store with the right path"
            )
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            locked = _lock_message(path, str(exc), read_only)
            if locked is not None:
                raise StoreLockedError(locked) from None
            if "Read-only file system" in str(exc) or "Permission denied" in str(exc):
                why = (
                    "is on a read-only file system"
                    if "Read-only" in str(exc)
                    else ("may not be written by this user")
                )
                raise InfoscopeError(
                    f"store {path} {why}: commands that only read it (stats, export, report, "
                    "dashboard) work; to write, copy it to a writable disk or pass --store "
                    "with a path there"
                ) from None
            raise InfoscopeError(
                f"{path} cannot be opened as an infoscope store ({exc}); "
                "pass --store with a DuckDB file made by infoscope, or a new path"
            ) from None
        # Timestamps without an offset are UTC everywhere in infoscope.
        con.execute("SET TimeZone = 'UTC'")
        try:
            con.execute(f"SET memory_limit = '{memory_limit()}'")
        except BaseException:
            con.close()
            raise
        # Insertion order carries no meaning in the store; not preserving it lets DuckDB
        # insert and scan in parallel with less memory.
        con.execute("SET preserve_insertion_order = false")
        store = cls(con, path, read_only)
        try:
            store._check_or_create()
        except (duckdb.IOException, duckdb.SerializationException) as exc:
            # A damaged file (truncated, overwritten) that DuckDB opened but cannot read.
            con.close()
            raise InfoscopeError(
                f"{path} cannot be read as an infoscope store: the file is damaged ({exc}); "
                "pass --store with an intact store or a new path (then ingest again)"
            ) from None
        except BaseException:
            con.close()  # a refused store must not stay open (and locked) in this process
            raise
        return store

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    # -- schema ---------------------------------------------------------------------------
    def _check_or_create(self) -> None:
        tables = self._tables()
        if "meta" in tables:
            meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
            found = int(meta.get("schema_version", "0"))
            if not 1 <= found <= SCHEMA_VERSION:
                raise StoreVersionError(
                    f"store {self.path} has schema version {found} (written by infoscope "
                    f"{meta.get('created_by', '?')}); this infoscope {__version__} reads up to "
                    f"version {SCHEMA_VERSION}. Ingest your inputs again into a new store "
                    "(--store NEW)"
                )
            if not self.read_only:
                self._upgrade(found)
        elif tables:
            raise InfoscopeError(
                f"{self.path} is a DuckDB file but not an infoscope store; pass a new --store path"
            )
        elif self.read_only:
            raise InfoscopeError(f"{self.path} is empty: ingest something first")
        else:
            with self.transaction() as con:
                self._create_tables(con)
                con.executemany(
                    "INSERT INTO meta VALUES (?, ?)",
                    [["schema_version", str(SCHEMA_VERSION)], ["created_by", __version__]],
                )
        if not self.read_only:
            # A run still marked running when the store is opened for writing was killed:
            # DuckDB's file lock guarantees no other writer is alive. What it committed
            # before it was killed (readers never read it) is deleted, then it is marked.
            for run in self.runs(status="running"):
                self._discard(run, None)
            self.con.execute(
                "UPDATE runs SET status = 'interrupted', error = coalesce(error, ?) "
                "WHERE status = 'running'",
                [_KILLED],
            )

    def _tables(self) -> set[str]:
        return {r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}

    def _create_tables(self, con: Any) -> None:
        """The store's tables and every registered analysis' tables, where missing."""
        from infoscope.registry import analysis_tables

        con.execute(_DDL)
        for ddl in analysis_tables().values():
            con.execute(ddl)

    def _upgrade(self, found: int) -> None:
        with self.transaction() as con:
            for step in range(found + 1, SCHEMA_VERSION + 1):
                migration = _MIGRATIONS.get(step)
                if isinstance(migration, str):
                    con.execute(migration)
                elif migration is not None:
                    migration(con)
            self._create_tables(con)
            if found < SCHEMA_VERSION:
                con.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'",
                    [str(SCHEMA_VERSION)],
                )

    def has_table(self, name: str) -> bool:
        """Whether the store has table `name` (an older store opened read-only may not)."""
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    # -- runs -----------------------------------------------------------------------------
    def fingerprint(self) -> str:
        """What an analysis reads, as a hash: the store's completed ingest runs and the
        number of posts, accounts, labels, articles and account links."""
        ingests = [
            r[0]
            for r in self.con.execute(
                "SELECT run_id FROM runs WHERE command = 'ingest' AND status = 'completed' "
                "ORDER BY run_id"
            ).fetchall()
        ]
        counts = [self.count(t) for t in ("posts", "accounts", "account_labels", "articles")]
        # Account links are the analyst's input beside the ingests (none: as before).
        links = self.count("account_links") if self.has_table("account_links") else 0
        if links:
            counts.append(links)
        return hashlib.sha256(json.dumps([ingests, counts]).encode()).hexdigest()[:32]

    @contextmanager
    def run(
        self,
        command: str,
        parameters: Mapping[str, Any],
        *,
        seed: int | None = None,
        fingerprint: str | None = None,
        engine: str = DEFAULT_ENGINE,
        tables: tuple[str, ...] | None = None,
    ) -> Iterator[Run]:
        """Record a run of `command` around the block: ``completed`` with the counts the block
        leaves in ``run.counts``, ``failed`` with the error if it raises, ``interrupted`` on
        Ctrl-C or SIGTERM (see the module docstring). A run that does not complete leaves no
        rows in `tables` (default: the tables of the analysis named `command`)."""
        if self.read_only:
            raise InfoscopeError(f"store {self.path} is open read-only: cannot record a run")
        record = Run(
            run_id=uuid.uuid4().hex[:16],
            command=command,
            parameters=json.loads(json.dumps(dict(parameters), default=str, sort_keys=True)),
            seed=seed,
            input_fingerprint=self.fingerprint() if fingerprint is None else fingerprint,
            version=__version__,
            engine=engine,
            started_at=_now(),
        )
        self.con.execute(
            "INSERT INTO runs (run_id, command, parameters, seed, input_fingerprint, version, "
            "started_at, status, engine) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?)",
            [
                record.run_id,
                command,
                json.dumps(record.parameters, sort_keys=True),
                seed,
                record.input_fingerprint,
                __version__,
                record.started_at,
                engine,
            ],
        )
        try:
            yield record
        except KeyboardInterrupt:
            self._finish(record, "interrupted", "interrupted (Ctrl-C or SIGTERM)", tables)
            raise
        except (duckdb.InterruptException, RuntimeError) as exc:
            # DuckDB turns a Ctrl-C or SIGTERM that lands during a query into its own error.
            if not _query_interrupted(exc):
                self._finish(record, "failed", f"{type(exc).__name__}: {exc}", tables)
                raise
            self._finish(record, "interrupted", "interrupted (Ctrl-C or SIGTERM)", tables)
            raise KeyboardInterrupt from exc
        except BaseException as exc:
            self._finish(record, "failed", f"{type(exc).__name__}: {exc}", tables)
            raise
        self._finish(record, "completed", None, tables)

    def _finish(self, run: Run, status: str, error: str | None, tables: Any) -> None:
        run.status, run.error, run.ended_at = status, error, _now()
        try:
            if status != "completed":
                with suppress(duckdb.Error):  # a transaction the failure left open
                    self.con.execute("ROLLBACK")
                self._discard(run, tables)
            self.con.execute(
                "UPDATE runs SET ended_at = ?, status = ?, counts = ?, error = ? WHERE run_id = ?",
                [
                    run.ended_at,
                    status,
                    json.dumps(run.counts, default=str, sort_keys=True),
                    error,
                    run.run_id,
                ],
            )
        except duckdb.Error:
            # The connection itself failed (the error being raised says why); the run stays
            # `running` in the file and the next writable open marks it interrupted.
            if status == "completed":
                raise

    def _discard(self, run: Run, tables: tuple[str, ...] | None) -> None:
        """Delete the rows a run that did not complete left in its tables."""
        if tables is None:
            from infoscope.registry import registered_analyses

            analysis = registered_analyses().get(run.command)
            tables = analysis.run_tables() if analysis is not None else ()
        if not tables:
            return
        with self.transaction() as con:
            for table in tables:
                con.execute(f"DELETE FROM {table} WHERE run_id = ?", [run.run_id])

    def runs(self, command: str | None = None, *, status: str | None = None) -> list[Run]:
        """The recorded runs (of `command`, with `status`), oldest first. In a store opened
        read-only, a run still marked ``running`` is reported ``interrupted``: DuckDB's lock
        means no writer is alive."""
        cur = self.con.execute(
            "SELECT * FROM runs WHERE (? IS NULL OR command = ?) ORDER BY started_at, run_id",
            [command, command],
        )
        names = [d[0] for d in cur.description]
        found = [Run.from_row(dict(zip(names, row, strict=True))) for row in cur.fetchall()]
        if self.read_only:
            for run in found:
                if run.status == "running":
                    run.status, run.error = "interrupted", run.error or _KILLED
        return [r for r in found if status is None or r.status == status]

    def get_run(self, run_id: str, command: str | None = None) -> Run:
        """The run `run_id` (of `command` when given), or NotFoundError naming the fix."""
        found = [r for r in self.runs(command) if r.run_id == run_id]
        if not found:
            what = f"{command} run" if command else "run"
            raise NotFoundError(f"no {what} {run_id!r} in {self.path}; `infoscope runs` lists them")
        return found[0]

    def latest_run(self, command: str, *, where: Callable[[Run], bool] | None = None) -> Run | None:
        """The latest completed run of `command` (that satisfies `where`), or None."""
        for run in reversed(self.runs(command, status="completed")):
            if where is None or where(run):
                return run
        return None

    def completed_run(self, command: str, run_id: str | None = None) -> Run:
        """The completed run `run_id` of `command` (default: its latest), or a NotFoundError
        that names the command to run (the analysis' registered hint)."""
        run = self.latest_run(command) if run_id is None else self.get_run(run_id, command)
        if run is not None and run.status == "completed":
            return run
        from infoscope.registry import registered_analyses

        analysis = registered_analyses().get(command)
        hint = analysis.hint if analysis is not None else f"infoscope {command}"
        if run is None:
            raise NotFoundError(f"store {self.path} has no {command} run yet: run `{hint}` first")
        raise NotFoundError(
            f"{command} run {run.run_id} is {run.status}, not completed: run `{hint}` again, "
            "or see `infoscope runs`"
        )

    def latest_run_id(self, command: str) -> str | None:
        """The id of the latest completed run of `command`, or None."""
        run = self.latest_run(command)
        return None if run is None else run.run_id

    # -- helpers --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def insert(self, table: str, rows: pa.Table) -> None:
        """Insert an Arrow table into `table` by column name, in one transaction."""
        with self.transaction() as con:
            con.register("_insert_rows", rows)
            try:
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _insert_rows")
            finally:
                con.unregister("_insert_rows")

    def resolve_platforms(self, platform: str | None) -> tuple[str, ...]:
        """The platforms a run reads: the platform with most posts by default, every platform
        with posts for ``all``, else those named (comma-separated; sorted)."""
        if platform is None:
            return (self.default_platform(),)
        names = sorted({p.strip() for p in platform.split(",") if p.strip()})
        if names == ["all"]:
            found = tuple(
                str(r[0])
                for r in self.con.execute(
                    "SELECT DISTINCT platform FROM posts ORDER BY platform"
                ).fetchall()
            )
            return found or (self.default_platform(),)  # no posts: the error naming the fix
        if not names:
            raise InfoscopeError("--platform: name a platform, several (comma-separated) or all")
        return tuple(names)

    def default_platform(self) -> str:
        """The platform with the most posts in the store (what analyses use by default)."""
        row = self.con.execute(
            "SELECT platform FROM posts GROUP BY platform ORDER BY count(*) DESC, platform LIMIT 1"
        ).fetchone()
        if row is None:
            raise InfoscopeError(
                f"store {self.path} has no posts: ingest something first (infoscope ingest FILE)"
            )
        return str(row[0])

    def count(self, table: str) -> int:
        row = self.con.execute(f"SELECT count(*) FROM {table}").fetchone()
        return int(row[0]) if row else 0

    def ledger_has(self, key: str) -> str | None:
        row = self.con.execute(
            "SELECT ingest_run FROM ingested_sources WHERE ledger_key = ?", [key]
        ).fetchone()
        return None if row is None else str(row[0])

    def ledger_add(self, key: str, path: str, fingerprint: str, fmt: str, run_id: str) -> None:
        self.con.execute(
            "INSERT INTO ingested_sources VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            [key, path, fingerprint, fmt, run_id, _now()],
        )

    def arrow_reader(self, expr: Any, *, batch_rows: int = 100_000) -> Any:
        """Stream an Ibis expression's result as Arrow record batches.

        The expression is compiled to SQL and run on the store's own connection (Ibis 12's
        batch reader does not work with DuckDB 2.0).
        """
        import ibis

        sql = ibis.to_sql(expr, dialect="duckdb")
        return self.ibis.con.sql(str(sql)).to_arrow_reader(batch_rows)

    def interrupt(self) -> None:
        """Stop the queries running on this store's connections (callable from another
        thread): the query raises DuckDB's InterruptException."""
        self.con.interrupt()
        if self._ibis is not None:
            self._ibis.con.interrupt()

    @property
    def ibis(self) -> Any:
        """An Ibis backend over this store's connection (imported on first use)."""
        if self._ibis is None:
            import ibis

            # A cursor of its own, so that a result left unread on the main connection (a
            # fetchone) never blocks an Ibis query; it sees everything committed.
            self._ibis = ibis.duckdb.from_connection(self.con.cursor())
        return self._ibis
