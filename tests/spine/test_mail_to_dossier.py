"""Stories of Process A on a real Dovecot mailbox and a real SMTP server."""
from __future__ import annotations

import pytest
from docx import Document as Docx

from pipelines import db
from tests.spine.office import LSP_PBD, LSP_TDN, make_office, request, without


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_office(tmp_path, mailbox, smtp_server)


def test_complete_request_gets_approval_sheet_and_receipt_due_next_working_day(office):
    office.mailbox.append(request())
    summary = office.run()

    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan"
    assert dossier["number"].startswith("BLK-")
    assert dossier["due_date"] is not None and dossier["due_date"] > db.aware(dossier["completed_at"]).date()
    sheet = office.outputs / dossier["number"] / "dokumen" / "lembar_persetujuan.docx"
    text = "\n".join(p.text for p in Docx(sheet).paragraphs) + "\n".join(
        c.text for t in Docx(sheet).tables for row in t.rows for c in row.cells)
    assert dossier["number"] in text and "LSP Teknologi Digital Nusantara" in text
    assert "045/LSP-TDN/X/2026" in text  # the request letter's number, read from the PDF
    assert (office.outputs / dossier["number"] / "dokumen" / "tanda_terima.docx").exists()
    attachments = sorted(p.name for p in (office.outputs / dossier["number"] / "lampiran").iterdir())
    assert len(attachments) == 4 and all(not n.endswith(".tmp") for n in attachments)
    # Nothing is sent for a complete request; the mail moved to the processed folder.
    assert office.smtp.messages == []
    assert office.mailbox.count("INBOX") == 0 and office.mailbox.count("Diproses") == 1
    assert summary["mail_new"] == 1


def test_incomplete_request_gets_one_completion_email_in_the_same_thread(office):
    raw = request(LSP_PBD, without("keputusan.pdf"), message_id="<minta-1@lsp-pbd.example.id>")
    office.mailbox.append(raw)
    office.run()

    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_kelengkapan"
    [reply] = office.inbox_of(LSP_PBD)
    assert reply["In-Reply-To"] == "<minta-1@lsp-pbd.example.id>"
    assert "<minta-1@lsp-pbd.example.id>" in reply["References"]
    assert f"[{dossier['number']}]" in reply["Subject"]
    assert reply["Auto-Submitted"] == "auto-replied"
    body = reply.get_content()
    assert "Keputusan sertifikasi" in body and "belum dilampirkan" in body
    assert "Berita acara" not in body.split("kekurangan")[1].split("Mohon")[0]  # only what is missing

    # The LSP answers in the thread with the decision: the same dossier is complete now.
    answer = request(LSP_PBD, {"keputusan.pdf": without()["keputusan.pdf"]},
                     subject="Re: " + reply["Subject"], in_reply_to=reply["Message-ID"])
    office.mailbox.append(answer)
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan"
    assert len(office.inbox_of(LSP_PBD)) == 1  # no further mail


def test_auto_replies_bounces_and_unknown_senders_are_never_answered(office):
    office.mailbox.append(request(headers={"Auto-Submitted": "auto-replied"}, subject="Balasan otomatis: cuti"))
    office.mailbox.append(request(LSP_TDN, without("keputusan.pdf"), headers={"Precedence": "bulk"}))
    office.mailbox.append(request("orang.asing@contoh.id", without("keputusan.pdf")))
    office.mailbox.append(request(LSP_TDN, {}, subject="Undangan rapat koordinasi", body="Mohon hadir."))
    office.run()

    assert office.smtp.messages == []
    dossiers = office.dossiers()
    assert [d["status"] for d in dossiers] == ["ditahan"]
    with office.runtime().engine.connect() as conn:
        kinds = sorted(r.classification for r in conn.execute(db.mails.select()))
    assert kinds == ["autoreply", "autoreply", "blank_request", "unclassified"]


def test_the_same_message_delivered_twice_is_one_dossier(office):
    raw = request(LSP_PBD, without("keputusan.pdf"), message_id="<dua-kali@lsp-pbd.example.id>")
    office.mailbox.append(raw)
    office.mailbox.append(raw)
    office.run()
    assert len(office.dossiers()) == 1
    assert len(office.smtp.messages) == 1


def test_polling_again_fetches_nothing_and_sends_nothing(office):
    office.mailbox.append(request(LSP_PBD, without("keputusan.pdf")))
    office.run()
    second = office.run()
    assert second["mail_new"] == 0 and second["sent"]["sent"] == 0
    assert len(office.smtp.messages) == 1


def test_a_mail_that_cannot_be_processed_is_kept_and_the_next_one_still_is(office, monkeypatch):
    import pipelines.process as process
    real = process._work_on_dossier

    def broken_for_pbd(rt, mail_id, dossier_id, content, *args):
        if "lsp-pbd" in content.from_addr:
            raise ValueError("rusak")
        return real(rt, mail_id, dossier_id, content, *args)

    monkeypatch.setattr(process, "_work_on_dossier", broken_for_pbd)
    office.mailbox.append(request(LSP_PBD))
    office.mailbox.append(request(LSP_TDN))
    for _ in range(3):
        office.run()
    statuses = {d["sender"]: d["status"] for d in office.dossiers()}
    assert statuses[LSP_TDN] == "menunggu_persetujuan"
    with office.runtime().engine.connect() as conn:
        failed = conn.execute(db.mails.select().where(db.mails.c.state == "failed")).mappings().one()
    assert "rusak" in failed["error"]
    assert open(failed["raw_path"], "rb").read().startswith(b"From: sertifikasi@lsp-pbd")


def test_a_sender_gets_at_most_three_automatic_mails_a_day(office):
    for i in range(5):
        office.mailbox.append(request(LSP_PBD, without("keputusan.pdf", letter_number=f"{i + 1:03d}/LSP-PBD/X/2026")))
    office.run()
    assert len(office.dossiers()) == 5
    assert len(office.smtp.messages) == 3


def test_an_officer_can_vouch_for_an_unregistered_sender(office):
    from sqlalchemy import update

    from pipelines.process import _work_on_dossier
    from pipelines.read import walk_message

    office.mailbox.append(request("lsp.baru@contoh.id"))
    office.run()
    [held] = office.dossiers()
    assert held["status"] == "ditahan"
    rt = office.runtime()
    with rt.engine.begin() as conn:
        conn.execute(update(db.findings).where(db.findings.c.code == "PENGIRIM_TIDAK_TERDAFTAR")
                     .values(overridden_by="petugas1", override_reason="LSP baru, lisensi sudah dicek"))
        mail = conn.execute(db.mails.select()).mappings().one()
    _work_on_dossier(rt, mail["id"], held["id"], walk_message(open(mail["raw_path"], "rb").read()))
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan"


def test_an_lsp_name_with_ampersand_and_angle_brackets_survives_into_the_documents(office):
    office.mailbox.append(request("lsp.kem@example.co.id"))
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan"
    for kind in ("lembar_persetujuan", "tanda_terima"):
        doc = Docx(office.outputs / dossier["number"] / "dokumen" / f"{kind}.docx")
        text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
            c.text for t in doc.tables for row in t.rows for c in row.cells)
        assert "LSP Konstruksi & Energi <Mandiri>" in text
        assert 'Jl. Ahmad Yani No. 5 "Gedung C"' in text or kind == "lembar_persetujuan"
