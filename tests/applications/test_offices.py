"""Two offices on one Sertiflow, each with its own mailbox, services, letterhead and signatory
(data/offices.yaml), on two real Dovecot accounts."""
from __future__ import annotations

import yaml
from sqlalchemy import select

from pipelines import db
from pipelines.applications.models import customers
from tests.applications.factories import AKADEMI, SINAR_BAJA, application_mail
from tests.applications.office import docx_text
from tests.spine.office import Office

PALEMBANG = "layanan@baristand-palembang.example.go.id"
BALAI = "layanan@balai-sertifikasi.example.go.id"


def test_each_office_answers_its_own_services_with_its_own_letterhead(tmp_path, mail_accounts, smtp_server):
    boxes = {"layanan-palembang": mail_accounts.get(PALEMBANG), "layanan-balai-sertifikasi": mail_accounts.get(BALAI)}
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(tmp_path / "out"), "sender": PALEMBANG, "convert_pdf": False,
        "mailboxes": [{"name": name, "kind": "imap", "host": box.host, "port": box.port, "security": "none",
                       "user": box.user, "password": box.password, "processed_folder": "Diproses"}
                      for name, box in boxes.items()],
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"}}))
    office = Office(config, boxes["layanan-palembang"], smtp_server, tmp_path / "out")
    rt = office.runtime()
    boxes["layanan-palembang"].append(application_mail("iso9001_lsbbk", SINAR_BAJA, "ISO 9001"))
    boxes["layanan-balai-sertifikasi"].append(application_mail("sertifikasi_person", AKADEMI, "Sertifikasi Person"))
    # The Balai does not certify management systems: that mail opens no case there.
    boxes["layanan-balai-sertifikasi"].append(application_mail("iso9001_lsbbk", SINAR_BAJA, "ISO 9001"))
    office.run()

    cases = {c["kind"]: c for c in office.dossiers()}
    assert sorted(cases) == ["iso9001_lsbbk", "sertifikasi_person"]
    iso = docx_text(office.outputs / cases["iso9001_lsbbk"]["number"] / "dokumen" / "tanda_terima_permohonan.docx")
    person = docx_text(office.outputs / cases["sertifikasi_person"]["number"] / "dokumen" / "tanda_terima_permohonan.docx")
    assert "BARISTAND INDUSTRI PALEMBANG" in iso and "Syaandian, S.T., M.T." in iso and "Nurul Fadhlina" not in iso
    assert "BALAI SERTIFIKASI" in person and "Nurul Fadhlina" in person and "Syaandian" not in person
    with rt.engine.connect() as conn:
        held = conn.execute(select(db.mails.c.classification, db.mails.c.mailbox)
                            .where(db.mails.c.dossier_id.is_(None))).all()
        registry = {(r.office, r.name) for r in conn.execute(select(customers))}
    assert held == [("unclassified", "layanan-balai-sertifikasi")]
    assert registry == {("baristand-palembang", "PT Sinar Baja Nusantara"),
                        ("balai-sertifikasi", "PT Mutu Prima Konsultan")}
