"""Entities in post text (hashtags, mentions, URLs) and URL normalisation, in the engine.

Extraction runs inside DuckDB as SQL macros so millions of posts are processed column-wise.
URL normalisation follows `ural.normalize_url` (scheme, ``www``, tracking parameters, fragments,
trailing slashes and index pages removed; host lower-cased). Most social-media URLs are
shortener links such as ``https://t.co/AbC123``, for which normalisation only drops the scheme:
those take a vectorised fast path (`FAST_URL`, minus `FAST_URL_EXCLUDE`), every other distinct
URL goes through `ural`. A property test checks the fast path agrees with `ural` on every URL
it accepts.
"""

from __future__ import annotations

from functools import lru_cache

import duckdb
import pyarrow as pa
import ural

__all__ = ["fast_normal_form", "install_sql_functions", "normalize_url"]

# A URL whose normal form is itself without its scheme: a lower-case two-label host and a single
# plain path segment, no query, fragment or trailing slash (FAST_URL), unless ural rewrites it
# anyway (FAST_URL_EXCLUDE): an irrelevant subdomain (www, m, mobile..., amp..., also after a
# hyphen as in "a-m.co"), an "amp-" prefix, a punycode label, an AMP or index path segment.
FAST_URL = r"^https?://[a-z0-9]+\.[a-z]{2,}/[A-Za-z0-9_-]+$"
FAST_URL_EXCLUDE = (
    r"^https?://(?:(?:[a-z0-9-]*-)?(?:www[0-9]?|mobile[a-z0-9]*|amp[a-z0-9]*|m)\.|amp-|xn--)"
    r"|/(?:[Aa][Mm][Pp]|index|default)$"
)


def fast_normal_form(url: str) -> str | None:
    """The normal form of `url` by the fast path, or None when it needs `normalize_url`.

    The SQL macro ``is_normalize_urls`` applies exactly this rule in the engine.
    """
    import re

    if re.fullmatch(FAST_URL, url) and not re.search(FAST_URL_EXCLUDE, url):
        return re.sub(r"^https?://", "", url)
    return None


HASHTAG = r"(?:^|[^\p{L}\p{N}_&/#])[#＃]([\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*)"
MENTION = r"(?:^|[^\p{L}\p{N}_@/.])[@＠]([A-Za-z0-9_]{1,32})"
URL = r"""https?://[^\s<>"'…]+"""
_URL_TRAILING = r"""[.,;:!?)\]}'"]+$"""


@lru_cache(maxsize=1 << 17)
def normalize_url(url: str) -> str:
    """Normal form of a URL, as stored in `posts.urls` (see the module docstring); a URL that
    `ural` cannot parse (a port that is not a number, an empty host) is kept as written."""
    try:
        return str(ural.normalize_url(url))
    except (ValueError, AttributeError):  # ural's errors for a port, for a missing host
        return url.strip()


def _ural_udf(values: pa.Array) -> pa.Array:
    return pa.array(
        [None if v is None else normalize_url(v) for v in values.to_pylist()], pa.string()
    )


def _q(pattern: str) -> str:
    """Quote a pattern as an SQL string literal."""
    return "'" + pattern.replace("'", "''") + "'"


_MACROS = f"""
CREATE OR REPLACE TEMP MACRO is_hashtags(t) AS
  CASE WHEN t IS NULL THEN NULL
       WHEN contains(t, '#') OR contains(t, '＃')
       THEN regexp_extract_all(lower(t), {_q(HASHTAG)}, 1)
       ELSE []::VARCHAR[] END;
CREATE OR REPLACE TEMP MACRO is_mentions(t) AS
  CASE WHEN t IS NULL THEN NULL
       WHEN contains(t, '@') OR contains(t, '＠')
       THEN regexp_extract_all(lower(t), {_q(MENTION)}, 1)
       ELSE []::VARCHAR[] END;
CREATE OR REPLACE TEMP MACRO is_urls(t) AS
  CASE WHEN t IS NULL THEN NULL
       WHEN contains(t, 'http')
       THEN list_filter(
              list_transform(regexp_extract_all(t, {_q(URL)}),
                             lambda u: regexp_replace(u, {_q(_URL_TRAILING)}, '')),
              lambda u: length(u) > 10)
       ELSE []::VARCHAR[] END;
CREATE OR REPLACE TEMP MACRO is_normalize_urls(us) AS
  list_transform(us, lambda u: CASE WHEN regexp_full_match(u, {_q(FAST_URL)})
                                         AND NOT regexp_matches(u, {_q(FAST_URL_EXCLUDE)})
                                    THEN regexp_replace(u, '^https?://', '')
                                    ELSE is_ural_normalize(u) END);
"""


def install_sql_functions(con: duckdb.DuckDBPyConnection) -> None:
    """Register infoscope's SQL macros (prefix ``is_``) on a DuckDB connection."""
    names = {r[0] for r in con.execute("SELECT function_name FROM duckdb_functions()").fetchall()}
    if "is_ural_normalize" not in names:
        con.create_function(  # type: ignore[call-overload]
            "is_ural_normalize",
            _ural_udf,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            type="arrow",
            side_effects=False,
        )
    con.execute(_MACROS)
