"""Small SQL builders shared by the tabular formats' mappings."""

from __future__ import annotations

from collections.abc import Iterable

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
    keep = [c for c in columns if c not in skip and not c.startswith("_")]
    if not keep:
        return "NULL::VARCHAR"
    fields = ", ".join(f"{lit(c)}: {ident(c)}" for c in keep)
    return "json_object(" + fields.replace(": ", ", ") + ")::VARCHAR"


def timestamp(expr: str, *formats: str) -> str:
    """Parse text `expr` as UTC with the first matching strptime format, NULL if none does."""
    fmts = "[" + ", ".join(lit(f) for f in formats) + "]"
    return f"try_strptime(trim({expr}), {fmts})::TIMESTAMPTZ"


def bigint(expr: str) -> str:
    """Text to BIGINT, accepting values like '1234.0'; NULL when not a number."""
    return f"coalesce(try_cast({expr} AS BIGINT), try_cast(try_cast({expr} AS DOUBLE) AS BIGINT))"


def id_text(expr: str) -> str:
    """An identifier column as text, with a float-formatted integer ('123.0') repaired."""
    return f"regexp_replace(trim({expr}), '\\.0$', '')"


def split_list(expr: str, *, strip: str = "") -> str:
    """A delimited list cell ('a, b' or "['a', 'b']") as a list of trimmed, lower-case strings."""
    cleaned = f"regexp_replace(coalesce({expr}, ''), '[\\[\\]\\'\\\"]', '', 'g')"
    items = f"string_split_regex({cleaned}, '[,;\\s]+')"
    return (
        f"list_filter(list_transform({items}, lambda x: lower(ltrim(trim(x), {lit(strip)}))), "
        "lambda x: x <> '')"
    )
