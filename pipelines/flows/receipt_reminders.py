"""Daily: one reminder to each LSP whose countersigned receipt is overdue, then a flag for
officers (event + warning finding). Plain functions in `pipelines.fulfil.reminders`."""
from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipelines.flows.ingest_mailbox import runtime, send_queued_mail
from pipelines.fulfil.reminders import remind_and_flag


@task(name="remind-and-flag", cache_policy=NO_CACHE)
def remind_task(config_path: str | None) -> dict:
    run = remind_and_flag(runtime(config_path))
    return {"reminded": run.reminded, "flagged": run.flagged}


@flow(name="receipt-reminders", log_prints=True)
def receipt_reminders(config_path: str | None = None) -> dict:
    logger = get_run_logger()
    result = remind_task(config_path)
    sent = send_queued_mail(config_path)
    logger.info("Pengingat: %s; ditandai: %s; surel: %s", result["reminded"], result["flagged"], sent)
    return {**result, "sent": sent}
