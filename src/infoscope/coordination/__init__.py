"""Coordinated-behaviour detection: traces, null models, per-edge evidence, clusters.

- `infoscope.coordination.traces`: the registered traces (co-retweet, co-reply, co-link,
  co-hashtag, near-duplicate, synchronised, fast-retweet, co-image) turning posts, and the
  shares of each trace's object type (`infoscope.ingest.shares`), into actions on shared
  objects, on one platform or across several (accounts keyed ``platform:id``), written with
  Ibis.
- `infoscope.coordination.pairs`: windowed co-actions, the null models (expected counts and
  p-values per pair), TF-IDF weights, similarity and symmetry.
- `infoscope.common.minhash`: near-duplicate text groups (MinHash/LSH).
- `infoscope.coordination.run`: `run_coordination` (the whole analysis, stored as a run),
  `candidate_pairs` (raw pairs of one trace), `load_coordination`, `edge_evidence`.
- `infoscope.coordination.profiles`: cluster profiles (with their platform mix and the
  account links of their members, `infoscope.account_links`).

Like every analysis package: `tables` declares its tables, `view` (with ``templates/``) its
report and dashboard sections, `evaluate` its scenario evaluator; the registry
(`infoscope.registry`) names them.
"""

from infoscope.coordination.run import (
    CoordinationRun,
    candidate_pairs,
    edge_evidence,
    load_coordination,
    run_coordination,
)
from infoscope.coordination.traces import (
    DEFAULT_WINDOWS,
    TraceOptions,
    parse_traces,
    register_trace,
    registered_traces,
)

__all__ = [
    "DEFAULT_WINDOWS",
    "CoordinationRun",
    "TraceOptions",
    "candidate_pairs",
    "edge_evidence",
    "load_coordination",
    "parse_traces",
    "register_trace",
    "registered_traces",
    "run_coordination",
]
