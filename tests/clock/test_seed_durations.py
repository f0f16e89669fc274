"""Every duration the source documents promise, from start moments around weekends, national
holidays and cuti bersama (office hours Mon-Thu 07:30-16:00, Fri 07:30-16:30, breaks 12:00-13:00
and Fri 11:30-13:00). Expected deadlines are counted by hand on the 2026/2027 calendar."""
from __future__ import annotations

import pytest

from tests.clock.helpers import DAYS, MINUTES, deadline, run, wib

CASES = [
    # seed 004: blank request, "paling lambat 1 (satu) hari kerja"
    ("004 blanko, Jumat -> Senin", 1, DAYS, wib(2026, 11, 20, 10), wib(2026, 11, 23, 16)),
    ("004 blanko, sebelum cuti bersama Natal", 1, DAYS, wib(2026, 12, 23, 9), wib(2026, 12, 28, 16)),
    ("004 blanko, sebelum Nyepi dan Idul Fitri 2026", 1, DAYS, wib(2026, 3, 17, 14), wib(2026, 3, 25, 16)),
    ("004 blanko, diterima Sabtu", 1, DAYS, wib(2026, 11, 21, 9), wib(2026, 11, 23, 16)),
    # seed 003: complaints and appeals
    ("003 terima keluhan 60 menit, Jumat sore", 60, MINUTES, wib(2026, 11, 20, 16), wib(2026, 11, 23, 8)),
    ("003 rekam keluhan 120 menit, Jumat 15:30", 120, MINUTES, wib(2026, 11, 20, 15, 30), wib(2026, 11, 23, 8, 30)),
    ("003 rekam 120 menit, sebelum cuti Natal", 120, MINUTES, wib(2026, 12, 23, 15), wib(2026, 12, 28, 8, 30)),
    ("003 rekam 120 menit melewati istirahat", 120, MINUTES, wib(2026, 11, 23, 11), wib(2026, 11, 23, 14)),
    ("003 rekam 120 menit melewati istirahat Jumat", 120, MINUTES, wib(2026, 11, 27, 11), wib(2026, 11, 27, 14, 30)),
    ("003 penyelidikan 3 hari, sebelum HUT RI", 3, DAYS, wib(2026, 8, 14, 10), wib(2026, 8, 20, 16)),
    ("003 bentuk tim banding 1 hari, Kenaikan + cuti", 1, DAYS, wib(2026, 5, 13, 10), wib(2026, 5, 18, 16)),
    ("003 keputusan banding 1 hari, Jumat", 1, DAYS, wib(2026, 11, 27, 15), wib(2026, 11, 30, 16)),
    # seed 001: per-step times of the Palembang SOP
    ("001 disposisi 15 menit melewati istirahat", 15, MINUTES, wib(2026, 11, 23, 11, 50), wib(2026, 11, 23, 13, 5)),
    ("001 periksa kelengkapan 2 jam, Kamis sore", 120, MINUTES, wib(2026, 11, 26, 15), wib(2026, 11, 27, 8, 30)),
    ("001 verifikasi 2 jam, Jumat 15:00", 120, MINUTES, wib(2026, 11, 27, 15), wib(2026, 11, 30, 8)),
    ("001 informasi pelanggan 30 menit, Jumat 16:15", 30, MINUTES, wib(2026, 11, 27, 16, 15), wib(2026, 11, 30, 7, 45)),
    ("001 surat audit/e-billing 1 jam, Jumat 11:00", 60, MINUTES, wib(2026, 11, 27, 11), wib(2026, 11, 27, 13, 30)),
    ("001 konfirmasi bayar 1 hari, sebelum Tahun Baru", 1, DAYS, wib(2026, 12, 31, 10), wib(2027, 1, 4, 16)),
    ("001 siap diaudit 15 menit, Kamis 15:50", 15, MINUTES, wib(2026, 11, 26, 15, 50), wib(2026, 11, 27, 7, 35)),
    ("001 tanda tangan 1 jam, sebelum Isra Mikraj 2027", 60, MINUTES, wib(2027, 1, 4, 15, 30), wib(2027, 1, 6, 8)),
    ("001 serah sertifikat 1 jam", 60, MINUTES, wib(2026, 11, 24, 8), wib(2026, 11, 24, 9)),
    # seeds 000, 001, 002: whole-service promises
    ("000 ISO 9001 LS BBK 32 hari", 32, DAYS, wib(2026, 11, 20, 10), wib(2027, 1, 11, 16)),
    ("001/002 SPPT SNI tipe 5 41 hari", 41, DAYS, wib(2026, 11, 20, 10), wib(2027, 1, 22, 16, 30)),
    ("002 produk tipe 1 14 hari, Kenaikan + Idul Adha", 14, DAYS, wib(2026, 5, 11, 9), wib(2026, 6, 5, 16, 30)),
    ("002 sertifikasi person 14 hari, Natal + Isra Mikraj", 14, DAYS, wib(2026, 12, 18, 9), wib(2027, 1, 13, 16)),
    ("002 bimtek 20 hari, Nyepi + Idul Fitri + Jumat Agung 2027", 20, DAYS, wib(2027, 3, 1, 9), wib(2027, 4, 8, 16)),
]


@pytest.mark.parametrize("label,target,unit,start,expected", CASES, ids=[c[0] for c in CASES])
def test_seed_duration(label, target, unit, start, expected):
    assert deadline(target, unit, start) == expected


def test_pause_over_a_weekend_costs_only_the_working_time_paused():
    # Seed 003 record step (120 min) starts Thu 15:00; the office waits on the client from
    # Thu 15:30 to Mon 10:00: 30 min used, 90 left from Mon 10:00.
    start = wib(2026, 11, 19, 15)
    events = [("started", start), ("paused", wib(2026, 11, 19, 15, 30)), ("resumed", wib(2026, 11, 23, 10))]
    due, used, breached = run(120, MINUTES, events, wib(2026, 11, 23, 10))
    assert due == wib(2026, 11, 23, 11, 30) and used == pytest.approx(30) and not breached


def test_pause_from_friday_close_to_monday_opening_costs_nothing():
    start = wib(2026, 11, 2, 9)
    events = [("started", start), ("paused", wib(2026, 11, 6, 16, 30)), ("resumed", wib(2026, 11, 9, 7, 30))]
    assert run(14, DAYS, events, wib(2026, 11, 9, 8))[0] == deadline(14, DAYS, start) == wib(2026, 11, 20, 16, 30)


def test_person_certification_paused_for_the_participant_quota_over_a_weekend():
    # 14 days from Mon 2 Nov 2026 (plain: Fri 20 Nov). Paused Fri 6 Nov 12:00 -> Tue 10 Nov 12:00:
    # 210/450 of Friday + Monday + 270/450 of Tuesday = 2.07 working days: Wed 25 Nov.
    events = [("started", wib(2026, 11, 2, 9)), ("paused", wib(2026, 11, 6, 12)),
              ("resumed", wib(2026, 11, 10, 12))]
    due, used, _ = run(14, DAYS, events, wib(2026, 11, 10, 12))
    assert due == wib(2026, 11, 25, 16)
    # used: Tue 3 .. Fri 6 11:30 = 3 days + 240/450 of Friday
    assert used == pytest.approx(3 + 240 / 450)


def test_while_paused_the_deadline_moves_and_a_late_clock_is_breached():
    start = wib(2026, 11, 23, 8)
    paused = [("started", start), ("paused", wib(2026, 11, 23, 9))]
    assert run(120, MINUTES, paused, wib(2026, 11, 23, 9))[0] == wib(2026, 11, 23, 10)
    assert run(120, MINUTES, paused, wib(2026, 11, 24, 9))[0] == wib(2026, 11, 24, 10)
    due, used, breached = run(120, MINUTES, [("started", start)], wib(2026, 11, 23, 11))
    assert (due, used, breached) == (wib(2026, 11, 23, 10), 180, True)
    stopped = [("started", start), ("stopped", wib(2026, 11, 23, 9, 59))]
    assert run(120, MINUTES, stopped, wib(2026, 11, 30, 9))[2] is False
