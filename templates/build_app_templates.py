"""Generate the certification-application DOCX templates (templates/sertifikasi/) with python-docx.

    .venv/bin/python templates/build_app_templates.py [out_dir]

The same rules as build_templates.py: the .docx files are committed and officers edit them
in Word (keep each tag in one run). Context: templates/README.md, "Certification applications".
Rerunning this script overwrites the .docx files (and so any edits made in Word).
"""
from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK

from build_templates import (cell_text, grid_table, label_table, letterhead, new_document, no_borders,
                             para, set_col_widths, tag)

HERE = Path(__file__).resolve().parent / "sertifikasi"
C, R, J = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.JUSTIFY


def heading(doc, title: str, number: str = "Nomor: {{ letter_number }}"):
    para(doc, title, bold=True, size=13, align=C, space_after=0)
    para(doc, number, align=C, space_after=12)


def addressee(doc):
    para(doc, "Kepada Yth.", space_after=0)
    para(doc, "Pimpinan {{ customer.name }}", bold=True, space_after=0)
    para(doc, "{{ customer.address }}", space_after=10)


def justified(doc, text: str, **kw):
    p = para(doc, text, **kw)
    p.alignment = J
    return p


def signature(doc, left_title: str | None = None, left_name: str | None = None):
    """Signatory of the office on the right; optionally the applicant on the left."""
    para(doc, "{{ office.city }}, {{ date|tanggal }}", align=R, space_after=8, space_before=10)
    sig = doc.add_table(rows=1, cols=2)
    no_borders(sig)
    left, right = sig.rows[0].cells
    cell_text(left, left_title or "", align=C)
    if left_name:
        para(left, left_name, align=C, space_after=48)
        para(left, "(.......................................)", align=C, space_after=0)
    cell_text(right, "{{ signatory.title }},", align=C)
    para(right, "", space_after=48)
    para(right, "{{ signatory.name }}", bold=True, underline=True, align=C, space_after=0)
    para(right, "NIP {{ signatory.nip }}", align=C, space_after=0)
    set_col_widths(sig, (82, 83))


def tariff_table(doc):
    grid_table(
        doc, ["No.", "Komponen Biaya", "Volume", "Harga Satuan (Rp)", "Jumlah (Rp)"],
        "{%tr for item in tariff.lines %}",
        [("{{ loop.index }}", C), ("{{ item.label }}", None), ("{{ item.quantity }} {{ item.unit }}", C),
         ("{{ item.unit_amount|ribuan }}", R), ("{{ item.amount|ribuan }}", R)],
        "{%tr endfor %}",
        [("", False, None), ("Jumlah", True, None), ("", False, None), ("", False, None),
         ("{{ tariff.total|ribuan }}", True, R)],
        widths=(10, 70, 25, 30, 30))
    para(doc, "Terbilang: {{ tariff.total_words }} rupiah", italic=True, space_before=4)


def build_tanda_terima_permohonan(path: Path):
    doc = new_document()
    letterhead(doc)
    heading(doc, "TANDA TERIMA PERMOHONAN {{ service.name|upper }}", "Nomor permohonan: {{ case.number }}")
    justified(doc, "Telah diterima dengan lengkap permohonan {{ service.name }} dari:")
    label_table(doc, [
        ("Nama perusahaan/pemohon", "{{ customer.name }}"),
        ("NIB", "{{ customer.nib or '-' }}"),
        ("Alamat", "{{ customer.address or '-' }}"),
        ("Narahubung", "{{ customer.contact or '-' }}"),
        ("Tanggal diterima", "{{ case.received_at|tanggal }}"),
        ("Tanggal dinyatakan lengkap", "{{ case.complete_at|tanggal }}"),
        ("Janji penyelesaian", "{{ case.promised_date|tanggal }} ({{ case.target_days }} hari kerja)"),
    ])
    para(doc, "Dokumen yang diterima:", space_before=8)
    grid_table(doc, ["No.", "Persyaratan", "Berkas"], "{%tr for d in received %}",
               [("{{ loop.index }}", C), ("{{ d.label }}", None), ("{{ d.files }}", None)],
               "{%tr endfor %}", widths=(10, 80, 75))
    justified(doc, "Jangka waktu penyelesaian tidak termasuk waktu menunggu pemohon (pembayaran, "
                   "tindakan perbaikan ketidaksesuaian, pengujian produk, kuota peserta). Mohon cantumkan "
                   "nomor permohonan {{ case.number }} pada setiap surat dan surel.", space_before=8)
    signature(doc)
    doc.save(path)


def build_memo_disposisi(path: Path):
    doc = new_document()
    letterhead(doc)
    heading(doc, "MEMO DISPOSISI", "Nomor permohonan: {{ case.number }}")
    label_table(doc, [
        ("Dari", "{{ signatory.title }}"),
        ("Kepada", "Seksi Pengembangan Jasa Teknik (PJT); Seksi Standardisasi dan Sertifikasi (SS)"),
        ("Perihal", "Permohonan {{ service.name }} dari {{ customer.name }}"),
        ("Tanggal diterima", "{{ case.received_at|tanggal }}"),
        ("Janji penyelesaian", "{{ case.promised_date|tanggal }}"),
    ])
    justified(doc, "Mohon ditindaklanjuti sesuai SOP pelayanan sertifikasi: verifikasi dokumen permohonan, "
                   "penawaran biaya dan penjadwalan {{ certificate.activity }}.", space_before=8)
    signature(doc)
    doc.save(path)


def build_penawaran_biaya(path: Path):
    doc = new_document()
    letterhead(doc)
    label_table(doc, [("Nomor", "{{ letter_number }}"), ("Lampiran", "1 (satu) berkas draf kontrak"),
                      ("Perihal", "Penawaran biaya {{ service.name }}")])
    para(doc, "", space_after=4)
    addressee(doc)
    justified(doc, "Menindaklanjuti permohonan Saudara nomor {{ case.number }} tanggal "
                   "{{ case.received_at|tanggal }}, bersama ini kami sampaikan penawaran biaya "
                   "{{ service.name }} sebagai berikut:")
    tariff_table(doc)
    justified(doc, "Biaya tersebut merupakan Penerimaan Negara Bukan Pajak (PNBP) dan dibayarkan melalui "
                   "kode billing yang akan kami sampaikan. Apabila Saudara menyetujui penawaran ini, mohon "
                   "menandatangani draf kontrak terlampir dan mengirimkannya kembali melalui surel.",
              space_before=8)
    signature(doc)
    doc.save(path)


def build_draf_kontrak(path: Path):
    doc = new_document()
    letterhead(doc)
    heading(doc, "DRAF KONTRAK / PERJANJIAN SERTIFIKASI")
    justified(doc, "Perjanjian {{ service.name }} ini dibuat antara {{ office.name }}, selanjutnya "
                   "disebut PIHAK PERTAMA, dan {{ customer.name }} (NIB {{ customer.nib or '-' }}), "
                   "beralamat di {{ customer.address or '-' }}, selanjutnya disebut PIHAK KEDUA.")
    para(doc, "Pasal 1 - Lingkup", bold=True, space_before=6)
    justified(doc, "PIHAK PERTAMA melaksanakan {{ service.name }} untuk PIHAK KEDUA dengan ruang lingkup: "
                   "{{ scope or '-' }}, di lokasi {{ site or customer.address or '-' }}.")
    para(doc, "Pasal 2 - Biaya", bold=True, space_before=6)
    justified(doc, "Biaya sertifikasi sebesar Rp {{ tariff.total|ribuan }} ({{ tariff.total_words }} rupiah) "
                   "dibayarkan melalui kode billing PNBP sebelum pelaksanaan {{ certificate.activity }}.")
    para(doc, "Pasal 3 - Kewajiban", bold=True, space_before=6)
    justified(doc, "PIHAK KEDUA menyediakan akses, dokumen dan personel yang diperlukan untuk {{ certificate.activity }}, "
                   "menindaklanjuti ketidaksesuaian dalam batas waktu yang ditetapkan, dan menggunakan "
                   "sertifikat serta tanda sesuai ketentuan. Sertifikat berlaku {{ certificate.validity_years }} "
                   "tahun{{ ' dengan survailen sesuai jadwal' if certificate.surveillance_months else '' }}.")
    para(doc, "Pasal 4 - Jangka Waktu Pelayanan", bold=True, space_before=6)
    justified(doc, "Pelayanan diselesaikan paling lama {{ case.target_days }} hari kerja, tidak termasuk waktu "
                   "menunggu PIHAK KEDUA.")
    signature(doc, "PIHAK KEDUA,", "{{ customer.name }}")
    doc.save(path)


def build_surat_tagihan(path: Path):
    doc = new_document()
    letterhead(doc)
    label_table(doc, [("Nomor", "{{ letter_number }}"), ("Perihal", "Penagihan biaya {{ service.name }}")])
    para(doc, "", space_after=4)
    addressee(doc)
    justified(doc, "Sehubungan dengan permohonan nomor {{ case.number }}, dengan ini kami sampaikan tagihan "
                   "biaya {{ service.name }} sebagai berikut:")
    label_table(doc, [
        ("Kode billing", "{{ billing.code }}"),
        ("Jumlah tagihan", "Rp {{ tariff.total|ribuan }}"),
        ("Terbilang", "{{ tariff.total_words }} rupiah"),
        ("Bayar sebelum", "{{ billing.due_date|tanggal }}"),
    ])
    tariff_table(doc)
    justified(doc, "Pembayaran dilakukan melalui bank/pos persepsi dengan kode billing di atas. Mohon bukti "
                   "pembayaran (NTPN) dikirimkan dengan membalas surel ini. Waktu menunggu pembayaran tidak "
                   "dihitung dalam jangka waktu pelayanan.", space_before=8)
    signature(doc)
    doc.save(path)


def build_pemberitahuan_audit(path: Path):
    doc = new_document()
    letterhead(doc)
    label_table(doc, [("Nomor", "{{ letter_number }}"),
                      ("Perihal", "Pemberitahuan pelaksanaan {{ certificate.activity or 'audit' }}")])
    para(doc, "", space_after=4)
    addressee(doc)
    justified(doc, "Menindaklanjuti permohonan {{ service.name }} nomor {{ case.number }} dan pembayaran yang "
                   "telah kami terima, dengan ini kami beritahukan pelaksanaan "
                   "{{ certificate.activity or 'audit' }} sebagai berikut:")
    label_table(doc, [
        ("{{ audit.stage1_label }}", "{{ audit.stage1_date|tanggal }}"),
        ("{{ audit.stage2_label }}", "{{ audit.stage2_date|tanggal }}"),
        ("Lokasi", "{{ site or customer.address or '-' }}"),
        ("Biaya", "Rp {{ tariff.total|ribuan }} ({{ tariff.total_words }} rupiah)"),
    ])
    para(doc, "{{ certificate.team_name|capitalize }}:", space_before=8)
    grid_table(doc, ["No.", "Nama", "Peran", "Kompetensi"], "{%tr for m in audit.team %}",
               [("{{ loop.index }}", C), ("{{ m.name }}", None), ("{{ m.role }}", None),
                ("{{ m.competences }}", None)], "{%tr endfor %}", widths=(10, 60, 40, 55))
    justified(doc, "Mohon konfirmasi kesediaan pada tanggal tersebut dengan membalas surel ini.", space_before=8)
    signature(doc)
    doc.save(path)


def build_sertifikat(path: Path):
    doc = new_document(margins_mm=(20, 20, 20, 20))
    tag(doc, "{%p for h in certificate.holders %}")
    para(doc, "{{ office.name|upper }}", bold=True, size=12, align=C, space_after=18)
    para(doc, "{{ certificate.title }}", bold=True, size=18, align=C, space_after=2)
    para(doc, "Nomor: {{ h.number }}", align=C, space_after=18)
    para(doc, "diberikan kepada", italic=True, align=C, space_after=4)
    para(doc, "{{ h.name }}", bold=True, size=20, align=C, space_after=2)
    para(doc, "{{ h.detail }}", size=10, align=C, space_after=14)
    justified(doc, "yang telah memenuhi persyaratan {{ certificate.standard }} untuk ruang lingkup: "
                   "{{ h.scope }}", space_after=4)
    para(doc, "Lokasi: {{ h.site }}", size=10, align=C, space_after=14)
    para(doc, "Diterbitkan tanggal {{ certificate.issue_date|tanggal }}", size=10, align=C, space_after=0)
    tag(doc, "{%p if certificate.expiry_date %}")
    para(doc, "Berlaku sampai dengan {{ certificate.expiry_date|tanggal }}", size=10, align=C, space_after=0)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if certificate.surveillance %}")
    para(doc, "Survailen: {{ certificate.surveillance }}", size=9, align=C, space_after=0)
    tag(doc, "{%p endif %}")
    para(doc, "{{ office.city }}, {{ certificate.issue_date|tanggal }}", align=C, space_before=14, space_after=0)
    para(doc, "{{ signatory.title }}", align=C, space_after=40)
    para(doc, "{{ signatory.name }}", bold=True, underline=True, align=C, space_after=0)
    para(doc, "NIP {{ signatory.nip }}", align=C, space_after=10)
    para(doc, "{{ h.qr }}", align=C, space_after=0)
    para(doc, "Pindai kode QR untuk memeriksa keabsahan sertifikat ini: {{ h.verify_url }}", size=8,
         italic=True, align=C)
    tag(doc, "{%p if not loop.last %}")
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")
    doc.save(path)


def build_berita_acara(path: Path):
    doc = new_document()
    letterhead(doc)
    heading(doc, "BERITA ACARA SERAH TERIMA SERTIFIKAT")
    justified(doc, "Pada hari ini, {{ date|tanggal(True) }}, telah dilakukan serah terima sertifikat "
                   "{{ service.name }} antara {{ office.name }} (YANG MENYERAHKAN) dan {{ customer.name }} "
                   "(YANG MENERIMA) dengan rincian:")
    grid_table(doc, ["No.", "Nomor Sertifikat", "Atas Nama", "Berlaku Sampai"],
               "{%tr for h in certificate.holders %}",
               [("{{ loop.index }}", C), ("{{ h.number }}", None), ("{{ h.name }}", None),
                ("{{ certificate.expiry_date|tanggal if certificate.expiry_date else '-' }}", C)],
               "{%tr endfor %}", widths=(10, 55, 65, 35))
    justified(doc, "Nomor permohonan: {{ case.number }}. Sertifikat diterima dalam keadaan baik. Berita acara "
                   "ini dibuat untuk dipergunakan sebagaimana mestinya.", space_before=8)
    signature(doc, "YANG MENERIMA,", "{{ customer.name }}")
    doc.save(path)


def build_surat_pemeliharaan(path: Path):
    doc = new_document()
    letterhead(doc)
    para(doc, "Nomor: {{ letter_number }}", space_after=0)
    para(doc, "Perihal: Keputusan pemeliharaan sertifikat {{ service.name }}", space_after=10)
    addressee(doc)
    heading(doc, "SURAT KEPUTUSAN PEMELIHARAAN SERTIFIKAT", number="Permohonan {{ case.number }}")
    justified(doc, "Berdasarkan hasil {{ certificate.surveillance_activity }} dan keputusan Komite Evaluasi atas permohonan nomor "
                   "{{ case.number }}, dengan ini kami sampaikan bahwa sertifikat {{ service.name }} berikut "
                   "DIPELIHARA dan tetap berlaku:")
    grid_table(doc, ["No.", "Nomor Sertifikat", "Atas Nama", "Survailen Dilaksanakan", "Survailen Berikutnya",
                     "Berlaku Sampai"],
               "{%tr for m in maintained %}",
               [("{{ loop.index }}", C), ("{{ m.number }}", None), ("{{ m.holder }}", None),
                ("{{ m.done_on|tanggal if m.done_on else '-' }}", C),
                ("{{ m.next_due|tanggal if m.next_due else 'sertifikasi ulang' }}", C),
                ("{{ m.expiry_date|tanggal if m.expiry_date else '-' }}", C)],
               "{%tr endfor %}", widths=(10, 40, 40, 27, 27, 27))
    justified(doc, "Sertifikat yang telah diterbitkan tetap digunakan; tidak diterbitkan sertifikat baru. Mohon "
                   "mempersiapkan survailen berikutnya sesuai jadwal di atas.", space_before=8)
    signature(doc)
    doc.save(path)


BUILDERS = {
    "tanda_terima_permohonan.docx": build_tanda_terima_permohonan,
    "memo_disposisi.docx": build_memo_disposisi,
    "penawaran_biaya.docx": build_penawaran_biaya,
    "draf_kontrak.docx": build_draf_kontrak,
    "surat_tagihan.docx": build_surat_tagihan,
    "pemberitahuan_audit.docx": build_pemberitahuan_audit,
    "sertifikat.docx": build_sertifikat,
    "berita_acara_serah_terima.docx": build_berita_acara,
    "surat_pemeliharaan.docx": build_surat_pemeliharaan,
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
