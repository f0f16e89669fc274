"""Builders for fulfilment tests: a runtime on a temporary database and dossiers waiting
for approval, with participants, made directly in the database."""
from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import insert

import pipelines.fulfil  # noqa: F401  (tables and hooks)
from pipelines import db
from pipelines.config import Settings
from pipelines.decide.decide import AWAITING_APPROVAL
from pipelines.fulfil.settings import FulfilmentSettings
from pipelines.runtime import Runtime


def make_runtime(tmp: Path, *, convert_pdf: bool = False, database_url: str = "", **fulfilment) -> Runtime:
    settings = Settings(outputs_dir=Path(tmp), convert_pdf=convert_pdf, database_url=database_url)
    rt = Runtime(settings)
    rt.fulfilment = FulfilmentSettings(**{"low_stock_threshold": 10, **fulfilment})
    return rt


NAMES = ["Andi Pratama", "Budi Santoso", "Citra Lestari", "Dewi Anggraini", "Eko Saputra",
         "Fitri Handayani", "Gilang Ramadhan", "Hana Putri", "Indra Gunawan", "Joko Widodo"]


def make_dossier(rt: Runtime, schemes: dict[str, tuple[int, int]] | None = None, *,
                 lsp_code: str = "LSP-001", sender: str = "admin@lsp-tdn.example.id",
                 status: str = AWAITING_APPROVAL, thread_id: str = "") -> dict:
    """A blank-request dossier with participants: schemes = {name: (K, BK)}."""
    schemes = schemes or {"Junior Web Developer": (3, 1)}
    with rt.engine.begin() as conn:
        year_seq = db.next_number(conn, "BLK-TEST")
        number = f"BLK-2026-{year_seq:06d}"
        now = db.now()
        thread_id = thread_id or f"<req-{number}@lsp.example.id>"
        facts = {"schemes": {n: {"K": k, "BK": bk} for n, (k, bk) in schemes.items()},
                 "competent_total": sum(k for k, _ in schemes.values()),
                 "letter_number": f"001/{number}", "letter_date": "2026-03-02"}
        dossier_id = conn.execute(insert(db.dossiers).values(
            number=number, kind="blank_request", status=status, lsp_code=lsp_code, sender=sender,
            subject=f"Permohonan blanko {number}", thread_message_id=thread_id, received_at=now,
            completed_at=now, facts=facts, created_at=now, updated_at=now)).inserted_primary_key[0]
        mail_id = conn.execute(insert(db.mails).values(
            mailbox="uji", uidvalidity=1, uid=number, message_id=thread_id,
            fingerprint=hashlib.sha256(number.encode()).hexdigest(), raw_path="/dev/null",
            from_addr=sender, subject="x", received_at=now, state="done",
            dossier_id=dossier_id)).inserted_primary_key[0]
        document_id = conn.execute(insert(db.documents).values(
            dossier_id=dossier_id, mail_id=mail_id, position=0, filename="peserta.xlsx",
            path="/dev/null", sha256="0" * 64, size=0, doc_type="participant_list")).inserted_primary_key[0]
        row = 2
        for scheme, (k, bk) in schemes.items():
            for i in range(k + bk):
                conn.execute(insert(db.participants).values(
                    dossier_id=dossier_id, document_id=document_id, sheet="Peserta", row=row,
                    name=NAMES[(row - 2) % len(NAMES)] + f" {row}", nik=f"3273{row:012d}",
                    scheme=scheme, result="K" if i < k else "BK"))
                row += 1
        for spec in ("lembar_persetujuan", "tanda_terima"):
            conn.execute(insert(db.generated_files).values(dossier_id=dossier_id, kind=spec,
                                                           docx_path="", pdf_path="", created_at=now))
    return {"id": dossier_id, "number": number, "thread_id": thread_id}
