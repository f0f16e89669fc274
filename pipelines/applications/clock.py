"""The service clock of an application: the ONE place this package talks to the clock engine
(pipelines/clock). Targets come from the service's `clock:` section, steps' durations and
`pause_reasons`; the engine keeps the log and computes the figures when asked."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pipelines import clock as engine
from pipelines.calendar import local_date
from pipelines.offices import office_of_case

CASE_TYPE = "application"


@dataclass
class ClockFigures:
    state: str                 # belum, berjalan, dijeda, selesai
    target_days: int
    promised_date: date | None
    pause_reason: str = ""
    used: float = 0.0          # in the engine's unit (working days for these services)
    paused_minutes: float = 0.0


def target_days(service) -> int:
    return int((service.clock or {}).get("target_working_days") or 0)


def start(rt, conn, dossier: dict) -> None:
    engine.start(rt, conn, case_type=CASE_TYPE, case_ref=dossier["id"], service=dossier["kind"],
                 customer=dossier.get("sender", ""), office=office_of_case(conn, rt, dossier["id"]))


def pause(rt, conn, dossier_id: int, reason: str) -> None:
    engine.pause(rt, conn, case_type=CASE_TYPE, case_ref=dossier_id, reason=reason)


def wait_for(rt, conn, service, dossier_id: int, reason: str) -> None:
    """Pause for `reason`; a clock already paused for another one (an open nonconformity while
    the case moves on to product testing) now waits for this one: the log says what it waits on."""
    current = figures(rt, conn, service, dossier_id)
    if current.state == "dijeda" and current.pause_reason != reason:
        resume(rt, conn, dossier_id)
    pause(rt, conn, dossier_id, reason)


def resume(rt, conn, dossier_id: int) -> None:
    engine.resume(rt, conn, case_type=CASE_TYPE, case_ref=dossier_id)


def stop(rt, conn, dossier_id: int) -> None:
    engine.stop(rt, conn, case_type=CASE_TYPE, case_ref=dossier_id)


def figures(rt, conn, service, dossier_id: int) -> ClockFigures:
    return _figures(service, engine.state(rt, conn, case_type=CASE_TYPE, case_ref=dossier_id))


def figures_of_cases(rt, conn, services: dict[int, object]) -> dict[int, ClockFigures]:
    """dossier id -> figures for a whole queue page, from one query (services: dossier id -> its service)."""
    if not services:
        return {}
    found = {s.case_ref: s for s in engine.states(rt, conn, case_type=CASE_TYPE, open_only=False,
                                                  case_refs=[str(i) for i in services]) if not s.leg}
    return {i: _figures(service, found.get(str(i))) for i, service in services.items()}


def _figures(service, found) -> ClockFigures:
    if found is None:
        return ClockFigures("belum", target_days(service), None)
    return ClockFigures(found.state, target_days(service), local_date(found.deadline), found.pause_reason,
                        found.used, found.paused_minutes)


def detail(rt, conn, dossier_id: int):
    """The engine's full state of a case's clock (used, left, breached; None before it starts)
    and its log, for the case page: [{kind, at, reason, actor}] in order."""
    from pipelines.clock import store as clock_store
    found = engine.state(rt, conn, case_type=CASE_TYPE, case_ref=dossier_id)
    row = clock_store.find_clock(conn, CASE_TYPE, str(dossier_id))
    return found, (clock_store.events_of(conn, [row["id"]]) if row is not None else [])
