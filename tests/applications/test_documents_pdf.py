"""Application documents as PDF (LibreOffice through the claimed conversion path): receipt,
offer, bill, audit notice, certificate and hand-over record are PDFs the applicant receives;
each PDF is opened and read, and the certificate's QR code is decoded from the rendered page."""
from __future__ import annotations

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from pyzbar.pyzbar import decode
from sqlalchemy import select

from pipelines.applications import advance
from pipelines.applications.models import register
from pipelines.write.pdf import is_valid_pdf, libreoffice_available
from tests.applications.factories import KOPI_MUSI, application_mail
from tests.applications.office import BILLING_CODE, make_balai, walk_to_decision
from tests.write.write_helpers import pdf_text

pytestmark = pytest.mark.skipif(not libreoffice_available(), reason="LibreOffice is not installed")


def pdf_qr_urls(path) -> list[str]:
    pdf = pdfium.PdfDocument(str(path))
    try:
        return [code.data.decode() for i in range(len(pdf))
                for code in decode(pdf[i].render(scale=3).to_pil())]
    finally:
        pdf.close()


def test_application_documents_are_pdfs_the_applicant_receives(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server, convert_pdf=True)
    rt = office.runtime()
    office.mailbox.append(application_mail("sppt_sni_tipe5", KOPI_MUSI, rt.services["sppt_sni_tipe5"].name))
    office.run()
    [case] = office.dossiers()
    number = case["number"]
    folder = office.outputs / number / "dokumen"
    receipt = folder / "tanda_terima_permohonan.pdf"
    assert is_valid_pdf(receipt) and number in pdf_text(receipt) and KOPI_MUSI.name in pdf_text(receipt)

    walk_to_decision(rt, number)
    assert advance(rt, number, officer="komite", outcome="pemberian") == "penandatanganan"
    advance(rt, number, officer="kepala")
    assert advance(rt, number, officer="pjt") == "selesai"
    office.run()

    texts = {kind: pdf_text(folder / f"{kind}.pdf") for kind in (
        "penawaran_biaya", "draf_kontrak", "surat_tagihan", "pemberitahuan_audit", "sertifikat",
        "berita_acara_serah_terima")}
    assert "PENAWARAN" in texts["penawaran_biaya"].upper() and "14.750.000" in texts["penawaran_biaya"]
    assert BILLING_CODE in texts["surat_tagihan"]
    assert "5 Oktober 2026" in texts["pemberitahuan_audit"]
    assert "SPPT SNI" in texts["sertifikat"] and KOPI_MUSI.name in texts["sertifikat"]
    with rt.engine.connect() as conn:
        [entry] = conn.execute(select(register)).mappings().all()
    assert entry["number"] in texts["sertifikat"] and entry["number"] in texts["berita_acara_serah_terima"]

    # The QR code printed in the certificate PDF opens the public verification page.
    [url] = pdf_qr_urls(folder / "sertifikat.pdf")
    assert url.endswith(f"/verifikasi/sertifikat/{entry['token']}")
    from pipelines.desk.app import create_app
    page = TestClient(create_app(rt)).get(url.split("example.go.id", 1)[1])
    assert page.status_code == 200 and "BERLAKU" in page.text

    # The applicant received PDFs, not Word files.
    attached = [sorted(p.get_filename() for p in m.iter_attachments()) for m in office.inbox_of(KOPI_MUSI.email)]
    assert ["draf_kontrak.pdf", "penawaran_biaya.pdf"] in attached
    assert ["surat_tagihan.pdf"] in attached and ["pemberitahuan_audit.pdf"] in attached
    assert ["berita_acara_serah_terima.pdf"] in attached
    assert not any(name.endswith(".docx") for names in attached for name in names)
