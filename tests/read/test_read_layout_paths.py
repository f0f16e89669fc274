"""The layout text of a PDF page comes from pdfium's character boxes (~3 ms) unless pdfium could be
wrong; then from pdfplumber (~100 ms). Both paths must give the same text on what LSPs send."""
from __future__ import annotations

import io

import pdfplumber
import pypdfium2 as pdfium
import pytest
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle
from reportlab.lib.styles import getSampleStyleSheet

from pipelines.documents import Attachment
from pipelines.read import read_document
from pipelines.read.layout import page_text, pdfium_page_text
from pipelines.read.limits import DEFAULT_LIMITS
from pipelines.read.mail import walk
from tests.factories import complete_request_mail
from tests.variance import generated_set


def _pdfs() -> list[tuple[str, bytes]]:
    raws = [complete_request_mail(lsp, seed=seed, n_k=8, n_bk=2)
            for seed, lsp in enumerate(("LSP-001", "LSP-002", "LSP-003"))]
    raws += [g.raw for g in generated_set(24, seed=5)]
    return [(a.filename, a.data) for raw in raws for a in walk(raw, DEFAULT_LIMITS).attachments
            if a.filename.lower().endswith(".pdf") and _opens(a.data)]


def _opens(data: bytes) -> bool:   # the generated set holds broken files on purpose
    try:
        pdfium.PdfDocument(data).close()
        return True
    except pdfium.PdfiumError:
        return False


def _both(data: bytes) -> list[tuple[str | None, str]]:
    doc = pdfium.PdfDocument(data)
    with pdfplumber.open(io.BytesIO(data)) as pdf:
        out = []
        for number, page in enumerate(doc):
            textpage = page.get_textpage()
            out.append((pdfium_page_text(page, textpage), page_text(pdf.pages[number])))
            textpage.close()
            page.close()
    doc.close()
    return out


def test_pages_pdfium_reads_itself_give_pdfplumbers_text():
    cheap = unsure = 0
    for name, data in _pdfs():
        for fast, reference in _both(data):
            if fast is None:
                unsure += 1
            else:
                cheap += 1
                assert fast == reference, name
    # letters, minutes without a grid and decisions: most pages never need pdfplumber
    assert cheap > unsure > 0


def _table_pdf() -> bytes:
    buf = io.BytesIO()
    styles = getSampleStyleSheet()
    table = Table([["No", "Skema Sertifikasi", "K"],
                   ["1", Paragraph("Teknisi Jaringan Komputer Muda", styles["Normal"]), "8"]],
                  colWidths=[30, 90, 30])
    table.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    SimpleDocTemplate(buf, pagesize=A4).build([Paragraph("Rekapitulasi hasil uji kompetensi", styles["Normal"]), table])
    return buf.getvalue()


def test_a_ruled_table_goes_to_pdfplumber_and_keeps_each_wrapped_cell_whole():
    data = _table_pdf()
    [(fast, reference)] = _both(data)
    assert fast is None   # pdfium cannot find the cells: pdfplumber does
    assert "1 | Teknisi Jaringan Komputer Muda | 8" in reference
    document = read_document(Attachment(filename="rekap.pdf", data=data))
    assert "1 | Teknisi Jaringan Komputer Muda | 8" in document.text


def test_text_outside_the_latin_scripts_goes_to_pdfplumber():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 750, "Nilai \u2208 himpunan")   # a mathematical sign: not a letter's text
    c.showPage()
    c.save()
    [(fast, reference)] = _both(buf.getvalue())
    assert fast is None
    assert "himpunan" in reference


@pytest.mark.parametrize("name,data", _pdfs()[:3])
def test_the_read_text_is_the_layout_text(name, data):
    document = read_document(Attachment(filename=name, data=data))
    [(fast, _)] = _both(data)[:1]
    assert fast is not None
    first_line = fast.splitlines()[0]
    assert first_line in document.text
