"""Intake of applications on real servers: each of the six services recognised from a realistic
mail, a zipped application, the same customer recognised in later mail."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from pipelines.applications.models import applications, customers
from tests.applications.factories import (AKADEMI, KOPI_MUSI, PUPUK_SRIWIJAYA, SINAR_BAJA, application_mail)
from tests.applications.office import docx_text, make_balai


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_balai(tmp_path, mailbox, smtp_server)


APPLICATIONS = [("iso9001_lsbbk", SINAR_BAJA, "SMM-"), ("sppt_sni_tipe5", KOPI_MUSI, "SNI-"),
                ("sppt_sni_tipe1", SINAR_BAJA, "SNL-"), ("industri_hijau", PUPUK_SRIWIJAYA, "SIH-"),
                ("iso14001", PUPUK_SRIWIJAYA, "SML-"), ("sertifikasi_person", AKADEMI, "SPR-"),
                ("bimtek", AKADEMI, "BTK-")]


def test_each_service_is_recognised_and_a_complete_application_gets_its_receipt(office):
    rt = office.runtime()
    for kind, company, _ in APPLICATIONS:
        office.mailbox.append(application_mail(kind, company, rt.services[kind].name))
    office.run()
    by_kind = {c["kind"]: c for c in office.dossiers()}
    assert sorted((k, c["number"][:4]) for k, c in by_kind.items()) == sorted((k, p) for k, _, p in APPLICATIONS)
    cases = [by_kind[k] for k, _, _ in APPLICATIONS]
    for case, (kind, company, _) in zip(cases, APPLICATIONS):
        assert case["status"] == "disposisi", (kind, case["status"])
        receipt = docx_text(office.outputs / case["number"] / "dokumen" / "tanda_terima_permohonan.docx")
        assert rt.services[kind].name.upper() in receipt and case["number"] in receipt
        for item in rt.services[kind].checklist:
            assert item["label"] in receipt, (kind, item["label"])
    # Each applicant got exactly its receipts; nobody was asked for anything.
    assert len(office.inbox_of(SINAR_BAJA.email)) == 2 and len(office.inbox_of(AKADEMI.email)) == 2
    # Four companies, each once, recognised again in their second application.
    with rt.engine.connect() as conn:
        names = sorted(r.name for r in conn.execute(select(customers)))
        linked = {r.dossier_id: r.customer_id for r in conn.execute(select(applications))}
    assert names == sorted({c.name for _, c, _ in APPLICATIONS})
    assert linked[cases[0]["id"]] == linked[cases[2]["id"]]        # PT Sinar Baja twice


def test_a_zipped_application_is_read_like_loose_files(office):
    rt = office.runtime()
    office.mailbox.append(application_mail("iso14001", PUPUK_SRIWIJAYA, rt.services["iso14001"].name, zipped=True))
    office.run()
    [case] = office.dossiers()
    assert case["kind"] == "iso14001" and case["status"] == "disposisi"


def test_an_incomplete_person_certification_asks_only_for_the_participant_list(office):
    rt = office.runtime()
    office.mailbox.append(application_mail("sertifikasi_person", AKADEMI, rt.services["sertifikasi_person"].name,
                                           drop=("daftar_peserta.xlsx",)))
    office.run()
    [case] = office.dossiers()
    assert case["status"] == "menunggu_kelengkapan"
    [ask] = office.inbox_of(AKADEMI.email)
    missing = ask.get_body(preferencelist=("plain",)).get_content().split("sebagai berikut:")[1].split("Mohon")[0]
    assert "Daftar peserta" in missing and "Surat permohonan" not in missing and "Ijazah" not in missing
