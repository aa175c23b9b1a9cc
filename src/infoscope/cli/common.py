"""Options shared by the command modules."""

from __future__ import annotations

import os
from typing import Any

import click

STORE_HELP = "Store file (DuckDB). Default: $INFOSCOPE_STORE or ./infoscope.duckdb."


def store_option(read_only: bool = False) -> Any:
    return click.option(
        "--store",
        "store_path",
        default=lambda: os.environ.get("INFOSCOPE_STORE", "infoscope.duckdb"),
        show_default="infoscope.duckdb",
        type=click.Path(dir_okay=False),
        help=STORE_HELP,
    )


# Date and time layouts accepted by --since/--until (read as UTC).
DATES = ["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]


def utc(value: Any) -> Any:
    """A naive datetime from click.DateTime as UTC (None stays None)."""
    from datetime import UTC

    return None if value is None else value.replace(tzinfo=UTC)


_SPARK = "▁▂▃▄▅▆▇█"


def sparkline(values: list[int]) -> str:
    """One character per value, scaled to the largest; blank for zero."""
    if not values:
        return ""
    top = max(values) or 1
    return "".join(_SPARK[min(7, int(8 * v / top))] if v else " " for v in values)
