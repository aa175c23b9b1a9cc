"""Tables of the article analyses, keyed by ``run_id``: syndicated copies
(``article_syndication``), actor mentions and relations (``article_mentions``,
``actor_relations``), quotes (``article_quotes``), narratives and their units (``narratives``,
``narrative_units``) and technique spans (``article_techniques``)."""

from __future__ import annotations

__all__ = [
    "ACTOR_TABLES",
    "NARRATIVE_TABLES",
    "QUOTE_TABLES",
    "SYNDICATION_TABLES",
    "TECHNIQUE_TABLES",
]

SYNDICATION_TABLES: dict[str, str] = {
    "article_syndication": """
CREATE TABLE IF NOT EXISTS article_syndication (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  group_id VARCHAR NOT NULL,
  similarity DOUBLE
);
""",
}

ACTOR_TABLES: dict[str, str] = {
    "article_mentions": """
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
  resolved_by VARCHAR,
  affiliation VARCHAR,
  role VARCHAR
);
""",
    "actor_relations": """
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
""",
}

QUOTE_TABLES: dict[str, str] = {
    "article_quotes": """
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
  pattern VARCHAR,
  speaker_written VARCHAR,
  speaker_reason VARCHAR
);
""",
}

NARRATIVE_TABLES: dict[str, str] = {
    "narratives": """
CREATE TABLE IF NOT EXISTS narratives (
  run_id VARCHAR NOT NULL,
  narrative BIGINT NOT NULL,
  profile JSON NOT NULL
);
""",
    "narrative_units": """
CREATE TABLE IF NOT EXISTS narrative_units (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  unit BIGINT NOT NULL,
  start BIGINT NOT NULL,
  "end" BIGINT NOT NULL,
  narrative BIGINT NOT NULL
);
""",
}

TECHNIQUE_TABLES: dict[str, str] = {
    "article_techniques": """
CREATE TABLE IF NOT EXISTS article_techniques (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  technique VARCHAR NOT NULL,
  start BIGINT NOT NULL,
  "end" BIGINT NOT NULL,
  text VARCHAR,
  confidence DOUBLE
);
""",
}
