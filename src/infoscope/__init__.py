"""infoscope: find and measure influence operations in social media and news.

The public API is what `__all__` lists; everything else may change between versions. Names are
imported on first use (PEP 562), so ``import infoscope`` and ``infoscope --help`` stay instant.
Functions named like a subpackage are imported from it: ``from infoscope.ingest import
ingest``, ``from infoscope.evaluate import evaluate``.
"""

from __future__ import annotations

import importlib
from typing import Any

from infoscope._version import __version__

_EXPORTS = {
    "SCHEMA_VERSION": "infoscope.store",
    "Store": "infoscope.store",
    "machine_memory_bytes": "infoscope.store",
    "memory_limit": "infoscope.store",
    "Run": "infoscope.store",
    "Account": "infoscope.records",
    "Article": "infoscope.records",
    "ArticleLink": "infoscope.records",
    "Post": "infoscope.records",
    "Provenance": "infoscope.records",
    "IngestSummary": "infoscope.ingest",
    "registered_formats": "infoscope.ingest",
    "corpus_stats": "infoscope.queries",
    "ScenarioConfig": "infoscope.scenario",
    "generate_scenario": "infoscope.scenario",
    "load_truth": "infoscope.evaluate",
    "interaction_edges": "infoscope.network",
    "combine_edges": "infoscope.network",
    "EdgeSelection": "infoscope.network",
    "build_graph": "infoscope.network",
    "detect_communities": "infoscope.network",
    "rank_accounts": "infoscope.network",
    "run_communities": "infoscope.network",
    "load_communities": "infoscope.network",
    "Communities": "infoscope.network",
    "CommunityRun": "infoscope.network",
    "BadParameterError": "infoscope.errors",
    "CorruptInputError": "infoscope.errors",
    "InfoscopeError": "infoscope.errors",
    "InputEncodingError": "infoscope.errors",
    "NotFoundError": "infoscope.errors",
    "write_report": "infoscope.report",
    "MissingColumnError": "infoscope.errors",
    "MissingComponentError": "infoscope.errors",
    "StoreLockedError": "infoscope.errors",
    "StoreVersionError": "infoscope.errors",
    "UnknownFormatError": "infoscope.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'infoscope' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
