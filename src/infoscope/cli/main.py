"""The `infoscope` command line: thin commands over the library.

Data goes to stdout, progress and messages to stderr. Errors a user can act on are printed as
one line with a non-zero exit, never a traceback. Heavy imports happen inside the commands so
``infoscope --help`` is instant.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

from infoscope._version import __version__

STORE_HELP = "Store file (DuckDB). Default: $INFOSCOPE_STORE or ./infoscope.duckdb."


class _Group(click.Group):
    """Translates infoscope's typed errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        from infoscope.errors import InfoscopeError

        try:
            return super().invoke(ctx)
        except InfoscopeError as exc:
            raise click.ClickException(str(exc)) from None


def store_option(read_only: bool = False) -> Any:
    return click.option(
        "--store",
        "store_path",
        default=lambda: os.environ.get("INFOSCOPE_STORE", "infoscope.duckdb"),
        show_default="infoscope.duckdb",
        type=click.Path(dir_okay=False),
        help=STORE_HELP,
    )


def _format_names() -> list[str]:
    from infoscope.ingest import registered_formats

    return sorted(registered_formats())


class _LazyChoice(click.Choice):
    """A Choice of registered format names, read from the registry only when needed."""

    def __init__(self) -> None:
        super().__init__([])

    @property  # type: ignore[override]
    def choices(self) -> list[str]:
        return _format_names()

    @choices.setter
    def choices(self, value: Any) -> None:
        pass


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            if not pair.strip():
                continue
            if "=" not in pair:
                raise click.BadParameter(
                    f"{pair!r} is not FIELD=COLUMN (e.g. --map text=content,author=user)",
                    param_hint="--map",
                )
            field, column = pair.split("=", 1)
            mapping[field.strip()] = column.strip()
    return mapping


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="infoscope")
def cli() -> None:
    """infoscope: find and measure influence operations in social media and news.

    \b
    Typical session:
      infoscope ingest tweets.jsonl ira-tweets-by-author.tar.xz
      infoscope stats
      infoscope export posts --out posts.parquet
    """


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--format", "format_name", type=_LazyChoice(), help="Input format (default: detect).")
@store_option()
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    help="For generic-csv/generic-jsonl: FIELD=COLUMN pairs, e.g. text=content,author=user.",
)
@click.option("--platform", help="Platform name for formats that do not state it.")
@click.option(
    "--delimiter",
    help="Field delimiter for delimited text (default: ','); '\\t' or 'tab' for a tab.",
)
@click.option("--date-format", help="strptime layout of the date column (generic formats).")
@click.option(
    "--max-record-bytes",
    type=click.IntRange(min=1024),
    help="Records (lines) longer than this are quarantined, never held whole. Default 8 MiB.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def ingest(
    files: tuple[str, ...],
    format_name: str | None,
    store_path: str,
    encoding: str,
    mapping: tuple[str, ...],
    platform: str | None,
    delimiter: str | None,
    date_format: str | None,
    max_record_bytes: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Ingest FILES (any registered format, plain, compressed or in archives) into the store.
    A FILE of '-' reads standard input.

    Formats are detected from header columns or JSON keys; archives (.tar.xz, .tar.gz, .zip)
    and compressed files (.gz, .xz, .bz2) are read directly. Ingesting a file twice adds
    nothing; an interrupted ingest is completed by running it again. Records that cannot be
    stored are quarantined with the reason (see the summary).

    \b
    Examples:
      infoscope ingest ira-tweets-by-author.tar.xz
      infoscope ingest tweets.jsonl --store corpus.duckdb
      infoscope ingest export.csv --format generic-csv \
        --map id=tweet_id,text=body,author=user,created_at=time
    """
    from tqdm import tqdm

    from infoscope.ingest import ingest as run_ingest
    from infoscope.store import Store

    with (
        Store.open(store_path) as store,
        tqdm(unit=" rec", unit_scale=True, file=sys.stderr, disable=quiet, desc="ingest") as bar,
    ):
        summary = run_ingest(
            store,
            files,
            format=format_name,
            encoding=encoding,
            mapping=_parse_map(mapping),
            platform=platform,
            # A shell passes a typed \t as two characters.
            delimiter="\t" if delimiter in ("\\t", "tab") else delimiter,
            date_format=date_format,
            max_record_bytes=max_record_bytes,
            progress=bar.update,
        )
    data = summary.as_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2))
        return
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    click.echo(
        f"run {summary.run_id}: {summary.records:,} records read in "
        f"{summary.seconds:.1f}s ({rate:,.0f}/s)"
    )
    click.echo(f"  posts stored        {summary.posts:>12,}")
    click.echo(f"  accounts stored     {summary.accounts:>12,}")
    click.echo(f"  labels stored       {summary.labels:>12,}")
    if summary.articles:
        click.echo(f"  articles stored     {summary.articles:>12,}")
    click.echo(f"  duplicates skipped  {summary.duplicates:>12,}")
    click.echo(f"  quarantined         {sum(summary.quarantined.values()):>12,}")
    for reason, n in summary.quarantined.most_common():
        click.echo(f"    {reason}: {n:,}")
    for path in summary.skipped_files:
        click.echo(f"  already ingested, skipped: {path}")
    if summary.skipped_members:
        click.echo(
            f"  archive members not in a known format, skipped: {len(summary.skipped_members)}"
        )
        for name in summary.skipped_members[:10]:
            click.echo(f"    {name}")


@cli.command()
@store_option()
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print the statistics as JSON.")
def stats(store_path: str, top: int, as_json: bool) -> None:
    """Corpus statistics: posts by platform, kind, language and month; top accounts, hashtags
    and hosts; quarantined records by reason.

    \b
    Example:
      infoscope stats --top 20 --json > stats.json
    """
    from infoscope.queries import corpus_stats
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        result = corpus_stats(store.ibis.table("posts"), store.ibis.table("accounts"), top=top)
        result["labels"] = dict(
            store.con.execute(
                "SELECT label_key || '=' || label_value, count(*) FROM account_labels "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        )
        result["quarantined"] = dict(
            store.con.execute(
                "SELECT split_part(reason, ':', 1), count(*) FROM quarantine "
                "GROUP BY 1 ORDER BY 2 DESC"
            ).fetchall()
        )
    if as_json:
        click.echo(json.dumps(result, indent=2, default=str))
        return
    click.echo(
        f"posts {result['posts']:,}   accounts {result['accounts']:,}   "
        f"from {result['first_post']} to {result['last_post']}"
    )
    for title, key in (
        ("platform", "by_platform"),
        ("kind", "by_kind"),
        ("language", "by_language"),
    ):
        items = list(result[key].items())[:top]
        click.echo(f"\nby {title}: " + ", ".join(f"{k} {v:,}" for k, v in items))
    months = result["by_month"]
    if months:
        click.echo("\nby month:")
        peak = max(months.values())
        for month, n in months.items():
            click.echo(f"  {month[:7]} {n:>10,} " + "#" * max(1, round(40 * n / peak)))
    for title, key, col in (
        ("accounts", "top_accounts", "account_handle"),
        ("hashtags", "top_hashtags", "hashtag"),
        ("hosts", "top_hosts", "host"),
    ):
        click.echo(f"\ntop {title}:")
        for row in result[key]:
            click.echo(f"  {row['posts']:>10,}  {row[col]}")
    if result["labels"]:
        click.echo(
            "\naccount labels: " + ", ".join(f"{k} {v:,}" for k, v in result["labels"].items())
        )
    if result["quarantined"]:
        click.echo(
            "\nquarantined: " + ", ".join(f"{k} {v:,}" for k, v in result["quarantined"].items())
        )


@cli.command()
@click.argument(
    "what", type=click.Choice(["posts", "accounts", "labels", "edges", "quarantine", "runs"])
)
@store_option()
@click.option(
    "--out",
    "out",
    default="-",
    show_default=True,
    help="Output file: .parquet or .csv; '-' writes CSV to stdout.",
)
def export(what: str, store_path: str, out: str) -> None:
    """Export posts, accounts, labels, interaction edges, quarantine or runs to Parquet/CSV.

    Edges are account -> account interactions (retweet, quote, reply, mention), weighted by
    count, with their time span.

    \b
    Examples:
      infoscope export posts --out posts.parquet
      infoscope export edges --out edges.csv
      infoscope export quarantine | head
    """
    from infoscope.export import export_table
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        n = export_table(store, what, out)
    if out != "-":
        click.echo(f"wrote {n:,} {what} rows to {out}", err=True)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def formats(as_json: bool) -> None:
    """List the registered input formats and how each is recognised.

    \b
    Example:
      infoscope formats
    """
    from infoscope.ingest import TabularFormat, registered_formats

    rows = []
    for name, fmt in sorted(registered_formats().items()):
        markers = sorted(fmt.markers) if isinstance(fmt, TabularFormat) else []
        rows.append({"name": name, "description": fmt.description, "markers": markers})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(f"{row['name']:<18} {row['description']}")
        if row["markers"]:
            click.echo(f"{'':<18} header columns: {', '.join(row['markers'])}")


if __name__ == "__main__":  # pragma: no cover
    cli()
