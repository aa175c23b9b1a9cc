"""evaluate: scores against a scenario's truth; demo: the whole main job on a small scenario."""

from __future__ import annotations

import pytest

from infoscope.errors import InfoscopeError
from infoscope.evaluate import evaluate, load_truth
from infoscope.ingest import ingest
from infoscope.scenario import ScenarioConfig, generate_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    out = tmp_path_factory.mktemp("scenario")
    manifest = generate_scenario(ScenarioConfig(posts=3_000, seed=3), out)
    return out, manifest


def test_nothing_is_scored_before_anything_ran(store, scenario):
    out, _ = scenario
    assert evaluate(store, load_truth(out)) == {}


def test_ingest_fidelity_is_perfect_and_drops_with_lost_posts(store, scenario):
    out, manifest = scenario
    ingest(store, [out / manifest.counts["corpus_file"]])
    scores = evaluate(store, load_truth(out))["ingest"]
    assert scores["posts"] == 3_000
    for metric in (
        "post_recall",
        "planted_post_recall",
        "account_recall",
        "kind_agreement",
        "time_agreement",
    ):
        assert scores[metric] == 1.0, metric
    assert scores["extra_posts"] == 0
    # Losing 30 posts (as a faulty importer would) shows in the recall, exactly.
    store.con.execute(
        "DELETE FROM posts WHERE post_id IN (SELECT post_id FROM posts ORDER BY post_id LIMIT 30)"
    )
    assert evaluate(store, load_truth(out))["ingest"]["post_recall"] == pytest.approx(2_970 / 3_000)


def test_truth_path_can_be_the_manifest_or_a_truth_file(scenario):
    out, _ = scenario
    assert load_truth(out / "scenario.json").directory == out
    assert load_truth(out / "truth_posts.parquet").directory == out


def test_missing_truth_is_a_one_line_error(tmp_path):
    with pytest.raises(InfoscopeError, match="infoscope simulate --out DIR"):
        load_truth(tmp_path)


def test_demo_writes_a_summary_with_the_evaluation(tmp_path):
    from infoscope.demo import run_demo

    result = run_demo(tmp_path / "demo", posts=2_000, seed=1)
    text = result.summary.read_text(encoding="utf-8")
    assert "## Evaluation against the planted truth" in text
    assert "| ingest | post_recall | 1 |" in text
    assert "| ingest | posts | 2,000 |" in text
    assert result.data["ingest"]["posts"] == 2_000
    assert result.data["ingest"]["quarantined"] == 0
    assert "## Coordination" in text
    assert "| coordination | precision |" in text
    # The demo ends with the HTML report, named in the summary.
    assert result.report == tmp_path / "demo" / "report.html"
    assert f"`{result.report}`" in text and result.report.stat().st_size > 1_000_000
    # A second run starts from a fresh store rather than finding everything duplicated.
    again = run_demo(tmp_path / "demo", posts=2_000, seed=1)
    assert again.data["ingest"]["posts"] == 2_000 and again.data["ingest"]["duplicates"] == 0


def test_demo_and_evaluate_from_the_cli(tmp_path):
    from .conftest import cli_json

    data = cli_json("demo", "--posts", "1000", "--out", str(tmp_path / "d"), "--quiet")
    assert data["ingest"]["posts"] == 1_000 and data["evaluation"]["ingest"]["post_recall"] == 1.0
    scores = cli_json(
        "evaluate",
        "--truth",
        str(tmp_path / "d" / "scenario"),
        "--store",
        str(tmp_path / "d" / "demo.duckdb"),
    )
    assert scores == data["evaluation"]
