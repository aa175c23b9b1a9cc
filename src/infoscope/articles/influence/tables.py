"""Tables of the influence analysis, keyed by ``run_id``: the nodes with their kind,
community and centrality (``influence_nodes``), one row per typed edge with its weight and
time span (``influence_edges``), and every piece of evidence behind an edge: the sentence,
quote, repost or post, with its article, outlet and date (``influence_evidence``)."""

from __future__ import annotations

__all__ = ["INFLUENCE_TABLES"]

INFLUENCE_TABLES: dict[str, str] = {
    "influence_nodes": """
CREATE TABLE IF NOT EXISTS influence_nodes (
  run_id VARCHAR NOT NULL,
  node VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  label VARCHAR,
  community BIGINT,
  pagerank DOUBLE,
  in_strength DOUBLE,
  out_strength DOUBLE,
  outlets BIGINT,
  circuit BOOLEAN
);
""",
    "influence_edges": """
CREATE TABLE IF NOT EXISTS influence_edges (
  run_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  quad_class VARCHAR,
  weight BIGINT NOT NULL,
  articles BIGINT NOT NULL,
  first_seen TIMESTAMPTZ,
  last_seen TIMESTAMPTZ,
  periods JSON
);
""",
    "influence_evidence": """
CREATE TABLE IF NOT EXISTS influence_evidence (
  run_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  target VARCHAR NOT NULL,
  kind VARCHAR NOT NULL,
  quad_class VARCHAR,
  article_id VARCHAR,
  outlet VARCHAR,
  published TIMESTAMPTZ,
  action VARCHAR,
  text VARCHAR
);
""",
}
