"""Generate the DOCX templates in this folder with python-docx.

    /work/venv/bin/python templates/build_templates.py

The .docx files are committed: officers may open and edit them in Word (layout, wording,
letterhead). Keep every docxtpl tag inside ONE run when editing: type `{{ lsp.name }}`
in one go, never format part of a tag. Paragraph tags (`{%p ... %}`) and table-row tags
(`{%tr ... %}`) must stand alone in their paragraph / in a cell of their own row.
The context each template expects is in templates/README.md.

Rerunning this script overwrites the .docx files (and so any edits made in Word).
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

HERE = Path(__file__).resolve().parent
FONT = "Arial"


# ---------------------------------------------------------------- helpers

def new_document(margins_mm=(15, 20, 15, 25)) -> Document:
    doc = Document()
    # Fixed core properties: the files are deterministic and do not carry a user name.
    props = doc.core_properties
    props.author = "Sertiflow"
    props.last_modified_by = "Sertiflow"
    props.title = ""
    props.comments = ""
    from datetime import datetime
    props.created = props.modified = datetime(2026, 1, 1)
    props.revision = 1

    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    top, right, bottom, left = margins_mm
    section.top_margin, section.right_margin = Mm(top), Mm(right)
    section.bottom_margin, section.left_margin = Mm(bottom), Mm(left)

    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(11)
    rpr = normal.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.append(rfonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        rfonts.set(qn(attr), FONT)
    pf = normal.paragraph_format
    pf.space_before, pf.space_after = Pt(0), Pt(4)
    pf.line_spacing = 1.15
    return doc


def para(container, text: str = "", *, bold=False, underline=False, size=None,
         align=None, space_after=None, space_before=None, italic=False):
    """Add a paragraph with ONE run holding `text` (so docxtpl tags stay whole)."""
    p = container.add_paragraph()
    if text:
        run = p.add_run(text)
        run.bold, run.underline, run.italic = bold, underline, italic
        if size:
            run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    if space_after is not None:
        p.paragraph_format.space_after = Pt(space_after)
    if space_before is not None:
        p.paragraph_format.space_before = Pt(space_before)
    return p


def tag(container, text: str):
    """A paragraph holding only a docxtpl paragraph tag ({%p ... %})."""
    return para(container, text, space_after=0)


def cell_text(cell, text: str, *, bold=False, align=None, size=None):
    """Put `text` as the single run of the cell's first paragraph."""
    p = cell.paragraphs[0]
    for r in list(p.runs):
        r._element.getparent().remove(r._element)
    run = p.add_run(text)
    run.bold = bold
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    return p


def set_col_widths(table, widths_mm):
    """Fixed column widths, written both to the grid (LibreOffice reads it) and to
    every cell (Word reads those)."""
    table.autofit = False
    for col, w in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), widths_mm):
        col.set(qn("w:w"), str(int(Mm(w).twips)))
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    for row in table.rows:
        for cell, w in zip(row.cells, widths_mm):
            cell.width = Mm(w)


def no_borders(table):
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def bottom_rule(paragraph, size=12):
    """A horizontal line under a paragraph (letterhead rule)."""
    p_pr = paragraph._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size))
    bottom.set(qn("w:space"), "1")
    bottom.set(qn("w:color"), "000000")
    bdr.append(bottom)
    p_pr.append(bdr)


def letterhead(doc):
    para(doc, "{{ office.name|upper }}", bold=True, size=14, align=WD_ALIGN_PARAGRAPH.CENTER,
         space_after=0)
    p = para(doc, "{{ office.address }}", size=9, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=12)
    bottom_rule(p)


def label_table(doc, rows, widths=(50, 5, 110)):
    """Borderless "label : value" block."""
    table = doc.add_table(rows=len(rows), cols=3)
    no_borders(table)
    for i, (label, value) in enumerate(rows):
        cells = table.rows[i].cells
        cell_text(cells[0], label)
        cell_text(cells[1], ":")
        cell_text(cells[2], value)
    set_col_widths(table, widths)
    return table


def grid_table(doc, header, loop_tag, body_cells, end_tag, total_cells=None, widths=None):
    """A bordered table: header row, a `{%tr for %}` row, the repeated row,
    a `{%tr endfor %}` row and an optional total row."""
    rows = 4 + (1 if total_cells else 0)
    table = doc.add_table(rows=rows, cols=len(header))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    center = WD_ALIGN_PARAGRAPH.CENTER
    for cell, text in zip(table.rows[0].cells, header):
        cell_text(cell, text, bold=True, align=center)
    cell_text(table.rows[1].cells[0], loop_tag)
    for cell, (text, align) in zip(table.rows[2].cells, body_cells):
        cell_text(cell, text, align=align)
    cell_text(table.rows[3].cells[0], end_tag)
    if total_cells:
        for cell, (text, bold, align) in zip(table.rows[4].cells, total_cells):
            cell_text(cell, text, bold=bold, align=align)
    if widths:
        set_col_widths(table, widths)
    return table


def serial_ranges_table(doc):
    c = WD_ALIGN_PARAGRAPH.CENTER
    grid_table(
        doc,
        ["No.", "Nomor Seri Awal", "Nomor Seri Akhir", "Jumlah (lembar)"],
        "{%tr for r in serial_ranges %}",
        [("{{ loop.index }}", c), ("{{ r.start }}", c), ("{{ r.end }}", c), ("{{ r.count }}", c)],
        "{%tr endfor %}",
        [("", False, None), ("Jumlah", True, c), ("", False, None),
         ("{{ serial_ranges|sum(attribute='count') }}", True, c)],
        widths=(15, 55, 55, 40),
    )


# ---------------------------------------------------------------- templates

def build_lembar_persetujuan(path: Path):
    doc = new_document()
    letterhead(doc)
    c = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, "LEMBAR PERSETUJUAN", bold=True, size=13, align=c, space_after=0)
    para(doc, "PENGIRIMAN BLANKO SERTIFIKAT KOMPETENSI", bold=True, size=13, align=c, space_after=0)
    para(doc, "Nomor Berkas: {{ dossier.number }}", align=c, space_after=12)

    label_table(doc, [
        ("Nama LSP", "{{ lsp.name }}"),
        ("Kode LSP", "{{ lsp.code }}"),
        ("Alamat pengiriman", "{{ lsp.address }}"),
        ("Kontak", "{{ lsp.contact }}"),
        ("Surat permohonan",
         "{% if letter.number %}Nomor {{ letter.number }}{% if letter.date %} tanggal "
         "{{ letter.date|tanggal }}{% endif %}{% else %}-{% endif %}"),
        ("Permohonan diterima", "{{ dossier.received_at|tanggal }}"),
        ("Dinyatakan lengkap", "{{ dossier.completed_at|tanggal }}"),
    ])
    para(doc, "", space_after=4)
    p = para(doc,
             "Berdasarkan hasil pemeriksaan, dokumen permohonan blanko sertifikat kompetensi "
             "dari LSP tersebut di atas telah dinyatakan lengkap. Sehubungan dengan hal tersebut, "
             "dengan hormat kami mohon persetujuan Bapak/Ibu untuk mengirimkan blanko sertifikat "
             "kompetensi sebanyak {{ blanks_total }} ({{ blanks_total_words }}) lembar ke alamat "
             "LSP tersebut, dengan rincian sebagai berikut:")
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    grid_table(
        doc,
        ["No.", "Skema Sertifikasi", "Kompeten (K)", "Belum Kompeten (BK)", "Jumlah Blanko"],
        "{%tr for s in schemes %}",
        [("{{ loop.index }}", c), ("{{ s.name }}", None), ("{{ s.competent }}", c),
         ("{{ s.not_competent }}", c), ("{{ s.competent }}", c)],
        "{%tr endfor %}",
        [("", False, None), ("Jumlah", True, None),
         ("{{ schemes|sum(attribute='competent') }}", True, c),
         ("{{ schemes|sum(attribute='not_competent') }}", True, c),
         ("{{ blanks_total }}", True, c)],
        widths=(12, 66, 29, 29, 29),
    )

    tag(doc, "{%p if serial_ranges %}")
    para(doc, "Nomor seri blanko yang dikirimkan:", space_before=8)
    serial_ranges_table(doc)
    tag(doc, "{%p endif %}")

    p = para(doc,
             "Demikian permohonan persetujuan ini kami sampaikan. Atas perhatian dan persetujuan "
             "Bapak/Ibu, kami ucapkan terima kasih.", space_before=10, space_after=14)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY

    sig = doc.add_table(rows=1, cols=2)
    no_borders(sig)
    left, right = sig.rows[0].cells
    cell_text(left, "")
    para(left, "Yang mengajukan,", space_after=0)
    para(left, "Petugas Sekretariat,", space_after=0)
    para(left, "", space_after=40)
    para(left, "{{ prepared_by }}", bold=True, space_after=0)

    cell_text(right, "{{ office.city }}, {{ date|tanggal }}")
    para(right, "Menyetujui,", space_after=0)
    para(right, "{{ official.title }},", space_after=0)
    tag(right, "{%p if approval.approved %}")
    para(right, "Disetujui oleh {{ approval.approver_name }} pada {{ approval.approved_at|waktu }}",
         italic=True, space_before=12, space_after=12)
    tag(right, "{%p else %}")
    para(right, "", space_after=40)
    para(right, "{{ official.name }}", bold=True, underline=True, space_after=0)
    para(right, "NIP {{ official.nip }}", space_after=0)
    tag(right, "{%p endif %}")
    set_col_widths(sig, (80, 85))

    # Annex: who the blanks are for, as the LSP's own list names them (the official checks the names)
    tag(doc, "{%p if participants %}")
    para(doc, "Lampiran: daftar peserta kompeten (K) penerima blanko sertifikat", bold=True, space_before=14)
    grid_table(
        doc,
        ["No.", "Nama", "NIK", "Skema Sertifikasi"],
        "{%tr for p in participants %}",
        [("{{ loop.index }}", c), ("{{ p.name }}", None), ("{{ p.nik }}", c), ("{{ p.scheme }}", None)],
        "{%tr endfor %}",
        widths=(12, 60, 45, 48),
    )
    tag(doc, "{%p endif %}")
    doc.save(path)


def build_tanda_terima(path: Path):
    doc = new_document()
    letterhead(doc)
    c = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, "TANDA TERIMA", bold=True, size=13, align=c, space_after=0)
    para(doc, "BLANKO SERTIFIKAT KOMPETENSI", bold=True, size=13, align=c, space_after=0)
    para(doc, "Nomor: {{ receipt_number }}", align=c, space_after=12)

    p = para(doc, "Telah diserahkan blanko sertifikat kompetensi oleh {{ office.name }} kepada:")
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    label_table(doc, [
        ("Nama LSP", "{{ lsp.name }}"),
        ("Kode LSP", "{{ lsp.code }}"),
        ("Alamat", "{{ lsp.address }}"),
        ("Kontak", "{{ lsp.contact }}"),
        ("Nomor berkas", "{{ dossier.number }}"),
        ("Surat permohonan",
         "{% if letter.number %}Nomor {{ letter.number }}{% if letter.date %} tanggal "
         "{{ letter.date|tanggal }}{% endif %}{% else %}-{% endif %}"),
    ])
    para(doc, "dengan rincian sebagai berikut:", space_before=6)

    grid_table(
        doc,
        ["No.", "Skema Sertifikasi", "Jumlah Blanko", "Nomor Seri Blanko"],
        "{%tr for s in schemes %}",
        [("{{ loop.index }}", c), ("{{ s.name }}", None), ("{{ s.competent }}", c),
         ("{% for r in s.serial_ranges %}{{ r.start }} s.d. {{ r.end }}"
          "{% if not loop.last %}; {% endif %}{% endfor %}", c)],
        "{%tr endfor %}",
        [("", False, None), ("Jumlah", True, None), ("{{ blanks_total }}", True, c),
         ("({{ blanks_total_words }} lembar)", False, c)],
        widths=(12, 78, 25, 50),
    )

    tag(doc, "{%p if serial_ranges %}")
    para(doc, "Nomor seri blanko:", space_before=8)
    serial_ranges_table(doc)
    tag(doc, "{%p else %}")
    para(doc, "Nomor seri blanko: ............................ s.d. ............................",
         space_before=8)
    tag(doc, "{%p endif %}")

    p = para(doc,
             "Blanko sertifikat tersebut diterima dalam keadaan baik dan jumlah yang sesuai. "
             "Mohon tanda terima ini ditandatangani dan dibubuhi cap LSP, kemudian pindaiannya "
             "dikirimkan kembali melalui surel{% if office.email %} ke alamat {{ office.email }}"
             "{% endif %} dengan menyebutkan nomor berkas {{ dossier.number }}.",
             space_before=10, space_after=6)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc, "{{ office.city }}, {{ date|tanggal }}", align=WD_ALIGN_PARAGRAPH.RIGHT,
         space_after=8)

    sig = doc.add_table(rows=1, cols=2)
    no_borders(sig)
    left, right = sig.rows[0].cells
    cell_text(left, "Yang Menyerahkan,", align=c)
    para(left, "{{ official.title }}", align=c, space_after=48)
    para(left, "{{ official.name }}", bold=True, underline=True, align=c, space_after=0)
    para(left, "NIP {{ official.nip }}", align=c, space_after=0)
    cell_text(right, "Yang Menerima,", align=c)
    para(right, "{{ lsp.name }}", align=c, space_after=48)
    para(right, "(.......................................)", align=c, space_after=0)
    para(right, "Nama jelas, tanda tangan, cap dan tanggal", size=8, italic=True, align=c,
         space_after=0)
    set_col_widths(sig, (82, 83))

    tag(doc, "{%p if qr_image %}")
    para(doc, "{{ qr_image }}", space_before=10, space_after=0)
    para(doc, "Pindai kode QR untuk memeriksa keaslian tanda terima ini.", size=8, italic=True)
    tag(doc, "{%p endif %}")
    doc.save(path)


def build_sertifikat(path: Path):
    """Print file for a pre-printed blank: only the variable fields, in a layout the
    officer aligns to the blank in Word (paragraph spacing, indents)."""
    doc = new_document(margins_mm=(15, 20, 15, 20))
    c = WD_ALIGN_PARAGRAPH.CENTER
    para(doc, "No. Blanko: {{ blank_serial }}", size=8, align=WD_ALIGN_PARAGRAPH.RIGHT,
         space_after=0)
    # Space left for the pre-printed emblem and title.
    para(doc, "", space_after=0, space_before=130)
    para(doc, "Nomor: {{ certificate_number }}", size=11, align=c, space_after=24)
    para(doc, "{{ name }}", bold=True, size=20, align=c, space_after=2)
    para(doc, "NIK {{ nik }}", size=10, align=c, space_after=24)
    para(doc, "{{ scheme }}", bold=True, size=14, align=c, space_after=24)
    para(doc, "{{ lsp.name }}", size=11, align=c, space_after=24)
    para(doc, "Diterbitkan tanggal {{ issue_date|tanggal }}", size=10, align=c, space_after=0)
    para(doc, "Berlaku sampai dengan {{ valid_until|tanggal }}", size=10, align=c, space_after=18)
    tag(doc, "{%p if qr %}")
    para(doc, "{{ qr }}", align=c, space_after=0)
    tag(doc, "{%p endif %}")
    doc.save(path)


def build_surat_keputusan_pengaduan(path: Path):
    """Decision on a complaint or appeal (Keputusan Penyelesaian Keluhan dan Banding, seed 003
    step 5). Context: templates/README.md."""
    doc = new_document()
    letterhead(doc)
    c = WD_ALIGN_PARAGRAPH.CENTER
    j = WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc, "KEPUTUSAN PENYELESAIAN {{ type_label|upper }}", bold=True, size=13, align=c, space_after=0)
    para(doc, "Nomor: {{ letter_number }}", align=c, space_after=12)
    label_table(doc, [
        ("Kepada Yth.", "{{ complainant.name }}{% if complainant.organisation %} ({{ complainant.organisation }}){% endif %}"),
        ("Nomor register", "{{ entry.number }}"),
        ("Diterima", "{{ received|tanggal }} melalui {{ channel_label|lower }}"),
        ("Perihal", "{{ type_label }}{% if entry.target_number %} atas {{ entry.target_number }}{% endif %}"),
    ])
    para(doc, "Pokok {{ type_label|lower }}:", bold=True, space_before=8)
    para(doc, "{{ summary }}").alignment = j
    para(doc, "Hasil penelusuran:", bold=True, space_before=6)
    para(doc, "Penyebab: {{ entry.cause }}").alignment = j
    para(doc, "Perbaikan: {{ entry.correction }}").alignment = j
    tag(doc, "{%p if actions %}")
    para(doc, "Tindakan korektif untuk mencegah terulang:", space_before=4)
    tag(doc, "{%p for a in actions %}")
    para(doc, "{{ loop.index }}. {{ a.description }} (dicek efektivitasnya {{ a.check_on|tanggal }})")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")
    para(doc, "Keputusan: {{ outcome_label|upper }}", bold=True, space_before=6)
    para(doc, "{{ entry.decision_text }}").alignment = j
    tag(doc, "{%p if appeal %}")
    para(doc, "Keputusan ini disahkan oleh Tim Penyelesaian Banding dan merupakan keputusan akhir "
              "dalam proses banding. Apabila Saudara tidak menerima keputusan ini, Saudara dapat "
              "mengajukan tuntutan ke pengadilan sesuai dengan ketentuan hukum yang berlaku.",
         space_before=6).alignment = j
    tag(doc, "{%p endif %}")
    para(doc, "{{ office.city }}, {{ date|tanggal }}", align=WD_ALIGN_PARAGRAPH.RIGHT, space_before=10)
    tag(doc, "{%p if appeal %}")
    para(doc, "Tim Penyelesaian Banding,", align=c)
    tag(doc, "{%p for m in team %}")
    para(doc, "{{ m.name }} ({{ 'Ketua' if m.chair else 'Anggota' }})", align=c, space_before=24)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "{{ official.title }}", align=c, space_after=48)
    para(doc, "{{ official.name }}", bold=True, underline=True, align=c, space_after=0)
    para(doc, "NIP {{ official.nip }}", align=c, space_after=0)
    tag(doc, "{%p endif %}")
    doc.save(path)


def build_pernyataan_ketidakberpihakan(path: Path):
    """One appeal-team member's declaration of impartiality (seed 003 step 4), signed and
    returned as a scan: the QR code names the appeal and the member."""
    doc = new_document()
    letterhead(doc)
    c = WD_ALIGN_PARAGRAPH.CENTER
    j = WD_ALIGN_PARAGRAPH.JUSTIFY
    para(doc, "PERNYATAAN KETIDAKBERPIHAKAN", bold=True, size=13, align=c, space_after=0)
    para(doc, "ANGGOTA TIM PENYELESAIAN BANDING", bold=True, size=11, align=c, space_after=12)
    para(doc, "Yang bertanda tangan di bawah ini:")
    label_table(doc, [
        ("Nama", "{{ member.name }}"),
        ("Jabatan", "{{ member.position }}"),
        ("Kedudukan dalam tim", "{{ 'Ketua' if member.chair else 'Anggota' }}"),
        ("Banding nomor", "{{ entry.number }}"),
        ("Pemohon banding", "{{ entry.organisation or entry.name or '-' }}"),
        ("Yang dibanding", "{{ entry.target_number or '-' }}"),
        ("Materi banding", "{{ matter }}"),
    ])
    para(doc, "dengan ini menyatakan bahwa saya:", space_before=6)
    for line in (
            "1. tidak terlibat dalam keputusan yang dibanding, baik sebagai auditor, anggota tim evaluasi, "
            "anggota komite, maupun petugas yang menanganinya;",
            "2. dalam dua tahun terakhir tidak memberikan konsultasi kepada dan tidak bekerja pada "
            "pemohon banding;",
            "3. akan memeriksa dan memutus banding ini secara independen, tidak memihak, tanpa "
            "diskriminasi terhadap pemohon banding, dan menjaga kerahasiaan informasinya;",
            "4. akan segera memberitahukan apabila di kemudian hari terdapat hubungan yang dapat "
            "menimbulkan benturan kepentingan."):
        para(doc, line).alignment = j
    para(doc, "{{ office.city }}, {{ date|tanggal }}", align=WD_ALIGN_PARAGRAPH.RIGHT, space_before=10)
    para(doc, "Yang menyatakan,", align=WD_ALIGN_PARAGRAPH.RIGHT, space_after=48)
    para(doc, "{{ member.name }}", bold=True, underline=True, align=WD_ALIGN_PARAGRAPH.RIGHT)
    tag(doc, "{%p if qr_image %}")
    para(doc, "{{ qr_image }}", space_before=10, space_after=0)
    para(doc, "Kirim kembali pindaian pernyataan yang telah ditandatangani; kode QR ini "
              "mencocokkannya dengan banding {{ entry.number }}.", size=8, italic=True)
    tag(doc, "{%p endif %}")
    doc.save(path)


BUILDERS = {
    "lembar_persetujuan.docx": build_lembar_persetujuan,
    "tanda_terima.docx": build_tanda_terima,
    "sertifikat.docx": build_sertifikat,
    "surat_keputusan_pengaduan.docx": build_surat_keputusan_pengaduan,
    "pernyataan_ketidakberpihakan.docx": build_pernyataan_ketidakberpihakan,
}


def main(argv: list[str]) -> int:
    out_dir = Path(argv[1]) if len(argv) > 1 else HERE
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, build in BUILDERS.items():
        build(out_dir / name)
        print(out_dir / name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
