"""Inbox rules as data and automatic-mail detection."""
from pathlib import Path

import pytest

from pipelines.classify import automatic_reason, classify, load_rules
from pipelines.config import PROJECT_ROOT
from pipelines.documents import Attachment, MailContent

RULES = load_rules(PROJECT_ROOT / "inbox_rules")


def test_a_request_is_recognised_by_its_subject():
    mail = MailContent(subject="Permohonan Blanko Sertifikat Kompetensi LSP TDN", from_addr="a@b.id")
    assert classify(mail, RULES).kind == "blank_request"


def test_a_request_with_a_plain_subject_is_recognised_by_its_attachment_names():
    mail = MailContent(subject="Mohon diproses",
                       attachments=[Attachment("Surat_Permohonan_Blanko.pdf", b"%PDF")])
    decided = classify(mail, RULES)
    assert decided.kind == "blank_request"
    assert decided.rule == "permohonan-blanko-lampiran"


def test_unrelated_mail_stays_unclassified_for_an_officer():
    mail = MailContent(subject="Undangan webinar", text="Hadirilah webinar kami")
    assert classify(mail, RULES).kind == "unclassified"


def test_first_matching_rule_wins_and_all_fields_must_match(tmp_path: Path):
    (tmp_path / "a.yaml").write_text(
        "- {name: satu, kind: complaint, from: '*@pelanggan.id', subject: 're:keluhan'}\n"
        "- {name: dua, kind: other, subject: 're:keluhan'}\n")
    rules = load_rules(tmp_path)
    assert classify(MailContent(subject="Keluhan layanan", from_addr="x@pelanggan.id"), rules).rule == "satu"
    assert classify(MailContent(subject="Keluhan layanan", from_addr="x@lain.id"), rules).rule == "dua"


def test_a_rule_without_a_kind_is_refused(tmp_path: Path):
    (tmp_path / "bad.yaml").write_text("- {name: x, subject: y}\n")
    with pytest.raises(ValueError, match="kind"):
        load_rules(tmp_path)


@pytest.mark.parametrize("headers, content_type", [
    ({"Auto-Submitted": "auto-replied"}, "text/plain"),
    ({"Precedence": "bulk"}, "text/plain"),
    ({"Precedence": "auto_reply"}, "text/plain"),
    ({"X-Autoreply": "yes"}, "text/plain"),
    ({}, "multipart/report"),
])
def test_automatic_mail_is_recognised(headers, content_type):
    assert automatic_reason(MailContent(headers=headers, content_type=content_type, from_addr="a@b.id"))


def test_mail_a_person_sent_is_not_automatic():
    mail = MailContent(headers={"Auto-Submitted": "no"}, content_type="multipart/mixed", from_addr="a@b.id")
    assert automatic_reason(mail) is None


def test_out_of_office_subject_is_caught_by_rule():
    assert classify(MailContent(subject="Out of Office: sedang cuti"), RULES).kind == "autoreply"
