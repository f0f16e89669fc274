"""The render worker process: DOCX documents rendered for the mail threads of one pipeline
process, its compiled templates kept between calls (see pipelines.write.dossier).

Started as `python -m pipelines.write.render_worker FD PARENT_PID`, with one end of a socket
pair as FD, and not through multiprocessing's spawn: spawn runs the parent's main module again
in the child, which in a deployed flow run is Prefect's engine (a worker then took ~1.0 s to
start instead of ~0.3 s, and ~70 MB). This module imports the renderer only.
"""
from __future__ import annotations

import os
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from pipelines.write.docx import render_docx


def render_all(jobs: list[tuple[Path, Path]], context: dict, sync: bool = True) -> None:
    for template, out in jobs:
        render_docx(template, context, out, sync=sync)


def serve(conn: Connection, parent: int) -> None:
    """The worker's loop: (fn, args) in, (True, result) or (False, exception) out."""
    _exit_with_parent(parent)
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        except Exception as exc:   # a call that does not unpickle here (its function not importable)
            reply = (False, exc)
        else:
            try:
                reply = (True, fn(*args))
            except Exception as exc:
                reply = (False, exc)
        try:
            conn.send(reply)
        except Exception:   # an exception that does not pickle: its text does
            conn.send((False, RuntimeError(f"{type(reply[1]).__name__}: {reply[1]}")))


def _exit_with_parent(parent: int) -> None:
    """A killed pipeline must not leave render workers behind: each worker watches its parent."""
    def watch():
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)
    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
