"""Public verification pages, a FastAPI router the desk app mounts:

  GET /verifikasi/{token}                              certificate: valid, suspended or withdrawn
  GET /verifikasi/tanda-terima/{number}/{token}        a parcel receipt (the receipt's QR code)

Only the holder's name, the scheme, the certificate number, the LSP and the dates are shown:
no NIK, no other personal data. Unknown tokens get the same 404 page whatever the reason, and
tokens are compared through the database's unique index (no enumeration by timing).

Mount: `app.include_router(pipelines.fulfil.verify_web.router)`. The runtime comes from
`get_runtime` (Runtime.load() once); the desk app may override it with
`app.dependency_overrides[verify_web.get_runtime] = lambda: its_runtime`.
"""
from __future__ import annotations

import re
from functools import lru_cache
from html import escape

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from pipelines import db
from pipelines.fulfil.models import certificates, parcels
from pipelines.write.words import format_date_id

router = APIRouter(prefix="/verifikasi", tags=["verifikasi"])

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_STATUS = {
    "berlaku": ("BERLAKU", "Sertifikat ini tercatat sah dan berlaku.", "#17692f"),
    "dibekukan": ("DIBEKUKAN", "Sertifikat ini sedang dibekukan dan tidak berlaku selama pembekuan.", "#a15c00"),
    "dicabut": ("DICABUT", "Sertifikat ini telah dicabut dan tidak berlaku.", "#a11a1a"),
}
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}


@lru_cache(maxsize=1)
def _default_runtime():
    from pipelines.runtime import Runtime
    return Runtime.load()


def get_runtime():
    return _default_runtime()


def _page(title: str, body: str, status_code: int = 200) -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>body{{font-family:system-ui,Arial,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#222}}
.badge{{display:inline-block;padding:.3rem .8rem;border-radius:.3rem;color:#fff;font-weight:bold}}
dt{{font-weight:bold;margin-top:.6rem}}dd{{margin:0}}</style></head>
<body>{body}</body></html>"""
    return HTMLResponse(html, status_code=status_code, headers=_HEADERS)


def _not_found(what: str) -> HTMLResponse:
    return _page("Tidak ditemukan", f"<h1>{escape(what)} tidak ditemukan</h1>"
                 "<p>Kode verifikasi tidak dikenal. Periksa kembali kode QR atau tautan yang Anda gunakan.</p>",
                 404)


@router.get("/tanda-terima/{number}/{token}", response_class=HTMLResponse)
def verify_receipt(number: str, token: str, rt=Depends(get_runtime)) -> HTMLResponse:
    if not _TOKEN.match(token or ""):
        return _not_found("Tanda terima")
    with rt.engine.connect() as conn:
        row = conn.execute(select(parcels, db.dossiers.c.number.label("dossier"))
                           .select_from(parcels.join(db.dossiers, db.dossiers.c.id == parcels.c.dossier_id))
                           .where(parcels.c.receipt_token == token)).mappings().first()
    if row is None or row["dossier"] != number:
        return _not_found("Tanda terima")
    lsp = rt.registry.by_code(row["lsp_code"]) if row["lsp_code"] else None
    state = {"disiapkan": "Disiapkan", "dikemas": "Dikemas", "dikirim": "Dikirim",
             "diterima": "Diterima LSP"}.get(row["status"], row["status"])
    body = (f"<h1>Tanda terima blanko sertifikat</h1><p>Tanda terima ini diterbitkan oleh "
            f"{escape(rt.settings.office.name)}.</p><dl>"
            f"<dt>Nomor tanda terima</dt><dd>{escape(row['receipt_number'])}</dd>"
            f"<dt>Nomor berkas</dt><dd>{escape(row['dossier'])}</dd>"
            f"<dt>LSP</dt><dd>{escape(lsp.name if lsp else row['lsp_code'])}</dd>"
            f"<dt>Jumlah blanko</dt><dd>{row['blanks']} lembar</dd>"
            f"<dt>Status paket</dt><dd>{escape(state)}</dd></dl>")
    return _page("Verifikasi tanda terima", body)


@router.get("/{token}", response_class=HTMLResponse)
def verify_certificate(token: str, rt=Depends(get_runtime)) -> HTMLResponse:
    if not _TOKEN.match(token or ""):
        return _not_found("Sertifikat")
    with rt.engine.connect() as conn:
        row = conn.execute(select(certificates.c.number, certificates.c.name, certificates.c.scheme,
                                  certificates.c.lsp_name, certificates.c.issue_date,
                                  certificates.c.valid_until, certificates.c.status)
                           .where(certificates.c.token == token)).mappings().first()
    if row is None:
        return _not_found("Sertifikat")
    label, text, colour = _STATUS[row["status"]]
    body = (f"<h1>Verifikasi sertifikat kompetensi</h1>"
            f"<p><span class=\"badge\" style=\"background:{colour}\">{label}</span></p><p>{escape(text)}</p><dl>"
            f"<dt>Nomor sertifikat</dt><dd>{escape(row['number'])}</dd>"
            f"<dt>Nama</dt><dd>{escape(row['name'])}</dd>"
            f"<dt>Skema sertifikasi</dt><dd>{escape(row['scheme'])}</dd>"
            f"<dt>Lembaga Sertifikasi Profesi</dt><dd>{escape(row['lsp_name'] or '-')}</dd>"
            f"<dt>Tanggal terbit</dt><dd>{format_date_id(row['issue_date'])}</dd>"
            f"<dt>Berlaku sampai</dt><dd>{format_date_id(row['valid_until'])}</dd></dl>")
    return _page(f"Verifikasi sertifikat {row['number']}", body)
