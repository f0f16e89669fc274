"""Small helpers for clock tests: WIB moments and one clock computed from its events."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np

from pipelines.calendar import WorkingCalendar
from pipelines.clock.engine import DAYS, KIND_CODES, MINUTES, ClockLogs, compute
from pipelines.clock.worktime import epoch, from_epoch, worktime_for
from pipelines.config import PROJECT_ROOT

WIB = ZoneInfo("Asia/Jakarta")
CALENDAR = WorkingCalendar(PROJECT_ROOT / "data" / "calendar.yaml")


def wib(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=WIB)


def run(target: float, unit: str, events: list[tuple[str, datetime]], now: datetime,
        calendar: WorkingCalendar = CALENDAR):
    """State of one clock: (deadline in WIB, used, breached)."""
    logs = ClockLogs(np.array([float(target)]), np.array([unit == DAYS]), np.zeros(len(events), dtype=np.int64),
                     np.array([KIND_CODES[k] for k, _ in events]), np.array([epoch(a) for _, a in events]))
    s = compute(worktime_for(calendar), logs, epoch(now))
    return from_epoch(s.deadline[0]).astimezone(WIB), float(s.used[0]), bool(s.breached[0])


def deadline(target: float, unit: str, start: datetime, calendar: WorkingCalendar = CALENDAR) -> datetime:
    return run(target, unit, [("started", start)], start, calendar)[0]


__all__ = ["CALENDAR", "DAYS", "MINUTES", "WIB", "deadline", "run", "wib"]
