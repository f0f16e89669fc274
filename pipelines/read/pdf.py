"""PDF text with pypdfium2 (~3 ms a page), rebuilt from the layout where wrapped lines would cut
values (layout.py); pages without a text layer are OCRed.

Runs inside the bounded worker. Encrypted, corrupt and truncated files become findings.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from pipelines.findings import Finding
from pipelines.read import ocr
from pipelines.read.layout import LAYOUT_MAX_PAGES
from pipelines.read.limits import DEFAULT_LIMITS, ReadLimits

MIN_PAGE_CHARS = 25  # fewer characters than this on a page with content: treat it as a scan


@dataclass
class PdfText:
    pages: list[str] = field(default_factory=list)
    page_count: int = 0
    ocr_pages: list[int] = field(default_factory=list)   # 1-based
    findings: list[Finding] = field(default_factory=list)
    needs_manual_review: bool = False
    evidence: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n\f".join(self.pages)


def _garbled(text: str) -> bool:
    """A text layer of unmapped glyphs ("\ufffd", private-use, control chars) is not text."""
    if not text:
        return False
    return len(_UNREADABLE.findall(text)) > 0.3 * len(text)


_UNREADABLE = re.compile("[\x00-\x08\x0b\x0e-\x1f\ufffd\ue000-\uf8ff]")


def _has_image(page, pdfium_c) -> bool:
    """A page worth OCR: it carries at least one raster image (a scan), possibly in a form."""
    try:
        for _ in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            return True
    except Exception:
        return False
    return False


def _native_dpi(page) -> float:
    """The resolution of the largest raster image on the page, 0 when unknown."""
    import pypdfium2.raw as pdfium_c
    best = 0.0
    try:
        for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE], max_depth=3):
            px_w, _ = obj.get_px_size()
            left, _, right, _ = obj.get_bounds()
            width_in = (right - left) / 72.0
            if width_in > 1:
                best = max(best, px_w / width_in)
    except Exception:
        return 0.0
    return best


def _pdfminer_pages(data: bytes, limits: ReadLimits) -> list[str] | None:
    """Page texts by pdfminer (slower, more forgiving), or None when it cannot read any text."""
    try:
        from pdfminer.high_level import extract_text

        text = extract_text(io.BytesIO(data), maxpages=limits.max_pages)
    except Exception:
        return None
    pages = [p.replace("\r\n", "\n").replace("\r", "\n") for p in text.split("\f")]
    while pages and not pages[-1].strip():
        pages.pop()
    if not any(p.strip() for p in pages) or _garbled("".join(pages)):
        return None
    return [p[: limits.max_text_chars] for p in pages]


def truncated(data: bytes) -> bool:
    return b"%%EOF" not in data[-2048:]


def read_pdf(data: bytes, filename: str, limits: ReadLimits = DEFAULT_LIMITS,
             progress=lambda seconds: None) -> PdfText:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    out = PdfText()
    cut = truncated(data)
    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        msg = str(exc).lower()
        # pdfium is strict; pdfminer repairs many damaged files: ask it before calling the file broken
        rescued = None if "password" in msg else _pdfminer_pages(data, limits)
        if rescued is not None:
            out.pages, out.page_count = rescued, len(rescued)
            out.evidence.append("teks dibaca dengan pdfminer karena pdfium tidak dapat membuka berkas")
        if "password" in msg:
            out.findings.append(Finding.error(
                "PDF_TERENKRIPSI",
                f"Berkas {filename} dilindungi kata sandi sehingga tidak dapat dibaca; mohon kirim "
                f"ulang tanpa kata sandi.", where=filename))
        elif cut:  # surely incomplete, even when pdfminer read its first pages
            out.findings.append(Finding.error(
                "PDF_TERPOTONG",
                f"Berkas {filename} terpotong (tidak lengkap) dan tidak dapat dibuka; mohon kirim ulang.",
                where=filename))
        elif rescued is None:
            out.findings.append(Finding.error(
                "PDF_RUSAK", f"Berkas {filename} rusak dan tidak dapat dibuka sebagai PDF; mohon kirim ulang.",
                where=filename, error=str(exc)[:200]))
        return out
    try:
        out.page_count = len(doc)
        if cut:
            out.findings.append(Finding.warning(
                "PDF_TERPOTONG",
                f"Berkas {filename} tampaknya terpotong (akhir berkas tidak ditemukan); isi yang terbaca "
                f"mungkin tidak lengkap.", where=filename))
        if out.page_count == 0:
            out.findings.append(Finding.error(
                "PDF_RUSAK", f"Berkas {filename} tidak memiliki halaman yang dapat dibaca; mohon kirim ulang.",
                where=filename))
            return out
        if out.page_count > limits.max_pages:
            out.findings.append(Finding.info(
                "PDF_HALAMAN_DIBATASI",
                f"Berkas {filename} memiliki {out.page_count} halaman; hanya {limits.max_pages} halaman "
                f"pertama yang dibaca.", where=filename))
        chars = 0
        laid_out: dict[int, str | None] = {}   # page -> layout text from pdfium (None: unsure)
        for i in range(min(out.page_count, limits.max_pages)):
            try:
                page = doc[i]
            except pdfium.PdfiumError as exc:  # a damaged page tree: pdfminer may still read it
                rescued = _pdfminer_pages(data, limits)
                if rescued is None:
                    out.findings.append(Finding.error(
                        "PDF_RUSAK", f"Berkas {filename} rusak (halaman {i + 1} tidak dapat dibuka); "
                        f"mohon kirim ulang.", where=filename, error=str(exc)[:200]))
                    return out
                out.pages, out.ocr_pages = rescued, []
                out.evidence.append("teks dibaca dengan pdfminer karena pdfium tidak dapat membuka halaman")
                return out
            try:
                tp = page.get_textpage()
                try:
                    text = tp.get_text_bounded() or ""
                    text = text.replace("\r\n", "\n").replace("\r", "\n")
                    if _garbled(text):
                        text = ""
                    elif text.strip() and i < LAYOUT_MAX_PAGES:
                        laid_out[i] = _pdfium_layout(page, tp)
                finally:
                    tp.close()
                if len(text.strip()) < MIN_PAGE_CHARS and _has_image(page, pdfium_c):
                    text = _ocr_page(page, i + 1, filename, limits, progress, out) or text
                chars += len(text)
                if chars > limits.max_text_chars:
                    text = text[: max(0, limits.max_text_chars - (chars - len(text)))]
                out.pages.append(text)
            finally:
                page.close()
        if not any(p.strip() for p in out.pages) and not out.ocr_pages:
            # no text layer and no raster image: text drawn as vector outlines, or a blank file
            for i in range(min(len(out.pages), limits.max_ocr_pages)):
                page = doc[i]
                try:
                    if pdfium_c.FPDFPage_CountObjects(page.raw) > 0:
                        out.pages[i] = _ocr_page(page, i + 1, filename, limits, progress, out) or out.pages[i]
                finally:
                    page.close()
        _use_layout(data, out, laid_out)
        if not any(p.strip() for p in out.pages) and not out.findings:
            out.needs_manual_review = True
            out.findings.append(Finding.warning(
                "PDF_TANPA_TEKS",
                f"Berkas {filename} tidak memuat teks yang dapat dibaca; dokumen perlu diperiksa petugas.",
                where=filename))
        return out
    finally:
        doc.close()


def _pdfium_layout(page, textpage) -> str | None:
    from pipelines.read.layout import pdfium_page_text

    try:
        return pdfium_page_text(page, textpage)
    except Exception:
        return None


def _use_layout(data: bytes, out: PdfText, laid_out: dict[int, str | None]) -> None:
    """Replace each text-layer page by its layout text (wrapped cells and values joined), when the
    layout reader sees at least the same characters; OCRed pages keep their OCR text. The layout
    comes from pdfium where it was sure, else from pdfplumber (~30 times slower)."""
    from pipelines.read.layout import layout_pages

    todo = [i for i, t in enumerate(out.pages[:LAYOUT_MAX_PAGES]) if t.strip() and i + 1 not in out.ocr_pages]
    if not todo:
        return
    texts = {i: laid_out[i] for i in todo if laid_out.get(i) is not None}
    texts.update(layout_pages(data, [i for i in todo if i not in texts]))
    for i, text in texts.items():
        if _chars(text) >= 0.9 * _chars(out.pages[i]):
            out.pages[i] = text


_ASCII_SPACE = b"\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f "   # the ASCII characters str.split() cuts at


def _chars(text: str) -> int:
    """Characters other than white space (what str.split() keeps), counted without making a string
    a word in the usual, ASCII case (~1.6 us for 3,000 characters instead of ~15)."""
    if text.isascii():
        return len(text.encode("ascii").translate(None, _ASCII_SPACE))
    return sum(map(len, text.split()))


def _ocr_page(page, number: int, filename: str, limits: ReadLimits, progress, out: PdfText) -> str:
    where = f"{filename}, halaman {number}"
    if len(out.ocr_pages) >= limits.max_ocr_pages:
        if not any(f.code == "OCR_DIBATASI" for f in out.findings):
            out.findings.append(Finding.warning(
                "OCR_DIBATASI",
                f"Berkas {filename} memiliki lebih dari {limits.max_ocr_pages} halaman hasil pindaian; "
                f"halaman selebihnya tidak dibaca otomatis dan perlu diperiksa petugas.", where=filename))
        out.needs_manual_review = True
        return ""
    reason = ocr.available()
    if reason:
        out.needs_manual_review = True
        if not any(f.code == "OCR_TIDAK_TERSEDIA" for f in out.findings):
            out.findings.append(Finding.warning(
                "OCR_TIDAK_TERSEDIA",
                f"Halaman {number} berkas {filename} berupa gambar hasil pindaian, tetapi OCR tidak "
                f"tersedia ({reason}); dokumen perlu diperiksa petugas.", where=where))
        return ""
    out.ocr_pages.append(number)
    progress(limits.ocr_page_timeout_s)
    w, h = page.get_size()
    # Render at the scan's own resolution (no detail is gained above it), between 200 dpi, which
    # Tesseract needs for ordinary type, and the configured maximum.
    native = _native_dpi(page)
    dpi = min(limits.ocr_dpi, max(200, native)) if native else limits.ocr_dpi
    scale = dpi / 72.0
    if w * h * scale * scale > limits.max_render_pixels:
        scale = (limits.max_render_pixels / max(w * h, 1.0)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    img = bitmap.to_pil()
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    bitmap.close()
    res = ocr.ocr_png(buf.getvalue(), timeout=limits.ocr_page_timeout_s)
    if not res.confident:
        out.needs_manual_review = True
        detail = res.error or f"keyakinan rata-rata {res.confidence:.0f}%, {res.words} kata"
        out.findings.append(Finding.warning(
            "OCR_TIDAK_YAKIN",
            f"Halaman {number} berkas {filename} berupa hasil pindaian dan tidak terbaca dengan yakin "
            f"({detail}); dokumen perlu diperiksa petugas.", where=where,
            confidence=round(res.confidence, 1), words=res.words))
    else:
        out.evidence.append(f"halaman {number} dibaca dengan OCR (keyakinan {res.confidence:.0f}%)")
    return res.text


def image_text(data: bytes, filename: str, limits: ReadLimits = DEFAULT_LIMITS,
               progress=lambda seconds: None) -> PdfText:
    """An attached scan (JPEG/PNG/TIFF): OCR it like a scanned page."""
    from PIL import Image

    out = PdfText(page_count=1)
    reason = ocr.available()
    if reason:
        out.needs_manual_review = True
        out.findings.append(Finding.warning(
            "OCR_TIDAK_TERSEDIA", f"Berkas {filename} berupa gambar, tetapi OCR tidak tersedia ({reason}); "
            f"dokumen perlu diperiksa petugas.", where=filename))
        out.pages.append("")
        return out
    try:
        Image.MAX_IMAGE_PIXELS = limits.max_render_pixels
        img = Image.open(io.BytesIO(data))
        img.load()
        if img.width * img.height > limits.max_render_pixels:
            raise ValueError("too large")
        buf = io.BytesIO()
        img.convert("L").save(buf, format="PNG")
    except Exception as exc:
        out.findings.append(Finding.error(
            "GAMBAR_RUSAK", f"Berkas gambar {filename} rusak atau terlalu besar dan tidak dapat dibaca.",
            where=filename, error=type(exc).__name__))
        out.pages.append("")
        return out
    progress(limits.ocr_page_timeout_s)
    res = ocr.ocr_png(buf.getvalue(), timeout=limits.ocr_page_timeout_s)
    out.ocr_pages.append(1)
    out.pages.append(res.text)
    if not res.confident:
        out.needs_manual_review = True
        detail = res.error or f"keyakinan rata-rata {res.confidence:.0f}%, {res.words} kata"
        out.findings.append(Finding.warning(
            "OCR_TIDAK_YAKIN", f"Berkas gambar {filename} tidak terbaca dengan yakin ({detail}); "
            f"dokumen perlu diperiksa petugas.", where=filename,
            confidence=round(res.confidence, 1), words=res.words))
    return out


_WS = re.compile(r"[ \t]+")


def tidy(text: str) -> str:
    # one substitution over the text (runs of spaces and tabs never hold a line break), needed only
    # where a run is not a single space: laid-out pages have none, and the scan costs ~15 ns a character
    if "\t" in text or "  " in text:
        text = _WS.sub(" ", text)
    return "\n".join(map(str.strip, text.splitlines()))
