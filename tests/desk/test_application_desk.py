"""The application desk, as officers use it over HTTP: cases per step and per role, "my cases",
the case page (applicant, documents, clock, history in Indonesian), an audit team chosen from the
staff list with the incompetent and the conflicted refused, audit dates, nonconformities that
pause and resume the clock, recommendation, committee decision, signing, hand-over, and the
certificate register with its status change, verification link and CertSearch download."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from pipelines import db
from pipelines.applications.models import register
from pipelines.calendar import local_date
from tests.applications.factories import SINAR_BAJA
from tests.desk.application_case import NO_COMPETENCE, application_runtime, enter_iso9001, login

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def rt(tmp_path, monkeypatch):
    return application_runtime(tmp_path, monkeypatch)


def post(client, url: str, data: dict | list) -> str:
    """Post a form from the page it belongs to; returns the page the officer lands on (with its message)."""
    token = CSRF.search(client.get("/permohonan").text).group(1)
    form = {"csrf_token": token}
    for key, value in (data.items() if isinstance(data, dict) else data):
        form[key] = [*form[key], value] if isinstance(form.get(key), list) else ([form[key], value] if key in form else value)
    response = client.post(url, data=form)
    assert response.status_code == 200, response.text[:500]
    return response.text


def status(rt, number: str) -> str:
    with rt.engine.connect() as conn:
        return db.dossier_by_number(conn, number)["status"]


def section(html: str, anchor: str) -> str:
    start = html.index(f'id="{anchor}"')
    return html[start:html.index("</section>", start)]


def test_an_application_is_walked_from_the_desk_to_a_registered_certificate(rt):
    number = enter_iso9001(rt)
    assert status(rt, number) == "disposisi"
    rina = login(rt, "rina")

    # Cases per step, filterable by the role that acts.
    listing = rina.get("/permohonan").text
    assert "Disposisi permohonan" in listing and "Kepala Balai" in listing and number in listing
    assert "PT Sinar Baja Nusantara" in listing and "berjalan" in listing
    assert number in rina.get("/permohonan?peran=kepala_balai").text
    assert number not in rina.get("/permohonan?peran=auditor").text
    assert "Tidak ada permohonan terbuka." in rina.get("/permohonan?peran=auditor").text
    # Rina entered it at the counter: it is hers; Dewi has nothing yet.
    assert number in rina.get("/permohonan?saya=1").text
    dewi = login(rt, "dewi")
    assert number not in dewi.get("/permohonan?saya=1").text

    # The case page: applicant from the customer registry, documents, clock, history.
    page = rina.get(f"/permohonan/{number}").text
    applicant = section(page, "pemohon")
    assert "PT Sinar Baja Nusantara" in applicant and "8120001234567" in applicant and "Mayor Zen" in applicant
    assert "qa@sinarbaja.example.co.id" in applicant
    documents = section(page, "dokumen")
    assert "nib.pdf" in documents and "manual_mutu.pdf" in documents and "Tanda terima permohonan" in documents
    clock = section(page, "jam-layanan")
    promised = rt.calendar.add_working_days(local_date(db.now()), 32)
    from pipelines.write.words import format_date_id
    assert "32 hari kerja" in clock and format_date_id(promised) in clock and "berjalan" in clock
    assert "Sisa" in clock and "hari kerja" in clock
    history = section(page, "riwayat")
    assert "Permohonan dicatat petugas" in history and "Jam layanan mulai berjalan" in history
    assert "permohonan_dicatat" not in history and "langkah_selesai" not in history
    assert "layanan: Sertifikasi Sistem Manajemen Mutu ISO 9001:2015" in history and "iso9001_lsbbk" not in history
    assert f"janji selesai: {format_date_id(promised)}" in history and ": –" not in history

    # Disposition, verification, offer, billing, payment confirmed: step by step from the page.
    for expected in ("verifikasi", "penawaran", "penagihan"):
        post(rina, f"/permohonan/{number}/langkah", {})
        assert status(rt, number) == expected
    refused = post(rina, f"/permohonan/{number}/langkah", {})
    assert "Isian wajib belum diisi: Kode billing (SIMPONI)." in refused and status(rt, number) == "penagihan"
    post(rina, f"/permohonan/{number}/langkah", {"kode_billing": "820261234567890"})
    assert status(rt, number) == "menunggu_pembayaran"
    assert "Menunggu pembayaran oleh pemohon" in section(rina.get(f"/permohonan/{number}").text, "jam-layanan")
    post(rina, f"/permohonan/{number}/langkah", {})
    assert status(rt, number) == "pemberitahuan_audit"
    history = section(rina.get(f"/permohonan/{number}").text, "riwayat")
    assert "Langkah selesai: Surat penagihan dan kode e-billing → Konfirmasi pembayaran oleh pemohon" in history

    # The audit team: someone without the competence and someone who consulted for the applicant are refused.
    page = post(rina, f"/permohonan/{number}/tim", [("ketua", NO_COMPETENCE), ("anggota", "Dewi Lestari, S.T.")])
    assert "Bagus Santoso, S.T. tidak tercatat kompeten dalam sistem manajemen mutu (iso 9001)." in page
    page = post(rina, f"/permohonan/{number}/tim", [("ketua", "Dewi Lestari, S.T."), ("anggota", "Sari Wulandari, S.E.")])
    assert "Sari Wulandari, S.E. memberikan konsultasi kepada PT Sinar Baja Nusantara sampai 31 Agustus 2025" in page
    assert "Tim audit belum ditetapkan." in page
    # Completing the audit notice without a team says what is missing.
    assert "Isian wajib belum diisi" in post(rina, f"/permohonan/{number}/langkah", {})
    page = post(rina, f"/permohonan/{number}/tim", [("ketua", "Dewi Lestari, S.T."),
                                                     ("anggota", "Ir. Ahmad Fauzi, M.T.")])
    assert "Tim audit ditetapkan." in page
    team = section(page, "tim-audit")
    assert "Dewi Lestari, S.T." in team and "ketua" in team and "Auditor Utama" in team
    page = post(rina, f"/permohonan/{number}/jadwal", {"tahap1": "2026-12-14", "tahap2": "2026-12-07"})
    assert "Audit tahap 2 tidak boleh sebelum audit tahap 1." in page
    page = post(rina, f"/permohonan/{number}/jadwal", {"tahap1": "2026-12-07", "tahap2": "2026-12-14"})
    assert "7 Desember 2026" in section(page, "jadwal-audit") and "14 Desember 2026" in section(page, "jadwal-audit")
    post(rina, f"/permohonan/{number}/langkah", {})
    assert status(rt, number) == "audit"
    # Dewi is on the team now: the case is hers, and in the auditors' list.
    assert number in dewi.get("/permohonan?saya=1").text
    assert number in dewi.get("/permohonan?peran=auditor").text

    # Nonconformities: an open one pauses the clock; closing the last one resumes it.
    due = (local_date(db.now()) + timedelta(days=30)).isoformat()
    post(dewi, f"/permohonan/{number}/ketidaksesuaian", {"kategori": "mayor", "klausul": "7.5.3", "batas": due,
                                                          "uraian": "Pengendalian informasi terdokumentasi belum diterapkan."})
    page = post(dewi, f"/permohonan/{number}/ketidaksesuaian", {"kategori": "minor", "klausul": "9.2", "batas": due,
                                                                 "uraian": "Jadwal audit internal belum lengkap."})
    ncs = section(page, "ketidaksesuaian")
    assert "Ketidaksesuaian (2 terbuka)" in ncs and "KTS-01" in ncs and "Mayor" in ncs and "Minor" in ncs
    clock = section(page, "jam-layanan")
    assert "dijeda" in clock and "Menunggu tindakan perbaikan ketidaksesuaian" in clock and "masih dijeda" in clock
    post(dewi, f"/permohonan/{number}/langkah", {})
    assert status(rt, number) == "tindakan_perbaikan"
    refused = post(dewi, f"/permohonan/{number}/langkah", {})
    assert "Masih ada 2 ketidaksesuaian terbuka: KTS-01, KTS-02." in refused
    page = post(dewi, f"/permohonan/{number}/ketidaksesuaian/KTS-01/tutup", {"bukti": "Prosedur 7.5 diterapkan."})
    assert "dijeda" in section(page, "jam-layanan")          # one still open
    page = post(dewi, f"/permohonan/{number}/ketidaksesuaian/KTS-02/tutup", {"bukti": "Jadwal audit internal 2027 disahkan."})
    clock = section(page, "jam-layanan")
    assert "berjalan" in clock and "masih dijeda" not in clock
    assert "Ketidaksesuaian (0 terbuka)" in section(page, "ketidaksesuaian")
    post(dewi, f"/permohonan/{number}/langkah", {})
    assert status(rt, number) == "evaluasi_teknis"

    # Technical evaluation with its members, committee decision with its members.
    page = post(rina, f"/permohonan/{number}/langkah", {"rekomendasi": "Direkomendasikan untuk diberikan sertifikat."})
    assert "Pilih anggota Tim Evaluasi Teknis dari daftar personel." in page
    post(rina, f"/permohonan/{number}/langkah", [("rekomendasi", "Direkomendasikan untuk diberikan sertifikat."),
                                                 ("orang", "Hendra Gunawan, S.Si.")])
    assert status(rt, number) == "keputusan"
    page = rina.get(f"/permohonan/{number}").text
    for label in ("Pemberian sertifikat", "Pemeliharaan sertifikat", "Perluasan ruang lingkup", "Pembekuan sertifikat",
                  "Pencabutan sertifikat"):
        assert label in section(page, "tindakan")
    post(rina, f"/permohonan/{number}/langkah", [("keputusan", "pemberian"), ("orang", "Yusuf Pratama, S.T.")])
    assert status(rt, number) == "penandatanganan"
    assert "keputusan: Pemberian sertifikat" in section(rina.get(f"/permohonan/{number}").text, "riwayat")

    # Sign and hand over.
    assert "Tandatangani sertifikat" in rina.get(f"/permohonan/{number}").text
    post(rina, f"/permohonan/{number}/langkah", {})
    assert status(rt, number) == "serah_terima"
    page = rina.get(f"/permohonan/{number}").text
    assert "Serahkan sertifikat" in page and "halaman verifikasi" in section(page, "sertifikat")
    post(rina, f"/permohonan/{number}/langkah", {})
    assert status(rt, number) == "selesai"
    page = rina.get(f"/permohonan/{number}").text
    assert "Permohonan selesai." in page and "selesai" in section(page, "jam-layanan")
    assert number not in rina.get("/permohonan").text            # no longer open

    # The register: the certificate, its dates, the public page, the download; status change by the official.
    with rt.engine.connect() as conn:
        [cert] = conn.execute(select(register)).mappings().all()
    listing = rina.get("/register-sertifikat").text
    row = listing[listing.index(f'data-sertifikat="{cert["number"]}"'):]
    row = row[:row.index("</tr>")]
    assert "PT Sinar Baja Nusantara" in row and "Aktif" in row and "Produksi baja tulangan beton" in row
    assert format_date_id(cert["issue_date"]) in row and format_date_id(cert["expiry_date"]) in row
    surveillance = local_date(db.now()).replace(year=local_date(db.now()).year + 1)
    assert format_date_id(surveillance.replace(day=min(surveillance.day, 28))) in row
    assert f'href="/verifikasi/sertifikat/{cert["token"]}"' in row and f'href="/permohonan/{number}"' in row
    assert "Ubah status" not in listing                          # an officer may not change it
    assert rina.get(f"/verifikasi/sertifikat/{cert['token']}").status_code == 200
    forbidden = rina.post("/register-sertifikat/status", data={
        "csrf_token": CSRF.search(listing).group(1), "nomor": cert["number"], "status": "dicabut", "alasan": "Uji coba"})
    assert forbidden.status_code == 403

    official = login(rt, "pejabat1")
    listing = official.get("/register-sertifikat").text
    assert "Ubah status" in listing
    page = official.post("/register-sertifikat/status", data={
        "csrf_token": CSRF.search(listing).group(1), "nomor": cert["number"], "status": "dibekukan",
        "alasan": "Surveilan pertama tidak dapat dilaksanakan."}).text
    assert f"Status sertifikat {cert['number']} menjadi Dibekukan." in page
    assert cert["number"] in official.get("/register-sertifikat?status=dibekukan").text
    assert cert["number"] not in official.get("/register-sertifikat?status=aktif").text
    assert cert["number"] in official.get("/register-sertifikat?q=sinar+baja").text
    assert cert["number"] not in official.get("/register-sertifikat?q=kopi").text
    assert "DIBEKUKAN" in official.get(f"/verifikasi/sertifikat/{cert['token']}").text

    download = official.get("/register-sertifikat/certsearch.xlsx")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(download.content))["Certification"]
    assert [c.value for c in sheet[2]][1] == cert["number"] and "Suspended" in [c.value for c in sheet[2]]
