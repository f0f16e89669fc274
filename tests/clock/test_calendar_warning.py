"""The desk dashboard (/dasbor) warns about a year whose holidays and cuti bersama are not
confirmed (neither in the `holidays` library nor in data/calendar.yaml's confirmed_years),
for the years open deadlines fall in: this year and the next."""
from __future__ import annotations

from datetime import date

import yaml

from pipelines.desk import queries

WARNING = "Kalender {year} belum dikonfirmasi"


def test_the_dashboard_warns_about_a_year_without_confirmed_collective_leave(desk, monkeypatch):
    rt, client = desk
    page = client.get("/dasbor")           # 2026 and 2027: the library has their cuti bersama
    assert page.status_code == 200 and "belum dikonfirmasi" not in page.text

    monkeypatch.setattr(queries, "today", lambda: date(2027, 11, 30))   # late 2027: deadlines reach 2028
    page = client.get("/dasbor")
    assert WARNING.format(year=2028) in page.text and WARNING.format(year=2027) not in page.text
    assert "tanpa cuti bersama" in page.text

    # The office confirms 2028 (the decree set its cuti bersama): the running desk drops the warning.
    data = yaml.safe_load(rt.settings.calendar_path.read_text(encoding="utf-8"))
    data["confirmed_years"] = {2028: "SKB 3 Menteri tentang Hari Libur Nasional dan Cuti Bersama 2028"}
    rt.settings.calendar_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert "belum dikonfirmasi" not in client.get("/dasbor").text
