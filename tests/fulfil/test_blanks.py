"""Blank inventory: stock, allocation in few ranges, voids, report; the database refuses
a second use of a serial."""
from __future__ import annotations

import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from pipelines import db
from pipelines.decide.approval import ApprovalError, approve
from pipelines.fulfil import blanks
from pipelines.fulfil.blanks import BlankError, SerialRange, choose_ranges
from pipelines.fulfil.models import certificates, parcels, serial_uses

from .helpers import make_dossier, make_runtime


@pytest.fixture
def rt(tmp_path):
    return make_runtime(tmp_path)


def R(a, b):
    return SerialRange(a, b)


def test_choose_one_range_best_fit():
    runs = [R(1, 100), R(200, 209), R(300, 349)]
    assert choose_ranges(runs, 8) == [R(200, 207)]      # smallest run that fits
    assert choose_ranges(runs, 50) == [R(300, 349)]
    assert choose_ranges(runs, 51) == [R(1, 51)]


def test_choose_fewest_ranges_when_no_run_fits():
    runs = [R(1, 10), R(20, 49), R(60, 64), R(70, 89)]     # sizes 10, 30, 5, 20
    chosen = choose_ranges(runs, 45)                       # 30 + 15 (from the 20-run)
    assert len(chosen) == 2 and sum(r.count for r in chosen) == 45
    assert R(20, 49) in chosen and R(70, 84) in chosen
    with pytest.raises(BlankError, match="tidak cukup"):
        choose_ranges(runs, 66)


def test_stock_overlap_refused(rt):
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1000, 1099, actor="admin")
    with pytest.raises(BlankError, match="sudah tercatat"):
        with rt.engine.begin() as conn:
            blanks.add_stock(conn, 1090, 1200, actor="admin")
    with pytest.raises(BlankError):
        with rt.engine.begin() as conn:
            blanks.add_stock(conn, 5, 1, actor="admin")


def test_import_csv_all_or_nothing(rt, tmp_path):
    ok = tmp_path / "stok.csv"
    ok.write_text("awal;akhir\n0000001;0000050\n0000101;0000150\n0000200\n", encoding="utf-8")
    with rt.engine.begin() as conn:
        added = blanks.import_stock(conn, ok, rt.fulfilment.parse_serial, actor="admin")
    assert [r.count for r in added] == [50, 50, 1]
    bad = tmp_path / "buruk.csv"
    bad.write_text("awal,akhir\n300,310\n140,160\n", encoding="utf-8")   # second line overlaps
    with pytest.raises(BlankError):
        with rt.engine.begin() as conn:
            blanks.import_stock(conn, bad, rt.fulfilment.parse_serial, actor="admin")
    with rt.engine.connect() as conn:
        assert blanks.stock_report(conn, 10).received == 101                 # 300-310 rolled back


def test_approval_allocates_exact_count_in_one_range(rt):
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1, 20, actor="admin")
        blanks.add_stock(conn, 101, 200, actor="admin")
    d = make_dossier(rt, {"Junior Web Developer": (3, 1), "Teknisi Jaringan": (4, 0)})
    result = approve(rt, d["number"], "Kepala Subbagian", "kasubbag")
    with rt.engine.connect() as conn:
        ranges = blanks.dossier_ranges(conn, d["id"])
        certs = conn.execute(select(certificates).order_by(certificates.c.serial)).mappings().all()
        parcel = conn.execute(select(parcels)).mappings().one()
    assert ranges == [R(1, 7)]                       # 7 blanks, one range, best fit
    assert [c["serial"] for c in certs] == list(range(1, 8))
    assert [c["scheme"] for c in certs] == ["Junior Web Developer"] * 3 + ["Teknisi Jaringan"] * 4
    assert parcel["blanks"] == 7 and parcel["status"] == "dikemas"
    assert {g["kind"] for g in result.documents} == {"lembar_persetujuan", "tanda_terima"}
    # the receipt shows the serial ranges
    from docx import Document
    receipt = next(g["docx"] for g in result.documents if g["kind"] == "tanda_terima")
    text = "\n".join(c.text for t in Document(receipt).tables for row in t.rows for c in row.cells)
    assert "0000001" in text and "0000007" in text and "0000004 s.d. 0000007" in text


def test_approval_refused_when_stock_short(rt):
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1, 2, actor="admin")
    d = make_dossier(rt, {"Skema": (3, 0)})
    with pytest.raises(ApprovalError, match="tidak cukup"):
        approve(rt, d["number"], "Kepala", "kasubbag")
    with rt.engine.connect() as conn:
        assert conn.execute(select(serial_uses)).all() == []
        assert db.dossier_by_number(conn, d["number"])["status"] == "menunggu_persetujuan"


def test_database_refuses_second_use_of_a_serial(rt):
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1, 10, actor="admin")
    d = make_dossier(rt, {"Skema": (2, 0)})
    approve(rt, d["number"], "Kepala", "kasubbag")
    with pytest.raises(IntegrityError):
        with rt.engine.begin() as conn:   # bypassing the code: the primary key still says no
            conn.execute(insert(serial_uses).values(serial=1, use="rusak", at=db.now()))
    with pytest.raises(IntegrityError):
        with rt.engine.begin() as conn:   # a serial that was never in stock
            conn.execute(insert(serial_uses).values(serial=999, use="rusak", at=db.now()))


def test_void_in_stock_and_allocated_with_replacement(rt):
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1, 10, actor="admin")
        blanks.void(conn, 3, "sobek", actor="admin")
    d = make_dossier(rt, {"Skema": (4, 0)})
    approve(rt, d["number"], "Kepala", "kasubbag")
    with rt.engine.connect() as conn:
        assert blanks.dossier_ranges(conn, d["id"]) == [R(4, 7)]      # the run 4..10 fits; 3 skipped
    with rt.engine.begin() as conn:
        result = blanks.void(conn, 5, "salah cetak", actor="petugas")
    assert result.replacement == 8
    with rt.engine.connect() as conn:
        assert blanks.allocated_serials(conn, d["id"]) == [4, 6, 7, 8]
        assert conn.execute(select(certificates.c.serial).order_by(certificates.c.serial)).scalars().all() == [4, 6, 7, 8]
        report = blanks.stock_report(conn, 10)
    assert (report.received, report.allocated, report.voided_in_stock, report.voided_allocated,
            report.available, report.low) == (10, 5, 1, 1, 4, True)
    with pytest.raises(BlankError, match="wajib"):
        with rt.engine.begin() as conn:
            blanks.void(conn, 9, "  ", actor="petugas")
    with pytest.raises(BlankError, match="sudah tercatat"):
        with rt.engine.begin() as conn:
            blanks.void(conn, 5, "lagi", actor="petugas")


def test_cli_blanks(rt, tmp_path, capsys, monkeypatch):
    from pipelines.cli import main
    config = tmp_path / "sertiflow.yaml"
    config.write_text(f"outputs_dir: {tmp_path}\n", encoding="utf-8")
    (tmp_path / "fulfilment.yaml").write_text("low_stock_threshold: 1000\n", encoding="utf-8")
    monkeypatch.setenv("SERTIFLOW_FULFILMENT", str(tmp_path / "fulfilment.yaml"))
    assert main(["--config", str(config), "blanks", "add", "0000001", "0000600"]) == 0
    assert main(["--config", str(config), "blanks", "void", "0000002", "--reason", "basah"]) == 0
    assert main(["--config", str(config), "blanks", "add", "0000500", "0000700"]) == 1
    assert main(["--config", str(config), "blanks", "report"]) == 0
    out = capsys.readouterr()
    assert "599" in out.out and "PERINGATAN: stok blanko rendah" in out.out
    assert "sudah tercatat" in out.err
