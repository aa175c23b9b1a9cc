"""`infoscope articles`: news and blog articles: ingest, syndication, actors, relations,
quotes, narratives and propaganda techniques."""

from __future__ import annotations

import json
from typing import Any

import click

from infoscope.cli.common import store_option


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


@click.group()
def articles() -> None:
    """News and blog articles: ingest them, then map actors, relations, quotes, narratives
    and propaganda techniques. Each analysis is a stored run over the store's articles.

    \b
    Example:
      infoscope articles ingest pages/*.html feed.xml
      infoscope articles narratives --json
    """


@articles.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@store_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html-article", "html-aggregator", "text-article", "rss-feed"]),
    help="Declare the format (default: detected from each file's markers).",
)
@click.option("--json", "as_json", is_flag=True)
def ingest_(paths: tuple[str, ...], store_path: str, fmt: str | None, as_json: bool) -> None:
    """Ingest HTML pages (boilerplate removed), aggregator pages (split into items), plain
    text articles and RSS/Atom feeds, then link syndicated copies (near-duplicate texts).

    \b
    Example:
      infoscope articles ingest saved-pages/ --format html-article
    """
    from infoscope.articles.run import run_syndication
    from infoscope.ingest import ingest
    from infoscope.store import Store

    with Store.open(store_path) as store:
        summary = ingest(store, list(paths), format=fmt)
        run_id, linked = run_syndication(store)
    data = {**summary.as_dict(), "syndication": {"run_id": run_id, **linked}}
    if as_json:
        _echo_json(data)
        return
    click.echo(
        f"{summary.articles:,} articles stored ({summary.duplicates:,} duplicates, "
        f"{sum(summary.quarantined.values()):,} quarantined); syndication run {run_id}: "
        f"{linked['linked_articles']:,} articles in {linked['groups']:,} groups of copies"
    )


@articles.command()
@store_option()
@click.option("--unit", type=click.Choice(["sentence", "paragraph"]), default="sentence",
              show_default=True)  # fmt: skip
@click.option("--threshold", "distance_threshold", default=0.55, show_default=True,
              type=click.FloatRange(0, 2, min_open=True, max_open=True),
              help="Cosine distance under which units join a narrative.")  # fmt: skip
@click.option("--min-size", default=4, show_default=True, type=click.IntRange(min=2))
@click.option("--min-articles", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--period", type=click.Choice(["day", "week", "month", "year"]), default="month",
              show_default=True)  # fmt: skip
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--top", default=15, show_default=True, type=click.IntRange(min=0))
@click.option("--json", "as_json", is_flag=True)
def narratives(
    store_path: str, unit: str, distance_threshold: float, min_size: int, min_articles: int,
    period: str, seed: int, top: int, as_json: bool,
) -> None:  # fmt: skip
    """Recurring claims across articles: sentences clustered by multilingual embeddings,
    labelled by key terms, counted per period and outlet.

    \b
    Example:
      infoscope articles narratives --unit paragraph --period week
    """
    from infoscope.articles.run import run_narratives
    from infoscope.store import Store

    with Store.open(store_path) as store:
        run_id, summary = run_narratives(
            store, unit=unit, distance_threshold=distance_threshold, min_size=min_size,
            min_articles=min_articles, period=period, seed=seed,
        )  # fmt: skip
        profiles = [
            json.loads(p)
            for (p,) in store.con.execute(
                "SELECT profile FROM narratives WHERE run_id = ? ORDER BY narrative LIMIT ?",
                [run_id, top],
            ).fetchall()
        ]
    if as_json:
        _echo_json({"run_id": run_id, **summary, "narratives": profiles})
        return
    click.echo(
        f"run {run_id}: {summary['narratives']:,} narratives over {summary['units']:,} "
        f"{unit}s of {summary['articles']:,} articles"
    )
    for n in profiles:
        click.echo(
            f"\n#{n['narrative']} {n['label']}: {n['units']:,} {unit}s in {n['articles']:,} "
            f"articles, {len(n['outlets'])} outlets"
        )
        for e in n["examples"][:2]:
            click.echo(f"    {e['text'][:140]}")
