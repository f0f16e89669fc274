"""Cross-document checks. Each is a small pure function over plain values returning findings:
errors are phrased for the LSP (they block completeness), warnings are for officers."""
from __future__ import annotations

import re
from datetime import date

from pipelines.documents import OTHER, Document, Roster
from pipelines.findings import Finding
from pipelines.check.facts import (AssessmentMinutes, CertificationDecision, RequestLetter,
                                   normalise_scheme, same_scheme)
from pipelines.read.schemes import SAME, UNSURE, compare, parse_scheme
from pipelines.write.words import format_date_id


# Findings an officer must look at before the dossier moves on (services/*.yaml hold_for_officer):
# a mismatch that may be a reading error, a count that was not read.
REVIEW_SCHEME = "SKEMA_PERLU_DIPERIKSA"
REVIEW_COUNT = "JUMLAH_TIDAK_TERBACA"
REVIEW_SCHEME_UNREAD = "SKEMA_TIDAK_TERBACA"


def check_blank_count(letter: RequestLetter, competent_total: int, source: str = "daftar peserta") -> list[Finding]:
    """The blanks requested must equal the competent participants listed."""
    return check_counts(letter, None, competent_total, source)


def check_decision_count(decision: CertificationDecision, competent_total: int) -> list[Finding]:
    """The decision's competent count must equal the competent participants listed."""
    return check_counts(None, decision, competent_total)


def check_letter_vs_decision(letter: RequestLetter, decision: CertificationDecision) -> list[Finding]:
    """The blanks requested must equal the competent count in the decision."""
    return check_counts(letter, decision, None)


def check_counts(letter: RequestLetter | None, decision: CertificationDecision | None,
                 competent_total: int | None, source: str = "daftar peserta") -> list[Finding]:
    """Blanks requested (letter), competent in the decision and competent listed must be one number.
    One line per document that disagrees with the other two; when all three differ, one line."""
    said = {}
    if letter is not None and letter.blanks_requested is not None:
        said["letter"] = letter.blanks_requested
    if decision is not None and decision.competent_count is not None:
        said["decision"] = decision.competent_count
    if competent_total is not None:
        said["roster"] = competent_total
    if len(set(said.values())) <= 1:
        return []
    text = {
        "letter": lambda n: f"surat permohonan ({letter.source}) meminta {n} blanko",
        "decision": lambda n: f"keputusan sertifikasi ({decision.source}) menetapkan {n} peserta kompeten",
        "roster": lambda n: f"daftar peserta ({source}) memuat {n} peserta kompeten",
    }
    fix = {
        "letter": "mohon perbaiki jumlah blanko pada surat permohonan lalu kirim ulang suratnya",
        "decision": "mohon periksa keputusan sertifikasi dan kirim ulang keputusan yang benar",
        "roster": "mohon periksa hasil K/BK pada daftar peserta dan kirim ulang daftarnya",
    }
    code = {"letter": "BLANKO_TIDAK_SESUAI", "decision": "JUMLAH_KOMPETEN_TIDAK_SESUAI", "roster": "JUMLAH_KOMPETEN_TIDAK_SESUAI"}
    values = list(said.values())
    odd = [k for k, n in said.items() if values.count(n) == 1]
    if len(said) == 3 and len(odd) == 1:
        wrong = odd[0]
        others = [k for k in said if k != wrong]
        first_part = text[wrong](said[wrong])
        msg = (f"{first_part[0].upper() + first_part[1:]}, sedangkan {text[others[0]](said[others[0]])} dan "
               f"{text[others[1]](said[others[1]])}; {fix[wrong]}.")
        where = {"letter": letter.source if letter else "", "decision": decision.source if decision else "",
                 "roster": source}[wrong]
        return [Finding.error(code[wrong], msg, where=where, **said)]
    parts = [text[k](n) for k, n in said.items()]
    msg = (f"Jumlah tidak sama: {', '.join(parts[:-1])}, sedangkan {parts[-1]}; mohon samakan jumlah blanko "
           f"yang diminta dengan jumlah peserta kompeten lalu kirim ulang dokumen yang keliru.")
    where = letter.source if letter is not None and "letter" in said else (decision.source if decision else source)
    first = "letter" if "letter" in said else "decision"
    return [Finding.error(code[first], msg, where=where, **said)]


def _mentions(decisions: list[CertificationDecision], minutes: list[AssessmentMinutes]) -> list[tuple[str, str, str]]:
    """(label of the document kind, file, scheme as written) for every scheme the documents name."""
    return ([("keputusan sertifikasi", d.source, s) for d in decisions for s in d.schemes] +
            [("berita acara asesmen", m.source, s) for m in minutes for s in m.schemes])


def check_schemes(roster_schemes: list[str], decisions: list[CertificationDecision],
                  minutes: list[AssessmentMinutes]) -> list[Finding]:
    """The schemes of the participant list are the schemes the decision and the minutes name.

    A scheme is one identity (code and/or name, read.schemes): codes are compared where both sides
    have one, names otherwise. Surely different schemes are one line for the LSP; names that are
    close but not equal, or a code against a name only, go to an officer with both sides shown."""
    listed = [parse_scheme(s) for s in roster_schemes if s]
    listed = [s for s in listed if s]
    mentioned = [(kind, src, parse_scheme(s)) for kind, src, s in _mentions(decisions, minutes)]
    mentioned = [m for m in mentioned if m[2]]
    if not listed or not mentioned:
        return []
    unsure: list[str] = []       # document mentions close to a listed scheme, or not comparable
    different: list[str] = []    # document mentions unlike every listed scheme
    for kind, src, doc_scheme in mentioned:
        verdicts = [compare(doc_scheme, r) for r in listed]
        if SAME not in verdicts:
            (unsure if UNSURE in verdicts else different).append(f"{kind} {src}: {doc_scheme.label}")
    # a listed scheme that a document kind never names (it may name it in words we did not read)
    unnamed = [f"{r.label} tidak ditemukan pada {kind}" for r in listed
               for kind in dict.fromkeys(k for k, _, _ in mentioned)
               if not any(compare(m, r) == SAME for k, _, m in mentioned if k == kind)]
    listed_text = ", ".join(r.label for r in listed)
    if different and not unsure:
        return [Finding.error(
            "SKEMA_TIDAK_SESUAI",
            f"Skema pada daftar peserta ({listed_text}) berbeda dengan skema pada dokumen lain "
            f"({'; '.join(different)}); mohon periksa skemanya dan kirim ulang dokumen dengan skema yang benar.",
            where="skema", listed=[r.label for r in listed], documents=different)]
    if unsure or unnamed:
        return [Finding.warning(
            REVIEW_SCHEME,
            f"Skema perlu dicocokkan petugas (mungkin salah baca): daftar peserta memuat {listed_text}; "
            f"{'; '.join(unsure + different + unnamed)}.", where="skema", listed=[r.label for r in listed],
            documents=unsure + different + unnamed)]
    return []


def check_scheme_counts(stated: dict[str, int], listed: dict[str, dict[str, int]], source: str,
                        what: str) -> list[Finding]:
    """Per-scheme numbers a letter or decision lists ("Skema X: 10 orang") against the list's K count."""
    out: list[Finding] = []
    if not stated or not listed:
        return out
    for scheme, n in stated.items():
        match = next((k for k in listed if same_scheme(k, scheme)), None)
        if match is None:
            continue  # a scheme missing from the list is check_schemes' business
        k = listed[match].get("K", 0)
        if k != n:
            out.append(Finding.error(
                "JUMLAH_SKEMA_TIDAK_SESUAI",
                f"{what} ({source}) menyebut {n} peserta kompeten untuk skema {scheme}, daftar peserta "
                f"memuat {k} peserta kompeten untuk skema tersebut; mohon samakan jumlahnya lalu kirim ulang "
                f"dokumen yang keliru.", where=source, scheme=scheme, stated=n, listed=k))
    return out


def check_lsp_name(letter: RequestLetter | None, decision: CertificationDecision | None) -> list[Finding]:
    """The letter and the decision come from the same LSP."""
    if not (letter and decision and letter.lsp_name and decision.lsp_name):
        return []
    def core(name: str) -> str:
        words = re.sub(r"[^0-9a-z]+", " ", name.lower().replace("lembaga sertifikasi profesi", "lsp")).split()
        return " ".join(w for w in words if w not in ("lsp", "p1", "p2", "p3"))
    a, b = core(letter.lsp_name), core(decision.lsp_name)
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
        return Finding.warning(
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
        missing(lt.source, [w for w, v in (("nomor surat", lt.number), ("tanggal surat", lt.date)) if v in ("", None)])
        if lt.blanks_requested is None:
            out.append(Finding.warning(
                REVIEW_COUNT, f"Jumlah blanko yang diminta tidak terbaca dari {lt.source}; petugas perlu membacanya "
                f"sebelum permohonan diproses.", where=lt.source, missing=["jumlah blanko"]))
    def scheme_unread(src: str, what: str) -> None:
        out.append(Finding.warning(
            REVIEW_SCHEME_UNREAD, f"Skema pada {what} {src} tidak terbaca sehingga belum dapat dicocokkan dengan "
            f"daftar peserta; petugas perlu memeriksanya.", where=src, missing=["skema"]))

    for d in decisions:
        missing(d.source, [w for w, v in (("nomor keputusan", d.number), ("tanggal keputusan", d.date)) if v in ("", None)])
        if not d.schemes:
            scheme_unread(d.source, "keputusan sertifikasi")
        if d.competent_count is None:
            out.append(Finding.warning(
                REVIEW_COUNT, f"Jumlah peserta kompeten tidak terbaca dari keputusan sertifikasi {d.source}; petugas "
                f"perlu mencocokkannya dengan daftar peserta.", where=d.source, missing=["jumlah peserta kompeten"]))
    for m in minutes:
        missing(m.source, [w for w, v in (("tanggal asesmen", m.date),) if v in ("", None)])
        if not m.schemes:
            scheme_unread(m.source, "berita acara asesmen")
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
