"""`infoscope report` (one self-contained HTML file) and `infoscope serve` (local dashboard)."""

from __future__ import annotations

from typing import Any

import click

from infoscope.cli.common import DATES, echo_json, json_option, seed_option, store_option

__all__ = ["report", "serve"]


def _filter_options(fn: Any) -> Any:
    for option in reversed(
        [
            click.option("--since", type=click.DateTime(DATES), help="Posts from this date (UTC)."),
            click.option("--until", type=click.DateTime(DATES), help="Posts up to this date."),
            click.option("--community", type=int, help="One community of the latest run."),
            click.option("--lang", help="Posts in this language (code, e.g. en)."),
            click.option("--region", help="Accounts placed in this country (code, or unknown)."),
        ]
    ):
        fn = option(fn)
    return fn


@click.command()
@store_option()
@click.option(
    "--out",
    default="report.html",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="HTML file to write.",
)
@_filter_options
@click.option(
    "--max-nodes",
    default=50_000,
    show_default=True,
    type=click.IntRange(min=1),
    help="Accounts drawn on the network map (most influential first).",
)
@click.option(
    "--max-edges",
    default=20_000,
    show_default=True,
    type=click.IntRange(min=0),
    help="Edges drawn on the map (strongest first).",
)
@click.option(
    "--clusters",
    default=25,
    show_default=True,
    type=click.IntRange(min=1),
    help="Coordination clusters shown with their evidence.",
)
@seed_option("Seed of the map layout.")
@json_option("Print path, size and timings as JSON.")
def report(
    store_path: str, out: str, since: Any, until: Any, community: int | None,
    lang: str | None, region: str | None, max_nodes: int, max_edges: int, clusters: int,
    seed: int, as_json: bool,
) -> None:  # fmt: skip
    """Write one self-contained HTML report of the store's latest runs.

    Corpus overview, network map of communities, community profiles, keyness charts,
    resonance by place and over time, coordination clusters with their evidence, and the
    provenance of every run shown. Charts are Plotly with plotly.js embedded: the file opens
    offline, with no server. Sections of analyses not yet run say which command fills them.
    The store is only read.

    \b
    Example:
      infoscope report --store demo-out/demo.duckdb --out demo-out/report.html
      infoscope report --since 2024-01-08 --until 2024-01-14 --region US --out us-week2.html
    """
    from infoscope.report.render import write_report
    from infoscope.report.views import Filters
    from infoscope.store import Store

    filters = Filters.parse(
        since=since and since.date(), until=until and until.date(), community=community,
        lang=lang, region=region,
    )  # fmt: skip
    with Store.open(store_path, read_only=True) as store:
        written = write_report(
            store, out, filters, max_nodes=max_nodes, max_edges=max_edges, clusters=clusters,
            seed=seed,
        )  # fmt: skip
    if as_json:
        echo_json(written)
        return
    missing = [k for k, v in written["sections"].items() if v != "shown"]
    click.echo(
        f"report written to {written['path']} ({written['bytes'] / 1e6:.1f} MB, "
        f"{written['seconds']:.1f} s)" + (f"; not run yet: {', '.join(missing)}" if missing else "")
    )


@click.command()
@store_option()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--allow-remote",
    is_flag=True,
    help="Allow a --host other than this machine; requests then need a token.",
)
@click.option(
    "--token",
    envvar="INFOSCOPE_TOKEN",
    help="Token required on every request (default when remote: a random one, printed).",
)
def serve(store_path: str, host: str, port: int, allow_remote: bool, token: str | None) -> None:
    """Serve a local, read-only dashboard of the store.

    Pages: overview, network map, communities, signatures and resonance, places and
    monitoring, coordination, accounts (with a page per account: profile, posts, scores and
    their explanations, coordination evidence) and provenance. Every page takes filters (date
    range, community, language, region) and has its data as JSON under /api/. Binds to
    127.0.0.1; another host needs --allow-remote and then a token.

    \b
    Example:
      infoscope serve --store demo-out/demo.duckdb
      infoscope serve --host 0.0.0.0 --allow-remote --port 8080
    """
    from infoscope.report.dashboard import serve as run

    run(store_path, host=host, port=port, allow_remote=allow_remote, token=token,
        echo=lambda m: click.echo(m, err=True))  # fmt: skip
