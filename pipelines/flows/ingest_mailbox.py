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

from pipelines import poll
from pipelines.runtime import Runtime

_runtimes: dict[str | None, Runtime] = {}


def runtime(config_path: str | None) -> Runtime:
    if config_path not in _runtimes:
        _runtimes[config_path] = Runtime.load(config_path)
    return _runtimes[config_path]


@task(name="fetch-new-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_new_mail(config_path: str | None, mailbox: str) -> int:
    return poll.fetch_new(runtime(config_path), mailbox)


@task(name="process-mail-batch", cache_policy=NO_CACHE)
def process_mail_batch(config_path: str | None, mail_ids: list[int]) -> dict[str, int]:
    return dict(poll.process_batch(runtime(config_path), mail_ids))


@task(name="send-queued-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def send_queued_mail(config_path: str | None) -> dict[str, int]:
    return poll.send_queued(runtime(config_path))


@task(name="make-pending-pdfs", cache_policy=NO_CACHE)
def make_pending_pdfs(config_path: str | None) -> dict[str, int]:
    return poll.make_pdfs(runtime(config_path))


@task(name="move-processed-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def move_processed_mail(config_path: str | None, mailbox: str) -> int:
    return poll.move_processed(runtime(config_path), mailbox)


# An async flow with sync tasks: the work runs in the flow's thread as before, but Prefect's
# async engine does not join its heartbeat thread at the end. The sync engine does, and that
# thread sleeps in whole seconds, so every run's process lingered up to 1 s after the run ended.
# Callers outside Prefect run it with asyncio.run().
@flow(name="ingest-mailbox", log_prints=True)
async def ingest_mailbox(config_path: str | None = None) -> dict:
    """Poll every configured mailbox once and process all new mail."""
    logger = get_run_logger()
    rt = runtime(config_path)
    new = sum(fetch_new_mail(config_path, m.name) for m in rt.settings.mailboxes)
    logger.info("%d surel baru dicatat", new)
    outcomes: Counter = Counter()
    try:
        for batch in poll.pending_batches(rt):
            outcomes.update(process_mail_batch(config_path, batch))
    finally:
        poll.release_workers()
    sent = send_queued_mail(config_path)
    pdf = make_pending_pdfs(config_path)
    moved = sum(move_processed_mail(config_path, m.name) for m in rt.settings.mailboxes)
    logger.info("hasil: %s; surel keluar: %s; PDF: %s; dipindahkan: %d", dict(outcomes), sent, pdf, moved)
    return {"mail_new": new, "outcomes": dict(outcomes), "sent": sent, "pdf": pdf, "moved": moved}
