"""The application desk in a real browser (Debian's chromium via Playwright, the desk served by
uvicorn). Screenshots go to tests/artifacts/permohonan-*.png.

Story: the counter officer finds the new ISO 9001 case in the step list, opens it, is refused an
audit team lead without the competence, sets a competent team and the audit dates, sends the audit
notice; the auditor finds the case under "my cases", records a nonconformity and sees the clock
paused, closes it and sees it running; later the official suspends the certificate in the register.
"""
from __future__ import annotations

import os
from datetime import date

import pytest

from pipelines.applications import advance
from test_desk_browser import ARTIFACTS, CHROMIUM, browser, browser_login  # noqa: F401  (fixture)
from tests.desk.application_case import NO_COMPETENCE, application_runtime, enter_iso9001

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")


@pytest.fixture
def desk(tmp_path, monkeypatch):
    from pipelines.desk.app import create_app
    from tests.servers import served
    rt = application_runtime(tmp_path, monkeypatch)
    with served(create_app(rt, secret=b"e2e-rahasia-" * 4, send_mail=False)) as base:
        yield rt, base


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"permohonan-{name}.png"), full_page=True)


def test_officer_and_auditor_work_an_application_case_in_the_browser(desk, browser):
    rt, base = desk
    number = enter_iso9001(rt)
    for officer in ("kepala", "ss", "pemasaran"):
        advance(rt, number, officer=officer)
    advance(rt, number, officer="rina", inputs={"kode_billing": "820261234567890"})
    advance(rt, number, officer="rina")                    # payment confirmed
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    page = context.new_page()

    # The counter officer: the case waits in "Surat pelaksanaan audit", done by Seksi PJT.
    browser_login(page, base, "rina")
    page.click("nav.topbar a:has-text('Permohonan'), header nav a:has-text('Permohonan')")
    page.wait_for_url("**/permohonan")
    group = page.locator("#langkah-pemberitahuan_audit")
    assert "Surat pelaksanaan audit" in group.locator("h2").inner_text()
    assert "Seksi Pengembangan Jasa Teknik" in group.locator("h2").inner_text()
    row = group.locator(f"tr[data-berkas='{number}']")
    assert "PT Sinar Baja Nusantara" in row.inner_text()
    _shot(page, "daftar")
    row.locator("a").click()
    page.wait_for_url(f"**/permohonan/{number}")
    assert "8120001234567" in page.locator("#pemohon").inner_text()
    assert "Menunggu pembayaran oleh pemohon" in page.locator("#jam-layanan").inner_text()   # the pause it had

    # A lead without the competence is refused, with the reason on the page.
    page.select_option("#form-tim select[name=ketua]", NO_COMPETENCE)
    page.click("#form-tim button")
    page.wait_for_load_state()
    assert "tidak tercatat kompeten dalam sistem manajemen mutu" in page.locator(".pesan.galat").inner_text()
    page.select_option("#form-tim select[name=ketua]", "Dewi Lestari, S.T.")
    page.check("#form-tim input[name=anggota][value='Ir. Ahmad Fauzi, M.T.']")
    page.click("#form-tim button")
    page.wait_for_load_state()
    assert page.locator(".pesan.ok").inner_text() == "Tim audit ditetapkan."
    assert "Dewi Lestari, S.T." in page.locator("#tim-audit table").inner_text()
    page.fill("#form-jadwal input[name=tahap1]", "2026-12-07")
    page.fill("#form-jadwal input[name=tahap2]", "2026-12-14")
    page.click("#form-jadwal button")
    page.wait_for_load_state()
    assert "7 Desember 2026" in page.locator("#tindakan").inner_text()
    page.click("#form-langkah button:has-text('Selesaikan langkah')")
    page.wait_for_load_state()
    assert "Langkah sekarang: Audit tahap 1 dan tahap 2" in page.locator("#tindakan h2").inner_text()
    _shot(page, "kasus")
    page.click("button:has-text('Keluar')")
    page.wait_for_url("**/masuk")

    # The auditor: the case is hers; a nonconformity pauses the clock, closing it resumes it.
    browser_login(page, base, "dewi")
    page.goto(f"{base}/permohonan?saya=1")
    page.click(f"tr[data-berkas='{number}'] a")
    page.wait_for_url(f"**/permohonan/{number}")
    page.click("#ketidaksesuaian summary")
    page.select_option("#form-kts select[name=kategori]", "mayor")
    page.fill("#form-kts input[name=klausul]", "7.5.3")
    page.fill("#form-kts textarea[name=uraian]", "Pengendalian informasi terdokumentasi belum diterapkan.")
    page.fill("#form-kts input[name=batas]", date(2027, 1, 15).isoformat())
    page.click("#form-kts button")
    page.wait_for_load_state()
    assert "KTS-01" in page.locator("#ketidaksesuaian table").inner_text()
    clock = page.locator("#jam-layanan").inner_text()
    assert "dijeda" in clock and "Menunggu tindakan perbaikan ketidaksesuaian" in clock
    _shot(page, "ketidaksesuaian")
    page.fill("tr[data-kts='KTS-01'] input[name=bukti]", "Prosedur 7.5 diterapkan, rekaman diperiksa.")
    page.click("tr[data-kts='KTS-01'] button")
    page.wait_for_load_state()
    assert "Ketidaksesuaian KTS-01 ditutup." in page.locator(".pesan.ok").inner_text()
    assert "Keadaan\nberjalan" in page.locator("#jam-layanan").inner_text()
    assert "Ketidaksesuaian dicatat" in page.locator("#riwayat").inner_text()

    # The rest by the steps' own people; then the official suspends the certificate in the register.
    advance(rt, number, officer="dewi")
    advance(rt, number, officer="tim", inputs={"rekomendasi": "Direkomendasikan.", "tim_evaluasi": ["Hendra Gunawan, S.Si."]})
    advance(rt, number, officer="komite", outcome="pemberian", inputs={"komite": ["Yusuf Pratama, S.T."]})
    advance(rt, number, officer="kepala")
    page.click("button:has-text('Keluar')")
    page.wait_for_url("**/masuk")
    browser_login(page, base, "pejabat1")
    page.goto(f"{base}/register-sertifikat")
    row = page.locator("#register tbody tr").first
    assert "PT Sinar Baja Nusantara" in row.inner_text() and "Aktif" in row.inner_text()
    row.locator("select[name=status]").select_option("dibekukan")
    row.locator("input[name=alasan]").fill("Pemegang tidak bersedia disurvei.")
    row.locator("button").click()
    page.wait_for_load_state()
    assert "menjadi Dibekukan" in page.locator(".pesan.ok").inner_text()
    row = page.locator("#register tbody tr").first
    assert "Dibekukan" in row.inner_text() and "Pemegang tidak bersedia disurvei." in row.inner_text()
    _shot(page, "register")
    with page.expect_download() as download:
        page.click("a:has-text('XLSX')")
    assert download.value.suggested_filename.startswith("cb_certs_")
    row.locator("a:has-text('halaman verifikasi')").click()
    page.wait_for_load_state()
    assert "DIBEKUKAN" in page.content()
    context.close()
