"""SQL of the complaint register (tables in models.py plus its dossier rows)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import and_, insert, select, update

from pipelines import db
from pipelines.complaints.models import (complaints, corrective_actions, involved_staff, public_hits,
                                         team_members)

KIND = "complaint"

_ENTRY = select(
    complaints, db.dossiers.c.number, db.dossiers.c.status, db.dossiers.c.subject,
    db.dossiers.c.sender, db.dossiers.c.received_at, db.dossiers.c.thread_message_id,
    db.dossiers.c.completed_at).select_from(complaints.join(db.dossiers, db.dossiers.c.id == complaints.c.dossier_id))


def new_entry(conn, *, prefix: str, status: str, received_at: datetime, subject: str, sender: str,
              thread_message_id: str, fields: dict) -> dict:
    """Number and insert a register entry (dossier row + complaints row) in the caller's transaction."""
    from pipelines.calendar import local_date
    year = local_date(received_at).year
    number = f"{prefix}-{year}-{db.next_number(conn, f'{prefix}-{year}'):06d}"
    now = db.now()
    dossier_id = conn.execute(insert(db.dossiers).values(
        number=number, kind=KIND, status=status, lsp_code="", sender=sender, subject=subject,
        thread_message_id=thread_message_id, received_at=received_at, facts={},
        created_at=now, updated_at=now)).inserted_primary_key[0]
    conn.execute(insert(complaints).values(dossier_id=dossier_id, **fields))
    return entry_by_dossier(conn, dossier_id)


def adopt_dossier(conn, dossier_id: int, *, status: str, fields: dict) -> dict:
    """Make a complaint dossier opened elsewhere (an officer filing a mail on the desk) an entry."""
    conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier_id).values(status=status, updated_at=db.now()))
    conn.execute(insert(complaints).values(dossier_id=dossier_id, **fields))
    return entry_by_dossier(conn, dossier_id)


def entry_by_dossier(conn, dossier_id: int) -> dict | None:
    row = conn.execute(_ENTRY.where(complaints.c.dossier_id == dossier_id)).mappings().first()
    return dict(row) if row else None


def entry_by_number(conn, number: str) -> dict | None:
    row = conn.execute(_ENTRY.where(db.dossiers.c.number == number)).mappings().first()
    return dict(row) if row else None


def entries(conn, *, since: datetime | None = None, until: datetime | None = None) -> list[dict]:
    # Stored moments are UTC and SQLite compares them as text: a WIB bound must be UTC too
    # (else a month's first seven hours fall out of its summary).
    query = _ENTRY.order_by(db.dossiers.c.received_at, db.dossiers.c.id)
    if since is not None:
        query = query.where(db.dossiers.c.received_at >= db.aware(since).astimezone(timezone.utc))
    if until is not None:
        query = query.where(db.dossiers.c.received_at < db.aware(until).astimezone(timezone.utc))
    return [dict(r) for r in conn.execute(query).mappings()]


def update_entry(conn, entry: dict, **values) -> None:
    conn.execute(update(complaints).where(complaints.c.id == entry["id"]).values(**values))


def set_status(conn, entry: dict, status: str, actor: str, action: str, **detail) -> None:
    before = conn.execute(select(db.dossiers.c.status).where(db.dossiers.c.id == entry["dossier_id"])).scalar()
    conn.execute(update(db.dossiers).where(db.dossiers.c.id == entry["dossier_id"])
                 .values(status=status, updated_at=db.now()))
    db.record_event(conn, action, actor=actor, dossier_id=entry["dossier_id"], before=before, after=status,
                    **detail)


def dossier_by_reference(conn, number: str):
    """A dossier by its number, or the dossier of a certificate with that number."""
    row = db.dossier_by_number(conn, number)
    if row is not None:
        return row
    from pipelines.fulfil.models import certificates
    dossier_id = conn.execute(select(certificates.c.dossier_id).where(certificates.c.number == number)).scalar()
    if dossier_id is None:
        return None
    return conn.execute(select(db.dossiers).where(db.dossiers.c.id == dossier_id)).mappings().first()


def event_actors(conn, dossier_id: int) -> set[str]:
    """Desk users who acted on a dossier (the officer who handled it, the approving official)."""
    return {a for a in conn.execute(select(db.events.c.actor).where(db.events.c.dossier_id == dossier_id))
            .scalars() if a and a not in ("sistem", "admin-cli")}


# ---------------------------------------------------------------- involvement and team

def involved(conn, complaint_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(select(involved_staff).where(
        involved_staff.c.complaint_id == complaint_id).order_by(involved_staff.c.id)).mappings()]


def add_involved(conn, complaint_id: int, staff_id: str, role: str) -> None:
    exists = conn.execute(select(involved_staff.c.id).where(
        involved_staff.c.complaint_id == complaint_id, involved_staff.c.staff_id == staff_id,
        involved_staff.c.role == role)).scalar()
    if exists is None:
        conn.execute(insert(involved_staff).values(complaint_id=complaint_id, staff_id=staff_id, role=role))


def team(conn, complaint_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(select(team_members).where(
        team_members.c.complaint_id == complaint_id).order_by(team_members.c.chair.desc(),
                                                              team_members.c.id)).mappings()]


def add_member(conn, complaint_id: int, staff_id: str, name: str, chair: bool, token: str) -> int:
    return conn.execute(insert(team_members).values(
        complaint_id=complaint_id, staff_id=staff_id, name=name, chair=chair, token=token)).inserted_primary_key[0]


def member_by_token(conn, token: str) -> dict | None:
    row = conn.execute(select(team_members).where(team_members.c.token == token)).mappings().first()
    return dict(row) if row else None


def update_member(conn, member_id: int, **values) -> int:
    return conn.execute(update(team_members).where(team_members.c.id == member_id).values(**values)).rowcount


def confirm_member(conn, member_id: int, **values) -> bool:
    """Record a declaration once: False when it was recorded already."""
    return conn.execute(update(team_members).where(team_members.c.id == member_id,
                                                   team_members.c.declared_at.is_(None))
                        .values(**values)).rowcount == 1


# ---------------------------------------------------------------- corrective actions

def add_action(conn, complaint_id: int, description: str, responsible: str, check_on: date, actor: str) -> int:
    return conn.execute(insert(corrective_actions).values(
        complaint_id=complaint_id, description=description, responsible=responsible, check_on=check_on,
        created_by=actor, created_at=db.now())).inserted_primary_key[0]


def actions(conn, complaint_id: int) -> list[dict]:
    return [dict(r) for r in conn.execute(select(corrective_actions).where(
        corrective_actions.c.complaint_id == complaint_id).order_by(corrective_actions.c.id)).mappings()]


def actions_due(conn, today: date) -> list[dict]:
    """Corrective actions whose effectiveness check is due and not yet done, oldest first."""
    rows = conn.execute(select(corrective_actions, db.dossiers.c.number).select_from(
        corrective_actions.join(complaints, complaints.c.id == corrective_actions.c.complaint_id)
        .join(db.dossiers, db.dossiers.c.id == complaints.c.dossier_id))
        .where(and_(corrective_actions.c.checked_at.is_(None), corrective_actions.c.check_on <= today))
        .order_by(corrective_actions.c.check_on, corrective_actions.c.id)).mappings()
    return [dict(r) for r in rows]


def check_action(conn, action_id: int, actor: str, effective: bool, note: str) -> bool:
    return conn.execute(update(corrective_actions).where(
        corrective_actions.c.id == action_id, corrective_actions.c.checked_at.is_(None))
        .values(checked_at=db.now(), checked_by=actor, effective=effective, check_note=note)).rowcount == 1


# ---------------------------------------------------------------- public rate limit

def count_hits(conn, ip: str, kind: str, since: datetime) -> int:
    from sqlalchemy import func
    return conn.execute(select(func.count()).select_from(public_hits).where(
        public_hits.c.ip == ip, public_hits.c.kind == kind, public_hits.c.at >= since)).scalar()


def add_hit(conn, ip: str, kind: str, older_than: datetime) -> None:
    conn.execute(insert(public_hits).values(ip=ip, kind=kind, at=db.now()))
    conn.execute(public_hits.delete().where(public_hits.c.at < older_than))
