"""Periksa ulang: check a dossier again without new mail, through the pipeline's own step.

After an officer overrides findings, the dossier's kept files are read and checked again by
`pipelines.process._work_on_dossier` with its latest mail, so overrides are applied
(`_with_override`), the decision is the pipeline's, documents are written and mail is queued
exactly as for an incoming mail (queueing keys make a repeated reply impossible).
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from pipelines import db
from pipelines.decide.decide import CHECKABLE
from pipelines.desk.actions import DeskError
from pipelines.send.background import wake as wake_sender
from pipelines.desk.claims import hold


def recheck_dossier(rt, number: str, actor: str, take_over: bool = False) -> str:
    """Run the check again; returns the new status."""
    try:
        from pipelines import process
        from pipelines.read import walk_message
    except ImportError as exc:
        raise DeskError("Pemeriksaan ulang belum tersedia di instalasi ini.") from exc
    with rt.engine.begin() as conn:
        dossier = db.dossier_by_number(conn, number)
        if dossier is None:
            raise DeskError(f"Berkas {number} tidak ditemukan.")
        if dossier["status"] not in CHECKABLE:
            raise DeskError("Pemeriksaan ulang hanya untuk berkas baru atau menunggu kelengkapan.")
        hold(conn, dict(dossier), actor, take_over)
        mail = conn.execute(select(db.mails).where(db.mails.c.dossier_id == dossier["id"])
                            .order_by(db.mails.c.id.desc())).mappings().first()
        if mail is None:
            raise DeskError("Berkas ini tidak memiliki surel untuk diperiksa ulang.")
        db.record_event(conn, "periksa_ulang", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=dossier["status"], surel=mail["id"])
    try:
        content = walk_message(Path(mail["raw_path"]).read_bytes())
    except OSError as exc:
        raise DeskError("Berkas surel asli tidak ditemukan di penyimpanan.") from exc
    try:
        status = process._work_on_dossier(rt, mail["id"], dossier["id"], content)
    except RuntimeError as exc:
        raise DeskError("Berkas sedang diubah oleh proses lain; coba lagi sebentar lagi.") from exc
    wake_sender()
    return status
