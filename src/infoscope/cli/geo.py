"""`infoscope locate`: where accounts are, with the source and confidence of each place."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from infoscope.cli.common import (
    RECORDED_SEED,
    echo_json,
    json_option,
    progress_echo,
    quiet_option,
    seed_option,
    store_option,
)

__all__ = ["locate"]

_BANDS = (
    ("high", ">=0.8"),
    ("medium", "0.5-0.8"),
    ("low", "<0.5"),
    ("unknown", "no place"),
)


def _pct(k: int, n: int) -> str:
    return f"{k:,} ({100 * k / n:.1f}%)" if n else f"{k:,}"


def _print_summary(run_id: str, s: dict[str, Any]) -> None:
    n = s["accounts"]
    on = f" on {s['platform']}" if s.get("platform") else ""
    click.echo(
        f"run {run_id}: {n:,} accounts{on}; with a place {_pct(s['located'], n)}, "
        f"unknown {_pct(s['unknown'], n)}"
    )
    click.echo(f"{'source':<9} {'accounts':>16}   " + "  ".join(f"{b:>16}" for b, _ in _BANDS))
    click.echo(f"{'':<9} {'':>16}   " + "  ".join(f"{label:>16}" for _, label in _BANDS))
    cross = s["by_source_and_confidence"]
    for source, count in s["by_source"].items():
        cells = [_pct(cross.get(source, {}).get(b, 0), n) for b, _ in _BANDS]
        click.echo(f"{source:<9} {_pct(count, n):>16}   " + "  ".join(f"{c:>16}" for c in cells))
    cells = [_pct(s["by_confidence"][b], n) for b, _ in _BANDS]
    click.echo(f"{'all':<9} {_pct(n, n):>16}   " + "  ".join(f"{c:>16}" for c in cells))
    if s["top_countries"]:
        top = ", ".join(f"{c} {_pct(k, n)}" for c, k, _ in s["top_countries"])
        click.echo(f"top countries ({s['countries']:,} in all): {top}")
    names = {"time_zone": "time zone", "posting_hours": "posting hours", "language": "language"}
    checks = [
        f"{names[k]} {v['inconsistent']:,} of {v['checked']:,}"
        for k, v in s["checks"].items()
        if k in names
    ]
    if checks:
        click.echo("inconsistent checks (each x0.6 confidence): " + "; ".join(checks))


@click.command()
@store_option()
@click.option("--platform", help="Locate only this platform's accounts (default: all).")
@seed_option(RECORDED_SEED)
@json_option("Print the run's summary as JSON.")
@quiet_option()
def locate(store_path: str, platform: str | None, seed: int, as_json: bool, quiet: bool) -> None:
    """Where accounts are: country, region and city, with source, confidence and evidence.

    Each account gets the place of its best evidence: coordinates attached to its posts
    (geotag), the platform's place objects (place), or its free-text profile location
    (profile), read against the GeoNames gazetteer ("Paris, TX", "Москва", "NYC"). When
    nothing names a place ("Earth", "🌍", no location) the country is `unknown`: never a
    guess. The account's stated time zone, posting hours (mostly 01:00-06:00 local) and main
    language are checked against the place; each inconsistency multiplies the confidence by
    0.6. Results go to the store's account_locations table (one row per account, with the
    evidence and the checks); the summary shows shares by source and confidence.

    Confidence is a judgement of how likely the country is right: 0.95 for a city with its
    state or country, 0.9 for a country, 0.75 at most for a city named alone (other places
    share its name), below 0.5 when the text is ambiguous ("Georgia": the country or the US
    state). Read low-confidence places as hints, and profile places as what accounts claim.

    \b
    Example:
      infoscope locate --platform twitter
      infoscope locate --json > places.json
    """
    from infoscope.errors import InfoscopeError
    from infoscope.geo.accounts import run_locate
    from infoscope.store import Store

    if not Path(store_path).exists():
        raise InfoscopeError(
            f"no store at {store_path}: ingest something first (infoscope ingest FILE --store "
            f"{store_path}) or pass --store with the right path"
        )
    with Store.open(store_path) as store:
        run = run_locate(store, platform=platform, seed=seed, progress=progress_echo(quiet))
    if as_json:
        echo_json(run.as_dict())
        return
    _print_summary(run.run_id, run.summary)
