"""Words officers read: finding labels, history events and their details in plain Indonesian.

Finding codes and event names are stable identifiers for code and logs; a person reads the
label. Codes without a curated label are spelled out ("NIK_GANDA" -> "Nik ganda"), so no raw
code, `None` or status code reaches a page."""
from __future__ import annotations

from datetime import date, datetime

from pipelines.decide import STATUS_LABELS

FINDING_LABELS = {
    "BLANKO_TIDAK_SESUAI": "Jumlah blanko tidak sama dengan peserta kompeten",
    "BLANKO_TIDAK_SESUAI_KEPUTUSAN": "Jumlah blanko tidak sama dengan keputusan sertifikasi",
    "JUMLAH_KOMPETEN_TIDAK_SESUAI": "Jumlah peserta kompeten berbeda antar dokumen",
    "JUMLAH_PESERTA_K_BERBEDA": "Jumlah peserta kompeten berbeda antar dokumen",
    "JUMLAH_SKEMA_TIDAK_SESUAI": "Jumlah skema berbeda antar dokumen",
    "ANGKA_TERBILANG_TIDAK_SESUAI": "Angka dan terbilang tidak sama",
    "DOKUMEN_TIDAK_ADA": "Dokumen wajib tidak ada",
    "DOKUMEN_BERLEBIH": "Dokumen lebih dari yang diminta",
    "DOKUMEN_TIDAK_DIKENALI": "Dokumen tidak dikenali",
    "DAFTAR_PESERTA_KOSONG": "Daftar peserta kosong",
    "KOLOM_PESERTA_TIDAK_DITEMUKAN": "Kolom daftar peserta tidak ditemukan",
    "KOLOM_WAJIB_TIDAK_ADA": "Kolom wajib tidak ada",
    "SEL_WAJIB_KOSONG": "Isian wajib kosong",
    "HASIL_TIDAK_DIKENALI": "Hasil asesmen tidak dikenali (bukan K/BK)",
    "NIK_TIDAK_VALID": "NIK tidak sah",
    "NIK_GANDA": "NIK tercantum dua kali",
    "NIK_PERNAH_DIAJUKAN": "NIK sudah pernah diajukan",
    "NIK_TANGGAL_LAHIR_TIDAK_SESUAI": "Tanggal lahir tidak cocok dengan NIK",
    "NIK_TANGGAL_TIDAK_VALID": "Tanggal dalam NIK tidak sah",
    "NIK_JENIS_KELAMIN_TIDAK_SESUAI": "Jenis kelamin tidak cocok dengan NIK",
    "NIK_PROVINSI_TIDAK_VALID": "Kode provinsi dalam NIK tidak sah",
    "NIK_MUNGKIN_TERPOTONG": "NIK mungkin terpotong",
    "NIK_NOL_DEPAN_HILANG": "Angka nol di depan NIK hilang",
    "NIK_NOTASI_ILMIAH": "NIK tersimpan sebagai notasi ilmiah di Excel",
    "NIK_PRESISI_HILANG": "Digit akhir NIK hilang (tersimpan sebagai angka)",
    "NIK_TERSIMPAN_ANGKA": "NIK tersimpan sebagai angka di Excel",
    "PENGIRIM_TIDAK_TERDAFTAR": "Pengirim tidak terdaftar sebagai LSP",
    "LSP_TIDAK_SESUAI": "LSP pada dokumen berbeda dengan pengirim",
    "SKEMA_TIDAK_SESUAI": "Skema berbeda antar dokumen",
    "SKEMA_TIDAK_DIKETAHUI": "Skema tidak dikenal",
    "SKEMA_TANPA_BERITA_ACARA": "Skema tanpa berita acara asesmen",
    "TANGGAL_MASA_DEPAN": "Tanggal di masa depan",
    "TANGGAL_TIDAK_URUT": "Urutan tanggal tidak masuk akal",
    "PDF_TANPA_TEKS": "PDF hasil pindaian (tanpa teks)",
    "PDF_TERENKRIPSI": "PDF terkunci kata sandi",
    "PDF_RUSAK": "PDF rusak",
    "OCR_TIDAK_YAKIN": "Hasil baca pindaian kurang yakin",
    "PERLU_PEMERIKSAAN_MANUAL": "Perlu diperiksa manual",
    "UKURAN_TERLALU_BESAR": "Berkas terlalu besar",
    "BERKAS_TIDAK_TERBACA": "Berkas tidak dapat dibaca",
    "BERKAS_EXCEL_RUSAK": "Berkas Excel rusak",
    "LAMPIRAN_KOSONG": "Lampiran kosong",
    "TANDA_TERIMA_BELUM_KEMBALI": "Tanda terima belum kembali",
}

EVENT_LABELS = {
    "berkas_dibuat": "Berkas dibuat", "berkas_diperiksa": "Berkas diperiksa",
    "berkas_disetujui": "Disetujui pejabat", "berkas_dikembalikan": "Dikembalikan ke petugas",
    "berkas_diajukan_kembali": "Diajukan kembali", "berkas_ditutup": "Berkas ditutup",
    "berkas_diambil": "Berkas diambil petugas", "berkas_diambil_alih": "Berkas diambil alih",
    "berkas_dilepas": "Berkas dilepas", "berkas_dihubungkan_ke_lsp": "Dihubungkan ke LSP terdaftar",
    "pengirim_didaftarkan": "Pengirim didaftarkan", "permintaan_kelengkapan_dikirim": "Permintaan kelengkapan diantrekan",
    "temuan_dikesampingkan": "Temuan dikesampingkan", "periksa_ulang": "Periksa ulang",
    "catatan": "Catatan", "surel_terkirim": "Surel terkirim", "surel_duplikat": "Surel duplikat",
    "surel_otomatis_diabaikan": "Balasan otomatis diabaikan", "surel_gagal_diproses": "Surel gagal diproses",
    "surel_status_tidak_pasti": "Status kirim tidak pasti", "balasan_otomatis_dibatasi": "Balasan otomatis dibatasi",
    "surel_tidak_terklasifikasi": "Surel tidak dikenali jenisnya", "surel_lanjutan_diterima": "Surel lanjutan diterima",
    "surel_ditutup_tidak_relevan": "Surel ditutup (tidak relevan)", "surel_diterima": "Surel diterima",
    "blanko_dialokasikan": "Nomor blanko dialokasikan", "paket_dikemas": "Paket dikemas",
    "paket_dikirim": "Paket dikirim", "tanda_terima_kembali": "Tanda terima kembali dari LSP",
    "pengingat_tanda_terima": "Pengingat tanda terima", "status_sertifikat_diubah": "Status sertifikat diubah",
}

DETAIL_LABELS = {
    "galat": "galat", "temuan": "jumlah temuan", "dokumen": "dokumen dibuat", "nomor": "nomor berkas",
    "jenis": "jenis", "aturan": "aturan surel", "kode": "temuan", "lokasi": "lokasi", "alasan": "alasan",
    "catatan": "catatan", "kepada": "kepada", "subjek": "subjek", "outbox_id": "nomor antrean surel",
    "penyetuju": "disetujui oleh", "surel": "nomor surel", "dari": "dari", "lsp": "LSP", "pengirim": "pengirim",
    "alamat": "alamat", "lsp_baru": "LSP baru", "nomor_seri": "nomor seri", "jumlah": "jumlah",
}

MAIL_CLASS_LABELS = {"unclassified": "tidak dikenali jenisnya", "tidak_relevan": "tidak relevan",
                     "autoreply": "balasan otomatis", "duplicate": "duplikat", "": "belum diklasifikasi",
                     None: "belum diklasifikasi"}

GENERATED_KINDS = {"lembar_persetujuan": "lembar persetujuan", "tanda_terima": "tanda terima"}


def spelled(code: str | None) -> str:
    """A code nobody labelled, as words: "NIK_GANDA" -> "Nik ganda"."""
    text = (code or "").replace("_", " ").strip().lower()
    return text[:1].upper() + text[1:] if text else "–"


def finding_label(code: str | None) -> str:
    return FINDING_LABELS.get(code or "", None) or spelled(code)


def event_label(action: str | None) -> str:
    return EVENT_LABELS.get(action or "", None) or spelled(action)


def detail_value(key: str, value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "ya" if value else "tidak"
    if isinstance(value, (list, tuple)):
        return ", ".join(detail_value(key, v) for v in value) or "–"
    if isinstance(value, dict):
        return "; ".join(f"{DETAIL_LABELS.get(k, spelled(k).lower())}: {detail_value(k, v)}" for k, v in value.items())
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    if key == "kode":
        return finding_label(text)
    if text in STATUS_LABELS:
        return STATUS_LABELS[text]
    return GENERATED_KINDS.get(text, MAIL_CLASS_LABELS.get(text, text))


def details(detail: dict | None) -> list[tuple[str, str]]:
    """An event's details as (label, value) pairs a person reads."""
    return [(DETAIL_LABELS.get(k, spelled(k).lower()), detail_value(k, v)) for k, v in (detail or {}).items()]
