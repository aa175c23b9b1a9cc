"""The influence graph: the typed edges and their evidence (pure), the stored run over a small
fixture corpus (events and quotes runs first), its command, its GEXF export read back by
networkx, and its report section drawn in a real browser."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infoscope.articles.influence.graph import build_influence_graph, rank_influence
from infoscope.errors import BadParameterError

from .conftest import cli_json, run_cli

# Three short articles from three outlets: Russia acts on Israel, Hamas and the UN; Israel
# and the United States act back; Lavrov is quoted once (Al Jazeera), Mearsheimer by DW and
# RT (an expert circuit of two outlets).
ARTICLES = {
    "a1.txt": (
        "Al Jazeera",
        "Russia hands archive to Israel\n\nRussia handed the archive of the Israeli Communist "
        'Party to Israel on Monday. "This is a gesture of friendship," said Sergei Lavrov, the '
        "Russian foreign minister. Israel thanked Russia.\n",
    ),
    "a2.txt": (
        "DW",
        "Moscow hosts Palestinian factions\n\nRussia hosted Hamas in Moscow on Tuesday. "
        '"Moscow wants to be a broker," said John Mearsheimer, a professor at the University '
        "of Chicago. Israel condemned Hamas.\n",
    ),
    "a3.txt": (
        "RT",
        "Veto at the Security Council\n\nRussia vetoed the resolution at the United Nations. "
        '"The veto shows the limits of the council," said John Mearsheimer, a professor at '
        "the University of Chicago. The United States criticised Russia.\n",
    ),
}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("influence")
    store = folder / "s.duckdb"
    for name, (outlet, text) in ARTICLES.items():
        (folder / name).write_text(text, encoding="utf-8")
        cli_json("articles", "ingest", str(folder / name), "--store", str(store), "--outlet",
                 outlet, "--format", "text-article")  # fmt: skip
    cli_json("articles", "events", "--store", str(store))
    cli_json("articles", "quotes", "--store", str(store))
    data = cli_json("articles", "influence", "--store", str(store), "--top", "50")
    return {"folder": folder, "store": store, "data": data}


def _edge(data: dict[str, Any], source: str, target: str, kind: str) -> list[dict[str, Any]]:
    return [
        e for e in data["edges"] if (e["source"], e["target"], e["kind"]) == (source, target, kind)
    ]


def test_events_and_quotes_become_typed_edges_with_their_sentences(corpus):
    data = corpus["data"]
    assert data["edge_kinds"] == {"event": 6, "quotes": 3}
    (handed,) = _edge(data, "actor:Russia", "actor:Israel", "event")
    assert handed["quad_class"] == "material cooperation" and handed["weight"] == 1
    assert [v["text"] for v in handed["evidence"]] == [
        "Russia handed the archive of the Israeli Communist Party to Israel on Monday."
    ]
    assert handed["evidence"][0]["outlet"] == "Al Jazeera"
    assert handed["evidence"][0]["action"] == "handed"
    (criticised,) = _edge(data, "actor:United States", "actor:Russia", "event")
    assert criticised["quad_class"] == "verbal conflict"
    # who quotes whom: DW and RT each quote Mearsheimer once, with the quote as evidence
    (dw,) = _edge(data, "outlet:DW", "actor:John Mearsheimer", "quotes")
    assert dw["evidence"][0]["text"] == "Moscow wants to be a broker"
    assert _edge(data, "outlet:RT", "actor:John Mearsheimer", "quotes")
    assert data["circuits"] == [
        {"source": "John Mearsheimer", "outlets": 2, "outlets_quoting": ["DW", "RT"]}
    ]
    central = {n["label"]: n for n in data["central"]}
    assert central["Russia"]["kind"] == "actor" and central["Sergei Lavrov"]["kind"] == "source"
    assert central["Russia"]["out_strength"] == 3  # hands to Israel, hosts Hamas, vetoes
    assert central["John Mearsheimer"]["in_strength"] == 2  # quoted by DW and RT
    assert central["Russia"]["community"] != central["Sergei Lavrov"]["community"]


def test_the_command_prints_edges_with_evidence_and_is_seeded(corpus):
    printed = run_cli("articles", "influence", "--store", str(corpus["store"]))
    assert printed.exit_code == 0
    assert "actor:Israel -[event (verbal conflict) x1]-> actor:Hamas" in printed.output
    assert "a2: Israel condemned Hamas." in printed.output
    again = cli_json("articles", "influence", "--store", str(corpus["store"]), "--top", "50")
    key = [(n["node"], n["community"]) for n in again["central"]]
    assert key == [(n["node"], n["community"]) for n in corpus["data"]["central"]]


def test_the_gexf_export_is_read_by_networkx(corpus, tmp_path):
    import json

    import networkx as nx

    out = tmp_path / "influence.gexf"
    result = run_cli("export", "influence-graph", "--store", str(corpus["store"]), "--out",
                     str(out))  # fmt: skip
    assert result.exit_code == 0, result.output
    graph = nx.read_gexf(out)
    assert graph.is_directed()  # networkx reads a multigraph back only with parallel edges
    assert graph.number_of_nodes() == corpus["data"]["nodes"]
    assert graph.number_of_edges() == sum(corpus["data"]["edge_kinds"].values())
    assert graph.nodes["actor:Russia"]["kind"] == "actor"
    edge = graph.edges["actor:Israel", "actor:Hamas"]
    assert edge["kind"] == "event" and edge["quad_class"] == "verbal conflict"
    assert json.loads(edge["evidence"])[0]["text"] == "Israel condemned Hamas."
    graphml = tmp_path / "influence.graphml"
    assert run_cli("export", "influence-graph", "--store", str(corpus["store"]), "--out",
                   str(graphml)).exit_code == 0  # fmt: skip
    assert nx.read_graphml(graphml).number_of_edges() == sum(corpus["data"]["edge_kinds"].values())


def test_an_influence_run_needs_events_or_quotes(tmp_path):
    (tmp_path / "a.txt").write_text(ARTICLES["a1.txt"][1], encoding="utf-8")
    store = str(tmp_path / "s.duckdb")
    cli_json("articles", "ingest", str(tmp_path / "a.txt"), "--store", store, "--format",
             "text-article")  # fmt: skip
    result = run_cli("articles", "influence", "--store", store)
    assert result.exit_code != 0 and "infoscope articles events" in result.output


# Reposts, shares and channels (pure): @aggregator reposts article x; @fan shares it; the
# alias table ties @mfa_russia to Russia; one account is named "Sergei Lavrov" (a channel),
# two accounts are named "Hamas" (ambiguous: no channel); nobody is named "Israel".
def test_reposts_shares_and_conservative_channels():
    day = datetime(2024, 5, 1, tzinfo=UTC)
    graph = build_influence_graph(
        events=[{"source": "Russia", "target": "Hamas", "verb": "hosted", "quad_class":
                 "verbal cooperation", "article_id": "x", "published": day,
                 "sentence": "Russia hosted Hamas."},
                {"source": "Israel", "target": "Israel", "verb": "met", "article_id": "x"}],
        quotes=[{"actor": "Sergei Lavrov", "outlet": "TASS", "article_id": "x",
                 "quote": "We are open."}],
        reposts=[{"handle": "@Aggregator", "article_id": "x", "title": "Moscow hosts Hamas"}],
        shares=[{"handle": "fan", "article_id": "x", "text": "read this", "published": day}],
        accounts=[{"handle": "lavrov_official", "display_name": "Sergei  Lavrov"},
                  {"handle": "hamas1", "display_name": "Hamas"},
                  {"handle": "hamas2", "display_name": "hamas"}],
        handles={"mfa_russia": "Russia", "nobody": "Not An Actor"},
    )  # fmt: skip
    edges = {(e["source"], e["target"], e["kind"]) for e in graph.edges}
    assert edges == {
        ("actor:Russia", "actor:Hamas", "event"),  # the self-event of Israel is left out
        ("outlet:TASS", "actor:Sergei Lavrov", "quotes"),
        ("account:@aggregator", "article:x", "reposts"),
        ("account:@fan", "article:x", "shares"),
        ("actor:Russia", "account:@mfa_russia", "channel"),
        ("actor:Sergei Lavrov", "account:@lavrov_official", "channel"),
    }
    how = {e["target"]: e["text"] for e in graph.evidence if e["kind"] == "channel"}
    assert how == {
        "account:@mfa_russia": "alias @mfa_russia",
        "account:@lavrov_official": "display name 'Sergei Lavrov'",
    }
    (event,) = [e for e in graph.edges if e["kind"] == "event"]
    assert event["periods"] == {"2024-05": 1} and event["first_seen"] == day
    ranked = rank_influence(graph, seed=3)
    assert {n["node"] for n in ranked} == {n["node"] for n in graph.nodes}
    assert ranked == rank_influence(graph, seed=3)
    with pytest.raises(BadParameterError, match="min_outlets=1"):
        build_influence_graph(min_outlets=1)


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_the_report_draws_the_influence_graph_in_a_browser(corpus, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    report = tmp_path / "r.html"
    assert run_cli("report", "--store", str(corpus["store"]), "--out", str(report)).exit_code == 0
    errors: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(Path(report).as_uri())
            chart = page.locator("#chart-influence")
            chart.locator(".main-svg").first.wait_for(timeout=20_000)
            chart.scroll_into_view_if_needed()
            drawn = page.evaluate(
                """() => {
                  const c = document.getElementById("chart-influence");
                  return {points: c.querySelectorAll(".scatterlayer .point").length,
                          arrows: c.querySelectorAll(".annotation-arrow-g path").length,
                          labels: Array.from(c.querySelectorAll(".scatterlayer text"))
                                       .map((t) => t.textContent)};
                }"""
            )
            shot = chart.screenshot()
            text = page.locator("#influence").inner_text()
        finally:
            browser.close()
    assert errors == []
    assert drawn["points"] == corpus["data"]["nodes"]  # one marker per node
    assert drawn["arrows"] >= sum(corpus["data"]["edge_kinds"].values())  # one arrow per edge
    assert "Russia" in drawn["labels"] and "John Mearsheimer" in drawn["labels"]
    assert shot.startswith(b"\x89PNG") and len(shot) > 10_000  # a drawing, not a blank box
    assert "Israel condemned Hamas." in text
    (tmp_path / "influence.png").write_bytes(shot)
