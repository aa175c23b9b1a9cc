"""Account links in communities and the report: each community names the links of its members,
``--link-accounts`` clusters linked accounts as one actor (and nothing else), the report and the
dashboard show the links with their evidence, and a store without links (or without the
``account_links`` table, an older store) gives what it always gave.

The fixture: two platforms, each a mention triangle, plus one twitter account on the side.

    twitter   t1 -> t2 -> t3 -> t1, and t4 -> t1      (handles alpha, beta, gamma, delta)
    telegram  g1 -> g2 -> g3 -> g1                     (handles alpha_tg, beta_tg, gamma_tg)

Links: t1 = g1 stated by the analyst (by handle, @alpha); t2 = g2 found because g2's profile
URL is twitter.com/beta (profile-url); t4 = g4 stated, where g4 never posts (not in any
network). So pooled, t1+g1 and t2+g2 are two actors A and B, and the graph Leiden sees is

    A -> B (t1->t2 and g1->g2: weight 2), B -> t3, t3 -> A, t4 -> A, B -> g3, g3 -> A

5 actors and 6 edges, for 7 accounts and 7 edges.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import igraph as ig
import pyarrow as pa
import pytest

from infoscope.account_links import add_account_links, match_account_links
from infoscope.network.communities import build_graph, detect_communities
from infoscope.network.edges import EdgeSelection, split_node_key
from infoscope.network.links import (
    community_links,
    expand_communities,
    link_groups,
    pool_accounts,
    stored_links,
)
from infoscope.network.run import load_communities, run_communities
from infoscope.records import ACCOUNT_SCHEMA, POST_SCHEMA
from infoscope.report import views
from infoscope.report.render import build_report, render_report, render_section
from infoscope.store import Store

from .conftest import rows, run_cli

ACCOUNTS = [
    ("twitter", "t1", "alpha", None),
    ("twitter", "t2", "beta", None),
    ("twitter", "t3", "gamma", None),
    ("twitter", "t4", "delta", None),
    ("telegram", "g1", "alpha_tg", None),
    ("telegram", "g2", "beta_tg", "https://twitter.com/beta"),  # the profile-url match
    ("telegram", "g3", "gamma_tg", None),
    ("telegram", "g4", "delta_tg", None),  # linked to t4, never posts
]
# (platform, account, its handle, the handle it mentions): one post each.
MENTIONS = [
    ("twitter", "t1", "alpha", "beta"),
    ("twitter", "t2", "beta", "gamma"),
    ("twitter", "t3", "gamma", "alpha"),
    ("twitter", "t4", "delta", "alpha"),
    ("telegram", "g1", "alpha_tg", "beta_tg"),
    ("telegram", "g2", "beta_tg", "gamma_tg"),
    ("telegram", "g3", "gamma_tg", "alpha_tg"),
]
LINKS_CSV = (
    "platform_a,account_a,platform_b,account_b,note\n"
    "twitter,@alpha,telegram,g1,same party\n"
    "twitter,t4,telegram,g4,\n"
)
PROFILE_URL_EVIDENCE = (
    "telegram account g2 gives the profile URL https://twitter.com/beta (twitter beta)"
)


def _fill(store: Store) -> None:
    store.insert(
        "accounts",
        pa.Table.from_pylist(
            [{"platform": p, "account_id": a, "handle": h, "url": u} for p, a, h, u in ACCOUNTS],
            schema=ACCOUNT_SCHEMA,
        ),
    )
    start = datetime(2024, 3, 1, tzinfo=UTC)
    posts = [
        {
            "platform": platform, "post_id": f"{account}-{i}", "account_id": account,
            "account_handle": handle, "created_at": start + timedelta(hours=i),
            "text": f"hello @{mentioned}", "lang": "en", "kind": "original",
            "mentions": [mentioned], "hashtags": [], "urls": [],
        }
        for i, (platform, account, handle, mentioned) in enumerate(MENTIONS)
    ]  # fmt: skip
    store.insert("posts", pa.Table.from_pylist(posts, schema=POST_SCHEMA))


def _link(store: Store, folder: Path) -> None:
    path = folder / "same-actors.csv"
    path.write_text(LINKS_CSV)
    assert add_account_links(store, path).added == {"analyst": 2}
    assert match_account_links(store).added == {"profile-url": 1}


ALL = EdgeSelection(platform="all")


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("links")
    path = base / "store.duckdb"
    with Store.open(path) as store:
        _fill(store)
        before = run_communities(store, ALL, runs=3, seed=1)  # no link stored yet
        _link(store, base)
        shown = run_communities(store, ALL, runs=3, seed=1)  # links shown, not used
        pooled = run_communities(store, ALL, runs=3, seed=1, link_accounts=True)
    with Store.open(path, read_only=True) as store:
        yield {"base": base, "path": path, "store": store, "before": before, "shown": shown,
               "pooled": pooled}  # fmt: skip


def _communities(store: Store, run_id: str) -> dict[tuple[str, str], int]:
    return {
        (r["platform"], r["account_id"]): r["community"]
        for r in rows(
            store,
            "SELECT platform, account_id, community FROM network_nodes WHERE run_id = ?",
            [run_id],
        )
    }


def _links_of(profile: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(e["a"]["account_id"], e["b"]["account_id"]): e for e in profile["linked_accounts"]}


# -- pure functions ------------------------------------------------------------------------


def _link_row(a: tuple[str, str], b: tuple[str, str]) -> dict[str, Any]:
    return {"platform_a": a[0], "account_a": a[1], "platform_b": b[0], "account_b": b[1]}


def test_link_groups_join_only_accounts_that_a_link_row_joins():
    owners = [("x", "1"), ("x", "2"), ("y", "1"), ("y", "2"), ("z", "9")]
    links = [
        _link_row(("x", "1"), ("y", "1")),
        _link_row(("y", "1"), ("z", "9")),  # transitive: x1 = y1 = z9, one actor
        _link_row(("x", "2"), ("w", "7")),  # w7 is not in the network: no effect
    ]
    actor_of, used = link_groups(owners, links)
    assert actor_of == [0, 1, 0, 2, 0]
    assert used == links[:2]
    # Same handle, same id on another platform: nothing without a link row.
    assert link_groups([("x", "1"), ("y", "1")], [])[0] == [0, 1]


def test_pool_accounts_sums_edges_between_actors_and_drops_those_within_one():
    edges = pa.table(
        {
            "source": ["a1", "b", "a2", "a1", "c"],
            "target": ["b", "a2", "b", "a2", "a1"],
            "weight": [1.0, 2.0, 3.0, 5.0, 1.0],
        }
    )
    graph = build_graph(edges)  # vertices a1, a2, b, c
    actor_of = [0, 0, 1, 2]  # a1 and a2 are one actor
    pooled = pool_accounts(graph, actor_of)
    got = {
        (pooled.vs[e.source]["name"], pooled.vs[e.target]["name"]): e["weight"] for e in pooled.es
    }
    # a1->b and a2->b pooled (1 + 3); b->a2 kept; a1->a2 is within the actor: dropped.
    assert got == {("a1", "b"): 4.0, ("b", "a1"): 2.0, ("c", "a1"): 1.0}
    assert pooled.vs["members"] == [["a1", "a2"], ["b"], ["c"]]
    kept = pool_accounts(graph, actor_of, self_loops=True)
    assert kept.ecount() == 4 and sum(kept.es["weight"]) == 12.0


def test_expanded_communities_give_every_account_its_actors_community():
    # Two triangles of actors; actor 0 holds three accounts, so its community is largest.
    actors = ig.Graph([(0, 1), (1, 2), (2, 0), (3, 4), (4, 5), (5, 3), (0, 3)], directed=True)
    actors.es["weight"] = [1.0] * actors.ecount()
    found = detect_communities(actors, runs=2, levels=2, seed=1)
    actor_of = [3, 4, 5, 0, 0, 0, 1, 2]
    accounts = expand_communities(found, actor_of)
    assert len(accounts.membership) == len(accounts.stability) == 8
    assert len(set(accounts.membership[3:6])) == 1
    assert accounts.membership[3] == 0  # renumbered: 5 accounts against 3
    assert accounts.sizes() == [5, 3]
    assert accounts.groups is not None and len(accounts.groups) == 2
    assert accounts.modularity == found.modularity


def test_community_links_count_actors_within_each_community():
    owners = [("x", "1"), ("y", "1"), ("x", "2")]
    links = [
        {**_link_row(("x", "1"), ("y", "1")), "method": "analyst", "evidence": "row 1"},
        {**_link_row(("x", "2"), ("y", "9")), "method": "same-url", "evidence": "both give u"},
    ]
    out = community_links(owners, [0, 0, 1], links)
    assert out[0]["actors"] == 1 and out[0]["links"] == 1 and out[0]["linked_members"] == 2
    (inside,) = out[0]["linked_accounts"]
    assert inside["same_community"] and not inside["pooled"]
    (outside,) = out[1]["linked_accounts"]
    assert outside["b"]["community"] is None and outside["evidence"] == "both give u"
    assert out[1]["actors"] == 1


# -- communities on a store ----------------------------------------------------------------


def test_each_community_names_the_links_of_its_members(linked):
    shown, store = linked["shown"], linked["store"]
    community = _communities(store, shown.run_id)
    by_number = {p["community"]: p for p in shown.profiles}
    # Interactions stay on their platform: without pooling, one community per platform.
    twitter, telegram = community[("twitter", "t1")], community[("telegram", "g1")]
    assert twitter != telegram and shown.summary["communities"] == 2
    tw = _links_of(by_number[twitter])
    assert set(tw) == {("g1", "t1"), ("g2", "t2"), ("g4", "t4")}
    stated = tw[("g1", "t1")]
    assert stated["method"] == "analyst" and stated["note"] == "same party"
    assert stated["evidence"] == "stated in same-actors.csv, row 1"
    assert stated["a"] == {"platform": "telegram", "account_id": "g1", "handle": "alpha_tg",
                           "community": telegram}  # fmt: skip
    assert stated["b"]["community"] == twitter and not stated["same_community"]
    assert not stated["pooled"]
    assert tw[("g2", "t2")]["method"] == "profile-url"
    assert tw[("g2", "t2")]["evidence"] == PROFILE_URL_EVIDENCE
    assert tw[("g4", "t4")]["a"]["community"] is None  # g4 is in no network
    assert by_number[twitter]["links"] == 3 and by_number[twitter]["linked_members"] == 3
    assert by_number[twitter]["actors"] == 4  # no two of its members are linked
    assert set(_links_of(by_number[telegram])) == {("g1", "t1"), ("g2", "t2")}
    # Stored with the profile and read back the same.
    assert load_communities(store, shown.run_id).profiles == shown.profiles


def test_links_never_change_a_run_without_link_accounts(linked):
    before, shown, store = linked["before"], linked["shown"], linked["store"]
    assert _communities(store, before.run_id) == _communities(store, shown.run_id)
    assert before.summary["parameters"]["link_accounts"] is False
    assert "account_links" not in before.summary and "account_links" not in shown.summary
    for key in ("nodes", "edges", "communities", "modularity", "mean_nmi"):
        assert before.summary[key] == shown.summary[key], key
    # Without links in the store, profiles are as they always were.
    assert all("linked_accounts" not in p and "actors" not in p for p in before.profiles)
    drop = ("linked_accounts", "links", "linked_members", "actors")
    assert [{k: v for k, v in p.items() if k not in drop} for p in shown.profiles] == (
        before.profiles
    )


def test_link_accounts_pools_linked_accounts_of_the_network_into_one_node(linked):
    pooled, store = linked["pooled"], linked["store"]
    s = pooled.summary
    assert s["parameters"]["link_accounts"] is True
    # Accounts and their own edges are stored as they are; Leiden saw 5 actors, 6 edges.
    assert (s["nodes"], s["edges"]) == (7, 7)
    links = s["account_links"]
    assert {k: v for k, v in links.items() if k != "links"} == {
        "linked_actors": 2, "pooled_accounts": 4, "actors": 5, "actor_edges": 6,
        "edges_within_actors": 0,
    }  # fmt: skip
    # The links that joined accounts, with their evidence; t4 = g4 is not among them.
    assert [
        (r["account_a"], r["account_b"], r["method"], r["evidence"]) for r in links["links"]
    ] == [
        ("g1", "t1", "analyst", "stated in same-actors.csv, row 1"),
        ("g2", "t2", "profile-url", PROFILE_URL_EVIDENCE),
    ]
    # The pooled graph, rebuilt from the stored edges and links, is exactly the docstring's.
    edges = store.con.sql(
        "SELECT source, target, weight FROM network_edges WHERE run_id = ?",
        params=[pooled.run_id],
    ).to_arrow_table()
    graph = build_graph(edges)
    owners = [split_node_key(n) for n in graph.vs["name"]]
    actor_of, _ = link_groups(owners, stored_links(store))
    actors = pool_accounts(graph, actor_of)
    named = {
        (*actors.vs[e.source]["members"], "->", *actors.vs[e.target]["members"]): e["weight"]
        for e in actors.es
    }
    a, b = ("telegram:g1", "twitter:t1"), ("telegram:g2", "twitter:t2")
    assert named == {
        (*a, "->", *b): 2.0, (*b, "->", "twitter:t3"): 1.0, ("twitter:t3", "->", *a): 1.0,
        ("twitter:t4", "->", *a): 1.0, (*b, "->", "telegram:g3"): 1.0,
        ("telegram:g3", "->", *a): 1.0,
    }  # fmt: skip
    # Every account keeps its own row, platform and id; linked accounts share a community.
    community = _communities(store, pooled.run_id)
    assert len(community) == 7 and ("telegram", "g4") not in community
    assert community[("twitter", "t1")] == community[("telegram", "g1")]
    assert community[("twitter", "t2")] == community[("telegram", "g2")]
    # Their profile says the links were pooled, and counts the pooled pairs as actors.
    for p in pooled.profiles:
        for e in p["linked_accounts"]:
            assert e["pooled"] == (e["b"]["account_id"] in ("t1", "t2"))
    assert sum(p["size"] for p in pooled.profiles) == 7
    assert sum(p["actors"] for p in pooled.profiles) == 5


def test_link_accounts_pools_nothing_without_links_inside_the_network(linked, tmp_path):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(linked["path"].read_bytes())
    with Store.open(path) as store:
        # One platform: every link has its other account outside this network.
        plain = run_communities(store, EdgeSelection(platform="twitter"), runs=3, seed=1)
        one = run_communities(
            store, EdgeSelection(platform="twitter"), runs=3, seed=1, link_accounts=True
        )
        assert one.summary["account_links"]["links"] == []
        assert one.summary["account_links"]["actors"] == one.summary["nodes"] == 4
        assert _communities(store, one.run_id) == _communities(store, plain.run_id)
        entries = [e for p in one.profiles for e in p["linked_accounts"]]
        assert len(entries) == 3  # t1, t2 and t4's links, each once
        assert all(e["a"]["community"] is None and not e["pooled"] for e in entries)


def test_cli_prints_the_links_and_what_link_accounts_pooled(linked, tmp_path):
    path = tmp_path / "copy.duckdb"
    path.write_bytes(linked["path"].read_bytes())
    store = str(path)
    text = run_cli(
        "communities", "--store", store, "--platform", "all", "--link-accounts", "--runs", "3",
        "--seed", "1", "--quiet",
    )  # fmt: skip
    assert text.exit_code == 0, text.output
    out = text.stdout
    assert "linked accounts: 4 accounts pooled into 2 actors by 2 links; Leiden ran on 5 " in out
    assert "@alpha_tg (telegram) = @alpha (twitter), same community, pooled: analyst " in out
    assert "(stated in same-actors.csv, row 1), same party" in out
    assert f"profile-url ({PROFILE_URL_EVIDENCE})" in out
    assert "@delta (twitter) = @delta_tg (telegram), not in this network: analyst" in out
    data = json.loads(
        run_cli("communities", "--store", store, "--platform", "all", "--runs", "3",
                "--json").stdout
    )  # fmt: skip
    assert data["parameters"]["link_accounts"] is False and "account_links" not in data
    assert all("linked_accounts" in p for p in data["profiles"])
    single = run_cli(
        "communities", "--store", store, "--platform", "twitter", "--link-accounts", "--runs",
        "2", "-q",
    )  # fmt: skip
    assert single.exit_code == 0 and "nothing pooled" in single.stdout
    assert "--link-accounts" in run_cli("communities", "--help").stdout


# -- report and dashboard ------------------------------------------------------------------


def test_report_has_the_links_section_with_the_evidence(linked):
    store = linked["store"]
    data = build_report(store)
    html = render_report(data)
    assert html.count('<section id="account-links">') == 1
    assert '<a href="#account-links">Account links</a>' in html
    section = html.split('<section id="account-links">')[1].split("</section>")[0]
    assert "stated in same-actors.csv, row 1" in section and "same party" in section
    assert PROFILE_URL_EVIDENCE in section
    # Counts by platform pair and method.
    assert '<td>telegram – twitter</td><td>analyst</td><td class="n">2</td>' in section
    assert '<td>telegram – twitter</td><td>profile-url</td><td class="n">1</td>' in section
    links = data.sections["account_links"]
    assert (links["total"], links["accounts"]) == (3, 6)
    assert links["by_method"] == {"analyst": 2, "profile-url": 1}
    # Each end's community in the latest communities run (the pooled one): g4 has none.
    latest = _communities(store, linked["pooled"].run_id)
    ends = {(r["account_a"], r["account_b"]): (r["community_a"], r["community_b"])
            for r in links["links"]}  # fmt: skip
    assert ends[("g1", "t1")] == (latest[("telegram", "g1")], latest[("twitter", "t1")])
    assert ends[("g4", "t4")] == (None, latest[("twitter", "t4")])
    # The runs that stored the links are in the provenance.
    assert {"account-links"} <= {r["command"] for r in data.runs}


def test_community_section_shows_links_next_to_members(linked):
    html = render_section(linked["store"], "communities", "communities")
    assert "<th>linked accounts</th>" in html
    for p in linked["pooled"].profiles:  # the latest run
        if p["links"]:
            plural = "s" if p["links"] != 1 else ""
            assert f"{p['links']} link{plural}, {p['actors']} actors:" in html
    assert "stated in same-actors.csv, row 1" in html and PROFILE_URL_EVIDENCE in html
    assert "Run with <code>--link-accounts</code>: Leiden clustered 5 actors and 6 edges" in html
    # Next to a listed member, the account linked to it.
    assert '<span title="twitter/t1">@alpha</span> <span class="muted" title="analyst: ' in html


def test_community_filter_keeps_the_links_of_its_accounts(linked):
    store = linked["store"]
    community = _communities(store, linked["pooled"].run_id)[("twitter", "t4")]
    found = views.account_links(store, views.Filters(community=community))
    assert found is not None
    assert all(community in (r["community_a"], r["community_b"]) for r in found["links"])
    assert ("g4", "t4") in {(r["account_a"], r["account_b"]) for r in found["links"]}


def test_dashboard_shows_links_on_the_accounts_page_and_each_account(linked):
    from fastapi.testclient import TestClient

    from infoscope.report.dashboard import create_app

    client = TestClient(create_app(linked["path"]), base_url="http://127.0.0.1")
    data = client.get("/api/accounts").json()
    assert data["account_links"]["total"] == 3
    page = client.get("/accounts")
    assert page.status_code == 200 and 'id="account-links"' in page.text
    assert PROFILE_URL_EVIDENCE in page.text
    account = client.get("/api/accounts/twitter/t1").json()
    assert [(r["platform"], r["account_id"], r["method"]) for r in account["links"]] == [
        ("telegram", "g1", "analyst")
    ]
    shown = client.get("/accounts/twitter/t1")
    assert shown.status_code == 200 and "stated in same-actors.csv, row 1" in shown.text
    assert 'href="/accounts/telegram/g1"' in shown.text
    # Platform mix per community on the dashboard's communities page.
    assert "platforms: accounts (posts)" in client.get("/communities").text


# -- stores without links ------------------------------------------------------------------


def test_a_store_without_the_links_table_gives_what_it_always_gave(tmp_path):
    path = tmp_path / "old.duckdb"
    with Store.open(path) as store:
        _fill(store)
        store.con.execute("DROP TABLE account_links")  # as an older store has none
        plain = run_communities(store, ALL, runs=3, seed=1)
        asked = run_communities(store, ALL, runs=3, seed=1, link_accounts=True)
    assert all("linked_accounts" not in p for p in plain.profiles + asked.profiles)
    assert asked.summary["account_links"]["links"] == []
    assert asked.summary["account_links"]["actors"] == asked.summary["nodes"] == 7
    with Store.open(path, read_only=True) as store:
        assert not store.has_table("account_links")
        assert views.account_links(store) is None
        assert views.account(store, "twitter", "t1")["links"] == []
        data = build_report(store)
        html = render_report(data)
        assert "account_links" not in data.sections
        assert "account-links" not in html and "<th>linked accounts</th>" not in html
        assert _communities(store, plain.run_id) == _communities(store, asked.run_id)


def test_an_empty_links_table_shows_no_links_section(tmp_path):
    path = tmp_path / "fresh.duckdb"
    with Store.open(path) as store:
        _fill(store)
        run_communities(store, ALL, runs=2, seed=1)
        assert views.account_links(store) is None
        assert "account-links" not in render_report(build_report(store))
