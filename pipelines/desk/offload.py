"""The event loop of the desk only waits on the network; everything else runs beside it.

A route that touches the database, a dossier's files, documents or mail is a plain `def`:
FastAPI runs it in its thread pool. Its form, which arrives over the network, is read on the
loop by the `posted_form` dependency. One synchronous call on the loop (a write waiting for
SQLite's lock while the poller holds it, a LibreOffice conversion) stalls every page of every
officer for as long as it takes; tests/desk/test_desk_loop_free.py keeps it so.

Password hashing (argon2id: ~0.4 s of CPU and 64 MiB here) runs in one dedicated thread at
the lowest CPU priority: a burst of logins waits its turn (without holding one of the
threads the other pages are served from) and only uses a core that serving pages does not
need. argon2 releases the GIL while it hashes. Linux gives each thread its own nice value.
"""
from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from fastapi import Request
from starlette.datastructures import FormData

_hashing: ThreadPoolExecutor | None = None
_lock = threading.Lock()


def _lowest_priority() -> None:
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):  # not Linux: still off the event loop, one at a time
        pass


async def one_hash_at_a_time(func, *args):
    """Run `func(*args)` (it hashes or verifies a password) in the hashing thread."""
    global _hashing
    with _lock:
        if _hashing is None:
            _hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash",
                                          initializer=_lowest_priority)
    return await asyncio.get_running_loop().run_in_executor(_hashing, func, *args)


async def posted_form(request: Request) -> FormData:
    """FastAPI dependency: the posted form, every value as text (`get`, `getlist`), read on the
    event loop so that the route using it can be a plain `def`."""
    form = await request.form()
    return FormData([(key, str(value)) for key, value in form.multi_items()])
