"""A Balai office wired to the test's real Dovecot and SMTP, and helpers to read what it wrote."""
from __future__ import annotations

from pathlib import Path

import yaml
from docx import Document as Docx

from tests.applications.factories import OFFICE
from tests.spine.office import Office


def make_balai(tmp_path: Path, mailbox, smtp_server, **settings) -> Office:
    outputs = tmp_path / "out"
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(outputs),
        "office": {"name": "Baristand Industri Palembang", "city": "Palembang", "email": OFFICE,
                   "address": "Jl. Perindustrian II No. 12, Sukarami, Palembang 30152",
                   "official": {"name": "Syaandian, S.T., M.T.", "title": "Kepala Baristand Industri Palembang",
                                "nip": "197407272003121006"}},
        "sender": OFFICE,
        "mailboxes": [{"name": "layanan", "kind": "imap", "host": mailbox.host, "port": mailbox.port,
                       "security": "none", "user": mailbox.user, "password": mailbox.password,
                       "processed_folder": "Diproses"}],
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        "convert_pdf": False,
        **settings,
    }))
    return Office(config, mailbox, smtp_server, outputs)


def docx_text(path) -> str:
    doc = Docx(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def docx_images(path) -> list[bytes]:
    doc = Docx(str(path))
    return [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]


AUDIT_DAYS = ("2026-10-05", "2026-10-06")
BILLING_CODE = "820260907004455"


def team_for(service) -> list[str]:
    """A lead and one more member (where the staff list has two), all competent for the service."""
    from pipelines.applications.walk import staff
    return [p.name for p in staff().values() if service.competence in p.competences][:2]


def step_inputs(step, service) -> dict:
    """What an officer enters on each step of the services' YAML."""
    values = {"kode_billing": BILLING_CODE, "rekomendasi": "Direkomendasikan untuk diberikan sertifikat",
              "laporan_hasil_uji": "LHU/0917/BSPJI-PLG/IX/2026", "hasil_uji": "Seluruh parameter memenuhi SNI acuan",
              "tanggal_audit_tahap1": AUDIT_DAYS[0], "tanggal_audit_tahap2": AUDIT_DAYS[1],
              "tim": team_for(service)}
    return {i["id"]: values[i["id"]] for i in step.inputs}


def walk_to_decision(rt, number: str) -> None:
    """Complete every officer step (no nonconformity) up to the committee's decision."""
    from pipelines.applications import advance
    from pipelines.db import dossier_by_number
    while True:
        with rt.engine.connect() as conn:
            case = dossier_by_number(conn, number)
        service = rt.services[case["kind"]]
        step = service.step(case["status"])
        if step.outcomes:
            return
        advance(rt, number, officer=f"petugas.{step.role}", inputs=step_inputs(step, service))


def received_application(office: Office, kind: str, company) -> tuple:
    """One application of `kind` mailed by `company` and taken in by a poll: (runtime, its case)."""
    from tests.applications.factories import application_mail
    rt = office.runtime()
    office.mailbox.append(application_mail(kind, company, rt.services[kind].name))
    office.run()
    [case] = office.dossiers()
    return rt, case
