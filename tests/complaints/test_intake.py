"""Slice 1: complaints arrive by mail (the complaints mailbox) or at the desk, get a register
number, and the complainant gets one acknowledgement in their language, in the thread."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from pipelines import db
from pipelines.calendar import JAKARTA
from pipelines.complaints.register import register_entry
from tests.complaints.office import complaint_mail, make_complaint_office

CITIZEN = "budi.warga@contoh.id"
FOREIGN = "j.smith@example.com"


@pytest.fixture
def office(tmp_path, mail_accounts, smtp_server):
    return make_complaint_office(tmp_path, mail_accounts, smtp_server)


def test_mailed_complaint_is_registered_and_acknowledged_once_in_indonesian_in_the_thread(office):
    office.complaints_box.append(complaint_mail(
        CITIZEN, "Keluhan: blanko sertifikat belum diterima", name="Budi Santoso",
        message_id="<keluhan-1@contoh.id>",
        body="Dengan hormat, kami sudah menunggu dua minggu dan blanko sertifikat belum kami terima. "
             "Mohon ditindaklanjuti."))
    office.run()

    [entry] = office.entries()
    assert entry["number"].startswith("ADU-") and entry["type"] == "keluhan"
    assert entry["channel"] == "surel" and entry["language"] == "id" and entry["status"] == "pencatatan"
    [ack] = office.inbox_of(CITIZEN)
    assert ack["In-Reply-To"] == "<keluhan-1@contoh.id>" and "<keluhan-1@contoh.id>" in ack["References"]
    assert f"[{entry['number']}]" in ack["Subject"] and ack["Subject"].startswith("Re: Keluhan")
    body = ack.get_content()
    assert entry["number"] in body and "Rekaman Keluhan dan Banding" in body and "Yth. Budi Santoso" in body

    # Step 1 (receive and identify, 60 working minutes) ended when the acknowledgement went out.
    steps = office.steps(entry["number"])
    terima = steps["terima"]
    assert (terima.target, terima.on_time, terima.state.state) == ("60 menit kerja", True, "selesai")
    assert abs(terima.started_at - db.aware(entry["received_at"])) < timedelta(milliseconds=1)  # kept in ms
    assert terima.due_at >= terima.started_at + timedelta(minutes=60)      # office minutes only stretch it
    assert timedelta(0) <= terima.stopped_at - terima.started_at < timedelta(minutes=60)
    [sent] = [m for m in office.outbox(entry["number"]) if m["state"] == "sent"]
    assert db.aware(sent["sent_at"]) - terima.started_at < timedelta(minutes=60)
    assert (steps["catat"].target, steps["catat"].stopped_at) == ("120 menit kerja", None)

    # Another pass, and the same mail delivered again: no second acknowledgement, no second entry.
    office.complaints_box.append(complaint_mail(
        CITIZEN, "Keluhan: blanko sertifikat belum diterima", message_id="<keluhan-1@contoh.id>",
        body="Dengan hormat, kami sudah menunggu dua minggu."))
    office.run()
    assert len(office.entries()) == 1 and len(office.inbox_of(CITIZEN)) == 1


def test_english_appeal_is_answered_in_english_and_spam_is_never_answered(office):
    office.complaints_box.append(complaint_mail(
        FOREIGN, "Appeal against decision BLK-2026-000042", name="John Smith",
        body="We would like to appeal against the decision on our request BLK-2026-000042. "
             "The assessment was not carried out according to the scheme and we have evidence of this."))
    office.complaints_box.append(complaint_mail(
        "promo@murah.example", "Penawaran pinjaman cepat", body="Dapatkan pinjaman tanpa agunan!",
        headers={"X-Spam-Flag": "YES"}))
    office.run()

    appeal, spam = office.entries()
    assert (appeal["type"], appeal["language"], appeal["target_number"]) == ("banding", "en", "BLK-2026-000042")
    [ack] = office.inbox_of(FOREIGN)
    assert ack["Subject"].startswith("Re: Appeal against") and appeal["number"] in ack.get_content()
    assert "Dear John Smith" in ack.get_content() and "appeal" in ack.get_content()
    assert (spam["type"], spam["status"]) == ("bukan_keluhan", "ditutup")
    assert office.inbox_of("promo@murah.example") == []


def test_desk_channels_are_recorded_with_their_channel_and_anonymous_ones_are_not_answered(office):
    rt = office.runtime()
    # Taken by telephone on Monday 2 November 2026 at 09:00 WIB, recorded only now: step 1 was due
    # at 10:00 WIB that day (60 office minutes) and is late.
    called = datetime(2026, 11, 2, 9, 0, tzinfo=JAKARTA)
    phoned = register_entry(rt, channel="telepon", actor="rina", name="Siti Aminah", email="siti@contoh.id",
                            phone="0812-1111-2222", text="Petugas tidak menjawab telepon selama tiga hari.",
                            received_at=called)
    anonymous = register_entry(rt, channel="lapor", actor="rina", anonymous=True, email="rahasia@contoh.id",
                               text="Ada pungutan di luar tarif resmi pada layanan sertifikasi.")
    walk_in = register_entry(rt, channel="datang_langsung", actor="rina", name="Pak Joko",
                             text="Saran: ruang tunggu perlu kursi tambahan.", entry_type="saran")
    office.run()

    by_number = {e["number"]: e for e in office.entries()}
    assert [by_number[e["number"]]["channel"] for e in (phoned, anonymous, walk_in)] == \
        ["telepon", "lapor", "datang_langsung"]
    assert len({phoned["number"], anonymous["number"], walk_in["number"]}) == 3
    terima = office.steps(phoned["number"])["terima"]
    assert terima.started_at == called and terima.due_at == datetime(2026, 11, 2, 10, 0, tzinfo=JAKARTA)
    assert terima.on_time is False and terima.late and terima.used.startswith("terlambat")
    [ack] = office.inbox_of("siti@contoh.id")
    assert f"[{phoned['number']}]" in ack["Subject"] and "telepon" in ack.get_content()
    # Anonymous: recorded (no contact kept), moved on to step 2 like any other, never mailed.
    assert by_number[anonymous["number"]]["email"] == "" and by_number[anonymous["number"]]["anonymous"]
    assert by_number[anonymous["number"]]["status"] == "pencatatan"
    assert office.inbox_of("rahasia@contoh.id") == []
    assert office.outbox(anonymous["number"]) == [] and office.outbox(walk_in["number"]) == []


def test_complaint_about_a_certified_client_goes_into_that_clients_case(office):
    from sqlalchemy import select

    from tests.spine.office import LSP_TDN, request
    office.mailbox.append(request(LSP_TDN))
    office.run()
    [client_case] = office.dossiers()
    office.complaints_box.append(complaint_mail(
        CITIZEN, "Pengaduan tentang pemegang sertifikat",
        body=f"Pemegang sertifikat dari berkas {client_case['number']} bekerja tidak sesuai standar "
             "kompetensi yang disertifikasi."))
    office.run()

    [entry] = office.entries()
    assert (entry["type"], entry["target_number"]) == ("keluhan_klien", client_case["number"])
    assert entry["target_dossier_id"] == client_case["id"]
    with office.runtime().engine.connect() as conn:
        [event] = conn.execute(select(db.events).where(db.events.c.dossier_id == client_case["id"],
                                                       db.events.c.action == "pengaduan_tentang_klien")).mappings()
    assert event["detail"]["pengaduan"] == entry["number"]
    assert len(office.inbox_of(CITIZEN)) == 1


def test_a_mail_the_officer_files_as_a_complaint_becomes_a_register_entry(office):
    from sqlalchemy import select

    from pipelines.desk.actions import mail_to_dossier
    from tests.spine.office import OFFICE
    office.mailbox.append(complaint_mail(CITIZEN, "Tolong dibantu", to=OFFICE, message_id="<bantu-1@contoh.id>",
                                         body="Sudah tiga kali kami menelepon dan tidak ada yang menjawab."))
    office.run()
    rt = office.runtime()
    with rt.engine.connect() as conn:
        [mail] = conn.execute(select(db.mails)).mappings().all()
    assert mail["classification"] == "unclassified" and office.entries() == []

    number = mail_to_dossier(rt, mail["id"], "complaint", "rina")
    office.run()
    [entry] = office.entries()
    assert entry["number"] == number and (entry["channel"], entry["type"]) == ("surel", "keluhan")
    assert entry["status"] == "pencatatan"          # identified and acknowledged: step 2 runs
    [ack] = office.inbox_of(CITIZEN)
    assert ack["In-Reply-To"] == "<bantu-1@contoh.id>" and number in ack["Subject"]

    # The complainant answers in the thread: kept with the entry, no new entry, no new mail.
    office.complaints_box.append(complaint_mail(CITIZEN, "Re: " + ack["Subject"], "Nomor telepon saya 0812-3333-4444.",
                                                in_reply_to=ack["Message-ID"]))
    office.run()
    assert len(office.entries()) == 1 and len(office.inbox_of(CITIZEN)) == 1
    with rt.engine.connect() as conn:
        actions = [e.action for e in conn.execute(select(db.events).where(db.events.c.dossier_id == entry["dossier_id"]))]
    assert "surel_lanjutan_diterima" in actions


def test_a_flood_from_one_sender_gets_at_most_the_daily_automatic_replies(office):
    for i in range(5):
        office.complaints_box.append(complaint_mail(CITIZEN, f"Keluhan ke-{i + 1}", body="Pelayanan lambat sekali."))
    office.run()
    assert len(office.entries()) == 5
    assert len(office.inbox_of(CITIZEN)) == office.runtime().settings.auto_replies_per_sender_per_day
