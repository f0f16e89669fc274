"""Working time as a number line, per office: the tables every clock computation reads.

Two scales, both non-decreasing functions of a moment:
- working minutes: minutes of office hours since the start of the tables (breaks, evenings,
  weekends and days off add nothing);
- working days: working days since the start of the tables, each working day spread evenly
  over its office minutes (so half of a day's office hours is half a working day).

`minutes_at`/`days_at` map moments (UTC epoch seconds, numpy arrays) onto the scales;
`moment_at_minute` maps back (the earliest moment the scale reaches a value) and
`close_of_day_at` gives the closing time of the working day in which a day value is reached.
Everything is vectorised: 100,000 clocks are a few array operations. `WorkTime.one` gives the
same maps for one number at a time (the mail path's one clock a mail).
"""
from __future__ import annotations

import math
from bisect import bisect_left
from datetime import date, datetime, timezone
from functools import cached_property, lru_cache

import numpy as np

from pipelines.calendar import FIRST_YEAR, LAST_YEAR, WorkingCalendar

DAY = 1440
_EPOCH_DAY = (date(FIRST_YEAR, 1, 1) - date(1970, 1, 1)).days


class WorkTime:
    def __init__(self, calendar: WorkingCalendar):
        office = calendar.office
        # Indonesian zones (WIB, WITA, WIT) keep one offset all year.
        self.offset_s = office.zone.utcoffset(datetime(2025, 1, 1)).total_seconds()
        days = (date(LAST_YEAR, 12, 31) - date(FIRST_YEAR, 1, 1)).days + 1
        # Profiles: one per weekday plus "closed" (index 7); elapsed[p, m] = office minutes
        # before minute m of a day with profile p.
        elapsed = np.zeros((8, DAY + 1))
        closing = np.zeros(8, dtype=np.int64)
        for weekday, spans in enumerate(office.hours):
            open_minutes = np.zeros(DAY)
            for a, b in spans:
                open_minutes[a:b] = 1
            elapsed[weekday, 1:] = np.cumsum(open_minutes)
            closing[weekday] = spans[-1][1] if spans else 0
        first = date(FIRST_YEAR, 1, 1)
        weekday = (np.arange(days) + first.weekday()) % 7
        open_weekday = np.array([bool(spans) for spans in office.hours])
        off = [(d - first).days for d in calendar.days_off() if 0 <= (d - first).days < days]
        working = open_weekday[weekday]
        working[off] = False
        self.profile = np.where(working, weekday, 7)
        self.working = working
        self.elapsed = elapsed
        self.closing = closing
        self.day_minutes = elapsed[self.profile, DAY]
        self.minutes_before = np.concatenate([[0.0], np.cumsum(self.day_minutes)[:-1]])
        self.minutes_through = self.minutes_before + self.day_minutes
        self.days_before = np.concatenate([[0.0], np.cumsum(working)[:-1]])
        self.days_through = self.days_before + working
        self.ndays = days

    # -- moments <-> local minute numbers ---------------------------------------------------
    def local_minute(self, epoch_s):
        return (np.asarray(epoch_s, dtype=float) + self.offset_s) / 60.0 - _EPOCH_DAY * DAY

    def epoch_seconds(self, local_minute):
        return (np.asarray(local_minute, dtype=float) + _EPOCH_DAY * DAY) * 60.0 - self.offset_s

    def _split(self, epoch_s):
        m = self.local_minute(epoch_s)
        day = np.floor(m / DAY).astype(np.int64)
        if day.size and (day.min() < 0 or day.max() >= self.ndays):
            raise ValueError(f"moment outside {FIRST_YEAR}-{LAST_YEAR}")
        in_day = m - day * DAY
        minute = np.minimum(np.floor(in_day).astype(np.int64), DAY - 1)
        p = self.profile[day]
        done = self.elapsed[p, minute] + (in_day - minute) * (self.elapsed[p, minute + 1] - self.elapsed[p, minute])
        return day, done

    # -- the two scales ----------------------------------------------------------------------
    def minutes_at(self, epoch_s):
        day, done = self._split(epoch_s)
        return self.minutes_before[day] + done

    def days_at(self, epoch_s):
        day, done = self._split(epoch_s)
        share = np.divide(done, self.day_minutes[day], out=np.zeros_like(done), where=self.day_minutes[day] > 0)
        return self.days_before[day] + share

    def days_counted_through(self, epoch_s):
        """Working days up to and including the moment's local date (a start day is not counted)."""
        m = self.local_minute(epoch_s)
        return self.days_through[np.floor(m / DAY).astype(np.int64)]

    def moment_at_minute(self, value):
        """Earliest moment (epoch s) at which `minutes_at` reaches `value`."""
        value = np.asarray(value, dtype=float)
        day = np.clip(np.searchsorted(self.minutes_through, value, side="left"), 0, self.ndays - 1)
        rest = value - self.minutes_before[day]
        p = self.profile[day]
        minute = np.zeros_like(rest)
        for profile in np.unique(p):
            sel = p == profile
            row = self.elapsed[profile]
            i = np.clip(np.searchsorted(row, rest[sel], side="left"), 1, DAY)
            minute[sel] = i - 1 + (rest[sel] - row[i - 1])
        return self.epoch_seconds(day * DAY + minute)

    def first_close_after(self, epoch_s):
        """Closing time (epoch s) of the first working day that still has office time at or
        after the moment: the same day within its hours, else the next working day."""
        after = self.minutes_at(epoch_s) + 1e-6
        day = np.clip(np.searchsorted(self.minutes_through, after, side="left"), 0, self.ndays - 1)
        return self.epoch_seconds(day * DAY + self.closing[self.profile[day]])

    def close_of_day_at(self, value):
        """Closing time (epoch s) of the working day in which `days_at` reaches `value`."""
        value = np.asarray(value, dtype=float)
        day = np.clip(np.searchsorted(self.days_through, value, side="left"), 0, self.ndays - 1)
        return self.epoch_seconds(day * DAY + self.closing[self.profile[day]])

    @cached_property
    def one(self) -> "OneMoment":
        return OneMoment(self)


class OneMoment:
    """WorkTime's maps for one moment or value at a time, on Python floats and lists: for one
    clock, numpy's cost per call is most of the work. Each method repeats its WorkTime
    namesake's arithmetic operation for operation, so both give the same floats
    (tests/clock/test_one_clock.py holds them to it)."""

    def __init__(self, wt: WorkTime):
        self.offset_s = wt.offset_s
        self.ndays = wt.ndays
        self.profile = wt.profile.tolist()
        self.elapsed = wt.elapsed.tolist()
        self.closing = wt.closing.tolist()
        self.day_minutes = wt.day_minutes.tolist()
        self.minutes_before = wt.minutes_before.tolist()
        self.minutes_through = wt.minutes_through.tolist()
        self.days_before = wt.days_before.tolist()
        self.days_through = wt.days_through.tolist()

    def local_minute(self, epoch_s: float) -> float:
        return (epoch_s + self.offset_s) / 60.0 - _EPOCH_DAY * DAY

    def epoch_seconds(self, local_minute: float) -> float:
        return (local_minute + _EPOCH_DAY * DAY) * 60.0 - self.offset_s

    def _split(self, epoch_s: float) -> tuple[int, float]:
        m = self.local_minute(epoch_s)
        day = math.floor(m / DAY)
        if day < 0 or day >= self.ndays:
            raise ValueError(f"moment outside {FIRST_YEAR}-{LAST_YEAR}")
        in_day = m - day * DAY
        minute = min(math.floor(in_day), DAY - 1)
        row = self.elapsed[self.profile[day]]
        return day, row[minute] + (in_day - minute) * (row[minute + 1] - row[minute])

    def minutes_at(self, epoch_s: float) -> float:
        day, done = self._split(epoch_s)
        return self.minutes_before[day] + done

    def days_at(self, epoch_s: float) -> float:
        day, done = self._split(epoch_s)
        share = done / self.day_minutes[day] if self.day_minutes[day] > 0 else 0.0
        return self.days_before[day] + share

    def days_counted_through(self, epoch_s: float) -> float:
        return self.days_through[math.floor(self.local_minute(epoch_s) / DAY)]

    def _day_reaching(self, scale: list[float], value: float) -> int:
        return min(max(bisect_left(scale, value), 0), self.ndays - 1)

    def moment_at_minute(self, value: float) -> float:
        day = self._day_reaching(self.minutes_through, value)
        rest = value - self.minutes_before[day]
        row = self.elapsed[self.profile[day]]
        i = min(max(bisect_left(row, rest), 1), DAY)
        return self.epoch_seconds(day * DAY + (i - 1 + (rest - row[i - 1])))

    def first_close_after(self, epoch_s: float) -> float:
        day = self._day_reaching(self.minutes_through, self.minutes_at(epoch_s) + 1e-6)
        return self.epoch_seconds(day * DAY + self.closing[self.profile[day]])

    def close_of_day_at(self, value: float) -> float:
        day = self._day_reaching(self.days_through, value)
        return self.epoch_seconds(day * DAY + self.closing[self.profile[day]])


@lru_cache(maxsize=16)
def _cached(path: str, offices_path: str, fingerprint: str, office: str) -> WorkTime:
    return WorkTime(WorkingCalendar(path, office, offices_path or None))


def worktime_for(calendar: WorkingCalendar) -> WorkTime:
    """Tables for the calendar's office, rebuilt when the calendar data changes."""
    return _cached(str(calendar.path), str(calendar.offices_path or ""), calendar.fingerprint, calendar.office.code)


def epoch(moment: datetime) -> float:
    if moment.tzinfo is None:          # SQLite hands back naive UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(round(float(seconds), 3), timezone.utc)
