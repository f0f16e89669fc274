"""Surveillance of person certificates (ISO/IEC 17024) over real Dovecot and SMTP: a person
certificate carries the surveillance dates of services/sertifikasi_person.yaml and the register page
shows the next one due (a training certificate, bimtek, has none); a surveillance case for one
certified person maintains or withdraws that person's certificate only."""
from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select

from pipelines import db
from pipelines.applications import advance
from pipelines.applications.models import register
from pipelines.calendar import local_date
from pipelines.desk import auth
from pipelines.write.words import format_date_id
from tests.applications.factories import (AKADEMI, PEOPLE, application_mail, candidate_list_xlsx, letter_pdf,
                                          text_pdf)
from tests.applications.office import docx_text, make_balai, walk_to_decision
from tests.desk.application_case import PASSWORD, login

CELLS = re.compile(r"<td>(.*?)</td>", re.S)


def certify(rt, number: str) -> None:
    """Every step to the signed certificates: the committee grants, the head signs."""
    walk_to_decision(rt, number)
    advance(rt, number, officer="komite", outcome="pemberian")
    advance(rt, number, officer="kepala")


def register_rows(client) -> dict[str, list[str]]:
    """The register page: certificate number -> the text of its cells."""
    page = client.get("/register-sertifikat").text
    rows = {}
    for number, row in re.findall(r'<tr data-sertifikat="([^"]+)">(.*?)</tr>', page, re.S):
        rows[number] = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in CELLS.findall(row)]
    return rows


def test_person_certificates_have_surveillance_and_training_certificates_none(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    person, training = rt.services["sertifikasi_person"], rt.services["bimtek"]
    assert person.certificate["surveillance_months"] == [12, 24]       # yearly within the 3-year validity
    assert training.certificate["surveillance_months"] == [] and not training.certificate["validity_years"]
    for service in (person, training):
        office.mailbox.append(application_mail(service.kind, AKADEMI, service.name))
    office.run()
    cases = {c["kind"]: c["number"] for c in office.dossiers()}
    assert set(cases) == {"sertifikasi_person", "bimtek"}
    for number in cases.values():
        certify(rt, number)

    with rt.engine.connect() as conn:
        entries = conn.execute(select(register).order_by(register.c.id)).mappings().all()
    issued = {e["service"]: [] for e in entries}
    for e in entries:
        issued[e["service"]].append(e)
    assert len(issued["sertifikasi_person"]) == len(issued["bimtek"]) == len(PEOPLE)
    for e in issued["sertifikasi_person"]:
        issue = e["issue_date"]       # due on the same day of the month (at most the 28th) 1 and 2 years on
        assert e["surveillance_dates"] == [issue.replace(year=issue.year + n, day=min(issue.day, 28)).isoformat()
                                           for n in (1, 2)]
        assert e["expiry_date"] == e["issue_date"].replace(year=e["issue_date"].year + 3)
    assert all(e["surveillance_dates"] == [] and e["expiry_date"] is None for e in issued["bimtek"])

    auth.create_user(rt.engine, "rina", "petugas", "Rina Kartika", PASSWORD)
    rows = register_rows(login(rt, "rina"))
    header = ["Nomor sertifikat", "Pemegang", "Layanan / standar", "Ruang lingkup", "Lokasi", "Terbit",
              "Berlaku sampai", "Surveilan berikutnya"]
    due = header.index("Surveilan berikutnya")
    nik_of = {name: nik for name, nik, _ in PEOPLE}       # the register keeps each person's NIK from the list
    for e in issued["sertifikasi_person"]:
        first = date.fromisoformat(e["surveillance_dates"][0])
        assert rows[e["number"]][1] == f"{e['holder']} NIK {nik_of[e['holder']]}"
        assert rows[e["number"]][due] == format_date_id(first)
    for e in issued["bimtek"]:
        assert rows[e["number"]][1] == f"{e['holder']} NIK {nik_of[e['holder']]}" and rows[e["number"]][due] == "-"


def test_a_person_surveillance_maintains_that_persons_certificate_only(tmp_path, mailbox, smtp_server):
    """ISO/IEC 17024 surveillance is per certified person: the LSP's surveillance application names
    one of its three certified persons; after the assessment the committee maintains her
    certificate, the register records the surveillance and moves her next due date on, and the
    other two persons' certificates are untouched. A later withdrawal names one person too."""
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    service = rt.services["sertifikasi_person"]
    assert "pemeliharaan" in service.step("keputusan").outcomes
    office.mailbox.append(application_mail(service.kind, AKADEMI, service.name))
    office.run()
    [first] = office.dossiers()
    certify(rt, first["number"])
    assert advance(rt, first["number"], officer="pjt") == "selesai"   # hand-over, not the maintain letter
    with rt.engine.connect() as conn:
        issued = {e["holder"]: e for e in conn.execute(select(register)).mappings()}
    assert len(issued) == len(PEOPLE)

    def surveillance_case(person: tuple, subject: str) -> str:
        files = {"surat_permohonan.pdf": letter_pdf(AKADEMI, "survailen sertifikasi person"),
                 "daftar_peserta.xlsx": candidate_list_xlsx("Petugas Pengambil Contoh", people=[person]),
                 "ijazah_peserta.pdf": text_pdf(["IJAZAH", f"Nama: {person[0]}", person[2]])}
        before = {c["number"] for c in office.dossiers()}
        office.mailbox.append(application_mail(service.kind, AKADEMI, service.name, files=files, subject=subject))
        office.run()
        [case] = [c for c in office.dossiers() if c["number"] not in before]
        assert case["kind"] == service.kind and case["status"] == "disposisi", case
        walk_to_decision(rt, case["number"])
        return case["number"]

    siti = PEOPLE[1]
    number = surveillance_case(siti, f"Permohonan Survailen Sertifikasi Person a.n. {siti[0]} - {AKADEMI.name}")
    assert advance(rt, number, officer="komite", outcome="pemeliharaan") == "surat_pemeliharaan"
    assert advance(rt, number, officer="kepala") == "selesai"
    today = local_date(db.now())
    ours = issued[siti[0]]
    second_due = date.fromisoformat(ours["surveillance_dates"][1])
    folder = office.outputs / number / "dokumen"
    assert not (folder / "sertifikat.docx").exists()
    letter = docx_text(folder / "surat_pemeliharaan.docx")
    assert "DIPELIHARA" in letter and ours["number"] in letter and siti[0] in letter
    assert format_date_id(second_due) in letter
    assert all(issued[p[0]]["number"] not in letter for p in PEOPLE if p != siti)
    office.run()
    mail = office.inbox_of(AKADEMI.email)[-1]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert f"[{number}]" in mail["Subject"] and ours["number"] in body and format_date_id(second_due) in body
    # a person's surveillance is no audit of a company: the letter and the mail say what the YAML says
    assert "hasil survailen pemegang sertifikat dan keputusan Komite Evaluasi" in letter
    assert "Berdasarkan hasil survailen pemegang sertifikat atas permohonan" in body
    assert "audit" not in (letter + body + mail["Subject"]).lower()

    auth.create_user(rt.engine, "rina", "petugas", "Rina Kartika", PASSWORD)
    client = login(rt, "rina")
    rows = register_rows(client)
    due = 7        # "Surveilan berikutnya"
    assert rows[ours["number"]][due] == f"{format_date_id(second_due)} Survailen dilakukan: {format_date_id(today)}"
    for other in (PEOPLE[0], PEOPLE[2]):
        entry = issued[other[0]]
        assert rows[entry["number"]][due] == format_date_id(date.fromisoformat(entry["surveillance_dates"][0]))
    with rt.engine.connect() as conn:
        after = {e["holder"]: e for e in conn.execute(select(register)).mappings()}
    assert {h: (e["number"], e["issue_date"], e["expiry_date"], e["status"]) for h, e in after.items()} == {
        h: (e["number"], e["issue_date"], e["expiry_date"], "aktif") for h, e in issued.items()}

    # Withdrawal after a surveillance is per person too.
    bayu = PEOPLE[2]
    number = surveillance_case(bayu, f"Permohonan Survailen Sertifikasi Person a.n. {bayu[0]} - {AKADEMI.name}")
    assert advance(rt, number, officer="komite", outcome="pencabutan") == "selesai"
    with rt.engine.connect() as conn:
        status = {e["holder"]: e["status"] for e in conn.execute(select(register)).mappings()}
    assert status == {PEOPLE[0][0]: "aktif", siti[0]: "aktif", bayu[0]: "dicabut"}
    assert register_rows(client)[issued[bayu[0]]["number"]][8].startswith("Dicabut")
