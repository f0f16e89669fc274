"""The public clock API on a real SQLite database, as apps and complaints call it."""
from __future__ import annotations

import pytest

from pipelines import clock
from tests.clock.helpers import wib

CASE = {"case_type": "application", "case_ref": 7}


def test_start_pause_resume_stop_and_state(rt):
    with rt.engine.begin() as conn:
        first = clock.start(rt, conn, **CASE, service="uji_clock", leg="tinjauan",
                            at=wib(2026, 11, 19, 15), holder="Seksi PJT")
        assert clock.start(rt, conn, **CASE, service="uji_clock", leg="tinjauan") == first
        assert clock.pause(rt, conn, **CASE, leg="tinjauan", reason="menunggu_kelengkapan",
                           at=wib(2026, 11, 19, 15, 30))
        assert not clock.pause(rt, conn, **CASE, leg="tinjauan", reason="menunggu_kelengkapan")
        with pytest.raises(clock.ClockError, match="tidak diizinkan"):
            clock.pause(rt, conn, **CASE, leg="tinjauan", reason="libur_petugas")
    with rt.engine.connect() as conn:
        waiting = clock.state(rt, conn, **CASE, leg="tinjauan", now=wib(2026, 11, 20, 9))
    assert waiting.state == "dijeda" and waiting.pause_reason == "menunggu_kelengkapan"
    assert waiting.used == pytest.approx(30) and not waiting.breached
    with rt.engine.begin() as conn:
        assert clock.resume(rt, conn, **CASE, leg="tinjauan", at=wib(2026, 11, 23, 10), holder="Seksi SS")
        running = clock.state(rt, conn, **CASE, leg="tinjauan", now=wib(2026, 11, 23, 11))
        assert running.deadline == wib(2026, 11, 23, 11, 30) and running.holder == "Seksi SS"
        assert running.warning and running.describe() == "sisa 30 menit kerja"
        assert clock.stop(rt, conn, **CASE, leg="tinjauan", at=wib(2026, 11, 23, 11, 45))
        assert not clock.stop(rt, conn, **CASE, leg="tinjauan")
        done = clock.state(rt, conn, **CASE, leg="tinjauan", now=wib(2026, 12, 1, 9))
    assert done.state == "selesai" and done.breached and done.used == pytest.approx(135)


def test_bulk_states_equal_single_states(rt):
    with rt.engine.begin() as conn:
        for ref in range(20):
            clock.start(rt, conn, case_type="complaint", case_ref=ref, service="uji_clock",
                        leg="rekam", at=wib(2026, 11, 20, 8 + ref % 8, 5 * ref % 60))
            if ref % 3 == 0:
                clock.pause(rt, conn, case_type="complaint", case_ref=ref, leg="rekam",
                            reason="menunggu_pembayaran", at=wib(2026, 11, 20, 16))
    now = wib(2026, 11, 23, 9)
    with rt.engine.connect() as conn:
        bulk = clock.states(rt, conn, case_type="complaint", now=now)
        single = [clock.state(rt, conn, case_type="complaint", case_ref=ref, leg="rekam", now=now)
                  for ref in range(20)]
    assert len(bulk) == 20
    assert {s.case_ref: s for s in bulk} == {s.case_ref: s for s in single}
    assert {s.state for s in bulk} == {"berjalan", "dijeda"}


def test_unknown_leg_and_service_are_clear_errors(rt):
    with rt.engine.begin() as conn:
        with pytest.raises(clock.ClockError, match="tidak ada target untuk langkah"):
            clock.start(rt, conn, **CASE, service="uji_clock", leg="audit")
        with pytest.raises(clock.ClockError, match="tidak dikenal"):
            clock.start(rt, conn, **CASE, service="tidak_ada")


def test_every_service_clock_section_parses_with_the_seed_promises(rt):
    parsed = {kind: clock.service_clock(s) for kind, s in rt.services.items() if not kind.startswith("_")}
    promises = {kind: p.promise.amount for kind, p in parsed.items() if p.promise}
    assert promises["blank_request"] == 1
    for kind, days in {"iso9001_lsbbk": 32, "sppt_sni_tipe5": 41, "sppt_sni_tipe1": 14,
                       "sertifikasi_person": 14, "bimtek": 20}.items():
        assert promises.get(kind, days) == days     # each, where the service is on main
    legs = parsed["complaint"].legs
    assert (legs["terima"].amount, legs["catat"].amount, legs["investigasi"].amount) == (60, 120, 3)
