import os
import subprocess
import sys
import time
import zipfile

import pytest
from docxtpl import DocxTemplate
from jinja2 import UndefinedError

from write_helpers import ROOT, docx_lines
from pipelines.write.docx import Image, make_jinja_env, render_docx
from pipelines.write.paths import docx_template
from pipelines.write.qr import qr_png

TRICKY = "PT Maju & Jaya <Ltd> \"Kutip\" 'tunggal' </w:t> {{ x }}"


def test_escaping_round_trips_exactly(tmp_path, approval_context):
    ctx = approval_context
    ctx["lsp"]["name"] = TRICKY
    ctx["schemes"][0]["name"] = "Skema <A> & B"
    out = render_docx(docx_template("lembar_persetujuan"), ctx, tmp_path / "lp.docx")
    lines = docx_lines(out)
    assert TRICKY in lines
    assert "Skema <A> & B" in lines
    with zipfile.ZipFile(out) as zf:  # and the package is sound
        assert zf.testzip() is None


def test_control_characters_are_dropped(tmp_path, approval_context):
    approval_context["lsp"]["name"] = "LSP\x07 Bel\x0b Vertikal\x00"
    out = render_docx(docx_template("lembar_persetujuan"), approval_context, tmp_path / "lp.docx")
    assert "LSP Bel Vertikal" in docx_lines(out)


def test_approval_sheet_content(tmp_path, approval_context):
    out = render_docx(docx_template("lembar_persetujuan"), approval_context, tmp_path / "lp.docx")
    text = "\n".join(docx_lines(out))
    assert "BLK-2026-00042" in text
    assert "sebanyak 25 (dua puluh lima) lembar" in text
    for value in ["Teknisi Jaringan Komputer", "Juru Las SMAW", "20", "3", "5",
                  "Dra. Siti Aminah, M.Si.", "NIP 197001012000032001",
                  "Kepala Subbagian Sertifikasi,", "Menyetujui,", "Jakarta, 21 November 2026",
                  "Nomor 012/LSP-MS/XI/2026 tanggal 18 November 2026", "19 November 2026",
                  "Andi Pratama", "LSP-P1-123"]:
        assert value in text, value
    lines = docx_lines(out)
    assert lines.count("25") >= 2  # K total and blanks total
    assert "Nomor seri blanko yang dikirimkan:" not in text  # no serial ranges yet
    assert "Disetujui oleh" not in text


def test_approval_sheet_serials_and_approved(tmp_path, approval_context, approved_at):
    ctx = approval_context
    ctx["serial_ranges"] = [dict(start="A0001001", end="A0001020", count=20),
                            dict(start="A0002001", end="A0002005", count=5)]
    ctx["approval"] = dict(approved=True, approver_name="Dra. Siti Aminah, M.Si.",
                           approved_at=approved_at)
    out = render_docx(docx_template("lembar_persetujuan"), ctx, tmp_path / "lp.docx")
    lines = docx_lines(out)
    text = "\n".join(lines)
    assert "Nomor seri blanko yang dikirimkan:" in text
    assert "A0001001" in lines and "A0002005" in lines
    assert ("Disetujui oleh Dra. Siti Aminah, M.Si. pada 21 November 2026 pukul 14.05 WIB"
            in lines)
    assert "NIP 197001012000032001" not in text  # the empty signature block is gone


def test_letter_unknown(tmp_path, approval_context):
    approval_context["letter"] = None
    out = render_docx(docx_template("lembar_persetujuan"), approval_context, tmp_path / "lp.docx")
    assert "Nomor 012" not in "\n".join(docx_lines(out))


def test_missing_value_raises_and_writes_nothing(tmp_path, approval_context):
    out = tmp_path / "lp.docx"
    out.write_bytes(b"old")
    del approval_context["official"]
    with pytest.raises(UndefinedError):
        render_docx(docx_template("lembar_persetujuan"), approval_context, out)
    assert out.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["lp.docx"]  # no temp file left behind


def test_receipt_with_and_without_qr(tmp_path, approval_context):
    ctx = approval_context
    ctx["schemes"][0]["serial_ranges"] = [dict(start="A1", end="A20", count=20)]
    out = render_docx(docx_template("tanda_terima"), ctx, tmp_path / "tt.docx")
    lines = docx_lines(out)
    text = "\n".join(lines)
    for value in ["Nomor: TT-2026-00042", "Yang Menyerahkan,", "Yang Menerima,",
                  "A1 s.d. A20", "(dua puluh lima lembar)", "Dra. Siti Aminah, M.Si."]:
        assert value in text, value
    assert "Pindai kode QR" not in text

    ctx["qr_image"] = Image(qr_png("https://contoh.go.id/tt/TT-2026-00042"), width_mm=20)
    out = render_docx(docx_template("tanda_terima"), ctx, tmp_path / "tt-qr.docx")
    from docx import Document
    assert len(Document(str(out)).inline_shapes) == 1
    assert "Pindai kode QR" in "\n".join(docx_lines(out))


def test_certificate(tmp_path, certificate_items):
    item = certificate_items(1)[0]
    item["qr"] = Image(qr_png("https://contoh.go.id/v/1"), width_mm=25)
    out = render_docx(docx_template("sertifikat"), item, tmp_path / "s.docx")
    lines = docx_lines(out)
    for value in ["Nomor: 12345 6789 0 0000000 2026", "Peserta Nomor 0", "NIK 3273014507900001",
                  "Teknisi Jaringan Komputer", "LSP Maju Sejahtera",
                  "Diterbitkan tanggal 21 November 2026",
                  "Berlaku sampai dengan 20 November 2029", "No. Blanko: A0000000"]:
        assert value in lines, value


@pytest.mark.parametrize("name, expected", [
    ("lembar_persetujuan", {"office", "dossier", "lsp", "letter", "schemes", "blanks_total",
                            "blanks_total_words", "official", "serial_ranges", "prepared_by",
                            "date", "approval", "participants"}),
    ("tanda_terima", {"office", "dossier", "lsp", "letter", "schemes", "blanks_total",
                      "blanks_total_words", "official", "serial_ranges", "date",
                      "receipt_number", "qr_image"}),
    ("sertifikat", {"certificate_number", "name", "nik", "scheme", "lsp", "issue_date",
                    "valid_until", "blank_serial", "qr"}),
])
def test_committed_templates_declare_documented_keys(name, expected):
    """Tags survive Word edits only if each stays in one run: docxtpl must see them all."""
    tpl = DocxTemplate(str(docx_template(name)))
    assert tpl.get_undeclared_template_variables(jinja_env=make_jinja_env()) == expected


def test_build_script_regenerates(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "templates" / "build_templates.py"), str(tmp_path)],
                   check=True, capture_output=True)
    for name in ["lembar_persetujuan", "tanda_terima", "sertifikat"]:
        assert (tmp_path / f"{name}.docx").stat().st_size > 5000


def test_a_rewrite_clears_what_a_killed_writer_left_and_spares_a_busy_one(tmp_path):
    from pipelines.write.docx import atomic_write_bytes
    target = tmp_path / "tanda_terima.docx"
    killed = tmp_path / ".tanda_terima.docx.ab12cd.tmp"
    killed.write_bytes(b"half a file")
    os.utime(killed, (time.time() - 60, time.time() - 60))
    busy = tmp_path / ".tanda_terima.docx.zz99yy.tmp"
    busy.write_bytes(b"being written")
    os.utime(busy, (time.time() + 60, time.time() + 60))
    other = tmp_path / ".lembar_persetujuan.docx.ab12cd.tmp"
    other.write_bytes(b"another file's temporary")
    os.utime(other, (time.time() - 60, time.time() - 60))

    atomic_write_bytes(target, b"complete")

    assert target.read_bytes() == b"complete"
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".lembar_persetujuan.docx.ab12cd.tmp", ".tanda_terima.docx.zz99yy.tmp", "tanda_terima.docx"]
