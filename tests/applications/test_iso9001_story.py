"""An ISO 9001 application at a Balai, from the first mail to the handed-over certificate, on a
real Dovecot mailbox and a real SMTP server; every document opened and read; the clock's figures
checked at each step."""
from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from sqlalchemy import select

from pipelines import db
from pipelines.applications import (ApplicationError, advance, clock_figures, close_nonconformity,
                                    record_nonconformity)
from pipelines.applications.models import customers, register
from pipelines.calendar import local_date
from tests.applications.factories import SINAR_BAJA, application_mail, nib_pdf, payment_proof_pdf, reply
from tests.applications.office import docx_images, docx_text, make_balai

SERVICE = "Sertifikasi Sistem Manajemen Mutu ISO 9001:2015"
TEAM = ["Ir. Ahmad Fauzi, M.T."]   # data/staff.yaml: the one auditor there competent for ISO 9001


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_balai(tmp_path, mailbox, smtp_server)


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def _docs(office, number):
    return office.outputs / number / "dokumen"


def test_iso9001_application_from_first_mail_to_handed_over_certificate(office):
    rt = office.runtime()
    today = local_date(db.now())

    # 1. An application without its NIB: one completion request in the thread, naming only the NIB.
    first = application_mail("iso9001_lsbbk", SINAR_BAJA, SERVICE, drop=("nib.pdf",),
                             message_id="<iso-1@sinarbaja.example.co.id>")
    office.mailbox.append(first)
    office.run()
    [case] = office.dossiers()
    number = case["number"]
    assert number.startswith("SMM-") and case["kind"] == "iso9001_lsbbk"
    assert case["status"] == "menunggu_kelengkapan"
    [ask] = office.inbox_of(SINAR_BAJA.email)
    assert ask["In-Reply-To"] == "<iso-1@sinarbaja.example.co.id>" and f"[{number}]" in ask["Subject"]
    body = ask.get_content()
    missing = body.split("kekurangan sebagai berikut:")[1].split("Mohon Saudara")[0]
    assert "Nomor Induk Berusaha (NIB)" in missing
    assert "Manual mutu" not in missing and "Formulir permohonan" not in missing
    assert clock_figures(rt, number).state == "belum"   # the clock starts when it is complete

    # 2. The NIB comes in the thread: complete; receipt with number and promised date.
    office.mailbox.append(reply(SINAR_BAJA, ask, "Terlampir NIB kami.",
                                {"nib.pdf": nib_pdf(SINAR_BAJA)}))
    office.run()
    [case] = office.dossiers()
    assert case["status"] == "disposisi"
    figures = clock_figures(rt, number)
    assert figures.state == "berjalan" and figures.target_days == 32
    promised = rt.calendar.add_working_days(today, 32)
    assert figures.promised_date == promised and case["due_date"] == promised
    receipt_mail = office.inbox_of(SINAR_BAJA.email)[-1]
    assert f"[{number}]" in receipt_mail["Subject"]     # in the applicant's own thread
    assert "telah kami terima dengan lengkap" in body_of(receipt_mail)
    from pipelines.write.words import format_date_id
    assert format_date_id(promised) in body_of(receipt_mail)
    receipt = docx_text(_docs(office, number) / "tanda_terima_permohonan.docx")
    assert "PT Sinar Baja Nusantara" in receipt and "8120001234567" in receipt and number in receipt
    assert format_date_id(promised) in receipt and "Nomor Induk Berusaha (NIB)" in receipt
    with rt.engine.connect() as conn:
        [customer] = conn.execute(select(customers)).mappings().all()
    assert customer["nib"] == "8120001234567" and "Mayor Zen" in customer["address"]
    assert customer["contact_person"].startswith("Ir. Rudi Hartono")

    # 3. Disposition, verification, cost offer with draft contract (tariff as data, words).
    assert advance(rt, number, officer="kepala") == "verifikasi"
    assert "MEMO DISPOSISI" in docx_text(_docs(office, number) / "memo_disposisi.docx")
    assert advance(rt, number, officer="seksi.ss") == "penawaran"
    assert advance(rt, number, officer="pemasaran") == "penagihan"
    offer = docx_text(_docs(office, number) / "penawaran_biaya.docx")
    assert "22.000.000" in offer and "dua puluh dua juta rupiah" in offer
    assert "Audit tahap II" in offer and "12.000.000" in offer     # 4 auditor-days x 3.000.000
    contract = docx_text(_docs(office, number) / "draf_kontrak.docx")
    assert "PT Sinar Baja Nusantara" in contract and "32 hari kerja" in contract
    office.run()
    offer_mail = office.inbox_of(SINAR_BAJA.email)[-1]
    assert "penawaran biaya" in body_of(offer_mail) and f"[{number}]" in offer_mail["Subject"]
    names = sorted(p.get_filename() for p in offer_mail.iter_attachments())
    assert names == ["draf_kontrak.docx", "penawaran_biaya.docx"]

    # 4. The bill needs the e-billing code the officer enters; then the clock waits for payment.
    with pytest.raises(ApplicationError, match="Kode billing"):
        advance(rt, number, officer="layanan")
    assert advance(rt, number, officer="layanan", inputs={"kode_billing": "820261130012345"}) == "menunggu_pembayaran"
    bill = docx_text(_docs(office, number) / "surat_tagihan.docx")
    assert "820261130012345" in bill and "dua puluh dua juta rupiah" in bill
    figures = clock_figures(rt, number)
    assert figures.state == "dijeda" and figures.pause_reason == "pembayaran"
    office.run()
    bill_mail = office.inbox_of(SINAR_BAJA.email)[-1]
    assert "Kode billing   : 820261130012345" in body_of(bill_mail)

    # 5. Payment proof in the thread: kept for the service officer; the clock resumes only when confirmed.
    office.mailbox.append(reply(SINAR_BAJA, bill_mail, "Terlampir bukti bayar.",
                                {"bukti_bayar.pdf": payment_proof_pdf(SINAR_BAJA, "820261130012345", "22.000.000")}))
    office.run()
    [case] = office.dossiers()
    assert case["status"] == "menunggu_pembayaran"
    assert clock_figures(rt, number).state == "dijeda"
    with rt.engine.connect() as conn:
        event = conn.execute(select(db.events).where(db.events.c.action == "surel_bukti_bayar")).mappings().one()
    assert event["detail"]["untuk"] == "petugas_layanan" and event["detail"]["lampiran"] == ["bukti_bayar.pdf"]
    assert advance(rt, number, officer="layanan") == "pemberitahuan_audit"
    assert clock_figures(rt, number).state == "berjalan"

    # 6. Audit notice: dates, a competent team from the staff list, cost.
    with pytest.raises(ApplicationError, match="Dewi Lestari, S.T. tidak tercatat kompeten dalam sistem manajemen mutu"):
        advance(rt, number, officer="pjt", inputs={"tanggal_audit_tahap1": "2026-12-07",
                                                    "tanggal_audit_tahap2": "2026-12-14",
                                                    "tim": [*TEAM, "Dewi Lestari, S.T."]})
    assert advance(rt, number, officer="pjt", inputs={"tanggal_audit_tahap1": "2026-12-07",
                                                       "tanggal_audit_tahap2": "2026-12-14", "tim": TEAM}) == "audit"
    notice = docx_text(_docs(office, number) / "pemberitahuan_audit.docx")
    assert "7 Desember 2026" in notice and "14 Desember 2026" in notice
    assert "Ir. Ahmad Fauzi, M.T." in notice and "Kepala Seksi Sertifikasi" in notice and "22.000.000" in notice

    # 7. A major nonconformity: the case waits for corrective action, the clock pauses.
    nc = record_nonconformity(rt, number, grade="mayor", clause="7.5.3",
                              description="Pengendalian informasi terdokumentasi belum diterapkan.",
                              due_date=today + timedelta(days=30), officer="auditor")
    assert advance(rt, number, officer="auditor") == "tindakan_perbaikan"
    assert clock_figures(rt, number).pause_reason == "tindakan_perbaikan"
    with pytest.raises(ApplicationError, match="ketidaksesuaian terbuka"):
        advance(rt, number, officer="auditor")
    office.mailbox.append(reply(SINAR_BAJA, bill_mail, "Terlampir bukti tindakan perbaikan KTS-01.",
                                {"tindakan_perbaikan.pdf": b"%PDF-1.4 bukti"},
                                subject=f"Tindakan perbaikan [{number}]"))
    office.run()
    with rt.engine.connect() as conn:
        event = conn.execute(select(db.events).where(db.events.c.action == "surel_tindakan_perbaikan")).mappings().one()
    assert event["detail"]["untuk"] == "auditor"
    close_nonconformity(rt, number, nc, officer="auditor", evidence="Prosedur 7.5 diterapkan, rekaman diperiksa.")
    assert advance(rt, number, officer="auditor") == "evaluasi_teknis"
    assert clock_figures(rt, number).state == "berjalan"

    # 8. Recommendation, committee decision, signed certificate with a QR code to the public page.
    assert advance(rt, number, officer="tim", inputs={"rekomendasi": "Direkomendasikan"}) == "keputusan"
    with pytest.raises(ApplicationError, match="pemberian"):
        advance(rt, number, officer="komite", outcome="setuju")
    assert advance(rt, number, officer="komite", outcome="pemberian") == "penandatanganan"
    assert advance(rt, number, officer="kepala") == "serah_terima"
    certificate = _docs(office, number) / "sertifikat.docx"
    text = docx_text(certificate)
    assert "SERTIFIKAT SISTEM MANAJEMEN MUTU" in text and "SNI ISO 9001:2015" in text
    assert "PT Sinar Baja Nusantara" in text and "Produksi baja tulangan beton" in text
    with rt.engine.connect() as conn:
        [entry] = conn.execute(select(register)).mappings().all()
    assert entry["status"] == "aktif" and entry["expiry_date"] == entry["issue_date"].replace(year=entry["issue_date"].year + 3)
    assert len(entry["surveillance_dates"]) == 2 and entry["number"] in text
    from pyzbar.pyzbar import decode
    [qr] = docx_images(certificate)
    [code] = decode(PILImage.open(io.BytesIO(qr)))
    url = code.data.decode()
    assert url.endswith(f"/verifikasi/sertifikat/{entry['token']}")
    from pipelines.desk.app import create_app
    client = TestClient(create_app(rt))
    page = client.get(url.split("example.go.id", 1)[1])
    assert page.status_code == 200 and "BERLAKU" in page.text and "PT Sinar Baja Nusantara" in page.text
    assert client.get("/verifikasi/sertifikat/" + "x" * 32).status_code == 404

    # 9. Hand-over with its record; the case is done and the clock stopped.
    assert advance(rt, number, officer="pjt") == "selesai"
    handover = docx_text(_docs(office, number) / "berita_acara_serah_terima.docx")
    assert "BERITA ACARA SERAH TERIMA" in handover and entry["number"] in handover
    office.run()
    last = office.inbox_of(SINAR_BAJA.email)[-1]
    assert "sertifikat untuk permohonan nomor" in body_of(last) and entry["token"] in body_of(last)
    assert sorted(p.get_filename() for p in last.iter_attachments()) == ["berita_acara_serah_terima.docx"]
    figures = clock_figures(rt, number)
    assert figures.state == "selesai"
    with pytest.raises(ApplicationError):
        advance(rt, number, officer="pjt")

    # 10. The register: status, scope, dates, surveillance; CertSearch export; a suspension shows publicly.
    from pipelines.applications.certsearch import export_certsearch
    from pipelines.applications.register import change_status, entries
    [row] = entries(rt)
    assert row["status"] == "aktif" and row["next_surveillance"] == date.fromisoformat(entry["surveillance_dates"][0])
    assert row["scope"].startswith("Produksi baja tulangan beton") and "Mayor Zen" in row["site"]
    import openpyxl
    xlsx = openpyxl.load_workbook(export_certsearch(rt, office.outputs / "cb_certs.xlsx"))
    [header, line] = [[c.value for c in r] for r in xlsx["Certification"].iter_rows()]
    record = dict(zip(header, line))
    assert record["Certificate Number"] == entry["number"] and record["Certification Status"] == "Active"
    assert record["Certification Type"] == "Management System" and record["Standards"] == "SNI ISO 9001:2015"
    assert record["Certification Issue Date"] == entry["issue_date"].strftime("%Y%m%d")
    [header, line] = [[c.value for c in r] for r in xlsx["Certified Entity"].iter_rows()]
    holder = dict(zip(header, line))
    assert holder["Certified Entity Name"] == "PT Sinar Baja Nusantara"
    assert holder["Certified Entity Unique ID"] == record["Certified Entity Unique ID"]
    with pytest.raises(ApplicationError, match="Alasan"):
        change_status(rt, entry["number"], "dibekukan", "", officer="komite")
    change_status(rt, entry["number"], "dibekukan", "Survailen 1 tidak dapat dilaksanakan.", officer="komite")
    sheet = openpyxl.load_workbook(export_certsearch(rt, office.outputs / "cb_certs.xlsx"))["Certification"]
    record = dict(zip([c.value for c in sheet[1]], [c.value for c in sheet[2]]))
    assert record["Certificate Number"] == entry["number"] and record["Certification Status"] == "Suspended"
    assert "DIBEKUKAN" in client.get(url.split("example.go.id", 1)[1]).text
    # Past its expiry date a certificate counts as expired.
    [later] = entries(rt, today=entry["expiry_date"] + timedelta(days=1))
    assert later["status"] == "dibekukan"
    change_status(rt, entry["number"], "aktif", "Survailen 1 telah dilaksanakan.", officer="komite")
    [later] = entries(rt, today=entry["expiry_date"] + timedelta(days=1))
    assert later["status"] == "kedaluwarsa" and later["status_label"] == "Kedaluwarsa"
