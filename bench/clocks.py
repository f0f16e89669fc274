"""Benchmark: the state of N open service clocks (queue and dashboard) vs the plain loop.

N clocks (default 100,000) in a real SQLite database: 70% working-day promises (1-41 days),
30% working-minute legs (15-480 minutes), a third of them paused once (and half of those
resumed), started over the last 60 days. Printed, in the same run on the same clocks:
- engine, arrays only: deadlines, used/left, breach and warning of every clock from the loaded
  logs (pipelines.clock.engine.compute);
- engine, as the desk calls it: the same plus one ClockState per clock (compute_states);
- engine, from the database: one query for every open clock and its events, then the above
  (pipelines.clock.states);
- one clock at a time, as a dossier page or the applications' intake asks (pipelines.clock.state),
  for the first 1,000 clocks: per clock;
- baseline: the plain working-day loop (WorkingCalendar.add_working_days per clock, the due
  date as the blank request computed it before), on the same starts and day counts, with no
  pauses and no office hours (it cannot do either).

    .venv/bin/python bench/clocks.py [N]
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from pipelines import clock, db  # noqa: E402
from pipelines.clock import store  # noqa: E402
from pipelines.clock.clocks import compute_states  # noqa: E402
from pipelines.clock.engine import DAYS, MINUTES, ClockLogs, compute  # noqa: E402
from pipelines.clock.models import clock_events, clocks  # noqa: E402
from pipelines.clock.worktime import epoch, worktime_for  # noqa: E402
from pipelines.config import Settings  # noqa: E402
from pipelines.runtime import Runtime  # noqa: E402


def populate(rt, n: int, now) -> None:
    rng = random.Random(10)
    clock_rows, event_rows = [], []
    for i in range(1, n + 1):
        start = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
        in_days = rng.random() < 0.7
        clock_rows.append({"id": i, "case_type": "bench", "case_ref": str(i), "leg": "", "service": "blank_request",
                           "office": "pusat", "target": rng.randint(1, 41) if in_days else rng.choice([15, 30, 60, 120, 480]),
                           "unit": DAYS if in_days else MINUTES, "warn_at": 0.75, "customer": "", "holder": "petugas",
                           "opened_at": start, "seen_calendar": ""})
        event_rows.append({"clock_id": i, "kind": "started", "at": start, "reason": "", "actor": "bench", "note": ""})
        if i % 3 == 0:
            paused = start + (now - start) * rng.random()
            event_rows.append({"clock_id": i, "kind": "paused", "at": paused, "reason": "kelengkapan",
                               "actor": "bench", "note": ""})
            if i % 2 == 0:
                event_rows.append({"clock_id": i, "kind": "resumed", "at": paused + (now - paused) * rng.random(),
                                   "reason": "", "actor": "bench", "note": ""})
    with rt.engine.begin() as conn:
        conn.execute(insert(clocks), clock_rows)
        conn.execute(insert(clock_events), event_rows)


def best(fn, repeat=3):
    """Fastest of `repeat` runs: (wall s, CPU s of this process, result). On a busy machine
    the CPU time is the steadier figure."""
    times, cpu, result = [], [], None
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    return min(times), min(cpu), result


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(Settings(outputs_dir=Path(tmp)))
        now = db.now()
        populate(rt, n, now)
        wt = worktime_for(rt.calendar)           # tables built once per calendar (cached)
        with rt.engine.connect() as conn:
            logs = store.load_logs(conn, open_only=True)
        rows, ev_clock, ev_kind, ev_at, ev_reason = logs
        arrays = ClockLogs(np.array([r[store.COLUMN["target"]] for r in rows], dtype=float),
                           np.array([r[store.COLUMN["unit"]] == DAYS for r in rows]), ev_clock, ev_kind, ev_at)
        (t_arrays, c_arrays, s) = best(lambda: compute(wt, arrays, epoch(now)))
        (t_states, c_states, states) = best(lambda: compute_states(rt, *logs, now=now))

        def from_db():
            with rt.engine.connect() as conn:
                return clock.states(rt, conn, open_only=True, now=now)
        (t_db, c_db, from_database) = best(from_db, repeat=2)

        one_by_one = min(1000, n)

        def each_alone():
            with rt.engine.connect() as conn:
                return [clock.state(rt, conn, case_type="bench", case_ref=i, now=now) for i in range(1, one_by_one + 1)]
        (t_one, c_one, alone) = best(each_alone, repeat=2)

        cal = rt.calendar
        starts = [cal.local_date(st.started_at) for st in states]
        target, unit = store.COLUMN["target"], store.COLUMN["unit"]
        days = [int(r[target]) if r[unit] == DAYS else 1 for r in rows]
        today = cal.local_date(now)

        def plain_loop():
            return [cal.add_working_days(d, k) < today for d, k in zip(starts, days)]
        (t_loop, c_loop, _) = best(plain_loop, repeat=2)

        assert len(from_database) == len(states) == n
        assert alone == states[:one_by_one]
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average {load} on {os.cpu_count()} cores (timings mean little above ~1 per core)")
        print(f"{n} open clocks ({int(s.paused.sum())} paused, {int(s.breached.sum())} late, "
              f"{sum(st.warning for st in states)} near their deadline)")
        print("                                          wall ms    CPU ms")
        for label, wall, cpu in (("engine, arrays only", t_arrays, c_arrays),
                                 ("engine, with ClockState per clock", t_states, c_states),
                                 ("engine, from the database (one query)", t_db, c_db),
                                 ("baseline: plain working-day loop", t_loop, c_loop)):
            print(f"  {label:38s} {wall * 1000:8.1f}  {cpu * 1000:8.1f}")
        print(f"  {'one clock alone (clock.state), each':38s} {t_one / one_by_one * 1000:8.3f}  "
              f"{c_one / one_by_one * 1000:8.3f}")
        print("  (the baseline has no pauses and no office hours)")

if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
