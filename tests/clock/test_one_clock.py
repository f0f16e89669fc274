"""The mail path computes its one clock a mail in plain floats (WorkTime.one, engine.compute_one,
clocks.pause_or_resume reading one log and adding to it in memory); the desk and the sweep
compute thousands with arrays. Both must give the same numbers: these compare them over
generated moments and logs (hypothesis), in two offices with different hours, zones and days off,
for every target the services use."""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from itertools import count

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from pipelines import clock
from pipelines.calendar import WorkingCalendar
from pipelines.clock import clocks
from pipelines.clock.engine import DAYS, KIND_CODES, PAUSED, RESUMED, STARTED, STOPPED, ClockLogs, compute, compute_one
from pipelines.clock.worktime import epoch, worktime_for
from pipelines.config import PROJECT_ROOT, Settings
from pipelines.runtime import Runtime
from pipelines.services import load_services

# The clocks of every service: whole-service promises and legs, in days and in minutes; and the
# 0-day promise a compensation credit leaves of a 1-day one.
TARGETS = sorted({(t.amount, t.unit) for s in load_services(PROJECT_ROOT / "services").values()
                  for c in [clock.service_clock(s)] for t in [c.promise, *c.legs.values()] if t} | {(0.0, DAYS)})

FIRST = datetime(2025, 1, 1, tzinfo=timezone.utc)
LAST = datetime(2027, 11, 1, tzinfo=timezone.utc)
# Whole minutes hit opening and closing times; milliseconds are what a log read gives.
moments = st.one_of(st.integers(0, int((LAST - FIRST).total_seconds()) // 60).map(lambda m: epoch(FIRST) + m * 60.0),
                    st.integers(0, int((LAST - FIRST).total_seconds() * 1000)).map(lambda ms: epoch(FIRST) + ms / 1000))


@pytest.fixture(scope="module")
def calendars(tmp_path_factory):
    """The project's calendar and a second office: another zone, a Saturday, a local day off."""
    data = yaml.safe_load((PROJECT_ROOT / "data" / "calendar.yaml").read_text(encoding="utf-8"))
    data["offices"]["makassar"] = {"name": "Kantor Makassar", "timezone": "Asia/Makassar", "hours": {
        **{day: ["08:00-12:00", "13:00-16:30"] for day in ("mon", "tue", "wed", "thu")},
        "fri": ["08:00-11:00", "13:30-16:30"], "sat": ["08:00-12:00"]}}
    data["days_off"] = [{"date": "2026-05-13", "name": "Hari Jadi Kota", "basis": "Keputusan Wali Kota (uji)",
                         "offices": ["makassar"]}]
    path = tmp_path_factory.mktemp("calendar") / "calendar.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return [WorkingCalendar(path), WorkingCalendar(path, "makassar")]


@settings(max_examples=150, deadline=None)
@given(office=st.integers(0, 1), at=st.lists(moments, min_size=1, max_size=40),
       share=st.lists(st.floats(0, 1), min_size=1, max_size=40))
def test_one_moment_maps_give_the_arrays_numbers(calendars, office, at, share):
    wt = worktime_for(calendars[office])
    for name in ("minutes_at", "days_at", "days_counted_through", "first_close_after"):
        assert [getattr(wt.one, name)(t) for t in at] == getattr(wt, name)(np.array(at)).tolist(), name
    # Values on the scales: anywhere, and whole ones (the edges of days).
    minutes = [wt.minutes_through[-1] * s for s in share] + [float(round(v)) for v in wt.minutes_at(np.array(at))]
    assert [wt.one.moment_at_minute(v) for v in minutes] == wt.moment_at_minute(np.array(minutes)).tolist()
    days = [wt.days_through[-1] * s for s in share] + [float(round(v)) for v in wt.days_at(np.array(at))]
    assert [wt.one.close_of_day_at(v) for v in days] == wt.close_of_day_at(np.array(days)).tolist()


@st.composite
def logs(draw):
    """A clock's log: started, pauses and resumptions (some at the same moment), maybe stopped;
    and the moment it is looked at (at or after its last event)."""
    at = draw(moments)
    log = [(KIND_CODES[STARTED], at)]
    for kind in draw(st.lists(st.sampled_from([PAUSED, RESUMED]), max_size=6)):
        at += draw(st.sampled_from([0, 1, 60, 3600])) * draw(st.integers(0, 24 * 20))
        log.append((KIND_CODES[kind], at))
    if draw(st.booleans()):
        at += draw(st.integers(0, 86400 * 30))
        log.append((KIND_CODES[STOPPED], at))
    return log, at + draw(st.sampled_from([0, 1, 60, 3600])) * draw(st.integers(0, 24 * 40))


@settings(max_examples=300, deadline=None)
@given(office=st.integers(0, 1), clocks_=st.lists(st.tuples(st.sampled_from(TARGETS), logs()), min_size=1, max_size=6))
def test_one_clock_gives_the_bulk_computations_numbers(calendars, office, clocks_):
    """Several clocks computed together with arrays; each alone in floats: the same fields."""
    wt = worktime_for(calendars[office])
    now = max(now for _, (_, now) in clocks_)
    bulk = compute(wt, ClockLogs(
        target=np.array([amount for (amount, _), _ in clocks_]),
        in_days=np.array([unit == DAYS for (_, unit), _ in clocks_]),
        ev_clock=np.array([i for i, (_, (log, _)) in enumerate(clocks_) for _ in log], dtype=np.int64),
        ev_kind=np.array([kind for _, (log, _) in clocks_ for kind, _ in log], dtype=np.int8),
        ev_at=np.array([at for _, (log, _) in clocks_ for _, at in log])), now)
    for i, ((amount, unit), (log, _)) in enumerate(clocks_):
        one = compute_one(wt.one, amount, unit == DAYS, log, now)
        for field, value in one._asdict().items():
            expected = getattr(bulk, field)[i].item()
            assert value == expected or (math.isnan(value) and math.isnan(expected)), (field, value, expected)


# -- through the database: what pause_or_resume returns is what a later read computes ----------
@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def rt(request, tmp_path_factory):
    """SQLite reads moments back through julianday, PostgreSQL through extract(epoch): both must
    give the numbers of the log kept in memory."""
    url = request.getfixturevalue("postgres_cluster").create_database("one_clock") \
        if request.param == "postgresql" else ""
    return Runtime(Settings(outputs_dir=tmp_path_factory.mktemp("one_clock"), database_url=url))


CASES = count(1)
# A clock of each kind the services start: a 1-day promise, a many-day one, legs in minutes.
CLOCKS = [("blank_request", ""), ("iso9001_lsbbk", ""), ("iso9001_lsbbk", "disposisi"), ("complaint", "catat")]
micro_moments = st.integers(0, int((LAST - FIRST).total_seconds() * 1e6)).map(
    lambda us: FIRST + timedelta(microseconds=us))


@settings(max_examples=60, deadline=None)
@given(which=st.sampled_from(CLOCKS), started=micro_moments,
       changes=st.lists(st.tuples(st.booleans(), st.integers(-3_600_000_000, 86400 * 10 * 1_000_000)), max_size=6))
def test_pause_or_resume_returns_what_a_later_read_computes(rt, which, started, changes):
    """Moments with microseconds (the mail path's db.now()), a change sometimes dated before the
    last one (another worker's clock): the state computed from the log in memory equals the one
    computed afresh from the database by the bulk path."""
    service, leg = which
    reasons = list(clock.service_clock(rt.services[service]).pause_reasons)
    case_ref, at = str(next(CASES)), started
    with rt.engine.begin() as conn:
        clocks.start(rt, conn, case_type="uji", case_ref=case_ref, service=service, leg=leg, at=at)
    for pauses, step_us in changes:
        at += timedelta(microseconds=step_us)
        with rt.engine.begin() as conn:
            state = clocks.pause_or_resume(rt, conn, case_type="uji", case_ref=case_ref, leg=leg,
                                           reason=reasons[0] if pauses and reasons else "", at=at)
        with rt.engine.connect() as conn:
            assert state == clock.state(rt, conn, case_type="uji", case_ref=case_ref, leg=leg, now=at)
            assert state == clock.states(rt, conn, case_type="uji", case_refs=[case_ref], open_only=False, now=at)[0]


def test_pause_or_resume_reads_one_query_and_writes_only_the_event_it_adds(rt):
    """The mail path's status change: one SELECT for the clock and its log, and one INSERT when
    it pauses or resumes; the state it returns counts the event it just wrote."""
    started = datetime(2026, 11, 2, 2, 0, 0, 123456, tzinfo=timezone.utc)   # Monday 09:00 WIB
    with rt.engine.begin() as conn:
        clocks.start(rt, conn, case_type="uji", case_ref="sql", service="blank_request", at=started)
    seen = []
    listener = lambda conn, cursor, statement, *rest: seen.append(statement.split()[0])  # noqa: E731
    event.listen(rt.engine, "before_cursor_execute", listener)
    try:
        with rt.engine.begin() as conn:
            paused = clocks.pause_or_resume(rt, conn, case_type="uji", case_ref="sql", reason="kelengkapan",
                                            at=started + timedelta(hours=2))
            again = clocks.pause_or_resume(rt, conn, case_type="uji", case_ref="sql", reason="kelengkapan",
                                           at=started + timedelta(hours=3))
    finally:
        event.remove(rt.engine, "before_cursor_execute", listener)
    assert [s for s in seen if s != "BEGIN"] == ["SELECT", "INSERT", "SELECT"]
    assert (paused.state, paused.pause_reason, again.state) == ("dijeda", "kelengkapan", "dijeda")
    # The start day is not counted: paused on it, one working day still ends Tuesday 16:00 WIB.
    assert (paused.used, paused.deadline) == (0.0, datetime(2026, 11, 3, 9, tzinfo=timezone.utc))
