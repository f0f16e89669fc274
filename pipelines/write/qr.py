"""QR codes as PNG bytes, for certificates and receipts (segno, pure Python)."""
from __future__ import annotations

import io


def qr_png(text: str, scale: int = 4, border: int = 2) -> bytes:
    """PNG bytes of a QR code holding `text` (error correction M)."""
    import segno  # imported lazily: only documents with a QR need it

    buf = io.BytesIO()
    segno.make_qr(text, error="m").save(buf, kind="png", scale=scale, border=border)
    return buf.getvalue()
