"""Watching the clocks: warnings, breaches, moved deadlines, the officers' morning digest.

`sweep` (run by the service-clocks flow, and safe to run any time, by several workers):
- marks a warning when an open clock has used `warn_at` of its target, a breach when its
  deadline passed while it ran, each once (clock_marks), with who held the case;
- a breached whole-service promise of a service with compensation owes the customer an
  apology letter and a credit (pipelines/clock/compensation.py);
- when the calendar data changed (its fingerprint), records which open deadlines moved and
  rewrites `dossiers.due_date` of dossier clocks.
`morning_digest` mails the officers the marks not yet listed, only in office hours.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from pipelines import db
from pipelines.clock import compensation, store
from pipelines.clock.clocks import ClockState, compute_states
from pipelines.clock.dossiers import CASE as DOSSIER, set_due_date
from pipelines.send.outbox import enqueue
from pipelines.write.words import format_date_id

WARNING, BREACH = "peringatan", "terlambat"


@dataclass
class Sweep:
    warned: list[ClockState] = field(default_factory=list)
    breached: list[ClockState] = field(default_factory=list)
    moved: list[tuple[ClockState, datetime]] = field(default_factory=list)   # (state, old deadline)
    letters_owed: list[str] = field(default_factory=list)


def sweep(rt, now: datetime | None = None) -> Sweep:
    now = now or db.now()
    result = Sweep()
    with rt.engine.begin() as conn:
        open_logs = store.load_logs(conn, open_only=True)
        recent = store.load_logs(conn, open_only=False, closed_since=now - timedelta(days=14))
        seen = store.seen_deadlines(conn, [r[store.COLUMN["id"]] for r in open_logs[0]])
        for logs, is_open in ((open_logs, True), (recent, False)):
            for state in compute_states(rt, *logs, now=now):
                _mark(rt, conn, state, result)
                if is_open:
                    _follow_calendar(rt, conn, seen[state.clock_id], state, result)
    return result


def _mark(rt, conn, state: ClockState, result: Sweep) -> None:
    if state.breached:
        if store.add_mark(conn, state.clock_id, BREACH, state.holder, state.deadline):
            result.breached.append(state)
            db.record_event(conn, "jam_layanan_terlambat", dossier_id=_dossier_id(state),
                            layanan=state.service, langkah=state.leg or "seluruh layanan",
                            tenggat=state.deadline, pemegang=state.holder or "-")
            if not state.leg:
                number = compensation.owe(rt, conn, state)
                if number:
                    result.letters_owed.append(number)
    elif state.warning:
        if store.add_mark(conn, state.clock_id, WARNING, state.holder, state.deadline):
            result.warned.append(state)
    elif state.open:
        store.remove_mark(conn, state.clock_id, WARNING)       # a calendar change gave time back


def _follow_calendar(rt, conn, last_seen: tuple, state: ClockState, result: Sweep) -> None:
    fingerprint = rt.calendar.for_office(state.office).fingerprint
    seen, seen_calendar = db.aware(last_seen[0]), last_seen[1]
    if seen_calendar == fingerprint and seen is not None and abs((seen - state.deadline).total_seconds()) < 1:
        return
    if seen_calendar and seen_calendar != fingerprint and seen is not None \
            and abs((seen - state.deadline).total_seconds()) >= 1:
        result.moved.append((state, seen))
        db.record_event(conn, "tenggat_bergeser_kalender", dossier_id=_dossier_id(state),
                        langkah=state.leg or "seluruh layanan", tenggat_lama=seen, tenggat_baru=state.deadline)
    store.set_clock(conn, state.clock_id, seen_deadline=state.deadline, seen_calendar=fingerprint)
    if state.case_type == DOSSIER and not state.leg:
        set_due_date(conn, int(state.case_ref), rt.calendar.for_office(state.office).local_date(state.deadline))


def _dossier_id(state: ClockState) -> int | None:
    return int(state.case_ref) if state.case_type == DOSSIER and state.case_ref.isdigit() else None


def _case_label(conn, mark: dict) -> str:
    if mark["case_type"] == DOSSIER and str(mark["case_ref"]).isdigit():
        number = conn.execute(db.dossiers.select().with_only_columns(db.dossiers.c.number)
                              .where(db.dossiers.c.id == int(mark["case_ref"]))).scalar()
        if number:
            return number
    return f"{mark['case_type']} {mark['case_ref']}"


def morning_digest(rt, now: datetime | None = None) -> int | None:
    """Queue one digest of unlisted warnings and breaches to the officers. None outside office
    hours (nothing is queued; the next run in office hours sends it); else the marks listed."""
    now = now or db.now()
    if not rt.calendar.is_office_hours(now):
        return None
    with rt.engine.begin() as conn:
        marks = store.undigested_marks(conn)
        if not marks:
            return 0
        lines = {BREACH: [], WARNING: []}
        for mark in marks:
            leg = f", langkah {mark['leg']}" if mark["leg"] else ""
            deadline = db.aware(mark["deadline"])
            when = f"{format_date_id(rt.calendar.local_date(deadline))} pukul " \
                   f"{deadline.astimezone(rt.calendar.office.zone):%H:%M}" if deadline else "-"
            lines[mark["mark"]].append(f"- {_case_label(conn, mark)} ({mark['service']}{leg}): tenggat {when}; "
                                       f"dipegang {mark['holder'] or 'belum ada petugas'}")
        body = ["Yth. Petugas,", "", "Ringkasan jam layanan pagi ini."]
        if lines[BREACH]:
            body += ["", "Terlambat (melewati janji layanan):", *lines[BREACH]]
        if lines[WARNING]:
            body += ["", "Mendekati tenggat:", *lines[WARNING]]
        body += ["", "Pesan ini dikirim otomatis oleh Sertiflow pada jam kerja."]
        today = rt.calendar.local_date(now)
        to = rt.settings.clock_officers or [rt.settings.office.email]
        enqueue(conn, key=f"ringkasan_jam_layanan:{today.isoformat()}:{marks[-1]['id']}", to=list(to),
                subject=f"Ringkasan jam layanan {format_date_id(today)}: {len(lines[BREACH])} terlambat, "
                        f"{len(lines[WARNING])} mendekati tenggat",
                body="\n".join(body), sender_domain=rt.settings.sender.split("@", 1)[1])
        store.set_digested(conn, [m["id"] for m in marks], now)
    return len(marks)
