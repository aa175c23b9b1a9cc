"""Tables of the coordination analysis: each run's kept pairs per trace with their counts,
expected counts and p-values (``coordination_edges``), the objects, posts and time gaps behind
every kept pair (``coordination_evidence``), the coordinated accounts with their cluster
(``coordination_accounts``) and one profile per cluster (``coordination_clusters``)."""

from __future__ import annotations

__all__ = ["TABLES"]

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
  co_actions BIGINT NOT NULL
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
  traces VARCHAR[] NOT NULL
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
