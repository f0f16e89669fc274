"""Service clocks, on schedules: watch the clocks (warnings, breaches, moved deadlines, apology
letters; the officers' digest in the morning) and write the SLA report (weekly and monthly)
for the head of office. The work is in pipelines/clock (watch, compensation, report)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from pipelines import db
from pipelines.calendar import JAKARTA
from pipelines.clock import compensation, report, watch
from pipelines.flows.ingest_mailbox import runtime, send_queued_mail
from pipelines.send.outbox import enqueue
from pipelines.write.words import format_date_id

PERIODS = ("mingguan", "bulanan")


@task(name="sweep-clocks", cache_policy=NO_CACHE)
def sweep_task(config_path: str | None) -> dict:
    result = watch.sweep(runtime(config_path))
    return {"peringatan": len(result.warned), "terlambat": len(result.breached),
            "tenggat_bergeser": len(result.moved), "surat_maaf": result.letters_owed}


@task(name="write-apology-letters", retries=1, cache_policy=NO_CACHE)
def letters_task(config_path: str | None) -> list[str]:
    return compensation.write_and_mail_letters(runtime(config_path))


@task(name="morning-digest", cache_policy=NO_CACHE)
def digest_task(config_path: str | None) -> int | None:
    return watch.morning_digest(runtime(config_path))


@flow(name="watch-service-clocks", log_prints=True)
def watch_service_clocks(config_path: str | None = None, digest: bool = False) -> dict:
    """Mark warnings and breaches, follow calendar changes, write and mail apology letters;
    with `digest`, queue the officers' digest (only in office hours); then send."""
    logger = get_run_logger()
    swept = sweep_task(config_path)
    letters = letters_task(config_path)
    listed = digest_task(config_path) if digest else None
    sent = send_queued_mail(config_path)
    logger.info("Jam layanan: %s; surat maaf: %s; ringkasan: %s; surel: %s", swept, letters, listed, sent)
    return {**swept, "surat_ditulis": letters, "ringkasan": listed, "sent": sent}


def period_bounds(period: str, today: date) -> tuple[datetime, datetime, str]:
    """The last full week (Monday to Monday) or month before `today`, WIB midnights."""
    if period == "mingguan":
        end = today - timedelta(days=today.weekday())
        start = end - timedelta(days=7)
        label = f"{start.isocalendar().year}-M{start.isocalendar().week:02d}"
    elif period == "bulanan":
        end = today.replace(day=1)
        start = (end - timedelta(days=1)).replace(day=1)
        label = f"{start:%Y-%m}"
    else:
        raise ValueError(f"periode '{period}' tidak dikenal (mingguan atau bulanan)")
    return (datetime.combine(start, time(), JAKARTA), datetime.combine(end, time(), JAKARTA), label)


@task(name="write-sla-report", cache_policy=NO_CACHE)
def report_task(config_path: str | None, period: str, today: str | None) -> dict:
    rt = runtime(config_path)
    day = date.fromisoformat(today) if today else rt.calendar.local_date(db.now())
    start, end, label = period_bounds(period, day)
    fig = report.figures(rt, start, end)
    title = (f"Laporan Kinerja Layanan ({period}) {format_date_id(start.date())} - "
             f"{format_date_id((end - timedelta(days=1)).date())}")
    folder = rt.settings.outputs_dir / "laporan_sla"
    xlsx = report.write_xlsx(fig, folder / f"laporan_sla_{label}.xlsx", title)
    pdf = report.write_pdf(fig, folder / f"laporan_sla_{label}.pdf", title)
    to = rt.settings.head_of_office or rt.settings.office.email
    with rt.engine.begin() as conn:
        enqueue(conn, key=f"laporan_sla:{period}:{label}", to=[to], subject=title,
                body=(f"Yth. Kepala Kantor,\n\nTerlampir {title.lower()} dalam XLSX dan PDF: "
                      f"{sum(r.count for r in fig.services)} layanan selesai, {len(fig.breaches)} keterlambatan.\n\n"
                      "Pesan ini dikirim otomatis oleh Sertiflow."),
                sender_domain=rt.settings.sender.split("@", 1)[1], attachments=[str(xlsx), str(pdf)])
    return {"xlsx": str(xlsx), "pdf": str(pdf), "label": label, "breaches": len(fig.breaches)}


@flow(name="sla-report", log_prints=True)
def sla_report(config_path: str | None = None, period: str = "mingguan", today: str | None = None) -> dict:
    """Write the SLA report of the last full week or month (XLSX and PDF with charts) and mail
    it to the head of office."""
    written = report_task(config_path, period, today)
    sent = send_queued_mail(config_path)
    get_run_logger().info("Laporan SLA %s: %s; surel: %s", period, written, sent)
    return {**written, "sent": sent}
