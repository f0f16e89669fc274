"""A required document the readers did not recognise while a file named like it is attached: the
sender probably sent it. No completion request goes out; an officer looks at the file."""
from __future__ import annotations

import io

import openpyxl
import pytest

from pipelines.check.checklist import MAYBE_PRESENT, check_item
from pipelines.documents import OTHER, Document
from tests.read.read_builders import dossier_files
from tests.spine.office import LSP_TDN, make_office, request

ITEM = {"id": "participant_list", "label": "Daftar peserta", "doc_type": "participant_list",
        "formats": ["xlsx", "xls"], "min": 1, "filename": ["peserta"]}


def _doc(filename: str, doc_type: str = OTHER) -> Document:
    return Document(filename=filename, doc_type=doc_type, media_type="", size=100, sha256="0" * 64)


@pytest.mark.parametrize("files,code", [
    (["daftar_peserta.xlsx"], MAYBE_PRESENT),          # named like it, in an accepted format
    (["Peserta-Uji.XLS"], MAYBE_PRESENT),
    (["daftar_peserta.pdf"], "DOKUMEN_TIDAK_ADA"),      # named like it, in a format it cannot be
    (["lampiran.xlsx"], "DOKUMEN_TIDAK_ADA"),           # nothing says what it is
    ([], "DOKUMEN_TIDAK_ADA"),
])
def test_a_file_named_like_the_missing_document_is_for_an_officer(files, code):
    findings = check_item(ITEM, [_doc(name) for name in files])
    assert [f.code for f in findings] == [code]
    if code == MAYBE_PRESENT:
        assert findings[0].severity.value == "warning" and files[0] in findings[0].message


def test_a_recognised_document_needs_no_second_look():
    assert check_item(ITEM, [_doc("daftar_peserta.xlsx", "participant_list"), _doc("peserta_lain.xlsx")]) == []


def _names_only_sheet() -> bytes:
    """A participant list an LSP typed its own way: a title and names, no column headings."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Peserta uji kompetensi bulan November"])
    for name in ("Andi Pratama", "Siti Aminah", "Budi Santoso"):
        ws.append([name])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_office(tmp_path, mailbox, smtp_server)


def test_a_blank_request_whose_list_is_not_recognised_waits_for_an_officer_not_the_lsp(office):
    files = dossier_files()
    files["daftar_peserta.xlsx"] = _names_only_sheet()
    office.mailbox.append(request(LSP_TDN, files))
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "perlu_pemeriksaan"
    assert office.smtp.messages == []          # no completion request for a list that was sent


def test_a_blank_request_really_missing_its_list_still_gets_the_completion_request(office):
    files = dossier_files()
    del files["daftar_peserta.xlsx"]
    office.mailbox.append(request(LSP_TDN, files))
    office.run()
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_kelengkapan"
    assert [m.rcpt_tos for m in office.smtp.messages] == [[LSP_TDN]]
