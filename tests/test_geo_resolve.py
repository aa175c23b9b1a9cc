"""Place resolution: free-text locations, coordinates, time zones and the gazetteer's tables."""

from __future__ import annotations

import pytest

from infoscope.geo.gazetteer import COUNTRY_NAMES, NICKNAMES, REGIONS, load_gazetteer, normalize
from infoscope.geo.resolve import Place, resolve_location, reverse_geocode
from infoscope.geo.zones import RAILS_ZONES, iana_zone, zone_country, zones_agree


def band(place: Place) -> str:
    if not place.known:
        return "unknown"
    return "high" if place.confidence >= 0.8 else "medium" if place.confidence >= 0.5 else "low"


# (text, keyword arguments, country, region, city, confidence band). None for region or city
# means the evidence does not name one (and the resolver must not invent it).
CASES = [
    # A city alone is ambiguous: Paris is France, but only at medium confidence...
    ("Paris", {}, "FR", "11", "Paris", "medium"),
    # ... while a state code or country after it settles it.
    ("Paris, TX", {}, "US", "Texas", "Paris", "high"),
    ("Paris, France", {}, "FR", "11", "Paris", "high"),
    # Georgia: the country and the US state weigh the same without other evidence...
    ("Georgia, USA", {}, "US", "Georgia", None, "high"),
    ("Atlanta, Georgia", {}, "US", "Georgia", "Atlanta", "high"),
    # ... and the time zone or the language tips it (never creating a place on its own).
    ("Georgia", {"time_zone": "America/New_York"}, "US", "Georgia", None, "medium"),
    ("Georgia", {"time_zone": "Eastern Time (US & Canada)"}, "US", "Georgia", None, "medium"),
    ("Georgia", {"time_zone": "Asia/Tbilisi"}, "GE", None, None, "medium"),
    ("Georgia", {"lang": "ka"}, "GE", None, None, "medium"),
    # Cyrillic names come from GeoNames' alternate names; Moscow, Idaho is a minor reading.
    ("Москва", {}, "RU", "48", "Moscow", "medium"),
    ("Москва, Россия", {}, "RU", "48", "Moscow", "high"),
    ("Київ", {}, "UA", "12", "Kyiv", "medium"),
    ("Санкт-Петербург", {}, "RU", "66", "Saint Petersburg", "medium"),
    ("Питер", {}, "RU", "66", "Saint Petersburg", "high"),
    ("Ростов-на-Дону", {}, "RU", "61", "Rostov-on-Don", "medium"),
    # London is London, England, unless the qualifier is Ontario (with or without a comma).
    ("London, UK", {}, "GB", "England", "London", "high"),
    ("London, England", {}, "GB", "England", "London", "high"),
    ("London, Ontario", {}, "CA", "Ontario", "London", "high"),
    ("London Ontario", {}, "CA", "Ontario", "London", "high"),
    # Nicknames and abbreviations.
    ("NYC", {}, "US", "New York", "New York City", "high"),
    ("LA", {}, "US", "California", "Los Angeles", "high"),
    ("New Orleans, LA", {}, "US", "Louisiana", "New Orleans", "high"),
    ("Washington, DC", {}, "US", "District of Columbia", "Washington", "high"),
    ("Washington, D.C.", {}, "US", "District of Columbia", "Washington", "high"),
    ("USA", {}, "US", None, None, "high"),
    ("U.S.A.", {}, "US", None, None, "high"),
    ("США", {}, "US", None, None, "high"),
    ("РФ", {}, "RU", None, None, "high"),
    # Countries and regions alone, in several languages.
    ("Россия", {}, "RU", None, None, "high"),
    ("Deutschland", {}, "DE", None, None, "high"),
    ("Brussel, België", {}, "BE", "BRU", "Brussels", "high"),
    ("Texas, USA", {}, "US", "Texas", None, "high"),
    ("California", {}, "US", "California", None, "high"),
    ("Southern California", {}, "US", "California", None, "high"),
    ("Leipzig, Sachsen", {}, "DE", "Saxony", "Leipzig", "high"),
    ("Melbourne, Victoria", {}, "AU", "Victoria", "Melbourne", "high"),
    # Without separators, a name and a qualifier are split when both are known.
    ("Moscow Russia", {}, "RU", "48", "Moscow", "high"),
    ("Bethesda Maryland USA", {}, "US", "Maryland", "Bethesda", "high"),
    # "Maryland" is also the alternate name of Maryland City (17,000 people): the state wins.
    ("Maryland, USA", {}, "US", "Maryland", None, "high"),
    # Nine Springfields in the US: the country is sure, the state is not.
    ("Springfield", {}, "US", None, None, "medium"),
    # Coordinates written in a profile (UberTwitter style) and a flag emoji.
    ("ÜT: 40.7406,-73.9876", {}, "US", "New York", None, "high"),
    ("🇷🇺", {}, "RU", None, None, "medium"),
]


@pytest.mark.parametrize(("text", "kwargs", "country", "region", "city", "level"), CASES)
def test_resolution_table(text, kwargs, country, region, city, level):
    place = resolve_location(text, **kwargs)
    assert place.country == country, place
    assert place.region == region, place
    if city is not None or "ÜT" not in text:
        assert place.city == city, place
    assert band(place) == level, place
    assert place.source == "profile"
    assert place.evidence == text
    assert place.reason
    assert place.zones, "a known place has the time zones it may be in"
    assert place.country_name


def test_georgia_alone_is_low_confidence_either_way():
    place = resolve_location("Georgia")
    # The country (GE) and the US state are read with equal weight: a coin toss, said so.
    assert place.country in ("US", "GE")
    assert band(place) == "low"
    assert "2 countries" in place.reason


JUNK = [
    "Earth",
    "Planet Earth",
    "everywhere",
    "somewhere",
    "ur mom's house",
    "🌍",
    "🏠",
    "127.0.0.1",
    "https://example.com/me",
    "www.example.org",
    "@someone",
    "me@example.com",
    "she/her",
    "in my head",
    "Narnia",
    "Black America",  # "America" inside a part never makes a place
    "Islamic States of America",
    "Chicago Bears fan",  # nor does "Chicago"
    "near Utah Ave & Lighthouse an",
    "Земля",
    "Я везде",
    "Третья планета от Солнца",
    "Überall",
    "   ",
    "",
]


@pytest.mark.parametrize("text", JUNK)
def test_junk_is_unknown_never_a_guess(text):
    place = resolve_location(text)
    assert place.country == "unknown"
    assert place.source == "none"
    assert place.confidence == 0.0
    assert place.region is None and place.city is None and place.latitude is None
    assert place.reason


def test_none_is_unknown():
    assert resolve_location(None) == Place(reason="no location")


def test_another_country_in_the_same_text_lowers_confidence():
    alone = resolve_location("Moscow, Russia")
    both = resolve_location("Moscow, Russia / New York, NY")
    assert both.country == "RU"
    assert both.confidence == pytest.approx(alone.confidence * 0.6)
    assert "also names" in both.reason


def test_parts_naming_two_regions_of_one_country_keep_the_country_only():
    place = resolve_location("New York City / Pittsburgh")
    assert (place.country, place.region, place.city) == ("US", None, None)


def test_time_zone_and_language_only_break_ties():
    # A stated zone of another continent does not move an unambiguous place.
    assert resolve_location("Berlin, Germany", time_zone="Pacific Time (US & Canada)").country == (
        "DE"
    )
    # and gives no place to a text without one.
    assert not resolve_location("Earth", time_zone="Europe/Moscow", lang="ru").known


def test_reverse_geocoding():
    moscow = reverse_geocode(55.7558, 37.6173)
    assert (moscow.country, moscow.city, moscow.source) == ("RU", "Moscow", "geotag")
    assert moscow.evidence == "55.75580,37.61730"
    # The middle of the Pacific is over 300 km from any gazetteer place; 0,0 is a null value.
    assert not reverse_geocode(0.0, -150.0).known
    assert not reverse_geocode(0.0, 0.0).known
    assert not reverse_geocode(95.0, 10.0).known


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Washington, D.C.", "washington dc"),
        ("Ростов-на-Дону", "ростов на дону"),
        ("MÜNCHEN", "munchen"),
        ("St. John's", "st johns"),
        ("  New   York ", "new york"),
    ],
)
def test_normalize(text, key):
    assert normalize(text) == key


@pytest.mark.parametrize(
    ("stated", "zone"),
    [
        ("Eastern Time (US & Canada)", "America/New_York"),
        ("Pacific Time (US & Canada)", "America/Los_Angeles"),
        ("Volgograd", "Europe/Volgograd"),
        ("Moscow", "Europe/Moscow"),
        ("St. Petersburg", "Europe/Moscow"),
        ("Quito", "America/Guayaquil"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("America/Chicago", "America/Chicago"),
        ("Mars", None),
        ("", None),
        (None, None),
    ],
)
def test_iana_zone(stated, zone):
    assert iana_zone(stated) == zone


def test_every_rails_zone_is_a_real_zone():
    import pytz

    assert all(zone in pytz.all_timezones_set for zone in RAILS_ZONES.values())


def test_zones_agree_by_offset():
    import pytz

    us = pytz.country_timezones["US"]
    # "Quito" (UTC-5 all year) is what many US accounts picked: it agrees with US Eastern.
    assert zones_agree("America/Guayaquil", us)
    assert not zones_agree("Europe/Volgograd", us)
    assert zones_agree("Europe/Moscow", ["Europe/Moscow"])
    assert zones_agree("Not/AZone", us) is None


def test_country_tables_name_real_countries_and_regions():
    gaz = load_gazetteer()
    assert set(COUNTRY_NAMES) <= set(gaz.countries)
    # Each region code of the table holds gazetteer cities, e.g. Toronto in Ontario (CA 08).
    for country, admin1 in REGIONS:
        assert (country, admin1) in gaz.region_zones, (country, admin1)
    capitals = {
        ("CA", "08"): "Toronto",
        ("AU", "02"): "Sydney",
        ("DE", "02"): "Munich",
        ("DE", "13"): "Leipzig",
        ("GB", "SCT"): "Glasgow",
    }
    for (country, admin1), city in capitals.items():
        [entry] = [
            e for e in gaz.names[normalize(city)] if e.country == country and e.kind == "city"
        ]
        assert entry.admin1 == admin1
    # Every nickname resolves to a gazetteer place (building the index would fail otherwise).
    assert set(gaz.nicknames) == {normalize(k) for k in NICKNAMES}


def test_every_scenario_place_resolves_to_its_time_zones_country():
    # The scenario generator writes profile locations from these tables with the time zone of
    # each place: the resolved country must be the zone's country, junk must stay unknown.
    from infoscope.scenario.places import CITIES, COUNTRIES, JUNK_LOCATIONS

    countries = zone_country()
    for city in (*CITIES, *(c for cs in COUNTRIES.values() for c in cs)):
        place = resolve_location(city.location)
        assert place.country == countries[city.timezone], (city, place)
    for text in JUNK_LOCATIONS:
        assert not resolve_location(text).known, text
