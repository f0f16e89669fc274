"""Realistic application mails for the certification services (Process B): Indonesian letters
and forms as real PDFs (reportlab), company documents, product specifications, participant
lists (openpyxl); complete, incomplete, zipped, and replies in the thread."""
from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

import io

from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from tests.read.read_builders import zip_of

OFFICE = "layanan@baristand-palembang.example.go.id"


def text_pdf(lines: list[str]) -> bytes:
    """A one-page text PDF; invariant, so the bundled sample mailbox is reproducible."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, invariant=1)
    y = 800
    for line in lines:
        c.drawString(50, y, line)
        y -= 16
    c.showPage()
    c.save()
    return buf.getvalue()
_ids = itertools.count(1)


@dataclass
class Company:
    name: str
    nib: str
    address: str
    contact: str
    phone: str
    email: str
    city: str = "Palembang"
    products: list[str] = field(default_factory=list)


SINAR_BAJA = Company("PT Sinar Baja Nusantara", "8120001234567", "Jl. Mayor Zen No. 88, Kalidoni, Palembang",
                     "Ir. Rudi Hartono (Wakil Manajemen)", "0711-712345", "qa@sinarbaja.example.co.id",
                     products=["Baja tulangan beton sirip (BjTS 420B), SNI 2052:2017"])
KOPI_MUSI = Company("CV Kopi Musi Sejahtera", "9120104455667", "Jl. Kolonel H. Barlian Km 7, Sukarami, Palembang",
                    "Sri Rahayu", "0812-7788-9900", "admin@kopimusi.example.id",
                    products=["Kopi bubuk, SNI 01-3542-2004"])
PUPUK_SRIWIJAYA = Company("PT Pupuk Hijau Sriwijaya", "8120207788990", "Jl. Mayor Zurbi Bustan, Sei Selayur, Palembang",
                          "Dr. Andi Saputra", "0711-350001", "lingkungan@pupukhijau.example.co.id")
AKADEMI = Company("PT Mutu Prima Konsultan", "9120301122334", "Jl. Demang Lebar Daun No. 12, Palembang",
                  "Fitri Handayani", "0813-1234-5678", "pelatihan@mutuprima.example.id")

# service kind -> (subject, letter topic, form extras, extra documents)
SERVICES = {
    "iso9001_lsbbk": ("Permohonan Sertifikasi ISO 9001:2015 - {name}",
                      "sertifikasi Sistem Manajemen Mutu ISO 9001:2015",
                      ["Ruang Lingkup : Produksi baja tulangan beton sirip dan polos",
                       "Lokasi Audit : Jl. Mayor Zen No. 88, Kalidoni, Palembang"],
                      {"manual_mutu.pdf": ["MANUAL MUTU", "Kebijakan Mutu: kepuasan pelanggan adalah prioritas.",
                                           "Sasaran Mutu 2026: keluhan pelanggan < 1%.",
                                           "Prosedur pengendalian dokumen dan rekaman (klausul 7.5)."]}),
    "sppt_sni_tipe5": ("Permohonan SPPT SNI Tipe 5 - {name}",
                       "Sertifikat Produk Penggunaan Tanda SNI (SPPT SNI) dengan sistem sertifikasi tipe 5",
                       ["Nama Produk : Kopi bubuk", "Merek : Kopi Musi", "SNI Acuan : SNI 01-3542-2004",
                        "Lokasi Pabrik : Jl. Kolonel H. Barlian Km 7, Palembang"],
                      {"spesifikasi_produk.pdf": ["SPESIFIKASI TEKNIS PRODUK", "Produk: kopi bubuk, SNI 01-3542-2004",
                                                  "Tipe/Model: bubuk halus, kemasan 250 g", "Kadar air maks. 7%"],
                       "manual_mutu_pabrik.pdf": ["MANUAL MUTU PABRIK", "Kebijakan Mutu dan sasaran mutu produksi"]}),
    "sppt_sni_tipe1": ("Permohonan SPPT SNI Tipe 1 per lot - {name}",
                       "SPPT SNI tipe 1 untuk satu lot impor",
                       ["Nama Produk : Baja lembaran lapis seng", "Nomor Lot : LOT-2026-118", "SNI Acuan : SNI 4096:2007"],
                       {"packing_list_spesifikasi.pdf": ["PACKING LIST DAN SPESIFIKASI TEKNIS PRODUK",
                                                         "SNI 4096:2007, 120 coil, berat bersih 240 ton"]}),
    "industri_hijau": ("Permohonan Sertifikasi Industri Hijau - {name}",
                       "Sertifikasi Industri Hijau",
                       ["KBLI : 20121 Industri pupuk alam/non sintetis", "Lokasi Pabrik : Sei Selayur, Palembang"],
                       {"data_kinerja_energi.pdf": ["DATA KINERJA 2023-2025", "Konsumsi energi: 12,4 GJ/ton",
                                                    "Penggunaan air: 3,1 m3/ton", "Pengelolaan limbah B3 berizin"]}),
    "iso14001": ("Permohonan Sertifikasi ISO 14001:2015 - {name}",
                 "sertifikasi Sistem Manajemen Lingkungan ISO 14001:2015",
                 ["Ruang Lingkup : Produksi pupuk organik granul", "Lokasi Audit : Sei Selayur, Palembang"],
                 {"manual_lingkungan.pdf": ["MANUAL SISTEM MANAJEMEN LINGKUNGAN", "Kebijakan Lingkungan",
                                            "Identifikasi aspek dan dampak lingkungan"],
                  "persetujuan_lingkungan.pdf": ["PERSETUJUAN LINGKUNGAN", "Dokumen UKL-UPL kegiatan industri pupuk"]}),
    "sertifikasi_person": ("Permohonan Sertifikasi Person Petugas Pengambil Contoh - {name}",
                           "sertifikasi person (Petugas Pengambil Contoh) bagi 3 orang karyawan kami",
                           [], {"ijazah_peserta.pdf": ["SALINAN IJAZAH PESERTA", "Ijazah S1 Teknik Kimia",
                                                       "Surat keterangan kerja 5 tahun"]}),
    "bimtek": ("Permohonan Bimbingan Teknis Penerapan SNI - {name}",
               "bimbingan teknis penerapan SNI ISO/IEC 17025 bagi 3 orang karyawan kami", [], {}),
}
PEOPLE = [("Andi Pratama", "1671010101900001", "S1 Teknik Kimia"), ("Siti Aminah", "1671024502920002", "D3 Analis Kimia"),
          ("Bayu Nugroho", "1671031203880003", "S1 Teknik Industri")]


def candidate_list_xlsx(scheme: str, people=PEOPLE, nik_header: str | None = "NIK", as_number: bool = False) -> bytes:
    """The applicant's list of candidates (no result yet): title rows, then one row per person. The
    NIK column under the header the LSP typed, the NIK as text or as a number (what Excel keeps
    when the column is not formatted as text), or no NIK column (nik_header None)."""
    import openpyxl
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Peserta"
    ws.append([f"DAFTAR PESERTA {scheme.upper()}"])
    ws.append(["Perusahaan: " + AKADEMI.name])
    ws.append([])
    ws.append(["No", "Nama Lengkap", *([nik_header] if nik_header else []), "Pendidikan Terakhir", "Skema"])
    for i, (name, nik, education) in enumerate(people, 1):
        ws.append([i, name, *([int(nik) if as_number else nik] if nik_header else []), education, scheme])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def letter_pdf(company: Company, topic: str, number: str = "017/SBN/X/2026") -> bytes:
    return text_pdf([
        f"{company.name.upper()}", company.address, "",
        f"Nomor    : {number}", "Lampiran : 1 berkas", f"Perihal  : Permohonan {topic[:60]}", "",
        "Kepada Yth. Kepala Balai", "di Palembang", "", "Dengan hormat,",
        f"Dengan ini kami mengajukan permohonan {topic[:70]}",
        "Bersama ini kami lampirkan dokumen persyaratan.", "", "Hormat kami,", company.contact])


def form_pdf(company: Company, service_name: str, extras: list[str]) -> bytes:
    return text_pdf([
        f"FORMULIR PERMOHONAN {service_name.upper()[:60]}", "",
        f"Nama Perusahaan : {company.name}", f"NIB : {company.nib}", f"Alamat : {company.address}",
        f"Narahubung : {company.contact}", f"Telepon : {company.phone}", f"Email : {company.email}",
        *extras, "", "Dengan ini menyatakan data di atas benar."])


def nib_pdf(company: Company) -> bytes:
    return text_pdf(["PERIZINAN BERUSAHA BERBASIS RISIKO", "NOMOR INDUK BERUSAHA: " + company.nib,
                     f"Nama Pelaku Usaha: {company.name}", f"Alamat: {company.address}",
                     "Diterbitkan oleh Lembaga OSS"])


def application_files(kind: str, company: Company, service_name: str) -> dict[str, bytes]:
    subject, topic, extras, docs = SERVICES[kind]
    files = {"surat_permohonan.pdf": letter_pdf(company, topic)}
    if kind in ("sertifikasi_person", "bimtek"):
        scheme = "Petugas Pengambil Contoh" if kind == "sertifikasi_person" else "Penerapan SNI ISO/IEC 17025"
        files["daftar_peserta.xlsx"] = candidate_list_xlsx(scheme)
    else:
        files["formulir_permohonan.pdf"] = form_pdf(company, service_name, extras)
        files["nib.pdf"] = nib_pdf(company)
    for name, lines in docs.items():
        files[name] = text_pdf(lines)
    return files


def application_mail(kind: str, company: Company, service_name: str, *, files: dict | None = None,
                     drop: tuple[str, ...] = (), zipped: bool = False, subject: str | None = None,
                     in_reply_to: str = "", message_id: str | None = None, body: str | None = None,
                     date: str | None = None) -> bytes:
    files = dict(application_files(kind, company, service_name) if files is None else files)
    for name in drop:
        files.pop(name)
    if zipped:
        files = {"berkas_permohonan.zip": zip_of(files)}
    msg = EmailMessage()
    msg["From"] = f"{company.contact} <{company.email}>"
    msg["To"] = OFFICE
    msg["Subject"] = subject or SERVICES[kind][0].format(name=company.name)
    msg["Message-ID"] = message_id or make_msgid(idstring=f"app{next(_ids)}", domain=company.email.split("@")[1])
    if date:
        msg["Date"] = date
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body or f"Dengan hormat,\n\nBersama ini kami sampaikan permohonan {SERVICES[kind][1]}."
                            f"\nDokumen terlampir.\n\nHormat kami,\n{company.contact}\n{company.name}\n")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype=_subtype(name), filename=name)
    if msg.is_multipart():   # a boundary from the Message-ID: the same mail gives the same bytes
        msg.set_boundary("==sertiflow-" + hashlib.sha256(msg["Message-ID"].encode()).hexdigest()[:24])
    return msg.as_bytes()


def reply(company: Company, to_message, body: str, files: dict[str, bytes] | None = None,
          subject: str | None = None) -> bytes:
    """The applicant answers in the thread of one of the office's mails."""
    msg = EmailMessage()
    msg["From"] = f"{company.contact} <{company.email}>"
    msg["To"] = OFFICE
    msg["Subject"] = subject or ("Re: " + to_message["Subject"])
    msg["Message-ID"] = make_msgid(idstring=f"re{next(_ids)}", domain=company.email.split("@")[1])
    msg["In-Reply-To"] = to_message["Message-ID"]
    msg["References"] = to_message["Message-ID"]
    msg.set_content(body)
    for name, data in (files or {}).items():
        msg.add_attachment(data, maintype="application", subtype=_subtype(name), filename=name)
    return msg.as_bytes()


def _subtype(filename: str) -> str:
    return {"pdf": "pdf", "zip": "zip"}.get(filename.rsplit(".", 1)[-1].lower(), "octet-stream")


def payment_proof_pdf(company: Company, billing_code: str, amount: str) -> bytes:
    return text_pdf(["BUKTI PENERIMAAN NEGARA", f"Kode Billing: {billing_code}", "NTPN: 0A1B2C3D4E5F6G7H",
                     f"Nama Wajib Bayar: {company.name}", f"Jumlah: Rp {amount}"])
