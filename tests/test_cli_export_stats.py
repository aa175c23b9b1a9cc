"""stats and export from the CLI on a small store: numbers match the store, files round-trip."""

from __future__ import annotations

import json

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from .conftest import FIXTURES, cli_json, run_cli

IRA = FIXTURES / "ira_by_author"


def _ingest(store_path):
    result = run_cli(
        "ingest",
        str(IRA / "alice_w.csv"),
        str(IRA / "boris_k.csv"),
        str(IRA / "authors.csv"),
        "--store",
        str(store_path),
        "--quiet",
        "--json",
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_stats_json_counts_match_the_ingest(store_path):
    summary = _ingest(store_path)
    stats = cli_json("stats", "--store", str(store_path))
    assert stats["posts"] == summary["posts"] == 4
    assert stats["by_kind"] == {"original": 2, "retweet": 1, "quote": 1}
    assert stats["by_language"] == {"en": 3, "ru": 1}
    assert stats["by_month"] == {"2016-03-01": 1, "2017-09-01": 3}
    assert stats["top_hashtags"][0] == {"hashtag": "fema", "posts": 1} or {
        r["hashtag"] for r in stats["top_hashtags"]
    } == {"fema", "москва"}
    assert {r["host"]: r["posts"] for r in stats["top_hosts"]} == {"t.co": 2}
    assert stats["labels"] == {
        "account_category=NonEnglish": 1,
        "account_category=RightTroll": 1,
        "account_type=Right": 1,
        "account_type=Russian": 1,
    }
    assert stats["quarantined"] == {"unparseable date": 1}
    text = run_cli("stats", "--store", str(store_path))
    assert text.exit_code == 0 and "posts 4" in text.stdout


def test_export_posts_parquet_and_csv_and_edges(store_path, tmp_path):
    _ingest(store_path)
    out = tmp_path / "posts.parquet"
    assert run_cli("export", "posts", "--store", str(store_path), "--out", str(out)).exit_code == 0
    table = pq.read_table(out)
    assert table.num_rows == 4 and "hashtags" in table.column_names
    csv_out = tmp_path / "accounts.csv"
    assert (
        run_cli("export", "accounts", "--store", str(store_path), "--out", str(csv_out)).exit_code
        == 0
    )
    assert pacsv.read_csv(csv_out).num_rows == 2
    edges = run_cli("export", "edges", "--store", str(store_path))
    assert edges.exit_code == 0
    import csv
    import io

    got = list(csv.DictReader(io.StringIO(edges.stdout)))
    # One edge: boris_k mentions alice_w, who posts under "@alice_w" (IRA retweets name no
    # original author: no edge).
    assert [(r["source"], r["target"], r["type"], r["weight"]) for r in got] == [
        ("@boris_k", "@alice_w", "mention", "1")
    ]


def test_export_refuses_unknown_suffix_with_one_line(store_path, tmp_path):
    _ingest(store_path)
    result = run_cli(
        "export", "posts", "--store", str(store_path), "--out", str(tmp_path / "x.xlsx")
    )
    assert result.exit_code != 0
    assert "use a .parquet or .csv file name" in result.output
    assert "Traceback" not in result.output


def test_stats_on_a_missing_store_is_one_line(tmp_path):
    result = run_cli("stats", "--store", str(tmp_path / "none.duckdb"))
    assert result.exit_code != 0 and "ingest something first" in result.output
