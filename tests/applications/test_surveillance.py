"""Surveillance (pemeliharaan) keeps the certificate a customer holds, recording the surveillance
and the next one due, instead of issuing a new certificate; recertification extends the same
certificate (number and QR code) for a new cycle. On real Dovecot and SMTP."""
from __future__ import annotations

import io
from datetime import date

import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from pyzbar.pyzbar import decode
from sqlalchemy import select

from pipelines import db
from pipelines.applications import ApplicationError, advance, clock_figures
from pipelines.applications.models import register
from pipelines.applications.certsearch import export_certsearch
from pipelines.applications.register import entries
from pipelines.calendar import local_date
from pipelines.write.words import format_date_id
from tests.applications.factories import PUPUK_SRIWIJAYA, SINAR_BAJA, application_mail
from tests.applications.office import docx_images, docx_text, make_balai, walk_to_decision

ISO14001 = "Sertifikasi Sistem Manajemen Lingkungan ISO 14001:2015"


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def new_case(office, subject: str, company=PUPUK_SRIWIJAYA, kind="iso14001") -> str:
    before = {c["number"] for c in office.dossiers()}
    office.mailbox.append(application_mail(kind, company, ISO14001, subject=subject))
    office.run()
    [case] = [c for c in office.dossiers() if c["number"] not in before]
    assert case["kind"] == kind and case["status"] == "disposisi"
    return case["number"]


def certify(office, subject: str, outcome: str) -> str:
    """A case decided with `outcome`, signed and handed over."""
    rt = office.runtime()
    number = new_case(office, subject)
    walk_to_decision(rt, number)
    assert advance(rt, number, officer="komite", outcome=outcome) == "penandatanganan"
    assert advance(rt, number, officer="kepala") == "serah_terima"
    assert advance(rt, number, officer="pjt") == "selesai"
    return number


def registered(rt):
    with rt.engine.connect() as conn:
        return conn.execute(select(register).order_by(register.c.id)).mappings().all()


def test_surveillance_maintains_and_recertification_extends_the_same_certificate(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    today = local_date(db.now())
    company = PUPUK_SRIWIJAYA

    # Initial certification: one certificate, surveillance after 12 and 24 months.
    certify(office, "Permohonan Sertifikasi ISO 14001:2015 - PT Pupuk Hijau Sriwijaya", "pemberian")
    [issued] = registered(rt)
    scheduled = [date.fromisoformat(d) for d in issued["surveillance_dates"]]
    assert len(scheduled) == 2
    [row] = entries(rt)
    assert row["surveillances_done"] == [] and row["next_surveillance"] == scheduled[0]

    # Surveillance 1: the committee maintains the certificate; no new certificate is issued.
    second = new_case(office, "Permohonan Survailen 1 Sertifikat ISO 14001:2015 - PT Pupuk Hijau Sriwijaya")
    walk_to_decision(rt, second)
    assert advance(rt, second, officer="komite", outcome="pemeliharaan") == "surat_pemeliharaan"
    assert advance(rt, second, officer="kepala") == "selesai"
    assert clock_figures(rt, second).state == "selesai"
    [kept] = registered(rt)
    assert (kept["number"], kept["token"], kept["issue_date"], kept["expiry_date"]) == (
        issued["number"], issued["token"], issued["issue_date"], issued["expiry_date"])
    [row] = entries(rt)
    assert row["surveillances_done"] == [today] and row["next_surveillance"] == scheduled[1]
    assert [h["kind"] for h in row["history"]] == ["survailen"]
    folder = office.outputs / second / "dokumen"
    assert not (folder / "sertifikat.docx").exists()
    letter = docx_text(folder / "surat_pemeliharaan.docx")
    assert "SURAT KEPUTUSAN PEMELIHARAAN SERTIFIKAT" in letter and "DIPELIHARA" in letter
    assert issued["number"] in letter and company.name in letter
    assert format_date_id(today) in letter and format_date_id(scheduled[1]) in letter
    assert format_date_id(issued["expiry_date"]) in letter
    office.run()
    mail = office.inbox_of(company.email)[-1]
    assert f"[{second}]" in mail["Subject"] and issued["number"] in body_of(mail)
    assert format_date_id(scheduled[1]) in body_of(mail)
    # an organisation's surveillance is an audit, as its service says (certificate.activity)
    assert "Berdasarkan hasil audit survailen dan keputusan Komite Evaluasi" in letter
    assert "Berdasarkan hasil audit survailen atas permohonan" in body_of(mail)
    assert [p.get_filename() for p in mail.iter_attachments()] == ["surat_pemeliharaan.docx"]

    # Recertification: the same certificate, number and QR code, for a new three-year cycle
    # from the old expiry date; the new cycle's surveillances start again.
    third = certify(office, "Permohonan Sertifikasi Ulang ISO 14001:2015 - PT Pupuk Hijau Sriwijaya", "resertifikasi")
    [renewed] = registered(rt)
    old_expiry = issued["expiry_date"]
    assert (renewed["number"], renewed["token"]) == (issued["number"], issued["token"])
    assert renewed["issue_date"] == today and renewed["dossier_id"] != issued["dossier_id"]
    assert renewed["expiry_date"] == old_expiry.replace(year=old_expiry.year + 3)
    assert renewed["surveillance_dates"] == [old_expiry.replace(year=old_expiry.year + 1).isoformat(),
                                             old_expiry.replace(year=old_expiry.year + 2).isoformat()]
    [row] = entries(rt)
    assert row["surveillances_done"] == [] and row["next_surveillance"].isoformat() == renewed["surveillance_dates"][0]
    assert [h["kind"] for h in row["history"]] == ["survailen", "resertifikasi"]
    certificate = office.outputs / third / "dokumen" / "sertifikat.docx"
    text = docx_text(certificate)
    assert issued["number"] in text and format_date_id(renewed["expiry_date"]) in text
    [png] = docx_images(certificate)
    [code] = decode(PILImage.open(io.BytesIO(png)))
    assert code.data.decode().endswith(f"/verifikasi/sertifikat/{issued['token']}")   # the printed QR still works
    from pipelines.desk.app import create_app
    page = TestClient(create_app(rt)).get(f"/verifikasi/sertifikat/{issued['token']}")
    assert page.status_code == 200 and format_date_id(renewed["expiry_date"]) in page.text
    handover = docx_text(office.outputs / third / "dokumen" / "berita_acara_serah_terima.docx")
    assert issued["number"] in handover and format_date_id(renewed["expiry_date"]) in handover

    # CertSearch: the most recent issue and the original one, one row for the one certificate.
    import openpyxl
    sheet = openpyxl.load_workbook(export_certsearch(rt, tmp_path / "cb_certs.xlsx"))["Certification"]
    [header, line] = [[c.value for c in row] for row in sheet.iter_rows()]
    record = dict(zip(header, line))
    assert record["Certificate Number"] == issued["number"] and record["Certification Status"] == "Active"
    assert record["Certification Issue Date"] == today.strftime("%Y%m%d")
    assert record["Certification Original Issue Date"] == issued["issue_date"].strftime("%Y%m%d")
    assert record["Certification Expiry Date"] == renewed["expiry_date"].strftime("%Y%m%d")


def test_surveillance_is_refused_for_a_customer_without_an_active_certificate(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    number = new_case(office, "Permohonan Survailen ISO 14001:2015 - PT Sinar Baja Nusantara", company=SINAR_BAJA)
    walk_to_decision(rt, number)
    for outcome in ("pemeliharaan", "resertifikasi"):
        with pytest.raises(ApplicationError, match="belum memiliki sertifikat"):
            advance(rt, number, officer="komite", outcome=outcome)
    assert registered(rt) == []
