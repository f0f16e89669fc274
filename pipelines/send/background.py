"""The desk's mail sender: a thread beside the web server that drains the outbox.

Desk requests only queue mail (in the transaction of the officer's action) and `wake` this
sender; the SMTP dialogue, with its timeouts and retries, never runs inside a request. It
also drains every `interval` seconds, so mail queued by any process goes out without
waiting for the next scheduled flow.
"""
from __future__ import annotations

import contextlib
import logging
import threading

from pipelines.send.outbox import drain
from pipelines.send.transport import transport_for

log = logging.getLogger(__name__)
_running: list["BackgroundSender"] = []


class BackgroundSender:
    def __init__(self, rt, interval: float = 60):
        self.rt = rt
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="outbox-sender", daemon=True)

    def start(self) -> "BackgroundSender":
        _running.append(self)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        with contextlib.suppress(ValueError):
            _running.remove(self)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                counts = drain(self.rt.engine, transport_for(self.rt.settings), self.rt.worker)
            except Exception:  # the next wake-up tries again; the outbox keeps the mail
                log.exception("background sending failed")
                continue
            if any(counts.values()):
                log.info("outbox drained from the desk: %s", counts)


def wake() -> None:
    """Mail was queued: let the running sender (if this process has one) send it now.
    Without one, the scheduled flow sends it on its next run."""
    for sender in list(_running):
        sender.wake()


@contextlib.asynccontextmanager
async def sending_beside(app, rt):
    """FastAPI lifespan: a sender runs as long as the desk does."""
    sender = BackgroundSender(rt).start()
    try:
        yield
    finally:
        sender.stop()
