"""`infoscope stats` (what the store holds) and `infoscope export` (the corpus tables and every
analysis' exports, from the registry, to Parquet, CSV or graph files)."""

from __future__ import annotations

import inspect

import click

from infoscope.cli.common import (
    LazyChoice,
    echo_json,
    engine_options,
    json_option,
    quiet_option,
    store_option,
    top_option,
)

__all__ = ["export", "stats"]


@click.command()
@store_option()
@top_option(10, "Accounts, hashtags and hosts listed.")
@engine_options()
@json_option("Print the statistics as JSON.")
def stats(
    store_path: str,
    top: int,
    engine: str,
    data: str | None,
    spark_master: str | None,
    as_json: bool,
) -> None:
    """Corpus statistics: posts by platform, kind, language and month; top accounts, hashtags
    and hosts; account labels; quarantined records by reason.

    With --engine spark the statistics are computed by Apache Spark from a Parquet export of
    the store (--data; the store itself is not read).

    \b
    Examples:
      infoscope stats --top 20 --json > stats.json
      infoscope stats --engine spark --data corpus-parquet --spark-master local[4]
    """
    from infoscope.queries import engine_corpus_stats

    if engine == "spark":
        from infoscope.engine import open_engine

        runner = open_engine("spark", data=data, master=spark_master)
        try:
            result = engine_corpus_stats(runner, top=top)
        finally:
            runner.close()
    else:
        from infoscope.engine import open_engine
        from infoscope.store import Store

        with Store.open(store_path, read_only=True) as store:
            result = engine_corpus_stats(
                open_engine("duckdb", store, data=data, master=spark_master), top=top
            )
    if as_json:
        echo_json(result)
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


def _data_formats() -> tuple[str, ...]:
    from infoscope.engine.parquet import FORMATS

    return FORMATS


def _exportable() -> tuple[str, ...]:
    from infoscope.export import exportable

    return exportable()


class _ExportCommand(click.Command):
    """Lists every analysis export (from the registry) in the help, before the examples."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        from infoscope.registry import registered_exports

        text = inspect.cleandoc(self.help or "")
        rows = [
            f"  {name:<22} {analysis.name}: {export.help}"
            for name, (analysis, export) in registered_exports().items()
        ]
        listing = "\b\nAnalysis exports (of the latest run, or --run):\n" + "\n".join(rows)
        head, marker, examples = text.partition("\b\nExamples:")
        text = f"{head}{listing}\n\n{marker}{examples}" if marker else f"{text}\n\n{listing}"
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(text)


@click.command(cls=_ExportCommand)
@click.argument("what", type=LazyChoice(_exportable), metavar="[WHAT]", required=False)
@store_option()
@click.option(
    "--run",
    "run_id",
    help="For an analysis export: the run to export (an id from `infoscope runs`; default: "
    "the latest completed run of that analysis).",
)
@click.option(
    "--out",
    "out",
    default="-",
    show_default=True,
    help="Output file: .parquet or .csv ('-' writes CSV to stdout); graphs: .gexf, .graphml "
    "or .parquet. With --format and no WHAT: a folder.",
)
@click.option(
    "--format",
    "fmt",
    type=LazyChoice(_data_formats),
    help="Without WHAT: write the corpus tables an engine other than DuckDB reads (posts, "
    "accounts, shares, labels, account links, quarantine) into the folder --out, with a "
    "manifest (schema version, input fingerprint, each table's format and version): what "
    "`--engine spark` reads as --data. parquet: one Parquet file per table; delta: Delta "
    "Lake tables; iceberg: Apache Iceberg tables in a SQLite catalog (DIR/catalog.db). "
    "With WHAT: parquet only (the output's format otherwise follows --out).",
)
@quiet_option("Nothing on stderr but errors (no 'wrote N rows' line).")
def export(
    what: str | None, store_path: str, run_id: str | None, out: str, fmt: str | None, quiet: bool
) -> None:
    """Export WHAT, a corpus table or an analysis run, to Parquet/CSV (graphs to GEXF,
    GraphML or Parquet); or, with --format and no WHAT, the corpus as a folder for --engine
    spark: Parquet files, Delta tables or Iceberg tables.

    Corpus exports: ``posts``, ``accounts``, ``labels``, ``quarantine`` (what could not be
    stored, and why), ``runs`` (every run's parameters and status), ``articles`` (with
    each page's secondary items), ``article-links`` (item -> main item, article -> account
    that reposted it), and ``edges``: account -> account interactions (retweet, quote, reply,
    mention) over the whole store, weighted by count, with their time span. Each analysis
    export writes one run's rows (listed below); the graph exports write the network with its
    attributes (Parquet: nodes, with the edges in NAME.edges.parquet).

    \b
    Examples:
      infoscope export posts --out posts.parquet
      infoscope export edges --out edges.csv
      infoscope export quarantine | head
      infoscope export posts --out posts.csv -q
      infoscope export graph --out network.gexf
      infoscope export coordination-graph --out coordination.gexf
      infoscope export article-techniques --out techniques.csv
      infoscope export --format parquet --out corpus-parquet
      infoscope export --format delta --out corpus-delta
    """
    from infoscope.errors import BadParameterError
    from infoscope.store import Store

    if what is None:
        if fmt is None or out == "-":
            raise BadParameterError(
                "export: name WHAT (a table or analysis export), or pass --format parquet "
                "(or delta, iceberg) --out DIR to write the corpus as a folder for --engine "
                "spark"
            )
        from infoscope.engine.parquet import export_data

        with Store.open(store_path, read_only=True) as store:
            manifest = export_data(store, out, format=fmt)
        if not quiet:
            shown = ", ".join(f"{n} {t['rows']:,}" for n, t in manifest["tables"].items())
            click.echo(f"wrote {shown} rows as {fmt.title()} to {out}", err=True)
        return
    if fmt not in (None, "parquet"):
        raise BadParameterError(
            f"export {what} --format {fmt}: --format {fmt} writes the whole corpus; drop WHAT "
            f"(`infoscope export --format {fmt} --out DIR`)"
        )
    if fmt == "parquet" and (out == "-" or not out.lower().endswith(".parquet")):
        raise BadParameterError(f"export {what} --format parquet: pass --out FILE.parquet")
    from infoscope.export import export_table

    with Store.open(store_path, read_only=True) as store:
        n = export_table(store, what, out, run_id=run_id)
    if out != "-" and not quiet:
        click.echo(f"wrote {n:,} {what} rows to {out}", err=True)
