"""Facts taken from the text of each document type: numbers, dates (ISO), LSP name, counts,
schemes. Missing facts are simply absent; the checks decide what that means."""
from __future__ import annotations

import re

from pipelines.documents import (ASSESSMENT_MINUTES, CERTIFICATION_DECISION, REQUEST_LETTER,
                                 SIGNED_RECEIPT)
from pipelines.findings import Finding
from pipelines.read.counts import decision_counts
from pipelines.read.dates import _MONTH_ALT, find_dates, parse_date
from pipelines.read.literals import Anchored, Prefiltered, one_line
from pipelines.read.numbers import NUMBER_WORDS, words_to_int

_NUMBER_LINE = re.compile(r"(?im)^[ \t]*(?:nomor|no)\s*\.?\s*:\s*(\S[^\n]*?)\s*$")
_NUMBER_TITLE = Prefiltered(r"(?im)^[ \t]*nomor\s*:?\s*(\S[^\n]*?)\s*$")
_CITY_DATE = re.compile(rf"(?m)^[ \t]*([A-Z][A-Za-z .'-]{{2,40}}),\s*(\d{{1,2}}\s+(?:{_MONTH_ALT})\.?\s+\d{{4}})", re.I)
_LSP = re.compile(r"\b(?:LSP|Lembaga\s+Sertifikasi\s+Profesi)\b[ \t]*(?:P[123]\s+)?([^\n,;:()]{3,90})", re.I)
_WORDS = r"[a-zA-Z][a-zA-Z ]*?"
_QTY = Prefiltered(
    rf"(\d{{1,6}})\s*\(\s*({_WORDS})\s*\)\s*(?:lembar|buah|eksemplar|keping|set)?\s*blanko", re.I)
_QTY_AFTER = Prefiltered(
    rf"blanko[^.\n]{{0,120}}?(?:sebanyak|berjumlah|jumlah|total)\s*:?\s*(\d{{1,6}})(?:\s*\(\s*({_WORDS})\s*\))?", re.I)
_NUMBER_WORDS = rf"(?:{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})(?:\s+(?:{'|'.join(sorted(NUMBER_WORDS, key=len, reverse=True))})){{0,6}}"
_QTY_WORDS_ONLY = [  # the number only in words: "sebanyak dua puluh lima lembar blanko", "blanko ... sebanyak sepuluh lembar"
    Prefiltered(rf"sebanyak\s+({_NUMBER_WORDS})\s+(?:lembar\s+|buah\s+|eksemplar\s+)?blanko", re.I),
    Prefiltered(rf"blanko[^.\n]{{0,120}}?(?:sebanyak|berjumlah|jumlah)\s*:?\s*({_NUMBER_WORDS})\b", re.I),
]
_QTY_LABEL = Prefiltered(rf"jumlah\s+(?:blanko|sertifikat)[^:\n]{{0,40}}:\s*(\d{{1,6}})(?:\s*\(\s*({_WORDS})\s*\))?", re.I)
_SCHEME_ITEM = Prefiltered(  # "1. Skema Junior Web Developer: 10 (sepuluh) orang"
    rf"(?im)^[ \t]*(?:\d{{1,2}}[.)][ \t]*)?skema(?:[ \t]+sertifikasi)?[ \t]+([^:\n]{{3,100}}?)[ \t]*:[ \t]*(\d{{1,6}})"
    rf"(?:[ \t]*\([ \t]*({_WORDS})[ \t]*\))?[ \t]*(?:orang|asesi|peserta|blanko)")
_SCHEME_TITLE = Prefiltered(  # "... HASIL SERTIFIKASI KOMPETENSI SKEMA JUNIOR WEB DEVELOPER."
    r"sertifikasi\s+kompetensi\s+(?:pada\s+)?skema\s+([^.;\n]{3,200})", re.I)
_DECISION_DATE = Prefiltered(r"(?:pada\s+tanggal|tanggal\s+ditetapkan|ditetapkan\s+tanggal)\s*:?\s*([^\n]{6,60})", re.I)
_MINUTES_DATE = [
    Prefiltered(r"pada\s+hari\s+ini[^\n]{0,160}", re.I),
    Prefiltered(r"(?:tanggal|tgl\.?)\s+(?:asesmen|uji(?:\s+kompetensi)?|pelaksanaan)\s*:?\s*([^\n]{6,60})", re.I),
    Prefiltered(r"(?:telah\s+)?(?:dilaksanakan|melaksanakan)[^\n]{0,80}?(?:pada\s+)?tanggal\s*:?\s*([^\n]{6,60})", re.I),
]


def _clean(s: str) -> str:
    return " ".join(s.split()).strip(" :.-,")


# What may follow a letter number on its line: "Bandung, 9 November 2026", "tanggal ...", "Lampiran"
_AFTER_NUMBER = re.compile(
    rf"\s{{2,}}|\t|\s+(?:tanggal|tgl\.?|lampiran|lamp\.|perihal|hal)\b|"
    rf"\s+[A-Z][A-Za-z.'-]+(?:\s+[A-Z][A-Za-z.'-]+){{0,3}}\s*,\s*\d{{1,2}}\s+(?:{_MONTH_ALT})\b|"
    rf"\s+\d{{1,2}}\s+(?:{_MONTH_ALT})\s+\d{{4}}", re.I)


_DIGIT = re.compile(r"\d")
_TANGGAL_LINE = re.compile(r"(?im)^[ \t]*tanggal\s*:\s*([^\n]+)")


def letter_number(text: str) -> str:
    for rx in (_NUMBER_LINE, _NUMBER_TITLE):
        m = rx.search(text)
        if m:
            value = _AFTER_NUMBER.split(m.group(1).strip(), maxsplit=1)[0]
            value = _clean(value)
            if _DIGIT.search(value) and len(value) <= 80:
                return value
    return ""


def letter_date(text: str) -> str:
    m = _CITY_DATE.search(text)
    if m:
        d = parse_date(m.group(2))
        if d:
            return d.isoformat()
    m = _TANGGAL_LINE.search(text)
    if m:
        d = parse_date(m.group(1))
        if d:
            return d.isoformat()
    dates = find_dates(text[:1500])
    return dates[0][1].isoformat() if dates else ""


_LICENCE = re.compile(r"lisensi|license|licen[cs]e|\bno\b\.?|nomor|\bsk\b|\bkep\b|terakreditasi|\d{3,}", re.I)
_LOWER_WORDS = {"dan", "di", "ke", "dari", "untuk", "pada"}
_CAPITALS = re.compile(r"[A-Z]{4,}")
_NOT_LETTER = re.compile(r"[^A-Za-z]")
_LETTERHEAD = re.compile(r"^(?:LSP|Lembaga\s+Sertifikasi\s+Profesi)\b[\s:-]*(.*)$", re.I)
_LETTERHEAD_END = re.compile(r"\s*[|,;]\s*|\s{2,}|\s+(?:jl\.|jalan|telp|email|alamat)\b", re.I)
_NAME_END = re.compile(r"\s+(?:nomor|no\.|alamat|jl\.|jalan|telp|email|dengan|yang|untuk|kepada|mengajukan|memohon|"
                       r"bermaksud|menyampaikan|bersama)\b", re.I)
_NOT_A_NAME = re.compile(r"(?:kami|tersebut|ini|pemohon)\b", re.I)


def _title(name: str) -> str:
    """"LSP P1 SMK NEGERI 2 PALEMBANG" -> "LSP P1 SMK Negeri 2 Palembang": short acronyms stay."""
    if not name.isupper():
        return name
    words = []
    for w in name.split():
        if w.lower() in _LOWER_WORDS:
            words.append(w.lower())
        else:   # "NEGERI" -> "Negeri", "<MANDIRI>" -> "<Mandiri>"; "SMK", "P1", "TIK" stay
            words.append(_CAPITALS.sub(lambda m: m.group(0).capitalize(), w))
    return " ".join(words)


def letterhead_lsp(text: str) -> str:
    """The LSP's name as its letterhead prints it (the first lines), never a licence number."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()][:6]
    for ln in lines:
        m = _LETTERHEAD.match(ln)
        if not m:
            continue
        rest = _LETTERHEAD_END.split(m.group(1))[0]
        rest = _clean(rest)
        if len(_NOT_LETTER.sub("", rest)) < 3 or _LICENCE.search(rest):
            continue
        return "LSP " + _title(rest)
    return ""


def lsp_name(text: str) -> str:
    head = letterhead_lsp(text)
    if head:
        return head
    for m in _LSP.finditer(text[:3000]):
        name = _clean(m.group(1))
        name = _NAME_END.split(name)[0]
        name = _clean(name)
        if len(_NOT_LETTER.sub("", name)) >= 3 and not _NOT_A_NAME.match(name) \
                and not _LICENCE.search(name) and not m.group(0)[3:4] in ("-", "."):
            return f"LSP {_title(name)}"
    return ""


def _quantity(digits: str | None, words: str | None) -> tuple[int | None, int | None]:
    d = int(digits) if digits else None
    w = words_to_int(words) if words else None
    return d, w


def blanks_requested(text: str) -> tuple[int | None, int | None]:
    """(number in digits, number in words) of blanks asked for."""
    text = one_line(text)  # a sentence may wrap anywhere
    for rx in (_QTY, _QTY_LABEL, _QTY_AFTER):
        m = rx.search(text)
        if m:
            return _quantity(m.group(1), m.group(2))
    for rx in _QTY_WORDS_ONLY:
        m = rx.search(text)
        if m:
            w = words_to_int(m.group(1))
            if w is not None:
                return w, w
    return None, None


_NOT_AN_ITEM = re.compile(r"(?:sertifikasi|tersebut)\b", re.I)


def scheme_counts(text: str) -> dict[str, int]:
    """Per-scheme counts from list items ("1. Skema X: 10 orang")."""
    out: dict[str, int] = {}
    for m in _SCHEME_ITEM.finditer(text):
        name = _clean(m.group(1))
        if name and not _NOT_AN_ITEM.match(name):
            out[name] = out.get(name, 0) + int(m.group(2))
    return out


# "skema Junior Web Developer dinyatakan ...", "Skema Kualifikasi III Tata Boga (KKNI.III.TBG)",
# "Skema: SKM.NET.03 - Teknisi Jaringan Muda": the value runs to a stop word or the end of the line.
_SCHEME_ANY = Prefiltered(
    r"\bskema(?:\s+sertifikasi)?(?:\s+(?:okupasi|klaster))?\s*[:\-–|]?\s*(?P<value>[A-Z0-9][^\n;|]{2,160})", re.I)
_SCHEME_STOP = re.compile(
    r"\s+(?:sebanyak|dinyatakan|direkomendasikan|ditetapkan|dengan(?:\s+jumlah)?|nomor|no\.|yang|di\s+tuk|"
    r"di\s+tempat|tanggal|tgl|pada\s+tanggal|sebagaimana|bertempat|telah|untuk|oleh|periode|tahun)\b|"
    r"(?<!\.[A-Z])(?<!\.[A-Z]{2})(?<!\.[A-Z]{3})[,.](?=\s|$)|\s*:", re.I)
_SCHEME_IN_SENTENCE = Prefiltered(
    r"\b(?:pada|asesi|peserta|untuk|dalam)\s+skema(?:\s+sertifikasi)?\s+(?P<value>[A-Z0-9][^;|.]{2,160}?"
    r"(?:\([^)]{2,40}\))?)(?=\s+(?:dinyatakan|direkomendasikan|ditetapkan|sebanyak)\b)", re.I)
# (the look-behind follows the first character, so that the engine's scan for [A-Z0-9] starts a try;
# the code before the " - " is at most 1 + 11 + 6 * 13 = 90 characters)
_CODED = Anchored(re.compile(
    r"([A-Z0-9](?<![\w.][A-Z0-9])[A-Z0-9]{0,11}(?:[./_-][A-Z0-9]{1,12}){1,6})\s+[-–]\s+[A-Z][^\n;|:]{2,120}"),
    r"\s[-–]\s", 90)
_NOT_A_SCHEME = re.compile(r"^(?:sertifikasi|tersebut|ini|yang|dan|kompetensi|no|nomor|k|bk|jumlah)\b", re.I)


def schemes(text: str) -> list[str]:
    """Every scheme the text names, as written (code and name kept together), each once."""
    from pipelines.read.schemes import is_code, parse_scheme

    out: list[str] = []
    keys: set[str] = set()

    def add(value: str) -> None:
        value = _clean(_SCHEME_STOP.split(value, maxsplit=1)[0])
        if len(_NOT_LETTER.sub("", value)) < 2 or _NOT_A_SCHEME.match(value):
            return
        scheme = parse_scheme(value)
        if scheme and scheme.key not in keys:
            keys.add(scheme.key)
            out.append(_title(value) if value.isupper() and not scheme.code else value)

    for name in scheme_counts(text):
        add(name)
    for line in _SCHEME_ANY.lines_that_may_match(text):
        for m in _SCHEME_ANY.finditer(line):
            add(m.group("value"))
    flat = one_line(text)
    for m in _SCHEME_IN_SENTENCE.finditer(flat):   # a sentence wrapped over lines, up to its verb
        add(m.group("value"))
    for m in _CODED.finditer(flat):            # "SKM.NET.03 - Teknisi Jaringan Muda" wherever it stands
        if is_code(m.group(1)):
            add(m.group(0))
    if not out:
        m = _SCHEME_TITLE.search(flat)
        if m:
            for part in re.split(r",\s*|\s+dan\s+", m.group(1)):
                add(part)
    return out


def decision_date(text: str) -> str:
    m = _DECISION_DATE.search(text)
    if m:
        d = parse_date(m.group(1))
        if d:
            return d.isoformat()
    m = _CITY_DATE.search(text)
    if m:
        d = parse_date(m.group(2))
        if d:
            return d.isoformat()
    dates = find_dates(text)
    return dates[-1][1].isoformat() if dates else ""


def minutes_date(text: str) -> str:
    for rx in _MINUTES_DATE:
        m = rx.search(text)
        if m:
            d = parse_date(m.group(m.lastindex or 0) if m.lastindex else m.group(0))
            if d:
                return d.isoformat()
    dates = find_dates(text)
    return dates[0][1].isoformat() if dates else ""


def extract(doc_type: str, text: str, filename: str) -> tuple[dict, list[Finding]]:
    """Facts for a document of `doc_type`, plus findings about the facts themselves."""
    facts: dict = {}
    findings: list[Finding] = []
    if not text.strip():
        return facts, findings
    if doc_type == REQUEST_LETTER:
        facts["letter_number"] = letter_number(text)
        facts["letter_date"] = letter_date(text)
        facts["lsp_name"] = lsp_name(text)
        d, w = blanks_requested(text)
        if d is not None:
            facts["blanks_requested"] = d
        if w is not None:
            facts["blanks_requested_words"] = w
        if d is not None and w is not None and d != w:
            findings.append(Finding.error(
                "ANGKA_TERBILANG_TIDAK_SESUAI",
                f"Surat permohonan {filename} menulis jumlah blanko {d} dalam angka tetapi {w} dalam huruf; "
                f"mohon perbaiki agar sama.", where=filename, digits=d, words=w))
        facts["schemes"] = schemes(text)
        facts["scheme_counts"] = scheme_counts(text)
    elif doc_type == CERTIFICATION_DECISION:
        facts["decision_number"] = letter_number(text)
        facts["decision_date"] = decision_date(text)
        facts["lsp_name"] = lsp_name(text)
        counts = decision_counts(text)
        named = schemes(text)
        facts["schemes"] = named + [s for s in counts.by_scheme if s not in named]
        facts["scheme_counts"] = scheme_counts(text) or counts.by_scheme
        if counts.competent is not None:
            facts["competent_count"] = counts.competent
            facts["count_reading"] = counts.how
        if counts.not_competent is not None:
            facts["not_competent_count"] = counts.not_competent
        for note in counts.mismatched_words:
            findings.append(Finding.error(
                "ANGKA_TERBILANG_TIDAK_SESUAI",
                f"Keputusan sertifikasi {filename} menulis jumlah {note} dengan angka dan huruf yang berbeda; "
                f"mohon perbaiki agar angka dan hurufnya sama.", where=filename, value=note))
    elif doc_type == ASSESSMENT_MINUTES:
        facts["assessment_date"] = minutes_date(text)
        sc = schemes(text)
        facts["schemes"] = sc
        if sc:
            facts["scheme"] = sc[0]
        counts = decision_counts(text)
        if counts.competent is not None:
            facts["competent_count"] = counts.competent
        if counts.not_competent is not None:
            facts["not_competent_count"] = counts.not_competent
    elif doc_type == SIGNED_RECEIPT:
        facts["receipt_number"] = letter_number(text)
        facts["lsp_name"] = lsp_name(text)
        d, _ = blanks_requested(text)
        if d is not None:
            facts["blanks"] = d
        dates = find_dates(text)
        if dates:
            facts["receipt_date"] = dates[-1][1].isoformat()
    return {k: v for k, v in facts.items() if v not in ("", None, [], {})}, findings
