"""`infoscope coordination` end to end on a small scenario: stored run, evidence, export,
evaluation against the planted operations, determinism and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import networkx as nx
import pyarrow.parquet as pq
import pytest

from infoscope.evaluate import evaluate, load_truth
from infoscope.ingest import ingest
from infoscope.scenario import ScenarioConfig, generate_scenario
from infoscope.store import Store

from .conftest import rows, run_cli


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("coordination")
    manifest = generate_scenario(ScenarioConfig(posts=12_000, seed=11), out / "scenario")
    path = out / "s.duckdb"
    with Store.open(path) as store:
        ingest(store, [manifest.corpus])
    result = run_cli("coordination", "--store", str(path), "--seed", "1", "-q", "--show", "1")
    assert result.exit_code == 0, result.output
    return {"path": path, "truth": out / "scenario", "stdout": result.stdout, "dir": out}


def test_run_is_stored_with_edges_evidence_accounts_and_clusters(ran):
    with Store.open(ran["path"], read_only=True) as store:
        (run,) = rows(store, "SELECT * FROM runs WHERE command = 'coordination'")
        assert run["status"] == "completed" and run["seed"] == 1
        params = json.loads(run["parameters"])
        assert params["windows"]["co-retweet"] == 60.0 and params["alpha"] == 0.01
        edges = rows(store, "SELECT * FROM coordination_edges")
        assert edges and all(e["q_value"] <= 0.01 and e["objects"] >= 2 for e in edges)
        # Every kept undirected edge has one evidence row per shared object, and each
        # evidence row names two stored posts by its two accounts, the gap their time span.
        counts = {
            (r["trace"], r["account_a"], r["account_b"]): r["n"]
            for r in rows(
                store,
                "SELECT trace, account_a, account_b, count(*) AS n FROM coordination_evidence "
                "GROUP BY ALL",
            )
        }
        for e in edges:
            assert counts[(e["trace"], e["account_a"], e["account_b"])] == e["objects"]
        bad = rows(
            store,
            """
            SELECT e.* FROM coordination_evidence e
            JOIN posts pa ON pa.post_id = e.post_a
            JOIN posts pb ON pb.post_id = e.post_b
            WHERE pa.account_id != e.account_a
               OR (e.trace != 'fast-retweet' AND pb.account_id != e.account_b)
               OR abs(abs(epoch_ms(pb.created_at) - epoch_ms(pa.created_at)) / 1000
                      - e.gap_s) > 0.001
            """,
        )
        assert bad == []
        members = rows(store, "SELECT * FROM coordination_accounts")
        clusters = rows(store, "SELECT * FROM coordination_clusters ORDER BY cluster")
        assert sum(c["size"] for c in clusters) == len(members)
        profile = json.loads(clusters[0]["profile"])
        assert profile["strongest_edges"][0]["examples"]
        assert sum(profile["per_hour"]) == sum(n for _, n in profile["per_day"])


def test_planted_operations_are_found_without_flagging_sympathisers(ran):
    with Store.open(ran["path"], read_only=True) as store:
        scores = evaluate(store, load_truth(ran["truth"]))["coordination"]
    assert scores["precision"] >= 0.95
    assert scores["recall_amplifier"] >= 0.9
    assert scores["sympathiser_flag_rate"] <= 0.02
    assert scores["organic_flag_rate"] <= 0.005
    assert scores["cluster_purity"] == 1.0
    assert scores["clusters"] == 2  # one per planted operation


def test_output_lists_traces_and_the_largest_cluster(ran):
    out = ran["stdout"]
    assert "coordinated accounts in" in out
    for trace in ("co-retweet", "near-duplicate", "synchronised", "fast-retweet"):
        assert trace in out
    assert "cluster 0:" in out and "cluster 1:" not in out
    assert "expected, p " in out


def test_evidence_command_shows_objects_posts_and_gaps(ran):
    with Store.open(ran["path"], read_only=True) as store:
        (top,) = rows(
            store,
            "SELECT a.handle, e.account_b FROM coordination_edges e JOIN coordination_accounts a "
            "ON a.account_id = e.account_a WHERE e.trace = 'co-retweet' "
            "ORDER BY e.p_value, e.account_a, e.account_b LIMIT 1",
        )
    result = run_cli(
        "coordination", "evidence", "@" + top["handle"], top["account_b"], "--store",
        str(ran["path"]), "--trace", "co-retweet", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (edge,) = json.loads(result.stdout)
    assert edge["trace"] == "co-retweet" and len(edge["evidence"]) == edge["objects"]
    assert all(0 <= row["gap_s"] <= 60 for row in edge["evidence"])
    text = run_cli("coordination", "evidence", "@" + top["handle"], "--store", str(ran["path"]))
    assert text.exit_code == 0 and " s apart)" in text.stdout


def test_export_graph_with_evidence(ran, tmp_path):
    store = str(ran["path"])
    gexf = tmp_path / "c.gexf"
    assert (
        run_cli("export", "coordination-graph", "--store", store, "--out", str(gexf)).exit_code == 0
    )
    graph = nx.read_gexf(gexf)
    _, _, data = next(iter(graph.edges(data=True)))
    evidence = json.loads(data["evidence"])
    assert set(evidence) == set(data["traces"].split(","))
    assert all(rows_ for rows_ in evidence.values())
    parquet = tmp_path / "c.parquet"
    assert (
        run_cli("export", "coordination-graph", "--store", store, "--out", str(parquet)).exit_code
        == 0
    )
    nodes = pq.read_table(parquet)
    edges = pq.read_table(tmp_path / "c.edges.parquet")
    proof = pq.read_table(tmp_path / "c.evidence.parquet")
    assert nodes.num_rows == graph.number_of_nodes()
    assert proof.num_rows == sum(edges["objects"].to_pylist())
    csv = run_cli("export", "coordination-edges", "--store", store)
    assert csv.stdout.splitlines()[0].startswith('"run_id","trace","account_a"')


def test_same_seed_same_clusters(ran, tmp_path):
    def clusters(run_id: str) -> list[tuple[Any, ...]]:
        with Store.open(ran["path"], read_only=True) as store:
            return store.con.execute(
                "SELECT account_id, cluster, subcluster FROM coordination_accounts "
                "WHERE run_id = ? ORDER BY 1",
                [run_id],
            ).fetchall()

    result = run_cli(
        "coordination", "--store", str(ran["path"]), "--seed", "1", "--json", "-q",
        "--traces", "co-retweet,fast-retweet",
    )  # fmt: skip
    first = json.loads(result.stdout)["run_id"]
    result = run_cli(
        "coordination", "--store", str(ran["path"]), "--seed", "1", "--json", "-q",
        "--traces", "fast-retweet,co-retweet",
    )  # fmt: skip
    second = json.loads(result.stdout)["run_id"]
    assert clusters(first) == clusters(second) and clusters(first)


def _one_line_error(result: Any, text: str) -> None:
    assert result.exit_code != 0
    assert text in result.output, result.output
    assert "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_bad_input_is_a_one_line_error(ran, tmp_path):
    store = str(ran["path"])
    _one_line_error(
        run_cli("coordination", "--store", store, "--traces", "co-likes"), "unknown trace"
    )
    _one_line_error(
        run_cli("coordination", "--store", store, "--window", "soon"), "give seconds, 'auto'"
    )
    _one_line_error(
        run_cli("coordination", "--store", store, "--window", "synchronised=60"),
        "takes no window",
    )
    _one_line_error(run_cli("coordination", "--store", store, "--alpha", "2"), "false discovery")
    _one_line_error(
        run_cli("coordination", "evidence", "@nobody_here", "--store", store),
        "is not among run",
    )
    empty = str(tmp_path / "empty.duckdb")
    _one_line_error(run_cli("coordination", "--store", empty, "-q"), "has no posts")
    with Store.open(Path(empty)):
        pass
    _one_line_error(
        run_cli("export", "coordination-edges", "--store", empty), "has no coordination run"
    )
