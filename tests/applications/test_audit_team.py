"""The audit team of a case, whichever way it is given: completing the audit-notice step with
`advance` (outside the desk) refuses a team in which any member, not only the lead, lacks the
service's competence or consulted for the applicant, with the same Indonesian reasons the desk's
team form gives; nothing is written or mailed for a refused team."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from pipelines import db
from pipelines.applications import ApplicationError, advance
from tests.applications.office import step_inputs
from tests.desk.application_case import NO_COMPETENCE, application_runtime, enter_iso9001, login

LEAD = "Ir. Ahmad Fauzi, M.T."
CONSULTED = "Sari Wulandari, S.E."     # consulted for the applicant until 31 August 2025
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
NOTICE = {"tanggal_audit_tahap1": "2026-12-07", "tanggal_audit_tahap2": "2026-12-14"}


@pytest.fixture
def rt(tmp_path, monkeypatch):
    return application_runtime(tmp_path, monkeypatch)


def status(rt, number: str) -> str:
    with rt.engine.connect() as conn:
        return db.dossier_by_number(conn, number)["status"]


def count(rt, table, **where) -> int:
    with rt.engine.connect() as conn:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return conn.execute(query).scalar()


def test_advance_refuses_a_team_member_without_the_competence_as_the_desk_does(rt):
    number = enter_iso9001(rt)
    service = rt.services["iso9001_lsbbk"]
    while status(rt, number) != "pemberitahuan_audit":
        advance(rt, number, officer="petugas", inputs=step_inputs(service.step(status(rt, number)), service))
    written, queued = count(rt, db.generated_files), count(rt, db.outbox)

    # A competent lead does not carry a member who lacks the competence.
    with pytest.raises(ApplicationError) as refused:
        advance(rt, number, officer="pjt", inputs={**NOTICE, "tim": [LEAD, NO_COMPETENCE]})
    assert str(refused.value) == f"{NO_COMPETENCE} tidak tercatat kompeten dalam sistem manajemen mutu (iso 9001)."
    with pytest.raises(ApplicationError, match=f"{CONSULTED} memberikan konsultasi kepada PT Sinar Baja Nusantara"):
        advance(rt, number, officer="pjt", inputs={**NOTICE, "tim": [LEAD, CONSULTED]})
    with pytest.raises(ApplicationError, match="tidak ada dalam daftar personel"):
        advance(rt, number, officer="pjt", inputs={**NOTICE, "tim": [LEAD, "Orang Asing"]})
    assert status(rt, number) == "pemberitahuan_audit"
    assert (count(rt, db.generated_files), count(rt, db.outbox)) == (written, queued)

    # The desk's team form gives the same reason for the same team (one rule for both paths).
    client = login(rt, "rina")
    token = CSRF.search(client.get(f"/permohonan/{number}").text).group(1)
    page = client.post(f"/permohonan/{number}/tim", data={"csrf_token": token, "ketua": LEAD,
                                                            "anggota": [NO_COMPETENCE]}).text
    assert str(refused.value) in page

    assert advance(rt, number, officer="pjt", inputs={**NOTICE, "tim": [LEAD, "Dewi Lestari, S.T."]}) == "audit"
    assert count(rt, db.generated_files, kind="pemberitahuan_audit") == 1
