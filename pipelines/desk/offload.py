"""CPU-heavy work of a desk request runs off the event loop, behind the pages.

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
