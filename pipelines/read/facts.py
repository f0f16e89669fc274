"""Facts taken from the text of each document type: numbers, dates (ISO), LSP name, counts,
schemes. Missing facts are simply absent; the checks decide what that means."""
from __future__ import annotations

import re

from pipelines.documents import (ASSESSMENT_MINUTES, CERTIFICATION_DECISION, REQUEST_LETTER,
                                 SIGNED_RECEIPT)
from pipelines.findings import Finding
from pipelines.read.dates import _MONTH_ALT, find_dates, parse_date
from pipelines.read.numbers import words_to_int

_NUMBER_LINE = re.compile(r"(?im)^[ \t]*(?:nomor|no)\s*\.?\s*:\s*(\S[^\n]*?)\s*$")
_NUMBER_TITLE = re.compile(r"(?im)^[ \t]*nomor\s*:?\s*(\S[^\n]*?)\s*$")
_CITY_DATE = re.compile(rf"(?m)^[ \t]*([A-Z][A-Za-z .'-]{{2,40}}),\s*(\d{{1,2}}\s+(?:{_MONTH_ALT})\.?\s+\d{{4}})", re.I)
_LSP = re.compile(r"\b(?:LSP|Lembaga\s+Sertifikasi\s+Profesi)\b[ \t]*(?:P[123]\s+)?([^\n,;:()]{3,90})", re.I)
_WORDS = r"[a-zA-Z][a-zA-Z ]*?"
_QTY = re.compile(
    rf"(\d{{1,6}})\s*\(\s*({_WORDS})\s*\)\s*(?:lembar|buah|eksemplar|keping|set)?\s*blanko", re.I)
_QTY_AFTER = re.compile(
    rf"blanko[^.\n]{{0,120}}?(?:sebanyak|berjumlah|jumlah|total)\s*:?\s*(\d{{1,6}})(?:\s*\(\s*({_WORDS})\s*\))?", re.I)
_QTY_WORDS_ONLY = re.compile(rf"sebanyak\s+({_WORDS})\s+(?:lembar\s+|buah\s+|eksemplar\s+)?blanko", re.I)
_QTY_LABEL = re.compile(rf"jumlah\s+(?:blanko|sertifikat)[^:\n]{{0,40}}:\s*(\d{{1,6}})(?:\s*\(\s*({_WORDS})\s*\))?", re.I)
_SCHEME = re.compile(
    r"\bskema(?:\s+sertifikasi)?(?:\s+(?:okupasi|klaster|kkni(?:\s+level\s+\w+)?))?\s*[:\-]\s*([^\n;]{3,120})", re.I)
_SCHEME_ITEM = re.compile(  # "1. Skema Junior Web Developer: 10 (sepuluh) orang"
    rf"(?im)^[ \t]*(?:\d{{1,2}}[.)][ \t]*)?skema(?:[ \t]+sertifikasi)?[ \t]+([^:\n]{{3,100}}?)[ \t]*:[ \t]*(\d{{1,6}})"
    rf"(?:[ \t]*\([ \t]*({_WORDS})[ \t]*\))?[ \t]*(?:orang|asesi|peserta|blanko)")
_SCHEME_TITLE = re.compile(  # "... HASIL SERTIFIKASI KOMPETENSI SKEMA JUNIOR WEB DEVELOPER."
    r"sertifikasi\s+kompetensi\s+(?:pada\s+)?skema\s+([^.;\n]{3,200})", re.I)
_SCHEME_INLINE = re.compile(
    r"\bpada\s+skema(?:\s+sertifikasi)?(?:\s+(?:okupasi|klaster))?\s+([A-Z][^\n;,.]{2,100}?)(?=\s+(?:sebanyak|dengan|yang|di|pada|tanggal)\b|[\n;,.]|$)",
    re.I)
_COMPETENT = [
    re.compile(rf"sebanyak\s+(\d{{1,6}})\s*(?:\(\s*({_WORDS})\s*\))?\s*(?:orang\s*)?(?:asesi\s*|peserta\s*)?"
               rf"(?:yang\s+)?(?:dinyatakan\s+|direkomendasikan\s+)?(belum\s+)?kompeten\b", re.I),
    re.compile(rf"(\d{{1,6}})\s*(?:\(\s*({_WORDS})\s*\))?\s*(?:orang\s+)?(?:asesi|peserta)\s+(?:yang\s+)?"
               rf"(?:dinyatakan\s+|direkomendasikan\s+)?(belum\s+)?kompeten\b", re.I),
    re.compile(rf"(?:jumlah\s+)?(?:asesi|peserta)\s+(?:yang\s+)?(belum\s+)?kompeten\s*(?:\(\s*b?k\s*\))?\s*[:=]\s*(\d{{1,6}})"
               rf"(?:\s*\(\s*({_WORDS})\s*\))?", re.I),
    re.compile(rf"dinyatakan\s+(belum\s+)?kompeten\s+sebanyak\s+(\d{{1,6}})(?:\s*\(\s*({_WORDS})\s*\))?", re.I),
]
_DECISION_DATE = re.compile(r"(?:pada\s+tanggal|tanggal\s+ditetapkan|ditetapkan\s+tanggal)\s*:?\s*([^\n]{6,60})", re.I)
_MINUTES_DATE = [
    re.compile(r"pada\s+hari\s+ini[^\n]{0,160}", re.I),
    re.compile(r"(?:tanggal|tgl\.?)\s+(?:asesmen|uji(?:\s+kompetensi)?|pelaksanaan)\s*:?\s*([^\n]{6,60})", re.I),
    re.compile(r"(?:telah\s+)?(?:dilaksanakan|melaksanakan)[^\n]{0,80}?(?:pada\s+)?tanggal\s*:?\s*([^\n]{6,60})", re.I),
]


def _clean(s: str) -> str:
    return " ".join(s.split()).strip(" :.-,")


def letter_number(text: str) -> str:
    for rx in (_NUMBER_LINE, _NUMBER_TITLE):
        m = rx.search(text)
        if m:
            value = re.split(r"\s{2,}|\t", m.group(1).strip())[0]
            value = _clean(value)
            if re.search(r"\d", value) and len(value) <= 80:
                return value
    return ""


def letter_date(text: str) -> str:
    m = _CITY_DATE.search(text)
    if m:
        d = parse_date(m.group(2))
        if d:
            return d.isoformat()
    m = re.search(r"(?im)^[ \t]*tanggal\s*:\s*([^\n]+)", text)
    if m:
        d = parse_date(m.group(1))
        if d:
            return d.isoformat()
    dates = find_dates(text[:1500])
    return dates[0][1].isoformat() if dates else ""


def lsp_name(text: str) -> str:
    for m in _LSP.finditer(text[:3000]):
        name = _clean(m.group(1))
        name = re.split(r"\s+(?:nomor|no\.|alamat|jl\.|jalan|telp|email|dengan|yang|untuk|kepada)\b", name, flags=re.I)[0]
        name = _clean(name)
        if len(name) >= 3 and not re.match(r"(?:kami|tersebut|ini|pemohon)\b", name, re.I):
            if name.isupper():
                name = name.title()
            return f"LSP {name}"
    return ""


def _quantity(digits: str | None, words: str | None) -> tuple[int | None, int | None]:
    d = int(digits) if digits else None
    w = words_to_int(words) if words else None
    return d, w


def blanks_requested(text: str) -> tuple[int | None, int | None]:
    """(number in digits, number in words) of blanks asked for."""
    text = " ".join(text.split())  # a sentence may wrap anywhere
    for rx in (_QTY, _QTY_LABEL, _QTY_AFTER):
        m = rx.search(text)
        if m:
            return _quantity(m.group(1), m.group(2))
    m = _QTY_WORDS_ONLY.search(text)
    if m:
        w = words_to_int(m.group(1))
        if w is not None:
            return w, w
    return None, None


def scheme_counts(text: str) -> dict[str, int]:
    """Per-scheme counts from list items ("1. Skema X: 10 orang")."""
    out: dict[str, int] = {}
    for m in _SCHEME_ITEM.finditer(text):
        name = _clean(m.group(1))
        if name and not re.match(r"(?:sertifikasi|tersebut)\b", name, re.I):
            out[name] = out.get(name, 0) + int(m.group(2))
    return out


def schemes(text: str) -> list[str]:
    out: list[str] = list(scheme_counts(text))
    for rx in (_SCHEME, _SCHEME_INLINE):
        for m in rx.finditer(text):
            name = _clean(m.group(1))
            name = re.split(r"\s+(?:sebanyak|dengan\s+jumlah|nomor|no\.|yang\s+dilaksanakan|di\s+tuk)\b", name, flags=re.I)[0]
            name = _clean(name)
            if len(name) >= 3 and name.lower() not in {s.lower() for s in out} \
                    and not re.match(r"(?:sertifikasi|tersebut|ini|yang)\b", name, re.I):
                out.append(name)
    if not out:
        m = _SCHEME_TITLE.search(" ".join(text.split()))
        if m:
            for part in re.split(r",\s*|\s+dan\s+", m.group(1)):
                part = _clean(part)
                if len(part) >= 3:
                    out.append(part.title() if part.isupper() else part)
    return out


def competent_counts(text: str) -> tuple[list[int], list[int], list[str]]:
    """(K counts, BK counts, mismatch notes) as written in the text, in order."""
    text = " ".join(text.split())
    k: list[tuple[int, int]] = []
    bk: list[tuple[int, int]] = []
    notes: list[str] = []
    seen: set[int] = set()
    for rx in _COMPETENT:
        for m in rx.finditer(text):
            if m.start() in seen:
                continue
            seen.add(m.start())
            g = m.groups()
            if rx is _COMPETENT[2] or rx is _COMPETENT[3]:
                belum, digits, words = g[0], g[1], g[2]
            else:
                digits, words, belum = g[0], g[1], g[2]
            d, w = _quantity(digits, words)
            if d is None:
                continue
            if w is not None and w != d:
                notes.append(f"{d} ({words})")
            (bk if belum else k).append((m.start(), d))
    return [n for _, n in sorted(k)], [n for _, n in sorted(bk)], notes


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
        sc = schemes(text)
        facts["schemes"] = sc
        facts["scheme_counts"] = scheme_counts(text)
        k, bk, notes = competent_counts(text)
        if k:
            facts["competent_count"] = sum(k) if len(k) == len(sc) and len(sc) > 1 else k[0]
            facts["competent_counts"] = k
        if bk:
            facts["not_competent_count"] = sum(bk) if len(bk) == len(sc) and len(sc) > 1 else bk[0]
        for note in notes:
            findings.append(Finding.error(
                "ANGKA_TERBILANG_TIDAK_SESUAI",
                f"Keputusan sertifikasi {filename} menulis jumlah {note} dengan angka dan huruf yang berbeda; "
                f"mohon perbaiki.", where=filename, value=note))
    elif doc_type == ASSESSMENT_MINUTES:
        facts["assessment_date"] = minutes_date(text)
        sc = schemes(text)
        facts["schemes"] = sc
        if sc:
            facts["scheme"] = sc[0]
        k, bk, _ = competent_counts(text)
        if k:
            facts["competent_count"] = k[0]
        if bk:
            facts["not_competent_count"] = bk[0]
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
