"""Service clocks: every promised duration of every process, kept as a log and computed on read.

Public API (all take the Runtime `rt` and an open SQLAlchemy connection `conn`, inside the
caller's transaction, so a clock event commits together with the status change that causes it):

    from pipelines import clock

    clock.start(rt, conn, case_type="application", case_ref=app_id, service="iso9001",
                leg="",                   # "" = whole-service promise; else a leg id of the service
                at=received_at,           # default now
                customer="pt-abc@example.co.id",   # credits (Process D) are per customer + service
                holder="Seksi Pemasaran", letter_number=None)   # quoted apology letter, if any
    clock.pause(rt, conn, case_type=..., case_ref=..., reason="menunggu_pembayaran", leg="")
    clock.resume(rt, conn, case_type=..., case_ref=..., leg="", holder="Seksi SS")
    clock.stop(rt, conn, case_type=..., case_ref=..., leg="")
    clock.hand_over(rt, conn, case_type=..., case_ref=..., holder="Auditor", leg="")
    clock.apply_letter(rt, conn, case_type=..., case_ref=..., letter_number="SPM-2026-000001")

    clock.state(rt, conn, case_type=..., case_ref=..., leg="")   -> ClockState | None
    clock.states(rt, conn, case_type="application", case_refs=[...], open_only=True)
                                                                 -> list[ClockState] (bulk, queues)

- Targets come from the service definition's `clock:` section (services/README.md): the
  whole-service `promise`, per-step `legs`, the `pause_reasons` it allows, `warn_at`.
  `start` is idempotent per (case_type, case_ref, leg); `pause` refuses a reason the service
  does not allow (ClockError, Indonesian message); pause/resume/stop return False when they
  change nothing (already paused, not paused, already stopped).
- ClockState: deadline (UTC datetime; while paused, the deadline if it resumed now), used /
  left / share in the clock's unit (working_days or working_minutes), state
  (berjalan | dijeda | selesai), pause_reason, breached, warning (share >= warn_at, default
  0.75), holder, describe() -> one Indonesian line ("sisa 1 jam 30 menit kerja").
- Time is counted in office hours of the clock's office (data/calendar.yaml) on working days
  (pipelines/calendar.py: `holidays` library + local corrections). Day targets end at the
  closing time of their last day; the start day itself is not counted.
- Nothing is stored from the calendar: change data/calendar.yaml and every open deadline
  moves; `pipelines.clock.watch.sweep` marks warnings/breaches and tells officers which
  deadlines a calendar change moved.
"""
from pipelines.clock.clocks import (ClockError, ClockState, apply_letter, compute_states, hand_over,
                                    pause, resume, start, state, states, stop)
from pipelines.clock.targets import ServiceClock, Target, TargetError, service_clock

__all__ = ["ClockError", "ClockState", "ServiceClock", "Target", "TargetError", "apply_letter",
           "compute_states", "hand_over", "pause", "resume", "service_clock", "start", "state",
           "states", "stop"]
