"""The `infoscope` command line: thin commands over the library.

Data goes to stdout, progress and messages to stderr. Errors a user can act on are printed as
one line with a non-zero exit, never a traceback. Heavy imports happen inside the commands so
``infoscope --help`` is instant.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from infoscope._version import __version__
from infoscope.cli.common import DATES, sparkline, store_option, utc


class _Group(click.Group):
    """Translates infoscope's typed errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        from infoscope.errors import InfoscopeError

        try:
            return super().invoke(ctx)
        except InfoscopeError as exc:
            raise click.ClickException(str(exc)) from None


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
    "what",
    type=click.Choice(
        [
            "posts",
            "accounts",
            "labels",
            "edges",
            "quarantine",
            "runs",
            "nodes",
            "communities",
            "graph",
            "coordination-edges",
            "coordination-evidence",
            "coordination-accounts",
            "coordination-clusters",
            "coordination-graph",
            "account-signals",
            "account-features",
            "articles",
            "article-syndication",
            "article-mentions",
            "actor-relations",
            "article-quotes",
            "narratives",
            "narrative-units",
            "article-techniques",
        ]
    ),
)
@store_option()
@click.option(
    "--run",
    "run_id",
    help="Communities run for nodes/communities/graph, coordination run for coordination-*, "
    "accounts run for account-*, article analysis run for the article tables (default: the "
    "latest).",
)
@click.option(
    "--out",
    "out",
    default="-",
    show_default=True,
    help="Output file: .parquet or .csv; '-' writes CSV to stdout.",
)
def export(what: str, store_path: str, run_id: str | None, out: str) -> None:
    """Export posts, accounts, labels, interaction edges, quarantine or runs to Parquet/CSV;
    a communities run's nodes, community profiles or whole graph.

    Edges are account -> account interactions (retweet, quote, reply, mention) over the whole
    store, weighted by count, with their time span. ``nodes`` are a communities run's
    accounts (community, stability, PageRank, strengths, betweenness); ``graph`` writes its
    network with those attributes as GEXF or GraphML (Gephi) or Parquet (nodes, and edges
    in NAME.edges.parquet). ``coordination-*`` export a coordination run's significant
    edges, their evidence (objects, posts, time gaps), its accounts and cluster profiles;
    ``coordination-graph`` its network with the evidence on every edge (GEXF, GraphML, or
    Parquet with NAME.edges.parquet and NAME.evidence.parquet). ``account-signals`` and
    ``account-features`` export an accounts run's flags with evidence and its features.
    ``articles`` and the article tables (syndication links, actor mentions and relations,
    quotes, narratives and their units, technique spans) export the latest run of each
    ``infoscope articles`` analysis.

    \b
    Examples:
      infoscope export posts --out posts.parquet
      infoscope export edges --out edges.csv
      infoscope export quarantine | head
      infoscope export graph --out network.gexf
      infoscope export coordination-graph --out coordination.gexf
      infoscope export article-techniques --out techniques.csv
    """
    from infoscope.export import export_table
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        n = export_table(store, what, out, run_id=run_id)
    if out != "-":
        click.echo(f"wrote {n:,} {what} rows to {out}", err=True)


@cli.command()
@click.option("--posts", default=100_000, show_default=True, type=click.IntRange(min=100))
@click.option("--seed", default=0, show_default=True, type=int, help="Same seed, same bytes.")
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
    type=click.Choice(["twitter-v2", "io-archive", "telegram"]),
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
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
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
        click.echo(json.dumps(manifest.as_dict(), indent=2, ensure_ascii=False))
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


def _print_community(p: dict[str, Any], period: str | None) -> None:
    group = "" if p.get("group") is None else f" (group {p['group']})"
    click.echo(
        f"\ncommunity {p['community']}{group}: {p['size']:,} accounts "
        f"({p.get('posting_accounts', 0):,} posting, {p.get('posts', 0):,} posts), "
        f"stability {p['stability']:.2f}, internal weight {p['internal_weight_share']:.0%}, "
        f"density {p['density']:.4f}"
    )
    for key, title in (
        ("pagerank", "PageRank"),
        ("in_strength", "in-strength"),
        ("betweenness", "betweenness"),
    ):
        tops = p.get(f"top_by_{key}", [])
        if tops:
            names = ", ".join("@" + (t["handle"] or t["account_id"]) for t in tops)
            click.echo(f"  top by {title}: {names}")
    for key, title, prefix in (
        ("top_hashtags", "hashtags", "#"),
        ("top_domains", "domains", ""),
        ("top_mentions", "mentions", "@"),
        ("places", "stated places", ""),
    ):
        items = p.get(key, [])
        if items:
            click.echo(f"  {title}: " + ", ".join(f"{prefix}{v} ({n:,})" for v, n in items))
    langs = p.get("languages", {})
    total = sum(langs.values()) or 1
    if langs:
        click.echo(
            "  languages: " + ", ".join(f"{k} {v / total:.0%}" for k, v in list(langs.items())[:6])
        )
    labels = p.get("labels", {})
    if labels:
        # Labels belong to accounts that post: shares are of the posting members.
        posting = max(p.get("posting_accounts", 0), 1)
        click.echo(
            "  labels (share of posting members): "
            + ", ".join(f"{k} {v:,} ({v / posting:.0%})" for k, v in list(labels.items())[:8])
        )
    activity = p.get("activity", [])
    if activity:
        click.echo(
            f"  activity per {period}: {activity[0][0]} {sparkline([n for _, n in activity])} "
            f"{activity[-1][0]}"
        )


@cli.command()
@store_option()
@click.option(
    "--types",
    default="retweet,quote,reply,mention",
    show_default=True,
    help="Interaction types combined into one weight (comma-separated).",
)
@click.option("--platform", help="Platform whose accounts are the nodes (default: most posts).")
@click.option("--since", type=click.DateTime(DATES), help="Posts from this time (UTC).")
@click.option("--until", type=click.DateTime(DATES), help="Posts before this time (UTC).")
@click.option("--lang", "langs", multiple=True, help="Keep posts in this language (repeatable).")
@click.option(
    "--min-posts",
    default=1,
    show_default=True,
    type=click.IntRange(min=1),
    help="Keep source accounts with at least this many posts in the selection.",
)
@click.option(
    "--min-weight",
    default=1.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Drop edges with fewer interactions. 2 or more removes one-off mentions, which "
    "cut noise in large corpora but also cut off peripheral accounts.",
)
@click.option("--self-loops", is_flag=True, help="Keep accounts' interactions with themselves.")
@click.option(
    "--drop-outside",
    is_flag=True,
    help="Drop accounts that never post in the selection (only mentioned or replied to).",
)
@click.option(
    "--objective",
    type=click.Choice(["modularity", "cpm"]),
    default="modularity",
    show_default=True,
)
@click.option(
    "--resolution",
    type=click.FloatRange(min=0, min_open=True),
    help="Higher: more, smaller communities. Default 1 for modularity, the graph's density "
    "for cpm. Compare several values and keep the one whose communities are stable.",
)
@click.option(
    "--runs",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="Leiden runs with different seeds; their agreement is the stability reported.",
)
@click.option("--directed", is_flag=True, help="Cluster the directed graph (default: undirected).")
@click.option(
    "--levels",
    default=1,
    show_default=True,
    type=click.IntRange(1, 2),
    help="2 also groups communities into families (Leiden on the graph of communities).",
)
@click.option("--group-resolution", type=click.FloatRange(min=0, min_open=True))
@click.option("--top", default=10, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--show",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the largest communities to print.",
)
@click.option("--seed", type=int, help="Same store, parameters and seed: same communities.")
@click.option("--json", "as_json", is_flag=True, help="Print the run and every profile as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
def communities(
    store_path: str,
    types: str,
    platform: str | None,
    since: Any,
    until: Any,
    langs: tuple[str, ...],
    min_posts: int,
    min_weight: float,
    self_loops: bool,
    drop_outside: bool,
    objective: str,
    resolution: float | None,
    runs: int,
    directed: bool,
    levels: int,
    group_resolution: float | None,
    top: int,
    show: int,
    seed: int | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Leiden communities of the interaction network, their stability and leading accounts.

    Builds account -> account edges (retweets, quotes, replies, mentions) from the store,
    runs Leiden (Traag et al. 2019) --runs times with different seeds, reports the best
    partition with its stability (mean pairwise NMI between runs; per account, how often
    its community-mates stay with it), ranks accounts (PageRank, in-strength, betweenness)
    and profiles each community: hashtags, domains, mentions, languages, stated places,
    activity and analyst labels. Everything is stored as a run; export it with
    `infoscope export nodes|communities|graph`.

    Stability well below 1 means the partition is one of many equally good ones: read the
    communities as tendencies, or lower --resolution. Sources without the retweeted author
    (IRA archives) give mention edges only.

    \b
    Examples:
      infoscope communities --types mention --min-weight 2 --levels 2 --seed 1
      infoscope communities --since 2016-09-01 --until 2016-11-09 --lang en --json
      infoscope export graph --out network.gexf
    """
    from infoscope.network.edges import EdgeSelection, parse_types
    from infoscope.network.run import find_communities
    from infoscope.store import Store

    selection = EdgeSelection(
        types=parse_types(types),
        platform=platform,
        since=utc(since),
        until=utc(until),
        langs=tuple(langs) or None,
        min_posts=min_posts,
        min_weight=min_weight,
        self_loops=self_loops,
        outside=not drop_outside,
    )
    say = (lambda m: None) if quiet else (lambda m: click.echo(m, err=True))
    with Store.open(store_path) as store:
        result = find_communities(
            store,
            selection,
            objective=objective,
            resolution=resolution,
            runs=runs,
            directed=directed,
            levels=levels,
            group_resolution=group_resolution,
            top=top,
            seed=seed,
            progress=say,
        )
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, default=str))
        return
    s = result.summary
    nmi = "n/a" if s["mean_nmi"] is None else f"{s['mean_nmi']:.3f}"
    groups = "" if s["groups"] is None else f" in {s['groups']:,} groups"
    click.echo(
        f"run {result.run_id}: {s['nodes']:,} accounts ({s['nodes_in_corpus']:,} posting), "
        f"{s['edges']:,} edges on {s['platform']}\n"
        f"{s['communities']:,} communities{groups}; {s['objective']} resolution "
        f"{s['resolution']:.4g}, modularity {s['modularity']:.3f}; stability over {s['runs']} "
        f"runs: mean NMI {nmi}, mean co-assignment {s['mean_stability']:.3f} (seed {s['seed']})"
    )
    period = result.profiles[0].get("period") if result.profiles else None
    for profile in result.profiles[:show]:
        _print_community(profile, period)
    hidden = len(result.profiles) - show
    if hidden > 0:
        click.echo(
            f"\n... {hidden:,} smaller communities: see --json or `infoscope export communities`"
        )


@cli.command()
@click.option(
    "--truth",
    required=True,
    type=click.Path(exists=True),
    help="The scenario's ground truth: the directory written by `infoscope simulate --out`.",
)
@store_option()
@click.option("--json", "as_json", is_flag=True, help="Print {analysis: {metric: value}}.")
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
        click.echo(json.dumps(scores, indent=2))
        return
    if not scores:
        click.echo("nothing to evaluate: no analysis has run in this store yet")
        return
    click.echo(f"{'analysis':<14} {'metric':<28} value")
    for analysis, metrics in scores.items():
        for metric, value in metrics.items():
            click.echo(f"{analysis:<14} {metric:<28} {format_score(value)}")


@cli.command()
@click.option("--posts", default=50_000, show_default=True, type=click.IntRange(min=1_000))
@click.option("--seed", default=7, show_default=True, type=int)
@click.option(
    "--out",
    "out_dir",
    default="demo-out",
    show_default=True,
    type=click.Path(file_okay=False),
    help="Directory for the scenario, the demo store and the summary.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary's data as JSON.")
@click.option("--quiet", "-q", is_flag=True, help="No progress messages.")
def demo(posts: int, seed: int, out_dir: str, as_json: bool, quiet: bool) -> None:
    """The main job on the built-in scenario: generate a corpus with planted operations,
    ingest it, run every analysis, score them against the truth and write a summary.

    \b
    Example:
      infoscope demo --posts 50000 --out demo-out
    """
    from infoscope.demo import run_demo

    def say(message: str) -> None:
        if not quiet:
            click.echo(message, err=True)

    result = run_demo(out_dir, posts=posts, seed=seed, progress=say)
    if as_json:
        click.echo(json.dumps(result.data, indent=2, default=str))
        return
    click.echo(result.summary.read_text(encoding="utf-8"))
    click.echo(f"summary written to {result.summary}")
    click.echo(f"report written to {result.report}: open it in a browser (works offline)")
    click.echo(f"explore it live with: infoscope serve --store {result.store}")


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


# Commands defined in their own modules (each imports only click at load time).
from infoscope.cli.accounts import accounts  # noqa: E402
from infoscope.cli.articles import articles  # noqa: E402
from infoscope.cli.coordination import coordination  # noqa: E402
from infoscope.cli.geo import locate  # noqa: E402
from infoscope.cli.language import monitor, resonance, signature  # noqa: E402
from infoscope.cli.report import report, serve  # noqa: E402

cli.add_command(locate)
cli.add_command(signature)
cli.add_command(resonance)
cli.add_command(monitor)
cli.add_command(coordination)
cli.add_command(accounts)
cli.add_command(articles)
cli.add_command(report)
cli.add_command(serve)

if __name__ == "__main__":  # pragma: no cover
    cli()
