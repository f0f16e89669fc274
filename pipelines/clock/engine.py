"""From clock logs to clock states: pure computation, no database.

A log is the clock's events in order: started, then any number of paused/resumed, maybe
stopped. The clock runs from `started` and from each `resumed`; it stands still from each
`paused` and from `stopped`. Measured in the clock's unit (working minutes or working days,
see worktime.py):

- start S: the start moment on the minute scale; on the day scale, the end of the start day
  (the day a request arrives is not counted: "1 working day" from Friday ends on Monday;
  a 0-day promise, left by a credit on a 1-day one, ends when the office closes that day);
- used: working time spent running after S;
- deadline: the moment used time reaches the target. Day targets end at the closing time of
  the working day in which they are reached. While paused, the deadline shown is the one the
  clock would have if it resumed now (it moves later while the pause lasts);
- breached: the deadline passed while the clock was running (or before it was stopped).

All clocks are computed together with array operations; `ClockLogs` is the columnar input.
`compute_one` is the same computation for one clock in plain floats (the mail path's clock).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from pipelines.clock.worktime import OneMoment, WorkTime

STARTED, PAUSED, RESUMED, STOPPED = "started", "paused", "resumed", "stopped"
KIND_CODES = {STARTED: 0, PAUSED: 1, RESUMED: 2, STOPPED: 3}
MINUTES, DAYS = "working_minutes", "working_days"
_TOLERANCE_S = 0.5


@dataclass
class ClockLogs:
    """Clocks as columns. Events are grouped by clock (clock index non-decreasing) and in order
    within a clock; every clock has at least its `started` event first."""
    target: np.ndarray          # float, in the clock's unit
    in_days: np.ndarray         # bool: target in working days (else working minutes)
    ev_clock: np.ndarray        # int: clock index of each event
    ev_kind: np.ndarray         # int: KIND_CODES
    ev_at: np.ndarray           # float: UTC epoch seconds


@dataclass
class States:
    """Per clock (arrays, same order as the input)."""
    started_at: np.ndarray      # epoch s
    deadline: np.ndarray        # epoch s
    used: np.ndarray            # in the clock's unit
    left: np.ndarray            # target - used (negative when over)
    paused_minutes: np.ndarray  # working minutes spent paused
    running: np.ndarray         # bool
    paused: np.ndarray          # bool
    stopped: np.ndarray         # bool
    stopped_at: np.ndarray      # epoch s (nan when open)
    breached: np.ndarray        # bool
    share: np.ndarray           # used / target


def compute(wt: WorkTime, logs: ClockLogs, now: float) -> States:
    n = len(logs.target)
    clock, kind, at = logs.ev_clock, logs.ev_kind, logs.ev_at
    m = len(kind)
    if n == 0:
        empty = np.zeros(0)
        return States(empty, empty, empty, empty, empty, empty.astype(bool), empty.astype(bool),
                      empty.astype(bool), empty, empty.astype(bool), empty)
    last = np.ones(m, dtype=bool)
    last[:-1] = clock[1:] != clock[:-1]
    first = np.ones(m, dtype=bool)
    first[1:] = clock[1:] != clock[:-1]
    end_at = np.empty(m)
    end_at[:-1] = at[1:]
    end_at[last] = now

    last_kind = np.empty(n, dtype=kind.dtype)
    last_kind[clock[last]] = kind[last]
    started_at = np.empty(n)
    started_at[clock[first]] = at[first]
    stopped = last_kind == KIND_CODES[STOPPED]
    paused = last_kind == KIND_CODES[PAUSED]
    stopped_at = np.full(n, np.nan)
    stopped_at[clock[last]] = np.where(kind[last] == KIND_CODES[STOPPED], at[last], np.nan)

    in_days = logs.in_days
    start = np.where(in_days, wt.days_counted_through(started_at), wt.minutes_at(started_at))

    def scale(epoch_s, clocks):
        return np.maximum(np.where(in_days[clocks], wt.days_at(epoch_s), wt.minutes_at(epoch_s)), start[clocks])

    segment = ~(last & (kind == KIND_CODES[STOPPED]))
    is_running = segment & ((kind == KIND_CODES[STARTED]) | (kind == KIND_CODES[RESUMED]))
    is_paused = segment & (kind == KIND_CODES[PAUSED])
    o_start, o_end = scale(at, clock), scale(end_at, clock)
    length = o_end - o_start
    used = np.bincount(clock, weights=np.where(is_running, length, 0.0), minlength=n)
    minutes = wt.minutes_at(end_at) - wt.minutes_at(at)
    paused_minutes = np.bincount(clock, weights=np.where(is_paused, minutes, 0.0), minlength=n)

    # Where the clock last ran: now (running), the pause's start (paused), the stop (stopped).
    ref_t = np.full(n, -np.inf)
    ref_o = np.full(n, -np.inf)
    np.maximum.at(ref_t, clock[is_running], end_at[is_running])
    np.maximum.at(ref_o, clock[is_running], o_end[is_running])

    target = logs.target
    due_o = ref_o + target - used

    # A day promise never ends before the office closes on its start day (a promise shortened
    # to 0 days by a credit ends when the office closes on the day it arrived, or the next
    # working day when it arrived after hours).
    same_day = wt.first_close_after(started_at[in_days]) if in_days.any() else None

    def moment(value):
        out = np.empty(n)
        if in_days.any():
            out[in_days] = np.maximum(wt.close_of_day_at(value[in_days]), same_day)
        if (~in_days).any():
            out[~in_days] = wt.moment_at_minute(value[~in_days])
        return out

    due_running = moment(due_o)
    breached = due_running < ref_t - _TOLERANCE_S
    now_o = scale(np.full(n, now), np.arange(n))
    waiting = paused & ~breached
    deadline = due_running
    if waiting.any():
        deadline = np.where(waiting, moment(np.where(waiting, now_o + target - used, due_o)), due_running)
    return States(started_at=started_at, deadline=deadline, used=used, left=target - used,
                  paused_minutes=paused_minutes, running=~paused & ~stopped, paused=paused,
                  stopped=stopped, stopped_at=stopped_at, breached=breached,
                  share=np.divide(used, target, out=np.ones(n), where=target > 0))


class State(NamedTuple):
    """One clock's `States` (the same fields, as Python numbers)."""
    started_at: float
    deadline: float
    used: float
    left: float
    paused_minutes: float
    running: bool
    paused: bool
    stopped: bool
    stopped_at: float
    breached: bool
    share: float


def compute_one(wt: OneMoment, target: float, in_days: bool, log: list[tuple], now: float) -> State:
    """`compute` for one clock whose log is (kind code, epoch s, ...) entries in order, started
    first: the same steps on Python floats, so the same numbers (tests/clock/test_one_clock.py
    compares them over generated logs). For one clock, numpy's cost per call is most of the work."""
    started_at, last_kind, last_at = log[0][1], log[-1][0], log[-1][1]
    stopped, paused = last_kind == KIND_CODES[STOPPED], last_kind == KIND_CODES[PAUSED]
    start = wt.days_counted_through(started_at) if in_days else wt.minutes_at(started_at)
    on_scale = wt.days_at if in_days else wt.minutes_at

    def scale(epoch_s):
        return max(on_scale(epoch_s), start)

    used = paused_minutes = 0.0
    ref_t = ref_o = -math.inf
    for i, (kind, at, *_) in enumerate(log):
        if i == len(log) - 1 and stopped:
            break
        end_at = log[i + 1][1] if i + 1 < len(log) else now
        if kind in (KIND_CODES[STARTED], KIND_CODES[RESUMED]):
            o_end = scale(end_at)
            used += o_end - scale(at)
            ref_t, ref_o = max(ref_t, end_at), max(ref_o, o_end)
        elif kind == KIND_CODES[PAUSED]:
            paused_minutes += wt.minutes_at(end_at) - wt.minutes_at(at)

    same_day = wt.first_close_after(started_at) if in_days else None

    def moment(value):
        return max(wt.close_of_day_at(value), same_day) if in_days else wt.moment_at_minute(value)

    deadline = moment(ref_o + target - used)
    breached = deadline < ref_t - _TOLERANCE_S
    if paused and not breached:
        deadline = moment(scale(now) + target - used)
    return State(started_at=started_at, deadline=deadline, used=used, left=target - used,
                 paused_minutes=paused_minutes, running=not paused and not stopped, paused=paused,
                 stopped=stopped, stopped_at=last_at if stopped else math.nan, breached=breached,
                 share=used / target if target > 0 else 1.0)
