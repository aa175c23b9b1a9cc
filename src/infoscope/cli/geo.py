"""`infoscope locate`: where accounts are, with the source and confidence of each place."""

from __future__ import annotations

import click

from infoscope.cli.common import store_option


@click.command()
@store_option()
def locate(store_path: str) -> None:
    """Resolve accounts' places (not written yet).

    \b
    Example:
      infoscope locate
    """
    raise click.ClickException("infoscope locate is not available yet")
