"""Poll the mailboxes and carry every new mail through the steps.

For each configured mailbox: record new mail (exactly once, before anything else), process
every recorded mail not done yet (new ones and any a crashed run left behind) in batches,
send the queued mail, make the pending PDFs, and move processed mail to its folder.

Tasks work on batches, not single mails: the Prefect server records each task run at
~40 ms of CPU, so a task per mail would make the server the bottleneck. Domain state is in
our own database; a failed or repeated run resumes from it.
"""
from __future__ import annotations

from collections import Counter

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipelines.mail.ingest import ingest_new_mail, mark_moved, unfinished_mail, unmoved_mail
from pipelines.mail.sources import ImapSource, open_source
from pipelines.process import process_mail
from pipelines.runtime import Runtime
from pipelines.send.outbox import drain
from pipelines.send.transport import transport_for
from pipelines.write.dossier import convert_pending

BATCH = 200
_runtimes: dict[str | None, Runtime] = {}


def runtime(config_path: str | None) -> Runtime:
    if config_path not in _runtimes:
        _runtimes[config_path] = Runtime.load(config_path)
    return _runtimes[config_path]


@task(name="fetch-new-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_new_mail(config_path: str | None, mailbox: str) -> int:
    rt = runtime(config_path)
    config = next(m for m in rt.settings.mailboxes if m.name == mailbox)
    source = open_source(config)
    try:
        return len(ingest_new_mail(rt.engine, source, rt.settings.outputs_dir,
                                   numeric_uids=isinstance(source, ImapSource)))
    finally:
        source.close()


@task(name="process-mail-batch", cache_policy=NO_CACHE)
def process_mail_batch(config_path: str | None, mail_ids: list[int]) -> dict[str, int]:
    rt = runtime(config_path)
    return dict(Counter(process_mail(rt, mail_id) for mail_id in mail_ids))


@task(name="send-queued-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def send_queued_mail(config_path: str | None) -> dict[str, int]:
    rt = runtime(config_path)
    return drain(rt.engine, transport_for(rt.settings), rt.worker)


@task(name="make-pending-pdfs", cache_policy=NO_CACHE)
def make_pending_pdfs(config_path: str | None) -> dict[str, int]:
    return convert_pending(runtime(config_path))


@task(name="move-processed-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def move_processed_mail(config_path: str | None, mailbox: str) -> int:
    rt = runtime(config_path)
    config = next(m for m in rt.settings.mailboxes if m.name == mailbox)
    source = open_source(config)
    try:
        uidvalidity = source.uidvalidity()
        uids = unmoved_mail(rt.engine, mailbox, uidvalidity)
        if uids:
            source.mark_processed(uids)
            mark_moved(rt.engine, mailbox, uidvalidity, uids)
        return len(uids)
    finally:
        source.close()


@flow(name="ingest-mailbox", log_prints=True)
def ingest_mailbox(config_path: str | None = None) -> dict:
    """Poll every configured mailbox once and process all new mail (Process A and later kinds)."""
    logger = get_run_logger()
    rt = runtime(config_path)
    new = sum(fetch_new_mail(config_path, m.name) for m in rt.settings.mailboxes)
    logger.info("%d surel baru dicatat", new)
    outcomes: Counter = Counter()
    pending = unfinished_mail(rt.engine)
    for start in range(0, len(pending), BATCH):
        outcomes.update(process_mail_batch(config_path, pending[start:start + BATCH]))
    sent = send_queued_mail(config_path)
    pdf = make_pending_pdfs(config_path)
    moved = sum(move_processed_mail(config_path, m.name) for m in rt.settings.mailboxes)
    logger.info("hasil: %s; surel keluar: %s; PDF: %s; dipindahkan: %d", dict(outcomes), sent, pdf, moved)
    return {"mail_new": new, "outcomes": dict(outcomes), "sent": sent, "pdf": pdf, "moved": moved}
