"""The bounded reader process: `python -m pipelines.read.worker <fd> [<clock fd>]`.

It imports the heavy readers once, caps its own address space (RLIMIT_AS) at what it uses after
start-up plus the task's memory budget, then serves tasks from the parent over a socket until
the parent goes away. Hostile input can make it slow (the parent kills it), make it run out of
memory (the task fails with a MemoryError, or pdfium aborts and the process dies), never both
the worker and the caller.
"""
from __future__ import annotations

import os
import pickle
import resource
import sys
import traceback


def _vm_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _warm_up() -> None:
    import pypdfium2  # noqa: F401
    import python_calamine  # noqa: F401
    import xlrd  # noqa: F401
    import PIL.Image  # noqa: F401

    from pipelines.read import document, mail, sheet  # noqa: F401
    sheet.header_aliases()
    from pipelines.read import recognise
    recognise.rules()
    from pipelines.read import nik
    nik.province_codes()
    from pipelines.read import pdfchars
    pdfchars.available()


def _set_memory(base: int, memory_mb: int) -> None:
    if not base:
        return
    soft = base + memory_mb * (1 << 20)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _tasks():
    from pipelines.read.document import read_inprocess
    from pipelines.read.mail import walk

    def read(payload, limits, progress):
        return read_inprocess(payload, limits, progress)

    def walk_task(payload, limits, progress):
        return walk(payload, limits)

    def message(payload, limits, progress):
        """A mail and its attachments in one round trip; each document gets its own time."""
        content = walk(payload, limits)
        documents = []
        for attachment in content.attachments:
            progress(limits.timeout_s, fresh=True)
            documents.append(read_inprocess(attachment, limits, progress))
        return content, documents

    def sleep(payload, limits, progress):  # used by tests of the bound itself
        import time
        time.sleep(float(payload))
        return "slept"

    def sleeps(payload, limits, progress):  # used by tests of the bound itself
        """Documents of a task: a positive number starts one (a fresh deadline) and sleeps that
        long; a negative one gives the document that much more time (as for a page sent to OCR)
        and sleeps three quarters of it."""
        import time
        for seconds in payload:
            if seconds < 0:
                progress(-seconds)
                time.sleep(-seconds * 0.75)
            else:
                progress(limits.timeout_s, fresh=True)
                time.sleep(seconds)
        return "slept"

    def allocate(payload, limits, progress):  # used by tests of the bound itself
        blob = bytearray(int(payload) << 20)
        return len(blob)

    def crash(payload, limits, progress):  # used by tests of the bound itself
        os._exit(int(payload or 70))

    return {"read": read, "walk": walk_task, "message": message, "sleep": sleep, "sleeps": sleeps, "allocate": allocate, "crash": crash}


def main(fd: int, clock_fd: int = -1) -> None:
    import mmap
    import time
    from multiprocessing.connection import Connection

    from pipelines.read.sandbox import write_clock

    for var in ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, "1")
    conn = Connection(fd)
    try:
        _warm_up()
    except Exception:
        conn.send_bytes(pickle.dumps(("failed", traceback.format_exc()[-2000:])))
        return
    tasks = _tasks()
    clock = mmap.mmap(clock_fd, 8) if clock_fd >= 0 else None   # before the address space is measured
    base = _vm_bytes()
    conn.send_bytes(pickle.dumps(("ready", {"pid": os.getpid(), "vm_mb": base >> 20})))

    extended = False   # the running task was given more time (OCR): its deadlines go as messages

    def progress(seconds: float, fresh: bool = False) -> None:
        """More time for the running task: `seconds` more, or (fresh) `seconds` from now. A fresh
        start goes to the shared clock, which the parent reads when its deadline passes (fresh
        deadlines only grow, until an "extend" message, after which they may shrink)."""
        nonlocal extended
        if fresh and clock is not None and not extended:
            write_clock(clock, time.monotonic() + float(seconds))
            return
        extended = extended or not fresh
        conn.send_bytes(pickle.dumps(("deadline" if fresh else "extend", float(seconds))))

    while True:
        try:
            task, payload, limits = pickle.loads(conn.recv_bytes())
        except (EOFError, OSError):
            return
        _set_memory(base, limits.memory_mb)
        extended = False
        try:
            result = tasks[task](payload, limits, progress)
            reply = ("done", result)
        except MemoryError:
            reply = None
        except RecursionError:
            reply = ("error", "RecursionError")
        except Exception as exc:
            reply = ("error", f"{type(exc).__name__}: {str(exc)[:300]}")
        if reply is None:
            # the heap may be in a poor state: answer, then let the parent start a fresh worker
            try:
                conn.send_bytes(pickle.dumps(("memory", "")))
            finally:
                os._exit(0)
        try:   # protocol 5 (the parent's loads is ~40% quicker on a mail's MailContent and documents)
            conn.send_bytes(pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
        except MemoryError:
            conn.send_bytes(pickle.dumps(("memory", "")))
            os._exit(0)
        except Exception as exc:
            conn.send_bytes(pickle.dumps(("error", f"unpicklable result: {type(exc).__name__}")))
        del payload, reply


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else -1)
