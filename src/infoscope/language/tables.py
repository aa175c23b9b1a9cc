"""Tables of the language analyses: signatures with their parameters and their terms' keyness
(``signatures``, ``signature_terms``); each resonance run's per-account (``period`` NULL) and
per-account-period scores with the terms behind them (``resonance_scores``); each monitor run's
prevalence per place and period with its interval, unknown-location share and alert
(``monitor_cells``)."""

from __future__ import annotations

__all__ = ["MONITOR_TABLES", "RESONANCE_TABLES", "SIGNATURE_TABLES"]

SIGNATURE_TABLES: dict[str, str] = {
    "signatures": """
CREATE TABLE IF NOT EXISTS signatures (
  signature_id VARCHAR PRIMARY KEY,
  name VARCHAR NOT NULL,
  run_id VARCHAR,
  created_at TIMESTAMPTZ NOT NULL,
  parameters JSON NOT NULL,
  counts JSON
);
""",
    "signature_terms": """
CREATE TABLE IF NOT EXISTS signature_terms (
  signature_id VARCHAR NOT NULL,
  term VARCHAR NOT NULL,
  weight DOUBLE NOT NULL,
  z DOUBLE NOT NULL,
  log_odds DOUBLE NOT NULL,
  g2 DOUBLE NOT NULL,
  log_ratio DOUBLE NOT NULL,
  target_count BIGINT NOT NULL,
  reference_count BIGINT NOT NULL,
  target_accounts BIGINT NOT NULL,
  reference_accounts BIGINT NOT NULL,
  run_id VARCHAR
);
""",
}

RESONANCE_TABLES: dict[str, str] = {
    "resonance_scores": """
CREATE TABLE IF NOT EXISTS resonance_scores (
  run_id VARCHAR NOT NULL,
  signature_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  period DATE,
  tokens BIGINT NOT NULL,
  score DOUBLE NOT NULL,
  probability DOUBLE,
  resonant BOOLEAN NOT NULL,
  top_terms JSON
);
""",
}

MONITOR_TABLES: dict[str, str] = {
    "monitor_cells": """
CREATE TABLE IF NOT EXISTS monitor_cells (
  run_id VARCHAR NOT NULL,
  place VARCHAR NOT NULL,
  period DATE NOT NULL,
  accounts BIGINT NOT NULL,
  resonant BIGINT NOT NULL,
  prevalence DOUBLE NOT NULL,
  ci_low DOUBLE NOT NULL,
  ci_high DOUBLE NOT NULL,
  unknown_share DOUBLE NOT NULL,
  growth_p DOUBLE,
  alert VARCHAR
);
""",
}
