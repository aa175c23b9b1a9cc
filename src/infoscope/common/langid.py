"""One language identifier for the whole toolkit: py3langid.

py3langid is a maintained fork of langid.py (Lui & Baldwin 2012) whose model ships inside the
package, so identification needs no download. Every caller (posts without a language, article
texts, profile descriptions, actor extraction) goes through `identify_language`, which removes
URLs, mentions and hashtags first (they carry no language and mislead the model on short
texts) and collapses whitespace, and returns the language with its normalised probability.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

__all__ = ["MIN_CONFIDENCE", "MODEL", "identify_language", "language_or_none"]

MODEL = "py3langid-0.4.0"
MIN_CONFIDENCE = 0.5
_STRIP = re.compile(r"(https?://|www\.)\S+|[@#]\w+")


@cache
def _identifier() -> Any:
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _clean(text: str | None) -> str:
    return " ".join(_STRIP.sub(" ", text or "").split())


def identify_language(text: str | None, *, max_chars: int | None = None) -> tuple[str, float]:
    """``(language, probability)`` of `text` (its first `max_chars` characters when given),
    with URLs, mentions and hashtags removed; ``("und", 0.0)`` when nothing is left."""
    cleaned = _clean(text if max_chars is None else (text or "")[:max_chars])
    if not cleaned:
        return "und", 0.0
    lang, probability = _identifier().classify(cleaned)
    return str(lang), float(probability)


def language_or_none(
    text: str | None, *, min_confidence: float = MIN_CONFIDENCE, min_chars: int = 1
) -> str | None:
    """The language of `text` when at least `min_chars` characters remain after cleaning and
    the probability reaches `min_confidence`; else None (unknown stays unknown)."""
    cleaned = _clean(text)
    if len(cleaned) < min_chars:
        return None
    lang, probability = identify_language(cleaned)
    return lang if probability >= min_confidence else None
