"""Indonesian working days (hari kerja): Monday to Friday, less national holidays
(the `holidays` library) and the collective-leave days (cuti bersama) kept as data."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import yaml

from pipelines.db import aware

JAKARTA = ZoneInfo("Asia/Jakarta")


@lru_cache(maxsize=4)
def _cuti_bersama(path: str) -> frozenset[date]:
    p = Path(path)
    if not p.exists():
        return frozenset()
    data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    return frozenset(d if isinstance(d, date) else date.fromisoformat(str(d))
                     for days in data.values() for d in (days or []))


class WorkingCalendar:
    def __init__(self, cuti_bersama_path: str | Path):
        self._leave = _cuti_bersama(str(cuti_bersama_path))
        self._holidays = holidays.country_holidays("ID")

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self._holidays and day not in self._leave

    def add_working_days(self, start: date, days: int) -> date:
        """The date `days` working days after `start` (start itself not counted)."""
        current = start
        remaining = days
        while remaining > 0:
            current += timedelta(days=1)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        count, current = 0, start
        while current < end:
            current += timedelta(days=1)
            if self.is_working_day(current):
                count += 1
        return count


def local_date(moment: datetime) -> date:
    """The office's (WIB) calendar date of a moment."""
    return aware(moment).astimezone(JAKARTA).date()  # SQLite gives naive UTC
