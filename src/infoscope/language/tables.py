"""Tables of the language analyses.

- Signatures: their parameters and counts (``signatures``), their terms' keyness
  (``signature_terms``), their classifiers as JSON, one per unit (``signature_models``), and
  their training accounts with their side and out-of-fold probability
  (``signature_training``).
- Resonance: each run's per-account (``period`` NULL) and per-account-period scores with
  their status (scored, too little text, unlike the training data), the share of their tokens
  the model knows, where the probability comes from and the terms behind it
  (``resonance_scores``); with ``--posts``, per-post scores (``resonance_posts``); and the
  calibration of its probabilities, out-of-fold on the training documents and, when labels
  were given, on them (``resonance_calibration``).
- Monitoring: each run's prevalence per place and period with its interval, unknown-location
  share and alert (``monitor_cells``).
"""

from __future__ import annotations

__all__ = ["MONITOR_TABLES", "RESONANCE_TABLES", "SIGNATURE_TABLES"]

SIGNATURE_TABLES: dict[str, str] = {
    "signature_models": """
CREATE TABLE IF NOT EXISTS signature_models (
  signature_id VARCHAR NOT NULL,
  unit VARCHAR NOT NULL,
  model JSON NOT NULL,
  run_id VARCHAR
);
""",
    "signature_training": """
CREATE TABLE IF NOT EXISTS signature_training (
  signature_id VARCHAR NOT NULL,
  run_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  account_id VARCHAR NOT NULL,
  target BOOLEAN NOT NULL,
  oof_probability DOUBLE
);
""",
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
    "resonance_posts": """
CREATE TABLE IF NOT EXISTS resonance_posts (
  run_id VARCHAR NOT NULL,
  signature_id VARCHAR NOT NULL,
  platform VARCHAR NOT NULL,
  post_id VARCHAR NOT NULL,
  account_id VARCHAR,
  tokens BIGINT NOT NULL,
  score DOUBLE,
  probability DOUBLE,
  resonant BOOLEAN NOT NULL,
  status VARCHAR NOT NULL,
  coverage DOUBLE,
  top_terms JSON
);
""",
    "resonance_calibration": """
CREATE TABLE IF NOT EXISTS resonance_calibration (
  run_id VARCHAR NOT NULL,
  signature_id VARCHAR NOT NULL,
  source VARCHAR NOT NULL,
  bin_low DOUBLE NOT NULL,
  bin_high DOUBLE NOT NULL,
  documents BIGINT NOT NULL,
  mean_probability DOUBLE,
  observed_rate DOUBLE
);
""",
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
  top_terms JSON,
  status VARCHAR,
  coverage DOUBLE,
  source VARCHAR
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
