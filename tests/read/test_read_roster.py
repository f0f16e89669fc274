"""Participant lists as LSPs really make them: title rows, merged headers, numeric NIKs..."""
from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from read_builders import PEOPLE, SCHEME, attachment, participant_list_csv, participant_list_xlsx

from pipelines.documents import PARTICIPANT_LIST
from pipelines.read import read_document
from pipelines.read.sheet import match_header, normalise_result


def read(data, name="daftar_peserta.xlsx"):
    return read_document(attachment(name, data))


def codes(doc):
    return [f.code for f in doc.findings]


def people(**changes):
    """PEOPLE with some rows changed: changes = {index: {field: value}}."""
    fields = ["name", "nik", "born", "sex", "result"]
    out = []
    for i, p in enumerate(PEOPLE):
        row = dict(zip(fields, p))
        row.update(changes.get(f"r{i}", {}))
        out.append(tuple(row[f] for f in fields))
    return out


def test_clean_list_no_false_alarm():
    doc = read(participant_list_xlsx())
    assert doc.doc_type == PARTICIPANT_LIST and doc.findings == []
    r = doc.roster
    assert [x.nik for x in r.rows] == [p[1] for p in PEOPLE]
    assert r.counts_by_scheme() == {SCHEME: {"K": 3, "BK": 1}}
    assert r.rows[0].row == 5 and r.rows[0].sheet == SCHEME  # title rows 1-3, header row 4
    assert r.rows[1].birth_date == dt.date(1992, 5, 15) and r.rows[1].sex == "P"


def test_merged_two_row_header_with_k_and_bk_columns():
    doc = read(participant_list_xlsx(merged_header=True))
    assert doc.findings == []
    assert doc.roster.counts_by_scheme() == {SCHEME: {"K": 3, "BK": 1}}
    assert doc.roster.rows[0].row == 6


def test_header_wording_variants_from_aliases():
    doc = read(participant_list_xlsx(headers=["No.", "Nama Asesi", "No. KTP", "Tgl. Lahir", "L/P"]))
    assert doc.findings == [] and doc.roster.competent_count == 3
    assert match_header("Nama Lengkap (tanpa gelar)") == "name"
    assert match_header("Nomor Induk Kependudukan") == "nik"
    assert match_header("Tempat, Tgl. Lahir") == "birth_place_date"


def test_scheme_column_and_one_sheet_per_scheme():
    two = participant_list_xlsx(scheme_column=True, extra_sheets={"Desainer Grafis Muda": [
        ("Ayu Lestari", "3273016002990005", dt.date(1999, 2, 20), "P", "K")]})
    doc = read(two)
    assert doc.findings == []
    assert doc.roster.counts_by_scheme() == {SCHEME: {"K": 3, "BK": 1}, "Desainer Grafis Muda": {"K": 1, "BK": 0}}


def test_csv_list():
    doc = read(participant_list_csv(), "daftar.csv")
    assert doc.doc_type == PARTICIPANT_LIST and doc.findings == []
    assert doc.roster.counts_by_scheme() == {SCHEME: {"K": 3, "BK": 1}}


def test_nik_stored_as_number_is_named():
    doc = read(participant_list_xlsx(nik_as_number=True))
    assert set(codes(doc)) == {"NIK_TERSIMPAN_ANGKA"}
    assert "kolom C (NIK)" in doc.findings[0].where and "baris 5" in doc.findings[0].where
    assert doc.roster.rows[0].nik == PEOPLE[0][1]


def test_nik_precision_lost_in_excel():
    # typed into Excel as a number: only 15 significant digits survive
    doc = read(participant_list_xlsx(people(r0={"nik": 3273011201900000.0}), nik_as_number=False))
    assert codes(doc) == ["NIK_PRESISI_HILANG"]
    assert "lembar Junior Web Developer, baris 5, kolom C" in doc.findings[0].where


def test_nik_leading_digits_lost():
    doc = read(participant_list_xlsx(people(r0={"nik": 327301120190001})))
    assert codes(doc) == ["NIK_NOL_DEPAN_HILANG"]


def test_nik_in_scientific_notation():
    doc = read(participant_list_xlsx(people(r2={"nik": "5.17102E+15"})))
    assert codes(doc) == ["NIK_NOTASI_ILMIAH"]
    assert "baris 7" in doc.findings[0].where


def test_nik_wrong_length():
    doc = read(participant_list_xlsx(people(r1={"nik": "32730155059200"})))
    assert codes(doc) == ["NIK_TIDAK_VALID"]


def test_nik_bad_province():
    doc = read(participant_list_xlsx(people(r0={"nik": "9973011201900001"})))
    assert codes(doc) == ["NIK_PROVINSI_TIDAK_VALID"]


def test_nik_birth_date_mismatch():
    doc = read(participant_list_xlsx(people(r0={"born": dt.date(1990, 1, 13)})))
    assert codes(doc) == ["NIK_TANGGAL_LAHIR_TIDAK_SESUAI"]


def test_nik_sex_mismatch_day_plus_40():
    doc = read(participant_list_xlsx(people(r1={"sex": "L"})))  # 55 -> a woman's NIK
    assert codes(doc) == ["NIK_JENIS_KELAMIN_TIDAK_SESUAI"]


def test_nik_impossible_date():
    doc = read(participant_list_xlsx(people(r0={"nik": "3273013201900001", "born": None})))
    assert codes(doc) == ["NIK_TANGGAL_TIDAK_VALID"]


def test_duplicate_nik_in_same_scheme():
    doc = read(participant_list_xlsx(people(r3={"nik": PEOPLE[0][1], "born": PEOPLE[0][2], "sex": "L"})))
    assert codes(doc) == ["NIK_GANDA"]
    assert doc.findings[0].details["rows"] == [5, 8]


@pytest.mark.parametrize("spelling,expected", [
    ("K", "K"), ("k", "K"), (" Kompeten ", "K"), ("KOMPETEN", "K"), ("BK", "BK"), ("bk", "BK"),
    ("B K", "BK"), ("B.K.", "BK"), ("Belum Kompeten", "BK"), ("belum  kompeten", "BK"), ("BELUM KOMPETEN", "BK"),
])
def test_result_spellings_normalised(spelling, expected):
    assert normalise_result(spelling) == expected


def test_result_variants_in_file_and_unknown_result():
    doc = read(participant_list_xlsx(people(r0={"result": " kompeten "}, r1={"result": "Belum  Kompeten"},
                                            r2={"result": "Lulus"})))
    assert codes(doc) == ["HASIL_TIDAK_DIKENALI"]
    assert [r.result for r in doc.roster.rows] == ["K", "BK", "", "BK"]
    assert "kolom F" in doc.findings[0].where


def test_empty_required_cells():
    doc = read(participant_list_xlsx(people(r0={"name": None}, r2={"result": None})))
    assert codes(doc) == ["SEL_WAJIB_KOSONG", "SEL_WAJIB_KOSONG"]
    wheres = [f.where for f in doc.findings]
    assert "baris 7, kolom F (Hasil (K/BK))" in wheres[0] or "baris 5, kolom B" in wheres[0]
    assert any("baris 5, kolom B (Nama Lengkap)" in w for w in wheres)


def test_missing_nik_column():
    doc = read(participant_list_xlsx(headers=["No", "Nama Lengkap", "Nomor Telepon", "Tanggal Lahir", "Jenis Kelamin"]))
    assert "KOLOM_WAJIB_TIDAK_ADA" in codes(doc)


def test_spreadsheet_that_is_not_a_list():
    wb = openpyxl.Workbook()
    wb.active.append(["Rencana Anggaran", 2026])
    buf = io.BytesIO()
    wb.save(buf)
    doc = read(buf.getvalue(), "rab.xlsx")
    assert doc.roster is None and codes(doc) == ["KOLOM_PESERTA_TIDAK_DITEMUKAN"]


def test_corrupt_xlsx():
    data = participant_list_xlsx()
    doc = read(data[: len(data) // 2])  # truncated in transit
    assert codes(doc) == ["BERKAS_EXCEL_RUSAK"]
    assert doc.roster is None


def test_legacy_xls_via_xlrd():
    xls = _tiny_xls()
    if xls is None:
        pytest.skip("no .xls writer available (xlwt not installed)")
    doc = read(xls, "daftar.xls")
    assert doc.doc_type == PARTICIPANT_LIST and doc.findings == []
    assert doc.roster.counts_by_scheme() == {SCHEME: {"K": 3, "BK": 1}}


def _tiny_xls():
    try:
        import xlwt
    except ImportError:
        return None
    wb = xlwt.Workbook()
    ws = wb.add_sheet(SCHEME[:31])
    for j, h in enumerate(["No", "Nama", "NIK", "Hasil"]):
        ws.write(0, j, h)
    for i, p in enumerate(PEOPLE, 1):
        for j, v in enumerate([i, p[0], p[1], p[4]]):
            ws.write(i, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
