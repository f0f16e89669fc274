"""Request mails across the variance LSPs really show, each with the truth about it.

Made with the real libraries (reportlab for PDFs, openpyxl for lists, email for the mail):

- three participant-list layouts: BNSP's 15-column template (optionally with a row of column
  numbers 1..15 under the header), a short list with the scheme in a title row, and one sheet per
  scheme with code and name columns;
- four decision phrasings: "Sebanyak N (kata) orang asesi ... dinyatakan KOMPETEN", "dari T
  peserta, B BK dan K K", a ruled table of names with K/BK and no count, a recap table per scheme;
- three letter layouts: number and date on separate lines; number and "Kota, tanggal" on one
  line; blanks only in words under a letterhead that also prints the licence number;
- schemes named with codes ("SKM.NET.03 - Teknisi Jaringan Muda", "Tata Boga (KKNI.III.TBG)") and
  long names that wrap inside a PDF table cell.

`Variant` says what to make; `build(variant)` returns a `Generated` (raw mail, sender, truth).
Truth: the defects put in, each with the words a completion line about it must contain, so a
reader of the result can tell a true line from a false one.
"""
from __future__ import annotations

import io
import random
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

from openpyxl import Workbook
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from pipelines.write.words import format_date_id, number_to_words_id

LIST_LAYOUTS = ("bnsp15", "title_row", "sheet_per_scheme")
DECISION_PHRASINGS = ("sebanyak", "dari_total", "name_table", "recap_table")
LETTER_LAYOUTS = ("classic", "number_date_one_line", "words_only_letterhead")
DEFECTS = ("none", "missing_decision", "letter_count", "truncated_decision", "nik_birth_date", "other_scheme")

SCHEMES = [  # (code, name): some names long enough to wrap in a narrow table cell
    ("SKM.NET.03", "Teknisi Jaringan Komputer Tingkat Muda"),
    ("KKNI.III.TBG", "Kualifikasi III Tata Boga Pengolahan Makanan Kontinental"),
    ("TIK.JWD.01", "Junior Web Developer"),
    ("LAS.SMAW.3G", "Juru Las SMAW Posisi 3G"),
    ("PAR.FO.02", "Resepsionis Kantor Depan Hotel"),
    ("KON.K3.01", "Ahli Muda Keselamatan dan Kesehatan Kerja Konstruksi"),
]
UNRELATED_SCHEME = ("AGR.HOR.05", "Pembibitan Tanaman Hortikultura")   # shares no word with the above
LSPS = [  # code, name, email, city
    ("lsp-var-1", "LSP Teknologi Informasi Nusantara", "admin@lsp-var1.test", "Bandung"),
    ("lsp-var-2", "LSP P1 SMK Negeri 5 Palembang", "lsp@lsp-var2.test", "Palembang"),
    ("lsp-var-3", "LSP Pariwisata dan Boga Indonesia", "sekretariat@lsp-var3.test", "Denpasar"),
]
FIRST = ["Ahmad", "Budi", "Siti", "Rina", "Dewi", "Agus", "Putri", "Joko", "Indah", "Wahyu", "Nur", "Eko"]
FAMILY = ["Santoso", "Lestari", "Wibowo", "Pratama", "Susanti", "Hidayat", "Saputra", "Rahmawati"]


@dataclass(frozen=True)
class Variant:
    list_layout: str = "bnsp15"
    number_row: bool = True              # BNSP template: row of column numbers under the header
    decision: str = "sebanyak"
    letter: str = "classic"
    schemes: int = 1                     # how many schemes in the request
    wrap_in_table: bool = True           # minutes print the scheme in a narrow ruled table cell
    defect: str = "none"
    seed: int = 0


@dataclass
class Problem:
    """A true problem of a generated request, and the words a line about it must contain."""
    key: str
    words: tuple[str, ...]

    def matches(self, line: str) -> bool:
        low = line.lower()
        return all(w.lower() in low for w in self.words)


@dataclass
class Generated:
    variant: Variant
    raw: bytes
    sender: str
    message_id: str
    problems: list[Problem] = field(default_factory=list)
    competent: int = 0

    @property
    def incomplete(self) -> bool:
        return bool(self.problems)


@dataclass
class Person:
    name: str
    nik: str
    sex: str
    born: date
    scheme: tuple[str, str]
    result: str


# ------------------------------------------------------------------ people


def _nik(born: date, sex: str, rng: random.Random) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"32{rng.randint(1, 79):02d}{rng.randint(1, 40):02d}{day:02d}{born.month:02d}{born.year % 100:02d}" \
           f"{rng.randint(1, 9999):04d}"


def _people(rng: random.Random, schemes: list[tuple[str, str]]) -> list[Person]:
    out: list[Person] = []
    names: set[str] = set()
    for scheme in schemes:
        n_k, n_bk = rng.randint(3, 9), rng.randint(0, 3)
        results = ["K"] * n_k + ["BK"] * n_bk
        rng.shuffle(results)
        for result in results:
            while True:
                name = f"{rng.choice(FIRST)} {rng.choice(FAMILY)}"
                if rng.random() < 0.3:
                    name = f"{rng.choice(FIRST)} {name}"
                if name not in names:
                    names.add(name)
                    break
            sex = rng.choice("LP")
            born = date(1978, 1, 1) + timedelta(days=rng.randrange(0, 365 * 26))
            out.append(Person(name, _nik(born, sex, rng), sex, born, scheme, result))
    return out


# ------------------------------------------------------------------ participant lists (openpyxl)


BNSP_HEADER = ["NO", "NAMA ASESI", "NIK", "TEMPAT/TANGGAL LAHIR", "JENIS KELAMIN", "ALAMAT", "NO HP",
               "PENDIDIKAN", "KODE SKEMA", "NAMA SKEMA", "REKOMENDASI K/BK", "TANGGAL UJI", "TUK", "ASESOR", "KETERANGAN"]


def participant_list(people: list[Person], layout: str, number_row: bool, exam: date, rng: random.Random) -> bytes:
    wb = Workbook()
    ws = wb.active
    if layout == "bnsp15":
        ws.title = "Daftar Asesi"
        ws.append(["DAFTAR NOMINATIF ASESI KOMPETEN DAN BELUM KOMPETEN"])
        ws.append([])
        ws.append(BNSP_HEADER)
        if number_row:
            ws.append(list(range(1, 16)))
        for i, p in enumerate(people, 1):
            ws.append([i, p.name, p.nik, f"Bandung, {p.born.strftime('%d-%m-%Y')}", p.sex,
                       f"Jl. Contoh No. {i}", f"08{rng.randint(10**9, 10**10 - 1)}", "SMK", p.scheme[0], p.scheme[1],
                       p.result, exam, "TUK Sewaktu", "Ir. Bambang S.", ""])
    elif layout == "title_row":
        for k, scheme in enumerate(dict.fromkeys(p.scheme for p in people)):
            ws = ws if k == 0 else wb.create_sheet()
            ws.title = f"Lembar {k + 1}"
            ws.append(["DAFTAR PESERTA UJI KOMPETENSI"])
            ws.append([f"Skema Sertifikasi: {scheme[0]} - {scheme[1]}"])
            ws.append([])
            ws.append(["No.", "Nama Lengkap", "No. KTP / NIK", "Tgl. Lahir", "L/P", "Hasil"])
            for i, p in enumerate([p for p in people if p.scheme == scheme], 1):
                ws.append([i, p.name, p.nik, p.born, p.sex, "Kompeten" if p.result == "K" else "Belum Kompeten"])
    else:  # one sheet per scheme, code and name columns
        for k, scheme in enumerate(dict.fromkeys(p.scheme for p in people)):
            ws = ws if k == 0 else wb.create_sheet()
            ws.title = scheme[0].replace("/", "-")[:31]
            ws.append(["No", "Nama Asesi", "NIK", "Tanggal Lahir", "Jenis Kelamin", "Kode Skema", "Nama Skema",
                       "Rekomendasi (K/BK)"])
            for i, p in enumerate([p for p in people if p.scheme == scheme], 1):
                ws.append([i, p.name, p.nik, p.born, p.sex, scheme[0], scheme[1], p.result])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# ------------------------------------------------------------------ PDFs (reportlab)


def _canvas_pdf(draw) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    draw(c)
    c.showPage()
    c.save()
    return buf.getvalue()


def _flow_pdf(flowables) -> bytes:
    buf = io.BytesIO()
    SimpleDocTemplate(buf, pagesize=A4, leftMargin=50, rightMargin=50, topMargin=50).build(flowables)
    return buf.getvalue()


def _grid(rows, widths) -> Table:
    t = Table(rows, colWidths=widths)
    t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return t


def request_letter(layout: str, lsp: tuple, number: str, when: date, blanks: int,
                   schemes: list[tuple[str, str]]) -> bytes:
    _, name, _, city = lsp
    words = number_to_words_id(blanks)
    scheme_text = ", ".join(f"{s[1]} ({s[0]})" for s in schemes)

    def draw(c):
        y = 800
        c.setFont("Helvetica-Bold", 13)
        c.drawString(60, y, name.upper())
        c.setFont("Helvetica", 10)
        y -= 15
        if layout == "words_only_letterhead":
            c.drawString(60, y, f"Lisensi BNSP Nomor: BNSP-LSP-{1000 + len(name)}-ID")
            y -= 14
        c.drawString(60, y, f"Jl. Pendidikan No. 7, {city}")
        y -= 30
        if layout == "number_date_one_line":
            c.drawString(60, y, f"Nomor : {number}")
            c.drawString(380, y, f"{city}, {format_date_id(when)}")
            y -= 15
        else:
            c.drawString(60, y, f"Nomor    : {number}")
            y -= 15
        c.drawString(60, y, "Lampiran : 1 (satu) berkas")
        y -= 15
        c.drawString(60, y, "Perihal  : Permohonan Blanko Sertifikat Kompetensi")
        y -= 28
        for line in ["Kepada Yth.", "Kepala Sekretariat BNSP", "di Jakarta", "", "Dengan hormat,"]:
            c.drawString(60, y, line)
            y -= 15
        if layout == "words_only_letterhead":
            body = [f"Bersama ini kami mengajukan permohonan blanko sertifikat kompetensi sebanyak {words}",
                    f"lembar untuk asesi yang dinyatakan kompeten pada skema {scheme_text}."]
        else:
            body = [f"Bersama ini kami mengajukan permohonan blanko sertifikat kompetensi sebanyak {blanks} ({words})",
                    f"lembar untuk asesi yang dinyatakan kompeten pada skema {scheme_text}."]
        for line in body:
            c.drawString(60, y, line)
            y -= 15
        y -= 20
        if layout != "number_date_one_line":
            c.drawString(360, y, f"{city}, {format_date_id(when)}")
            y -= 15
        c.drawString(360, y, f"Ketua {name}")
        c.drawString(360, y - 50, "Dr. Hendra Gunawan, M.T.")
    return _canvas_pdf(draw)


def assessment_minutes(lsp: tuple, when: date, scheme: tuple[str, str], k: int, bk: int, wrap: bool) -> bytes:
    st = getSampleStyleSheet()["Normal"]
    head = [Paragraph("<b>BERITA ACARA ASESMEN KOMPETENSI</b>", st), Paragraph(lsp[1], st), Spacer(1, 8),
            Paragraph(f"Pada hari ini tanggal {format_date_id(when)} telah dilaksanakan asesmen kompetensi "
                      f"dengan rincian sebagai berikut:", st), Spacer(1, 6)]
    if wrap:  # a narrow ruled table: the scheme's name wraps inside its cell
        rows = [["Skema Sertifikasi", Paragraph(f"{scheme[0]} - {scheme[1]}", st)],
                ["TUK", "TUK Sewaktu"], ["Kompeten (K)", f"{k} orang"], ["Belum Kompeten (BK)", f"{bk} orang"]]
        body = [_grid(rows, [120, 150])]
    else:
        body = [Paragraph(f"Skema Sertifikasi : {scheme[1]} ({scheme[0]})", st), Paragraph("TUK : TUK Sewaktu", st),
                Paragraph(f"Kompeten (K) : {k} orang", st), Paragraph(f"Belum Kompeten (BK) : {bk} orang", st)]
    tail = [Spacer(1, 8), Paragraph("Asesor Kompetensi: Ir. Bambang S. (MET.000.012345 2019)", st)]
    return _flow_pdf(head + body + tail)


def certification_decision(phrasing: str, lsp: tuple, number: str, when: date, people: list[Person],
                           schemes: list[tuple[str, str]]) -> bytes:
    st = getSampleStyleSheet()["Normal"]
    k = sum(1 for p in people if p.result == "K")
    bk = sum(1 for p in people if p.result == "BK")
    flow = [Paragraph(f"<b>KEPUTUSAN KETUA {lsp[1].upper()}</b>", st), Paragraph(f"NOMOR: {number}", st),
            Paragraph("TENTANG", st), Paragraph("PENETAPAN HASIL SERTIFIKASI KOMPETENSI", st), Spacer(1, 6),
            Paragraph("MEMUTUSKAN", st), Paragraph("Menetapkan:", st)]
    names = "; ".join(f"{s[0]} - {s[1]}" for s in schemes)
    if phrasing == "sebanyak":
        for s in schemes:
            ks = sum(1 for p in people if p.result == "K" and p.scheme == s)
            flow.append(Paragraph(f"Sebanyak {ks} ({number_to_words_id(ks)}) orang asesi pada skema {s[1]} "
                                  f"({s[0]}) dinyatakan KOMPETEN.", st))
    elif phrasing == "dari_total":
        flow.append(Paragraph(f"Hasil rapat pleno skema {names}: dari {k + bk} peserta, {bk} BK dan {k} K.", st))
    elif phrasing == "name_table":
        flow.append(Paragraph(f"Hasil sertifikasi skema {names} adalah sebagai berikut:", st))
        rows = [["No", "Nama", "NIK", "Rekomendasi"]]
        rows += [[str(i), p.name, p.nik, p.result] for i, p in enumerate(people, 1)]
        flow.append(_grid(rows, [30, 170, 130, 80]))
    else:  # recap table
        flow.append(Paragraph("Rekapitulasi hasil sertifikasi:", st))
        rows = [["No", "Skema Sertifikasi", "Jumlah Asesi", "K", "BK"]]
        for i, s in enumerate(schemes, 1):
            ks = sum(1 for p in people if p.result == "K" and p.scheme == s)
            bks = sum(1 for p in people if p.result == "BK" and p.scheme == s)
            rows.append([str(i), Paragraph(f"{s[0]} - {s[1]}", st), str(ks + bks), str(ks), str(bks)])
        flow.append(_grid(rows, [30, 220, 70, 40, 40]))
    flow += [Spacer(1, 8), Paragraph("sebagaimana tercantum dalam lampiran keputusan ini.", st),
             Paragraph(f"Ditetapkan di {lsp[3]} pada tanggal {format_date_id(when)}", st)]
    return _flow_pdf(flow)


# ------------------------------------------------------------------ one request


def build(variant: Variant) -> Generated:
    rng = random.Random(zlib.crc32(repr(variant).encode()))
    lsp = LSPS[variant.seed % len(LSPS)]
    schemes = rng.sample(SCHEMES, variant.schemes)
    people = _people(rng, schemes)
    exam = date(2026, 10, 1) + timedelta(days=rng.randint(0, 20))
    decided = exam + timedelta(days=rng.randint(1, 5))
    letter_day = decided + timedelta(days=rng.randint(1, 5))
    competent = sum(1 for p in people if p.result == "K")
    blanks = competent
    number = f"{rng.randint(1, 300):03d}/{lsp[0].upper()}/X/2026"
    problems: list[Problem] = []
    minutes_scheme = list(schemes)
    defect = variant.defect

    if defect == "letter_count":
        blanks = competent + rng.randint(1, 5)
        problems.append(Problem("letter_count", (str(blanks), str(competent))))
    if defect == "nik_birth_date":
        p = rng.choice(people)
        wrong = p.born + timedelta(days=rng.randint(40, 400))
        p.nik = _nik(wrong, p.sex, rng)
        problems.append(Problem("nik_birth_date", ("NIK", "tanggal lahir")))
    if defect == "other_scheme":
        minutes_scheme = [UNRELATED_SCHEME] + list(schemes[1:])
        problems.append(Problem("other_scheme", (UNRELATED_SCHEME[1],)))

    files: dict[str, bytes] = {
        "Surat_Permohonan.pdf": request_letter(variant.letter, lsp, number, letter_day, blanks, schemes),
    }
    for k, s in enumerate(minutes_scheme):
        real = schemes[k]
        kk = sum(1 for p in people if p.result == "K" and p.scheme == real)
        bb = sum(1 for p in people if p.result == "BK" and p.scheme == real)
        files[f"Berita_Acara_{k + 1}.pdf"] = assessment_minutes(lsp, exam, s, kk, bb, variant.wrap_in_table)
    decision = certification_decision(variant.decision, lsp, f"KEP-{rng.randint(1, 99):02d}/{lsp[0].upper()}/2026",
                                      decided, people, schemes)
    if defect == "missing_decision":
        problems.append(Problem("missing_decision", ("keputusan",)))
    elif defect == "truncated_decision":
        files["SK_Keputusan.pdf"] = decision[: len(decision) // 2]
        problems.append(Problem("truncated_decision", ("keputusan", "kirim ulang")))
    else:
        files["SK_Keputusan.pdf"] = decision
    files["Daftar_Peserta.xlsx"] = participant_list(people, variant.list_layout, variant.number_row, exam, rng)

    msg = EmailMessage()
    msg["From"] = f"{lsp[1]} <{lsp[2]}>"
    msg["To"] = "blanko@bnsp.example.go.id"
    msg["Subject"] = f"Permohonan Blanko Sertifikat Kompetensi - {lsp[1]}"
    msg["Date"] = format_datetime(datetime(2026, 10, 28, 9, 0, tzinfo=timezone.utc))
    message_id = make_msgid(idstring=f"var{abs(hash(variant)) % 10**8}", domain=lsp[2].split("@")[1])
    msg["Message-ID"] = message_id
    msg.set_content("Dengan hormat,\nBersama ini kami sampaikan permohonan blanko sertifikat beserta lampirannya.")
    for filename, data in files.items():
        maintype, subtype = (("application", "pdf") if filename.endswith(".pdf") else
                             ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"))
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return Generated(variant, msg.as_bytes(), lsp[2], message_id, problems, competent)


def registry() -> list[dict]:
    return [{"code": code, "name": name, "emails": [mail], "address": f"Jl. Pendidikan No. 7, {city}",
             "contact": "Sekretariat LSP", "phone": ""} for code, name, mail, city in LSPS]


def generated_set(n: int, seed: int = 0) -> list[Generated]:
    """n requests spread over every layout, phrasing, letter and defect (a balanced mix)."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        out.append(build(Variant(
            list_layout=LIST_LAYOUTS[i % len(LIST_LAYOUTS)], number_row=bool(rng.getrandbits(1)),
            decision=DECISION_PHRASINGS[(i // 3) % len(DECISION_PHRASINGS)],
            letter=LETTER_LAYOUTS[(i // 2) % len(LETTER_LAYOUTS)], schemes=1 + (i % 5 == 4),
            wrap_in_table=bool(rng.getrandbits(1)), defect=DEFECTS[i % len(DEFECTS)] if i % 2 else "none",
            seed=seed * 1000 + i)))
    return out


def minutes_and_decision_in_one_pdf(variant: Variant = Variant()) -> Generated:
    """The same request, but the minutes and the decision bound in one PDF (one after the other)."""
    import email
    from email import policy

    import pikepdf

    generated = build(variant)
    msg = email.message_from_bytes(generated.raw, policy=policy.default)
    parts = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    writer = pikepdf.new()
    for name in [n for n in parts if n.startswith("Berita_Acara")] + ["SK_Keputusan.pdf"]:
        writer.pages.extend(pikepdf.open(io.BytesIO(parts.pop(name))).pages)
    bound = io.BytesIO()
    writer.save(bound)
    parts["BA_dan_SK.pdf"] = bound.getvalue()
    out = EmailMessage()
    for key in ("From", "To", "Subject", "Date", "Message-ID"):
        out[key] = msg[key]
    out.set_content("Dengan hormat,\nTerlampir berita acara dan keputusan dalam satu berkas.")
    for filename, data in parts.items():
        sub = "pdf" if filename.endswith(".pdf") else "vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        out.add_attachment(data, maintype="application", subtype=sub, filename=filename)
    generated.raw = out.as_bytes()
    return generated
