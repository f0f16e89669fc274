"""Many PDFs from one template, fast: merge, convert once, split.

LibreOffice spends ~0.1 s loading each DOCX (its import filter), however small, but only
~5 ms per page inside one document. For bulk output from ONE template (certificates for
a whole shipment) we therefore render all items into one DOCX per chunk (the template
body repeated, one section per item, so each item starts on a new page exactly as in its
own file), convert the chunks in parallel, and cut the PDF back into one file per item.

Each item's first page is checked to carry its `key` text (e.g. the certificate number);
when pages do not map one to one (an item overflowed its page), that chunk falls back
to one DOCX per item converted in batches, which is slower but always right.

Limits: the template's headers and footers see only `shared`, not per-item values.
"""
from __future__ import annotations

import io
import logging
import math
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from docxtpl import DocxTemplate

from pipelines.write.docx import _prepare, _template_bytes, atomic_write_bytes, make_jinja_env, \
    render_docx
from pipelines.write.pdf import DEFAULT_TIMEOUT, convert_to_pdf, default_workers, \
    libreoffice_available, pdfium_lock, split_pdf

log = logging.getLogger(__name__)

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class _MergedTemplate(DocxTemplate):
    """A DocxTemplate whose body is repeated for every item of `__items`."""

    def __init__(self, template_file, keys: list[str]):
        super().__init__(template_file)
        self._keys = keys

    def get_xml(self):  # called by docxtpl's build_xml for the body only
        xml = super().get_xml()
        open_end = xml.index(">") + 1
        sect_at = xml.rfind("<w:sectPr")
        body_end = xml.rfind("</w:body>")
        if sect_at < 0 or body_end < sect_at:
            raise ValueError("template body has no final section properties")
        content, sect = xml[open_end:sect_at], xml[sect_at:body_end]
        # The break paragraph ends the item's section: next item on a new page, with
        # the same page set-up. It is made as small as possible (it sits on the item's
        # last page, after its content).
        brk = ('<w:p><w:pPr><w:spacing w:before="0" w:after="0" w:line="20" '
               'w:lineRule="exact"/><w:rPr><w:sz w:val="2"/></w:rPr>' + sect + '</w:pPr></w:p>')
        bindings = ", ".join(f"{k}=__item[{k!r}]" for k in self._keys)
        with_open = "{% with " + bindings + " %}" if bindings else "{% with %}"
        return (xml[:open_end] + "{% for __item in __items %}" + with_open + content
                + "{% if not loop.last %}" + brk + "{% endif %}{% endwith %}{% endfor %}"
                + sect + "</w:body>")


def render_merged_docx_bytes(template_path: Path | str, items: list[dict],
                             shared: dict | None = None) -> bytes:
    """One DOCX holding every item rendered from the template, each on new pages."""
    keys = sorted({k for item in items for k in item if _IDENT.match(k)})
    tpl = _MergedTemplate(io.BytesIO(_template_bytes(Path(template_path))), keys)
    tpl.init_docx()
    ctx = _prepare(dict(shared or {}), tpl)
    ctx["__items"] = [_prepare(dict(item), tpl) for item in items]
    tpl.render(ctx, jinja_env=make_jinja_env(), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def _page_texts(pdf_path: Path) -> list[str]:
    import pypdfium2 as pdfium

    with pdfium_lock():  # pdfium is not thread-safe
        doc = pdfium.PdfDocument(str(pdf_path))
        try:
            texts = []
            for i in range(len(doc)):
                page = doc[i]
                tp = page.get_textpage()
                texts.append(tp.get_text_range())
                tp.close()
                page.close()
            return texts
        finally:
            doc.close()


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _page_ranges(pdf_path: Path, keys: list[str | None]) -> list[tuple[int, int]] | None:
    """Pages of each item, if they map evenly and each item's first page shows its key."""
    texts = _page_texts(pdf_path)
    n = len(keys)
    if n == 0 or len(texts) % n:
        return None
    per = len(texts) // n
    for i, key in enumerate(keys):
        if key and _norm(str(key)) not in _norm(texts[i * per]):
            return None
    return [(i * per, (i + 1) * per) for i in range(n)]


@dataclass
class BulkResult:
    pdfs: list[Path | None]                 # per item, None if it could not be made
    docx: list[Path | None] = field(default_factory=list)  # per item, when asked for
    merged_pdfs: list[Path] = field(default_factory=list)  # print files, one per chunk
    fallback_chunks: int = 0


def render_pdfs_bulk(template_path: Path | str, items: list[dict], pdf_paths: list[Path], *,
                     key: str | None = None, docx_paths: list[Path] | None = None,
                     print_dir: Path | None = None, shared: dict | None = None,
                     chunk_size: int | None = None, workers: int | None = None,
                     timeout: float = DEFAULT_TIMEOUT) -> BulkResult:
    """Render `items` with one template into one PDF each (`pdf_paths`, aligned).

    - `key`: an item field whose text must appear on the item's first page (e.g.
      "certificate_number"); strongly advised, it is what proves the split is right.
    - `docx_paths`: also write each item's own DOCX (for the archive or an officer's
      correction); they are rendered while LibreOffice converts.
    - `print_dir`: keep the merged chunk PDFs there (print files, items in order).
    Without LibreOffice every PDF is None (the DOCX, if asked for, are still written).
    """
    items = list(items)
    pdf_paths = [Path(p) for p in pdf_paths]
    if len(pdf_paths) != len(items) or (docx_paths is not None and len(docx_paths) != len(items)):
        raise ValueError("items, pdf_paths and docx_paths must have the same length")
    result = BulkResult(pdfs=[None] * len(items),
                        docx=[None] * len(items) if docx_paths is not None else [])
    if not items:
        return result

    workers = workers or default_workers()
    docx_jobs = None
    if docx_paths is not None:
        jobs = [({**(shared or {}), **item}, Path(out)) for item, out in zip(items, docx_paths)]
        docx_jobs = _DocxJobs(str(template_path), jobs, workers)

    if not libreoffice_available():
        if docx_jobs is not None:
            result.docx = docx_jobs.wait()
        return result

    size = chunk_size or max(1, math.ceil(len(items) / workers))
    chunks = [list(range(i, min(i + size, len(items)))) for i in range(0, len(items), size)]
    pdf_paths[0].parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".bulk-", dir=pdf_paths[0].parent))
    try:
        merged_docx = []
        for c, idx in enumerate(chunks):
            path = work / f"chunk{c:04d}.docx"
            path.write_bytes(render_merged_docx_bytes(template_path, [items[i] for i in idx], shared))
            merged_docx.append(path)

        converted = convert_to_pdf(merged_docx, work / "pdf", timeout=timeout,
                                   batch_size=1, workers=workers)
        if docx_jobs is not None:
            result.docx = docx_jobs.wait()
            docx_jobs = None

        for c, idx in enumerate(chunks):
            pdf = converted.get(merged_docx[c])
            ranges = None
            if pdf is not None:
                keys = [items[i].get(key) if key else None for i in idx]
                ranges = _page_ranges(pdf, keys)
            if ranges is not None:
                split_pdf(pdf, ranges, [pdf_paths[i] for i in idx])
                for i in idx:
                    result.pdfs[i] = pdf_paths[i]
                if print_dir is not None:
                    Path(print_dir).mkdir(parents=True, exist_ok=True)
                    dest = Path(print_dir) / f"cetak_{c + 1:03d}.pdf"
                    shutil.move(str(pdf), dest)
                    result.merged_pdfs.append(dest)
            else:
                log.warning("chunk %d: pages do not map to items, converting one by one", c)
                result.fallback_chunks += 1
                _fallback(template_path, items, idx, pdf_paths, shared, work, timeout,
                          workers, result)
    finally:
        if docx_jobs is not None:  # an error above: still collect the workers
            docx_jobs.wait()
        shutil.rmtree(work, ignore_errors=True)
    return result


def _render_docx_many(template_path: str, jobs: list[tuple[dict, Path]]) -> list[Path | None]:
    """Worker body: render a list of (context, out path); None for a failed one."""
    done: list[Path | None] = []
    for ctx, out in jobs:
        try:
            done.append(render_docx(template_path, ctx, out))
        except Exception:  # noqa: BLE001 - one bad item must not sink the others
            log.exception("DOCX %s failed", out)
            done.append(None)
    return done


class _DocxJobs:
    """Per-item DOCX rendering in the background while LibreOffice converts.

    docxtpl costs ~20 ms of pure Python per file, so for large runs it goes to a pool
    of `workers` processes (spawned, not forked: the caller may have threads); small
    runs use one thread."""

    PROCESS_THRESHOLD = 200

    def __init__(self, template_path: str, jobs: list[tuple[dict, Path]], workers: int):
        self._futures = []
        self._pool = None
        if len(jobs) >= self.PROCESS_THRESHOLD and workers > 1:
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            self._pool = ProcessPoolExecutor(max_workers=workers,
                                             mp_context=multiprocessing.get_context("spawn"))
            per = math.ceil(len(jobs) / (workers * 4))
        else:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk-docx")
            per = len(jobs)
        for i in range(0, len(jobs), per):
            part = jobs[i:i + per]
            self._futures.append((part, self._pool.submit(_render_docx_many,
                                                          template_path, part)))
        self._template_path = template_path

    def wait(self) -> list[Path | None]:
        out: list[Path | None] = []
        try:
            for part, fut in self._futures:
                try:
                    out += fut.result()
                except Exception:  # noqa: BLE001 - e.g. a worker died: do its share here
                    log.warning("DOCX worker failed; rendering its %d files in-process",
                                len(part), exc_info=True)
                    out += _render_docx_many(self._template_path, part)
        finally:
            self._pool.shutdown(wait=True)
        return out


def _fallback(template_path, items, idx, pdf_paths, shared, work: Path, timeout, workers,
              result: BulkResult) -> None:
    single = work / f"single{idx[0]:06d}"
    single.mkdir()
    docs = {}
    for i in idx:
        try:
            docs[i] = render_docx(template_path, {**(shared or {}), **items[i]},
                                  single / f"item{i:06d}.docx")
        except Exception:  # noqa: BLE001
            log.exception("DOCX for item %d failed", i)
    converted = convert_to_pdf(list(docs.values()), single / "pdf", timeout=timeout,
                               workers=workers)
    for i, docx in docs.items():
        pdf = converted.get(docx)
        if pdf is not None:
            pdf_paths[i].parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(pdf_paths[i], pdf.read_bytes())
            result.pdfs[i] = pdf_paths[i]
