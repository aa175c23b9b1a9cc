"""What the command modules share: the options every command repeats (``--store``,
``--json``, ``--quiet``, ``--seed``, ``--top``), the progress and JSON printers, a Choice read
lazily from a registry, and the --since/--until parsing.

Only click is imported here: the command modules import this at load time, and
``infoscope --help`` must stay instant.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

__all__ = [
    "LazyChoice",
    "echo_json",
    "engine_options",
    "json_option",
    "progress_echo",
    "quiet_option",
    "seed_option",
    "sparkline",
    "store_option",
    "top_option",
    "utc",
]

F = TypeVar("F", bound=Callable[..., Any])

STORE_HELP = "Store file (DuckDB). Default: $INFOSCOPE_STORE or ./infoscope.duckdb."


def store_option() -> Callable[[F], F]:
    """``--store PATH`` (parameter ``store_path``), defaulting to $INFOSCOPE_STORE."""
    return click.option(
        "--store",
        "store_path",
        default=lambda: os.environ.get("INFOSCOPE_STORE", "infoscope.duckdb"),
        show_default="infoscope.duckdb",
        type=click.Path(dir_okay=False),
        help=STORE_HELP,
    )


def engine_options() -> Callable[[F], F]:
    """``--engine duckdb|spark``, ``--data DIR`` and ``--spark-master URL`` (parameters
    ``engine``, ``data``, ``spark_master``): where the relational work runs."""

    def decorate(fn: F) -> F:
        fn = click.option(
            "--spark-master",
            metavar="URL",
            help="--engine spark: the Spark master, local[N] (N cores of this machine; "
            "default local[*]), spark://HOST:7077 (a standalone cluster, whose workers must "
            "all read --data) or sc://HOST:15002 (a Spark Connect server).",
        )(fn)
        fn = click.option(
            "--data",
            type=click.Path(file_okay=False),
            help="--engine spark: the folder written by `infoscope export --format "
            "parquet|delta|iceberg --out DIR`.",
        )(fn)
        return click.option(
            "--engine",
            type=click.Choice(["duckdb", "spark"]),
            default="duckdb",
            show_default=True,
            help="Where the heavy passes run: duckdb (the store itself) or spark (Apache "
            "Spark over --data; needs `pip install 'infoscope[spark]'` and Java 17 or 21). "
            "Results are written into the store either way.",
        )(fn)

    return decorate


def json_option(help: str = "Print the result as JSON.") -> Callable[[F], F]:
    """``--json`` (parameter ``as_json``): data as JSON on stdout instead of text."""
    return click.option("--json", "as_json", is_flag=True, help=help)


def quiet_option(help: str = "No progress messages.") -> Callable[[F], F]:
    """``--quiet``/``-q``: nothing on stderr but errors."""
    return click.option("--quiet", "-q", is_flag=True, help=help)


# --seed of the analyses that draw nothing at random: the seed is kept for provenance.
RECORDED_SEED = "Recorded with the run (this analysis is deterministic)."


def seed_option(
    help: str = "Same store, parameters and seed: same result.", default: int = 0
) -> Callable[[F], F]:
    """``--seed N``, 0 by default: every analysis is deterministic unless asked otherwise."""
    return click.option("--seed", default=default, show_default=True, type=int, help=help)


def top_option(default: int = 10, help: str | None = None, min: int = 1) -> Callable[[F], F]:
    """``--top N``: how many of the leading rows to show."""
    return click.option(
        "--top", default=default, show_default=True, type=click.IntRange(min=min), help=help
    )


def progress_echo(quiet: bool) -> Callable[[str], None]:
    """A progress callback for the library: messages to stderr, or nothing when `quiet`."""
    if quiet:
        return lambda message: None
    return lambda message: click.echo(message, err=True)


def echo_json(data: Any) -> None:
    """`data` as indented JSON on stdout (non-ASCII kept, dates and the rest as text)."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


class LazyChoice(click.Choice):
    """A Choice whose names come from a registry, read only when the option is parsed or its
    help shown: loading the command imports nothing."""

    def __init__(self, names: Callable[[], Iterable[str]]) -> None:
        self._names = names
        super().__init__([])

    @property  # type: ignore[override]
    def choices(self) -> list[str]:
        return list(self._names())

    @choices.setter
    def choices(self, value: Any) -> None:
        pass


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
