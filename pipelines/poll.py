"""One pass over the mailboxes, as plain functions: the Prefect flow wraps each in a task.

`run_once` is the same pass without Prefect (for crash tests that kill the process, where
starting Prefect's temporary server each time would cost ~10 s).
"""
from __future__ import annotations

import imaplib
import logging
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from pipelines.faults import crash_point
from pipelines.mail.ingest import finish_moves, ingest_new_mail, take_moves, unfinished_mail
from pipelines.mail.sources import ImapSource, SourceError, open_source
from pipelines.process import process_mail
from pipelines.runtime import Runtime
from pipelines.send.outbox import drain
from pipelines.send.transport import transport_for
from pipelines.read import sandbox
from pipelines.write.dossier import close_render_pool, convert_pending

BATCH = 200
log = logging.getLogger(__name__)


def fetch_new(rt: Runtime, mailbox: str) -> int:
    source = open_source(_mailbox(rt, mailbox))
    try:
        return len(ingest_new_mail(rt.engine, source, rt.settings.outputs_dir,
                                   numeric_uids=isinstance(source, ImapSource)))
    finally:
        source.close()


def pending_batches(rt: Runtime) -> list[list[int]]:
    pending = unfinished_mail(rt.engine)
    return [pending[i:i + BATCH] for i in range(0, len(pending), BATCH)]


def process_batch(rt: Runtime, mail_ids: list[int], workers: int = 4) -> Counter:
    """Process mails side by side: each spends most of its time waiting on the reader
    subprocesses, and claims in the database keep two threads off the same mail."""
    if workers <= 1 or len(mail_ids) <= 1:
        return Counter(process_mail(rt, mail_id) for mail_id in mail_ids)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mail") as pool:
        return Counter(pool.map(lambda mail_id: process_mail(rt, mail_id), mail_ids))


def release_workers() -> None:
    """After the batches: stop the render and reader worker processes, so that the PDF step's
    LibreOffice processes do not come on top of them (a worker stays under 600 MB)."""
    close_render_pool()
    sandbox.shutdown()


def send_queued(rt: Runtime) -> dict[str, int]:
    return drain(rt.engine, transport_for(rt.settings), rt.worker)


def make_pdfs(rt: Runtime) -> dict[str, int]:
    return convert_pending(rt)


def move_processed(rt: Runtime, mailbox: str) -> int:
    """Take processed mail out of the polled folder. The intent is recorded first and each
    chunk marked done only once the server confirmed it; a connection lost on the way is
    retried once on a new connection, checking what the lost one had already done."""
    moved = 0
    for attempt in (1, 2):
        source = open_source(_mailbox(rt, mailbox))
        try:
            uidvalidity = source.uidvalidity()
            resumed, fresh = take_moves(rt.engine, mailbox, uidvalidity, rt.worker)
            crash_point("after_move_intent")
            for uids in source.move_processed(resumed, fresh):
                crash_point("after_imap_move")
                finish_moves(rt.engine, mailbox, uidvalidity, uids)
                moved += len(uids)
            return moved
        except (SourceError, OSError, imaplib.IMAP4.abort) as exc:
            if attempt == 2:
                raise SourceError(f"mailbox {mailbox}: moving processed mail failed: {exc}") from exc
            log.warning("mailbox %s: moving processed mail interrupted (%s); resuming on a new connection",
                        mailbox, exc)
        finally:
            source.close()
    return moved


def run_once(rt: Runtime) -> dict:
    new = sum(fetch_new(rt, m.name) for m in rt.settings.mailboxes)
    outcomes: Counter = Counter()
    try:
        for batch in pending_batches(rt):
            outcomes.update(process_batch(rt, batch))
    finally:
        release_workers()
    sent = send_queued(rt)
    pdf = make_pdfs(rt)
    moved = sum(move_processed(rt, m.name) for m in rt.settings.mailboxes)
    return {"mail_new": new, "outcomes": dict(outcomes), "sent": sent, "pdf": pdf, "moved": moved}


def _mailbox(rt: Runtime, name: str):
    return next(m for m in rt.settings.mailboxes if m.name == name)
