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
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import pyarrow as pa

from infoscope.common.langid import MIN_CONFIDENCE, MODEL, identify_language
from infoscope.store import Store

__all__ = ["detect_languages", "posts_with_language"]

_UNKNOWN = ("und", "zxx", "")


def detect_languages(
    store: Store,
    *,
    batch: int = 20_000,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Identify the language of posts without one; returns how many posts were identified."""
    # A cursor of its own: the reader stays open while batches are stored.
    pending = (
        store.con.cursor()
        .sql(
            f"""
        SELECT p.platform, p.post_id, p.text FROM posts p
        WHERE (p.lang IS NULL OR p.lang IN {_UNKNOWN}) AND p.text IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM detected_languages d
                          WHERE d.platform = p.platform AND d.post_id = p.post_id)
        """
        )
        .to_arrow_reader(batch)
    )
    done = 0
    for chunk in pending:
        langs, scores = [], []
        for text in chunk.column("text").to_pylist():
            lang, score = identify_language(text)
            langs.append(lang)
            scores.append(score)
        rows = pa.table(
            {
                "platform": chunk.column("platform"),
                "post_id": chunk.column("post_id"),
                "lang": langs,
                "confidence": scores,
                "model": [MODEL] * chunk.num_rows,
            }
        )
        with store.transaction() as con:
            con.register("_detected", rows)
            con.execute("INSERT INTO detected_languages BY NAME SELECT * FROM _detected")
            con.unregister("_detected")
        done += chunk.num_rows
        if progress is not None:
            progress(chunk.num_rows)
    return done


def posts_with_language(store: Store, *, min_confidence: float = MIN_CONFIDENCE) -> ibis.Table:
    """The posts, with ``lang`` from ``detected_languages`` where the source gave none."""
    posts = store.ibis.table("posts")
    if not store.has_table("detected_languages"):
        return posts
    found = store.ibis.table("detected_languages")
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
