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


UNKNOWN = "bagian.umum@lsp-tdn-mail.example.id"


def _held(seeded, number: str) -> None:
    from desk_seed import seed_dossier
    seed_dossier(seeded.engine, seeded.settings.outputs_dir, number=number, status="ditahan", sender=UNKNOWN,
                 lsp_code="", findings=False)


def test_a_held_dossier_linked_to_a_registered_lsp_is_checked_again(client, seeded):
    from pipelines import db
    _held(seeded, "BLK-2025-000010")
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000010").text
    assert "Pengirim tidak terdaftar" in page and "Daftarkan " + UNKNOWN not in page   # admin only
    r = client.post("/berkas/BLK-2025-000010/hubungkan-lsp", data={"lsp": "LSP-001", "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    page = client.get(r.headers["location"]).text
    assert "dihubungkan ke LSP Teknologi Digital Nusantara dan diperiksa ulang" in page
    with seeded.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, "BLK-2025-000010")
    assert dossier["lsp_code"] == "LSP-001" and dossier["status"] != "ditahan"


def test_admin_registers_the_sender_as_an_address_of_an_lsp_or_a_new_lsp(client, seeded, tmp_path):
    import shutil

    import yaml

    from pipelines import db
    registry = tmp_path / "lsp_registry.yaml"
    shutil.copy(seeded.settings.registry_path, registry)
    seeded.settings.registry_path = registry
    _held(seeded, "BLK-2025-000011")
    login(client, "admin1")
    page = client.get("/berkas/BLK-2025-000011").text
    r = client.post("/berkas/BLK-2025-000011/daftarkan-pengirim",
                    data={"cara": "alamat", "lsp": "LSP-002", "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    rows = yaml.safe_load(registry.read_text())
    assert UNKNOWN in next(r for r in rows if r["code"] == "LSP-002")["emails"]
    assert registry.read_text().startswith("# Registry of licensed LSPs")
    assert seeded.registry.by_email(UNKNOWN).code == "LSP-002"
    with seeded.engine.connect() as conn:
        assert db.dossier_by_number(conn, "BLK-2025-000011")["lsp_code"] == "LSP-002"
    # A second held sender becomes a new LSP.
    from desk_seed import seed_dossier
    seed_dossier(seeded.engine, seeded.settings.outputs_dir, number="BLK-2025-000012", status="ditahan",
                 sender="info@lsp-baru.example.id", lsp_code="", findings=False, mailbox_uid="u-12")
    page = client.get("/berkas/BLK-2025-000012").text
    r = client.post("/berkas/BLK-2025-000012/daftarkan-pengirim", data={
        "cara": "baru", "kode": "lsp-099", "nama": "LSP Logistik Nusantara", "alamat": "Jl. Pelabuhan 1, Makassar",
        "kontak": "Andi", "telepon": "0411-123", "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    assert seeded.registry.by_code("LSP-099").emails == ("info@lsp-baru.example.id",)
    # An officer may not register senders.
    client.post("/keluar", data={"csrf_token": csrf_of(page)})
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000012").text
    r = client.post("/berkas/BLK-2025-000012/daftarkan-pengirim", data={"cara": "alamat", "lsp": "LSP-001",
                                                                      "csrf_token": csrf_of(page)})
    assert r.status_code == 403


def test_converting_an_unclassified_mail_uses_the_address_inside_the_from_header(client, seeded):
    from sqlalchemy import update

    from pipelines import db
    from desk_seed import LSP_EMAIL
    mail_id = 1
    with seeded.engine.connect() as conn:
        mail_id = conn.execute(db.mails.select().where(db.mails.c.classification == "unclassified")).first().id
    with seeded.engine.begin() as conn:     # as ingest stores it: the raw header
        conn.execute(update(db.mails).where(db.mails.c.id == mail_id)
                     .values(from_addr=f'"LSP Teknologi Digital Nusantara" <{LSP_EMAIL.upper()}>'))
    login(client, "petugas1")
    page = client.get(f"/surel/{mail_id}").text
    r = client.post(f"/surel/{mail_id}/jadikan-berkas", data={"jenis": "blank_request", "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    number = r.headers["location"].rsplit("/", 1)[1]
    with seeded.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, number)
    assert dossier["sender"] == LSP_EMAIL and dossier["lsp_code"] == "LSP-001"
    assert dossier["status"] != "ditahan"


def _awaiting(seeded, number: str, findings: bool = False) -> None:
    from desk_seed import seed_dossier
    seed_dossier(seeded.engine, seeded.settings.outputs_dir, number=number, status="menunggu_persetujuan",
                 findings=findings, mailbox_uid=number + "-u")


def test_the_official_approves_several_clean_dossiers_at_once_after_one_question(client, seeded):
    from pipelines import db
    from pipelines.fulfil.blanks import add_stock
    with seeded.engine.begin() as conn:
        add_stock(conn, 1000001, 1000500, actor="admin")
    _awaiting(seeded, "BLK-2025-000020")
    _awaiting(seeded, "BLK-2025-000021", findings=True)       # open findings: cannot be picked
    login(client, "pejabat1")
    queue = client.get("/antrean?status=menunggu_persetujuan").text
    assert 'name="berkas" value="BLK-2025-000002"' in queue and 'name="berkas" value="BLK-2025-000020"' in queue
    assert 'name="berkas" value="BLK-2025-000021"' not in queue
    token = csrf_of(queue)
    picked = ["BLK-2025-000002", "BLK-2025-000020", "BLK-2025-000021"]
    ask = client.post("/setujui-terpilih", data={"berkas": picked, "csrf_token": token})
    assert ask.status_code == 200 and "Setujui 2 berkas sekaligus?" in ask.text
    assert "Tidak ikut disetujui" in ask.text and "BLK-2025-000021" in ask.text
    with seeded.engine.connect() as conn:                  # nothing approved by the question itself
        assert conn.execute(db.events.select().where(db.events.c.action == "berkas_disetujui")).first() is None
    r = client.post("/setujui-terpilih", data={"berkas": ["BLK-2025-000002", "BLK-2025-000020"], "yakin": "1",
                                              "csrf_token": token})
    assert r.status_code == 303
    assert "2 berkas disetujui" in client.get(r.headers["location"]).text
    with seeded.engine.connect() as conn:
        statuses = {n: db.dossier_by_number(conn, n)["status"] for n in picked}
    assert statuses["BLK-2025-000021"] == "menunggu_persetujuan"
    assert statuses["BLK-2025-000002"] != "menunggu_persetujuan" and statuses["BLK-2025-000020"] != "menunggu_persetujuan"


def test_approving_one_dossier_leads_to_the_next_and_its_pdfs_exist(client, seeded):
    import shutil

    import pytest

    from pipelines import db
    from pipelines.fulfil.blanks import add_stock
    if not shutil.which("soffice") and not shutil.which("libreoffice"):
        pytest.skip("LibreOffice is not installed")
    with seeded.engine.begin() as conn:
        add_stock(conn, 1000001, 1000500, actor="admin")
    from desk_seed import write_documents
    _awaiting(seeded, "BLK-2025-000030")
    write_documents(seeded, "BLK-2025-000002")
    login(client, "pejabat1")
    page = client.get("/berkas/BLK-2025-000002").text
    assert "konfirmasi-setujui" in page and "Setujui pengiriman 3 blanko ke LSP Teknologi Digital Nusantara" in page
    # The sheet and the receipt are shown where the official decides.
    sheet = page.split('id="lembar"')[1].split("</section>")[0]
    assert sheet.count("<iframe") == 2 and "/pdf" in sheet
    r = client.post("/berkas/BLK-2025-000002/setujui", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 303 and r.headers["location"] == "/berkas/BLK-2025-000030"
    assert "Berikut berkas berikutnya" in client.get(r.headers["location"]).text
    with seeded.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, "BLK-2025-000002")
        files = conn.execute(db.generated_files.select().where(
            db.generated_files.c.dossier_id == dossier["id"])).mappings().all()
    assert {f["kind"] for f in files} >= {"lembar_persetujuan", "tanda_terima"}
    for f in files:
        assert f["pdf_path"], f["kind"]
        with open(f["pdf_path"], "rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
        g = client.get(f"/berkas/BLK-2025-000002/dokumen/{f['id']}/pdf")
        assert g.status_code == 200 and g.headers["content-type"] == "application/pdf"


def test_findings_history_and_numbers_read_as_plain_indonesian(client, seeded):
    import re

    from pipelines import db
    from desk_seed import seed_dossier
    seed_dossier(seeded.engine, seeded.settings.outputs_dir, number="BLK-2025-000040", mailbox_uid="u-40")
    with seeded.engine.begin() as conn:
        dossier = db.dossier_by_number(conn, "BLK-2025-000040")
        conn.execute(db.dossiers.update().where(db.dossiers.c.id == dossier["id"]).values(
            facts={"blanks_requested": 12500, "competent_total": 12500}))
        conn.execute(db.findings.insert().values(
            dossier_id=dossier["id"], code="BLANKO_TIDAK_SESUAI", severity="error", location="surat_permohonan.pdf",
            message="Surat meminta 12.500 blanko, daftar memuat 12.499 peserta kompeten.", overridden_by="",
            override_reason="", created_at=db.now()))
        db.record_event(conn, "berkas_diperiksa", dossier_id=dossier["id"], before="baru", after="ditahan",
                        galat=1, dokumen=[], kode="BLANKO_TIDAK_SESUAI", lsp_baru=False, catatan=None)
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000040").text
    body = page.split('<main id="isi"')[1]
    visible = re.sub(r"<[^>]+>", " ", re.sub(r'(title|value|class|id|href|name)="[^"]*"', "", body))
    for raw in ("BLANKO_TIDAK_SESUAI", "NIK_TIDAK_VALID", "None", "ditahan", "berkas_diperiksa", "lsp_baru"):
        assert raw not in visible, raw
    assert "Jumlah blanko tidak sama dengan peserta kompeten" in visible
    assert "12.500" in visible and "Ditahan (pengirim tidak terdaftar)" in visible
    queue = client.get("/antrean").text
    assert re.search(r"Semua yang terbuka <b>\d", queue)


def test_search_by_nik_participant_letter_number_and_lsp_name_sorting_and_saved_filters(client, seeded):
    from desk_seed import seed_dossier
    seed_dossier(seeded.engine, seeded.settings.outputs_dir, number="BLK-2025-000050", lsp_code="LSP-002",
                 sender="sertifikasi@lsp-pbd.example.id", with_files=False, findings=False, mailbox_uid="u-50")
    login(client, "petugas1")

    def found(q: str, extra: str = "") -> list[str]:
        import re
        page = client.get("/antrean", params={"status": "semua", "q": q, **dict([extra.split("=")] if extra else [])})
        return re.findall(r'data-berkas="([^"]+)"', page.text)
    assert found("3273014405920004") == ["BLK-2025-000001", "BLK-2025-000002"]        # a NIK
    assert found("32730144") == ["BLK-2025-000001", "BLK-2025-000002"]                # its start
    assert found("dewi anggraini") == ["BLK-2025-000001", "BLK-2025-000002"]          # a participant
    assert found("Dewi Tidakada") == []
    assert found("012/LSP-TDN/III/2025") == ["BLK-2025-000001", "BLK-2025-000002", "BLK-2025-000050"]
    assert found("Pariwisata Bali") == ["BLK-2025-000050"]                            # an LSP's name
    assert found("BLK-2025-000002") == ["BLK-2025-000002"]
    for hostile in ("'\"*) OR 1=1 --", "\"*NEAR(( ^", "body:x", "%_%"):   # only words reach the index
        assert client.get("/antrean", params={"q": hostile}).status_code == 200
    assert found("", "urut=nomor")[:3] == ["BLK-2025-000001", "BLK-2025-000002", "BLK-2025-000050"]
    assert found("", "urut=terbaru")[0] == "BLK-2025-000050"
    # A saved filter is one click away afterwards, for this officer only.
    page = client.get("/antrean?status=semua&lsp=LSP-002&urut=nomor").text
    r = client.post("/antrean/saringan", data={"nama": "Bali, semua status",
                                               "saringan": "status=semua&lsp=LSP-002&urut=nomor",
                                               "csrf_token": csrf_of(page)})
    assert r.status_code == 303
    page = client.get("/antrean").text
    assert '<a href="/antrean?status=semua&amp;lsp=LSP-002&amp;urut=nomor">Bali, semua status</a>' in page


def test_search_on_postgresql_uses_tsvector(pg_database_url, tmp_path):
    from desk_seed import seed_dossier
    from pipelines.config import Settings
    from pipelines.desk import queries, search
    from pipelines.runtime import Runtime
    rt = Runtime(Settings(outputs_dir=tmp_path / "outputs", database_url=pg_database_url))
    assert rt.engine.dialect.name == "postgresql"
    seed_dossier(rt.engine, rt.settings.outputs_dir, number="BLK-2025-000001")
    seed_dossier(rt.engine, rt.settings.outputs_dir, number="BLK-2025-000050", lsp_code="LSP-002",
                 with_files=False, findings=False, mailbox_uid="u-50")
    assert search.refresh(rt.engine, rt.registry) == 2
    assert search.refresh(rt.engine, rt.registry) == 0          # nothing changed since

    def found(q):
        with rt.engine.connect() as conn:
            rows, _ = queries.queue(conn, queries.QueueFilter(status="semua", q=q))
        return [r["number"] for r in rows]
    assert found("3273014405") == ["BLK-2025-000001"]
    assert found("Citra Lestari") == ["BLK-2025-000001"]
    assert found("012/LSP-TDN/III/2025") == ["BLK-2025-000001", "BLK-2025-000050"]
    assert found("pariwisata") == ["BLK-2025-000050"]
    assert found("'):* & !") == found("")           # no word in it: no search condition, no error


def test_flagged_cells_link_from_their_finding_flagged_rows_first_warnings_stay_in_their_cell(client, seeded):
    import re

    from pipelines import db
    with seeded.engine.begin() as conn:      # a warning on every row must not colour the table
        dossier = db.dossier_by_number(conn, "BLK-2025-000001")
        for row in (4, 5, 6, 7):
            conn.execute(db.findings.insert().values(
                dossier_id=dossier["id"], code="NIK_TERSIMPAN_ANGKA", severity="warning",
                message="NIK tersimpan sebagai angka.", location=f"peserta.xlsx, lembar Peserta, baris {row}, kolom NIK",
                overridden_by="", override_reason="", created_at=db.now()))
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001").text
    # The NIK error of row 5 links to its cell, and the cell carries that id.
    link = re.search(r'<a href="#(sel-\d+-nik)" class="ke-sel">peserta.xlsx, lembar Peserta, baris 5', page)
    assert link and f'id="{link.group(1)}" class="sel-ditandai mono"' in page
    # Flagged by an error first: Budi Santoso (row 5) is the first participant row.
    body = page.split('<table class="tabel peserta">')[1]
    names = re.findall(r'id="sel-\d+-name" class="[^"]*"[^>]*>([^<]+)<', body)
    assert names[0] == "Budi Santoso"
    assert body.count('class="ditandai bertanda"') == 1                 # only the row with an error
    assert body.count("sel-peringatan mono") == 3                       # warnings: their cells only


def test_admin_deactivates_resets_password_and_changes_role_in_the_web(seeded):
    from fastapi.testclient import TestClient

    from desk_seed import PASSWORD
    from pipelines.desk.app import create_app
    app = create_app(seeded, secret=b"uji-rahasia-" * 4)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as admin, \
            TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as rina:
        login(admin, "admin1")
        login(rina, "petugas1")
        assert rina.get("/antrean").status_code == 200
        page = admin.get("/pengguna").text
        r = admin.post("/pengguna/petugas1/nonaktifkan", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 303
        assert rina.get("/antrean").status_code == 303                  # her session ended at once
        assert login(rina, "petugas1").status_code == 401
        admin.post("/pengguna/petugas1/aktifkan", data={"csrf_token": csrf_of(page)})
        r = admin.post("/pengguna/petugas1/kata-sandi", data={"csrf_token": csrf_of(page)})
        assert r.status_code == 200 and "Kata sandi sementara untuk <b>petugas1</b>" in r.text
        temporary = r.text.split("<code>")[1].split("</code>")[0]
        assert temporary not in str(r.headers.raw)                       # never in a cookie
        assert login(rina, "petugas1", PASSWORD).status_code == 401    # the old password no longer works
        assert login(rina, "petugas1", temporary).status_code == 303
        r = admin.post("/pengguna/petugas1/peran", data={"peran": "pejabat", "csrf_token": csrf_of(page)})
        assert r.status_code == 303
        assert rina.get("/").headers["location"] == "/antrean?status=menunggu_persetujuan"   # now an official
        r = admin.post("/pengguna/admin1/nonaktifkan", data={"csrf_token": csrf_of(page)})
        assert "akun Anda sendiri" in admin.get(r.headers["location"]).text
        assert rina.post("/pengguna/admin1/nonaktifkan", data={"csrf_token": csrf_of(rina.get("/antrean").text)}
                         ).status_code == 403


def test_user_administration_from_the_command_line(seeded, tmp_path, monkeypatch):
    import io

    from pipelines.desk import auth, cli
    monkeypatch.setattr(cli, "_runtime", lambda args: seeded)

    def run(*argv, stdin=""):
        import argparse
        parser = argparse.ArgumentParser()
        parser.add_argument("--config")
        cli.register(parser.add_subparsers(dest="cmd"))
        args = parser.parse_args(list(argv))
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return args.func(args)
    assert run("users", "deactivate", "petugas1") == 0
    assert auth.verify_password(seeded.engine, "petugas1", "kata-sandi-uji-123") is None
    assert run("users", "activate", "petugas1") == 0
    assert run("users", "reset-password", "petugas1", "--password-stdin", stdin="sandi-baru-yang-panjang\n") == 0
    assert auth.verify_password(seeded.engine, "petugas1", "sandi-baru-yang-panjang").role == "petugas"
    assert run("users", "role", "petugas1", "admin") == 0
    assert auth.verify_password(seeded.engine, "petugas1", "sandi-baru-yang-panjang").role == "admin"
    assert run("users", "deactivate", "tidak-ada") == 1


def test_idle_session_ends_and_login_throttling_counts_per_address(client, seeded, monkeypatch):
    from datetime import timedelta

    from sqlalchemy import select, update

    from pipelines.desk import auth, models
    login(client, "petugas1")
    with seeded.engine.connect() as conn:
        expires = conn.execute(select(models.sessions.c.expires_at)).scalar()
    assert auth.db.aware(expires) - auth.db.now() <= auth.IDLE_TIMEOUT
    with seeded.engine.begin() as conn:            # nobody used it for longer than the idle timeout
        conn.execute(update(models.sessions).values(expires_at=auth.db.now() - timedelta(seconds=1)))
    assert client.get("/antrean").status_code == 303
    # Password spraying: one address, many user names.
    for i in range(auth.ADDRESS_FAILURES):
        assert login(client, f"tebakan{i}", "salah-salah-salah").status_code == 401
    r = login(client, "pejabat1")
    assert r.status_code == 429 and "Terlalu banyak percobaan" in r.text


def test_forwarded_address_is_trusted_only_from_a_configured_proxy(seeded):
    from fastapi.testclient import TestClient

    from pipelines.desk import auth
    from pipelines.desk.app import create_app

    def spray(app, forwarded_for):
        with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
            for i in range(auth.ADDRESS_FAILURES):
                page = c.get("/masuk")
                c.post("/masuk", data={"username": f"x{i}", "password": "salah-salah-salah",
                                       "csrf_token": csrf_of(page.text)}, headers={"X-Forwarded-For": forwarded_for})
            page = c.get("/masuk")
            return c.post("/masuk", data={"username": "pejabat1", "password": "kata-sandi-uji-123",
                                          "csrf_token": csrf_of(page.text)}, headers={"X-Forwarded-For": "10.9.9.9"})
    # Not configured: the header is ignored, every attempt counts for the peer (testclient) itself.
    assert spray(create_app(seeded, secret=b"k" * 32, trusted_proxies=()), "10.1.1.1").status_code == 429
    # Behind a trusted proxy: the client named by the proxy is throttled, another client is not.
    from sqlalchemy import delete

    from pipelines.desk import models
    with seeded.engine.begin() as conn:
        conn.execute(delete(models.login_attempts))
    assert spray(create_app(seeded, secret=b"k" * 32, trusted_proxies=("testclient",)),
                 "203.0.113.7, 10.2.2.2").status_code == 303


def test_verification_page_states_look_different_with_styles_the_csp_allows(client, seeded):
    from desk_seed import seed_certificates
    tokens = seed_certificates(seeded.engine, "BLK-2025-000001")
    pages = {status: client.get(f"/verifikasi/{token}") for status, token in tokens.items()}
    for status, page in pages.items():
        assert page.status_code == 200
        assert f'class="verifikasi status-{status}"' in page.text
        assert "<style" not in page.text and "style=" not in page.text          # nothing inline for CSP to block
        assert "style-src 'self'" in page.headers["content-security-policy"]
        assert '<link rel="stylesheet" href="/statis/verifikasi.css">' in page.text
        assert pages[status].text.count("3273") == 0                            # no NIK on a public page
    assert "BERLAKU" in pages["berlaku"].text and "DIBEKUKAN" in pages["dibekukan"].text
    assert "DICABUT" in pages["dicabut"].text
    css = client.get("/statis/verifikasi.css")
    assert css.status_code == 200 and all(f".status-{s}" in css.text for s in tokens)


def test_dashboard_shows_blank_stock_workload_and_the_officials_decision_time(client, seeded):
    from datetime import timedelta

    from pipelines import db
    from pipelines.fulfil.blanks import add_stock
    with seeded.engine.begin() as conn:
        add_stock(conn, 1000001, 1001250, actor="admin")
        dossier = db.dossier_by_number(conn, "BLK-2025-000002")
        # Decided by the official 6 hours after receipt; BLK-...001 was only completed by the pipeline.
        conn.execute(db.events.insert().values(dossier_id=dossier["id"], at=db.aware(dossier["received_at"])
                                               + timedelta(hours=6), actor="pejabat1", action="berkas_disetujui",
                                               status_before="menunggu_persetujuan", status_after="disetujui",
                                               detail={}))
    login(client, "petugas1")
    page = client.get("/berkas/BLK-2025-000001").text
    client.post("/berkas/BLK-2025-000001/ambil", data={"csrf_token": csrf_of(page)})
    dash = client.get("/dasbor").text
    assert "1.250</span>" in dash and "blanko tersedia" in dash
    assert "6,0 jam</span><span class=\"ket\">median diterima → keputusan pejabat (tanpa keputusan otomatis)" in dash
    row = dash.split('id="beban"')[1].split("Rina Wulandari")[1].split("</tr>")[0]
    assert row.count('class="angka-sel">1<') >= 1                               # holds one open dossier
