"""Threads, resends and the daily reply limit on a real Dovecot mailbox and a real SMTP server
(issue 8, class 6): mails of one conversation are checked in arrival order, never side by side."""
from __future__ import annotations

import pytest
import yaml
from sqlalchemy import select

from pipelines import db
from pipelines.report import list_dossiers
from tests.spine.office import LSP_PBD, LSP_TDN, letter_files, make_office, request, without


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_office(tmp_path, mailbox, smtp_server)


def events(office, action: str) -> list:
    with office.runtime().engine.connect() as conn:
        return list(conn.execute(select(db.events).where(db.events.c.action == action)).mappings())


def test_request_and_the_reply_completing_it_in_one_poll_are_one_complete_dossier(office):
    # Two LSPs each send an incomplete request and, minutes later, the missing decision as a reply
    # in the thread; all four mails wait in the mailbox for the same poll (4 worker threads).
    for sender, code in ((LSP_TDN, "TDN"), (LSP_PBD, "PBD")):
        first_id = f"<minta-{code}@{sender.split('@')[1]}>"
        office.mailbox.append(request(sender, without("keputusan.pdf", letter_number=f"011/LSP-{code}/XI/2026"),
                                      message_id=first_id))
        office.mailbox.append(request(sender, {"keputusan.pdf": letter_files("x")["keputusan.pdf"]},
                                      subject="Re: Permohonan Blanko Sertifikat Kompetensi",
                                      in_reply_to=first_id, body="Mohon maaf, keputusan terlampir."))
    summary = office.run()

    dossiers = office.dossiers()
    assert len(dossiers) == 2                                   # the replies opened no dossier of their own
    assert [d["status"] for d in dossiers] == ["menunggu_persetujuan"] * 2
    assert "gagal" not in summary["outcomes"]                   # no "dossier changed" retry
    assert office.smtp.messages == []                           # no completion request for a complete request
    with office.runtime().engine.connect() as conn:
        mails = list(conn.execute(select(db.mails).order_by(db.mails.c.id)).mappings())
    assert [m["state"] for m in mails] == ["done"] * 4
    assert len({m["dossier_id"] for m in mails}) == 2
    assert len(events(office, "balasan_menunggu_surel_berikutnya")) == 2


def test_the_same_letter_resent_under_a_new_message_id_joins_its_dossier_and_is_not_approved_twice(office):
    number = "021/LSP-TDN/XI/2026"
    office.mailbox.append(request(LSP_TDN, letter_number=number, message_id="<asli@lsp-tdn.example.id>"))
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan"

    # the LSP's mail client sends the same request again the next day, with a new Message-ID
    office.mailbox.append(request(LSP_TDN, letter_number=number, message_id="<ulang@lsp-tdn.example.id>",
                                  subject="Permohonan Blanko Sertifikat Kompetensi (kirim ulang)"))
    office.run()
    [again] = office.dossiers()
    assert again["id"] == dossier["id"] and again["status"] == "menunggu_persetujuan"
    [resent] = events(office, "surel_kirim_ulang")
    assert resent["dossier_id"] == dossier["id"]
    assert len(events(office, "berkas_diperiksa")) == 1         # checked (and documents written) once
    assert office.smtp.messages == []

    # a different letter from the same LSP is a new request
    office.mailbox.append(request(LSP_TDN, letter_number="022/LSP-TDN/XI/2026"))
    office.run()
    assert len(office.dossiers()) == 2


def test_a_completion_request_held_by_the_daily_limit_says_so_in_the_queue(office):
    settings = yaml.safe_load(office.config.read_text())
    settings["auto_replies_per_sender_per_day"] = 1
    office.config.write_text(yaml.safe_dump(settings))
    office.mailbox.append(request(LSP_PBD, without("keputusan.pdf", letter_number="031/LSP-PBD/XI/2026")))
    office.mailbox.append(request(LSP_PBD, without("keputusan.pdf", letter_number="032/LSP-PBD/XI/2026")))
    office.run()

    first, second = office.dossiers()
    assert first["status"] == "menunggu_kelengkapan"            # its completion request went out
    assert second["status"] == "permintaan_kelengkapan_tertahan"
    assert len(office.inbox_of(LSP_PBD)) == 1
    rt = office.runtime()
    with rt.engine.connect() as conn:
        queue = {d["number"]: d for d in list_dossiers(conn, rt.registry)}
    assert "batas balasan otomatis" in queue[second["number"]]["status_label"]
    assert queue[first["number"]]["status_label"] == "Menunggu kelengkapan"
    [limited] = events(office, "balasan_otomatis_dibatasi")
    assert limited["dossier_id"] == second["id"]

    # the LSP sends the missing decision for the held dossier the next day: it is checked again
    with office.runtime().engine.begin() as conn:
        conn.execute(db.outbox.update().values(created_at=db.now().replace(year=2000)))
    office.mailbox.append(request(LSP_PBD, {"keputusan.pdf": letter_files("x")["keputusan.pdf"]},
                                  subject=f"Re: [{second['number']}] Permohonan"))
    office.run()
    statuses = {d["id"]: d["status"] for d in office.dossiers()}
    assert statuses[second["id"]] == "menunggu_persetujuan"


def test_an_ods_participant_list_is_accepted_end_to_end(office):
    import io

    import openpyxl

    from tests.read.read_builders import ods_bytes, participant_list_xlsx

    book = openpyxl.load_workbook(io.BytesIO(participant_list_xlsx()))
    rows = {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in book.worksheets}
    files = without("daftar_peserta.xlsx", letter_number="041/LSP-TDN/XI/2026")
    files["daftar_peserta.ods"] = ods_bytes(rows)  # saved from LibreOffice Calc
    office.mailbox.append(request(LSP_TDN, files))
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan"
    assert dossier["facts"]["competent_total"] == 3
    assert office.smtp.messages == []


def test_a_resent_letter_finds_its_dossier_in_a_database_from_before_the_letter_index(office):
    office.mailbox.append(request(LSP_TDN, letter_number="023/LSP-TDN/XI/2026"))
    office.run()
    [dossier] = office.dossiers()
    with office.runtime().engine.begin() as conn:          # as a database made before request_letters
        assert conn.execute(select(db.request_letters.c.letter_key)).scalars().all() == ["023LSPTDNXI2026"]
        conn.execute(db.request_letters.delete())
    db.engine_for.cache_clear()                            # the next run is a new process: it fills the table

    # the same letter again, its number typed with spaces: a new file, the same request
    office.mailbox.append(request(LSP_TDN, letter_number="023 / LSP-TDN / XI / 2026",
                                  subject="Permohonan Blanko Sertifikat Kompetensi (kirim ulang)"))
    office.run()
    assert [d["id"] for d in office.dossiers()] == [dossier["id"]]
    [resent] = events(office, "surel_kirim_ulang")
    assert resent["dossier_id"] == dossier["id"]


def test_a_reply_from_another_address_joins_its_request_by_what_recording_the_mail_read(office):
    """Grouping a pass's mail finds the conversation from the headers read when each mail was
    recorded (no kept file is opened again); a process that did not record them reads the files."""
    from pathlib import Path

    from pipelines import threads
    from pipelines.mail.ingest import unfinished_mail
    from pipelines.poll import fetch_new

    first_id = "<minta-041@lsp-tdn.example.id>"
    office.mailbox.append(request(LSP_TDN, without("keputusan.pdf", letter_number="041/LSP-TDN/XI/2026"),
                                  message_id=first_id))
    office.mailbox.append(request("staf@lsp-tdn.example.id", {"keputusan.pdf": letter_files("x")["keputusan.pdf"]},
                                  subject="Re: Permohonan Blanko Sertifikat Kompetensi", in_reply_to=first_id))
    rt = office.runtime()
    assert fetch_new(rt, "blanko") == 2
    ids = unfinished_mail(rt.engine)
    with rt.engine.connect() as conn:
        kept = [Path(p) for p in conn.execute(select(db.mails.c.raw_path).order_by(db.mails.c.id)).scalars()]
    for path in kept:
        path.rename(path.with_suffix(".aside"))
    try:
        assert [g.mail_ids for g in threads.mail_groups(rt, ids)] == [ids]
    finally:
        for path in kept:
            path.with_suffix(".aside").rename(path)
    threads._KNOWN_REFERENCES.clear()   # as in a process that did not record them
    assert [g.mail_ids for g in threads.mail_groups(rt, ids)] == [ids]
    summary = office.run()
    assert summary["outcomes"] and len(office.dossiers()) == 1
