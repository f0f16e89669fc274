"""Every clock call of Process C goes through this module.

Interim, until the service-clock engine (pipelines/clock) lands: a log of when each step
started and stopped (table complaint_steps), and the figures computed from it when asked,
with the targets of the service's `clock:` section. Minute targets run on the wall clock;
day targets are Indonesian working days (pipelines.calendar), due at the end of the last day
(WIB). Swapping in the engine changes this file only.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import insert, select, update

from pipelines import db
from pipelines.calendar import JAKARTA, local_date
from pipelines.clock import service_clock
from pipelines.complaints.models import step_log


@dataclass(frozen=True)
class StepFigure:
    step: str
    label: str
    target: str                      # "60 menit", "3 hari kerja"
    started_at: datetime
    due_at: datetime
    stopped_at: datetime | None
    elapsed_minutes: int | None      # started -> stopped, wall clock
    on_time: bool | None             # None while running and not yet late

    @property
    def late(self) -> bool:
        return self.on_time is False


def start(conn, dossier_id: int, step: str, at: datetime | None = None) -> None:
    """Start a step (a no-op when it was started already: safe to repeat)."""
    exists = conn.execute(select(step_log.c.id).where(step_log.c.dossier_id == dossier_id,
                                                      step_log.c.step == step)).scalar()
    if exists is None:
        conn.execute(insert(step_log).values(dossier_id=dossier_id, step=step, started_at=at or db.now()))


def stop(conn, dossier_id: int, step: str, at: datetime | None = None) -> bool:
    """Stop a running step; False when it was not running."""
    return conn.execute(update(step_log).where(
        step_log.c.dossier_id == dossier_id, step_log.c.step == step, step_log.c.stopped_at.is_(None))
        .values(stopped_at=at or db.now())).rowcount == 1


def running(conn, dossier_id: int) -> str | None:
    return conn.execute(select(step_log.c.step).where(
        step_log.c.dossier_id == dossier_id, step_log.c.stopped_at.is_(None))
        .order_by(step_log.c.id.desc())).scalar()


def due_at(service, step: str, started: datetime, calendar) -> datetime:
    target = service_clock(service).target(step)
    started = db.aware(started)
    if target.unit == "working_minutes":
        return started + timedelta(minutes=int(target.amount))
    day = calendar.add_working_days(local_date(started), int(target.amount))
    return datetime.combine(day, time(23, 59, 59), JAKARTA)


def target_text(service, step: str) -> str:
    target = service_clock(service).target(step)
    if target.unit == "working_minutes":
        return f"{target.amount:g} menit"
    return f"{target.amount:g} hari kerja"


def figures(conn, dossier_id: int, service, calendar, now: datetime | None = None) -> list[StepFigure]:
    """Each started step of a register entry with its due time and whether it kept it."""
    now = now or db.now()
    labels = {s["id"]: s["label"] for s in service.steps}
    rows = conn.execute(select(step_log).where(step_log.c.dossier_id == dossier_id)
                        .order_by(step_log.c.id)).mappings().all()
    out = []
    for row in rows:
        started, stopped = db.aware(row["started_at"]), db.aware(row["stopped_at"])
        due = due_at(service, row["step"], started, calendar)
        if stopped is not None:
            on_time = stopped <= due
        else:
            on_time = False if now > due else None
        out.append(StepFigure(row["step"], labels.get(row["step"], row["step"]),
                              target_text(service, row["step"]), started, due, stopped,
                              None if stopped is None else int((stopped - started).total_seconds() // 60),
                              on_time))
    return out

