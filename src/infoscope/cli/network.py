"""`infoscope communities`: Leiden communities of the interaction network, their stability,
leading accounts and profiles."""

from __future__ import annotations

from typing import Any

import click

from infoscope.cli.common import (
    DATES,
    echo_json,
    engine_options,
    json_option,
    progress_echo,
    quiet_option,
    seed_option,
    sparkline,
    store_option,
    top_option,
    utc,
)

__all__ = ["communities"]


def _print_community(p: dict[str, Any], period: str | None, *, mix: bool = False) -> None:
    group = "" if p.get("group") is None else f" (group {p['group']})"
    click.echo(
        f"\ncommunity {p['community']}{group}: {p['size']:,} accounts "
        f"({p.get('posting_accounts', 0):,} posting, {p.get('posts', 0):,} posts), "
        f"stability {p['stability']:.2f}, internal weight {p['internal_weight_share']:.0%}, "
        f"density {p['density']:.4f}"
    )
    if mix:  # a run of several platforms: each community's platform mix
        click.echo(
            "  platforms: "
            + ", ".join(
                f"{name} {c['accounts']:,} accounts ({c['posts']:,} posts)"
                for name, c in p.get("platforms", {}).items()
            )
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
    _print_links(p)
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


def _end(end: dict[str, Any]) -> str:
    name = "@" + end["handle"] if end.get("handle") else end["account_id"]
    return f"{name} ({end['platform']})"


def _print_links(p: dict[str, Any], shown: int = 5) -> None:
    """A community's account links (a store with links gives profiles ``linked_accounts``)."""
    found = p.get("linked_accounts") or []
    if not found:
        return
    c = p["community"]
    members = p["linked_members"]
    click.echo(
        f"  linked accounts: {p['links']:,} link{'s' if p['links'] != 1 else ''} of "
        f"{members:,} member{'s' if members != 1 else ''} ({p['actors']:,} actors among "
        f"{p['size']:,} accounts; links are the analyst's or exact matches)"
    )
    for link in found[:shown]:
        a, b = link["a"], link["b"]
        here, other = (a, b) if a["community"] == c else (b, a)
        where = (
            "not in this network"
            if other["community"] is None
            else "same community"
            if other["community"] == c
            else f"community {other['community']}"
        )
        pooled = ", pooled" if link.get("pooled") else ""
        click.echo(
            f"    {_end(here)} = {_end(other)}, {where}{pooled}: {link['method']}"
            + (f" ({link['evidence']})" if link.get("evidence") else "")
            + (f", {link['note']}" if link.get("note") else "")
        )
    if p["links"] > shown:
        click.echo(f"    ... {p['links'] - shown:,} more: see --json")


@click.command()
@store_option()
@click.option(
    "--types",
    default="retweet,quote,reply,mention",
    show_default=True,
    help="Interaction types combined into one weight (comma-separated).",
)
@click.option(
    "--platform",
    help="Platform whose accounts are the nodes (default: the one with most posts); several, "
    "comma-separated, or all: one network of every platform's accounts, each community "
    "with its platform mix (interactions stay within a platform).",
)
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
@click.option(
    "--link-accounts",
    is_flag=True,
    help="Cluster the accounts that account links join (`infoscope accounts link`: the "
    "analyst's links and exact matches, never guesses) as one actor: their edges pooled on "
    "one node for Leiden; each account is still reported with its own platform and id. Off "
    "by default; links are shown with each community either way.",
)
@top_option(10, "Leading accounts kept per community and ranking.")
@click.option(
    "--show",
    default=10,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the largest communities to print.",
)
@seed_option("Same store, parameters and seed: same communities.")
@engine_options()
@json_option("Print the run and every profile as JSON.")
@quiet_option()
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
    link_accounts: bool,
    top: int,
    show: int,
    seed: int,
    engine: str,
    data: str | None,
    spark_master: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Leiden communities of the interaction network, their stability and leading accounts.

    Builds account -> account edges (retweets, quotes, replies, mentions) from the store,
    runs Leiden (Traag et al. 2019) --runs times with different seeds, reports the best
    partition with its stability (mean pairwise NMI between runs; per account, how often
    its community-mates stay with it), ranks accounts (PageRank, in-strength, betweenness)
    and profiles each community: hashtags, domains, mentions, languages, stated places,
    activity, analyst labels and account links (the same actor's accounts on several
    platforms, with their evidence). Everything is stored as a run; export it with
    `infoscope export nodes|communities|graph`.

    --link-accounts treats linked accounts as one actor in the network Leiden clusters
    (only accounts joined by a stored link: `infoscope accounts link`); the run records
    the links it pooled and their evidence.

    With --engine spark the edges, nodes and profiles' counts run on Apache Spark over a
    Parquet export of the store (--data); only the aggregated edge list (one row per pair of
    accounts, bounded by --min-weight) comes here for Leiden and the centralities. The run is
    stored in --store as with DuckDB, and gives the same rows.

    Stability well below 1 means the partition is one of many equally good ones: read the
    communities as tendencies, or lower --resolution. Sources without the retweeted author
    (IRA archives) give mention edges only.

    \b
    Examples:
      infoscope communities --types mention --min-weight 2 --levels 2 --seed 1
      infoscope communities --since 2016-09-01 --until 2016-11-09 --lang en --json
      infoscope communities --platform bluesky,mastodon
      infoscope communities --platform all --link-accounts
      infoscope export graph --out network.gexf
      infoscope export --format parquet --out corpus-parquet
      infoscope communities --engine spark --data corpus-parquet --min-weight 2
    """
    from infoscope.engine import open_engine
    from infoscope.network.edges import EdgeSelection, parse_types
    from infoscope.network.run import run_communities
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
    with Store.open(store_path) as store:
        runner = open_engine(engine, store, data=data, master=spark_master)
        try:
            result = run_communities(
                store,
                selection,
                objective=objective,
                resolution=resolution,
                runs=runs,
                directed=directed,
                levels=levels,
                group_resolution=group_resolution,
                top=top,
                link_accounts=link_accounts,
                seed=seed,
                progress=progress_echo(quiet),
                engine=runner,
            )
        finally:
            runner.close()
    if as_json:
        echo_json(result.as_dict())
        return
    s = result.summary
    nmi = "n/a" if s["mean_nmi"] is None else f"{s['mean_nmi']:.3f}"
    groups = "" if s["groups"] is None else f" in {s['groups']:,} groups"
    click.echo(
        f"run {result.run_id}: {s['nodes']:,} accounts ({s['nodes_in_corpus']:,} posting), "
        f"{s['edges']:,} edges on {s['platform'].replace(',', ', ')}\n"
        f"{s['communities']:,} communities{groups}; {s['objective']} resolution "
        f"{s['resolution']:.4g}, modularity {s['modularity']:.3f}; stability over {s['runs']} "
        f"runs: mean NMI {nmi}, mean co-assignment {s['mean_stability']:.3f} (seed {s['seed']})"
    )
    pooled = s.get("account_links")
    if pooled is not None:
        click.echo(
            f"linked accounts: {pooled['pooled_accounts']:,} accounts pooled into "
            f"{pooled['linked_actors']:,} actors by {len(pooled['links']):,} links; Leiden ran "
            f"on {pooled['actors']:,} actors and {pooled['actor_edges']:,} edges"
            if pooled["links"]
            else "linked accounts: no account link joins two accounts of this network, "
            "nothing pooled (links: `infoscope accounts links`)"
        )
    period = result.profiles[0].get("period") if result.profiles else None
    mix = "platforms" in s
    for profile in result.profiles[:show]:
        _print_community(profile, period, mix=mix)
    hidden = len(result.profiles) - show
    if hidden > 0:
        click.echo(
            f"\n... {hidden:,} smaller communities: see --json or `infoscope export communities`"
        )
