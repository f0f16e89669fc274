"""SLA figures from the clocks, and the report files (XLSX and PDF, with charts).

For a period [start, end): clocks that stopped in it give the on-time share and the durations
(median and 90th percentile of the working time used, in each clock's unit) per service
(whole-service promise) and per step (legs); breaches list every clock of the period (stopped
in it, or still open) that missed its deadline, with the step, who held it and why it paused;
time paused per reason is the working time of the pauses of those clocks. The desk's SLA page
(pipelines/clock/web.py) shows the same `SlaFigures`.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

from pipelines import db
from pipelines.clock import store
from pipelines.clock.clocks import compute_states
from pipelines.clock.engine import DAYS, KIND_CODES
from pipelines.clock.targets import service_clock
from pipelines.clock.worktime import worktime_for


@dataclass
class Row:
    service: str
    leg: str                 # "" = whole service
    label: str
    unit: str
    count: int
    on_time: int
    median: float
    p90: float

    @property
    def share(self) -> float:
        return self.on_time / self.count if self.count else 0.0

    @property
    def unit_label(self) -> str:
        return "hari kerja" if self.unit == DAYS else "menit kerja"


@dataclass
class SlaFigures:
    start: datetime
    end: datetime
    services: list[Row] = field(default_factory=list)
    steps: list[Row] = field(default_factory=list)
    breaches: list[dict] = field(default_factory=list)
    paused: list[tuple[str, float]] = field(default_factory=list)   # (reason label, working minutes)
    complaints: dict | None = None   # the complaints register's monthly summary (None: no complaint service)


def _rows(rt, groups: dict) -> list[Row]:
    rows = []
    for (service, leg, unit), states in sorted(groups.items()):
        used = np.array([s.used for s in states])
        svc = rt.services.get(service)
        label = svc.name if svc is not None else service
        if leg and svc is not None:
            label = next((s["label"] for s in svc.steps if s["id"] == leg), leg)
        rows.append(Row(service, leg, label, unit, len(states), sum(not s.breached for s in states),
                        float(np.median(used)), float(np.percentile(used, 90))))
    return rows


def figures(rt, start: datetime, end: datetime, now: datetime | None = None) -> SlaFigures:
    now = now or db.now()
    with rt.engine.connect() as conn:
        closed = store.load_logs(conn, open_only=False, closed_since=start, closed_until=end)
        still_open = store.load_logs(conn, open_only=True)
    result = SlaFigures(start, end)
    groups = defaultdict(list)
    reasons_minutes = defaultdict(float)
    for logs, finished in ((closed, True), (still_open, False)):
        rows, ev_clock, ev_kind, ev_at, ev_reason = logs
        states = compute_states(rt, *logs, now=now)
        for state in states:
            if finished:
                groups[(state.service, state.leg, state.unit)].append(state)
            if state.breached and (finished or state.deadline < end):
                result.breaches.append({
                    "case": f"{state.case_type} {state.case_ref}", "service": state.service,
                    "step": state.leg or "seluruh layanan", "holder": state.holder or "-",
                    "deadline": state.deadline, "reasons": ""})
        _paused_by_reason(rt, rows, ev_clock, ev_kind, ev_at, ev_reason, now, reasons_minutes, result, states)
    whole = {k: v for k, v in groups.items() if not k[1]}
    legs = {k: v for k, v in groups.items() if k[1]}
    result.services, result.steps = _rows(rt, whole), _rows(rt, legs)
    result.paused = sorted(reasons_minutes.items(), key=lambda x: -x[1])
    result.complaints = _complaints_summary(rt, end)
    return result


def _complaints_summary(rt, end: datetime) -> dict | None:
    """Complaints and appeals of the month (WIB) the period ends in: the whole month for a
    monthly report, the month so far for a weekly one (pipelines/complaints/report.py)."""
    from pipelines.calendar import JAKARTA
    from pipelines.complaints.register import KIND
    from pipelines.complaints.report import monthly_summary     # complaints run on this engine
    if KIND not in rt.services:
        return None
    last = (db.aware(end) - timedelta(microseconds=1)).astimezone(JAKARTA)
    return monthly_summary(rt, last.year, last.month)


def complaint_tables(summary: dict) -> list[tuple[str, list[str], list[list]]]:
    """The summary as (title, header, rows) tables, the same in the XLSX, the PDF and the desk."""
    def counts(title, column, values):
        return (title, [column, "Jumlah"], [[k, v] for k, v in values.items()])
    return [
        ("Jumlah", ["Bulan", "Jumlah pengaduan dan banding"], [[summary["month_label"], summary["total"]]]),
        counts("Per jenis", "Jenis", summary["by_type"]),
        counts("Per saluran", "Saluran", summary["by_channel"]),
        counts("Per hasil", "Hasil", summary["by_outcome"]),
        ("Tepat waktu per langkah", ["Langkah", "Target", "Selesai", "Tepat waktu", "Persentase tepat waktu"],
         [[s["label"], s["target"], s["finished"], s["on_time"], s["share_text"]] for s in summary["steps"]]),
    ]


def _reason_label(rt, service: str, reason: str) -> str:
    svc = rt.services.get(service)
    return service_clock(svc).pause_reasons.get(reason, reason) if svc is not None else reason


def _paused_by_reason(rt, rows, ev_clock, ev_kind, ev_at, ev_reason, now, totals, result, states) -> None:
    if not len(ev_clock):
        return
    nxt = np.empty(len(ev_at))
    nxt[:-1] = ev_at[1:]
    last = np.ones(len(ev_at), dtype=bool)
    last[:-1] = ev_clock[1:] != ev_clock[:-1]
    nxt[last] = now.timestamp()
    paused = ev_kind == KIND_CODES["paused"]
    reasons_of = defaultdict(set)
    office_of, service_of = store.COLUMN["office"], store.COLUMN["service"]
    event_office = np.array([rows[c][office_of] for c in ev_clock], dtype=object)
    for office in {r[office_of] for r in rows}:
        wt = worktime_for(rt.calendar.for_office(office))
        sel = paused & (event_office == office)
        minutes = wt.minutes_at(nxt[sel]) - wt.minutes_at(ev_at[sel])
        for i, m in zip(np.flatnonzero(sel), minutes):
            totals[_reason_label(rt, rows[ev_clock[i]][service_of], ev_reason[i])] += float(m)
            reasons_of[int(ev_clock[i])].add(ev_reason[i])
    by_case = {(s.case_type, s.case_ref, s.leg or "seluruh layanan"): i for i, s in enumerate(states)}
    for breach in result.breaches:
        case_type, case_ref = breach["case"].split(" ", 1)
        i = by_case.get((case_type, case_ref, breach["step"]))
        if i is not None and not breach["reasons"]:
            breach["reasons"] = ", ".join(sorted(reasons_of.get(i, ()))) or "-"


# -- files ------------------------------------------------------------------------------
def _wib(moment: datetime) -> str:
    from pipelines.calendar import JAKARTA
    return db.aware(moment).astimezone(JAKARTA).strftime("%d-%m-%Y %H:%M")


def write_xlsx(fig: SlaFigures, path: Path, title: str) -> Path:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference

    wb = Workbook()
    ws = wb.active
    ws.title = "Per layanan"
    ws.append([title])
    ws.append(["Layanan", "Selesai", "Tepat waktu", "Persentase tepat waktu", "Median", "Persentil 90", "Satuan"])
    for r in fig.services:
        ws.append([r.label, r.count, r.on_time, round(r.share * 100, 1), round(r.median, 2), round(r.p90, 2), r.unit_label])
    if fig.services:
        chart = BarChart()
        chart.title, chart.y_axis.title = "Tepat waktu per layanan (%)", "%"
        chart.add_data(Reference(ws, min_col=4, min_row=2, max_row=2 + len(fig.services)), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=3, max_row=2 + len(fig.services)))
        ws.add_chart(chart, "I2")
    steps = wb.create_sheet("Per langkah")
    steps.append(["Layanan", "Langkah", "Selesai", "Tepat waktu", "Persentase tepat waktu", "Median", "Persentil 90", "Satuan"])
    for r in fig.steps:
        steps.append([r.service, r.label, r.count, r.on_time, round(r.share * 100, 1), round(r.median, 2),
                      round(r.p90, 2), r.unit_label])
    if fig.steps:
        chart = BarChart()
        chart.title = "Tepat waktu per langkah (%)"
        chart.add_data(Reference(steps, min_col=5, min_row=1, max_row=1 + len(fig.steps)), titles_from_data=True)
        chart.set_categories(Reference(steps, min_col=2, min_row=2, max_row=1 + len(fig.steps)))
        steps.add_chart(chart, "J2")
    late = wb.create_sheet("Keterlambatan")
    late.append(["Perkara", "Layanan", "Langkah", "Tenggat (WIB)", "Dipegang", "Alasan jeda"])
    for b in fig.breaches:
        late.append([b["case"], b["service"], b["step"], _wib(b["deadline"]), b["holder"], b["reasons"]])
    paused = wb.create_sheet("Jeda per alasan")
    paused.append(["Alasan", "Menit kerja"])
    for reason, minutes in fig.paused:
        paused.append([reason, round(minutes, 1)])
    if fig.paused:
        chart = BarChart()
        chart.title = "Waktu jeda per alasan (menit kerja)"
        chart.add_data(Reference(paused, min_col=2, min_row=1, max_row=1 + len(fig.paused)), titles_from_data=True)
        chart.set_categories(Reference(paused, min_col=1, min_row=2, max_row=1 + len(fig.paused)))
        paused.add_chart(chart, "D2")
    if fig.complaints is not None:
        sheet = wb.create_sheet("Pengaduan bulanan")
        sheet.append([f"Pengaduan dan banding, {fig.complaints['month_label']}"])
        for table_title, header, rows in complaint_tables(fig.complaints):
            sheet.append([])
            sheet.append([table_title])
            sheet.append(header)
            for row in rows:
                sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _bar(values: list[float], names: list[str], title: str):
    from reportlab.graphics.charts.barcharts import VerticalBarChart
    from reportlab.graphics.shapes import Drawing, String

    drawing = Drawing(460, 200)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 40, 400, 130
    chart.data = [values or [0]]
    chart.categoryAxis.categoryNames = [n[:18] for n in names] or ["-"]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    drawing.add(chart)
    drawing.add(String(40, 185, title, fontSize=9))
    return drawing


def write_pdf(fig: SlaFigures, path: Path, title: str) -> Path:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey), ("FONTSIZE", (0, 0), (-1, -1), 7),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey)])
    story = [Paragraph(title, styles["Title"])]
    story += [Paragraph("Per layanan", styles["Heading2"]),
              Table([["Layanan", "Selesai", "Tepat waktu", "%", "Median", "P90", "Satuan"]] +
                    [[r.label[:40], r.count, r.on_time, f"{r.share * 100:.1f}", f"{r.median:.2f}", f"{r.p90:.2f}",
                      r.unit_label] for r in fig.services], style=grid),
              _bar([r.share * 100 for r in fig.services], [r.label for r in fig.services], "Tepat waktu per layanan (%)")]
    story += [Paragraph("Per langkah", styles["Heading2"]),
              Table([["Layanan", "Langkah", "Selesai", "Tepat waktu", "%", "Median", "P90", "Satuan"]] +
                    [[r.service, r.label[:30], r.count, r.on_time, f"{r.share * 100:.1f}", f"{r.median:.2f}",
                      f"{r.p90:.2f}", r.unit_label] for r in fig.steps], style=grid),
              _bar([r.share * 100 for r in fig.steps], [r.label for r in fig.steps], "Tepat waktu per langkah (%)")]
    story += [Paragraph("Keterlambatan", styles["Heading2"]),
              Table([["Perkara", "Layanan", "Langkah", "Tenggat (WIB)", "Dipegang", "Alasan jeda"]] +
                    [[b["case"], b["service"], b["step"], _wib(b["deadline"]), b["holder"], b["reasons"]]
                     for b in fig.breaches], style=grid),
              Spacer(1, 8), Paragraph("Waktu jeda per alasan", styles["Heading2"]),
              Table([["Alasan", "Menit kerja"]] + [[r, f"{m:.0f}"] for r, m in fig.paused], style=grid),
              _bar([m for _, m in fig.paused], [r for r, _ in fig.paused], "Waktu jeda per alasan (menit kerja)")]
    if fig.complaints is not None:
        story += [Paragraph(f"Pengaduan dan banding, {fig.complaints['month_label']}", styles["Heading2"])]
        for table_title, header, rows in complaint_tables(fig.complaints):
            story += [Paragraph(table_title, styles["Heading3"]), Table([header] + rows, style=grid)]
    path.parent.mkdir(parents=True, exist_ok=True)
    SimpleDocTemplate(str(path), pagesize=A4, title=title).build(story)
    return path
