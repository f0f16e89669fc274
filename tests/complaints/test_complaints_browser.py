"""The public complaint form and the officer's register in Chromium (Playwright), against the
desk served by uvicorn, mailing through a real SMTP server into a real Dovecot mailbox.

Story: a citizen files a complaint on the public form and gets a tracking number; the
acknowledgement with that number arrives in their mailbox; the lookup refuses a wrong
address and shows the status for the right one; the officer records it, investigates and
decides on the desk; the decision letter arrives and the lookup shows it closed.
Screenshots go to tests/artifacts/.
"""
from __future__ import annotations

import email
import os
from email import policy
from pathlib import Path

import pytest

from pipelines.config import Settings, Smtp
from pipelines.poll import send_queued
from pipelines.runtime import Runtime
from tests.complaints.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
CITIZEN = "dewi.warga@contoh.id"

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="chromium is not installed")


@pytest.fixture
def desk_server(tmp_path, smtp_server, desk_users):
    from pipelines.desk.app import create_app
    from tests.servers import served
    rt = Runtime(Settings(outputs_dir=tmp_path / "out", smtp=Smtp(host=smtp_server.host, port=smtp_server.port)))
    desk_users(rt.engine)
    with served(create_app(rt, secret=b"e2e-pengaduan-" * 3)) as base:
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


def _mails(smtp_server, count: int) -> list:
    return [email.message_from_bytes(raw, policy=policy.default)
            for raw in smtp_server.mailbox_of(CITIZEN).wait_for(count)]


def _lookup(page, base, number, address):
    page.goto(f"{base}/layanan-pengaduan/lacak")
    page.fill("input[name=nomor]", number)
    page.fill("input[name=surel]", address)
    page.click("button:has-text('Lihat status')")
    page.wait_for_load_state()


def test_citizen_files_on_the_web_form_and_follows_it_to_the_decision(desk_server, browser, smtp_server):
    rt, base = desk_server
    ARTIFACTS.mkdir(exist_ok=True)
    citizen = browser.new_context(viewport={"width": 1200, "height": 900}, locale="id-ID").new_page()

    citizen.goto(f"{base}/layanan-pengaduan")
    citizen.select_option("select[name=jenis]", "keluhan")
    citizen.fill("input[name=nama]", "Dewi Anggraini")
    citizen.fill("input[name=surel]", CITIZEN)
    citizen.fill("input[name=perihal]", "Sertifikat belum terbit")
    citizen.fill("textarea[name=isi]", "Sertifikat kompetensi saya belum terbit walau sudah dinyatakan kompeten "
                                       "dua bulan lalu.")
    citizen.screenshot(path=str(ARTIFACTS / "pengaduan-formulir.png"), full_page=True)
    citizen.click("button:has-text('Kirim pengaduan')")
    citizen.wait_for_selector("#nomor-pelacakan")
    number = citizen.inner_text("#nomor-pelacakan")
    assert number.startswith("ADU-")
    citizen.screenshot(path=str(ARTIFACTS / "pengaduan-terkirim.png"), full_page=True)

    # The acknowledgement (queued by the form, sent beside the desk or by the pipeline) carries the number.
    send_queued(rt)       # the desk's own sender may have sent it already: never twice
    [ack] = _mails(smtp_server, 1)
    assert f"[{number}]" in ack["Subject"] and number in ack.get_content() and "formulir web" in ack.get_content()

    _lookup(citizen, base, number, "bukan.saya@contoh.id")
    assert citizen.is_visible("text=tidak cocok dengan pengaduan mana pun")
    _lookup(citizen, base, number, CITIZEN)
    assert citizen.inner_text("#status") == "Dicatat, diteruskan ke Penanggung Jawab Teknis"
    citizen.screenshot(path=str(ARTIFACTS / "pengaduan-lacak.png"), full_page=True)

    # The officer works it on the desk: record, investigate with a corrective action, decide.
    officer = browser.new_context(viewport={"width": 1400, "height": 900}, locale="id-ID").new_page()
    officer.goto(f"{base}/pengaduan")
    officer.fill("input[name=username]", "rina")
    officer.fill("input[name=password]", PASSWORD)
    officer.click("button:has-text('Masuk')")
    officer.wait_for_url("**/pengaduan")
    officer.click(f"a:has-text('{number}')")
    officer.wait_for_url(f"**/pengaduan/{number}")
    assert officer.locator("tr[data-langkah=terima]").inner_text().count("tepat waktu") == 1
    officer.select_option("select[name=pjt]", label="Hendra Gunawan, S.Si. (Penanggung Jawab Teknis)")
    officer.click("button:has-text('Catat dan teruskan')")
    officer.wait_for_selector("text=Dicatat dan diteruskan ke Penanggung Jawab Teknis.")
    officer.fill("textarea[name=penyebab]", "Berkas tertahan karena tanda tangan pejabat belum dibubuhkan.")
    officer.fill("textarea[name=perbaikan]", "Sertifikat ditandatangani dan diterbitkan.")
    officer.fill("textarea[name=tindakan]", "Pengingat harian untuk berkas yang menunggu tanda tangan.")
    officer.fill("input[name=cek_pada]", "2027-01-15")
    officer.click("button:has-text('Simpan hasil investigasi')")
    officer.wait_for_selector("text=Hasil investigasi dicatat.")
    officer.select_option("select[name=hasil]", "diterima")
    officer.fill("textarea[name=keputusan]", "Keluhan diterima; sertifikat telah diterbitkan.")
    officer.select_option("select[name=publikasi]", "tidak_dipublikasikan")
    officer.click("button:has-text('Terbitkan dan kirim surat keputusan')")
    officer.wait_for_selector("text=Surat keputusan diterbitkan dan dikirim; pengaduan ditutup.")
    assert officer.locator("#jam-layanan .lencana.merah").count() == 0
    assert officer.locator("#jam-layanan tbody tr").count() == 4
    officer.screenshot(path=str(ARTIFACTS / "pengaduan-meja.png"), full_page=True)

    send_queued(rt)
    mails = _mails(smtp_server, 5)    # acknowledgement, two progress mails, decision, closure
    assert len(smtp_server.mailbox_of(CITIZEN).fetch_all("INBOX")) == 5          # each exactly once
    decision = next(m for m in mails if any(True for _ in m.iter_attachments()))
    assert decision["In-Reply-To"] == ack["Message-ID"]
    assert [a.get_filename() for a in decision.iter_attachments()] in (["surat_keputusan.pdf"],
                                                                         ["surat_keputusan.docx"])
    _lookup(citizen, base, number, CITIZEN)
    assert citizen.inner_text("#status") == "Selesai (keputusan disampaikan)"
    assert citizen.is_visible("dd:has-text('Diterima')")
