"""The example analysis' one table: posts per hashtag, per run."""

from __future__ import annotations

__all__ = ["TABLES"]

TABLES = {
    "example_hashtags": """
CREATE TABLE IF NOT EXISTS example_hashtags (
  run_id VARCHAR NOT NULL,
  hashtag VARCHAR NOT NULL,
  posts BIGINT NOT NULL
);
""",
}
