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
