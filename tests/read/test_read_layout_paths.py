"""The layout text of a PDF page comes from pdfium's character boxes (~3 ms) unless pdfium could be
wrong; then from pdfplumber (~100 ms). Both paths must give the same text on what LSPs send."""
from __future__ import annotations

import io
from pathlib import Path

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


def _corpus_pdfs() -> list[tuple[str, bytes]]:
    corpora = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
    return [(str(p.relative_to(corpora)), p.read_bytes()) for p in sorted(corpora.rglob("*.pdf"))
            if _opens(p.read_bytes())]


def _chars_one_call_at_a_time(page, textpage) -> list[tuple] | None:
    """The plain reading: four pdfium calls a character (what the fast path must equal)."""
    import pypdfium2.raw as c

    raw, height, box, chars = textpage.raw, page.get_height(), c.FS_RECTF(), []
    for i in range(c.FPDFText_CountChars(raw)):
        code = c.FPDFText_GetUnicode(raw, i)
        if code in (0, 2, 10, 13, 32, 0xAD, 0xFFFD, 0xFFFE):
            if code in (2, 0xAD) and c.FPDFText_IsHyphen(raw, i) == 1:
                code = 0x2D
            elif code in (10, 13) or c.FPDFText_IsGenerated(raw, i) == 1:
                continue
            elif code != 32:
                return None
        elif not (code <= 0x24F or 0x2000 <= code <= 0x206F):
            return None
        if c.FPDFText_GetCharAngle(raw, i) != 0 or not c.FPDFText_GetLooseCharBox(raw, i, box):
            return None
        bottom = height - box.bottom
        chars.append((bottom - c.FPDFText_GetFontSize(raw, i), box.left, box.right, bottom, chr(code)))
    return chars


def test_characters_and_words_equal_the_plain_reading_and_pdfplumbers_grouping():
    """The fast path asks pdfium for all code points at once and for angles only where a text
    object is turned; its words are grouped without pdfplumber. On PDFs nobody here wrote
    (pdfminer's samples) and on generated requests, both must give exactly what the plain,
    one-call-a-character reading and pdfplumber's WordExtractor give."""
    import pypdfium2.raw as pdfium_c
    from pdfplumber.utils.text import WordExtractor

    from pipelines.read.layout import _pdfium_chars, _words

    compared = 0
    for name, data in _corpus_pdfs() + _pdfs():
        doc = pdfium.PdfDocument(data)
        for number, page in enumerate(doc):
            if number >= 8:
                break
            textpage = page.get_textpage()
            fast, plain = _pdfium_chars(page, textpage, pdfium_c), _chars_one_call_at_a_time(page, textpage)
            assert fast == plain, (name, number)
            if fast:
                as_dicts = [{"text": t, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                             "upright": True} for top, x0, x1, bottom, t in fast]
                reference = WordExtractor(x_tolerance=1.5, y_tolerance=3).extract_words(as_dicts)
                assert _words(fast) == [{k: w[k] for k in ("text", "x0", "x1", "top", "bottom")}
                                        for w in reference], (name, number)
                compared += 1
            textpage.close()
        doc.close()
    assert compared > 40


def test_turned_text_is_left_to_pdfplumber():
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.drawString(72, 750, "Berita Acara Uji Kompetensi")
    c.saveState()
    c.translate(500, 300)
    c.rotate(90)
    c.drawString(0, 0, "Nomor: 012/LSP/XI/2026")
    c.restoreState()
    c.showPage()
    c.save()
    [(fast, reference)] = _both(buf.getvalue())
    assert fast is None
    assert "Berita Acara Uji Kompetensi" in reference
