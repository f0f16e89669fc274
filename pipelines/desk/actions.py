"""What officers do at the desk. Each action changes state and appends its event in one
transaction; mail is only queued in the outbox in that same transaction: the desk's background
sender (or the next scheduled flow) sends it, never the request itself.

Every function raises `DeskError` with an Indonesian message the page shows as is.
"""
from __future__ import annotations

import logging
import re
from email.utils import parseaddr

from sqlalchemy import insert, select, update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.decide.decide import AWAITING_APPROVAL, AWAITING_COMPLETION, COMPLETION_HELD, HELD, NEW
from pipelines.desk import DeskError
from pipelines.desk.claims import hold
from pipelines.desk.queries import NOT_RELEVANT, UNCLASSIFIED
from pipelines.send.background import wake as wake_sender
from pipelines.send.outbox import enqueue, resend
from pipelines.threads import reply_subject

log = logging.getLogger(__name__)
RETURNED, CLOSED = "dikembalikan", "ditutup"
# Statuses from which an officer may ask the LSP to complete the dossier.
REQUESTABLE = {NEW, HELD, AWAITING_COMPLETION, COMPLETION_HELD, RETURNED}
MAX_TEXT = 20_000


def _dossier(conn, number: str) -> dict:
    row = db.dossier_by_number(conn, number)
    if row is None:
        raise DeskError(f"Berkas {number} tidak ditemukan.")
    return dict(row)


def _thread(conn, dossier: dict) -> tuple[str, list[str]]:
    """(In-Reply-To, References) for a reply in the LSP's thread: the latest mail it sent."""
    ids = [m for (m,) in conn.execute(select(db.mails.c.message_id).where(
        db.mails.c.dossier_id == dossier["id"]).order_by(db.mails.c.received_at, db.mails.c.id)) if m]
    refs = [r for r in dict.fromkeys([dossier["thread_message_id"], *ids]) if r]
    return (ids[-1] if ids else dossier["thread_message_id"] or ""), refs


def completion_subject(dossier: dict) -> str:
    return reply_subject(dossier["number"], dossier["subject"], "Permohonan blanko sertifikat")


def completion_body(dossier: dict, lsp, blocking: list[dict], office) -> str:
    """The officer's starting text: one numbered line per error nobody has overridden."""
    lines = [f"Yth. {lsp.name if lsp else 'Bapak/Ibu'},", "",
             f"Terima kasih atas permohonan Saudara (nomor berkas {dossier['number']}).",
             "Setelah kami periksa, dokumen yang dikirim belum lengkap atau perlu diperbaiki:", ""]
    if blocking:
        lines += [f"{i}. {f['message']}" for i, f in enumerate(blocking, 1)]
    else:
        lines.append("1. (tuliskan kekurangan dokumen di sini)")
    lines += ["", "Mohon kirimkan kelengkapan dengan membalas surel ini (tetap dalam utas yang sama),",
              "agar permohonan dapat kami proses lebih lanjut.", "", "Hormat kami,", office.name]
    return "\n".join(lines)


def send_completion_request(rt, number: str, actor: str, subject: str, body: str, nonce: str,
                            take_over: bool = False) -> dict:
    """Queue the officer's completion request (permintaan kelengkapan); the background sender sends it.

    `nonce` comes from the form: a double-click queues the mail once."""
    subject, body = (subject or "").strip(), (body or "").strip()
    if not subject or not body:
        raise DeskError("Subjek dan isi surel wajib diisi.")
    if len(body) > MAX_TEXT:
        raise DeskError("Isi surel terlalu panjang.")
    if not re.fullmatch(r"[A-Za-z0-9_-]{8,64}", nonce or ""):
        raise DeskError("Formulir tidak lengkap; muat ulang halaman lalu coba lagi.")
    with rt.engine.begin() as conn:
        dossier = _dossier(conn, number)
        if dossier["status"] not in REQUESTABLE:
            raise DeskError(f"Permintaan kelengkapan tidak dapat dikirim untuk berkas berstatus "
                            f"{dossier['status']}.")
        if not dossier["sender"]:
            raise DeskError("Berkas tidak memiliki alamat pengirim.")
        hold(conn, dossier, actor, take_over)
        in_reply_to, references = _thread(conn, dossier)
        outbox_id = enqueue(conn, key=f"desk:permintaan_kelengkapan:{dossier['id']}:{nonce}",
                            to=[dossier["sender"]], subject=subject, body=body,
                            sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=dossier["id"],
                            in_reply_to=in_reply_to, references=references, automatic=False)
        if outbox_id is None:
            return {"queued": False, "sent": 0}
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(status=AWAITING_COMPLETION, updated_at=db.now()))
        db.record_event(conn, "permintaan_kelengkapan_dikirim", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=AWAITING_COMPLETION, outbox_id=outbox_id,
                        kepada=[dossier["sender"]], subjek=subject)
    wake_sender()
    return {"queued": True}


def resend_mail(rt, outbox_id: int, actor: str) -> str:
    """Queue an uncertain or failed mail again (the officer checked it should go); returns
    the dossier number."""
    row = resend(rt.engine, outbox_id, actor)
    if not row:
        raise DeskError("Surel ini tidak dapat dikirim ulang (hanya surel gagal atau tidak pasti).")
    wake_sender()
    with rt.engine.connect() as conn:
        number = conn.execute(select(db.dossiers.c.number).where(db.dossiers.c.id == row["dossier_id"])).scalar()
    return number or ""


def override_finding(rt, number: str, finding_id: int, actor: str, reason: str, take_over: bool = False) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DeskError("Alasan wajib ditulis (minimal 5 karakter).")
    with rt.engine.begin() as conn:
        dossier = _dossier(conn, number)
        finding = conn.execute(select(db.findings).where(
            db.findings.c.id == finding_id, db.findings.c.dossier_id == dossier["id"])).mappings().first()
        if finding is None:
            raise DeskError("Temuan tidak ditemukan pada berkas ini.")
        if finding["overridden_by"]:
            raise DeskError("Temuan ini sudah dikesampingkan.")
        if finding["severity"] == "info":
            raise DeskError("Temuan informasi tidak perlu dikesampingkan.")
        hold(conn, dossier, actor, take_over)
        conn.execute(update(db.findings).where(db.findings.c.id == finding_id)
                     .values(overridden_by=actor, override_reason=reason[:MAX_TEXT]))
        db.record_event(conn, "temuan_dikesampingkan", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=dossier["status"], kode=finding["code"],
                        lokasi=finding["location"], alasan=reason[:MAX_TEXT])


def add_note(rt, number: str, actor: str, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise DeskError("Catatan kosong.")
    with rt.engine.begin() as conn:
        dossier = _dossier(conn, number)
        db.record_event(conn, "catatan", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=dossier["status"], catatan=text[:MAX_TEXT])


def close_dossier(rt, number: str, actor: str, reason: str, take_over: bool = False) -> None:
    """Close a held dossier (unknown sender, not a real request)."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DeskError("Alasan penutupan wajib ditulis (minimal 5 karakter).")
    with rt.engine.begin() as conn:
        dossier = _dossier(conn, number)
        if dossier["status"] not in (HELD, NEW, AWAITING_COMPLETION):
            raise DeskError("Hanya berkas yang ditahan, baru atau menunggu kelengkapan yang dapat ditutup.")
        hold(conn, dossier, actor, take_over)
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(status=CLOSED, updated_at=db.now()))
        db.record_event(conn, "berkas_ditutup", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=CLOSED, alasan=reason[:MAX_TEXT])


def resubmit(rt, number: str, actor: str, note: str, take_over: bool = False) -> None:
    """A dossier the official returned goes back to the official after the officer's fix."""
    note = (note or "").strip()
    if not note:
        raise DeskError("Tuliskan apa yang sudah diperbaiki.")
    with rt.engine.begin() as conn:
        dossier = _dossier(conn, number)
        if dossier["status"] != RETURNED:
            raise DeskError("Hanya berkas yang dikembalikan pejabat yang dapat diajukan kembali.")
        hold(conn, dossier, actor, take_over)
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(status=AWAITING_APPROVAL, updated_at=db.now()))
        db.record_event(conn, "berkas_diajukan_kembali", actor=actor, dossier_id=dossier["id"],
                        before=RETURNED, after=AWAITING_APPROVAL, catatan=note[:MAX_TEXT])


def link_lsp(rt, number: str, code: str, actor: str, take_over: bool = False) -> None:
    """A held dossier (sender not registered) belongs to this registered LSP: the officer says so,
    then the dossier is checked again (`recheck.recheck_dossier`)."""
    lsp = rt.registry.by_code(code)
    if lsp is None:
        raise DeskError("Pilih LSP yang terdaftar.")
    with rt.engine.begin() as conn:
        dossier = _dossier(conn, number)
        if dossier["status"] != HELD:
            raise DeskError("Hanya berkas yang ditahan yang dapat dihubungkan ke LSP.")
        hold(conn, dossier, actor, take_over)
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(lsp_code=lsp.code, updated_at=db.now()))
        db.record_event(conn, "berkas_dihubungkan_ke_lsp", actor=actor, dossier_id=dossier["id"],
                        before=HELD, after=HELD, lsp=f"{lsp.name} ({lsp.code})", pengirim=dossier["sender"])


# --------------------------------------------------------------------------- held mail

def _held_mail(conn, mail_id: int) -> dict:
    row = conn.execute(select(db.mails).where(db.mails.c.id == mail_id)).mappings().first()
    if row is None or row["classification"] != UNCLASSIFIED or row["dossier_id"] is not None:
        raise DeskError("Surel ini tidak (lagi) berada di antrean surel tertahan.")
    return dict(row)


def close_mail(rt, mail_id: int, actor: str, reason: str) -> None:
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DeskError("Alasan wajib ditulis (minimal 5 karakter).")
    with rt.engine.begin() as conn:
        _held_mail(conn, mail_id)
        conn.execute(update(db.mails).where(db.mails.c.id == mail_id).values(classification=NOT_RELEVANT))
        db.record_event(conn, "surel_ditutup_tidak_relevan", actor=actor, mail_id=mail_id, alasan=reason[:MAX_TEXT])


def mail_to_dossier(rt, mail_id: int, kind: str, actor: str) -> str:
    """Open a dossier of `kind` for an unclassified mail and run it through the pipeline.

    The mail is handed back to the pipeline (state "received" with its dossier set), the same
    way a crashed run resumes; `process_mail` then reads, checks, decides and writes."""
    service = rt.services.get(kind)
    if service is None:
        raise DeskError("Jenis berkas tidak dikenal.")
    with rt.engine.begin() as conn:
        mail = _held_mail(conn, mail_id)
        # The address inside the From header ("LSP X <admin@lsp.id>"), as the pipeline reads it.
        sender = parseaddr(mail["from_addr"] or "")[1].strip().lower()
        lsp = rt.registry.by_email(sender) if service.sender_registry == "lsp" else None
        now = db.now()
        year = local_date(now).year
        serial = db.next_number(conn, f"{service.number_prefix}-{year}")
        number = f"{service.number_prefix}-{year}-{serial:06d}"
        dossier_id = conn.execute(insert(db.dossiers).values(
            number=number, kind=service.kind, status=NEW, lsp_code=lsp.code if lsp else "",
            sender=sender, subject=mail["subject"] or "",
            thread_message_id=mail["message_id"] or "", received_at=mail["received_at"] or now, facts={},
            created_at=now, updated_at=now)).inserted_primary_key[0]
        conn.execute(update(db.mails).where(db.mails.c.id == mail_id).values(
            dossier_id=dossier_id, state="received", claimed_by="", attempts=0, error=""))
        db.record_event(conn, "berkas_dibuat", actor=actor, dossier_id=dossier_id, mail_id=mail_id, after=NEW,
                        nomor=number, jenis=service.kind, aturan="dipilih petugas")
    try:
        from pipelines.process import process_mail
    except ImportError:  # pipeline not fully installed: the next `sertiflow run` processes it
        log.warning("pipelines.process unavailable; mail %s waits for the next run", mail_id)
        return number
    process_mail(rt, mail_id)
    wake_sender()
    return number
