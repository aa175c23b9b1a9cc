"""The local dashboard: pages and JSON endpoints over the demo's store, filters, errors,
read-only access and the token.

The demo's store (`demo_run`) is shared by the session: these tests only read it, through
the app (which opens it read-only per request) and through read-only connections.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from infoscope.errors import BadParameterError, InfoscopeError
from infoscope.ingest import ingest
from infoscope.report import views
from infoscope.report.dashboard import TOKEN_COOKIE, create_app, navigation, section_pages, serve
from infoscope.report.render import registered_sections
from infoscope.store import Store

from .conftest import FIXTURES, digest, one, rows, run_cli

# Page, the JSON behind it, and the sections the page shows.
PAGES = [
    ("/", "/api/overview", ["overview"]),
    ("/network", "/api/network", ["network"]),
    ("/communities", "/api/communities", ["communities"]),
    ("/language", "/api/language", ["signatures", "resonance"]),
    ("/places", "/api/places", ["places", "monitor"]),
    ("/coordination", "/api/coordination", ["coordination"]),
    ("/authenticity", "/api/authenticity", ["authenticity"]),
    ("/accounts", "/api/accounts", ["accounts"]),
    ("/runs", "/api/runs", ["provenance"]),
]


@pytest.fixture(scope="module")
def latest(demo_store: Store) -> dict[str, Any]:
    # The demo scenario has posts, not articles: every analysis of posts has run.
    found = {k: v for k, v in views.latest_runs(demo_store).items() if not k.startswith("articles")}
    assert all(found.values()), found
    return found


@pytest.fixture(scope="module")
def client(demo_run: Any) -> TestClient:
    return TestClient(create_app(demo_run.store), base_url="http://127.0.0.1")


def get_json(client: TestClient, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, (url, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


@pytest.fixture(scope="module")
def coordinated(demo_store: Store, latest: dict[str, Any]) -> dict[str, Any]:
    """The coordinated account with the most partners."""
    return rows(
        demo_store,
        "SELECT platform, account_id, cluster, degree FROM coordination_accounts "
        "WHERE run_id = ? ORDER BY degree DESC, account_id LIMIT 1",
        [latest["coordination"]],
    )[0]


# -- JSON endpoints ------------------------------------------------------------------------


def test_overview_json_counts_the_store(client, demo_store):
    data = get_json(client, "/api/overview")
    assert set(data) >= {
        "filters", "posts", "accounts", "first_post", "last_post", "by_platform", "by_kind",
        "by_language", "by_month", "top_accounts", "top_hashtags", "top_hosts", "by_day",
        "quarantined",
    }  # fmt: skip
    assert data["posts"] == one(demo_store, "SELECT count(*) FROM posts") == 10_000
    assert data["accounts"] == one(demo_store, "SELECT count(*) FROM accounts")
    assert data["quarantined"] == one(demo_store, "SELECT count(*) FROM quarantine")
    by_language = dict(
        demo_store.con.execute("SELECT lang, count(*) FROM posts GROUP BY lang").fetchall()
    )
    assert data["by_language"] == by_language
    assert sum(d["posts"] for d in data["by_day"]) == data["posts"]
    assert data == json.loads(json.dumps(views.overview(demo_store), default=str))


def test_network_json_is_the_latest_communities_run(client, demo_store, latest):
    data = get_json(client, "/api/network")
    assert data["run_id"] == latest["communities"]
    nodes = one(
        demo_store, "SELECT count(*) FROM network_nodes WHERE run_id = ?", [latest["communities"]]
    )
    assert data["nodes_total"] == data["nodes_shown"] == len(data["nodes"]) == nodes
    assert data["edges_total"] == one(
        demo_store, "SELECT count(*) FROM network_edges WHERE run_id = ?", [latest["communities"]]
    )
    assert len(data["columns"]) == len(data["nodes"][0])
    small = get_json(client, "/api/network?max_nodes=7&max_edges=3")
    assert small["nodes_shown"] == 7 and small["nodes_total"] == nodes
    assert len(small["edges"]) <= 3
    assert all(s < 7 and t < 7 for s, t, _ in small["edges"])


def test_communities_json_has_one_profile_per_community(client, demo_store, latest):
    data = get_json(client, "/api/communities")
    assert set(data) >= {"run_id", "summary", "profiles", "filters"}
    assert data["run_id"] == latest["communities"]
    stored = dict(
        demo_store.con.execute(
            "SELECT community, size FROM communities WHERE run_id = ?", [latest["communities"]]
        ).fetchall()
    )
    assert {p["community"]: p["size"] for p in data["profiles"]} == stored
    assert data["summary"]["communities"] == len(stored)
    largest = max(stored, key=lambda c: stored[c])
    narrowed = get_json(client, f"/api/communities?community={largest}")
    assert [p["community"] for p in narrowed["profiles"]] == [largest]
    assert narrowed["filters"]["community"] == largest


def test_language_json_has_signatures_and_resonance(client, demo_store, latest):
    data = get_json(client, "/api/language")
    names = {r[0] for r in demo_store.con.execute("SELECT name FROM signatures").fetchall()}
    assert {s["name"] for s in data["signatures"]} == names
    for sig in data["signatures"]:
        top = one(
            demo_store,
            "SELECT term FROM signature_terms WHERE signature_id = ? ORDER BY weight DESC, term "
            "LIMIT 1",
            [sig["signature_id"]],
        )
        assert sig["terms"][0]["term"] == top and len(sig["terms"]) == 25
    assert len(get_json(client, "/api/language?top=3")["signatures"][0]["terms"]) == 3
    r = data["resonance"]
    assert r["run_id"] == latest["resonance"]
    assert r["resonant_accounts"] == one(
        demo_store,
        "SELECT count(*) FROM resonance_scores WHERE run_id = ? AND period IS NULL AND resonant",
        [latest["resonance"]],
    )
    assert all(
        a["probability"] >= b["probability"] for a, b in zip(r["top"], r["top"][1:], strict=False)
    )


def test_places_json_counts_the_locate_and_monitor_runs(client, demo_store, latest):
    data = get_json(client, "/api/places")
    places, monitor = data["places"], data["monitor"]
    assert places["run_id"] == latest["locate"] and monitor["run_id"] == latest["monitor"]
    by_country = dict(
        demo_store.con.execute(
            "SELECT country, count(*) FROM account_locations WHERE run_id = ? GROUP BY ALL",
            [latest["locate"]],
        ).fetchall()
    )
    assert {c["country"]: c["accounts"] for c in places["countries"]} == by_country
    assert places["accounts"] == sum(by_country.values())
    assert places["unknown"] == by_country.get("unknown", 0)
    assert len(monitor["cells"]) == one(
        demo_store, "SELECT count(*) FROM monitor_cells WHERE run_id = ?", [latest["monitor"]]
    )
    us = get_json(client, "/api/places?region=us")
    assert [c["country"] for c in us["places"]["countries"]] == ["US"]
    assert {c["place"] for c in us["monitor"]["cells"]} == {"US"}


def test_coordination_json_matches_the_run(client, demo_store, latest):
    data = get_json(client, "/api/coordination")
    run_id = latest["coordination"]
    assert set(data) >= {"run_id", "run", "summary", "clusters_total", "clusters_matching",
                         "clusters"}  # fmt: skip
    assert data["run_id"] == data["run"]["run_id"] == run_id
    counts = json.loads(one(demo_store, "SELECT counts FROM runs WHERE run_id = ?", [run_id]))
    for key in ("accounts", "clusters", "edges", "largest_cluster", "platform"):
        assert data["summary"][key] == counts[key], key
    assert data["summary"]["accounts"] == one(
        demo_store, "SELECT count(*) FROM coordination_accounts WHERE run_id = ?", [run_id]
    )
    assert data["summary"]["edges"] == one(
        demo_store, "SELECT count(*) FROM coordination_edges WHERE run_id = ?", [run_id]
    )
    sizes = dict(
        demo_store.con.execute(
            "SELECT cluster, count(*) FROM coordination_accounts WHERE run_id = ? GROUP BY ALL",
            [run_id],
        ).fetchall()
    )
    assert data["clusters_total"] == data["clusters_matching"] == len(sizes)
    assert {c["cluster"]: c["size"] for c in data["clusters"]} == sizes
    for cluster in data["clusters"]:
        assert cluster["evidence_edges"]
        for edge in cluster["evidence_edges"]:
            assert 0 < len(edge["evidence"]) <= 5
            for row in edge["evidence"]:
                assert row["text_a"] and row["text_b"]
    trimmed = get_json(client, "/api/coordination?clusters=1&edges=2&evidence=1")
    assert len(trimmed["clusters"]) == 1 and trimmed["clusters_matching"] == len(sizes)
    assert len(trimmed["clusters"][0]["evidence_edges"]) == 2
    assert all(len(e["evidence"]) == 1 for e in trimmed["clusters"][0]["evidence_edges"])


def test_accounts_json_lists_every_account(client, demo_store, latest):
    data = get_json(client, "/api/accounts?limit=1000")
    assert set(data) >= {"filters", "search", "sort", "total", "offset", "limit", "accounts"}
    total = one(demo_store, "SELECT count(*) FROM accounts")
    assert data["total"] == len(data["accounts"]) == total
    posts = dict(
        demo_store.con.execute("SELECT account_id, count(*) FROM posts GROUP BY ALL").fetchall()
    )
    for row in data["accounts"]:
        assert row["posts"] == posts.get(row["account_id"], 0)
    assert [r["posts"] for r in data["accounts"]] == sorted(posts.values(), reverse=True) + [0] * (
        total - len(posts)
    )
    coordinated = {
        a["account_id"]: a["cluster"] for a in data["accounts"] if a["cluster"] is not None
    }
    assert len(coordinated) == one(
        demo_store, "SELECT count(*) FROM coordination_accounts WHERE run_id = ?",
        [latest["coordination"]],
    )  # fmt: skip
    page = get_json(client, "/api/accounts?limit=10&offset=5&sort=pagerank")
    assert page["total"] == total and len(page["accounts"]) == 10
    ranks = [
        a["pagerank"] for a in get_json(client, "/api/accounts?limit=15&sort=pagerank")["accounts"]
    ]
    assert [a["pagerank"] for a in page["accounts"]] == ranks[5:15]
    handle = data["accounts"][0]["handle"]
    found = get_json(client, f"/api/accounts?q=@{handle}")
    assert handle in [a["handle"] for a in found["accounts"]]


def test_account_json_of_a_coordinated_account_has_its_evidence(
    client, demo_store, latest, coordinated
):
    platform, account_id = coordinated["platform"], coordinated["account_id"]
    data = get_json(client, f"/api/accounts/{platform}/{account_id}")
    assert set(data) >= {"platform", "account_id", "profile", "labels", "posts", "community",
                         "place", "resonance", "coordination"}  # fmt: skip
    assert data["posts"]["total"] == one(
        demo_store, "SELECT count(*) FROM posts WHERE account_id = ?", [account_id]
    )
    c = data["coordination"]
    assert c["cluster"] == coordinated["cluster"] and c["run_id"] == latest["coordination"]
    assert c["edges"]
    stored = {
        (r[0], r[1], r[2])
        for r in demo_store.con.execute(
            "SELECT trace, object_id, post_a FROM coordination_evidence WHERE run_id = ? "
            "AND (account_a = ? OR account_b = ?)",
            [latest["coordination"], account_id, account_id],
        ).fetchall()
    }
    texts = dict(demo_store.con.execute("SELECT post_id, text FROM posts").fetchall())
    for edge in c["edges"]:
        assert account_id in (edge["account_a"], edge["account_b"])
        assert edge["evidence"]
        for row in edge["evidence"]:
            assert (edge["trace"], row["object_id"], row["post_a"]) in stored
            assert row["text_a"] == texts[row["post_a"]] and row["text_b"] == texts[row["post_b"]]
    assert data["community"]["run_id"] == latest["communities"]


def test_runs_json_lists_every_run(client, demo_store, latest):
    data = get_json(client, "/api/runs")
    assert set(data) == {"store", "latest", "runs"}
    stored = {
        r[0]: r[1] for r in demo_store.con.execute("SELECT run_id, command FROM runs").fetchall()
    }
    assert {r["run_id"]: r["command"] for r in data["runs"]} == stored
    assert {k: v for k, v in data["latest"].items() if not k.startswith("articles")} == latest
    assert data["store"]["path"] == str(demo_store.path)
    assert all(isinstance(r["parameters"], dict | None) for r in data["runs"])


def test_filters_json_lists_communities_and_regions(client, demo_store, latest):
    data = get_json(client, "/api/filters")
    communities = dict(
        demo_store.con.execute(
            "SELECT community, size FROM communities WHERE run_id = ?", [latest["communities"]]
        ).fetchall()
    )
    assert {c["community"]: c["size"] for c in data["communities"]} == communities
    regions = dict(
        demo_store.con.execute(
            "SELECT country, count(*) FROM account_locations WHERE run_id = ? GROUP BY ALL",
            [latest["locate"]],
        ).fetchall()
    )
    assert {r["region"]: r["accounts"] for r in data["regions"]} == regions
    assert set(data["languages"]) == {
        r[0] for r in demo_store.con.execute("SELECT DISTINCT lang FROM posts").fetchall()
    }
    assert data["first_post"].startswith("2024-01-01")


# -- filters in the query string -----------------------------------------------------------


def test_community_filter_narrows_accounts(client, demo_store, latest):
    community = one(
        demo_store,
        "SELECT community FROM communities WHERE run_id = ? ORDER BY size DESC LIMIT 1",
        [latest["communities"]],
    )
    data = get_json(client, f"/api/accounts?community={community}&limit=1000")
    expected = one(
        demo_store,
        "SELECT count(*) FROM accounts WHERE (platform, account_id) IN (SELECT platform, "
        "account_id FROM network_nodes WHERE run_id = ? AND community = ?)",
        [latest["communities"], community],
    )
    assert 0 < data["total"] == len(data["accounts"]) == expected
    assert {a["community"] for a in data["accounts"]} == {community}
    overview = get_json(client, f"/api/overview?community={community}")
    assert overview["accounts"] == expected and overview["posts"] < 10_000


def test_region_filter_narrows_accounts(client, demo_store, latest):
    data = get_json(client, "/api/accounts?region=RU&limit=1000")
    expected = one(
        demo_store,
        "SELECT count(*) FROM account_locations WHERE run_id = ? AND country = 'RU'",
        [latest["locate"]],
    )
    assert 0 < data["total"] == len(data["accounts"]) == expected
    assert {a["country"] for a in data["accounts"]} == {"RU"}
    unknown = get_json(client, "/api/accounts?region=unknown&limit=1")
    assert unknown["total"] == one(
        demo_store,
        "SELECT count(*) FROM account_locations WHERE run_id = ? AND country = 'unknown'",
        [latest["locate"]],
    )


def test_date_and_language_filters_narrow_accounts_and_posts(client, demo_store):
    url = "/api/accounts?since=2024-01-08&until=2024-01-14&lang=de&limit=1000"
    data = get_json(client, url)
    counted = dict(
        demo_store.con.execute(
            "SELECT account_id, count(*) FROM posts "
            "WHERE created_at >= TIMESTAMPTZ '2024-01-08 00:00:00+00' "
            "AND created_at < TIMESTAMPTZ '2024-01-15 00:00:00+00' AND lang = 'de' GROUP BY ALL"
        ).fetchall()
    )
    assert 0 < data["total"] == len(counted)
    assert {a["account_id"]: a["posts"] for a in data["accounts"]} == counted
    overview = get_json(client, "/api/overview?since=2024-01-08&until=2024-01-14&lang=de")
    assert overview["posts"] == sum(counted.values())
    assert overview["filters"]["until"] == "2024-01-14"
    late = get_json(client, "/api/coordination?since=2024-02-01")
    assert late["clusters_matching"] == 0 and late["clusters"] == []


def test_filtered_page_links_to_its_filtered_json(client, demo_store, latest):
    community = one(
        demo_store,
        "SELECT community FROM communities WHERE run_id = ? ORDER BY size DESC LIMIT 1",
        [latest["communities"]],
    )
    response = client.get(f"/accounts?community={community}&sort=pagerank")
    assert response.status_code == 200
    assert f'href="/api/accounts?community={community}&amp;sort=pagerank"' in response.text
    assert f'<option value="{community}" selected>' in response.text
    total = get_json(client, f"/api/accounts?community={community}")["total"]
    assert f"{total:,} accounts match" in response.text


# -- pages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "api", "sections"), PAGES)
def test_every_page_shows_its_sections_and_links_its_json(client, page, api, sections):
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    for name in sections:
        assert f'<section id="{name}">' in html, name
    assert f'href="{api}"' in html
    assert '<script src="/static/plotly.min.js"></script>' in html
    assert "has not been run" not in html  # the demo ran every analysis
    assert "http://" not in html.split("<body>")[0] and "https://" not in html.split("<body>")[0]


def test_pages_show_the_stores_numbers(client, demo_store, latest):
    overview = client.get("/").text
    assert '<div class="value">10,000</div><div class="label">posts</div>' in overview
    coordination = client.get("/coordination").text
    clusters = [
        r[0]
        for r in demo_store.con.execute(
            "SELECT DISTINCT cluster FROM coordination_accounts WHERE run_id = ? ORDER BY 1",
            [latest["coordination"]],
        ).fetchall()
    ]
    for cluster in clusters:
        assert f'id="cluster-{cluster}"' in coordination
    runs = client.get("/runs").text
    for (run_id,) in demo_store.con.execute("SELECT run_id FROM runs").fetchall():
        assert f"<code>{run_id}</code>" in runs
    # Account names link to their pages on the dashboard.
    assert 'href="/accounts/twitter/' in coordination


def test_account_page_of_a_coordinated_account_shows_its_evidence(client, coordinated):
    platform, account_id = coordinated["platform"], coordinated["account_id"]
    response = client.get(f"/accounts/{platform}/{account_id}")
    assert response.status_code == 200
    html = response.text
    for name in ("account", "account-scores", "account-coordination", "account-posts"):
        assert f'<section id="{name}">' in html, name
    assert f'href="/api/accounts/{platform}/{account_id}"' in html
    cluster = coordinated["cluster"]
    assert f'<a href="/coordination#cluster-{cluster}">{cluster}</a>' in html
    data = get_json(client, f"/api/accounts/{platform}/{account_id}")
    edge = data["coordination"]["edges"][0]
    assert f"{len(edge['evidence'])} of {edge['objects']} shared objects" in html
    for row in edge["evidence"]:
        assert f"<code>{row['object_id']}</code>" in html
        assert row["post_a"] in html and row["post_b"] in html
        assert str(escape(row["text_a"])) in html and str(escape(row["text_b"])) in html


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "needle"),
    [
        ("since=2024-99-01", "since="),
        ("until=soon", "until="),
        ("since=2024-01-20&until=2024-01-10", "before"),
        ("community=abc", "community="),
        ("community=99999", None),  # a number with no members is not an error
    ],
)
def test_bad_filters_are_400_with_a_message(client, query, needle):
    for api in ("/api/overview", "/api/accounts", "/api/coordination", "/api/places"):
        response = client.get(f"{api}?{query}")
        if needle is None:
            assert response.status_code == 200
            continue
        assert response.status_code == 400, (api, query)
        message = response.json()["error"]
        assert needle in message and "\n" not in message
    page = client.get(f"/accounts?{query}")
    assert page.status_code == (200 if needle is None else 400)
    if needle is not None:
        assert "text/html" in page.headers["content-type"]
        assert needle in page.text.replace("&#39;", "'")


def test_unknown_account_is_404(client):
    response = client.get("/api/accounts/twitter/no-such-account")
    assert response.status_code == 404
    assert "no account twitter/no-such-account" in response.json()["error"]
    page = client.get("/accounts/twitter/no-such-account")
    assert page.status_code == 404 and "no account twitter/no-such-account" in page.text
    assert client.get("/no-such-page").status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize("url", ["/", "/api/overview", "/api/accounts/twitter/1", "/nowhere"])
def test_the_dashboard_refuses_to_write(client, method, url):
    response = client.request(method, url)
    assert response.status_code == 405
    assert "read-only" in response.json()["error"]


@pytest.mark.parametrize(
    "query",
    [
        "/api/accounts?limit=0",
        "/api/accounts?limit=1001",
        "/api/accounts?limit=ten",
        "/api/accounts?offset=-1",
        "/api/accounts?sort=followers",
        "/api/network?max_nodes=0",
        "/api/network?max_edges=-1",
        "/api/coordination?clusters=0",
        "/api/coordination?evidence=1001",
        "/api/language?top=0",
        "/api/network?seed=-1",
        "/api/articles?top=1001",
    ],
)
def test_out_of_range_numbers_are_400(client, query):
    response = client.get(query)
    assert response.status_code == 400
    message = response.json()["error"]
    assert message and "\n" not in message


def test_a_request_over_its_time_limit_is_stopped(demo_run, monkeypatch):
    """A page whose query runs past the limit is stopped by DuckDB's interrupt and answered
    503 with what to narrow; the next request is served normally."""
    calls = []

    def slow_overview(store: Store, filters: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:  # about a minute of work, stopped after 0.3 s
            store.con.execute("SELECT count(*) FROM range(100000000000) WHERE random() < 0")
        return {"posts": 0}

    monkeypatch.setattr(views, "overview", slow_overview)
    c = TestClient(create_app(demo_run.store, request_seconds=0.3), base_url="http://127.0.0.1")
    response = c.get("/api/overview")
    assert response.status_code == 503
    assert "took over 0.3 s and was stopped" in response.json()["error"]
    assert get_json(c, "/api/overview") == {"posts": 0}


@pytest.mark.parametrize("length", ["5000", "-1", "lots"])
def test_a_request_body_is_refused(client, length):
    response = client.get("/api/overview", headers={"content-length": length})
    assert response.status_code == 413
    assert get_json(client, "/api/overview")["posts"] > 0


# -- read-only -----------------------------------------------------------------------------


def test_every_endpoint_leaves_the_store_unchanged(demo_run, client, coordinated):
    before = digest(demo_run.store)
    account = f"{coordinated['platform']}/{coordinated['account_id']}"
    urls = [u for page, api, _ in PAGES for u in (page, api)]
    urls += [f"/accounts/{account}", f"/api/accounts/{account}", "/api/filters",
             "/api/overview?since=2024-01-05&community=0&region=US&lang=en",
             "/accounts?q=a&sort=handle&offset=10", "/static/plotly.min.js"]  # fmt: skip
    for url in urls:
        assert client.get(url).status_code == 200, url
    client.post("/api/overview")
    assert digest(demo_run.store) == before
    assert not Path(str(demo_run.store) + ".wal").exists()


def test_the_app_works_while_another_reader_is_open(demo_run, demo_store):
    app = create_app(demo_run.store)
    with Store.open(demo_run.store, read_only=True) as other:
        posts = one(other, "SELECT count(*) FROM posts")
        c = TestClient(app, base_url="http://127.0.0.1")
        assert get_json(c, "/api/overview")["posts"] == posts
        assert get_json(c, "/api/runs")["runs"]
        assert one(other, "SELECT count(*) FROM posts") == posts  # still usable
    assert one(demo_store, "SELECT count(*) FROM runs") > 0


def test_each_request_sees_what_was_written_since(store_path):
    """The app opens the store per request: runs written between requests show up, and a
    missing analysis says which command fills it."""
    with Store.open(store_path) as s:
        ingest(s, [FIXTURES / "twitter" / "v1_statuses.jsonl"])
        first = s.count("posts")
    c = TestClient(create_app(store_path), base_url="http://127.0.0.1")
    assert get_json(c, "/api/overview")["posts"] == first
    assert get_json(c, "/api/communities") is None
    assert get_json(c, "/api/coordination") is None
    assert get_json(c, "/api/places") == {"places": None, "monitor": None}
    page = c.get("/communities")
    assert page.status_code == 200
    assert "has not been run" in page.text and "<code>infoscope communities</code>" in page.text
    assert "<code>infoscope coordination</code>" in c.get("/coordination").text
    refused = get_json(c, "/api/accounts?community=0", status=400)
    assert "infoscope communities" in refused["error"]
    with Store.open(store_path) as s:  # a writer between requests
        ingest(s, [FIXTURES / "twitter" / "v2_flat.jsonl"])
        second = s.count("posts")
    assert second > first
    assert get_json(c, "/api/overview")["posts"] == second


def test_a_missing_store_is_refused_at_start(tmp_path):
    with pytest.raises(InfoscopeError, match="no store at"):
        create_app(tmp_path / "missing.duckdb")
    assert not (tmp_path / "missing.duckdb").exists()


# -- token ---------------------------------------------------------------------------------


def test_token_is_required_when_given(demo_run):
    app = create_app(demo_run.store, token="s3cret-token")
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    for url in ("/", "/api/overview", "/static/plotly.min.js", "/api/accounts/twitter/1"):
        response = anonymous.get(url)
        assert response.status_code == 401, url
        assert "token" in response.json()["error"]
    assert anonymous.get("/api/overview?token=wrong").status_code == 401
    bad = {"Authorization": "Bearer wrong"}
    assert anonymous.get("/api/overview", headers=bad).status_code == 401
    # Non-GET is refused even with the token: the token does not make it writable.
    assert anonymous.post("/api/overview?token=s3cret-token").status_code == 405

    browser = TestClient(app, base_url="http://127.0.0.1")
    first = browser.get("/?token=s3cret-token")
    assert first.status_code == 200
    assert TOKEN_COOKIE in first.headers.get("set-cookie", "")
    assert "httponly" in first.headers["set-cookie"].lower()
    assert browser.get("/api/runs").status_code == 200  # the cookie carries it
    assert browser.get("/accounts").status_code == 200

    script = TestClient(app, base_url="http://127.0.0.1")
    good = {"Authorization": "Bearer s3cret-token"}
    assert get_json(script, "/api/overview", status=401)
    response = script.get("/api/overview", headers=good)
    assert response.status_code == 200 and response.json()["posts"] == 10_000
    assert "set-cookie" not in response.headers


def test_without_a_token_no_credentials_are_needed(client):
    assert client.get("/api/overview").status_code == 200
    assert "set-cookie" not in client.get("/?token=anything").headers


def test_requests_for_another_host_are_refused(demo_run):
    """DNS rebinding: a page on evil.example that points its name at 127.0.0.1 sends
    ``Host: evil.example``; the loopback dashboard answers nothing to it."""
    app = create_app(demo_run.store)
    for base in ("http://127.0.0.1:8765", "http://localhost", "http://[::1]:8765"):
        assert TestClient(app, base_url=base).get("/api/overview").status_code == 200, base
    for host in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "[::1", ""):
        response = TestClient(app, base_url="http://127.0.0.1").get(
            "/api/overview", headers={"host": host}
        )
        assert response.status_code == 421, host
        assert "posts" not in response.json() and "this machine" in response.json()["error"]
    # Bound beyond the loopback (the token guards it), any host name is served.
    remote = create_app(demo_run.store, token="t0ken", allowed_hosts=None)
    response = TestClient(remote, base_url="http://dashboard.lan").get(
        "/api/overview", headers={"Authorization": "Bearer t0ken"}
    )
    assert response.status_code == 200


def test_hostile_requests_get_errors_not_data(client):
    # An overlong query string is refused before any work.
    assert client.get("/api/accounts?q=" + "a" * 5000).status_code == 414
    # Paths that climb out of the app are not files it serves.
    climbing = (
        "/static/..%2f..%2fpyproject.toml",
        "/static/../../etc/passwd",
        "/api/accounts/twitter/..%2f..%2fetc%2fpasswd",
        "/..%2f..%2fetc/passwd",
    )
    for url in climbing:
        response = client.get(url)
        assert response.status_code in (400, 404), url
        assert "root:" not in response.text and "[project]" not in response.text
    # Filter values are bound as parameters: SQL in them matches nothing, breaks nothing.
    everyone = get_json(client, "/api/accounts?limit=5")
    injected = client.get("/api/accounts", params={"q": "' OR 1=1 --", "limit": 5})
    assert injected.status_code == 200 and injected.json()["accounts"] == []
    assert client.get("/api/overview", params={"lang": "en' OR '1'='1"}).status_code in (200, 400)
    assert get_json(client, "/api/accounts?limit=5") == everyone


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::"])
def test_serve_refuses_a_remote_host_without_allow_remote(demo_run, host):
    with pytest.raises(BadParameterError, match="--allow-remote") as caught:
        serve(demo_run.store, host=host, port=1, echo=lambda m: None)
    assert "\n" not in str(caught.value)


def test_serve_cli_refuses_a_remote_host_in_one_line(demo_run):
    result = run_cli("serve", "--store", str(demo_run.store), "--host", "0.0.0.0")
    assert result.exit_code != 0
    message = result.stderr.strip()
    assert message.startswith("Error: ") and "\n" not in message and "--allow-remote" in message
    assert "Traceback" not in result.output


# -- offline plotly ------------------------------------------------------------------------


def test_plotly_is_served_from_the_installed_package(client):
    from plotly.offline import get_plotlyjs

    response = client.get("/static/plotly.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert response.text.startswith("/**\n* plotly.js v")
    assert response.text == get_plotlyjs()
    assert "window.Plotly = Plotly;" in response.text
    assert "max-age" in response.headers.get("cache-control", "")


def test_authenticity_json_counts_the_accounts_run(client, demo_store):
    data = get_json(client, "/api/authenticity")
    run_id = demo_store.latest_run_id("accounts")
    assert data["run_id"] == run_id
    assert data["accounts"] == one(
        demo_store, "SELECT count(*) FROM account_signals WHERE run_id = ?", [run_id]
    )
    for family in ("automation", "amplification", "persona"):
        assert data["flagged"][family] == one(
            demo_store,
            f"SELECT count(*) FROM account_signals WHERE run_id = ? AND len({family}) > 0",
            [run_id],
        )
    per_flag = {(r["family"], r["flag"]): r["accounts"] for r in data["flags"]}
    assert per_flag.get(("automation", "regular_intervals"), 0) == one(
        demo_store,
        "SELECT count(*) FROM account_signals WHERE run_id = ? "
        "AND list_contains(automation, 'regular_intervals')",
        [run_id],
    )
    # Every listed account carries the evidence of each of its flags.
    for row in data["top"]:
        for family in ("automation", "amplification", "persona"):
            assert all(flag in row["evidence"] for flag in row[family])
    page = client.get("/authenticity")
    assert page.status_code == 200 and 'id="authenticity"' in page.text


def test_account_page_shows_its_signals_and_their_evidence(client, demo_store):
    run_id = demo_store.latest_run_id("accounts")
    platform, account_id, evidence = demo_store.con.execute(
        "SELECT platform, account_id, evidence FROM account_signals WHERE run_id = ? "
        "AND len(automation) > 0 ORDER BY account_id LIMIT 1",
        [run_id],
    ).fetchone()
    data = get_json(client, f"/api/accounts/{platform}/{account_id}")
    assert data["signals"]["run_id"] == run_id and data["signals"]["automation"]
    assert data["signals"]["features"]["posts"] == data["posts"]["total"]
    page = client.get(f"/accounts/{platform}/{account_id}").text
    text = json.loads(evidence)[data["signals"]["automation"][0]]
    assert str(escape(text)) in page


# -- pages from the registry ---------------------------------------------------------------


def test_pages_are_the_registrys_sections_grouped_by_page(client):
    pages = section_pages()
    # Every section is on exactly one page, pages in registry order, sections in order.
    assert [s for p in pages for s in p.sections] == registered_sections()
    assert len({p.path for p in pages}) == len(pages)
    assert [p.path for p in pages] == [
        "/network", "/communities", "/language", "/places", "/coordination", "/authenticity",
        "/articles",
    ]  # fmt: skip
    assert navigation() == [
        ("/", "Overview"), *((p.path, p.title) for p in pages), ("/accounts", "Accounts"),
        ("/runs", "Provenance"),
    ]  # fmt: skip
    html = client.get("/").text
    nav = html.split('<nav class="sections">')[1].split("</nav>")[0]
    for path, title in navigation():
        assert f'<a href="{path}"' in nav and str(escape(title)) in nav
    for page in pages:
        response = client.get(page.path)
        assert response.status_code == 200, page.path
        ids = [s.key for _, s in page.sections]
        found = [i for i in ids if f'<section id="{i}">' in response.text]
        assert found == ids, page.path
        data = get_json(client, page.api)
        if len(ids) > 1:  # a page of several sections serves {section key: data}
            assert set(data) == set(ids), page.api


def test_articles_page_serves_each_article_section(client):
    data = get_json(client, "/api/articles")
    keys = [s.key for a, s in registered_sections() if a.name.startswith("articles")]
    assert data == dict.fromkeys(keys)  # the demo has posts, not articles
    page = client.get("/articles").text
    assert page.count("has not been run") == len(keys)
    assert "<code>infoscope articles ingest FILE...</code>" in page
