"""Each document read by its content: clean ones give facts and no alarm; broken ones a clear finding."""
from __future__ import annotations

import pytest
from read_builders import (attachment, decision_lines, encrypted_pdf, letter_lines, minutes_lines,
                           participant_list_xlsx, receipt_lines, scan_image, scanned_pdf, text_pdf)

from pipelines.documents import (ASSESSMENT_MINUTES, CERTIFICATION_DECISION, OTHER, PARTICIPANT_LIST,
                                 REQUEST_LETTER, SIGNED_RECEIPT)
from pipelines.read import ocr, read_document
from pipelines.read import sniff as sn

needs_ocr = pytest.mark.skipif(bool(ocr.available()), reason="Tesseract with Indonesian data not installed")


def codes(doc):
    return [f.code for f in doc.findings]


def test_clean_request_letter_facts():
    doc = read_document(attachment("surat_permohonan.pdf", text_pdf(letter_lines(blanks=25, words="dua puluh lima"))))
    assert doc.doc_type == REQUEST_LETTER
    assert doc.findings == [] and not doc.needs_manual_review
    assert doc.facts["letter_number"] == "045/LSP-TDN/X/2026"
    assert doc.facts["letter_date"] == "2026-10-14"
    assert doc.facts["lsp_name"] == "LSP Teknologi Digital Nusantara"
    assert doc.facts["blanks_requested"] == 25
    assert doc.media_type == sn.PDF and doc.pages == 1 and len(doc.sha256) == 64
    assert any("Permohonan Blanko" in e for e in doc.evidence)


def test_clean_decision_facts():
    doc = read_document(attachment("sk.pdf", text_pdf(decision_lines(competent=12, words="dua belas"))))
    assert doc.doc_type == CERTIFICATION_DECISION and doc.findings == []
    assert doc.facts["decision_number"] == "KEP.12/LSP-TDN/X/2026"
    assert doc.facts["decision_date"] == "2026-10-10"
    assert doc.facts["schemes"] == ["Junior Web Developer"]
    assert doc.facts["competent_count"] == 12


def test_clean_minutes_with_date_in_words():
    doc = read_document(attachment("ba.pdf", text_pdf(minutes_lines())))
    assert doc.doc_type == ASSESSMENT_MINUTES and doc.findings == []
    assert doc.facts["assessment_date"] == "2026-10-05"
    assert doc.facts["scheme"] == "Junior Web Developer"


def test_receipt_recognised():
    doc = read_document(attachment("scan.pdf", text_pdf(receipt_lines())))
    assert doc.doc_type == SIGNED_RECEIPT


def test_digits_and_words_disagree_in_letter():
    doc = read_document(attachment("surat.pdf", text_pdf(letter_lines(blanks=25, words="dua puluh empat"))))
    assert codes(doc) == ["ANGKA_TERBILANG_TIDAK_SESUAI"]
    assert doc.facts["blanks_requested"] == 25 and doc.facts["blanks_requested_words"] == 24


def test_misleading_filename_content_wins():
    doc = read_document(attachment("surat_permohonan.pdf", text_pdf(decision_lines())))
    assert doc.doc_type == CERTIFICATION_DECISION
    assert codes(doc) == ["NAMA_BERKAS_MENYESATKAN"]
    assert any("MEMUTUSKAN" in e for e in doc.evidence)


def test_letter_listing_its_attachments_is_still_a_letter():
    # the letter names "berita acara" and "keputusan sertifikasi" in its body
    doc = read_document(attachment("dokumen1.pdf", text_pdf(letter_lines())))
    assert doc.doc_type == REQUEST_LETTER


def test_encrypted_pdf():
    doc = read_document(attachment("surat_permohonan.pdf", encrypted_pdf(letter_lines())))
    assert codes(doc) == ["PDF_TERENKRIPSI"]


def test_truncated_pdf():
    data = text_pdf(letter_lines())
    doc = read_document(attachment("surat_permohonan.pdf", data[: len(data) // 3]))
    assert "PDF_TERPOTONG" in codes(doc)


def test_corrupt_pdf():
    doc = read_document(attachment("keputusan.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200 + b"\n%%EOF\n"))
    assert codes(doc) == ["PDF_RUSAK"]


def test_encrypted_excel_is_a_finding():
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 500
    doc = read_document(attachment("daftar.xlsx", ole))
    assert codes(doc) == ["BERKAS_TERENKRIPSI"]


def test_roster_recognised_even_with_a_wrong_name():
    doc = read_document(attachment("keputusan.xlsx", participant_list_xlsx()))
    assert doc.doc_type == PARTICIPANT_LIST
    assert codes(doc) == ["NAMA_BERKAS_MENYESATKAN"]
    assert doc.facts["competent_count"] == 3


def test_unrelated_pdf_is_other_without_alarm():
    doc = read_document(attachment("brosur.pdf", text_pdf(["Promo pelatihan bulan ini", "Hubungi kami"])))
    assert doc.doc_type == OTHER and doc.findings == []


@needs_ocr
def test_image_only_pdf_is_ocred_in_indonesian():
    doc = read_document(attachment("ba_scan.pdf", scanned_pdf(minutes_lines())))
    assert doc.doc_type == ASSESSMENT_MINUTES
    assert doc.facts["ocr_pages"] == [1]
    assert doc.facts["assessment_date"] == "2026-10-05"
    assert not doc.needs_manual_review and doc.findings == []


@needs_ocr
def test_ocr_of_a_page_leaves_no_temporary_file(tmp_path, monkeypatch):
    """The page goes to tesseract on stdin: a reader worker killed at its deadline (with its
    tesseract) used to leave the page's temporary folder behind for good."""
    import io
    import tempfile

    from PIL import Image, ImageDraw, ImageFont

    page = Image.new("L", (900, 200), 255)
    ImageDraw.Draw(page).text((20, 60), "Berita Acara Asesmen", fill=0, font=ImageFont.load_default(size=40))
    png = io.BytesIO()
    page.save(png, "PNG")
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    monkeypatch.setenv("TMPDIR", str(temporary))
    run, left_if_killed = ocr.subprocess.run, []

    def tesseract(*args, **kwargs):   # what a kill while tesseract runs would leave
        left_if_killed.extend(temporary.rglob("*"))
        return run(*args, **kwargs)

    monkeypatch.setattr(ocr.subprocess, "run", tesseract)
    result = ocr.ocr_png(png.getvalue(), timeout=60)
    assert not result.error and "Berita Acara Asesmen" in result.text
    assert left_if_killed == [] and list(temporary.iterdir()) == []


@needs_ocr
def test_unreadable_scan_needs_manual_review():
    doc = read_document(attachment("keputusan_scan.pdf", scanned_pdf([])))
    assert doc.needs_manual_review
    assert codes(doc) == ["OCR_TIDAK_YAKIN"]
    assert doc.doc_type == CERTIFICATION_DECISION  # from the name only, said so in the evidence
    assert any("perlu konfirmasi" in e for e in doc.evidence)


def test_ocr_missing_is_a_warning(monkeypatch):
    from pipelines.read.document import read_inprocess
    monkeypatch.setattr(ocr, "available", lambda lang="ind": "program Tesseract tidak terpasang")
    doc = read_inprocess(attachment("ba_scan.pdf", scanned_pdf(minutes_lines())))
    assert doc.needs_manual_review
    assert codes(doc) == ["OCR_TIDAK_TERSEDIA"]


@needs_ocr
def test_scanned_jpeg_receipt():
    import io
    buf = io.BytesIO()
    scan_image(receipt_lines()).save(buf, format="JPEG", quality=85)
    doc = read_document(attachment("IMG_2031.jpg", buf.getvalue()))
    assert doc.doc_type == SIGNED_RECEIPT and doc.media_type == sn.JPEG


@needs_ocr
def test_only_the_scanned_page_is_ocred():
    doc = read_document(attachment("ba.pdf", scanned_pdf(minutes_lines(), extra_text_page=minutes_lines())))
    assert doc.pages == 2 and doc.facts["ocr_pages"] == [2]
