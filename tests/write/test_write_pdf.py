"""PDF conversion with a real LibreOffice (skipped when soffice is absent)."""
import time
import zipfile
from pathlib import Path

import pytest

from pipelines.write import pdf as pdfmod
from pipelines.write.bulk import render_pdfs_bulk
from pipelines.write.docx import Image, render_docx
from pipelines.write.paths import docx_template
from pipelines.write.pdf import convert_to_pdf, libreoffice_available
from pipelines.write.qr import qr_png
from write_helpers import needs_soffice, pdf_pages, pdf_text


def _approval_docs(tmp_path, ctx, numbers):
    paths = []
    for number in numbers:
        ctx["dossier"]["number"] = number
        paths.append(render_docx(docx_template("lembar_persetujuan"), ctx,
                                 tmp_path / "docx" / f"lp-{number}.docx"))
    return paths


def _live_soffice_in(root: Path) -> list[int]:
    """PIDs of running (non-zombie) processes whose command line mentions `root`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(root) in cmd and state != "Z":
            pids.append(int(entry.name))
    return pids


def test_absent_libreoffice_keeps_docx_only(tmp_path, monkeypatch, approval_context):
    monkeypatch.setenv("SERTIFLOW_SOFFICE", "no-such-soffice-binary")
    assert not libreoffice_available()
    docs = _approval_docs(tmp_path, approval_context, ["BLK-1"])
    assert convert_to_pdf(docs, tmp_path / "pdf", timeout=10) == {docs[0]: None}
    assert docs[0].exists()


def test_duplicate_stems_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError):
        convert_to_pdf([tmp_path / "a" / "x.docx", tmp_path / "b" / "x.docx"], tmp_path, 10)


@needs_soffice
def test_batch_converts_and_reports_bad_inputs(tmp_path, approval_context):
    numbers = ["BLK-2026-00101", "BLK-2026-00102", "BLK-2026-00103"]
    docs = _approval_docs(tmp_path, approval_context, numbers)
    garbage = tmp_path / "docx" / "rusak.docx"
    garbage.write_bytes(b"bukan dokumen Word")          # LibreOffice would print this as text
    truncated = tmp_path / "docx" / "terpotong.docx"
    truncated.write_bytes(docs[0].read_bytes()[:3000])
    empty_zip = tmp_path / "docx" / "kosong.docx"
    with zipfile.ZipFile(empty_zip, "w") as zf:
        zf.writestr("hello.txt", "x")
    inputs = [docs[0], garbage, docs[1], truncated, empty_zip, docs[2]]

    out = convert_to_pdf(inputs, tmp_path / "pdf", timeout=60, batch_size=4, workers=2)

    assert list(out) == inputs
    for doc, number in zip(docs, numbers):
        pdf = out[doc]
        assert pdf == tmp_path / "pdf" / f"lp-{number}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        text = pdf_text(pdf)
        assert number in text and "dua puluh lima" in text
    assert out[garbage] is None and out[truncated] is None and out[empty_zip] is None
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == \
        sorted(f"lp-{n}.pdf" for n in numbers)  # no staging folders, no half files


@needs_soffice
def test_timeout_kills_soffice(tmp_path, approval_context):
    docs = _approval_docs(tmp_path, approval_context, ["BLK-9"])
    out = convert_to_pdf(docs, tmp_path / "pdf", timeout=0.3, retry_after_crash=False)
    assert out == {docs[0]: None}
    root = pdfmod._PROFILES._root
    assert root is not None
    deadline = time.monotonic() + 5  # SIGKILLed processes may take a moment to go
    while _live_soffice_in(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_soffice_in(root) == []
    assert [p.name for p in (tmp_path / "pdf").iterdir()] == []


@needs_soffice
def test_bulk_certificates_split_per_item(tmp_path, certificate_items):
    items = certificate_items(5)
    for i, item in enumerate(items):
        item["qr"] = Image(qr_png(f"https://contoh.go.id/v/{i}"), width_mm=25)
    items[2]["name"] = "Budi & Sons <Ltd>"
    pdfs = [tmp_path / "pdf" / f"s{i}.pdf" for i in range(5)]
    docx = [tmp_path / "docx" / f"s{i}.docx" for i in range(5)]
    res = render_pdfs_bulk(docx_template("sertifikat"), items, pdfs, key="certificate_number",
                           docx_paths=docx, print_dir=tmp_path / "cetak", workers=2)
    assert res.pdfs == pdfs and res.docx == docx and res.fallback_chunks == 0
    for i, path in enumerate(pdfs):
        text = pdf_text(path)
        assert pdf_pages(path) == 1
        assert items[i]["certificate_number"] in text and items[i]["name"] in text
        assert path.stat().st_size < 80_000  # resources pruned to this page's own
    assert sum(pdf_pages(p) for p in res.merged_pdfs) == 5


@needs_soffice
def test_bulk_falls_back_when_an_item_overflows(tmp_path, certificate_items):
    items = certificate_items(3)
    items[1]["scheme"] = "Skema yang sangat panjang " * 150  # two pages for this one
    pdfs = [tmp_path / f"s{i}.pdf" for i in range(3)]
    res = render_pdfs_bulk(docx_template("sertifikat"), items, pdfs, key="certificate_number",
                           chunk_size=3)
    assert res.fallback_chunks == 1 and res.pdfs == pdfs
    assert [pdf_pages(p) for p in pdfs][0] == 1 and pdf_pages(pdfs[1]) >= 2
    assert items[1]["certificate_number"] in pdf_text(pdfs[1])
