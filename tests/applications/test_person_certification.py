"""Person certification (seed 002): a company applies for three employees; after payment,
assessment and decision each competent participant gets a certificate with its own QR code."""
from __future__ import annotations

import io

from PIL import Image as PILImage
from pyzbar.pyzbar import decode
from sqlalchemy import select

from pipelines.applications import advance, clock_figures
from pipelines.applications.models import register
from tests.applications.factories import AKADEMI, application_mail
from tests.applications.office import docx_images, docx_text, make_balai


def test_person_certification_gives_each_participant_a_certificate(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    office.mailbox.append(application_mail("sertifikasi_person", AKADEMI, rt.services["sertifikasi_person"].name))
    office.run()
    [case] = office.dossiers()
    number = case["number"]
    assert case["status"] == "disposisi" and clock_figures(rt, number).target_days == 14
    advance(rt, number, officer="kepala")
    advance(rt, number, officer="seksi.ss")
    assert advance(rt, number, officer="layanan", inputs={"kode_billing": "820261201000777"}) == "menunggu_pembayaran"
    bill = docx_text(office.outputs / number / "dokumen" / "surat_tagihan.docx")
    # 100.000 application + 3 participants x 1.500.000
    assert "4.600.000" in bill and "empat juta enam ratus ribu rupiah" in bill and "3 orang" in bill
    assert clock_figures(rt, number).pause_reason == "pembayaran"
    assert advance(rt, number, officer="layanan") == "menunggu_kuota"
    assert clock_figures(rt, number).pause_reason == "kuota_peserta"
    assert advance(rt, number, officer="seksi.ss") == "pemberitahuan_pelaksanaan"
    assert clock_figures(rt, number).state == "berjalan"
    advance(rt, number, officer="pjt", inputs={"tanggal_audit_tahap1": "2026-12-08", "tanggal_audit_tahap2": "2026-12-09",
                                                "tim": ["Rina Kartika"]})
    notice = docx_text(office.outputs / number / "dokumen" / "pemberitahuan_pelaksanaan.docx")
    assert "uji kompetensi" in notice and "8 Desember 2026" in notice
    assert advance(rt, number, officer="asesor") == "keputusan"
    assert advance(rt, number, officer="komite", outcome="pemberian") == "penandatanganan"
    assert advance(rt, number, officer="kepala") == "serah_terima"

    certificates = office.outputs / number / "dokumen" / "sertifikat.docx"
    text = docx_text(certificates)
    for name, nik in [("Andi Pratama", "1671010101900001"), ("Siti Aminah", "1671024502920002"),
                      ("Bayu Nugroho", "1671031203880003")]:
        assert name in text and f"NIK {nik}" in text
    assert text.count("SERTIFIKAT KOMPETENSI PERSON") == 3 and "Petugas Pengambil Contoh" in text
    with rt.engine.connect() as conn:
        entries = conn.execute(select(register).order_by(register.c.id)).mappings().all()
    assert [e["holder"] for e in entries] == ["Andi Pratama", "Siti Aminah", "Bayu Nugroho"]
    urls = sorted(decode(PILImage.open(io.BytesIO(png)))[0].data.decode() for png in docx_images(certificates))
    assert urls == sorted(f"https://sertiflow.bnsp.example.go.id/verifikasi/sertifikat/{e['token']}" for e in entries)
    assert advance(rt, number, officer="pjt") == "selesai"
    handover = docx_text(office.outputs / number / "dokumen" / "berita_acara_serah_terima.docx")
    assert all(e["number"] in handover for e in entries)
