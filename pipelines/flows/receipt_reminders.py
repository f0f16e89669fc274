"""Daily: one reminder to each LSP whose countersigned receipt is overdue, then a flag for
officers (event + warning finding). Plain functions in `pipelines.fulfil.reminders`."""
from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

import pipelines.fulfil  # noqa: F401  (tables and hooks)
from pipelines.flows.ingest_mailbox import runtime
from pipelines.fulfil.reminders import remind_and_flag
from pipelines.send.outbox import drain
from pipelines.send.transport import transport_for


@task(name="remind-and-flag", cache_policy=NO_CACHE)
def remind_task(config_path: str | None) -> dict:
    run = remind_and_flag(runtime(config_path))
    return {"reminded": run.reminded, "flagged": run.flagged}


@task(name="send-queued-mail", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def send_task(config_path: str | None) -> dict:
    rt = runtime(config_path)
    return drain(rt.engine, transport_for(rt.settings), rt.worker)


@flow(name="receipt-reminders", log_prints=True)
def receipt_reminders(config_path: str | None = None) -> dict:
    logger = get_run_logger()
    result = remind_task(config_path)
    sent = send_task(config_path)
    logger.info("Pengingat: %s; ditandai: %s; surel: %s", result["reminded"], result["flagged"], sent)
    return {**result, "sent": sent}
