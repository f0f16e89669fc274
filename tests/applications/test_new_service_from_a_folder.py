"""A new service is a YAML file and its DOCX templates, no Python: a fictional vehicle-emission
certification, defined in a temporary folder, runs an application end to end on real servers."""
from __future__ import annotations

import textwrap

import pytest
from docx import Document

from pipelines import db
from pipelines.applications import advance, clock_figures
from pipelines.calendar import local_date
from tests.applications.factories import SINAR_BAJA, application_mail, form_pdf, text_pdf
from tests.applications.office import docx_text, make_balai

SERVICE_YAML = textwrap.dedent(r"""
    kind: uji_emisi
    name: Sertifikasi Uji Emisi Genset
    number_prefix: EMS
    sender_registry: customer
    intake:
      - {name: emisi-subjek, subject: ['re:uji\s+emisi']}
    checklist:
      - id: formulir_permohonan
        label: Formulir permohonan uji emisi
        formats: [pdf]
        min: 1
        max: 1
        max_size_mb: 2
        phrases: ['formulir\s+permohonan']
      - id: laporan_uji
        label: Laporan hasil uji emisi
        formats: [pdf]
        min: 1
        max: 1
        max_size_mb: 5
        phrases: ['laporan\s+hasil\s+uji']
    when_incomplete: {status: menunggu_kelengkapan, email: permintaan_kelengkapan_sertifikasi}
    when_complete:
      status: penilaian
      email: tanda_terima_permohonan_sertifikasi
      documents: [{kind: tanda_terima_emisi, template: tanda_terima_emisi.docx}]
    steps:
      - {id: baru, label: Pemeriksaan kelengkapan, role: sistem}
      - {id: menunggu_kelengkapan, label: Menunggu kelengkapan, role: pemohon, waits_for: kelengkapan, next: penilaian}
      - id: penilaian
        label: Penilaian laporan uji
        role: auditor
        duration: 1 hari
        outcomes: {lulus: penerbitan, gagal: selesai}
      - id: penerbitan
        label: Penerbitan sertifikat emisi
        role: kepala_balai
        writes: [{kind: sertifikat, template: sertifikat_emisi.docx}]
      - {id: selesai, label: Selesai, role: sistem}
    certificate: {title: SERTIFIKAT EMISI, standard: Permen LHK P.11/2021, validity_years: 1, holder: organisasi}
    clock: {target_working_days: 5}
""")


def _template(path, lines):
    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    doc.save(path)


@pytest.fixture
def folder(tmp_path):
    services = tmp_path / "layanan"
    services.mkdir()
    (services / "uji_emisi.yaml").write_text(SERVICE_YAML, encoding="utf-8")
    _template(services / "tanda_terima_emisi.docx",
              ["TANDA TERIMA UJI EMISI {{ case.number }}", "Pemohon: {{ customer.name }}",
               "Selesai paling lambat {{ case.promised_date|tanggal }}"])
    _template(services / "sertifikat_emisi.docx",
              ["{{ certificate.title }}", "{% for h in certificate.holders %}{{ h.number }} {{ h.name }} {{ h.verify_url }}{% endfor %}"])
    return services


def test_a_service_defined_only_by_yaml_and_templates_runs_end_to_end(tmp_path, folder, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server, services_dir=str(folder))
    rt = office.runtime()
    assert list(rt.services) == ["uji_emisi"]
    files = {"formulir.pdf": form_pdf(SINAR_BAJA, "uji emisi genset", []),
             "laporan.pdf": text_pdf(["LAPORAN HASIL UJI EMISI GENSET", "NOx 120 mg/Nm3: memenuhi"])}
    office.mailbox.append(application_mail("iso9001_lsbbk", SINAR_BAJA, "", files=files,
                                           subject="Permohonan uji emisi genset 500 kVA"))
    office.run()
    [case] = office.dossiers()
    assert case["kind"] == "uji_emisi" and case["number"].startswith("EMS-") and case["status"] == "penilaian"
    receipt = docx_text(office.outputs / case["number"] / "dokumen" / "tanda_terima_emisi.docx")
    promised = rt.calendar.add_working_days(local_date(db.now()), 5)
    from pipelines.write.words import format_date_id
    assert f"TANDA TERIMA UJI EMISI {case['number']}" in receipt and "PT Sinar Baja Nusantara" in receipt
    assert format_date_id(promised) in receipt
    assert clock_figures(rt, case["number"]).promised_date == promised
    [mail] = office.inbox_of(SINAR_BAJA.email)
    assert "Sertifikasi Uji Emisi Genset" in mail.get_body(preferencelist=("plain",)).get_content()

    assert advance(rt, case["number"], officer="auditor", outcome="lulus") == "penerbitan"
    assert advance(rt, case["number"], officer="kepala") == "selesai"
    certificate = docx_text(office.outputs / case["number"] / "dokumen" / "sertifikat.docx")
    assert "SERTIFIKAT EMISI" in certificate and "PT Sinar Baja Nusantara" in certificate
    assert "/verifikasi/sertifikat/" in certificate
    assert clock_figures(rt, case["number"]).state == "selesai"
