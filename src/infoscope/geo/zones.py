"""Time zones as accounts state them, and whether a place's time zones agree with them.

Twitter's API v1.1 (until 2018) gave each account the ``time_zone`` its owner picked from a
list of Ruby on Rails names ("Eastern Time (US & Canada)", "Volgograd", "Quito"); some sources
hold IANA names ("America/New_York"). `iana_zone` maps either to an IANA name: the irregular
Rails names through `RAILS_ZONES` (the Rails ``ActiveSupport::TimeZone`` mapping, for names
that are not the last part of their IANA zone), the others by that last part ("Volgograd" is
``Europe/Volgograd``), and anything else to None.

People picked a zone by its UTC offset, often the first one in the list with the right offset
(many US accounts show "Quito", five hours behind UTC like US Eastern in winter), so a zone is
compared by offset, not by name: `zones_agree` holds when some zone of each side is within an
hour of the other in both January and July (standard and summer time) of a reference year.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

__all__ = ["iana_zone", "zone_country", "zone_offsets", "zones_agree"]

# Rails time zone names whose IANA zone does not end with the name itself.
RAILS_ZONES: dict[str, str] = {
    "International Date Line West": "Etc/GMT+12",
    "Midway Island": "Pacific/Midway",
    "American Samoa": "Pacific/Pago_Pago",
    "Hawaii": "Pacific/Honolulu",
    "Alaska": "America/Juneau",
    "Pacific Time (US & Canada)": "America/Los_Angeles",
    "Mountain Time (US & Canada)": "America/Denver",
    "Central Time (US & Canada)": "America/Chicago",
    "Eastern Time (US & Canada)": "America/New_York",
    "Indiana (East)": "America/Indiana/Indianapolis",
    "Arizona": "America/Phoenix",
    "Saskatchewan": "America/Regina",
    "Central America": "America/Guatemala",
    "Guadalajara": "America/Mexico_City",
    "Atlantic Time (Canada)": "America/Halifax",
    "Newfoundland": "America/St_Johns",
    "Quito": "America/Guayaquil",
    "Brasilia": "America/Sao_Paulo",
    "Georgetown": "America/Guyana",
    "Greenland": "America/Nuuk",
    "Mid-Atlantic": "Atlantic/South_Georgia",
    "Cape Verde Is.": "Atlantic/Cape_Verde",
    "Edinburgh": "Europe/London",
    "UTC": "Etc/UTC",
    "Bern": "Europe/Zurich",
    "West Central Africa": "Africa/Algiers",
    "Pretoria": "Africa/Johannesburg",
    "Kyiv": "Europe/Kyiv",
    "Kyev": "Europe/Kyiv",
    "St. Petersburg": "Europe/Moscow",
    "Abu Dhabi": "Asia/Muscat",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "Islamabad": "Asia/Karachi",
    "Chennai": "Asia/Kolkata",
    "Mumbai": "Asia/Kolkata",
    "New Delhi": "Asia/Kolkata",
    "Astana": "Asia/Almaty",
    "Sri Jayawardenepura": "Asia/Colombo",
    "Hanoi": "Asia/Bangkok",
    "Beijing": "Asia/Shanghai",
    "Osaka": "Asia/Tokyo",
    "Sapporo": "Asia/Tokyo",
    "Canberra": "Australia/Sydney",
    "Solomon Is.": "Pacific/Guadalcanal",
    "New Caledonia": "Pacific/Noumea",
    "Marshall Is.": "Pacific/Majuro",
    "Wellington": "Pacific/Auckland",
    "Chatham Is.": "Pacific/Chatham",
    "Nuku'alofa": "Pacific/Tongatapu",
    "Tokelau Is.": "Pacific/Fakaofo",
    "Samoa": "Pacific/Apia",
    "Rangoon": "Asia/Yangon",
}

# Offsets are read in the middle of winter and of summer of this year.
REFERENCE_YEAR = 2016
TOLERANCE_HOURS = 1.0


@functools.cache
def _by_last_part() -> dict[str, str]:
    import pytz

    out: dict[str, str] = {}
    for zone in [*pytz.common_timezones, *pytz.all_timezones]:  # common zones first
        last = zone.rsplit("/", 1)[-1].replace("_", " ").casefold()
        out.setdefault(last, zone)
    return out


@functools.lru_cache(maxsize=4096)
def iana_zone(name: str | None) -> str | None:
    """The IANA zone of a stated time zone (IANA or Rails name), or None when unknown.

    >>> iana_zone("Eastern Time (US & Canada)"), iana_zone("Volgograd"), iana_zone("Mars")
    ('America/New_York', 'Europe/Volgograd', None)
    """
    import pytz

    if not name or not name.strip():
        return None
    name = name.strip()
    if name in RAILS_ZONES:
        return RAILS_ZONES[name]
    if name in pytz.all_timezones_set:
        return name
    return _by_last_part().get(name.replace("_", " ").casefold())


@functools.lru_cache(maxsize=4096)
def zone_offsets(zone: str) -> tuple[float, float] | None:
    """The zone's UTC offset in hours in mid-January and mid-July of the reference year."""
    import pytz

    try:
        tz = pytz.timezone(zone)
    except pytz.UnknownTimeZoneError:
        return None
    out = []
    for month in (1, 7):
        offset = tz.utcoffset(datetime(REFERENCE_YEAR, month, 15, 12))
        out.append(offset.total_seconds() / 3600 if offset is not None else 0.0)
    return out[0], out[1]


def zones_agree(
    stated: str, place_zones: Iterable[str], *, tolerance: float = TOLERANCE_HOURS
) -> bool | None:
    """Whether a stated zone is within `tolerance` hours of one of a place's zones.

    None when it cannot be told (an unknown zone, or a place without zones).
    """
    mine = zone_offsets(stated)
    theirs = [o for z in place_zones if (o := zone_offsets(z)) is not None]
    if mine is None or not theirs:
        return None
    return any(
        abs(mine[0] - o[0]) <= tolerance and abs(mine[1] - o[1]) <= tolerance for o in theirs
    )


@functools.cache
def zone_country() -> dict[str, str]:
    """The country of each IANA zone that pytz assigns to exactly one country."""
    import pytz

    seen: dict[str, set[str]] = {}
    for country, zones in pytz.country_timezones.items():
        for zone in zones:
            seen.setdefault(zone, set()).add(country)
    return {zone: next(iter(cs)) for zone, cs in seen.items() if len(cs) == 1}
