"""The documents of a register entry (decision letter, declarations): DOCX from the service's
templates, the PDF made at once (it goes out by mail in the same step), both registered in
generated_files so the desk lists them."""
from __future__ import annotations

from pathlib import Path

from pipelines import db
from pipelines.write.docx import render_docx
from pipelines.write.pdf import convert_to_pdf


def template_of(rt, kind: str) -> Path:
    from pipelines.complaints.register import service
    spec = next(d for d in service(rt).documents if d["kind"] == kind)
    return rt.settings.templates_dir / spec["template"]


def write_document(rt, entry: dict, template_kind: str, name: str, context: dict) -> tuple[Path, Path | None]:
    """outputs/<number>/dokumen/<name>.docx and .pdf (None where LibreOffice is missing)."""
    folder = rt.settings.outputs_dir / entry["number"] / "dokumen"
    docx = render_docx(template_of(rt, template_kind), context, folder / f"{name}.docx")
    pdf = None
    if rt.settings.convert_pdf:
        pdf = convert_to_pdf([docx], folder).get(docx)
    return docx, pdf


def register_generated(conn, dossier_id: int, kind: str, docx: Path, pdf: Path | None) -> None:
    from pipelines.process import record_generated
    record_generated(conn, dossier_id, [{"kind": kind, "docx": docx, "pdf": pdf}])


def office_context(rt) -> dict:
    office = rt.settings.office
    return {"office": {"name": office.name, "address": office.address, "city": office.city,
                       "email": office.email},
            "official": {"name": office.official.name, "title": office.official.title,
                         "nip": office.official.nip}}


def today_local():
    from pipelines.calendar import local_date
    return local_date(db.now())
