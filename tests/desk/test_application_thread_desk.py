"""Mail continuing an application, at the desk: a question the applicant mailed in the case's
thread (real Dovecot) shows in the case list and on the case page; the officer answers it in the
page's form and the answer reaches the applicant's mailbox (real SMTP) in the thread, once; a
corrected document's re-check is shown and the officer marks it handled."""
from __future__ import annotations

import re
from dataclasses import replace

import pytest

from pipelines.applications import advance
from pipelines.desk import auth
from tests.applications.factories import PUPUK_SRIWIJAYA, application_mail, form_pdf, reply
from tests.applications.office import make_balai, received_application
from tests.desk.application_case import PASSWORD, login

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_balai(tmp_path, mailbox, smtp_server)


def officer_client(rt):
    auth.create_user(rt.engine, "seksi.ss", "petugas", "Seksi Standardisasi dan Sertifikasi", PASSWORD)
    return login(rt, "seksi.ss")


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def submit(client, page_url: str, action: str, data: dict) -> str:
    token = CSRF.search(client.get(page_url).text).group(1)
    response = client.post(action, data={"csrf_token": token, **data})
    assert response.status_code == 200, response.text[:300]
    return response.text


def test_officer_answers_a_question_and_files_a_corrected_document_from_the_case_page(office):
    company = PUPUK_SRIWIJAYA
    rt, case = received_application(office, "iso14001", company)
    number = case["number"]
    advance(rt, number, officer="kepala")
    [receipt] = office.inbox_of(company.email)
    office.mailbox.append(reply(company, receipt, "Dengan hormat,\nApakah audit tahap 1 dapat dilaksanakan "
                                                  "secara daring?\n\nTerima kasih.",
                                subject=f"Pertanyaan jadwal audit [{number}]"))
    corrected = form_pdf(company, "Sertifikasi Sistem Manajemen Lingkungan ISO 14001:2015",
                         ["Ruang Lingkup : Produksi pupuk organik granul dan cair",
                          "Lokasi Audit : Jl. Mayor Zurbi Bustan, Sei Selayur, Palembang"])
    office.mailbox.append(reply(company, receipt, "Dengan hormat, kami kirimkan revisi formulir permohonan.",
                                {"formulir_permohonan_revisi.pdf": corrected}))
    office.run()

    client = officer_client(rt)
    listing = client.get("/permohonan").text
    row = listing[listing.index(f'data-berkas="{number}"'):]
    assert "2 surel menunggu" in row[:row.index("</tr>")]

    page = client.get(f"/permohonan/{number}").text
    waiting = section(page, "surel-lanjutan")
    assert "(2 menunggu)" in waiting
    assert "Pertanyaan" in waiting and "secara daring?" in waiting
    assert "Dokumen baru atau perbaikan" in waiting and "lengkap pada pemeriksaan ulang" in waiting
    question_id, document_id = re.findall(r'data-surel="(\d+)"', waiting)

    # An empty answer is refused with a message; nothing is sent.
    landed = submit(client, f"/permohonan/{number}", f"/permohonan/{number}/surel/{question_id}/jawab",
                    {"jawaban": ""})
    assert "Jawaban wajib ditulis" in landed
    answer = "Audit tahap 1 dapat dilaksanakan secara daring; audit tahap 2 di lokasi."
    landed = submit(client, f"/permohonan/{number}", f"/permohonan/{number}/surel/{question_id}/jawab",
                    {"jawaban": answer})
    assert "Jawaban diantrekan" in landed
    # The same form posted again (a double click, a second officer) sends nothing more.
    again = submit(client, f"/permohonan/{number}", f"/permohonan/{number}/surel/{question_id}/jawab",
                   {"jawaban": answer})
    assert "sudah ditangani" in again

    landed = submit(client, f"/permohonan/{number}", f"/permohonan/{number}/surel/{document_id}/selesai",
                    {"catatan": "Ruang lingkup diperbarui."})
    assert "ditandai sudah ditangani" in landed
    waiting = section(client.get(f"/permohonan/{number}").text, "surel-lanjutan")
    assert "(0 menunggu)" in waiting and "Sudah ditangani (2)" in waiting
    assert "Ruang lingkup diperbarui." in waiting

    office.run()                     # the poll's send step delivers the queued answer
    inbox = office.inbox_of(company.email)
    assert len(inbox) == 2
    mailed = inbox[-1]
    assert mailed["Subject"] == f"Re: Pertanyaan jadwal audit [{number}]"
    text = mailed.get_body(preferencelist=("plain",)).get_content()
    assert "secara daring; audit tahap 2 di lokasi" in text and number in text


def test_a_thread_mail_cannot_be_handled_through_another_case(office):
    rt = office.runtime()
    first, second = PUPUK_SRIWIJAYA, replace(
        PUPUK_SRIWIJAYA, name="PT Pupuk Lain Sejahtera", email="lain@pupuk-lain.example.co.id", nib="9120001234567")
    for company in (first, second):
        office.mailbox.append(application_mail("iso14001", company, rt.services["iso14001"].name))
    office.run()
    cases = office.dossiers()
    assert len(cases) == 2
    for case in cases:
        advance(rt, case["number"], officer="kepala")
    receipt = office.inbox_of(first.email)[0]
    mine = re.search(r"[A-Z]{2,6}-\d{4}-\d{6}", receipt["Subject"]).group(0)
    [other] = [c["number"] for c in cases if c["number"] != mine]
    office.mailbox.append(reply(first, receipt, "Apakah biaya audit dapat dicicil?",
                                subject=f"Pertanyaan biaya [{mine}]"))
    office.run()
    client = officer_client(rt)
    [item_id] = re.findall(r'data-surel="(\d+)"', client.get(f"/permohonan/{mine}").text)
    landed = submit(client, f"/permohonan/{other}", f"/permohonan/{other}/surel/{item_id}/jawab",
                    {"jawaban": "Dapat dicicil dua kali."})
    assert "bukan bagian dari permohonan ini" in landed
    assert "(1 menunggu)" in section(client.get(f"/permohonan/{mine}").text, "surel-lanjutan")
    office.run()
    assert len(office.inbox_of(first.email)) == 1 and len(office.inbox_of(second.email)) == 1
