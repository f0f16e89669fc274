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
# Each status has its own look (colour, symbol, border) from /statis/verifikasi.css: the page's
# Content-Security-Policy allows styles from this server only, never inline ones.
_STATUS = {
    "berlaku": ("BERLAKU", "\u2713", "Sertifikat ini tercatat sah dan berlaku."),
    "dibekukan": ("DIBEKUKAN", "\u23f8", "Sertifikat ini sedang dibekukan dan tidak berlaku selama pembekuan."),
    "dicabut": ("DICABUT", "\u2715", "Sertifikat ini telah dicabut dan tidak berlaku."),
}
_UNKNOWN_STATUS = ("TIDAK BERLAKU", "!", "Sertifikat ini tidak tercatat berlaku.")
_HEADERS = {"Cache-Control": "no-store", "X-Robots-Tag": "noindex", "Referrer-Policy": "no-referrer",
            "X-Content-Type-Options": "nosniff"}


@lru_cache(maxsize=1)
def _default_runtime():
    from pipelines.runtime import Runtime
    return Runtime.load()


def get_runtime():
    return _default_runtime()


def _page(title: str, body: str, status_code: int = 200, kind: str = "netral") -> HTMLResponse:
    html = f"""<!doctype html>
<html lang="id"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<link rel="stylesheet" href="/statis/verifikasi.css"></head>
<body class="verifikasi status-{escape(kind)}"><main>{body}</main></body></html>"""
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
    label, symbol, text = _STATUS.get(row["status"], _UNKNOWN_STATUS)
    kind = row["status"] if row["status"] in _STATUS else "tidak-dikenal"
    body = (f"<h1>Verifikasi sertifikat kompetensi</h1>"
            f"<div class=\"putusan\" role=\"status\"><span class=\"simbol\" aria-hidden=\"true\">{symbol}</span>"
            f"<span class=\"label\">{label}</span><p>{escape(text)}</p></div><dl>"
            f"<dt>Nomor sertifikat</dt><dd>{escape(row['number'])}</dd>"
            f"<dt>Nama</dt><dd>{escape(row['name'])}</dd>"
            f"<dt>Skema sertifikasi</dt><dd>{escape(row['scheme'])}</dd>"
            f"<dt>Lembaga Sertifikasi Profesi</dt><dd>{escape(row['lsp_name'] or '-')}</dd>"
            f"<dt>Tanggal terbit</dt><dd>{format_date_id(row['issue_date'])}</dd>"
            f"<dt>Berlaku sampai</dt><dd>{format_date_id(row['valid_until'])}</dd></dl>")
    return _page(f"Verifikasi sertifikat {row['number']}: {label}", body, kind=kind)
