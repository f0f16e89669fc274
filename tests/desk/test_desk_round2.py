"""The desk's second round over HTTP (FastAPI TestClient on a real SQLite database)."""
from __future__ import annotations

from desk_seed import csrf_of, login


def test_ids_too_large_or_malformed_are_not_found(client):
    login(client, "petugas1")
    for path in ("/surel/99999999999999999999999", "/surel/9223372036854775808", "/surel/abc", "/surel/0",
                 "/berkas/BLK-2025-000001/lampiran/99999999999999999999",
                 "/berkas/BLK-2025-000001/dokumen/18446744073709551616/pdf",
                 "/berkas/" + "9" * 500):
        r = client.get(path)
        assert r.status_code == 404, path
        assert "Tidak ditemukan" in r.text and "<html" in r.text
    page = client.get("/berkas/BLK-2025-000001")
    r = client.post("/berkas/BLK-2025-000001/temuan/99999999999999999999/kesampingkan",
                    data={"alasan": "alasan panjang", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 404


def test_wrong_method_is_an_indonesian_page(client):
    login(client, "petugas1")
    r = client.get("/berkas/BLK-2025-000001/catatan")
    assert r.status_code == 405 and "tidak dapat dibuka dengan cara tersebut" in r.text
    assert "Method Not Allowed" not in r.text


def test_expired_session_returns_to_the_page_the_form_was_on(client, seeded):
    from sqlalchemy import delete

    from pipelines.desk import models
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001")
    token = csrf_of(page.text)
    with seeded.engine.begin() as conn:          # the session ends (idle timeout, server restart...)
        conn.execute(delete(models.sessions))
    r = client.post("/berkas/BLK-2025-000001/temuan/1/kesampingkan", data={"alasan": "teks", "csrf_token": token})
    assert r.status_code == 303
    assert r.headers["location"] == "/masuk?lanjut=%2Fberkas%2FBLK-2025-000001&habis=1"
    r = client.get(r.headers["location"])
    assert "Sesi Anda telah berakhir" in r.text and 'name="lanjut" value="/berkas/BLK-2025-000001"' in r.text


def test_dossier_page_links_previous_and_next_in_the_queue(client):
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001").text
    assert 'rel="next" href="/berkas/BLK-2025-000002"' in page and 'rel="prev"' not in page
    assert 'class="lompat" href="#isi"' in page and '/statis/desk.js' in page


def _return(seeded, number: str, note: str) -> None:
    from pipelines.decide.approval import return_to_officer
    return_to_officer(seeded, number, "pejabat1", note)


def test_the_officials_return_reason_is_on_top_of_the_dossier_and_in_the_queue(client, seeded):
    _return(seeded, "BLK-2025-000002", "Jumlah blanko pada lembar persetujuan tidak sesuai surat permohonan.")
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000002").text
    top = page.index("Dikembalikan oleh pejabat")
    assert top < page.index('id="temuan"') and top < page.index('id="riwayat"')
    assert "Jumlah blanko pada lembar persetujuan tidak sesuai" in page[top:page.index('id="temuan"')]
    queue = client.get("/antrean?status=dikembalikan").text
    assert "Dikembalikan:</b> Jumlah blanko pada lembar persetujuan" in queue


def test_a_dossier_has_one_holder_and_others_need_an_explicit_take_over(seeded):
    from fastapi.testclient import TestClient

    from desk_seed import LSP_EMAIL
    from pipelines.desk.app import create_app
    from sqlalchemy import select

    from pipelines import db
    app = create_app(seeded, secret=b"uji-rahasia-" * 4)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as rina, \
            TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as andi:
        from pipelines.desk import auth
        auth.create_user(seeded.engine, "petugas2", "petugas", "Andi Saputra", "kata-sandi-uji-123")
        login(rina, "petugas1")
        login(andi, "petugas2")
        # Rina sends a completion request: she now holds the dossier.
        page = rina.get("/berkas/BLK-2025-000001").text
        nonce = page.split('name="nonce" value="')[1].split('"')[0]
        r = rina.post("/berkas/BLK-2025-000001/kelengkapan", data={
            "subjek": "Re: kelengkapan", "isi": "Mohon lengkapi NIK.", "nonce": nonce, "csrf_token": csrf_of(page)})
        assert r.status_code == 303
        # Andi opens the same dossier: he sees who holds it, since when, and what was sent by whom.
        page = andi.get("/berkas/BLK-2025-000001").text
        assert "Dipegang oleh <b>Rina Wulandari</b> sejak" in page
        assert "oleh <b>petugas1</b> kepada " + LSP_EMAIL in page and "Re: kelengkapan" in page
        assert "Ambil alih dari Rina Wulandari" in page
        # His completion request (a second mail to the LSP) is refused...
        nonce = page.split('name="nonce" value="')[1].split('"')[0]
        r = andi.post("/berkas/BLK-2025-000001/kelengkapan", data={
            "subjek": "Re: kelengkapan lagi", "isi": "Mohon lengkapi.", "nonce": nonce, "csrf_token": csrf_of(page)})
        assert r.status_code == 303
        assert "sedang dipegang oleh Rina Wulandari" in andi.get(r.headers["location"]).text
        with seeded.engine.connect() as conn:
            assert conn.execute(select(db.outbox.c.subject)).scalars().all() == ["Re: kelengkapan"]
        # ...until he takes it over explicitly; the take-over is in the history.
        page = andi.get("/berkas/BLK-2025-000001").text
        r = andi.post("/berkas/BLK-2025-000001/catatan", data={"catatan": "Saya lanjutkan.", "csrf_token": csrf_of(page)})
        assert r.status_code == 303                            # a note needs no claim
        r = andi.post("/berkas/BLK-2025-000001/ambil", data={"ambil_alih": "1", "csrf_token": csrf_of(page)})
        page = andi.get("/berkas/BLK-2025-000001").text
        assert "Dipegang oleh <b>Andi Saputra</b> (Anda)" in page
        with seeded.engine.connect() as conn:
            event = conn.execute(select(db.events).where(db.events.c.action == "berkas_diambil_alih")).mappings().one()
        assert event["actor"] == "petugas2" and event["detail"]["dari"] == "petugas1"
        queue = rina.get("/antrean").text
        row = queue.split('data-berkas="BLK-2025-000001"')[1].split("</tr>")[0]
        assert "Andi Saputra" in row and "sejak" in row
