"""Table of the locate analysis: each run's place per account with its source and confidence
(``country = 'unknown'`` when nothing supports a place) and the checks made."""

from __future__ import annotations

__all__ = ["TABLES"]

TABLES: dict[str, str] = {
    "account_locations": """
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
}
