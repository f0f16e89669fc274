"""Transactional outbox.

`enqueue` runs inside the transaction that changes the dossier, so a mail is queued if and
only if the change is committed; its idempotency key makes a second queueing a no-op.
`drain` sends queued mail: claimed -> sending -> sent. A mail left in "sending" by a dead
worker, or whose connection broke after the whole message was on the wire, may or may not
have reached the server: it becomes "uncertain" for an officer instead of being sent again,
so nobody gets the same mail twice. A temporary refusal (4xx) makes it "deferred" and it is
tried again after growing delays over about three days, as mail servers do; a permanent
refusal (5xx) or the last retry failing makes it "failed". Officers see both "uncertain" and
"failed" mail on the desk and may send it again (`resend`).
"""
from __future__ import annotations

import logging
import re
from datetime import timedelta
from email.utils import make_msgid

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError

from pipelines import db
from pipelines.faults import crash_point
from pipelines.mail.ingest import Worker, claim_is_stale
from pipelines.send.transport import MailServerUnreachable, SendError

log = logging.getLogger(__name__)
# Wait after the n-th temporary failure before trying again: ~3.3 days in all.
RETRY_DELAYS = tuple(timedelta(minutes=m) for m in (5, 15, 30, 60, 120, 240, *[480] * 9))
RESENDABLE = ("uncertain", "failed")


def enqueue(conn, *, key: str, to: list[str], subject: str, body: str, sender_domain: str,
            dossier_id: int | None = None, in_reply_to: str = "", references: list[str] = (),
            attachments: list[str] = (), automatic: bool = True, sender: str = "") -> int | None:
    """Queue a mail in the caller's transaction; returns its id, or None if the key was used.
    `sender`: its From address when not the settings' sender."""
    existing = conn.execute(select(db.outbox.c.id).where(db.outbox.c.idempotency_key == key)).scalar()
    if existing:
        return None
    # Nested savepoint: a race on the key must not roll back the caller's transaction.
    try:
        with conn.begin_nested():
            outbox_id = conn.execute(insert(db.outbox).values(
                idempotency_key=key, dossier_id=dossier_id,
                message_id=make_msgid(domain=sender_domain), to_addrs=list(to), recipient=to[0].lower(),
                subject=_one_line(subject), body_text=body, in_reply_to=in_reply_to,
                references=" ".join(r for r in references if r), attachments=list(attachments),
                automatic=1 if automatic else 0, state="queued", attempts=0,
                created_at=db.now())).inserted_primary_key[0]
            if sender:
                conn.execute(insert(db.outbox_senders).values(outbox_id=outbox_id, address=sender))
            return outbox_id
    except IntegrityError:
        return None


def automatic_mail_count(conn, recipient: str, within: timedelta = timedelta(days=1)) -> int:
    return conn.execute(select(func.count()).select_from(db.outbox).where(
        db.outbox.c.recipient == recipient.lower(), db.outbox.c.automatic == 1,
        db.outbox.c.created_at >= db.now() - within)).scalar()


def _one_line(text: str) -> str:
    return re.sub(r"[\r\n\t]+", " ", text).strip()[:900]


def _claim(engine, row_id: int, me: Worker) -> dict | None:
    with engine.begin() as conn:
        row = conn.execute(select(db.outbox).where(db.outbox.c.id == row_id)).mappings().first()
        if row is None:
            return None
        if row["state"] == "claimed" and not claim_is_stale(row["claimed_by"], row["claimed_at"], me):
            return None
        if row["state"] not in {"queued", "deferred", "claimed"}:
            return None
        done = conn.execute(update(db.outbox).where(
            db.outbox.c.id == row_id, db.outbox.c.state == row["state"],
            db.outbox.c.claimed_by == row["claimed_by"])
            .values(state="claimed", claimed_by=me.token, claimed_at=db.now())).rowcount
        if done != 1:
            return None
        sender = conn.execute(select(db.outbox_senders.c.address).where(db.outbox_senders.c.outbox_id == row_id)).scalar()
        return {**row, "sender": sender or ""}


def _mark_stale_sending(engine, me: Worker) -> int:
    marked = 0
    with engine.begin() as conn:
        rows = conn.execute(select(db.outbox.c.id, db.outbox.c.dossier_id, db.outbox.c.claimed_by,
                                   db.outbox.c.claimed_at).where(db.outbox.c.state == "sending")).all()
        for row in rows:
            if claim_is_stale(row.claimed_by, row.claimed_at, me):
                conn.execute(update(db.outbox).where(db.outbox.c.id == row.id,
                                                     db.outbox.c.state == "sending")
                             .values(state="uncertain"))
                db.record_event(conn, "surel_status_tidak_pasti", dossier_id=row.dossier_id,
                                outbox_id=row.id,
                                catatan="Proses berhenti saat mengirim; periksa apakah surel sudah diterima.")
                marked += 1
    return marked


def due_mail(engine, limit: int | None = None) -> list[int]:
    """Queued mail, and deferred mail whose wait is over, oldest first."""
    now = db.now()
    with engine.connect() as conn:
        rows = conn.execute(select(db.outbox.c.id, db.outbox.c.state, db.outbox.c.attempts,
                                   db.outbox.c.claimed_at)
                            .where(db.outbox.c.state.in_(["queued", "claimed", "deferred"]))
                            .order_by(db.outbox.c.id)).all()
    due = [r.id for r in rows if r.state != "deferred" or
           db.aware(r.claimed_at) + RETRY_DELAYS[min(r.attempts, len(RETRY_DELAYS)) - 1] <= now]
    return due[:limit] if limit else due


def drain(engine, transport, me: Worker, limit: int | None = None) -> dict[str, int]:
    """Send due mail through `transport`; returns counts by outcome. `unreachable` is 1 when
    the mail server could not be reached (what is left waits in the queue)."""
    counts = {"sent": 0, "deferred": 0, "failed": 0, "uncertain": _mark_stale_sending(engine, me),
              "unreachable": 0}
    ids = due_mail(engine, limit)
    if not ids:
        return counts
    try:
        transport.__enter__()
    except MailServerUnreachable as exc:
        log.warning("mail server unreachable, %d mail wait in the queue: %s", len(ids), exc)
        counts["unreachable"] = 1
        return counts
    try:
        for row_id in ids:
            row = _claim(engine, row_id, me)
            if row is None:
                continue
            crash_point("before_smtp_send")
            # From here until "sent" is committed, a crash leaves it unknown whether the
            # server took the mail: such a row becomes "uncertain", never sent twice.
            with engine.begin() as conn:
                conn.execute(update(db.outbox).where(db.outbox.c.id == row_id)
                             .values(state="sending", attempts=db.outbox.c.attempts + 1))
            try:
                transport.send(row)
            except MailServerUnreachable as exc:  # nothing sent; the rest waits too
                _settle(engine, row, "queued", str(exc), attempts_used=False)
                log.warning("mail server went away: %s", exc)
                counts["unreachable"] = 1
                break
            except SendError as exc:
                outcome = _after_failure(engine, row, exc)
                counts[outcome] += 1
                if not transport.connected:  # the connection broke with that mail: a new one
                    try:
                        transport.__enter__()
                    except MailServerUnreachable as again:
                        log.warning("mail server unreachable: %s", again)
                        counts["unreachable"] = 1
                        break
                continue
            crash_point("after_smtp_send")
            with engine.begin() as conn:
                conn.execute(update(db.outbox).where(db.outbox.c.id == row_id)
                             .values(state="sent", sent_at=db.now(), last_error=_refused_note(row)))
                db.record_event(conn, "surel_terkirim", dossier_id=row["dossier_id"],
                                outbox_id=row_id, kepada=row["to_addrs"], subjek=row["subject"])
            counts["sent"] += 1
    finally:
        transport.__exit__(None, None, None)
    return counts


def _refused_note(row: dict) -> str:
    refused = row.get("refused")
    return f"ditolak untuk: {', '.join(refused)}" if refused else ""


def _settle(engine, row: dict, state: str, error: str, attempts_used: bool = True) -> None:
    values = {"state": state, "last_error": error[:2000]}
    if not attempts_used:
        values["attempts"] = db.outbox.c.attempts - 1
    with engine.begin() as conn:
        conn.execute(update(db.outbox).where(db.outbox.c.id == row["id"]).values(**values))


def _after_failure(engine, row: dict, exc: SendError) -> str:
    """Record a failed attempt; returns the outcome counted: deferred, failed or uncertain."""
    attempts = row["attempts"] + 1
    log.warning("sending outbox %s (attempt %d): %s: %s", row["id"], attempts, exc.kind, exc)
    if exc.kind == "temporary" and attempts <= len(RETRY_DELAYS):
        _settle(engine, row, "deferred", str(exc))
        return "deferred"
    state = "uncertain" if exc.kind == "uncertain" else "failed"
    with engine.begin() as conn:
        conn.execute(update(db.outbox).where(db.outbox.c.id == row["id"])
                     .values(state=state, last_error=str(exc)[:2000]))
        if state == "uncertain":
            db.record_event(conn, "surel_status_tidak_pasti", dossier_id=row["dossier_id"], outbox_id=row["id"],
                            catatan="Server surel tidak menjawab setelah surel terkirim utuh; periksa apakah "
                                    "surel sudah diterima sebelum mengirim ulang.", galat=str(exc)[:500])
        else:
            reason = ("Server surel menolak surel ini secara permanen." if exc.kind == "permanent" else
                      f"Server surel menolak sementara sebanyak {attempts} kali selama beberapa hari.")
            db.record_event(conn, "surel_gagal_dikirim", dossier_id=row["dossier_id"], outbox_id=row["id"],
                            catatan=reason + " Periksa alamat tujuan lalu kirim ulang dari meja petugas.",
                            galat=str(exc)[:500])
    return state


def resend(engine, outbox_id: int, actor: str) -> dict:
    """An officer sends an uncertain or failed mail again (same Message-ID, so a recipient
    who already had it sees one thread). Returns the row as it was."""
    with engine.begin() as conn:
        row = conn.execute(select(db.outbox).where(db.outbox.c.id == outbox_id)).mappings().first()
        if row is None or row["state"] not in RESENDABLE:
            return {}
        changed = conn.execute(update(db.outbox).where(db.outbox.c.id == outbox_id,
                                                       db.outbox.c.state == row["state"])
                               .values(state="queued", attempts=0, claimed_by="", claimed_at=None)).rowcount
        if not changed:
            return {}
        db.record_event(conn, "surel_dikirim_ulang", actor=actor, dossier_id=row["dossier_id"],
                        outbox_id=outbox_id, sebelumnya=row["state"], kepada=row["to_addrs"],
                        subjek=row["subject"])
        return dict(row)
