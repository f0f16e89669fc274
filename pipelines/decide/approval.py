"""The eselon 4 official's decision on a complete dossier (lembar persetujuan, step 2a).

`approve` re-issues the approval sheet and receipt with the approver's name and date and
moves the dossier on; `return_to_officer` sends it back with a note. Both check the status
inside the transaction, so two clicks or two approvers cannot approve twice.
Steps that follow approval (serial allocation, packing) register in AFTER_APPROVAL.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from sqlalchemy import update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.decide.decide import AWAITING_APPROVAL
from pipelines.write.dossier import render_dossier_documents
from pipelines.write.words import format_date_id

APPROVED = "disetujui"
RETURNED = "dikembalikan"

# Called inside the approval transaction: (rt, conn, dossier) -> dict of extra document context.
AFTER_APPROVAL: list[Callable] = []


class ApprovalError(Exception):
    """Shown to the user as is (Indonesian)."""


@dataclass
class ApprovalResult:
    number: str
    status: str
    documents: list[dict]


def approve(rt, number: str, approver_name: str, actor: str) -> ApprovalResult:
    with rt.engine.begin() as conn:
        dossier = db.dossier_by_number(conn, number)
        if dossier is None:
            raise ApprovalError(f"Berkas {number} tidak ditemukan.")
        if dossier["status"] != AWAITING_APPROVAL:
            raise ApprovalError(f"Berkas {number} tidak sedang menunggu persetujuan "
                                f"(status: {dossier['status']}).")
        dossier = dict(dossier)
        extra = {}
        for step in AFTER_APPROVAL:
            extra.update(step(rt, conn, dossier) or {})
        now = db.now()
        extra["approval"] = {"approved": True, "approver_name": approver_name,
                             "approved_at": format_date_id(local_date(now))}
        lsp = rt.registry.by_code(dossier["lsp_code"]) if dossier["lsp_code"] else None
        specs = rt.services[dossier["kind"]].when_complete.get("documents", [])
        # Rendered inside the transaction: if it fails, the approval is not recorded either.
        documents = render_dossier_documents(rt, dossier, lsp, dossier["facts"] or {}, specs, extra)
        for g in documents:
            conn.execute(update(db.generated_files).where(
                db.generated_files.c.dossier_id == dossier["id"], db.generated_files.c.kind == g["kind"])
                .values(docx_path=str(g["docx"]), pdf_path="", created_at=now))
        # A hook may move it further at once (fulfilment packs the parcel: "dikemas").
        status = extra.pop("next_status", APPROVED)
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(status=status, updated_at=now))
        db.record_event(conn, "berkas_disetujui", actor=actor, dossier_id=dossier["id"],
                        before=AWAITING_APPROVAL, after=status, penyetuju=approver_name)
    return ApprovalResult(number, status, documents)


def return_to_officer(rt, number: str, actor: str, note: str) -> None:
    if not note.strip():
        raise ApprovalError("Catatan pengembalian wajib diisi.")
    with rt.engine.begin() as conn:
        dossier = db.dossier_by_number(conn, number)
        if dossier is None or dossier["status"] != AWAITING_APPROVAL:
            raise ApprovalError(f"Berkas {number} tidak sedang menunggu persetujuan.")
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                     .values(status=RETURNED, updated_at=db.now()))
        db.record_event(conn, "berkas_dikembalikan", actor=actor, dossier_id=dossier["id"],
                        before=AWAITING_APPROVAL, after=RETURNED, catatan=note.strip())
