"""Metadata written in a page's text: bylines, dates, the outlet, a saved page's header.

- **Dates** (`find_date`, `date_only`): ISO 8601 (``2014-10-24``, ``2014-10-24T09:30:00+02:00``),
  day-month-year (``24 Feb 2022``, ``24 February 2022``, ``24.02.2022``) and month-day-year
  (``Feb 24, 2022``, ``October 24, 2014``, ``Oct. 24 2014``), with an optional weekday before.
  A time is kept only with an explicit offset (``+02:00``, ``Z``, ``GMT``, ``UTC``): a time
  without a zone is not a time we know, so the date is midnight UTC. Slashed dates
  (``10/11/2014``) are ambiguous between the US and most other places and are not read.
  Layouts given with ``--date-format`` (`infoscope.ingest.dates.reading_dates`) are tried
  first, in order, on every run of words as long as the layout, so ``Posted 24/02/2022 11:35``
  is read with ``--date-format '%d/%m/%Y %H:%M'`` (a time without a zone is then taken as UTC,
  as in every other format).
- **Bylines** (`parse_byline`): ``By Niko Vorobyov``, ``By Anna Kivi, Reuters``, ``Posted by:
  Misha Glenny October 24, 2014``, ``Posted by b on November 29, 2018 at 10:23 AM``,
  ``Published On 24 Feb 2022``, ``Updated: ...``, ``Author: ...``, ``October 23, 2014 / Tomas
  Reyes``. A name is one to five capitalised words (particles such as ``de``, ``van``, ``al``
  allowed); "By the way, ..." is not a byline. Each returns the author, the date and whether
  the date is the publication date (``Updated`` is not).
- **Outlet** (`outlet_from_line`): the holder of a copyright line with a year (``© 2022
  Meridian News Network``, ``©2018 Los Angeles Times, Distributed by ...``) or the outlet named
  by an opinion disclaimer (``... do not necessarily reflect Meridian's editorial stance``);
  `split_title_outlet` reads a title written ``Headline – Outlet`` or ``Headline | Outlet``.
- **Saved page header** (`header_url`): a first line ``URL: https://...``, ``Source: ...`` or
  ``Saved from: ...`` in a text dump, or the ``<!-- saved from url=(0052)https://... -->``
  comment that browsers write at the top of a saved HTML page.

Unknown stays unknown: each function returns None rather than a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from infoscope.ingest.dates import layouts_in_text, parse_with_layouts

__all__ = [
    "Byline",
    "date_only",
    "find_date",
    "header_url",
    "outlet_from_line",
    "parse_byline",
    "split_title_outlet",
    "trailing_date",
]

_MONTHS = {
    "jan": 1, "january": 1, "feb": 2, "february": 2, "mar": 3, "march": 3, "apr": 4,
    "april": 4, "may": 5, "jun": 6, "june": 6, "jul": 7, "july": 7, "aug": 8, "august": 8,
    "sep": 9, "sept": 9, "september": 9, "oct": 10, "october": 10, "nov": 11, "november": 11,
    "dec": 12, "december": 12,
}  # fmt: skip
_MONTH = r"(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_TIME = (
    r"(?:(?:,|\s+at|\s*[-–|·])?\s*(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?::(?P<s>\d{2}))?"
    r"\s*(?P<ampm>[ap]\.?m\.?)?\s*(?P<tz>(?:gmt|utc)(?:[+-]\d{1,2}(?::?\d{2})?)?|z|[+-]\d{2}:?\d{2})?)?"
)
_DATE_PATTERNS = tuple(
    re.compile(p, re.I)
    for p in (
        # ISO 8601
        r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[t ](?P<h>\d{2}):(?P<mi>\d{2})"
        r"(?::(?P<s>\d{2})(?:\.\d+)?)?(?P<tz>z|[+-]\d{2}:?\d{2})?)?\b",
        # 24 Feb 2022, Friday 24 February 2022, 24. Februar is not English: left out
        rf"\b{_WEEKDAY}(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s+(?P<y>\d{{4}})\b{_TIME}",
        # Feb 24, 2022, Friday, October 24, 2014
        rf"\b{_WEEKDAY}{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>\d{{4}})\b{_TIME}",
        # 24.02.2022
        r"\b(?P<d>\d{1,2})\.(?P<m>\d{1,2})\.(?P<y>\d{4})\b",
    )
)
_MONTH_YEAR = re.compile(rf"^{_MONTH}\s+\d{{4}}$", re.I)
_NOT_NAME = (
    r"(?!(?i:published|posted|updated|modified|on|at|in|via|for|from|the|and|staff|"
    r"special|correspondent|reporter|editor)\b)"
)
_NAME_WORD = (
    rf"(?:{_NOT_NAME}[A-ZÀ-ÖØ-Þ][\w'’.\-]*|(?:de|da|di|del|van|von|der|den|la|le|bin|ibn|al|el)\b)"
)
_NAME = rf"{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,4}}"
_NAMES = rf"(?P<name>{_NAME}(?:\s*(?:,|and|&)\s*{_NAME})*)"
_BY = re.compile(
    rf"^(?:written by|words by|story by|reporting by|text by|by)\s+{_NAMES}"
    r"(?P<rest>(?:\s*(?:,|\||-|–|—|·|•|on)\s*.*|\s+\d.*|\s+(?:published|posted|updated)\b.*)?)$",
    re.I,
)
_BY_CASE = re.compile(rf"^\S+(?:\s+by)?\s+{_NAMES}")  # the name, case-sensitively
_POSTED_BY = re.compile(
    r"^(?:posted|published|written)\s+by:?\s+(?P<name>.+?)"
    r"(?:\s+(?:on|at|in)\s+|\s*[,|·•–—-]\s*|\s+(?=[A-Za-z]{3,9}\.?\s+\d)|\s+(?=\d)|$)"
    r"(?P<rest>.*)$",
    re.I,
)
_PUBLISHED = re.compile(
    r"^(?P<what>published|posted|first published|updated|last updated|last modified|"
    r"modified|date)(?:\s+(?:on|at))?\s*:?\s*(?P<rest>.+)$",
    re.I,
)
_AUTHOR = re.compile(rf"^(?:author|authors|by|written by)\s*:\s*{_NAMES}\s*$", re.I)
_DATE_NAME = re.compile(rf"^(?P<date>.+?)\s*[/|·•–—-]\s*{_NAMES}\s*$")
_NAME_DATE = re.compile(rf"^{_NAMES}\s*[/|·•,–—-]\s*(?P<date>.+)$")
_COPYRIGHT = re.compile(
    r"^(?:copyright\s*)?(?:©|\(c\)|copyright)\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?)\s*,?\s*"
    r"(?P<name>[^.,|;©]{2,60}?)\s*(?:[.,|;]|\ball rights reserved\b|$)",
    re.I,
)
_LEGAL = re.compile(
    r"\s*,?\s*\b(?:ltd|limited|inc|llc|plc|gmbh|s\.?a|corp(?:oration)?|co)\.?$", re.I
)
_DISCLAIMER = re.compile(
    r"\bnot necessarily reflect (?:the (?:views|position|editorial (?:stance|policy)) of )?"
    r"(?P<name>[^.]{2,60}?)(?:['’]s?)?(?: editorial (?:stance|policy|position))?\.?$",
    re.I,
)
# The last separator splits: "A - B - Outlet" is the headline "A - B" of "Outlet".
_TITLE_OUTLET = re.compile(r"^(?P<title>.{8,})\s+(?:[–—|]|-{1,2}|::)\s+(?P<outlet>[^–—|:]{2,40})$")
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "if",
        "in",
        "into",
        "nor",
        "of",
        "on",
        "or",
        "so",
        "the",
        "then",
        "to",
        "with",
    ]
)
_HEADER_URL = re.compile(
    r"^(?:url|source|saved from|link|address|from)\s*:\s*(?P<url>https?://\S+)\s*$", re.I
)
_SAVED_FROM = re.compile(r"<!--\s*saved from url=\(\d+\)(?P<url>https?://[^\s>]+)\s*-->", re.I)
_SINGLEFILE = re.compile(r"<!--.{0,200}?\burl:\s*(?P<url>https?://\S+)", re.I | re.S)


@dataclass(frozen=True)
class Byline:
    """What a byline or dateline says: the `author`, the `date`, whether that date is the
    publication date (`published`: False for "Updated ..."), and the `cue` that matched."""

    author: str | None
    date: datetime | None
    published: bool
    cue: str


def _zone(value: str | None) -> timezone | None:
    """The zone of ``Z``, ``GMT``, ``UTC``, ``+02:00``, ``+0200`` or ``GMT+2``; None without."""
    if value is None:
        return None
    value = value.lower().removeprefix("gmt").removeprefix("utc")
    if value in ("", "z"):
        return UTC
    sign = -1 if value.startswith("-") else 1
    hours, _, minutes = value[1:].partition(":")
    if not minutes and len(hours) == 4:
        hours, minutes = hours[:2], hours[2:]
    return timezone(sign * timedelta(hours=int(hours), minutes=int(minutes or 0)))


def _from_match(m: re.Match[str]) -> datetime | None:
    groups = m.groupdict()
    month = _MONTHS.get((groups.get("mon") or "").lower().rstrip(".")) or int(groups.get("m") or 0)
    try:
        day = datetime(int(groups["y"]), month, int(groups["d"]))
    except (TypeError, ValueError):
        return None
    if not 1900 <= day.year <= 2100:
        return None
    zone = _zone(groups.get("tz"))
    if groups.get("h") is None or zone is None:
        return day.replace(tzinfo=UTC)
    hour = int(groups["h"])
    ampm = (groups.get("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        moment = day.replace(hour=hour, minute=int(groups["mi"]), second=int(groups.get("s") or 0))
    except ValueError:
        return day.replace(tzinfo=UTC)
    return moment.replace(tzinfo=zone).astimezone(UTC)


_WORD = re.compile(r"\S+")
_EDGE = " ,;|·•-–—/()[]"


@dataclass(frozen=True, slots=True)
class _Found:
    """Where a date read with a layout lies in its text (the part of `re.Match` used here)."""

    begin: int
    stop: int

    def start(self) -> int:
        return self.begin

    def end(self) -> int:
        return self.stop


def _layout_date(text: str) -> tuple[datetime, _Found] | None:
    """The first run of words that a --date-format layout reads, earliest in `text`."""
    words = list(_WORD.finditer(text))
    best: tuple[datetime, _Found] | None = None
    for layout, n in layouts_in_text():
        for i in range(len(words) - n + 1):
            if best is not None and words[i].start() >= best[1].begin:
                break
            begin, stop = words[i].start(), words[i + n - 1].end()
            piece = text[begin:stop].strip(_EDGE)
            if not piece:
                continue
            parsed = parse_with_layouts(piece, (layout,))
            if parsed is None:
                piece = piece.rstrip(".")
                parsed = parse_with_layouts(piece, (layout,)) if piece else None
            if parsed is not None:
                begin = text.index(piece, begin)
                when = parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
                best = (when.astimezone(UTC), _Found(begin, begin + len(piece)))
                break
    return best


def _first_date(text: str) -> tuple[datetime, re.Match[str] | _Found] | None:
    if layouts_in_text():
        found = _layout_date(text)
        if found is not None:
            return found
    best: tuple[datetime, re.Match[str]] | None = None
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            when = _from_match(m)
            if when is not None and (best is None or m.start() < best[1].start()):
                best = (when, m)
            if when is not None:
                break
    return best


def find_date(text: str) -> datetime | None:
    """The first date written in `text` (see the module docstring), as aware UTC; or None."""
    found = _first_date(text)
    return found[0] if found else None


def trailing_date(text: str) -> tuple[str, datetime] | None:
    """``(what comes before, date)`` when `text` ends with a date, else None."""
    found = _first_date(text)
    if found is None:
        return None
    when, m = found
    if text[m.end() :].strip(" ,|·•-–—/()[]"):
        return None
    return text[: m.start()].strip(" ,|·•-–—/("), when


def date_only(text: str) -> bool:
    """Whether `text` is nothing but a date (with weekday and time), or a month and year
    (``October 2014``: an archive link)."""
    stripped = text.strip().strip("|·•-–—,").strip()
    if _MONTH_YEAR.match(stripped):
        return True
    found = _first_date(stripped)
    if found is None:
        return False
    _, m = found
    rest = (stripped[: m.start()] + stripped[m.end() :]).strip(" ,|·•-–—/()[]").lower()
    return not rest or rest in ("updated", "published", "posted")


def _clean_name(name: str) -> str | None:
    name = re.sub(r"\s+", " ", name).strip(" ,;:|·•-–—")
    if not name or len(name) > 80 or name.count(" ") > 12:
        return None
    return name


def _persons(names: str) -> str | None:
    """The persons of a byline's names: parts of two words or more ("By Anna Kivi, Reuters"
    names Anna Kivi; a one-word part is an agency or a place)."""
    parts = [p for p in re.split(r"\s*(?:,|\band\b|&)\s*", names.strip()) if p]
    persons = [p for p in parts if len(p.split()) >= 2]
    if not persons:
        return None
    if len(persons) == len(parts):
        return _clean_name(names)
    return ", ".join(persons)


def _split_name_date(rest: str) -> tuple[str | None, datetime | None]:
    found = _first_date(rest)
    if found is None:
        return _clean_name(rest), None
    when, m = found
    return _clean_name(rest[: m.start()]), when


def parse_byline(text: str) -> Byline | None:
    """The author and date a byline or dateline line states, or None when `text` is not one."""
    line = re.sub(r"\s+", " ", text).strip()
    if not line or len(line) > 160:
        return None
    m = _POSTED_BY.match(line)
    if m is not None:
        name, when = _split_name_date(m.group("name") + " " + m.group("rest"))
        if name is not None and len(name.split()) <= 5:
            return Byline(name, when, True, "posted by")
    m = _AUTHOR.match(line)
    if m is not None:
        return Byline(_clean_name(m.group("name")), None, True, "author")
    m = _BY.match(line)
    if m is not None:
        named = _BY_CASE.match(line)
        rest = m.group("rest") or ""
        if named is not None and len(line.split()) <= 16:
            when = find_date(rest)
            extra = rest
            if when is not None:
                found = _first_date(rest)
                assert found is not None
                extra = rest[: found[1].start()] + rest[found[1].end() :]
            # After the name: an outlet, a role or a date, not a sentence.
            if len(extra.split()) <= 8 and not extra.rstrip().endswith((".", "!", "?")):
                return Byline(_persons(named.group("name")), when, True, "by")
    m = _PUBLISHED.match(line)
    if m is not None:
        when = find_date(m.group("rest"))
        if when is not None and len(line.split()) <= 14:
            what = m.group("what").lower()
            return Byline(None, when, "updat" not in what and "modif" not in what, what)
    if date_only(line):
        return Byline(None, find_date(line), True, "date")
    for pattern in (_DATE_NAME, _NAME_DATE):
        m = pattern.match(line)
        if m is not None and date_only(m.group("date")) and len(line.split()) <= 10:
            # "October 23, 2014 / Tomas Reyes" names an author; "Riga, 23 October 2014" a place.
            return Byline(_persons(m.group("name")), find_date(m.group("date")), True, "dateline")
    return None


def outlet_from_line(text: str) -> str | None:
    """The outlet a copyright line (with a year) or an opinion disclaimer names, or None."""
    line = re.sub(r"\s+", " ", text).strip()
    m = _COPYRIGHT.match(line)
    if m is not None:
        name = _LEGAL.sub("", m.group("name")).strip(" -–")
        if name and not name[0].isdigit() and len(name.split()) <= 6:
            return name
    m = _DISCLAIMER.search(line)
    if m is not None:
        name = m.group("name").strip()
        if name and name[0].isupper() and len(name.split()) <= 6:
            return name
    return None


def split_title_outlet(text: str) -> tuple[str, str] | None:
    """``("Headline", "Outlet")`` for a title written ``Headline – Outlet`` (or with ``|``,
    ``—``, `` - ``; the last one), when the part after it is short, not a sentence and has no
    colon; else None."""
    line = re.sub(r"\s+", " ", text).strip()
    m = _TITLE_OUTLET.match(line)
    if m is None:
        return None
    outlet = m.group("outlet").strip()
    if len(outlet.split()) > 5 or outlet.endswith((".", "?", "!")) or not outlet[:1].isalnum():
        return None
    if outlet.split()[0] in _FUNCTION_WORDS:  # "War, peace - and everything"
        return None
    return m.group("title").strip(), outlet


def header_url(text: str) -> str | None:
    """The page's URL from a saved page's header: a ``URL: ...`` first line in a text dump, or a
    browser's ``saved from url=`` (or SingleFile's ``url:``) comment in HTML; else None."""
    head = text[:2000]
    for pattern in (_SAVED_FROM, _SINGLEFILE):
        m = pattern.search(head)
        if m is not None:
            return m.group("url")
    for line in head.splitlines()[:3]:
        m = _HEADER_URL.match(line.strip())
        if m is not None:
            return m.group("url")
    return None
