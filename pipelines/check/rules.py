"""Cross-document checks. Each is a small pure function over plain values returning findings:
errors are phrased for the LSP (they block completeness), warnings are for officers."""
from __future__ import annotations

import re
from datetime import date

from pipelines.documents import OTHER, Document, Roster
from pipelines.findings import Finding
from pipelines.check.facts import (AssessmentMinutes, CertificationDecision, RequestLetter,
                                   normalise_scheme, same_scheme)
from pipelines.write.words import format_date_id


def check_blank_count(letter: RequestLetter, competent_total: int, source: str = "daftar peserta") -> list[Finding]:
    """The blanks requested must equal the competent participants listed."""
    if letter.blanks_requested is None or letter.blanks_requested == competent_total:
        return []
    return [Finding.error(
        "BLANKO_TIDAK_SESUAI",
        f"Surat permohonan meminta {letter.blanks_requested} blanko, daftar peserta memuat "
        f"{competent_total} peserta kompeten.", where=letter.source,
        requested=letter.blanks_requested, competent=competent_total, roster=source)]


def check_decision_count(decision: CertificationDecision, competent_total: int) -> list[Finding]:
    """The decision's competent count must equal the competent participants listed."""
    if decision.competent_count is None or decision.competent_count == competent_total:
        return []
    return [Finding.error(
        "JUMLAH_KOMPETEN_TIDAK_SESUAI",
        f"Keputusan sertifikasi ({decision.source}) menetapkan {decision.competent_count} peserta kompeten, "
        f"daftar peserta memuat {competent_total} peserta kompeten.", where=decision.source,
        decision=decision.competent_count, roster=competent_total)]


def check_letter_vs_decision(letter: RequestLetter, decision: CertificationDecision) -> list[Finding]:
    """The blanks requested must equal the competent count in the decision."""
    if letter.blanks_requested is None or decision.competent_count is None \
            or letter.blanks_requested == decision.competent_count:
        return []
    return [Finding.error(
        "BLANKO_TIDAK_SESUAI_KEPUTUSAN",
        f"Surat permohonan meminta {letter.blanks_requested} blanko, sedangkan keputusan sertifikasi "
        f"({decision.source}) menetapkan {decision.competent_count} peserta kompeten.", where=letter.source,
        requested=letter.blanks_requested, decision=decision.competent_count)]


def check_schemes(roster_schemes: list[str], decisions: list[CertificationDecision],
                  minutes: list[AssessmentMinutes]) -> list[Finding]:
    """Every scheme in the participant list appears in the decision and in some minutes, and the
    decision names no scheme that the list lacks (names compared after normalising)."""
    out: list[Finding] = []
    listed = [s for s in roster_schemes if normalise_scheme(s)]
    decided = [(s, d.source) for d in decisions for s in d.schemes if normalise_scheme(s)]
    recorded = [(s, m.source) for m in minutes for s in m.schemes if normalise_scheme(s)]
    if listed and decided:
        for s in listed:
            if not any(same_scheme(s, x) for x, _ in decided):
                out.append(Finding.error(
                    "SKEMA_TIDAK_SESUAI",
                    f"Skema \"{s}\" pada daftar peserta tidak tercantum dalam keputusan sertifikasi "
                    f"(keputusan menyebut: {', '.join(x for x, _ in decided)}).",
                    where=decided[0][1], scheme=s, documents=["daftar peserta", "keputusan"]))
        for x, src in decided:
            if not any(same_scheme(s, x) for s in listed):
                out.append(Finding.error(
                    "SKEMA_TIDAK_SESUAI",
                    f"Skema \"{x}\" dalam keputusan sertifikasi ({src}) tidak ada pada daftar peserta "
                    f"(daftar memuat: {', '.join(listed)}).", where=src, scheme=x,
                    documents=["keputusan", "daftar peserta"]))
    reference = listed or [x for x, _ in decided]
    if reference and recorded:
        for x, src in recorded:
            if not any(same_scheme(s, x) for s in reference):
                out.append(Finding.error(
                    "SKEMA_TIDAK_SESUAI",
                    f"Skema \"{x}\" pada berita acara {src} tidak sesuai dengan skema pada "
                    f"{'daftar peserta' if listed else 'keputusan sertifikasi'} ({', '.join(reference)}).",
                    where=src, scheme=x, documents=["berita acara", "daftar peserta" if listed else "keputusan"]))
        for s in reference:
            if not any(same_scheme(s, x) for x, _ in recorded):
                out.append(Finding.error(
                    "SKEMA_TANPA_BERITA_ACARA",
                    f"Tidak ada berita acara asesmen untuk skema \"{s}\"; mohon lampirkan berita acaranya.",
                    where="berita acara", scheme=s))
    return out


def check_scheme_counts(stated: dict[str, int], listed: dict[str, dict[str, int]], source: str,
                        what: str) -> list[Finding]:
    """Per-scheme numbers a letter or decision lists ("Skema X: 10 orang") against the list's K count."""
    out: list[Finding] = []
    if not stated or not listed:
        return out
    for scheme, n in stated.items():
        match = next((k for k in listed if same_scheme(k, scheme)), None)
        if match is None:
            continue  # a scheme missing from the list is SKEMA_TIDAK_SESUAI's business
        k = listed[match].get("K", 0)
        if k != n:
            out.append(Finding.error(
                "JUMLAH_SKEMA_TIDAK_SESUAI",
                f"{what} ({source}) menyebut {n} peserta kompeten untuk skema {scheme}, daftar peserta "
                f"memuat {k} peserta kompeten untuk skema tersebut.", where=source, scheme=scheme,
                stated=n, listed=k))
    return out


def check_lsp_name(letter: RequestLetter | None, decision: CertificationDecision | None) -> list[Finding]:
    """The letter and the decision come from the same LSP."""
    if not (letter and decision and letter.lsp_name and decision.lsp_name):
        return []
    a = " ".join(re.sub(r"[^0-9a-z]+", " ", letter.lsp_name.lower()).split())
    b = " ".join(re.sub(r"[^0-9a-z]+", " ", decision.lsp_name.lower()).split())
    if a == b or a in b or b in a:
        return []
    return [Finding.warning(
        "LSP_TIDAK_SESUAI",
        f"Nama LSP pada surat permohonan ({letter.lsp_name}) berbeda dengan nama pada keputusan "
        f"sertifikasi ({decision.lsp_name}).", where=decision.source)]


def check_date_order(minutes: list[AssessmentMinutes], decision: CertificationDecision | None,
                     letter: RequestLetter | None) -> list[Finding]:
    """Assessment on or before the decision (or the letter when no decision date is known),
    decision on or before the letter."""
    def out_of_order(what: str, early, than: str, late, where: str) -> Finding:
        return Finding.error(
            "TANGGAL_TIDAK_URUT",
            f"{what} ({format_date_id(early)}) lebih akhir daripada {than} ({format_date_id(late)}).",
            where=where, first=early.isoformat(), second=late.isoformat())

    out: list[Finding] = []
    decision_date = decision.date if decision else None
    letter_date = letter.date if letter else None
    bound, bound_name = ((decision_date, "tanggal keputusan sertifikasi") if decision_date
                         else (letter_date, "tanggal surat permohonan"))
    if bound:
        out += [out_of_order(f"Tanggal asesmen pada berita acara {m.source}", m.date, bound_name, bound, m.source)
                for m in minutes if m.date and m.date > bound]
    if decision_date and letter_date and decision_date > letter_date:
        out.append(out_of_order("Tanggal keputusan sertifikasi", decision_date, "tanggal surat permohonan",
                                letter_date, decision.source))
    return out


def check_future_dates(dated: list[tuple[str, str, date | None]], today: date | None) -> list[Finding]:
    """(document label, file, date): a date after today is a typing error or a back-dated file."""
    if not today:
        return []
    return [Finding.warning(
        "TANGGAL_MASA_DEPAN",
        f"Tanggal {what} ({format_date_id(d)}) pada {src} lebih akhir daripada hari ini ({format_date_id(today)}).",
        where=src, date=d.isoformat())
        for what, src, d in dated if d and d > today]


def check_previous_niks(rosters: list[Roster], previous: dict[str, set[str]]) -> list[Finding]:
    """Competent participants already requested for the same scheme in an earlier request."""
    if not previous:
        return []
    prev = {normalise_scheme(k): set(v) for k, v in previous.items()}
    out: list[Finding] = []
    for r in rosters:
        for row in r.competent:
            niks = prev.get(normalise_scheme(row.scheme))
            if niks and row.nik in niks:
                out.append(Finding.warning(
                    "NIK_PERNAH_DIAJUKAN",
                    f"NIK {row.nik} ({row.name}) untuk skema {row.scheme} sudah pernah diajukan pada permohonan "
                    f"sebelumnya; periksa apakah blanko ganda.",
                    where=f"{r.source}, lembar {row.sheet}, baris {row.row}", nik=row.nik, scheme=row.scheme))
    return out


def check_missing_facts(letters: list[RequestLetter], decisions: list[CertificationDecision],
                        minutes: list[AssessmentMinutes]) -> list[Finding]:
    """Facts the reader could not find: an officer reads them off the document."""
    out: list[Finding] = []

    def missing(src: str, what: list[str]) -> None:
        if what:
            out.append(Finding.warning(
                "DATA_TIDAK_TERBACA",
                f"Dari {src} tidak terbaca: {', '.join(what)}; mohon periksa manual.", where=src, missing=what))

    for lt in letters:
        missing(lt.source, [w for w, v in (("nomor surat", lt.number), ("tanggal surat", lt.date),
                                           ("jumlah blanko", lt.blanks_requested)) if v in ("", None)])
    for d in decisions:
        missing(d.source, [w for w, v in (("nomor keputusan", d.number), ("tanggal keputusan", d.date),
                                          ("jumlah peserta kompeten", d.competent_count),
                                          ("skema", d.schemes)) if v in ("", None, [])])
    for m in minutes:
        missing(m.source, [w for w, v in (("tanggal asesmen", m.date), ("skema", m.schemes)) if v in ("", None, [])])
    return out


def check_manual_review(documents: list[Document]) -> list[Finding]:
    return [Finding.warning(
        "PERLU_PEMERIKSAAN_MANUAL",
        f"Berkas {d.filename} tidak dapat dibaca sepenuhnya secara otomatis; mohon periksa isinya.",
        where=d.filename) for d in documents if d.needs_manual_review]


def check_unrecognised(documents: list[Document]) -> list[Finding]:
    return [Finding.info(
        "DOKUMEN_TIDAK_DIKENALI",
        f"Berkas {d.filename} tidak dikenali sebagai salah satu dokumen permohonan.", where=d.filename)
        for d in documents if d.doc_type == OTHER]
