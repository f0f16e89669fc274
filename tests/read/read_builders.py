"""Builders of realistic inputs for the read/check tests, made with the real libraries
(reportlab, Pillow, openpyxl, zipfile, email). Each returns bytes (or a value) and takes the
awkward variations as keyword arguments."""
from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from pipelines.documents import Attachment

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"

LSP = "LSP Teknologi Digital Nusantara"
SCHEME = "Junior Web Developer"


# ------------------------------------------------------------------ PDF texts

def letter_lines(blanks: int = 3, words: str = "tiga", date: str = "14 Oktober 2026",
                 number: str = "045/LSP-TDN/X/2026", lsp: str = LSP, scheme: str = SCHEME) -> list[str]:
    return [
        lsp.replace("LSP", "LEMBAGA SERTIFIKASI PROFESI").upper(),
        "Jl. Gatot Subroto No. 12, Bandung 40262",
        "",
        f"Nomor     : {number}",
        f"Bandung, {date}",
        "Lampiran : 3 (tiga) berkas",
        "Perihal   : Permohonan Blanko Sertifikat Kompetensi",
        "",
        "Kepada Yth. Kepala Sekretariat BNSP",
        "di Jakarta",
        "",
        "Dengan hormat,",
        "Bersama ini kami mengajukan permohonan blanko sertifikat kompetensi",
        f"sebanyak {blanks} ({words}) lembar untuk peserta skema {scheme}",
        "yang dinyatakan kompeten. Sebagai kelengkapan kami lampirkan berita acara",
        "asesmen, keputusan sertifikasi dan daftar peserta.",
        "",
        "Hormat kami,",
        f"Ketua {lsp}",
    ]


def decision_lines(competent: int = 3, words: str = "tiga", not_competent: int = 1,
                   date: str = "10 Oktober 2026", number: str = "KEP.12/LSP-TDN/X/2026",
                   schemes: tuple[str, ...] = (SCHEME,), lsp: str = LSP) -> list[str]:
    lines = [
        f"KEPUTUSAN KETUA {lsp.upper()}",
        f"NOMOR: {number}",
        "TENTANG",
        "PENETAPAN HASIL SERTIFIKASI KOMPETENSI",
        "",
        "Menimbang : bahwa berdasarkan berita acara asesmen perlu ditetapkan hasil sertifikasi;",
        "Mengingat : Peraturan BNSP tentang pedoman pelaksanaan uji kompetensi;",
        "MEMUTUSKAN",
    ]
    for s in schemes:
        lines.append(f"Menetapkan : peserta uji kompetensi pada Skema Sertifikasi : {s}")
    lines += [
        f"sebanyak {competent} ({words}) orang dinyatakan Kompeten dan sebanyak {not_competent}",
        "orang dinyatakan Belum Kompeten sebagaimana tercantum dalam lampiran",
        "keputusan ini.",
        "",
        "Ditetapkan di : Bandung",
        f"Pada tanggal : {date}",
        f"Ketua {lsp}",
    ]
    return lines


def minutes_lines(date_words: str = "lima bulan Oktober tahun dua ribu dua puluh enam",
                  scheme: str = SCHEME, date: str | None = None) -> list[str]:
    when = f"tanggal {date}" if date else f"tanggal {date_words}"
    return [
        "BERITA ACARA ASESMEN KOMPETENSI",
        f"Skema Sertifikasi : {scheme}",
        "",
        f"Pada hari ini Senin {when}",
        "telah dilaksanakan asesmen kompetensi di TUK Sewaktu Bandung",
        "oleh asesor kompetensi yang ditugaskan.",
        "Jumlah asesi : 4 orang",
        "Demikian berita acara ini dibuat untuk dipergunakan sebagaimana mestinya.",
    ]


def receipt_lines() -> list[str]:
    return ["TANDA TERIMA BLANKO SERTIFIKAT KOMPETENSI", "Telah diterima dari Sekretariat BNSP",
            "blanko sertifikat sebanyak 3 (tiga) lembar.", "Yang menerima,", LSP]


def text_pdf(lines: list[str], pages: int = 1, compress: bool = True) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1 if compress else 0)
    for _ in range(pages):
        y = 800
        for ln in lines:
            c.drawString(50, y, ln)
            y -= 16
        c.showPage()
    c.save()
    return buf.getvalue()


def scan_image(lines: list[str], noise: bool = False, size=(1240, 1754)) -> Image.Image:
    """A page as a scanner would make it: an image of text, 150 dpi A4."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 26)
    y = 100
    for ln in lines:
        draw.text((90, y), ln, fill=0, font=font)
        y += 40
    if noise:  # a dreadful scan: every pixel random
        import os
        img = Image.frombytes("L", size, os.urandom(size[0] * size[1]))
    return img


def scanned_pdf(lines: list[str], noise: bool = False, extra_text_page: list[str] | None = None) -> bytes:
    """A PDF whose page is only an image (no text layer)."""
    img = scan_image(lines, noise)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    if extra_text_page:
        y = 800
        for ln in extra_text_page:
            c.drawString(50, y, ln)
            y -= 16
        c.showPage()
    c.drawImage(ImageReader(img), 0, 0, width=A4[0], height=A4[1])
    c.showPage()
    c.save()
    return buf.getvalue()


def encrypted_pdf(lines: list[str], password: str = "rahasia") -> bytes:
    from reportlab.lib import pdfencrypt
    buf = io.BytesIO()
    enc = pdfencrypt.StandardEncryption(password, ownerPassword="pemilik", strength=128)
    c = canvas.Canvas(buf, pagesize=A4, encrypt=enc)
    y = 800
    for ln in lines:
        c.drawString(50, y, ln)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()


def deflate_bomb(megabytes: int) -> bytes:
    """zlib data that inflates to `megabytes` MiB of spaces, built in milliseconds: after a full
    flush the compressor forgets its history, so every 1 MiB segment compresses alike."""
    import struct
    import zlib
    chunk = b" " * (1 << 20)
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    seg = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert seg == again
    tail = c.flush()
    adler = 1
    for _ in range(megabytes):
        adler = zlib.adler32(chunk, adler)
    return b"\x78\xda" + seg * megabytes + tail + struct.pack(">I", adler)


def balloon_pdf(megabytes: int = 600) -> bytes:
    """A tiny PDF whose page content is a deflate bomb: `megabytes` of spaces inflated on reading."""
    body = deflate_bomb(megabytes)
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, o in enumerate(objs, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + o + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref))
    return out.getvalue()


# ------------------------------------------------------------------ participant lists

# (name, NIK, birth date, sex, result) -- NIKs agree with birth date and sex
PEOPLE = [
    ("Budi Santoso", "3273011201900001", dt.date(1990, 1, 12), "L", "K"),
    ("Siti Aminah", "3273015505920002", dt.date(1992, 5, 15), "P", "K"),
    ("Made Wirawan", "5171020308880003", dt.date(1988, 8, 3), "L", "K"),
    ("Rina Kartika", "3174066107950004", dt.date(1995, 7, 21), "P", "BK"),
]


def participant_rows(people=None):
    return [list(p) for p in (people or PEOPLE)]


def participant_list_xlsx(people=None, *, title_rows: bool = True, merged_header: bool = False,
                          nik_as_number: bool = False, sheet: str = SCHEME, headers=None,
                          scheme_column: bool = False, extra_sheets: dict | None = None) -> bytes:
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet

    def fill(ws, rows, sheet_scheme):
        if title_rows:
            ws.append(["DAFTAR PESERTA UJI KOMPETENSI"])
            ws.append([f"Skema Sertifikasi : {sheet_scheme}"] if not scheme_column else ["Periode Oktober 2026"])
            ws.append([])
        hdr = headers or ["No", "Nama Lengkap", "NIK", "Tanggal Lahir", "Jenis Kelamin"]
        if scheme_column:
            hdr = hdr + ["Skema"]
        if merged_header:
            ws.append(hdr + ["Hasil", None])
            start = ws.max_row
            ws.append([None] * len(hdr) + ["K", "BK"])
            col = len(hdr) + 1
            ws.merge_cells(start_row=start, start_column=col, end_row=start, end_column=col + 1)
            for j in range(1, len(hdr) + 1):
                ws.merge_cells(start_row=start, start_column=j, end_row=start + 1, end_column=j)
        else:
            ws.append(hdr + ["Hasil (K/BK)"])
        for i, (name, nik, born, sex, result) in enumerate(rows, 1):
            nik_cell = int(nik) if nik_as_number and str(nik).isdigit() else nik
            row = [i, name, nik_cell, born, sex]
            if scheme_column:
                row.append(sheet_scheme)
            if merged_header:
                row += (["v", None] if result == "K" else [None, "v"])
            else:
                row.append(result)
            ws.append(row)
        ws.append([])
        ws.append([None, "Mengetahui,"])
        ws.append([None, "Ketua LSP"])

    fill(ws, participant_rows(people), sheet)
    for name, rows in (extra_sheets or {}).items():
        fill(wb.create_sheet(name), rows, name)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def participant_list_xls(people=None) -> bytes | None:
    """Legacy .xls needs xlwt, which is not installed; tests skip when None."""
    try:
        import xlwt  # noqa: F401
    except ImportError:
        return None
    return None


def ods_bytes(sheets: dict[str, list[list]]) -> bytes:
    """An OpenDocument spreadsheet written by odfpy. A cell given as ("=FORMULA", value) is a
    formula cell with its saved value, as LibreOffice stores it."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    for name, rows in sheets.items():
        table = Table(name=name)
        for row in rows:
            tr = TableRow()
            for value in row:
                formula = None
                if isinstance(value, tuple):
                    formula, value = value
                if value is None:
                    cell = TableCell()
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    cell = TableCell(valuetype="float", value=value)
                    cell.addElement(P(text=str(value)))
                elif isinstance(value, dt.date):
                    cell = TableCell(valuetype="date", datevalue=value.isoformat())
                    cell.addElement(P(text=value.isoformat()))
                else:
                    cell = TableCell(valuetype="string")
                    cell.addElement(P(text=str(value)))
                if formula:
                    cell.setAttribute("formula", "of:" + formula)
                tr.addElement(cell)
            table.addElement(tr)
        doc.spreadsheet.addElement(table)
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def participant_list_csv(people=None, delimiter: str = ";") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter)
    w.writerow(["No", "Nama", "NIK", "Tgl Lahir", "L/P", "Skema", "Rekomendasi"])
    for i, (name, nik, born, sex, result) in enumerate(people or PEOPLE, 1):
        w.writerow([i, name, nik, born.strftime("%d-%m-%Y") if born else "", sex, SCHEME, result])
    return buf.getvalue().encode("utf-8")


# ------------------------------------------------------------------ archives and mail

def zip_of(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


def zip_bomb(megabytes: int = 200) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("daftar_peserta.xlsx", "w", force_zip64=True) as fh:
            chunk = b"\0" * (1 << 20)
            for _ in range(megabytes):
                fh.write(chunk)
    return buf.getvalue()


def dossier_files(**over) -> dict[str, bytes]:
    """The four documents of a clean blank request."""
    return {
        "surat_permohonan.pdf": over.get("letter", text_pdf(letter_lines())),
        "berita_acara.pdf": over.get("minutes", text_pdf(minutes_lines())),
        "keputusan.pdf": over.get("decision", text_pdf(decision_lines())),
        "daftar_peserta.xlsx": over.get("roster", participant_list_xlsx()),
    }


def request_mail(files: dict[str, bytes] | None = None, *, subject: str = "Permohonan Blanko Sertifikat",
                 body: str = "Dengan hormat, terlampir dokumen permohonan blanko.", html: str | None = None,
                 sender: str = "admin@lsp-tdn.example.id") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"LSP TDN <{sender}>"
    msg["To"] = "sertifikat.bnsp@example.go.id"
    msg["Subject"] = subject
    msg["Message-ID"] = "<req-1@lsp-tdn.example.id>"
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    for name, data in (files if files is not None else dossier_files()).items():
        maintype, subtype = ("application", "octet-stream")
        if name.endswith(".pdf"):
            subtype = "pdf"
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes()


def forwarded_mail(inner: bytes, note: str = "Diteruskan, mohon diproses.") -> bytes:
    import email
    outer = EmailMessage()
    outer["From"] = "staf@lsp-tdn.example.id"
    outer["To"] = "sertifikat.bnsp@example.go.id"
    outer["Subject"] = "Fwd: Permohonan Blanko Sertifikat"
    outer.set_content(note)
    outer.add_attachment(email.message_from_bytes(inner, policy=email.policy.default))
    return outer.as_bytes()


def attachment(name: str, data: bytes) -> Attachment:
    return Attachment(filename=name, data=data)


def corpora_dir() -> Path | None:
    here = Path(__file__).resolve()
    repo = here.parents[2]
    d = repo.parent / "shared" / "corpora"
    return d if d.is_dir() else None
