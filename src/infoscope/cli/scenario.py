"""`infoscope simulate` (a corpus with planted operations and its ground truth),
`infoscope evaluate` (what ran, scored against that truth) and `infoscope demo` (both, with
every analysis in between)."""

from __future__ import annotations

import sys

import click

from infoscope.cli.common import (
    echo_json,
    json_option,
    progress_echo,
    quiet_option,
    seed_option,
    store_option,
)

__all__ = ["SCENARIO_FORMATS", "demo", "evaluate", "simulate"]

# `infoscope.scenario.scenario_formats()`, spelt out so that `--help` needs no numpy (a test
# checks that both agree).
SCENARIO_FORMATS = ("twitter-v2", "io-archive", "telegram", "mastodon", "bluesky-jetstream")


@click.command()
@click.option("--posts", default=100_000, show_default=True, type=click.IntRange(min=100))
@seed_option("Same seed, same bytes.")
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for the corpus, the ground truth and scenario.json.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(SCENARIO_FORMATS),
    default="twitter-v2",
    show_default=True,
    help="Format of the corpus (each is read back by `infoscope ingest`).",
)
@click.option("--accounts", type=click.IntRange(min=50), help="Accounts (default: posts / 15).")
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=1))
@click.option("--start", default="2024-01-01", show_default=True, help="First day (UTC).")
@click.option("--operations", default=2, show_default=True, type=click.IntRange(min=0))
@click.option("--operation-size", default=40, show_default=True, type=click.IntRange(min=4))
@click.option(
    "--operation-share",
    default=0.08,
    show_default=True,
    type=click.FloatRange(0, 0.5, min_open=True),
    help="Share of all posts written by the operations.",
)
@click.option(
    "--sympathisers",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Share of a target community's organic accounts that adopt the narrative.",
)
@click.option(
    "--languages",
    default="en,ru,de",
    show_default=True,
    help="Languages of the organic population, comma-separated (en, ru, de).",
)
@json_option("Print the manifest as JSON.")
@quiet_option("No progress bar.")
def simulate(
    posts: int,
    seed: int,
    out_dir: str,
    format_name: str,
    accounts: int | None,
    days: int,
    start: str,
    operations: int,
    operation_size: int,
    operation_share: float,
    sympathisers: float,
    languages: str,
    as_json: bool,
    quiet: bool,
) -> None:
    """Generate a corpus with planted influence operations and its ground truth.

    An organic population (topic communities in several languages and time zones) posts,
    retweets and replies; operations of news-fronts, amplifiers, automated accounts and trolls
    are planted in it, and some organic accounts sympathise with a narrative without
    coordinating (the hard negatives). The corpus is written in a real format, so ingest reads
    it like any other file; truth_accounts.csv and truth_posts.parquet say who and what is
    planted. Keep --operation-share small (a few percent): operations are rare in real data,
    and scores measured on an unrealistically large share flatter every detector.

    \b
    Example:
      infoscope simulate --posts 100000 --seed 1 --out scen
      infoscope ingest scen/tweets.jsonl && infoscope evaluate --truth scen
    """
    from tqdm import tqdm

    from infoscope.scenario import ScenarioConfig, generate_scenario

    langs = tuple(code.strip() for code in languages.split(",") if code.strip())
    shares = {"en": 0.6, "ru": 0.3, "de": 0.1}
    config = ScenarioConfig(
        posts=posts,
        seed=seed,
        accounts=accounts,
        start=start,
        days=days,
        languages=langs,
        language_shares=tuple(shares.get(code, 0.1) for code in langs),
        operations=operations,
        operation_size=operation_size,
        operation_share=operation_share,
        sympathiser_share=sympathisers,
    )
    with tqdm(
        total=posts, unit=" posts", unit_scale=True, file=sys.stderr, disable=quiet, desc="simulate"
    ) as bar:
        manifest = generate_scenario(config, out_dir, format=format_name, progress=bar.update)
    if as_json:
        echo_json(manifest.as_dict())
        return
    counts = manifest.counts
    click.echo(f"wrote {counts['posts']:,} posts to {manifest.corpus}")
    click.echo(f"  planted posts       {counts['planted_posts']:>12,}")
    click.echo(f"  accounts            {counts['accounts_with_posts']:>12,} posting")
    click.echo(f"  operation accounts  {counts['operation_accounts']:>12,}")
    click.echo(f"  sympathisers        {counts['sympathisers']:>12,}")
    for op in counts["operations"]:
        click.echo(
            f"  {op['id']}: {op['language']} {op['topic']}, {op['posts']:,} posts from "
            f"{op['home_timezone']}, hashtags {', '.join('#' + t for t in op['hashtags'])}"
        )
    click.echo(f"ground truth: {manifest.out_dir}/truth_accounts.csv, truth_posts.parquet")


@click.command()
@click.option(
    "--truth",
    required=True,
    type=click.Path(exists=True),
    help="The scenario's ground truth: the directory written by `infoscope simulate --out`.",
)
@store_option()
@json_option("Print {analysis: {metric: value}}.")
def evaluate(truth: str, store_path: str, as_json: bool) -> None:
    """Score the analyses that have run in the store against a scenario's ground truth.

    Each analysis reports its own metrics (precision, recall, F1; NMI and ARI for partitions);
    analyses that have not run are left out. Ingest reports how faithfully the importers kept
    the scenario's posts.

    \b
    Example:
      infoscope simulate --posts 100000 --out scen && infoscope ingest scen/tweets.jsonl
      infoscope evaluate --truth scen --json
    """
    from infoscope.evaluate import evaluate as run_evaluate
    from infoscope.evaluate import format_score, load_truth
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        scores = run_evaluate(store, load_truth(truth))
    if as_json:
        echo_json(scores)
        return
    if not scores:
        click.echo("nothing to evaluate: no analysis has run in this store yet")
        return
    click.echo(f"{'analysis':<14} {'metric':<28} value")
    for analysis, metrics in scores.items():
        for metric, value in metrics.items():
            click.echo(f"{analysis:<14} {metric:<28} {format_score(value)}")


@click.command()
@click.option("--posts", default=50_000, show_default=True, type=click.IntRange(min=1_000))
@seed_option("Seed of the scenario and of every analysis: same seed, same summary.", default=7)
@click.option(
    "--out",
    "out_dir",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the scenario, the demo store and the summary.",
)
@click.option(
    "--format",
    "format_name",
    type=click.Choice(SCENARIO_FORMATS),
    default="twitter-v2",
    show_default=True,
    help="Format the scenario is written in (and read back from): the same seed and size in "
    "two formats score the same analyses on the same posts, so their evaluations compare.",
)
@json_option("Print the summary's data as JSON.")
@quiet_option()
def demo(posts: int, seed: int, out_dir: str, format_name: str, as_json: bool, quiet: bool) -> None:
    """The main job on the built-in scenario: generate a corpus with planted operations,
    ingest it, run every analysis, score them against the truth and write a summary.

    \b
    Example:
      infoscope demo --posts 50000 --out demo-out
      infoscope demo --posts 30000 --format mastodon --out demo-mastodon
    """
    from infoscope.demo import run_demo

    result = run_demo(
        out_dir, posts=posts, seed=seed, format=format_name, progress=progress_echo(quiet)
    )
    if as_json:
        echo_json(result.data)
        return
    click.echo(result.summary.read_text(encoding="utf-8"))
    click.echo(f"summary written to {result.summary}")
    click.echo(f"report written to {result.report}: open it in a browser (works offline)")
    click.echo(f"explore it live with: infoscope serve --store {result.store}")
