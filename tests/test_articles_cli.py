"""The article analyses as stored runs, from the command line to the report."""

from __future__ import annotations

from pathlib import Path

from infoscope.articles.view import actors_view, articles_view, quotes_view, techniques_view
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows, run_cli

ARTICLES = FIXTURES / "articles"


def ingest(store_path: Path) -> dict:
    files = sorted(str(p) for p in (ARTICLES / "syndication").iterdir())
    files += [str(ARTICLES / "news_page.html"), str(ARTICLES / "aggregator.html")]
    return cli_json("articles", "ingest", *files, "--store", str(store_path))


def test_ingest_links_copies_and_analyses_count_a_story_once(tmp_path):
    store_path = tmp_path / "a.duckdb"
    data = ingest(store_path)
    assert data["articles"] == 7 and data["syndication"]["groups"] == 1
    with Store.open(store_path, read_only=True) as store:
        from infoscope.articles.run import read_articles

        assert len(read_articles(store)) == 6  # the two copies count once
        assert len(read_articles(store, dedupe=False)) == 7
    actors = cli_json("articles", "actors", "--store", str(store_path), "--min-count", "1")
    with Store.open(store_path, read_only=True) as store:
        stored = rows(
            store,
            "SELECT count(*) AS n, count(DISTINCT actor) AS actors FROM article_mentions "
            "WHERE run_id = ?",
            [actors["run_id"]],
        )[0]
        assert stored["n"] == actors["mentions"] and stored["actors"] == actors["actors"]
        relations = rows(
            store, "SELECT * FROM actor_relations WHERE run_id = ?", [actors["run_id"]]
        )
        assert len(relations) == actors["relations"]
        assert all(r["evidence"] for r in relations)
    quotes = cli_json("articles", "quotes", "--store", str(store_path))
    assert quotes["quotes"] > 0
    narratives = cli_json("articles", "narratives", "--store", str(store_path), "--min-size", "2")
    assert narratives["articles"] == 6
    with Store.open(store_path, read_only=True) as store:
        overview = articles_view(store)
        actors_data, quotes_data = actors_view(store), quotes_view(store)
        techniques_data = techniques_view(store)
    assert overview["articles"] == 7
    assert actors_data["run"]["run_id"] == actors["run_id"]
    assert quotes_data["run"]["run_id"] == quotes["run_id"]
    assert techniques_data is None  # not run: the section says so
    out = tmp_path / "r.html"
    result = run_cli("report", "--store", str(store_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert 'id="articles"' in html and "infoscope articles techniques" in html

    found = cli_json("articles", "techniques", "--store", str(store_path), "--threshold", "0.05")
    with Store.open(store_path, read_only=True) as store:
        spans = rows(
            store,
            'SELECT t.technique, t.start, t."end", t.text, t.confidence, a.text AS article, '
            "a.title "
            "FROM article_techniques t JOIN articles a USING (article_id) WHERE t.run_id = ?",
            [found["run_id"]],
        )
        run = rows(store, "SELECT * FROM runs WHERE run_id = ?", [found["run_id"]])[0]
        techniques_data = techniques_view(store)
    assert found["articles"] == 6 and found["spans"] == len(spans) > 0
    assert sum(found["techniques"].values()) == len(spans)
    for span in spans:
        # Offsets count from the start of the text; a span in the title is before it
        # (negative), the title and text being read as "title\n\ntext".
        at = len(span["title"] or "") + 2
        read = (span["title"] or "") + "\n\n" + span["article"]
        assert read[span["start"] + at : span["end"] + at] == span["text"]
        assert 0.0 <= span["confidence"] <= 1.0
    assert "model_sha256" in run["parameters"] and run["status"] == "completed"
    assert techniques_data is not None
    result = run_cli("report", "--store", str(store_path), "--out", str(out))
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    exported = tmp_path / "techniques.csv"
    result = run_cli("export", "article-techniques", "--store", str(store_path),
                     "--out", str(exported))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(exported.read_text(encoding="utf-8").splitlines()) == len(spans) + 1
    top = max(spans, key=lambda r: r["confidence"])
    assert top["technique"] in html


def test_analyses_without_articles_say_what_to_do(tmp_path):
    store_path = tmp_path / "empty.duckdb"
    Store.open(store_path).close()
    for command in ("narratives", "techniques"):
        result = run_cli("articles", command, "--store", str(store_path))
        assert result.exit_code != 0 and "no articles with text" in result.output
        assert "Traceback" not in result.output
    result = run_cli("export", "article-techniques", "--store", str(store_path))
    assert result.exit_code != 0 and "infoscope articles techniques" in result.output
    result = run_cli("articles", "techniques", "--store", str(store_path), "--model",
                     str(tmp_path))  # fmt: skip
    assert result.exit_code != 0 and "no technique-model.json" in result.output


def test_export_choices_are_the_exporters_tables():
    # read from the registry when parsed, so that `infoscope --help` imports nothing heavy
    from infoscope.cli.corpus import export
    from infoscope.export import exportable
    from infoscope.registry import registered_exports

    what = next(p for p in export.params if p.name == "what")
    assert tuple(what.type.choices) == exportable()
    # and its help says what each analysis export is
    help_text = run_cli("export", "--help").output
    for name, (_, entry) in registered_exports().items():
        assert f"{name} " in help_text and entry.help in help_text
