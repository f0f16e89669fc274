"""Mail that continues an application (issue 11, item 4) on real Dovecot and SMTP: corrected
documents after the completion step are checked again and put before the step's officer; a
question waits for an officer, whose answer goes back in the applicant's thread."""
from __future__ import annotations

import io

import pytest
from docx import Document as Docx
from sqlalchemy import select

from pipelines import db
from pipelines.applications import ApplicationError, advance, answer_question, handle
from pipelines.applications import store
from tests.applications.factories import PUPUK_SRIWIJAYA, form_pdf, reply
from tests.applications.office import make_balai, received_application


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_balai(tmp_path, mailbox, smtp_server)


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def nib_docx() -> bytes:
    doc = Docx()
    for line in ["PERIZINAN BERUSAHA BERBASIS RISIKO", "NOMOR INDUK BERUSAHA: " + PUPUK_SRIWIJAYA.nib,
                 f"Nama Pelaku Usaha: {PUPUK_SRIWIJAYA.name}"]:
        doc.add_paragraph(line)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def events(rt, action):
    with rt.engine.connect() as conn:
        return conn.execute(select(db.events).where(db.events.c.action == action)
                            .order_by(db.events.c.id)).mappings().all()


def test_corrected_documents_are_checked_again_and_questions_are_answered_in_the_thread(office):
    company = PUPUK_SRIWIJAYA
    rt, case = received_application(office, "iso14001", company)
    number = case["number"]
    assert case["status"] == "disposisi"
    assert advance(rt, number, officer="kepala") == "verifikasi"
    [receipt] = office.inbox_of(company.email)

    # 1. A corrected application form after the completion step: checked again, clean; the
    #    verifying officer (the step's role) has it in the queue; nothing goes to the applicant.
    corrected = form_pdf(company, "Sertifikasi Sistem Manajemen Lingkungan ISO 14001:2015",
                         ["Ruang Lingkup : Produksi pupuk organik granul dan cair",
                          "Lokasi Audit : Jl. Mayor Zurbi Bustan, Sei Selayur, Palembang"])
    office.mailbox.append(reply(company, receipt, "Dengan hormat, kami kirimkan revisi formulir permohonan "
                                                  "(ruang lingkup ditambah produk cair).",
                                {"formulir_permohonan_revisi.pdf": corrected}))
    office.run()
    [event] = events(rt, "surel_dokumen")
    assert event["detail"]["diperiksa_ulang"] is True and event["detail"]["galat"] == 0
    assert event["detail"]["untuk"] == "seksi_ss"
    with rt.engine.connect() as conn:
        [item] = store.thread_items_of(conn, role="seksi_ss")
        files = [r.filename for r in conn.execute(select(db.documents.c.filename).where(
            db.documents.c.dossier_id == case["id"]))]
        errors = conn.execute(select(db.findings).where(db.findings.c.dossier_id == case["id"],
                                                        db.findings.c.severity == "error")).all()
    assert item["kind"] == "dokumen" and item["findings"] == 0 and item["step"] == "verifikasi"
    assert "formulir_permohonan_revisi.pdf" in files and errors == []
    assert len(office.inbox_of(company.email)) == 1
    handle(rt, item["id"], officer="seksi.ss", note="Ruang lingkup diperbarui.")
    with pytest.raises(ApplicationError):
        handle(rt, item["id"], officer="seksi.ss")

    # 2. A replacement NIB as a Word file: the re-check finds the wrong format (the checklist
    #    takes PDF only); the officer sees the finding; the applicant is not told automatically.
    office.mailbox.append(reply(company, receipt, "Berikut NIB terbaru kami.", {"nib_terbaru.docx": nib_docx()}))
    office.run()
    second = events(rt, "surel_dokumen")[-1]
    assert second["detail"]["galat"] >= 1
    with rt.engine.connect() as conn:
        [item] = store.thread_items_of(conn, dossier_id=case["id"])
        codes = [(r.code, r.message) for r in conn.execute(select(db.findings).where(
            db.findings.c.dossier_id == case["id"], db.findings.c.severity == "error"))]
    assert item["findings"] == second["detail"]["galat"]
    assert any(code == "FORMAT_TIDAK_SESUAI" and "PDF" in message for code, message in codes), codes
    assert len(office.inbox_of(company.email)) == 1
    [case] = office.dossiers()
    assert case["status"] == "verifikasi"                       # the case did not move by itself

    # 3. A question: queued for an officer with the applicant's own words; the answer goes back
    #    in the thread, once.
    office.mailbox.append(reply(company, receipt, "Dengan hormat,\nApakah audit tahap 1 dapat dilaksanakan "
                                                  "secara daring?\n\nTerima kasih.\n\n> kutipan surel lama",
                                subject=f"Pertanyaan jadwal audit [{number}]"))
    office.run()
    with rt.engine.connect() as conn:
        [question] = [i for i in store.thread_items_of(conn, dossier_id=case["id"]) if i["kind"] == "pertanyaan"]
    assert question["role"] == "seksi_ss" and "secara daring?" in question["text"]
    assert "kutipan" not in question["text"]
    with pytest.raises(ApplicationError, match="Jawaban"):
        answer_question(rt, question["id"], officer="seksi.ss", answer="")
    answer_question(rt, question["id"], officer="seksi.ss",
                    answer="Audit tahap 1 (kecukupan dokumen) dapat dilaksanakan secara daring; "
                           "audit tahap 2 dilaksanakan di lokasi.")
    with pytest.raises(ApplicationError):
        answer_question(rt, question["id"], officer="seksi.ss", answer="Jawaban kedua.")
    office.run()
    inbox = office.inbox_of(company.email)
    assert len(inbox) == 2
    answer = inbox[-1]
    assert answer["Subject"] == f"Re: Pertanyaan jadwal audit [{number}]"
    with rt.engine.connect() as conn:
        question_mail = conn.execute(select(db.mails.c.message_id).where(
            db.mails.c.id == question["mail_id"])).scalar()
        # the NIB in the wrong format still waits for the officer's decision
        assert [i["kind"] for i in store.thread_items_of(conn, dossier_id=case["id"])] == ["dokumen"]
    assert answer["In-Reply-To"].strip() == question_mail     # (a long id is folded onto its own line)
    text = body_of(answer)
    assert "dapat dilaksanakan secara daring" in text and number in text
    assert "Verifikasi dokumen permohonan" in text        # where the case stands
    assert [e["actor"] for e in events(rt, "pertanyaan_dijawab")] == ["seksi.ss"]
