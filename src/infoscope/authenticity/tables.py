"""Tables of the accounts (authenticity) analysis: each run's features, one row per account and
feature (``account_features``), and its flags with evidence, the profile probability with its
domain check (``profile_status``: inside, outside or too_little_known; ``profile_typicality``;
``profile_domain``: the check's measure, coverage, nearest training collection, field set and
threshold) and the automation-likeness of accounts with posts with its status and evidence
(``account_signals``). A probability is NULL outside its model's domain."""

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
  evidence JSON NOT NULL,
  profile_status VARCHAR,
  profile_typicality DOUBLE,
  profile_domain JSON,
  automation_likeness DOUBLE,
  automation_status VARCHAR,
  automation_evidence JSON
);
""",
}
