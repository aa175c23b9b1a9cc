"""`infoscope coordination`: coordinated behaviour, its significance and its evidence."""

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
from infoscope.errors import BadParameterError

__all__ = ["coordination", "evidence"]


def _windows(values: tuple[str, ...], traces: tuple[str, ...]) -> dict[str, float | str | None]:
    """``--window 60`` (every windowed trace), ``--window co-link=auto``, ``=none``."""
    from infoscope.coordination.traces import DEFAULT_WINDOWS

    out: dict[str, float | str | None] = {}
    for value in values:
        name, _, text = value.rpartition("=")
        names = [name] if name else [t for t in traces if t in DEFAULT_WINDOWS]
        text = text.strip().lower()
        window: float | str | None
        if text == "auto":
            window = "auto"
        elif text in ("none", "off"):
            window = None
        else:
            try:
                window = float(text)
            except ValueError:
                raise BadParameterError(
                    f"--window {value!r}: give seconds, 'auto' or 'none', optionally as "
                    "TRACE=VALUE (e.g. --window co-link=3600)"
                ) from None
        for n in names:
            out[n] = window
    return out


def _alpha(value: str) -> float | None:
    if value.strip().lower() == "none":
        return None
    try:
        alpha = float(value)
    except ValueError:
        alpha = -1.0
    if not 0 < alpha <= 1:
        raise BadParameterError(
            f"--alpha {value!r}: give a false discovery rate in (0, 1], or 'none' to keep "
            "every pair with --min-count objects"
        )
    return alpha


_STRATA = {"hour": 3_600.0, "day": 86_400.0, "week": 604_800.0, "none": None}


def _name(handle: str | None, account_id: str, platform: str | None, across: bool) -> str:
    """``@handle``, or the id; with the platform in a run across platforms."""
    shown = f"@{handle}" if handle else account_id
    return f"{shown} ({platform})" if across and platform else shown


def _print_cluster(p: dict[str, Any], across: bool) -> None:
    labels = p.get("trace_labels") or {}
    traces = ", ".join(f"{labels.get(t, t)} {n:,}" for t, n in p["traces"].items())
    span = ""
    if p["first_at"] and p["last_at"]:
        span = f", {str(p['first_at'])[:16]} to {str(p['last_at'])[:16]}"
    click.echo(
        f"\ncluster {p['cluster']}: {p['size']:,} accounts in {p['subclusters']} "
        f"subcluster{'s' if p['subclusters'] != 1 else ''}, "
        f"{p['edges']:,} edges ({traces}){span}"
    )
    names = [_name(a["handle"], a["account_id"], a.get("platform"), across) for a in p["accounts"]]
    click.echo(f"  accounts: {', '.join(names)}")
    mix = p.get("platforms") or {}
    if across and mix:
        shown = ", ".join(
            f"{name} {m['accounts']:,} accounts ({m['posts']:,} posts)" for name, m in mix.items()
        )
        click.echo(
            f"  platforms: {shown}; {p.get('cross_platform_edges', 0):,} edges across platforms"
        )
    for link in p.get("linked_accounts", [])[:5]:
        a, b = link["a"], link["b"]
        where = ""
        if not link["same_cluster"]:
            other = b if a["cluster"] == p["cluster"] else a
            where = (
                " (not coordinated)"
                if other["cluster"] is None
                else f" (cluster {other['cluster']})"
            )
        evidence = f": {link['evidence']}" if link.get("evidence") else ""
        click.echo(
            f"  linked: {_name(a['handle'], a['account_id'], a['platform'], True)} = "
            f"{_name(b['handle'], b['account_id'], b['platform'], True)}{where}, "
            f"{link['method']}{evidence}"
        )
    if p.get("linked_accounts") and p.get("actors", p["size"]) < p["size"]:
        click.echo(f"  actors: {p['actors']:,} among {p['size']:,} accounts (linked accounts once)")
    if p["per_day"]:
        click.echo(f"  per day: {sparkline([n for _, n in p['per_day']])}")
        click.echo(f"  per hour (UTC): {sparkline(p['per_hour'])}")
    if p["shared_objects"]:
        shown = ", ".join(
            f"{o['trace']} {o['object_id']} ({o['accounts']} accounts)"
            for o in p["shared_objects"][:5]
        )
        click.echo(f"  shared: {shown}")
    if p["labels"]:
        shown = ", ".join(f"{k} {v['share']:.0%}" for k, v in list(p["labels"].items())[:5])
        click.echo(f"  analyst labels: {shown}")
    if p["communities"]:
        c = p["communities"]
        top = ", ".join(f"#{k} ({v})" for k, v in list(c["communities"].items())[:3])
        click.echo(f"  communities (run {c['run_id']}): {top}")
    for e in p["strongest_edges"][:3]:
        example = e["examples"][0] if e["examples"] else None
        shown = ""
        if example:
            shown = (
                f"; e.g. {example['object_id']}: posts {example['post_a']} and "
                f"{example['post_b']}, {example['gap_s']:g} s apart"
            )
        a = _name(e.get("handle_a"), e["account_a"], e.get("platform_a"), False)
        b = _name(e.get("handle_b"), e["account_b"], e.get("platform_b"), False)
        link = "->" if e["trace"] == "fast-retweet" else "~"
        click.echo(
            f"  {e['trace']} {a} {link} {b}: {e['objects']} shared, "
            f"{e['expected']:.3g} expected, p {e['p_value']:.2g}{shown}"
        )


@click.group(invoke_without_command=True)
@store_option()
@click.option(
    "--traces",
    default="all",
    show_default=True,
    help="Comma-separated: co-retweet, co-reply, co-link, co-hashtag, near-duplicate, "
    "synchronised, fast-retweet, co-image (or all).",
)
@click.option(
    "--window",
    "windows",
    multiple=True,
    help="Seconds between two accounts' actions on the same object, 'auto' (estimated from "
    "the data) or 'none'; TRACE=VALUE sets one trace (repeatable). Defaults: co-retweet 60, "
    "co-reply 600, co-link, co-hashtag, co-image and near-duplicate 3600.",
)
@click.option(
    "--platform",
    help="Platform whose accounts are compared (default: the one with most posts); several "
    "comma-separated (facebook,twitter) or 'all' compare accounts across platforms, each "
    "named platform:id.",
)
@click.option("--since", type=click.DateTime(DATES), help="Posts from this time (UTC).")
@click.option("--until", type=click.DateTime(DATES), help="Posts before this time (UTC).")
@click.option(
    "--link-level", type=click.Choice(["url", "domain"]), default="url", show_default=True
)
@click.option("--link-retweets", is_flag=True, help="co-link also counts links in retweets.")
@click.option(
    "--hashtag-mode",
    type=click.Choice(["sequence", "rare", "each"]),
    default="sequence",
    show_default=True,
    help="sequence: the same ordered hashtags; rare: each hashtag few accounts use; each: "
    "every hashtag (CooRTweet's hashtag objects).",
)
@click.option("--min-hashtags", default=2, show_default=True, type=click.IntRange(min=1))
@click.option("--rare-hashtag-accounts", default=50, show_default=True, type=click.IntRange(1))
@click.option(
    "--bin", "bin_seconds", default=10.0, show_default=True, type=click.FloatRange(min=0.001),
    help="synchronised: seconds per time bin.",
)  # fmt: skip
@click.option(
    "--max-bin-accounts", default=20, show_default=True, type=click.IntRange(min=2),
    help="synchronised: bins where more accounts post are left out (everyone's busy times).",
)  # fmt: skip
@click.option(
    "--fast", "fast_seconds", default=60.0, show_default=True, type=click.FloatRange(0.001),
    help="fast-retweet: seconds after the original that make a retweet fast.",
)  # fmt: skip
@click.option(
    "--near-duplicate-threshold", default=0.6, show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="near-duplicate: estimated Jaccard similarity of two texts' shingles.",
)  # fmt: skip
@click.option(
    "--min-count", default=2, show_default=True, type=click.IntRange(min=1),
    help="Keep pairs that co-acted on at least this many objects.",
)  # fmt: skip
@click.option(
    "--alpha", default="0.01", show_default=True,
    help="False discovery rate (Benjamini-Hochberg over all pairs) below which a pair is "
    "kept; 'none' keeps every pair with --min-count objects.",
)  # fmt: skip
@click.option(
    "--stratum", type=click.Choice(["hour", "day", "week", "none"]), default="day",
    show_default=True,
    help="The null model keeps each account's activity per period of this length (none: over "
    "the whole selection).",
)  # fmt: skip
@click.option("--resolution", default=1.0, show_default=True, type=click.FloatRange(0, None, True))
@top_option(10, "Length of the lists in each cluster profile (accounts, objects, edges).")
@click.option(
    "--show",
    default=5,
    show_default=True,
    type=click.IntRange(min=0),
    help="How many of the largest clusters to print.",
)
@seed_option("Same store, parameters and seed: same clusters.")
@engine_options()
@json_option("Print the run and every profile as JSON.")
@quiet_option()
@click.pass_context
def coordination(
    ctx: click.Context,
    store_path: str,
    traces: str,
    windows: tuple[str, ...],
    platform: str | None,
    since: Any,
    until: Any,
    link_level: str,
    link_retweets: bool,
    hashtag_mode: str,
    min_hashtags: int,
    rare_hashtag_accounts: int,
    bin_seconds: float,
    max_bin_accounts: int,
    fast_seconds: float,
    near_duplicate_threshold: float,
    min_count: int,
    alpha: str,
    stratum: str,
    resolution: float,
    top: int,
    show: int,
    seed: int,
    engine: str,
    data: str | None,
    spark_master: str | None,
    as_json: bool,
    quiet: bool,
) -> None:
    """Coordinated accounts: what they did together, how unlikely by chance, and the proof.

    Each trace pairs accounts that acted on the same object within a window (the same
    retweeted post, reply target, URL, hashtag sequence, image, near-duplicate text or time
    bin) or that retweet another account within seconds, repeatedly. Traces read the posts and
    the shares of their object type (infoscope ingest of the `shares` format); with --platform
    all they compare accounts across platforms, and clusters show their platform mix and the
    account links (`infoscope accounts link`) among their members. Each pair's count is
    compared with a null model that keeps every account's activity and every object's
    popularity (expected count and p-value per pair); pairs significant at --alpha (false
    discovery rate) are kept with the objects, posts and time gaps behind them. Traces are
    fused into one network whose connected components are the coordinated clusters (with
    Leiden subclusters), profiled and stored as a run.

    With --engine spark the traces, co-action pairs and the null model's counts run on Apache
    Spark over a Parquet export of the store (--data), the scoring and clustering here; the
    run is stored in --store as with DuckDB, and gives the same rows.

    Coordination is behaviour, not attribution: a cluster says accounts acted together
    beyond chance, not who runs them. Analyst labels are shown beside clusters, never
    inferred.

    \b
    Examples:
      infoscope coordination --seed 1
      infoscope coordination --traces co-retweet,fast-retweet --window co-retweet=30
      infoscope coordination --traces co-link --link-level domain --window auto
      infoscope coordination --platform all --traces co-link,co-image,co-hashtag \
          --hashtag-mode each --window 30
      infoscope coordination evidence @some_handle
      infoscope export coordination-graph --out coordination.gexf
      infoscope export --format parquet --out corpus-parquet
      infoscope coordination --engine spark --data corpus-parquet --spark-master local[8]
    """
    if ctx.invoked_subcommand is not None:
        return
    from infoscope.coordination.run import run_coordination
    from infoscope.coordination.traces import TraceOptions, parse_traces
    from infoscope.engine import open_engine
    from infoscope.store import Store

    names = parse_traces(traces)
    options = TraceOptions(
        platform=platform,
        since=utc(since),
        until=utc(until),
        windows=_windows(windows, names),
        link_level=link_level,
        link_retweets=link_retweets,
        hashtag_mode=hashtag_mode,
        min_hashtags=min_hashtags,
        rare_hashtag_accounts=rare_hashtag_accounts,
        bin_seconds=bin_seconds,
        max_bin_accounts=max_bin_accounts,
        fast_seconds=fast_seconds,
        near_duplicate_threshold=near_duplicate_threshold,
    )
    with Store.open(store_path) as store:
        runner = open_engine(engine, store, data=data, master=spark_master)
        try:
            result = run_coordination(
                store,
                names,
                options,
                min_count=min_count,
                alpha=_alpha(alpha),
                stratum=_STRATA[stratum],
                resolution=resolution,
                top=top,
                seed=seed,
                progress=progress_echo(quiet),
                engine=runner,
            )
        finally:
            runner.close()
    if as_json:
        echo_json(result.as_dict())
        return
    from infoscope.coordination.traces import platforms_text

    s = result.summary
    click.echo(
        f"run {result.run_id}: {s['accounts']:,} coordinated accounts in {s['clusters']:,} "
        f"clusters (largest {s['largest_cluster']:,}), {s['edges']:,} significant edges "
        f"{platforms_text(s['platforms'])} (seed {s['seed']})"
    )
    click.echo(
        f"{'trace':<16}{'window':>10}{'accounts':>10}{'pairs':>12}{'kept':>8}{'s':>8}  "
        "objects, platforms (accounts)"
    )
    for name, t in s["traces"].items():
        window = t.get("window_s")
        shown = "-" if window is None else f"{window:g}"
        per = ", ".join(f"{p} {n:,}" for p, n in t["platforms"].items())
        click.echo(
            f"{name:<16}{shown:>10}{t['accounts']:>10,}{t['candidate_pairs']:>12,}"
            f"{t['kept_pairs']:>8,}{t['seconds']:>8.1f}  {t['object_type']}, {per}"
        )
    for profile in result.clusters[:show]:
        _print_cluster(profile, s["cross_platform"])
    hidden = len(result.clusters) - show
    if hidden > 0:
        click.echo(f"\n... {hidden:,} more clusters: see --json or `infoscope export "
                   "coordination-clusters`")  # fmt: skip


@coordination.command()
@click.argument("account")
@click.argument("other", required=False)
@store_option()
@click.option("--run", "run_id", help="Coordination run (default: the latest).")
@click.option("--trace", help="Only this trace's edges.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(min=1))
@json_option("Print the edges and evidence as JSON.")
def evidence(
    account: str,
    other: str | None,
    store_path: str,
    run_id: str | None,
    trace: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """The evidence behind ACCOUNT's coordination edges (with OTHER: that edge only).

    ACCOUNT and OTHER are account ids or @handles (platform:id in a run across platforms).
    For each kept edge: the trace, the shared count against the null model's expectation,
    and the objects, posts (with their platforms) and time gaps behind it (up to --limit per
    edge).

    \b
    Examples:
      infoscope coordination evidence @amplifier_1
      infoscope coordination evidence 123 456 --trace co-retweet --json
    """
    from infoscope.coordination.run import edge_evidence
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        edges = edge_evidence(store, account, other, run_id=run_id, trace=trace, limit=limit)
    if as_json:
        echo_json(edges)
        return
    if not edges:
        click.echo(f"{account} has no coordination edges in that run (or with that trace)")
        return
    for e in edges:
        arrow = "->" if e["directed"] else "~"
        similarity = "n/a" if e["similarity"] is None else f"{e['similarity']:.3f}"
        click.echo(
            f"{e['label']}: {e['account_a']} {arrow} {e['account_b']}: {e['objects']} shared "
            f"(expected {e['expected']:.3g}, p {e['p_value']:.2g}, q {e['q_value']:.2g}), "
            f"similarity {similarity}"
        )
        for row in e["evidence"]:
            post_a, post_b = row["post_a"], row["post_b"]
            if row.get("platform_a") != row.get("platform_b"):
                post_a = f"{row['platform_a']} {post_a}"
                post_b = f"{row['platform_b']} {post_b}"
            click.echo(
                f"  {row['object_id']}: {post_a} at {str(row['at_a'])[:19]}, "
                f"{post_b} at {str(row['at_b'])[:19]} ({row['gap_s']:g} s apart)"
            )
