"""`infoscope doctor`: every component the commands rely on, tried here, with its fix."""

from __future__ import annotations

import click

from infoscope.cli.common import echo_json, json_option, progress_echo, quiet_option

__all__ = ["doctor"]


@click.command()
@click.option(
    "--no-optional",
    is_flag=True,
    help="Skip what no default command needs (Chromium for the browser tests, Java, pyspark).",
)
@json_option("Print every result as JSON.")
@quiet_option("No progress messages (with --json).")
def doctor(no_optional: bool, as_json: bool, quiet: bool) -> None:
    """Check that every component infoscope relies on is installed and works here.

    Each component is tried for real on a tiny input: every registered format (its sample
    through the real ingest), DuckDB and its extensions, spaCy's English model, natasha, the
    sentence encoder, the shipped authenticity and technique models, the report templates,
    and, for the browser tests only, Chromium. Each line gives the status (ok, BROKEN,
    missing for optional pieces, unused), the version and what was tried; a broken one is
    followed by the one command that fixes it. Exits with 1 when a component that a default
    command needs is broken. Takes about half a minute.

    \b
    Examples:
      infoscope doctor
      infoscope doctor --json --no-optional
    """
    from infoscope.doctor import iter_checks

    say = progress_echo(quiet or not as_json)
    results = []
    for check in iter_checks(optional=not no_optional):
        results.append(check)
        say(f"doctor: {check.name}: {check.status}")
        if as_json:
            continue
        version = check.version or "-"
        click.echo(f"{check.status:<7} {check.name:<26} {version:<22} {check.detail}")
        if check.fix:
            click.echo(f"{'':<8}fix: {check.fix}")
            if check.needed_for:
                click.echo(f"{'':<8}needed by: {check.needed_for}")
    broken = [c.name for c in results if c.ok is False and c.required]
    if as_json:
        echo_json({"ok": not broken, "checks": [c.as_dict() for c in results]})
    else:
        working = sum(1 for c in results if c.ok)
        if broken:
            click.echo(f"{len(broken)} broken: {', '.join(broken)}; run the fixes above")
        else:
            click.echo(f"infoscope is ready: {working} components work here")
    if broken:
        raise click.exceptions.Exit(1)
