"""Indonesian number words (bilangan): "dua puluh lima" -> 25 (the reverse is write.words).

Letters write quantities twice, "25 (dua puluh lima)", so both forms are read and compared.
"""
from __future__ import annotations

import re

_UNITS = {
    "nol": 0, "kosong": 0, "satu": 1, "se": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5,
    "enam": 6, "tujuh": 7, "delapan": 8, "sembilan": 9,
}
_SPECIAL = {"sepuluh": 10, "sebelas": 11, "seratus": 100, "seribu": 1000, "sejuta": 1_000_000}
_SCALES = {"puluh": 10, "belas": None, "ratus": 100, "ribu": 1000, "juta": 1_000_000,
           "miliar": 1_000_000_000, "milyar": 1_000_000_000}

NUMBER_WORDS = set(_UNITS) | set(_SPECIAL) | set(_SCALES)
_TOKEN = re.compile(r"[a-z]+")


def words_to_int(text: str) -> int | None:
    """Parse Indonesian number words; None when the text is not a number in words.

    >>> words_to_int("dua puluh lima")
    25
    >>> words_to_int("seribu dua ratus tiga puluh empat")
    1234
    """
    tokens = _TOKEN.findall((text or "").lower())
    if not tokens or any(t not in NUMBER_WORDS for t in tokens):
        return None
    total = 0      # finished groups of thousands / millions
    group = 0      # value below 1000 being built
    current = None  # a unit waiting for its scale word
    for tok in tokens:
        if tok in _UNITS:
            if current is not None:
                group += current
            current = _UNITS[tok]
        elif tok in _SPECIAL:
            if current is not None:
                group += current
                current = None
            value = _SPECIAL[tok]
            if value >= 1000:  # seribu, sejuta: one thousand / million closes a group
                total += value if group == 0 else group * value
                group = 0
            else:
                group += value
        elif tok == "belas":
            if current is None:
                return None
            group += 10 + current
            current = None
        elif tok == "puluh":
            if current is None:
                return None
            group += current * 10
            current = None
        elif tok == "ratus":
            if current is None:
                return None
            group += current * 100
            current = None
        else:  # ribu, juta, miliar
            scale = _SCALES[tok]
            if current is not None:
                group += current
                current = None
            if group == 0:
                return None
            total += group * scale
            group = 0
    if current is not None:
        group += current
    return total + group

