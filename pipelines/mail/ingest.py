"""Record new mail exactly once, before anything else happens to it.

For each new UID: the raw bytes are written to disk (content-addressed, so a rewrite is
harmless), then a row is inserted whose unique key (mailbox, UIDVALIDITY, UID) is the claim.
A poller that loses the insert race skips the mail. Work on a recorded mail is claimed by a
worker token; a claim whose worker died is taken over.
"""
from __future__ import annotations

import hashlib
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from pipelines import db
from pipelines.mail.headers import header_block
from pipelines.mail.sources import MailSource, MoveIntent

CLAIM_LEASE = timedelta(minutes=30)
HOST = socket.gethostname()


@dataclass(frozen=True)
class Worker:
    """Who holds a claim: host, process and run. A claim from a dead process, or from an
    earlier run in this same process, is stale and may be taken over."""
    token: str

    @classmethod
    def new(cls) -> "Worker":
        return cls(f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}")


def claim_is_stale(claimed_by: str, claimed_at, me: Worker) -> bool:
    if not claimed_by:
        return True
    if claimed_by == me.token:
        return False
    host, pid, _run = (claimed_by.split(":") + ["", "", ""])[:3]
    if host == HOST:
        if pid == str(os.getpid()):
            return True  # an earlier run in this process that did not finish
        try:
            os.kill(int(pid), 0)
        except (ProcessLookupError, ValueError):
            return True
        except PermissionError:
            return False
        return False
    return claimed_at is None or db.now() - db.aware(claimed_at) > CLAIM_LEASE


def _header_facts(raw: bytes) -> tuple[str, str, str, object]:
    try:
        headers = BytesHeaderParser(policy=default_policy).parsebytes(header_block(raw))
        message_id = str(headers.get("Message-ID", "") or "").strip()
        from_addr = str(headers.get("From", "") or "")[:320]
        subject = str(headers.get("Subject", "") or "")[:2000]
        try:
            date = parsedate_to_datetime(str(headers.get("Date", "")))
        except (TypeError, ValueError, IndexError):
            date = None
        return message_id[:998], from_addr, subject, date
    except Exception:  # a header we cannot parse must not stop recording the mail
        return "", "", "", None


def store_raw(raw: bytes, outputs_dir: Path) -> tuple[str, Path]:
    fingerprint = hashlib.sha256(raw).hexdigest()
    path = outputs_dir / "mail" / fingerprint[:2] / f"{fingerprint}.eml"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(raw)
        os.replace(tmp, path)
    return fingerprint, path


def last_recorded_uid(conn, mailbox: str, uidvalidity: int) -> int:
    value = conn.execute(select(func.max(func.cast(db.mails.c.uid, db.BigInteger)))
                         .where(db.mails.c.mailbox == mailbox,
                                db.mails.c.uidvalidity == uidvalidity)).scalar()
    return int(value or 0)


def recorded_uids(conn, mailbox: str, uidvalidity: int, uids: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(uids), 500):
        chunk = uids[start:start + 500]
        found.update(conn.execute(select(db.mails.c.uid).where(
            db.mails.c.mailbox == mailbox, db.mails.c.uidvalidity == uidvalidity,
            db.mails.c.uid.in_(chunk))).scalars())
    return found


_INSERT_MAIL = insert(db.mails)   # built once: every mail runs it (see db.built_for)


def ingest_new_mail(engine, source: MailSource, outputs_dir: Path, numeric_uids: bool) -> list[int]:
    """Record every mail in `source` not recorded yet; return the new mail ids."""
    uidvalidity = source.uidvalidity()
    with engine.connect() as conn:
        last = last_recorded_uid(conn, source.name, uidvalidity) if numeric_uids else 0
    candidates = source.uids_after(last)
    with engine.connect() as conn:
        known = recorded_uids(conn, source.name, uidvalidity, candidates)
    new_uids = [u for u in candidates if u not in known]
    recorded = []
    for uid, raw in source.fetch(new_uids):
        fingerprint, path = store_raw(raw, outputs_dir)
        message_id, from_addr, subject, sent_at = _header_facts(raw)
        try:
            with engine.begin() as conn:
                mail_id = conn.execute(_INSERT_MAIL, dict(
                    mailbox=source.name, uidvalidity=uidvalidity, uid=uid,
                    message_id=message_id or f"<{fingerprint}@sertiflow.invalid>",
                    fingerprint=fingerprint, raw_path=str(path), from_addr=from_addr,
                    subject=subject, received_at=sent_at or db.now(), state="received",
                    attempts=0)).inserted_primary_key[0]
                db.record_event(conn, "surel_diterima", mail_id=mail_id, mailbox=source.name,
                                uid=uid, subject=subject)
            recorded.append(mail_id)
        except IntegrityError:
            continue  # another poller recorded it first
    return recorded


def claim_mail(engine, mail_id: int, me: Worker) -> bool:
    """Take the right to work on a recorded mail; False if a live worker holds it or it is done."""
    with engine.begin() as conn:
        if _take(conn, mail_id, me, held_by=""):   # the usual mail, received and unclaimed: one UPDATE
            return True
        row = conn.execute(select(db.mails.c.state, db.mails.c.claimed_by, db.mails.c.claimed_at)
                           .where(db.mails.c.id == mail_id)).first()
        if row is None or row.state != "received":
            return False
        if row.claimed_by and not claim_is_stale(row.claimed_by, row.claimed_at, me):
            return row.claimed_by == me.token
        return _take(conn, mail_id, me, held_by=row.claimed_by)


_TAKE = update(db.mails).where(   # built once: every mail runs it (see db.built_for)
    db.mails.c.id == bindparam("mail_id_"), db.mails.c.state == "received",
    or_(db.mails.c.claimed_by == bindparam("held_by"), db.mails.c.claimed_by.is_(None))
).values(attempts=db.mails.c.attempts + 1)


def _take(conn, mail_id: int, me: Worker, held_by: str) -> bool:
    """Claim a received mail still held by `held_by` ("" or NULL: nobody)."""
    return conn.execute(_TAKE, {"mail_id_": mail_id, "held_by": held_by, "claimed_by": me.token,
                                "claimed_at": db.now()}).rowcount == 1


def unfinished_mail(engine, mailbox: str | None = None) -> list[int]:
    """Recorded mail not yet done (new, or left by a crashed run), oldest first."""
    query = select(db.mails.c.id).where(db.mails.c.state == "received").order_by(db.mails.c.id)
    if mailbox:
        query = query.where(db.mails.c.mailbox == mailbox)
    with engine.connect() as conn:
        return list(conn.execute(query).scalars())


# mails.moved: 0 = still to move, 2 = a poller recorded its intent to move it (claimed_by /
# claimed_at say who and when), 1 = it is in the processed folder (or flagged).
TO_MOVE, MOVING, MOVED = 0, 2, 1


def take_moves(engine, mailbox: str, uidvalidity: int, me: Worker) -> tuple[list[MoveIntent], list[MoveIntent]]:
    """Record the intent to move every processed mail still in the mailbox; returns
    (intents left by a dead or earlier run, to check before finishing; new intents).

    Recording the intent first makes the move resumable: a run killed between the IMAP
    commands and the final commit leaves `MOVING` rows that the next run checks against
    the mailbox (by Message-ID in the processed folder) before moving anything again.
    Of several pollers only one holds each mail's intent."""
    columns = (db.mails.c.uid, db.mails.c.message_id, db.mails.c.fingerprint)
    where = (db.mails.c.mailbox == mailbox, db.mails.c.uidvalidity == uidvalidity)
    with engine.begin() as conn:
        left = conn.execute(select(*columns, db.mails.c.id, db.mails.c.claimed_by, db.mails.c.claimed_at)
                            .where(*where, db.mails.c.moved == MOVING)).all()
        resumed = []
        for row in left:
            if row.claimed_by != me.token and not claim_is_stale(row.claimed_by, row.claimed_at, me):
                continue  # a live poller is moving it right now
            taken = conn.execute(update(db.mails).where(
                db.mails.c.id == row.id, db.mails.c.moved == MOVING, db.mails.c.claimed_by == row.claimed_by)
                .values(claimed_by=me.token, claimed_at=db.now())).rowcount
            if taken:
                resumed.append(MoveIntent(row.uid, row.message_id, row.fingerprint))
        fresh = conn.execute(update(db.mails).where(
            *where, db.mails.c.state.in_(["done", "failed"]), db.mails.c.moved == TO_MOVE)
            .values(moved=MOVING, claimed_by=me.token, claimed_at=db.now())
            .returning(*columns)).all()
    by_uid = lambda intent: int(intent.uid) if intent.uid.isdigit() else intent.uid  # noqa: E731
    return (sorted(resumed, key=by_uid),
            sorted((MoveIntent(*row) for row in fresh), key=by_uid))


def finish_moves(engine, mailbox: str, uidvalidity: int, uids: list[str]) -> None:
    """The mailbox confirmed these mails are out of the folder (moved or flagged)."""
    with engine.begin() as conn:
        for start in range(0, len(uids), 500):
            conn.execute(update(db.mails).where(
                db.mails.c.mailbox == mailbox, db.mails.c.uidvalidity == uidvalidity,
                db.mails.c.moved == MOVING, db.mails.c.uid.in_(uids[start:start + 500]))
                .values(moved=MOVED))
