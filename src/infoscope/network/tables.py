"""Tables of the communities analysis: each run's accounts with their community, stability
and centralities (``network_nodes``), the interaction edges it clustered (``network_edges``) and
one profile per community (``communities``), keyed by ``run_id``."""

from __future__ import annotations

__all__ = ["TABLES"]

TABLES: dict[str, str] = {
    "network_nodes": """
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
""",
    "network_edges": """
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
""",
    "communities": """
CREATE TABLE IF NOT EXISTS communities (
  run_id VARCHAR NOT NULL,
  community INTEGER NOT NULL,
  community_group INTEGER,
  size BIGINT NOT NULL,
  profile JSON NOT NULL
);
""",
}
