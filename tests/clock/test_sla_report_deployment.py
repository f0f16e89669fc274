"""The SLA report runs as a Prefect deployment (real server, `prefect deploy --all`, a process
worker): its XLSX and PDF carry the figures of the clocks, and the head of office receives
both by mail on the real SMTP server."""
from __future__ import annotations

from pathlib import Path

import yaml

from pipelines.runtime import Runtime
from tests.clock.sla_data import record_week
from tests.clock.test_sla_report import check_pdf, check_xlsx
from tests.prod.test_prefect_stack import stack  # noqa: F401  (the module's Prefect stack)
from tests.spine.office import office_settings, parse

HEAD = "kepala@bnsp.example.go.id"


def test_weekly_sla_report_deployment_writes_and_mails_the_figures(stack, tmp_path, mailbox, smtp_server):  # noqa: F811
    config = tmp_path / "sertiflow.yaml"
    outputs = tmp_path / "outputs"
    config.write_text(yaml.safe_dump(office_settings(outputs, mailbox, smtp_server, head_of_office=HEAD,
                                                     database_url=f"sqlite:///{tmp_path / 'sertiflow.db'}")))
    record_week(Runtime.load(config))
    run = stack.wait(stack.run_deployment("sla-report-weekly", {"config_path": str(config), "period": "mingguan",
                                                                "today": "2026-11-25"}), 600)
    assert run["state"]["type"] == "COMPLETED", (run["state"], stack.logs_of(run["id"]))
    folder = outputs / "laporan_sla"
    check_xlsx(folder / "laporan_sla_2026-M47.xlsx")
    check_pdf(folder / "laporan_sla_2026-M47.pdf")
    mails = [parse(raw) for raw in smtp_server.mailbox_of(HEAD).fetch_all("INBOX")]
    [report_mail] = [m for m in mails if "16 November 2026" in m["Subject"]]
    names = sorted(Path(a.get_filename()).name for a in report_mail.iter_attachments())
    assert names == ["laporan_sla_2026-M47.pdf", "laporan_sla_2026-M47.xlsx"]
