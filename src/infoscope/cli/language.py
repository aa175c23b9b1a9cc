"""`infoscope signature ...` and `infoscope resonance`: lexical signatures and resonance."""

from __future__ import annotations

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
    sparkline,
    store_option,
    top_option,
)

__all__ = ["export_", "import_", "learn", "list_", "monitor", "resonance", "show", "signature"]

GROUP_HELP = (
    "A group: label:KEY=VALUE, community:C, accounts:FILE, format:NAME, source:TEXT, "
    "window:START..END, all, or rest (everything not in the target)."
)


@click.group()
def signature() -> None:
    """Lexical signatures: the terms that set a group's language apart.

    \b
    Examples:
      infoscope signature learn --target label:account_category=RightTroll \\
          --reference format:crowdflower-tweets --name righttroll
      infoscope signature show righttroll --top 30
      infoscope signature export righttroll --out righttroll.json
      infoscope signature import righttroll.json --store other.duckdb
    """


@signature.command("learn")
@store_option()
@click.option("--target", required=True, help=GROUP_HELP)
@click.option("--reference", default="rest", show_default=True, help=GROUP_HELP)
@click.option("--name", help="Name to store it under (default: 'TARGET vs REFERENCE').")
@click.option("--platform", help="Platform (default: the one with most posts).")
@click.option(
    "--size",
    default=200,
    show_default=True,
    type=click.IntRange(min=1),
    help="Terms kept on each side.",
)
@click.option(
    "--z-min",
    default=3.29,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Minimum |z| of the log-odds (3.29: p = 0.001 two-sided).",
)
@click.option("--min-count", default=5, show_default=True, type=click.IntRange(min=1))
@click.option(
    "--min-accounts",
    default=3,
    show_default=True,
    type=click.IntRange(min=1),
    help="A term needs this many accounts on the side that over-uses it.",
)
@click.option(
    "--max-account-share",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1, min_open=True),
    help="...and no account may make more than this share of its uses.",
)
@click.option(
    "--ngrams", default=1, show_default=True, type=click.IntRange(1, 2), help="2 adds word bigrams."
)
@click.option(
    "--match",
    default="",
    help="Restrict target and reference to what they share: any of time, language, topic "
    "(comma-separated). A reference from other days, languages or topics teaches the "
    "signature that difference, not the group's language; the warnings say when.",
)
@click.option(
    "--match-period",
    type=click.Choice(["day", "week"]),
    default="day",
    show_default=True,
    help="Period of --match time, of the overlap report and of event terms.",
)
@click.option(
    "--topic",
    help="With --match topic: a regular expression on-topic posts match (default: the "
    "hashtags and link domains both groups use), e.g. 'brexit|eu ?ref'.",
)
@click.option(
    "--drop-event-terms",
    is_flag=True,
    help="Leave out terms with half of their uses in one period: they mark an event, not a group.",
)
@click.option(
    "--min-tokens",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Accounts with fewer tokens get no score (too little text): stated, not guessed.",
)
@click.option(
    "--precision",
    type=click.FloatRange(0, 1, min_open=True),
    help="Threshold at the lowest probability reaching this precision (default: best F1), "
    "chosen out-of-fold on the training accounts.",
)
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=2))
@click.option("--posts", is_flag=True, help="Also learn a classifier of single posts.")
@click.option("--replace", is_flag=True, help="Replace a stored signature of the same name.")
@top_option(20, "Terms printed on each side.", min=0)
@seed_option("Seed of the cross-validation folds: same store, parameters and seed, same model.")
@engine_options()
@json_option("Print the signature as JSON.")
@quiet_option()
def learn(
    store_path: str, target: str, reference: str, name: str | None, platform: str | None,
    size: int, z_min: float, min_count: int, min_accounts: int, max_account_share: float,
    ngrams: int, match: str, match_period: str, topic: str | None, drop_event_terms: bool,
    min_tokens: int, precision: float | None, folds: int, posts: bool, replace: bool,
    top: int, seed: int, engine: str, data: str | None, spark_master: str | None,
    as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Learn the signature of --target against --reference and store it: its keyness table
    and the classifier that scores accounts.

    Keyness by log-odds with an informative Dirichlet prior (Monroe et al. 2008), with G2
    and log-ratio beside it; terms one account repeats are not a group's. The classifier is a
    logistic regression over the terms with the log-odds as its prior, its size, penalty and
    prior chosen by cross-validation, calibrated (Platt) with its threshold chosen out-of-fold
    on these training accounts: they travel with the signature and are never fitted again on
    another store. The groups' overlap in time, language and topic is reported first, with a
    warning when the reference would teach the period, the language or the topic instead.

    With --engine spark the posts are tokenised and counted on Apache Spark over a Parquet
    export of the store (--data), keyness and the classifier are fitted here; the signature
    is stored in --store as with DuckDB, and is the same.

    \b
    Example:
      infoscope signature learn --target community:3 --reference rest --name c3
      infoscope signature learn --target label:account_category=RightTroll \
          --reference format:generic-csv --match time,topic --topic 'brexit|eu ?ref'
      infoscope signature learn --target community:3 --name c3 --engine spark \
          --data corpus-parquet
    """
    from infoscope.engine import open_engine
    from infoscope.language.signature import run_signature
    from infoscope.language.tokens import TokenOptions
    from infoscope.store import Store

    matched = tuple(m.strip() for m in match.split(",") if m.strip())
    with Store.open(store_path) as store:
        runner = open_engine(engine, store, data=data, master=spark_master)
        try:
            sig = run_signature(
                store, target, reference, name=name, platform=platform,
                options=TokenOptions(ngrams=ngrams), size=size, z_min=z_min,
                min_count=min_count, min_accounts=min_accounts,
                max_account_share=max_account_share, match=matched, match_period=match_period,
                topic=topic, drop_event_terms=drop_event_terms, min_tokens=min_tokens,
                precision=precision, folds=folds, posts=posts, replace=replace, seed=seed,
                progress=progress_echo(quiet), engine=runner,
            ).signature  # fmt: skip
        finally:
            runner.close()
    _print_signature(sig, top, as_json)


def _print_signature(sig: Any, top: int, as_json: bool) -> None:
    if as_json:
        echo_json(sig.as_dict())
        return
    c = sig.counts
    click.echo(f"signature {sig.name!r} ({sig.signature_id}): {sig.terms.num_rows} terms")
    for side in ("target", "reference"):
        if side in c:
            click.echo(
                f"  {side}: {sig.parameters.get(side)}: {c[side]['accounts']:,} accounts, "
                f"{c[side]['tokens']:,} tokens"
            )
    overlap = (c.get("overlap") or {}).get("matched") or (c.get("overlap") or {}).get("groups")
    if overlap:
        click.echo(
            f"  overlap{' after matching' if 'matched' in c['overlap'] else ''}: "
            f"{overlap['shared_periods']:,} of the target's {overlap['target_periods']:,} "
            f"{overlap['period']}s shared, language distance {overlap['language_distance']:.2f}, "
            f"{overlap['target_marker_uses_shared']:.0%} of its hashtag and domain uses shared"
        )
    for warning in c.get("warnings", []):
        click.echo(f"  warning: {warning}")
    for unit, m in (c.get("models") or {}).items():
        cv = m["cv"]
        click.echo(
            f"  {unit} classifier: {m['terms']:,} terms (C {m['C']:g}, prior weight "
            f"{m['prior_weight']:g}), threshold {m['threshold']:.3f}; {cv['folds']}-fold CV on "
            f"{cv['documents']:,} training {unit}s: ROC AUC {cv['roc_auc']}, precision "
            f"{cv['precision']}, recall {cv['recall']}, F1 {cv['f1']}"
        )
    for side, title in (("target", "over-used by the target"), ("reference", "by the reference")):
        rows = sig.top(top, side=side)
        if rows:
            click.echo(f"\n{title}:  term  z  log-ratio  (target / reference uses)")
            for r in rows:
                click.echo(
                    f"  {r['term']:<28} {r['z']:7.1f} {r['log_ratio']:6.2f}  "
                    f"({r['target_count']:,} / {r['reference_count']:,})"
                )


@signature.command("show")
@click.argument("name")
@store_option()
@top_option(30, "Terms printed on each side.", min=0)
@json_option("Print the signature as JSON.")
def show(name: str, store_path: str, top: int, as_json: bool) -> None:
    """Print a stored signature's terms.

    \b
    Example:
      infoscope signature show righttroll --top 50
    """
    from infoscope.language.signature import get_signature
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        sig = get_signature(store, name)
    _print_signature(sig, top, as_json)


@signature.command("list")
@store_option()
@json_option("Print the signatures as JSON.")
def list_(store_path: str, as_json: bool) -> None:
    """List the stored signatures.

    \b
    Example:
      infoscope signature list
    """
    from infoscope.language.signature import list_signatures
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        rows = list_signatures(store)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        p = r["parameters"]
        click.echo(
            f"{r['name']}  ({r['signature_id']}, {r['terms']} terms): "
            f"{p.get('target', '?')} vs {p.get('reference', '?')}"
        )


@signature.command("export")
@click.argument("name")
@store_option()
@click.option("--out", default="-", show_default=True, help="JSON file, or '-' for stdout.")
def export_(name: str, store_path: str, out: str) -> None:
    """Write a stored signature to a JSON file, to score another corpus with it.

    \b
    Example:
      infoscope signature export righttroll --out righttroll.json
    """
    from infoscope.language.signature import get_signature, write_signature
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        sig = get_signature(store, name)
    write_signature(sig, out)


@signature.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@store_option()
@click.option("--name", help="Store it under this name (default: the file's).")
@click.option("--replace", is_flag=True, help="Replace a stored signature of the same name.")
def import_(file: str, store_path: str, name: str | None, replace: bool) -> None:
    """Store a signature from a file written by `infoscope signature export`.

    \b
    Example:
      infoscope signature import righttroll.json --store other.duckdb
    """
    from infoscope.language.signature import read_signature, save_signature
    from infoscope.store import Store

    sig = read_signature(file, name=name)
    with Store.open(store_path) as store:
        save_signature(store, sig, replace=replace)
    click.echo(f"imported signature {sig.name!r} ({sig.terms.num_rows} terms)", err=True)


@click.command()
@store_option()
@click.option("--signature", "signature_name", required=True, help="Stored signature name or id.")
@click.option(
    "--members",
    help="Known members, to evaluate the scores against (never to fit them). " + GROUP_HELP,
)
@click.option("--baseline", help="Known non-members for the evaluation (default: everyone else).")
@click.option(
    "--period",
    type=click.Choice(["week", "month"]),
    help="Also score every account per period (for `infoscope monitor`).",
)
@click.option("--posts", is_flag=True, help="Also score every post (needs `learn --posts`).")
@seed_option(RECORDED_SEED)
@top_option(20, "Most resonant accounts listed.", min=0)
@click.option("--explain", "explain_handle", help="Show the terms behind one account's score.")
@engine_options()
@json_option("Print the run (and --explain) as JSON.")
@quiet_option()
def resonance(
    store_path: str, signature_name: str, members: str | None, baseline: str | None,
    period: str | None, posts: bool, seed: int, top: int, explain_handle: str | None,
    engine: str, data: str | None, spark_master: str | None, as_json: bool, quiet: bool,
) -> None:  # fmt: skip
    """Score every account with a signature's classifier: a calibrated probability, resonant
    or not at the signature's own threshold, and the terms behind each score.

    Calibration and threshold were learnt with the signature, out-of-fold on its training
    accounts; nothing is fitted on this store. Accounts with too little text, or whose
    tokens the signature barely knows (another language or register), get no probability and
    say so. --members/--baseline only evaluate (precision, recall, F1, ROC AUC, marked as
    evaluation). A resonant account talks like the group: language, not membership,
    coordination or intent.

    With --engine spark the posts are tokenised and counted on Apache Spark over a Parquet
    export of the store (--data) and scored here with the signature stored in --store,
    where the scores go, the same as with DuckDB.

    \b
    Example:
      infoscope resonance --signature righttroll --period month
      infoscope resonance --signature righttroll --members label:account_category=RightTroll
      infoscope resonance --signature righttroll --explain SomeHandle
      infoscope resonance --signature righttroll --engine spark --data corpus-parquet
    """
    from infoscope.engine import open_engine
    from infoscope.language.resonance import explain_resonance, run_resonance
    from infoscope.store import Store

    with Store.open(store_path) as store:
        runner = open_engine(engine, store, data=data, master=spark_master)
        try:
            run = run_resonance(
                store, signature_name, members=members, baseline=baseline, period=period,
                posts=posts, top=top, seed=seed, progress=progress_echo(quiet), engine=runner,
            )  # fmt: skip
            explained = None
            if explain_handle:
                explained = explain_resonance(
                    store, explain_handle, run_id=run.run_id, engine=runner
                )
        finally:
            runner.close()
    if as_json:
        out = run.as_dict()
        if explained is not None:
            out["explain"] = explained
        echo_json(out)
        return
    s = run.summary
    m = s["cv"]
    click.echo(
        f"run {run.run_id}: {s['accounts']:,} accounts, {s['scored_accounts']:,} scored, "
        f"{s['resonant_accounts']:,} resonant (probability {s['threshold']:.3f} or more); "
        f"{s['too_little_text']:,} with fewer than {s['min_tokens']} tokens and "
        f"{s['unlike_training']:,} unlike the signature's training data: not scored"
    )
    click.echo(
        f"the signature's classifier, {m['folds']}-fold CV on its {m['documents']:,} training "
        f"accounts: ROC AUC {m['roc_auc']}, precision {m['precision']}, recall {m['recall']}, "
        f"F1 {m['f1']}"
    )
    e = s.get("evaluation")
    if e:
        click.echo(
            f"evaluation on the labels given ({e['accounts']:,} scored accounts, "
            f"{e['members']:,} members): ROC AUC {e['roc_auc']}, precision {e['precision']}, "
            f"recall {e['recall']}, F1 {e['f1']}"
        )
    for warning in s.get("warnings", []):
        click.echo(f"signature warning: {warning}")
    if run.top:
        click.echo("\nmost resonant accounts:  probability  tokens  terms behind the score")
        for r in run.top:
            terms = ", ".join(t[0] for t in r["top_terms"][:4])
            click.echo(
                f"  {r['account_id']:<20} {r['probability'] or 0:8.3f} {r['tokens']:>8,}  {terms}"
            )
    if explained is not None:
        click.echo(
            f"\n{explain_handle}: status {explained['status']}, probability "
            f"{explained['probability']}, resonant {explained['resonant']}, "
            f"{explained['tokens']:,} tokens ({explained['coverage'] or 0:.0%} known to the "
            f"signature), from {explained['source']}"
        )
        for t in explained["top_terms"]:
            click.echo(f"  {t[0]:<28} used {t[1]:>6,}  contribution {t[2]:+.4f}")


@click.command()
@store_option()
@click.option(
    "--resonance", "resonance_run", help="Resonance run (default: the latest with periods)."
)
@click.option(
    "--level", type=click.Choice(["country", "region"]), default="country", show_default=True
)
@click.option(
    "--min-confidence",
    default=0.5,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Places below this confidence count as unknown.",
)
@click.option(
    "--min-accounts",
    default=10,
    show_default=True,
    type=click.IntRange(min=1),
    help="No alert for a place with fewer scored accounts in a period.",
)
@click.option(
    "--threshold",
    default=0.1,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Alert when a place's interval first lies wholly above this prevalence.",
)
@click.option(
    "--baseline",
    default=4,
    show_default=True,
    type=click.IntRange(min=1),
    help="Previous periods pooled as the baseline of the growth test.",
)
@click.option(
    "--alpha", default=0.01, show_default=True, type=click.FloatRange(0, 1, min_open=True)
)
@click.option("--places", "show_places", default=10, show_default=True, type=click.IntRange(min=1))
@seed_option(RECORDED_SEED)
@json_option("Print the run, its cells and alerts as JSON.")
def monitor(
    store_path: str, resonance_run: str | None, level: str, min_confidence: float,
    min_accounts: int, threshold: float, baseline: int, alpha: float, show_places: int,
    seed: int, as_json: bool,
) -> None:  # fmt: skip
    """Prevalence of resonance per place and period, with intervals, unknown share and alerts.

    Needs `infoscope resonance --period week|month`; places come from the latest
    `infoscope locate` (without one, every account counts as unknown). Alerts: significant
    growth against the previous --baseline periods (Fisher exact, p < --alpha), and a place
    crossing --threshold for the first time. Unknown places are shown, never guessed.

    \b
    Example:
      infoscope locate && infoscope resonance --signature righttroll --period month
      infoscope monitor --level country --threshold 0.2
    """
    from infoscope.language.monitor import run_monitor
    from infoscope.store import Store

    with Store.open(store_path) as store:
        run = run_monitor(
            store, resonance_run=resonance_run, level=level, min_confidence=min_confidence,
            min_accounts=min_accounts, threshold=threshold, baseline=baseline, alpha=alpha,
            seed=seed,
        )  # fmt: skip
    if as_json:
        echo_json(run.as_dict())
        return
    s = run.summary
    click.echo(
        f"run {run.run_id}: {s['places']} places over {s['periods']} periods; "
        f"{s['unknown_share']:.0%} of scored account-periods have no known place"
        + ("" if s["located"] else " (no `infoscope locate` run yet)")
    )
    by_place: dict[str, list[dict[str, Any]]] = {}
    for c in run.cells:
        by_place.setdefault(c["place"], []).append(c)
    ranked = sorted(by_place.items(), key=lambda kv: -sum(c["accounts"] for c in kv[1]))
    click.echo("\nplace      accounts  prevalence per period (latest, 95% CI)")
    for place, cells in ranked[:show_places]:
        last = cells[-1]
        spark = sparkline([round(100 * c["prevalence"]) for c in cells])
        click.echo(
            f"  {place:<10} {sum(c['accounts'] for c in cells):>7,}  {spark}  "
            f"{last['prevalence']:.1%} [{last['ci_low']:.1%}, {last['ci_high']:.1%}] "
            f"in {last['period']}"
        )
    alerts = run.alerts
    click.echo(f"\n{len(alerts)} alert(s)" + (":" if alerts else ""))
    for c in alerts:
        p = "" if c["growth_p"] is None else f", p = {c['growth_p']:.2g}"
        click.echo(
            f"  {c['period']} {c['place']}: {c['alert']} (prevalence {c['prevalence']:.1%} "
            f"[{c['ci_low']:.1%}, {c['ci_high']:.1%}] of {c['accounts']:,}{p})"
        )
