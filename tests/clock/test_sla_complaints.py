"""Issue 12 item 7: the complaints register's monthly summary (counts by type, channel and
outcome; on-time share per step) is in the SLA report's XLSX and PDF and on /kinerja-layanan,
with the figures the register itself shows (its XLSX export)."""
from __future__ import annotations

import io
from collections import Counter
from datetime import datetime

import pypdfium2
from openpyxl import load_workbook

from pipelines import db
from pipelines.calendar import JAKARTA
from pipelines.clock import report
from pipelines.complaints.register import service
from pipelines.complaints.report import register_xlsx
from tests.complaints.office import register_three


def _from_the_register(rt) -> dict:
    """What the register's own export says: counts by type and channel, and per step how many
    finished and how many on time."""
    sheet = load_workbook(io.BytesIO(register_xlsx(rt))).active
    header, *rows = list(sheet.iter_rows(values_only=True))
    col = {name: i for i, name in enumerate(header)}
    steps = {}
    for s in service(rt).steps:
        done = [r for r in rows if r[col[f"{s['label'][:40]}: selesai"]] is not None]
        steps[s["label"]] = (len(done), sum(r[col[f"{s['id']}: tepat waktu"]] == "ya" for r in done))
    return {"total": len(rows), "type": Counter(r[col["Jenis"]] for r in rows),
            "channel": Counter(r[col["Saluran"]] for r in rows), "steps": steps}


def _this_month():
    local = db.now().astimezone(JAKARTA)
    start = datetime(local.year, local.month, 1, tzinfo=JAKARTA)
    return start, datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, tzinfo=JAKARTA)


def _tables_in_sheet(sheet) -> dict[str, list[tuple]]:
    """Sheet rows grouped under their table titles (a one-cell row followed by a header)."""
    tables, current = {}, None
    for row in list(sheet.iter_rows(values_only=True))[1:]:
        cells = [c for c in row if c is not None]
        if not cells:
            current = None
        elif current is None and len(cells) == 1:
            current = tables.setdefault(cells[0], [])
        elif current is not None:
            current.append(tuple(cells))
    return tables


def test_the_sla_report_carries_the_complaints_summary_as_the_register_has_it(rt, tmp_path):
    register_three(rt)
    expected = _from_the_register(rt)
    # The register: 3 entries, all 3 received and identified, 1 recorded and forwarded so far.
    assert expected["total"] == 3 and sorted(f for f, _ in expected["steps"].values()) == [0, 0, 0, 1, 3]
    start, end = _this_month()
    fig = report.figures(rt, start, end)

    sheet = load_workbook(report.write_xlsx(fig, tmp_path / "sla.xlsx", "Laporan SLA"))["Pengaduan bulanan"]
    tables = _tables_in_sheet(sheet)
    assert tables["Jumlah"][1][1] == expected["total"]
    assert dict(tables["Per jenis"][1:]) == dict(expected["type"])
    assert dict(tables["Per saluran"][1:]) == dict(expected["channel"])
    assert dict(tables["Per hasil"][1:]) == {"Belum diputus": 3}
    per_step = {row[0]: row[2:] for row in tables["Tepat waktu per langkah"][1:]}
    assert set(per_step) == set(expected["steps"])
    for label, (finished, on_time) in expected["steps"].items():
        share = "-" if not finished else f"{on_time / finished * 100:.0f}%"
        assert per_step[label] == (finished, on_time, share), label

    pdf = pypdfium2.PdfDocument(str(report.write_pdf(fig, tmp_path / "sla.pdf", "Laporan SLA")))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert f"Pengaduan dan banding, {fig.complaints['month_label']}" in text
    for name, count in list(expected["type"].items()) + list(expected["channel"].items()):
        assert f"{name} {count}" in text.replace("\r\n", " ").replace("\n", " ")


def test_the_sla_page_shows_the_complaints_summary(desk):
    rt, client = desk
    register_three(rt)
    expected = _from_the_register(rt)
    page = client.get("/kinerja-layanan")
    assert page.status_code == 200 and "Pengaduan dan banding" in page.text
    for name, count in expected["channel"].items():
        assert f"<td>{name}</td><td>{count}</td>" in page.text
