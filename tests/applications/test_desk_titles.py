"""The case page names the team and the schedule after what the service carries out: SPPT SNI
type 1 samples a lot (no factory audit), so its page and messages say "Tim pengambil contoh" and
"Jadwal pengambilan contoh"; ISO 9001 keeps "Tim audit" and "Jadwal audit". Over HTTP, on cases
entered at the counter through the real mail-to-dossier path."""
from __future__ import annotations

import re

import pytest

from pipelines.applications.desk import enter_application
from tests.applications.factories import SINAR_BAJA, application_files
from tests.desk.application_case import application_runtime, enter_iso9001, login

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def rt(tmp_path, monkeypatch):
    return application_runtime(tmp_path, monkeypatch)


def section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    return page[start:page.index("</section>", start)]


def heading(page: str, anchor: str) -> str:
    return re.search(r"<h2>(.*?)</h2>", section(page, anchor)).group(1)


def enter_sampling_case(rt) -> str:
    service = rt.services["sppt_sni_tipe1"]
    return enter_application(
        rt, kind=service.kind, channel="loket", email=SINAR_BAJA.email,
        fields={"name": SINAR_BAJA.name, "nib": SINAR_BAJA.nib, "address": SINAR_BAJA.address,
                "contact": SINAR_BAJA.contact, "phone": SINAR_BAJA.phone, "scope": "Baja tulangan beton, 1 lot impor"},
        files=application_files(service.kind, SINAR_BAJA, service.name), officer="rina")


def post(client, url: str, data: list) -> str:
    token = CSRF.search(client.get("/permohonan").text).group(1)
    response = client.post(url, data={"csrf_token": token, **{k: v for k, v in data}})
    assert response.status_code == 200, response.text[:500]
    return response.text


def test_sampling_case_page_says_sampling_and_an_audit_case_page_says_audit(rt):
    sampling, audit = enter_sampling_case(rt), enter_iso9001(rt)
    rina = login(rt, "rina")

    page = rina.get(f"/permohonan/{sampling}").text
    assert heading(page, "tim-audit") == "Tim pengambil contoh"
    assert heading(page, "jadwal-audit") == "Jadwal pengambilan contoh"
    assert "Tim pengambil contoh belum ditetapkan." in section(page, "tim-audit")
    assert "Tetapkan tim pengambil contoh" in section(page, "tim-audit")
    assert "Tim audit" not in page and "Jadwal audit" not in page
    page = post(rina, f"/permohonan/{sampling}/tim", [("ketua", "Dewi Lestari, S.T."), ("anggota", "Yusuf Pratama, S.T.")])
    assert "Tim pengambil contoh ditetapkan." in page and "Dewi Lestari, S.T." in section(page, "tim-audit")
    page = post(rina, f"/permohonan/{sampling}/jadwal", [("tahap1", "2026-12-07"), ("tahap2", "2026-12-08")])
    assert "Jadwal pengambilan contoh dicatat." in page

    page = rina.get(f"/permohonan/{audit}").text
    assert heading(page, "tim-audit") == "Tim audit" and heading(page, "jadwal-audit") == "Jadwal audit"
    assert "Tim audit belum ditetapkan." in page and "Tetapkan tim audit" in page
    assert "pengambil" not in page
