"""Ingest: source formats -> canonical records -> the store.

Each format is one module here that registers itself by name; `registered_formats()` is the
registry that the CLI choices, the docs and the contract tests all read.
"""

from __future__ import annotations

import importlib
import pkgutil

from infoscope.ingest.formats import (
    Format,
    ReadContext,
    RecordFormat,
    TabularFormat,
    detect_format,
    get_format,
    register,
    registered_formats,
    sniff,
)
from infoscope.ingest.pipeline import IngestSummary, ingest

# Every public module of this package is a format that registers itself on import; the core
# modules (formats, pipeline, reading, sources, sql, staging) and the `pages` package (pages
# segmented into items, used by the article formats) register nothing.
_CORE = {"formats", "pipeline", "reading", "sources", "sql", "staging", "pages"}
for _module in sorted(m.name for m in pkgutil.iter_modules(__path__)):
    if _module not in _CORE and not _module.startswith("_"):
        importlib.import_module(f"{__name__}.{_module}")

__all__ = [
    "Format",
    "IngestSummary",
    "ReadContext",
    "RecordFormat",
    "TabularFormat",
    "detect_format",
    "get_format",
    "ingest",
    "register",
    "registered_formats",
    "sniff",
]
