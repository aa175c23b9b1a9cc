"""Free-text locations and coordinates to places, with the source, confidence and evidence.

`resolve_location` reads a profile location the way people write it: a city with its state or
country ("Paris, TX", "Москва, Россия", "London Ontario"), a region or country alone ("Texas",
"Deutschland", "РФ"), a nickname ("NYC", "Питер"), coordinates ("ÜT: 40.71,-74.00"), a flag
emoji, or nothing that names a place ("Earth", "🌍", "ur mom's house", a URL, a handle).

Method. The text is cleaned (URLs, e-mail addresses, @handles and IP addresses removed) and split
into parts on commas, slashes, "|", ";", brackets and spaced dashes; a part without separators
("Moscow Russia") is also split into a name and a qualifier when both sides are known. Each part
is looked up whole (after `normalize`) in the gazetteer (`infoscope.geo.gazetteer`): a word that
merely occurs inside a part never makes a place. Then, in this order:

1. a city with a qualifier that contains it ("City, ST", "City, State", "City, Country"):
   confidence 0.95 times the share of the consistent candidates' weight in the chosen country
   (a part that names both a region and one of its cities is the city only when the city has
   100,000 people or more: "New York, USA" is New York City, "Maryland, USA" the state);
2. a region with its country ("Texas, USA"): 0.9;
3. a part alone: every reading of it is weighed (a country or region named: 1; a city: its
   population in millions, at most 1, a quarter of that when it matched an alternate name; a
   single word that is only the name of towns under 15,000 people is not read as a place;
   "Southern California" and "Washington State" are read as the region) and the country
   with most weight wins, with confidence = its share of the weight times a cap for the kind of
   reading: nickname or country 0.9, region 0.85, city named alone 0.75. A city named alone
   never exceeds 0.75 because places the gazetteer lacks (smaller towns, districts) share the
   name: "Paris" is France at 0.72, "Paris, TX" is Texas at 0.95. "Georgia" alone is the
   country or the US state at equal weight, so 0.43, unless the stated time zone or language
   tips it: a reading whose time zones agree with the stated zone weighs 4 times more, one
   whose country speaks the account's language 3 times more (time zone and language only
   disambiguate; they never make a place on their own);
4. a region and a city are named only when they hold 2/3 of the chosen country's weight
   ("Springfield" is US, no state); another part naming a different country multiplies the
   confidence by 0.6.

Nothing found is `unknown` with source ``none`` and confidence 0: never a default guess. Every
`Place` keeps the evidence (the text or coordinates) and a short reason. Coordinates are
reverse-geocoded to the nearest gazetteer city (within 300 km), confidence 0.85 when written in
a profile; a flag emoji names its country at 0.6 (a flag states allegiance more often than
residence).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass, field, replace

from infoscope.geo.gazetteer import JUNK_WORDS, Entry, Gazetteer, load_gazetteer, normalize
from infoscope.geo.zones import iana_zone, zones_agree

__all__ = ["Place", "resolve_location", "reverse_geocode", "unknown"]

JUNK_KEYS = frozenset(normalize(w) for w in JUNK_WORDS)
UNKNOWN = "unknown"
SOURCES = ("geotag", "place", "profile", "none")

CAP_CITY_QUALIFIED = 0.95
CAP_REGION_QUALIFIED = 0.9
CAP_NICKNAME = 0.9
CAP_COUNTRY = 0.9
CAP_REGION = 0.85
CAP_CITY_ALONE = 0.75
CAP_COORDINATES = 0.85
CAP_FLAG = 0.6
CONFLICT_FACTOR = 0.6
TZ_FACTOR = 4.0
LANG_FACTOR = 3.0
ALTERNATE_FACTOR = 0.25
CITY_OVER_REGION_POPULATION = 100_000
MIN_BARE_CITY_POPULATION = 15_000
DETAIL_SHARE = 2 / 3
MAX_DISTANCE_KM = 300.0
MAX_PART_WORDS = 6


@dataclass(frozen=True)
class Place:
    """Where an account is, as far as the evidence says.

    `country` is an ISO 3166-1 alpha-2 code or ``"unknown"``; `region` the first-level division
    (the US state's name; a GeoNames admin1 code where the gazetteer has no name), `city` the
    gazetteer's name of the city; both None unless the evidence names them. `source` is
    ``geotag``, ``place``, ``profile`` or ``none``; `confidence` in [0, 1] is a judgement of
    how likely the country is right (>= 0.8 high, 0.5-0.8 medium, below 0.5 low); `evidence`
    the text or coordinates behind the place, `reason` how they were read, and `zones` the
    IANA time zones the place may be in (for the consistency checks).
    """

    country: str = UNKNOWN
    country_name: str | None = None
    region: str | None = None
    city: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    source: str = "none"
    confidence: float = 0.0
    evidence: str | None = None
    reason: str = ""
    zones: tuple[str, ...] = field(default=(), repr=False)

    @property
    def known(self) -> bool:
        return self.country != UNKNOWN


def unknown(evidence: str | None, reason: str) -> Place:
    """The place of an account that nothing locates."""
    return Place(evidence=evidence, reason=reason)


# -- cleaning and splitting ----------------------------------------------------------------------
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|info|ru|io|co|me|tv|ly|us|uk)"
    r"\b(?:/\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_HANDLE = re.compile(r"(?<!\w)@\w+")
_IP = re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b")
_COORDS = re.compile(r"(?<![\d.])(-?\d{1,2}\.\d{2,})\s*[,;]\s*(-?\d{1,3}\.\d{2,})(?![\d.])")
_SPLIT = re.compile(r"\s*(?:[,/|;•·\n\\()\[\]]|\s[-–—&+]\s|\s+and\s+|\s+и\s+)\s*", re.IGNORECASE)
_DIGITS = re.compile(r"\b\d+\b")
_PREFIXES = ("city of ", "greater ", "downtown ", "metro ", "the ")
_SUFFIXES = (" area", " metro area", " metro")
# Words around a region's name that keep it a region: "Southern California", "Washington State".
_DIRECTIONS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "upstate",
        "downstate",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "northeastern",
        "northwestern",
        "southeastern",
        "southwestern",
        "ne",
        "nw",
        "se",
        "sw",
        "mid",
        "coastal",
        "rural",
    ]
)
_REGION_PREFIXES = ("the great state of ", "great state of ", "the state of ", "state of ")
_REGION_SUFFIXES = (" state",)
_REGIONAL_A = 0x1F1E6


def _flags(text: str) -> list[str]:
    """ISO codes of the flag emoji in `text` (pairs of regional indicator symbols)."""
    codes, pending = [], None
    for ch in text:
        cp = ord(ch)
        if _REGIONAL_A <= cp <= _REGIONAL_A + 25:
            letter = chr(ord("A") + cp - _REGIONAL_A)
            if pending is None:
                pending = letter
            else:
                codes.append(pending + letter)
                pending = None
        else:
            pending = None
    return codes


@dataclass(frozen=True)
class _Part:
    text: str  # as written
    key: str  # normalised


def _symbols_split(text: str) -> str:
    """Symbols and emoji ("✈️", "☀️", "°") separate parts, like commas."""
    return "".join("|" if unicodedata.category(ch) in _SYMBOL_CATEGORIES else ch for ch in text)


_SYMBOL_CATEGORIES = frozenset({"So", "Sm", "Sk", "Cs", "Co"})


def _parts(text: str) -> list[_Part]:
    out = []
    for piece in _SPLIT.split(_symbols_split(text)):
        key = _DIGITS.sub(" ", normalize(piece)).strip()
        key = " ".join(key.split())
        if key:
            out.append(_Part(piece.strip(), key))
    return out


# -- readings of a part -------------------------------------------------------------------------
@dataclass(frozen=True)
class _Reading:
    entry: Entry
    how: str  # "name", "alternate", "nickname", "code"

    @property
    def weight(self) -> float:
        e = self.entry
        if e.kind != "city" or self.how == "nickname":
            return 1.0
        base = min(1.0, max(e.population, 1) / 1e6)
        return base * (ALTERNATE_FACTOR if self.how == "alternate" else 1.0)

    @property
    def cap(self) -> float:
        if self.how == "nickname":
            return CAP_NICKNAME
        return {"country": CAP_COUNTRY, "region": CAP_REGION}.get(self.entry.kind, CAP_CITY_ALONE)

    def contains(self, city: Entry) -> bool:
        e = self.entry
        if e.kind == "country":
            return city.country == e.country
        return e.kind == "region" and city.country == e.country and city.admin1 == e.admin1


def _variants(key: str) -> list[str]:
    out = [key]
    for prefix in _PREFIXES:
        if key.startswith(prefix):
            out.append(key[len(prefix) :])
    for suffix in _SUFFIXES:
        if key.endswith(suffix):
            out.append(key[: -len(suffix)])
    return [k for k in out if k]


def _region_readings(gaz: Gazetteer, key: str) -> list[_Reading]:
    """Regions named with a direction or "state" around them ("Northern Virginia")."""
    words = key.split()
    rests = [" ".join(words[1:])] if len(words) > 1 and words[0] in _DIRECTIONS else []
    rests += [key[len(p) :] for p in _REGION_PREFIXES if key.startswith(p)]
    rests += [key[: -len(s)] for s in _REGION_SUFFIXES if key.endswith(s)]
    for rest in rests:
        found = [_Reading(e, "name") for e in gaz.names.get(rest, ()) if e.kind == "region"]
        nick = gaz.nicknames.get(rest)
        if nick is not None and nick.kind != "city":
            found.append(_Reading(nick, "nickname"))
        if found:
            return found
    return []


def _head_readings(gaz: Gazetteer, part: _Part) -> list[_Reading]:
    """Readings of a part standing for a place on its own (the head of a location)."""
    found = _plain_head_readings(gaz, part)
    return found if found or part.key in JUNK_KEYS else _region_readings(gaz, part.key)


def _plain_head_readings(gaz: Gazetteer, part: _Part) -> list[_Reading]:
    for key in _variants(part.key):
        if key in JUNK_KEYS:
            return []
        if key in gaz.nicknames:
            return [_Reading(gaz.nicknames[key], "nickname")]
        found = [_Reading(e, "alternate" if alt else "name") for e, alt in gaz.lookup(key)]
        letters = part.text.replace(".", "").strip()
        if letters.isupper() and letters.isalpha() and 2 <= len(letters) <= 3:
            # A code alone counts only written in capitals ("NY", "NSW", "RUS"), never ISO2.
            found += [
                _Reading(e, "code")
                for e in gaz.codes.get(key, ())
                if e.kind == "region" or (e.kind == "country" and len(letters) == 3)
            ]
        if found:
            return found
    return []


def _qualifier_readings(gaz: Gazetteer, part: _Part) -> list[_Reading]:
    """Readings of a part as a qualifier of another: regions and countries, codes included."""
    for key in _variants(part.key):
        if key in JUNK_KEYS:
            return []
        found = [
            _Reading(e, "alternate" if alt else "name")
            for e, alt in gaz.lookup(key)
            if e.kind != "city"
        ]
        found += [_Reading(e, "code") for e in gaz.codes.get(key, ())]
        nick = gaz.nicknames.get(key)
        if nick is not None and nick.kind != "city":
            found.append(_Reading(nick, "nickname"))
        if found:
            return found
    return [] if part.key in JUNK_KEYS else _region_readings(gaz, part.key)


def _qualifier_chunks(gaz: Gazetteer, words: list[str]) -> list[_Part] | None:
    """`words` cut into qualifiers, longest first ("maryland usa": maryland, usa), or None."""
    chunks, i = [], 0
    while i < len(words):
        for j in range(len(words), i, -1):
            chunk = _Part(" ".join(words[i:j]), " ".join(words[i:j]))
            if _qualifier_readings(gaz, chunk):
                chunks.append(chunk)
                i = j
                break
        else:
            return None
    return chunks


def _split_words(gaz: Gazetteer, parts: list[_Part]) -> list[_Part]:
    """Split a part that names nothing whole into a name and a qualifier ("Moscow Russia")."""
    out: list[_Part] = []
    for part in parts:
        words = part.key.split()
        if len(words) < 2 or len(words) > MAX_PART_WORDS or _head_readings(gaz, part):
            out.append(part)
            continue
        raw_words = part.text.split()
        for k in range(len(words) - 1, 0, -1):
            # The raw words keep capitals ("NY"), unless punctuation changed the word count.
            raw = raw_words[:k] if len(raw_words) == len(words) else words[:k]
            left = _Part(" ".join(raw), " ".join(words[:k]))
            heads = [r for r in _head_readings(gaz, left) if r.entry.kind in ("city", "region")]
            chunks = _qualifier_chunks(gaz, words[k:]) if heads else None
            if chunks and any(
                q.contains(h.entry) for q in _qualifier_readings(gaz, chunks[0]) for h in heads
            ):
                out += [left, *chunks]
                break
        else:
            out.append(part)
    return out


# -- choosing -----------------------------------------------------------------------------------
def _factor(gaz: Gazetteer, entry: Entry, zone: str | None, lang: str | None) -> float:
    factor = 1.0
    if zone is not None and zones_agree(zone, gaz.zones_of(entry)):
        factor *= TZ_FACTOR
    country = gaz.countries.get(entry.country)
    if lang is not None and country is not None and lang in country.languages:
        factor *= LANG_FACTOR
    return factor


@dataclass
class _Choice:
    country: str
    share: float
    cap: float
    region_entry: Entry | None  # a region entry (or a city's region) when it is supported
    city: Entry | None
    readings: int
    countries: int
    tipped: bool  # the time zone or language changed the winner


def _choose(
    gaz: Gazetteer, readings: list[_Reading], zone: str | None, lang: str | None
) -> _Choice | None:
    if not readings:
        return None
    plain: dict[str, float] = {}
    weighted: dict[str, float] = {}
    weights = []
    for r in readings:
        w = r.weight
        f = _factor(gaz, r.entry, zone, lang)
        weights.append(w * f)
        plain[r.entry.country] = plain.get(r.entry.country, 0.0) + w
        weighted[r.entry.country] = weighted.get(r.entry.country, 0.0) + w * f
    total = sum(weighted.values())

    def rank(counts: dict[str, float]) -> str:
        pop = {r.entry.country: gaz.countries[r.entry.country].population for r in readings}
        return max(counts, key=lambda c: (round(counts[c], 9), pop.get(c, 0), c))

    best = rank(weighted)
    mine = [(r, w) for r, w in zip(readings, weights, strict=True) if r.entry.country == best]
    cap = max(mine, key=lambda rw: rw[1])[0].cap
    country_weight = weighted[best]
    by_region: dict[str, float] = {}
    for r, w in mine:
        if r.entry.admin1 is not None:
            by_region[r.entry.admin1] = by_region.get(r.entry.admin1, 0.0) + w
    region_entry = city = None
    if by_region:
        admin1 = max(by_region, key=lambda a: (by_region[a], a))
        if by_region[admin1] >= DETAIL_SHARE * country_weight:
            inside = [(r, w) for r, w in mine if r.entry.admin1 == admin1]
            named_region = [r for r, _ in inside if r.entry.kind == "region"]
            cities = [(r, w) for r, w in inside if r.entry.kind == "city"]
            region_entry = named_region[0].entry if named_region else cities[0][0].entry
            if not named_region and cities:
                top, tw = max(cities, key=lambda rw: rw[1])
                if tw >= DETAIL_SHARE * by_region[admin1]:
                    city = top.entry
    return _Choice(
        best,
        country_weight / total if total else 0.0,
        cap,
        region_entry,
        city,
        len(readings),
        len(weighted),
        tipped=rank(plain) != best,
    )


def _place(gaz: Gazetteer, choice: _Choice, confidence: float, evidence: str, reason: str) -> Place:
    country = gaz.countries.get(choice.country)
    region = None
    zones: tuple[str, ...]
    if choice.city is not None:
        zones = gaz.zones_of(choice.city)
    elif choice.region_entry is not None:
        zones = gaz.zones_of(Entry("region", choice.country, choice.region_entry.admin1, ""))
    else:
        zones = gaz.zones_of(Entry("country", choice.country, None, ""))
    if choice.region_entry is not None:
        region = gaz.region_name(choice.country, choice.region_entry.admin1)
    city = choice.city
    return Place(
        country=choice.country,
        country_name=country.name if country else None,
        region=region,
        city=city.name if city else None,
        latitude=city.latitude if city else None,
        longitude=city.longitude if city else None,
        source="profile",
        confidence=round(confidence, 4),
        evidence=evidence,
        reason=reason,
        zones=zones,
    )


def _describe(gaz: Gazetteer, choice: _Choice) -> str:
    name = gaz.countries[choice.country].name if choice.country in gaz.countries else "?"
    readings = f"{choice.readings} reading{'s' if choice.readings > 1 else ''}"
    bits = [f"{name} holds {choice.share:.0%} of {readings}"]
    if choice.countries > 1:
        bits.append(f"in {choice.countries} countries")
    if choice.tipped:
        bits.append("tipped by the time zone or language")
    return ", ".join(bits)


# -- the resolver -------------------------------------------------------------------------------
def reverse_geocode(
    latitude: float, longitude: float, *, source: str = "geotag", confidence: float = 0.9
) -> Place:
    """The nearest gazetteer city to a point (within 300 km), as a place from `source`."""
    evidence = f"{latitude:.5f},{longitude:.5f}"
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180) or (latitude, longitude) == (0, 0):
        return unknown(evidence, "coordinates out of range (or 0,0)")
    gaz = load_gazetteer()
    [city], km = gaz.nearest([latitude], [longitude])
    if km[0] > MAX_DISTANCE_KM:
        return unknown(evidence, f"{km[0]:.0f} km from the nearest gazetteer place")
    country = gaz.countries.get(city.country)
    return Place(
        country=city.country,
        country_name=country.name if country else None,
        region=gaz.region_name(city.country, city.admin1),
        city=city.name,
        latitude=latitude,
        longitude=longitude,
        source=source,
        confidence=confidence,
        evidence=evidence,
        reason=f"{km[0]:.0f} km from {city.name}",
        zones=gaz.zones_of(city),
    )


def resolve_location(
    text: str | None, *, lang: str | None = None, time_zone: str | None = None
) -> Place:
    """The place a free-text location names (see the module docstring for the method).

    `lang` (ISO 639, e.g. the account's main language) and `time_zone` (IANA or Twitter's
    Rails names such as "Eastern Time (US & Canada)") only break ties between readings.

    >>> resolve_location("Paris, TX").region, resolve_location("Earth").country
    ('Texas', 'unknown')
    """
    lang = lang.split("-")[0].lower() if lang and lang.lower() not in ("und", "zxx") else None
    return _resolve(text, lang, time_zone)


@functools.lru_cache(maxsize=200_000)
def _resolve(text: str | None, lang: str | None, time_zone: str | None) -> Place:
    if text is None or not text.strip():
        return unknown(None, "no location")
    evidence = text.strip()
    gaz = load_gazetteer()
    zone = iana_zone(time_zone)

    coords = _COORDS.search(evidence)
    if coords:
        place = reverse_geocode(
            float(coords.group(1)),
            float(coords.group(2)),
            source="profile",
            confidence=CAP_COORDINATES,
        )
        if place.known:
            return replace(place, evidence=evidence, reason=f"coordinates: {place.reason}")

    cleaned = _HANDLE.sub(" ", _EMAIL.sub(" ", _IP.sub(" ", _URL.sub(" ", evidence))))
    parts = _split_words(gaz, _parts(cleaned))
    if not parts:
        flags = [f for f in _flags(evidence) if f in gaz.countries]
        if flags:
            choice = _Choice(flags[0], 1.0, CAP_FLAG, None, None, 1, 1, False)
            conflict = len(set(flags)) > 1
            conf = CAP_FLAG * (CONFLICT_FACTOR if conflict else 1.0)
            return _place(gaz, choice, conf, evidence, "flag emoji")
        if cleaned.strip() != evidence and not normalize(cleaned):
            return unknown(evidence, "a URL, handle or address, not a place")
        return unknown(evidence, "no place name")
    if all(p.key in JUNK_KEYS for p in parts):
        return unknown(evidence, f"not a place: {parts[0].text!r}")

    result = _qualified(gaz, parts, zone, lang, evidence) or _alone(
        gaz, parts, zone, lang, evidence
    )
    if result is None:
        return unknown(evidence, "no gazetteer match for any part")
    place, used = result

    # Other parts naming another country make the place doubtful; another region, vaguer.
    others = []
    for i, part in enumerate(parts):
        if i in used:
            continue
        other = _choose(gaz, _bare(gaz, part), zone, lang)
        if other is not None:
            others.append((part, other))
    foreign = [(p, c) for p, c in others if c.country != place.country]
    if foreign:
        names = ", ".join(f"{p.text} ({c.country})" for p, c in foreign)
        place = replace(
            place,
            confidence=round(place.confidence * CONFLICT_FACTOR, 4),
            reason=f"{place.reason}; also names {names}",
        )
    elif any(
        c.region_entry is not None
        and place.region is not None
        and gaz.region_name(c.country, c.region_entry.admin1) != place.region
        for _, c in others
    ):
        place = replace(
            place,
            region=None,
            city=None,
            latitude=None,
            longitude=None,
            zones=gaz.zones_of(Entry("country", place.country, None, "")),
            reason=f"{place.reason}; other parts name other regions",
        )
    return place


def _alone(
    gaz: Gazetteer, parts: list[_Part], zone: str | None, lang: str | None, evidence: str
) -> tuple[Place, set[int]] | None:
    """The first part that names a place on its own."""
    for i, part in enumerate(parts):
        readings = _bare(gaz, part)
        choice = _choose(gaz, readings, zone, lang)
        if choice is not None:
            nickname = readings[0].entry.name if readings[0].how == "nickname" else None
            reason = f"{part.text!r} alone: " + (
                f"nickname of {nickname}" if nickname else _describe(gaz, choice)
            )
            return _place(gaz, choice, choice.cap * choice.share, evidence, reason), {i}
    return None


def _bare(gaz: Gazetteer, part: _Part) -> list[_Reading]:
    """A part's readings on its own: a single word is not a town under 15,000 people."""
    readings = _head_readings(gaz, part)
    if " " not in part.key:
        readings = [
            r
            for r in readings
            if r.entry.kind != "city"
            or r.how == "nickname"
            or r.entry.population >= MIN_BARE_CITY_POPULATION
        ]
    return readings


def _qualified(
    gaz: Gazetteer, parts: list[_Part], zone: str | None, lang: str | None, evidence: str
) -> tuple[Place, set[int]] | None:
    """A city (or a region) with other parts that contain it: "Paris, TX", "Texas, USA"."""
    if len(parts) < 2:
        return None
    quals = [_qualifier_readings(gaz, p) for p in parts]
    for i, part in enumerate(parts):
        heads = [r for r in _head_readings(gaz, part) if r.entry.kind in ("city", "region")]
        if not heads:
            continue
        used = {i}
        for j, q in enumerate(quals):
            if j == i or not q:
                continue
            narrowed = [h for h in heads if any(x.contains(h.entry) for x in q)]
            if narrowed:
                heads, used = narrowed, used | {j}
        if len(used) == 1:
            continue
        # A part naming both a region and a city of it ("New York", "Maryland") is the city
        # only when the city is large (New York City, not Maryland City).
        cities = [h for h in heads if h.entry.kind == "city"]
        regions = [h for h in heads if h.entry.kind == "region"]
        if cities and (
            not regions or max(c.entry.population for c in cities) >= CITY_OVER_REGION_POPULATION
        ):
            heads, cap = cities, CAP_CITY_QUALIFIED
        else:
            heads, cap = regions, CAP_REGION_QUALIFIED
        choice = _choose(gaz, heads, zone, lang)
        assert choice is not None
        named = " + ".join(parts[k].text for k in sorted(used))
        reason = f"{named} agree"
        if choice.share < 1:
            reason += f"; {_describe(gaz, choice)}"
        return _place(gaz, choice, cap * choice.share, evidence, reason), used
    return None
