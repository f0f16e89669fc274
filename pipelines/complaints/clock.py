"""Every clock call of Process C goes through this module: each step of seed 003 is a leg of
the complaint service's clock (services/complaint.yaml `clock.legs`), kept by the service-clock
engine (pipelines/clock) as a log and computed on read, in office hours and working days.

A register entry's clock is case_type "complaint", case_ref its register number; one leg runs
at a time (the step in hand).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from pipelines import clock as engine
from pipelines.clock import service_clock

CASE = "complaint"


@dataclass(frozen=True)
class StepFigure:
    step: str
    label: str
    target: str                      # "60 menit kerja", "3 hari kerja"
    started_at: datetime
    due_at: datetime                 # the engine's deadline (UTC)
    stopped_at: datetime | None
    used: str                        # the engine's own words: "selesai tepat waktu", "terlambat 2 jam ..."
    on_time: bool | None             # None while running and not yet late
    state: engine.ClockState

    @property
    def late(self) -> bool:
        return self.on_time is False


def _service(rt):
    from pipelines.complaints.register import service
    return service(rt)


def start(rt, conn, entry: dict, step: str, at: datetime | None = None) -> None:
    """Start a step's leg (idempotent)."""
    role = next((s.get("role", "") for s in _service(rt).steps if s["id"] == step), "")
    engine.start(rt, conn, case_type=CASE, case_ref=entry["number"], service=_service(rt).kind, leg=step,
                 at=at, customer=entry.get("email") or "", holder=role)


def stop(rt, conn, entry: dict, step: str, at: datetime | None = None, actor: str = "sistem") -> bool:
    """Stop a running step; False when it was not running."""
    return engine.stop(rt, conn, case_type=CASE, case_ref=entry["number"], leg=step, at=at, actor=actor)


def running(rt, conn, entry: dict) -> str | None:
    """The step in hand, or None when none runs (closed)."""
    open_legs = engine.states(rt, conn, case_type=CASE, case_refs=[entry["number"]], open_only=True)
    return open_legs[-1].leg if open_legs else None


def target_text(service, step: str) -> str:
    return service_clock(service).target(step).describe()


def _figure(service, state: engine.ClockState) -> StepFigure:
    labels = {s["id"]: s["label"] for s in service.steps}
    on_time = False if state.breached else (True if state.state == "selesai" else None)
    return StepFigure(state.leg, labels.get(state.leg, state.leg), target_text(service, state.leg),
                      state.started_at, state.deadline, state.stopped_at, state.describe(), on_time, state)


def figures_of(rt, conn, numbers: list[str], open_only: bool = False,
               now: datetime | None = None) -> dict[str, list[StepFigure]]:
    """Per register number, its steps in the service's order (one query for all of them);
    `now` (default: now) is the moment a running step is judged at."""
    service = _service(rt)
    order = {s["id"]: i for i, s in enumerate(service.steps)}
    found: dict[str, list[StepFigure]] = defaultdict(list)
    if numbers:
        for state in engine.states(rt, conn, case_type=CASE, case_refs=list(numbers), open_only=open_only,
                                   now=now):
            if state.leg:
                found[state.case_ref].append(_figure(service, state))
    for steps in found.values():
        steps.sort(key=lambda f: order.get(f.step, len(order)))
    return found


def figures(rt, conn, entry: dict, now: datetime | None = None) -> list[StepFigure]:
    """Each started step of a register entry with its deadline and whether it kept it."""
    return figures_of(rt, conn, [entry["number"]], now=now).get(entry["number"], [])
