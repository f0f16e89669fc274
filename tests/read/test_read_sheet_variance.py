"""Participant lists in the shapes LSPs really send (issue 8, class 4), each a real file written
by openpyxl, odfpy, xlwt or the csv module, read through the bounded reader."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from read_builders import attachment, ods_bytes

from pipelines.documents import PARTICIPANT_LIST
from pipelines.read import read_document, sniff
from pipelines.read.sheet import load_grids

SAMPLES = Path(__file__).resolve().parent / "samples"
BNSP_HEADER = ["NO", "NAMA ASESI", "NIK", "TEMPAT/TANGGAL LAHIR", "JENIS KELAMIN", "ALAMAT", "NO HP",
               "PENDIDIKAN", "KODE SKEMA", "NAMA SKEMA", "REKOMENDASI K/BK", "TANGGAL UJI", "TUK", "ASESOR"]
# (name, NIK, birth place/date as typed, sex, result); NIKs agree with birth date and sex
ROWS = [
    ("Budi Santoso", "3273011201900001", "Bandung, 12-01-1990", "L", "K"),
    ("Siti Aminah", "3273015505920002", "Bandung / 15 Mei 1992", "P", "K"),
    ("Made Wirawan", "5171020308880003", "Denpasar 03/08/88", "L", "K"),
    ("Rina Kartika", "3174066107950004", "JAKARTA, 1995-07-21", "P", "BK"),
]


def read(data: bytes, name: str):
    return read_document(attachment(name, data))


def errors(doc):
    return [f.code for f in doc.findings if f.is_error]


def bnsp_workbook(rows=ROWS, *, column_numbers: bool = True, footer: bool = True) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Daftar Asesi"
    ws.append(["DAFTAR ASESI KOMPETEN DAN BELUM KOMPETEN"])
    ws.append(["LSP Teknologi Digital Nusantara"])
    ws.append([])
    ws.append(BNSP_HEADER)
    if column_numbers:
        ws.append(list(range(1, len(BNSP_HEADER) + 1)))
    for i, (name, nik, born, sex, result) in enumerate(rows, 1):
        ws.append([i, name, nik, born, sex, "Jl. Mawar 1", "0811", "SMK", "SKM.NET.03",
                   "Teknisi Jaringan Muda", result, dt.date(2026, 11, 2), "TUK Sewaktu", "Andi"])
    if footer:
        ws.append([])
        ws.append(["Jumlah", None, None, None, None, None, None, None, None, None, len(rows)])
        ws.append(["Rekapitulasi:", "Kompeten: 3", None, None, None, None, None, None, None, None, "3"])
        ws.append([None, "Belum Kompeten: 1"])
        ws.append([None, "Bandung, 5 November 2026"])
        ws.append([None, "Ketua LSP"])
        ws.append([None, "( Dr. Hendra Wijaya )"])
    return wb


def xlsx_bytes(wb: openpyxl.Workbook) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def workbook_rows(wb: openpyxl.Workbook) -> dict[str, list[list]]:
    return {ws.title: [list(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}


def test_bnsp_template_with_column_numbers_and_footer_gives_code_and_name_per_row():
    doc = read(xlsx_bytes(bnsp_workbook()), "daftar_asesi.xlsx")
    assert doc.doc_type == PARTICIPANT_LIST
    assert errors(doc) == []
    rows = doc.roster.rows
    assert [r.name for r in rows] == [r[0] for r in ROWS]  # no column-number, total or signature row
    assert {(r.scheme_code, r.scheme_name) for r in rows} == {("SKM.NET.03", "Teknisi Jaringan Muda")}
    assert doc.facts["competent_count"] == 3
    assert doc.facts["scheme_identities"] == [
        {"code": "SKM.NET.03", "name": "Teknisi Jaringan Muda", "K": 3, "BK": 1}]


def test_birth_place_and_date_in_one_column_in_several_formats():
    doc = read(xlsx_bytes(bnsp_workbook()), "daftar_asesi.xlsx")
    assert [r.birth_date for r in doc.roster.rows] == [
        dt.date(1990, 1, 12), dt.date(1992, 5, 15), dt.date(1988, 8, 3), dt.date(1995, 7, 21)]
    assert [r.extra.get("birth_place") for r in doc.roster.rows] == ["Bandung", "Bandung", "Denpasar", "JAKARTA"]
    # the NIK was checked against these dates: a wrong one is found
    wrong = [("Budi Santoso", "3273011201900001", "Bandung, 13-01-1990", "L", "K")] + ROWS[1:]
    doc = read(xlsx_bytes(bnsp_workbook(wrong)), "daftar_asesi.xlsx")
    assert errors(doc) == ["NIK_TANGGAL_LAHIR_TIDAK_SESUAI"]


def test_nik_typed_with_spaces_dots_and_non_breaking_spaces():
    typed = ["3273 0112 0190 0001", "3273.0155.0592.0002", "5171\u00a00203\u00a00888\u00a00003",
             "3174\u202f0661\u202f0795\u202f0004"]
    rows = [(n, typed[i], b, s, r) for i, (n, _, b, s, r) in enumerate(ROWS)]
    doc = read(xlsx_bytes(bnsp_workbook(rows)), "daftar_asesi.xlsx")
    assert errors(doc) == []
    assert [r.nik for r in doc.roster.rows] == [r[1] for r in ROWS]


def test_instruction_example_and_hidden_sheets_are_ignored():
    wb = bnsp_workbook()
    guide = wb.create_sheet("Petunjuk Pengisian", 0)
    guide.append(["Isi kolom berikut:"])
    guide.append(["No", "Nama Asesi", "NIK", "Rekomendasi K/BK"])
    guide.append([1, "Nama sesuai KTP", "16 digit", "K atau BK"])
    example = wb.create_sheet("Contoh")
    example.append(BNSP_HEADER)
    example.append([1, "Contoh Nama", "1234567890123456", "Kota, 01-01-2000", "L", "", "", "", "SKM.X.01",
                    "Skema Contoh", "K"])
    hidden = wb.create_sheet("Data Lama")
    hidden.append(BNSP_HEADER)
    hidden.append([1, "Orang Lama", "3273011201900009", "Bandung, 12-01-1990", "L", "", "", "", "SKM.NET.03",
                   "Teknisi Jaringan Muda", "K"])
    hidden.sheet_state = "hidden"
    doc = read(xlsx_bytes(wb), "daftar_asesi.xlsx")
    assert errors(doc) == []
    assert [r.name for r in doc.roster.rows] == [r[0] for r in ROWS]
    assert {r.sheet for r in doc.roster.rows} == {"Daftar Asesi"}


def test_attendance_list_is_not_a_participant_list():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["DAFTAR HADIR"])
    ws.append(["No", "Nama", "Instansi", "Tanda Tangan"])
    for i, name in enumerate(["Budi Santoso", "Siti Aminah"], 1):
        ws.append([i, name, "PT Maju", ""])
    doc = read(xlsx_bytes(wb), "daftar_hadir.xlsx")
    assert doc.roster is None
    assert doc.doc_type != PARTICIPANT_LIST


def test_formula_cells_are_read_by_their_saved_value():
    data = ods_bytes({"Daftar Asesi": [
        ["No", "Nama Asesi", "NIK", "Tanggal Lahir", "Rekomendasi"],
        [1, "Budi Santoso", "3273011201900001", dt.date(1990, 1, 12), "K"],
        [("=[.A2]+1", 2), ('=PROPER("siti aminah")', "Siti Aminah"), "3273015505920002",
         dt.date(1992, 5, 15), ('=IF(1>0;"K";"BK")', "K")],
    ]})
    doc = read(data, "daftar_asesi.ods")
    assert errors(doc) == []
    assert [(r.number, r.name, r.result) for r in doc.roster.rows] == [
        ("1", "Budi Santoso", "K"), ("2", "Siti Aminah", "K")]


def test_ods_list_is_read():
    data = ods_bytes(workbook_rows(bnsp_workbook()))
    assert sniff.sniff(data) == sniff.ODS
    doc = read(data, "daftar_asesi.ods")
    assert doc.doc_type == PARTICIPANT_LIST
    assert errors(doc) == []
    assert [r.name for r in doc.roster.rows] == [r[0] for r in ROWS]
    assert doc.roster.rows[0].scheme_code == "SKM.NET.03"


def test_password_protected_ods_is_reported_as_encrypted():
    data = (SAMPLES / "pass_protected.ods").read_bytes()  # saved with a password by LibreOffice
    doc = read(data, "daftar_asesi.ods")
    assert [f.code for f in doc.findings] == ["BERKAS_TERENKRIPSI"]
    assert "kata sandi" in doc.findings[0].message


def test_csv_with_carriage_return_only_line_ends():
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=";", lineterminator="\r")  # old Mac / some exporters
    writer.writerow(["No", "Nama Asesi", "NIK", "Rekomendasi"])
    for i, (name, nik, _, _, result) in enumerate(ROWS, 1):
        writer.writerow([i, name, nik, result])
    data = buf.getvalue().encode("utf-8")
    assert b"\n" not in data
    doc = read(data, "daftar_asesi.csv")
    assert errors(doc) == []
    assert [r.name for r in doc.roster.rows] == [r[0] for r in ROWS]


def test_xls_from_xlwt_with_bnsp_columns():
    xlwt = pytest.importorskip("xlwt")
    book = xlwt.Workbook()
    ws = book.add_sheet("Daftar Asesi")
    for j, h in enumerate(BNSP_HEADER):
        ws.write(0, j, h)
    for i, (name, nik, born, sex, result) in enumerate(ROWS, 1):
        for j, v in enumerate([i, name, nik, born, sex, "", "", "", "SKM.NET.03", "Teknisi Jaringan Muda", result]):
            ws.write(i, j, v)
    buf = io.BytesIO()
    book.save(buf)
    doc = read(buf.getvalue(), "daftar_asesi.xls")
    assert errors(doc) == []
    assert doc.facts["competent_count"] == 3


def test_a_file_one_engine_rejects_is_read_by_another(monkeypatch):
    """calamine refuses the file (simulated: no real file rejected by calamine but read by openpyxl
    was at hand); openpyxl, the next engine installed, reads the same real bytes."""
    import python_calamine

    data = xlsx_bytes(bnsp_workbook())

    def refuse(*args, **kwargs):
        raise python_calamine.CalamineError("unsupported record")

    monkeypatch.setattr(python_calamine.CalamineWorkbook, "from_filelike", refuse)
    grids = load_grids(data, sniff.XLSX)
    assert [g.name for g in grids] == ["Daftar Asesi"]
    assert grids[0].rows[3][:3] == ["NO", "NAMA ASESI", "NIK"]


def test_a_nik_copied_onto_a_second_person_is_one_line():
    # row 4's NIK is Budi's (copied): it also disagrees with Rina's birth date and sex
    rows = ROWS[:3] + [("Rina Kartika", ROWS[0][1], "JAKARTA, 1995-07-21", "P", "BK")]
    doc = read(xlsx_bytes(bnsp_workbook(rows)), "daftar_asesi.xlsx")
    assert errors(doc) == ["NIK_GANDA"]
    [line] = doc.findings
    assert "baris 6" in line.message and "baris 9" in line.message
    assert "salah salin" in line.message and line.message.count("baris 9") == 2


def test_a_formula_without_a_saved_value_is_for_an_officer_not_an_empty_cell():
    # openpyxl writes formulas without calculating them, as some generators do
    wb = bnsp_workbook()
    wb.active["B6"] = '=HYPERLINK("http://contoh.test","klik")'
    doc = read(xlsx_bytes(wb), "daftar_asesi.xlsx")
    assert errors(doc) == []
    [formula] = [f for f in doc.findings if f.code == "RUMUS_TANPA_NILAI"]
    assert "HYPERLINK" in formula.message and "baris 6" in formula.message
    assert doc.needs_manual_review  # the dossier waits for an officer, nothing is asked of the LSP


@pytest.mark.parametrize("numbers,expected", [
    # Excel typed: every numeric NIK lost its 16th digit (all end in 0) -> surely wrong, ask the LSP
    ([3273011201900000 + 10, 3273015505920000 + 20], ["NIK_PRESISI_HILANG", "NIK_PRESISI_HILANG"]),
    # full numbers stored by a program: the one ending in 0 is intact like the others
    ([3273011201900001, 3273015505920010], ["NIK_TERSIMPAN_ANGKA", "NIK_TERSIMPAN_ANGKA"]),
    # a single numeric NIK ending in 0: one NIK in ten really does; an officer compares with the KTP
    ([3273011201900010], ["NIK_MUNGKIN_TERPOTONG"]),
])
def test_numeric_niks_ending_in_zero_are_judged_on_the_whole_list(numbers, expected):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Junior Web Developer"
    ws.append(["No", "Nama Asesi", "NIK", "Rekomendasi"])
    for i, number in enumerate(numbers, 1):
        ws.append([i, f"Peserta {i}", number, "K"])
    doc = read(xlsx_bytes(wb), "daftar_asesi.xlsx")
    assert [f.code for f in doc.findings] == expected
    assert doc.needs_manual_review == (expected == ["NIK_MUNGKIN_TERPOTONG"])
