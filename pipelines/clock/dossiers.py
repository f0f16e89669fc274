"""The blank-request dossier (Process A) on the service clock.

The clock starts when the request arrives, stands still while the dossier is at a step that
waits for the customer (`waits_for`: menunggu_kelengkapan waits for kelengkapan), runs
again when it leaves it, and stops at approval (the approval hook packs the parcel at once).
`dossiers.due_date` is the deadline's office date, written where the clock changes and by
the sweep when the calendar moves it: the desk sorts and filters on it.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import update

from pipelines import db
from pipelines.clock import clocks, store
from pipelines.clock.targets import has_promise
from pipelines.decide import approval
from pipelines.offices import office_of_case, office_of_mailbox

CASE = "dossier"


def _has_clock(rt, kind: str) -> bool:
    """Services whose clock follows the mail path's statuses (`clock.follows_status: true`);
    applications and complaints move their cases themselves and call the clock API."""
    if kind not in rt.services:
        return False
    service = rt.services[kind]
    return bool((service.clock or {}).get("follows_status")) and has_promise(service)


def opened(rt, conn, dossier_id: int, kind: str, at: datetime, sender: str, mailbox: str | None = None) -> None:
    """`mailbox`: where the mail that opened the dossier came (its office); else looked up."""
    if _has_clock(rt, kind):
        office = office_of_case(conn, rt, dossier_id) if mailbox is None else _office_of_mailbox(rt, mailbox)
        clocks.start(rt, conn, case_type=CASE, case_ref=dossier_id, service=kind, at=at, customer=sender,
                     office=office)


def _office_of_mailbox(rt, mailbox: str) -> str:
    unit = office_of_mailbox(rt, mailbox)
    return unit.id if unit else ""


def status_changed(rt, conn, dossier: dict, status: str, at: datetime):
    """Pause or resume for the new status; returns the due date to store (None: no clock)."""
    kind = dossier["kind"]
    if not _has_clock(rt, kind):
        return None
    step = rt.services[kind].step(status)
    reason = step.waits_for if step else ""
    current = clocks.pause_or_resume(rt, conn, case_type=CASE, case_ref=dossier["id"], reason=reason, at=at)
    if current is None:   # a dossier opened before its service had a clock
        clocks.start(rt, conn, case_type=CASE, case_ref=dossier["id"], service=kind,
                     at=db.aware(dossier["received_at"]), customer=dossier.get("sender", ""),
                     office=office_of_case(conn, rt, dossier["id"]))
        current = clocks.pause_or_resume(rt, conn, case_type=CASE, case_ref=dossier["id"], reason=reason, at=at)
    return rt.calendar.for_office(current.office).local_date(current.deadline)


def after_approval(rt, conn, dossier: dict) -> dict:
    """AFTER_APPROVAL hook: the promise ends when the official approves and the parcel is packed."""
    if store.find_clock(conn, CASE, str(dossier["id"])) is not None:
        clocks.stop(rt, conn, case_type=CASE, case_ref=dossier["id"], actor="sistem")
    return {}


def set_due_date(conn, dossier_id: int, due) -> None:
    conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier_id).values(due_date=due))


approval.AFTER_APPROVAL.append(after_approval)
