"""An LSP's dossier checked: what is missing, wrong or inconsistent, said once and in Indonesian."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml
from read_builders import (PEOPLE, SCHEME, attachment, decision_lines, dossier_files, letter_lines,
                           minutes_lines, participant_list_xlsx, text_pdf)

from pipelines.check import (check_blank_count, check_date_order, check_dossier, check_item,
                             check_schemes, normalise_scheme, same_scheme, summarise)
from pipelines.check.facts import AssessmentMinutes, CertificationDecision, RequestLetter
from pipelines.documents import (ASSESSMENT_MINUTES, CERTIFICATION_DECISION, OTHER, PARTICIPANT_LIST,
                                 REQUEST_LETTER, Document, Roster, RosterRow)
from pipelines.findings import Severity
from pipelines.read import read_documents

ROOT = Path(__file__).resolve().parents[2]
CHECKLIST = [
    {"id": "request_letter", "label": "Surat permohonan", "doc_type": "request_letter", "formats": ["pdf"],
     "min": 1, "max": 1, "max_size_mb": 2},
    {"id": "assessment_minutes", "label": "Berita acara asesmen", "doc_type": "assessment_minutes",
     "formats": ["pdf"], "min": 1, "max": None, "max_size_mb": 5},
    {"id": "certification_decision", "label": "Keputusan sertifikasi", "doc_type": "certification_decision",
     "formats": ["pdf"], "min": 1, "max": 1, "max_size_mb": 5},
    {"id": "participant_list", "label": "Daftar peserta", "doc_type": "participant_list",
     "formats": ["xlsx", "xls", "csv"], "min": 1, "max": None, "max_size_mb": 10},
]
TODAY = dt.date(2026, 10, 20)


def letter_with_big_logo() -> bytes:
    """A letter whose letterhead is a huge incompressible image: over the 2 MB upload cap."""
    import io
    import os

    from PIL import Image
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawImage(ImageReader(Image.frombytes("RGB", (900, 900), os.urandom(900 * 900 * 3))), 50, 700, 100, 100)
    y = 680
    for ln in letter_lines():
        c.drawString(50, y, ln)
        y -= 16
    c.showPage()
    c.save()
    assert len(buf.getvalue()) > 2 << 20
    return buf.getvalue()


def read_all(files: dict[str, bytes]) -> list[Document]:
    return read_documents([attachment(n, d) for n, d in files.items()])


def codes(findings):
    return [f.code for f in findings]


# ------------------------------------------------------------------ whole dossiers (read for real)

def test_complete_consistent_dossier_has_no_finding():
    docs = read_all(dossier_files())
    assert check_dossier(docs, CHECKLIST, {"today": TODAY, "previous_niks": {}}) == []


def test_service_yaml_checklist_works_as_is():
    service = ROOT / "services" / "blank_request.yaml"
    if not service.exists():
        pytest.skip("services/blank_request.yaml not present")
    checklist = yaml.safe_load(service.read_text())["checklist"]
    assert check_dossier(read_all(dossier_files()), checklist, {"today": TODAY}) == []


def test_three_of_four_documents_names_the_missing_decision():
    files = dossier_files()
    del files["keputusan.pdf"]
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found) == ["DOKUMEN_TIDAK_ADA"]
    assert found[0].severity is Severity.ERROR
    assert "Keputusan sertifikasi" in found[0].message


def test_unrecognised_file_is_named_when_something_is_missing():
    files = dossier_files()
    del files["keputusan.pdf"]
    files["scan001.pdf"] = text_pdf(["Lorem ipsum"])
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found) == ["DOKUMEN_TIDAK_ADA", "DOKUMEN_TIDAK_DIKENALI"]
    assert "scan001.pdf" in found[0].message


def test_roster_sent_as_pdf_is_wrong_format():
    files = dossier_files()
    del files["daftar_peserta.xlsx"]
    files["daftar_peserta.pdf"] = text_pdf(["DAFTAR PESERTA UJI KOMPETENSI", "No Nama NIK Hasil",
                                            "1 Budi 3273011201900001 K"])
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found) == ["FORMAT_TIDAK_SESUAI"]
    assert "XLSX" in found[0].message and "daftar_peserta.pdf" in found[0].where


def test_letter_over_two_megabytes():
    files = dossier_files()
    files["surat_permohonan.pdf"] = letter_with_big_logo()
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found) == ["UKURAN_TERLALU_BESAR"]


def test_count_mismatch_letter_decision_list():
    files = dossier_files(letter=text_pdf(letter_lines(blanks=5, words="lima")),
                          decision=text_pdf(decision_lines(competent=4, words="empat")))
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    # three numbers, all different: one line naming the three, not three lines
    assert codes(found) == ["BLANKO_TIDAK_SESUAI"]
    assert all(f.is_error for f in found)
    assert "meminta 5 blanko" in found[0].message and "menetapkan 4 peserta kompeten" in found[0].message
    assert "memuat 3 peserta kompeten" in found[0].message and "mohon" in found[0].message


def test_count_mismatch_names_only_the_document_that_disagrees():
    files = dossier_files(letter=text_pdf(letter_lines(blanks=5, words="lima")))
    (f,) = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert f.code == "BLANKO_TIDAK_SESUAI" and f.where == "surat_permohonan.pdf"
    assert f.message.startswith("Surat permohonan (surat_permohonan.pdf) meminta 5 blanko, sedangkan")
    assert "mohon perbaiki jumlah blanko pada surat permohonan" in f.message


def test_scheme_disagreement_between_minutes_decision_and_list():
    files = dossier_files(minutes=text_pdf(minutes_lines(scheme="Desainer Grafis Muda")),
                          decision=text_pdf(decision_lines(schemes=("Skema Okupasi Junior Web-Developer",))))
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    # the decision's spelling differs only in form; the minutes name another scheme
    assert codes(found) == ["SKEMA_TIDAK_SESUAI"]   # one problem, one line
    assert "Desainer Grafis Muda" in found[0].message and found[0].is_error


def test_dates_out_of_order():
    # assessment after the decision, decision after the letter (14 Oktober)
    files = dossier_files(minutes=text_pdf(minutes_lines(date="17 Oktober 2026")),
                          decision=text_pdf(decision_lines(date="16 Oktober 2026")))
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found) == ["TANGGAL_TIDAK_URUT", "TANGGAL_TIDAK_URUT"]
    assert "17 Oktober 2026" in found[0].message and "14 Oktober 2026" in found[1].message


def test_future_date_warns_officer():
    found = check_dossier(read_all(dossier_files()), CHECKLIST, {"today": dt.date(2026, 10, 12)})
    assert set(codes(found)) == {"TANGGAL_MASA_DEPAN"}
    assert all(f.severity is Severity.WARNING for f in found)


def test_previous_niks_for_same_scheme_warn():
    prev = {"Skema Junior Web Developer": {PEOPLE[0][1], PEOPLE[3][1]}, "Lain": {PEOPLE[1][1]}}
    found = check_dossier(read_all(dossier_files()), CHECKLIST, {"today": TODAY, "previous_niks": prev})
    # Rina (BK) gets no blank, Siti was earlier in another scheme: only Budi is a repeat
    assert codes(found) == ["NIK_PERNAH_DIAJUKAN"]
    assert PEOPLE[0][1] in found[0].message and "baris 5" in found[0].where


def test_document_findings_are_included_once():
    files = dossier_files(roster=participant_list_xlsx([p if i else (p[0], "9973011201900001", *p[2:])
                                                        for i, p in enumerate(PEOPLE)]))
    files["salinan_daftar.xlsx"] = files["daftar_peserta.xlsx"]
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found).count("NIK_PROVINSI_TIDAK_VALID") == 2  # one per file, each names its file
    assert "JUMLAH_KOMPETEN_TIDAK_SESUAI" in codes(found)  # two lists: 6 competent against 3 requested and decided


def test_manual_review_document_is_flagged():
    doc = Document("keputusan.pdf", "0" * 64, 100, "application/pdf", doc_type=CERTIFICATION_DECISION,
                   needs_manual_review=True)
    found = check_dossier([doc], CHECKLIST[2:3], {})
    assert codes(found) == ["DATA_TIDAK_TERBACA", "SKEMA_TIDAK_TERBACA", "JUMLAH_TIDAK_TERBACA", "PERLU_PEMERIKSAAN_MANUAL"]
    assert not any(f.is_error for f in found)   # nothing for the LSP: an officer reads it


def test_summarise_facts():
    s = summarise(read_all(dossier_files()))
    assert s["letter_number"] == "045/LSP-TDN/X/2026" and s["letter_date"] == "2026-10-14"
    assert s["lsp_name"] == "LSP Teknologi Digital Nusantara" and s["blanks_requested"] == 3
    assert s["decision_number"] == "KEP.12/LSP-TDN/X/2026" and s["decision_date"] == "2026-10-10"
    assert s["schemes"] == {SCHEME: {"K": 3, "BK": 1}} and s["competent_total"] == 3
    import json
    json.dumps(s)  # stored as JSON by the pipeline


# ------------------------------------------------------------------ single checks, plain values

def test_check_blank_count_plain_values():
    letter = RequestLetter("surat.pdf", blanks_requested=25)
    assert check_blank_count(letter, 25) == []
    (f,) = check_blank_count(letter, 24)
    assert f.code == "BLANKO_TIDAK_SESUAI" and f.where == "surat.pdf"


def test_check_schemes_plain_values():
    d = [CertificationDecision("sk.pdf", schemes=["Okupasi Junior Web Developer"])]
    m = [AssessmentMinutes("ba.pdf", schemes=["Junior web developer"])]
    assert check_schemes(["Junior Web Developer"], d, m) == []
    # a listed scheme the documents never name may be named in words not read: an officer looks
    assert codes(check_schemes(["Junior Web Developer", "Barista"], d, m)) == ["SKEMA_PERLU_DIPERIKSA"]
    # codes decide where both sides carry one, whatever the names
    d2 = [CertificationDecision("sk.pdf", schemes=["SKM.NET.03 - Teknisi Jaringan Muda"])]
    assert check_schemes(["Teknisi Jaringan Tingkat Muda (SKM.NET.03)"], d2, []) == []
    assert codes(check_schemes(["Teknisi Jaringan Muda (SKM.NET.04)"], d2, [])) == ["SKEMA_TIDAK_SESUAI"]
    # close names are a possible misreading: never sent to the LSP
    d3 = [CertificationDecision("sk.pdf", schemes=["Teknisi Jaringan Madya"])]
    (f,) = check_schemes(["Teknisi Jaringan Muda"], d3, [])
    assert f.code == "SKEMA_PERLU_DIPERIKSA" and not f.is_error
    assert "Teknisi Jaringan Muda" in f.message and "Teknisi Jaringan Madya" in f.message


def test_check_date_order_plain_values():
    m = [AssessmentMinutes("ba.pdf", date=dt.date(2026, 10, 5))]
    d = CertificationDecision("sk.pdf", date=dt.date(2026, 10, 10))
    lt = RequestLetter("surat.pdf", date=dt.date(2026, 10, 9))
    assert codes(check_date_order(m, d, lt)) == ["TANGGAL_TIDAK_URUT"]
    assert check_date_order(m, d, RequestLetter("s", date=dt.date(2026, 10, 10))) == []


def test_check_item_counts_formats_and_sizes():
    docs = [Document("a.pdf", "", 100, "application/pdf", doc_type=ASSESSMENT_MINUTES),
            Document("b.docx", "", 6 << 20,
                     "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                     doc_type=ASSESSMENT_MINUTES)]
    assert codes(check_item(CHECKLIST[1], docs)) == ["FORMAT_TIDAK_SESUAI", "UKURAN_TERLALU_BESAR"]
    assert codes(check_item(CHECKLIST[0], docs + [Document("s1.pdf", "", 1, "application/pdf", doc_type=REQUEST_LETTER),
                                                  Document("s2.pdf", "", 1, "application/pdf", doc_type=REQUEST_LETTER)])) \
        == ["DOKUMEN_BERLEBIH"]


@pytest.mark.parametrize("a,b,same", [
    ("Junior Web Developer", "SKEMA SERTIFIKASI JUNIOR WEB DEVELOPER", True),
    ("Okupasi Barista", "barista", True),
    ("Junior Web Developer", "Junior Web Developer (KKNI Level III)", True),
    ("Barista", "Pramusaji", False),
    ("Teknisi", "Teknisi Jaringan Komputer", False),  # too short to match by containment
])
def test_scheme_names_compared_after_normalising(a, b, same):
    assert same_scheme(a, b) is same
    assert normalise_scheme("Skema Sertifikasi Okupasi: Junior Web-Developer ") == "junior web developer"


def test_roster_counts_by_scheme_with_plain_rows():
    r = Roster("d.xlsx", [RosterRow("S", 2, nik="1", scheme="A", result="K"),
                          RosterRow("S", 3, nik="2", scheme="A", result="BK")])
    doc = Document("d.xlsx", "", 1, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   doc_type=PARTICIPANT_LIST, roster=r)
    lt = Document("s.pdf", "", 1, "application/pdf", doc_type=REQUEST_LETTER, facts={"blanks_requested": 1})
    assert summarise([doc, lt])["schemes"] == {"A": {"K": 1, "BK": 1}}
    assert "BLANKO_TIDAK_SESUAI" not in codes(check_dossier([doc, lt], [], {}))
    assert OTHER == "other"


def test_per_scheme_counts_checked_when_several_schemes():
    from pipelines.check import check_scheme_counts
    listed = {"Junior Web Developer": {"K": 5, "BK": 1}, "Desainer Grafis Muda": {"K": 7, "BK": 0}}
    assert check_scheme_counts({"Junior Web Developer": 5, "Desainer Grafis Muda": 7}, listed, "sk.pdf", "Keputusan") == []
    (f,) = check_scheme_counts({"Junior Web Developer": 6, "Desainer Grafis Muda": 7}, listed, "sk.pdf", "Keputusan")
    assert f.code == "JUMLAH_SKEMA_TIDAK_SESUAI" and "Junior Web Developer" in f.message


def test_lsp_name_differs_between_letter_and_decision():
    files = dossier_files(decision=text_pdf(decision_lines(lsp="LSP Pariwisata Bali Dwipa")))
    found = check_dossier(read_all(files), CHECKLIST, {"today": TODAY})
    assert codes(found) == ["LSP_TIDAK_SESUAI"]
    assert found[0].severity is Severity.WARNING
