"""Small SQL builders shared by the tabular formats' mappings."""

from __future__ import annotations

from collections.abc import Callable, Iterable

__all__ = [
    "bigint",
    "column_getter",
    "id_text",
    "ident",
    "json_of",
    "lit",
    "metrics_map",
    "provenance",
    "retweet_prefix_handle",
    "rounded_id",
    "split_list",
    "timestamp",
    "url_list",
]

# Columns the reader adds to relation ``raw``; every other column is the source's own.
INTERNAL_COLUMNS = frozenset({"_source", "_line", "_record"})

PROVENANCE = (
    "_source AS source, _line AS source_line, _record AS source_record, "
    "{fmt} AS format, {run} AS ingest_run"
)


def ident(name: str) -> str:
    """Quote a column name as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(value: str | None) -> str:
    """Quote a value as an SQL string literal (NULL for None)."""
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def provenance(fmt: str, run_id: str) -> str:
    """The provenance columns of a staged row read from relation ``raw``."""
    return PROVENANCE.format(fmt=lit(fmt), run=lit(run_id))


def json_of(columns: Iterable[str], exclude: Iterable[str] = ()) -> str:
    """A JSON object of the given columns (minus `exclude`), for the ``raw`` column."""
    skip = set(exclude)
    keep = [c for c in columns if c not in skip and c not in INTERNAL_COLUMNS]
    if not keep:
        return "NULL::VARCHAR"
    fields = ", ".join(f"{lit(c)}, {ident(c)}" for c in keep)
    return "json_object(" + fields + ")::VARCHAR"


def timestamp(expr: str, *formats: str) -> str:
    """Parse text `expr` as UTC with the first matching strptime format, NULL if none does."""
    fmts = "[" + ", ".join(lit(f) for f in formats) + "]"
    return f"try_strptime(trim({expr}), {fmts})::TIMESTAMPTZ"


def bigint(expr: str) -> str:
    """Text to BIGINT, accepting values like '1234.0'; NULL when not a number."""
    return f"coalesce(try_cast({expr} AS BIGINT), try_cast(try_cast({expr} AS DOUBLE) AS BIGINT))"


def id_text(expr: str) -> str:
    """An identifier column as text, with a float-formatted integer repaired.

    '123.0' becomes '123' and scientific notation ('6.29697200650592e+17', as spreadsheets
    write long ids) is expanded to its digits ('629697200650592000'); digits lost to the
    float cannot be recovered, see `rounded_id`.
    """
    value = f"trim({expr})"
    return (
        f"CASE WHEN regexp_full_match({value}, {lit(_SCIENTIFIC)}) "
        f"THEN try_cast(try_cast({value} AS DOUBLE) AS HUGEINT)::VARCHAR "
        f"ELSE regexp_replace({value}, {lit(_POINT_ZERO)}, '') END"
    )


_SCIENTIFIC = r"[0-9]+(\.[0-9]+)?[eE]\+?[0-9]+"
_POINT_ZERO = r"\.0+$"
_RT_PREFIX = r"^\s*RT @([A-Za-z0-9_]{1,32})"
_URL_ITEM = r"""[a-zA-Z][a-zA-Z0-9+.-]*://[^\s\[\]'"]+"""
_LIST_PUNCTUATION = r"""[\[\]'"]"""
_URL_SEPARATOR = r""",\s*['"]?([a-zA-Z][a-zA-Z0-9+.-]*://)"""


def rounded_id(expr: str, *, zeros: int = 6) -> str:
    """True when a numeric id of 15 or more digits ends in `zeros` zeros: a float-rounded id.

    Spreadsheets keep 15 significant digits (fewer when formatted), so a rounded 18-digit
    Twitter id ends in zeros; a real id does so with probability 10**-zeros.
    """
    value = f"trim({expr})"
    return (
        f"(regexp_full_match({value}, '[0-9]{{15,}}') AND ends_with({value}, {lit('0' * zeros)}))"
    )


def retweet_prefix_handle(expr: str) -> str:
    """The lower-case handle of a manual retweet's ``RT @handle`` prefix, NULL without one."""
    return f"lower(nullif(regexp_extract({expr}, {lit(_RT_PREFIX)}, 1), ''))"


def url_list(expr: str) -> str:
    """The URLs of a list cell ('[http://a, http://b]', "['http://a', 'http://b']", 'http://a').

    Only a comma followed by a scheme separates items, so a URL containing a comma stays whole.
    NULL when the cell is NULL or blank (unknown), an empty list for '[]' (none).
    """
    spaced = f"regexp_replace({expr}, {lit(_URL_SEPARATOR)}, ' \\1', 'g')"
    return (
        f"CASE WHEN trim(coalesce({expr}, '')) = '' THEN NULL "
        f"ELSE regexp_extract_all({spaced}, {lit(_URL_ITEM)}) END"
    )


def split_list(expr: str, *, strip: str = "") -> str:
    """A delimited list cell ('a, b' or "['a', 'b']") as a list of trimmed, lower-case strings."""
    cleaned = f"regexp_replace(coalesce({expr}, ''), {lit(_LIST_PUNCTUATION)}, '', 'g')"
    items = f"string_split_regex({cleaned}, '[,;\\s]+')"
    return (
        f"list_filter(list_transform({items}, lambda x: lower(ltrim(trim(x), {lit(strip)}))), "
        "lambda x: x <> '')"
    )


def metrics_map(entries: Iterable[tuple[str, str]]) -> str:
    """A MAP(VARCHAR, BIGINT) of the entries whose value is not NULL.

    When every value is present (the common case) the map is cast from a struct, several times
    faster than building it from a filtered list of entries.
    """
    pairs = list(entries)
    if not pairs:
        return "NULL::MAP(VARCHAR, BIGINT)"
    all_present = " AND ".join(f"({expr}) IS NOT NULL" for _, expr in pairs)
    struct = "{" + ", ".join(f"{lit(k)}: {expr}" for k, expr in pairs) + "}"
    listed = "[" + ", ".join(f"({lit(k)}, {expr})" for k, expr in pairs) + "]"
    return (
        f"CASE WHEN {all_present} THEN {struct}::MAP(VARCHAR, BIGINT) "
        f"ELSE map_from_entries(list_filter({listed}, lambda e: e[2] IS NOT NULL)) END"
    )


def column_getter(columns: Iterable[str]) -> Callable[[str], str]:
    """A function quoting a column of the source, or giving a text NULL when it is absent.

    Formats whose optional columns vary between releases read every column through it.
    """
    present = frozenset(columns)

    def col(name: str) -> str:
        return ident(name) if name in present else "NULL::VARCHAR"

    return col
