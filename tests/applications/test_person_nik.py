"""A certified person is known by NIK, not by name. The participant list's NIK (under whatever
header the LSP typed: "NIK", "No. KTP", "Nomor Induk Kependudukan") is kept with each person's
certificate and shown in the register; surveillance, suspension and withdrawal find the person by
it. Names decide only where no NIK is known, and a name that fits two certificates is left to the
officer. Lists are real Excel files (openpyxl) read by the real reader; the story runs over real
Dovecot and SMTP."""
from __future__ import annotations

import html
import io
import re

import openpyxl
import pytest
from sqlalchemy import select

from pipelines import db
from pipelines.applications import advance
from pipelines.applications.models import register
from pipelines.applications.persons import Participant, certain_niks, certificates_of_persons
from pipelines.applications.walk import ApplicationError, staff
from pipelines.desk import auth
from pipelines.desk.actions import override_finding
from pipelines.desk.recheck import recheck_dossier
from pipelines.read import sniff
from pipelines.read.sheet import read_roster
from tests.applications.factories import AKADEMI, application_mail, candidate_list_xlsx, letter_pdf, text_pdf
from tests.applications.office import make_balai, walk_to_decision
from tests.desk.application_case import PASSWORD, login

SITI_A = ("Siti Aminah", "1671024502920002", "D3 Analis Kimia")
SITI_B = ("Siti Aminah", "1671025107950010", "S1 Kimia")       # same name, another woman (born 11-07-1995)
ANDI = ("Andi Pratama", "1671010101900001", "S1 Teknik Kimia")
SCHEME = "Analis Laboratorium Kimia"


def participant_list(people, nik_header: str | None = "NIK", as_number: bool = False) -> bytes:
    return candidate_list_xlsx(SCHEME, people, nik_header=nik_header, as_number=as_number)


def known(data: bytes) -> list[Participant]:
    """What the case knows of each listed person after the real reader read the file."""
    roster, findings, _ = read_roster(data, sniff.XLSX, "daftar_peserta.xlsx")
    rows = [{"name": r.name, "nik": r.nik, "filename": "daftar_peserta.xlsx", "sheet": r.sheet, "row": r.row}
            for r in roster.rows]
    return certain_niks(rows, [{"code": f.code, "message": f.message, "location": f.where, "overridden_by": ""}
                               for f in findings])


@pytest.mark.parametrize("header", ["NIK", "No. KTP", "Nomor Induk Kependudukan"])
def test_the_nik_is_known_under_any_header_the_lsp_types(header):
    assert known(participant_list([ANDI, SITI_A], header)) == [Participant(*ANDI[:2]), Participant(*SITI_A[:2])]


def test_a_nik_excel_kept_as_a_whole_number_is_known_one_it_cut_is_not():
    # typed as a number in an unformatted column: Excel keeps 15 digits, so a 16-digit NIK ends in 0
    assert known(participant_list([ANDI, SITI_A], as_number=True)) == [Participant(*ANDI[:2]), Participant(*SITI_A[:2])]
    cut = [("Andi Pratama", "1671010101900000", ""), ("Siti Aminah", "1671024502920000", "")]
    assert known(participant_list(cut, as_number=True)) == [Participant("Andi Pratama"), Participant("Siti Aminah")]
    # one number ending in 0 may be cut or real: in doubt it is not used
    assert known(participant_list([SITI_B], "No. KTP", as_number=True)) == [Participant("Siti Aminah")]
    assert known(participant_list([SITI_B], "No. KTP")) == [Participant(*SITI_B[:2])]


def test_an_empty_nik_scientific_notation_and_a_nik_listed_twice_leave_the_name_alone():
    assert known(participant_list([ANDI, ("Siti Aminah", "", "")])) == [Participant(*ANDI[:2]), Participant("Siti Aminah")]
    # without a NIK column the file is no participant list to the reader (the intake asks for one)
    assert read_roster(participant_list([ANDI], None), sniff.XLSX, "daftar_peserta.xlsx")[0] is None
    wb = openpyxl.load_workbook(io.BytesIO(participant_list([ANDI])))
    wb.active["C5"] = "1,67101E+15"           # what a CSV round trip through Excel leaves
    buf = io.BytesIO()
    wb.save(buf)
    assert known(buf.getvalue()) == [Participant("Andi Pratama")]
    twice = [ANDI, ("Andi Pratama Putra", ANDI[1], "")]
    assert known(participant_list(twice)) == [Participant("Andi Pratama"), Participant("Andi Pratama Putra")]


def test_certificates_are_matched_by_nik_and_an_ambiguous_name_is_refused():
    certificates = [{"number": "SPR/1/001", "holder": "Siti Aminah"}, {"number": "SPR/1/002", "holder": "SITI  AMINAH"},
                    {"number": "SPR/1/003", "holder": "Andi Pratama"}]
    niks = {"SPR/1/001": SITI_A[1], "SPR/1/002": SITI_B[1]}
    chosen, problems = certificates_of_persons([Participant(*SITI_B[:2])], certificates, niks)
    assert [c["number"] for c in chosen] == ["SPR/1/002"] and problems == []
    chosen, problems = certificates_of_persons([Participant("Siti Aminah")], certificates, niks)
    assert chosen == [] and problems == [
        "Siti Aminah: 2 sertifikat atas nama yang sama (SPR/1/001, SPR/1/002) dan NIK peserta ini tidak dapat "
        "dipastikan dari daftar peserta."]
    # a certificate issued before NIKs were kept: the name decides when it is the only one
    chosen, _ = certificates_of_persons([Participant(*ANDI[:2])], certificates, niks)
    assert [c["number"] for c in chosen] == ["SPR/1/003"]
    # a NIK the register holds for another person is another person, whatever the name
    chosen, problems = certificates_of_persons([Participant("Siti Aminah", "1671024502920099")], certificates, niks)
    assert chosen == [] and problems == []


CELLS = re.compile(r"<td>(.*?)</td>", re.S)


def register_rows(client) -> dict[str, list[str]]:
    page = client.get("/register-sertifikat").text
    return {number: [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in CELLS.findall(row)]
            for number, row in re.findall(r'<tr data-sertifikat="([^"]+)">(.*?)</tr>', page, re.S)}


def test_two_persons_of_one_name_each_keep_their_own_certificate(tmp_path, mailbox, smtp_server):
    """Two women named Siti Aminah are certified (the list's header: "Nomor Induk Kependudukan"); the
    register shows each one's NIK. A surveillance naming one of them by NIK (a "No. KTP"
    column, the NIK typed as a number Excel kept whole) maintains her certificate only. A withdrawal
    whose list gives the name with a NIK in doubt is refused with the reason, and nothing changes."""
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    service = rt.services["sertifikasi_person"]

    def findings_of(number: str) -> list:
        with rt.engine.connect() as conn:
            did = db.dossier_by_number(conn, number)["id"]
            return list(conn.execute(select(db.findings).where(db.findings.c.dossier_id == did,
                                                               db.findings.c.severity != "info")).mappings())

    def case_with(people, subject: str, **layout) -> str:
        files = {"surat_permohonan.pdf": letter_pdf(AKADEMI, "sertifikasi person"),
                 "daftar_peserta.xlsx": participant_list(people, **layout),
                 "ijazah_peserta.pdf": text_pdf(["IJAZAH", *(f"Nama: {p[0]}" for p in people)])}
        before = {c["number"] for c in office.dossiers()}
        office.mailbox.append(application_mail(service.kind, AKADEMI, service.name, files=files, subject=subject))
        office.run()
        [case] = [c for c in office.dossiers() if c["number"] not in before]
        if case["status"] == "perlu_pemeriksaan":
            # a NIK in doubt holds the case for an officer, who lets it go on without vouching for the NIK
            for f in findings_of(case["number"]):
                if f["code"] != "NIK_MUNGKIN_TERPOTONG":
                    override_finding(rt, case["number"], f["id"], "rina", "Berkas lain sudah diperiksa petugas.")
            recheck_dossier(rt, case["number"], "rina")
            case = next(c for c in office.dossiers() if c["number"] == case["number"])
        assert case["status"] == "disposisi", case
        walk_to_decision(rt, case["number"])
        return case["number"]

    first = case_with([ANDI, SITI_A, SITI_B], "Permohonan Sertifikasi Person - " + AKADEMI.name,
                      nik_header="Nomor Induk Kependudukan")
    advance(rt, first, officer="komite", outcome="pemberian")
    advance(rt, first, officer="kepala")
    with rt.engine.connect() as conn:
        issued = {e["number"]: e for e in conn.execute(select(register).order_by(register.c.id)).mappings()}
    a_number, b_number = [n for n, e in issued.items() if e["holder"] == "Siti Aminah"]
    auth.create_user(rt.engine, "rina", "petugas", "Rina Kartika", PASSWORD)
    client = login(rt, "rina")
    rows = register_rows(client)
    assert rows[a_number][1] == f"Siti Aminah NIK {SITI_A[1]}" and rows[b_number][1] == f"Siti Aminah NIK {SITI_B[1]}"

    # surveillance of the first Siti, known by the NIK her LSP typed as a number under "No. KTP"
    second = case_with([("Siti Aminah", "1671024502920002", "D3")], "Permohonan Survailen Sertifikasi Person - "
                       + AKADEMI.name, nik_header="No. KTP", as_number=True)
    assert advance(rt, second, officer="komite", outcome="pemeliharaan") == "surat_pemeliharaan"
    advance(rt, second, officer="kepala")
    rows = register_rows(client)
    assert "Survailen dilakukan" in rows[a_number][7]
    assert "Survailen dilakukan" not in rows[b_number][7]

    # a withdrawal naming "Siti Aminah" whose NIK is in doubt (one number ending in 0): no NIK, two
    # certificates of that name; the committee's decision is refused and the officer decides
    third = case_with([SITI_B], "Permohonan Sertifikasi Person (pencabutan) - " + AKADEMI.name,
                      nik_header="No. KTP", as_number=True)
    with pytest.raises(ApplicationError) as refused:
        advance(rt, third, officer="komite", outcome="pencabutan")
    assert str(refused.value).startswith(f"Siti Aminah: 2 sertifikat atas nama yang sama ({a_number}, {b_number})")
    # the officer who records the decision at the desk reads why, in Indonesian
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/permohonan").text).group(1)
    page = client.post(f"/permohonan/{third}/langkah", data={
        "csrf_token": token, "keputusan": "pencabutan", "orang": next(iter(staff()))}).text
    assert (f"Siti Aminah: 2 sertifikat atas nama yang sama ({a_number}, {b_number}) dan NIK peserta ini tidak "
            f"dapat dipastikan dari daftar peserta. Keputusan ini tidak dijalankan agar tidak mengenai orang yang "
            f"salah") in html.unescape(page)
    with rt.engine.connect() as conn:
        assert {e["number"]: e["status"] for e in conn.execute(select(register)).mappings()} == {
            n: "aktif" for n in issued}
        assert db.dossier_by_number(conn, third)["status"] == "keputusan"

    # the officer compares the NIK with the KTP and vouches for it: now it says which Siti is meant
    [doubt] = [f for f in findings_of(third) if f["code"] == "NIK_MUNGKIN_TERPOTONG"]
    override_finding(rt, third, doubt["id"], "rina", "NIK sudah dicocokkan dengan KTP peserta.")
    assert advance(rt, third, officer="komite", outcome="pencabutan") == "selesai"
    rows = register_rows(client)
    assert rows[b_number][8].startswith("Dicabut") and rows[a_number][8] == "Aktif"


def test_a_participant_list_without_a_nik_column_goes_to_an_officer_not_back_to_the_applicant(
        tmp_path, mailbox, smtp_server):
    """The list is attached (daftar_peserta.xlsx) but has no NIK column, so the reader does not
    recognise it: the applicant must not be told it is missing."""
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    service = rt.services["sertifikasi_person"]
    files = {"surat_permohonan.pdf": letter_pdf(AKADEMI, "sertifikasi person"),
             "daftar_peserta.xlsx": participant_list([ANDI, SITI_A], nik_header=None),
             "ijazah_peserta.pdf": text_pdf(["IJAZAH", "Nama: Andi Pratama"])}
    office.mailbox.append(application_mail(service.kind, AKADEMI, service.name, files=files,
                                           subject="Permohonan Sertifikasi Person - " + AKADEMI.name))
    office.run()
    [case] = office.dossiers()
    assert case["status"] == "perlu_pemeriksaan"
    assert office.smtp.messages == []
    with rt.engine.connect() as conn:
        codes = {f["code"]: f["message"] for f in conn.execute(
            select(db.findings).where(db.findings.c.dossier_id == case["id"])).mappings()}
    assert "DOKUMEN_TIDAK_ADA" not in codes
    assert "daftar_peserta.xlsx" in codes["DOKUMEN_PERLU_DIPASTIKAN"]
