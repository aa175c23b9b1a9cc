"""Stop-word lists: the `stop-words` package's lists, by ISO 639-1 language code.

One place maps language codes to the package's list names (`LANGUAGES`) and reads them, so
the signature's tokens (`infoscope.language.tokens`) and the narratives' key terms
(`infoscope.articles.narratives`) leave out the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

__all__ = ["LANGUAGES", "stop_words"]

# Languages whose stop words are known (ISO 639-1 -> name in the stop-words package).
LANGUAGES = {
    "en": "english",
    "ru": "russian",
    "uk": "ukrainian",
    "de": "german",
    "fr": "french",
    "es": "spanish",
    "it": "italian",
    "pl": "polish",
    "pt": "portuguese",
    "nl": "dutch",
    "tr": "turkish",
    "ar": "arabic",
}


@cache
def _words(code: str) -> frozenset[str]:
    from stop_words import get_stop_words

    return frozenset(w.lower() for w in get_stop_words(LANGUAGES[code]))


def stop_words(languages: str | Iterable[str]) -> frozenset[str]:
    """The lower-case stop words of one language code or of several (their union); codes
    without a list (see `LANGUAGES`) add nothing."""
    codes = [languages] if isinstance(languages, str) else list(languages)
    out: set[str] = set()
    for code in codes:
        if code in LANGUAGES:
            out |= _words(code)
    return frozenset(out)
