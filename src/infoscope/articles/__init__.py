"""News and blog articles: actors, relations, quotes, narratives, propaganda techniques.

Articles are ingested by the article formats (`infoscope.ingest`); each analysis here is a
stored run (`run`: `run_syndication`, `run_actors`, `run_quotes`, `run_narratives`,
`run_techniques`, each with its ``load_*``) over the pure computations of `syndication`,
`actors` and `relations`, `quotes`, `narratives` and `techniques` (a package). Like every
analysis package: `tables` declares the tables, `view` (with ``templates/``) the report and
dashboard sections; the registry (`infoscope.registry`) names them.
"""

__all__ = []
