"""The service clock of an application: the ONE place this package talks to a clock.

Until the clock engine (pipelines/clock, issue 10) is on main, this keeps the log itself
(case_clock: start, pause with a reason, resume, stop) and computes the figures from it with
the working calendar; the target comes from the service's `clock:` section. Swapping in the
engine means changing only this module.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import insert, select

from pipelines import db
from pipelines.applications.models import case_clock
from pipelines.calendar import local_date


@dataclass
class ClockFigures:
    state: str                 # belum, berjalan, berhenti_sementara, selesai
    target_days: int
    started_on: date | None
    paused_days: int           # working days spent waiting on the applicant
    elapsed_days: int          # working days counted against the promise
    promised_date: date | None
    pause_reason: str = ""


def target_days(service) -> int:
    return int((service.clock or {}).get("target_working_days") or 0)


def _last(conn, dossier_id: int):
    return conn.execute(select(case_clock).where(case_clock.c.dossier_id == dossier_id)
                        .order_by(case_clock.c.id.desc()).limit(1)).mappings().first()


def start(conn, dossier_id: int) -> None:
    if _last(conn, dossier_id) is None:
        conn.execute(insert(case_clock).values(dossier_id=dossier_id, at=db.now(), action="start"))


def pause(conn, dossier_id: int, reason: str) -> None:
    last = _last(conn, dossier_id)
    if last is not None and last["action"] in ("start", "resume"):
        conn.execute(insert(case_clock).values(dossier_id=dossier_id, at=db.now(), action="pause",
                                               reason=reason))


def resume(conn, dossier_id: int) -> None:
    last = _last(conn, dossier_id)
    if last is not None and last["action"] == "pause":
        conn.execute(insert(case_clock).values(dossier_id=dossier_id, at=db.now(), action="resume"))


def stop(conn, dossier_id: int) -> None:
    last = _last(conn, dossier_id)
    if last is not None and last["action"] != "stop":
        conn.execute(insert(case_clock).values(dossier_id=dossier_id, at=db.now(), action="stop"))


def figures(conn, calendar, service, dossier_id: int, today: date | None = None) -> ClockFigures:
    rows = conn.execute(select(case_clock).where(case_clock.c.dossier_id == dossier_id)
                        .order_by(case_clock.c.id)).mappings().all()
    target = target_days(service)
    if not rows:
        return ClockFigures("belum", target, None, 0, 0, None)
    today = today or local_date(db.now())
    started = local_date(rows[0]["at"])
    paused_days, paused_since, reason, end = 0, None, "", today
    for row in rows[1:]:
        day = local_date(row["at"])
        if row["action"] == "pause":
            paused_since, reason = day, row["reason"]
        elif row["action"] == "resume" and paused_since is not None:
            paused_days += calendar.working_days_between(paused_since, day)
            paused_since, reason = None, ""
        elif row["action"] == "stop":
            end = day
    state = "selesai" if rows[-1]["action"] == "stop" else (
        "berhenti_sementara" if paused_since is not None else "berjalan")
    if paused_since is not None:
        paused_days += calendar.working_days_between(paused_since, end)
    elapsed = max(0, calendar.working_days_between(started, end) - paused_days)
    promised = calendar.add_working_days(started, target + paused_days)
    return ClockFigures(state, target, started, paused_days, elapsed, promised, reason)
