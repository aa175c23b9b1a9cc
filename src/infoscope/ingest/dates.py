"""Date layouts: those given with ``--date-format``, or detected per column from its values.

Every format reads its date column with the strptime layouts of ``--date-format`` when given
(several may be, tried in order), else with its own. A column of numeric dates such as
``24-02-2015 11:35`` or ``8/7/15 9:54`` is ambiguous on its own (day or month first); its
layout is decided from a sample of the column's values (`detect_date_layouts`):

- a first field over 12 in some value (``24-02-2015``) means day-first, a second field over 12
  (``02/24/2015``) month-first; the value that decided it is kept as evidence and the ingest
  summary says which was chosen;
- when no field is over 12 the format's own convention decides (month-first for the US
  datasets), and the summary says the order was assumed;
- values that contradict each other (some day-first, some month-first) give no layout: the
  format's own layouts apply and rows that do not parse are quarantined with the value and
  the fix (`unparseable_date_reason`).

Detection reads the values' shape with one regular expression; it never tries a parser and
catches its failure.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

__all__ = [
    "DATE_FIX",
    "DateDetection",
    "as_layouts",
    "detect_date_layouts",
    "layouts_in_text",
    "parse_date",
    "parse_with_layouts",
    "reading_dates",
    "unparseable_date_reason",
]

Order = Literal["day-first", "month-first"]

DATE_FIX = (
    "fix: pass --date-format with the column's strptime layout, e.g. --date-format "
    "'%d-%m-%Y %H:%M' (repeat it to try several in order)"
)

# 24-02-2015 11:35 | 8/7/15 9:54 | 07.08.2015 09:54:10 | 2/24/2015T11:35
_NUMERIC_DATE = re.compile(
    r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:([ T])(\d{1,2}):(\d{2})(:\d{2})?)?"
)
SAMPLE_SIZE = 2000


def as_layouts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """``--date-format`` values as a tuple of layouts (one string, several, or none)."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value else ()
    return tuple(v for v in value if v)


def unparseable_date_reason(raw: str | None) -> str:
    """The quarantine reason of a record whose date does not parse: the value and the fix."""
    return f"unparseable date: {raw if raw not in (None, '') else '(empty)'}; {DATE_FIX}"


@dataclass(frozen=True)
class DateDetection:
    """The layouts decided for one date column, and why."""

    layouts: tuple[str, ...]
    order: Order
    assumed: bool  # no value told day from month: the format's convention was used
    evidence: str | None  # a value that decided the order

    def describe(self) -> str:
        if self.assumed:
            why = "assumed (no day or month over 12 in the values; pass --date-format if wrong)"
        else:
            why = f"from values such as {self.evidence!r}"
        return f"{self.order}, {self.layouts[0]!r}, {why}"


def detect_date_layouts(
    values: Iterable[str | None], *, default_order: Order = "month-first"
) -> DateDetection | None:
    """The layouts of a column of numeric day/month dates, or None when the values are not
    all of that shape or contradict each other (see the module docstring)."""
    first_big = second_big = None
    seps: set[str] = set()
    years: set[int] = set()
    times: set[str] = set()
    seen = 0
    for value in values:
        if value is None or not value.strip():
            continue
        match = _NUMERIC_DATE.fullmatch(value.strip())
        if match is None:
            return None
        seen += 1
        a, sep, b, year, tsep, _hour, _minute, seconds = match.groups()
        seps.add(sep)
        years.add(len(year))
        times.add("" if tsep is None else f"{tsep}%H:%M" + (":%S" if seconds else ""))
        if int(a) > 12 and first_big is None:
            first_big = value.strip()
        if int(b) > 12 and second_big is None:
            second_big = value.strip()
        if seen >= SAMPLE_SIZE:
            break
    if not seen or len(seps) > 1 or (first_big and second_big):
        return None
    if first_big:
        order: Order = "day-first"
    elif second_big:
        order = "month-first"
    else:
        order = default_order
    sep = seps.pop()
    day_month = f"%d{sep}%m" if order == "day-first" else f"%m{sep}%d"
    # Two-digit years first: '%Y' would read '15' as the year 15.
    year_codes = [code for width, code in ((2, "%y"), (4, "%Y")) if width in years]
    # Longer time layouts first, so that seconds are never left unread.
    time_codes = sorted(times, key=len, reverse=True)
    layouts = tuple(f"{day_month}{sep}{y}{t}" for y in year_codes for t in time_codes)
    return DateDetection(
        layouts, order, assumed=not (first_big or second_big), evidence=first_big or second_big
    )


# The --date-format layouts of the source being read, with the number of words each writes,
# for dates written in running text (bylines, datelines, teasers: `infoscope.ingest.pages`).
_TEXT_LAYOUTS: ContextVar[tuple[tuple[str, int], ...]] = ContextVar("text_layouts", default=())
# A date whose every field differs, to count the words a layout writes.
_SAMPLE = datetime(2001, 12, 28, 23, 59, 58)


@contextmanager
def reading_dates(layouts: Sequence[str]) -> Iterator[None]:
    """Within the block, dates found in text are read with `layouts` first (``--date-format``),
    before the formats' own date patterns."""
    counted = tuple((layout, len(_SAMPLE.strftime(layout).split())) for layout in layouts)
    token = _TEXT_LAYOUTS.set(counted)
    try:
        yield
    finally:
        _TEXT_LAYOUTS.reset(token)


def layouts_in_text() -> tuple[tuple[str, int], ...]:
    """The layouts of `reading_dates` (with their word counts), () outside it."""
    return _TEXT_LAYOUTS.get()


def parse_with_layouts(text: str, layouts: Sequence[str]) -> datetime | None:
    """`text` read with the first layout that matches it, or None."""
    for layout in layouts:
        try:
            return datetime.strptime(text, layout)
        except ValueError:
            continue
    return None


def parse_date(
    value: Any, layouts: Sequence[str], default: Callable[[Any], datetime | None]
) -> datetime | None:
    """A JSON format's date: read with `layouts` (``--date-format``) when given, a time
    without an offset being UTC; else with the format's own parser `default`."""
    if not layouts:
        return default(value)
    if not isinstance(value, str):
        return None
    parsed = parse_with_layouts(value.strip(), layouts)
    if parsed is None:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
