"""Mail as real clients and gateways write it (issue 8, class 5): every message is built with
Python's email package (the way those clients' output looks), every attachment is a real file."""
from __future__ import annotations

import re
from email import policy
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from pathlib import Path

from read_builders import attachment, decision_lines, participant_list_xlsx, text_pdf

from pipelines.documents import CERTIFICATION_DECISION, PARTICIPANT_LIST
from pipelines.read import read_document, walk_message

SAMPLES = Path(__file__).resolve().parent / "samples"


def codes(findings):
    return [f.code for f in findings]


def test_raw_utf8_header_values_and_filenames_are_recovered():
    # SMTPUTF8 clients send headers and file names as unencoded UTF-8 bytes
    msg = EmailMessage(policy=policy.SMTPUTF8)
    msg["From"] = "Sekretariat LSP Kreātif <admin@lsp-tdn.example.id>"
    msg["To"] = "blanko@bnsp.example.go.id"
    msg["Subject"] = "Permohonan Blanko – LSP Kreātif Nusantara"
    msg.set_content("Dengan hormat, terlampir.")
    msg.add_attachment(text_pdf(decision_lines()), maintype="application", subtype="pdf",
                       filename="Keputusan Sertifikasi – Rapat Pleno.pdf")
    raw = msg.as_bytes()
    assert "–".encode() in raw and b"=?utf-8?" not in raw.lower()  # really raw 8-bit on the wire
    mc = walk_message(raw)
    assert mc.subject == "Permohonan Blanko – LSP Kreātif Nusantara"
    assert mc.from_name == "Sekretariat LSP Kreātif"
    assert [a.filename for a in mc.attachments] == ["Keputusan Sertifikasi – Rapat Pleno.pdf"]
    assert "\ufffd" not in repr(mc.headers)
    assert not [f for f in mc.findings if f.is_error]


def test_base64_transfer_encoding_with_trailing_whitespace_is_decoded():
    pdf = text_pdf(decision_lines())
    outer = MIMEMultipart()
    outer["From"] = "admin@lsp-tdn.example.id"
    outer["Subject"] = "Permohonan Blanko"
    outer.attach(MIMEText("Terlampir.", "plain", "utf-8"))
    part = MIMEApplication(pdf, "pdf", Name="SK_Keputusan.pdf")
    part.add_header("Content-Disposition", "attachment", filename="SK_Keputusan.pdf")
    part.replace_header("Content-Transfer-Encoding", "base64 ")  # as some gateways write it
    outer.attach(part)
    raw = outer.as_bytes()
    assert b"Content-Transfer-Encoding: base64 \n" in raw
    mc = walk_message(raw)
    assert [a.data for a in mc.attachments] == [pdf]
    assert not mc.findings


def test_no_space_after_an_encoded_word_in_a_filename():
    outer = MIMEMultipart()
    outer["From"] = "admin@lsp-tdn.example.id"
    outer["Subject"] = "Permohonan"
    part = MIMEApplication(participant_list_xlsx(), "octet-stream")
    # Outlook-style: an encoded word for the stem, the extension as plain text right after it
    part["Content-Disposition"] = 'attachment; filename="=?UTF-8?Q?Daftar_Peserta_K=E2=80=93BK?=.xlsx"'
    outer.attach(part)
    part2 = MIMEApplication(text_pdf(decision_lines()), "pdf")
    part2["Content-Disposition"] = 'attachment; filename="=?UTF-8?B?S2VwdXR1c2Fu?= =?UTF-8?B?IFNlcnRpZmlrYXNp?=.pdf"'
    outer.attach(part2)
    mc = walk_message(outer.as_bytes())
    assert [a.filename for a in mc.attachments] == ["Daftar Peserta K–BK.xlsx", "Keputusan Sertifikasi.pdf"]


def test_winmail_dat_is_unpacked():
    tnef = (SAMPLES / "winmail-two-files.dat").read_bytes()  # a real Outlook TNEF with two files
    outer = MIMEMultipart()
    outer["From"] = "admin@lsp-tdn.example.id"
    outer["Subject"] = "Permohonan"
    outer.attach(MIMEText("Terlampir.", "plain", "utf-8"))
    part = MIMEApplication(tnef, "ms-tnef")
    part.add_header("Content-Disposition", "attachment", filename="winmail.dat")
    outer.attach(part)
    mc = walk_message(outer.as_bytes())
    # names as Outlook kept them; the type sniffed from the bytes gives the missing extension
    assert [(a.filename, a.origin) for a in mc.attachments] == [
        ("AUTHORS.txt", "winmail.dat/"), ("README.txt", "winmail.dat/")]
    assert mc.attachments[1].data.lstrip().startswith(b"TNEF\n")
    assert "LAMPIRAN_TNEF" not in codes(mc.findings)


def test_broken_winmail_dat_is_a_finding_and_the_rest_is_kept():
    outer = MIMEMultipart()
    outer["From"] = "admin@lsp-tdn.example.id"
    part = MIMEApplication((SAMPLES / "winmail-two-files.dat").read_bytes()[:40], "ms-tnef")
    part.add_header("Content-Disposition", "attachment", filename="winmail.dat")
    outer.attach(part)
    pdf = MIMEApplication(text_pdf(decision_lines()), "pdf")
    pdf.add_header("Content-Disposition", "attachment", filename="SK.pdf")
    outer.attach(pdf)
    mc = walk_message(outer.as_bytes())
    assert "LAMPIRAN_TNEF" in codes(mc.findings)
    assert "SK.pdf" in [a.filename for a in mc.attachments]


def test_password_protected_ods_in_a_mail_is_reported_as_encrypted():
    msg = EmailMessage()
    msg["From"] = "admin@lsp-tdn.example.id"
    msg.set_content("Terlampir.")
    msg.add_attachment((SAMPLES / "pass_protected.ods").read_bytes(), maintype="application",
                       subtype="vnd.oasis.opendocument.spreadsheet", filename="Daftar_Peserta.ods")
    mc = walk_message(msg.as_bytes())
    assert [a.filename for a in mc.attachments] == ["Daftar_Peserta.ods"]
    assert mc.findings == []  # no "named .ods but is ..." confusion
    doc = read_document(mc.attachments[0])
    assert codes(doc.findings) == ["BERKAS_TERENKRIPSI"]


def test_pdf_that_pdfium_rejects_is_read_by_pdfminer():
    good = text_pdf(decision_lines())
    # saved with a web form's multipart preamble in front: pdfium only looks at the first 1 KiB
    with_preamble = b"------WebKitFormBoundary\r\nContent-Disposition: form-data\r\n" + b" " * 2048 + good
    doc = read_document(attachment("SK_Keputusan.pdf", with_preamble))
    assert not [f for f in doc.findings if f.code in ("PDF_RUSAK", "PDF_TERPOTONG")]
    assert "KEPUTUSAN" in doc.text.upper()
    assert doc.doc_type == CERTIFICATION_DECISION
    assert any("pdfminer" in e for e in doc.evidence)
    # a page tree pointing at a missing object: pdfium opens the file but not its page
    broken_tree = re.sub(rb"/Kids \[([^\]]*)\]", b"/Kids [ 99 0 R ]", good)
    doc = read_document(attachment("SK_Keputusan.pdf", broken_tree))
    assert "PDF_RUSAK" not in codes(doc.findings)
    assert doc.doc_type == CERTIFICATION_DECISION


def test_pdf_neither_reader_can_open_is_broken():
    doc = read_document(attachment("SK.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ngarbage\n%%EOF\n"))
    assert "PDF_RUSAK" in codes(doc.findings)


def test_hostile_or_rewritten_attachment_name_is_a_finding():
    msg = EmailMessage()
    msg["From"] = "admin@lsp-tdn.example.id"
    msg.set_content("Terlampir.")
    msg.add_attachment(text_pdf(decision_lines()), maintype="application", subtype="pdf",
                       filename="../../tmp/SK\u202efdp.exe.pdf")
    msg.add_attachment(participant_list_xlsx(), maintype="application", subtype="octet-stream",
                       filename="Daftar Peserta.xlsx")
    mc = walk_message(msg.as_bytes())
    assert [a.filename for a in mc.attachments] == ["SKfdp.exe.pdf", "Daftar Peserta.xlsx"]
    renamed = [f for f in mc.findings if f.code == "NAMA_LAMPIRAN_DIUBAH"]
    assert len(renamed) == 1 and not renamed[0].is_error
    assert "../../tmp/SK\\u202efdp.exe.pdf" in renamed[0].message and "SKfdp.exe.pdf" in renamed[0].message
    assert read_document(mc.attachments[1]).doc_type == PARTICIPANT_LIST
