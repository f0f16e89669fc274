"""The countersigned receipt (tanda terima) coming back from the LSP closes the request.

A mail is matched to its parcel by the receipt's QR code (dossier number + verification
token; read with zbar from an image, or from PDF pages rendered with pdfium), else by the
dossier number in the subject when the sender is the LSP's. The scan is stored under
outputs/<number>/tanda_terima_kembali/, and the parcel "diterima", the dossier "selesai"
and the mail "done" are committed in one transaction.

Entry points:
- `handle_signed_receipt_mail(rt, mail_row, content)`: MAIL_HANDLERS["signed_receipt"],
  for a mail outside any dossier thread that the inbox rule calls a signed receipt;
- `handle_thread_reply(rt, mail_id, dossier, content)`: a reply in the dossier's thread
  while it is packed/shipped; returns None when the mail is not a receipt.
"""
from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select, update

from pipelines import db
from pipelines.fulfil.models import parcels
from pipelines.fulfil.packing import (DOSSIER_DONE, PACKED, PREPARED, RECEIPT_QR_PREFIX, RECEIVED,
                                      SHIPPED)

log = logging.getLogger(__name__)

DOSSIER_NUMBER = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{6})\b")
QR_PAYLOAD = re.compile(re.escape(RECEIPT_QR_PREFIX) + r"([A-Z]{2,6}-\d{4}-\d{6})/([A-Za-z0-9_-]{16,64})")
RECEIPT_WORDS = re.compile(r"tanda[\s_-]*terima|\btt\b|countersign|ditandatangani", re.I)
SCAN_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/tiff", "image/gif", "image/bmp",
              "image/webp"}
SCAN_EXT = {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp", ".webp"}
MAX_PDF_PAGES = 5


@dataclass(frozen=True)
class QrHit:
    number: str
    token: str
    filename: str


# ---------------------------------------------------------------- reading the scan

def _is_scan(attachment) -> bool:
    kind = (attachment.media_type or attachment.declared_type or "").lower()
    return kind in SCAN_TYPES or Path(attachment.filename).suffix.lower() in SCAN_EXT


def _images(attachment):
    """PIL images of an attachment: the picture itself, or the first PDF pages."""
    from PIL import Image

    data = attachment.data
    if data[:5] == b"%PDF-" or Path(attachment.filename).suffix.lower() == ".pdf":
        import pypdfium2 as pdfium
        try:
            pdf = pdfium.PdfDocument(data)
        except Exception:  # noqa: BLE001 - a damaged PDF is simply unreadable
            return
        try:
            for index in range(min(len(pdf), MAX_PDF_PAGES)):
                page = pdf[index]
                for scale in (2.0, 4.0):
                    yield page.render(scale=scale, grayscale=True).to_pil()
        finally:
            pdf.close()
        return
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:  # noqa: BLE001
        return
    yield image
    gray = image.convert("L")
    yield gray
    if max(gray.size) < 1200:
        yield gray.resize((gray.width * 2, gray.height * 2))


def decode_qr(attachment) -> list[str]:
    """Texts of the QR codes found in an image or PDF attachment."""
    try:
        from pyzbar.pyzbar import ZBarSymbol, decode
    except ImportError:  # zbar missing: match by subject only
        log.warning("pyzbar/libzbar not available: receipts are matched by subject only")
        return []
    found: list[str] = []
    for image in _images(attachment):
        for symbol in decode(image, symbols=[ZBarSymbol.QRCODE]):
            text = symbol.data.decode("utf-8", "replace")
            if text not in found:
                found.append(text)
        if any(QR_PAYLOAD.search(t) for t in found):
            break
    return found


def find_qr(content) -> QrHit | None:
    for attachment in content.attachments:
        if not _is_scan(attachment):
            continue
        for text in decode_qr(attachment):
            match = QR_PAYLOAD.search(text)
            if match:
                return QrHit(match.group(1), match.group(2), attachment.filename)
    return None


# ---------------------------------------------------------------- matching

@dataclass
class Match:
    parcel: dict
    dossier: dict
    how: str                 # "qr" | "subjek" | "utas"
    qr: QrHit | None = None


def _parcel_of(conn, dossier_id: int):
    return conn.execute(select(parcels).where(parcels.c.dossier_id == dossier_id)).mappings().first()


def _sender_is_lsp(rt, dossier: dict, sender: str) -> bool:
    sender = (sender or "").strip().lower()
    if sender and sender == (dossier.get("sender") or "").lower():
        return True
    lsp = rt.registry.by_code(dossier["lsp_code"]) if dossier.get("lsp_code") else None
    return bool(lsp and sender in lsp.emails)


def match_receipt(rt, content, thread_dossier: dict | None = None) -> Match | None:
    """The parcel a receipt mail is for: QR first (token must match), else the thread, else the
    dossier number in the subject from the LSP's own address."""
    hit = find_qr(content)
    with rt.engine.connect() as conn:
        if hit is not None:
            dossier = db.dossier_by_number(conn, hit.number)
            parcel = _parcel_of(conn, dossier["id"]) if dossier else None
            if parcel is not None and parcel["receipt_token"] == hit.token:
                return Match(dict(parcel), dict(dossier), "qr", hit)
            log.warning("receipt QR for %s has an unknown token", hit.number)
        if thread_dossier is not None:
            parcel = _parcel_of(conn, thread_dossier["id"])
            if parcel is not None:
                return Match(dict(parcel), dict(thread_dossier), "utas", hit)
        for number in DOSSIER_NUMBER.findall(content.subject or ""):
            dossier = db.dossier_by_number(conn, number)
            if dossier is None or not _sender_is_lsp(rt, dossier, content.from_addr):
                continue
            parcel = _parcel_of(conn, dossier["id"])
            if parcel is not None:
                return Match(dict(parcel), dict(dossier), "subjek", hit)
    return None


def looks_like_receipt(content) -> bool:
    text = " ".join([content.subject or "", (content.text or "")[:2000],
                     *(a.filename for a in content.attachments)])
    return bool(RECEIPT_WORDS.search(text)) and any(_is_scan(a) for a in content.attachments)


# ---------------------------------------------------------------- recording

def _store_scans(rt, mail_id: int, number: str, content) -> list[tuple[int, Path, object]]:
    folder = rt.settings.outputs_dir / number / "tanda_terima_kembali"
    folder.mkdir(parents=True, exist_ok=True)
    stored = []
    from pipelines.write.docx import atomic_write_bytes
    for position, attachment in enumerate(content.attachments):
        if not _is_scan(attachment):
            continue
        path = folder / f"{mail_id:06d}-{position:02d}-{attachment.filename}"
        if not path.exists():
            atomic_write_bytes(path, attachment.data)
        stored.append((position, path, attachment))
    return stored


def _finish_mail(conn, mail_id: int, classification: str, dossier_id: int | None) -> None:
    conn.execute(update(db.mails).where(db.mails.c.id == mail_id).values(
        state="done", classification=classification, dossier_id=dossier_id,
        processed_at=db.now(), error=""))


def record_receipt(rt, mail_id: int, match: Match, content) -> str:
    """Store the scan; close the dossier if the parcel was shipped. One transaction."""
    dossier, parcel = match.dossier, match.parcel
    stored = _store_scans(rt, mail_id, dossier["number"], content)
    with rt.engine.begin() as conn:
        for position, path, attachment in stored:
            exists = conn.execute(select(db.documents.c.id).where(
                db.documents.c.mail_id == mail_id, db.documents.c.position == position)).scalar()
            if not exists:
                conn.execute(insert(db.documents).values(
                    dossier_id=dossier["id"], mail_id=mail_id, position=position,
                    filename=attachment.filename, path=str(path),
                    media_type=attachment.media_type or attachment.declared_type or "",
                    sha256=hashlib.sha256(attachment.data).hexdigest(), size=len(attachment.data),
                    doc_type="signed_receipt", evidence=[f"tanda terima dicocokkan lewat {match.how}"],
                    facts={}, needs_manual_review=0))
        current = conn.execute(select(parcels).where(parcels.c.id == parcel["id"])).mappings().one()
        status = conn.execute(select(db.dossiers.c.status).where(db.dossiers.c.id == dossier["id"])).scalar()
        scan = str(stored[0][1]) if stored else ""
        if current["status"] == RECEIVED:
            _finish_mail(conn, mail_id, "signed_receipt", dossier["id"])
            db.record_event(conn, "tanda_terima_diterima_ulang", dossier_id=dossier["id"], mail_id=mail_id,
                            pindaian=scan)
            return "tanda terima ulang"
        if current["status"] in (PREPARED, PACKED):
            # Not shipped according to our records: keep it, let an officer look.
            _finish_mail(conn, mail_id, "signed_receipt", dossier["id"])
            conn.execute(insert(db.findings).values(
                dossier_id=dossier["id"], code="TANDA_TERIMA_SEBELUM_DIKIRIM", severity="warning",
                message=(f"Tanda terima yang ditandatangani LSP diterima, padahal paket {current['number']} "
                         "belum tercatat dikirim dalam manifes kurir. Mohon diperiksa."),
                location=scan, created_at=db.now()))
            db.record_event(conn, "tanda_terima_sebelum_dikirim", dossier_id=dossier["id"], mail_id=mail_id,
                            pindaian=scan)
            return "tanda terima (paket belum dikirim)"
        if not stored:
            return None  # a shipped parcel, but no scan attached: not a receipt
        now = db.now()
        conn.execute(update(parcels).where(parcels.c.id == parcel["id"], parcels.c.status == SHIPPED)
                     .values(status=RECEIVED, received_at=now, receipt_mail_id=mail_id,
                             receipt_scan_path=scan))
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(status=DOSSIER_DONE, updated_at=now))
        _finish_mail(conn, mail_id, "signed_receipt", dossier["id"])
        db.record_event(conn, "tanda_terima_kembali", dossier_id=dossier["id"], mail_id=mail_id,
                        before=status, after=DOSSIER_DONE, dicocokkan=match.how, pindaian=scan,
                        paket=current["number"])
    return DOSSIER_DONE


# ---------------------------------------------------------------- handlers

def handle_signed_receipt_mail(rt, mail_row, content) -> str:
    """MAIL_HANDLERS["signed_receipt"]: a receipt mail outside any dossier thread."""
    match = match_receipt(rt, content)
    if match is not None:
        outcome = record_receipt(rt, mail_row["id"], match, content)
        if outcome:
            return outcome
    with rt.engine.begin() as conn:
        _finish_mail(conn, mail_row["id"], "signed_receipt_unmatched", None)
        db.record_event(conn, "tanda_terima_tidak_cocok", mail_id=mail_row["id"],
                        pengirim=content.from_addr, subjek=content.subject,
                        lampiran=[a.filename for a in content.attachments],
                        catatan="Tanda terima tidak dapat dicocokkan dengan berkas (kode QR atau nomor "
                                "berkas pada subjek); petugas memeriksa.")
    return "tanda terima tidak cocok"


def handle_thread_reply(rt, mail_id: int, dossier: dict, content) -> str | None:
    """FOLLOWUP_HANDLERS: a reply in the thread of a packed/shipped dossier. Returns None
    when the mail carries no receipt (process.py keeps it as a follow-up mail)."""
    with rt.engine.connect() as conn:
        parcel = _parcel_of(conn, dossier["id"])
    if parcel is None or not any(_is_scan(a) for a in content.attachments):
        return None
    hit = find_qr(content)
    if hit is None and not looks_like_receipt(content):
        return None
    match = match_receipt(rt, content, thread_dossier=dossier)
    if match is None:
        return None
    if match.dossier["id"] != dossier["id"]:
        log.info("mail %s in the thread of %s carries the receipt of %s", mail_id, dossier["number"],
                 match.dossier["number"])
    return record_receipt(rt, mail_id, match, content)
