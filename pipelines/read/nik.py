"""NIK (Nomor Induk Kependudukan): 16 digits = province (2), regency (2), district (2),
birth date DDMMYY with 40 added to DD for women (6), serial (4)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines import yamlfile

DATA = Path(__file__).resolve().parents[2] / "data"


@functools.lru_cache(maxsize=1)
def province_codes() -> dict[str, str]:
    try:
        raw = yamlfile.safe_load((DATA / "nik_provinces.yaml").read_text(encoding="utf-8")) or {}
        return {f"{int(k):02d}": str(v) for k, v in raw.items()}
    except Exception:  # pragma: no cover - data file missing: fall back to the ranges
        return {f"{k:02d}": "" for k in list(range(11, 20)) + [21] + list(range(31, 37)) +
                [51, 52, 53] + list(range(61, 66)) + list(range(71, 77)) + [81, 82] + list(range(91, 97))}


@dataclass
class NikParts:
    province: str
    regency: str
    district: str
    day: int
    month: int
    yy: int
    female: bool
    serial: str


def split(nik: str) -> NikParts | None:
    if len(nik) != 16 or not nik.isdigit():
        return None
    dd, mm, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    female = dd > 40
    return NikParts(nik[:2], nik[2:4], nik[4:6], dd - 40 if female else dd, mm, yy, female, nik[12:])


def birth_date_valid(parts: NikParts) -> bool:
    try:
        date(2000 + parts.yy, parts.month, parts.day)  # leap-year safe enough for Feb 29
        return True
    except ValueError:
        try:
            date(1900 + parts.yy, parts.month, parts.day)
            return True
        except ValueError:
            return False


def matches_birth_date(parts: NikParts, born: date) -> bool:
    return parts.day == born.day and parts.month == born.month and parts.yy == born.year % 100
