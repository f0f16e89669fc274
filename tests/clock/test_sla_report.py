"""The SLA report's figures and files, checked against clocks with known outcomes."""
from __future__ import annotations

import openpyxl
import pypdfium2
import pytest

from pipelines.clock import report
from pipelines.flows.service_clocks import period_bounds
from tests.clock.sla_data import BLANK_MEDIAN, PAUSED_KELENGKAPAN, record_week
from tests.clock.helpers import wib


def check_xlsx(path):
    wb = openpyxl.load_workbook(path)
    rows = {r[0]: r for r in wb["Per layanan"].iter_rows(min_row=3, values_only=True)}
    blank = rows["Permohonan Blanko Sertifikat Kompetensi"]
    assert blank[1:4] == (4, 3, 75.0)
    assert blank[4] == pytest.approx(BLANK_MEDIAN, abs=0.01)
    steps = list(wb["Per langkah"].iter_rows(min_row=2, values_only=True))
    [receive] = [r for r in steps if r[0] == "complaint"]
    assert receive[2:5] == (2, 1, 50.0) and receive[5] == pytest.approx(75) and receive[7] == "menit kerja"
    late = {(r[0], r[2]) for r in wb["Keterlambatan"].iter_rows(min_row=2, values_only=True)}
    assert late == {("uji b3", "seluruh layanan"), ("uji c2", "terima")}
    paused = dict(wb["Jeda per alasan"].iter_rows(min_row=2, values_only=True))
    assert paused == {"Menunggu kelengkapan dokumen dari LSP": pytest.approx(PAUSED_KELENGKAPAN)}
    assert len(wb["Per layanan"]._charts) == 1 and len(wb["Jeda per alasan"]._charts) == 1


def check_pdf(path):
    pdf = pypdfium2.PdfDocument(str(path))
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "75.0" in text and "uji b3" in text and "uji c2" in text and str(PAUSED_KELENGKAPAN) in text


def test_report_figures_and_files_match_the_clocks(rt, tmp_path):
    record_week(rt)
    start, end, label = period_bounds("mingguan", wib(2026, 11, 25).date())
    assert (start, end, label) == (wib(2026, 11, 16), wib(2026, 11, 23), "2026-M47")
    fig = report.figures(rt, start, end, now=wib(2026, 11, 25, 9))
    [blank] = fig.services
    assert (blank.count, blank.on_time, blank.share) == (4, 3, 0.75)
    check_xlsx(report.write_xlsx(fig, tmp_path / "r.xlsx", "Laporan"))
    check_pdf(report.write_pdf(fig, tmp_path / "r.pdf", "Laporan"))
