"""Every certification service kind from the first mail to the handed-over certificate, on a real
Dovecot mailbox and a real SMTP server, driven by the service's own YAML: the steps, their inputs,
the documents each writes, the mail each sends and the pause each waits on come from
services/*.yaml, so one story covers SPPT SNI type 5 and type 1, ISO 14001, green industry and
technical training (ISO 9001 and person certification have their own stories).

Time is the office's: the test moves `db.now` through working days, so the clock's figures
(promised date, pauses) are asserted at each step."""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from PIL import Image as PILImage
from pyzbar.pyzbar import decode
from sqlalchemy import select

from pipelines import db
from pipelines.applications import advance, clock_figures, close_nonconformity, record_nonconformity, store
from pipelines.applications.models import register
from pipelines.applications.tariff import offer
from pipelines.applications.wording import schedule_names
from pipelines.write.words import format_date_id
from tests.applications.factories import (AKADEMI, KOPI_MUSI, PEOPLE, PUPUK_SRIWIJAYA, SINAR_BAJA, Company,
                                          application_files, application_mail, payment_proof_pdf, reply)
from tests.applications.office import BILLING_CODE, docx_images, docx_text, make_balai, step_inputs, team_for


@dataclass
class Story:
    company: Company
    missing: str            # the file the first mail lacks; it comes later in the thread
    zipped: bool = False    # the first mail's files in one ZIP archive


STORIES = {
    "sppt_sni_tipe5": Story(KOPI_MUSI, "spesifikasi_produk.pdf"),
    "sppt_sni_tipe1": Story(SINAR_BAJA, "nib.pdf", zipped=True),
    "iso14001": Story(PUPUK_SRIWIJAYA, "persetujuan_lingkungan.pdf", zipped=True),
    "industri_hijau": Story(PUPUK_SRIWIJAYA, "data_kinerja_energi.pdf"),
    "bimtek": Story(AKADEMI, "daftar_peserta.xlsx"),
}
START = datetime(2026, 9, 7, 2, 0, tzinfo=timezone.utc)     # Monday 7 September 2026, 09:00 WIB
WEEK = timedelta(days=7)


class OfficeTime:
    """db.now for the whole office (pipelines, clock engine, outbox), moved by the test."""

    def __init__(self, monkeypatch):
        self.moment = START
        monkeypatch.setattr(db, "now", lambda: self.moment)

    def passes(self, delta: timedelta) -> None:
        self.moment += delta


def body_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def audit_words(text: str) -> set[str]:
    """Words about audits; a team member's job title ("Auditor") is who they are, not the activity."""
    return set(re.findall(r"\w*audit\w*", text, re.I))


def open_items(rt) -> list[tuple[str, str]]:
    """Thread mail waiting for an officer: (kind, role)."""
    with rt.engine.connect() as conn:
        return [(i["kind"], i["role"]) for i in store.thread_items_of(conn)]


@pytest.mark.parametrize("kind", list(STORIES))
def test_service_from_first_mail_to_handed_over_certificate(kind, tmp_path, mailbox, smtp_server, monkeypatch):
    time = OfficeTime(monkeypatch)
    story = STORIES[kind]
    company = story.company
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    service = rt.services[kind]
    docs = office.outputs
    item_of = {}   # file name -> checklist label, from the complete set of files
    files = application_files(kind, company, service.name)

    # 1. The first mail lacks one document: one completion request in the thread naming only it.
    office.mailbox.append(application_mail(kind, company, service.name, drop=(story.missing,),
                                           zipped=story.zipped, message_id=f"<{kind}-1@{company.email.split('@')[1]}>"))
    office.run()
    [case] = office.dossiers()
    number = case["number"]
    assert case["kind"] == kind and number.startswith(service.number_prefix + "-")
    assert case["status"] == "menunggu_kelengkapan"
    assert clock_figures(rt, number).state == "belum"          # the clock starts once complete
    [ask] = office.inbox_of(company.email)
    assert ask["In-Reply-To"] == f"<{kind}-1@{company.email.split('@')[1]}>" and f"[{number}]" in ask["Subject"]
    missing = body_of(ask).split("sebagai berikut:")[1].split("Mohon")[0]
    labels = [i.get("label", i["id"]) for i in service.checklist]
    named = [label for label in labels if label in missing]
    assert len(named) == 1, (missing, named)
    missing_label = named[0]

    # 2. The missing document comes in the thread two hours later: complete; receipt; the clock starts.
    time.passes(timedelta(hours=2))
    office.mailbox.append(reply(company, ask, "Dengan hormat, terlampir kekurangan dokumen kami.",
                                {story.missing: files[story.missing]}))
    office.run()
    [case] = office.dossiers()
    assert case["status"] == "disposisi"
    figures = clock_figures(rt, number)
    target = service.clock["target_working_days"]
    promised = rt.calendar.add_working_days(date(2026, 9, 7), target)
    assert figures.state == "berjalan" and figures.target_days == target
    assert figures.promised_date == promised and case["due_date"] == promised
    receipt_mail = office.inbox_of(company.email)[-1]
    assert f"[{number}]" in receipt_mail["Subject"] and format_date_id(promised) in body_of(receipt_mail)
    receipt = docx_text(docs / number / "dokumen" / "tanda_terima_permohonan.docx")
    assert service.name.upper() in receipt and number in receipt and format_date_id(promised) in receipt
    assert missing_label in receipt and f"({target} hari kerja)" in receipt
    if service.certificate.get("holder") != "peserta":
        assert company.name in receipt and company.nib in receipt

    # 3. Officers walk the service's steps as its YAML lists them.
    participants = len(PEOPLE) if any(i["id"] == "participant_list" for i in service.checklist) else 0
    tariff = offer(service.tariff, participants)
    nonconformity = ""
    activity = service.certificate.get("activity") or "audit"
    first, second = schedule_names(service)        # the schedule's dates as the service's YAML names them
    seen_mail = len(office.inbox_of(company.email))
    walked = []
    while case["status"] != "selesai":
        step = service.step(case["status"])
        walked.append(step.id)
        time.passes(timedelta(minutes=30))
        before = clock_figures(rt, number)
        if step.waits_for:
            # The clock stands while the case waits; a week passes: the promise moves by five working days.
            assert before.state == "dijeda" and before.pause_reason == step.waits_for, step.id
            time.passes(WEEK)
            promised = rt.calendar.add_working_days(promised, 5)
        if step.waits_for == "pembayaran":
            bill_mail = office.inbox_of(company.email)[-1]
            office.mailbox.append(reply(company, bill_mail, "Dengan hormat, terlampir bukti pembayaran PNBP.",
                                        {"bukti_bayar.pdf": payment_proof_pdf(company, BILLING_CODE,
                                                                             f"{tariff['total']:,}".replace(",", "."))}))
            office.run()
            assert office.dossiers()[0]["status"] == step.id          # kept until an officer confirms
            assert clock_figures(rt, number).state == "dijeda"
            assert open_items(rt) == [("bukti_bayar", "petugas_layanan")]
        if step.waits_for == "tindakan_perbaikan":
            office.mailbox.append(reply(company, office.inbox_of(company.email)[-1],
                                        f"Terlampir bukti tindakan perbaikan {nonconformity}.",
                                        {"bukti_tindakan_perbaikan.pdf": files[next(iter(files))]},
                                        subject=f"Tindakan perbaikan [{number}]"))
            office.run()
            with rt.engine.connect() as conn:
                event = conn.execute(select(db.events).where(
                    db.events.c.action == "surel_tindakan_perbaikan")).mappings().one()
            verifier = service.step("tindakan_perbaikan").role     # the auditor; type 1's sampling officer
            assert event["detail"]["untuk"] == verifier
            assert open_items(rt) == [("tindakan_perbaikan", verifier)]
            close_nonconformity(rt, number, nonconformity, officer="auditor", evidence="Bukti diverifikasi di lokasi.")
        if step.id == "audit" and service.step("tindakan_perbaikan") and not nonconformity:
            nonconformity = record_nonconformity(rt, number, grade="minor", clause="8.1",
                                                 description="Rekaman pengendalian operasional belum lengkap.",
                                                 due_date=date(2026, 11, 30), officer="auditor")
        after = advance(rt, number, officer=f"petugas.{step.role}", inputs=step_inputs(step, service),
                        outcome="pemberian" if step.outcomes else "")
        [case] = office.dossiers()
        assert case["status"] == after
        assert open_items(rt) == []          # completing the step dealt with the mail that moved it
        figures = clock_figures(rt, number)
        following = service.step(after)
        if after == "selesai":
            assert figures.state == "selesai"
        elif following.waits_for:
            assert figures.state == "dijeda" and figures.pause_reason == following.waits_for, after
        else:
            assert figures.state == "berjalan", after
        assert figures.promised_date == promised, step.id

        # Each document the step writes is opened and read.
        for written in step.writes:
            text = docx_text(docs / number / "dokumen" / f"{written['kind']}.docx")
            assert number in text or written["kind"] == "sertifikat", written["kind"]
            if activity != "audit":      # memo, offer, contract, notice...: what the service does, no audit
                assert audit_words(text) <= {"Auditor"}, (written["kind"], text)
            if written["kind"] == "draf_kontrak":
                assert ("dengan survailen sesuai jadwal" in text) == bool(service.certificate["surveillance_months"])
            if written["kind"] in ("penawaran_biaya", "surat_tagihan"):
                assert f"{tariff['total']:,}".replace(",", ".") in text and tariff["total_words"] in text
            if written["kind"] == "surat_tagihan":
                assert BILLING_CODE in text
            if written["kind"].startswith("pemberitahuan_"):
                assert "5 Oktober 2026" in text and "6 Oktober 2026" in text and team_for(service)[0] in text
                # worded by the service's data: an audit, the lot sampling of SPPT SNI type 1, a training
                assert f"pelaksanaan {activity}" in text
                assert re.search(rf"{first.capitalize()}\W+5 Oktober 2026", text), text
                assert re.search(rf"{second.capitalize()}\W+6 Oktober 2026", text), text
                if activity != "audit":      # no audit stages where nothing is audited
                    assert audit_words(text) <= {"Auditor"} and "tahap" not in text.lower(), text
        # Its mail goes to the applicant in the case's thread with those documents.
        if step.mail:
            office.run()
            inbox = office.inbox_of(company.email)
            assert len(inbox) == seen_mail + 1, step.id
            assert f"[{number}]" in inbox[-1]["Subject"] and inbox[-1]["In-Reply-To"]
            assert sorted(p.get_filename() for p in inbox[-1].iter_attachments()) == sorted(
                f"{w['kind']}.docx" for w in step.writes)
            if step.mail == "pemberitahuan_audit":
                body = body_of(inbox[-1])
                assert f"{activity.capitalize()} akan dilaksanakan" in body
                assert f"{first.capitalize()}: 5 Oktober 2026" in body and f"{second.capitalize()}: 6 Oktober 2026" in body
                if activity != "audit":
                    assert audit_words(body + inbox[-1]["Subject"]) <= {"Auditor"} and "tahap" not in body.lower(), body
        seen_mail = len(office.inbox_of(company.email))
    pauses = [s.id for s in service.steps if s.waits_for and s.id in walked]
    assert "menunggu_pembayaran" in pauses
    if kind.startswith("sppt_sni"):
        assert "pengujian_produk" in pauses          # product testing stops the clock
    if service.step("tindakan_perbaikan"):
        assert "tindakan_perbaikan" in pauses

    # 4. The certificate: the holders, a QR code per holder that opens the public verification page.
    certificate = docs / number / "dokumen" / "sertifikat.docx"
    text = docx_text(certificate)
    with rt.engine.connect() as conn:
        entries = conn.execute(select(register).order_by(register.c.id)).mappings().all()
    assert text.count(service.certificate["title"]) == len(entries)
    if service.certificate.get("holder") == "peserta":
        assert [e["holder"] for e in entries] == [p[0] for p in PEOPLE]
        assert all(f"NIK {nik}" in text for _, nik, _ in PEOPLE)
    else:
        [entry] = entries
        assert entry["holder"] == company.name and company.name in text and f"NIB {company.nib}" in text
        years = service.certificate["validity_years"]
        assert entry["expiry_date"] == entry["issue_date"].replace(year=entry["issue_date"].year + years)
        assert len(entry["surveillance_dates"]) == len(service.certificate["surveillance_months"])
    client = TestClient(__import__("pipelines.desk.app", fromlist=["create_app"]).create_app(rt))
    urls = sorted(decode(PILImage.open(io.BytesIO(png)))[0].data.decode() for png in docx_images(certificate))
    assert urls == sorted(f"https://sertiflow.bnsp.example.go.id/verifikasi/sertifikat/{e['token']}" for e in entries)
    for url, entry in zip(urls, sorted(entries, key=lambda e: e["token"])):
        page = client.get(url.split("example.go.id", 1)[1])
        assert page.status_code == 200 and entry["holder"] in page.text and entry["number"] in page.text

    # 5. The hand-over record names every certificate; the last mail carries it.
    handover = docx_text(docs / number / "dokumen" / "berita_acara_serah_terima.docx")
    assert "BERITA ACARA SERAH TERIMA" in handover and all(e["number"] in handover for e in entries)
    last = office.inbox_of(company.email)[-1]
    assert "sertifikat untuk permohonan nomor" in body_of(last)
    assert all(e["token"] in body_of(last) for e in entries)
