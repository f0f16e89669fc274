"""An appeal against an application decision: everyone that case records in the decision (its
auditors, technical evaluators, committee members, and the officer who handled it at the desk)
is refused for the appeal team without anyone typing them in."""
from __future__ import annotations

from datetime import date

import pytest

from pipelines.applications import advance, close_nonconformity, record_nonconformity
from pipelines.complaints.register import confirm_record, register_entry
from pipelines.complaints.team import TeamRefused, candidates, form_team
from tests.applications.factories import SINAR_BAJA
from tests.desk.application_case import application_runtime, enter_iso9001

MATTER = "sistem_manajemen_mutu"


def test_people_recorded_on_the_disputed_application_are_refused_for_the_appeal_team(tmp_path, monkeypatch):
    rt = application_runtime(tmp_path, monkeypatch)
    number = enter_iso9001(rt, officer="rina")
    for _ in range(3):                                     # disposition, verification, offer
        advance(rt, number, officer="kepala")
    advance(rt, number, officer="layanan", inputs={"kode_billing": "820261234567890"})
    advance(rt, number, officer="layanan")                 # payment confirmed
    advance(rt, number, officer="pjt", inputs={"tanggal_audit_tahap1": "2026-12-07", "tanggal_audit_tahap2": "2026-12-14",
                                               "tim": ["Dewi Lestari, S.T.", "Ir. Ahmad Fauzi, M.T."]})
    nc = record_nonconformity(rt, number, grade="minor", clause="9.2", description="Audit internal belum lengkap.",
                              due_date=date(2027, 1, 15), officer="dewi")
    advance(rt, number, officer="dewi")
    close_nonconformity(rt, number, nc, officer="dewi", evidence="Jadwal audit internal disahkan.")
    advance(rt, number, officer="dewi")
    advance(rt, number, officer="tim", inputs={"rekomendasi": "Tidak direkomendasikan.",
                                               "tim_evaluasi": ["Hendra Gunawan, S.Si."]})
    assert advance(rt, number, officer="komite", outcome="penundaan",
                   inputs={"komite": ["Yusuf Pratama, S.T."]}) == "selesai"

    appeal = register_entry(rt, channel="telepon", actor="teguh-desk", name=SINAR_BAJA.contact,
                            email=SINAR_BAJA.email, organisation=SINAR_BAJA.name, entry_type="banding",
                            target=number, text=f"Kami mengajukan banding atas keputusan penundaan pada berkas {number}.")
    confirm_record(rt, appeal["number"], "teguh-desk", entry_type="banding", technical_lead="Lina Marlina, S.T.")

    reasons = {person.id: why for person, why in candidates(rt, appeal["number"], MATTER)}
    assert reasons["dewi"] == ["Dewi Lestari, S.T. terlibat dalam keputusan yang dibanding sebagai auditor.",
                               "Dewi Lestari, S.T. terlibat dalam keputusan yang dibanding sebagai petugas yang menangani."]
    assert reasons["ahmad"] == ["Ir. Ahmad Fauzi, M.T. terlibat dalam keputusan yang dibanding sebagai auditor."]
    assert reasons["hendra"] == ["Hendra Gunawan, S.Si. terlibat dalam keputusan yang dibanding sebagai tim evaluasi teknis."]
    assert reasons["yusuf"][0] == "Yusuf Pratama, S.T. terlibat dalam keputusan yang dibanding sebagai komite evaluasi."
    assert reasons["rina"][0] == "Rina Kartika terlibat dalam keputusan yang dibanding sebagai petugas yang menangani."
    assert "memberikan konsultasi kepada PT Sinar Baja Nusantara" in reasons["sari"][0]
    assert reasons["lina"] == [] and reasons["teguh"] == []

    with pytest.raises(TeamRefused) as refused:
        form_team(rt, appeal["number"], "teguh-desk", matter=MATTER, chair_id="lina", member_ids=["lina", "teguh", "hendra"])
    assert refused.value.problems == [
        "Hendra Gunawan, S.Si. terlibat dalam keputusan yang dibanding sebagai tim evaluasi teknis."]
