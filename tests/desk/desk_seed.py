"""Dossiers for desk tests, inserted straight into the database with small real files.

The desk reads what the pipeline wrote; these rows have the same shape: a mail with its raw
file, four attachments (three PDFs by reportlab, a participant list by openpyxl), participants,
findings that point at cells, and the pipeline's events.
"""
from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from sqlalchemy import insert, select

from pipelines import db
from pipelines.desk import auth, models  # noqa: F401  (desk tables)

LSP_EMAIL = "admin@lsp-tdn.example.id"    # LSP-001 in data/lsp_registry.yaml
PASSWORD = "kata-sandi-uji-123"
REMOTE = "http://pelacak.example.com/piksel.png"


def pdf_bytes(title: str, lines: list[str]) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica-Bold", 14)
    c.drawString(72, 780, title)
    c.setFont("Helvetica", 11)
    for i, line in enumerate(lines):
        c.drawString(72, 750 - 16 * i, line)
    c.showPage()
    c.save()
    return buf.getvalue()


PARTICIPANTS = [  # (row, name, nik, scheme, result)
    (4, "Andi Pratama", "3273011505900001", "Junior Web Developer", "K"),
    (5, "Budi Santoso", "327301150590", "Junior Web Developer", "K"),   # NIK too short: flagged
    (6, "Citra Lestari", "3273015208950003", "Junior Web Developer", "BK"),
    (7, "Dewi Anggraini", "3273014405920004", "Junior Web Developer", "K"),
]


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.title = "Peserta"
    ws.append(["DAFTAR PESERTA UJI KOMPETENSI"])
    ws.append([])
    ws.append(["No", "Nama", "NIK", "Skema", "Hasil"])
    for i, (_row, name, nik, scheme, result) in enumerate(PARTICIPANTS, 1):
        ws.append([i, name, nik, scheme, result])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def raw_mail(subject: str, sender: str, html: bool = True, attachments=()) -> tuple[bytes, str]:
    msg = EmailMessage()
    msg["From"] = f"LSP Teknologi Digital Nusantara <{sender}>"
    msg["To"] = "blanko@bnsp.example.go.id"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id = make_msgid(domain="lsp-tdn.example.id")
    msg["Date"] = "Mon, 03 Mar 2025 09:15:00 +0700"
    msg.set_content("Dengan hormat,\nBersama ini kami mengajukan permohonan blanko sertifikat.\n")
    if html:
        msg.add_alternative(
            "<html><body><p>Dengan hormat,</p><p>Bersama ini kami mengajukan <b>permohonan blanko</b>.</p>"
            f'<img src="{REMOTE}" alt="x"><p><a href="http://phishing.example.com/">Klik di sini</a></p>'
            "<script>alert('xss')</script></body></html>", subtype="html")
    for name, data, media in attachments:
        maintype, subtype = media.split("/", 1)
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg.as_bytes(), message_id


def SEED_FILES() -> list[tuple[str, bytes, str, str, list[str]]]:
    """The four documents of a blank request: (name, bytes, media type, doc type, evidence)."""
    return [
        ("surat_permohonan.pdf", pdf_bytes("Surat Permohonan Blanko Sertifikat",
                                           ["Nomor: 012/LSP-TDN/III/2025", "Jumlah blanko: 3 (tiga)"]),
         "application/pdf", "request_letter", ["nama berkas memuat 'permohonan'", "teks: 'permohonan blanko'"]),
        ("berita_acara.pdf", pdf_bytes("Berita Acara Asesmen Kompetensi", ["Tanggal asesmen: 1 Maret 2025"]),
         "application/pdf", "assessment_minutes", ["teks: 'berita acara asesmen'"]),
        ("keputusan.pdf", pdf_bytes("Keputusan Sertifikasi", ["Nomor: KEP-07/2025"]),
         "application/pdf", "certification_decision", ["teks: 'keputusan sertifikasi'"]),
        ("peserta.xlsx", xlsx_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "participant_list", ["kolom NIK, Nama, Hasil ditemukan"]),
    ]


def seed_dossier(engine, outputs: Path, *, number: str, status: str = "menunggu_kelengkapan",
                 sender: str = LSP_EMAIL, lsp_code: str = "LSP-001", received_at: datetime | None = None,
                 due_date: date | None = None, with_files: bool = True, findings: bool = True,
                 mailbox_uid: str | None = None) -> int:
    now = db.now()
    received_at = received_at or now - timedelta(days=2)
    folder = outputs / number / "lampiran"
    folder.mkdir(parents=True, exist_ok=True)
    files = SEED_FILES() if with_files else []
    raw, message_id = raw_mail(f"Permohonan blanko sertifikat {number}", sender,
                               attachments=[(name, data, media) for name, data, media, _t, _e in files])
    raw_path = outputs / "mail" / f"{number}.eml"
    raw_path.parent.mkdir(parents=True, exist_ok=True)
    raw_path.write_bytes(raw)
    with engine.begin() as conn:
        dossier_id = conn.execute(insert(db.dossiers).values(
            number=number, kind="blank_request", status=status, lsp_code=lsp_code, sender=sender,
            subject=f"Permohonan blanko sertifikat {number}", thread_message_id=message_id,
            received_at=received_at, due_date=due_date, facts={"letter_number": "012/LSP-TDN/III/2025",
                                                                "blanks_requested": 3, "competent_total": 3},
            created_at=now, updated_at=now,
            completed_at=now if status == "menunggu_persetujuan" else None)).inserted_primary_key[0]
        mail_id = conn.execute(insert(db.mails).values(
            mailbox="blanko", uidvalidity=1, uid=mailbox_uid or number, message_id=message_id,
            fingerprint=hashlib.sha256(raw).hexdigest(), raw_path=str(raw_path), from_addr=sender,
            subject=f"Permohonan blanko sertifikat {number}", received_at=received_at, state="done",
            classification="blank_request", dossier_id=dossier_id, processed_at=now)).inserted_primary_key[0]
        db.record_event(conn, "berkas_dibuat", dossier_id=dossier_id, mail_id=mail_id, after="baru", nomor=number)
        if with_files:
            for position, (name, data, media, doc_type, evidence) in enumerate(files):
                path = folder / f"{mail_id:06d}-{position:02d}-{name}"
                path.write_bytes(data)
                doc_id = conn.execute(insert(db.documents).values(
                    dossier_id=dossier_id, mail_id=mail_id, position=position, filename=name, path=str(path),
                    media_type=media, sha256=hashlib.sha256(data).hexdigest(), size=len(data), doc_type=doc_type,
                    evidence=evidence, facts={}, needs_manual_review=0)).inserted_primary_key[0]
                if doc_type == "participant_list":
                    for row, pname, nik, scheme, result in PARTICIPANTS:
                        conn.execute(insert(db.participants).values(
                            dossier_id=dossier_id, document_id=doc_id, sheet="Peserta", row=row, name=pname,
                            nik=nik, scheme=scheme, result=result))
        if findings:
            for code, severity, message, location in [
                ("NIK_TIDAK_VALID", "error", "NIK Budi Santoso harus 16 digit, tertulis 12 digit.",
                 "peserta.xlsx, lembar Peserta, baris 5, kolom C (NIK)"),
                ("TANGGAL_LAHIR_NIK", "warning", "Tanggal lahir pada NIK Dewi Anggraini perlu dicek.",
                 "peserta.xlsx, lembar Peserta, baris 7, kolom NIK"),
            ]:
                conn.execute(insert(db.findings).values(
                    dossier_id=dossier_id, code=code, severity=severity, message=message, location=location,
                    overridden_by="", override_reason="", created_at=now))
        db.record_event(conn, "berkas_diperiksa", dossier_id=dossier_id, mail_id=mail_id, before="baru",
                        after=status, galat=1 if findings else 0)
    return dossier_id


def seed_unclassified_mail(engine, outputs: Path, uid: str = "u-1") -> int:
    raw, message_id = raw_mail("Penawaran kerja sama percetakan", "pemasaran@percetakan.example.com")
    path = outputs / "mail" / f"{uid}.eml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(raw)
    with engine.begin() as conn:
        mail_id = conn.execute(insert(db.mails).values(
            mailbox="blanko", uidvalidity=1, uid=uid, message_id=message_id,
            fingerprint=hashlib.sha256(raw).hexdigest(), raw_path=str(path),
            from_addr="pemasaran@percetakan.example.com", subject="Penawaran kerja sama percetakan",
            received_at=db.now(), state="done", classification="unclassified", processed_at=db.now())
        ).inserted_primary_key[0]
        db.record_event(conn, "surel_tidak_terklasifikasi", mail_id=mail_id)
    return mail_id


def add_users(engine) -> None:
    for username, role, name in [("petugas1", "petugas", "Rina Wulandari"),
                                 ("pejabat1", "pejabat", "Drs. Budi Santoso, M.M."),
                                 ("admin1", "admin", "Admin Sekretariat")]:
        with engine.connect() as conn:
            exists = conn.execute(select(models.users.c.id).where(models.users.c.username == username)).first()
        if not exists:
            auth.create_user(engine, username, role, name, PASSWORD)


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    """Log in through the form with a TestClient; returns the POST's response."""
    page = client.get("/masuk")
    return client.post("/masuk", data={"username": username, "password": password, "lanjut": "/",
                                       "csrf_token": csrf_of(page.text)})


def write_documents(rt, number: str) -> None:
    """The approval sheet and receipt as the pipeline writes them for a complete dossier
    (real DOCX templates; PDFs by the same LibreOffice step the pipeline's pass runs)."""
    from pipelines.write.dossier import convert_pending, render_dossier_documents
    with rt.engine.connect() as conn:
        dossier = dict(db.dossier_by_number(conn, number))
    lsp = rt.registry.by_code(dossier["lsp_code"]) if dossier["lsp_code"] else None
    specs = rt.services[dossier["kind"]].when_complete.get("documents", [])
    documents = render_dossier_documents(rt, dossier, lsp, dossier["facts"], specs)
    with rt.engine.begin() as conn:
        for g in documents:
            conn.execute(insert(db.generated_files).values(dossier_id=dossier["id"], kind=g["kind"],
                                                           docx_path=str(g["docx"]), pdf_path="", created_at=db.now()))
    convert_pending(rt, dossier_ids=[dossier["id"]])


def seed_certificates(engine, dossier_number: str) -> dict[str, str]:
    """One certificate per status (berlaku, dibekukan, dicabut) for the dossier's participants;
    returns status -> verification token."""
    from datetime import date

    from pipelines.fulfil.blanks import add_stock
    from pipelines.fulfil.models import certificates
    tokens = {}
    with engine.begin() as conn:
        add_stock(conn, 2000001, 2000010, actor="admin")
        dossier = db.dossier_by_number(conn, dossier_number)
        people = conn.execute(select(db.participants).where(db.participants.c.dossier_id == dossier["id"])
                              .order_by(db.participants.c.row)).mappings().all()
        for i, (status, person) in enumerate(zip(("berlaku", "dibekukan", "dicabut"), people)):
            tokens[status] = f"tokenverifikasi{status}{i:04d}"
            conn.execute(insert(certificates).values(
                number=f"{dossier_number}-{i + 1:03d}", token=tokens[status], dossier_id=dossier["id"],
                participant_id=person["id"], serial=2000001 + i, name=person["name"], nik=person["nik"],
                scheme=person["scheme"], lsp_code="LSP-001", lsp_name="LSP Teknologi Digital Nusantara",
                issue_date=date(2025, 3, 10), valid_until=date(2028, 3, 10), status=status, created_at=db.now()))
    return tokens
