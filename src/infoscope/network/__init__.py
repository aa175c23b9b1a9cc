"""Interaction networks between accounts, their Leiden communities and influential accounts.

The stages, one module each: `edges` (Ibis queries building retweet, quote, reply and mention
edges from the store), `communities` (igraph graph, Leiden with stability, centralities),
`profiles` (what each community posts, says about itself and is labelled), `links` (the
account links of each community's members, and linked accounts pooled as one actor on
request), `run` (the whole analysis stored as a run, what `infoscope communities` calls) and
`graphio` (GEXF, GraphML and Parquet export).

Like every analysis package: `tables` declares its tables, `view` (with ``templates/``) its
report and dashboard sections, `evaluate` its scenario evaluator; the registry
(`infoscope.registry`) names them.
"""

from infoscope.network.communities import (
    Communities,
    build_graph,
    detect_communities,
    rank_accounts,
)
from infoscope.network.edges import EDGE_TYPES, EdgeSelection, combine_edges, interaction_edges
from infoscope.network.run import CommunityRun, load_communities, run_communities

__all__ = [
    "EDGE_TYPES",
    "Communities",
    "CommunityRun",
    "EdgeSelection",
    "build_graph",
    "combine_edges",
    "detect_communities",
    "interaction_edges",
    "load_communities",
    "rank_accounts",
    "run_communities",
]
