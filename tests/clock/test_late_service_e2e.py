"""Process D end to end on real Dovecot and SMTP: a late case earns the customer an apology
letter in the case's thread, and their next application gets a promise one working day shorter,
once. The applications' own intake still runs its interim clock, so the "next application" is
the blank-request service (with a 3-day promise and compensation switched on for this test)."""
from __future__ import annotations

import io
import shutil
from datetime import timedelta

import pytest
import yaml
from docx import Document as Docx

from pipelines import clock, db
from pipelines.clock.compensation import write_and_mail_letters
from pipelines.clock.watch import sweep
from pipelines.config import PROJECT_ROOT
from pipelines.poll import send_queued
from pipelines.write.pdf import libreoffice_available
from tests.spine.office import LSP_TDN, make_office, request


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    office = make_office(tmp_path, mailbox, smtp_server)
    services = tmp_path / "services"
    shutil.copytree(PROJECT_ROOT / "services", services, ignore=shutil.ignore_patterns("*.md"))
    blank = yaml.safe_load((services / "blank_request.yaml").read_text(encoding="utf-8"))
    blank["clock"] = {"target_working_days": 3, "compensation": True, "follows_status": True}
    (services / "blank_request.yaml").write_text(yaml.safe_dump(blank, allow_unicode=True), encoding="utf-8")
    config = yaml.safe_load(office.config.read_text())
    config.update(services_dir=str(services), convert_pdf=libreoffice_available())
    office.config.write_text(yaml.safe_dump(config))
    return office


def _promise(office, dossier_id):
    rt = office.runtime()
    with rt.engine.connect() as conn:
        return clock.state(rt, conn, case_type="dossier", case_ref=dossier_id)


def test_a_late_request_gets_an_apology_letter_and_the_next_one_a_shorter_promise_once(office):
    office.mailbox.append(request(message_id="<permohonan-1@lsp-tdn.example.id>", letter_number="015/LSP-TDN/X/2026"))
    office.run()
    [first] = office.dossiers()
    state = _promise(office, first["id"])
    assert state.target == 3 and state.customer == LSP_TDN
    assert first["due_date"] == office.runtime().calendar.local_date(state.deadline)

    rt = office.runtime()
    late = sweep(rt, now=db.now() + timedelta(days=30))        # nobody approved it for a month
    [number] = late.letters_owed
    assert [s.case_ref for s in late.breached] == [str(first["id"])]
    assert write_and_mail_letters(rt) == [number]
    assert write_and_mail_letters(rt) == []                   # written and queued once
    assert send_queued(rt)["sent"] == 1

    [letter_mail] = [m for m in office.inbox_of(LSP_TDN) if first["number"] in m["Subject"]]
    assert letter_mail["In-Reply-To"] == "<permohonan-1@lsp-tdn.example.id>"
    assert number in letter_mail.get_body(("plain",)).get_content()
    [attachment] = list(letter_mail.iter_attachments())
    data = attachment.get_payload(decode=True)
    if libreoffice_available():
        assert attachment.get_filename() == "surat_permohonan_maaf.pdf" and data.startswith(b"%PDF")
        docx = office.outputs / first["number"] / "dokumen" / "surat_permohonan_maaf.docx"
        text = "\n".join(p.text for p in Docx(docx).paragraphs)
    else:
        assert attachment.get_filename() == "surat_permohonan_maaf.docx"
        text = "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)
    assert number in text and first["number"] in text and "3 hari kerja" in text

    # The LSP's next request: one working day shorter. The one after: the full promise again.
    office.mailbox.append(request(message_id="<permohonan-2@lsp-tdn.example.id>", letter_number="025/LSP-TDN/X/2026"))
    office.run()
    office.mailbox.append(request(message_id="<permohonan-3@lsp-tdn.example.id>", letter_number="035/LSP-TDN/X/2026"))
    office.run()
    _, second, third = office.dossiers()
    assert _promise(office, second["id"]).target == 2
    assert _promise(office, third["id"]).target == 3
