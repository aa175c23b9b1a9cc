"""`infoscope articles`: news and blog articles: ingest (pages segmented into items),
segment (what each block of a page is, and why), syndication, actors, relations, quotes,
narratives and propaganda techniques."""

from __future__ import annotations

from typing import Any

import click

from infoscope.cli.common import (
    RECORDED_SEED,
    echo_json,
    json_option,
    progress_echo,
    seed_option,
    store_option,
    top_option,
)

__all__ = [
    "actors",
    "articles",
    "events",
    "influence",
    "ingest_",
    "items_option",
    "narratives",
    "quotes",
    "relations",
    "segment",
    "techniques",
    "train_techniques",
]


@click.group()
def articles() -> None:
    """News and blog articles: ingest them, then map actors, relations, quotes, narratives
    and propaganda techniques. Each analysis is a stored run over the store's articles.

    \b
    Example:
      infoscope articles ingest pages/*.html feed.xml
      infoscope articles narratives --json
    """


_ITEMS_HELP = (
    "main: a page's main items and reposted articles; all: also its secondary items "
    "(teasers, sidebar posts, related stories), each read as an article of its own."
)


def items_option() -> Any:
    """``--items main|all``: which items of the pages the analysis reads."""
    return click.option(
        "--items",
        type=click.Choice(["main", "all"]),
        default="main",
        show_default=True,
        help=_ITEMS_HELP,
    )


@articles.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@store_option()
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html-article", "html-aggregator", "text-article", "rss-feed"]),
    help="Declare the format (default: detected from each file's markers).",
)
@click.option("--outlet", help="Outlet of the pages that do not name it.")
@click.option(
    "--platform", help="Platform of the posts found on aggregator pages (default: twitter)."
)
@seed_option("Seed of the near-duplicate hashing that links copies.")
@json_option("Print the ingest and syndication summaries as JSON.")
def ingest_(
    paths: tuple[str, ...],
    store_path: str,
    fmt: str | None,
    outlet: str | None,
    platform: str | None,
    seed: int,
    as_json: bool,
) -> None:
    """Ingest HTML pages, plain-text pages and articles, aggregator pages and RSS/Atom feeds
    (files or folders, read recursively), then link syndicated copies (near-duplicate texts).

    Each page is cut into items: its main article (boilerplate, navigation, share prompts
    and "Keep reading" boxes removed), its secondary items (teasers, sidebar posts, related
    stories: kept, linked to the main item, left out of the analyses unless --items all),
    the social posts of an aggregator page (stored as posts of their account) and the
    articles it reposts (linked to that account). A file that cannot be read is quarantined
    with the reason and the others go on; the command then exits non-zero.

    \b
    Example:
      infoscope articles ingest saved-pages/ --format html-article
    """
    from infoscope.articles.run import has_main_articles, run_syndication
    from infoscope.cli.ingest import fail_on_failed_files
    from infoscope.ingest import ingest
    from infoscope.store import Store

    with Store.open(store_path) as store:
        summary = ingest(store, list(paths), format=fmt, outlet=outlet, platform=platform)
        linked = run_syndication(store, seed=seed) if has_main_articles(store) else None
    data = {**summary.as_dict(), "syndication": linked.as_dict() if linked else None}
    if as_json:
        echo_json(data)
    else:
        click.echo(
            f"{summary.articles:,} articles stored, {summary.secondary_items:,} secondary items "
            f"(teasers, sidebars), {summary.posts:,} posts ({summary.duplicates:,} duplicates, "
            f"{sum(summary.quarantined.values()):,} quarantined)"
            + (
                f"; syndication run {linked.run_id}: {linked.summary['linked_articles']:,} "
                f"articles in {linked.summary['groups']:,} groups of copies"
                if linked
                else ""
            )
        )
        for failed in summary.failed_files:
            click.echo(f"  not read: {failed['file']}: {failed['reason']}")
    fail_on_failed_files(summary)


@articles.command()
@click.argument("page", type=click.Path(exists=True, dir_okay=False))
@click.option("--encoding", default="utf-8", show_default=True, help="Text encoding of the page.")
@click.option(
    "--all", "show_all", is_flag=True, help="Show the furniture too (default: items only)."
)
@json_option("Print every block as JSON: line, kind, item, item kind, reason, text.")
def segment(page: str, encoding: str, show_all: bool, as_json: bool) -> None:
    """Show how a saved page (HTML or text) is cut into items: each block's kind (title,
    meta, body, post, furniture), the item it belongs to (main, repost, secondary) and the
    reason, so that what ingest drops, and why, can be checked. Stores nothing.

    \b
    Example:
      infoscope articles segment saved/op-ed.txt --all
    """
    from infoscope.ingest.pages import segment_file

    seg = segment_file(page, encoding=encoding)
    rows = seg.explain()
    if as_json:
        echo_json(
            {
                "items": [
                    {
                        "item": item.index,
                        "kind": item.kind,
                        "title": item.title,
                        "author": item.author,
                        "published": item.published,
                        "outlet": item.outlet,
                        "section": item.section,
                        "account": item.account,
                    }
                    for item in seg.items
                ],
                "posts": len(seg.posts),
                "blocks": rows,
            }
        )
        return
    for item in seg.items:
        click.echo(f"item {item.index} {item.kind}: {item.title or '(no title)'}")
    click.echo(f"{len(seg.posts)} posts; {sum(r['kind'] == 'furniture' for r in rows)} blocks "
               "of furniture")  # fmt: skip
    for r in rows:
        if r["kind"] == "furniture" and not show_all:
            continue
        where = f"{r['item_kind']} {r['item']}" if r["item"] is not None else "-"
        click.echo(f"{r['line']:>5} {r['kind']:<9} {where:<12} {r['reason'][:48]:<48} "
                   f"{r['text'][:70]}")  # fmt: skip


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
@items_option()
@seed_option("Seed of the clustering: same store, parameters and seed, same narratives.")
@top_option(15, "Narratives returned with their examples.", min=0)
@json_option("Print the run and its narratives as JSON.")
def narratives(
    store_path: str, unit: str, distance_threshold: float, min_size: int, min_articles: int,
    period: str, items: str, seed: int, top: int, as_json: bool,
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
        result = run_narratives(
            store, unit=unit, distance_threshold=distance_threshold, min_size=min_size,
            min_articles=min_articles, period=period, seed=seed, top=top, items=items,
        )  # fmt: skip
    run_id, summary, profiles = result.run_id, result.summary, result.narratives
    if as_json:
        echo_json(result.as_dict())
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


@articles.command()
@store_option()
@click.option(
    "--aliases",
    type=click.Path(exists=True, dir_okay=False),
    help="Your alias table (CSV: alias,canonical,kind) over the shipped one.",
)
@click.option("--min-count", default=2, show_default=True, type=click.IntRange(min=1))
@items_option()
@top_option(15, "Actors and pairs listed.", min=0)
@seed_option(RECORDED_SEED)
@json_option("Print the run, top actors and pairs as JSON.")
def actors(
    store_path: str,
    aliases: str | None,
    min_count: int,
    items: str,
    top: int,
    seed: int,
    as_json: bool,
) -> None:
    """Actors named in the articles (persons, organisations, states), resolved through an
    editable alias table, and their co-occurrence relations (PMI, NPMI) with evidence.

    \b
    Example:
      infoscope articles actors --aliases my-aliases.csv
    """
    from infoscope.articles.run import run_actors
    from infoscope.store import Store

    with Store.open(store_path) as store:
        result = run_actors(
            store, aliases=aliases, min_count=min_count, top=top, seed=seed, items=items
        )
    run_id, summary, data = result.run_id, result.summary, result.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(
        f"run {run_id}: {summary['mentions']:,} mentions of {summary['actors']:,} actors "
        f"in {summary['articles']:,} articles; {summary['relations']:,} relations"
    )
    for r in data["top_actors"]:
        click.echo(f"  {r['actor']:<32} {r['kind'] or '':<13} {r['mentions']:>6,} mentions")
    click.echo("\npairs in the same sentence:  count  NPMI")
    for r in data["top_pairs"]:
        click.echo(f"  {r['actor_a'] + ' – ' + r['actor_b']:<48} {r['count']:>5,}  {r['npmi']:.2f}")


@articles.command()
@store_option()
def relations(store_path: str) -> None:
    """Print the latest actors run's relations (sentence and article level) as CSV.

    \b
    Example:
      infoscope articles relations > relations.csv
    """
    import csv
    import sys

    from infoscope.articles.run import actor_relation_rows
    from infoscope.store import Store

    with Store.open(store_path, read_only=True) as store:
        rows = actor_relation_rows(store)
    writer = csv.writer(sys.stdout)
    writer.writerow(["level", "actor_a", "actor_b", "count", "pmi", "npmi", "evidence"])
    writer.writerows(rows)


@articles.command()
@store_option()
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False))
@click.option("--no-pronouns", is_flag=True, help="Do not resolve he/she to the last named person.")
@items_option()
@top_option(15, "Sources listed.", min=0)
@seed_option(RECORDED_SEED)
@json_option("Print the run and its sources as JSON.")
def quotes(
    store_path: str,
    aliases: str | None,
    no_pronouns: bool,
    items: str,
    top: int,
    seed: int,
    as_json: bool,
) -> None:
    """Who is quoted or cited ("X told Al Jazeera", "according to Y"), with role and
    affiliation, and how often each source appears across articles and outlets.

    \b
    Example:
      infoscope articles quotes --top 30
    """
    from infoscope.articles.run import run_quotes
    from infoscope.store import Store

    with Store.open(store_path) as store:
        result = run_quotes(
            store, aliases=aliases, pronouns=not no_pronouns, top=top, seed=seed, items=items
        )
    run_id, summary, data = result.run_id, result.summary, result.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(f"run {run_id}: {summary['quotes']:,} attributions, {summary['sources']:,} "
               f"resolved sources in {summary['articles']:,} articles")  # fmt: skip
    for r in data["sources"]:
        aff = f" ({r['affiliation']})" if r["affiliation"] else ""
        click.echo(
            f"  {r['source'] + aff:<48} {r['quotes']:>5,} quotes  {r['articles']:>4,} articles"
            f"  {r['outlets']:>3,} outlets"
        )


@articles.command()
@store_option()
@click.option(
    "--dictionaries",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of PETRARCH2 dictionaries (CAMEO.2.0.txt, Phoenix.*.actors.txt, "
    "Phoenix.agents.txt) for CAMEO verb and actor codes. Without it: actors from the actor "
    "mentions, quad classes from a short fallback verb list, no CAMEO codes.",
)
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False),
              help="Your alias table (CSV: alias,canonical,kind).")  # fmt: skip
@click.option("--no-fallback", is_flag=True,
              help="Only verbs the CAMEO dictionary codes give events.")  # fmt: skip
@items_option()
@top_option(20, "Events and pairs listed.", min=0)
@seed_option(RECORDED_SEED)
@json_option("Print the run, quad classes, pairs and events as JSON.")
def events(
    store_path: str, dictionaries: str | None, aliases: str | None, no_fallback: bool,
    items: str, top: int, seed: int, as_json: bool,
) -> None:  # fmt: skip
    """Who does what to whom: directed events between actors from dependency parses of
    English sentences (source, action, target, CAMEO code where the verb dictionary gives
    one, quad class, negation and modality), each with its sentence. Russian articles are
    not coded yet and are listed as such.

    \b
    Example:
      infoscope articles events --dictionaries ../shared/data/events --top 30
    """
    from infoscope.articles.events.run import run_events
    from infoscope.store import Store

    with Store.open(store_path) as store:
        result = run_events(
            store, dictionaries=dictionaries, aliases=aliases, fallback=not no_fallback,
            seed=seed, top=top, items=items,
        )  # fmt: skip
    run_id, summary, data = result.run_id, result.summary, result.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(
        f"run {run_id}: {summary['events']:,} events in {summary['coded_articles']:,} coded "
        f"articles ({summary['not_coded_articles']:,} not coded: Russian is not coded yet)"
    )
    for q in data["quads"]:
        click.echo(f"  {q['quad_class']:<22} {q['events']:>6,} events ({q['negated']:,} negated)")
    for e in data["top_events"]:
        verb = ("not " if e["negated"] else "") + e["verb"]
        code = f" [{e['cameo_code']}]" if e["cameo_code"] else ""
        click.echo(f"\n  {e['source']} -> {verb}{code} -> {e['target']} ({e['quad_class']})")
        click.echo(f"    {(e['sentence_text'] or '')[:160]}")


@articles.command()
@store_option()
@click.option("--aliases", type=click.Path(exists=True, dir_okay=False),
              help="Your alias table (CSV: alias,canonical,kind); an alias @handle makes the "
              "account the actor's channel.")  # fmt: skip
@click.option("--min-outlets", default=2, show_default=True, type=click.IntRange(2),
              help="Outlets quoting a source that put it on an expert circuit.")  # fmt: skip
@click.option("--resolution", default=1.0, show_default=True, type=click.FloatRange(0),
              help="Leiden resolution: higher gives more, smaller communities.")  # fmt: skip
@top_option(20, "Central nodes and edges listed.", min=0)
@seed_option()
@json_option("Print the run, central nodes, edges with evidence, communities and circuits.")
def influence(
    store_path: str, aliases: str | None, min_outlets: int, resolution: float, top: int,
    seed: int, as_json: bool,
) -> None:  # fmt: skip
    """Who influences whom: a typed directed graph over actors (events), outlets and the
    sources they quote, accounts and the articles they repost or share, and actors' own
    accounts, with Leiden communities, PageRank and the evidence behind every edge. Reads
    the latest events and quotes runs.

    \b
    Example:
      infoscope articles events && infoscope articles quotes
      infoscope articles influence --top 30
      infoscope export influence-graph --out influence.gexf
    """
    from infoscope.articles.influence.run import run_influence
    from infoscope.store import Store

    with Store.open(store_path) as store:
        result = run_influence(store, aliases=aliases, min_outlets=min_outlets,
                               resolution=resolution, seed=seed, top=top)  # fmt: skip
    run_id, summary, data = result.run_id, result.summary, result.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(
        f"run {run_id}: {summary['nodes']:,} nodes, {summary['edges']:,} edges "
        f"({', '.join(f'{k} {v:,}' for k, v in summary['edge_kinds'].items())}), "
        f"{summary['communities']:,} communities, {summary['circuit_sources']:,} sources on "
        "an expert circuit"
    )
    click.echo("central nodes (PageRank):")
    for n in data["central"]:
        click.echo(f"  {n['label'][:40]:<40} {n['kind']:<8} community {n['community']:<3} "
                   f"{n['pagerank']:.4f}")  # fmt: skip
    for e in data["edges"]:
        quad = f" ({e['quad_class']})" if e["quad_class"] else ""
        click.echo(f"\n  {e['source']} -[{e['kind']}{quad} x{e['weight']}]-> {e['target']}")
        for v in e["evidence"]:
            click.echo(f"    {v['article_id']}: {(v['text'] or '')[:150]}")


@articles.command()
@store_option()
@click.option("--model", "model", default="fast", show_default=True,
              help="The span model: a registered name (fast: the shipped linear tagger; "
              "transformer: the fine-tuned MiniLM tagger and fragment classifier, slower) or a "
              "model folder from "
              "train-techniques.")  # fmt: skip
@click.option("--threshold", default=None, type=click.FloatRange(0, 1),
              help="Lowest calibrated span confidence kept instead of the model's span-F1-best "
              "one. Higher values flag fewer, surer spans.")  # fmt: skip
@click.option("--per-1000-words", "flags_per_1000_words", default=None,
              type=click.FloatRange(0, min_open=True),
              help="Operating point: the confidence at which the model flagged this many spans "
              "per 1,000 words of its training articles (their gold density is about 16). "
              "Use 2-5 to review only the surest spans.")  # fmt: skip
@click.option("--spans", "spans_file", type=click.Path(exists=True, dir_okay=False,
              allow_dash=True), help="Classify these given spans instead of detecting spans: "
              "a SemEval-2020 Task 11 TC file (article_id, technique or ?, start, end, "
              "tab-separated; offsets of the article files).")  # fmt: skip
@click.option("--articles", "articles_dir", type=click.Path(exists=True, file_okay=False),
              help="Read article<ID>.txt files from this folder (the task's layout) instead "
              "of the store; nothing is stored.")  # fmt: skip
@click.option("--si-out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the detected spans as a SemEval SI submission (article_id, start, "
              "end; offsets of the article files).")  # fmt: skip
@click.option("--tc-out", type=click.Path(dir_okay=False, allow_dash=True),
              help="Write the spans with their technique as a SemEval TC file (with --spans: "
              "the TC submission).")  # fmt: skip
@items_option()
@top_option(10, "Most confident spans listed.", min=0)
@seed_option(RECORDED_SEED)
@json_option("Print the run and its most confident spans as JSON.")
def techniques(
    store_path: str, model: str, threshold: float | None, flags_per_1000_words: float | None,
    spans_file: str | None, articles_dir: str | None, si_out: str | None, tc_out: str | None,
    items: str, top: int, seed: int, as_json: bool,
) -> None:  # fmt: skip
    """Propaganda techniques (the SemEval-2020 Task 11 taxonomy): fragments of the stored
    articles (title and text) with their technique and a calibrated confidence; or the
    technique of given fragments (--spans). The default operating point maximises span F1
    on the training articles; --per-1000-words sets a flag budget instead. Confidences are
    calibrated on held-out PTC articles: a signal to review, not a verdict.

    \b
    Examples:
      infoscope articles techniques --top 20
      infoscope articles techniques --per-1000-words 3 --si-out si.txt
      infoscope articles techniques --articles dev-articles/ --spans dev-TC-template.out \\
        --tc-out tc.txt
    """
    from infoscope.articles.techniques.semeval import write_si_file, write_tc_file

    if spans_file is not None and si_out is not None:
        raise click.BadParameter("SI spans come from detection: drop --spans, or use --tc-out",
                                 param_hint="--si-out")  # fmt: skip
    if threshold is not None and flags_per_1000_words is not None:
        raise click.BadParameter("give --threshold or --per-1000-words, not both",
                                 param_hint="--per-1000-words")  # fmt: skip
    if spans_file is not None:
        from infoscope.articles.techniques import classify_technique_spans

        rows, found = classify_technique_spans(
            spans_file, store=None if articles_dir else store_path, articles_dir=articles_dir,
            model=model,
        )  # fmt: skip
        with click.open_file(tc_out or "-", "w", encoding="utf-8") as fh:
            write_tc_file(fh, rows, [f["technique"] for f in found])
        if tc_out not in (None, "-"):
            counts: dict[str, int] = {}
            for f in found:
                counts[f["technique"]] = counts.get(f["technique"], 0) + 1
            click.echo(f"{len(rows):,} spans classified, written to {tc_out}", err=True)
            for name, count in sorted(counts.items(), key=lambda kv: -kv[1]):
                click.echo(f"  {name:<40} {count:>6,}", err=True)
        return
    if articles_dir is not None:
        from infoscope.articles.techniques import detect_article_folder

        spans = detect_article_folder(articles_dir, model=model, span_threshold=threshold,
                                      flags_per_1000_words=flags_per_1000_words)  # fmt: skip
        _write_technique_files(spans, si_out, tc_out, write_si_file, write_tc_file)
        click.echo(f"{len(spans):,} spans in the articles of {articles_dir}", err=True)
        return
    from infoscope.articles.run import load_technique_file_spans, run_techniques
    from infoscope.store import Store

    with Store.open(store_path) as store:
        result = run_techniques(
            store, threshold=threshold, flags_per_1000_words=flags_per_1000_words, model=model,
            top=top, seed=seed, items=items,
        )  # fmt: skip
        if si_out or tc_out:
            file_spans = load_technique_file_spans(store, result.run_id)
            _write_technique_files(file_spans, si_out, tc_out, write_si_file, write_tc_file)
    run_id, summary, data = result.run_id, result.summary, result.as_dict()
    if as_json:
        echo_json(data)
        return
    click.echo(
        f"run {run_id}: {summary['spans']:,} technique spans in "
        f"{summary['articles_with_spans']:,} of {summary['articles']:,} articles "
        f"({summary['flags_per_1000_words']} per 1,000 words)"
    )
    for name, count in summary["techniques"].items():
        click.echo(f"  {name:<40} {count:>6,}")
    if data["top"]:
        click.echo("\nmost confident:")
    for r in data["top"]:
        click.echo(f"  {r['confidence']:.2f} {r['technique']:<28} {r['text'][:90]!r}")


def _write_technique_files(
    spans: list[tuple[str, str, int, int]], si_out: str | None, tc_out: str | None,
    write_si: Any, write_tc: Any,
) -> None:  # fmt: skip
    """The SI and TC files asked for, from (article id, technique, start, end) spans."""
    from infoscope.articles.techniques.semeval import SpanRow

    if si_out:
        with click.open_file(si_out, "w", encoding="utf-8") as fh:
            write_si(fh, [(a, s, e) for a, _, s, e in spans])
    if tc_out:
        with click.open_file(tc_out, "w", encoding="utf-8") as fh:
            write_tc(fh, [SpanRow(a, t, s, e) for a, t, s, e in spans], [t for _, t, _, _ in spans])


@articles.command("train-techniques")
@click.option("--ptc", "ptc_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="A PTC folder: articles/article<ID>.txt and labels-TC.tsv.")  # fmt: skip
@click.option("--out", required=True, type=click.Path(file_okay=False),
              help="Directory for the model files and manifest.json.")  # fmt: skip
@click.option("--folds", default=5, show_default=True, type=click.IntRange(min=0),
              help="Article-grouped CV folds before the final fit (0 skips).")  # fmt: skip
@click.option("--neutral", "neutral_dir", type=click.Path(exists=True, file_okay=False),
              help="A folder of .txt texts with no technique: each fold's flags per 1,000 "
              "words on them are recorded in the manifest.")  # fmt: skip
@seed_option("Seed of the folds and of the model fit.")
@json_option("Print the manifest as JSON.")
def train_techniques(
    ptc_dir: str, out: str, folds: int, neutral_dir: str | None, seed: int, as_json: bool
) -> None:  # fmt: skip
    """Retrain the fast propaganda technique model on a PTC folder: cross-validates by
    article (span F1 against "every sentence is a span", technique classification against
    the most frequent technique, calibration, flags on neutral texts), fits on all of it and
    writes the model with its thresholds, calibration and manifest. Copy the files over
    src/infoscope/articles/model/ to ship them. About 15 minutes on 2 cores with 5 folds.

    \b
    Example:
      infoscope articles train-techniques --ptc ptc-train/ --out model/ \\
        --neutral tests/fixtures/techniques_neutral/
    """
    from pathlib import Path

    from infoscope.articles.techniques import train_technique_model

    if folds == 1:
        raise click.BadParameter("use 0 (no cross-validation) or at least 2", param_hint="--folds")
    neutral = (
        [p.read_text(encoding="utf-8") for p in sorted(Path(neutral_dir).glob("*.txt"))]
        if neutral_dir
        else []
    )
    manifest = train_technique_model(
        ptc_dir, out, seed=seed, folds=folds, neutral=neutral, progress=progress_echo(False)
    )
    if as_json:
        echo_json(manifest)
        return
    click.echo(f"model and manifest written to {out}")
    cv = manifest.get("cv")
    if cv:
        click.echo(
            f"sentence micro-F1 {cv['sentence']['micro_f1']:.3f}, macro-F1 "
            f"{cv['sentence']['macro_f1']:.3f}; span (SI) F1 {cv['si']['f1']:.3f} "
            f"({cv['si']['spans_per_gold']:.2f} spans per gold span; every sentence a span: "
            f"{cv['si_baseline_every_sentence']['f1']:.3f}); technique of gold spans (TC) "
            f"micro-F1 {cv['tc']['micro_f1']:.3f} (most frequent: "
            f"{cv['tc_baseline_majority']['micro_f1']:.3f})"
        )
