"""Indonesian working days (hari kerja) and office hours, per office.

A day is a working day when it is Monday to Friday, not a national holiday or collective-leave
day (cuti bersama) of the `holidays` library (Indonesia, public + government categories), not a
local day off from data/calendar.yaml, or when data/calendar.yaml corrects it back to a working
day. Office hours per office come from the same file. Years the library has no cuti bersama
for, and that the file does not confirm, are reported by `warnings()`: they are counted, but
an officer is told the count may miss days.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays

from pipelines import yamlfile
from pipelines.db import aware

JAKARTA = ZoneInfo("Asia/Jakarta")
FIRST_YEAR, LAST_YEAR = 2015, 2040          # the span the clock tables cover
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class CalendarError(ValueError):
    """The calendar file is wrong; the message says where."""


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    timezone: str
    # weekday (0 = Monday) -> ((open minute, close minute), ...) local time, sorted
    hours: tuple[tuple[tuple[int, int], ...], ...]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class DayOff:
    day: date
    name: str
    source: str          # "nasional" (holidays library) or the legal basis of a local entry


@dataclass
class CalendarData:
    offices: dict[str, Office]
    default_office: str
    days_off: dict[str, dict[date, DayOff]]      # office -> day -> why it is off
    confirmed_years: set[int]
    estimated: dict[date, str] = field(default_factory=dict)
    fingerprint: str = ""


def _minutes(text: str, where: str) -> int:
    try:
        hh, mm = str(text).strip().split(":")
        value = int(hh) * 60 + int(mm)
    except ValueError:
        raise CalendarError(f"{where}: jam '{text}' harus berbentuk HH:MM") from None
    if not 0 <= value <= 24 * 60:
        raise CalendarError(f"{where}: jam '{text}' di luar 00:00-24:00")
    return value


def _office(code: str, spec: dict, where: str) -> Office:
    hours = []
    for weekday in WEEKDAYS:
        spans = []
        for span in (spec.get("hours") or {}).get(weekday) or []:
            start, _, end = str(span).partition("-")
            spans.append((_minutes(start, f"{where}.{weekday}"), _minutes(end, f"{where}.{weekday}")))
        spans.sort()
        for (a, b), nxt in zip(spans, spans[1:] + [(24 * 60 + 1, 0)]):
            if not a < b <= nxt[0]:
                raise CalendarError(f"{where}.{weekday}: rentang jam kerja tidak urut atau tumpang tindih")
        hours.append(tuple(spans))
    return Office(code, str(spec.get("name", code)), str(spec.get("timezone", "Asia/Jakarta")), tuple(hours))


def _day(value, where: str) -> date:
    try:
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise CalendarError(f"{where}: tanggal '{value}' tidak valid") from None


def _units_hours(offices_path: str, default: Office, default_spec: dict) -> dict[str, Office]:
    """The offices of data/offices.yaml, each with its own `hours` (and `timezone`) or the
    calendar's default office hours."""
    if not offices_path or not Path(offices_path).exists():
        return {}
    units = yamlfile.safe_load(Path(offices_path).read_text(encoding="utf-8")) or []
    found = {}
    for i, unit in enumerate(units):
        code = str(unit.get("id") or "")
        if not code:
            raise CalendarError(f"{Path(offices_path).name}[{i}]: kantor tanpa id")
        spec = {"name": unit.get("name", code), "timezone": unit.get("timezone") or default.timezone,
                "hours": unit.get("hours") or default_spec.get("hours")}
        found[code] = _office(code, spec, f"{Path(offices_path).name}[{code}].hours")
    return found


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int, offices_path: str = "", offices_mtime_ns: int = 0) -> CalendarData:
    raw = yamlfile.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    offices = {code: _office(code, spec or {}, f"offices.{code}")
               for code, spec in (raw.get("offices") or {}).items()}
    if not offices:
        raise CalendarError(f"{path}: tidak ada kantor (offices) dengan jam kerja")
    default = str(raw.get("default_office") or next(iter(offices)))
    if default not in offices:
        raise CalendarError(f"{path}: default_office '{default}' tidak ada di offices")
    for code, office in _units_hours(offices_path, offices[default], raw["offices"][default] or {}).items():
        offices.setdefault(code, office)       # an office named in both files: calendar.yaml's hours

    national = holidays.country_holidays("ID", categories=("public", "government"),
                                         years=range(FIRST_YEAR, LAST_YEAR + 1), language="id")
    leave_years = {d.year for d, name in national.items() if "cuti bersama" in name.lower()}
    base = {d: DayOff(d, name, "nasional") for d, name in national.items()}
    estimated = {d: name for d, name in national.items() if "perkiraan" in name.lower()
                 or "estimated" in name.lower()}
    for i, entry in enumerate(raw.get("working_days") or []):
        day = _day(entry.get("date"), f"working_days[{i}]")
        if not entry.get("basis"):
            raise CalendarError(f"working_days[{i}]: dasar hukum (basis) wajib diisi")
        base.pop(day, None)
        estimated.pop(day, None)
    days_off = {code: dict(base) for code in offices}
    for i, entry in enumerate(raw.get("days_off") or []):
        day = _day(entry.get("date"), f"days_off[{i}]")
        if not entry.get("basis"):
            raise CalendarError(f"days_off[{i}]: dasar hukum (basis) wajib diisi")
        for code in entry.get("offices") or list(offices):
            if code not in offices:
                raise CalendarError(f"days_off[{i}]: kantor '{code}' tidak dikenal")
            days_off[code][day] = DayOff(day, str(entry.get("name", "Libur lokal")), str(entry["basis"]))
    confirmed = leave_years | {int(y) for y in (raw.get("confirmed_years") or {})}

    fingerprint = hashlib.sha256(json.dumps(
        {"hours": {c: o.hours for c, o in offices.items()},
         "off": {c: sorted(str(d) for d in days) for c, days in days_off.items()}},
        sort_keys=True).encode()).hexdigest()[:16]
    return CalendarData(offices, default, days_off, confirmed, estimated, fingerprint)


def load_calendar_data(path: str | Path, offices_path: str | Path | None = None) -> CalendarData:
    p = Path(path)
    o = Path(offices_path) if offices_path else None
    if o is None or not o.exists():
        return _load(str(p.resolve()), p.stat().st_mtime_ns)
    return _load(str(p.resolve()), p.stat().st_mtime_ns, str(o.resolve()), o.stat().st_mtime_ns)


class WorkingCalendar:
    """Working days and hours of one office (the file's default office unless named)."""

    def __init__(self, calendar_path: str | Path, office: str | None = None, offices_path: str | Path | None = None):
        self.path = Path(calendar_path)
        self.offices_path = Path(offices_path) if offices_path else None   # data/offices.yaml: more offices
        self.data = load_calendar_data(self.path, self.offices_path)
        self.office = self.data.offices[office or self.data.default_office]
        self._off = self.data.days_off[self.office.code]
        self._other_offices: dict[str, WorkingCalendar] = {}

    @property
    def fingerprint(self) -> str:
        return self.data.fingerprint

    def for_office(self, office: str | None) -> "WorkingCalendar":
        if not office or office == self.office.code:
            return self
        other = self._other_offices.get(office)
        if other is None:   # built once: the mail path asks for the case's office several times a mail
            if office not in self.data.offices:
                raise CalendarError(f"kantor '{office}' tidak ada di {self.path.name}")
            other = self._other_offices[office] = WorkingCalendar(self.path, office, self.offices_path)
        return other

    def days_off(self) -> list[date]:
        return list(self._off)

    def day_off(self, day: date) -> DayOff | None:
        return self._off.get(day)

    def is_working_day(self, day: date) -> bool:
        return bool(self.office.hours[day.weekday()]) and day not in self._off

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

    def local_date(self, moment: datetime) -> date:
        return aware(moment).astimezone(self.office.zone).date()

    def is_office_hours(self, moment: datetime) -> bool:
        local = aware(moment).astimezone(self.office.zone)
        if not self.is_working_day(local.date()):
            return False
        minute = local.hour * 60 + local.minute
        return any(a <= minute < b for a, b in self.office.hours[local.weekday()])

    def next_office_moment(self, moment: datetime) -> datetime:
        """`moment` itself in office hours, else the next opening (reminders wait for it)."""
        local = aware(moment).astimezone(self.office.zone)
        for offset in range(0, 400):
            day = local.date() + timedelta(days=offset)
            if not self.is_working_day(day):
                continue
            for a, b in self.office.hours[day.weekday()]:
                opening = datetime.combine(day, time(), self.office.zone) + timedelta(minutes=a)
                closing = datetime.combine(day, time(), self.office.zone) + timedelta(minutes=b)
                if local < closing:
                    return max(local, opening)
        raise CalendarError("tidak ada jam kerja dalam 400 hari ke depan")

    def warnings(self, years) -> list[str]:
        """Indonesian lines for the dashboard: unconfirmed years and estimated holiday dates."""
        lines = []
        for year in sorted(set(years)):
            if year not in self.data.confirmed_years:
                lines.append(f"Kalender {year} belum dikonfirmasi: cuti bersama tahun {year} belum "
                             "ada di data; tenggat yang jatuh pada tahun itu dihitung tanpa cuti bersama.")
            guessed = sorted(d for d in self.data.estimated if d.year == year and d in self._off)
            if guessed:
                days = ", ".join(f"{d:%d-%m-%Y} ({self.data.estimated[d]})" for d in guessed)
                lines.append(f"Tanggal libur {year} berikut masih perkiraan: {days}.")
        return lines


def local_date(moment: datetime) -> date:
    """The office's (WIB) calendar date of a moment."""
    return aware(moment).astimezone(JAKARTA).date()  # SQLite gives naive UTC
