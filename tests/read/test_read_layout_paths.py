"""The layout text of a PDF page comes from pdfium's character boxes (~3 ms) unless pdfium could be
wrong; then from pdfplumber (~100 ms). Both paths must give the same text on what LSPs send."""
from __future__ import annotations

import io
import random
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


def _sample_pages():
    """(name, page number, page, text page) of the first 8 pages of every sample PDF."""
    for name, data in _corpus_pdfs() + _pdfs():
        doc = pdfium.PdfDocument(data)
        for number, page in enumerate(doc):
            if number >= 8:
                break
            textpage = page.get_textpage()
            yield name, number, page, textpage
            textpage.close()
        doc.close()


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


def _objects_by_pypdfium2_wrappers(page) -> tuple[bool, bool]:
    """(may hold a table, all text upright) by two walks with pypdfium2's page-object wrappers:
    what layout._page_objects's one raw walk must equal."""
    import ctypes

    import pypdfium2.raw as c

    def table() -> bool:
        try:
            for obj in page.get_objects(filter=[c.FPDF_PAGEOBJ_PATH], max_depth=3):
                _, bottom, _, top = obj.get_bounds()
                stroke = ctypes.c_float(0)
                c.FPDFPageObj_GetStrokeWidth(obj.raw, stroke)
                if top - bottom - stroke.value < 2.5:
                    continue
                count = c.FPDFPath_CountSegments(obj.raw)
                if count <= 0 or any(c.FPDFPathSegment_GetType(c.FPDFPath_GetPathSegment(obj.raw, i))
                                     == c.FPDF_SEGMENT_LINETO for i in range(count)):
                    return True
            return False
        except Exception:
            return True

    def upright() -> bool:
        try:
            if page.get_rotation() != 0:
                return False
            for obj in page.get_objects(filter=[c.FPDF_PAGEOBJ_TEXT, c.FPDF_PAGEOBJ_FORM], max_depth=8):
                m = c.FS_MATRIX()
                if not c.FPDFPageObj_GetMatrix(obj.raw, m) or m.b != 0 or m.c != 0 or m.a <= 0 or m.d <= 0:
                    return False
            return True
        except Exception:
            return False

    return table(), upright()


def _as_tuples(words: list[dict]) -> list[tuple]:
    """pdfplumber's words as the layout reader holds them: (x0, x1, top, bottom, text)."""
    return [(w["x0"], w["x1"], w["top"], w["bottom"], w["text"]) for w in words]


def test_characters_and_words_equal_the_plain_reading_and_pdfplumbers_grouping():
    """The fast path asks pdfium for all code points at once and for angles only where a text
    object is turned, in C where pdfchars.c is built (else in Python); its words are grouped
    without pdfplumber, in C or in Python. On PDFs nobody here wrote (pdfminer's samples) and on
    generated requests, every path must give exactly what the plain, one-call-a-character reading
    and pdfplumber's WordExtractor give."""
    import pypdfium2.raw as pdfium_c
    from pdfplumber.utils.text import WordExtractor

    from pipelines.read import pdfchars
    from pipelines.read.layout import _page_objects, _python_chars, _python_objects, _words

    compared = in_c = 0
    for name, number, page, textpage in _sample_pages():
        assert _page_objects(page, pdfium_c) == _objects_by_pypdfium2_wrappers(page), (name, number)
        unrotated = page.get_rotation() == 0
        assert _python_objects(page, pdfium_c, unrotated) == _objects_by_pypdfium2_wrappers(page), (name, number)
        upright = _page_objects(page, pdfium_c)[1]
        plain = _chars_one_call_at_a_time(page, textpage)
        assert _python_chars(page, textpage, pdfium_c, upright) == plain, (name, number)
        words = None
        if plain:
            as_dicts = [{"text": t, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top,
                         "upright": True} for top, x0, x1, bottom, t in plain]
            reference = WordExtractor(x_tolerance=1.5, y_tolerance=3).extract_words(as_dicts)
            words = _words(plain)
            assert words == _as_tuples(reference), (name, number)
            compared += 1
        elif plain is not None:
            words = []
        if pdfchars.available():
            count = pdfium_c.FPDFText_CountChars(textpage.raw)
            assert pdfchars.page_words(textpage.raw, count, page.get_height(), upright) == words, (name, number)
            in_c += 1
    assert compared > 40
    assert in_c == 0 or in_c > 40


def test_the_c_reader_is_built_where_a_compiler_is():
    """scripts/setup.sh builds pdfchars.c; where a C compiler is (CI installs one) the layout
    reader must use it, not quietly fall back to the slower Python loops."""
    import shutil

    from pipelines.read import pdfchars

    if not (shutil.which("cc") or shutil.which("gcc")):
        pytest.skip("no C compiler on this machine: the Python loops read PDFs")
    assert pdfchars.available(), f"{pdfchars.library_path().name} missing: run scripts/setup.sh"


@pytest.mark.parametrize("blank", [" ", "\t", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u2000",
                                   "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f"])
def test_c_word_grouping_equals_pythons_on_blanks_gaps_steps_and_lines(blank):
    """Characters no sample PDF holds: every blank str.isspace() knows in the kept scripts, a
    zero-width space (not blank), gaps just under and over the tolerance, a step back, equal
    tops from far apart in the stream and lines within 3 points."""
    import ctypes

    from pipelines.read import pdfchars
    from pipelines.read.layout import _words

    if not pdfchars.available():
        pytest.skip("pdfchars.c not built")
    chars = [(100.0, 10.0, 15.0, 110.0, "A"), (100.0, 15.0, 20.0, 110.0, blank), (100.0, 20.0, 25.0, 110.0, "B"),
             (100.5, 26.4, 31.0, 110.5, "C"), (100.0, 32.6, 36.0, 110.0, "D"), (100.0, 30.0, 33.0, 110.0, "E"),
             (102.9, 36.0, 40.0, 112.9, "\u200b"), (106.0, 40.0, 45.0, 116.0, "F"), (200.0, 10.0, 15.0, 210.0, "G"),
             (100.0, 50.0, 55.0, 110.0, "H"), (203.0, 15.0, 20.0, 213.0, "I"), (206.5, 20.0, 25.0, 216.5, "J"),
             (300.0, 5.0, 9.0, 310.0, "-"), (300.0, 5.0, 9.0, 310.0, "K")]
    boxes = (ctypes.c_double * (4 * len(chars)))(*[v for c in chars for v in c[:4]])
    codes = (ctypes.c_uint32 * len(chars))(*[ord(c[4]) for c in chars])
    from pdfplumber.utils.text import WordExtractor

    as_dicts = [{"text": t, "x0": x0, "x1": x1, "top": top, "bottom": bottom, "doctop": top, "upright": True}
                for top, x0, x1, bottom, t in chars]
    reference = _as_tuples(WordExtractor(x_tolerance=1.5, y_tolerance=3).extract_words(as_dicts))
    assert pdfchars.group_words(boxes, codes, len(chars)) == _words(chars) == reference
    assert len(reference) >= 7   # the case does break words: blank, gap, step back, line


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


def _chars_of(words: list[tuple[float, float, str]]) -> list[tuple]:
    """Characters (top, x0, x1, bottom, text) of words given as (top, x0, text), 5 points a character."""
    return [(top, x0 + 5 * k, x0 + 5 * k + 5, top + 10, ch) for top, x0, text in words for k, ch in enumerate(text)]


def _c_layout(chars: list[tuple]) -> str | None:
    import ctypes

    from pipelines.read import pdfchars

    boxes = (ctypes.c_double * (4 * max(len(chars), 1)))(*[v for c in chars for v in c[:4]])
    codes = (ctypes.c_uint32 * max(len(chars), 1))(*[ord(c[4]) for c in chars])
    return pdfchars.layout_text(ctypes.addressof(boxes), ctypes.addressof(codes), len(chars))


def test_c_layout_text_equals_pythons_on_every_sample_page():
    """pdfchars.c lays a page out (lines, pieces, continuations joined) as `layout._compose` does
    on the Python words: on every page of PDFs nobody here wrote and of generated requests (ruled
    tables included, which the reader sends to pdfplumber, so more shapes are compared), the text
    must be exactly the same."""
    import pypdfium2.raw as pdfium_c

    from pipelines.read import pdfchars
    from pipelines.read.layout import _compose, _page_objects, _python_chars, _words

    if not pdfchars.available():
        pytest.skip("pdfchars.c not built")
    compared = joined = 0
    for name, number, page, textpage in _sample_pages():
        upright = _page_objects(page, pdfium_c)[1]
        chars = _python_chars(page, textpage, pdfium_c, upright)
        count = pdfium_c.FPDFText_CountChars(textpage.raw)
        fast = pdfchars.page_text(textpage.raw, count, page.get_height(), upright)
        if chars is None:
            assert fast is None, (name, number)
        else:
            reference = _compose([], _words(chars))
            assert fast == reference, (name, number)
            compared += 1
            joined += len(reference.splitlines()) < len({round(c[0]) for c in chars})
            # characters out of reading order: the C sorts merge many short runs
            shuffled = chars[:]
            random.Random(number).shuffle(shuffled)
            assert _c_layout(shuffled) == _compose([], _words(shuffled)), (name, number)
    assert compared > 40 and joined > 10


@pytest.mark.parametrize("odd", [float("inf"), float("-inf"), float("nan")])
def test_c_layout_leaves_boxes_that_are_not_finite_to_python(odd):
    """Python's round() fails on infinity and NaN orders nothing: such a page is laid out (or
    given up, the exception ending in None) exactly as the C words composed by Python were."""
    import ctypes

    from pipelines.read import pdfchars
    from pipelines.read.layout import _compose

    if not pdfchars.available():
        pytest.skip("pdfchars.c not built")
    for at in range(5):
        chars = _chars_of([(100, 50, "Skema"), (100, 110, ":"), (112, 130, "Muda")])
        chars[at] = (odd, *chars[at][1:])
        boxes = (ctypes.c_double * (4 * len(chars)))(*[v for c in chars for v in c[:4]])
        codes = (ctypes.c_uint32 * len(chars))(*[ord(c[4]) for c in chars])
        try:
            expected = _compose([], pdfchars.group_words(boxes, codes, len(chars)))
        except (OverflowError, ValueError) as exc:
            expected = type(exc)
        try:
            fast = _c_layout(chars)
        except (OverflowError, ValueError) as exc:
            fast = type(exc)
        assert fast == expected, at


@pytest.mark.parametrize("words", [
    # "Label : value" with the value wrapped under itself, twice, then a new label
    [(100, 50, "Skema"), (100, 110, ":"), (100, 130, "Teknisi"), (100, 175, "Jaringan"),
     (112, 130, "Muda"), (124, 130, "Lanjut"), (136, 50, "Nomor"), (136, 110, ":"), (136, 130, "012")],
    # a continuation that itself ends in ":" or holds " : " is a line of its own
    [(100, 50, "Nama"), (100, 130, "Budi"), (100, 160, "Santoso"), (112, 130, "Alamat:"),
     (124, 130, "Jl"), (124, 150, ":"), (124, 160, "Merdeka")],
    # two value columns, each wrapped; rounding of tops at .5 (half to even); words within 2.5 points
    [(100.5, 40, "A"), (100.5, 120, "Satu"), (100.5, 220, "Dua"), (101.5, 300, "x"), (111.0, 120, "lagi"),
     (111.0, 220, "juga"), (113.4, 60, "B"), (130.5, 40, "C"), (129.5, 90, "D"), (132.0, 20, "E")],
    # a line starting at the left margin is never a continuation; a gap of exactly 7 points
    [(100, 50, "Satu"), (100, 77, "dua"), (100, 99, "tiga"), (111, 50, "empat"), (122, 77, "lima")],
    # nothing but one word; a far line below
    [(100, 50, "Sendiri"), (400, 50, "Jauh")],
])
def test_c_layout_text_equals_pythons_on_continuations_colons_and_ties(words):
    from pipelines.read import pdfchars
    from pipelines.read.layout import _compose, _words

    if not pdfchars.available():
        pytest.skip("pdfchars.c not built")
    chars = _chars_of(words)
    assert _c_layout(chars) == _compose([], _words(chars))
    assert _c_layout([]) == _compose([], []) == ""
