"""Language names and codes: everything stored as an ISO 639 code (BCP 47 where needed)."""

from __future__ import annotations

from functools import lru_cache

import langcodes

__all__ = ["language_code"]

# Values that sources use for "no language": stored as 'und', the ISO 639 code for undetermined.
_UNDETERMINED = {"", "und", "undefined", "language undefined", "unknown", "zxx", "qme", "qht"}


@lru_cache(maxsize=4096)
def language_code(value: str | None) -> str | None:
    """An ISO 639 code for a language code or English name ('Russian' -> 'ru').

    Unknown names map to 'und' (undetermined) rather than a guess; None stays None.
    """
    if value is None:
        return None
    text = value.strip()
    if text.lower() in _UNDETERMINED:
        return "und"
    if langcodes.tag_is_valid(text):
        return str(langcodes.standardize_tag(text))
    base = text.split("(")[0].strip()
    for candidate in (text, base):
        try:
            return str(langcodes.find(candidate).language)
        except LookupError:
            continue
    return "und"
