"""What reaches people: one problem, one line, each saying what to send or fix.

Pure functions over documents and findings:
- a file that could not be opened (truncated, password-protected, corrupt) counts as the document
  it stands for, so the LSP reads "resend the decision, it is truncated" and not also "the decision
  is missing";
- the findings of one participant row about one NIK become one line (a duplicated NIK explains the
  birth date and sex that do not match it);
- an approval sheet is never written with an empty scheme or an unread count: such a dossier waits
  for an officer.
"""
from __future__ import annotations

import dataclasses
import re

from pipelines.documents import OTHER, PARTICIPANT_LIST, Document
from pipelines.findings import Finding, Severity
from pipelines.read.recognise import filename_hint, label

UNREADABLE = {"PDF_TERPOTONG", "PDF_TERENKRIPSI", "PDF_RUSAK", "BERKAS_TERENKRIPSI", "BERKAS_EXCEL_RUSAK",
              "LAMPIRAN_KOSONG", "GAMBAR_RUSAK"}
_WHY = {
    "PDF_TERPOTONG": "terpotong (tidak lengkap) sehingga tidak dapat dibuka",
    "PDF_TERENKRIPSI": "dilindungi kata sandi sehingga tidak dapat dibaca",
    "BERKAS_TERENKRIPSI": "dilindungi kata sandi sehingga tidak dapat dibaca",
    "PDF_RUSAK": "rusak sehingga tidak dapat dibuka",
    "BERKAS_EXCEL_RUSAK": "rusak sehingga tidak dapat dibuka",
    "LAMPIRAN_KOSONG": "kosong (0 byte)",
    "GAMBAR_RUSAK": "rusak sehingga tidak dapat dibaca",
}
APPROVAL_FACTS_MISSING = "DATA_PERSETUJUAN_KOSONG"


def _unreadable(doc: Document) -> Finding | None:
    return next((f for f in doc.findings if f.is_error and f.code in UNREADABLE), None)


def attribute_unreadable(documents: list[Document], checklist: list[dict]) -> list[Document]:
    """Unreadable files typed by what they stand for: their name's hint, else the one required
    document that is otherwise missing. Returns new Document values; the input is not changed."""
    out = list(documents)
    required = [item.get("doc_type") or item.get("id") for item in checklist or [] if int(item.get("min") or 0) > 0]
    for i, d in enumerate(out):
        if d.doc_type == OTHER and _unreadable(d):
            hint = filename_hint(d.filename)
            if hint:
                out[i] = _as_type(d, hint, f'berkas tidak terbaca; jenis dari nama berkas "{d.filename}"')
    present = {d.doc_type for d in out}
    missing = [t for t in required if t not in present]
    blind = [i for i, d in enumerate(out) if d.doc_type == OTHER and _unreadable(d)]
    if len(missing) == 1 and len(blind) == 1:
        i = blind[0]
        out[i] = _as_type(out[i], missing[0], "berkas tidak terbaca; satu-satunya dokumen wajib yang belum ada")
    return out


def _as_type(doc: Document, doc_type: str, why: str) -> Document:
    return dataclasses.replace(doc, doc_type=doc_type, evidence=[*doc.evidence, why],
                               findings=list(doc.findings))


def name_unreadable(documents: list[Document]) -> dict[tuple[str, str], Finding]:
    """(code, where) of each unreadable-file finding -> the same finding naming the document kind
    and what to send."""
    out: dict[tuple[str, str], Finding] = {}
    for d in documents:
        f = _unreadable(d)
        if f is None or d.doc_type == OTHER:
            continue
        kind = label(d.doc_type)
        out[(f.code, f.where)] = Finding(
            f.code, f.severity,
            f"Berkas {kind.lower()} ({d.filename}) {_WHY[f.code]}; mohon kirim ulang {kind.lower()} dalam "
            f"berkas yang utuh" + (" tanpa kata sandi." if "sandi" in _WHY[f.code] else "."),
            f.where, f.details)
    return out


_ROW = re.compile(r"^(.*?baris \d+)")
_NIK_ROW_CODES = {"NIK_GANDA", "NIK_TANGGAL_LAHIR_TIDAK_SESUAI", "NIK_JENIS_KELAMIN_TIDAK_SESUAI"}


def one_nik_line_per_row(findings: list[Finding]) -> list[Finding]:
    """A duplicated NIK in a row is the one problem of that row (its birth date and sex do not fit
    because it is someone else's NIK); a NIK whose birth date and sex both disagree is one line."""
    rows: dict[str, list[Finding]] = {}
    for f in findings:
        if f.code in _NIK_ROW_CODES and f.is_error:
            m = _ROW.match(f.where or "")
            if m:
                rows.setdefault(m.group(1).replace(", lembar", ", lembar"), []).append(f)
    drop: set[int] = set()
    merged: dict[int, Finding] = {}
    for group in rows.values():
        if len(group) < 2:
            continue
        dup = next((f for f in group if f.code == "NIK_GANDA"), None)
        if dup is not None:
            drop.update(id(f) for f in group if f is not dup)
            continue
        first, rest = group[0], group[1:]
        text = first.message.rstrip(". ") + "; " + "; ".join(
            re.sub(r"^NIK di .*?\) ", "NIK yang sama ", r.message).rstrip(". ") for r in rest)
        merged[id(first)] = Finding(first.code, first.severity, text + "; mohon perbaiki NIK atau data peserta "
                                    "tersebut sesuai KTP.", first.where, first.details)
        drop.update(id(r) for r in rest)
    return [merged.get(id(f), f) for f in findings if id(f) not in drop]


def check_approval_facts(summary: dict, documents: list[Document]) -> list[Finding]:
    """What the approval sheet and the receipt will print must be known: the schemes and the number
    of blanks. Otherwise an officer completes it first (never the LSP: nothing is wrong on their side)."""
    if not any(d.doc_type == PARTICIPANT_LIST for d in documents):
        return []
    missing = []
    schemes = summary.get("schemes") or {}
    if not schemes or any(not str(name).strip() for name in schemes):
        missing.append("skema sertifikasi")
    if summary.get("competent_total") in (None, 0) and summary.get("blanks_requested") in (None, 0):
        missing.append("jumlah blanko")
    if not missing:
        return []
    return [Finding(APPROVAL_FACTS_MISSING, Severity.WARNING,
                    f"Lembar persetujuan belum dapat dibuat karena {' dan '.join(missing)} tidak terbaca dari "
                    f"dokumen; petugas perlu melengkapinya.", "lembar persetujuan", {"missing": missing})]
