"""Warnings, breaches, calendar changes and compensation credits on a real SQLite database."""
from __future__ import annotations

import threading
from datetime import date

import yaml
from sqlalchemy import select

from pipelines import clock, db
from pipelines.clock import store
from pipelines.clock.models import clock_credits
from pipelines.clock.watch import morning_digest, sweep
from pipelines.runtime import Runtime
from tests.clock.helpers import wib

PERSON = {"service": "uji_clock"}


def _start(rt, ref, at, customer="pt-a@example.co.id", leg=""):
    with rt.engine.begin() as conn:
        return clock.start(rt, conn, case_type="application", case_ref=ref, leg=leg, at=at,
                           customer=customer, holder="Seksi SS", **PERSON)


def test_warning_then_breach_marked_once_with_the_holder_and_listed_in_one_digest(rt):
    _start(rt, 1, wib(2026, 11, 23, 8), leg="rekam")          # 120 min, warn at 50%
    assert [s.case_ref for s in sweep(rt, now=wib(2026, 11, 23, 9, 10)).warned] == ["1"]
    assert sweep(rt, now=wib(2026, 11, 23, 9, 20)).warned == []          # marked once
    late = sweep(rt, now=wib(2026, 11, 23, 10, 30))
    assert [(s.case_ref, s.holder) for s in late.breached] == [("1", "Seksi SS")]
    assert late.letters_owed == []                                        # legs earn no letter
    assert sweep(rt, now=wib(2026, 11, 23, 11)).breached == []

    # Digest: never outside office hours; one mail listing both marks; nothing twice.
    assert morning_digest(rt, now=wib(2026, 11, 28, 9)) is None          # Saturday
    assert morning_digest(rt, now=wib(2026, 11, 24, 6, 30)) is None      # before opening
    assert morning_digest(rt, now=wib(2026, 11, 24, 7, 45)) == 2
    assert morning_digest(rt, now=wib(2026, 11, 24, 8)) == 0
    with rt.engine.connect() as conn:
        [mail] = conn.execute(select(db.outbox)).mappings().all()
    assert "1 terlambat, 1 mendekati tenggat" in mail["subject"]
    assert "dipegang Seksi SS" in mail["body_text"] and "Terlambat" in mail["body_text"]


def test_a_calendar_change_moves_open_deadlines_and_says_so(rt, tmp_path):
    _start(rt, 2, wib(2026, 11, 20, 10))          # 14 working days: Thu 10 Dec 2026
    with rt.engine.connect() as conn:
        before = clock.state(rt, conn, case_type="application", case_ref=2, now=wib(2026, 11, 23, 9))
    assert before.deadline == wib(2026, 12, 10, 16)
    assert sweep(rt, now=wib(2026, 11, 23, 9)).moved == []
    # A regional day off on Mon 7 Dec 2026 (decided after the clock started).
    data = yaml.safe_load(rt.settings.calendar_path.read_text())
    data["days_off"] = [{"date": "2026-12-07", "name": "Libur daerah", "basis": "Keputusan Gubernur No. 1/2026"}]
    rt.settings.calendar_path.write_text(yaml.safe_dump(data))
    fresh = Runtime(rt.settings)
    moved = sweep(fresh, now=wib(2026, 11, 23, 10)).moved
    assert [(s.case_ref, old, s.deadline) for s, old in moved] == [("2", wib(2026, 12, 10, 16), wib(2026, 12, 11, 16, 30))]
    assert sweep(fresh, now=wib(2026, 11, 23, 11)).moved == []


def test_a_long_running_worker_sees_an_edited_calendar_at_once(rt):
    calendar = rt.calendar
    assert rt.calendar is calendar                        # the unchanged file is not read again
    assert calendar.is_working_day(date(2026, 12, 7))
    data = yaml.safe_load(rt.settings.calendar_path.read_text())
    data["days_off"] = [{"date": "2026-12-07", "name": "Libur daerah", "basis": "Keputusan Gubernur No. 1/2026"}]
    rt.settings.calendar_path.write_text(yaml.safe_dump(data))
    assert not rt.calendar.is_working_day(date(2026, 12, 7))     # the same Runtime, no restart


def test_the_next_application_takes_the_credit_once_and_a_quoted_letter_works_too(rt):
    first = _start(rt, 10, wib(2026, 11, 2, 9))
    result = sweep(rt, now=wib(2026, 12, 1, 9))          # 14 days passed: late
    assert [s.clock_id for s in result.breached] == [first]
    [number] = result.letters_owed
    assert number.startswith("SPM-2026-")
    assert sweep(rt, now=wib(2026, 12, 2, 9)).letters_owed == []          # one letter per late clock

    _start(rt, 11, wib(2026, 12, 3, 9))
    _start(rt, 12, wib(2026, 12, 4, 9))
    with rt.engine.connect() as conn:
        second = clock.state(rt, conn, case_type="application", case_ref=11)
        third = clock.state(rt, conn, case_type="application", case_ref=12)
    assert (second.target, third.target) == (13, 14)
    assert second.deadline == wib(2026, 12, 22, 16)      # 13 working days after Thu 3 Dec 2026

    # Another customer's late case; its customer quotes the letter on an application made
    # under a different address.
    _start(rt, 20, wib(2026, 11, 2, 9), customer="pt-b@example.co.id")
    [letter_b] = sweep(rt, now=wib(2026, 12, 1, 10)).letters_owed
    _start(rt, 21, wib(2026, 12, 3, 9), customer="kantor-cabang@example.co.id")
    with rt.engine.begin() as conn:
        assert clock.apply_letter(rt, conn, case_type="application", case_ref=21, letter_number=letter_b.lower())
        assert not clock.apply_letter(rt, conn, case_type="application", case_ref=21, letter_number=letter_b)
        assert clock.state(rt, conn, case_type="application", case_ref=21).target == 13


def test_concurrent_starts_use_one_credit_once(rt):
    _start(rt, 30, wib(2026, 11, 2, 9))
    sweep(rt, now=wib(2026, 12, 1, 9))
    errors = []

    def next_application(ref):
        try:
            _start(rt, ref, wib(2026, 12, 3, 9))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=next_application, args=(100 + i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with rt.engine.connect() as conn:
        [credit] = conn.execute(select(clock_credits)).mappings().all()
        targets = sorted(clock.state(rt, conn, case_type="application", case_ref=100 + i).target for i in range(8))
        assert store.credits_of(conn)[0]["used_by_clock_id"] == credit["used_by_clock_id"]
    assert targets == [13] + [14] * 7


def _one_day(rt, ref, at, customer="lsp-a@example.co.id"):
    with rt.engine.begin() as conn:
        clock.start(rt, conn, case_type="uji", case_ref=ref, service="uji_sehari", at=at, customer=customer)
        return clock.state(rt, conn, case_type="uji", case_ref=ref, now=at)


def test_a_credit_on_a_one_day_promise_makes_it_due_the_same_day_once(rt):
    late = _one_day(rt, 1, wib(2026, 11, 2, 9))                  # Mon: due Tue 3 Nov 16:00
    assert (late.target, late.deadline) == (1, wib(2026, 11, 3, 16))
    [letter] = sweep(rt, now=wib(2026, 11, 4, 9)).letters_owed

    # Next request Wed 11 Nov 10:00: one day off a 1-day promise = closing time that same day.
    credited = _one_day(rt, 2, wib(2026, 11, 11, 10))
    assert (credited.target, credited.deadline, credited.credit_id is not None) == (0, wib(2026, 11, 11, 16), True)
    with rt.engine.connect() as conn:
        assert clock.state(rt, conn, case_type="uji", case_ref=2, now=wib(2026, 11, 11, 15)).breached is False
        assert clock.state(rt, conn, case_type="uji", case_ref=2, now=wib(2026, 11, 11, 16, 30)).breached is True
        [credit] = store.credits_of(conn)
    assert (credit["letter_number"], credit["used_by_clock_id"]) == (letter, credited.clock_id)

    # Used once: the request after that has the full day again.
    again = _one_day(rt, 3, wib(2026, 11, 12, 10))
    assert (again.target, again.deadline, again.credit_id) == (1, wib(2026, 11, 13, 16, 30), None)


def test_a_same_day_promise_arriving_after_hours_or_on_a_weekend_ends_on_the_next_working_day(rt):
    for ref in (10, 11):                                          # two customers, each late once
        _one_day(rt, ref, wib(2026, 11, 2, 9), customer=f"lsp-{ref}@example.co.id")
    assert len(sweep(rt, now=wib(2026, 11, 4, 9)).letters_owed) == 2
    after_hours = _one_day(rt, 12, wib(2026, 11, 13, 17), customer="lsp-10@example.co.id")   # Fri after 16:30
    saturday = _one_day(rt, 13, wib(2026, 11, 14, 10), customer="lsp-11@example.co.id")
    assert (after_hours.target, after_hours.deadline) == (0, wib(2026, 11, 16, 16))           # Mon close
    assert (saturday.target, saturday.deadline) == (0, wib(2026, 11, 16, 16))
    assert not after_hours.breached and not saturday.breached
