"""Each office of data/offices.yaml counts in its own office hours (default: the calendar's
default office), and a case's clocks count in the hours of the office whose mailbox received it."""
from __future__ import annotations

import pytest
import yaml

from pipelines import clock
from pipelines.calendar import CalendarError
from pipelines.clock import dossiers
from pipelines.config import Settings
from pipelines.runtime import Runtime
from tests.clock.conftest import seed_dossier
from tests.clock.helpers import wib

# An early office with no lunch break, and one on the calendar's default hours.
OFFICES = [
    {"id": "kantor-pagi", "name": "Kantor Pagi", "address": "-", "city": "Palembang", "email": "pagi@contoh.go.id",
     "official": {"name": "A", "title": "Kepala", "nip": "1"}, "mailboxes": ["blanko"],
     "hours": {day: ["07:00-15:00"] for day in ("mon", "tue", "wed", "thu", "fri")}},
    {"id": "kantor-biasa", "name": "Kantor Biasa", "address": "-", "city": "Jakarta", "email": "biasa@contoh.go.id",
     "official": {"name": "B", "title": "Kepala", "nip": "2"}, "mailboxes": ["layanan-biasa"]},
]


@pytest.fixture
def two_offices(rt, tmp_path):
    path = tmp_path / "offices.yaml"
    path.write_text(yaml.safe_dump(OFFICES), encoding="utf-8")
    return Runtime(Settings(**{**rt.settings.__dict__, "offices_path": path}))


def _state(rt, ref, office, at, **kw):
    with rt.engine.begin() as conn:
        clock.start(rt, conn, case_type="uji", case_ref=ref, at=at, office=office, **kw)
        return clock.state(rt, conn, case_type="uji", case_ref=ref, leg=kw.get("leg", ""), now=at)


def test_two_offices_with_different_hours_give_different_deadlines(two_offices):
    rt = two_offices
    monday_2pm = wib(2026, 11, 2, 14)
    # 120 working minutes: the early office closes at 15:00 (60 min), the rest Tuesday from 07:00.
    early = _state(rt, "1", "kantor-pagi", monday_2pm, service="uji_clock", leg="rekam")
    usual = _state(rt, "2", "kantor-biasa", monday_2pm, service="uji_clock", leg="rekam")
    assert (early.office, early.deadline) == ("kantor-pagi", wib(2026, 11, 3, 8))
    assert (usual.office, usual.deadline) == ("kantor-biasa", wib(2026, 11, 2, 16))
    # One working day ends at each office's own closing time.
    early_day = _state(rt, "3", "kantor-pagi", wib(2026, 11, 2, 9), service="uji_sehari")
    usual_day = _state(rt, "4", "kantor-biasa", wib(2026, 11, 2, 9), service="uji_sehari")
    assert (early_day.deadline, usual_day.deadline) == (wib(2026, 11, 3, 15), wib(2026, 11, 3, 16))
    # An unknown office is refused before anything is recorded.
    with pytest.raises(CalendarError):
        _state(rt, "5", "kantor-entah", monday_2pm, service="uji_sehari")


def test_a_blank_request_counts_in_the_hours_of_the_office_whose_mailbox_received_it(two_offices):
    rt = two_offices
    dossier_id = seed_dossier(rt.engine, rt.settings.outputs_dir, number="BLK-2026-000001", with_files=False,
                              received_at=wib(2026, 11, 2, 9))         # mailbox "blanko": the early office
    with rt.engine.begin() as conn:
        dossiers.opened(rt, conn, dossier_id, "blank_request", wib(2026, 11, 2, 9), "lsp@contoh.id")
        state = clock.state(rt, conn, case_type=dossiers.CASE, case_ref=dossier_id)
    assert (state.office, state.deadline) == ("kantor-pagi", wib(2026, 11, 3, 15))
