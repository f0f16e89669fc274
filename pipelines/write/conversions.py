"""PDF conversions as claimed work, and what a killed run left behind.

Several pollers (or the desk right after an approval) may look for generated DOCX without
a PDF at the same time; each file is claimed in `conversion_claims` first, like a mail, so
only one converts it. A run killed in the middle leaves LibreOffice processes (they run in
their own session, so they outlive it) and temporary folders named after its process id:
the next conversion on the same machine ends and removes them.
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import tempfile
from pathlib import Path

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from pipelines import db
from pipelines.mail.ingest import Worker, claim_is_stale
from pipelines.write.pdf import discard_profile

log = logging.getLogger(__name__)
# Temporary folders of Sertiflow runs carry the owner's process id: <prefix><pid>-<random>.
OWNED_TEMP = re.compile(r"^(sertiflow-pdf|sertiflow-lo)-(\d+)-")


def owned_temp_prefix(kind: str) -> str:
    """Prefix for a temporary folder this process owns ("sertiflow-pdf" or "sertiflow-lo")."""
    return f"{kind}-{os.getpid()}-"


def claim_conversions(engine, generated_ids: list[int], me: Worker) -> list[int]:
    """The ids this worker may convert now: unclaimed, its own, or claimed by a dead worker."""
    taken = []
    with engine.begin() as conn:
        held = {row.generated_id: row for row in conn.execute(
            select(db.conversion_claims).where(db.conversion_claims.c.generated_id.in_(generated_ids)))}
        for generated_id in generated_ids:
            row = held.get(generated_id)
            if row is None:
                try:
                    with conn.begin_nested():
                        conn.execute(insert(db.conversion_claims).values(
                            generated_id=generated_id, claimed_by=me.token, claimed_at=db.now()))
                except IntegrityError:
                    continue  # another worker claimed it just now
                taken.append(generated_id)
            elif row.claimed_by == me.token or claim_is_stale(row.claimed_by, row.claimed_at, me):
                if conn.execute(update(db.conversion_claims).where(
                        db.conversion_claims.c.generated_id == generated_id,
                        db.conversion_claims.c.claimed_by == row.claimed_by)
                        .values(claimed_by=me.token, claimed_at=db.now())).rowcount:
                    taken.append(generated_id)
    return taken


def release_conversions(conn, generated_ids: list[int]) -> None:
    """Done (or failed: the next run tries again): the claims go, in the caller's transaction."""
    conn.execute(delete(db.conversion_claims).where(db.conversion_claims.c.generated_id.in_(generated_ids)))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_after_killed_runs(temp_dir: str | None = None) -> dict[str, int]:
    """End LibreOffice processes and remove temporary folders whose Sertiflow process is gone,
    with the sockets its soffice processes left."""
    root = Path(temp_dir or tempfile.gettempdir())
    dead = {}
    for entry in root.iterdir() if root.is_dir() else []:
        match = OWNED_TEMP.match(entry.name)
        if match and entry.is_dir() and not _alive(int(match.group(2))):
            dead[str(entry)] = entry
    killed = 0
    if dead:
        for proc in Path("/proc").iterdir():
            if not proc.name.isdigit():
                continue
            try:
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if "soffice" in cmdline and any(folder in cmdline for folder in dead):
                try:
                    os.killpg(os.getpgid(int(proc.name)), signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    try:
                        os.kill(int(proc.name), signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        continue
                killed += 1
        for folder in dead.values():
            for profile in folder.glob("profile-*"):
                discard_profile(profile)
            shutil.rmtree(folder, ignore_errors=True)
    if killed or dead:
        log.warning("cleaned up after a killed run: %d LibreOffice processes ended, %d temporary folders removed",
                    killed, len(dead))
    return {"soffice_killed": killed, "folders_removed": len(dead)}
