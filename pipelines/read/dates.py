"""Indonesian dates: "12 Oktober 2026", "12 Okt 2026", "12-10-2026", and the legal style
"tanggal dua belas bulan Oktober tahun dua ribu dua puluh enam". Stored as ISO strings.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from pipelines.read.numbers import NUMBER_WORDS, words_to_int

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "pebruari": 2, "feb": 2, "peb": 2, "maret": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agust": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "nopember": 11, "november": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12,
    # English, as some templates are
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8,
    "aug": 8, "october": 10, "oct": 10, "december": 12, "dec": 12,
}

_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))
_NAMED = re.compile(rf"\b(\d{{1,2}})\s*[-./ ]?\s*({_MONTH_ALT})\.?\s*[-./ ]?\s*(\d{{4}})\b", re.I)
_DMY = re.compile(r"\b(\d{1,2})\s*([-/.])\s*(\d{1,2})\s*\2\s*(\d{4})\b")
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_WORD = r"[a-z]+"
_WORDY = re.compile(
    rf"\b((?:{_WORD}\s+){{0,3}}?{_WORD})\s+(?:bulan\s+)?({_MONTH_ALT})\s+(?:tahun\s+)?((?:{_WORD}\s+){{0,5}}{_WORD})\b",
    re.I)


def _mk(y: int, m: int, d: int) -> date | None:
    try:
        if 1900 <= y <= 2100:
            return date(y, m, d)
    except ValueError:
        return None
    return None


def find_dates(text: str) -> list[tuple[int, date]]:
    """All dates in a text with their positions, in order of appearance."""
    found: dict[int, date] = {}
    if not text:
        return []
    for m in _NAMED.finditer(text):
        d = _mk(int(m.group(3)), MONTHS[m.group(2).lower()], int(m.group(1)))
        if d:
            found.setdefault(m.start(), d)
    for m in _DMY.finditer(text):
        d = _mk(int(m.group(4)), int(m.group(3)), int(m.group(1)))
        if d:
            found.setdefault(m.start(), d)
    for m in _ISO.finditer(text):
        d = _mk(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if d:
            found.setdefault(m.start(), d)
    for m in _WORDY.finditer(text):
        day_words = m.group(1).lower().split()
        # keep the trailing words that are numbers ("tanggal dua belas" -> "dua belas")
        while day_words and day_words[0] not in NUMBER_WORDS:
            day_words.pop(0)
        year_words = []
        for w in m.group(3).lower().split():
            if w not in NUMBER_WORDS:
                break
            year_words.append(w)
        day = words_to_int(" ".join(day_words)) if day_words else None
        year = words_to_int(" ".join(year_words)) if year_words else None
        if day and year:
            d = _mk(year, MONTHS[m.group(2).lower()], day)
            if d:
                found.setdefault(m.start(), d)
    return sorted(found.items())


def parse_date(text: str) -> date | None:
    """The first date in a text, or None."""
    dates = find_dates(text)
    return dates[0][1] if dates else None


def coerce_date(value) -> date | None:
    """A date from a spreadsheet cell: datetime, date, or text in any of the forms above."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        try:
            return value.to_pydatetime().date()
        except Exception:
            return None
    return parse_date(str(value))

