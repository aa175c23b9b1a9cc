"""`infoscope ingest` (files of any registered format into the store) and `infoscope formats`
(the registered formats and how each is recognised)."""

from __future__ import annotations

import sys
from typing import Any

import click

from infoscope.cli.common import LazyChoice, echo_json, json_option, quiet_option, store_option

__all__ = ["echo_ingest_summary", "fail_on_failed_files", "formats", "ingest"]


def _format_names() -> list[str]:
    from infoscope.ingest import registered_formats

    return sorted(registered_formats())


def _parse_map(values: tuple[str, ...]) -> dict[str, str]:
    """``FIELD=COLUMN``, ``label:NAME=COLUMN`` and ``raw:COLUMN`` items as one mapping (a raw
    item maps ``raw:COLUMN`` to ``COLUMN``)."""
    mapping: dict[str, str] = {}
    for value in values:
        for pair in value.split(","):
            pair = pair.strip()
            if not pair:
                continue
            if pair.startswith("raw:") and "=" not in pair:
                mapping[pair] = pair.removeprefix("raw:").strip()
                continue
            if "=" not in pair:
                raise click.BadParameter(
                    f"{pair!r} is not FIELD=COLUMN, label:NAME=COLUMN or raw:COLUMN "
                    "(e.g. --map text=content,author=user,label:troll=is_troll)",
                    param_hint="--map",
                )
            field, column = pair.split("=", 1)
            mapping[field.strip()] = column.strip()
    return mapping


def echo_ingest_summary(summary: Any) -> None:
    """Print what an ingest stored, skipped, quarantined and could not read."""
    rate = summary.records / summary.seconds if summary.seconds else 0.0
    click.echo(
        f"run {summary.run_id}: {summary.records:,} records read in "
        f"{summary.seconds:.1f}s ({rate:,.0f}/s)"
    )
    click.echo(f"  posts stored        {summary.posts:>12,}")
    if summary.shares:
        click.echo(f"  shares stored       {summary.shares:>12,}  (objects shared by posts)")
    click.echo(f"  accounts stored     {summary.accounts:>12,}")
    click.echo(f"  labels stored       {summary.labels:>12,}")
    if summary.articles or summary.secondary_items:
        click.echo(f"  articles stored     {summary.articles:>12,}")
        click.echo(f"  secondary items     {summary.secondary_items:>12,}  (teasers, sidebars)")
        click.echo(f"  article links       {summary.article_links:>12,}")
    click.echo(f"  duplicates skipped  {summary.duplicates:>12,}")
    if summary.blank_records:
        click.echo(f"  blank rows skipped  {summary.blank_records:>12,}  (every field empty)")
    click.echo(f"  quarantined         {sum(summary.quarantined.values()):>12,}")
    for reason, n in summary.quarantined.most_common():
        click.echo(f"    {reason}: {n:,}")
    if summary.untrusted_ids:
        click.echo(
            f"  warning: {summary.untrusted_ids:,} post ids could not be trusted (float "
            "notation, rounded, or shared by different texts): those posts are keyed by id "
            "plus a hash of author and text, never merged on the id"
        )
    for found in summary.date_layouts:
        click.echo(f"  dates of {found['source']} ({found['column']}): {found['note']}")
    if summary.skipped_files:
        click.echo(f"  already ingested, skipped: {len(summary.skipped_files)}")
        for path in summary.skipped_files[:10]:
            click.echo(f"    {path}")
    if summary.skipped_members:
        click.echo(f"  files or archive members in no known format, skipped: "
                   f"{len(summary.skipped_members)}")  # fmt: skip
        for name in summary.skipped_members[:10]:
            click.echo(f"    {name}")
    if summary.failed_files:
        click.echo(f"  files that could not be read (quarantined): {len(summary.failed_files)}")
        for failed in summary.failed_files:
            click.echo(f"    {failed['file']}: {failed['reason']}")


def fail_on_failed_files(summary: Any) -> None:
    """A non-zero exit, after the summary, when files of the batch could not be read or when
    most records read were quarantined (one line: the top reasons and the fix)."""
    if summary.mostly_quarantined and not summary.failed_files:
        raise click.ClickException(summary.quarantine_problem())
    if summary.failed_files:
        n, total = len(summary.failed_files), len(summary.files)
        raise click.ClickException(
            f"{n} of {total} files could not be read and were quarantined with the reason "
            "(the others were ingested; `infoscope export quarantine` lists them): fix them "
            "or pass --format, then ingest again"
        )


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path())
@click.option(
    "--format",
    "format_name",
    type=LazyChoice(_format_names),
    help="Input format (default: detect).",
)
@store_option()
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the input.")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    help="For generic-csv/generic-jsonl: FIELD=COLUMN pairs, e.g. text=content,author=user; "
    "label:NAME=COLUMN stores a column as the author's label NAME (e.g. label:troll=is_troll); "
    "raw:COLUMN keeps a column in raw (given any, raw holds just those).",
)
@click.option("--platform", help="Platform name for formats that do not state it.")
@click.option(
    "--delimiter",
    help="Field delimiter for delimited text (default: ','); '\\t' or 'tab' for a tab.",
)
@click.option(
    "--date-format",
    "date_format",
    multiple=True,
    help="strptime layout of dates (every format: the date column or field; in pages, feeds "
    "and text dumps also dates written in bylines and teasers, tried before the built-in "
    "patterns); repeat it to try several in order. Default: the format's own, with the "
    "day/month order of numeric dates detected from the values.",
)
@click.option("--outlet", help="Outlet of pages that do not name it (article formats).")
@click.option(
    "--max-record-bytes",
    type=click.IntRange(min=1024),
    help="Records longer than this are quarantined (a line is never held whole; an item of "
    "a JSON array or document is measured, then dropped). Default 8 MiB.",
)
@json_option("Print the summary as JSON.")
@quiet_option("No progress bar.")
def ingest(
    files: tuple[str, ...],
    format_name: str | None,
    store_path: str,
    encoding: str,
    mapping: tuple[str, ...],
    platform: str | None,
    delimiter: str | None,
    date_format: tuple[str, ...],
    outlet: str | None,
    max_record_bytes: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Ingest FILES (any registered format, plain, compressed or in archives) into the store.
    A FILE of '-' reads standard input; a folder is read recursively.

    Formats are detected from header columns or JSON keys; archives (.tar.xz, .tar.gz, .zip)
    and compressed files (.gz, .xz, .bz2) are read directly; files of a folder in no known
    format are listed as skipped. Ingesting a file twice adds nothing; an interrupted ingest is
    completed by running it again. Records that cannot be stored are quarantined with the
    reason (see the summary). In a batch (several FILES or a folder), a file that cannot be
    read is quarantined whole with the reason and the others go on; the command then ends
    with a non-zero exit after the summary.

    \b
    Examples:
      infoscope ingest ira-tweets-by-author.tar.xz
      infoscope ingest tweets.jsonl --store corpus.duckdb
      infoscope ingest saved-pages/ --outlet "Meridian News"
      infoscope ingest export.csv --format generic-csv \\
        --map id=tweet_id,text=body,author=user,created_at=time,label:troll=is_troll
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
            date_format=date_format or None,
            max_record_bytes=max_record_bytes,
            progress=bar.update,
            outlet=outlet,
        )
    if as_json:
        echo_json(summary.as_dict())
    else:
        echo_ingest_summary(summary)
    fail_on_failed_files(summary)


@click.command()
@json_option("Print as JSON.")
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
        echo_json(rows)
        return
    for row in rows:
        click.echo(f"{row['name']:<18} {row['description']}")
        if row["markers"]:
            click.echo(f"{'':<18} header columns: {', '.join(row['markers'])}")
