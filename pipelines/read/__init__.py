"""read: bytes in, plain values out (the third step of a mail's path).

- `walk_message(raw)` -> MailContent: headers, body text, attachments (inline parts, forwarded
  mails and ZIP archives included), types sniffed from the bytes, names made safe.
- `read_document(att)` -> Document: type recognised by content, text (OCR for scans), facts,
  roster for participant lists, findings.
- `read_message(raw)` -> both: the mail and its documents in one worker task.

Both parse hostile input in a reused worker process bounded in time and memory
(see sandbox.py); neither raises. Findings carry Indonesian messages.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from pipelines.documents import OTHER, Attachment, Document, MailContent
from pipelines.findings import Finding
from pipelines.read import sandbox
from pipelines.read.limits import DEFAULT_LIMITS, ReadLimits

__all__ = ["walk_message", "read_document", "read_documents", "read_message", "ReadLimits", "DEFAULT_LIMITS"]

# pdfium is not thread-safe: reading in this process (debug mode, or no worker available) is serialised
_INPROCESS = threading.Lock()


def walk_message(raw: bytes, *, limits: ReadLimits = DEFAULT_LIMITS) -> MailContent:
    """Parse a raw mail. Never raises, whatever the bytes."""
    from pipelines.read.mail import walk

    try:
        raw = bytes(raw) if raw is not None else b""
    except Exception:
        raw = b""
    if sandbox.inprocess_requested():
        return _safe_walk(walk, raw, limits)
    out = sandbox.pool().run("walk", raw, limits)
    if out.ok and isinstance(out.value, MailContent):
        return out.value
    if out.status == "unavailable":
        mc = _safe_walk(walk, raw, limits)
        mc.findings.append(Finding.warning(
            "BATAS_TIDAK_AKTIF", "Pembaca terbatas (proses pekerja) tidak dapat dijalankan; email dibaca "
            "tanpa batas waktu dan memori.", detail=out.detail[:300]))
        return mc
    mc = MailContent()
    mc.findings.append(_mail_bound_finding(out))
    return mc


def _safe_walk(walk, raw: bytes, limits: ReadLimits) -> MailContent:
    try:
        return walk(raw, limits)
    except Exception as exc:  # pragma: no cover - walk() already guards itself
        mc = MailContent()
        mc.findings.append(Finding.error("PESAN_TIDAK_TERBACA", "Email tidak dapat dibaca; mohon kirim ulang.",
                                         error=type(exc).__name__))
        return mc


def _mail_bound_finding(out: sandbox.Outcome) -> Finding:
    if out.status == "timeout":
        return Finding.error("PESAN_MELEBIHI_BATAS_WAKTU",
                             "Email tidak dapat diproses dalam batas waktu; mohon kirim ulang dengan lampiran "
                             "yang lebih kecil.", seconds=round(out.seconds, 1))
    if out.status == "memory":
        return Finding.error("PESAN_MELEBIHI_BATAS_MEMORI",
                             "Email terlalu besar untuk diproses; mohon kirim ulang dengan lampiran yang lebih kecil.")
    return Finding.error("PESAN_TIDAK_TERBACA", "Email tidak dapat dibaca; mohon kirim ulang.",
                         status=out.status, detail=out.detail[:300])


def read_document(att: Attachment, *, limits: ReadLimits = DEFAULT_LIMITS) -> Document:
    """Read one attachment under the time and memory bound. Never raises."""
    from pipelines.read.document import base_document, read_inprocess

    if sandbox.inprocess_requested():
        try:
            with _INPROCESS:
                return read_inprocess(att, limits)
        except Exception as exc:
            return _failed(base_document(att), att, "error", str(exc))
    out = sandbox.pool().run("read", att, limits)
    if out.ok and isinstance(out.value, Document):
        return out.value
    doc = base_document(att)
    if out.status == "unavailable":
        try:
            with _INPROCESS:
                doc = read_inprocess(att, limits)
        except Exception as exc:
            return _failed(doc, att, "error", str(exc))
        doc.findings.append(Finding.warning(
            "BATAS_TIDAK_AKTIF", "Pembaca terbatas (proses pekerja) tidak dapat dijalankan; berkas dibaca "
            "tanpa batas waktu dan memori.", where=att.filename, detail=out.detail[:300]))
        return doc
    return _failed(doc, att, out.status, out.detail, out.seconds, limits)


def _failed(doc: Document, att: Attachment, status: str, detail: str = "", seconds: float = 0.0,
            limits: ReadLimits = DEFAULT_LIMITS) -> Document:
    """A file the reader could not finish: an officer looks at it; its name hints at its type."""
    from pipelines.read.recognise import filename_hint

    doc.needs_manual_review = True
    if status == "timeout":
        doc.findings.append(Finding.warning(
            "BATAS_WAKTU_TERLAMPAUI",
            f"Berkas {att.filename} tidak selesai dibaca dalam {seconds:.0f} detik dan dihentikan; "
            f"dokumen perlu diperiksa petugas.", where=att.filename, seconds=round(seconds, 1)))
    elif status == "memory":
        doc.findings.append(Finding.warning(
            "BATAS_MEMORI_TERLAMPAUI",
            f"Berkas {att.filename} membutuhkan memori melebihi batas ({limits.memory_mb} MB) dan "
            f"dihentikan; dokumen perlu diperiksa petugas.", where=att.filename))
    else:
        doc.findings.append(Finding.warning(
            "PEMBACA_GAGAL",
            f"Berkas {att.filename} tidak dapat dibaca otomatis; dokumen perlu diperiksa petugas.",
            where=att.filename, status=status, detail=(detail or "")[:300]))
    hint = filename_hint(att.filename)
    doc.doc_type = hint or OTHER
    if hint:
        doc.evidence.append(f'jenis dari nama berkas "{att.filename}" karena isi tidak terbaca (perlu konfirmasi petugas)')
    return doc


def read_documents(attachments: list[Attachment], *, limits: ReadLimits = DEFAULT_LIMITS) -> list[Document]:
    """Read several attachments, in parallel across the worker pool; order is kept."""
    if len(attachments) <= 1:
        return [read_document(a, limits=limits) for a in attachments]
    with ThreadPoolExecutor(max_workers=sandbox.pool().size) as ex:
        return list(ex.map(lambda a: read_document(a, limits=limits), attachments))


def read_message(raw: bytes, *, limits: ReadLimits = DEFAULT_LIMITS) -> tuple[MailContent, list[Document]]:
    """`walk_message` and `read_documents` of its attachments, in one worker task: the
    attachments do not travel back to this process and out again (five round trips of pickled
    bytes a mail, and the unpickling on this process's GIL). When that task fails (a file past
    its time or memory, a crash) the mail is read again the usual way, so each attachment gets
    its own finding. Never raises."""
    if not sandbox.inprocess_requested():
        try:
            raw = bytes(raw) if raw is not None else b""
        except Exception:
            raw = b""
        out = sandbox.pool().run("message", raw, limits)
        if out.ok and isinstance(out.value, tuple) and len(out.value) == 2:
            content, documents = out.value
            if isinstance(content, MailContent) and isinstance(documents, list) \
                    and len(documents) == len(content.attachments) \
                    and all(isinstance(d, Document) for d in documents):
                return content, documents
    content = walk_message(raw, limits=limits)
    return content, read_documents(content.attachments, limits=limits)
