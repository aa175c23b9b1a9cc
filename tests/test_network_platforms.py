"""Communities over several platforms and each community's platform mix: in the stored
profile, the CLI (text and JSON), the report and the dashboard.

The store holds two small scenarios, one written as Mastodon statuses and one as Bluesky
Jetstream events (different seeds, so different people): a run of one platform is what it
always was, plus its one-platform mix; a run of ``all`` keys accounts by platform, and since
interactions never cross platforms, every community is of one platform.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infoscope.evaluate import load_truth
from infoscope.ingest import ingest
from infoscope.network.edges import EdgeSelection, split_node_key
from infoscope.network.evaluate import evaluate_communities
from infoscope.network.run import load_communities, run_communities
from infoscope.report.render import render_section
from infoscope.scenario import ScenarioConfig, generate_scenario
from infoscope.store import Store

from .conftest import rows, run_cli

PLATFORMS = {"mastodon": "mastodon", "bluesky-jetstream": "bluesky"}


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("platforms")
    corpora = []
    for seed, fmt in enumerate(PLATFORMS, start=1):
        manifest = generate_scenario(
            ScenarioConfig(posts=1_500, days=3, seed=seed), base / fmt, format=fmt
        )
        corpora.append(manifest.corpus)
    path = base / "store.duckdb"
    with Store.open(path) as store:
        ingest(store, corpora)
        single = run_communities(store, EdgeSelection(platform="bluesky"), runs=2, seed=1)
        default = run_communities(store, runs=2, seed=1)
        both = run_communities(store, EdgeSelection(platform="all"), runs=2, seed=1)
    with Store.open(path, read_only=True) as store:
        yield {"base": base, "path": path, "store": store, "single": single,
               "default": default, "both": both}  # fmt: skip


def _mix_totals(profile: dict[str, Any]) -> tuple[int, int, int]:
    mix = profile["platforms"].values()
    return (
        sum(c["accounts"] for c in mix),
        sum(c["posting_accounts"] for c in mix),
        sum(c["posts"] for c in mix),
    )


def test_a_run_of_one_platform_is_unchanged_and_names_its_platform(two) -> None:
    single, default = two["single"], two["default"]
    assert single.summary["platform"] == "bluesky" and "platforms" not in single.summary
    # The default is still the platform with most posts, and keeps its plain account ids.
    assert default.summary["platform"] in ("bluesky", "mastodon")
    nodes = rows(
        two["store"],
        "SELECT DISTINCT platform FROM network_nodes WHERE run_id = ?",
        [single.run_id],
    )
    assert nodes == [{"platform": "bluesky"}]
    for p in single.profiles:
        assert list(p["platforms"]) == ["bluesky"]
        assert _mix_totals(p) == (p["size"], p["posting_accounts"], p["posts"])
        assert all("platform" not in a for a in p["top_by_pagerank"])


def test_a_run_of_all_platforms_keeps_each_accounts_platform_and_id(two) -> None:
    both, store = two["both"], two["store"]
    assert both.summary["platform"] == "bluesky,mastodon"
    assert both.summary["platforms"] == ["bluesky", "mastodon"]
    per_platform = {
        r["platform"]: r["n"]
        for r in rows(
            store,
            "SELECT platform, count(*) AS n FROM network_nodes WHERE run_id = ? GROUP BY 1",
            [both.run_id],
        )
    }
    assert set(per_platform) == {"bluesky", "mastodon"}
    # Stored ids are the platform's own (DIDs, user@server, @handle), not keys.
    ids = rows(
        store,
        "SELECT platform, account_id FROM network_nodes WHERE run_id = ?",
        [both.run_id],
    )
    assert all(not r["account_id"].startswith(r["platform"] + ":") for r in ids)
    assert all(r["account_id"].startswith(("did:", "@")) for r in ids if r["platform"] == "bluesky")
    # Edges name accounts platform:id, and every edge stays on one platform.
    edges = rows(store, "SELECT source, target FROM network_edges WHERE run_id = ?", [both.run_id])
    keys = {f"{r['platform']}:{r['account_id']}" for r in ids}
    for e in edges:
        assert e["source"] in keys and e["target"] in keys
        assert split_node_key(e["source"])[0] == split_node_key(e["target"])[0]
    # A run of one platform on the same store has as many accounts of that platform.
    assert per_platform["bluesky"] == two["single"].summary["nodes"]


def test_each_community_has_its_platform_mix(two) -> None:
    both = two["both"]
    platforms_seen = set()
    for p in both.profiles:
        assert _mix_totals(p) == (p["size"], p["posting_accounts"], p["posts"])
        # Interactions never cross platforms: without linked accounts, one platform each.
        assert len(p["platforms"]) == 1
        platforms_seen |= set(p["platforms"])
        (platform,) = p["platforms"]
        for a in p["top_by_pagerank"]:
            assert a["platform"] == platform and not a["account_id"].startswith(platform + ":")
    assert platforms_seen == {"bluesky", "mastodon"}
    # Stored and loaded back the same.
    assert load_communities(two["store"], both.run_id).profiles == both.profiles


def test_evaluate_reads_the_scenario_platform_of_a_run_of_all(two) -> None:
    truth = load_truth(two["base"] / "bluesky-jetstream")
    scores = evaluate_communities(two["store"], truth)  # the latest run: all platforms
    assert scores is not None and scores["coverage"] > 0.8 and scores["nmi"] > 0.5


def test_the_cli_prints_the_mix_for_a_run_of_several_platforms(two, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(two["path"].read_bytes())
    path = str(copy)
    text = run_cli(
        "communities", "--store", path, "--platform", "mastodon,bluesky", "--runs", "2",
        "--quiet",
    )  # fmt: skip
    assert text.exit_code == 0, text.output
    assert "edges on bluesky, mastodon" in text.stdout
    assert "  platforms: bluesky " in text.stdout and "  platforms: mastodon " in text.stdout
    one = run_cli("communities", "--store", path, "--platform", "bluesky", "--runs", "2", "-q")
    assert one.exit_code == 0 and "platforms:" not in one.stdout
    import json

    data = json.loads(
        run_cli("communities", "--store", path, "--platform", "all", "--runs", "2", "--json").stdout
    )
    assert data["platforms"] == ["bluesky", "mastodon"]
    assert all(sum(c["posts"] for c in p["platforms"].values()) == p["posts"]
               for p in data["profiles"])  # fmt: skip


def test_report_and_dashboard_show_the_mix(two, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from infoscope.report.dashboard import create_app

    # A copy of the store (the fixture's is open read-only), with a run of one platform last.
    path = tmp_path / "copy.duckdb"
    path.write_bytes(two["path"].read_bytes())
    with Store.open(path) as store:
        html = render_section(store, "communities", "communities")  # the run of all
        assert "platforms: accounts (posts)" in html
        assert '<span class="tag">bluesky ' in html and '<span class="tag">mastodon ' in html
        assert render_section(store, "communities", "network").count("scattergl") > 1
        run_communities(store, EdgeSelection(platform="bluesky"), runs=2, seed=1)
        assert "platforms: accounts (posts)" not in render_section(
            store, "communities", "communities"
        )
        run_communities(store, EdgeSelection(platform="all"), runs=2, seed=1)
    client = TestClient(create_app(path), base_url="http://127.0.0.1")
    data = client.get("/api/communities").json()
    assert data["summary"]["platforms"] == ["bluesky", "mastodon"]
    assert all(p["platforms"] for p in data["profiles"])
    page = client.get("/communities")
    assert page.status_code == 200 and "platforms: accounts (posts)" in page.text
    nodes = client.get("/api/network").json()
    assert nodes["edges_shown"] > 0  # edges found their nodes by platform key
