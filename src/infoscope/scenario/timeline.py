"""Time in the scenario: slices, daily and weekly rhythms in many time zones, allocation.

The period is cut into equal *slices* (one hour, or shorter when that keeps a slice near
``chunk_posts`` posts; never under a minute). Each process of the scenario (organic posting,
news-front posts, trolls' posts, ...) has an intensity per slice; the exact number of posts of
a process is spread over the slices with one multinomial draw, so totals are exact and only
per-slice counts are held in memory.

Rhythms are hour-of-week curves in local time. Organic accounts follow a day curve with a
trough at 3-5 am and peaks at lunch and in the evening, later and flatter on weekends (the
shape of the circadian activity curves of Golder & Macy 2011, "Diurnal and seasonal mood vary
with work, sleep, and daylength across diverse cultures", Science 333). Operations work office
hours in their home time zone: 9-18 on weekdays with a lunch dip, little at weekends; that
working-hours signature is what posting-time analyses use to tell a claimed location from a
real one.
Local time follows the tz database, daylight saving included.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

__all__ = ["Timeline", "allocate", "office_week", "offset_at", "organic_week", "utc"]

# Relative organic activity by local hour 0..23 on a weekday.
ORGANIC_DAY = np.array(
    [0.35, 0.22, 0.14, 0.09, 0.07, 0.08, 0.15, 0.30, 0.50, 0.62, 0.68, 0.72,
     0.78, 0.76, 0.72, 0.70, 0.72, 0.78, 0.86, 0.95, 1.00, 0.98, 0.85, 0.60]
)  # fmt: skip
# Office hours of an operation by local hour on a weekday.
OFFICE_DAY = np.array(
    [0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.01, 0.03, 0.30, 1.00, 1.00, 1.00,
     1.00, 0.45, 1.00, 1.00, 1.00, 1.00, 0.30, 0.05, 0.02, 0.01, 0.01, 0.01]
)  # fmt: skip
SLICE_LADDER = (3600, 1800, 1200, 900, 600, 300, 120, 60)


def organic_week() -> np.ndarray:
    """7 x 24 organic rhythm (Monday first): weekends an hour later and 10 % quieter."""
    week = np.tile(ORGANIC_DAY, (7, 1))
    week[5:] = 0.9 * np.roll(ORGANIC_DAY, 1)
    return week


def office_week() -> np.ndarray:
    """7 x 24 office rhythm: weekdays as `OFFICE_DAY`, weekends at 12 %."""
    week = np.tile(OFFICE_DAY, (7, 1))
    week[5:] *= 0.12
    return week


class Timeline:
    """Slices of the scenario's period and local hour-of-week of each slice in each zone."""

    def __init__(self, start: datetime, days: int, posts: int, chunk_posts: int):
        self.start = start
        self.start_s = int(start.timestamp())
        self.seconds = days * 86400
        mean_per_second = posts / self.seconds
        self.slice_s = SLICE_LADDER[-1]
        for length in SLICE_LADDER:
            # Peaks carry about twice the mean rate.
            if 2 * mean_per_second * length <= chunk_posts:
                self.slice_s = length
                break
        self.n = self.seconds // self.slice_s
        self.starts_s = self.start_s + self.slice_s * np.arange(self.n, dtype=np.int64)
        self._offsets: dict[str, np.ndarray] = {}

    @property
    def end_s(self) -> int:
        return self.start_s + self.seconds

    def offsets(self, tz: str) -> np.ndarray:
        """UTC offset in seconds of `tz` at the start of each slice."""
        cached = self._offsets.get(tz)
        if cached is not None:
            return cached
        zone = ZoneInfo(tz)
        hours = self.seconds // 3600 + 1
        hourly = np.empty(hours, dtype=np.int64)
        for h in range(hours):
            moment = self.start + timedelta(hours=h)
            delta = moment.astimezone(zone).utcoffset()
            hourly[h] = int(delta.total_seconds()) if delta is not None else 0
        hour_of_slice = (self.starts_s - self.start_s) // 3600
        self._offsets[tz] = hourly[hour_of_slice]
        return self._offsets[tz]

    def hour_of_week(self, tz: str) -> tuple[np.ndarray, np.ndarray]:
        """(day of week, Monday 0; hour) in local time of `tz` at each slice's middle."""
        local = self.starts_s + self.slice_s // 2 + self.offsets(tz)
        days = local // 86400
        return (days + 3) % 7, (local % 86400) // 3600

    def rhythm(self, tz: str, week: np.ndarray) -> np.ndarray:
        """Intensity of a 7 x 24 rhythm in `tz` at each slice."""
        dow, hour = self.hour_of_week(tz)
        return week[dow, hour]


def allocate(total: int, weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`total` events spread over slices with probabilities proportional to `weights`."""
    if total <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    p = np.asarray(weights, dtype=np.float64)
    p = p / p.sum()
    return rng.multinomial(total, p).astype(np.int64)


def offset_at(tz: str, when: datetime) -> int:
    """UTC offset of `tz` at `when`, in seconds."""
    delta = when.astimezone(ZoneInfo(tz)).utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)
