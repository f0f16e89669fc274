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


def visible_text(html: str) -> str:
    """What the officer reads: the page without its markup, scripts and styles."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+([;,.:])", r"\1", " ".join(re.sub(r"<[^>]+>", " ", html).split()))


def audit_words(page: str) -> set[str]:
    """Words about audits the officer reads; staff job titles ("Auditor", "Auditor Utama" in the
    team form's staff list) are who people are, not what the service does."""
    return set(re.findall(r"\w*audit\w*", visible_text(page), re.I))


def test_sampling_schedule_has_no_audit_stages_and_audit_cases_keep_them(rt):
    """SPPT SNI type 1 takes samples from a lot: its case page, its messages and its history speak of
    the sampling date and the end of the lot verification (the labels of its YAML's scheduling step),
    never of audit stages; ISO 9001 keeps stage 1 and stage 2 audits."""
    sampling, audit = enter_sampling_case(rt), enter_iso9001(rt)
    rina = login(rt, "rina")

    page = rina.get(f"/permohonan/{sampling}").text
    schedule = section(page, "jadwal-audit")
    assert "<dt>Pengambilan contoh</dt>" in schedule and "<dt>Selesai verifikasi lot</dt>" in schedule
    assert "Pengambilan contoh <input" in schedule and "Selesai verifikasi lot <input" in schedule
    assert audit_words(page) <= {"Auditor"} and "tahap" not in visible_text(page).lower()

    page = post(rina, f"/permohonan/{sampling}/jadwal", [("tahap1", "2026-12-08"), ("tahap2", "2026-12-07")])
    assert "Selesai verifikasi lot tidak boleh sebelum pengambilan contoh." in page
    page = post(rina, f"/permohonan/{sampling}/jadwal", [("tahap1", "2026-12-07"), ("tahap2", "2026-12-08")])
    assert "Jadwal pengambilan contoh dicatat." in page
    history = visible_text(section(page, "riwayat"))
    assert "Jadwal pengambilan contoh dicatat pengambilan contoh: 7 Desember 2026; selesai verifikasi lot: " \
           "8 Desember 2026" in history
    page = post(rina, f"/permohonan/{sampling}/tim", [("ketua", "Dewi Lestari, S.T.")])
    assert "Tim pengambil contoh ditetapkan" in visible_text(section(page, "riwayat"))
    assert audit_words(page) <= {"Auditor"} and "tahap" not in visible_text(page).lower()

    page = rina.get(f"/permohonan/{audit}").text
    schedule = section(page, "jadwal-audit")
    assert "<dt>Audit tahap 1</dt>" in schedule and "<dt>Audit tahap 2</dt>" in schedule
    page = post(rina, f"/permohonan/{audit}/jadwal", [("tahap1", "2026-12-08"), ("tahap2", "2026-12-07")])
    assert "Audit tahap 2 tidak boleh sebelum audit tahap 1." in page
    page = post(rina, f"/permohonan/{audit}/jadwal", [("tahap1", "2026-12-07"), ("tahap2", "2026-12-09")])
    assert "Jadwal audit dicatat audit tahap 1: 7 Desember 2026; audit tahap 2: 9 Desember 2026" \
           in visible_text(section(page, "riwayat"))


@pytest.mark.parametrize("kind,team,schedule", [
    ("sertifikasi_person", "Tim asesor kompetensi", "Jadwal uji kompetensi"),
    ("bimtek", "Tim instruktur", "Jadwal pelatihan"),
])
def test_person_and_training_case_pages_name_their_own_team_and_schedule(rt, kind, team, schedule):
    from tests.applications.factories import AKADEMI

    service = rt.services[kind]
    case = enter_application(
        rt, kind=kind, channel="loket", email=AKADEMI.email,
        fields={"name": AKADEMI.name, "nib": AKADEMI.nib, "address": AKADEMI.address,
                "contact": AKADEMI.contact, "phone": AKADEMI.phone, "scope": service.name},
        files=application_files(kind, AKADEMI, service.name), officer="rina")
    page = login(rt, "rina").get(f"/permohonan/{case}").text
    assert heading(page, "tim-audit") == team
    assert heading(page, "jadwal-audit") == schedule
    assert "Tim audit" not in page and "Jadwal audit" not in page
