"""Where a mail thread's time goes: N generated blank requests in a real Dovecot through
`poll.run_once` (no Prefect), printing per mail the mail threads' wall time in process_mail,
their own CPU, and the waits inside it: for the reader workers' result, for the render worker
and for this process's SQLite write turn. Also how many of the 2 cores the whole tree kept busy.

Measured on 2 cores (1 December): the pass is bound by this process's own CPU, not by these
waits. Two more chains of mail (each sender's mails split in two) left it unchanged; 2 ms of
CPU added to each mail here lengthened 1,000 mails by ~2 s, the same 2 ms added in the reader
workers by ~0.5 s.

    .venv/bin/python bench/mail_thread_waits.py [N]     (default 1000)
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import Future
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def timed(owner, name: str, label: str, waits: Counter, lock: threading.Lock, only_mail_threads=False):
    """Replace owner.name by a wrapper adding its wall time to waits[label]."""
    original = getattr(owner, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            if not only_mail_threads or threading.current_thread().name.startswith("mail"):
                with lock:
                    waits[label] += time.perf_counter() - started
    setattr(owner, name, wrapper)


def main(n: int) -> None:
    from bench.ingest import generate, write_config
    from pipelines import db, poll
    from pipelines.runtime import Runtime
    from pipelines.write import dossier
    from tests.servers import DovecotServer

    waits, lock = Counter(), threading.Lock()
    timed(Future, "result", "waiting for the reader workers", waits, lock, only_mail_threads=True)
    timed(dossier._RenderWorkers, "call", "waiting for the render worker", waits, lock)
    timed(db._WriteTurn, "take", "waiting for the write turn", waits, lock)
    process_mail = poll.process_mail

    def measured(*args, **kwargs):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return process_mail(*args, **kwargs)
        finally:
            with lock:
                waits["process_mail (wall)"] += time.perf_counter() - started
                waits["its own CPU"] += time.thread_time() - cpu
    poll.process_mail = measured

    raws = generate(n)
    with DovecotServer() as dovecot, tempfile.TemporaryDirectory() as tmp:
        account = dovecot.new_account("blanko@bnsp.example.go.id")
        config = write_config(Path(tmp), account, pdf=False)
        account.append_many(raws)
        rt = Runtime.load(str(config))
        usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
        started = time.perf_counter()
        result = poll.run_once(rt)
        wall = time.perf_counter() - started
        cpu = sum(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
                  for before, after in zip(usage, (resource.getrusage(resource.RUSAGE_SELF),
                                                   resource.getrusage(resource.RUSAGE_CHILDREN))))
    print(f"{result['outcomes']} in {wall:.1f} s; the process tree kept {cpu / wall:.2f} of "
          f"{os.cpu_count()} cores busy")
    for label in ("process_mail (wall)", "its own CPU", "waiting for the reader workers",
                  "waiting for the render worker", "waiting for the write turn"):
        print(f"  {label}: {waits[label] / n * 1000:.1f} ms a mail")


if __name__ == "__main__":
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    main(int(numbers[0]) if numbers else 1000)
