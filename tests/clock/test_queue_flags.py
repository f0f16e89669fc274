"""Warnings and breaches in the desk's queues (issue 10 item 4), over HTTP on a real SQLite
database: the main queue (/antrean) and the applications list (/permohonan) show per case
"hampir jatuh tempo" once the service's warning share of the promise is used, and
"terlambat" with who holds the case once the deadline passed."""
from __future__ import annotations

import re

from sqlalchemy import insert

from pipelines import clock, db
from tests.clock.conftest import seed_dossier
from tests.clock.helpers import wib


def _flag_of(html: str, marker: str) -> str:
    """The text of the clock flag in the table row that holds `marker` ("–" when none)."""
    row = next(r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, flags=re.S) if marker in r)
    cell = re.search(r'<td class="jam-layanan">(.*?)</td>', row, flags=re.S).group(1)
    return re.sub(r"<[^>]+>", "", cell).strip()


def _blank_request(rt, number: str, *, paused_at=None) -> int:
    """A blank request received Monday 2 November 2026 09:00 WIB: its one working day is
    Tuesday (07:30-12:00, 13:00-16:00 = 450 office minutes), deadline Tuesday 16:00."""
    dossier_id = seed_dossier(rt.engine, rt.settings.outputs_dir, number=number, with_files=False,
                              received_at=wib(2026, 11, 2, 9))
    with rt.engine.begin() as conn:
        clock.start(rt, conn, case_type="dossier", case_ref=dossier_id, service="blank_request",
                    at=wib(2026, 11, 2, 9), holder="Rina Wulandari")
        if paused_at is not None:        # the LSP owes a document since then: the share stands still
            clock.pause(rt, conn, case_type="dossier", case_ref=dossier_id, reason="kelengkapan", at=paused_at)
    return dossier_id


def test_the_main_queue_flags_cases_near_their_deadline_and_late_ones_with_their_holder(desk):
    rt, client = desk
    _blank_request(rt, "BLK-2026-000001")                                   # ran past Tuesday 16:00
    _blank_request(rt, "BLK-2026-000002", paused_at=wib(2026, 11, 3, 14, 30))   # 360/450 = 80% used
    _blank_request(rt, "BLK-2026-000003", paused_at=wib(2026, 11, 3, 14))       # 330/450 = 73% used
    seed_dossier(rt.engine, rt.settings.outputs_dir, number="BLK-2026-000004", with_files=False)  # no clock

    page = client.get("/antrean")
    assert page.status_code == 200
    assert _flag_of(page.text, "BLK-2026-000001") == "terlambat (dipegang Rina Wulandari)"
    assert _flag_of(page.text, "BLK-2026-000002") == "hampir jatuh tempo"
    assert _flag_of(page.text, "BLK-2026-000003") == "–"           # below the 75% share
    assert _flag_of(page.text, "BLK-2026-000004") == "–"
    # The same table as the filter's partial (htmx) answer.
    partial = client.get("/antrean", headers={"hx-request": "true", "hx-target": "antrean-hasil"})
    assert _flag_of(partial.text, "BLK-2026-000001") == "terlambat (dipegang Rina Wulandari)"

    # Who holds it is read when the page is drawn: a hand-over shows at once.
    with rt.engine.begin() as conn:
        clock.hand_over(rt, conn, case_type="dossier", case_ref=db.dossier_by_number(conn, "BLK-2026-000001")["id"],
                        holder="Drs. Budi Santoso, M.M.")
    assert _flag_of(client.get("/antrean").text, "BLK-2026-000001") == "terlambat (dipegang Drs. Budi Santoso, M.M.)"


def test_the_warning_share_is_the_services_setting(desk, tmp_path):
    """warn_at comes from the service's clock section: at 0.5, 73% used is already flagged."""
    rt, client = desk
    rt.services["blank_request"].clock["warn_at"] = 0.5
    _blank_request(rt, "BLK-2026-000003", paused_at=wib(2026, 11, 3, 14))
    assert _flag_of(client.get("/antrean").text, "BLK-2026-000003") == "hampir jatuh tempo"


def test_the_applications_list_flags_a_late_application_with_its_holder(desk):
    rt, client = desk
    service = rt.services["iso9001_lsbbk"]
    with rt.engine.begin() as conn:
        started = wib(2026, 9, 1, 9)
        late_id = conn.execute(insert(db.dossiers).values(
            number="ISO-2026-000001", kind="iso9001_lsbbk", status=service.steps[0]["id"],
            sender="pt-a@example.co.id", subject="ISO-2026-000001", received_at=started, created_at=started,
            updated_at=started, facts={})).inserted_primary_key[0]
        clock.start(rt, conn, case_type="application", case_ref=late_id, service="iso9001_lsbbk", at=started,
                    holder="Seksi Sertifikasi")
        # 32 working days from 1 September 2026 ended in mid-October.
        assert clock.state(rt, conn, case_type="application", case_ref=late_id).deadline < wib(2026, 10, 20)
    listing = client.get("/permohonan")
    assert listing.status_code == 200
    assert _flag_of(listing.text, "ISO-2026-000001") == "terlambat (dipegang Seksi Sertifikasi)"
