"""Certificate print files: one PDF per competent participant, on the blank serial given
to them, with a QR code to the public verification page.

Rendering uses the writer's bulk path (`pipelines.write.bulk.render_pdfs_bulk`: merge many
items into one DOCX, convert in parallel LibreOffice batches through
`pipelines.write.pdf.convert_to_pdf`, split back, each first page checked to carry its
certificate number). The merged chunk PDFs are the print files sent to the LSP.
Without LibreOffice each certificate stays a DOCX.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select, update

from pipelines import db
from pipelines.fulfil.models import certificates
from pipelines.fulfil.packing import certificate_url
from pipelines.fulfil.settings import settings_for

log = logging.getLogger(__name__)

STATUSES = {"berlaku": "Berlaku", "dibekukan": "Dibekukan", "dicabut": "Dicabut"}


@dataclass
class CertificateFiles:
    made: int = 0
    failed: int = 0
    pdfs: list[Path] = field(default_factory=list)
    print_files: list[Path] = field(default_factory=list)
    docx: list[Path] = field(default_factory=list)


def _safe(number: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", number).strip("_")


def certificate_context(rt, row: dict) -> dict:
    from pipelines.write.docx import Image
    from pipelines.write.qr import qr_png

    fs = settings_for(rt)
    return {
        "certificate_number": row["number"],
        "blank_serial": fs.format_serial(row["serial"]),
        "name": row["name"],
        "nik": row["nik"],
        "scheme": row["scheme"],
        "lsp": {"code": row["lsp_code"], "name": row["lsp_name"] or row["lsp_code"]},
        "issue_date": row["issue_date"],
        "valid_until": row["valid_until"],
        "qr": Image(qr_png(certificate_url(fs, row["token"]), scale=3), width_mm=25),
    }


def print_folder(rt, number: str) -> Path:
    return rt.settings.outputs_dir / number / "sertifikat"


def render_certificates(rt, dossier_id: int, *, timeout: float = 600) -> CertificateFiles:
    """Make the files of every certificate of a dossier that has none yet (repeatable)."""
    from pipelines.write.bulk import render_pdfs_bulk
    from pipelines.write.pdf import libreoffice_available

    with rt.engine.connect() as conn:
        number = conn.execute(select(db.dossiers.c.number).where(db.dossiers.c.id == dossier_id)).scalar()
        rows = [dict(r) for r in conn.execute(select(certificates).where(
            certificates.c.dossier_id == dossier_id, certificates.c.pdf_path == "",
            certificates.c.status == "berlaku").order_by(certificates.c.serial)).mappings()]
    result = CertificateFiles()
    if not rows:
        result.print_files = existing_print_files(rt, number)
        return result
    folder = print_folder(rt, number)
    items = [certificate_context(rt, r) for r in rows]
    pdf_paths = [folder / f"{_safe(r['number'])}.pdf" for r in rows]
    docx_paths = None
    if not (rt.settings.convert_pdf and libreoffice_available()):
        docx_paths = [folder / f"{_safe(r['number'])}.docx" for r in rows]
    template = rt.settings.templates_dir / "sertifikat.docx"
    if docx_paths is not None:
        from pipelines.write.docx import render_docx
        for item, out in zip(items, docx_paths):
            render_docx(template, item, out)
        bulk_pdfs = [None] * len(rows)
    else:
        # Each run's print files get their own folder: an earlier run's are kept.
        run_dir = folder / "cetak" / db.now().strftime("%Y%m%d-%H%M%S-%f")
        bulk = render_pdfs_bulk(template, items, pdf_paths, key="certificate_number",
                                print_dir=run_dir, timeout=timeout)
        bulk_pdfs = bulk.pdfs
        result.print_files = list(bulk.merged_pdfs)
    with rt.engine.begin() as conn:
        for i, row in enumerate(rows):
            pdf = bulk_pdfs[i]
            values = {}
            if pdf is not None:
                values["pdf_path"] = str(pdf)
                result.pdfs.append(Path(pdf))
                result.made += 1
            elif docx_paths is not None:
                values["docx_path"] = str(docx_paths[i])
                result.docx.append(docx_paths[i])
            else:
                result.failed += 1
            if values:
                conn.execute(update(certificates).where(certificates.c.id == row["id"]).values(**values))
        db.record_event(conn, "sertifikat_dicetak", dossier_id=dossier_id, jumlah=result.made,
                        gagal=result.failed, docx=len(result.docx))
    if not result.print_files:
        result.print_files = existing_print_files(rt, number)
    return result


def existing_print_files(rt, number: str) -> list[Path]:
    """The newest run's print files of a dossier."""
    runs = sorted((print_folder(rt, number) / "cetak").glob("*/"))
    return sorted(runs[-1].glob("cetak_*.pdf")) if runs else []


def set_status(rt, number: str, status: str, reason: str, actor: str) -> dict:
    """Suspend (dibekukan), withdraw (dicabut) or reinstate (berlaku) a certificate."""
    from pipelines.fulfil.blanks import BlankError

    if status not in STATUSES:
        raise BlankError(f"Status sertifikat tidak dikenal: {status}")
    if status != "berlaku" and not (reason or "").strip():
        raise BlankError("Alasan wajib diisi.")
    with rt.engine.begin() as conn:
        row = conn.execute(select(certificates).where(certificates.c.number == number)).mappings().first()
        if row is None:
            raise BlankError(f"Sertifikat {number} tidak ditemukan.")
        if row["status"] == "dicabut" and status != "dicabut":
            raise BlankError(f"Sertifikat {number} sudah dicabut dan tidak dapat diaktifkan kembali.")
        conn.execute(update(certificates).where(certificates.c.id == row["id"])
                     .values(status=status, status_reason=(reason or "").strip()))
        db.record_event(conn, "status_sertifikat_diubah", actor=actor, dossier_id=row["dossier_id"],
                        sertifikat=number, sebelum=row["status"], sesudah=status, alasan=reason)
        return {**dict(row), "status": status}
