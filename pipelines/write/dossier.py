"""Step 6, write: a dossier's documents (approval sheet, receipt, ...) from its service's
template list, as DOCX and, where LibreOffice is installed, PDF. Fixed paths: a rerun
overwrites the same files, so there is only ever one set."""
from __future__ import annotations

from datetime import date, datetime
import atexit
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from sqlalchemy import select, update

from pipelines import db

from pipelines.calendar import local_date
from pipelines.workers import ROOT, ProcessPool, start_module
from pipelines.write.conversions import (claim_conversions, clean_after_killed_runs, owned_temp_prefix,
                                         release_conversions)
from pipelines.write.pdf import convert_to_pdf, libreoffice_available
from pipelines.write.render_worker import render_all
from pipelines.write.words import format_date_id, number_to_words_id


def document_context(rt, dossier: dict, lsp, facts: dict, extra: dict | None = None) -> dict:
    office = rt.settings.office
    schemes = [{"name": name, "competent": c.get("K", 0), "not_competent": c.get("BK", 0)}
               for name, c in (facts.get("schemes") or {}).items()]
    blanks = int(facts.get("competent_total") or sum(s["competent"] for s in schemes))
    received = dossier.get("received_at")
    completed = dossier.get("completed_at") or datetime.now().astimezone()
    context = {
        "office": {"name": office.name, "address": office.address, "city": office.city},
        "official": {"name": office.official.name, "title": office.official.title, "nip": office.official.nip},
        "dossier": {"number": dossier["number"],
                    "received_at": format_date_id(local_date(received)) if received else "",
                    "completed_at": format_date_id(local_date(completed))},
        "lsp": {"code": lsp.code if lsp else dossier.get("lsp_code", ""),
                "name": lsp.name if lsp else dossier.get("sender", ""),
                "address": lsp.address if lsp else "", "contact": lsp.contact if lsp else "",
                "phone": lsp.phone if lsp else ""},
        "letter": {"number": facts.get("letter_number") or "-",
                   "date": _date_text(facts.get("letter_date"))},
        "decision": {"number": facts.get("decision_number") or "-",
                     "date": _date_text(facts.get("decision_date"))},
        "schemes": schemes,
        "participants": list(facts.get("competent_participants") or []),
        "blanks_total": blanks,
        "blanks_total_words": number_to_words_id(blanks),
        "serial_ranges": [],
        "receipt_number": f"TT/{dossier['number']}",
        "prepared_by": "Sertiflow (otomatis)",
        "date": format_date_id(local_date(completed)),
        "approval": {"approved": False, "approver_name": "", "approved_at": ""},
        "qr_image": None,
    }
    context.update(extra or {})
    return context


def _date_text(value) -> str:
    if not value:
        return "-"
    try:
        return format_date_id(date.fromisoformat(str(value)[:10]))
    except ValueError:
        return str(value)


def render_dossier_documents(rt, dossier: dict, lsp, facts: dict, specs: list[dict],
                             extra: dict | None = None, parallel: bool = False) -> list[dict]:
    """Render each {kind, template} to outputs/<number>/dokumen/<kind>.docx.

    PDFs are made afterwards for many dossiers at once (`convert_pending`): LibreOffice costs
    ~1.3 s to start and ~0.1 s a file in a batch."""
    folder = rt.settings.outputs_dir / dossier["number"] / "dokumen"
    folder.mkdir(parents=True, exist_ok=True)
    context = document_context(rt, dossier, lsp, facts, extra)
    jobs = [(rt.settings.templates_dir / spec["template"], folder / f"{spec['kind']}.docx") for spec in specs]
    pool = _render_pool() if parallel and not context.get("qr_image") else None
    if pool is None:
        render_all(jobs, context)
    else:
        # One task for all of a dossier's documents (the context crosses once). They reach the disk
        # with the rest of the pass's files, before its mail leaves the polled folder
        # (poll.move_processed).
        pool.call(render_all, jobs, context, False)
    return [{"kind": spec["kind"], "docx": out, "pdf": None} for spec, (_, out) in zip(specs, jobs)]


class _RenderWorker:
    """A worker process that renders documents (pipelines.write.render_worker), one call at a
    time over a socket pair (see workers.start_module)."""

    def __init__(self):
        # The parent's import path: a function it sends is found in the worker as multiprocessing's
        # spawn would find it.
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(ROOT)] + [p for p in sys.path if p and os.path.isdir(p)])}
        self.process, self.conn = start_module("pipelines.write.render_worker", str(os.getpid()), env=env)
        self.alive = True

    def call(self, fn, *args):
        self.conn.send((fn, args))
        ok, value = self.conn.recv()
        if not ok:
            raise value
        return value

    def kill(self) -> None:
        """End the process (reaped, not left a zombie)."""
        self.alive = False
        self.conn.close()   # an idle worker ends when its pipe does
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class _RenderWorkers(ProcessPool):
    """Up to `size` render workers, started when first needed; one that died is replaced at the
    next call. Direct pipes rather than a ProcessPoolExecutor, whose call queue, feeder thread
    and result thread cost the main process ~0.3 ms of CPU a dossier (bench/ingest_profile.py)."""

    def __init__(self, size: int):
        super().__init__(size, start=_RenderWorker)

    def call(self, fn, *args):
        with self.holding() as worker:
            try:
                return worker.call(fn, *args)
            except (EOFError, OSError) as exc:   # the worker died (killed, out of memory)
                worker.process.kill()
                worker.kill()
                raise RuntimeError(f"render worker ended: {type(exc).__name__}: {exc}") from exc


RENDER_WORKERS = min(2, os.cpu_count() or 1)   # see _render_pool
_pool: _RenderWorkers | None = None
_pool_lock = threading.Lock()


def _render_pool() -> _RenderWorkers | None:
    """Rendering a DOCX from a compiled template is a few ms of pure Python: with several mails
    in flight it runs in worker processes beside the main one (the GIL), so both cores work.
    Two where there are two cores: with one, mail threads queued for it and the machine idled
    (1,000 requests through poll.run_once: 10.2 s against 10.7 s); a third gained nothing. Each costs
    ~45 MB, and a worker stays under 600 MB (`SERTIFLOW_RENDER_WORKERS` sets the number)."""
    global _pool
    workers = int(os.environ.get("SERTIFLOW_RENDER_WORKERS") or RENDER_WORKERS)
    if workers == 0:
        return None
    with _pool_lock:
        if _pool is None:
            _pool = _RenderWorkers(workers)
            atexit.register(_pool.close)
        return _pool


def warm_render_pool() -> None:
    """Start the render workers now (see poll.process_batch) rather than at the first documents."""
    pool = _render_pool()
    if pool is not None:
        pool.warm()


def close_render_pool() -> None:
    """Stop the render workers at the end of a pass: the PDF step's LibreOffice processes come
    after them, not on top of them (see poll.release_workers)."""
    global _pool
    with _pool_lock:
        if _pool is not None:
            _pool.close()
            _pool = None


def convert_pending(rt, limit: int = 500, dossier_ids: list[int] | None = None) -> dict[str, int]:
    """Make the PDF of every generated DOCX that has none yet (also after a crash); only those
    of `dossier_ids` when given (the desk, right after an approval)."""
    if not (rt.settings.convert_pdf and libreoffice_available()):
        return {"converted": 0, "failed": 0}
    pending = [db.generated_files.c.pdf_path == "", db.generated_files.c.docx_path != ""]
    if dossier_ids is not None:
        pending.append(db.generated_files.c.dossier_id.in_(dossier_ids))
    clean_after_killed_runs()
    with rt.engine.connect() as conn:
        rows = conn.execute(select(db.generated_files.c.id, db.generated_files.c.docx_path).where(*pending)
                            .order_by(db.generated_files.c.id).limit(limit)).all()
    mine = set(claim_conversions(rt.engine, [row.id for row in rows], rt.worker)) if rows else set()
    rows = [row for row in rows if row.id in mine]  # another poller converts the others
    if not rows:
        return {"converted": 0, "failed": 0}
    # One LibreOffice call for all of them: stage under unique names (every dossier has its
    # own "lembar_persetujuan.docx"), convert, and move each PDF beside its DOCX.
    converted = 0
    with tempfile.TemporaryDirectory(prefix=owned_temp_prefix("sertiflow-pdf")) as tmp:
        staged = {}
        for row in rows:
            source = Path(row.docx_path)
            if source.exists():
                target = Path(tmp) / f"g{row.id}.docx"
                shutil.copyfile(source, target)
                staged[target] = row
        # One soffice (~200 MB) at a time unless told otherwise: a worker stays under 600 MB.
        results = convert_to_pdf(list(staged), Path(tmp), timeout=600,
                                 workers=int(os.environ.get("SERTIFLOW_PDF_WORKERS") or 1))
        with rt.engine.begin() as conn:
            for target, row in staged.items():
                pdf = results.get(target)
                if not pdf:
                    continue
                final = Path(row.docx_path).with_suffix(".pdf")
                shutil.move(str(pdf), final)
                conn.execute(update(db.generated_files).where(db.generated_files.c.id == row.id)
                             .values(pdf_path=str(final)))
                converted += 1
            release_conversions(conn, [row.id for row in rows])
    return {"converted": converted, "failed": len(rows) - converted}
