"""Several offices on one Sertiflow (data/offices.yaml): which office a mailbox belongs to,
which services it offers, and the letterhead and signatory its documents carry."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select

from pipelines import db, yamlfile


@dataclass(frozen=True)
class OfficeUnit:
    id: str
    name: str
    address: str
    city: str
    email: str
    official: dict
    mailboxes: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    officers: tuple[str, ...] = field(default_factory=tuple)
    complaints_email: str = ""      # replies to complainants come from this mailbox
    hours: dict = field(default_factory=dict)      # office hours (pipelines/calendar.py reads them)
    timezone: str = ""

    def letterhead(self) -> dict:
        return {"name": self.name, "address": self.address, "city": self.city, "email": self.email}

    def signatory(self) -> dict:
        return {"name": self.official["name"], "title": self.official["title"], "nip": self.official["nip"]}


@lru_cache(maxsize=8)
def _load(path: str) -> tuple[OfficeUnit, ...]:
    p = Path(path)
    if not p.exists():
        return ()
    return tuple(OfficeUnit(**{**raw, "mailboxes": tuple(raw.get("mailboxes") or ()),
                               "services": tuple(raw.get("services") or ()),
                               "officers": tuple(raw.get("officers") or ())})
                 for raw in yamlfile.safe_load(p.read_text(encoding="utf-8")) or [])


def offices(rt) -> tuple[OfficeUnit, ...]:
    return _load(str(rt.settings.offices_path))


def office_of_mailbox(rt, mailbox: str) -> OfficeUnit | None:
    return next((o for o in offices(rt) if mailbox in o.mailboxes), None)


def office_of_officer(rt, username: str) -> OfficeUnit | None:
    return next((o for o in offices(rt) if username and username in o.officers), None)


def office_by_id(rt, office_id: str) -> OfficeUnit | None:
    return next((o for o in offices(rt) if o.id == office_id), None)


def offers(rt, mailbox: str, kind: str) -> bool:
    """Whether mail of this mailbox may open a case of this service."""
    office = office_of_mailbox(rt, mailbox)
    return office is None or kind in office.services


def office_of_case(conn, rt, dossier_id: int) -> str:
    """The office whose mailbox received the case's first mail ("" for the settings' office)."""
    mailbox = conn.execute(select(db.mails.c.mailbox).where(db.mails.c.dossier_id == dossier_id)
                           .order_by(db.mails.c.id).limit(1)).scalar()
    unit = office_of_mailbox(rt, mailbox or "")
    return unit.id if unit else ""
