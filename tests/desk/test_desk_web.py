"""The desk over HTTP (FastAPI TestClient): who may see and do what, and what is refused."""
from __future__ import annotations

import time
from pathlib import Path

import yaml

from sqlalchemy import select

from desk_seed import REMOTE, csrf_of, login
from pipelines import db
from pipelines.desk import models


def test_anonymous_visitor_is_sent_to_login(client):
    r = client.get("/antrean", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/masuk?lanjut=%2Fantrean")
    for path in ("/berkas/BLK-2025-000001", "/dasbor", "/berkas/BLK-2025-000001/lampiran/1", "/antrean/tertahan"):
        assert client.get(path, follow_redirects=False).status_code == 303


def test_officer_logs_in_and_sees_the_queue_overdue_first(client, seeded):
    from datetime import date, timedelta

    from desk_seed import seed_dossier
    seed_dossier(seeded.engine, seeded.settings.outputs_dir, number="BLK-2025-000009",
                 status="menunggu_persetujuan", due_date=date.today() - timedelta(days=3), findings=False)
    r = login(client, "petugas1")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Secure" not in cookie
    page = client.get("/antrean")
    assert page.status_code == 200
    assert "Antrean berkas" in page.text and "Rina Wulandari" in page.text
    assert page.text.index("BLK-2025-000009") < page.text.index("BLK-2025-000001")
    assert "terlambat" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    filtered = client.get("/antrean?status=menunggu_kelengkapan")
    assert "BLK-2025-000001" in filtered.text and "BLK-2025-000002" not in filtered.text.split("<tbody>")[1]
    partial = client.get("/antrean?status=semua", headers={"HX-Request": "true", "HX-Target": "antrean-hasil"})
    assert "<html" not in partial.text and "BLK-2025-000002" in partial.text


def test_wrong_password_and_throttle_after_five_failures(client):
    for _ in range(5):
        assert login(client, "petugas1", "salah-sekali-123").status_code == 401
    r = login(client, "petugas1")          # right password, but it has to wait now
    assert r.status_code == 429 and "Coba lagi dalam" in r.text
    assert login(client, "pejabat1").status_code == 303   # other users are not locked out


def test_post_without_csrf_token_is_refused(client):
    assert client.post("/masuk", data={"username": "petugas1", "password": "x"}).status_code == 403
    login(client, "petugas1")
    r = client.post("/berkas/BLK-2025-000001/catatan", data={"catatan": "tanpa token"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/berkas/BLK-2025-000001/catatan", data={"catatan": "x", "csrf_token": "palsu"})
    assert r.status_code == 403
    page = client.get("/berkas/BLK-2025-000001")
    r = client.post("/berkas/BLK-2025-000001/catatan", data={"catatan": "dengan token", "csrf_token": csrf_of(page.text)})
    assert r.status_code == 303


def test_officer_cannot_approve(client, seeded):
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000002")
    assert "Setujui" not in page.text
    r = client.post("/berkas/BLK-2025-000002/setujui", data={"csrf_token": csrf_of(page.text)})
    assert r.status_code == 403 and "Petugas tidak berwenang menyetujui" in r.text
    with seeded.engine.connect() as conn:
        assert db.dossier_by_number(conn, "BLK-2025-000002")["status"] == "menunggu_persetujuan"


def test_approver_cannot_do_officer_actions(client):
    login(client, "pejabat1")
    page = client.get("/berkas/BLK-2025-000001")
    r = client.post("/berkas/BLK-2025-000001/temuan/1/kesampingkan",
                    data={"csrf_token": csrf_of(page.text), "alasan": "tidak boleh"})
    assert r.status_code == 403
    assert client.get("/pengguna").status_code == 403


def test_files_only_registered_ones_for_that_dossier(client, seeded):
    login(client, "petugas1")
    with seeded.engine.connect() as conn:
        docs = conn.execute(select(db.documents.c.id, db.documents.c.dossier_id, db.documents.c.filename)
                            .order_by(db.documents.c.id)).all()
    first = next(d for d in docs if d.dossier_id == 1 and d.filename.endswith(".pdf"))
    other = next(d for d in docs if d.dossier_id == 2)
    r = client.get(f"/berkas/BLK-2025-000001/lampiran/{first.id}")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and r.headers["content-disposition"].startswith("inline")
    assert "default-src 'none'" in r.headers["content-security-policy"]
    assert client.get(f"/berkas/BLK-2025-000001/lampiran/{other.id}").status_code == 404   # other dossier
    assert client.get("/berkas/BLK-2025-000001/lampiran/..%2F..%2Fetc%2Fpasswd").status_code in (404, 422)
    assert client.get("/berkas/BLK-2025-000001/lampiran/999").status_code == 404
    xlsx = next(d for d in docs if d.dossier_id == 1 and d.filename.endswith(".xlsx"))
    r = client.get(f"/berkas/BLK-2025-000001/lampiran/{xlsx.id}")
    assert r.headers["content-disposition"].startswith("attachment")


def test_dossier_page_shows_everything_and_loads_nothing_remote(client):
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001").text
    for text in ("NIK tidak sah", "Surat permohonan", "peserta.xlsx", "Budi Santoso", "Riwayat",
                 "Berkas dibuat", "permohonan blanko", "Kirim permintaan kelengkapan"):
        assert text in page, text
    assert REMOTE not in page and "phishing.example.com" not in page and "alert(" not in page
    assert 'class="sel-ditandai mono"' in page        # the flagged NIK cell
    assert "<iframe" in page


def test_override_is_recorded_and_audit_trail_is_appended(client, seeded):
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001")
    with seeded.engine.connect() as conn:
        fid = conn.execute(select(db.findings.c.id).where(db.findings.c.code == "NIK_TIDAK_VALID")).scalar()
    r = client.post(f"/berkas/BLK-2025-000001/temuan/{fid}/kesampingkan",
                    data={"csrf_token": csrf_of(page.text), "alasan": "NIK sudah dicek ke KTP asli."})
    assert r.status_code == 303
    with seeded.engine.connect() as conn:
        f = conn.execute(select(db.findings).where(db.findings.c.id == fid)).mappings().one()
        ev = conn.execute(select(db.events).where(db.events.c.action == "temuan_dikesampingkan")).mappings().one()
    assert f["overridden_by"] == "petugas1" and f["override_reason"] == "NIK sudah dicek ke KTP asli."
    assert ev["actor"] == "petugas1" and ev["detail"]["kode"] == "NIK_TIDAK_VALID"
    assert "dikesampingkan oleh petugas1" in client.get("/berkas/BLK-2025-000001").text


def test_completion_request_goes_through_the_outbox(client, seeded):
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001").text
    assert "NIK Budi Santoso harus 16 digit" in page.split('name="isi"')[1]    # pre-filled from the error
    import re
    nonce = re.search(r'name="nonce" value="([^"]+)"', page).group(1)
    data = {"csrf_token": csrf_of(page), "nonce": nonce, "subjek": "Re: [BLK-2025-000001] Permohonan",
            "isi": "Mohon perbaiki NIK Budi Santoso."}
    assert client.post("/berkas/BLK-2025-000001/kelengkapan", data=data).status_code == 303
    client.post("/berkas/BLK-2025-000001/kelengkapan", data=data)     # double click: queued once
    deadline = time.monotonic() + 10  # the request only queued it; the desk's sender sends it
    while True:
        with seeded.engine.connect() as conn:
            rows = conn.execute(select(db.outbox)).mappings().all()
        if rows[0]["state"] == "sent" or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert len(rows) == 1 and rows[0]["state"] == "sent" and rows[0]["automatic"] == 0
    assert rows[0]["in_reply_to"] and rows[0]["to_addrs"] == ["admin@lsp-tdn.example.id"]
    assert list((seeded.settings.outbox_dir).glob("*.eml"))


def test_unclassified_mail_closed_as_not_relevant(client, seeded):
    login(client, "petugas1")
    held = client.get("/antrean/tertahan").text
    assert "Penawaran kerja sama percetakan" in held
    page = client.get("/surel/3").text
    r = client.post("/surel/3/tutup", data={"csrf_token": csrf_of(page), "alasan": "Iklan percetakan."})
    assert r.status_code == 303
    assert "Penawaran kerja sama percetakan" not in client.get("/antrean/tertahan").text


def test_dashboard_draws_svg_charts(client):
    login(client, "pejabat1")
    page = client.get("/dasbor").text
    assert page.count("<svg") == 3 and "Berkas per status" in page and "terlambat" in page


def test_events_are_never_updated_or_deleted():
    """The audit trail is append-only: no desk module issues UPDATE or DELETE on events."""
    import pathlib
    import re
    desk = pathlib.Path(models.__file__).parent
    for path in desk.rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"(update|delete)\(\s*db\.events", text), path


def test_logout_ends_the_session(client):
    login(client, "petugas1")
    page = client.get("/antrean")
    client.post("/keluar", data={"csrf_token": csrf_of(page.text)})
    assert client.get("/antrean", follow_redirects=False).status_code == 303


_HELD_FOR_OFFICER = yaml.safe_load(
    (Path(__file__).parents[2] / "services" / "blank_request.yaml").read_text())["hold_for_officer"]


def _override_all_errors(client, seeded, number: str, reason: str = "Diperiksa manual oleh petugas.") -> int:
    with seeded.engine.connect() as conn:
        did = db.dossier_by_number(conn, number)["id"]
        # Blocking: every error, and the warnings the service holds for an officer (unread counts...).
        ids = conn.execute(select(db.findings.c.id).where(
            db.findings.c.dossier_id == did,
            (db.findings.c.severity == "error") | db.findings.c.code.in_(_HELD_FOR_OFFICER),
            db.findings.c.overridden_by == "")).scalars().all()
    for fid in ids:
        page = client.get(f"/berkas/{number}")
        assert client.post(f"/berkas/{number}/temuan/{fid}/kesampingkan",
                           data={"csrf_token": csrf_of(page.text), "alasan": reason}).status_code == 303
    return len(ids)


def test_recheck_after_overrides_moves_the_dossier_on_through_the_pipeline(client, seeded):
    """Officer overrides every blocking finding (errors, and what the service holds for an officer), presses "periksa ulang": the pipeline's own check
    runs again on the kept files, keeps the overrides, and the dossier waits for approval."""
    login(client, "petugas1")
    number = "BLK-2025-000001"
    for _ in range(3):   # the first re-check replaces the seeded findings with the pipeline's own
        _override_all_errors(client, seeded, number)
        page = client.get(f"/berkas/{number}")
        r = client.post(f"/berkas/{number}/periksa-ulang", data={"csrf_token": csrf_of(page.text)})
        assert r.status_code == 303
        with seeded.engine.connect() as conn:
            status = db.dossier_by_number(conn, number)["status"]
        if status not in ("menunggu_kelengkapan", "perlu_pemeriksaan"):
            break
    assert status == "menunggu_persetujuan"
    with seeded.engine.connect() as conn:
        did = db.dossier_by_number(conn, number)["id"]
        actions = [e.action for e in conn.execute(select(db.events).where(db.events.c.dossier_id == did))]
        kinds = set(conn.execute(select(db.generated_files.c.kind).where(
            db.generated_files.c.dossier_id == did)).scalars())
        overridden = conn.execute(select(db.findings).where(db.findings.c.dossier_id == did,
                                                            db.findings.c.severity == "error")).mappings().all()
    assert "periksa_ulang" in actions and actions[-1] == "berkas_diperiksa"
    assert {"lembar_persetujuan", "tanda_terima"} <= kinds
    assert all(f["overridden_by"] == "petugas1" for f in overridden)


def test_unclassified_mail_becomes_a_dossier(client, seeded):
    login(client, "petugas1")
    page = client.get("/surel/3").text
    assert "Jadikan berkas" in page
    r = client.post("/surel/3/jadikan-berkas", data={"csrf_token": csrf_of(page), "jenis": "blank_request"})
    assert r.status_code == 303 and r.headers["location"].startswith("/berkas/BLK-")
    number = r.headers["location"].rsplit("/", 1)[1]
    with seeded.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, number)
        mail = conn.execute(select(db.mails).where(db.mails.c.id == 3)).mappings().one()
    assert mail["dossier_id"] == dossier["id"] and mail["state"] == "done"
    assert dossier["status"] == "ditahan"      # the sender is not a registered LSP
    assert "Penawaran kerja sama percetakan" not in client.get("/antrean/tertahan").text.split("tidak terklasifikasi")[1].split("</table>")[0]


def test_finding_locations_point_at_participant_cells():
    from pipelines.desk.queries import parse_location
    assert parse_location("peserta.xlsx, lembar Peserta, baris 5, kolom C (NIK)") == {
        "file": "peserta.xlsx", "sheet": "Peserta", "row": 5, "column": "nik"}
    assert parse_location("peserta.xlsx, lembar Data, baris 9")["column"] is None       # whole row
    assert parse_location("x.xlsx, baris 3, kolom B (Nama Skema)")["column"] == "scheme"
    assert parse_location("surat.pdf")["row"] is None


def test_secure_cookie_flag_is_configurable(seeded):
    from fastapi.testclient import TestClient

    from pipelines.desk.app import create_app
    with TestClient(create_app(seeded, secure_cookies=True, secret=b"s" * 32), base_url="https://127.0.0.1",
                    follow_redirects=False) as c:
        r = login(c, "petugas1")
    assert r.status_code == 303 and "Secure" in r.headers["set-cookie"]
