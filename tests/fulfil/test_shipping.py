"""Courier manifest, formula neutralisation, the receipt's QR code read back from a scan,
the returned receipt closing the dossier, reminders, and the verification page."""
from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta

import pytest
from PIL import Image, ImageDraw
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from pipelines import db
from pipelines.decide.approval import approve
from pipelines.documents import Attachment, MailContent
from pipelines.fulfil import blanks
from pipelines.fulfil.manifest import build_manifest, neutralise
from pipelines.fulfil.models import certificates, manifest_parcels, parcels
from pipelines.fulfil.receipts import find_qr, handle_signed_receipt_mail, handle_thread_reply
from pipelines.fulfil.reminders import remind_and_flag
from pipelines.registry import Lsp, Registry

from .helpers import make_dossier, make_runtime


@pytest.fixture
def rt(tmp_path):
    rt = make_runtime(tmp_path)
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1, 500, actor="admin")
    return rt


def approved(rt, schemes=None, **kw):
    d = make_dossier(rt, schemes, **kw)
    result = approve(rt, d["number"], "Kepala Subbagian", "kasubbag")
    d["documents"] = {g["kind"]: g["docx"] for g in result.documents}
    return d


def outbox_rows(rt):
    with rt.engine.connect() as conn:
        return conn.execute(select(db.outbox).order_by(db.outbox.c.id)).mappings().all()


def test_manifest_lists_each_parcel_once_even_when_run_again(rt):
    a = approved(rt, {"Skema A": (3, 0)})
    b = approved(rt, {"Skema B": (2, 1)}, lsp_code="LSP-002", sender="sertifikasi@lsp-pbd.example.id")
    first = build_manifest(rt)
    assert [p["dossier"] for p in first.parcels] == [a["number"], b["number"]]
    assert first.xlsx.exists() and first.pdf.read_bytes().startswith(b"%PDF-") and first.csv.exists()
    assert build_manifest(rt) is None                       # nothing left: no second manifest
    c = approved(rt, {"Skema C": (1, 0)})
    second = build_manifest(rt)
    assert [p["dossier"] for p in second.parcels] == [c["number"]]
    with rt.engine.connect() as conn:
        assert conn.execute(select(parcels.c.status)).scalars().all() == ["dikirim"] * 3
        assert {db.dossier_by_number(conn, n)["status"] for n in (a["number"], b["number"])} == {"dikirim"}
        parcel_id = conn.execute(select(parcels.c.id).limit(1)).scalar()
    with pytest.raises(IntegrityError):                   # the database, not only the code
        with rt.engine.begin() as conn:
            conn.execute(insert(manifest_parcels).values(manifest_id=2, parcel_id=parcel_id, position=9))
    notices = outbox_rows(rt)
    assert len(notices) == 3
    notice = notices[0]
    assert notice["in_reply_to"] == a["thread_id"] and a["thread_id"] in notice["references"]
    assert notice["subject"].startswith(f"Re: [{a['number']}]")
    assert "0000001 s.d. 0000003" in notice["body_text"] and "PKT-" in notice["body_text"]
    rows = list(csv.reader(io.StringIO(first.csv.read_text(encoding="utf-8"))))
    assert rows[0][1] == "nomor_paket" and len(rows) == 3


def test_formula_cells_are_neutralised(rt):
    from openpyxl import load_workbook
    evil = Lsp(code="LSP-666", name='=HYPERLINK("http://jahat.example","klik")', emails=("x@jahat.example",),
               address="@SUM(A1:A9)", contact="-2+3", phone="+62 21 555")
    rt.__dict__["registry"] = Registry([evil])
    approved(rt, {"Skema": (1, 0)}, lsp_code="LSP-666", sender="x@jahat.example")
    result = build_manifest(rt)
    ws = load_workbook(result.xlsx).active
    cells = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert "'=HYPERLINK(\"http://jahat.example\",\"klik\")" in cells
    assert {"'@SUM(A1:A9)", "'-2+3", "'+62 21 555"} <= cells
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)
    data = list(csv.reader(io.StringIO(result.csv.read_text(encoding="utf-8"))))[1]
    assert data[2].startswith("'=") and data[3] == "'@SUM(A1:A9)" and data[5] == "'+62 21 555"
    for bad in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise("LSP Biasa") == "LSP Biasa" and neutralise(7) == 7


def _receipt_qr_png(docx_path) -> bytes:
    with zipfile.ZipFile(docx_path) as z:
        [media] = [n for n in z.namelist() if n.startswith("word/media/")]
        return z.read(media)


def scanned_receipt(docx_path, fmt="PNG") -> bytes:
    """A 'scan' of the printed receipt: an A4 page at ~100 dpi with text and the real QR."""
    page = Image.new("L", (827, 1169), 250)
    draw = ImageDraw.Draw(page)
    for y in range(80, 700, 28):
        draw.line((80, y, 740, y), fill=120, width=2)
    draw.text((90, 40), "TANDA TERIMA BLANKO SERTIFIKAT KOMPETENSI", fill=0)
    qr = Image.open(io.BytesIO(_receipt_qr_png(docx_path))).convert("L")
    page.paste(qr.resize((qr.width * 2, qr.height * 2), Image.NEAREST), (90, 820))
    page = page.rotate(1.5, fillcolor=250)                 # placed a bit crooked on the scanner
    out = io.BytesIO()
    page.convert("RGB").save(out, fmt, **({"resolution": 100.0} if fmt == "PDF" else {}))
    return out.getvalue()


def _mail(rt, content: MailContent) -> dict:
    with rt.engine.begin() as conn:
        mail_id = conn.execute(insert(db.mails).values(
            mailbox="uji", uidvalidity=1, uid=content.message_id, message_id=content.message_id,
            fingerprint="f" * 64, raw_path="/dev/null", from_addr=content.from_addr,
            subject=content.subject, received_at=db.now(), state="received")).inserted_primary_key[0]
        return dict(conn.execute(select(db.mails).where(db.mails.c.id == mail_id)).mappings().one())


@pytest.mark.parametrize("fmt", ["PNG", "PDF"])
def test_qr_round_trip_from_a_scan(rt, fmt):
    d = approved(rt, {"Skema": (2, 0)})
    data = scanned_receipt(d["documents"]["tanda_terima"], fmt)
    name = "scan_tanda_terima." + fmt.lower()
    content = MailContent(message_id="<scan@x>", subject="kiriman", from_addr="siapa@saja.example",
                          attachments=[Attachment(name, data, media_type="application/pdf" if fmt == "PDF" else "image/png")])
    hit = find_qr(content)
    with rt.engine.connect() as conn:
        token = conn.execute(select(parcels.c.receipt_token)).scalar()
    assert hit is not None and (hit.number, hit.token) == (d["number"], token)


def test_signed_receipt_closes_the_shipped_dossier(rt):
    d = approved(rt, {"Skema": (2, 0)})
    scan = scanned_receipt(d["documents"]["tanda_terima"])
    early = MailContent(message_id="<early@x>", subject="Tanda terima", from_addr="admin@lsp-tdn.example.id",
                        attachments=[Attachment("tt.png", scan, media_type="image/png")])
    assert handle_signed_receipt_mail(rt, _mail(rt, early), early) == "tanda terima (paket belum dikirim)"
    build_manifest(rt)
    content = MailContent(message_id="<tt@x>", subject="Tanda terima", from_addr="orang.lain@lsp-tdn.example.id",
                          attachments=[Attachment("tt.png", scan, media_type="image/png")])
    row = _mail(rt, content)
    assert handle_signed_receipt_mail(rt, row, content) == "selesai"
    with rt.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, d["number"])
        mail = conn.execute(select(db.mails).where(db.mails.c.id == row["id"])).mappings().one()
        parcel = conn.execute(select(parcels)).mappings().one()
    assert dossier["status"] == "selesai" and parcel["status"] == "diterima"
    assert (mail["state"], mail["classification"], mail["dossier_id"]) == ("done", "signed_receipt", d["id"])
    assert parcel["receipt_scan_path"].startswith(str(rt.settings.outputs_dir / d["number"] / "tanda_terima_kembali"))
    # A forged QR (right number, wrong token) from a stranger matches nothing.
    other = approved(rt, {"Skema": (1, 0)})
    build_manifest(rt)
    from pipelines.fulfil.packing import receipt_url
    from pipelines.write.qr import qr_png
    fake = qr_png(receipt_url(rt.fulfilment, other["number"], "X" * 24), scale=6)
    forged = MailContent(message_id="<forged@x>", subject="Tanda terima", from_addr="penipu@contoh.id",
                         attachments=[Attachment("tt.png", fake, media_type="image/png")])
    assert handle_signed_receipt_mail(rt, _mail(rt, forged), forged) == "tanda terima tidak cocok"


def test_reply_in_thread_with_scan_but_no_qr_closes_by_thread(rt):
    d = approved(rt, {"Skema": (1, 0)})
    build_manifest(rt)
    with rt.engine.connect() as conn:
        dossier = dict(db.dossier_by_number(conn, d["number"]))
    plain = Image.new("RGB", (400, 300), "white")
    buf = io.BytesIO()
    plain.save(buf, "JPEG")
    chat = MailContent(message_id="<q@x>", subject="Re: pertanyaan", from_addr="admin@lsp-tdn.example.id",
                       text="Kapan paketnya sampai?")
    assert handle_thread_reply(rt, _mail(rt, chat)["id"], dossier, chat) is None
    content = MailContent(message_id="<r@x>", subject="Re: pengiriman", from_addr="admin@lsp-tdn.example.id",
                          text="Terlampir tanda terima yang sudah ditandatangani.",
                          attachments=[Attachment("IMG_0001.jpg", buf.getvalue(), media_type="image/jpeg")])
    assert handle_thread_reply(rt, _mail(rt, content)["id"], dossier, content) == "selesai"


def test_one_reminder_then_flag(rt):
    d = approved(rt, {"Skema": (1, 0)})
    build_manifest(rt)
    cal = rt.calendar
    from pipelines.calendar import local_date
    shipped = local_date(db.now())
    day_reminder = cal.add_working_days(shipped, rt.fulfilment.receipt_reminder_working_days)
    assert remind_and_flag(rt, cal.add_working_days(shipped, 1)).reminded == []
    assert remind_and_flag(rt, day_reminder).reminded == [d["number"]]
    with rt.engine.begin() as conn:   # the reminder went out on that (future) day
        from datetime import datetime, time, timezone
        conn.execute(update(parcels).values(reminded_at=datetime.combine(day_reminder, time(3), timezone.utc)))
    assert remind_and_flag(rt, day_reminder).reminded == []          # once
    assert remind_and_flag(rt, cal.add_working_days(day_reminder, 1)).flagged == []
    later = cal.add_working_days(day_reminder, rt.fulfilment.receipt_escalation_working_days)
    run = remind_and_flag(rt, later)
    assert run.flagged == [d["number"]] and run.reminded == []
    assert remind_and_flag(rt, later + timedelta(days=7)).flagged == []
    reminders = [r for r in outbox_rows(rt) if r["idempotency_key"].startswith("pengingat")]
    assert len(reminders) == 1 and "belum menerima" in reminders[0]["body_text"]
    with rt.engine.connect() as conn:
        codes = conn.execute(select(db.findings.c.code).where(db.findings.c.dossier_id == d["id"])).scalars().all()
        actions = conn.execute(select(db.events.c.action).where(db.events.c.dossier_id == d["id"])).scalars().all()
    assert "TANDA_TERIMA_BELUM_KEMBALI" in codes and "tanda_terima_terlambat" in actions


def test_verification_page(rt):
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    from pipelines.fulfil import verify_web
    from pipelines.fulfil.certificates import set_status

    d = approved(rt, {"Teknisi Jaringan": (1, 0)})
    app = FastAPI()
    app.include_router(verify_web.router)
    app.dependency_overrides[verify_web.get_runtime] = lambda: rt
    client = TestClient(app)
    with rt.engine.connect() as conn:
        cert = conn.execute(select(certificates)).mappings().one()
        parcel = conn.execute(select(parcels)).mappings().one()
    page = client.get(f"/verifikasi/{cert['token']}")
    assert page.status_code == 200 and "BERLAKU" in page.text
    assert cert["name"] in page.text and "Teknisi Jaringan" in page.text
    assert cert["nik"] not in page.text
    set_status(rt, cert["number"], "dibekukan", "pemeriksaan", "petugas")
    assert "DIBEKUKAN" in client.get(f"/verifikasi/{cert['token']}").text
    set_status(rt, cert["number"], "dicabut", "pemalsuan", "petugas")
    assert "DICABUT" in client.get(f"/verifikasi/{cert['token']}").text
    assert client.get("/verifikasi/" + "A" * 24).status_code == 404
    assert client.get("/verifikasi/<script>").status_code == 404
    receipt = client.get(f"/verifikasi/tanda-terima/{d['number']}/{parcel['receipt_token']}")
    assert receipt.status_code == 200 and parcel["receipt_number"] in receipt.text
    assert client.get(f"/verifikasi/tanda-terima/BLK-2026-999999/{parcel['receipt_token']}").status_code == 404
