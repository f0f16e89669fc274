"""Record new mail exactly once, before anything else happens to it.

For each new UID: the raw bytes are written to disk (content-addressed, so a rewrite is
harmless), then a row is inserted whose unique key (mailbox, UIDVALIDITY, UID) is the claim.
A poller that loses the insert race skips the mail. Work on a recorded mail is claimed by a
worker token; a claim whose worker died is taken over.
"""
from __future__ import annotations

import hashlib
import os
import re
import socket
import uuid
from dataclasses import dataclass
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32, default as default_policy
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from pathlib import Path

from sqlalchemy import bindparam, exists, func, or_, select, update

from pipelines import db
from pipelines.mail.headers import header_block
from pipelines.mail.sources import MailSource, MoveIntent
from pipelines.threads import references_in, remember_references

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
    """Message-ID, From, Subject and Date as the `default` email policy decodes them (RFC 2047
    words, addresses, folded lines), at a fraction of its cost: the headers are split with
    compat32 (no header objects), and each value goes through `default` only when it is not
    one of the plain shapes whose decoded form is the value itself (see `_decoded`)."""
    return _facts_of(_header_message(raw))


def _header_message(raw: bytes):
    """The mail's headers as a compat32 message, None when they cannot be split."""
    try:
        return BytesHeaderParser(policy=compat32).parsebytes(header_block(raw))
    except Exception:  # a header we cannot parse must not stop recording the mail
        return None


def _facts_of(message) -> tuple[str, str, str, object]:
    if message is None:
        return "", "", "", None
    try:
        headers = dict(reversed([(name.lower(), value) for name, value in message.raw_items()]))
        message_id = _decoded("Message-ID", headers.get("message-id")).strip()
        from_addr = _decoded("From", headers.get("from"))[:320]
        subject = _decoded("Subject", headers.get("subject"))[:2000]
        return message_id[:998], from_addr, subject, _sent_at(headers.get("date"))
    except Exception:  # a header we cannot parse must not stop recording the mail
        return "", "", "", None


_DOT_ATOM = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
_PLAIN = {   # shapes the `default` policy gives back unchanged (tests/spine/test_header_facts.py)
    "message-id": re.compile(rf"<{_DOT_ATOM}@{_DOT_ATOM}>"),
    "from": re.compile(rf"(?:[A-Za-z0-9]+(?: [A-Za-z0-9]+)* <{_DOT_ATOM}@{_DOT_ATOM}>|{_DOT_ATOM}@{_DOT_ATOM})"),
    "subject": re.compile(r"(?:(?!=\?)[\x20-\x7e])*"),   # printable ASCII, no encoded word
}
_LINE_BREAK = re.compile(r"\r|\n")   # unfolding, as the `default` policy does


def _decoded(name: str, value: str | None) -> str:
    """str(header) of the `default` policy for a raw header value (None: no such header)."""
    if value is None:
        return ""
    value = _LINE_BREAK.sub("", value)
    if _PLAIN[name.lower()].fullmatch(value):
        return value
    return _decoded_by_policy(name, value)


@lru_cache(maxsize=2048)   # a sender's From comes back mail after mail
def _decoded_by_policy(name: str, value: str) -> str:
    return str(default_policy.header_fetch_parse(name, value) or "")


def _sent_at(value: str | None):
    """What parsedate_to_datetime makes of the `default` policy's Date header: a date it can
    read comes back formatted by format_datetime, which is read again."""
    if value is None:
        value = ""
    else:
        value = _LINE_BREAK.sub("", value)
        try:
            sent = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            value = _decoded_by_policy("Date", value)   # an unreadable date: as the policy treats it
        else:
            value = format_datetime(sent)
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None


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


RECORD_CHUNK = 100   # fetched mails recorded per transaction


def ingest_new_mail(engine, source: MailSource, outputs_dir: Path, numeric_uids: bool,
                    on_new=lambda count: None) -> list[int]:
    """Record every mail in `source` not recorded yet; return the new mail ids. `on_new` hears how
    many there are before they are fetched."""
    uidvalidity = source.uidvalidity()
    with engine.connect() as conn:
        last = last_recorded_uid(conn, source.name, uidvalidity) if numeric_uids else 0
    candidates = source.uids_after(last)
    with engine.connect() as conn:
        known = recorded_uids(conn, source.name, uidvalidity, candidates)
    new_uids = [u for u in candidates if u not in known]
    if new_uids:
        on_new(len(new_uids))
    recorded, fetched = [], []
    try:
        for uid, raw in source.fetch(new_uids):
            fingerprint, path = store_raw(raw, outputs_dir)   # the file is there before its row
            message = _header_message(raw)
            message_id, from_addr, subject, sent_at = _facts_of(message)
            if message is not None:   # grouping the pass's mail then reads no file
                remember_references(str(path), references_in(message))
            fetched.append(dict(
                mailbox=source.name, uidvalidity=uidvalidity, uid=uid,
                message_id=message_id or f"<{fingerprint}@sertiflow.invalid>",
                fingerprint=fingerprint, raw_path=str(path), from_addr=from_addr,
                subject=subject, received_at=sent_at or db.now(), state="received", attempts=0))
            if len(fetched) >= RECORD_CHUNK:
                chunk, fetched = fetched, []
                recorded += _record(engine, chunk)
    finally:
        # Also when the mailbox fails half-way: what was fetched is recorded, not fetched again.
        if fetched:
            recorded += _record(engine, fetched)
    return recorded


def _record(engine, rows: list[dict]) -> list[int]:
    """Insert the rows of fetched mails and their events in one transaction; the ids of those
    this poller recorded, in fetch order. A mail another poller recorded first (the unique
    mailbox, UIDVALIDITY, UID) is skipped without failing the others."""
    with engine.begin() as conn:
        ids = dict((uid, mail_id) for mail_id, uid in conn.execute(db.built_for(conn, _insert_mails), rows))
        mine = [row for row in rows if row["uid"] in ids]
        if mine:
            db.record_events(conn, [dict(action="surel_diterima", mail_id=ids[row["uid"]], mailbox=row["mailbox"],
                                         uid=row["uid"], subject=row["subject"]) for row in mine])
    return [ids[row["uid"]] for row in mine]


def _insert_mails(dialect: str):
    return (db.insert_in(dialect, db.mails)
            .on_conflict_do_nothing(index_elements=["mailbox", "uidvalidity", "uid"])
            .returning(db.mails.c.id, db.mails.c.uid))


def claim_mail(conn, mail_id: int, me: Worker):
    """Take the right to work on a recorded mail, in the caller's write transaction: the mail's
    row as claimed, or None if a live worker holds it or it is done."""
    taken = _take(conn, [mail_id], me, held_by="")
    if taken:   # the usual mail, received and unclaimed: one UPDATE, its row returned
        return taken[0]
    held = conn.execute(select(db.mails.c.state, db.mails.c.claimed_by, db.mails.c.claimed_at)
                        .where(db.mails.c.id == mail_id)).first()
    if held is None or held.state != "received":
        return None
    if held.claimed_by and not claim_is_stale(held.claimed_by, held.claimed_at, me):
        if held.claimed_by != me.token:
            return None
        return conn.execute(select(db.mails).where(db.mails.c.id == mail_id)).mappings().one()
    taken = _take(conn, [mail_id], me, held_by=held.claimed_by)
    return taken[0] if taken else None


@dataclass
class Claimed:
    """Mails claimed together: their rows as claimed, by id, and which of them have an earlier
    copy (the same Message-ID recorded before them) to look up when each is processed."""
    rows: dict[int, dict]
    with_earlier_copy: set[int]


def claim_mails(engine, mail_ids: list[int], me: Worker) -> Claimed:
    """Claim, in one write transaction, those of `mail_ids` that are received and claimed by
    nobody (a pass claims a sender's next mails together: one claim a mail cost a write turn and
    ~0.5 ms of this process's CPU). A mail held by another worker is left out: `claim_mail` takes
    it alone, taking over a stale claim. `release_claims` gives back what was not processed."""
    if not mail_ids:
        return Claimed({}, set())
    with engine.begin() as conn:
        rows = _take(conn, mail_ids, me, held_by="")
        ids = [row["id"] for row in rows]
        with_earlier = set(conn.execute(_WITH_EARLIER_COPY, {"ids": ids}).scalars()) if ids else set()
    return Claimed({row["id"]: dict(row) for row in rows}, with_earlier)


def release_claims(engine, mail_ids, me: Worker) -> None:
    """Give back claims of mails this worker claimed but did not process (another worker, or
    this pass's next run, takes them); their attempt is not counted."""
    mail_ids = list(mail_ids)
    if mail_ids:
        with engine.begin() as conn:
            conn.execute(update(db.mails).where(
                db.mails.c.id.in_(mail_ids), db.mails.c.claimed_by == me.token, db.mails.c.state == "received",
            ).values(claimed_by="", attempts=db.mails.c.attempts - 1))


_TAKE = update(db.mails).where(   # built once: every claim runs it
    db.mails.c.id.in_(bindparam("ids", expanding=True)), db.mails.c.state == "received",
    or_(db.mails.c.claimed_by == bindparam("held_by"), db.mails.c.claimed_by.is_(None))
).values(attempts=db.mails.c.attempts + 1).returning(*db.mails.c)
_EARLIER = db.mails.alias("earlier")
_WITH_EARLIER_COPY = select(db.mails.c.id).where(
    db.mails.c.id.in_(bindparam("ids", expanding=True)),
    exists().where(_EARLIER.c.message_id == db.mails.c.message_id, _EARLIER.c.id < db.mails.c.id))


def _take(conn, mail_ids: list[int], me: Worker, held_by: str) -> list:
    """Claim those of the received mails still held by `held_by` ("" or NULL: nobody); their rows."""
    return conn.execute(_TAKE, {"ids": list(mail_ids), "held_by": held_by, "claimed_by": me.token,
                                "claimed_at": db.now()}).mappings().all()


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
