"""Language identification for posts whose source gave no language.

Platforms state a language for most posts (Twitter's ``lang``, the IRA archives' ``language``);
CSV exports such as CrowdFlower's do not. `detect_languages` identifies the language of every
post without one (``lang`` NULL or ``und``) that has not been identified before, with the
toolkit's language identifier (`infoscope.common.langid`: py3langid, on the text with URLs,
mentions and hashtags removed), and stores ``lang``,
``confidence`` (the normalised probability) and the model in ``detected_languages``. A
language below ``min_confidence`` is kept in that table but not used.

`posts_with_language` is the posts table with ``lang`` filled from it: what the language
analyses read.

Both run on an `infoscope.engine.Engine` (``engine=``; default the store's DuckDB). The
posts to identify are found by the engine and their texts identified where it runs
(`Engine.map_batches`: on the driver for DuckDB, streamed from the store; on Spark's executors,
so that only ``platform, post_id, lang, confidence, model`` reach the driver); the identified
languages are always stored in the DuckDB store. On an engine other than the store's, the
store's identified languages reach the engine as `DETECTED_TABLE`, which the caller of
`posts_with_language` releases (`detect_languages` releases its own).
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import pyarrow as pa

from infoscope.common.langid import MIN_CONFIDENCE, MODEL, identify_language
from infoscope.engine import Engine, as_engine
from infoscope.store import Store

__all__ = ["DETECTED_SCHEMA", "DETECTED_TABLE", "detect_languages", "posts_with_language"]

# The engine table of the store's identified languages, for an engine other than the store's
# (`posts_with_language`'s, which its caller releases; `detect_languages`' own, released).
DETECTED_TABLE = "_infoscope_detected_languages"
_DETECTED_BEFORE = "_infoscope_detected_before"
# What identification returns, per post: the rows of ``detected_languages``.
DETECTED_SCHEMA = pa.schema(
    [
        ("platform", pa.string()),
        ("post_id", pa.string()),
        ("lang", pa.string()),
        ("confidence", pa.float64()),
        ("model", pa.string()),
    ]
)
_UNKNOWN = ("und", "zxx", "")


def _on_store(engine: Engine, store: Store) -> bool:
    """Whether `engine` runs on `store` itself (its tables are the store's)."""
    return engine.name == "duckdb" and engine.store is store


def _identified(store: Store, engine: Engine, name: str) -> ibis.Table:
    """``platform, post_id, lang, confidence`` of the store's identified languages, a table
    of `engine`: the store's own, or a copy held by another engine as `name`."""
    local = as_engine(store)
    found = local.table("detected_languages").select("platform", "post_id", "lang", "confidence")
    if _on_store(engine, store):
        return found
    return engine.from_arrow(name, local.to_arrow(found))


def _identify_batch(batch: pa.RecordBatch) -> pa.Table:
    """The ``detected_languages`` rows (`DETECTED_SCHEMA`) of a batch of ``platform,
    post_id, text``: what `Engine.map_batches` runs where the engine runs (module-level, so
    Spark pickles it by reference and its executors import this module)."""
    identified = [identify_language(text) for text in batch.column("text").to_pylist()]
    return pa.table(
        {
            "platform": batch.column("platform"),
            "post_id": batch.column("post_id"),
            "lang": pa.array([lang for lang, _score in identified], pa.string()),
            "confidence": pa.array([score for _lang, score in identified], pa.float64()),
            "model": pa.array([MODEL] * batch.num_rows, pa.string()),
        }
    )


def detect_languages(
    store: Store,
    *,
    engine: Engine | None = None,
    batch: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Identify the language of posts without one and store it in `store`; returns how many
    posts were identified. `engine` holds the posts and identifies them (default: the store's
    DuckDB); identified languages are stored `batch` posts at a time (`progress` gets each
    batch's size)."""
    engine = engine or as_engine(store)
    posts = engine.table("posts")
    found = _identified(store, engine, _DETECTED_BEFORE)
    try:
        pending = posts.filter(
            (posts.lang.isnull() | posts.lang.isin(list(_UNKNOWN))) & posts.text.notnull()
        )
        pending = pending.anti_join(
            found, [pending.platform == found.platform, pending.post_id == found.post_id]
        ).select("platform", "post_id", "text")
        done = 0
        # On DuckDB the pending posts stream from a cursor of their own while batches are
        # stored; on Spark only the identified rows are collected.
        for chunk in engine.map_batches(
            pending, _identify_batch, DETECTED_SCHEMA, batch_rows=batch
        ):
            store.insert("detected_languages", pa.Table.from_batches([chunk]))
            done += chunk.num_rows
            if progress is not None:
                progress(chunk.num_rows)
    finally:
        if not _on_store(engine, store):
            engine.release(_DETECTED_BEFORE)
    return done


def posts_with_language(
    store: Store, *, engine: Engine | None = None, min_confidence: float = MIN_CONFIDENCE
) -> ibis.Table:
    """The posts of `engine` (default: the store's DuckDB), with ``lang`` from the store's
    ``detected_languages`` where the source gave none (``und`` or NULL), when identified
    with at least `min_confidence`. On an engine other than the store's, the identified
    languages are held as `DETECTED_TABLE` (release it once the posts are read)."""
    engine = engine or as_engine(store)
    posts = engine.table("posts")
    if not store.has_table("detected_languages"):
        return posts
    found = _identified(store, engine, DETECTED_TABLE)
    found = found.filter(found.confidence >= min_confidence).select(
        d_platform="platform", d_post_id="post_id", d_lang="lang"
    )
    joined = posts.left_join(
        found, [posts.platform == found.d_platform, posts.post_id == found.d_post_id]
    )
    stated = joined.lang.nullif("und")
    return joined.mutate(lang=ibis.coalesce(stated, joined.d_lang)).drop(
        "d_platform", "d_post_id", "d_lang"
    )
