"""The flag a queue shows beside a case: "terlambat" (with who held it) when one of its open
clocks (the whole promise or a step) passed its deadline, else "hampir jatuh tempo" when one
used its warning share (the service's `warn_at`, default 75%). Computed from the engine's
states on read, like every clock figure."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pipelines.clock.clocks import ClockState, states

LATE, NEAR = "terlambat", "hampir_jatuh_tempo"


@dataclass(frozen=True)
class QueueFlag:
    mark: str                   # terlambat | hampir_jatuh_tempo
    holder: str                 # who holds the case (named on a breach)
    deadline: datetime          # UTC
    step: str                   # "" = the whole-service promise, else the leg id

    @property
    def late(self) -> bool:
        return self.mark == LATE

    @property
    def text(self) -> str:
        """Indonesian, as the officer reads it in the queue."""
        if self.late:
            return f"terlambat (dipegang {self.holder})" if self.holder else "terlambat"
        return "hampir jatuh tempo"


def _flag(state: ClockState) -> QueueFlag:
    return QueueFlag(LATE if state.breached else NEAR, state.holder, state.deadline, state.leg)


def queue_flags(rt, conn, case_type: str, case_refs, now: datetime | None = None) -> dict[str, QueueFlag]:
    """case_ref (text) -> its flag, for the cases of one queue page; cases with nothing to
    flag are absent. A late clock wins over a warning; the earliest deadline wins among equals."""
    refs = [str(r) for r in case_refs]
    if not refs:
        return {}
    flags: dict[str, QueueFlag] = {}
    for state in states(rt, conn, case_type=case_type, case_refs=refs, open_only=True, now=now):
        if not (state.breached or state.warning):
            continue
        candidate, current = _flag(state), flags.get(state.case_ref)
        if current is None or (candidate.late, -candidate.deadline.timestamp()) > \
                (current.late, -current.deadline.timestamp()):
            flags[state.case_ref] = candidate
    return flags
