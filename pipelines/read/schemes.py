"""Scheme identity (skema sertifikasi): a code, a name, or both.

Documents name a scheme as "SKM.NET.03 - Teknisi Jaringan Muda", "Skema Kualifikasi III Tata Boga
(KKNI.III.TBG)", "Junior Web Developer", or only by its code; participant lists carry a code column,
a name column, or both. Two mentions are the same scheme when both have a code and the codes are
equal; otherwise their names are compared after normalising. Names that are close but not equal
("Teknisi Jaringan Muda" / "Teknisi Jaringan Madya", a reading error) are neither the same nor
surely different: an officer decides.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz

SAME, DIFFERENT, UNSURE = "same", "different", "unsure"

# A scheme code: letters/digits joined by . / - _ with at least one joint, at least one capital
# letter and one more character class ("TIK.JWD.01", "SKM.NET.03", "KKNI.III.TBG", "J.620100.001.01").
_CODE = re.compile(r"(?<![\w.])([A-Z0-9]{1,12}(?:[./_-][A-Z0-9]{1,12}){1,6})(?![\w.])")
_LEADING = re.compile(
    r"^(?:skema|sertifikasi|kompetensi|okupasi|klaster|kualifikasi|kkni|level|jenjang|"
    r"i|ii|iii|iv|v|vi|vii|viii|ix|[0-9]+)\b\s*", re.I)
_QUALIFIERS = {"skema", "sertifikasi", "kompetensi", "okupasi", "klaster", "kualifikasi", "kkni", "level",
               "jenjang", "i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix"}
_NOT_CODE_CHARS = re.compile(r"[^0-9A-Z]+")
_NOT_NAME_CHARS = re.compile(r"[^0-9a-z]+")
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|\[\s*\]")
_CODE_LABEL = re.compile(r"^\s*(?:kode\s+skema|kode)\s*[:\-]?", re.I)
_SCHEME_LABEL = re.compile(r"^\s*(?:skema(?:\s+sertifikasi)?)\s*[:\-–]?\s*", re.I)
_NOT_LETTER = re.compile(r"[^A-Za-z]")
# Names with no word in common and a character similarity below this are surely different schemes
# (above it, one may be a misspelling or misreading of the other).
UNRELATED_BELOW = 70


@dataclass(frozen=True)
class Scheme:
    code: str = ""
    name: str = ""

    def __bool__(self) -> bool:
        return bool(self.code or self.name)

    @property
    def label(self) -> str:
        """How a message names it: "Teknisi Jaringan Muda (SKM.NET.03)"."""
        if self.code and self.name:
            return f"{self.name} ({self.code})"
        return self.name or self.code

    @property
    def key(self) -> str:
        return normalise_code(self.code) if self.code else "name:" + core_name(self.name)


def is_code(text: str) -> bool:
    t = (text or "").strip()
    m = _CODE.fullmatch(t)
    return bool(m) and any(c.isalpha() for c in t) and (any(c.isdigit() for c in t) or t.count(".") + t.count("-") >= 2
                                                         or t.isupper())


def normalise_code(code: str) -> str:
    return _NOT_CODE_CHARS.sub(".", (code or "").upper()).strip(".")


def normalise_name(name: str) -> str:
    s = _NOT_NAME_CHARS.sub(" ", str(name or "").lower())
    return " ".join(s.split())


def core_name(name: str) -> str:
    """The name without qualifiers ("Skema Okupasi", "KKNI Level III"): "junior web developer"."""
    return " ".join(w for w in normalise_name(name).split() if w not in _QUALIFIERS)


def parse_scheme(text: str) -> Scheme:
    """A scheme mention as written -> Scheme(code, name)."""
    t = " ".join(str(text or "").split()).strip(" :;,.-–")
    if not t:
        return Scheme()
    codes = [m for m in _CODE.finditer(t) if is_code(m.group(1))]
    if not codes:
        return Scheme("", _tidy_name(t))
    m = codes[0]
    code = m.group(1)
    rest = (t[:m.start()] + " " + t[m.end():])
    rest = _EMPTY_BRACKETS.sub(" ", rest)
    rest = _CODE_LABEL.sub(" ", rest)
    name = _tidy_name(rest)
    return Scheme(code, name)


def _tidy_name(text: str) -> str:
    t = _SCHEME_LABEL.sub("", text)
    t = " ".join(t.replace("(", " ").replace(")", " ").split()).strip(" :;,.-–/|")
    if len(_NOT_LETTER.sub("", t)) < 3:
        return ""
    return t


def compare(a: Scheme, b: Scheme) -> str:
    """SAME, DIFFERENT or UNSURE (an officer looks)."""
    if a.code and b.code:
        return SAME if normalise_code(a.code) == normalise_code(b.code) else DIFFERENT
    if a.code and not b.code and b.name and is_code(b.name):
        return SAME if normalise_code(a.code) == normalise_code(b.name) else DIFFERENT
    if not (a.name and b.name):
        return UNSURE      # a code against a name only: nothing to compare
    ca, cb = core_name(a.name), core_name(b.name)
    if not ca or not cb:
        return UNSURE
    if ca == cb:
        return SAME
    if not set(ca.split()) & set(cb.split()) and fuzz.ratio(ca, cb) < UNRELATED_BELOW:
        return DIFFERENT   # no word in common and not a misspelling of each other
    return UNSURE


def same(a: Scheme | str, b: Scheme | str) -> bool:
    return compare(as_scheme(a), as_scheme(b)) == SAME


def as_scheme(value) -> Scheme:
    if isinstance(value, Scheme):
        return value
    if isinstance(value, dict):
        return Scheme(str(value.get("code") or ""), str(value.get("name") or ""))
    return parse_scheme(str(value or ""))


def merge(a: Scheme, b: Scheme) -> Scheme:
    """One identity from two mentions of the same scheme (code from one, name from the other)."""
    return Scheme(a.code or b.code, a.name or b.name)
