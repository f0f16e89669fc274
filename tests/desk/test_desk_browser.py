"""End to end in a real browser: Debian's chromium driven by Playwright against the desk
served by uvicorn, sending mail through a real SMTP server into a real Dovecot mailbox.

Story: an anonymous visitor is sent to the login page; the officer logs in, finds the
incomplete dossier in the queue, overrides a NIK finding with a reason, and sends the LSP a
completion request that arrives in the LSP's mailbox in the same thread; the officer's
approval attempt and a form stripped of its CSRF token are refused; the eselon 4 official
approves the complete dossier. Screenshots of the main pages go to tests/artifacts/.
"""
from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from desk_seed import LSP_EMAIL, PASSWORD
from pipelines import db
from pipelines.config import Settings, Smtp
from pipelines.runtime import Runtime

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")


@pytest.fixture
def desk_server(seeded, smtp_server):
    """The desk on 127.0.0.1:<free port>, mailing through the test SMTP server."""
    from pipelines.desk.app import create_app
    from tests.servers import served
    rt = Runtime(Settings(outputs_dir=seeded.settings.outputs_dir,
                          smtp=Smtp(host=smtp_server.host, port=smtp_server.port)))
    with served(create_app(rt, secret=b"e2e-rahasia-" * 4)) as base:
        yield rt, base


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def browser_login(page, base: str, username: str) -> None:
    page.goto(f"{base}/masuk")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_load_state()


def _logout(page) -> None:
    page.click("button:has-text('Keluar')")
    page.wait_for_url("**/masuk")


def test_officer_and_official_at_the_desk(desk_server, browser, smtp_server):
    rt, base = desk_server
    ARTIFACTS.mkdir(exist_ok=True)
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID")
    page = context.new_page()
    remote_requests = []
    page.on("request", lambda r: remote_requests.append(r.url)
            if r.url.startswith(("http:", "https:")) and not r.url.startswith(base) else None)

    # An anonymous visitor is sent to the login page.
    page.goto(f"{base}/antrean")
    assert "/masuk" in page.url and page.is_visible("text=Masuk ke Meja Petugas")
    page.screenshot(path=str(ARTIFACTS / "desk-login.png"))

    # The officer logs in and sees the queue.
    page.fill("input[name=username]", "petugas1")
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Masuk')")
    page.wait_for_url("**/antrean")
    assert page.is_visible("h1:has-text('Antrean berkas')")
    assert page.is_visible("a:has-text('BLK-2025-000001')")
    # htmx filter: choosing a status refreshes the table without a page load.
    page.select_option("form.saring select[name=status]", "menunggu_kelengkapan")
    page.wait_for_url("**status=menunggu_kelengkapan**")
    assert page.locator("#antrean-hasil tbody tr").count() == 1
    page.screenshot(path=str(ARTIFACTS / "desk-queue.png"), full_page=True)

    # The dossier page: findings, attachments, flagged participant cell, mail without remote content.
    page.click("a:has-text('BLK-2025-000001')")
    page.wait_for_url("**/berkas/BLK-2025-000001")
    assert page.is_visible("td:has-text('NIK tidak sah')")
    assert page.locator("td.sel-ditandai").first.inner_text() == "327301150590"
    frame = page.locator("details.pratinjau iframe").first
    assert frame.get_attribute("src").startswith("/berkas/BLK-2025-000001/lampiran/")
    pdf = context.request.get(base + frame.get_attribute("src"))
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    page.screenshot(path=str(ARTIFACTS / "desk-dossier.png"), full_page=True)
    # The completion request starts from the blocking errors.
    assert "NIK Budi Santoso harus 16 digit" in page.locator("textarea[name=isi]").input_value()

    # Override the NIK finding with a written reason.
    row = page.locator("tr:has-text('NIK tidak sah')")
    row.locator("summary:has-text('Kesampingkan')").click()
    row.locator("textarea[name=alasan]").fill("NIK sudah dicocokkan dengan KTP asli peserta.")
    row.locator("button:has-text('Simpan')").click()
    page.wait_for_load_state()
    assert page.is_visible("text=Temuan dikesampingkan dan dicatat di riwayat.")
    assert page.is_visible("text=dikesampingkan oleh petugas1")

    # Send the completion request (edited by the officer): it arrives in the LSP's mailbox.
    body = page.locator("textarea[name=isi]")
    body.fill(body.input_value().replace("Hormat kami,", "Mohon juga lampirkan berita acara yang bertanda tangan.\n\nHormat kami,"))
    page.click("button:has-text('Kirim permintaan kelengkapan')")
    page.wait_for_load_state()
    assert page.is_visible("text=Permintaan kelengkapan diantrekan")  # the desk's sender mails it
    received = smtp_server.mailbox_of(LSP_EMAIL).wait_for(1)
    assert len(received) == 1
    msg = email.message_from_bytes(received[0], policy=policy.default)
    assert msg["Subject"].startswith("Re: [BLK-2025-000001]")
    assert "berita acara yang bertanda tangan" in msg.get_body(("plain",)).get_content()
    with rt.engine.connect() as conn:
        thread_id = db.dossier_by_number(conn, "BLK-2025-000001")["thread_message_id"]
    assert msg["In-Reply-To"] == thread_id and "Auto-Submitted" not in msg
    page.reload()  # the page was shown while the mail was still queued
    assert page.is_visible("td:has-text('terkirim (petugas)')")

    # A form without its CSRF token is refused.
    page.evaluate("document.querySelector('form.catatan input[name=csrf_token]').remove()")
    page.fill("form.catatan textarea[name=catatan]", "Catatan tanpa token")
    page.click("form.catatan button")
    page.wait_for_load_state()
    assert page.is_visible("text=token keamanan formulir (CSRF)")

    # The officer may not approve.
    page.goto(f"{base}/berkas/BLK-2025-000002")
    assert page.locator("button:has-text('Setujui')").count() == 0
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = context.request.post(f"{base}/berkas/BLK-2025-000002/setujui", form={"csrf_token": token},
                                   max_redirects=0)
    assert refused.status == 403 and "Petugas tidak berwenang menyetujui" in refused.text()
    _logout(page)

    # The eselon 4 official approves the complete dossier; blanks are in stock.
    from pipelines.fulfil.blanks import add_stock
    with rt.engine.begin() as conn:
        add_stock(conn, 1000001, 1000500, actor="admin")
    browser_login(page, base, "pejabat1")
    page.goto(f"{base}/berkas/BLK-2025-000002")
    page.click("summary:has-text('Setujui')")
    page.click("button:has-text('Ya, setujui')")
    page.wait_for_load_state()
    assert page.is_visible("text=Berkas BLK-2025-000002 disetujui")
    # Approval allocates the serials and packs the parcel at once.
    assert page.is_visible(".judul-berkas .status:has-text('Dikemas')")
    with rt.engine.connect() as conn:
        event = conn.execute(select(db.events).where(db.events.c.action == "berkas_disetujui")).mappings().one()
    assert event["actor"] == "pejabat1" and event["detail"]["penyetuju"] == "Drs. Budi Santoso, M.M."

    page.goto(f"{base}/dasbor")
    assert page.locator("svg.chart").count() == 3
    page.screenshot(path=str(ARTIFACTS / "desk-dashboard.png"), full_page=True)
    assert remote_requests == [], remote_requests
    context.close()
