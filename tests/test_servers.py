"""The test mail servers are real: IMAP through Dovecot, SMTP delivering into Dovecot."""
from __future__ import annotations

import email
import mailbox as stdlib_mailbox
import smtplib
from email import policy
from pathlib import Path

import pytest
from imap_tools import AND, MailBoxUnencrypted

from tests.factories import LSPS, OFFICE_ADDRESS, complete_request_mail, request_mail

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "maildir"


def test_a_mail_appended_over_imap_is_read_back_with_imap_tools(mailbox):
    raw = complete_request_mail("LSP-001")
    mailbox.append(raw)

    with MailBoxUnencrypted(mailbox.host, mailbox.port).login(mailbox.user, mailbox.password) as mb:
        msgs = list(mb.fetch(AND(all=True), mark_seen=False))

    assert len(msgs) == 1
    assert msgs[0].from_ == LSPS["LSP-001"].email
    assert msgs[0].subject.startswith("Permohonan Blanko Sertifikat")
    assert [a.filename for a in msgs[0].attachments][-1].endswith(".xlsx")
    assert len(msgs[0].attachments) == 4
    assert mailbox.fetch_all() == [raw]


@pytest.mark.parametrize("round_", [1, 2])
def test_every_test_starts_with_an_empty_office_mailbox(mailbox, round_):
    assert mailbox.address == OFFICE_ADDRESS
    assert mailbox.fetch_all() == []
    mailbox.append(request_mail("a@example.id", OFFICE_ADDRESS, f"Uji {round_}", "isi"))
    assert mailbox.count() == 1


def test_folders_can_be_created_and_filled(mailbox):
    mailbox.create_folder("Perlu Dicek")
    mailbox.append(request_mail("a@example.id", OFFICE_ADDRESS, "Arsip", "isi"), folder="Arsip/Selesai")

    assert {"INBOX", "Perlu Dicek", "Arsip", "Arsip/Selesai"} <= set(mailbox.folders())
    assert len(mailbox.fetch_all("Arsip/Selesai")) == 1
    assert mailbox.fetch_all("Perlu Dicek") == []
    with mailbox.mailbox() as mb:
        assert "Arsip/Selesai" in [f.name for f in mb.folder.list()]


def test_the_sample_maildir_loads_into_imap(mailbox):
    raws = [m.as_bytes() for m in stdlib_mailbox.Maildir(str(SAMPLES), create=False)]
    assert mailbox.append_many(raws) == 10
    with mailbox.mailbox() as mb:
        subjects = [m.subject for m in mb.fetch(mark_seen=False, headers_only=True)]
    assert sum(s.strip().startswith("Permohonan Blanko Sertifikat") for s in subjects) == 6


def test_a_mail_sent_over_smtp_arrives_in_the_office_mailbox(smtp_server, mailbox):
    raw = complete_request_mail("LSP-002", message_id="<uji-smtp-1@lsp-pbd.example.id>")

    with smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        smtp.sendmail(LSPS["LSP-002"].email, [OFFICE_ADDRESS], raw)

    assert [m.rcpt_tos for m in smtp_server.messages] == [[OFFICE_ADDRESS]]
    assert smtp_server.messages[0].mail_from == LSPS["LSP-002"].email
    arrived = mailbox.fetch_all()
    assert len(arrived) == 1
    msg = email.message_from_bytes(arrived[0], policy=policy.default)
    assert msg["Message-ID"] == "<uji-smtp-1@lsp-pbd.example.id>"
    assert msg["Return-Path"] == f"<{LSPS['LSP-002'].email}>"


def test_a_reply_reaches_the_lsp_mailbox_and_cc_gets_a_copy(smtp_server, mailbox):
    lsp = LSPS["LSP-003"]
    reply = request_mail(OFFICE_ADDRESS, (lsp.name, lsp.email), "Re: Permohonan", "Mohon dilengkapi.",
                         in_reply_to="<x@example.co.id>", cc="arsip@bnsp.example.go.id")
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        smtp.login("blanko", "apa-saja")  # AUTH is accepted, not required
        smtp.send_message(email.message_from_bytes(reply, policy=policy.default))

    got = smtp_server.mailbox_of(lsp.email).fetch_all()
    assert len(got) == 1
    msg = email.message_from_bytes(got[0], policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == OFFICE_ADDRESS
    assert msg["To"].addresses[0].display_name == lsp.name          # & < > survive quoting
    assert msg["In-Reply-To"] == "<x@example.co.id>"
    assert len(smtp_server.mailbox_of("arsip@bnsp.example.go.id").fetch_all()) == 1
    assert mailbox.fetch_all() == []                                  # not sent to the office
    assert len(smtp_server.to(lsp.email)) == 1


def test_a_rejected_recipient_is_refused_at_rcpt(smtp_server):
    smtp_server.reject("hilang@lsp-tdn.example.id")
    with smtplib.SMTP(smtp_server.host, smtp_server.port) as smtp:
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            smtp.sendmail(OFFICE_ADDRESS, ["hilang@lsp-tdn.example.id"], b"Subject: x\r\n\r\ny\r\n")
    assert smtp_server.messages == []


def test_imap_accounts_per_address_are_separate(mail_accounts):
    a = mail_accounts.get(LSPS["LSP-001"].email)
    b = mail_accounts.get(LSPS["LSP-002"].email)
    assert a.user != b.user and mail_accounts.get(LSPS["LSP-001"].email.upper()) is a
    a.append(b"Subject: hanya untuk A\n\nisi\n")
    assert b.fetch_all() == [] and len(a.fetch_all()) == 1
