"""The store: one DuckDB file with a versioned schema, provenance and quarantine.

Tables
------
- ``meta``: schema version and the version of infoscope that created the store.
- ``runs``: one row per command that changed or analysed the store (command, parameters, seed,
  input fingerprint, version, start and end time, status, counts).
- ``posts``, ``accounts``, ``account_labels``, ``articles``: canonical records
  (see `infoscope.records`), each with its provenance columns.
- ``quarantine``: records that could not be stored, with the reason and the raw text.
- ``ingested_sources``: the ledger of input files whose ingest completed (by content hash), so
  that ingesting a file again is a no-op and an interrupted ingest is simply run again.
- ``network_nodes``, ``network_edges``, ``communities`` (schema 2): each `infoscope
  communities` run's accounts with their community, stability and centralities, the
  interaction edges it clustered, and one profile per community, keyed by ``run_id``.

- ``detected_languages`` (schema 3): languages identified for posts whose source gave none.
- ``signatures``, ``signature_terms`` (schema 3): lexical signatures with their parameters and
  their terms' keyness; ``resonance_scores``: each `infoscope resonance` run's per-account
  (``period`` NULL) and per-account-period scores with the terms behind them;
  ``account_locations``: each `infoscope locate` run's place per account, with its source
  and confidence (``country = 'unknown'`` when nothing supports a place).

- ``monitor_cells`` (schema 4): each `infoscope monitor` run's prevalence of resonance per
  place and period, with its confidence interval, the period's share of unknown locations
  and any alert.

- ``coordination_edges``, ``coordination_evidence``, ``coordination_accounts``,
  ``coordination_clusters`` (schema 5): each `infoscope coordination` run's kept pairs per
  trace with their counts, expected counts and p-values, the objects, posts and time gaps
  behind every kept pair, the coordinated accounts with their cluster, and one profile per
  cluster.

An older store is upgraded in place when opened for writing (each schema step only adds
tables); opened read-only it is read as it is, and the analyses it lacks count as not run.

Relational queries over the store are written with Ibis (`Store.ibis`), so they also run on
other engines.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from infoscope._version import __version__
from infoscope.errors import InfoscopeError, StoreLockedError, StoreVersionError
from infoscope.records import ACCOUNT_SCHEMA, ARTICLE_SCHEMA, LABEL_SCHEMA, POST_SCHEMA

SCHEMA_VERSION = 7
DEFAULT_STORE = "infoscope.duckdb"

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
  counts JSON
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
"""

# Tables added by each schema version; a writable open upgrades an older store in place.
# Every step only adds tables, so nothing stored is touched.
_MIGRATIONS: dict[int, str] = {
    2: """
CREATE TABLE IF NOT EXISTS network_nodes (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  handle VARCHAR,
  in_corpus BOOLEAN NOT NULL,
  posts BIGINT NOT NULL,
  community INTEGER NOT NULL,
  community_group INTEGER,
  stability DOUBLE NOT NULL,
  pagerank DOUBLE NOT NULL,
  in_strength DOUBLE NOT NULL,
  out_strength DOUBLE NOT NULL,
  betweenness DOUBLE NOT NULL
);
CREATE TABLE IF NOT EXISTS network_edges (
  run_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  weight DOUBLE NOT NULL,
  retweet BIGINT NOT NULL,
  quote BIGINT NOT NULL,
  reply BIGINT NOT NULL,
  mention BIGINT NOT NULL,
  first_at TIMESTAMPTZ,
  last_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS communities (
  run_id VARCHAR NOT NULL,
  community INTEGER NOT NULL,
  community_group INTEGER,
  size BIGINT NOT NULL,
  profile JSON NOT NULL
);
""",
    3: """
CREATE TABLE IF NOT EXISTS detected_languages (
  platform VARCHAR NOT NULL,
  post_id VARCHAR NOT NULL,
  lang VARCHAR NOT NULL,
  confidence DOUBLE,
  model VARCHAR NOT NULL,
  PRIMARY KEY (platform, post_id)
);
CREATE TABLE IF NOT EXISTS signatures (
  signature_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  run_id VARCHAR,
  created_at TIMESTAMPTZ NOT NULL,
  parameters JSON NOT NULL,
  counts JSON
);
CREATE TABLE IF NOT EXISTS signature_terms (
  signature_id VARCHAR NOT NULL,
  term VARCHAR NOT NULL,
  weight DOUBLE NOT NULL,
  z DOUBLE NOT NULL,
  log_odds DOUBLE NOT NULL,
  g2 DOUBLE NOT NULL,
  log_ratio DOUBLE NOT NULL,
  target_count BIGINT NOT NULL,
  reference_count BIGINT NOT NULL,
  target_accounts BIGINT NOT NULL,
  reference_accounts BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS resonance_scores (
  run_id VARCHAR NOT NULL,
  signature_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  period DATE,
  tokens BIGINT NOT NULL,
  score DOUBLE NOT NULL,
  probability DOUBLE,
  resonant BOOLEAN NOT NULL,
  top_terms JSON
);
CREATE TABLE IF NOT EXISTS account_locations (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  country VARCHAR NOT NULL,
  region VARCHAR,
  city VARCHAR,
  latitude DOUBLE,
  longitude DOUBLE,
  source VARCHAR NOT NULL,
  confidence DOUBLE NOT NULL,
  evidence VARCHAR,
  checks JSON
);
""",
    4: """
CREATE TABLE IF NOT EXISTS monitor_cells (
  run_id VARCHAR NOT NULL,
  place VARCHAR NOT NULL,
  period DATE NOT NULL,
  accounts BIGINT NOT NULL,
  resonant BIGINT NOT NULL,
  prevalence DOUBLE NOT NULL,
  ci_low DOUBLE NOT NULL,
  ci_high DOUBLE NOT NULL,
  unknown_share DOUBLE NOT NULL,
  growth_p DOUBLE,
  alert VARCHAR
);
""",
    5: """
CREATE TABLE IF NOT EXISTS coordination_edges (
  run_id VARCHAR NOT NULL,
  trace VARCHAR NOT NULL,
  account_a VARCHAR NOT NULL,
  account_b VARCHAR NOT NULL,
  directed BOOLEAN NOT NULL,
  objects BIGINT NOT NULL,
  co_actions BIGINT NOT NULL,
  weight DOUBLE NOT NULL,
  similarity DOUBLE,
  symmetry DOUBLE,
  expected DOUBLE NOT NULL,
  p_value DOUBLE NOT NULL,
  q_value DOUBLE NOT NULL,
  first_at TIMESTAMPTZ,
  last_at TIMESTAMPTZ,
  median_gap_s DOUBLE
);
CREATE TABLE IF NOT EXISTS coordination_evidence (
  run_id VARCHAR NOT NULL,
  trace VARCHAR NOT NULL,
  account_a VARCHAR NOT NULL,
  account_b VARCHAR NOT NULL,
  object_id VARCHAR NOT NULL,
  post_a VARCHAR NOT NULL,
  post_b VARCHAR NOT NULL,
  at_a TIMESTAMPTZ,
  at_b TIMESTAMPTZ,
  gap_s DOUBLE NOT NULL,
  co_actions BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS coordination_accounts (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  handle VARCHAR,
  cluster INTEGER NOT NULL,
  subcluster INTEGER NOT NULL,
  degree BIGINT NOT NULL,
  strength DOUBLE NOT NULL,
  traces VARCHAR[] NOT NULL
);
CREATE TABLE IF NOT EXISTS coordination_clusters (
  run_id VARCHAR NOT NULL,
  cluster INTEGER NOT NULL,
  size BIGINT NOT NULL,
  profile JSON NOT NULL
);
""",
    6: """
CREATE TABLE IF NOT EXISTS account_features (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  feature VARCHAR NOT NULL,
  value DOUBLE
);
CREATE TABLE IF NOT EXISTS account_signals (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  handle VARCHAR,
  posts BIGINT NOT NULL,
  language_group VARCHAR NOT NULL,
  profile_probability DOUBLE,
  profile_explanation JSON,
  automation VARCHAR[] NOT NULL,
  amplification VARCHAR[] NOT NULL,
  persona VARCHAR[] NOT NULL,
  evidence JSON NOT NULL
);
""",
    7: """
CREATE TABLE IF NOT EXISTS article_mentions (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  sentence BIGINT,
  sentence_start BIGINT,
  sentence_end BIGINT,
  mention VARCHAR NOT NULL,
  start BIGINT,
  "end" BIGINT,
  entity_type VARCHAR,
  actor VARCHAR NOT NULL,
  actor_kind VARCHAR,
  resolved_by VARCHAR
);
CREATE TABLE IF NOT EXISTS actor_relations (
  run_id VARCHAR NOT NULL,
  level VARCHAR NOT NULL,
  actor_a VARCHAR NOT NULL,
  actor_b VARCHAR NOT NULL,
  count BIGINT NOT NULL,
  pmi DOUBLE,
  npmi DOUBLE,
  evidence JSON
);
CREATE TABLE IF NOT EXISTS article_quotes (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  sentence BIGINT,
  start BIGINT,
  "end" BIGINT,
  speaker VARCHAR,
  actor VARCHAR,
  affiliation VARCHAR,
  verb VARCHAR,
  medium VARCHAR,
  quote VARCHAR,
  pattern VARCHAR
);
CREATE TABLE IF NOT EXISTS narratives (
  run_id VARCHAR NOT NULL,
  narrative BIGINT NOT NULL,
  profile JSON NOT NULL
);
CREATE TABLE IF NOT EXISTS narrative_units (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  unit BIGINT NOT NULL,
  start BIGINT NOT NULL,
  "end" BIGINT NOT NULL,
  narrative BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS article_techniques (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  technique VARCHAR NOT NULL,
  start BIGINT NOT NULL,
  "end" BIGINT NOT NULL,
  text VARCHAR,
  confidence DOUBLE
);
CREATE TABLE IF NOT EXISTS article_syndication (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  group_id VARCHAR NOT NULL,
  similarity DOUBLE
);
""",
}


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


def _now() -> datetime:
    return datetime.now(UTC)


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
            if "lock" in str(exc).lower():
                raise StoreLockedError(
                    f"store {path} is in use by another infoscope process; wait for it to "
                    "finish or use another --store"
                ) from None
            raise InfoscopeError(
                f"{path} cannot be opened as an infoscope store ({exc}); "
                "pass --store with a DuckDB file made by infoscope, or a new path"
            ) from None
        # Timestamps without an offset are UTC everywhere in infoscope.
        con.execute("SET TimeZone = 'UTC'")
        # Insertion order carries no meaning in the store; not preserving it lets DuckDB
        # insert and scan in parallel with less memory.
        con.execute("SET preserve_insertion_order = false")
        store = cls(con, path, read_only)
        try:
            store._check_or_create()
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
        tables = {
            r[0] for r in self.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        if "meta" in tables:
            meta = dict(self.con.execute("SELECT key, value FROM meta").fetchall())
            found = int(meta.get("schema_version", "0"))
            if 1 <= found < SCHEMA_VERSION and not self.read_only:
                self._migrate(found)
            elif found != SCHEMA_VERSION and not (1 <= found < SCHEMA_VERSION):
                raise StoreVersionError(
                    f"store {self.path} has schema version {found} (written by infoscope "
                    f"{meta.get('created_by', '?')}); this infoscope {__version__} reads version "
                    f"{SCHEMA_VERSION}. Ingest your inputs again into a new store (--store NEW)"
                )
        elif tables:
            raise InfoscopeError(
                f"{self.path} is a DuckDB file but not an infoscope store; pass a new --store path"
            )
        elif self.read_only:
            raise InfoscopeError(f"{self.path} is empty: ingest something first")
        else:
            self.con.execute(_DDL)
            for step in sorted(_MIGRATIONS):
                self.con.execute(_MIGRATIONS[step])
            self.con.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [["schema_version", str(SCHEMA_VERSION)], ["created_by", __version__]],
            )
        if not self.read_only:
            # A run still marked running when the store is opened for writing was killed:
            # DuckDB's file lock guarantees no other writer is alive.
            self.con.execute("UPDATE runs SET status = 'interrupted' WHERE status = 'running'")

    def _migrate(self, found: int) -> None:
        with self.transaction() as con:
            for step in range(found + 1, SCHEMA_VERSION + 1):
                con.execute(_MIGRATIONS[step])
            con.execute(
                "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION)]
            )

    def has_table(self, name: str) -> bool:
        """Whether the store has table `name` (an older store opened read-only may not)."""
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
        ).fetchone()
        return bool(row and row[0])

    # -- runs -----------------------------------------------------------------------------
    def begin_run(
        self,
        command: str,
        parameters: Mapping[str, Any],
        *,
        input_fingerprint: str | None = None,
        seed: int | None = None,
    ) -> str:
        """Record the start of a run and return its id."""
        run_id = uuid.uuid4().hex[:16]
        self.con.execute(
            "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, NULL, 'running', NULL)",
            [
                run_id,
                command,
                json.dumps(parameters, default=str, sort_keys=True),
                seed,
                input_fingerprint,
                __version__,
                _now(),
            ],
        )
        return run_id

    def end_run(self, run_id: str, *, status: str, counts: Mapping[str, Any]) -> None:
        self.con.execute(
            "UPDATE runs SET ended_at = ?, status = ?, counts = ? WHERE run_id = ?",
            [_now(), status, json.dumps(counts, default=str, sort_keys=True), run_id],
        )

    def latest_run_id(self, command: str, table: str) -> str | None:
        """The latest completed run of `command`, or None (also when the store, opened
        read-only at an older schema, lacks the analysis' `table`)."""
        if not self.has_table(table):
            return None
        row = self.con.execute(
            "SELECT run_id FROM runs WHERE command = ? AND status = 'completed' "
            "ORDER BY started_at DESC LIMIT 1",
            [command],
        ).fetchone()
        return None if row is None else str(row[0])

    def runs(self) -> list[dict[str, Any]]:
        cur = self.con.execute("SELECT * FROM runs ORDER BY started_at")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

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

    @property
    def ibis(self) -> Any:
        """An Ibis backend over this store's connection (imported on first use)."""
        if self._ibis is None:
            import ibis

            # A cursor of its own, so that a result left unread on the main connection (a
            # fetchone) never blocks an Ibis query; it sees everything committed.
            self._ibis = ibis.duckdb.from_connection(self.con.cursor())
        return self._ibis
