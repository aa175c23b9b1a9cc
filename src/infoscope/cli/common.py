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
