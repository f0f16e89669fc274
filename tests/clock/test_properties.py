"""Properties of the clock over random starts, targets and pauses (hypothesis)."""
from __future__ import annotations

from datetime import datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.clock.helpers import CALENDAR, DAYS, MINUTES, WIB, run

moments = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1)).map(
    lambda d: d.replace(second=0, microsecond=0, tzinfo=WIB))
units = st.sampled_from([DAYS, MINUTES])


def targets(unit):
    return st.integers(1, 45) if unit == DAYS else st.integers(1, 3000)


@settings(max_examples=300, deadline=None)
@given(start=moments, days=st.integers(1, 45))
def test_a_clock_without_pauses_matches_the_plain_working_day_count(start, days):
    due = run(days, DAYS, [("started", start)], start)[0]
    assert due.date() == CALENDAR.add_working_days(start.date(), days)
    closing = CALENDAR.office.hours[due.weekday()][-1][1]
    assert due.time() == time(closing // 60, closing % 60)


@settings(max_examples=300, deadline=None)
@given(data=st.data(), unit=units, start=moments,
       pause_at=st.integers(0, 60 * 24 * 40), pause_for=st.integers(1, 60 * 24 * 20),
       look=st.integers(0, 60 * 24 * 80))
def test_adding_a_pause_never_makes_the_deadline_earlier(data, unit, start, pause_at, pause_for, look):
    target = data.draw(targets(unit))
    paused = start + timedelta(minutes=pause_at)
    resumed = paused + timedelta(minutes=pause_for)
    now = start + timedelta(minutes=look)
    plain = run(target, unit, [("started", start)], now)[0]
    events = [("started", start), ("paused", paused)]
    if resumed <= now:
        events.append(("resumed", resumed))
    if paused > now:
        events = [("started", start)]
    assert run(target, unit, events, now)[0] >= plain


@settings(max_examples=200, deadline=None)
@given(unit=units, start=moments, data=st.data())
def test_used_time_never_exceeds_elapsed_office_time(unit, start, data):
    target = data.draw(targets(unit))
    now = start + timedelta(minutes=data.draw(st.integers(0, 60 * 24 * 30)))
    due, used, breached = run(target, unit, [("started", start)], now)
    assert used >= 0
    assert breached == (due < now)
