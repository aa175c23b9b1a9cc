"""Tables of the accounts (authenticity) analysis: each run's features, one row per account and
feature (``account_features``), and its flags with evidence and the profile probability
(``account_signals``)."""

from __future__ import annotations

__all__ = ["TABLES"]

TABLES: dict[str, str] = {
    "account_features": """
CREATE TABLE IF NOT EXISTS account_features (
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  feature VARCHAR NOT NULL,
  value DOUBLE
);
""",
    "account_signals": """
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
}
