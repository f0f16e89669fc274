"""One pass over the mailboxes, as plain functions: the Prefect flow wraps each in a task.

`run_once` is the same pass without Prefect (for crash tests that kill the process, where
starting Prefect's temporary server each time would cost ~10 s).
"""
from __future__ import annotations

import imaplib
import logging
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import select

from pipelines import db
from pipelines.faults import crash_point
from pipelines.mail.ingest import (Claimed, claim_mails, finish_moves, ingest_new_mail, release_claims,
                                   take_moves, unfinished_mail)
from pipelines.mail.sources import ImapSource, SourceError, open_source
from pipelines.process import SKIPPED, process_mail, read_mail
from pipelines.runtime import Runtime
from pipelines.send.outbox import drain
from pipelines.send.transport import transport_for
from pipelines.read import sandbox
from pipelines.threads import MailGroup, mail_groups
from pipelines.write.docx import flush_to_disk
from pipelines.write.dossier import close_render_pool, convert_pending, warm_render_pool

BATCH = 200
MAIL_THREADS = 4  # groups of one batch processed side by side
READ_AHEAD = 3   # mails of a group read ahead of the one being checked
CLAIM_TOGETHER = 16   # mails of a group claimed in one transaction (a killed pass leaves at most this many claimed)
log = logging.getLogger(__name__)


def fetch_new(rt: Runtime, mailbox: str) -> int:
    source = open_source(_mailbox(rt, mailbox))
    try:
        return len(ingest_new_mail(rt.engine, source, rt.settings.outputs_dir,
                                   numeric_uids=isinstance(source, ImapSource),
                                   on_new=lambda count: start_workers()))
    finally:
        source.close()


_warming: threading.Thread | None = None
_warming_lock = threading.Lock()


def start_workers() -> None:
    """Start the reader and render workers in the background, while new mail is still being
    fetched and recorded (one core fetches, the other starts them): the first batch would
    otherwise wait about a second for their start-up with one core idle."""
    global _warming
    with _warming_lock:
        if _warming is None or not _warming.is_alive():
            _warming = threading.Thread(target=_warm_workers, name="warm-workers", daemon=True)
            _warming.start()


def _warm_workers() -> None:
    """The reader workers one after the other, then the render workers: started together, they
    would compete for the CPU with the mail threads' first mails."""
    try:
        if not sandbox.inprocess_requested():
            sandbox.pool().warm()
        warm_render_pool()
    except Exception as exc:   # the batch starts what is missing when it needs it
        log.warning("starting the worker processes ahead of the batch failed: %s", exc)


def pending_batches(rt: Runtime) -> list[list[int]]:
    """Unfinished mail in batches of about BATCH; the mails of one sender or one conversation
    stay in one batch, so they are checked in order (see `pipelines.threads`). A batch holds
    at least MAIL_THREADS groups when there are that many, however large they are: the groups
    of a batch are processed side by side, and three senders of 300 mails each in batches of
    one group were processed one mail at a time."""
    batches: list[list[int]] = []
    groups_in_last = 0
    for group in mail_groups(rt, unfinished_mail(rt.engine)):
        if not batches or (groups_in_last >= MAIL_THREADS and len(batches[-1]) + len(group.mail_ids) > BATCH):
            batches.append([])
            groups_in_last = 0
        batches[-1].extend(group.mail_ids)
        groups_in_last += 1
    return batches


def process_batch(rt: Runtime, mail_ids: list[int], workers: int = MAIL_THREADS) -> Counter:
    """Process mails side by side: each spends most of its time waiting on the reader
    subprocesses, and claims in the database keep two threads off the same mail. The mails of
    one group (a sender, a conversation) go one after the other in arrival order, so a reply never
    races its request and a resend finds the dossier of the first copy; a mail its sender followed
    up in the same pass gets no reply of its own (the later check replies)."""
    groups = mail_groups(rt, mail_ids)
    reading = ThreadPoolExecutor(max_workers=max(2, workers), thread_name_prefix="read-ahead")

    def run(group: MailGroup) -> list[str]:
        # The mails of a group are checked one after the other, but reading them (the reader
        # workers' part, no database) does not depend on the earlier ones: the next few are
        # read while this one is checked, so a sender with hundreds of requests is not read
        # one mail at a time.
        outcomes, ahead, asked = [], {}, 0
        claimed = Claimed({}, set())
        try:
            for position, mail_id in enumerate(group.mail_ids):
                for later in group.mail_ids[position:position + 1 + READ_AHEAD]:
                    if later not in ahead:
                        ahead[later] = reading.submit(read_mail, rt, later, group.raw_paths.get(later))
                if position == asked:   # the group's next mails are claimed together
                    chunk = group.mail_ids[position:position + CLAIM_TOGETHER]
                    claimed = claim_mails(rt.engine, chunk, rt.worker)
                    asked += len(chunk)
                row = claimed.rows.pop(mail_id, None)
                outcome = process_mail(rt, mail_id, reply_held=mail_id in group.answered_later,
                                       read=ahead.pop(mail_id), claimed=row,
                                       earlier_copy=mail_id in claimed.with_earlier_copy)
                outcomes.append(outcome)
                if outcome == SKIPPED and _still_pending(rt, mail_id):
                    break  # another poller holds an earlier mail of the group: it keeps the order
        finally:
            for future in ahead.values():
                future.cancel()
            release_claims(rt.engine, claimed.rows, rt.worker)
        return outcomes

    try:
        if workers <= 1 or len(groups) <= 1:
            return Counter(outcome for group in groups for outcome in run(group))
        # Start the workers (if fetching did not) before the mail threads ask for them all at once.
        _warm_workers()
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mail") as pool:
            return Counter(outcome for outcomes in pool.map(run, groups) for outcome in outcomes)
    finally:
        reading.shutdown(wait=True, cancel_futures=True)


def _still_pending(rt: Runtime, mail_id: int) -> bool:
    with rt.engine.connect() as conn:
        return conn.execute(select(db.mails.c.state).where(db.mails.c.id == mail_id)).scalar() == "received"


def release_workers() -> None:
    """After the batches: stop the render and reader worker processes, so that the PDF step's
    LibreOffice processes do not come on top of them (a worker stays under 600 MB)."""
    with _warming_lock:
        warming = _warming
    if warming is not None:
        warming.join()   # a start-up still under way would leave its workers behind
    close_render_pool()
    sandbox.shutdown()


def send_queued(rt: Runtime) -> dict[str, int]:
    return drain(rt.engine, transport_for(rt.settings), rt.worker)


def make_pdfs(rt: Runtime) -> dict[str, int]:
    return convert_pending(rt)


def move_processed(rt: Runtime, mailbox: str) -> int:
    """Take processed mail out of the polled folder. What the pass wrote (kept mail, files,
    documents, database) is flushed to the disk first: until then a machine that loses power
    finds the mail still in the polled folder. The intent is recorded first and each chunk
    marked done only once the server confirmed it; a connection lost on the way is retried once
    on a new connection, checking what the lost one had already done."""
    flush_to_disk(rt.settings.outputs_dir)
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
