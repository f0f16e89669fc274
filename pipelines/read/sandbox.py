"""Run untrusted parsing in worker processes bounded in time and memory.

A worker (`pipelines.read.worker`) is a separate Python process started once and reused for
many files, so that reading 1,000 dossiers is not dominated by process start (the interpreter,
pdfium and the readers' imports). When a task runs past its deadline the worker's whole process group
(including a running tesseract) is killed; when it runs out of memory or crashes it is replaced.
The caller gets an Outcome, never an exception.

Results come back pickled from a process that has parsed hostile bytes, so they are unpickled
with an allow-list of the plain value classes they can contain.
"""
from __future__ import annotations

import atexit
import io
import mmap
import os
import pickle
import signal
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

from pipelines.read.limits import DEFAULT_LIMITS, ReadLimits
from pipelines.workers import ROOT, ProcessPool, start_module
START_TIMEOUT_S = 90.0
RECYCLE_AFTER = 2000  # tasks per worker, to bound slow leaks in native libraries

_ALLOWED = {
    ("pipelines.documents", "Attachment"), ("pipelines.documents", "MailContent"),
    ("pipelines.documents", "Document"), ("pipelines.documents", "Roster"),
    ("pipelines.documents", "RosterRow"), ("pipelines.findings", "Finding"),
    ("pipelines.findings", "Severity"), ("datetime", "date"), ("datetime", "datetime"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "bytearray"),
    ("copyreg", "_reconstructor"), ("builtins", "object"),
}


class _SafeUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refused class {module}.{name} from worker")


def _loads(data: bytes):
    return _SafeUnpickler(io.BytesIO(data)).load()


@dataclass
class Outcome:
    status: str        # done | timeout | memory | crashed | error | unavailable
    value: object = None
    detail: str = ""
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status == "done"


class Worker:
    def __init__(self) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
        for var in ("OMP_THREAD_LIMIT", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(var, "1")
        self.stderr = tempfile.TemporaryFile()
        self.clock, clock_fd = _shared_clock()
        try:
            self.proc, self.conn = start_module(
                "pipelines.read.worker", str(clock_fd), env=env, pass_fds=[clock_fd] if clock_fd >= 0 else [],
                stdout=subprocess.DEVNULL, stderr=self.stderr)
        finally:
            if clock_fd >= 0:
                os.close(clock_fd)
        self.tasks = 0
        self.alive = True
        self.info: dict = {}
        if not self.conn.poll(START_TIMEOUT_S):
            self.kill()
            raise RuntimeError("reader worker did not start in time")
        try:
            status, info = _loads(self.conn.recv_bytes())
        except Exception as exc:
            self.kill()
            raise RuntimeError(f"reader worker failed to start: {self._stderr_tail()}") from exc
        if status != "ready":
            self.kill()
            raise RuntimeError(f"reader worker failed to start: {info}")
        self.info = info

    def _fresh_deadline(self, deadline: float, hard: float) -> float:
        """The deadline after the fresh starts the worker wrote to the shared clock: later
        only (they come in time order, and a stale one from an earlier task is earlier still)."""
        try:
            written = read_clock(self.clock) if self.clock is not None else 0.0
        except ValueError:   # closed: the worker was killed
            return deadline
        return min(hard, written) if written > deadline else deadline

    def _stderr_tail(self) -> str:
        try:
            self.stderr.seek(0)
            return self.stderr.read()[-1500:].decode("utf-8", "replace")
        except Exception:
            return ""

    def kill(self) -> None:
        self.alive = False
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except Exception:
            pass
        try:
            self.conn.close()
        except Exception:
            pass
        try:
            self.stderr.close()
        except Exception:
            pass
        if self.clock is not None:
            self.clock.close()
            self.clock = None

    def run(self, task: str, payload, limits: ReadLimits) -> Outcome:
        start = time.monotonic()
        deadline = start + limits.timeout_s
        hard = start + max(limits.hard_timeout_s, limits.timeout_s)
        self.tasks += 1
        try:
            if self.clock is not None:
                write_clock(self.clock, 0.0)   # no fresh start yet in this task (the worker is idle)
            self.conn.send_bytes(pickle.dumps((task, payload, limits), protocol=pickle.HIGHEST_PROTOCOL))
        except (OSError, ValueError) as exc:
            self.kill()
            return Outcome("crashed", detail=f"send failed: {exc}")
        while True:
            remaining = deadline - time.monotonic()
            try:
                ready = remaining > 0 and self.conn.poll(remaining)
            except (OSError, EOFError):
                ready = True
            if not ready:
                later = self._fresh_deadline(deadline, hard)
                if later > deadline and later > time.monotonic():
                    deadline = later
                    continue
                self.kill()
                return Outcome("timeout", seconds=time.monotonic() - start)
            try:
                msg = _loads(self.conn.recv_bytes())
            except (EOFError, OSError):
                try:
                    code = self.proc.wait(timeout=2)
                except Exception:
                    code = None
                tail = self._stderr_tail()
                self.kill()
                # pdfium and other native code abort (SIGABRT) when an allocation fails under
                # RLIMIT_AS, sometimes saying so on stderr, often
                # silently (pdfium does); the kernel's OOM killer sends SIGKILL
                oom = code in (-signal.SIGABRT, -signal.SIGKILL) or any(
                    w in tail.lower() for w in ("out of memory", "bad_alloc", "memoryerror", "cannot allocate"))
                return Outcome("memory" if oom else "crashed", detail=f"exit code {code}: {tail[-300:]}",
                               seconds=time.monotonic() - start)
            except Exception as exc:
                self.kill()
                return Outcome("error", detail=f"bad reply: {exc}", seconds=time.monotonic() - start)
            kind = msg[0]
            if kind == "extend":   # after the fresh starts written before it
                deadline = self._fresh_deadline(deadline, hard)
                deadline = min(hard, max(deadline, time.monotonic()) + float(msg[1]))
                continue
            if kind == "deadline":  # the next part of the task starts now with its own time
                deadline = min(hard, time.monotonic() + float(msg[1]))
                continue
            elapsed = time.monotonic() - start
            if kind == "done":
                if self.tasks >= RECYCLE_AFTER:
                    self.kill()
                return Outcome("done", msg[1], seconds=elapsed)
            if kind == "memory":
                self.kill()
                return Outcome("memory", seconds=elapsed)
            return Outcome("error", detail=str(msg[1]), seconds=elapsed)


def _shared_clock() -> tuple[mmap.mmap | None, int]:
    """Eight shared bytes (and their fd for the worker) where the worker writes when the running
    task's current document must end: a document's fresh time costs it a memory write instead of
    a message that wakes this process (four a bench mail). (None, -1) where memfd is missing:
    then the worker sends messages."""
    try:
        fd = os.memfd_create("sertiflow-reader-clock")
    except (AttributeError, OSError):
        return None, -1
    try:
        os.ftruncate(fd, 8)
        return mmap.mmap(fd, 8), fd
    except OSError:
        os.close(fd)
        return None, -1


def read_clock(clock: mmap.mmap) -> float:
    """The shared clock's deadline (time.monotonic() seconds): two reads that agree (one during
    the worker's 8-byte write could see half of it), else 0 (no later deadline)."""
    for _ in range(3):
        first, second = _CLOCK.unpack_from(clock)[0], _CLOCK.unpack_from(clock)[0]
        if first == second:
            return first
    return 0.0


def write_clock(clock: mmap.mmap, deadline: float) -> None:
    _CLOCK.pack_into(clock, 0, deadline)


_CLOCK = struct.Struct("d")


class WorkerPool(ProcessPool):
    """Up to `size` reader workers (default: one per core), started when first needed, replaced
    when they die."""

    def __init__(self, size: int | None = None) -> None:
        super().__init__(max(1, size or int(os.environ.get("SERTIFLOW_READ_WORKERS", 0)) or (os.cpu_count() or 2)),
                         start=Worker)
        self.pid = os.getpid()

    def run(self, task: str, payload, limits: ReadLimits = DEFAULT_LIMITS) -> Outcome:
        try:
            w = self.acquire()
        except Exception as exc:
            return Outcome("unavailable", detail=str(exc)[:500])
        try:
            return w.run(task, payload, limits)
        finally:
            self.release(w)


_pool: WorkerPool | None = None
_pool_lock = threading.Lock()


def pool() -> WorkerPool:
    global _pool
    with _pool_lock:
        if _pool is None or _pool.pid != os.getpid():
            _pool = WorkerPool()
        return _pool


def shutdown() -> None:
    global _pool
    with _pool_lock:
        if _pool is not None and _pool.pid == os.getpid():
            _pool.close()
        _pool = None


atexit.register(shutdown)


def inprocess_requested() -> bool:
    return os.environ.get("SERTIFLOW_READ_INPROCESS", "") not in ("", "0", "false", "no")
