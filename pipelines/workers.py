"""Worker processes, shared by the reader sandbox (pipelines.read.sandbox) and the render
worker (pipelines.write.dossier): how one is started, and a pool of them.

A worker is any object made by `start()` with an `alive` flag and a `kill()`; the pool starts
up to `size` of them when first needed, lends one at a time to a caller, keeps it while it is
alive and replaces it when it died.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent   # the project: a worker runs from here


def start_module(module: str, *args: str, env: dict, pass_fds=(), **popen) -> tuple[subprocess.Popen, Connection]:
    """`python -m <module> <fd> <args>` in its own session, `fd` one end of a socket pair: the
    process and this process's end. A new interpreter, not a fork (the parent's mail and Prefect
    threads) nor multiprocessing's spawn (which runs the parent's main module again: in a deployed
    flow run, Prefect's engine)."""
    parent_sock, child_sock = socket.socketpair()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", module, str(child_sock.fileno()), *args],
            pass_fds=[child_sock.fileno(), *pass_fds], start_new_session=True, env=env, cwd=str(ROOT),
            stdin=subprocess.DEVNULL, **popen)
    except BaseException:
        parent_sock.close()
        raise
    finally:
        child_sock.close()
    return process, Connection(parent_sock.detach())


class ProcessPool:
    def __init__(self, size: int, start) -> None:
        self.size = size
        self.start = start
        self.idle: list = []
        self.count = 0     # workers alive or starting
        self.started = 0   # workers started over the pool's life (for measurements)
        self.cv = threading.Condition()

    def acquire(self):
        """An idle worker, a new one while fewer than `size` exist, else wait for one."""
        with self.cv:
            while True:
                if self.idle:
                    return self.idle.pop()
                if self.count < self.size:
                    self.count += 1
                    break
                self.cv.wait()
        return self._start()

    def release(self, worker) -> None:
        with self.cv:
            if worker.alive:
                self.idle.append(worker)
            else:
                self.count -= 1
            self.cv.notify()

    @contextmanager
    def holding(self):
        worker = self.acquire()
        try:
            yield worker
        finally:
            self.release(worker)

    def warm(self, n: int | None = None) -> None:
        """Start workers ahead of time (e.g. before a batch), one after the other, up to `n`.
        Only starts what is missing: never waits for a worker another thread holds or starts."""
        wanted = min(n or self.size, self.size)
        while True:
            with self.cv:
                if self.count >= wanted:
                    return
                self.count += 1
            try:
                worker = self._start()
            except Exception:
                return
            self.release(worker)

    def _start(self):
        """A new worker for a place already counted; the place is given back if it fails."""
        try:
            worker = self.start()
        except BaseException:
            with self.cv:
                self.count -= 1
                self.cv.notify()
            raise
        self.started += 1
        return worker

    def close(self) -> None:
        with self.cv:
            idle, self.idle = self.idle, []
            self.count -= len(idle)
        for worker in idle:
            worker.kill()
