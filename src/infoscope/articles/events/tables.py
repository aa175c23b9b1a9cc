"""Tables of the events analysis, keyed by ``run_id``: the events (``article_events``: source,
verb, target, CAMEO code, quad class, negation, modality, the sentence's offsets as
evidence) and what was coded of each article (``article_event_status``: coded, or not coded
with the reason, such as a Ukrainian article)."""

from __future__ import annotations

__all__ = ["EVENT_TABLES"]

EVENT_TABLES: dict[str, str] = {
    "article_events": """
CREATE TABLE IF NOT EXISTS article_events (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  sentence BIGINT,
  sentence_start BIGINT,
  sentence_end BIGINT,
  source VARCHAR NOT NULL,
  source_code VARCHAR,
  verb VARCHAR NOT NULL,
  verb_start BIGINT,
  verb_end BIGINT,
  target VARCHAR NOT NULL,
  target_code VARCHAR,
  cameo_code VARCHAR,
  quad_class VARCHAR,
  quad_source VARCHAR,
  negated BOOLEAN,
  modality VARCHAR
);
""",
    "article_event_status": """
CREATE TABLE IF NOT EXISTS article_event_status (
  run_id VARCHAR NOT NULL,
  article_id VARCHAR NOT NULL,
  lang VARCHAR,
  sentences BIGINT,
  events BIGINT,
  status VARCHAR NOT NULL,
  reason VARCHAR
);
""",
}
