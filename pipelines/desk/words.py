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
    "DOKUMEN_PERLU_DIPASTIKAN": "Dokumen wajib belum dipastikan (berkas dengan nama serupa)",
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
    "SKEMA_PERLU_DIPERIKSA": "Skema perlu diperiksa petugas",
    "SKEMA_TIDAK_TERBACA": "Skema tidak terbaca dari dokumen",
    "JUMLAH_TIDAK_TERBACA": "Jumlah (blanko/peserta) tidak terbaca dari dokumen",
    "DATA_PERSETUJUAN_KOSONG": "Data untuk lembar persetujuan belum terbaca",
    "DATA_TIDAK_TERBACA": "Data dokumen tidak terbaca",
    "FORMAT_TIDAK_SESUAI": "Format berkas tidak sesuai",
    "NAMA_BERKAS_MENYESATKAN": "Nama berkas tidak sesuai isinya",
    "JENIS_BERKAS_TIDAK_SESUAI": "Jenis berkas tidak sesuai isinya",
    "BERKAS_TERENKRIPSI": "Berkas terkunci kata sandi",
    "GAMBAR_RUSAK": "Berkas gambar rusak",
    "PDF_TERPOTONG": "PDF terpotong (tidak lengkap)",
    "PDF_HALAMAN_DIBATASI": "Hanya sebagian halaman PDF yang dibaca",
    "OCR_DIBATASI": "Pembacaan pindaian dibatasi",
    "OCR_TIDAK_TERSEDIA": "Pembaca pindaian (OCR) tidak tersedia",
    "RUMUS_TANPA_NILAI": "Rumus Excel tanpa nilai tersimpan",
    "ARSIP_BERSARANG": "Arsip di dalam arsip",
    "ARSIP_RASIO_MENCURIGAKAN": "Arsip dengan rasio kompresi mencurigakan",
    "ARSIP_RUSAK": "Arsip rusak",
    "ARSIP_TERENKRIPSI": "Arsip terkunci kata sandi",
    "ARSIP_TERLALU_BANYAK_BERKAS": "Arsip berisi terlalu banyak berkas",
    "ARSIP_TERLALU_BESAR": "Arsip terlalu besar",
    "ARSIP_TIDAK_DIDUKUNG": "Jenis arsip tidak didukung",
    "LAMPIRAN_RUSAK": "Lampiran rusak",
    "LAMPIRAN_TERLALU_BANYAK": "Lampiran terlalu banyak",
    "LAMPIRAN_TNEF": "Lampiran winmail.dat (Outlook)",
    "NAMA_LAMPIRAN_DIUBAH": "Nama lampiran disesuaikan",
    "HEADER_TIDAK_TERBACA": "Kepala surel tidak terbaca",
    "PESAN_CACAT": "Surel cacat",
    "PESAN_KOSONG": "Surel kosong",
    "PESAN_TERUSAN": "Surel terusan",
    "PESAN_TERUSAN_BERSARANG": "Surel terusan di dalam surel terusan",
    "PESAN_TIDAK_TERBACA": "Surel tidak terbaca",
    "PESAN_MELEBIHI_BATAS_WAKTU": "Surel tidak selesai dibaca dalam batas waktu",
    "PESAN_MELEBIHI_BATAS_MEMORI": "Surel melebihi batas memori saat dibaca",
    "BATAS_WAKTU_TERLAMPAUI": "Berkas tidak selesai dibaca dalam batas waktu",
    "BATAS_MEMORI_TERLAMPAUI": "Berkas melebihi batas memori saat dibaca",
    "PEMBACA_GAGAL": "Berkas gagal dibaca otomatis",
    "BATAS_TIDAK_AKTIF": "Dibaca tanpa batas waktu dan memori",
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
    # complaints and appeals (pipelines/complaints)
    "pengaduan_dicatat": "Pengaduan dicatat di register",
    "pengaduan_diidentifikasi": "Pengaduan diidentifikasi, tanda terima dikirim",
    "pengaduan_diteruskan": "Diteruskan ke Penanggung Jawab Teknis", "investigasi_selesai": "Investigasi selesai",
    "pengaduan_tentang_klien": "Pengaduan tentang klien bersertifikat diteruskan ke berkasnya",
    "keterlibatan_dicatat": "Keterlibatan pegawai dicatat", "tim_banding_ditolak": "Usulan tim banding ditolak",
    "tim_banding_dibentuk": "Tim banding dibentuk", "tim_banding_lengkap": "Tim banding lengkap",
    "pernyataan_ketidakberpihakan_diterima": "Pernyataan ketidakberpihakan diterima",
    "pernyataan_tidak_cocok": "Pindaian pernyataan tidak cocok", "keputusan_diterbitkan": "Keputusan diterbitkan",
    "pengaduan_ditutup": "Pengaduan ditutup", "pengaduan_tidak_dibalas": "Tidak dijawab (anonim/bukan pengaduan)",
    "efektivitas_dicek": "Efektivitas tindakan korektif dicek",
    # certification applications (pipelines/applications)
    "permohonan_dicatat_petugas": "Permohonan dicatat petugas", "langkah_selesai": "Langkah selesai",
    "jam_layanan_mulai": "Jam layanan mulai berjalan", "jam_layanan_terlambat": "Jam layanan melewati janji",
    "ketidaksesuaian_dicatat": "Ketidaksesuaian dicatat", "ketidaksesuaian_ditutup": "Ketidaksesuaian ditutup",
    "tim_audit_ditetapkan": "Tim audit ditetapkan", "tim_audit_ditolak": "Usulan tim audit ditolak",
    "jadwal_audit_dicatat": "Jadwal audit dicatat",
    "surel_bukti_bayar": "Bukti pembayaran diterima", "surel_tindakan_perbaikan": "Bukti tindakan perbaikan diterima",
    "surel_konfirmasi_audit": "Konfirmasi jadwal audit diterima", "surel_pertanyaan": "Pertanyaan pemohon diterima",
    "surel_dokumen": "Dokumen susulan diterima", "surel_lain": "Surel lanjutan diterima",
}

DETAIL_LABELS = {
    "galat": "galat", "temuan": "jumlah temuan", "dokumen": "dokumen dibuat", "nomor": "nomor berkas",
    "jenis": "jenis", "aturan": "aturan surel", "kode": "temuan", "lokasi": "lokasi", "alasan": "alasan",
    "catatan": "catatan", "kepada": "kepada", "subjek": "subjek", "outbox_id": "nomor antrean surel",
    "penyetuju": "disetujui oleh", "surel": "nomor surel", "dari": "dari", "lsp": "LSP", "pengirim": "pengirim",
    "alamat": "alamat", "lsp_baru": "LSP baru", "nomor_seri": "nomor seri", "jumlah": "jumlah",
    "before": "dari langkah", "after": "ke langkah", "peran": "peran", "keputusan": "keputusan", "isian": "isian",
    "langkah": "langkah", "berikutnya": "langkah berikutnya", "pjt": "penanggung jawab teknis",
    "pegawai": "pegawai", "anggota": "anggota", "kategori": "kategori", "batas": "batas waktu",
    "saluran": "saluran", "layanan": "layanan", "untuk": "untuk", "lampiran": "lampiran",
    "target_hari_kerja": "target (hari kerja)", "janji": "janji selesai", "tim": "tim",
    "tahap1": "audit tahap 1", "tahap2": "audit tahap 2",
}

MAIL_CLASS_LABELS = {"unclassified": "tidak dikenali jenisnya", "tidak_relevan": "tidak relevan",
                     "autoreply": "balasan otomatis", "duplicate": "duplikat", "": "belum diklasifikasi",
                     None: "belum diklasifikasi"}

GENERATED_KINDS = {"lembar_persetujuan": "lembar persetujuan", "tanda_terima": "tanda terima",
                   "tanda_terima_permohonan": "tanda terima permohonan", "memo_disposisi": "memo disposisi",
                   "penawaran_biaya": "penawaran biaya", "draf_kontrak": "draf kontrak",
                   "surat_tagihan": "surat tagihan", "pemberitahuan_audit": "surat pemberitahuan audit",
                   "sertifikat": "sertifikat", "berita_acara_serah_terima": "berita acara serah terima"}


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
