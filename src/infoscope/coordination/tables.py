"""Tables of the coordination analysis: each run's kept pairs per trace with their counts,
expected counts and p-values (``coordination_edges``), the objects, posts and time gaps behind
every kept pair (``coordination_evidence``), the coordinated accounts with their cluster
(``coordination_accounts``) and one profile per cluster (``coordination_clusters``).

Accounts are nodes by their *key*: the account id in a run of one platform, and
``platform:account_id`` in a run across platforms, so that ids never collide. Edges and
evidence name accounts by key; ``coordination_accounts`` gives each key's ``platform`` and
``account_id`` (``account_key``), and each evidence row the platforms of its two posts, whose
ids (``post_a``, ``post_b``) are the platforms' own."""

from __future__ import annotations

from typing import Any

__all__ = ["TABLES", "key_columns"]


def key_columns(store: Any, alias: str = "") -> tuple[str, str, str]:
    """The SQL of ``coordination_accounts``' key column and of ``coordination_evidence``'s two
    platform columns (after `alias`, such as ``"v."``): the columns of schema 14, or their
    stand-ins in an older store read as it is (its runs are of one platform: the keys are the
    ids, the platforms NULL, for the caller to fill with the run's)."""
    row = store.con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'coordination_accounts' "
        "AND column_name = 'account_key'"
    ).fetchone()
    if row and row[0]:
        return f"{alias}account_key", f"{alias}platform_a", f"{alias}platform_b"
    return f"{alias}account_id", "NULL::VARCHAR", "NULL::VARCHAR"


TABLES: dict[str, str] = {
    "coordination_edges": """
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
""",
    "coordination_evidence": """
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
  co_actions BIGINT NOT NULL,
  platform_a VARCHAR,
  platform_b VARCHAR
);
""",
    "coordination_accounts": """
CREATE TABLE IF NOT EXISTS coordination_accounts (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  handle VARCHAR,
  cluster INTEGER NOT NULL,
  subcluster INTEGER NOT NULL,
  degree BIGINT NOT NULL,
  strength DOUBLE NOT NULL,
  traces VARCHAR[] NOT NULL,
  account_key VARCHAR
);
""",
    "coordination_clusters": """
CREATE TABLE IF NOT EXISTS coordination_clusters (
  run_id VARCHAR NOT NULL,
  cluster INTEGER NOT NULL,
  size BIGINT NOT NULL,
  profile JSON NOT NULL
);
""",
}
