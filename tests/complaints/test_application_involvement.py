"""An appeal against an application decision: who that case records as its auditors,
evaluators, committee and officer is found from the case itself (pure rule)."""
from __future__ import annotations

from pipelines.complaints.conflicts import involvement_in_application
from pipelines.complaints.staff import load_staff


def test_the_case_records_name_every_involved_staff_member_with_their_role():
    people = load_staff()           # data/staff.yaml
    data = {"tim": ["Ir. Ahmad Fauzi, M.T.", "Dewi Lestari, S.T."], "tim_evaluasi": ["Hendra Gunawan, S.Si."],
            "komite": ["Yusuf Pratama, S.T.", "Orang Luar Daftar"], "kode_billing": "820261234567890"}
    found = involvement_in_application(data, people, actors={"rina", "sistem"})
    assert found == [("ahmad", "auditor"), ("dewi", "auditor"), ("hendra", "evaluator"), ("yusuf", "komite"),
                     ("rina", "petugas")]


def test_a_case_with_nothing_recorded_involves_nobody():
    assert involvement_in_application({}, load_staff(), actors=set()) == []
