"""Readers on documents shaped like real LSP submissions (real PDFs made with reportlab)."""
from __future__ import annotations

import io

import pytest
from reportlab.lib import colors
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from pipelines.documents import Attachment
from pipelines.read import read_document
from pipelines.read.counts import decision_counts
from pipelines.read.facts import blanks_requested, letter_number, lsp_name, schemes
from pipelines.read.schemes import DIFFERENT, SAME, UNSURE, compare, parse_scheme


def _pdf(draw) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    draw(c)
    c.save()
    return buf.getvalue()


def test_a_scheme_wrapped_in_a_table_cell_is_read_whole():
    st = getSampleStyleSheet()["Normal"]
    buf = io.BytesIO()
    table = Table([["Skema Sertifikasi", Paragraph("SKM.NET.03 - Teknisi Jaringan Komputer Tingkat Muda", st)],
                   ["Kompeten (K)", "9 orang"]], colWidths=[110, 120])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(buf).build([Paragraph("BERITA ACARA ASESMEN KOMPETENSI", st),
                                  Paragraph("Pada hari ini tanggal 2 November 2026 telah dilaksanakan asesmen", st),
                                  table])
    doc = read_document(Attachment("ba.pdf", buf.getvalue()))
    assert doc.doc_type == "assessment_minutes"
    assert doc.facts["schemes"] == ["SKM.NET.03 - Teknisi Jaringan Komputer Tingkat Muda"]
    assert doc.facts["competent_count"] == 9


def test_a_value_wrapped_under_its_label_column_is_joined():
    def draw(c):
        c.drawString(72, 800, "BERITA ACARA ASESMEN KOMPETENSI")
        c.drawString(72, 770, "Skema Sertifikasi")
        c.drawString(200, 770, ":")
        c.drawString(210, 770, "Kualifikasi III Tata Boga Pengolahan")
        c.drawString(210, 756, "Makanan Kontinental (KKNI.III.TBG)")
        c.drawString(72, 742, "TUK")
        c.drawString(200, 742, ":")
        c.drawString(210, 742, "TUK Sewaktu")
    doc = read_document(Attachment("ba.pdf", _pdf(draw)))
    [scheme] = doc.facts["schemes"]
    assert parse_scheme(scheme).code == "KKNI.III.TBG" and "Makanan Kontinental" in scheme


@pytest.mark.parametrize("text, k, bk", [
    ("Sebanyak 14 (empat belas) orang asesi skema Teknisi Jaringan Muda dinyatakan KOMPETEN", 14, None),
    ("Berdasarkan rapat pleno, dari 20 peserta, 3 BK dan 17 K.", 17, 3),
    ("Kompeten (K) : 10 orang\nBelum Kompeten (BK) : 2 orang", 10, 2),
    ("No | Nama | NIK | Hasil\n1 | Rina | 3273266506980001 | K\n2 | Budi | 3273056003000002 | BK\n"
     "3 | Siti | 3273224501000003 | K", 2, 1),
    ("No | Skema | Jumlah | K | BK\n1 | Junior Web Developer | 12 | 10 | 2\n2 | Juru Las | 5 | 4 | 1\n"
     "Jumlah | | 17 | 14 | 3", 14, 3),
    ("dinyatakan kompeten sebanyak 9 (sembilan) orang", 9, None),
    ("Sebanyak 6 (enam) orang asesi pada skema Junior Web Developer (TIK.JWD.01) dinyatakan KOMPETEN.", 6, None),
])
def test_decision_counts_however_written(text, k, bk):
    counts = decision_counts(text)
    assert (counts.competent, counts.not_competent) == (k, bk)


def test_a_count_written_twice_differently_is_reported_not_guessed():
    assert decision_counts("Sebanyak 10 (sebelas) orang asesi dinyatakan kompeten").mismatched_words == ["10 (sebelas)"]


def test_letter_number_never_swallows_the_date_on_its_line():
    assert letter_number("Nomor : 045/LSP/XI/2026        Bandung, 9 November 2026") == "045/LSP/XI/2026"
    assert letter_number("Nomor : 7/A/2026 Kota Bandung, 9 November 2026") == "7/A/2026"


def test_blanks_in_words_only_and_the_lsp_name_from_the_letterhead():
    assert blanks_requested("permohonan blanko sertifikat sebanyak dua puluh lima lembar") == (25, 25)
    head = "LSP P1 SMK NEGERI 2 PALEMBANG\nLisensi BNSP Nomor: BNSP-LSP-1234-ID\nJl. Demang"
    assert lsp_name(head) == "LSP P1 SMK Negeri 2 Palembang"
    assert lsp_name("Lisensi BNSP-LSP-1234-ID\nLSP PENGELASAN INDONESIA") == "LSP Pengelasan Indonesia"


def test_scheme_identity_by_code_else_by_name():
    assert parse_scheme("Skema Kualifikasi III Tata Boga (KKNI.III.TBG)").code == "KKNI.III.TBG"
    assert compare(parse_scheme("SKM.NET.03 - Teknisi Jaringan Muda"), parse_scheme("Teknisi Jaringan (SKM.NET.03)")) == SAME
    assert compare(parse_scheme("Teknisi Jaringan Muda"), parse_scheme("Teknisi Jaringan Madya")) == UNSURE
    assert compare(parse_scheme("Junior Web Developer"), parse_scheme("Juru Las SMAW 3G")) == DIFFERENT
    assert schemes("Hasil skema SKM.NET.03 - Teknisi Jaringan Muda; KKNI.III.TBG - Tata Boga: 5 orang") == [
        "SKM.NET.03 - Teknisi Jaringan Muda", "KKNI.III.TBG - Tata Boga"]
