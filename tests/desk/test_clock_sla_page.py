"""The desk's SLA page shows the report's figures and the open clocks needing attention."""
from __future__ import annotations

from datetime import timedelta

from desk_seed import login
from pipelines import clock, db


def test_sla_page_lists_late_clocks_and_the_figures(client, seeded):
    now = db.now()
    with seeded.engine.begin() as conn:
        clock.start(seeded, conn, case_type="uji", case_ref="telat", service="complaint", leg="terima",
                    at=now - timedelta(days=10), holder="cs1")
        clock.start(seeded, conn, case_type="uji", case_ref="selesai", service="complaint", leg="terima",
                    at=now - timedelta(days=9), holder="cs2")
        clock.stop(seeded, conn, case_type="uji", case_ref="selesai", leg="terima", at=now - timedelta(days=2))
    assert client.get("/kinerja-layanan").status_code == 303          # login first
    login(client, "petugas1")
    page = client.get("/kinerja-layanan")
    assert page.status_code == 200
    attention = page.text.split("Perlu perhatian")[1].split("Tepat waktu per layanan")[0]
    assert "uji telat" in attention and "terlambat" in attention and "cs1" in attention
    assert "uji selesai" not in attention
    steps = page.text.split("Tepat waktu per langkah")[1].split("Keterlambatan")[0]
    assert "<td>complaint</td>" in steps and "<td>0.0</td>" in steps      # one step done, late
