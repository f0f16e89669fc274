"""The factories build real files: PDFs that open and hold the text, workbooks, parseable mail."""
from __future__ import annotations

import email
import importlib.util
import io
import mailbox as stdlib_mailbox
from datetime import date
from email import policy
from pathlib import Path

import openpyxl
import pandas as pd
import pypdfium2 as pdfium
import pytest

from tests.factories import (
    ASSESSMENT_MINUTES,
    CERTIFICATION_DECISION,
    LSPS,
    OFFICE_ADDRESS,
    PARTICIPANT_LIST,
    REQUEST_LETTER,
    assessment_minutes_pdf,
    auto_reply_mail,
    bounce_mail,
    certification_decision_pdf,
    complete_request_mail,
    image_only_pdf,
    incomplete_request_mail,
    make_participants,
    nik_info,
    nik_is_valid,
    participant_list_xlsx,
    request_dossier,
    request_letter_pdf,
    request_mail,
    sample_mails,
    signed_receipt_pdf,
    terbilang,
)

ROOT = Path(__file__).resolve().parent.parent


def pdf_text(data: bytes) -> str:
    doc = pdfium.PdfDocument(data)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def one_line(text: str) -> str:
    return " ".join(text.split())


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


@pytest.mark.parametrize("n, words", [
    (0, "nol"), (1, "satu"), (11, "sebelas"), (15, "lima belas"), (25, "dua puluh lima"),
    (100, "seratus"), (110, "seratus sepuluh"), (250, "dua ratus lima puluh"),
    (1000, "seribu"), (1250, "seribu dua ratus lima puluh"), (21000, "dua puluh satu ribu"),
])
def test_terbilang(n, words):
    assert terbilang(n) == words


def test_request_letter_has_number_subject_and_count_in_words():
    lsp = LSPS["LSP-003"]
    pdf = request_letter_pdf(lsp.name, "07/LSP-KEM/BNSP/III/2025", date(2025, 3, 10), 25,
                             schemes=[("Ahli Muda Teknik Bangunan Gedung", 20),
                                      ("Teknisi Instalasi Panel Surya", 5)])
    text = one_line(pdf_text(pdf))
    assert pdf.startswith(b"%PDF")
    assert "Nomor : 07/LSP-KEM/BNSP/III/2025" in text
    assert "Perihal : Permohonan Blanko Sertifikat" in text
    assert "sebanyak 25 (dua puluh lima) blanko" in text
    assert "10 Maret 2025" in text
    assert "LSP Konstruksi & Energi <Mandiri>" in text
    assert "Teknisi Instalasi Panel Surya: 5 (lima) orang" in text


def test_request_letter_with_digits_only():
    text = one_line(pdf_text(request_letter_pdf("LSP X", "1/X/2025", "2025-03-10", 7,
                                                blanks_words=False)))
    assert "sebanyak 7 blanko" in text and "(tujuh)" not in text


def test_minutes_and_decision_texts():
    people = make_participants(10, 2, "Junior Web Developer")
    minutes = one_line(pdf_text(assessment_minutes_pdf("Junior Web Developer", date(2025, 3, 7),
                                                       participants=people)))
    assert "BERITA ACARA ASESMEN" in minutes
    assert "Skema Sertifikasi : Junior Web Developer" in minutes
    assert "Kompeten (K) : 10 orang" in minutes and "Belum Kompeten (BK) : 2 orang" in minutes
    assert people[0].nik in minutes

    decision = one_line(pdf_text(certification_decision_pdf(
        "KEP.012/LSP-TDN/SK/III/2025", "2025-03-09", ["Junior Web Developer"], 10)))
    assert "KEPUTUSAN KETUA LSP TEKNOLOGI DIGITAL NUSANTARA" in decision
    assert "NOMOR: KEP.012/LSP-TDN/SK/III/2025" in decision
    assert "PENETAPAN HASIL SERTIFIKASI KOMPETENSI" in decision
    assert "sebanyak 10 (sepuluh) orang kompeten" in decision
    assert "9 Maret 2025" in decision


def test_image_only_pdf_has_an_image_and_no_text():
    data = image_only_pdf("SURAT PERMOHONAN BLANKO\nNomor: 012/LSP-TDN/BNSP/III/2025")
    doc = pdfium.PdfDocument(data)
    page = doc[0]
    assert page.get_textpage().get_text_range().strip() == ""
    assert any(obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE for obj in page.get_objects())
    page.close()
    doc.close()


def test_signed_receipt_text_and_scanned_variant():
    text = one_line(pdf_text(signed_receipt_pdf("BNSP/BLK/2025/000123", blanks=25,
                                                first_serial=1200001)))
    assert "TANDA TERIMA BLANKO SERTIFIKAT KOMPETENSI" in text
    assert "Nomor Berkas : BNSP/BLK/2025/000123" in text
    assert "1200001 s.d. 1200025" in text
    assert pdf_text(signed_receipt_pdf("BNSP/BLK/2025/000123", scanned=True)).strip() == ""


def test_pdfs_are_deterministic():
    args = ("LSP A", "1/A/2025", "2025-03-10", 3)
    assert request_letter_pdf(*args) == request_letter_pdf(*args)
    assert image_only_pdf("abc") == image_only_pdf("abc")


def test_participants_have_valid_niks_matching_birth_date_and_sex():
    people = make_participants(30, 5, "Room Attendant")
    assert sum(p.result == "K" for p in people) == 30
    assert sum(p.result == "BK" for p in people) == 5
    assert len({p.nik for p in people}) == 35 and len({p.name for p in people}) == 35
    for p in people:
        assert len(p.nik) == 16 and p.nik.isdigit()
        assert 11 <= int(p.nik[:2]) <= 94
        assert nik_is_valid(p.nik, p.birth_date, p.sex), p
        born, sex = nik_info(p.nik)
        assert (born, sex) == (p.birth_date, p.sex)
        if p.sex == "P":
            assert int(p.nik[6:8]) > 40
    assert make_participants(30, 5, "Room Attendant") == people       # seeded
    assert make_participants(30, 5, "Pemandu Wisata Umum") != people


def test_participant_list_reads_with_pandas_under_merged_header():
    people = make_participants(4, 1, "Junior Web Developer")
    data = participant_list_xlsx(people, lsp_name="LSP Teknologi Digital Nusantara")
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    assert ws.merged_cells.ranges                         # titles and header groups are merged
    assert ws["A4"].value == "No" and ws["B4"].value == "Data Asesi"
    df = pd.read_excel(io.BytesIO(data), header=4, dtype={"NIK": str}, engine="calamine")
    assert list(df.columns) == ["Unnamed: 0", "Nama Lengkap", "NIK", "Unnamed: 3",
                                "Rekomendasi (K/BK)", "Tanggal Asesmen"]
    assert list(df["NIK"]) == [p.nik for p in people]
    assert list(df["Rekomendasi (K/BK)"]) == [p.result for p in people]
    assert participant_list_xlsx(people) == participant_list_xlsx(people)   # deterministic


def test_participant_list_flat_header_per_scheme_sheets_and_numeric_nik():
    people = (make_participants(3, 0, "Junior Web Developer")
              + make_participants(2, 1, "Junior Network Administrator"))
    data = participant_list_xlsx(people, title_rows=0, merged_header=False, nik_as_number=True,
                                 one_sheet_per_scheme=True, with_birth=True)
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=None, engine="calamine")
    assert list(sheets) == ["Junior Web Developer", "Junior Network Administrator"]
    first = sheets["Junior Web Developer"]
    assert list(first.columns) == ["No", "Nama Lengkap", "NIK", "Tanggal Lahir",
                                   "Jenis Kelamin (L/P)", "Skema Sertifikasi",
                                   "Rekomendasi (K/BK)", "Tanggal Asesmen"]
    ws = openpyxl.load_workbook(io.BytesIO(data))["Junior Web Developer"]
    nik_cell = ws["C2"].value
    assert isinstance(nik_cell, (int, float))             # a number, as Excel stores a typed-in NIK
    assert f"{nik_cell:.0f}"[:15] == people[0].nik[:15] and f"{nik_cell:.0f}"[15] == "0"


def test_request_mail_round_trips_through_the_email_parser():
    lsp = LSPS["LSP-003"]
    raw = request_mail((lsp.name, lsp.email), OFFICE_ADDRESS, "Permohonan", "Isi surat",
                       [("Surat Permohonan (1).pdf", b"%PDF-1.4 x", "application/pdf"),
                        ("daftar peserta.xlsx", b"PK\x03\x04", "")],
                       in_reply_to="<a@b>", headers={"X-Mailer": "Outlook"})
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    msg = parse(raw)
    assert msg["From"].addresses[0].display_name == "LSP Konstruksi & Energi <Mandiri>"
    assert msg["In-Reply-To"] == "<a@b>" and msg["References"] == "<a@b>"
    assert msg["X-Mailer"] == "Outlook"
    atts = list(msg.iter_attachments())
    assert [a.get_filename() for a in atts] == ["Surat Permohonan (1).pdf", "daftar peserta.xlsx"]
    assert atts[1].get_content_type().endswith("spreadsheetml.sheet")
    assert atts[0].get_content() == b"%PDF-1.4 x"
    assert raw == request_mail((lsp.name, lsp.email), OFFICE_ADDRESS, "Permohonan", "Isi surat",
                               [("Surat Permohonan (1).pdf", b"%PDF-1.4 x", "application/pdf"),
                                ("daftar peserta.xlsx", b"PK\x03\x04", "")],
                               in_reply_to="<a@b>", headers={"X-Mailer": "Outlook"})


def test_complete_and_incomplete_requests():
    dossier = request_dossier("LSP-001", schemes=["Junior Web Developer", "Junior Network Administrator"],
                              n_k=[5, 4], n_bk=[1, 0])
    assert dossier.kinds == [REQUEST_LETTER, ASSESSMENT_MINUTES, ASSESSMENT_MINUTES,
                             CERTIFICATION_DECISION, PARTICIPANT_LIST]
    assert dossier.blanks_requested == dossier.competent_count == 9
    letter = one_line(pdf_text(dossier.files(REQUEST_LETTER)[0][1]))
    assert "sebanyak 9 (sembilan) blanko" in letter

    full = parse(complete_request_mail("LSP-002"))
    assert full["To"].addresses[0].addr_spec == OFFICE_ADDRESS
    assert len(list(full.iter_attachments())) == 4

    partial = parse(incomplete_request_mail("LSP-002", missing=CERTIFICATION_DECISION))
    names = [a.get_filename() for a in partial.iter_attachments()]
    assert len(names) == 3 and not any("keputusan" in n.lower() for n in names)

    mismatch = request_dossier("LSP-002", n_k=18, n_bk=4, letter_blanks=20)
    assert mismatch.blanks_requested == 20 and mismatch.competent_count == 18
    assert "sebanyak 20 (dua puluh) blanko" in one_line(pdf_text(mismatch.files(REQUEST_LETTER)[0][1]))


def test_auto_reply_and_bounce():
    reply = parse(auto_reply_mail(LSPS["LSP-001"], in_reply_to="<n1@bnsp.example.go.id>"))
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<n1@bnsp.example.go.id>"
    assert reply["Subject"].startswith("Balasan Otomatis:")

    sent = request_mail(OFFICE_ADDRESS, "hilang@lsp-tdn.example.id", "Permintaan kelengkapan", "isi",
                        message_id="<n2@bnsp.example.go.id>")
    bounce = parse(bounce_mail(sent))
    assert bounce.get_content_type() == "multipart/report"
    assert bounce.get_param("report-type") == "delivery-status"
    assert bounce["To"] == OFFICE_ADDRESS
    parts = [p.get_content_type() for p in bounce.iter_parts()]
    assert parts == ["text/plain", "message/delivery-status", "message/rfc822"]
    status = list(bounce.iter_parts())[1].get_payload()
    assert status[1]["Final-Recipient"] == "rfc822; hilang@lsp-tdn.example.id"
    assert status[1]["Status"] == "5.1.1" and status[1]["Action"] == "failed"
    original = list(bounce.iter_parts())[2].get_payload()[0]
    assert original["Message-ID"] == "<n2@bnsp.example.go.id>"


def test_committed_sample_mailbox_matches_the_generator():
    spec = importlib.util.spec_from_file_location("make_samples", ROOT / "samples" / "make_samples.py")
    make_samples = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_samples)
    stale = make_samples.stale(make_samples.render(sample_mails()), ROOT / "samples")
    assert stale == [], "rerun: python samples/make_samples.py"
    box = stdlib_mailbox.Maildir(str(ROOT / "samples" / "maildir"), create=False)
    msgs = [parse(m.as_bytes()) for m in box]
    assert len(msgs) == 10
    senders = [m["From"].addresses[0].addr_spec for m in msgs]
    for lsp in LSPS.values():
        assert lsp.email in senders
    assert sum(1 for m in msgs if m["Auto-Submitted"] == "auto-replied") == 1
    assert sum(1 for m in msgs if m["List-Unsubscribe"]) == 1


def test_factory_lsps_match_the_registry():
    import yaml

    registry = yaml.safe_load((ROOT / "data" / "lsp_registry.yaml").read_text())
    by_code = {entry["code"]: entry for entry in registry}
    for lsp in LSPS.values():
        assert by_code[lsp.code]["name"] == lsp.name
        assert lsp.email in by_code[lsp.code]["emails"]
        assert by_code[lsp.code]["address"] == lsp.address
