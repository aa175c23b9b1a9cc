"""`infoscope runs`: every run the store recorded, per analysis: status, time, seed,
parameters and, for a run that did not complete, its error."""

from __future__ import annotations

import json
from typing import Any

import click

from infoscope.cli.common import LazyChoice, echo_json, json_option, store_option

__all__ = ["parameter_summary", "runs"]


def _commands() -> list[str]:
    """``ingest`` then every registered analysis, in registry order."""
    from infoscope.registry import registered_analyses

    return ["ingest", *registered_analyses()]


def _statuses() -> tuple[str, ...]:
    from infoscope.store import RUN_STATUSES

    return RUN_STATUSES


def _value(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _flat(parameters: dict[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Parameters as ``key=value`` pairs, unset ones left out; a small nested group (token
    options) as dotted keys, a large one (thresholds) as its size."""
    out: list[tuple[str, Any]] = []
    for key, value in parameters.items():
        if isinstance(value, dict) and len(value) <= 3:
            out.extend(_flat(value, f"{prefix}{key}."))
        elif isinstance(value, dict):
            out.append((f"{prefix}{key}", f"({len(value)} values)"))
        elif value not in (None, [], ""):
            out.append((f"{prefix}{key}", value))
    return out


def parameter_summary(parameters: dict[str, Any], width: int = 92, lines: int = 3) -> list[str]:
    """A run's parameters as ``key=value, ...`` wrapped in at most `lines` lines of `width`;
    the engine a run used last, by its name and master (its versions and data: --json)."""
    import textwrap

    own = {k: v for k, v in parameters.items() if k != "engine"}
    engine = parameters.get("engine")
    pairs = _flat(own)
    if isinstance(engine, dict):
        where = f"@{engine['master']}" if engine.get("master") else ""
        pairs.append(("engine", f"{engine.get('name', '?')}{where}"))
    text = ", ".join(f"{k}={_value(v)}" for k, v in pairs)
    return textwrap.wrap(
        text, width, max_lines=lines, placeholder=" ... (--json: all)", break_on_hyphens=False
    )


def _print_run(run: Any) -> None:
    started = run.started_at.strftime("%Y-%m-%d %H:%M:%S")
    took = "-" if run.seconds is None else f"{run.seconds:,.1f} s"
    seed = "-" if run.seed is None else str(run.seed)
    click.echo(f"  {run.run_id}  {run.status:<11} {started}  {took:>9}  seed {seed}")
    for line in parameter_summary(run.parameters):
        click.echo(f"      {line}")
    if run.error:
        click.echo(f"      error: {run.error}")


@click.command()
@store_option()
@click.option(
    "--analysis",
    type=LazyChoice(_commands),
    help="Only this analysis' runs (or the ingests).",
)
@click.option("--status", type=LazyChoice(_statuses), help="Only runs with this status.")
@click.option(
    "--limit",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Runs shown per analysis (the latest).",
)
@json_option("Print the runs as a JSON list (each with its parameters, counts and error).")
def runs(
    store_path: str, analysis: str | None, status: str | None, limit: int, as_json: bool
) -> None:
    """The store's runs per analysis, latest first: status, start time, duration, seed,
    parameters and, for a failed or interrupted run, its error.

    Statuses: completed; failed (the analysis raised: the error says why); interrupted
    (Ctrl-C, SIGTERM, or a process killed outright: run the command again). Only completed
    runs are read by export, the report and the dashboard; the others keep no rows. The store
    is only read.

    \b
    Example:
      infoscope runs --analysis coordination --status failed
      infoscope runs --json > runs.json
    """
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        found = store.runs(analysis, status=status)
    by_command: dict[str, list[Any]] = {}
    for run in reversed(found):  # latest first
        by_command.setdefault(run.command, []).append(run)
    known = _commands()
    order = [c for c in known if c in by_command] + sorted(set(by_command) - set(known))
    if as_json:
        echo_json([run.as_dict() for c in order for run in by_command[c][:limit]])
        return
    if not order:
        what = " ".join(w for w in (status, analysis) if w) or "recorded"
        click.echo(f"no {what} runs in {store_path}")
        return
    for i, command in enumerate(order):
        listed = by_command[command]
        counts = ", ".join(
            f"{n} {s}" for s in _statuses() if (n := sum(r.status == s for r in listed))
        )
        click.echo(("\n" if i else "") + f"{command}: {len(listed)} run(s) ({counts})")
        for run in listed[:limit]:
            _print_run(run)
        if len(listed) > limit:
            click.echo(f"  ... {len(listed) - limit} older run(s): --limit {len(listed)}")
