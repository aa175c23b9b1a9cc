"""An influence graph over actors, outlets, quoted sources and accounts: who acts on whom.

`graph` builds the typed, directed multigraph from rows the other article analyses stored
(events, quotes) and from the store's reposts and posts, and ranks it (Leiden communities,
PageRank, in-strength); `run` stores a run (``articles-influence``), `tables` declares its
tables, `view` its report section (the graph drawn, each edge with its sentences), `graphio`
its GEXF/GraphML export.
"""

__all__: list[str] = []
