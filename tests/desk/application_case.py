"""An office for the application desk tests: a runtime on SQLite (mail as .eml files), a staff
list whose people have desk accounts, and an ISO 9001 application entered at the counter, so it
went through the real mail-to-dossier path (read, checked, receipt written, clock started)."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

from pipelines.desk import auth
from tests.applications.factories import SINAR_BAJA, application_files

PASSWORD = "kata-sandi-uji-123"
SERVICE = "iso9001_lsbbk"
# Competence for ISO 9001 is sistem_manajemen_mutu. Hendra lacks it; Sari consulted for the
# applicant until recently; the others may audit it.
STAFF = {
    "competences": {"sistem_manajemen_mutu": "Sistem manajemen mutu (ISO 9001)",
                    "sertifikasi_produk": "Sertifikasi produk (SPPT SNI)",
                    "sistem_manajemen_lingkungan": "Sistem manajemen lingkungan (ISO 14001)"},
    "staff": [
        {"id": "ahmad", "name": "Ir. Ahmad Fauzi, M.T.", "position": "Kepala Seksi Sertifikasi", "username": "ahmad",
         "email": "ahmad@balai.example.go.id", "competences": ["sistem_manajemen_mutu"]},
        {"id": "dewi", "name": "Dewi Lestari, S.T.", "position": "Auditor Utama", "username": "dewi",
         "email": "dewi@balai.example.go.id", "competences": ["sistem_manajemen_mutu", "sertifikasi_produk"]},
        {"id": "hendra", "name": "Hendra Gunawan, S.Si.", "position": "Penanggung Jawab Teknis",
         "email": "hendra@balai.example.go.id", "competences": ["sistem_manajemen_lingkungan", "sistem_manajemen_mutu"]},
        {"id": "sari", "name": "Sari Wulandari, S.E.", "position": "Auditor", "email": "sari@balai.example.go.id",
         "competences": ["sistem_manajemen_mutu"],
         "affiliations": [{"organisation": "PT Sinar Baja Nusantara", "relation": "konsultan", "until": "2025-08-31"}]},
        {"id": "yusuf", "name": "Yusuf Pratama, S.T.", "position": "Anggota Komite", "email": "yusuf@balai.example.go.id",
         "competences": ["sertifikasi_produk"]},
        {"id": "rina", "name": "Rina Kartika", "position": "Petugas Layanan", "username": "rina",
         "email": "rina@balai.example.go.id", "competences": []},
        {"id": "lina", "name": "Lina Marlina, S.T.", "position": "Auditor", "email": "lina@balai.example.go.id",
         "competences": ["sistem_manajemen_mutu"]},
        {"id": "teguh", "name": "Teguh Wibowo, M.T.", "position": "Auditor", "email": "teguh@balai.example.go.id",
         "competences": ["sistem_manajemen_mutu"]},
        {"id": "bagus", "name": "Bagus Santoso, S.T.", "position": "Auditor", "username": "bagus",
         "email": "bagus@balai.example.go.id", "competences": ["sertifikasi_produk"]},
    ]}
NO_COMPETENCE = "Bagus Santoso, S.T."


def use_staff(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "staff.yaml"
    path.write_text(yaml.safe_dump(STAFF, allow_unicode=True), encoding="utf-8")
    monkeypatch.setenv("SERTIFLOW_STAFF", str(path))


def application_runtime(tmp_path: Path, monkeypatch):
    from pipelines.config import Settings
    from pipelines.runtime import Runtime
    use_staff(tmp_path, monkeypatch)
    rt = Runtime(Settings(outputs_dir=tmp_path / "outputs", convert_pdf=False))
    for username, role, name in [("rina", "petugas", "Rina Kartika"), ("dewi", "petugas", "Dewi Lestari, S.T."),
                                 ("ahmad", "petugas", "Ir. Ahmad Fauzi, M.T."),
                                 ("pejabat1", "pejabat", "Drs. Budi Santoso, M.M."), ("admin1", "admin", "Admin")]:
        auth.create_user(rt.engine, username, role, name, PASSWORD)
    return rt


def enter_iso9001(rt, officer: str = "rina") -> str:
    from pipelines.applications.desk import enter_application
    service = rt.services[SERVICE]
    return enter_application(
        rt, kind=SERVICE, channel="loket", email=SINAR_BAJA.email,
        fields={"name": SINAR_BAJA.name, "nib": SINAR_BAJA.nib, "address": SINAR_BAJA.address,
                "contact": SINAR_BAJA.contact, "phone": SINAR_BAJA.phone, "scope": "Produksi baja tulangan beton"},
        files=application_files(SERVICE, SINAR_BAJA, service.name), officer=officer)


def login(rt, username: str):
    """A desk client logged in as `username` (whose password is PASSWORD)."""
    from fastapi.testclient import TestClient
    from pipelines.desk.app import create_app
    client = TestClient(create_app(rt, secret=b"uji-rahasia-" * 4, send_mail=False), base_url="http://127.0.0.1")
    page = client.get("/masuk")
    client.post("/masuk", data={"username": username, "password": PASSWORD, "lanjut": "/",
                                "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)})
    return client
