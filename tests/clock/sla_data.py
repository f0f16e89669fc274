"""A week of clocks with known outcomes (week of Mon 16 Nov 2026), for the SLA report tests."""
from __future__ import annotations

from pipelines import clock
from tests.clock.helpers import wib

# (case_ref, start, pause (at, resume, reason) or None, stop, late?)
BLANK = [
    ("b1", wib(2026, 11, 16, 9), None, wib(2026, 11, 17, 10), False),
    ("b2", wib(2026, 11, 16, 9), None, wib(2026, 11, 17, 15), False),
    ("b3", wib(2026, 11, 16, 9), None, wib(2026, 11, 19, 10), True),     # due Tue 17 16:00
    ("b4", wib(2026, 11, 16, 9), (wib(2026, 11, 16, 10), wib(2026, 11, 18, 9)), wib(2026, 11, 18, 15), False),
]
# Complaint step "terima" (60 working minutes)
RECEIVE = [("c1", wib(2026, 11, 16, 8), wib(2026, 11, 16, 8, 30)), ("c2", wib(2026, 11, 16, 8), wib(2026, 11, 16, 10))]
# Working days used: b1 150/450, b2 390/450, b3 2 + 150/450, b4 (390 - 90)/450
BLANK_MEDIAN = ((390 - 90) / 450 + 390 / 450) / 2
PAUSED_KELENGKAPAN = 120 + 180 + 450 + 90     # Mon 10:00 -> Wed 09:00 in office minutes


def record_week(rt) -> None:
    with rt.engine.begin() as conn:
        for ref, start, pause, stop, _late in BLANK:
            clock.start(rt, conn, case_type="uji", case_ref=ref, service="blank_request", at=start,
                        holder="petugas1")
            if pause:
                clock.pause(rt, conn, case_type="uji", case_ref=ref, reason="kelengkapan", at=pause[0])
                clock.resume(rt, conn, case_type="uji", case_ref=ref, at=pause[1])
            clock.stop(rt, conn, case_type="uji", case_ref=ref, at=stop)
        for ref, start, stop in RECEIVE:
            clock.start(rt, conn, case_type="uji", case_ref=ref, service="complaint", leg="terima", at=start,
                        holder="cs1")
            clock.stop(rt, conn, case_type="uji", case_ref=ref, leg="terima", at=stop)
