"""Service clocks: recording a case's clock events and reading clock states (see __init__)."""
from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

import numpy as np

from pipelines import db
from pipelines.clock import store
from pipelines.clock.engine import (DAYS, KIND_CODES, PAUSED, RESUMED, STARTED, STOPPED, ClockLogs, compute,
                                    compute_one)
from pipelines.clock.targets import TargetError, service_clock

CREDIT_DAYS = 1          # seed 002: one working day off the next promise
from pipelines.clock.worktime import epoch, from_epoch, worktime_for


class ClockError(ValueError):
    """A clock call that cannot be honoured (Indonesian message, shown to officers as is)."""


class ClockState(NamedTuple):
    """A clock's state at one moment (a tuple, built at C speed in bulk)."""
    row: tuple                  # the clock's row (store.CLOCK_COLUMNS); its fields are properties below
    started_s: float            # epoch seconds; `started_at`, `deadline`, `stopped_at` as datetimes
    deadline_s: float           # while paused: the deadline if it resumed now
    used: float                 # in `unit`
    left: float                 # in `unit`; negative when over
    share: float                # used / target
    paused_minutes: float       # working minutes spent paused
    state: str                  # berjalan | dijeda | selesai
    pause_reason: str
    stopped_s: float | None
    breached: bool              # deadline passed while it ran (or before it stopped)
    warning: bool               # open, not breached, used >= warn_at of the target

    # The clock's own fields, read from its row (store.CLOCK_COLUMNS): 100,000 states stay cheap.
    clock_id = property(lambda self: self.row[store.COLUMN["id"]])
    case_type = property(lambda self: self.row[store.COLUMN["case_type"]])
    case_ref = property(lambda self: self.row[store.COLUMN["case_ref"]])
    leg = property(lambda self: self.row[store.COLUMN["leg"]], doc='"" = whole-service promise')
    service = property(lambda self: self.row[store.COLUMN["service"]])
    office = property(lambda self: self.row[store.COLUMN["office"]])
    customer = property(lambda self: self.row[store.COLUMN["customer"]])
    holder = property(lambda self: self.row[store.COLUMN["holder"]])
    target = property(lambda self: float(self.row[store.COLUMN["target"]]))
    unit = property(lambda self: self.row[store.COLUMN["unit"]], doc="working_days | working_minutes")
    warn_at = property(lambda self: float(self.row[store.COLUMN["warn_at"]]))
    credit_id = property(lambda self: self.row[store.COLUMN["credit_id"]])

    @property
    def started_at(self) -> datetime:
        return from_epoch(self.started_s)

    @property
    def deadline(self) -> datetime:
        """UTC; while paused, the deadline if it resumed now."""
        return from_epoch(self.deadline_s)

    @property
    def stopped_at(self) -> datetime | None:
        return None if self.stopped_s is None else from_epoch(self.stopped_s)

    @property
    def open(self) -> bool:
        return self.state != "selesai"

    def describe(self) -> str:
        """One Indonesian line for queues and mails."""
        def amount(value):
            if self.unit == DAYS:
                return f"{value:.1f}".replace(".", ",").replace(",0", "") + " hari kerja"
            return f"{int(round(value // 60))} jam {int(round(value % 60))} menit kerja" if value >= 60 \
                else f"{int(round(value))} menit kerja"
        if self.breached:
            return f"terlambat {amount(max(-self.left, 0))}" if self.left < 0 else "terlambat"
        if self.state == "dijeda":
            return f"dijeda ({self.pause_reason}), sisa {amount(self.left)}"
        if self.state == "selesai":
            return "selesai tepat waktu"
        return f"sisa {amount(self.left)}"


def _targets(rt, service: str):
    if service not in rt.services:
        raise ClockError(f"Layanan '{service}' tidak dikenal.")
    return service_clock(rt.services[service])


def start(rt, conn, *, case_type: str, case_ref, service: str, leg: str = "", at: datetime | None = None,
          customer: str = "", holder: str = "", actor: str = "sistem", letter_number: str | None = None,
          office: str = "") -> int:
    """Start the clock of a case (leg "") or of one step; idempotent. It counts in the hours and
    days off of `office` (the case's office, data/offices.yaml; else the service's `clock.office`,
    else the calendar's default). The whole-service clock of a service with compensation takes
    one unused credit of the customer (or the quoted letter's)."""
    targets = _targets(rt, service)
    try:
        target = targets.target(leg)
    except TargetError as exc:
        raise ClockError(str(exc)) from None
    at = at or db.now()
    calendar = rt.calendar      # once: each rt.calendar checks both calendar files
    office = office or targets.office or calendar.office.code
    calendar.for_office(office)      # an unknown office fails here, not when computing
    # Inserted first, not looked for: a new case (the mail path's) has no clock yet.
    values = {"case_type": case_type, "case_ref": str(case_ref), "leg": leg, "service": service, "office": office,
              "target": target.amount, "unit": target.unit, "warn_at": target.warn_at,
              "customer": (customer or "").lower(), "holder": holder, "opened_at": at}
    clock_id = store.insert_clock(conn, values)
    if clock_id is None:   # started before, or by another worker meanwhile: its log says whether it started
        clock_id = store.find_clock(conn, case_type, str(case_ref), leg)["id"]
        if store.last_event(conn, clock_id) is not None:
            return clock_id
    store.add_event(conn, clock_id, STARTED, at, actor=actor)
    if not leg and targets.compensation and (customer or letter_number):
        _apply_credit(conn, {**values, "id": clock_id}, customer, service, letter_number, actor)
    return clock_id


def _apply_credit(conn, clock, customer: str, service: str, letter_number: str | None, actor: str) -> None:
    """Take one credit for this clock. A 1-working-day promise becomes a same-day one (due when
    the office closes on the day the case arrived, see engine.py); a credit never applies to
    minute promises: then it stays for a later case."""
    if clock["unit"] != DAYS or float(clock["target"]) - CREDIT_DAYS < 0:
        return
    credit = None
    if letter_number:
        credit = store.claim_credit(conn, clock["id"], "", service, letter_number)
    if credit is None and customer:
        credit = store.claim_credit(conn, clock["id"], customer.lower(), service)
    if credit is None:
        return
    target = float(clock["target"]) - float(credit["working_days"])
    store.set_clock(conn, clock["id"], target=target, credit_id=credit["id"])
    db.record_event(conn, "kompensasi_digunakan", actor=actor, surat=credit["letter_number"],
                    jenis_perkara=clock["case_type"], perkara=clock["case_ref"], janji_hari_kerja=target)


def apply_letter(rt, conn, *, case_type: str, case_ref, letter_number: str, actor: str = "sistem") -> bool:
    """A customer quoted an apology letter's number: its credit shortens this case's promise
    (if the credit is unused and the clock has none yet)."""
    clock = store.find_clock(conn, case_type, str(case_ref), "")
    if clock is None or clock["credit_id"] is not None:
        return False
    before = clock["credit_id"]
    _apply_credit(conn, clock, "", clock["service"], letter_number, actor)
    return store.find_clock(conn, case_type, str(case_ref), "")["credit_id"] != before


def _clock_or_fail(conn, case_type, case_ref, leg):
    clock = store.find_clock(conn, case_type, str(case_ref), leg)
    if clock is None:
        raise ClockError(f"Jam layanan {case_type} {case_ref} {leg or ''} belum dimulai.".replace("  ", " "))
    return clock


def pause(rt, conn, *, case_type: str, case_ref, reason: str, leg: str = "", at: datetime | None = None,
          actor: str = "sistem", note: str = "") -> bool:
    """Stop counting while the office waits on the customer. `reason` must be one of the
    service's `pause_reasons`. False when it was already paused or is stopped."""
    clock = _clock_or_fail(conn, case_type, case_ref, leg)
    _check_pause_reason(rt, clock["service"], reason)
    last = store.last_event(conn, clock["id"])
    if last["kind"] in (PAUSED, STOPPED):
        return False
    store.add_event(conn, clock["id"], PAUSED, at or db.now(), reason=reason, actor=actor, note=note)
    return True


def _check_pause_reason(rt, service: str, reason: str) -> None:
    allowed = _targets(rt, service).pause_reasons
    if reason not in allowed:
        raise ClockError(f"Alasan jeda '{reason}' tidak diizinkan untuk layanan {service} "
                         f"(yang diizinkan: {', '.join(allowed) or '-'}).")


def pause_or_resume(rt, conn, *, case_type: str, case_ref, reason: str, at: datetime, leg: str = "",
                    actor: str = "sistem") -> ClockState | None:
    """A case's started clock paused for `reason`, or resumed when it is "", exactly as pause and
    resume do; returns its state at `at` (None: the case has no started clock). The mail path
    calls this for every dossier it checks: one query reads the clock and its log, and an event
    added here joins that log as a read would give it back, not read again."""
    found = store.load_case_log(conn, case_type, case_ref, leg)
    if found is None:
        return None
    row, log = found
    if reason:
        _check_pause_reason(rt, row[store.COLUMN["service"]], reason)
    last_kind = log[-1][0]
    if reason and last_kind not in (KIND_CODES[PAUSED], KIND_CODES[STOPPED]):
        kind = PAUSED
    elif not reason and last_kind == KIND_CODES[PAUSED]:
        kind = RESUMED
    else:
        return _state_of_one(rt, row, log, at)
    store.add_event(conn, row[store.COLUMN["id"]], kind, at, reason=reason, actor=actor)
    store.add_to_log(log, kind, at, reason)
    return _state_of_one(rt, row, log, at)


def resume(rt, conn, *, case_type: str, case_ref, leg: str = "", at: datetime | None = None,
           actor: str = "sistem", holder: str | None = None) -> bool:
    clock = _clock_or_fail(conn, case_type, case_ref, leg)
    if store.last_event(conn, clock["id"])["kind"] != PAUSED:
        return False
    store.add_event(conn, clock["id"], RESUMED, at or db.now(), actor=actor)
    if holder is not None:
        store.set_clock(conn, clock["id"], holder=holder)
    return True


def stop(rt, conn, *, case_type: str, case_ref, leg: str = "", at: datetime | None = None,
         actor: str = "sistem") -> bool:
    """The case (or step) is done. False when it was already stopped or never started."""
    clock = store.find_clock(conn, case_type, str(case_ref), leg)
    if clock is None or clock["closed_at"] is not None:
        return False
    at = at or db.now()
    store.add_event(conn, clock["id"], STOPPED, at, actor=actor)
    store.set_clock(conn, clock["id"], closed_at=at)
    return True


def hand_over(rt, conn, *, case_type: str, case_ref, holder: str, leg: str = "") -> None:
    """Who holds the case now (named on a breach)."""
    store.set_clock(conn, _clock_or_fail(conn, case_type, case_ref, leg)["id"], holder=holder)


_STATE_NAMES = ("berjalan", "dijeda", "selesai")


def compute_states(rt, clock_rows: list[dict], ev_clock, ev_kind, ev_at, ev_reason,
                   now: datetime | None = None) -> list[ClockState]:
    """States of clocks loaded by store.load_logs, grouped per office (one table set each)."""
    with store.no_gc_pauses():
        return _compute_states(rt, clock_rows, ev_clock, ev_kind, ev_at, ev_reason, now)


def _compute_states(rt, clock_rows, ev_clock, ev_kind, ev_at, ev_reason, now) -> list[ClockState]:
    now_s = epoch(now or db.now())
    n = len(clock_rows)
    if n == 0:
        return []
    # Columns in one C-speed transpose: a Row attribute per clock per field costs more.
    columns = dict(zip(store.CLOCK_COLUMNS, zip(*clock_rows)))
    target_all = np.array(columns["target"], dtype=float)
    in_days_all = np.array(columns["unit"]) == DAYS
    warn_all = np.array(columns["warn_at"], dtype=float)
    offices = set(columns["office"])
    if len(offices) == 1:
        groups = {offices.pop(): np.arange(n)}
    else:
        office_of = np.array(columns["office"], dtype=object)
        groups = {office: np.flatnonzero(office_of == office) for office in sorted(offices)}
    result: list[ClockState | None] = [None] * n
    for office, indices in groups.items():
        wt = worktime_for(rt.calendar.for_office(office))
        if len(groups) == 1:
            sel, remap, rows = np.ones(len(ev_clock), dtype=bool), np.arange(n), clock_rows
        else:
            member = np.zeros(n, dtype=bool)
            member[indices] = True
            sel = member[ev_clock]
            remap = np.cumsum(member) - 1
            rows = [clock_rows[i] for i in indices.tolist()]
        logs = ClockLogs(target=target_all[indices], in_days=in_days_all[indices],
                         ev_clock=remap[ev_clock[sel]], ev_kind=ev_kind[sel], ev_at=ev_at[sel])
        s = compute(wt, logs, now_s)
        # The reason of each clock's last event (its pause reason when it is paused).
        positions = np.flatnonzero(sel)
        ends = np.ones(len(positions), dtype=bool)
        ends[:-1] = logs.ev_clock[1:] != logs.ev_clock[:-1]
        last_reason = [ev_reason[p] for p in positions[ends].tolist()]
        kind = np.where(s.stopped, 2, np.where(s.paused, 1, 0)).tolist()
        warning = (~s.stopped & ~s.breached & (s.share >= warn_all[indices])).tolist()
        names = [_STATE_NAMES[k] for k in kind]
        pause_reasons = [reason if k == 1 else "" for reason, k in zip(last_reason, kind)]
        stops = [at if k == 2 else None for at, k in zip(s.stopped_at.tolist(), kind)]
        built = list(map(ClockState._make, zip(
            rows, s.started_at.tolist(), s.deadline.tolist(), s.used.tolist(), s.left.tolist(), s.share.tolist(),
            s.paused_minutes.tolist(), names, pause_reasons, stops, s.breached.tolist(), warning)))
        if len(groups) == 1:
            return built
        for i, state in zip(indices.tolist(), built):
            result[i] = state
    return result


def _state_of_one(rt, row: tuple, log: list[tuple], now: datetime) -> ClockState:
    """What compute_states gives for one clock (store.load_case_log's row and log), in plain floats."""
    wt = worktime_for(rt.calendar.for_office(row[store.COLUMN["office"]])).one
    target = float(row[store.COLUMN["target"]])
    s = compute_one(wt, target, row[store.COLUMN["unit"]] == DAYS, log, epoch(now))
    name = _STATE_NAMES[2 if s.stopped else 1 if s.paused else 0]
    warning = not s.stopped and not s.breached and s.share >= float(row[store.COLUMN["warn_at"]])
    return ClockState(row, s.started_at, s.deadline, s.used, s.left, s.share, s.paused_minutes, name,
                      log[-1][2] if s.paused else "", s.stopped_at if s.stopped else None, s.breached, warning)


def states(rt, conn, *, case_type: str | None = None, case_refs=None, open_only: bool = True,
           now: datetime | None = None) -> list[ClockState]:
    """States of many clocks at once (queues, dashboard, digest): one query, array maths."""
    return compute_states(rt, *store.load_logs(conn, open_only=open_only, case_type=case_type,
                                               case_refs=case_refs), now=now)


def state(rt, conn, *, case_type: str, case_ref, leg: str = "", now: datetime | None = None) -> ClockState | None:
    """One case's clock (None: not started): one query, no arrays."""
    found = store.load_case_log(conn, case_type, case_ref, leg)
    return None if found is None else _state_of_one(rt, *found, now or db.now())
