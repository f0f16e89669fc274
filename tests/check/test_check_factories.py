"""The shared factories' dossiers (tests/factories.py, written by another engineer to BNSP's
template) read and checked: the facts they were built with come back, and only the flaws
they were built with are found."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
F = pytest.importorskip("factories")

from pipelines.check import check_dossier, summarise  # noqa: E402
from pipelines.documents import SIGNED_RECEIPT  # noqa: E402
from pipelines.read import ocr, read_document, read_documents, walk_message  # noqa: E402
from pipelines.documents import Attachment  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST = yaml.safe_load((ROOT / "services" / "blank_request.yaml").read_text())["checklist"] \
    if (ROOT / "services" / "blank_request.yaml").exists() else []


def run(dossier):
    mc = walk_message(F.dossier_mail(dossier))
    docs = read_documents(mc.attachments)
    return docs, mc.findings + check_dossier(docs, CHECKLIST, {"today": "2030-01-01"}), summarise(docs)


@pytest.mark.parametrize("lsp,kw,expected", [
    ("LSP-001", {}, []),
    ("LSP-002", {}, []),
    ("LSP-003", {}, []),
    ("LSP-001", {"schemes": ["Junior Web Developer", "Desainer Grafis Muda"], "n_k": [5, 7], "n_bk": [1, 0]}, []),
    ("LSP-002", {"merged_header": False, "title_rows": 0, "with_birth": True}, []),
    ("LSP-001", {"with_birth": True, "blanks_words": False}, []),
    ("LSP-001", {"letter_blanks": 11}, ["BLANKO_TIDAK_SESUAI"]),
    ("LSP-001", {"decision_competent": 9}, ["JUMLAH_KOMPETEN_TIDAK_SESUAI"]),
    ("LSP-001", {"missing": ["certification_decision"]}, ["DOKUMEN_TIDAK_ADA"]),
    ("LSP-001", {"nik_as_number": True, "n_k": 3, "n_bk": 0}, ["NIK_PRESISI_HILANG"] * 3),
])
def test_factory_dossier(lsp, kw, expected):
    dossier = F.request_dossier(lsp, **kw)
    docs, found, facts = run(dossier)
    assert [f.code for f in found] == expected
    assert [d.doc_type for d in docs] == dossier.kinds
    assert facts["letter_number"] == dossier.letter_number
    assert facts["letter_date"] == dossier.letter_date.isoformat()
    assert facts["blanks_requested"] == dossier.blanks_requested
    assert facts["lsp_name"] == dossier.lsp.name
    assert facts["schemes"] == dossier.counts_by_scheme()
    if "certification_decision" in dossier.kinds:
        assert facts["decision_number"] == dossier.decision_number


@pytest.mark.skipif(bool(ocr.available()), reason="Tesseract with Indonesian data not installed")
def test_scanned_countersigned_receipt_is_recognised():
    doc = read_document(Attachment("scan_tanda_terima.pdf", F.signed_receipt_pdf("BLK-2025-000001", scanned=True)))
    assert doc.doc_type == SIGNED_RECEIPT
    assert doc.facts.get("ocr_pages") == [1]
