"""The desk's second round in a real browser (Debian's chromium via Playwright, the desk served
by uvicorn, mail through the test SMTP server). Screenshots go to tests/artifacts/desk2-*.png.

Stories: an officer finds the official's return reason at a glance, searches by NIK from the
keyboard, holds a dossier, jumps from a finding to its cell, and loses nothing when the session
ends mid-sentence; the official reads the sheet and receipt where he decides, approves with one
question and lands on the next dossier, approves several clean dossiers at once, and can do it
on a 390 px phone; a held sender is linked to its LSP; the public verification page shows
valid, suspended and withdrawn differently under the page's content security policy.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import delete

from desk_seed import PASSWORD, seed_certificates, seed_dossier, write_documents
from test_desk_browser import ARTIFACTS, CHROMIUM, browser, browser_login, desk_server  # noqa: F401  (fixtures)

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")


def _shot(page, name: str, full: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"desk2-{name}.png"), full_page=full)


def test_officer_return_reason_search_claim_flagged_cell_and_kept_text(desk_server, browser):
    from pipelines.decide.approval import return_to_officer
    from pipelines.desk import models
    rt, base = desk_server
    return_to_officer(rt, "BLK-2025-000002", "pejabat1", "Nomor surat pada lembar persetujuan keliru; mohon dicek.")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    page = context.new_page()
    browser_login(page, base, "petugas1")
    page.goto(f"{base}/antrean")
    # The skip link is the first thing the keyboard reaches.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Langsung ke isi halaman"
    # The return reason is in the queue row.
    row = page.locator("tr[data-berkas='BLK-2025-000002']")
    assert "Dikembalikan: Nomor surat pada lembar persetujuan keliru" in row.inner_text()
    _shot(page, "queue-return-reason")
    # "/" searches; a NIK finds the dossiers listing that participant.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("/")
    assert page.evaluate("document.activeElement.name") == "q"
    page.keyboard.type("3273015208950003")
    page.keyboard.press("Enter")
    page.wait_for_url("**q=3273015208950003**")
    page.wait_for_selector("#antrean-hasil tbody tr[data-berkas]")
    assert page.locator("#antrean-hasil tbody tr[data-berkas]").count() == 2
    _shot(page, "search-nik")
    # j selects the first row, Enter opens it.
    page.locator("body").click(position={"x": 5, "y": 300})
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/berkas/BLK-2025-000001")
    # Take it; then a finding's location jumps to its cell.
    page.click("button:has-text('Ambil berkas')")
    page.wait_for_load_state()
    assert page.is_visible("text=Dipegang oleh Rina Wulandari (Anda)")
    page.click("a.ke-sel")
    cell = page.locator("td:target")
    assert cell.inner_text() == "327301150590"
    assert cell.is_visible() and cell.bounding_box()["y"] < 900
    _shot(page, "flagged-cell", full=False)
    # The returned dossier shows the reason on top.
    page.goto(f"{base}/berkas/BLK-2025-000002")
    banner = page.locator(".alasan-kembali")
    assert banner.is_visible() and banner.bounding_box()["y"] < 250
    assert "mohon dicek" in banner.inner_text()
    _shot(page, "dossier-return-reason", full=False)
    # The session ends while the officer writes a note: after logging in again the text is back.
    page.fill("form.catatan textarea[name=catatan]", "LSP sudah dihubungi lewat telepon; berkas menyusul.")
    with rt.engine.begin() as conn:
        conn.execute(delete(models.sessions))
    page.click("form.catatan button")
    page.wait_for_url("**/masuk?**")
    assert page.is_visible("text=Sesi Anda telah berakhir")
    page.fill("input[name=username]", "petugas1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_url("**/berkas/BLK-2025-000002")
    assert page.input_value("form.catatan textarea[name=catatan]") == \
        "LSP sudah dihubungi lewat telepon; berkas menyusul."
    _shot(page, "kept-text", full=False)
    context.close()


def test_official_sees_the_sheets_approves_once_and_moves_on_also_on_a_phone(desk_server, browser):
    from pipelines.fulfil.blanks import add_stock
    rt, base = desk_server
    out = rt.settings.outputs_dir
    for n in ("BLK-2025-000030", "BLK-2025-000031", "BLK-2025-000032"):
        seed_dossier(rt.engine, out, number=n, status="menunggu_persetujuan", findings=False, mailbox_uid=n)
    write_documents(rt, "BLK-2025-000002")
    with rt.engine.begin() as conn:
        add_stock(conn, 1000001, 1000500, actor="admin")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    page = context.new_page()
    browser_login(page, base, "pejabat1")
    page.goto(f"{base}/berkas/BLK-2025-000002")
    frames = page.locator("#lembar iframe")
    assert frames.count() == 2 and frames.first.is_visible()
    page.keyboard.press("s")                      # the one question
    assert page.is_visible("text=Setujui pengiriman 3 blanko ke LSP Teknologi Digital Nusantara")
    _shot(page, "approval-inline", full=False)
    page.click("button:has-text('Ya, setujui')")
    page.wait_for_url("**/berkas/BLK-2025-000030")
    assert page.is_visible("text=Berikut berkas berikutnya yang menunggu")
    # Several clean dossiers at once.
    page.goto(f"{base}/antrean?status=menunggu_persetujuan")
    page.check("input[name=berkas][value='BLK-2025-000030']")
    page.check("input[name=berkas][value='BLK-2025-000031']")
    page.click("button:has-text('Setujui berkas terpilih')")
    page.wait_for_load_state()
    assert page.is_visible("h1:has-text('Setujui 2 berkas sekaligus?')")
    _shot(page, "approve-many")
    page.click("button:has-text('Ya, setujui 2 berkas')")
    page.wait_for_load_state()
    assert page.is_visible("text=2 berkas disetujui: BLK-2025-000030, BLK-2025-000031.")
    context.close()
    # On a 390 px phone the decision is within the first screen, and nothing scrolls sideways.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, locale="id-ID", device_scale_factor=2)
    page = phone.new_page()
    browser_login(page, base, "pejabat1")
    page.goto(f"{base}/berkas/BLK-2025-000032")
    approve = page.locator("summary:has-text('Setujui')")
    assert approve.is_visible() and approve.bounding_box()["y"] + approve.bounding_box()["height"] < 844
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "phone-approval", full=False)
    page.goto(f"{base}/antrean")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    _shot(page, "phone-queue", full=False)
    phone.close()


def test_print_shows_the_dossier_and_the_whole_participant_list(desk_server, browser):
    rt, base = desk_server
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    page = context.new_page()
    browser_login(page, base, "petugas1")
    page.goto(f"{base}/berkas/BLK-2025-000001")
    page.emulate_media(media="print")
    assert not page.is_visible(".topbar") and not page.is_visible(".panel-tindakan")
    assert page.locator("table.peserta tbody tr:visible").count() == 4
    assert page.evaluate("getComputedStyle(document.querySelector('.gulir')).overflow") == "visible"
    ARTIFACTS.mkdir(exist_ok=True)
    page.pdf(path=str(ARTIFACTS / "desk2-dossier-print.pdf"), format="A4")
    _shot(page, "print")
    context.close()


def test_held_sender_linked_and_verification_states_differ(desk_server, browser):
    rt, base = desk_server
    seed_dossier(rt.engine, rt.settings.outputs_dir, number="BLK-2025-000010", status="ditahan",
                 sender="bagian.umum@lsp-tdn-mail.example.id", lsp_code="", findings=False, mailbox_uid="u-10")
    tokens = seed_certificates(rt.engine, "BLK-2025-000001")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    page = context.new_page()
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    browser_login(page, base, "petugas1")
    page.goto(f"{base}/berkas/BLK-2025-000010")
    page.select_option("#pengirim select[name=lsp]", "LSP-001")
    _shot(page, "held-link", full=False)
    page.click("button:has-text('Hubungkan dan periksa ulang')")
    page.wait_for_load_state()
    assert page.is_visible("text=Berkas dihubungkan ke LSP Teknologi Digital Nusantara dan diperiksa ulang")
    assert not page.is_visible("#pengirim")
    colours = {}
    for status, token in tokens.items():
        page.goto(f"{base}/verifikasi/{token}")
        colours[status] = page.evaluate("getComputedStyle(document.querySelector('.putusan')).backgroundColor")
        _shot(page, f"verify-{status}")
    assert len(set(colours.values())) == 3, colours                 # the stylesheet applied, three looks
    assert "rgba(0, 0, 0, 0)" not in colours.values()
    assert violations == [], violations
    page.goto(f"{base}/dasbor")
    assert page.is_visible("#beban") and page.is_visible("text=blanko tersedia")
    _shot(page, "dashboard")
    context.close()
