"""The whole of Process A on a real Dovecot and a real SMTP server:

request mail in the office mailbox -> ingest pass (plain functions of the ingest flow) ->
complete -> approval (serials allocated) -> the scheduled courier-manifest flow (Prefect) ->
shipment notice in the LSP's IMAP mailbox, in the request's thread, with the certificate
print file -> the LSP mails back a scan with the receipt's real QR code -> "selesai".
"""
from __future__ import annotations

import email
import io
import os
from email import policy
from email.message import EmailMessage

import pytest
import yaml
from sqlalchemy import select

import pipelines.fulfil  # noqa: F401  (tables and hooks, as process.py will import it)
from pipelines import db
from pipelines.decide.approval import approve
from pipelines.fulfil import blanks
from pipelines.fulfil.models import certificates, parcels
from pipelines.write.pdf import libreoffice_available
from tests.fulfil.test_shipping import scanned_receipt
from tests.spine.office import LSP_TDN, OFFICE, make_office, request


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    office = make_office(tmp_path, mailbox, smtp_server)
    config = yaml.safe_load(office.config.read_text())
    config["convert_pdf"] = True            # certificates as real PDFs through LibreOffice
    office.config.write_text(yaml.safe_dump(config))
    return office


def test_process_a_from_request_mail_to_returned_receipt(office, monkeypatch):
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    request_id = "<permohonan-e2e@lsp-tdn.example.id>"
    office.mailbox.append(request(LSP_TDN, message_id=request_id))
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan", dossier
    wanted = int(dossier["facts"]["competent_total"])
    assert wanted > 0

    rt = office.runtime()
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1, 40, actor="admin")
        blanks.add_stock(conn, 1001, 1500, actor="admin")
    approve(rt, dossier["number"], "Drs. Budi Santoso, M.M.", "kasubbag")
    with rt.engine.connect() as conn:
        ranges = blanks.dossier_ranges(conn, dossier["id"])
        parcel = conn.execute(select(parcels)).mappings().one()
        certs = conn.execute(select(certificates)).mappings().all()
    assert sum(r.count for r in ranges) == wanted and len(ranges) == 1
    assert parcel["status"] == "dikemas" and len(certs) == wanted

    # The courier pickup: the scheduled flow, called as Prefect would.
    from pipelines.flows.courier_manifest import build_courier_manifest
    result = build_courier_manifest(str(office.config))
    assert result["manifest"]["parcels"] == 1 and result["sent"]["sent"] == 1
    assert build_courier_manifest(str(office.config))["manifest"] is None   # rerun: nothing new

    # The shipment notice is in the LSP's mailbox, in the request's thread.
    [notice] = office.inbox_of(LSP_TDN)
    assert notice["In-Reply-To"] == request_id and request_id in notice["References"]
    assert f"[{dossier['number']}]" in notice["Subject"]
    body = notice.get_body(("plain",)).get_content()
    assert parcel["number"] in body and parcel["receipt_number"] in body
    files = {part.get_filename(): part.get_content() for part in notice.iter_attachments()}
    if libreoffice_available():
        prints = [n for n in files if n.startswith("cetak_")]
        assert prints and all(files[n].startswith(b"%PDF-") for n in prints)
        # The certificate's QR code leads to its verification page.
        from pipelines.documents import Attachment
        from pipelines.fulfil.receipts import decode_qr
        texts = decode_qr(Attachment(prints[0], files[prints[0]], media_type="application/pdf"))
        assert any(t.endswith("/verifikasi/" + c["token"]) for t in texts for c in certs)
    with rt.engine.connect() as conn:
        assert db.dossier_by_number(conn, dossier["number"])["status"] == "dikirim"

    # The LSP answers the notice with the scan of the countersigned receipt.
    receipt_docx = office.outputs / dossier["number"] / "dokumen" / "tanda_terima.docx"
    reply = EmailMessage()
    reply["From"] = LSP_TDN
    reply["To"] = OFFICE
    reply["Subject"] = "Re: " + notice["Subject"]
    reply["Message-ID"] = "<tanda-terima-e2e@lsp-tdn.example.id>"
    reply["In-Reply-To"] = notice["Message-ID"]
    reply["References"] = f"{request_id} {notice['Message-ID']}"
    reply.set_content("Terlampir pindaian tanda terima yang sudah kami tandatangani.")
    reply.add_attachment(scanned_receipt(receipt_docx), maintype="image", subtype="png",
                         filename="scan_tanda_terima.png")
    office.mailbox.append(reply.as_bytes())
    office.run()

    [dossier] = office.dossiers()
    assert dossier["status"] == "selesai"
    with rt.engine.connect() as conn:
        parcel = conn.execute(select(parcels)).mappings().one()
        mail = conn.execute(select(db.mails).where(
            db.mails.c.message_id == "<tanda-terima-e2e@lsp-tdn.example.id>")).mappings().one()
    assert parcel["status"] == "diterima" and os.path.exists(parcel["receipt_scan_path"])
    assert (mail["state"], mail["classification"], mail["dossier_id"]) == ("done", "signed_receipt", dossier["id"])
    assert len(office.inbox_of(LSP_TDN)) == 1            # nothing more was sent to the LSP
