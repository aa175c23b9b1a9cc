"""Syndicated copies: the same story published by several outlets, lightly edited.

A wire story (AP, Reuters, AFP, a state agency) or a press release reaches readers through many
outlets, each with its own headline, dateline, a sentence cut or added, its own links. Exact
copies of one article are already one row of ``articles`` (the id is the canonical URL or a
hash of the content, see `infoscope.ingest._articles`); copies on different outlets are
different rows. `link_syndicated` groups them, so that an analysis can count a story once
(one row per ``group_id``) or measure its reach (rows per group).

Near-duplicates are found with `infoscope.common.minhash.near_duplicate_groups` over the
articles' texts (headlines are left out: outlets rewrite them): character shingles, MinHash
signatures and LSH banding, kept when the estimated Jaccard similarity of two texts' shingle
sets is at least ``threshold``. Articles are long, so the default threshold, 0.8, is higher
than for posts: copies that differ by a dateline, a sentence or a few words stay well above
it, while two stories on one topic from one agency stay far below. Texts shorter than
``min_chars`` (a headline-only feed entry, a teaser) are not compared.

Nothing is written to the store: the caller decides where the links go.
"""

from __future__ import annotations

import pyarrow as pa

from infoscope.common.minhash import near_duplicate_groups
from infoscope.store import Store

__all__ = ["link_syndicated"]

DEFAULT_THRESHOLD = 0.8
DEFAULT_MIN_CHARS = 100

RESULT_SCHEMA = pa.schema(
    [
        pa.field("article_id", pa.string(), nullable=False),
        pa.field("group_id", pa.string(), nullable=False),
        pa.field("similarity", pa.float64(), nullable=False),
    ]
)


def link_syndicated(
    store: Store,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_chars: int = DEFAULT_MIN_CHARS,
    seed: int = 0,
) -> pa.Table:
    """Groups of articles whose texts are near-duplicates (syndicated copies of one story).

    Parameters
    ----------
    store:
        The store whose ``articles`` are compared.
    threshold:
        Estimated Jaccard similarity of two texts' 4-character shingle sets from which they
        are copies of one story (in (0, 1]).
    min_chars:
        Texts shorter than this, after normalisation, are not compared.
    seed:
        Seeds the MinHash functions; the result depends only on it and the articles.

    Returns
    -------
    pyarrow.Table
        ``article_id``, ``group_id`` (the smallest article_id of the group) and ``similarity``
        (the article's highest estimated similarity to another member; 1.0 for an identical
        normalised text), one row per article in a group of at least two, sorted by
        ``group_id`` then ``article_id``. Articles without a copy are not listed.
    """
    articles = store.ibis.table("articles")
    texts = articles.select(post_id=articles.article_id, text=articles.text)
    groups = near_duplicate_groups(
        store, texts, threshold=threshold, min_chars=min_chars, seed=seed
    )
    return pa.table(
        {
            "article_id": groups.column("post_id"),
            "group_id": groups.column("group_id"),
            "similarity": groups.column("similarity"),
        }
    ).cast(RESULT_SCHEMA)
