"""Slices 2-4 end to end on real Dovecot and SMTP: a complaint through investigation to a
decision with a corrective action; an appeal through an impartial team of three to a final
decision; every step on the clock with seed 003's targets."""
from __future__ import annotations

import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from pipelines import db
from pipelines.calendar import JAKARTA, local_date
from pipelines.complaints import store
from pipelines.complaints.decision import issue_decision
from pipelines.complaints.register import (ComplaintError, add_involved, check_effectiveness, confirm_record,
                                           record_investigation, service)
from pipelines.complaints.team import TeamRefused, candidates, confirm_declaration, form_team
from pipelines.desk.actions import add_note
from tests.complaints.office import complaint_mail, make_complaint_office
from tests.fulfil.test_shipping import scanned_receipt
from tests.spine.office import LSP_TDN, OFFICE, request
from tests.write.write_helpers import pdf_text

CITIZEN = "budi.warga@contoh.id"


@pytest.fixture
def office(tmp_path, mail_accounts, smtp_server, monkeypatch):
    monkeypatch.setenv("SERTIFLOW_STAFF", str(Path(__file__).with_name("staff_test.yaml")))
    return make_complaint_office(tmp_path, mail_accounts, smtp_server)


def body(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def assert_day_deadline(calendar, figure, days: int) -> None:
    """A day target ends at closing time (16:00, Friday 16:30 WIB) of the n-th working day after the start."""
    due = figure.due_at.astimezone(JAKARTA)
    assert due.date() == calendar.add_working_days(local_date(figure.started_at), days)
    assert f"{due:%H:%M}" == ("16:30" if due.weekday() == 4 else "16:00")


def test_complaint_is_investigated_decided_and_closed_with_a_corrective_action(office):
    office.complaints_box.append(complaint_mail(
        CITIZEN, "Keluhan: blanko sertifikat belum diterima", name="Budi Santoso",
        message_id="<keluhan-7@contoh.id>", body="Dengan hormat, blanko sertifikat kami belum diterima "
        "padahal sudah dua minggu sejak pemberitahuan pengiriman. Mohon ditindaklanjuti."))
    office.run()
    [entry] = office.entries()
    number = entry["number"]
    rt = office.runtime()
    # Left unrecorded, step 2 (120 office minutes) would be late five days from now.
    catat = office.steps(number, now=db.now() + timedelta(days=5))["catat"]
    assert (catat.stopped_at, catat.on_time, catat.late) == (None, False, True)

    confirm_record(rt, number, "rina", entry_type="keluhan", technical_lead="Hendra Gunawan, S.Si.")
    check_on = rt.calendar.add_working_days(local_date(db.now()), 20)
    record_investigation(rt, number, "hendra", cause="Alamat LSP di manifes kurir salah ketik.",
                         correction="Paket dikirim ulang ke alamat yang benar.",
                         actions=[("Alamat di manifes dicocokkan dengan registri LSP sebelum diserahkan ke kurir.",
                                   "Petugas pengemasan", check_on)])
    issue_decision(rt, number, "hendra", outcome="diterima",
                   decision_text="Keluhan diterima. Blanko dikirim ulang dan diterima LSP.",
                   publicity="tidak_dipublikasikan", publicity_reason="Menyangkut data satu LSP.")
    office.run()

    mails = office.inbox_of(CITIZEN)
    assert [m["Subject"].split("[")[0] for m in mails] == ["Re: Keluhan: blanko sertifikat belum diterima "] * 5
    ack, recorded, investigated, decision, closure = mails
    assert all(m["In-Reply-To"] == "<keluhan-7@contoh.id>" for m in mails)
    assert "Hendra" not in recorded.get_content() and "Tahap yang telah selesai: Mendokumentasikan" in recorded.get_content()
    assert "Tahap berikutnya: Menyelidiki penyebab" in recorded.get_content()
    assert "Tahap berikutnya: Menyampaikan keputusan" in investigated.get_content()
    assert "DITERIMA" in body(decision)
    [letter] = [p for p in decision.iter_attachments()]
    assert letter.get_filename() == "surat_keputusan.pdf"
    saved = office.outputs / "letter.pdf"
    saved.write_bytes(letter.get_content())
    text = pdf_text(saved)
    assert f"{number}/KEP" in text and "Alamat LSP di manifes kurir salah ketik." in text
    assert "dicocokkan dengan registri LSP" in text and "DITERIMA" in text
    assert "ditutup" in closure.get_content()

    entry = office.entry(number)
    assert entry["status"] == "selesai" and entry["closed_at"] is not None
    assert (entry["outcome"], entry["publicity"]) == ("diterima", "tidak_dipublikasikan")

    # Every step's clock: seed 003's targets, deadlines, each stopped on time when it ended.
    steps = office.steps(number)
    assert list(steps) == ["terima", "catat", "investigasi", "keputusan"]
    assert [steps[s].target for s in steps] == ["60 menit kerja", "120 menit kerja", "3 hari kerja", "1 hari kerja"]
    assert steps["terima"].due_at >= steps["terima"].started_at + timedelta(minutes=60)
    assert steps["catat"].due_at >= steps["catat"].started_at + timedelta(minutes=120)
    assert_day_deadline(rt.calendar, steps["investigasi"], 3)
    assert_day_deadline(rt.calendar, steps["keputusan"], 1)
    assert all(f.on_time and f.stopped_at and f.used == "selesai tepat waktu" for f in steps.values())
    assert [steps[a].stopped_at == steps[b].started_at for a, b in
            [("terima", "catat"), ("catat", "investigasi"), ("investigasi", "keputusan")]] == [True] * 3

    # The corrective action comes back to the officer on its check date, and is checked once.
    with rt.engine.connect() as conn:
        assert store.actions_due(conn, check_on - timedelta(days=1)) == []
        [due] = store.actions_due(conn, check_on)
    assert due["number"] == number
    check_effectiveness(rt, due["id"], "rina", True, "Tidak ada lagi paket salah alamat sebulan terakhir.")
    with rt.engine.connect() as conn:
        assert store.actions_due(conn, check_on) == []


def _scan_reply(sender: str, declaration_mail, docx_path) -> bytes:
    return complaint_mail(sender, "Re: " + declaration_mail["Subject"], "Terlampir pernyataan yang sudah saya tanda tangani.",
                          to=OFFICE, in_reply_to=declaration_mail["Message-ID"],
                          files={"scan_pernyataan.png": scanned_receipt(docx_path)})


def test_appeal_gets_an_impartial_team_of_three_and_a_final_decision(office):
    # The disputed decision: LSP TDN's blank request, handled by officer rina.
    office.mailbox.append(request(LSP_TDN))
    office.run()
    [disputed] = office.dossiers()
    rt = office.runtime()
    add_note(rt, disputed["number"], "rina", "Diperiksa; jumlah blanko sesuai daftar peserta.")

    office.complaints_box.append(complaint_mail(
        LSP_TDN, f"Banding atas keputusan berkas {disputed['number']}", message_id="<banding-1@lsp-tdn.example.id>",
        body=f"Dengan hormat, kami mengajukan banding atas keputusan pada berkas {disputed['number']} "
             "karena dua peserta kompeten tidak dihitung."))
    office.run()
    appeal = next(e for e in office.entries() if e["type"] == "banding")
    number = appeal["number"]
    assert appeal["organisation"] == "LSP Teknologi Digital Nusantara" and appeal["target_number"] == disputed["number"]

    confirm_record(rt, number, "rina", entry_type="banding", technical_lead="Hendra Gunawan, S.Si.")
    add_involved(rt, number, "dewi", "auditor", "rina")
    record_investigation(rt, number, "hendra", cause="Dua baris peserta tergabung dalam sel yang digabung.",
                         correction="Daftar peserta dibaca ulang; jumlah kompeten 27, bukan 25.", actions=[])

    # Conflicted people are refused, each with the reason shown; nothing is formed.
    reasons = {person.id: why for person, why in candidates(rt, number, "sertifikasi_kompetensi")}
    assert reasons["ahmad"] == [] and reasons["hendra"] == [] and reasons["fitri"] == []
    assert reasons["dewi"] == ["Dewi Lestari, S.T. terlibat dalam keputusan yang dibanding sebagai auditor."]
    assert "petugas yang menangani" in reasons["rina"][0]            # she handled the disputed dossier
    assert "memberikan konsultasi kepada LSP Teknologi Digital Nusantara sampai 31 Agustus 2025" in reasons["sari"][0]
    assert "tidak tercatat kompeten" in reasons["yusuf"][0]
    with pytest.raises(TeamRefused) as refused:
        form_team(rt, number, "ahmad", matter="sertifikasi_kompetensi", chair_id="ahmad",
                  member_ids=["ahmad", "hendra", "sari"])
    assert refused.value.problems == [reasons["sari"][0]]
    with rt.engine.connect() as conn:
        assert store.team(conn, store.entry_by_number(conn, number)["id"]) == []

    members = form_team(rt, number, "ahmad", matter="sertifikasi_kompetensi", chair_id="ahmad",
                        member_ids=["ahmad", "hendra", "fitri"])
    assert [(m["staff_id"], m["chair"]) for m in members] == [("ahmad", True), ("hendra", False), ("fitri", False)]
    office.run()
    # Each member receives their own declaration (PDF) naming the appeal.
    docx = {}
    for staff_id in ("ahmad", "hendra", "fitri"):
        [mail] = office.inbox_of(f"{staff_id}@bnsp.example.go.id")
        [pdf] = list(mail.iter_attachments())
        saved = office.outputs / f"{staff_id}.pdf"
        saved.write_bytes(pdf.get_content())
        text = pdf_text(saved)
        assert "PERNYATAAN KETIDAKBERPIHAKAN" in text and number in text
        docx[staff_id] = (mail, office.outputs / number / "dokumen" / f"pernyataan_ketidakberpihakan_{staff_id}.docx")
        with zipfile.ZipFile(docx[staff_id][1]) as z:
            assert any(n.startswith("word/media/") for n in z.namelist())   # the QR code
    assert "Ketua" in pdf_text(office.outputs / "ahmad.pdf")

    # Ahmad signs at the desk; Hendra replies with a scan; Fitri mails hers to the complaints box.
    confirm_declaration(rt, number, "ahmad", "rina")
    office.mailbox.append(_scan_reply("hendra@bnsp.example.go.id", *docx["hendra"]))
    office.complaints_box.append(complaint_mail(
        "fitri@bnsp.example.go.id", "Pernyataan ketidakberpihakan", "Terlampir.",
        files={"pernyataan_fitri.png": scanned_receipt(docx["fitri"][1])}))
    office.run()
    with rt.engine.connect() as conn:
        team = store.team(conn, store.entry_by_number(conn, number)["id"])
    assert [(m["staff_id"], m["declared_how"]) for m in team] == [("ahmad", "meja"), ("hendra", "pindaian"),
                                                                  ("fitri", "pindaian")]
    assert all(Path(m["scan_path"]).exists() for m in team if m["declared_how"] == "pindaian")
    assert len(office.entries()) == 1            # Fitri's scan did not open a complaint
    assert office.entry(number)["status"] == "keputusan"

    # Rina handled the disputed dossier: she may not record the appeal's decision either.
    with pytest.raises(ComplaintError, match="terlibat dalam keputusan yang dibanding"):
        issue_decision(rt, number, "rina", outcome="ditolak", decision_text="-", publicity="dipublikasikan")
    issue_decision(rt, number, "ahmad", outcome="diterima",
                   decision_text="Banding diterima: 27 peserta kompeten; kekurangan 2 blanko dikirim.",
                   publicity="dipublikasikan")
    office.run()
    mails = office.inbox_of(LSP_TDN)
    subjects = [m["Subject"] for m in mails if number in m["Subject"]]
    assert len(subjects) == 6      # acknowledgement, 3 progress mails, decision, closure
    decision = next(m for m in mails if list(m.iter_attachments()) and number in m["Subject"])
    assert decision["In-Reply-To"] == "<banding-1@lsp-tdn.example.id>"
    assert "keputusan akhir dalam proses banding" in body(decision)
    saved = office.outputs / "keputusan_banding.pdf"
    saved.write_bytes(next(decision.iter_attachments()).get_content())
    text = " ".join(pdf_text(saved).split())
    assert "KEPUTUSAN PENYELESAIAN BANDING" in text and "keputusan akhir" in text and "pengadilan" in text
    assert "Ir. Ahmad Fauzi, M.T. (Ketua)" in text and "Fitri Handayani, M.Si. (Anggota)" in text
    assert office.entry(number)["status"] == "selesai"

    steps = office.steps(number)
    assert list(steps) == ["terima", "catat", "investigasi", "tim_banding", "keputusan"]
    assert steps["tim_banding"].target == "1 hari kerja"
    assert_day_deadline(rt.calendar, steps["tim_banding"], 1)
    assert all(f.on_time for f in steps.values()) and all(f.stopped_at for f in steps.values())
