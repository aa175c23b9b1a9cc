"""URL helpers for the analyses: the domain of a stored URL, and the domains of shorteners.

Stored URLs are normalised at ingest (`infoscope.text.normalize_url`: no scheme, no ``www.``,
host lower-cased); `domain_of` still accepts a scheme, ``www.``, a port, a query or a fragment
after the host, so it works on any URL column. It is an Ibis expression, run by the engine.
"""

from __future__ import annotations

from functools import cache
from typing import Any

__all__ = ["DOMAIN_PATTERN", "domain_of", "shortener_domains"]

# The host of a URL: after an optional scheme and "www.", up to a "/", ":", "?" or "#".
DOMAIN_PATTERN = r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*://)?(?:www\.)?([^/:?#]+)"


def domain_of(url: Any) -> Any:
    """The lower-case domain of each URL of an Ibis string column."""
    return url.re_extract(DOMAIN_PATTERN, 1).lower()


@cache
def shortener_domains() -> tuple[str, ...]:
    """Domains of URL shorteners (t.co, bit.ly...), as listed by ural: their links hide the
    destination, so link-domain statistics leave them out."""
    from ural.is_shortened_url import SHORTENER_DOMAINS

    return tuple(sorted({d.lower() for d in SHORTENER_DOMAINS} | {"t.co"}))
