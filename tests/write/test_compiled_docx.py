"""DOCX from compiled templates: the same text as docxtpl, escaped, recompiled when an
officer saves the template in Word, and a package LibreOffice turns into a PDF."""
from __future__ import annotations

import os
import shutil
import time
import zipfile

from docx import Document

from write_helpers import docx_lines, needs_soffice, pdf_text
from pipelines.write.docx import Image, render_docx, render_docx_bytes, render_with_docxtpl
from pipelines.write.paths import docx_template
from pipelines.write.qr import qr_png

TRICKY = "PT Maju & Jaya <Ltd> \"Kutip\" 'tunggal' </w:t> {{ x }}"


def lines_of(data: bytes, tmp_path, name: str) -> list[str]:
    path = tmp_path / name
    path.write_bytes(data)
    return docx_lines(path)


def test_compiled_render_writes_the_same_text_as_docxtpl(tmp_path, approval_context):
    approval_context["lsp"]["name"] = TRICKY
    approval_context["schemes"][0]["name"] = "Skema <A> & B\nbaris dua"
    for kind in ("lembar_persetujuan", "tanda_terima"):
        template = docx_template(kind)
        compiled = render_docx_bytes(template, approval_context)
        reference = render_with_docxtpl(template.read_bytes(), approval_context)
        assert lines_of(compiled, tmp_path, "a.docx") == lines_of(reference, tmp_path, "b.docx")
        assert TRICKY in lines_of(compiled, tmp_path, "a.docx")
        with zipfile.ZipFile(tmp_path / "a.docx") as package:
            assert package.testzip() is None
            assert len(package.namelist()) == len(set(package.namelist()))  # each part once


def test_an_officer_saving_the_template_in_word_is_seen_by_the_next_render(tmp_path, approval_context):
    template = tmp_path / "lembar_persetujuan.docx"
    shutil.copy(docx_template("lembar_persetujuan"), template)
    first = lines_of(render_docx_bytes(template, approval_context), tmp_path, "1.docx")
    assert not any("Catatan revisi kantor" in line for line in first)
    document = Document(str(template))  # what Word does: the file is rewritten
    document.add_paragraph("Catatan revisi kantor untuk {{ dossier.number }}")
    document.save(str(template))
    os.utime(template, ns=(time.time_ns(), time.time_ns() + 1_000_000))
    second = lines_of(render_docx_bytes(template, approval_context), tmp_path, "2.docx")
    assert f"Catatan revisi kantor untuk {approval_context['dossier']['number']}" in second


def test_a_context_with_an_image_is_rendered_with_the_image(tmp_path, approval_context):
    approval_context["qr_image"] = Image(qr_png("https://contoh.example/verifikasi/abc"), width_mm=25)
    out = render_docx(docx_template("tanda_terima"), approval_context, tmp_path / "tt.docx")
    with zipfile.ZipFile(out) as package:
        assert any(name.startswith("word/media/") for name in package.namelist())


@needs_soffice
def test_libreoffice_converts_a_compiled_render(tmp_path, approval_context):
    from pipelines.write.pdf import convert_to_pdf
    approval_context["lsp"]["name"] = TRICKY
    out = render_docx(docx_template("lembar_persetujuan"), approval_context, tmp_path / "lp.docx")
    pdf = convert_to_pdf([out], tmp_path)[out]
    assert "PT Maju & Jaya <Ltd>" in pdf_text(pdf)
