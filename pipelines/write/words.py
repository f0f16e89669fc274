"""Indonesian number words (terbilang) and dates, for documents and mail.

`number_to_words_id(25)` -> "dua puluh lima"; `format_date_id(date(2026, 11, 21))` ->
"21 November 2026". The reverse (words to number) belongs to the readers, not here.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

WIB = ZoneInfo("Asia/Jakarta")

_UNITS = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan",
          "sembilan", "sepuluh", "sebelas"]

# Scale words from the largest down; "se-" prefixes apply to ratus/ribu only
# (seratus, seribu, but "satu juta").
_SCALES = [
    (10**15, "kuadriliun"),
    (10**12, "triliun"),
    (10**9, "miliar"),
    (10**6, "juta"),
]

MONTHS_ID = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
             "September", "Oktober", "November", "Desember"]
DAYS_ID = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]


def _below_thousand(n: int) -> list[str]:
    """Words for 1..999 (empty list for 0)."""
    words: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        words.append("seratus")
    elif hundreds > 1:
        words += [_UNITS[hundreds], "ratus"]
    if rest == 0:
        return words
    if rest < 12:
        words.append(_UNITS[rest])
    elif rest < 20:
        words += [_UNITS[rest - 10], "belas"]
    else:
        tens, ones = divmod(rest, 10)
        words += [_UNITS[tens], "puluh"]
        if ones:
            words.append(_UNITS[ones])
    return words


def number_to_words_id(n: int) -> str:
    """Spell an integer in Indonesian: 25 -> "dua puluh lima", 1000 -> "seribu".

    Negative numbers get "minus". Booleans and non-integers are refused: a count
    written out in words on a signed document must be exact.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"number_to_words_id wants an int, not {type(n).__name__}")
    if n == 0:
        return "nol"
    if n < 0:
        return "minus " + number_to_words_id(-n)
    if n >= 1000 * 10**15:
        raise ValueError("number too large to spell")
    words: list[str] = []
    rest = n
    for scale, name in _SCALES:
        count, rest = divmod(rest, scale)
        if count:
            words += _below_thousand(count) + [name]
    thousands, rest = divmod(rest, 1000)
    if thousands == 1:
        words.append("seribu")
    elif thousands > 1:
        words += _below_thousand(thousands) + ["ribu"]
    words += _below_thousand(rest)
    return " ".join(words)


def to_local(moment: datetime) -> datetime:
    """A moment in office time (WIB). Naive datetimes are taken as UTC, the way the
    database stores them (see pipelines.calendar.local_date)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(WIB)


def format_date_id(value: date | datetime | str, with_day: bool = False) -> str:
    """A date as Indonesian letters write it: "21 November 2026".

    Accepts a date, a datetime (its WIB calendar date; naive means UTC) or an ISO
    string ("2026-11-21", "2026-11-21T03:00:00+00:00").
    With `with_day`, the weekday is prefixed: "Sabtu, 21 November 2026".
    """
    if isinstance(value, str):
        text = value.strip()
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            value = date.fromisoformat(text)
        if isinstance(value, datetime) and len(text) == 10:
            value = value.date()  # a bare date string is a date, not midnight UTC
    if isinstance(value, datetime):
        value = to_local(value).date()
    if not isinstance(value, date):
        raise TypeError(f"format_date_id wants a date, not {type(value).__name__}")
    text = f"{value.day} {MONTHS_ID[value.month - 1]} {value.year}"
    if with_day:
        text = f"{DAYS_ID[value.weekday()]}, {text}"
    return text


def format_datetime_id(value: datetime) -> str:
    """"21 November 2026 pukul 14.05 WIB" in office time (naive means UTC)."""
    local = to_local(value)
    return f"{format_date_id(local)} pukul {local.hour:02d}.{local.minute:02d} WIB"
