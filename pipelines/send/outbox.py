"""Transactional outbox.

`enqueue` runs inside the transaction that changes the dossier, so a mail is queued if and
only if the change is committed; its idempotency key makes a second queueing a no-op.
`drain` sends queued mail: claimed -> sending -> sent. A mail left in "sending" by a dead
worker may or may not have reached the server; it is marked "uncertain" for an officer
instead of being sent again, so nobody gets the same mail twice.
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

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def enqueue(conn, *, key: str, to: list[str], subject: str, body: str, sender_domain: str,
            dossier_id: int | None = None, in_reply_to: str = "", references: list[str] = (),
            attachments: list[str] = (), automatic: bool = True) -> int | None:
    """Queue a mail in the caller's transaction; returns its id, or None if the key was used."""
    existing = conn.execute(select(db.outbox.c.id).where(db.outbox.c.idempotency_key == key)).scalar()
    if existing:
        return None
    # Nested savepoint: a race on the key must not roll back the caller's transaction.
    try:
        with conn.begin_nested():
            return conn.execute(insert(db.outbox).values(
                idempotency_key=key, dossier_id=dossier_id,
                message_id=make_msgid(domain=sender_domain), to_addrs=list(to), recipient=to[0].lower(),
                subject=_one_line(subject), body_text=body, in_reply_to=in_reply_to,
                references=" ".join(r for r in references if r), attachments=list(attachments),
                automatic=1 if automatic else 0, state="queued", attempts=0,
                created_at=db.now())).inserted_primary_key[0]
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
        if row["state"] not in {"queued", "failed", "claimed"}:
            return None
        done = conn.execute(update(db.outbox).where(
            db.outbox.c.id == row_id, db.outbox.c.state == row["state"],
            db.outbox.c.claimed_by == row["claimed_by"])
            .values(state="claimed", claimed_by=me.token, claimed_at=db.now())).rowcount
        return dict(row) if done == 1 else None


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


def drain(engine, transport, me: Worker, limit: int | None = None) -> dict[str, int]:
    """Send queued mail through `transport`; returns counts by outcome."""
    counts = {"sent": 0, "failed": 0, "uncertain": _mark_stale_sending(engine, me)}
    with engine.connect() as conn:
        query = (select(db.outbox.c.id).where(db.outbox.c.state.in_(["queued", "failed", "claimed"]),
                                              db.outbox.c.attempts < MAX_ATTEMPTS)
                 .order_by(db.outbox.c.id))
        ids = list(conn.execute(query.limit(limit) if limit else query).scalars())
    if not ids:
        return counts
    with transport:
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
            except Exception as exc:  # the server refused or went away: retry on a later run
                log.warning("sending outbox %s failed: %s", row_id, exc)
                with engine.begin() as conn:
                    conn.execute(update(db.outbox).where(db.outbox.c.id == row_id)
                                 .values(state="failed", last_error=str(exc)[:2000]))
                counts["failed"] += 1
                continue
            crash_point("after_smtp_send")
            with engine.begin() as conn:
                conn.execute(update(db.outbox).where(db.outbox.c.id == row_id)
                             .values(state="sent", sent_at=db.now(), last_error=""))
                db.record_event(conn, "surel_terkirim", dossier_id=row["dossier_id"],
                                outbox_id=row_id, kepada=row["to_addrs"], subjek=row["subject"])
            counts["sent"] += 1
    return counts
