"""Public verification of application certificates (SPPT SNI, ISO 9001, ISO 14001, green
industry, person): GET /verifikasi/sertifikat/{token}, the address in each certificate's QR code.

Mounted by the desk app (one include), beside pipelines.fulfil.verify_web, whose page layout
and runtime dependency it shares. Only what the certificate itself shows is shown.
"""
from __future__ import annotations

from html import escape

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from pipelines.applications.models import register
from pipelines.fulfil.verify_web import _TOKEN, _not_found, _page, get_runtime
from pipelines.write.words import format_date_id

router = APIRouter(prefix="/verifikasi/sertifikat", tags=["verifikasi"])

STATUS = {
    "aktif": ("BERLAKU", "Sertifikat ini tercatat sah dan berlaku.", "#17692f"),
    "dibekukan": ("DIBEKUKAN", "Sertifikat ini sedang dibekukan dan tidak berlaku selama pembekuan.", "#a15c00"),
    "dicabut": ("DICABUT", "Sertifikat ini telah dicabut dan tidak berlaku.", "#a11a1a"),
    "kedaluwarsa": ("KEDALUWARSA", "Masa berlaku sertifikat ini telah habis.", "#555555"),
}


@router.get("/{token}", response_class=HTMLResponse)
def verify_application_certificate(token: str, rt=Depends(get_runtime)) -> HTMLResponse:
    if not _TOKEN.match(token or ""):
        return _not_found("Sertifikat")
    with rt.engine.connect() as conn:
        row = conn.execute(select(register).where(register.c.token == token)).mappings().first()
    if row is None:
        return _not_found("Sertifikat")
    service = rt.services.get(row["service"])
    label, text, colour = STATUS.get(row["status"], STATUS["dicabut"])
    body = (f"<h1>Verifikasi {escape(service.name if service else 'sertifikat')}</h1>"
            f"<p><span class=\"badge\" style=\"background:{colour}\">{label}</span></p><p>{escape(text)}</p><dl>"
            f"<dt>Nomor sertifikat</dt><dd>{escape(row['number'])}</dd>"
            f"<dt>Pemegang</dt><dd>{escape(row['holder'])}</dd>"
            f"<dt>Standar</dt><dd>{escape(row['standard'] or '-')}</dd>"
            f"<dt>Ruang lingkup</dt><dd>{escape(row['scope'] or '-')}</dd>"
            f"<dt>Lokasi</dt><dd>{escape(row['site'] or '-')}</dd>"
            f"<dt>Diterbitkan oleh</dt><dd>{escape(rt.settings.office.name)}</dd>"
            f"<dt>Tanggal terbit</dt><dd>{format_date_id(row['issue_date'])}</dd>"
            f"<dt>Berlaku sampai</dt><dd>{format_date_id(row['expiry_date']) if row['expiry_date'] else '-'}</dd></dl>")
    return _page(f"Verifikasi sertifikat {row['number']}", body)
