"""Courier manifest: every parcel packed since the last pickup, in one list for the courier.

`build_manifest` runs in ONE transaction: it takes the packed parcels that are in no
manifest yet, records them in a new manifest (`manifest_parcels.parcel_id` is unique, so
a parcel can never be in two manifests, also when two runs race), writes the XLSX, PDF
and CSV, marks parcels and dossiers "dikirim" and queues the shipment notice to each LSP
in the outbox. A repeated run finds nothing left and makes no manifest.

Cells that a spreadsheet would read as a formula (starting with = + - @ tab or CR) are
prefixed with an apostrophe in the XLSX and the CSV.
"""
from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import func, insert, select, update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.fulfil import blanks
from pipelines.fulfil.models import (certificates, courier_manifests, manifest_parcels,
                                     parcels)
from pipelines.fulfil.packing import PACKED, SHIPPED, range_dicts
from pipelines.fulfil.settings import settings_for
from pipelines.threads import reply_subject
from pipelines.write.docx import atomic_write_bytes
from pipelines.write.words import format_date_id

log = logging.getLogger(__name__)

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = [
    ("no", "No."), ("parcel", "Nomor Paket"), ("lsp_name", "Nama LSP (Penerima)"),
    ("address", "Alamat"), ("contact", "Kontak"), ("phone", "Telepon"),
    ("blanks", "Jumlah Blanko"), ("serials", "Nomor Seri Blanko"),
    ("receipt", "Nomor Tanda Terima"), ("dossier", "Nomor Berkas"),
]
# Column names for the courier's import (stable, ASCII).
CSV_COLUMNS = ["no", "nomor_paket", "nama_penerima", "alamat", "kontak", "telepon", "jumlah_blanko",
               "nomor_seri", "nomor_tanda_terima", "nomor_berkas"]
NOTICE_TEMPLATE = "pemberitahuan_pengiriman"   # written by the writer (templates/email/)


def neutralise(value):
    """Text that a spreadsheet would take as a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class ManifestResult:
    number: str
    pickup_date: date
    parcels: list[dict]
    xlsx: Path
    pdf: Path
    csv: Path
    notices: int = 0
    certificate_files: dict = field(default_factory=dict)


def pending_parcels(conn) -> list[dict]:
    """Packed parcels in no manifest yet, oldest first."""
    in_manifest = select(manifest_parcels.c.parcel_id)
    return [dict(r) for r in conn.execute(
        select(parcels, db.dossiers.c.number.label("dossier_number"),
               db.dossiers.c.status.label("dossier_status"), db.dossiers.c.sender,
               db.dossiers.c.thread_message_id, db.dossiers.c.subject.label("dossier_subject"),
               db.dossiers.c.facts)
        .select_from(parcels.join(db.dossiers, db.dossiers.c.id == parcels.c.dossier_id))
        .where(parcels.c.status == PACKED, parcels.c.id.not_in(in_manifest))
        .order_by(parcels.c.packed_at, parcels.c.id)).mappings()]


def _rows(rt, conn, items: list[dict]) -> list[dict]:
    fs = settings_for(rt)
    rows = []
    for i, p in enumerate(items, start=1):
        lsp = rt.registry.by_code(p["lsp_code"]) if p["lsp_code"] else None
        ranges = range_dicts(fs, blanks.dossier_ranges(conn, p["dossier_id"]))
        rows.append({
            "no": i, "parcel": p["number"],
            "lsp_name": lsp.name if lsp else (p["lsp_code"] or p["sender"]),
            "address": lsp.address if lsp else "", "contact": lsp.contact if lsp else "",
            "phone": lsp.phone if lsp else "", "blanks": p["blanks"],
            "serials": "; ".join(f"{r['start']} s.d. {r['end']}" for r in ranges),
            "receipt": p["receipt_number"], "dossier": p["dossier_number"],
            "_ranges": ranges, "_lsp": lsp,
        })
    return rows


# ---------------------------------------------------------------- files

def write_csv(rows: list[dict], path: Path) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow([neutralise(str(r[key])) if isinstance(r[key], str) else r[key]
                         for key, _ in COLUMNS])
    return atomic_write_bytes(path, buf.getvalue().encode("utf-8"))


def write_xlsx(rows: list[dict], path: Path, title: str, subtitle: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "Manifes"
    ws.append([neutralise(title)])
    ws.append([neutralise(subtitle)])
    ws.append([])
    ws.append([label for _, label in COLUMNS])
    for cell in ws[4]:
        cell.font = Font(bold=True)
    ws["A1"].font = Font(bold=True, size=13)
    for r in rows:
        ws.append([neutralise(r[key]) for key, _ in COLUMNS])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"          # never a formula, whatever openpyxl guessed
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.append([])
    ws.append(["", "Jumlah paket", len(rows), "", "", "", sum(r["blanks"] for r in rows)])
    for col, width in zip("ABCDEFGHIJ", (5, 18, 32, 40, 20, 18, 10, 36, 24, 18)):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A5"
    buf = io.BytesIO()
    wb.save(buf)
    return atomic_write_bytes(path, buf.getvalue())


def write_pdf(rows: list[dict], path: Path, title: str, subtitle: str, office,
              courier: str = "") -> Path:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    small = styles["BodyText"].clone("small", fontSize=8, leading=10)
    head = styles["BodyText"].clone("head", fontSize=8, leading=10, fontName="Helvetica-Bold")

    def p(text, style=small):
        return Paragraph(escape(str(text)).replace("\n", "<br/>"), style)

    data = [[p(label, head) for _, label in COLUMNS]]
    for r in rows:
        data.append([p(r[key]) for key, _ in COLUMNS])
    data.append([p(""), p("Jumlah", head), p(f"{len(rows)} paket", head), p(""), p(""), p(""),
                 p(sum(r["blanks"] for r in rows), head), p(""), p(""), p("")])
    widths = [8, 26, 40, 58, 28, 26, 16, 44, 32, 26]
    table = Table(data, colWidths=[w * mm for w in widths], repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=10 * mm, rightMargin=10 * mm,
                            topMargin=12 * mm, bottomMargin=12 * mm, title=title, author=office.name)
    blank_line = "<br/><br/><br/><br/>(....................................)"
    sign = Table([[Paragraph("Diserahkan oleh,<br/>Petugas Sekretariat" + blank_line, small),
                   Paragraph("Diterima oleh kurir,<br/>" + escape(courier) + blank_line, small)]],
                 colWidths=[120 * mm, 120 * mm])
    story = [p(office.name.upper(), styles["Heading3"]), p(title, styles["Heading2"]),
             p(subtitle, styles["BodyText"]), Spacer(1, 4 * mm), table, Spacer(1, 10 * mm), sign]
    doc.build(story)
    return atomic_write_bytes(path, buf.getvalue())


# ---------------------------------------------------------------- the run

def manifest_folder(rt, number: str) -> Path:
    return rt.settings.outputs_dir / "manifes" / number


def prepare_certificates(rt) -> dict[int, dict]:
    """Make the certificate print files of every parcel about to be shipped (outside the
    manifest transaction: LibreOffice takes seconds)."""
    from pipelines.fulfil.certificates import render_certificates

    with rt.engine.connect() as conn:
        dossier_ids = [p["dossier_id"] for p in pending_parcels(conn)]
    made = {}
    for dossier_id in dossier_ids:
        try:
            files = render_certificates(rt, dossier_id)
            made[dossier_id] = {"made": files.made, "failed": files.failed,
                                "print_files": [str(f) for f in files.print_files]}
        except Exception as exc:  # noqa: BLE001 - the parcel still ships; officers re-run it
            log.exception("certificates of dossier %s failed", dossier_id)
            made[dossier_id] = {"error": f"{type(exc).__name__}: {exc}"}
    return made


def _notice_attachments(rt, conn, dossier_id: int, number: str) -> list[str]:
    from pipelines.fulfil.certificates import existing_print_files

    files = [str(f) for f in existing_print_files(rt, number)]
    receipt = conn.execute(select(db.generated_files.c.pdf_path, db.generated_files.c.docx_path).where(
        db.generated_files.c.dossier_id == dossier_id, db.generated_files.c.kind == "tanda_terima")).first()
    if receipt is not None and (receipt.pdf_path or receipt.docx_path):
        files.append(receipt.pdf_path or receipt.docx_path)
    return [f for f in files if Path(f).exists()]


def _thread_refs(conn, dossier_id: int, thread_id: str) -> list[str]:
    sent = conn.execute(select(db.outbox.c.message_id).where(db.outbox.c.dossier_id == dossier_id)
                        .order_by(db.outbox.c.id)).scalars().all()
    return [r for r in [thread_id, *sent] if r]


def _queue_notice(rt, conn, row: dict, parcel: dict, manifest: dict) -> bool:
    from pipelines.send.outbox import enqueue
    from pipelines.write.email_text import render_email

    fs = settings_for(rt)
    lsp = row["_lsp"]
    office = rt.settings.office
    count = conn.execute(select(func.count()).select_from(certificates).where(
        certificates.c.dossier_id == parcel["dossier_id"], certificates.c.status == "berlaku")).scalar()
    context = {
        "office": office, "courier_name": fs.courier_name,
        "lsp": {"name": row["lsp_name"], "address": row["address"], "contact": row["contact"],
                "phone": row["phone"], "code": parcel["lsp_code"]},
        "dossier": {"number": parcel["dossier_number"]},
        "parcel": {"number": parcel["number"], "blanks": parcel["blanks"],
                   "receipt_number": parcel["receipt_number"]},
        "manifest": manifest, "serial_ranges": row["_ranges"], "certificates_count": count,
        "letter": {"number": (parcel["facts"] or {}).get("letter_number") or "",
                   "date": (parcel["facts"] or {}).get("letter_date") or ""},
    }
    _subject, body = render_email(NOTICE_TEMPLATE, context, directory=rt.settings.templates_dir / "email")
    refs = _thread_refs(conn, parcel["dossier_id"], parcel["thread_message_id"])
    recipient = (parcel["sender"] or (lsp.emails[0] if lsp and lsp.emails else "")).lower()
    if not recipient:
        return False
    queued = enqueue(conn, key=f"pemberitahuan_pengiriman:{parcel['dossier_id']}", to=[recipient],
                     subject=reply_subject(parcel["dossier_number"], parcel["dossier_subject"],
                                            "Pemberitahuan Pengiriman Blanko Sertifikat"), body=body,
                     sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=parcel["dossier_id"],
                     in_reply_to=parcel["thread_message_id"] or "", references=refs,
                     attachments=_notice_attachments(rt, conn, parcel["dossier_id"], parcel["dossier_number"]),
                     automatic=True)
    return queued is not None


def build_manifest(rt, *, actor: str = "sistem", pickup_date: date | None = None) -> ManifestResult | None:
    """One manifest of every packed parcel not yet in one; None when there is none."""
    from pipelines.fulfil.blanks import lock_inventory

    fs = settings_for(rt)
    pickup = pickup_date or local_date(db.now())
    with rt.engine.begin() as conn:
        lock_inventory(conn)
        items = pending_parcels(conn)
        if not items:
            return None
        year = pickup.year
        number = f"MNF-{year}-{db.next_number(conn, f'MNF-{year}'):06d}"
        now = db.now()
        manifest_id = conn.execute(insert(courier_manifests).values(
            number=number, pickup_date=pickup, created_at=now, created_by=actor,
            parcel_count=len(items))).inserted_primary_key[0]
        conn.execute(insert(manifest_parcels), [{"manifest_id": manifest_id, "parcel_id": p["id"],
                                                 "position": i} for i, p in enumerate(items, start=1)])
        rows = _rows(rt, conn, items)
        folder = manifest_folder(rt, number)
        title = f"MANIFES PENGIRIMAN BLANKO SERTIFIKAT {number}"
        subtitle = (f"Kurir: {fs.courier_name}; tanggal pengambilan: {format_date_id(pickup)}, "
                    f"pukul {fs.pickup_time} WIB; {len(rows)} paket, "
                    f"{sum(r['blanks'] for r in rows)} lembar blanko")
        xlsx = write_xlsx(rows, folder / f"{number}.xlsx", title, subtitle)
        pdf = write_pdf(rows, folder / f"{number}.pdf", title, subtitle, rt.settings.office,
                        fs.courier_name)
        csv_path = write_csv(rows, folder / f"{number}.csv")
        conn.execute(update(courier_manifests).where(courier_manifests.c.id == manifest_id)
                     .values(xlsx_path=str(xlsx), pdf_path=str(pdf), csv_path=str(csv_path)))
        manifest_ctx = {"number": number, "pickup_date": pickup}
        notices = 0
        for row, parcel in zip(rows, items):
            done = conn.execute(update(parcels).where(parcels.c.id == parcel["id"], parcels.c.status == PACKED)
                                .values(status=SHIPPED, shipped_at=now)).rowcount
            if done != 1:
                raise RuntimeError(f"parcel {parcel['number']} changed while building {number}")
            conn.execute(update(db.dossiers).where(db.dossiers.c.id == parcel["dossier_id"])
                         .values(status=SHIPPED, updated_at=now))
            notices += _queue_notice(rt, conn, row, parcel, manifest_ctx)
            db.record_event(conn, "paket_dikirim", actor=actor, dossier_id=parcel["dossier_id"],
                            before=parcel["dossier_status"], after=SHIPPED, paket=parcel["number"],
                            manifes=number)
        db.record_event(conn, "manifes_kurir_dibuat", actor=actor, manifes=number, paket=len(items),
                        xlsx=str(xlsx), pdf=str(pdf), csv=str(csv_path))
    return ManifestResult(number, pickup, [{k: v for k, v in r.items() if not k.startswith("_")} for r in rows],
                          xlsx, pdf, csv_path, notices)
