"""Benchmark: the database work of one poll with nothing new, against 1,000 and 100,000 mails
of history, with the poll's indexes and without them (the schema before they were added).

    .venv/bin/python bench/poll_queries.py
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from pipelines import db  # noqa: E402
from pipelines.mail.ingest import Worker, last_recorded_uid, recorded_uids, take_moves, unfinished_mail  # noqa: E402
from pipelines.send.outbox import due_mail  # noqa: E402

POLL_INDEXES = ("ix_mail_state", "ix_mail_to_move", "ix_generated_pdf_path")


def history(engine, n: int) -> None:
    now = datetime.now(timezone.utc)
    rows = [dict(mailbox="blanko", uidvalidity=1, uid=str(i), message_id=f"<m{i}@x>", fingerprint=f"{i:064d}",
                 raw_path="", received_at=now, state="done", moved=1, attempts=1) for i in range(1, n + 1)]
    with engine.begin() as conn:
        for start in range(0, n, 5000):
            conn.execute(insert(db.mails), rows[start:start + 5000])


def one_poll(engine, me) -> None:
    with engine.connect() as conn:
        last = last_recorded_uid(conn, "blanko", 1)
        recorded_uids(conn, "blanko", 1, [str(last + i) for i in range(1, 51)])
    unfinished_mail(engine)
    take_moves(engine, "blanko", 1, me)
    due_mail(engine)
    with engine.connect() as conn:
        conn.execute(db.generated_files.select().where(db.generated_files.c.pdf_path == "")).all()


def measure(n: int, indexed: bool) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        engine = db.engine_for(f"sqlite:///{tmp}/bench.db")
        if not indexed:
            with engine.begin() as conn:
                for name in POLL_INDEXES:
                    conn.execute(text(f"DROP INDEX {name}"))
        history(engine, n)
        me = Worker.new()
        times = []
        for _ in range(7):
            started = time.perf_counter()
            one_poll(engine, me)
            times.append(time.perf_counter() - started)
        engine.dispose()
        return statistics.median(times)


if __name__ == "__main__":
    import os
    print(f"load: {os.getloadavg()}")
    for n in (1_000, 100_000):
        without, with_ = measure(n, indexed=False), measure(n, indexed=True)
        print(f"{n:>7} mails of history: one idle poll {without * 1000:.1f} ms without the poll's indexes, "
              f"{with_ * 1000:.1f} ms with them")
