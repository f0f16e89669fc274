"""The walk of an application case through its service's steps (services/*.yaml `steps:`).

The mail path (pipelines/process.py) runs the intake steps and calls `Intake` for the
application's own records; after that an officer completes each step with `advance`: the
step's documents are written, its mail is queued in the application's thread, the clock is
paused or resumed as the next step says, and the case moves on. Mail arriving in the thread
of a case after intake is sorted by `followup`.
"""
from __future__ import annotations

from datetime import date
import secrets

from sqlalchemy import select, update

from pipelines import db
from pipelines.applications import clock, persons, register, store, wording
from pipelines.applications.form import Applicant, read_applicant
from pipelines.applications.tariff import offer
from pipelines.calendar import local_date
from pipelines.complaints.conflicts import refusal_reasons
from pipelines.complaints.staff import competences_of
from pipelines.offices import office_by_id, office_of_case
from pipelines.services import Service, role_labels
from pipelines.threads import reply_subject
from pipelines.write.docx import Image
from pipelines.write.qr import qr_png

def verification_base_url() -> str:
    """Where the public verification pages are served (data/fulfilment.yaml, shared with blanks)."""
    from pipelines.fulfil.settings import load_fulfilment
    return load_fulfilment().verification_base_url


FINAL = "selesai"
REGISTER_EFFECT = {"penundaan": "dibekukan", "pencabutan": "dicabut"}   # committee outcome -> status
MAINTAINS = {"pemeliharaan": "dipelihara (survailen)", "resertifikasi": "disertifikasi ulang"}


class ApplicationError(ValueError):
    """The step cannot be completed now; the message says why, in Indonesian, for the officer."""


def is_application(service: Service) -> bool:
    return service.sender_registry == "customer"


def staff() -> dict:
    """The office's staff list (data/staff.yaml, shared with complaints) by name."""
    from pipelines.complaints.staff import load_staff
    return {s.name: s for s in load_staff()}


# ---------------------------------------------------------------- context of documents and mail

def _letterhead(rt, office_id: str) -> tuple[dict, dict]:
    """Letterhead and signatory of the case's office (data/offices.yaml), else the settings' office."""
    unit = office_by_id(rt, office_id) if office_id else None
    if unit is not None:
        return unit.letterhead(), unit.signatory()
    office = rt.settings.office
    o = office.official
    return ({"name": office.name, "address": office.address, "city": office.city, "email": office.email},
            {"name": o.name, "title": o.title, "nip": o.nip})


def _customer_dict(row, applicant: Applicant | None, sender: str) -> dict:
    if row is not None:
        return {"name": row["name"], "nib": row["nib"], "address": row["address"],
                "contact": row["contact_person"], "phone": row["phone"],
                "email": (row["emails"] or [sender])[0]}
    a = applicant or Applicant()
    return {"name": a.name or sender, "nib": a.nib, "address": a.address, "contact": a.contact_person,
            "phone": a.phone, "email": a.email or sender}


def _participants(conn, dossier_id: int) -> list[dict]:
    """The case's participant-list rows, each with `known_nik`: the NIK the person can be known by
    (persons.certain_niks: plausible, once in the lists, no open reader finding about it)."""
    rows = [dict(r) for r in conn.execute(
        select(db.participants, db.documents.c.filename)
        .join(db.documents, db.documents.c.id == db.participants.c.document_id)
        .where(db.participants.c.dossier_id == dossier_id).order_by(db.participants.c.id)).mappings()]
    findings = [dict(f) for f in conn.execute(select(
        db.findings.c.code, db.findings.c.message, db.findings.c.location, db.findings.c.overridden_by)
        .where(db.findings.c.dossier_id == dossier_id)).mappings()]
    for row, person in zip(rows, persons.certain_niks(rows, findings)):
        row["known_nik"] = person.nik
    return rows


def case_context(conn, rt, dossier: dict, service: Service, *, applicant: Applicant | None = None,
                 extra_data: dict | None = None) -> dict:
    """Everything a template of an application may print."""
    app = store.application(conn, dossier["id"])
    letterhead, signatory = _letterhead(rt, app["office"] if app else office_of_case(conn, rt, dossier["id"]))
    row = store.customer(conn, app["customer_id"]) if app else None
    data = {**((app or {}).get("data") or {}), **(extra_data or {})}
    figures = clock.figures(rt, conn, service, dossier["id"])
    today = local_date(db.now())
    promised = figures.promised_date or rt.calendar.add_working_days(today, clock.target_days(service))
    received = dossier.get("received_at")
    scope = (app or {}).get("scope") or (applicant.scope if applicant else "") or (
        applicant.product if applicant else "")
    site = (app or {}).get("site") or (applicant.site if applicant else "")
    participants = _participants(conn, dossier["id"])
    team_names = data.get("tim") or []
    known = staff()
    labels = role_labels()
    step = service.step(dossier["status"])
    first_date, second_date = (wording.capitalised(n) for n in wording.schedule_names(service))
    return {
        "office": letterhead, "signatory": signatory,
        "service": {"kind": service.kind, "name": service.name},
        "certificate": {**service.certificate, "activity": wording.activity(service),
                        "team_name": wording.team_name(service),
                        "surveillance_activity": wording.surveillance_activity(service)},
        "case": {"number": dossier["number"],
                 "received_at": local_date(received) if received else today,
                 "complete_at": local_date(dossier["completed_at"]) if dossier.get("completed_at") else today,
                 "promised_date": promised, "target_days": figures.target_days,
                 "step": step.label if step else dossier["status"],
                 "role": labels.get(step.role, step.role) if step else ""},
        "customer": _customer_dict(row, applicant, dossier.get("sender", "")),
        "scope": scope, "site": site,
        "participants": [{"name": p["name"], "nik": p["nik"], "known_nik": p["known_nik"], "scheme": p["scheme"]}
                         for p in participants],
        "tariff": offer(service.tariff, len(participants)),
        "billing": {"code": data.get("kode_billing", ""),
                    "due_date": rt.calendar.add_working_days(today, 5)},
        "audit": {"stage1_date": data.get("tanggal_audit_tahap1", ""),
                  "stage2_date": data.get("tanggal_audit_tahap2", ""),
                  "stage1_label": first_date, "stage2_label": second_date,
                  "team": [{"name": n, "role": known[n].position if n in known else "",
                            "competences": ", ".join(competences_of().get(c, c) for c in known[n].competences)
                            if n in known else ""}
                           for n in team_names]},
        "decision": {"recommendation": data.get("rekomendasi", ""), "outcome": data.get("keputusan", "")},
        "letter_number": f"{dossier['number']}/{today.month:02d}/{today.year}",
        "date": today,
        "data": data,
    }


def _received_items(service: Service, documents) -> list[dict]:
    rows = []
    for item in service.checklist:
        doc_type = item.get("doc_type") or item["id"]
        files = [d.filename for d in documents if d.doc_type == doc_type]
        if files:
            rows.append({"label": item.get("label", item["id"]), "files": ", ".join(files)})
    return rows


class Intake:
    """The application's part of the mail path: who the applicant is (the customer registry),
    what the receipt and mails print, and the clock starting once the application is complete."""

    def applies(self, service: Service) -> bool:
        return is_application(service)

    def context(self, rt, dossier: dict, service: Service, documents, content) -> dict:
        order = {"formulir_permohonan": 0, "surat_permohonan": 1}
        texts = [d.text for d in sorted(documents, key=lambda d: order.get(d.doc_type, 2))]
        texts.append(content.text or "")    # the mail itself: a signature, data typed at the desk
        applicant = read_applicant(texts)
        with rt.engine.connect() as conn:
            office = office_of_case(conn, rt, dossier["id"])
            context = case_context(conn, rt, dossier, service, applicant=applicant)
            known = store.find_customer(conn, applicant, dossier["sender"], office)
        if known is not None:
            context["customer"] = _customer_dict(known, None, dossier["sender"])
            # what this application adds (e.g. a new address) is kept by `record`
        context["received"] = _received_items(service, documents)
        context["applicant"] = applicant
        context["checklist"] = [i.get("label", i["id"]) for i in service.checklist]
        channel = content.headers.get("x-sertiflow-saluran", "")   # set by a desk entry
        context["channel"] = channel if channel in ("loket", "pos", "web") else "surel"
        context["office_id"] = office
        return context

    def record(self, conn, rt, dossier: dict, service: Service, decision, context: dict) -> None:
        applicant = context["applicant"]
        customer_id = store.remember_customer(conn, applicant, dossier["sender"], context["office_id"])
        store.save_application(conn, dossier["id"], office=context["office_id"], customer_id=customer_id,
                               scope=applicant.scope or applicant.product, site=applicant.site,
                               channel=context["channel"])
        if decision.complete:
            clock.start(rt, conn, dossier)
            figures = clock.figures(rt, conn, service, dossier["id"])
            conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"])
                         .values(due_date=figures.promised_date))
            db.record_event(conn, "jam_layanan_mulai", dossier_id=dossier["id"],
                            target_hari_kerja=figures.target_days, janji=figures.promised_date)


# ---------------------------------------------------------------- officers complete steps

def _load(rt, number: str):
    with rt.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, number)
    if dossier is None:
        raise ApplicationError(f"Berkas {number} tidak ditemukan.")
    service = rt.services.get(dossier["kind"])
    if service is None or not is_application(service):
        raise ApplicationError(f"Berkas {number} bukan permohonan sertifikasi.")
    return dict(dossier), service


def audit_team_refusals(conn, service: Service, dossier: dict, names: list[str]) -> list[str]:
    """Why this audit team cannot be assigned to the case (Indonesian); empty when it can. The
    desk's team form and `advance` both ask here. Everyone must be on the staff list, hold the
    service's competence, and not have consulted for or worked at the applicant in the last two
    years (the rule the appeal team follows, complaints/conflicts.py)."""
    known = staff()
    if not names:
        return [f"Pilih ketua {wording.team_name(service)}."]
    problems = [f"{n} tidak ada dalam daftar personel." for n in names if n not in known]
    if len(set(names)) != len(names):
        problems.append("Nama yang sama dipilih dua kali.")
    app = store.application(conn, dossier["id"])
    customer = store.customer(conn, app["customer_id"]) if app else None
    label = competences_of().get(service.competence, service.name)
    for name in dict.fromkeys(n for n in names if n in known):
        problems += refusal_reasons(known[name], matter=service.competence, matter_label=label, involved_roles=[],
                                    appellant=customer["name"] if customer else dossier["sender"],
                                    today=local_date(db.now()))
    return problems


def certificates_in_question(conn, service: Service, dossier_id: int) -> tuple[list, dict[str, str]]:
    """The customer's active or suspended certificates of this service that a decision on the case
    acts on, and the NIKs this case teaches the register (number -> NIK). All of an organisation's;
    where each participant holds a certificate (`holder: peserta`), only those of the persons the
    case's participant list names (ISO/IEC 17024: surveillance, suspension and withdrawal are per
    certified person), found by NIK, by name only where no NIK is known (persons.py). Refused
    (ApplicationError) when a name fits several certificates: the officer decides which."""
    app_row = store.application(conn, dossier_id)
    current = store.active_certificates(conn, app_row["customer_id"] if app_row else None, service.kind)
    if service.certificate.get("holder") != "peserta":
        return current, {}
    people = [persons.Participant(p["name"], p["known_nik"]) for p in _participants(conn, dossier_id)]
    niks = store.holder_niks(conn, [c["number"] for c in current])
    chosen, problems = persons.certificates_of_persons(people, current, niks)
    if problems:
        raise ApplicationError(
            " ".join(problems) + " Keputusan ini tidak dijalankan agar tidak mengenai orang yang salah: minta "
            "pemohon mengirim daftar peserta dengan NIK, atau ubah status sertifikat yang dimaksud di register "
            "sertifikat.")
    learned = {c["number"]: p.nik for p in people if p.nik for c in chosen
               if not niks.get(c["number"]) and persons.same_name(c["holder"]) == persons.same_name(p.name)}
    return chosen, learned


def _holders(conn, rt, dossier: dict, service: Service, context: dict, issue: date) -> list[dict]:
    """New certificates: one per organisation, or one per participant for person certification."""
    cert = service.certificate
    years = int(cert.get("validity_years") or 0)
    base = f"{service.number_prefix}/{dossier['number'].rsplit('-', 1)[-1]}/{issue.year}"
    if cert.get("holder") == "peserta":
        people = context["participants"]
        holders = [{"name": p["name"], "nik": p["known_nik"], "detail": f"NIK {p['known_nik']}" if p["known_nik"] else "",
                    "scope": p["scheme"] or context["scope"] or service.name, "site": context["customer"]["name"],
                    "number": f"{base}/{i:03d}"} for i, p in enumerate(people, 1)]
    else:
        holders = [{"name": context["customer"]["name"], "detail": _organisation_detail(context),
                    "scope": context["scope"] or "-", "site": context["site"] or context["customer"]["address"] or "-",
                    "number": base}]
    existing = {r["number"]: r for r in store.certificates_of(conn, dossier["id"])}
    for h in holders:
        h["token"] = existing[h["number"]]["token"] if h["number"] in existing else secrets.token_urlsafe(24)
    return _publish(context, holders, issue, _add_years(issue, years) if years else None,
                    [_add_months(issue, m) for m in cert.get("surveillance_months") or []])


def _renewed(service: Service, context: dict, rows: list, issue: date) -> list[dict]:
    """Recertification: the same certificates (number, QR token) for a new cycle that starts
    where the old one ends, with the surveillance of the new cycle."""
    cert = service.certificate
    years = int(cert.get("validity_years") or 0)
    start = max([issue, *(r["expiry_date"] for r in rows if r["expiry_date"])])
    holders = [{"name": r["holder"], "detail": _organisation_detail(context) if cert.get("holder") != "peserta" else "",
                "scope": r["scope"], "site": r["site"], "number": r["number"], "token": r["token"]} for r in rows]
    return _publish(context, holders, issue, _add_years(start, years) if years else None,
                    [_add_months(start, m) for m in cert.get("surveillance_months") or []])


def _registered(context: dict, rows: list) -> list[dict]:
    """The case's certificates as the register holds them (hand-over after signing)."""
    holders = [{"name": r["holder"], "detail": "", "scope": r["scope"], "site": r["site"],
                "number": r["number"], "token": r["token"]} for r in rows]
    return _publish(context, holders, rows[0]["issue_date"], rows[0]["expiry_date"],
                    [date.fromisoformat(d) for d in rows[0]["surveillance_dates"] or []])


def _organisation_detail(context: dict) -> str:
    return f"NIB {context['customer']['nib']}" if context["customer"]["nib"] else ""


def _publish(context: dict, holders: list[dict], issue: date, expiry: date | None, surveillance: list[date]):
    for h in holders:
        h["verify_url"] = f"{verification_base_url()}/verifikasi/sertifikat/{h['token']}"
        h["qr"] = Image(qr_png(h["verify_url"]), width_mm=28)
    context["certificate"].update(
        holders=holders, issue_date=issue, expiry_date=expiry,
        surveillance=", ".join(d.strftime("%d-%m-%Y") for d in surveillance), surveillance_dates=surveillance)
    return holders


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:   # 29 February
        return day.replace(year=day.year + years, day=28)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, 28))


def advance(rt, number: str, *, officer: str, inputs: dict | None = None, outcome: str = "") -> str:
    """Complete the case's current step as `officer`; returns the new step id.

    Refused (ApplicationError, in Indonesian) when a required input is missing, the outcome is
    not one the step allows, nonconformities are still open, or the team is not competent."""
    from pipelines.process import record_generated   # process imports this package
    from pipelines.send.outbox import enqueue
    from pipelines.write.dossier import render_dossier_documents
    from pipelines.write.email_text import render_email

    dossier, service = _load(rt, number)
    step = service.step(dossier["status"])
    if step is None or step.role == "sistem":
        raise ApplicationError(f"Berkas {number} berstatus {dossier['status']}: tidak ada langkah petugas.")
    inputs = dict(inputs or {})
    missing = [i["label"] for i in step.inputs if i.get("required") and not inputs.get(i["id"])]
    if missing:
        raise ApplicationError(f"Isian wajib belum diisi: {', '.join(missing)}.")
    if step.outcomes and outcome not in step.outcomes:
        raise ApplicationError(f"Pilih salah satu keputusan: {', '.join(step.outcomes)}.")
    if outcome:
        inputs["keputusan"] = outcome
    with rt.engine.connect() as conn:
        problems = audit_team_refusals(conn, service, dossier, list(inputs["tim"])) if "tim" in inputs else []
        if problems:
            raise ApplicationError(" ".join(problems))
        open_ncs = store.open_nonconformities(conn, dossier["id"])
        if step.waits_for == "tindakan_perbaikan" and open_ncs:
            raise ApplicationError(f"Masih ada {len(open_ncs)} ketidaksesuaian terbuka: "
                                   f"{', '.join(n['number'] for n in open_ncs)}.")
        following = service.next_step(step.id, outcome)
        # corrective actions are a step only while something is open
        while following is not None and following.waits_for == "tindakan_perbaikan" and not open_ncs:
            following = service.next_step(following.id)
        current, learned = ([], {})
        if outcome in MAINTAINS or outcome in REGISTER_EFFECT:
            current, learned = certificates_in_question(conn, service, dossier["id"])
        if outcome in MAINTAINS:
            # surveillance and recertification act on the customer's certificates of this service
            if not current:
                raise ApplicationError(f"Pemohon belum memiliki sertifikat {service.name} yang aktif untuk "
                                       f"{MAINTAINS[outcome]}; pilih keputusan lain.")
            inputs["sertifikat_dipelihara"] = [c["number"] for c in current]
        context = case_context(conn, rt, dossier, service, extra_data=inputs)
        data = context["data"]
        kept = store.certificates_by_number(conn, data.get("sertifikat_dipelihara") or [])
        today = local_date(db.now())
        holders = []
        if any(w["kind"] == "sertifikat" for w in step.writes):
            holders = (_renewed(service, context, kept, today) if data.get("keputusan") == "resertifikasi"
                       else _holders(conn, rt, dossier, service, context, today))
        elif store.certificates_of(conn, dossier["id"]):
            _registered(context, store.certificates_of(conn, dossier["id"]))
        if kept:
            surveyed = outcome == "pemeliharaan"
            context["maintained"] = register.maintained(conn, kept, today, surveyed_now=surveyed)
    specs = [{**w, "template": str(service.template(w["template"], rt.settings.templates_dir))} for w in step.writes]
    generated = render_dossier_documents(rt, dossier, None, {}, specs, extra=context) if specs else []
    if generated:
        _make_pdfs(rt, dossier["id"], generated)
    target = following.id if following else FINAL
    with rt.engine.begin() as conn:
        moved = conn.execute(update(db.dossiers).where(
            db.dossiers.c.id == dossier["id"], db.dossiers.c.status == step.id).values(
            status=target, updated_at=db.now())).rowcount
        if not moved:
            raise ApplicationError(f"Berkas {number} sudah diubah orang lain; muat ulang halaman.")
        store.add_step_data(conn, dossier["id"], inputs)
        record_generated(conn, dossier["id"], generated)
        if outcome == "pemeliharaan":
            for c in kept:
                store.add_history(conn, c["number"], dossier["id"], kind="survailen", done_on=today,
                                  note=f"Keputusan Komite Evaluasi pada berkas {number}: pemeliharaan.")
        if holders and data.get("keputusan") == "resertifikasi":
            cert = context["certificate"]
            for h in holders:
                store.renew_certificate(conn, h["number"], dossier_id=dossier["id"], issue_date=cert["issue_date"],
                                        expiry_date=cert["expiry_date"],
                                        surveillance_dates=[d.isoformat() for d in cert["surveillance_dates"]])
                store.add_history(conn, h["number"], dossier["id"], kind="resertifikasi", done_on=today,
                                  note=f"Berlaku sampai {cert['expiry_date']}.")
        elif holders:
            cert = context["certificate"]
            app = store.application(conn, dossier["id"])
            store.register_certificates(conn, [{
                "number": h["number"], "token": h["token"], "dossier_id": dossier["id"], "service": service.kind,
                "customer_id": app["customer_id"] if app else None, "holder": h["name"],
                "standard": cert.get("standard", ""), "scope": h["scope"], "site": h["site"],
                "issue_date": cert["issue_date"], "expiry_date": cert["expiry_date"],
                "surveillance_dates": [d.isoformat() for d in cert["surveillance_dates"]], "status": "aktif"}
                for h in holders])
        store.record_holder_niks(conn, {**learned, **{h["number"]: h.get("nik", "") for h in holders}})
        if outcome in REGISTER_EFFECT:
            # a committee suspends or withdraws the customer's certificates of this service
            for cert in current:
                store.set_certificate_status(conn, cert["number"], REGISTER_EFFECT[outcome],
                                             f"Keputusan Komite Evaluasi pada berkas {number} ({outcome}).")
        if step.mail:
            subject, body = render_email(step.mail, context)
            thread = dossier["thread_message_id"] or ""
            enqueue(conn, key=f"langkah:{step.id}:{dossier['id']}", to=[context["customer"]["email"]],
                    subject=reply_subject(number, dossier["subject"], subject), body=body,
                    sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=dossier["id"],
                    in_reply_to=thread, references=[thread] if thread else [],
                    attachments=[str(g["pdf"] or g["docx"]) for g in generated], automatic=False)
        if step.moved_by_mail:
            # the officer completing the step has dealt with the mail that moves it (payment proof)
            store.close_thread_items(conn, dossier["id"], step.moved_by_mail, handled_by=officer)
        if step.waits_for:
            clock.resume(rt, conn, dossier["id"])
        if following is not None and following.waits_for:
            clock.wait_for(rt, conn, service, dossier["id"], following.waits_for)
        if target == FINAL:
            clock.stop(rt, conn, dossier["id"])
        db.record_event(conn, "langkah_selesai", actor=officer, dossier_id=dossier["id"],
                        before=step.id, after=target, peran=step.role, keputusan=outcome,
                        dokumen=[g["kind"] for g in generated], isian=sorted(inputs))
    return target


CORRECTIVE_ACTION = "tindakan_perbaikan"     # the pause reason of open nonconformities


def _make_pdfs(rt, dossier_id: int, generated: list[dict]) -> None:
    """PDFs of the step's documents before its mail is queued, so the applicant gets PDFs:
    the files are registered as generated, then converted through the claimed conversion path
    (write/dossier.convert_pending); where LibreOffice is off or fails, the DOCX goes instead and
    the next pass converts it."""
    from pipelines.process import record_generated
    from pipelines.write.dossier import convert_pending
    from pipelines.write.pdf import libreoffice_available

    if not (rt.settings.convert_pdf and libreoffice_available()):
        return
    with rt.engine.begin() as conn:
        record_generated(conn, dossier_id, generated)
    convert_pending(rt, dossier_ids=[dossier_id])
    with rt.engine.connect() as conn:
        made = dict(conn.execute(select(db.generated_files.c.kind, db.generated_files.c.pdf_path).where(
            db.generated_files.c.dossier_id == dossier_id)).all())
    for g in generated:
        g["pdf"] = made.get(g["kind"]) or None


def record_nonconformity(rt, number: str, *, grade: str, clause: str, description: str,
                         due_date: date, officer: str) -> str:
    if grade not in ("mayor", "minor"):
        raise ApplicationError("Kategori ketidaksesuaian harus mayor atau minor.")
    dossier, service = _load(rt, number)
    with rt.engine.begin() as conn:
        nc = store.add_nonconformity(conn, dossier["id"], grade=grade, clause=clause,
                                     description=description, due_date=due_date, raised_by=officer)
        db.record_event(conn, "ketidaksesuaian_dicatat", actor=officer, dossier_id=dossier["id"],
                        nomor=nc, kategori=grade, batas=due_date)
        # an open nonconformity waits on the applicant's corrective action: the clock pauses
        if CORRECTIVE_ACTION in service.pause_reasons and clock.figures(rt, conn, service, dossier["id"]).state == "berjalan":
            clock.pause(rt, conn, dossier["id"], CORRECTIVE_ACTION)
    return nc


def close_nonconformity(rt, number: str, nc_number: str, *, officer: str, evidence: str) -> None:
    dossier, service = _load(rt, number)
    with rt.engine.begin() as conn:
        if not store.close_nonconformity(conn, dossier["id"], nc_number, closed_by=officer, evidence=evidence):
            raise ApplicationError(f"Ketidaksesuaian {nc_number} tidak ada atau sudah ditutup.")
        db.record_event(conn, "ketidaksesuaian_ditutup", actor=officer, dossier_id=dossier["id"], nomor=nc_number)
        # closing the last open one resumes a clock paused for corrective action (not another pause)
        figures = clock.figures(rt, conn, service, dossier["id"])
        if not store.open_nonconformities(conn, dossier["id"]) and figures.state == "dijeda" \
                and figures.pause_reason == CORRECTIVE_ACTION:
            clock.resume(rt, conn, dossier["id"])


def clock_figures(rt, number: str) -> clock.ClockFigures:
    dossier, service = _load(rt, number)
    with rt.engine.connect() as conn:
        return clock.figures(rt, conn, service, dossier["id"])
