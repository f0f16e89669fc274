"""Benchmark: the service clock's cost on the mail path, per new blank-request dossier.

For each of N dossiers (default 3,000), on a real SQLite database and in the transactions the
mail path uses: `clock.dossiers.opened` (the clock starts when the request arrives, in
`_open_dossier`), then `clock.dossiers.status_changed` to the status the check decided (in
`_work_on_dossier`'s last transaction; it returns the due date stored on the dossier). The
arrival moments are spread over 2026 at random (office hours, evenings, weekends, holidays);
the check follows minutes to days later. Mixes, each on fresh dossiers:
- complete: every request complete (menunggu_persetujuan: the clock keeps running), mailed to
  a mailbox of no particular office, as in bench/ingest.py;
- incomplete: every request waiting for the LSP (menunggu_kelengkapan: the clock pauses), then
  the corrected mail moves it on (perlu_pemeriksaan: it resumes);
- office: complete, mailed to the first office's mailbox (data/offices.yaml): its clock counts
  in that office's hours.

Printed: CPU microseconds a dossier inside those calls (begin/commit not counted: the mail path
has those transactions anyway) and SQL statements a dossier.

    .venv/bin/python bench/clock_mail_path.py [N]
"""
from __future__ import annotations

import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from pipelines.clock import dossiers  # noqa: E402
from pipelines.config import Settings  # noqa: E402
from pipelines.offices import offices  # noqa: E402
from pipelines.runtime import Runtime  # noqa: E402

KIND = "blank_request"
COMPLETE, INCOMPLETE = ["menunggu_persetujuan"], ["menunggu_kelengkapan", "perlu_pemeriksaan"]


def arrivals(n: int, seed: int) -> list[datetime]:
    rng = random.Random(seed)
    year = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [year + timedelta(seconds=rng.randint(0, 364 * 86400)) for _ in range(n)]


def run(rt, first_id: int, mailbox: str, statuses: list[str], moments: list[datetime]) -> float:
    """CPU seconds spent in the clock calls for len(moments) new dossiers."""
    rng = random.Random(first_id)
    spent = 0.0
    for i, at in enumerate(moments):
        dossier = {"id": first_id + i, "kind": KIND, "received_at": at, "sender": "lsp@bench.example.id"}
        with rt.engine.begin() as conn:
            c = time.process_time()
            dossiers.opened(rt, conn, dossier["id"], KIND, at, dossier["sender"], mailbox)
            spent += time.process_time() - c
        for status in statuses:
            at += timedelta(minutes=rng.randint(1, 3 * 1440))
            with rt.engine.begin() as conn:
                c = time.process_time()
                due = dossiers.status_changed(rt, conn, dossier, status, at)
                spent += time.process_time() - c
            assert due is not None
    return spent


def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rt = Runtime(Settings(outputs_dir=Path(tmp)))
        statements = [0]
        def count(conn, cursor, statement, *rest):
            statements[0] += not statement.startswith("BEGIN")   # the transactions are the mail path's
        event.listen(rt.engine, "before_cursor_execute", count)
        mixes = {"complete": ("blanko", COMPLETE), "incomplete": ("blanko", INCOMPLETE),
                 "office": (offices(rt)[0].mailboxes[0], COMPLETE)}
        run(rt, 10_000_000, "blanko", COMPLETE, arrivals(50, 1))     # warm caches and tables
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"load average {load} on {os.cpu_count()} cores; {n} new dossiers a mix")
        first = 1
        for name, (mailbox, statuses) in mixes.items():
            statements[0] = 0
            spent = run(rt, first, mailbox, statuses, arrivals(n, first))
            first += n
            print(f"  {name:10s} {spent / n * 1e6:7.0f} us CPU a dossier, "
                  f"{statements[0] / n:.1f} SQL statements a dossier "
                  f"(opened + {len(statuses)} status change{'s' if len(statuses) > 1 else ''})")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
