"""Surveillance of person certificates in the certificate register (over HTTP): a person
certificate (ISO/IEC 17024) carries the surveillance dates of services/sertifikasi_person.yaml and
the register shows the next one due; a training certificate (bimtek) has none and the register
shows none for it. Both applications arrive by mail through real Dovecot."""
from __future__ import annotations

import html
import re
from datetime import date

from sqlalchemy import select

from pipelines.applications import advance
from pipelines.applications.models import register
from pipelines.desk import auth
from pipelines.write.words import format_date_id
from tests.applications.factories import AKADEMI, PEOPLE, application_mail
from tests.applications.office import make_balai, walk_to_decision
from tests.desk.application_case import PASSWORD, login

CELLS = re.compile(r"<td>(.*?)</td>", re.S)


def certify(rt, number: str) -> None:
    """Every step to the signed certificates: the committee grants, the head signs."""
    walk_to_decision(rt, number)
    advance(rt, number, officer="komite", outcome="pemberian")
    advance(rt, number, officer="kepala")


def register_rows(client) -> dict[str, list[str]]:
    """The register page: certificate number -> the text of its cells."""
    page = client.get("/register-sertifikat").text
    rows = {}
    for number, row in re.findall(r'<tr data-sertifikat="([^"]+)">(.*?)</tr>', page, re.S):
        rows[number] = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", c)).split()) for c in CELLS.findall(row)]
    return rows


def test_person_certificates_have_surveillance_and_training_certificates_none(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    person, training = rt.services["sertifikasi_person"], rt.services["bimtek"]
    assert person.certificate["surveillance_months"] == [12, 24]       # yearly within the 3-year validity
    assert training.certificate["surveillance_months"] == [] and not training.certificate["validity_years"]
    for service in (person, training):
        office.mailbox.append(application_mail(service.kind, AKADEMI, service.name))
    office.run()
    cases = {c["kind"]: c["number"] for c in office.dossiers()}
    assert set(cases) == {"sertifikasi_person", "bimtek"}
    for number in cases.values():
        certify(rt, number)

    with rt.engine.connect() as conn:
        entries = conn.execute(select(register).order_by(register.c.id)).mappings().all()
    issued = {e["service"]: [] for e in entries}
    for e in entries:
        issued[e["service"]].append(e)
    assert len(issued["sertifikasi_person"]) == len(issued["bimtek"]) == len(PEOPLE)
    for e in issued["sertifikasi_person"]:
        issue = e["issue_date"]       # due on the same day of the month (at most the 28th) 1 and 2 years on
        assert e["surveillance_dates"] == [issue.replace(year=issue.year + n, day=min(issue.day, 28)).isoformat()
                                           for n in (1, 2)]
        assert e["expiry_date"] == e["issue_date"].replace(year=e["issue_date"].year + 3)
    assert all(e["surveillance_dates"] == [] and e["expiry_date"] is None for e in issued["bimtek"])

    auth.create_user(rt.engine, "rina", "petugas", "Rina Kartika", PASSWORD)
    rows = register_rows(login(rt, "rina"))
    header = ["Nomor sertifikat", "Pemegang", "Layanan / standar", "Ruang lingkup", "Lokasi", "Terbit",
              "Berlaku sampai", "Surveilan berikutnya"]
    due = header.index("Surveilan berikutnya")
    for e in issued["sertifikasi_person"]:
        first = date.fromisoformat(e["surveillance_dates"][0])
        assert rows[e["number"]][1] == e["holder"] and rows[e["number"]][due] == format_date_id(first)
    for e in issued["bimtek"]:
        assert rows[e["number"]][1] == e["holder"] and rows[e["number"]][due] == "-"
