"""`infoscope accounts`: authenticity signals per account, with their evidence; links between
the same actor's accounts on several platforms (`accounts link`, `accounts links`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from infoscope.cli.common import (
    RECORDED_SEED,
    echo_json,
    engine_options,
    json_option,
    progress_echo,
    quiet_option,
    seed_option,
    store_option,
    top_option,
)
from infoscope.errors import BadParameterError

__all__ = ["accounts", "link", "links", "train", "train_activity"]


@click.group(invoke_without_command=True)
@store_option()
@click.option("--platform", help="Only this platform's accounts.")
@top_option(15, "Accounts listed per flag family.", min=0)
@click.option("--explain", "explain", help="Show one account (@handle or id): its features, "
              "profile probability with the features behind it, flags with evidence.")  # fmt: skip
@click.option("--activity-model", type=click.Path(exists=True, path_type=Path),
              help="Folder written by `accounts train-activity`: also score automation-"
              "likeness with it (none ships with infoscope).")  # fmt: skip
@seed_option(RECORDED_SEED)
@engine_options()
@json_option("Print the run (and --explain) as JSON.")
@quiet_option()
@click.pass_context
def accounts(
    ctx: click.Context, store_path: str, platform: str | None, top: int, explain: str | None,
    activity_model: Path | None, seed: int, engine: str, data: str | None,
    spark_master: str | None, as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Authenticity signals for every account: automation, amplification, persona checks.

    Computes behaviour features from posts (volume, regularity of intervals, hours, kinds,
    duplicates, links, hashtags, reaction speed, languages) and profile features, scores each
    profile with the shipped, calibrated profile model (with the features behind each score
    and a domain check: outside the model's experience it gives no probability), combines
    behaviour and profile into an automation-likeness for accounts with enough posts (with
    --activity-model), and flags accounts in three separate families, each flag with its
    evidence. With --explain, shows one account of the new run. Signals describe behaviour;
    none says who runs an account. Results are stored (export account-signals /
    account-features).

    With --engine spark the behaviour features, near-duplicate signatures, persona checks and
    the account rows are computed by Apache Spark over a Parquet export of the store (--data);
    the models and flags run here, and the run is stored in --store as with DuckDB, with the
    same rows.

    \b
    Example:
      infoscope accounts --top 20
      infoscope accounts --explain @SomeHandle
      infoscope accounts train --profiles verified-2019_profiles.json \\
          --labels verified-2019.tsv --profiles botwiki-2019_profiles.json \\
          --labels botwiki-2019.tsv --profiles nbc-ira-users.csv --labels bot --out model/
      infoscope export --format parquet --out corpus-parquet
      infoscope accounts --engine spark --data corpus-parquet --spark-master local[8]
    """
    if ctx.invoked_subcommand is not None:
        return
    from infoscope.authenticity import explain_account, run_accounts
    from infoscope.engine import open_engine
    from infoscope.store import Store

    with Store.open(store_path) as store:
        runner = open_engine(engine, store, data=data, master=spark_master)
        try:
            run = run_accounts(
                store,
                platform=platform,
                top=top,
                seed=seed,
                activity_model=activity_model,
                progress=progress_echo(quiet),
                engine=runner,
            )
        finally:
            runner.close()
        explained = explain_account(store, explain, run_id=run.run_id) if explain else None
    if as_json:
        shown = run.as_dict()
        if explained is not None:
            shown["explain"] = explained
        echo_json(shown)
        return
    s = run.summary
    domain = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in s["profile_domain"].items())
    click.echo(
        f"run {run.run_id}: {s['accounts']:,} accounts ({s['posting_accounts']:,} posting), "
        f"{s['profiles_scored']:,} profiles scored, {s['bot_like_profiles']:,} above the "
        f"model's threshold (domain check: {domain or 'no profile'})"
    )
    likeness = s.get("automation_likeness")
    if likeness:
        status = ", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in likeness["status"].items())
        click.echo(
            f"  automation-likeness: {likeness['scored']:,} scored, "
            f"{likeness['above_threshold']:,} above its threshold ({status})"
        )
    for family in ("automation", "amplification", "persona"):
        flags = ", ".join(f"{k} {v:,}" for k, v in s["flags"][family].items()) or "none"
        click.echo(f"  {family:<14} {s['flagged'][family]:>7,} accounts flagged: {flags}")
    if not s["place_checks"]:
        click.echo("  (no locate run: place checks skipped; run `infoscope locate` first)")
    for family, rows in run.top.items():
        if rows:
            click.echo(f"\n{family}: accounts with most flags")
            for r in rows:
                name = f"@{r['handle']}" if r["handle"] else r["account_id"]
                prob = (
                    ""
                    if r["profile_probability"] is None
                    else (f"  profile {r['profile_probability']:.2f}")
                )
                click.echo(f"  {name:<24} {r['posts']:>7,} posts  {', '.join(r[family])}{prob}")
    if explained is not None:
        _print_explained(explained)


def _print_explained(e: dict[str, Any]) -> None:
    name = f"@{e['handle']}" if e["handle"] else e["account_id"]
    click.echo(f"\n{name} ({e['platform']}/{e['account_id']}), {e['posts']:,} posts, "
               f"language group {e['language_group']}")  # fmt: skip
    domain = e.get("profile_domain")
    if e["profile_probability"] is not None:
        click.echo(f"  profile model probability {e['profile_probability']:.3f}; from:")
        for c in e["profile_explanation"] or []:
            click.echo(f"    {c['feature']:<28} value {c['value']!s:<12} {c['contribution']:+.3f}")
    if domain:
        click.echo("  profile " + _domain_line(domain))
    likeness = e.get("automation_evidence") or {}
    if e.get("automation_likeness") is not None:
        click.echo(f"  automation-likeness {e['automation_likeness']:.3f}; from:")
        for c in likeness.get("contributions") or []:
            value = "unknown" if c["value"] is None else f"{c['value']:.4g}"
            click.echo(f"    {c['feature']:<28} value {value:<12} {c['contribution']:+.3f}")
    if likeness:
        click.echo("  automation-likeness " + _domain_line(likeness))
    for family in ("automation", "amplification", "persona"):
        for flag in e[family]:
            click.echo(f"  {family}: {flag}: {e['evidence'].get(flag, '')}")
    if not any(e[f] for f in ("automation", "amplification", "persona")):
        click.echo("  no flag")
    click.echo("  features:")
    for k, v in e["features"].items():
        click.echo(f"    {k:<28} {v:.4g}" if isinstance(v, float) else f"    {k:<28} {v}")


def _domain_line(d: dict[str, Any]) -> str:
    """One line of a domain check: status, typicality, coverage, threshold, atypical fields."""
    if d.get("status") == "too_little_known" and "min_posts" in d:
        return f"too little known: {d['posts']} posts, the model needs {d['min_posts']}"
    parts = [f"domain check: {str(d.get('status')).replace('_', ' ')}"]
    if d.get("typicality") is not None:
        parts.append(f"typicality {d['typicality']:.2f}")
    if d.get("coverage") is not None:
        parts.append(f"{d['coverage']:.0%} of the model's weight known")
    if d.get("nearest_collection"):
        parts.append(f"nearest {d['nearest_collection']}")
    if d.get("threshold") is not None and d.get("human_false_flag_rate") is not None:
        above = " (above)" if d.get("above_threshold") else ""
        parts.append(
            f"threshold {d['threshold']:.3f} at a {d['human_false_flag_rate']:.0%} human "
            f"false-flag rate{above}"
        )
    for a in d.get("atypical") or []:
        parts.append(f"{a['feature']} {a['sd']:+.1f} sd from {a['collection']}")
    return "; ".join(parts)


def _left_out_table(manifest: dict[str, Any]) -> None:
    """The leave-one-collection-out figures, one line per model and collection."""
    click.echo(
        f"{'model':<24} {'left out':<24} {'AUC':>6} {'recall':>7} {'humans flagged':>15} "
        f"{'outside':>8}"
    )
    for model, results in manifest.get("left_out", {}).items():
        for name, r in results.items():
            if not r.get("evaluable"):
                click.echo(f"{model:<24} {name:<24} not evaluable: {r.get('reason')}")
                continue

            def cell(v: Any, width: int) -> str:
                return f"{'-':>{width}}" if v is None else f"{v:>{width}.3f}"

            outside = (r.get("domain") or {}).get("left_out_outside")
            click.echo(
                f"{model:<24} {name:<24} {cell(r.get('auc'), 6)} {cell(r.get('recall'), 7)} "
                f"{cell(r.get('human_false_flag_rate'), 15)} {cell(outside, 8)}"
            )


@accounts.command()
@click.option("--profiles", multiple=True, required=True, type=click.Path(exists=True),
              help="A labelled collection's profile file (repeatable): Bot Repository "
              "*_profiles.json, a CSV of Twitter user fields ...")  # fmt: skip
@click.option("--labels", multiple=True, required=True,
              help="For each --profiles, in order: its label file (*.tsv: id, human|bot), or "
              "the word bot or human for every profile in it.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory for profile-model.json and manifest.json.")  # fmt: skip
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--human-false-flag-rate", default=0.05, show_default=True,
              type=click.FloatRange(0, 1, max_open=True),
              help="Share of the training humans the threshold may flag (out of fold). The "
              "left-out figures show what it becomes on unseen accounts.")  # fmt: skip
@click.option("--outside-share", default=0.05, show_default=True,
              type=click.FloatRange(0, 1, max_open=True),
              help="Accounts less typical than all but this share of the training accounts "
              "are outside the model's experience (no probability).")  # fmt: skip
@click.option(
    "--no-select",
    is_flag=True,
    help="Keep every feature and collection (no data selection): faster.",
)
@seed_option("Seed of the folds and of the model fit.")
@json_option("Print the manifest as JSON.")
def train(
    profiles: tuple[str, ...], labels: tuple[str, ...], out: str, folds: int,
    human_false_flag_rate: float, outside_share: float, no_select: bool, seed: int,
    as_json: bool,
) -> None:  # fmt: skip
    """Retrain the profile model on several labelled collections, judged on the ones left
    out; writes the model and its manifest.

    Each --profiles file is one collection. For each collection left out, models trained on
    the others score it (a one-class collection against held-out accounts of the other class,
    split so that none is in the training set that scores it): AUC, recall and the human
    false-flag rate at the threshold, the domain check's shares; next to ordinary
    cross-validation and a gradient-boosting baseline on the raw counts. Feature groups and
    the mix of bot collections are chosen by the left-out figures. Copy the two files over
    src/infoscope/authenticity/model/ to ship them. With one human collection, leaving it out
    is not evaluable, and what its sampling encodes cannot be found this way.

    \b
    Example:
      infoscope accounts train --profiles verified-2019_profiles.json \\
          --labels verified-2019.tsv --profiles vendor-purchased-2019_profiles.json \\
          --labels vendor-purchased-2019.tsv --profiles nbc-ira-users.csv --labels bot \\
          --out model/
    """
    from infoscope.authenticity.train import train_profile_model

    if len(profiles) != len(labels):
        raise BadParameterError("give one --labels (a file, bot or human) per --profiles file")
    for label in labels:
        if label not in ("bot", "human") and not Path(label).is_file():
            raise BadParameterError(
                f"--labels {label}: no such file (give a label file, or bot or human)"
            )
    manifest = train_profile_model(
        list(profiles), list(labels), out, seed=seed, folds=folds,
        human_false_flag_rate=human_false_flag_rate, outside_share=outside_share,
        select=not no_select,
    )  # fmt: skip
    if as_json:
        echo_json(manifest)
        return
    click.echo(f"model and manifest written to {out}")
    click.echo(f"features: {len(manifest['features'])}; collections trained on: "
               f"{', '.join(manifest['selection']['collections'])}")  # fmt: skip
    _left_out_table(manifest)


def _selector(value: str) -> tuple[str, str]:
    name, sep, pattern = value.partition("=")
    if not sep or not name or not pattern:
        raise BadParameterError(f"{value}: give NAME=PATTERN, e.g. brexit=*brexit*")
    return name, pattern


@accounts.command("train-activity")
@store_option()
@click.option("--bots-by-label", "bot_labels", multiple=True, metavar="KEY",
              help="Accounts carrying this account label are inauthentic, one collection per "
              "value (e.g. account_category of the IRA archive).")  # fmt: skip
@click.option(
    "--bots",
    multiple=True,
    metavar="NAME=PATTERN",
    help="Accounts posting from sources matching PATTERN are inauthentic.",
)
@click.option(
    "--humans",
    multiple=True,
    metavar="NAME=PATTERN",
    help="Accounts posting from sources matching PATTERN are organic.",
)
@click.option(
    "--unlabelled",
    multiple=True,
    metavar="NAME=PATTERN",
    help="Accounts scored and described, never counted in a figure.",
)
@click.option(
    "--min-posts",
    default=20,
    show_default=True,
    type=click.IntRange(min=2),
    help="Posts an account needs in the store to be trained on or scored.",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False),
    help="Directory for activity-model.json and activity-manifest.json.",
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--no-near-duplicates", is_flag=True, help="Skip the MinHash near-duplicate share.")
@seed_option("Seed of the folds and of the model fit.")
@json_option("Print the manifest as JSON.")
@quiet_option()
def train_activity(
    store_path: str, bot_labels: tuple[str, ...], bots: tuple[str, ...],
    humans: tuple[str, ...], unlabelled: tuple[str, ...], min_posts: int, out: str,
    folds: int, no_near_duplicates: bool, seed: int, as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Train the automation-likeness model (behaviour and profile) on labelled accounts with
    posts in a store, judged on the collections left out; writes the model and its manifest.

    Volume features are never used, and a feature one collection does not vary (a collection
    gathered without retweets) is dropped as a sampling artifact. Mind what the labels mean:
    IRA accounts against keyword collections measure likeness to IRA accounts, not
    automation. The store is only read. Copy the two files over
    src/infoscope/authenticity/model/ to ship them.

    \b
    Example:
      infoscope accounts train-activity --store ira.duckdb \\
          --bots-by-label account_category --humans 'brexit=*brexit*' \\
          --unlabelled 'coordination=*russian-coord*' --out model/
    """
    from infoscope.authenticity.activity import PostCollection, train_activity_model
    from infoscope.store import Store

    collections = [PostCollection(key, "bot", label_key=key) for key in bot_labels]
    for label, values in (("bot", bots), ("human", humans), (None, unlabelled)):
        for value in values:
            name, pattern = _selector(value)
            collections.append(PostCollection(name, label, source=pattern))
    if not collections:
        raise BadParameterError("give collections: --bots-by-label, --bots, --humans")
    with Store.open(store_path, read_only=True) as store:
        manifest = train_activity_model(
            store, collections, out, min_posts=min_posts, seed=seed, folds=folds,
            near_duplicates=not no_near_duplicates, progress=progress_echo(quiet),
        )  # fmt: skip
    if as_json:
        echo_json(manifest)
        return
    click.echo(f"model and manifest written to {out}")
    dropped = manifest["sampling_artifacts"]["dropped"]
    click.echo(f"features: {', '.join(manifest['features'])}")
    for feature, reason in dropped.items():
        click.echo(f"  dropped {feature}: {reason}")
    _left_out_table(manifest)


@accounts.command("link")
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--match",
    "match",
    help="Also find links by exact matches, comma-separated: profile-url (an account's "
    "profile URL is another platform's profile address of an account), same-url (two "
    "platforms' accounts give the same URL), same-handle (the same handle; common names are "
    "different people: check its evidence).",
)
@click.option("--note", help="A note kept with the file's rows that give none.")
@store_option()
@json_option("Print what was stored as JSON.")
def link(
    files: tuple[Path, ...], match: str | None, note: str | None, store_path: str, as_json: bool
) -> None:
    """Link the same actor's accounts on several platforms: from FILES, and by exact matches.

    A links file is a CSV with the columns platform_a, account_a, platform_b, account_b and
    optionally note, one row per pair of accounts (an account by its id, or by its handle when
    one account holds it). Matches are exact and unique, each stored with what matched
    (`infoscope accounts links` shows it); nothing is guessed. Coordination clusters, community
    profiles and the report show linked accounts together with the evidence and never merge
    them; only `infoscope communities --link-accounts` clusters each linked group as one actor.

    \b
    Examples:
      infoscope accounts link same-actors.csv --note "party websites"
      infoscope accounts link --match profile-url,same-url
      infoscope accounts links --json
    """
    from infoscope.account_links import add_account_links, match_account_links
    from infoscope.store import Store

    if not files and not match:
        raise BadParameterError("give a links FILE, or --match profile-url,same-url")
    done = []
    with Store.open(store_path) as store:
        for path in files:
            done.append((str(path), add_account_links(store, path, note=note)))
        if match:
            by = tuple(m.strip() for m in match.split(",") if m.strip())
            done.append((f"--match {match}", match_account_links(store, by=by)))
    if as_json:
        echo_json({name: summary.as_dict() for name, summary in done})
        return
    for name, summary in done:
        added = ", ".join(f"{k} {v:,}" for k, v in summary.added.items()) or "none"
        skipped = ", ".join(f"{k} {v:,}" for k, v in summary.skipped.items())
        click.echo(
            f"{name}: links added: {added}; {summary.known:,} already stored"
            + (f"; left out: {skipped}" if skipped else "")
            + (
                f"; {summary.unknown_accounts:,} accounts not in the store (kept as given)"
                if summary.unknown_accounts
                else ""
            )
        )


@accounts.command("links")
@click.option("--platform", help="Only links with an account of this platform.")
@click.option("--account", help="Only links of this account (id or @handle).")
@store_option()
@json_option("Print the links as JSON.")
def links(platform: str | None, account: str | None, store_path: str, as_json: bool) -> None:
    """The stored account links: both accounts, how each link was made and its evidence.

    \b
    Example:
      infoscope accounts links --platform telegram
    """
    from infoscope.account_links import account_links
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        found = account_links(store, platform=platform, account=account)
    if as_json:
        echo_json(found)
        return
    if not found:
        click.echo("no account links (add them with `infoscope accounts link FILE`)")
        return
    for r in found:
        a = f"@{r['handle_a']}" if r["handle_a"] else r["account_a"]
        b = f"@{r['handle_b']}" if r["handle_b"] else r["account_b"]
        note = f" ({r['note']})" if r["note"] else ""
        click.echo(
            f"{r['platform_a']} {a} = {r['platform_b']} {b}: {r['method']}, {r['evidence']}{note}"
        )
