"""News and blog articles: ingest, actors, relations, quotes, narratives, propaganda techniques."""

__all__ = []
