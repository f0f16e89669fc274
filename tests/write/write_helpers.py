"""Helpers for tests/write (a module of its own: `conftest` is ambiguous across folders)."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import pytest  # noqa: E402

from pipelines.write.pdf import libreoffice_available  # noqa: E402

needs_soffice = pytest.mark.skipif(
    not libreoffice_available(),
    reason="LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")


def docx_lines(path) -> list[str]:
    """Text of every paragraph (tables and nested tables included), via python-docx."""
    from docx import Document
    from docx.oxml.ns import qn

    doc = Document(str(path))
    return ["".join(t.text or "" for t in p.iter(qn("w:t")))
            for p in doc.element.body.iter(qn("w:p"))]


def pdf_text(path) -> str:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    finally:
        doc.close()


def pdf_pages(path) -> int:
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(str(path))
    try:
        return len(doc)
    finally:
        doc.close()
