"""Receipts that do not come back: ONE reminder to the LSP, then a flag for officers.

Run daily (flow `receipt_reminders`). Counting is in working days (rt.calendar) from the
shipping date; the reminder's outbox idempotency key and the parcel's `reminded_at` /
`flagged_at` make a repeated run a no-op.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import insert, select, update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.fulfil.models import parcels
from pipelines.fulfil.packing import SHIPPED
from pipelines.fulfil.settings import settings_for

REMINDER_TEMPLATE = "pengingat_tanda_terima"


@dataclass
class ReminderRun:
    reminded: list[str] = field(default_factory=list)
    flagged: list[str] = field(default_factory=list)


def _shipped(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        select(parcels, db.dossiers.c.number.label("dossier_number"), db.dossiers.c.sender,
               db.dossiers.c.thread_message_id, db.dossiers.c.status.label("dossier_status"),
               db.dossiers.c.subject.label("dossier_subject"))
        .select_from(parcels.join(db.dossiers, db.dossiers.c.id == parcels.c.dossier_id))
        .where(parcels.c.status == SHIPPED).order_by(parcels.c.shipped_at)).mappings()]


def send_reminder(rt, conn, parcel: dict, days: int) -> bool:
    from pipelines.fulfil.manifest import _thread_refs
    from pipelines.threads import reply_subject
    from pipelines.fulfil.settings import settings_for
    from pipelines.send.outbox import enqueue
    from pipelines.write.email_text import render_email

    lsp = rt.registry.by_code(parcel["lsp_code"]) if parcel["lsp_code"] else None
    context = {
        "office": rt.settings.office, "days": days, "courier_name": settings_for(rt).courier_name,
        "lsp": {"name": lsp.name if lsp else parcel["sender"]},
        "dossier": {"number": parcel["dossier_number"]},
        "parcel": {"number": parcel["number"], "blanks": parcel["blanks"],
                   "receipt_number": parcel["receipt_number"],
                   "shipped_at": local_date(db.aware(parcel["shipped_at"]))},
    }
    _subject, body = render_email(REMINDER_TEMPLATE, context, directory=rt.settings.templates_dir / "email")
    recipient = (parcel["sender"] or (lsp.emails[0] if lsp and lsp.emails else "")).lower()
    if not recipient:
        return False
    return enqueue(conn, key=f"pengingat_tanda_terima:{parcel['dossier_id']}", to=[recipient],
                   subject=reply_subject(parcel["dossier_number"], parcel["dossier_subject"],
                                          "Pengingat Tanda Terima Blanko Sertifikat"), body=body,
                   sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=parcel["dossier_id"],
                   in_reply_to=parcel["thread_message_id"] or "",
                   references=_thread_refs(conn, parcel["dossier_id"], parcel["thread_message_id"]),
                   automatic=True) is not None


def remind_and_flag(rt, today: date | None = None) -> ReminderRun:
    """Reminders due today, and flags for parcels whose reminder went unanswered."""
    fs = settings_for(rt)
    today = today or local_date(db.now())
    run = ReminderRun()
    with rt.engine.connect() as conn:
        candidates = _shipped(conn)
    for parcel in candidates:
        shipped = local_date(db.aware(parcel["shipped_at"]))
        days = rt.calendar.working_days_between(shipped, today)
        with rt.engine.begin() as conn:
            current = conn.execute(select(parcels).where(parcels.c.id == parcel["id"])).mappings().one()
            if current["status"] != SHIPPED:
                continue          # the receipt came back meanwhile
            if current["reminded_at"] is None:
                if days < fs.receipt_reminder_working_days:
                    continue
                send_reminder(rt, conn, parcel, days)
                conn.execute(update(parcels).where(parcels.c.id == parcel["id"],
                                                   parcels.c.reminded_at.is_(None))
                             .values(reminded_at=db.now()))
                db.record_event(conn, "pengingat_tanda_terima", dossier_id=parcel["dossier_id"],
                                paket=parcel["number"], hari_kerja=days)
                run.reminded.append(parcel["dossier_number"])
                continue
            if current["flagged_at"] is not None:
                continue
            since = rt.calendar.working_days_between(local_date(db.aware(current["reminded_at"])), today)
            if since < fs.receipt_escalation_working_days:
                continue
            now = db.now()
            conn.execute(update(parcels).where(parcels.c.id == parcel["id"], parcels.c.flagged_at.is_(None))
                         .values(flagged_at=now))
            conn.execute(insert(db.findings).values(
                dossier_id=parcel["dossier_id"], code="TANDA_TERIMA_BELUM_KEMBALI", severity="warning",
                message=(f"Tanda terima paket {parcel['number']} belum kembali {days} hari kerja setelah "
                         f"dikirim, {since} hari kerja setelah pengingat. Mohon hubungi LSP."),
                location=parcel["receipt_number"], created_at=now))
            db.record_event(conn, "tanda_terima_terlambat", dossier_id=parcel["dossier_id"],
                            paket=parcel["number"], hari_kerja=days, sejak_pengingat=since,
                            catatan="Tanda terima belum kembali setelah pengingat; perlu tindak lanjut petugas.")
            run.flagged.append(parcel["dossier_number"])
    return run
