"""The SQL builders of `infoscope.ingest.sql`, run on DuckDB (table-driven)."""

from __future__ import annotations

import duckdb
import pytest

from infoscope.ingest.sql import (
    id_text,
    json_of,
    retweet_prefix_handle,
    rounded_id,
    split_list,
    url_list,
)


def _eval(expr: str, value: str | None):
    con = duckdb.connect()
    return con.execute(f"SELECT {expr} FROM (SELECT ?::VARCHAR AS x) t", [value]).fetchone()[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("123", "123"),
        (" 123.0 ", "123"),  # pandas writes integer columns with NaN as floats
        ("6.29697200650592e+17", "629697200650592000"),  # a spreadsheet's scientific notation
        ("1.23E+09", "1230000000"),
        ("Q2xldmVsYW5k", "Q2xldmVsYW5k"),  # hashed ids stay as they are
        (None, None),
    ],
)
def test_id_text(value, expected):
    assert _eval(id_text("x"), value) == expected


@pytest.mark.parametrize(
    ("value", "zeros", "expected"),
    [
        ("731000000000000000", 6, True),  # rounded to 3 significant digits
        ("731021916568424449", 6, False),
        ("629697200650592000", 3, True),  # 15 significant digits
        ("1000000", 6, False),  # a short id can end in zeros
        (None, 6, None),
    ],
)
def test_rounded_id(value, zeros, expected):
    assert _eval(rounded_id("x", zeros=zeros), value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("RT @Some_One: hello", "some_one"),
        ("  RT @bar hello", "bar"),
        ("So true RT @x: y", None),  # only a prefix makes a retweet
        ("RT: no handle", None),
        (None, None),
    ],
)
def test_retweet_prefix_handle(value, expected):
    assert _eval(retweet_prefix_handle("x"), value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[#A, b]", ["a", "b"]),
        ("['Tag1', 'tag2']", ["tag1", "tag2"]),
        ("[]", []),
        (None, []),
    ],
)
def test_split_list(value, expected):
    # Regression: the quote characters in the pattern broke the SQL string literal.
    assert _eval(split_list("x", strip="#"), value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("[http://a.example/x,y, https://b.example/?q=1]",
         ["http://a.example/x,y", "https://b.example/?q=1"]),  # a comma inside a URL stays
        ("['http://a.example', 'https://b.example/p']", ["http://a.example", "https://b.example/p"]),
        ("http://solo.example/a", ["http://solo.example/a"]),
        ("[]", []),  # none
        ("", None),  # unknown
        (None, None),
    ],
)  # fmt: skip
def test_url_list(value, expected):
    assert _eval(url_list("x"), value) == expected


def test_json_of_keeps_column_names_with_colon_space():
    """Regression: ``Unnamed: 0`` (a pandas index column) became ``Unnamed, 0``."""
    con = duckdb.connect()
    sql = json_of(["Unnamed: 0", "a", "_line"], exclude=["a"])
    got = con.execute(f'SELECT {sql} FROM (SELECT 7 AS "Unnamed: 0", 1 AS a, 2 AS _line)')
    assert got.fetchone()[0] == '{"Unnamed: 0":7}'
