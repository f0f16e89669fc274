"""Intake and the register (steps 1-3 of seed 003): every channel becomes a numbered entry.

- `handle_complaint_mail`: MAIL_HANDLERS["complaint"], a mail in the complaints mailbox;
- `register_entry`: the desk (telephone, walk-in, WhatsApp, LAPOR!) and the public web form;
- `confirm_record`: step 2, the officer confirms the type and passes it to the technical lead;
- `record_investigation`: step 3, cause, correction and corrective actions.

Each step stops and starts the clock, and mails the complainant in the same transaction
(acknowledgement, progress) through the outbox, keyed so that each mail is queued once.
Anonymous entries, and entries that are not complaints, are never answered.
"""
from __future__ import annotations

import re
from datetime import date, datetime

from sqlalchemy import select, update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.complaints import clock, store
from pipelines.complaints.classify import (CHANNELS, TYPES, is_spam, language_of, proposed_type,
                                           target_number)
from pipelines.send.outbox import automatic_mail_count, enqueue
from pipelines.threads import strip_reply_prefixes
from pipelines.write.email_text import render_email

KIND = store.KIND
DONE, CLOSED = "selesai", "ditutup"


class ComplaintError(ValueError):
    """Shown to the officer as is (Indonesian)."""


def service(rt):
    return rt.services[KIND]


def step_ids(svc, entry_type: str) -> list[str]:
    return [s["id"] for s in svc.steps if not s.get("only") or entry_type in s["only"]]


def step_status(svc, step: str) -> str:
    return next(s["status"] for s in svc.steps if s["id"] == step)


def next_step(svc, entry_type: str, step: str) -> str | None:
    steps = step_ids(svc, entry_type)
    position = steps.index(step)
    return steps[position + 1] if position + 1 < len(steps) else None


def answerable(entry: dict) -> bool:
    return bool(entry["email"]) and not entry["anonymous"] and entry["type"] != "bukan_keluhan"


# ---------------------------------------------------------------- mail to the complainant

def thread_subject(entry: dict) -> str:
    return strip_reply_prefixes(entry["subject"]).replace(f"[{entry['number']}]", "").strip()


def complaints_sender(rt, conn, entry: dict) -> str:
    """The complaints mailbox of the entry's office (data/offices.yaml `complaints_email`): the
    office of the mailbox the complaint came to, else of the officer who recorded it; "" (the
    settings' sender) when neither names one."""
    from pipelines.offices import office_of_mailbox, office_of_officer
    mailbox = conn.execute(select(db.mails.c.mailbox).where(db.mails.c.dossier_id == entry["dossier_id"])
                           .order_by(db.mails.c.id).limit(1)).scalar()
    office = (office_of_mailbox(rt, mailbox) if mailbox else None) or office_of_officer(rt, entry["recorded_by"])
    return office.complaints_email if office is not None else ""


def queue_to_complainant(rt, conn, entry: dict, template: str, context: dict | None = None,
                         attachments: list[str] = (), key: str | None = None) -> bool:
    """Queue a mail to the complainant in the entry's thread, in their language, once per key."""
    if not answerable(entry):
        db.record_event(conn, "pengaduan_tidak_dibalas", dossier_id=entry["dossier_id"], surel=template,
                        alasan="anonim" if entry["anonymous"] else
                        ("bukan pengaduan" if entry["type"] == "bukan_keluhan" else "tanpa alamat surel"))
        return False
    name = template + ("_en" if entry["language"] == "en" else "")
    subject, body = render_email(name, {
        "entry": entry, "office": rt.settings.office, "type_label": TYPES[entry["type"]],
        "channel_label": CHANNELS[entry["channel"]], **(context or {})})
    original = thread_subject(entry)
    subject = f"Re: {original} [{entry['number']}]" if original else f"{subject} [{entry['number']}]"
    thread = entry["thread_message_id"]
    outbox_id = enqueue(conn, key=key or f"pengaduan:{template}:{entry['dossier_id']}", to=[entry["email"]],
                        subject=subject, body=body, sender_domain=rt.settings.sender.split("@", 1)[1],
                        dossier_id=entry["dossier_id"], in_reply_to=thread, references=[thread] if thread else [],
                        attachments=list(attachments), sender=complaints_sender(rt, conn, entry))
    if outbox_id and not thread:
        # Desk and web entries: our acknowledgement starts the thread.
        message_id = conn.execute(select(db.outbox.c.message_id).where(db.outbox.c.id == outbox_id)).scalar()
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == entry["dossier_id"])
                     .values(thread_message_id=message_id))
        entry["thread_message_id"] = message_id
    return outbox_id is not None


def _progress(rt, conn, entry: dict, ended: str, following: str | None) -> None:
    svc = service(rt)
    labels = {s["id"]: s["label"] for s in svc.steps}
    queue_to_complainant(rt, conn, entry, "pengaduan_kemajuan",
                         {"step": labels[ended], "next_step": labels.get(following, "")},
                         key=f"pengaduan:kemajuan:{ended}:{entry['dossier_id']}")


def advance(rt, conn, entry: dict, ended: str, actor: str, action: str, at: datetime | None = None,
            progress: bool = True, **detail) -> str | None:
    """Stop `ended`, start the step after it (its status), and tell the complainant."""
    svc = service(rt)
    at = at or db.now()        # one moment: the next step starts when this one stops
    if not clock.stop(rt, conn, entry, ended, at, actor):
        raise ComplaintError(f"Langkah ini sudah selesai atau belum dimulai untuk {entry['number']}.")
    following = next_step(svc, entry["type"], ended)
    if following:
        clock.start(rt, conn, entry, following, at)
    store.set_status(conn, entry, step_status(svc, following) if following else DONE, actor, action,
                     langkah=ended, berikutnya=following or "", **detail)
    if progress:
        _progress(rt, conn, entry, ended, following)
    return following


# ---------------------------------------------------------------- step 1: intake

def _acknowledge(rt, conn, entry: dict, actor: str) -> None:
    """End of step 1: the entry is identified; acknowledge it (unless it is not to be answered)."""
    svc = service(rt)
    if entry["type"] == "bukan_keluhan":
        clock.stop(rt, conn, entry, "terima", actor=actor)
        store.set_status(conn, entry, CLOSED, actor, "pengaduan_ditutup", alasan="bukan pengaduan (spam)")
        return
    if entry["channel"] == "surel" and entry["email"] and \
            automatic_mail_count(conn, entry["email"]) >= rt.settings.auto_replies_per_sender_per_day:
        # A sender mailing us over and over (or a loop with another robot) gets no more automatic mail today.
        db.record_event(conn, "balasan_otomatis_dibatasi", dossier_id=entry["dossier_id"], kepada=entry["email"],
                        catatan="Batas balasan otomatis per hari tercapai; petugas menindaklanjuti.")
    else:
        queue_to_complainant(rt, conn, entry, "pengaduan_diterima", {"steps": [
            s for s in svc.steps if s["id"] in step_ids(svc, entry["type"])]})
    advance(rt, conn, entry, "terima", actor, "pengaduan_diidentifikasi", progress=False)
    if entry["type"] == "keluhan_klien":
        _forward_to_client_case(conn, entry, actor)


def _forward_to_client_case(conn, entry: dict, actor: str) -> None:
    """A complaint about a certified client goes into that client's case history."""
    target = store.dossier_by_reference(conn, entry["target_number"]) if entry["target_number"] else None
    if target is None:
        return
    store.update_entry(conn, entry, target_dossier_id=target["id"])
    db.record_event(conn, "pengaduan_tentang_klien", actor=actor, dossier_id=target["id"],
                    pengaduan=entry["number"], ringkasan=(entry["text"] or "")[:300])


def _mail_fields(rt, content) -> dict:
    text = content.text or ""
    lsp = rt.registry.by_email(content.from_addr)
    return dict(type=proposed_type(content.subject, text, spam_flag=is_spam(content.headers)), channel="surel",
                language=language_of(f"{content.subject}\n{text}"), anonymous=False, name=content.from_name or "",
                email=(content.from_addr or "").lower(), organisation=lsp.name if lsp else "", text=text[:20000],
                target_number=target_number(content.subject, text))


def _finish_intake(rt, mail_id: int, entry: dict, content) -> str:
    """Keep the mail's files with the entry, then acknowledge it and mark the mail done."""
    from pipelines.process import _finish_mail, _save_attachments
    _save_attachments(rt, mail_id, {"id": entry["dossier_id"], "number": entry["number"]}, content)
    with rt.engine.begin() as conn:
        if clock.running(rt, conn, entry) == "terima":
            _acknowledge(rt, conn, entry, "sistem")
        _finish_mail(conn, mail_id, KIND, entry["dossier_id"])
    return f"pengaduan {entry['number']}"


def handle_complaint_mail(rt, mail_row, content) -> str:
    """MAIL_HANDLERS["complaint"]: a mail outside any thread that the inbox rules call a complaint."""
    svc = service(rt)
    mail_id = mail_row["id"]
    with rt.engine.begin() as conn:
        # A crashed earlier attempt may have registered it already: the mail row says so.
        dossier_id = conn.execute(select(db.mails.c.dossier_id).where(db.mails.c.id == mail_id)).scalar()
        if dossier_id:
            entry = store.entry_by_dossier(conn, dossier_id)
        else:
            fields = _mail_fields(rt, content)
            received = db.aware(mail_row["received_at"]) or db.now()
            entry = store.new_entry(
                conn, prefix=svc.number_prefix, status=step_status(svc, "terima"), received_at=received,
                subject=content.subject or "", sender=fields["email"],
                thread_message_id=content.message_id or "", fields=fields)
            conn.execute(update(db.mails).where(db.mails.c.id == mail_id).values(dossier_id=entry["dossier_id"]))
            clock.start(rt, conn, entry, "terima", received)
            db.record_event(conn, "pengaduan_dicatat", dossier_id=entry["dossier_id"], mail_id=mail_id,
                            nomor=entry["number"], jenis=fields["type"], saluran="surel")
    return _finish_intake(rt, mail_id, entry, content)


def handle_case_mail(rt, mail_id: int, dossier: dict, content) -> str:
    """CASE_HANDLERS["complaint"]: mail for a complaint dossier. A dossier an officer opened from
    an unclassified mail becomes a register entry; in an entry's thread, a signed impartiality
    declaration is recorded, anything else kept as a follow-up mail."""
    from pipelines.complaints.team import record_scan
    from pipelines.process import _follow_up
    with rt.engine.connect() as conn:
        entry = store.entry_by_dossier(conn, dossier["id"])
    if entry is None:
        with rt.engine.begin() as conn:
            fields = _mail_fields(rt, content)
            entry = store.adopt_dossier(conn, dossier["id"], status=step_status(service(rt), "terima"),
                                        fields=fields)
            clock.start(rt, conn, entry, "terima", db.aware(dossier["received_at"]))
            db.record_event(conn, "pengaduan_dicatat", dossier_id=entry["dossier_id"], mail_id=mail_id,
                            nomor=entry["number"], jenis=fields["type"], saluran="surel")
        return _finish_intake(rt, mail_id, entry, content)
    return (content.attachments and record_scan(rt, mail_id, content)) or _follow_up(rt, mail_id, dossier, content)


def register_entry(rt, *, channel: str, text: str, actor: str, name: str = "", email: str = "",
                   phone: str = "", organisation: str = "", anonymous: bool = False,
                   entry_type: str | None = None, language: str | None = None, subject: str = "",
                   target: str = "", received_at: datetime | None = None) -> dict:
    """A complaint taken at the desk or through the web form; acknowledged in the same transaction."""
    svc = service(rt)
    if channel not in CHANNELS or channel == "surel":
        raise ComplaintError("Saluran pengaduan tidak dikenal.")
    text = (text or "").strip()
    if len(text) < 10:
        raise ComplaintError("Isi pengaduan wajib diisi (paling sedikit 10 karakter).")
    email = (email or "").strip().lower()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        raise ComplaintError("Alamat surel tidak sah.")
    entry_type = entry_type or proposed_type(subject, text)
    if entry_type not in TYPES:
        raise ComplaintError("Jenis pengaduan tidak dikenal.")
    received = received_at or db.now()
    with rt.engine.begin() as conn:
        entry = store.new_entry(
            conn, prefix=svc.number_prefix, status=step_status(svc, "terima"), received_at=received,
            subject=subject.strip()[:300], sender=email, thread_message_id="", fields=dict(
                type=entry_type, channel=channel, language=language or language_of(f"{subject}\n{text}"),
                anonymous=anonymous, name="" if anonymous else name.strip()[:200],
                email="" if anonymous else email, phone="" if anonymous else phone.strip()[:60],
                organisation=organisation.strip()[:300], text=text[:20000],
                target_number=(target.strip().upper() or target_number(subject, text))[:80],
                recorded_by=actor))
        clock.start(rt, conn, entry, "terima", received)
        db.record_event(conn, "pengaduan_dicatat", actor=actor, dossier_id=entry["dossier_id"],
                        nomor=entry["number"], jenis=entry_type, saluran=channel)
        _acknowledge(rt, conn, entry, actor)
    return entry


# ---------------------------------------------------------------- steps 2 and 3

def _entry(rt, conn, number: str, step: str) -> dict:
    entry = store.entry_by_number(conn, number)
    if entry is None:
        raise ComplaintError(f"Pengaduan {number} tidak ditemukan.")
    if clock.running(rt, conn, entry) != step:
        raise ComplaintError(f"Pengaduan {number} tidak sedang pada langkah ini.")
    return entry


def confirm_record(rt, number: str, actor: str, *, entry_type: str, technical_lead: str,
                   target: str | None = None, organisation: str | None = None) -> dict:
    """Step 2: the officer confirms the type (and what an appeal is against) and passes it on."""
    if entry_type not in TYPES:
        raise ComplaintError("Jenis pengaduan tidak dikenal.")
    if entry_type != "bukan_keluhan" and not technical_lead.strip():
        raise ComplaintError("Pilih Penanggung Jawab Teknis yang menangani.")
    with rt.engine.begin() as conn:
        entry = _entry(rt, conn, number, "catat")
        values = {"type": entry_type, "technical_lead": technical_lead.strip()}
        if target is not None:
            values["target_number"] = target.strip().upper()
        if organisation is not None:
            values["organisation"] = organisation.strip()
        if entry_type == "banding" and not (values.get("target_number") or entry["target_number"]):
            raise ComplaintError("Banding harus menyebut keputusan, berkas atau sertifikat yang dibanding.")
        store.update_entry(conn, entry, **values)
        entry.update(values)
        if entry_type == "bukan_keluhan":
            clock.stop(rt, conn, entry, "catat", actor=actor)
            store.set_status(conn, entry, CLOSED, actor, "pengaduan_ditutup", alasan="bukan pengaduan (spam)")
            return entry
        if entry_type == "keluhan_klien":
            _forward_to_client_case(conn, entry, actor)
        if entry_type == "banding":
            _record_involvement(rt, conn, entry)
        advance(rt, conn, entry, "catat", actor, "pengaduan_diteruskan", pjt=entry["technical_lead"])
    return entry


def _record_involvement(rt, conn, entry: dict) -> None:
    """Who took part in the disputed decision, as far as the records say: the desk users who
    acted on the dossier (handling officer, approving official) and, for an application case,
    its audit team, technical evaluators and committee members. Anyone else is added by the
    officer (`add_involved`)."""
    from pipelines.applications import store as applications
    from pipelines.complaints.conflicts import involvement_in_application
    from pipelines.complaints.staff import load_staff
    target = store.dossier_by_reference(conn, entry["target_number"])
    if target is None:
        return
    store.update_entry(conn, entry, target_dossier_id=target["id"])
    application = applications.application(conn, target["id"])
    data = (application["data"] or {}) if application is not None else {}
    for staff_id, role in involvement_in_application(data, load_staff(), set(store.event_actors(conn, target["id"]))):
        store.add_involved(conn, entry["id"], staff_id, role)


def add_involved(rt, number: str, staff_id: str, role: str, actor: str) -> None:
    from pipelines.complaints.staff import INVOLVEMENT_ROLES, load_staff
    if role not in INVOLVEMENT_ROLES:
        raise ComplaintError("Peran keterlibatan tidak dikenal.")
    if staff_id not in {s.id for s in load_staff()}:
        raise ComplaintError("Pegawai tidak dikenal.")
    with rt.engine.begin() as conn:
        entry = store.entry_by_number(conn, number)
        if entry is None:
            raise ComplaintError(f"Pengaduan {number} tidak ditemukan.")
        store.add_involved(conn, entry["id"], staff_id, role)
        db.record_event(conn, "keterlibatan_dicatat", actor=actor, dossier_id=entry["dossier_id"],
                        pegawai=staff_id, peran=role)


def record_investigation(rt, number: str, actor: str, *, cause: str, correction: str,
                         actions: list[tuple[str, str, date]]) -> dict:
    """Step 3: cause, correction and corrective actions, each with its effectiveness-check date."""
    if not cause.strip() or not correction.strip():
        raise ComplaintError("Penyebab dan perbaikan wajib diisi.")
    today = local_date(db.now())
    for description, _, check_on in actions:
        if not description.strip():
            raise ComplaintError("Uraian tindakan korektif wajib diisi.")
        if check_on <= today:
            raise ComplaintError("Tanggal cek efektivitas harus sesudah hari ini.")
    with rt.engine.begin() as conn:
        entry = _entry(rt, conn, number, "investigasi")
        store.update_entry(conn, entry, cause=cause.strip(), correction=correction.strip())
        for description, responsible, check_on in actions:
            store.add_action(conn, entry["id"], description.strip(), responsible.strip(), check_on, actor)
        advance(rt, conn, entry, "investigasi", actor, "investigasi_selesai", tindakan=len(actions))
    return entry


def check_effectiveness(rt, action_id: int, actor: str, effective: bool, note: str) -> None:
    """The officer's effectiveness check of a corrective action, once."""
    from pipelines.complaints.models import complaints, corrective_actions
    with rt.engine.begin() as conn:
        dossier_id = conn.execute(select(complaints.c.dossier_id).select_from(
            corrective_actions.join(complaints, complaints.c.id == corrective_actions.c.complaint_id))
            .where(corrective_actions.c.id == action_id)).scalar()
        if dossier_id is None:
            raise ComplaintError("Tindakan korektif tidak ditemukan.")
        if not store.check_action(conn, action_id, actor, effective, note.strip()):
            raise ComplaintError("Efektivitas tindakan ini sudah dicek.")
        db.record_event(conn, "efektivitas_dicek", actor=actor, dossier_id=dossier_id, tindakan=action_id,
                        efektif=effective, catatan=note.strip())
