"""Slice 5 and 6 through HTTP: the public form and lookup (CSRF, rate limit, no enumeration),
the desk pages behind login, the register export (read back with openpyxl) and the summary."""
from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from pipelines.complaints import web
from pipelines.complaints.register import register_entry
from pipelines.complaints.report import monthly_summary
from pipelines.config import Settings
from pipelines.desk.app import create_app
from pipelines.runtime import Runtime
from tests.complaints.conftest import PASSWORD
from tests.complaints.office import register_three

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def rt(tmp_path, desk_users):
    rt = Runtime(Settings(outputs_dir=tmp_path / "out", convert_pdf=False))
    desk_users(rt.engine)
    return rt


@pytest.fixture
def client(rt):
    with TestClient(create_app(rt, secret=b"uji-pengaduan-" * 3), base_url="http://127.0.0.1",
                    follow_redirects=False) as c:
        yield c


def token(client, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


def submit(client, **fields):
    data = {"csrf_token": token(client, "/layanan-pengaduan"), "jenis": "keluhan", "nama": "Siti",
            "surel": "siti@contoh.id", "isi": "Sertifikat saya belum terbit setelah sebulan.", **fields}
    return client.post("/layanan-pengaduan", data=data)


def test_public_form_gives_a_tracking_number_and_the_lookup_needs_the_email(client):
    page = submit(client)
    assert page.status_code == 200
    number = re.search(r'id="nomor-pelacakan">([^<]+)<', page.text).group(1)
    assert number.startswith("ADU-")

    lookup = token(client, "/layanan-pengaduan/lacak")
    wrong = client.post("/layanan-pengaduan/lacak", data={"csrf_token": lookup, "nomor": number,
                                                          "surel": "orang.lain@contoh.id"})
    unknown = client.post("/layanan-pengaduan/lacak", data={"csrf_token": lookup, "nomor": "ADU-2026-999999",
                                                            "surel": "siti@contoh.id"})
    assert wrong.status_code == unknown.status_code == 404
    assert "tidak cocok" in wrong.text and "Sertifikat saya" not in wrong.text
    right = client.post("/layanan-pengaduan/lacak", data={"csrf_token": lookup, "nomor": number.lower(),
                                                          "surel": "Siti@Contoh.id"})
    assert right.status_code == 200 and "Dicatat, diteruskan ke Penanggung Jawab Teknis" in right.text


def test_public_form_refuses_missing_csrf_robots_and_floods(client):
    without = client.post("/layanan-pengaduan", data={"jenis": "keluhan", "surel": "a@contoh.id",
                                                      "isi": "Isi pengaduan yang cukup panjang."})
    assert without.status_code == 403
    assert submit(client, situs="http://spam.example").status_code == 400
    assert submit(client, surel="").status_code == 400        # no address and not anonymous
    for _ in range(web.SUBMIT_LIMIT - 2):
        assert submit(client).status_code == 200
    flooded = submit(client)
    assert flooded.status_code == 429 and "Terlalu banyak" in flooded.text


def test_desk_pages_need_login_and_show_the_register(rt, client):
    entry = register_entry(rt, channel="whatsapp", actor="rina", name="Joko", email="joko@contoh.id",
                           text="Petugas meminta biaya tambahan di luar tarif resmi.")
    assert client.get("/pengaduan").status_code == 303            # to the login page
    login = token(client, "/masuk")
    client.post("/masuk", data={"csrf_token": login, "username": "rina", "password": PASSWORD, "lanjut": "/"})
    page = client.get("/pengaduan")
    assert page.status_code == 200 and entry["number"] in page.text and "WhatsApp" in page.text
    detail = client.get(f"/pengaduan/{entry['number']}")
    assert "Catat dan teruskan" in detail.text and 'data-langkah="terima"' in detail.text
    form = CSRF.search(detail.text).group(1)
    moved = client.post(f"/pengaduan/{entry['number']}/catat",
                        data={"csrf_token": form, "jenis": "keluhan", "pjt": "Hendra Gunawan, S.Si."})
    assert moved.status_code == 303
    assert "Hasil investigasi" in client.get(f"/pengaduan/{entry['number']}").text


def test_register_export_and_monthly_summary(rt, client):
    first = register_three(rt)

    login = token(client, "/masuk")
    client.post("/masuk", data={"csrf_token": login, "username": "budi", "password": PASSWORD, "lanjut": "/"})
    xlsx = client.get("/pengaduan/ekspor.xlsx")
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Nomor", "Diterima (WIB)", "Saluran", "Jenis")
    assert [(r[0], r[2], r[3], r[4]) for r in rows[1:]] == [
        (first["number"], "Telepon", "Keluhan", "tidak"), (rows[2][0], "LAPOR!", "Keluhan", "ya"),
        (rows[3][0], "Telepon", "Saran", "tidak")]
    assert rows[2][5] is None or rows[2][5] == ""               # anonymous: no name kept

    today = rows[1][1]
    summary = monthly_summary(rt, today.year, today.month)
    assert summary["total"] == 3
    assert summary["by_type"] == {"Keluhan": 2, "Saran": 1}
    assert summary["by_channel"] == {"Telepon": 2, "LAPOR!": 1}
    assert summary["by_outcome"] == {"Belum diputus": 3}
    steps = {s["step"]: s for s in summary["steps"]}
    assert (steps["terima"]["finished"], steps["terima"]["on_time"], steps["terima"]["share_text"]) == (3, 3, "100%")
    assert (steps["catat"]["finished"], steps["catat"]["share_text"]) == (1, "100%")
    assert steps["investigasi"]["finished"] == 0 and steps["investigasi"]["share_text"] == "-"
    page = client.get(f"/pengaduan/ringkasan?bulan={today.year}-{today.month:02d}")
    assert page.status_code == 200 and 'id="jumlah">3<' in page.text
    previous = monthly_summary(rt, today.year - 1, today.month)
    assert previous["total"] == 0
