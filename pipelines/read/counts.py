"""How many participants a decision (keputusan sertifikasi) or minutes declare competent (K) and
not yet competent (BK), however it is written:

- a sentence: "Sebanyak 14 (empat belas) orang asesi skema X dinyatakan KOMPETEN",
  "dari 20 peserta, 3 BK dan 17 K", "Kompeten (K) : 10 orang", "dinyatakan kompeten sebanyak 9";
- a recap table: a header row naming K and BK columns, one row per scheme (a total row is a total);
- a table of names with K/BK and no count at all: the rows are counted.

Pure text in, `Counts` out. Numbers written both ways ("14 (empat belas)") are compared; a
disagreement is reported, never guessed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from pipelines.read.literals import Anchored, Prefiltered, one_line
from pipelines.read.numbers import NUMBER_WORDS, words_to_int

_WORD = "(?:" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
_W = rf"{_WORD}(?:\s+{_WORD}){{0,5}}"        # number words, e.g. "dua puluh lima"
_NUM = rf"(\d{{1,5}}|{_W})"
# a result word standing alone: never the K of "TIK.JWD" or "(TIK"
_KOMP = r"(?<![\w.(/-])(belum\s+kompeten|tidak\s+kompeten|kompeten|bk|k)(?!\w|\.\w)"


@dataclass
class Counts:
    competent: int | None = None
    not_competent: int | None = None
    by_scheme: dict[str, int] = field(default_factory=dict)   # scheme as written -> K
    how: str = ""                                               # which reading found them (evidence)
    mismatched_words: list[str] = field(default_factory=list)   # "12 (sebelas)"


def _number(digits_or_words: str, words: str | None = None, notes: list[str] | None = None) -> int | None:
    t = (digits_or_words or "").strip()
    if t.isdigit():
        n = int(t)
        if words:
            w = words_to_int(words)
            if w is not None and w != n and notes is not None:
                notes.append(f"{n} ({words.strip()})")
        return n
    return words_to_int(t) if t and all(x in NUMBER_WORDS for x in t.lower().split()) else None


def _kind(word: str) -> str:
    w = " ".join(word.lower().split())
    return "BK" if w in ("bk", "belum kompeten", "tidak kompeten") else "K"


# "Sebanyak 14 (empat belas) orang asesi ... dinyatakan KOMPETEN" (the scheme may sit between)
_SEBANYAK = Prefiltered(
    rf"sebanyak\s+{_NUM}\s*(?:\(\s*([a-z ]+?)\s*\))?\s*(?:orang|asesi|peserta)\b(.{{0,240}}?)"
    rf"(?:dinyatakan|direkomendasikan|ditetapkan|adalah)?\s*{_KOMP}\b", re.I)
# "dinyatakan kompeten sebanyak 9 (sembilan) orang"
_KOMP_SEBANYAK = Prefiltered(
    rf"(?:dinyatakan|direkomendasikan|ditetapkan)\s+(belum\s+kompeten|tidak\s+kompeten|kompeten)"
    rf"(.{{0,160}}?)\s+sebanyak\s+{_NUM}\s*(?:\(\s*([a-z ]+?)\s*\))?", re.I)
# "3 BK dan 17 K", "17 (tujuh belas) orang kompeten", "17 orang asesi dinyatakan kompeten"
# (the look-behind follows the first digit, so that the engine's scan for a digit starts a try)
_N_KOMP = re.compile(
    rf"(\d(?<![\w./-]\d)\d{{0,4}})\s*(?:\(\s*([a-z ]+?)\s*\))?\s*(?:orang\s+)?(?:asesi\s+|peserta\s+)?"
    rf"(?:yang\s+)?(?:dinyatakan\s+|direkomendasikan\s+)?{_KOMP}(?![\w/])", re.I)
# "Kompeten (K) : 10 orang", "Jumlah asesi yang belum kompeten = 2", "K: 17"
# (the look-ahead names every letter a match can start with: a try elsewhere fails at once; and
# the ":" and number stand at most 42 characters in, "jumlah peserta yang belum kompeten ( bk ) :")
_KOMP_LABEL = Anchored(re.compile(
    rf"(?=[jaypbtk])(?:jumlah\s+)?(?:asesi\s+|peserta\s+)?(?:yang\s+)?{_KOMP}\s*(?:\(\s*b?k\s*\))?\s*[:=|]\s*(\d{{1,5}})(?!\s*\|)"
    rf"(?:\s*\(\s*([a-z ]+?)\s*\))?", re.I), r"[:=|]\s*\d", 42)


_ANOTHER_COUNT = re.compile(r"\bsebanyak\b|(?<![\w.])\d{1,5}\s*(?:\(|orang|asesi|peserta)")
_NUMBER_LABEL_BEFORE = re.compile(r"(?:nomor|no\.?|tahun|nik)\s*:?\s*$")


def stated_counts(text: str) -> Counts:
    """Counts written in sentences or "label : number" lines."""
    out = Counts()
    notes: list[str] = []
    k: list[tuple[int, int, str]] = []   # (position, n, scheme text)
    bk: list[tuple[int, int, str]] = []
    taken: list[tuple[int, int]] = []
    flat = one_line(text)

    def add(kind: str, pos: int, number: tuple[str, str | None], span: tuple[int, int], scheme: str = "") -> None:
        if any(a <= span[0] < b or a < span[1] <= b for a, b in taken):
            return
        n = _number(number[0], number[1], notes)
        if n is None:
            return
        taken.append(span)
        (bk if kind == "BK" else k).append((pos, n, scheme))

    for m in _SEBANYAK.finditer(flat):
        middle = m.group(3)
        if _ANOTHER_COUNT.search(middle or ""):
            continue   # another count sits between: not this number's result word
        add(_kind(m.group(4)), m.start(), (m.group(1), m.group(2)), m.span(), _scheme_in(middle))
    for m in _KOMP_SEBANYAK.finditer(flat):
        add(_kind(m.group(1)), m.start(), (m.group(3), m.group(4)), m.span(), _scheme_in(m.group(2)))
    for m in _KOMP_LABEL.finditer(flat):
        add(_kind(m.group(1)), m.start(), (m.group(2), m.group(3)), m.span())
    for m in _N_KOMP.finditer(flat):
        before = flat[max(0, m.start() - 12):m.start()].lower()
        if _NUMBER_LABEL_BEFORE.search(before):
            continue
        add(_kind(m.group(3)), m.start(), (m.group(1), m.group(2)), m.span())
    k.sort()
    bk.sort()
    if k:
        schemes = [s for _, _, s in k if s]
        if len(k) > 1 and len(schemes) == len(k) and len({s.lower() for s in schemes}) == len(k):
            out.competent = sum(n for _, n, _ in k)                 # one sentence per scheme
            out.by_scheme = {s: n for _, n, s in k}
        else:
            out.competent = k[0][1]
    if bk:
        schemes = [s for _, _, s in bk if s]
        out.not_competent = sum(n for _, n, _ in bk) if len(bk) > 1 and len(schemes) == len(bk) else bk[0][1]
    out.mismatched_words = notes
    out.how = "jumlah tertulis dalam kalimat" if k or bk else ""
    return out


_SCHEME_IN_FRAGMENT = re.compile(
    r"\bskema(?:\s+sertifikasi)?\s+(.+?)\s*(?:yang\s+|dinyatakan|direkomendasikan|ditetapkan|$)", re.I)


def _scheme_in(fragment: str) -> str:
    m = _SCHEME_IN_FRAGMENT.search(fragment or "")
    return " ".join(m.group(1).split()).strip(" ,:") if m else ""


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.split(" | ")] if " | " in line else line.split()


def recap_counts(text: str) -> Counts:
    """A recap table: a header with K and BK columns (a ruled table's cells, or words), rows of
    numbers per scheme; a "Jumlah"/"Total" row is taken as the total when present."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        cells = [c.lower().strip(" ()") for c in _cells(line)]
        kcol = next((j for j, c in enumerate(cells) if c in ("k", "kompeten")), None)
        bkcol = next((j for j, c in enumerate(cells) if c in ("bk", "belum kompeten")), None)
        if kcol is None or bkcol is None or " | " not in line and len(cells) > 12:
            continue
        k_total = bk_total = 0
        by_scheme: dict[str, int] = {}
        total_row: tuple[int, int] | None = None
        rows = 0
        for row_line in lines[i + 1:]:
            row = _cells(row_line)
            if " | " in line:
                if len(row) != len(cells):
                    break
                kv, bkv = row[kcol], row[bkcol]
                label = " ".join(c for j, c in enumerate(row) if j not in (kcol, bkcol) and not c.isdigit())
            else:   # words: the K and BK numbers are the row's last numbers, in header order
                nums = [c for c in row if c.isdigit()]
                if len(nums) < 2:
                    break
                kv, bkv = (nums[-2], nums[-1]) if kcol < bkcol else (nums[-1], nums[-2])
                label = " ".join(c for c in row if not c.isdigit())
            if not (kv.isdigit() and bkv.isdigit()):
                break
            if re.match(r"(?:jumlah|total)\b", label.strip(), re.I):
                total_row = (int(kv), int(bkv))
                break
            rows += 1
            k_total += int(kv)
            bk_total += int(bkv)
            if label.strip():
                by_scheme[label.strip()] = int(kv)
        if rows or total_row:
            k_n, bk_n = total_row if total_row else (k_total, bk_total)
            return Counts(k_n, bk_n, by_scheme, "tabel rekapitulasi K/BK")
    return Counts()


_NAME_ROW = re.compile(
    r"^\s*\d{1,4}[.)]?\s*(?:\|\s*)?(?=.*[A-Za-z]{2}).+?(?:\s|\|)"
    r"(K|BK|Kompeten|Belum\s+Kompeten)\s*\|?\s*$", re.I)


def name_table_counts(text: str) -> Counts:
    """A numbered table of participants with their result and no count: count the rows."""
    k = bk = 0
    for line in text.splitlines():
        m = _NAME_ROW.match(line)
        if m:
            if _kind(m.group(1)) == "BK":
                bk += 1
            else:
                k += 1
    if k + bk >= 1:
        return Counts(k, bk, {}, "dihitung dari tabel nama peserta dengan hasil K/BK")
    return Counts()


def decision_counts(text: str) -> Counts:
    """Counts stated in words first; else a recap table; else the rows of a table of names."""
    stated = stated_counts(text)
    if stated.competent is not None:
        return stated
    for reading in (recap_counts, name_table_counts):
        found = reading(text)
        if found.competent is not None:
            found.mismatched_words = stated.mismatched_words
            return found
    return stated
