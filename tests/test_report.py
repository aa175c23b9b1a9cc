"""The HTML report: one self-contained file whose numbers are the store's.

Most tests read the demo's store (`demo_run`, shared by the session and only read here) and
the report the demo wrote from it; missing sections are checked on a store holding only
ingested posts.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from infoscope.coordination.view import coordination_view
from infoscope.errors import BadParameterError
from infoscope.geo.view import places_view
from infoscope.ingest import ingest
from infoscope.language.view import monitor_view
from infoscope.network.view import network_view
from infoscope.registry import get_analysis
from infoscope.report import layout, views
from infoscope.report.render import (
    build_report,
    registered_sections,
    render_report,
    render_section,
    write_report,
)
from infoscope.store import Store

from .conftest import FIXTURES, digest, one, rows, run_cli

SECTIONS = [
    "overview",
    "network",
    "communities",
    "signatures",
    "resonance",
    "places",
    "monitor",
    "coordination",
    "authenticity",
    "articles",
    "provenance",
]
# The sections of the article analyses (the demo has posts, not articles).
ARTICLE_SECTIONS = [s.key for a, s in registered_sections() if a.name.startswith("articles")]


# -- helpers ----------------------------------------------------------------------------------


def card(value: str, label: str) -> str:
    """A summary card as the section macros render it."""
    return (
        f'<div class="card"><div class="value">{value}</div><div class="label">{label}</div></div>'
    )


def section(html: str, name: str) -> str:
    """The HTML of one `<section id=name>`."""
    found = re.search(rf'<section id="{name}">(.*?)</section>', html, re.S)
    assert found, f"no section {name}"
    return found.group(1)


def cluster_html(html: str, cluster: int) -> str:
    """The block of one coordination cluster: from its id to the next cluster or the end of
    the section."""
    start = html.index(f'id="cluster-{cluster}"')
    ends = [html.find(mark, start + 1) for mark in ('id="cluster-', "</section>")]
    return html[start : min([i for i in ends if i > 0] or [len(html)])]


@pytest.fixture(scope="module")
def html(demo_run: Any) -> str:
    return Path(demo_run.report).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def latest(demo_store: Store) -> dict[str, str | None]:
    # The demo scenario has posts, not articles: every analysis of posts has run.
    found = {k: v for k, v in views.latest_runs(demo_store).items() if not k.startswith("articles")}
    assert all(found.values()), found  # the demo runs every analysis
    return found


# -- one self-contained document -----------------------------------------------------------


def test_report_is_one_self_contained_document(demo_run, html):
    assert Path(demo_run.report).is_file()
    assert demo_run.data["report"]["bytes"] == Path(demo_run.report).stat().st_size
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<html") == 1 and html.rstrip().endswith("</html>")
    # Nothing is fetched from elsewhere: no external scripts, stylesheets or frames.
    assert not re.search(r"<script[^>]*\ssrc=", html, re.I)
    assert not re.search(r"<link[^>]*href=[\"']?(https?:)?//", html, re.I)
    assert not re.search(r"<iframe", html, re.I)
    # plotly.js is inline: its banner and its global definition are in the file.
    from plotly.offline import get_plotlyjs

    banner = re.search(r"plotly\.js v\d+\.\d+\.\d+", get_plotlyjs())
    assert banner and banner.group(0) in html
    assert "window.Plotly = Plotly;" in html
    assert f"<script>{get_plotlyjs()}</script>" in html  # all of it, once
    assert html.count("plotly.js v") == 1
    for name in SECTIONS:
        assert html.count(f'<section id="{name}">') == 1, name
        assert f'href="#{name}"' in html  # and the navigation links to it


def test_report_shows_every_registered_section_in_registry_order(html):
    keys = [s.key for _, s in registered_sections()]
    assert set(SECTIONS) - {"overview", "provenance"} <= set(keys)
    assert re.findall(r'<section id="([^"]+)">', html) == ["overview", *keys, "provenance"]
    nav = re.search(r'<nav class="sections">(.*?)</nav>', html, re.S)
    assert nav is not None
    titles = [s.title for _, s in registered_sections()]
    links = re.findall(r'<a href="#([^"]+)">([^<]*)</a>', nav.group(1))
    assert links == [
        ("overview", "Overview"),
        *zip(keys, (str(escape(t)) for t in titles), strict=True),
        ("provenance", "Provenance"),
    ]


# -- the numbers are the store's -----------------------------------------------------------


def test_overview_numbers_match_the_store(demo_store, html):
    posts = one(demo_store, "SELECT count(*) FROM posts")
    accounts = one(demo_store, "SELECT count(*) FROM accounts")
    assert posts == 10_000
    o = section(html, "overview")
    assert card(f"{posts:,}", "posts") in o
    assert card(f"{accounts:,}", "accounts") in o
    languages = one(demo_store, "SELECT count(DISTINCT lang) FROM posts")
    assert card(str(languages), "languages") in o
    first, last = demo_store.con.execute(
        "SELECT strftime(min(created_at), '%Y-%m-%d'), strftime(max(created_at), '%Y-%m-%d') "
        "FROM posts"
    ).fetchone()
    assert card(f"{first} – {last}", "time span (UTC)") in o
    # The most active account is listed with its count.
    handle, count = demo_store.con.execute(
        "SELECT account_handle, count(*) AS n FROM posts GROUP BY ALL "
        "ORDER BY n DESC, account_handle LIMIT 1"
    ).fetchone()
    assert f'<tr><td>{escape(handle)}</td><td class="n">{count:,}</td></tr>' in o


def test_communities_and_network_numbers_match_the_store(demo_store, html, latest):
    run_id = latest["communities"]
    communities = one(demo_store, "SELECT count(*) FROM communities WHERE run_id = ?", [run_id])
    nodes = one(demo_store, "SELECT count(*) FROM network_nodes WHERE run_id = ?", [run_id])
    edges = one(demo_store, "SELECT count(*) FROM network_edges WHERE run_id = ?", [run_id])
    assert communities > 1
    c = section(html, "communities")
    assert card(f"{communities:,}", "communities") in c
    assert card(f"{nodes:,}", "accounts in the network") in c
    assert card(f"{edges:,}", "edges") in c
    # One table row per community (there are fewer than the 40 listed).
    assert c.count('<tr>\n<td class="n">') == communities
    n = section(html, "network")
    assert run_id in n
    assert f"{nodes:,} of {nodes:,} accounts" in n  # the map's title: every node shown


def test_coordination_numbers_and_clusters_match_the_store(demo_store, html, latest):
    run_id = latest["coordination"]
    accounts = one(
        demo_store, "SELECT count(*) FROM coordination_accounts WHERE run_id = ?", [run_id]
    )
    edges = one(demo_store, "SELECT count(*) FROM coordination_edges WHERE run_id = ?", [run_id])
    clusters = [
        r[0]
        for r in demo_store.con.execute(
            "SELECT DISTINCT cluster FROM coordination_accounts WHERE run_id = ? ORDER BY 1",
            [run_id],
        ).fetchall()
    ]
    assert accounts > 0 and clusters
    c = section(html, "coordination")
    assert card(f"{accounts:,}", "coordinated accounts") in c
    assert card(f"{len(clusters):,}", "clusters") in c
    assert card(f"{edges:,}", "kept edges") in c
    assert run_id in c
    assert sorted(int(n) for n in re.findall(r'id="cluster-(\d+)"', c)) == clusters
    for cluster in clusters:
        size = one(
            demo_store,
            "SELECT count(*) FROM coordination_accounts WHERE run_id = ? AND cluster = ?",
            [run_id, cluster],
        )
        assert f"Cluster {cluster}: {size:,} accounts" in cluster_html(c, cluster)


def test_evidence_posts_are_shown_with_their_text(demo_store, html, latest):
    """The strongest edge of each cluster (found here in SQL) is shown with the texts of the
    posts behind it, escaped; so is every evidence row the view selects."""
    run_id = latest["coordination"]
    c = section(html, "coordination")
    clusters = [
        r[0]
        for r in demo_store.con.execute(
            "SELECT DISTINCT cluster FROM coordination_accounts WHERE run_id = ?", [run_id]
        ).fetchall()
    ]
    for cluster in clusters:
        block = cluster_html(c, cluster)
        trace, a, b = demo_store.con.execute(
            """
            SELECT e.trace, e.account_a, e.account_b FROM coordination_edges e
            JOIN coordination_accounts x ON x.run_id = e.run_id AND x.account_id = e.account_a
            JOIN coordination_accounts y ON y.run_id = e.run_id AND y.account_id = e.account_b
            WHERE e.run_id = ? AND x.cluster = ? AND y.cluster = ?
            ORDER BY e.p_value, e.objects DESC, e.trace, e.account_a, e.account_b LIMIT 1
            """,
            [run_id, cluster, cluster],
        ).fetchone()
        evidence = rows(
            demo_store,
            """
            SELECT v.object_id, pa.text AS text_a, pb.text AS text_b
            FROM coordination_evidence v
            JOIN posts pa ON pa.post_id = v.post_a JOIN posts pb ON pb.post_id = v.post_b
            WHERE v.run_id = ? AND v.trace = ? AND v.account_a = ? AND v.account_b = ?
            ORDER BY v.at_a, v.object_id LIMIT 5
            """,
            [run_id, trace, a, b],
        )
        assert evidence, (cluster, trace, a, b)
        for row in evidence:
            assert f"<code>{escape(row['object_id'])}</code>" in block
            assert str(escape(row["text_a"])) in block
            assert str(escape(row["text_b"])) in block
    shown = coordination_view(demo_store)
    assert shown is not None
    texts = 0
    for profile in shown["clusters"]:
        block = cluster_html(c, profile["cluster"])
        for edge in profile["evidence_edges"]:
            for row in edge["evidence"]:
                for text in (row["text_a"], row["text_b"]):
                    if text:
                        assert str(escape(text)) in block
                        texts += 1
    assert texts > 10


def test_signature_top_terms_appear(demo_store, html):
    signatures = rows(demo_store, "SELECT signature_id, name FROM signatures")
    assert signatures
    s = section(html, "signatures")
    for sig in signatures:
        term = one(
            demo_store,
            "SELECT term FROM signature_terms WHERE signature_id = ? ORDER BY weight DESC, term "
            "LIMIT 1",
            [sig["signature_id"]],
        )
        assert sig["name"] in s and sig["signature_id"] in s
        # The term is a label of the keyness chart (JSON inside the page).
        assert term in html or json.dumps(term)[1:-1] in html, term


def test_resonance_and_places_numbers_match_the_store(demo_store, html, latest):
    scored = one(
        demo_store,
        "SELECT count(*) FROM resonance_scores WHERE run_id = ? AND period IS NULL "
        "AND probability IS NOT NULL",
        [latest["resonance"]],
    )
    resonant = one(
        demo_store,
        "SELECT count(*) FROM resonance_scores WHERE run_id = ? AND period IS NULL AND resonant",
        [latest["resonance"]],
    )
    r = section(html, "resonance")
    assert card(f"{scored:,}", "accounts scored") in r
    assert card(f"{resonant:,}", "resonant") in r
    located, unknown = demo_store.con.execute(
        "SELECT count(*), count(*) FILTER (country = 'unknown') FROM account_locations "
        "WHERE run_id = ?",
        [latest["locate"]],
    ).fetchone()
    p = section(html, "places")
    assert card(f"{located:,}", "accounts") in p
    assert card(f"{unknown:,}", "with unknown location") in p
    assert card(f"{100 * unknown / located:.1f}%", "unknown share") in p


def test_provenance_lists_every_run_shown(demo_store, html, latest):
    p = section(html, "provenance")
    for name, run_id in latest.items():
        assert f"<code>{run_id}</code>" in p, name
    for command in ("ingest", "signature"):
        for (run_id,) in demo_store.con.execute(
            "SELECT run_id FROM runs WHERE command = ? AND status = 'completed'", [command]
        ).fetchall():
            assert f"<code>{run_id}</code>" in p, command
    # Each run shown is in the store, with its seed and fingerprint.
    for run_id in re.findall(r"<tr><td><code>([0-9a-f]+)</code></td>", p):
        assert one(demo_store, "SELECT count(*) FROM runs WHERE run_id = ?", [run_id]) == 1


# -- the network map data ------------------------------------------------------------------


def test_network_map_has_one_node_per_network_node(demo_store, latest):
    data = network_view(demo_store, seed=5)
    assert data is not None and data["run_id"] == latest["communities"]
    expected = {
        r[0]
        for r in demo_store.con.execute(
            "SELECT account_id FROM network_nodes WHERE run_id = ?", [latest["communities"]]
        ).fetchall()
    }
    col = {c: i for i, c in enumerate(data["columns"])}
    ids = [n[col["account_id"]] for n in data["nodes"]]
    assert len(ids) == len(set(ids)) == len(expected) == data["nodes_total"] == data["nodes_shown"]
    assert set(ids) == expected
    xy = [(n[col["x"]], n[col["y"]]) for n in data["nodes"]]
    assert all(math.isfinite(x) and math.isfinite(y) for x, y in xy)
    assert len(set(xy)) > 0.9 * len(xy)  # laid out, not piled at one default point
    positions = layout.community_layout(demo_store, latest["communities"], seed=5)
    assert expected <= set(positions)
    # Coordinated accounts carry their cluster.
    clustered = {
        r[0]: r[1]
        for r in demo_store.con.execute(
            "SELECT account_id, cluster FROM coordination_accounts WHERE run_id = ?",
            [latest["coordination"]],
        ).fetchall()
    }
    for node in data["nodes"]:
        assert node[col["cluster"]] == clustered.get(node[col["account_id"]])
    assert data["edges_total"] == one(
        demo_store, "SELECT count(*) FROM network_edges WHERE run_id = ?", [latest["communities"]]
    )


def test_network_positions_are_deterministic_for_a_seed(demo_store, monkeypatch):
    def positions(seed: int) -> list[tuple[float, float]]:
        monkeypatch.setattr(layout, "_CACHE", {})  # lay out anew, not from the cache
        data = network_view(demo_store, seed=seed)
        assert data is not None
        col = {c: i for i, c in enumerate(data["columns"])}
        return [(n[col["x"]], n[col["y"]]) for n in data["nodes"]]

    first = positions(11)
    assert positions(11) == first
    assert positions(12) != first


def test_max_nodes_keeps_the_most_influential_and_counts_the_rest(demo_store, latest):
    full = network_view(demo_store, seed=5)
    small = network_view(demo_store, max_nodes=40, max_edges=25, seed=5)
    assert full is not None and small is not None
    top = [
        r[0]
        for r in demo_store.con.execute(
            "SELECT account_id FROM network_nodes WHERE run_id = ? "
            "ORDER BY pagerank DESC, account_id LIMIT 40",
            [latest["communities"]],
        ).fetchall()
    ]
    col = {c: i for i, c in enumerate(small["columns"])}
    assert [n[col["account_id"]] for n in small["nodes"]] == top
    assert small["nodes_shown"] == 40
    assert small["nodes_total"] == full["nodes_total"] > 40
    assert small["edges_total"] == full["edges_total"]
    # A node is where the full map puts it.
    where = {n[col["account_id"]]: (n[col["x"]], n[col["y"]]) for n in full["nodes"]}
    for n in small["nodes"]:
        assert where[n[col["account_id"]]] == (n[col["x"]], n[col["y"]])
    # Edges join shown nodes only, are real edges, and are the strongest among them.
    assert small["edges"] and len(small["edges"]) == small["edges_shown"] <= 25
    stored = {
        (s, t): w
        for s, t, w in demo_store.con.execute(
            "SELECT source, target, weight FROM network_edges WHERE run_id = ?",
            [latest["communities"]],
        ).fetchall()
    }
    between = sorted(
        (w for (s, t), w in stored.items() if s in set(top) and t in set(top)), reverse=True
    )
    for s, t, w in small["edges"]:
        assert 0 <= s < 40 and 0 <= t < 40
        assert stored[(top[s], top[t])] == w
    assert sorted((w for *_, w in small["edges"]), reverse=True) == between[: len(small["edges"])]
    # With no edge budget, the map keeps its nodes and draws no edge.
    bare = network_view(demo_store, max_nodes=5, max_edges=0, seed=5)
    assert bare is not None and bare["nodes_shown"] == 5 and bare["edges"] == []


def test_network_map_community_filter_keeps_its_members(demo_store, latest):
    community, size = demo_store.con.execute(
        "SELECT community, size FROM communities WHERE run_id = ? ORDER BY size DESC LIMIT 1",
        [latest["communities"]],
    ).fetchone()
    data = network_view(demo_store, views.Filters(community=community), seed=5)
    assert data is not None
    col = {c: i for i, c in enumerate(data["columns"])}
    assert data["nodes_total"] == size
    assert {n[col["community"]] for n in data["nodes"]} == {community}


# -- sections of analyses that have not run ------------------------------------------------


def test_sections_of_analyses_not_run_say_so_and_name_the_command(store, tmp_path):
    ingest(store, [FIXTURES / "twitter" / "v1_statuses.jsonl"])
    posts = store.count("posts")
    assert posts > 0
    written = write_report(store, tmp_path / "report.html")
    assert set(written["sections"].values()) == {"not run"}
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    for name in SECTIONS:
        assert f'<section id="{name}">' in html, name
    assert card(f"{posts:,}", "posts") in section(html, "overview")
    expected = {
        "network": ["infoscope communities"],
        "communities": ["infoscope communities"],
        "signatures": ["infoscope signature learn"],
        "resonance": ["infoscope resonance"],
        "places": ["infoscope locate"],
        "monitor": ["infoscope monitor"],
        "coordination": ["infoscope coordination"],
    }
    for name, commands in expected.items():
        text = section(html, name)
        assert text.count("has not been run") == len(commands), name
        for command in commands:
            assert f"<code>{command}" in text, (name, command)
    # Provenance still shows the ingest.
    ingest_run = one(store, "SELECT run_id FROM runs WHERE command = 'ingest'")
    assert f"<code>{ingest_run}</code>" in section(html, "provenance")


def test_an_empty_store_reports_no_posts(store, tmp_path):
    data = build_report(store)
    assert data.sections["overview"]["posts"] == 0
    assert data.charts == {}
    html = render_report(data)
    assert "infoscope ingest FILE..." in section(html, "overview")


# -- filters -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "needle"),
    [
        ({"since": "2024-13-01"}, "since="),
        ({"until": "yesterday"}, "until="),
        ({"since": "2024-01-10", "until": "2024-01-02"}, "before"),
        ({"community": "three"}, "community="),
        ({"community": "1.5"}, "community="),
    ],
)
def test_bad_filters_are_one_line_errors(values, needle):
    with pytest.raises(BadParameterError) as caught:
        views.Filters.parse(**values)
    message = str(caught.value)
    assert "\n" not in message and needle in message


def test_filters_parse_and_describe_themselves():
    f = views.Filters.parse(
        since="2024-01-08", until="2024-01-14", community="3", lang=" EN ", region=" us "
    )
    assert (f.community, f.lang, f.region) == (3, "en", "us")
    assert f.as_dict() == {
        "since": "2024-01-08T00:00:00+00:00",
        "until": "2024-01-14",
        "community": 3,
        "lang": "en",
        "region": "us",
    }
    assert f.until_exclusive.isoformat() == "2024-01-15T00:00:00+00:00"  # the whole day
    timed = views.Filters.parse(until="2024-01-14T12:00:00")
    assert timed.until_exclusive.isoformat() == "2024-01-14T12:00:00+00:00"
    assert views.Filters.parse(since="", community="", lang="", region="").empty
    assert not f.empty and f.accounts_filtered


def test_date_and_language_filters_count_what_sql_counts(demo_store):
    f = views.Filters.parse(since="2024-01-08", until="2024-01-14", lang="en")
    got = views.overview(demo_store, f)
    expected = one(
        demo_store,
        "SELECT count(*) FROM posts WHERE created_at >= TIMESTAMPTZ '2024-01-08 00:00:00+00' "
        "AND created_at < TIMESTAMPTZ '2024-01-15 00:00:00+00' AND lower(lang) = 'en'",
    )
    assert 0 < got["posts"] == expected < one(demo_store, "SELECT count(*) FROM posts")
    assert got["by_language"] == {"en": expected}
    assert got["first_post"] >= "2024-01-08" and got["last_post"] < "2024-01-15"
    assert sum(d["posts"] for d in got["by_day"]) == expected
    assert {d["day"] for d in got["by_day"]} <= {f"2024-01-{d:02}" for d in range(8, 15)}
    # Dates and language narrow posts, not accounts.
    assert got["accounts"] == one(demo_store, "SELECT count(*) FROM accounts")
    assert got["filters"] == f.as_dict()


def test_community_filter_counts_what_sql_counts(demo_store, latest):
    community = one(
        demo_store,
        "SELECT community FROM communities WHERE run_id = ? ORDER BY size DESC LIMIT 1",
        [latest["communities"]],
    )
    members = (
        "(platform, account_id) IN (SELECT platform, account_id FROM network_nodes "
        "WHERE run_id = ? AND community = ?)"
    )
    got = views.overview(demo_store, views.Filters.parse(community=str(community)))
    posts = one(demo_store, f"SELECT count(*) FROM posts WHERE {members}",
                [latest["communities"], community])  # fmt: skip
    accounts = one(demo_store, f"SELECT count(*) FROM accounts WHERE {members}",
                   [latest["communities"], community])  # fmt: skip
    assert 0 < got["posts"] == posts < 10_000
    assert 0 < got["accounts"] == accounts


@pytest.mark.parametrize("region", ["US", "ru", "unknown"])
def test_region_filter_counts_what_sql_counts(demo_store, latest, region):
    placed = (
        "(platform, account_id) IN (SELECT platform, account_id FROM account_locations "
        "WHERE run_id = ? AND upper(country) = upper(?))"
    )
    got = views.overview(demo_store, views.Filters.parse(region=region))
    posts = one(demo_store, f"SELECT count(*) FROM posts WHERE {placed}",
                [latest["locate"], region])  # fmt: skip
    accounts = one(demo_store, f"SELECT count(*) FROM accounts WHERE {placed}",
                   [latest["locate"], region])  # fmt: skip
    assert 0 < got["posts"] == posts
    assert 0 < got["accounts"] == accounts
    places = places_view(demo_store, views.Filters.parse(region=region))
    assert places is not None
    assert [c["country"].upper() for c in places["countries"]] == [region.upper()]
    assert places["accounts"] == accounts


def test_combined_filters_and_week_monitor(demo_store, latest):
    f = views.Filters.parse(since="2024-01-08", until="2024-01-21", lang="ru", region="RU")
    got = views.overview(demo_store, f)
    expected = one(
        demo_store,
        """
        SELECT count(*) FROM posts WHERE created_at >= TIMESTAMPTZ '2024-01-08 00:00:00+00'
          AND created_at < TIMESTAMPTZ '2024-01-22 00:00:00+00' AND lower(lang) = 'ru'
          AND (platform, account_id) IN (SELECT platform, account_id FROM account_locations
                                         WHERE run_id = ? AND country = 'RU')
        """,
        [latest["locate"]],
    )
    assert 0 < got["posts"] == expected
    monitor = monitor_view(demo_store, f)
    assert monitor is not None and monitor["cells"]
    assert {c["place"] for c in monitor["cells"]} == {"RU"}
    assert all("2024-01-08" <= c["period"] < "2024-01-22" for c in monitor["cells"])


def test_filters_need_the_run_they_read(store):
    ingest(store, [FIXTURES / "twitter" / "v1_statuses.jsonl"])
    with pytest.raises(BadParameterError, match="infoscope communities"):
        views.overview(store, views.Filters(community=0))
    with pytest.raises(BadParameterError, match="infoscope locate"):
        views.accounts(store, views.Filters(region="US"))


def test_filtered_report_renders_the_filtered_numbers(demo_store, latest, tmp_path):
    community = one(
        demo_store,
        "SELECT community FROM communities WHERE run_id = ? ORDER BY size DESC LIMIT 1",
        [latest["communities"]],
    )
    f = views.Filters.parse(since="2024-01-08", until="2024-01-21", community=community)
    written = write_report(demo_store, tmp_path / "filtered.html", f, max_nodes=50, seed=5)
    assert written["bytes"] == (tmp_path / "filtered.html").stat().st_size
    html = (tmp_path / "filtered.html").read_text(encoding="utf-8")
    for name in SECTIONS:
        assert f'<section id="{name}">' in html, name
    posts = views.overview(demo_store, f)["posts"]
    assert 0 < posts < 10_000
    assert card(f"{posts:,}", "posts") in section(html, "overview")
    # The communities section keeps the chosen community only.
    assert section(html, "communities").count('<tr>\n<td class="n">') == 1
    # The map shows at most the 50 most influential members of that community.
    size = one(
        demo_store,
        "SELECT count(*) FROM network_nodes WHERE run_id = ? AND community = ?",
        [latest["communities"], community],
    )
    assert f"{min(size, 50):,} of {size:,} accounts" in html


# -- the command line ----------------------------------------------------------------------


def test_report_cli_writes_json_and_leaves_the_store_unchanged(demo_run, tmp_path):
    before = digest(demo_run.store)
    with Store.open(demo_run.store, read_only=True) as s:
        runs_before = rows(s, "SELECT * FROM runs ORDER BY run_id")
    out = tmp_path / "sub" / "report.html"
    result = run_cli(
        "report", "--store", str(demo_run.store), "--out", str(out), "--max-nodes", "30",
        "--seed", "5", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["path"] == str(out)
    assert printed["bytes"] == out.stat().st_size > 1_000_000  # plotly.js is inside
    # Every analysis of posts is shown; the demo has no articles.
    assert {printed["sections"].pop(k) for k in ARTICLE_SECTIONS} == {"not run"}
    assert set(printed["sections"].values()) == {"shown"}
    assert set(printed["timings"]) >= {"overview", "network", "coordination", "charts"}
    assert not out.with_name("report.html.part").exists()
    html = out.read_text(encoding="utf-8")
    assert "30 of " in html and not re.search(r"<script[^>]*\ssrc=", html)
    assert digest(demo_run.store) == before
    assert not Path(str(demo_run.store) + ".wal").exists()
    with Store.open(demo_run.store, read_only=True) as s:
        assert rows(s, "SELECT * FROM runs ORDER BY run_id") == runs_before


def test_report_cli_with_filters_and_plain_output(demo_run, tmp_path):
    out = tmp_path / "week.html"
    result = run_cli(
        "report", "--store", str(demo_run.store), "--out", str(out), "--since", "2024-01-08",
        "--until", "2024-01-14", "--lang", "en", "--region", "US", "--max-nodes", "10",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"report written to {out}" in result.stdout
    assert result.stdout.rstrip().endswith(f"not run yet: {', '.join(ARTICLE_SECTIONS)}")
    with Store.open(demo_run.store, read_only=True) as s:
        f = views.Filters.parse(since="2024-01-08", until="2024-01-14", lang="en", region="US")
        posts = views.overview(s, f)["posts"]
    assert card(f"{posts:,}", "posts") in out.read_text(encoding="utf-8")


def test_report_cli_on_a_store_without_analyses_names_them(store_path, tmp_path):
    with Store.open(store_path) as s:
        ingest(s, [FIXTURES / "twitter" / "v1_statuses.jsonl"])
    result = run_cli("report", "--store", str(store_path), "--out", str(tmp_path / "r.html"))
    assert result.exit_code == 0, result.output
    assert "not run yet: network, communities, signatures" in result.stdout


def _assert_one_line_error(result: Any, *needles: str) -> None:
    assert result.exit_code != 0
    message = result.stderr.strip()
    assert "\n" not in message, message
    assert message.startswith("Error: "), message
    assert "Traceback" not in result.output
    for needle in needles:
        assert needle in message, (needle, message)


def test_report_cli_errors_are_one_line(demo_run, tmp_path):
    missing = tmp_path / "nothing.duckdb"
    out = tmp_path / "r.html"
    result = run_cli("report", "--store", str(missing), "--out", str(out))
    _assert_one_line_error(result, str(missing))
    assert not missing.exists() and not out.exists()
    result = run_cli(
        "report", "--store", str(demo_run.store), "--out", str(out),
        "--since", "2024-01-20", "--until", "2024-01-10",
    )  # fmt: skip
    _assert_one_line_error(result, "before")
    assert not out.exists()
    result = run_cli("report", "--store", str(demo_run.store), "--community", "x")
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_authenticity_section_matches_the_accounts_run(html, demo_store):
    run_id = demo_store.latest_run_id("accounts")
    part = section(html, "authenticity")
    accounts = one(demo_store, "SELECT count(*) FROM account_signals WHERE run_id = ?", [run_id])
    assert card(f"{accounts:,}", "accounts assessed") in part
    automated = one(
        demo_store,
        "SELECT count(*) FROM account_signals WHERE run_id = ? AND len(automation) > 0",
        [run_id],
    )
    assert card(f"{automated:,}", "with an automation flag") in part
    # The most flagged account is listed with the evidence of its flags.
    handle, evidence = demo_store.con.execute(
        "SELECT handle, evidence FROM account_signals WHERE run_id = ? AND len(automation) > 0 "
        "ORDER BY len(automation) DESC, len(amplification) + len(persona) DESC, posts DESC, "
        "account_id LIMIT 1",
        [run_id],
    ).fetchone()
    assert f"@{handle}" in part
    for text in json.loads(evidence).values():
        assert str(escape(text)) in part


# -- one section at a time -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("analysis", "section"), [(a.name, s.key) for a, s in registered_sections()]
)
def test_every_registered_section_renders_with_and_without_its_run(
    demo_store, store, analysis, section
):
    """The contract of a section: rendered alone, it is one `<section>` named by its key;
    without a run of its analysis it says so and names the command (the analysis' hint)."""
    entry = get_analysis(analysis)
    shown = render_section(demo_store, analysis, section)
    assert shown.startswith(f'<section id="{section}">') and shown.endswith("</section>")
    assert shown.count("<section") == 1
    if not analysis.startswith("articles"):  # the demo has posts, not articles
        assert "has not been run" not in shown
        assert f"<code>{escape(entry.hint)}</code>" not in shown
    ingest(store, [FIXTURES / "twitter" / "v1_statuses.jsonl"])
    empty = render_section(store, entry, section, account_href="/accounts/")
    assert empty.startswith(f'<section id="{section}">') and empty.endswith("</section>")
    assert empty.count("has not been run") == 1
    assert f"<code>{escape(entry.hint)}</code>" in empty


def test_a_section_takes_the_options_it_declares(demo_store):
    one_cluster = render_section(demo_store, "coordination", "coordination", clusters=1)
    assert len(re.findall(r'<details class="cluster" id="cluster-', one_cluster)) == 1
    # Options other sections declare are ignored, so one set of options serves them all.
    assert render_section(demo_store, "locate", "places", clusters=1, max_nodes=5)
    with pytest.raises(BadParameterError, match="no section 'nope'"):
        render_section(demo_store, "coordination", "nope")


@pytest.mark.parametrize(
    ("options", "needle"),
    [
        ({"max_nodez": 10}, "max_nodez"),
        ({"clusters": 0}, "clusters=0 is out of range 1..10000"),
        ({"max_edges": -1}, "max_edges=-1"),
        ({"seed": "5"}, "seed='5' is not a whole number"),
    ],
)
def test_report_options_are_checked_against_the_sections(store, options, needle):
    with pytest.raises(BadParameterError) as caught:
        build_report(store, **options)
    assert needle in str(caught.value) and "\n" not in str(caught.value)
