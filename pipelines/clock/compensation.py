"""Late-service compensation (Process D, seed 002): when a service promise is missed the
customer gets an apology letter (surat permohonan maaf, numbered, DOCX from
templates/surat_permohonan_maaf.docx and PDF) in the case's mail thread, and a credit of one
working day off their next application of that service.

- `owe` (inside the sweep's transaction, at the breach): takes the letter number and records
  the credit; `source_clock_id` is unique, so a clock earns one letter, whoever sweeps.
- `write_and_mail_letters` (after the sweep): renders each letter not yet written, then, in one
  transaction, stores its paths and queues the mail (idempotency key per credit).
- The credit is taken by `pipelines.clock.start` when the customer's next whole-service clock
  of that service starts, or by `apply_letter` when a case quotes the letter's number.
"""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select, update

from pipelines import db
from pipelines.clock import store
from pipelines.clock.clocks import CREDIT_DAYS
from pipelines.clock.models import clock_credits, clocks
from pipelines.clock.targets import service_clock
from pipelines.send.outbox import enqueue
from pipelines.write.docx import render_docx
from pipelines.write.email_text import render_email
from pipelines.write.pdf import convert_to_pdf
from pipelines.write.words import format_date_id

LETTER = "surat_permohonan_maaf"


def owe(rt, conn, state) -> str | None:
    """Record the credit for a late whole-service clock; its letter number, or None when the
    service gives no compensation, the customer is unknown, or it was recorded already."""
    if state.service not in rt.services or not service_clock(rt.services[state.service]).compensation:
        return None
    if not state.customer or store.credit_for_clock(conn, state.clock_id) is not None:
        return None
    year = rt.calendar.local_date(db.now()).year
    number = f"SPM-{year}-{db.next_number(conn, f'SPM-{year}'):06d}"
    if not store.insert_credit(conn, {"customer": state.customer, "service": state.service,
                                      "working_days": CREDIT_DAYS, "letter_number": number,
                                      "source_clock_id": state.clock_id, "created_at": db.now()}):
        return None
    db.record_event(conn, "kompensasi_dicatat", dossier_id=_dossier_id(state.case_type, state.case_ref),
                    surat=number, pelanggan=state.customer, layanan=state.service)
    return number


def _dossier_id(case_type: str, case_ref: str) -> int | None:
    return int(case_ref) if case_type == "dossier" and str(case_ref).isdigit() else None


def write_and_mail_letters(rt) -> list[str]:
    """Write and queue every recorded letter not yet written; returns their numbers."""
    with rt.engine.connect() as conn:
        pending = conn.execute(
            select(clock_credits, clocks.c.case_type, clocks.c.case_ref, clocks.c.service.label("clock_service"),
                   clocks.c.target, clocks.c.unit, clocks.c.office)
            .select_from(clock_credits.join(clocks, clocks.c.id == clock_credits.c.source_clock_id))
            .where(clock_credits.c.letter_docx == "")).mappings().all()
    done = []
    for credit in pending:
        if _write_and_mail(rt, dict(credit)):
            done.append(credit["letter_number"])
    return done


def _write_and_mail(rt, credit: dict) -> bool:
    from pipelines.clock.clocks import state as clock_state
    dossier_id = _dossier_id(credit["case_type"], credit["case_ref"])
    with rt.engine.connect() as conn:
        dossier = conn.execute(select(db.dossiers).where(db.dossiers.c.id == dossier_id)).mappings().first() \
            if dossier_id else None
        late = clock_state(rt, conn, case_type=credit["case_type"], case_ref=credit["case_ref"])
    number = dossier["number"] if dossier else f"{credit['case_type']}-{credit['case_ref']}"
    service = rt.services.get(credit["service"])
    calendar = rt.calendar.for_office(credit["office"])
    deadline = late.deadline if late else None
    office = rt.settings.office
    promise = service_clock(service).promise.describe() if service else ""
    context = {
        "office": {"name": office.name, "address": office.address, "city": office.city, "email": office.email},
        "official": {"name": office.official.name, "title": office.official.title, "nip": office.official.nip},
        "letter": {"number": credit["letter_number"], "date": format_date_id(calendar.local_date(db.now()))},
        "customer": {"name": _customer_name(rt, dossier, credit["customer"]), "email": credit["customer"]},
        "service": {"name": service.name if service else credit["service"]},
        "case": {"number": number,
                 "deadline": (f"{format_date_id(calendar.local_date(deadline))} pukul "
                              f"{deadline.astimezone(calendar.office.zone):%H:%M}") if deadline else "-"},
        "promise": promise, "credit_days": f"{credit['working_days']:g}",
    }
    folder = rt.settings.outputs_dir / number / "dokumen"
    docx = render_docx(rt.settings.templates_dir / f"{LETTER}.docx", context, folder / f"{LETTER}.docx")
    pdf = convert_to_pdf([docx], folder).get(docx) if rt.settings.convert_pdf else None
    thread = dossier["thread_message_id"] if dossier else ""
    subject_context = {**context, "thread_subject": f"[{number}] {dossier['subject']}" if dossier else ""}
    subject, body = render_email("permohonan_maaf", subject_context)
    with rt.engine.begin() as conn:
        claimed = conn.execute(update(clock_credits).where(clock_credits.c.id == credit["id"],
                                                           clock_credits.c.letter_docx == "")
                               .values(letter_docx=str(docx), letter_pdf=str(pdf or ""))).rowcount
        if not claimed:
            return False           # another worker wrote it meanwhile; its mail is queued
        if dossier is not None:
            from pipelines.process import record_generated
            record_generated(conn, dossier["id"], [{"kind": LETTER, "docx": docx, "pdf": pdf}])
        enqueue(conn, key=f"{LETTER}:{credit['id']}", to=[credit["customer"]], subject=subject, body=body,
                sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=dossier_id,
                in_reply_to=thread, references=[thread] if thread else [],
                attachments=[str(pdf or docx)], automatic=False)
        db.record_event(conn, "surat_permohonan_maaf_dikirim", dossier_id=dossier_id,
                        surat=credit["letter_number"], kepada=credit["customer"])
    return True


def _customer_name(rt, dossier, customer: str) -> str:
    if dossier and dossier.get("lsp_code"):
        lsp = rt.registry.by_code(dossier["lsp_code"])
        if lsp is not None:
            return lsp.name
    return customer


def letter_paths(conn, letter_number: str) -> tuple[Path, Path | None] | None:
    row = conn.execute(select(clock_credits).where(clock_credits.c.letter_number == letter_number)).mappings().first()
    if row is None or not row["letter_docx"]:
        return None
    return Path(row["letter_docx"]), Path(row["letter_pdf"]) if row["letter_pdf"] else None
