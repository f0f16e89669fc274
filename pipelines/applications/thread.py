"""Mail in the thread of an application past intake (issue 11, item 4).

Each such mail is kept with its case and queued for the role that acts on it
(`application_thread_items`, shown on the desk): payment proof for the service officer, whose
confirmation (completing the payment step) resumes the clock; corrective-action evidence for the
auditor; new or corrected documents, checked again against the service's checklist, for the
officer of the current step; questions for an officer, whose answer goes back in the thread.
"""
from __future__ import annotations

import re

from pipelines import db
from pipelines.applications import store
from pipelines.calendar import local_date
from pipelines.documents import Document
from pipelines.threads import strip_reply_prefixes

FOLLOWUP_ROLE = {"bukti_bayar": "petugas_layanan", "tindakan_perbaikan": "auditor",
                 "konfirmasi_audit": "seksi_pjt"}
NOT_DOCUMENTS = ("bukti_bayar", "tindakan_perbaikan")   # their files are evidence, not checklist items


def followup_kind(followups: list[dict], subject: str, body: str, filenames: list[str]) -> dict | None:
    """The first follow-up kind of the service whose patterns match the mail. Pure."""
    fields = [subject or "", body or "", *(re.sub(r"[_\-.]+", " ", name) for name in filenames)]
    for spec in followups:
        if any(re.search(p, value, re.I) for p in spec.get("patterns", []) for value in fields):
            return spec
    return None


def followup_role(service, kind: str, step) -> str:
    """Who acts on a thread mail: the role of the service's step the mail moves on (corrective-action
    evidence goes to whoever verifies it: the auditor, the sampling officer of SPPT SNI type 1),
    else the usual role of its kind, else the current step's, else the front desk. Pure."""
    moved = [s.role for s in service.steps if kind in s.moved_by_mail and s.role not in ("pemohon", "sistem")]
    if moved:
        return moved[0]
    return FOLLOWUP_ROLE.get(kind) or (
        step.role if step and step.role not in ("pemohon", "sistem") else "petugas_layanan")


def current_documents(earlier: list[Document], new: list[Document], checklist: list[dict]) -> list[Document]:
    """The case's checklist documents once a thread mail brought `new` ones. Pure.

    A new document of an item that takes one file (max 1) replaces the earlier one (a corrected
    form); for items that take several it is added. Files of no checklist item are left out:
    they were kept and shown, but are not part of the application."""
    items = {i.get("doc_type") or i["id"]: i for i in checklist}
    replaced = {d.doc_type for d in new if d.doc_type in items and items[d.doc_type].get("max") == 1}
    kept = [d for d in earlier if d.doc_type in items and d.doc_type not in replaced]
    return kept + [d for d in new if d.doc_type in items]


def _own_words(text: str) -> str:
    """The applicant's words without the quoted mail below them."""
    lines = []
    for line in (text or "").splitlines():
        if line.startswith(">") or re.match(r"^(On|Pada) .+(wrote|menulis):\s*$", line):
            break
        lines.append(line)
    return "\n".join(lines).strip()


def followup(rt, mail_id: int, dossier: dict, content) -> str | None:
    """Keep a thread mail with its application and queue it for the role that acts on it."""
    from pipelines.applications.walk import is_application
    from pipelines.check import check_dossier
    from pipelines.process import _earlier_documents, _finish_mail, _record_types, _save_attachments

    service = rt.services.get(dossier["kind"])
    if service is None or not is_application(service):
        return None
    spec = followup_kind(service.followups, content.subject, content.text,
                         [a.filename for a in content.attachments])
    kind = spec["kind"] if spec else "lain"
    step = service.step(dossier["status"])
    new = service.recognise(_save_attachments(rt, mail_id, dossier, content))
    own = {i.get("doc_type") or i["id"] for i in service.checklist}
    found, earlier = None, []
    if kind not in NOT_DOCUMENTS and any(d.doc_type in own for d in new):
        kind = "dokumen" if kind == "lain" else kind     # a question with a corrected form stays a question
        earlier = service.recognise(_earlier_documents(rt, dossier["id"], mail_id))
        found = check_dossier(current_documents(earlier, new, service.checklist), service.checklist,
                              {"today": local_date(db.now())})
    role = followup_role(service, kind, step)
    errors = sum(1 for f in found if f.is_error) if found is not None else 0
    with rt.engine.begin() as conn:
        if found is not None:
            _replace_findings(conn, dossier["id"], found)
        if kind not in NOT_DOCUMENTS:    # payment proof and corrective-action evidence are no checklist items
            _record_types(conn, dossier["id"], earlier + new)
        _finish_mail(conn, mail_id, dossier["kind"], dossier["id"])
        store.add_thread_item(conn, dossier["id"], mail_id, kind=kind, role=role, step=dossier["status"],
                              subject=content.subject, text=_own_words(content.text), findings=errors)
        db.record_event(conn, f"surel_{kind}", dossier_id=dossier["id"], mail_id=mail_id,
                        untuk=role, langkah=dossier["status"], subjek=content.subject,
                        lampiran=[a.filename for a in content.attachments],
                        **({"diperiksa_ulang": True, "galat": errors} if found is not None else {}))
    label = spec["label"] if spec else ("Dokumen baru atau perbaikan" if kind == "dokumen" else "lain-lain")
    return f"surel lanjutan: {label}"


def _replace_findings(conn, dossier_id: int, found) -> None:
    """The re-check's findings replace the case's; an officer's overrides of the same finding stay."""
    from sqlalchemy import delete, insert, select
    overrides = {(r.code, r.location): (r.overridden_by, r.override_reason) for r in conn.execute(
        select(db.findings).where(db.findings.c.dossier_id == dossier_id, db.findings.c.overridden_by != ""))}
    conn.execute(delete(db.findings).where(db.findings.c.dossier_id == dossier_id))
    now = db.now()
    for f in found:
        by, reason = overrides.get((f.code, f.where), ("", ""))
        conn.execute(insert(db.findings).values(
            dossier_id=dossier_id, code=f.code, severity=f.severity.value, message=f.message,
            location=f.where, overridden_by=by, override_reason=reason, created_at=now))


def answer_question(rt, item_id: int, *, officer: str, answer: str) -> None:
    """An officer answers a question from the thread: the answer is queued as mail in the
    applicant's thread (once), and the question leaves the queue."""
    from pipelines.applications.walk import ApplicationError, case_context
    from pipelines.send.outbox import enqueue
    from pipelines.write.email_text import render_email

    answer = (answer or "").strip()
    if len(answer) < 5:
        raise ApplicationError("Jawaban wajib ditulis.")
    with rt.engine.connect() as conn:
        item = store.thread_item(conn, item_id)
        if item is None or item["handled_at"] is not None:
            raise ApplicationError("Surel ini tidak ada atau sudah ditangani.")
        dossier = dict(conn.execute(db.dossiers.select().where(db.dossiers.c.id == item["dossier_id"]))
                       .mappings().one())
        mail = conn.execute(db.mails.select().where(db.mails.c.id == item["mail_id"])).mappings().one()
        context = case_context(conn, rt, dossier, rt.services[dossier["kind"]])
    context["question"] = {"subject": item["subject"], "text": item["text"]}
    context["answer"] = answer
    context["officer"] = officer
    subject, body = render_email("jawaban_pertanyaan", context)
    references = [m for m in (dossier["thread_message_id"], mail["message_id"]) if m]
    with rt.engine.begin() as conn:
        if not store.close_thread_item(conn, item_id, handled_by=officer, answer=answer):
            raise ApplicationError("Surel ini sudah ditangani petugas lain.")
        original = strip_reply_prefixes(item["subject"])
        enqueue(conn, key=f"jawaban:{item_id}", to=[mail["from_addr"] or context["customer"]["email"]],
                subject=f"Re: {original or subject}", body=body,
                sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=dossier["id"],
                in_reply_to=mail["message_id"] or "", references=references, automatic=False)
        db.record_event(conn, "pertanyaan_dijawab", actor=officer, dossier_id=dossier["id"],
                        mail_id=item["mail_id"], butir=item_id)


def handle(rt, item_id: int, *, officer: str, note: str = "") -> None:
    """An officer marks a thread mail as dealt with (read the re-checked documents, filed the evidence)."""
    from pipelines.applications.walk import ApplicationError
    with rt.engine.begin() as conn:
        item = store.thread_item(conn, item_id)
        if item is None or not store.close_thread_item(conn, item_id, handled_by=officer, answer=note):
            raise ApplicationError("Surel ini tidak ada atau sudah ditangani.")
        db.record_event(conn, "surel_lanjutan_ditangani", actor=officer, dossier_id=item["dossier_id"],
                        mail_id=item["mail_id"], butir=item_id, jenis=item["kind"])
