"""Who may sit on an appeal team: pure rules from staff data to reasons for refusal.

ISO/IEC 17065 7.13 and 17021-1 9.8: decisions on appeals are made by people not involved in
the disputed decision, and nobody who consulted for or worked at the appellant in the last
two years; seed 003 adds: competent in the matter of the appeal.
"""
from __future__ import annotations

import re
from datetime import date

from pipelines.complaints.staff import INVOLVEMENT_ROLES, Staff
from pipelines.write.words import format_date_id

_LEGAL_FORMS = re.compile(r"\b(pt|cv|tbk|persero|lsp|ud|koperasi|yayasan)\b\.?")


def same_organisation(a: str, b: str) -> bool:
    """Organisation names compared without legal forms, case and punctuation."""
    def norm(name: str) -> str:
        name = _LEGAL_FORMS.sub(" ", (name or "").lower())
        return " ".join(re.sub(r"[^a-z0-9]+", " ", name).split())
    return bool(norm(a)) and norm(a) == norm(b)


def years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def refusal_reasons(person: Staff, *, matter: str, matter_label: str, involved_roles: list[str],
                    appellant: str, today: date, cooling_off_years: int = 2) -> list[str]:
    """Why `person` may not sit on this appeal's team (Indonesian); empty when they may."""
    reasons = []
    for role in involved_roles:
        reasons.append(f"{person.name} terlibat dalam keputusan yang dibanding sebagai "
                       f"{INVOLVEMENT_ROLES.get(role, role).lower()}.")
    limit = years_before(today, cooling_off_years)
    for affiliation in person.affiliations:
        if not same_organisation(affiliation.organisation, appellant):
            continue
        if affiliation.until is None or affiliation.until >= limit:
            what = "memberikan konsultasi kepada" if affiliation.relation == "konsultan" else "bekerja pada"
            when = "hingga sekarang" if affiliation.until is None else f"sampai {format_date_id(affiliation.until)}"
            reasons.append(f"{person.name} {what} {affiliation.organisation} {when}, "
                           f"kurang dari {cooling_off_years} tahun yang lalu.")
    if matter not in person.competences:
        reasons.append(f"{person.name} tidak tercatat kompeten dalam {matter_label.lower()}.")
    return reasons


def team_composition_findings(member_ids: list[str], chair_id: str, size: int) -> list[str]:
    """The shape of the team: `size` different people, the chair among them."""
    problems = []
    if len(member_ids) != size or len(set(member_ids)) != size:
        problems.append(f"Tim Penyelesaian Banding harus terdiri atas {size} orang yang berbeda.")
    if chair_id not in member_ids:
        problems.append("Ketua tim harus salah satu anggota tim.")
    return problems


# Where an application case records who took part in its decision (applications.data, written
# by the desk's step forms): staff names per involvement role.
APPLICATION_INVOLVEMENT = {"tim": "auditor", "tim_evaluasi": "evaluator", "komite": "komite"}


def involvement_in_application(data: dict, people: list[Staff], actors: set[str]) -> list[tuple[str, str]]:
    """(staff id, role) of everyone an application case records in its decision: its audit team
    (auditors), technical evaluators, committee members, and the staff whose desk account acted
    on it (officer). Pure; names and accounts nobody on the staff list holds are skipped."""
    by_name = {p.name: p for p in people}
    found = []
    for key, role in APPLICATION_INVOLVEMENT.items():
        names = data.get(key) or []
        for name in [names] if isinstance(names, str) else names:
            if name in by_name and (by_name[name].id, role) not in found:
                found.append((by_name[name].id, role))
    for person in people:
        if person.username and person.username in actors and (person.id, "petugas") not in found:
            found.append((person.id, "petugas"))
    return found
