"""`infoscope accounts`: authenticity signals per account, with their evidence."""

from __future__ import annotations

import json
from typing import Any

import click

from infoscope.cli.common import (
    RECORDED_SEED,
    echo_json,
    json_option,
    progress_echo,
    quiet_option,
    seed_option,
    store_option,
    top_option,
)
from infoscope.errors import BadParameterError

__all__ = ["accounts", "train"]


@click.group(invoke_without_command=True)
@store_option()
@click.option("--platform", help="Only this platform's accounts.")
@top_option(15, "Accounts listed per flag family.", min=0)
@click.option("--explain", "explain", help="Show one account (@handle or id): its features, "
              "profile probability with the features behind it, flags with evidence.")  # fmt: skip
@seed_option(RECORDED_SEED)
@json_option("Print the run (and --explain) as JSON.")
@quiet_option()
@click.pass_context
def accounts(
    ctx: click.Context, store_path: str, platform: str | None, top: int, explain: str | None,
    seed: int, as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Authenticity signals for every account: automation, amplification, persona checks.

    Computes behaviour features from posts (volume, regularity of intervals, hours, kinds,
    duplicates, links, hashtags, reaction speed, languages) and profile features, scores each
    profile with the shipped, calibrated profile model (with the features behind each score),
    and flags accounts in three separate families, each flag with its evidence. With
    --explain, shows one account of the new run. Signals describe behaviour; none says who
    runs an account. Results are stored (export account-signals / account-features).

    \b
    Example:
      infoscope accounts --top 20
      infoscope accounts --explain @SomeHandle
      infoscope accounts train --profiles verified-2019_profiles.json \\
          vendor-purchased-2019_profiles.json --labels verified-2019.tsv \\
          vendor-purchased-2019.tsv --out model/
    """
    if ctx.invoked_subcommand is not None:
        return
    from infoscope.authenticity import explain_account, run_accounts
    from infoscope.store import Store

    with Store.open(store_path) as store:
        run = run_accounts(
            store, platform=platform, top=top, seed=seed, progress=progress_echo(quiet)
        )
        explained = explain_account(store, explain, run_id=run.run_id) if explain else None
    if as_json:
        data = run.as_dict()
        if explained is not None:
            data["explain"] = explained
        echo_json(data)
        return
    s = run.summary
    click.echo(
        f"run {run.run_id}: {s['accounts']:,} accounts ({s['posting_accounts']:,} posting), "
        f"{s['profiles_scored']:,} profiles scored, {s['bot_like_profiles']:,} bot-like"
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
    if e["profile_probability"] is not None:
        click.echo(f"  profile model probability {e['profile_probability']:.3f}; from:")
        for c in e["profile_explanation"] or []:
            click.echo(f"    {c['feature']:<28} value {c['value']!s:<12} {c['contribution']:+.3f}")
    for family in ("automation", "amplification", "persona"):
        for flag in e[family]:
            click.echo(f"  {family}: {flag}: {e['evidence'].get(flag, '')}")
    if not any(e[f] for f in ("automation", "amplification", "persona")):
        click.echo("  no flag")
    click.echo("  features:")
    for k, v in e["features"].items():
        click.echo(f"    {k:<28} {v:.4g}" if isinstance(v, float) else f"    {k:<28} {v}")


@accounts.command()
@click.option("--profiles", multiple=True, required=True, type=click.Path(exists=True),
              help="Bot Repository *_profiles.json files (repeatable).")  # fmt: skip
@click.option("--labels", multiple=True, required=True, type=click.Path(exists=True),
              help="Their label files (*.tsv: id, human|bot).")  # fmt: skip
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory for profile-model.json and manifest.json.")  # fmt: skip
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@seed_option("Seed of the folds and of the model fit.")
@json_option("Print the manifest as JSON.")
def train(
    profiles: tuple[str, ...], labels: tuple[str, ...], out: str, folds: int, seed: int,
    as_json: bool,
) -> None:  # fmt: skip
    """Retrain the profile model on labelled profiles; writes the model and its manifest.

    Cross-validates (ROC AUC, precision, recall, F1, Brier, reliability per bin and per
    language group), then fits on all data. Copy the two files over
    src/infoscope/authenticity/model/ to ship them.

    \b
    Example:
      infoscope accounts train --profiles a_profiles.json --labels a.tsv --out model/
    """
    from infoscope.authenticity.train import train_profile_model

    if len(profiles) != len(labels):
        raise BadParameterError("give one --labels file per --profiles file")
    manifest = train_profile_model(list(profiles), list(labels), out, seed=seed, folds=folds)
    if as_json:
        echo_json(manifest)
        return
    click.echo(f"model and manifest written to {out}")
    click.echo(json.dumps(manifest.get("cv", {}), indent=2, default=str)[:2000])
