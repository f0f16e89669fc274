"""Dossiers as officers read them: the stable JSON shape of `sertiflow dossiers` and the summary table.

JSON shape (documented in README, stable: fields are only ever added):
{"number", "kind", "status", "status_label", "lsp": {"code", "name"} | null, "sender", "subject",
 "received_at", "completed_at", "due_date", "facts": {...},
 "findings": [{"code", "severity", "message", "where", "overridden_by", "override_reason"}],
 "documents": [{"filename", "doc_type", "media_type", "size", "path", "evidence", "needs_manual_review"}],
 "generated": [{"kind", "docx", "pdf"}], "emails": [{"to", "subject", "state", "sent_at"}],
 "folder"}
"""
from __future__ import annotations

from sqlalchemy import or_, select

from pipelines import db
from pipelines.decide import STATUS_LABELS
from pipelines.services import step_label


def _iso(value):
    if value is None:
        return None
    return db.aware(value).isoformat() if hasattr(value, "hour") else value.isoformat()


def dossier_summary(conn, row, registry) -> dict:
    lsp = registry.by_code(row["lsp_code"]) if row["lsp_code"] else None
    return {
        "number": row["number"], "kind": row["kind"], "status": row["status"],
        "status_label": STATUS_LABELS.get(row["status"]) or step_label(row["kind"], row["status"]) or row["status"],
        "lsp": {"code": lsp.code, "name": lsp.name} if lsp else None,
        "sender": row["sender"], "subject": row["subject"],
        "received_at": _iso(row["received_at"]), "completed_at": _iso(row["completed_at"]),
        "due_date": _iso(row["due_date"]),
    }


def dossier_detail(conn, row, registry, outputs_dir) -> dict:
    data = dossier_summary(conn, row, registry)
    data["facts"] = row["facts"] or {}
    data["findings"] = [
        {"code": f.code, "severity": f.severity, "message": f.message, "where": f.location,
         "overridden_by": f.overridden_by or "", "override_reason": f.override_reason or ""}
        for f in conn.execute(select(db.findings).where(db.findings.c.dossier_id == row["id"])
                              .order_by(db.findings.c.id))]
    data["documents"] = [
        {"filename": d.filename, "doc_type": d.doc_type, "media_type": d.media_type, "size": d.size,
         "path": d.path, "evidence": d.evidence or [], "needs_manual_review": bool(d.needs_manual_review)}
        for d in conn.execute(select(db.documents).where(db.documents.c.dossier_id == row["id"])
                              .order_by(db.documents.c.id))]
    data["generated"] = [
        {"kind": g.kind, "docx": g.docx_path or None, "pdf": g.pdf_path or None}
        for g in conn.execute(select(db.generated_files).where(db.generated_files.c.dossier_id == row["id"])
                              .order_by(db.generated_files.c.id))]
    data["emails"] = [
        {"to": o.to_addrs, "subject": o.subject, "state": o.state, "sent_at": _iso(o.sent_at)}
        for o in conn.execute(select(db.outbox).where(db.outbox.c.dossier_id == row["id"])
                              .order_by(db.outbox.c.id))]
    data["folder"] = str(outputs_dir / row["number"])
    return data


def list_dossiers(conn, registry, status: str | None = None) -> list[dict]:
    query = select(db.dossiers).order_by(db.dossiers.c.id)
    if status:
        query = query.where(db.dossiers.c.status == status)
    return [dossier_summary(conn, row, registry) for row in conn.execute(query).mappings()]


def summary_table(conn, registry, outputs_dir, since=None) -> str:
    """Dossiers and mail a pass touched (all of them when `since` is None)."""
    dossier_query = select(db.dossiers).order_by(db.dossiers.c.id)
    mail_query = (select(db.mails.c.classification, db.mails.c.from_addr, db.mails.c.subject)
                  .where(db.mails.c.dossier_id.is_(None)).order_by(db.mails.c.id))
    if since is not None:
        touched = select(db.mails.c.dossier_id).where(db.mails.c.processed_at >= since)
        dossier_query = dossier_query.where(or_(db.dossiers.c.updated_at >= since, db.dossiers.c.id.in_(touched)))
        mail_query = mail_query.where(db.mails.c.processed_at >= since)
    rows = [dossier_detail(conn, r, registry, outputs_dir) for r in conn.execute(dossier_query).mappings()]
    header = ["Nomor", "Status", "LSP / pengirim", "Galat", "Dokumen dibuat", "Folder"]
    lines = [[d["number"], d["status_label"], (d["lsp"] or {}).get("name") or d["sender"],
              str(sum(1 for f in d["findings"] if f["severity"] == "error")),
              ", ".join(g["kind"] + (" (+pdf)" if g["pdf"] else "") for g in d["generated"]) or "-",
              d["folder"]] for d in rows]
    others = conn.execute(mail_query).all()
    widths = [max(len(str(x)) for x in col) for col in zip(header, *lines)] if lines else [len(h) for h in header]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)),
           "  ".join("-" * w for w in widths)]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths)) for line in lines]
    if others:
        out.append("")
        out.append("Surel tanpa berkas:")
        labels = {"autoreply": "surel otomatis, tidak dibalas", "unclassified": "tidak terklasifikasi",
                  "duplikat": "duplikat", "": "belum diproses"}
        out += [f"  - [{labels.get(c, c)}] {f} — {s}" for c, f, s in others]
    return "\n".join(out)
