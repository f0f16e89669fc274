"""Builders of real test files: PDFs, Excel participant lists, and mails.

Everything here returns bytes a reader would meet in a real mailbox, built with the real
libraries (reportlab, openpyxl, Pillow, the `email` package), and everything is
deterministic: fixed dates, Message-IDs and MIME boundaries derived from the content,
seeded random names and NIKs, reportlab's invariant mode, fixed zip timestamps.

Import as `from tests.factories import ...` (tests/conftest.py puts the repo root on
sys.path). `samples/make_samples.py` builds the bundled sample mailbox from
`sample_mails()` below. Test-only: reportlab stays out of the runtime package.

Main entry points
    request_letter_pdf, assessment_minutes_pdf, certification_decision_pdf,
    signed_receipt_pdf, image_only_pdf, scan_pdf                       -> PDF bytes
    make_participants, participant_list_xlsx                            -> people, XLSX bytes
    request_mail, request_dossier, complete_request_mail,
    incomplete_request_mail, auto_reply_mail, bounce_mail, newsletter_mail -> RFC 5322 bytes
    sample_mails()                                                      -> the sample mailbox
"""
from __future__ import annotations

import email
import hashlib
import io
import mimetypes
import random
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage, Message
from email.utils import format_datetime, getaddresses
from typing import Iterable, Sequence

# --------------------------------------------------------------------------- constants

OFFICE_ADDRESS = "blanko@bnsp.example.go.id"
OFFICE_NAME = "Sekretariat BNSP - Layanan Blanko"
WIB = timezone(timedelta(hours=7), "WIB")
DEFAULT_DATE = date(2025, 3, 10)   # a Monday

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Document type keys, as in pipelines.documents (kept literal: no runtime import needed).
REQUEST_LETTER = "request_letter"
ASSESSMENT_MINUTES = "assessment_minutes"
CERTIFICATION_DECISION = "certification_decision"
PARTICIPANT_LIST = "participant_list"
DOCUMENT_TYPES = (REQUEST_LETTER, ASSESSMENT_MINUTES, CERTIFICATION_DECISION, PARTICIPANT_LIST)


@dataclass(frozen=True)
class Lsp:
    code: str
    name: str
    email: str
    short: str        # used in letter numbers and file names
    city: str
    address: str
    chair: str        # Ketua LSP, who signs


# The registered LSPs (code, name, email and address as in data/lsp_registry.yaml).
LSPS: dict[str, Lsp] = {
    "LSP-001": Lsp("LSP-001", "LSP Teknologi Digital Nusantara", "admin@lsp-tdn.example.id",
                   "LSP-TDN", "Bandung", "Jl. Gatot Subroto No. 12, Bandung 40262",
                   "Dr. Hendra Wijaya, M.Kom."),
    "LSP-002": Lsp("LSP-002", "LSP Pariwisata Bali Dwipa", "sertifikasi@lsp-pbd.example.id",
                   "LSP-PBD", "Denpasar", "Jl. Raya Puputan No. 88, Denpasar 80235",
                   "I Gusti Ngurah Putra Wirawan, S.ST.Par."),
    "LSP-003": Lsp("LSP-003", "LSP Konstruksi & Energi <Mandiri>", "lsp.kem@example.co.id",
                   "LSP-KEM", "Surabaya", 'Jl. Ahmad Yani No. 5 "Gedung C", Surabaya 60234',
                   "Ir. Bambang Sutrisno, M.T."),
}
UNKNOWN_LSP = Lsp("LSP-XXX", "LSP Maritim Sejahtera", "info@lsp-maritim.example.com",
                  "LSP-MS", "Makassar", "Jl. Penghibur No. 3, Makassar 90111",
                  "Capt. Andi Mappanyukki")

# Schemes each LSP certifies (used by the sample mailbox and as defaults).
LSP_SCHEMES: dict[str, list[str]] = {
    "LSP-001": ["Junior Web Developer", "Junior Network Administrator"],
    "LSP-002": ["Pemandu Wisata Umum", "Room Attendant"],
    "LSP-003": ["Ahli Muda Teknik Bangunan Gedung", "Teknisi Instalasi Panel Surya"],
    "LSP-XXX": ["Juru Mudi Kapal Penangkap Ikan"],
}


def get_lsp(lsp: str | Lsp) -> Lsp:
    return lsp if isinstance(lsp, Lsp) else LSPS[lsp]


# --------------------------------------------------------------------------- Indonesian words

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus",
          "September", "Oktober", "November", "Desember"]
DAYS = ["Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
_UNITS = ["", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan",
          "sepuluh", "sebelas"]


def terbilang(n: int) -> str:
    """Indonesian number words: 25 -> 'dua puluh lima', 1100 -> 'seribu seratus'."""
    if n < 0:
        return "minus " + terbilang(-n)
    if n == 0:
        return "nol"
    return _terbilang(n).strip()


def _terbilang(n: int) -> str:
    def tail(rest: int) -> str:
        return (" " + _terbilang(rest)) if rest else ""

    if n < 12:
        return _UNITS[n]
    if n < 20:
        return _terbilang(n - 10) + " belas"
    if n < 100:
        return _terbilang(n // 10) + " puluh" + tail(n % 10)
    if n < 200:
        return "seratus" + tail(n - 100)
    if n < 1000:
        return _terbilang(n // 100) + " ratus" + tail(n % 100)
    if n < 2000:
        return "seribu" + tail(n - 1000)
    if n < 1_000_000:
        return _terbilang(n // 1000) + " ribu" + tail(n % 1000)
    if n < 1_000_000_000:
        return _terbilang(n // 1_000_000) + " juta" + tail(n % 1_000_000)
    return _terbilang(n // 1_000_000_000) + " miliar" + tail(n % 1_000_000_000)


def tanggal(d: date | str) -> str:
    """'10 Maret 2025'."""
    d = as_date(d)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def as_date(d: date | datetime | str) -> date:
    if isinstance(d, datetime):
        return d.date()
    if isinstance(d, date):
        return d
    return date.fromisoformat(d)


def _stable_seed(*parts) -> int:
    return zlib.crc32(repr(parts).encode())


def _digest(*parts, n: int = 12) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p if isinstance(p, bytes) else repr(p).encode())
        h.update(b"\0")
    return h.hexdigest()[:n]


# --------------------------------------------------------------------------- PDF layout


class _PdfWriter:
    """A tiny top-to-bottom text layout on reportlab's canvas (deterministic output)."""

    def __init__(self, title: str = "", author: str = "", pagesize=None):
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        self.buf = io.BytesIO()
        self.pagesize = pagesize or A4
        self.c = canvas.Canvas(self.buf, pagesize=self.pagesize, invariant=1, pageCompression=1)
        self.c.setTitle(title)
        self.c.setAuthor(author)
        self.c.setCreator("Sertiflow test factories")
        self.width, self.height = self.pagesize
        self.margin = 56
        self.y = self.height - self.margin

    def _need(self, h: float) -> None:
        if self.y - h < self.margin:
            self.c.showPage()
            self.y = self.height - self.margin

    def text(self, s: str, size: float = 11, bold: bool = False, align: str = "left",
             indent: float = 0, leading: float | None = None, gap: float = 0) -> None:
        from reportlab.lib.utils import simpleSplit

        font = "Helvetica-Bold" if bold else "Helvetica"
        leading = leading or size * 1.35
        width = self.width - 2 * self.margin - indent
        lines = simpleSplit(s, font, size, width) if s else [""]
        for line in lines:
            self._need(leading)
            self.y -= leading
            self.c.setFont(font, size)
            if align == "center":
                self.c.drawCentredString(self.width / 2, self.y, line)
            elif align == "right":
                self.c.drawRightString(self.width - self.margin, self.y, line)
            else:
                self.c.drawString(self.margin + indent, self.y, line)
        self.y -= gap

    def pair(self, label: str, value: str, size: float = 11, label_width: float = 80,
             indent: float = 0) -> None:
        """'Nomor    : 012/...' with the colon aligned."""
        from reportlab.lib.utils import simpleSplit

        leading = size * 1.35
        x_val = self.margin + indent + label_width + 10
        lines = simpleSplit(value, "Helvetica", size, self.width - self.margin - x_val) or [""]
        for i, line in enumerate(lines):
            self._need(leading)
            self.y -= leading
            self.c.setFont("Helvetica", size)
            if i == 0:
                self.c.drawString(self.margin + indent, self.y, label)
                self.c.drawString(self.margin + indent + label_width, self.y, ":")
            self.c.drawString(x_val, self.y, line)

    def space(self, h: float = 8) -> None:
        self.y -= h

    def rule(self, thick: float = 1.5) -> None:
        self.space(4)
        self.c.setLineWidth(thick)
        self.c.line(self.margin, self.y, self.width - self.margin, self.y)
        self.space(6)

    def letterhead(self, name: str, address: str, contact: str = "") -> None:
        self.text(name.upper(), size=15, bold=True, align="center")
        self.text(address, size=9, align="center")
        if contact:
            self.text(contact, size=9, align="center")
        self.rule()

    def signature(self, place_date: str, role: str, name: str, x_frac: float = 0.55,
                  scribble: bool = True, seed: int = 0) -> None:
        self._need(110)
        x = self.margin + (self.width - 2 * self.margin) * x_frac
        lines = [place_date, role] if place_date else [role]
        for line in lines:
            self.y -= 15
            self.c.setFont("Helvetica", 11)
            self.c.drawString(x, self.y, line)
        if scribble:
            self._scribble(x + 10, self.y - 45, seed)
        self.y -= 60
        self.c.setFont("Helvetica-Bold", 11)
        self.c.drawString(x, self.y, name)
        self.y -= 6

    def _scribble(self, x: float, y: float, seed: int) -> None:
        rng = random.Random(seed)
        p = self.c.beginPath()
        p.moveTo(x, y)
        for i in range(6):
            p.curveTo(x + 10 * i + rng.uniform(0, 8), y + rng.uniform(10, 30),
                      x + 10 * i + rng.uniform(5, 15), y - rng.uniform(0, 15),
                      x + 10 * (i + 1), y + rng.uniform(-5, 10))
        self.c.setLineWidth(1.2)
        self.c.setStrokeColorRGB(0.1, 0.1, 0.5)
        self.c.drawPath(p, stroke=1, fill=0)
        self.c.setStrokeColorRGB(0, 0, 0)

    def stamp(self, text: str, x: float, y: float) -> None:
        """A round 'cap' (stamp) outline with text, as on signed letters."""
        self.c.saveState()
        self.c.setStrokeColorRGB(0.3, 0.3, 0.8)
        self.c.setFillColorRGB(0.3, 0.3, 0.8)
        self.c.circle(x, y, 32, stroke=1, fill=0)
        self.c.setFont("Helvetica", 6)
        self.c.drawCentredString(x, y - 2, text[:28])
        self.c.restoreState()

    def qr(self, value: str, size: float = 80) -> None:
        from reportlab.graphics import renderPDF
        from reportlab.graphics.barcode.qr import QrCodeWidget
        from reportlab.graphics.shapes import Drawing

        self._need(size + 10)
        w = QrCodeWidget(value)
        x0, y0, x1, y1 = w.getBounds()
        d = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
        d.add(w)
        renderPDF.draw(d, self.c, self.width - self.margin - size, self.y - size)

    def image(self, pil_image, x: float, y: float, w: float, h: float) -> None:
        from reportlab.lib.utils import ImageReader
        self.c.drawImage(ImageReader(pil_image), x, y, w, h)

    def bytes(self) -> bytes:
        self.c.showPage()
        self.c.save()
        return self.buf.getvalue()


def _scheme_counts(schemes, total: int | None = None) -> list[tuple[str, int | None]]:
    """Normalise schemes given as 'name', ['a', 'b'] or [('a', 10), ...]."""
    if schemes is None:
        return []
    if isinstance(schemes, str):
        schemes = [schemes]
    out = []
    for s in schemes:
        if isinstance(s, (tuple, list)):
            out.append((str(s[0]), int(s[1])))
        else:
            out.append((str(s), None))
    if total is not None and len(out) == 1 and out[0][1] is None:
        out[0] = (out[0][0], total)
    return out


# --------------------------------------------------------------------------- PDF documents


def request_letter_pdf(lsp_name: str, letter_number: str, letter_date: date | str, blanks: int,
                       blanks_words: bool = True, schemes: Sequence = ("Junior Web Developer",),
                       *, city: str = "Jakarta", address: str = "Jl. Merdeka No. 1, Jakarta",
                       signer: str = "Dr. Hendra Wijaya, M.Kom.", attachments_count: int = 3,
                       subject: str = "Permohonan Blanko Sertifikat") -> bytes:
    """Surat Permohonan Blanko Sertifikat Kompetensi.

    `schemes`: names, or (name, competent count) pairs listed in the letter body.
    `blanks_words`: write '25 (dua puluh lima) blanko' rather than '25 blanko'.
    """
    d = as_date(letter_date)
    pdf = _PdfWriter(title=f"Surat Permohonan Blanko {letter_number}", author=lsp_name)
    pdf.letterhead(lsp_name, address, f"Telp. (021) 555-0101 | Lisensi BNSP")
    pdf.text(f"{city}, {tanggal(d)}", align="right", gap=6)
    pdf.pair("Nomor", letter_number)
    pdf.pair("Lampiran", f"{attachments_count} ({terbilang(attachments_count)}) berkas")
    pdf.pair("Perihal", subject)
    pdf.space(12)
    pdf.text("Kepada Yth.")
    pdf.text("Ketua Badan Nasional Sertifikasi Profesi (BNSP)")
    pdf.text("u.p. Sekretariat BNSP - Bagian Sertifikasi")
    pdf.text("di Jakarta", gap=12)
    pdf.text("Dengan hormat,", gap=4)
    amount = f"{blanks} ({terbilang(blanks)})" if blanks_words else f"{blanks}"
    pdf.text(
        f"Sehubungan dengan telah dilaksanakannya uji kompetensi oleh {lsp_name}, bersama ini "
        f"kami mengajukan permohonan blanko sertifikat kompetensi sebanyak {amount} blanko "
        f"untuk peserta yang dinyatakan kompeten pada skema sertifikasi berikut:", gap=4)
    for i, (name, count) in enumerate(_scheme_counts(schemes, blanks), 1):
        line = f"{i}. Skema {name}"
        if count is not None:
            line += f": {count} ({terbilang(count)}) orang" if blanks_words else f": {count} orang"
        pdf.text(line, indent=18)
    pdf.space(4)
    pdf.text("Sebagai bahan pertimbangan, bersama ini kami lampirkan berita acara asesmen, "
             "keputusan sertifikasi, dan daftar peserta kompeten (K) dan belum kompeten (BK).",
             gap=4)
    pdf.text("Demikian surat permohonan ini kami sampaikan. Atas perhatian dan kerja sama "
             "Bapak/Ibu, kami ucapkan terima kasih.", gap=10)
    pdf.signature("Hormat kami,", f"Ketua {lsp_name}", signer, seed=_stable_seed(letter_number))
    return pdf.bytes()


def assessment_minutes_pdf(scheme: str, date_: date | str = DEFAULT_DATE, *,
                           lsp_name: str = "LSP Teknologi Digital Nusantara",
                           competent: int = 10, not_competent: int = 0,
                           place: str = "TUK Sewaktu Gedung Serbaguna, Jakarta",
                           assessors: Sequence[str] = ("Rina Marlina, S.Kom.", "Agus Salim, M.T."),
                           participants: Sequence["Participant"] | None = None,
                           number: str = "") -> bytes:
    """Berita Acara Asesmen for one scheme; lists the participants when given."""
    d = as_date(date_)
    if participants is not None:
        competent = sum(1 for p in participants if p.result == "K")
        not_competent = sum(1 for p in participants if p.result == "BK")
    pdf = _PdfWriter(title=f"Berita Acara Asesmen {scheme}", author=lsp_name)
    pdf.letterhead(lsp_name, "Tempat Uji Kompetensi (TUK)")
    pdf.text("BERITA ACARA ASESMEN", size=14, bold=True, align="center")
    pdf.text("UJI KOMPETENSI", size=12, bold=True, align="center")
    if number:
        pdf.text(f"Nomor: {number}", align="center")
    pdf.space(10)
    pdf.text(f"Pada hari ini {DAYS[d.weekday()]}, tanggal {tanggal(d)}, telah dilaksanakan "
             f"asesmen uji kompetensi dengan rincian sebagai berikut:", gap=6)
    pdf.pair("Skema Sertifikasi", scheme, label_width=130)
    pdf.pair("Tempat Uji (TUK)", place, label_width=130)
    pdf.pair("Tanggal Asesmen", tanggal(d), label_width=130)
    pdf.pair("Asesor Kompetensi", ", ".join(assessors), label_width=130)
    pdf.pair("Jumlah Asesi", f"{competent + not_competent} orang", label_width=130)
    pdf.pair("Kompeten (K)", f"{competent} orang", label_width=130)
    pdf.pair("Belum Kompeten (BK)", f"{not_competent} orang", label_width=130)
    if participants:
        pdf.space(8)
        pdf.text("Daftar asesi:", bold=True)
        for i, p in enumerate(participants, 1):
            pdf.text(f"{i}. {p.name} - NIK {p.nik} - {p.result}", size=10, indent=12)
    pdf.space(8)
    pdf.text("Demikian berita acara ini dibuat dengan sebenarnya untuk dipergunakan "
             "sebagaimana mestinya.", gap=8)
    pdf.signature(f"{tanggal(d)}", "Asesor Kompetensi", assessors[0],
                  seed=_stable_seed(scheme, d))
    return pdf.bytes()


def certification_decision_pdf(number: str, date_: date | str, schemes: str | Sequence,
                               competent_count: int, *,
                               lsp_name: str = "LSP Teknologi Digital Nusantara",
                               signer: str = "Dr. Hendra Wijaya, M.Kom.",
                               city: str = "Jakarta") -> bytes:
    """Keputusan Ketua LSP tentang Penetapan Hasil Sertifikasi Kompetensi."""
    d = as_date(date_)
    items = _scheme_counts(schemes, competent_count)
    pdf = _PdfWriter(title=f"Keputusan {number}", author=lsp_name)
    pdf.letterhead(lsp_name, "Keputusan Sertifikasi")
    pdf.text(f"KEPUTUSAN KETUA {lsp_name.upper()}", size=12, bold=True, align="center")
    pdf.text(f"NOMOR: {number}", size=12, bold=True, align="center")
    pdf.text("TENTANG", size=12, bold=True, align="center")
    pdf.text("PENETAPAN HASIL SERTIFIKASI KOMPETENSI", size=12, bold=True, align="center", gap=10)
    pdf.text(f"KETUA {lsp_name.upper()},", align="center", gap=6)
    pdf.pair("Menimbang", "bahwa berdasarkan hasil rapat pleno komite teknis dan rekomendasi "
             "asesor kompetensi, perlu menetapkan hasil sertifikasi kompetensi.", label_width=80)
    pdf.pair("Mengingat", "Peraturan Pemerintah Nomor 10 Tahun 2018 tentang Badan Nasional "
             "Sertifikasi Profesi; Pedoman BNSP tentang Persyaratan Umum LSP.", label_width=80)
    pdf.space(8)
    pdf.text("MEMUTUSKAN:", bold=True, align="center", gap=4)
    names = ", ".join(n for n, _ in items)
    pdf.pair("Menetapkan", f"KEPUTUSAN KETUA {lsp_name.upper()} TENTANG PENETAPAN HASIL "
             f"SERTIFIKASI KOMPETENSI SKEMA {names.upper()}.", label_width=80)
    pdf.pair("KESATU", f"Menetapkan peserta uji kompetensi sebanyak {competent_count} "
             f"({terbilang(competent_count)}) orang kompeten sebagaimana tercantum dalam "
             f"lampiran keputusan ini.", label_width=80)
    for i, (name, count) in enumerate(items, 1):
        if count is not None:
            pdf.text(f"{i}. Skema {name}: {count} orang kompeten", indent=98)
    pdf.pair("KEDUA", "Kepada peserta yang dinyatakan kompeten diberikan sertifikat kompetensi "
             "yang diterbitkan oleh BNSP.", label_width=80)
    pdf.pair("KETIGA", "Keputusan ini berlaku sejak tanggal ditetapkan.", label_width=80)
    pdf.space(8)
    pdf.signature(f"Ditetapkan di {city}, {tanggal(d)}", f"Ketua {lsp_name}", signer,
                  seed=_stable_seed(number))
    return pdf.bytes()


def signed_receipt_pdf(dossier_number: str, *, lsp_name: str = "LSP Teknologi Digital Nusantara",
                       blanks: int = 25, first_serial: int | None = None,
                       date_: date | str = DEFAULT_DATE, receiver: str = "Dr. Hendra Wijaya, M.Kom.",
                       qr: bool = True, scanned: bool = False, rotate: float = 0.0) -> bytes:
    """Tanda terima blanko, signed by BNSP and countersigned by the LSP.

    `qr`: a QR code holding the dossier number (as our printed receipts carry).
    `scanned`: return it as the LSP sends it back: a page image without a text layer.
    """
    d = as_date(date_)
    pdf = _PdfWriter(title=f"Tanda Terima {dossier_number}", author="BNSP")
    pdf.letterhead("Badan Nasional Sertifikasi Profesi", "Jl. M.T. Haryono Kav. 52, Jakarta Selatan")
    if qr:
        y = pdf.y
        pdf.qr(dossier_number, size=70)
        pdf.y = y
    pdf.text("TANDA TERIMA BLANKO SERTIFIKAT KOMPETENSI", size=13, bold=True, align="center", gap=8)
    pdf.pair("Nomor Berkas", dossier_number, label_width=110)
    pdf.pair("Diterima oleh", lsp_name, label_width=110)
    pdf.pair("Jumlah Blanko", f"{blanks} ({terbilang(blanks)}) lembar", label_width=110)
    if first_serial is not None:
        pdf.pair("Nomor Seri", f"{first_serial:07d} s.d. {first_serial + blanks - 1:07d}",
                 label_width=110)
    pdf.pair("Tanggal", tanggal(d), label_width=110)
    pdf.space(10)
    pdf.text("Blanko sertifikat tersebut di atas telah diterima dalam keadaan baik dan lengkap.",
             gap=10)
    y = pdf.y
    pdf.signature("Yang Menyerahkan,", "Pejabat Eselon IV BNSP", "Siti Rahmawati, S.E.",
                  x_frac=0.0, seed=_stable_seed("bnsp", dossier_number))
    pdf.y = y
    pdf.signature("Yang Menerima,", f"Ketua {lsp_name}", receiver, x_frac=0.55,
                  seed=_stable_seed("lsp", dossier_number))
    pdf.stamp(lsp_name, pdf.width - pdf.margin - 60, pdf.y + 50)
    data = pdf.bytes()
    return scan_pdf(data, rotate=rotate) if scanned else data


def _font(size: int):
    from PIL import ImageFont
    for path in ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
                 "/usr/share/fonts/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _images_pdf(images, dpi: int) -> bytes:
    """One page per PIL image, page size = image size at `dpi`; no text layer."""
    pdf = _PdfWriter(title="Pindaian", author="Pemindai")
    first = True
    for img in images:
        w, h = img.size[0] * 72 / dpi, img.size[1] * 72 / dpi
        if not first:
            pdf.c.showPage()
        pdf.c.setPageSize((w, h))
        pdf.image(img, 0, 0, w, h)
        first = False
    pdf.c.save()
    return pdf.buf.getvalue()


def image_only_pdf(text: str, *, dpi: int = 150, font_size: int = 30, rotate: float = 0.0,
                   noise: bool = False) -> bytes:
    """A 'scanned' A4 page: `text` rendered into a picture, no text layer (needs OCR)."""
    from PIL import Image, ImageDraw

    w, h = int(8.27 * dpi), int(11.69 * dpi)
    img = Image.new("L", (w, h), 255)
    draw = ImageDraw.Draw(img)
    font = _font(font_size)
    x, y = int(0.8 * dpi), int(0.8 * dpi)
    for para in text.split("\n"):
        words, line = para.split(" "), ""
        for word in words:
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) > w - 2 * x and line:
                draw.text((x, y), line, fill=0, font=font)
                y += int(font_size * 1.45)
                line = word
            else:
                line = trial
        draw.text((x, y), line, fill=0, font=font)
        y += int(font_size * 1.45)
    if noise:
        rng = random.Random(_stable_seed(text))
        px = img.load()
        for _ in range(w * h // 400):
            px[rng.randrange(w), rng.randrange(h)] = rng.randrange(0, 160)
    if rotate:
        img = img.rotate(rotate, resample=Image.BICUBIC, expand=False, fillcolor=255)
    return _images_pdf([img], dpi)


def scan_pdf(pdf_bytes: bytes, *, dpi: int = 150, rotate: float = 0.0) -> bytes:
    """Render each page of a PDF to a grey image and rebuild it without a text layer."""
    import pypdfium2 as pdfium
    from PIL import Image

    doc = pdfium.PdfDocument(pdf_bytes)
    images = []
    try:
        for page in doc:
            img = page.render(scale=dpi / 72).to_pil().convert("L")
            if rotate:
                img = img.rotate(rotate, resample=Image.BICUBIC, expand=False, fillcolor=255)
            images.append(img)
            page.close()
    finally:
        doc.close()
    return _images_pdf(images, dpi)


# --------------------------------------------------------------------------- participants

MALE_NAMES = ["Budi", "Agus", "Andi", "Rizky", "Dedi", "Eko", "Fajar", "Hendra", "Irfan", "Joko",
              "Made", "Wayan", "Ketut", "Putu", "Yusuf", "Bayu", "Dimas", "Galih", "Hasan", "Teguh",
              "Arif", "Bambang", "Ridwan", "Taufik", "Sutrisno", "Gede", "Nyoman", "Rahmat"]
FEMALE_NAMES = ["Siti", "Dewi", "Sri", "Rina", "Nurul", "Putri", "Ayu", "Intan", "Fitri", "Lestari",
                "Wulan", "Ni Luh", "Ni Made", "Kadek", "Ratna", "Indah", "Maya", "Nanda", "Yuni",
                "Anisa", "Citra", "Endah", "Kartika", "Rahmawati"]
FAMILY_NAMES = ["Saputra", "Wijaya", "Santoso", "Pratama", "Hidayat", "Nasution", "Siregar",
                "Simanjuntak", "Sembiring", "Kusuma", "Setiawan", "Gunawan", "Hakim", "Lubis",
                "Harahap", "Wibowo", "Purnomo", "Suryadi", "Aritonang", "Pangaribuan", "Sari",
                "Handayani", "Permata", "Susanti", "Maharani", "Astuti", "Anggraini", "Mahendra",
                "Adnyana", "Wirawan", "Tanjung", "Rangkuti", "Syahputra", "Firmansyah"]
FEMALE_FAMILY = {"Sari", "Handayani", "Permata", "Susanti", "Maharani", "Astuti", "Anggraini"}
PROVINCE_CODES = [11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
                  61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94]


@dataclass
class Participant:
    """One assessed person (asesi), as a participant list row."""
    name: str
    nik: str
    sex: str              # "L" or "P"
    birth_date: date
    scheme: str
    result: str           # "K" or "BK"
    assessment_date: date = DEFAULT_DATE
    birth_place: str = ""


def make_nik(birth_date: date, sex: str, rng: random.Random | None = None,
             province: int | None = None) -> str:
    """A valid 16-digit NIK: PP KK DD (DDMMYY, +40 on DD for women) SSSS."""
    rng = rng or random.Random(_stable_seed(birth_date, sex))
    prov = province or rng.choice(PROVINCE_CODES)
    day = birth_date.day + (40 if sex == "P" else 0)
    return (f"{prov:02d}{rng.randint(1, 79):02d}{rng.randint(1, 40):02d}"
            f"{day:02d}{birth_date.month:02d}{birth_date.year % 100:02d}{rng.randint(1, 9999):04d}")


def nik_info(nik: str) -> tuple[date, str]:
    """(birth date, sex) encoded in a NIK; the century is guessed (YY > 30 -> 19YY)."""
    if not re.fullmatch(r"\d{16}", nik):
        raise ValueError(f"not a 16-digit NIK: {nik!r}")
    dd, mm, yy = int(nik[6:8]), int(nik[8:10]), int(nik[10:12])
    sex = "P" if dd > 40 else "L"
    year = 1900 + yy if yy > 30 else 2000 + yy
    return date(year, mm, dd - 40 if dd > 40 else dd), sex


def nik_is_valid(nik: str, birth_date: date | None = None, sex: str | None = None) -> bool:
    try:
        born, s = nik_info(nik)
    except ValueError:
        return False
    if int(nik[:2]) not in PROVINCE_CODES:
        return False
    if birth_date is not None and born.replace(year=birth_date.year) != birth_date:
        return False
    if birth_date is not None and born.year % 100 != birth_date.year % 100:
        return False
    return sex is None or s == sex


def make_participants(n_k: int, n_bk: int = 0, scheme: str = "Junior Web Developer", *,
                      assessment_date: date | str = DEFAULT_DATE, seed: int | None = None,
                      shuffle: bool = True) -> list[Participant]:
    """n_k competent and n_bk not-yet-competent people with plausible names and valid NIKs."""
    rng = random.Random(_stable_seed(scheme, n_k, n_bk) if seed is None else seed)
    cities = ["Jakarta", "Bandung", "Surabaya", "Medan", "Denpasar", "Makassar", "Semarang",
              "Yogyakarta", "Palembang", "Pontianak", "Malang", "Padang"]
    people, names, niks = [], set(), set()
    results = ["K"] * n_k + ["BK"] * n_bk
    if shuffle:
        rng.shuffle(results)
    for result in results:
        while True:
            sex = rng.choice("LP")
            first = rng.choice(MALE_NAMES if sex == "L" else FEMALE_NAMES)
            family = rng.choice([f for f in FAMILY_NAMES if (f in FEMALE_FAMILY) == (sex == "P")]
                                or FAMILY_NAMES)
            parts = [first, family] if rng.random() < 0.8 else [first]
            if rng.random() < 0.15:
                parts.insert(1, rng.choice(MALE_NAMES if sex == "L" else FEMALE_NAMES))
            name = " ".join(dict.fromkeys(parts))
            if name not in names:
                break
        names.add(name)
        born = date(1975, 1, 1) + timedelta(days=rng.randrange(0, 365 * 29))
        nik = make_nik(born, sex, rng)
        while nik in niks:
            nik = make_nik(born, sex, rng)
        niks.add(nik)
        people.append(Participant(name, nik, sex, born, scheme, result,
                                  as_date(assessment_date), rng.choice(cities)))
    return people


# --------------------------------------------------------------------------- Excel


def participant_list_xlsx(rows: Iterable[Participant | dict], title_rows: int = 2,
                          merged_header: bool = True, nik_as_number: bool = False,
                          one_sheet_per_scheme: bool = False, *, lsp_name: str = "",
                          with_birth: bool = False, sheet_title: str = "Daftar Peserta",
                          header: Sequence[str] | None = None) -> bytes:
    """A participant list (daftar peserta K/BK) shaped like BNSP's template.

    Layout per sheet: `title_rows` merged title lines, a blank row when there are titles,
    then the header: with `merged_header` two rows ('No', 'Skema Sertifikasi' merged
    vertically; 'Data Asesi' over 'Nama Lengkap | NIK'; 'Hasil Asesmen' over
    'Rekomendasi (K/BK) | Tanggal Asesmen'), otherwise one row
    'No | Nama Lengkap | NIK | Skema Sertifikasi | Rekomendasi (K/BK) | Tanggal Asesmen'.
    `with_birth` adds 'Tanggal Lahir' and 'Jenis Kelamin (L/P)' after NIK.
    `nik_as_number` stores NIKs as Excel would after typing them into a General cell:
    a float whose 16th digit became 0 (Excel keeps 15 significant digits).
    `header`: replace the (lower) header labels, same length as the columns.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    people = [_as_participant(r) for r in rows]
    wb = Workbook()
    wb.remove(wb.active)
    groups: list[tuple[str, list[Participant]]]
    if one_sheet_per_scheme:
        by: dict[str, list[Participant]] = {}
        for p in people:
            by.setdefault(p.scheme, []).append(p)
        groups = [(_sheet_name(s), ps) for s, ps in by.items()] or [(sheet_title, [])]
    else:
        groups = [(sheet_title, people)]

    cols = ["No", "Nama Lengkap", "NIK"]
    if with_birth:
        cols += ["Tanggal Lahir", "Jenis Kelamin (L/P)"]
    cols += ["Skema Sertifikasi", "Rekomendasi (K/BK)", "Tanggal Asesmen"]
    labels = list(header) if header else cols
    if len(labels) != len(cols):
        raise ValueError(f"header needs {len(cols)} labels: {cols}")
    thin = Side(style="thin")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="D9E1F2")
    center = Alignment(horizontal="center", vertical="center", wrap_text=True)

    for sheet_name, group in groups:
        ws = wb.create_sheet(sheet_name)
        ncol = len(cols)
        schemes = sorted({p.scheme for p in group})
        titles = ["DAFTAR PESERTA UJI KOMPETENSI KOMPETEN (K) DAN BELUM KOMPETEN (BK)",
                  lsp_name or "Lembaga Sertifikasi Profesi",
                  "Skema: " + ", ".join(schemes),
                  "Periode: " + (f"{MONTHS[group[0].assessment_date.month - 1]} "
                                 f"{group[0].assessment_date.year}" if group else "-")]
        r = 1
        for i in range(title_rows):
            ws.cell(r, 1, titles[i] if i < len(titles) else "")
            ws.cell(r, 1).font = Font(bold=True, size=12 if i == 0 else 11)
            ws.cell(r, 1).alignment = Alignment(horizontal="center")
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=ncol)
            r += 1
        if title_rows:
            r += 1  # blank row
        if merged_header:
            top = r
            groups_top = {"Nama Lengkap": "Data Asesi", "Rekomendasi (K/BK)": "Hasil Asesmen"}
            c = 1
            while c <= ncol:
                name = cols[c - 1]
                if name in groups_top:
                    span = 4 if (name == "Nama Lengkap" and with_birth) else 2
                    ws.cell(top, c, groups_top[name])
                    ws.merge_cells(start_row=top, start_column=c, end_row=top, end_column=c + span - 1)
                    for k in range(span):
                        ws.cell(top + 1, c + k, labels[c - 1 + k])
                    c += span
                else:
                    ws.cell(top, c, labels[c - 1])
                    ws.merge_cells(start_row=top, start_column=c, end_row=top + 1, end_column=c)
                    c += 1
            header_rows = [top, top + 1]
            r = top + 2
        else:
            for c, label in enumerate(labels, 1):
                ws.cell(r, c, label)
            header_rows = [r]
            r += 1
        for hr in header_rows:
            for c in range(1, ncol + 1):
                cell = ws.cell(hr, c)
                cell.font, cell.fill, cell.alignment, cell.border = bold, fill, center, box
        for i, p in enumerate(group, 1):
            values = [i, p.name, _nik_cell(p.nik, nik_as_number)]
            if with_birth:
                values += [datetime.combine(p.birth_date, datetime.min.time()), p.sex]
            values += [p.scheme, p.result, datetime.combine(p.assessment_date, datetime.min.time())]
            for c, v in enumerate(values, 1):
                cell = ws.cell(r, c, v)
                cell.border = box
                if isinstance(v, datetime):
                    cell.number_format = "DD/MM/YYYY"
                if c == 3 and not nik_as_number:
                    cell.number_format = "@"
            r += 1
        widths = {"No": 5, "Nama Lengkap": 32, "NIK": 20, "Tanggal Lahir": 13,
                  "Jenis Kelamin (L/P)": 10, "Skema Sertifikasi": 34, "Rekomendasi (K/BK)": 14,
                  "Tanggal Asesmen": 14}
        for c, name in enumerate(cols, 1):
            ws.column_dimensions[get_column_letter(c)].width = widths[name]
        ws.freeze_panes = ws.cell(header_rows[-1] + 1, 1)
    fixed = datetime(2025, 3, 10, 9, 0, 0)
    wb.properties.creator = lsp_name or "LSP"
    wb.properties.created = fixed
    buf = io.BytesIO()
    wb.save(buf)
    return _normalise_zip(buf.getvalue())


def _nik_cell(nik: str, as_number: bool):
    if not as_number:
        return nik
    # Excel keeps 15 significant digits of a typed-in number: the 16th becomes 0.
    return float(int(nik[:15] + "0" * (len(nik) - 15))) if len(nik) > 15 else float(int(nik))


def _sheet_name(s: str) -> str:
    return re.sub(r"[\[\]:*?/\\]", " ", s)[:31].strip() or "Sheet"


def _as_participant(r: Participant | dict) -> Participant:
    if isinstance(r, Participant):
        return r
    d = dict(r)
    return Participant(
        name=d["name"], nik=str(d["nik"]), sex=d.get("sex", ""),
        birth_date=as_date(d["birth_date"]) if d.get("birth_date") else date(1990, 1, 1),
        scheme=d.get("scheme", ""), result=d.get("result", "K"),
        assessment_date=as_date(d.get("assessment_date", DEFAULT_DATE)),
        birth_place=d.get("birth_place", ""))


def _normalise_zip(data: bytes) -> bytes:
    """Rewrite an OOXML zip with fixed timestamps so equal content gives equal bytes."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2025-03-10T02:00:00Z", body)
                body = re.sub(rb"(<dcterms:created[^>]*>)[^<]*", rb"\g<1>2025-03-10T02:00:00Z", body)
            zi = zipfile.ZipInfo(info.filename, date_time=(2025, 3, 10, 9, 0, 0))
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = info.external_attr
            dst.writestr(zi, body)
    return out.getvalue()


# --------------------------------------------------------------------------- mail

Addr = str | tuple[str, str] | Lsp


def _address(a: Addr) -> Address:
    if isinstance(a, Lsp):
        return Address(a.name, addr_spec=a.email)
    if isinstance(a, tuple):
        return Address(a[0], addr_spec=a[1])
    if "<" in a:
        name, _, spec = a.rpartition("<")
        return Address(name.strip().strip('"'), addr_spec=spec.rstrip(">").strip())
    return Address(addr_spec=a.strip())


def _addresses(a: Addr | Sequence[Addr]) -> list[Address]:
    if isinstance(a, (str, tuple, Lsp)):
        return [_address(a)]
    return [_address(x) for x in a]


def mail_date(d: date | datetime | str | None = None, hour: int = 9, minute: int = 0) -> str:
    """RFC 5322 date in WIB; a date becomes that day at hour:minute."""
    if d is None:
        d = DEFAULT_DATE
    if isinstance(d, str):
        d = datetime.fromisoformat(d) if "T" in d or " " in d else date.fromisoformat(d)
    if not isinstance(d, datetime):
        d = datetime(d.year, d.month, d.day, hour, minute, tzinfo=WIB)
    elif d.tzinfo is None:
        d = d.replace(tzinfo=WIB)
    return format_datetime(d)


def request_mail(from_addr: Addr, to_addr: Addr | Sequence[Addr], subject: str, body: str,
                 attachments: Sequence[tuple[str, bytes, str]] = (), message_id: str | None = None,
                 in_reply_to: str | None = None, references: str | Sequence[str] | None = None,
                 headers: dict[str, str] | None = None, *, date: date | datetime | str | None = None,
                 html: str | None = None, cc: Addr | Sequence[Addr] | None = None) -> bytes:
    """A mail as an MUA sends it: text (and optional HTML) body plus attachments.

    `attachments`: (filename, bytes, mimetype); mimetype '' guesses from the name;
    'message/rfc822' attaches the bytes as a forwarded mail.
    Message-ID defaults to one derived from the content (same input -> same id).
    """
    msg = EmailMessage(policy=policy.default)
    sender = _address(from_addr)
    msg["From"] = sender
    msg["To"] = _addresses(to_addr)
    if cc:
        msg["Cc"] = _addresses(cc)
    msg["Subject"] = subject
    msg["Date"] = mail_date(date)
    domain = sender.domain or "example.id"
    if message_id is None:
        message_id = "<" + _digest(str(from_addr), str(to_addr), subject, body,
                                   [(n, hashlib.sha256(b).hexdigest()) for n, b, *_ in attachments],
                                   in_reply_to, str(date)) + f"@{domain}>"
    msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references is None and in_reply_to:
        references = [in_reply_to]
    if references:
        msg["References"] = references if isinstance(references, str) else " ".join(references)
    msg["MIME-Version"] = "1.0"
    msg["User-Agent"] = "Mozilla Thunderbird"
    for k, v in (headers or {}).items():
        if k in msg:
            del msg[k]
        msg[k] = v
    msg.set_content(body)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    for item in attachments:
        filename, data, mimetype = (list(item) + [""])[:3]
        mimetype = mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        if mimetype == "message/rfc822":
            inner = email.message_from_bytes(data, policy=policy.default)
            msg.add_attachment(inner, filename=filename)
        else:
            maintype, _, subtype = mimetype.partition("/")
            if maintype == "text":
                msg.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
            else:
                msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return _finish(msg)


def _finish(msg: Message) -> bytes:
    """Fixed MIME boundaries (derived from the content); CRLF line ends as on the wire."""
    seed = msg.get("Message-ID", "") + msg.get("Subject", "")
    for i, part in enumerate(msg.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"=_sf_{_digest(seed, i, n=16)}_{i}")
    return msg.as_bytes(policy=msg.policy.clone(linesep="\r\n"))


# --------------------------------------------------------------------------- request dossiers


@dataclass
class Dossier:
    """What an LSP sends for one blank request, and what a correct reader should find."""
    lsp: Lsp
    letter_number: str
    letter_date: date
    blanks_requested: int                      # what the letter asks for
    participants: list[Participant]
    decision_number: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)   # document type of each attachment
    missing: tuple[str, ...] = ()

    @property
    def competent_count(self) -> int:
        return sum(1 for p in self.participants if p.result == "K")

    def counts_by_scheme(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for p in self.participants:
            out.setdefault(p.scheme, {"K": 0, "BK": 0})[p.result] += 1
        return out

    def files(self, kind: str) -> list[tuple[str, bytes, str]]:
        return [a for a, k in zip(self.attachments, self.kinds) if k == kind]


_FILE_STYLES = {
    "LSP-001": {REQUEST_LETTER: "Surat Permohonan Blanko {short}.pdf",
                ASSESSMENT_MINUTES: "Berita Acara Asesmen - {scheme}.pdf",
                CERTIFICATION_DECISION: "SK Penetapan Hasil Sertifikasi.pdf",
                PARTICIPANT_LIST: "Daftar Peserta K-BK.xlsx"},
    "LSP-002": {REQUEST_LETTER: "surat_permohonan_blanko.pdf",
                ASSESSMENT_MINUTES: "BA_asesmen_{scheme_slug}.pdf",
                CERTIFICATION_DECISION: "keputusan_sertifikasi.pdf",
                PARTICIPANT_LIST: "daftar_peserta_{scheme_slug}.xlsx"},
}
_DEFAULT_STYLE = {REQUEST_LETTER: "01. Surat Permohonan ({short}).pdf",
                  ASSESSMENT_MINUTES: "02. Berita Acara Asesmen ({scheme}).pdf",
                  CERTIFICATION_DECISION: "03. Keputusan Sertifikasi ({short}).pdf",
                  PARTICIPANT_LIST: "04. Daftar Peserta K & BK ({short}).xlsx"}


def _filename(lsp: Lsp, kind: str, scheme: str = "") -> str:
    style = _FILE_STYLES.get(lsp.code, _DEFAULT_STYLE)[kind]
    slug = re.sub(r"[^a-z0-9]+", "_", scheme.lower()).strip("_")
    return style.format(short=lsp.short, scheme=scheme, scheme_slug=slug)


def request_dossier(lsp: str | Lsp = "LSP-001", *, schemes: Sequence | None = None,
                    n_k: int | Sequence[int] = 10, n_bk: int | Sequence[int] = 2,
                    letter_number: str | None = None, letter_date: date | str = DEFAULT_DATE,
                    letter_blanks: int | None = None, blanks_words: bool = True,
                    missing: Sequence[str] = (), decision_competent: int | None = None,
                    nik_as_number: bool = False, one_sheet_per_scheme: bool | None = None,
                    merged_header: bool = True, title_rows: int = 2, with_birth: bool = False,
                    seed: int | None = None) -> Dossier:
    """The four documents of a blank request (surat, berita acara per scheme, keputusan, daftar).

    `n_k`/`n_bk`: per scheme (a list) or the same for each scheme.
    `letter_blanks`: what the letter asks for (default: the competent count) - set it to
    make the letter disagree with the list. `decision_competent` likewise for the decision.
    `missing`: document types to leave out (REQUEST_LETTER, ASSESSMENT_MINUTES, ...).
    """
    lsp = get_lsp(lsp)
    schemes = list(schemes or LSP_SCHEMES.get(lsp.code, ["Junior Web Developer"])[:1])
    n_ks = list(n_k) if not isinstance(n_k, int) else [n_k] * len(schemes)
    n_bks = list(n_bk) if not isinstance(n_bk, int) else [n_bk] * len(schemes)
    d = as_date(letter_date)
    assess_date = d - timedelta(days=3)
    base_seed = _stable_seed(lsp.code, letter_number, d) if seed is None else seed
    people: list[Participant] = []
    for i, (s, k, bk) in enumerate(zip(schemes, n_ks, n_bks)):
        people += make_participants(k, bk, s, assessment_date=assess_date, seed=base_seed + i)
    competent = sum(1 for p in people if p.result == "K")
    seq = base_seed % 900 + 100
    letter_number = letter_number or f"{seq:03d}/{lsp.short}/BNSP/{ROMAN[d.month - 1]}/{d.year}"
    decision_number = f"KEP.{seq:03d}/{lsp.short}/SK/{ROMAN[d.month - 1]}/{d.year}"
    blanks = competent if letter_blanks is None else letter_blanks
    per_scheme = [(s, sum(1 for p in people if p.scheme == s and p.result == "K")) for s in schemes]
    if letter_blanks is not None and len(schemes) == 1:
        letter_schemes = [(schemes[0], letter_blanks)]
    else:
        letter_schemes = per_scheme
    dossier = Dossier(lsp, letter_number, d, blanks, people, decision_number,
                      missing=tuple(missing))
    if one_sheet_per_scheme is None:
        one_sheet_per_scheme = len(schemes) > 1

    def add(kind: str, name: str, data: bytes, mime: str) -> None:
        if kind not in missing:
            dossier.attachments.append((name, data, mime))
            dossier.kinds.append(kind)

    add(REQUEST_LETTER, _filename(lsp, REQUEST_LETTER),
        request_letter_pdf(lsp.name, letter_number, d, blanks, blanks_words, letter_schemes,
                           city=lsp.city, address=lsp.address, signer=lsp.chair), PDF)
    for s in schemes:
        group = [p for p in people if p.scheme == s]
        add(ASSESSMENT_MINUTES, _filename(lsp, ASSESSMENT_MINUTES, s),
            assessment_minutes_pdf(s, assess_date, lsp_name=lsp.name, participants=group,
                                   place=f"TUK {lsp.short} {lsp.city}"), PDF)
    add(CERTIFICATION_DECISION, _filename(lsp, CERTIFICATION_DECISION),
        certification_decision_pdf(decision_number, d - timedelta(days=1), per_scheme,
                                   competent if decision_competent is None else decision_competent,
                                   lsp_name=lsp.name, signer=lsp.chair, city=lsp.city), PDF)
    add(PARTICIPANT_LIST, _filename(lsp, PARTICIPANT_LIST, schemes[0]),
        participant_list_xlsx(people, title_rows=title_rows, merged_header=merged_header,
                              nik_as_number=nik_as_number, one_sheet_per_scheme=one_sheet_per_scheme,
                              lsp_name=lsp.name, with_birth=with_birth), XLSX)
    return dossier


_DOC_WORDS = {REQUEST_LETTER: "surat permohonan blanko",
              ASSESSMENT_MINUTES: "berita acara asesmen",
              CERTIFICATION_DECISION: "keputusan sertifikasi",
              PARTICIPANT_LIST: "daftar peserta kompeten (K) dan belum kompeten (BK)"}


def dossier_mail(dossier: Dossier, *, to_addr: Addr = OFFICE_ADDRESS, subject: str | None = None,
                 message_id: str | None = None, in_reply_to: str | None = None,
                 references=None, date: date | datetime | str | None = None,
                 headers: dict[str, str] | None = None, html: bool = False) -> bytes:
    lsp = dossier.lsp
    present = [k for k in DOCUMENT_TYPES if k in dossier.kinds]
    subject = subject or f"Permohonan Blanko Sertifikat - {lsp.name} - {dossier.letter_number}"
    listing = "\n".join(f"{i}. {_DOC_WORDS[k].capitalize()}" for i, k in enumerate(present, 1))
    body = (f"Yth. Sekretariat BNSP,\n\n"
            f"Bersama ini kami sampaikan permohonan blanko sertifikat kompetensi sebanyak "
            f"{dossier.blanks_requested} blanko dengan surat nomor {dossier.letter_number}.\n"
            f"Terlampir:\n{listing}\n\n"
            f"Atas perhatian Bapak/Ibu kami ucapkan terima kasih.\n\n"
            f"Salam,\nAdmin {lsp.name}\n{lsp.address}\n")
    html_body = None
    if html:
        from html import escape
        html_body = ("<html><body><p>Yth. Sekretariat BNSP,</p>"
                     f"<p>Bersama ini kami sampaikan permohonan blanko sertifikat kompetensi "
                     f"sebanyak <b>{dossier.blanks_requested}</b> blanko dengan surat nomor "
                     f"{escape(dossier.letter_number)}.</p><ol>"
                     + "".join(f"<li>{escape(_DOC_WORDS[k].capitalize())}</li>" for k in present)
                     + f"</ol><p>Salam,<br>Admin {escape(lsp.name)}</p></body></html>")
    return request_mail(lsp, to_addr, subject, body, dossier.attachments, message_id=message_id,
                        in_reply_to=in_reply_to, references=references, headers=headers,
                        date=date or dossier.letter_date, html=html_body)


def complete_request_mail(lsp: str | Lsp = "LSP-001", *, to_addr: Addr = OFFICE_ADDRESS,
                          subject: str | None = None, message_id: str | None = None,
                          date: date | datetime | str | None = None, html: bool = False,
                          **dossier_kw) -> bytes:
    """A mail with all four documents; `dossier_kw` go to `request_dossier`."""
    return dossier_mail(request_dossier(lsp, **dossier_kw), to_addr=to_addr, subject=subject,
                        message_id=message_id, date=date, html=html)


def incomplete_request_mail(lsp: str | Lsp = "LSP-001", missing: Sequence[str] | str =
                            (CERTIFICATION_DECISION,), **kw) -> bytes:
    """Like `complete_request_mail` without the `missing` document types."""
    if isinstance(missing, str):
        missing = (missing,)
    return complete_request_mail(lsp, missing=tuple(missing), **kw)


def auto_reply_mail(from_addr: Addr, to_addr: Addr = OFFICE_ADDRESS, *,
                    in_reply_to: str | None = None, original_subject: str = "Permohonan Blanko",
                    message_id: str | None = None, date: date | datetime | str | None = None,
                    until: date = date(2025, 3, 17)) -> bytes:
    """An out-of-office reply (Auto-Submitted: auto-replied), as Outlook/Gmail send them."""
    body = (f"Terima kasih atas email Anda.\n\n"
            f"Saya sedang cuti dan tidak berada di kantor hingga {tanggal(until)}. Email Anda "
            f"akan saya tanggapi setelah saya kembali. Untuk keperluan mendesak, silakan "
            f"hubungi kantor kami.\n\nSalam\n")
    return request_mail(from_addr, to_addr, f"Balasan Otomatis: {original_subject}", body,
                        message_id=message_id, in_reply_to=in_reply_to, date=date,
                        headers={"Auto-Submitted": "auto-replied", "X-Autoreply": "yes",
                                 "Precedence": "auto_reply",
                                 "X-Auto-Response-Suppress": "All"})


def bounce_mail(original: bytes, *, recipient: str | None = None, status: str = "5.1.1",
                diagnostic: str | None = None, reporting_mta: str = "mx.bnsp.example.go.id",
                to_addr: str | None = None, message_id: str | None = None,
                date: date | datetime | str | None = None, headers_only: bool = False) -> bytes:
    """A delivery-status notification (multipart/report; report-type=delivery-status).

    `recipient` defaults to the original To, `to_addr` to its From (the bounce goes back).
    """
    from email.mime.base import MIMEBase
    from email.mime.message import MIMEMessage
    from email.mime.multipart import MIMEMultipart
    from email.mime.text import MIMEText

    orig = email.message_from_bytes(original, policy=policy.compat32)
    recipient = recipient or getaddresses([orig.get("To", "")])[0][1]
    to_addr = to_addr or getaddresses([orig.get("From", "")])[0][1]
    diagnostic = diagnostic or f"550 {status} <{recipient}>: Recipient address rejected: User unknown"
    when = mail_date(date, minute=5)
    msg = MIMEMultipart("report", report_type="delivery-status")
    msg["From"] = f"Mail Delivery System <MAILER-DAEMON@{reporting_mta}>"
    msg["To"] = to_addr
    msg["Subject"] = "Undelivered Mail Returned to Sender"
    msg["Date"] = when
    msg["Message-ID"] = message_id or f"<{_digest(original, status, recipient)}@{reporting_mta}>"
    msg["Auto-Submitted"] = "auto-replied"
    msg.attach(MIMEText(
        "This is the mail system at host " + reporting_mta + ".\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients.\n\n"
        f"<{recipient}>: host {recipient.split('@')[-1]} said: {diagnostic}\n", "plain", "us-ascii"))
    ds = MIMEBase("message", "delivery-status")
    per_msg, per_rcpt = Message(), Message()
    per_msg["Reporting-MTA"] = f"dns; {reporting_mta}"
    per_msg["Arrival-Date"] = when
    per_rcpt["Final-Recipient"] = f"rfc822; {recipient}"
    per_rcpt["Original-Recipient"] = f"rfc822;{recipient}"
    per_rcpt["Action"] = "failed"
    per_rcpt["Status"] = status
    per_rcpt["Remote-MTA"] = f"dns; mx.{recipient.split('@')[-1]}"
    per_rcpt["Diagnostic-Code"] = f"smtp; {diagnostic}"
    ds.set_payload([per_msg, per_rcpt])
    msg.attach(ds)
    if headers_only:
        head = original.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
        part = MIMEBase("text", "rfc822-headers")
        part.set_payload(head.decode("utf-8", "replace"))
        msg.attach(part)
    else:
        msg.attach(MIMEMessage(orig))
    return _finish(msg)


def newsletter_mail(*, to_addr: Addr = OFFICE_ADDRESS, date: date | datetime | str | None = None,
                    message_id: str | None = None) -> bytes:
    """A bulk newsletter with List-Unsubscribe: mail nobody has to act on."""
    sender = ("Buletin Sertifikasi Indonesia", "buletin@news.sertifikasi-indonesia.example.com")
    subject = "Buletin Sertifikasi Edisi Maret 2025: Tren Skema Digital & Webinar Gratis"
    text = ("Buletin Sertifikasi Indonesia - Edisi Maret 2025\n\n"
            "1. Tren skema sertifikasi digital tahun 2025\n"
            "2. Webinar gratis: Menyiapkan asesor yang kompeten, 20 Maret 2025\n"
            "3. Tips mengelola TUK sewaktu\n\n"
            "Berhenti berlangganan: https://news.sertifikasi-indonesia.example.com/unsub\n")
    html = ("<html><body><h1>Buletin Sertifikasi Indonesia</h1><p>Edisi Maret 2025</p><ul>"
            "<li>Tren skema sertifikasi digital tahun 2025</li>"
            "<li>Webinar gratis: Menyiapkan asesor yang kompeten</li>"
            "<li>Tips mengelola TUK sewaktu</li></ul>"
            "<p><a href='https://news.sertifikasi-indonesia.example.com/unsub'>Berhenti "
            "berlangganan</a></p></body></html>")
    return request_mail(sender, to_addr, subject, text, html=html, message_id=message_id,
                        date=date, headers={
                            "List-Unsubscribe": "<https://news.sertifikasi-indonesia.example.com/unsub>",
                            "List-Id": "Buletin Sertifikasi <buletin.sertifikasi-indonesia.example.com>",
                            "Precedence": "bulk", "User-Agent": "Mailer 2.1"})


# --------------------------------------------------------------------------- sample mailbox


@dataclass
class SampleMail:
    key: str           # stable short name, also part of the Maildir file name
    kind: str          # complete | incomplete | auto_reply | unknown_sender | newsletter
    description: str   # what a correct pipeline should conclude (English, for developers)
    raw: bytes
    lsp_code: str = ""
    expected: dict = field(default_factory=dict)


def sample_mails() -> list[SampleMail]:
    """The bundled sample mailbox (samples/maildir), rebuilt from code."""
    out: list[SampleMail] = []

    def add(key, kind, description, raw, lsp_code="", **expected):
        out.append(SampleMail(key, kind, description, raw, lsp_code, expected))

    d1 = request_dossier("LSP-001", schemes=LSP_SCHEMES["LSP-001"], n_k=[15, 10], n_bk=[2, 1],
                         letter_number="012/LSP-TDN/BNSP/III/2025", letter_date=date(2025, 3, 10))
    add("01-complete-lsp001", "complete",
        "LSP-001, two schemes, minutes per scheme, one sheet per scheme; asks 25 blanks = 25 K.",
        dossier_mail(d1, message_id="<req-012.lsp-tdn@lsp-tdn.example.id>",
                     date=datetime(2025, 3, 10, 8, 15, tzinfo=WIB)),
        "LSP-001", blanks=25, competent=25, letter_number=d1.letter_number)

    d2 = request_dossier("LSP-002", schemes=["Pemandu Wisata Umum"], n_k=12, n_bk=3,
                         letter_number="045/LSP-PBD/III/2025", letter_date=date(2025, 3, 10),
                         blanks_words=False, title_rows=3, with_birth=True)
    add("02-complete-lsp002", "complete",
        "LSP-002, one scheme, 3 title rows, birth date and sex columns; 12 blanks = 12 K (3 BK).",
        dossier_mail(d2, message_id="<CAF0pbd045.req@mail.lsp-pbd.example.id>",
                     date=datetime(2025, 3, 10, 10, 2, tzinfo=WIB)),
        "LSP-002", blanks=12, competent=12, letter_number=d2.letter_number)

    d3 = request_dossier("LSP-003", schemes=["Ahli Muda Teknik Bangunan Gedung"], n_k=8, n_bk=0,
                         letter_number="07/LSP-KEM/BNSP/III/2025", letter_date=date(2025, 3, 11),
                         merged_header=False)
    add("03-complete-lsp003", "complete",
        "LSP-003 (name with & < >), HTML+text body, flat header; 8 blanks = 8 K.",
        dossier_mail(d3, message_id="<20250311.0007.kem@example.co.id>", html=True,
                     date=datetime(2025, 3, 11, 14, 40, tzinfo=WIB)),
        "LSP-003", blanks=8, competent=8, letter_number=d3.letter_number)

    d4 = request_dossier("LSP-001", schemes=["Junior Web Developer"], n_k=6, n_bk=1,
                         letter_number="013/LSP-TDN/BNSP/III/2025", letter_date=date(2025, 3, 12),
                         missing=(CERTIFICATION_DECISION,))
    add("04-incomplete-missing-decision", "incomplete",
        "LSP-001 without the certification decision (keputusan); 6 blanks = 6 K otherwise fine.",
        dossier_mail(d4, message_id="<req-013.lsp-tdn@lsp-tdn.example.id>",
                     date=datetime(2025, 3, 12, 9, 30, tzinfo=WIB)),
        "LSP-001", blanks=6, competent=6, missing=[CERTIFICATION_DECISION],
        letter_number=d4.letter_number)

    d5 = request_dossier("LSP-002", schemes=["Room Attendant"], n_k=18, n_bk=4,
                         letter_number="046/LSP-PBD/III/2025", letter_date=date(2025, 3, 12),
                         letter_blanks=20, decision_competent=20)
    add("05-incomplete-count-mismatch", "incomplete",
        "LSP-002: letter and decision say 20 blanks, the participant list has 18 K (4 BK).",
        dossier_mail(d5, message_id="<CAF0pbd046.req@mail.lsp-pbd.example.id>",
                     date=datetime(2025, 3, 12, 11, 0, tzinfo=WIB)),
        "LSP-002", blanks=20, competent=18, letter_number=d5.letter_number)

    add("06-auto-reply", "auto_reply",
        "Out-of-office reply from LSP-001 to an earlier mail from the office.",
        auto_reply_mail(LSPS["LSP-001"], OFFICE_ADDRESS,
                        in_reply_to="<sertiflow.notice.0001@bnsp.example.go.id>",
                        original_subject="Re: Permohonan Blanko Sertifikat - 011/LSP-TDN/BNSP/III/2025",
                        message_id="<auto.7731@lsp-tdn.example.id>",
                        date=datetime(2025, 3, 12, 13, 1, tzinfo=WIB)),
        "LSP-001")

    d7 = request_dossier(UNKNOWN_LSP, schemes=LSP_SCHEMES["LSP-XXX"], n_k=5, n_bk=0,
                         letter_number="003/LSP-MS/III/2025", letter_date=date(2025, 3, 13))
    add("07-unknown-sender", "unknown_sender",
        "A complete-looking request from an LSP that is not in the registry.",
        dossier_mail(d7, message_id="<ms-003@lsp-maritim.example.com>",
                     date=datetime(2025, 3, 13, 8, 45, tzinfo=WIB)),
        "", blanks=5, competent=5, letter_number=d7.letter_number)

    add("08-newsletter", "newsletter", "Bulk newsletter (List-Unsubscribe, Precedence: bulk).",
        newsletter_mail(message_id="<buletin-2025-03@news.sertifikasi-indonesia.example.com>",
                        date=datetime(2025, 3, 13, 6, 0, tzinfo=WIB)))
    # Certification applications (Process B) to a Balai's service mailbox.
    from tests.applications.factories import KOPI_MUSI, SINAR_BAJA, application_mail
    add("09-application-iso9001", "application_complete",
        "ISO 9001 application from PT Sinar Baja Nusantara: letter, form, NIB, quality manual; receipt with "
        "number SMM-... and the promised date (32 working days).",
        application_mail("iso9001_lsbbk", SINAR_BAJA, "Sertifikasi Sistem Manajemen Mutu ISO 9001:2015",
                         message_id="<iso9001-017.sbn@sinarbaja.example.co.id>",
                         date="Mon, 17 Mar 2025 09:12:00 +0700"))
    add("10-application-sppt-incomplete", "application_incomplete",
        "SPPT SNI type 5 application from CV Kopi Musi Sejahtera without its product specification: one "
        "completion request naming only that document.",
        application_mail("sppt_sni_tipe5", KOPI_MUSI, "SPPT SNI Tipe 5", drop=("spesifikasi_produk.pdf",),
                         message_id="<sppt-002.kms@kopimusi.example.id>", date="Tue, 18 Mar 2025 13:40:00 +0700"))
    return out
