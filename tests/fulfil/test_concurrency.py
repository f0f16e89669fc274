"""Several approvals at the same moment, from separate processes with their own engines on
one SQLite file: no serial is given twice, each dossier gets exactly its number."""
from __future__ import annotations

import multiprocessing as mp

from sqlalchemy import select

from pipelines.fulfil import blanks
from pipelines.fulfil.models import blank_allocations

from .helpers import make_dossier, make_runtime

WORKERS = 6


def _approve_in_own_process(tmp: str, number: str, barrier, results) -> None:
    from pipelines import db
    from pipelines.decide.approval import approve
    from tests.fulfil.helpers import make_runtime as _make

    db.engine_for.cache_clear()        # forked: never touch the parent's engine or connections
    rt = _make(tmp)
    rt.engine  # own engine and connections, made before the start line
    barrier.wait(timeout=60)
    try:
        approve(rt, number, "Kepala Subbagian", f"pejabat-{number}")
        results.put((number, "ok"))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put((number, f"{type(exc).__name__}: {exc}"))


def test_parallel_approvals_never_share_a_serial(tmp_path):
    rt = make_runtime(tmp_path)
    with rt.engine.begin() as conn:   # fragmented stock: several runs of different sizes
        for first, last in [(1, 12), (20, 27), (40, 70), (100, 104), (200, 260)]:
            blanks.add_stock(conn, first, last, actor="admin")
    wanted = [7, 12, 5, 20, 9, 14][:WORKERS]
    dossiers = [make_dossier(rt, {f"Skema {i}": (n, 1)}) for i, n in enumerate(wanted)]

    # fork: separate processes without paying ~1.5 s of imports each (spawn works the same,
    # only slower on 2 cores).
    ctx = mp.get_context("fork")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=_approve_in_own_process, args=(str(tmp_path), d["number"], barrier, results))
             for d in dossiers]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        assert p.exitcode == 0
    outcomes = dict(results.get(timeout=5) for _ in procs)
    assert outcomes == {d["number"]: "ok" for d in dossiers}

    with rt.engine.connect() as conn:
        ranges = conn.execute(select(blank_allocations)).mappings().all()
        given: list[int] = []
        for r in ranges:
            given.extend(range(r["first_serial"], r["last_serial"] + 1))
        assert len(given) == len(set(given)) == sum(wanted)          # nobody shares a serial
        for d, n in zip(dossiers, wanted):
            assert len(blanks.allocated_serials(conn, d["id"])) == n  # exactly the approved number
        assert blanks.stock_report(conn, 0).available == 12 + 8 + 31 + 5 + 61 - sum(wanted)
