"""Applications at the officers' desk (Process B): cases per step, one case's page, the audit
team, audit dates, nonconformities, recommendation, committee decision, signing and hand-over,
desk entry of an application that came by post, at the counter or on the web, and the
certificate register.

Every step moves through `walk.advance` (documents, mail in the thread, clock); this module only
gathers what the officer chose and shows what the case records. `enter_application` turns what
the officer typed and the scanned files into a mail of the "loket" mailbox and hands it to the
desk's own "mail to dossier" path, so a desk entry follows exactly the path of an emailed
application. Mounted by the desk app with one include; the desk lends its login, role, CSRF,
flash and page helpers.

    GET  /permohonan                      open cases per step; ?peran=<step role>, ?saya=1 my cases
    GET  /permohonan/baru, POST           desk entry
    GET  /permohonan/{number}             the case page
    POST /permohonan/{number}/tim         audit team from the staff list
    POST /permohonan/{number}/jadwal      audit dates
    POST /permohonan/{number}/ketidaksesuaian, .../ketidaksesuaian/{nc}/tutup
    POST /permohonan/{number}/langkah     complete the current step
    GET  /register-sertifikat             the certificate register; POST .../status; GET .../certsearch.xlsx
"""
from __future__ import annotations

import io
import tempfile
import zipfile
from collections import Counter
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import insert, or_, select
from starlette.concurrency import run_in_threadpool

from pipelines import db
from pipelines.applications import certsearch, clock, doctypes, register, store, wording
from pipelines.applications.models import applications, customers, nonconformities
from pipelines.applications.thread import answer_question, handle
from pipelines.applications.walk import (ApplicationError, advance, audit_team_refusals, close_nonconformity,
                                         is_application, record_nonconformity, staff)
from pipelines.calendar import local_date
from pipelines.clock.flags import queue_flags
from pipelines.complaints.staff import competences_of
from pipelines.desk import words
from pipelines.desk.offload import posted_form
from pipelines.mail.ingest import store_raw
from pipelines.read.names import sanitise_filename
from pipelines.services import role_labels
from pipelines.write.words import format_date_id

CHANNELS = {"loket": "Loket (datang langsung)", "pos": "Pos / jasa kiriman", "web": "Unggahan web",
            "surel": "Surel"}
DESK_CHANNELS = ("loket", "pos", "web")
REGISTER_PAGE = 50   # certificates a page of the register shows
FIELDS = [("name", "Nama perusahaan / pemohon", "Nama Perusahaan"), ("nib", "NIB", "NIB"),
          ("address", "Alamat", "Alamat"), ("contact", "Narahubung", "Narahubung"),
          ("phone", "Telepon", "Telepon"), ("scope", "Ruang lingkup / produk", "Ruang Lingkup")]
DESK_MAILBOX = "loket"
OUTCOME_LABELS = {"pemberian": "Pemberian sertifikat", "pemeliharaan": "Pemeliharaan sertifikat",
                  "perluasan": "Perluasan ruang lingkup", "penundaan": "Pembekuan sertifikat",
                  "pencabutan": "Pencabutan sertifikat"}
GRADE_LABELS = {"mayor": "Mayor", "minor": "Minor"}
CLOCK_STATE_LABELS = {"belum": "belum berjalan", "berjalan": "berjalan", "dijeda": "dijeda", "selesai": "selesai"}
# Where a case records the people of its decision (applications.data); an appeal refuses them.
PEOPLE_KEYS = {"tim": "Tim audit", "tim_evaluasi": "Tim Evaluasi Teknis", "komite": "Komite Evaluasi"}
REGISTER_EDITORS = ("pejabat", "admin")     # who may suspend, withdraw or reinstate a certificate


# ---------------------------------------------------------------- desk entry

def enter_application(rt, *, kind: str, channel: str, email: str, fields: dict, files: dict[str, bytes],
                      officer: str) -> str:
    """Record an application brought by post, at the counter or on the web; returns its number."""
    from pipelines.desk.actions import mail_to_dossier
    service = rt.services.get(kind)
    if service is None or not is_application(service):
        raise ApplicationError("Pilih layanan sertifikasi.")
    if channel not in DESK_CHANNELS:
        raise ApplicationError("Pilih saluran: loket, pos atau web.")
    if "@" not in (email or "") or not (fields.get("name") or "").strip():
        raise ApplicationError("Nama pemohon dan alamat surel pemohon wajib diisi (tanda terima dikirim ke sana).")
    msg = EmailMessage()
    msg["From"] = formataddr((fields.get("contact") or fields["name"], email.strip()))
    msg["To"] = rt.settings.office.email
    msg["Subject"] = f"Permohonan {service.name} ({CHANNELS[channel]}) - {fields['name'].strip()}"
    msg["Message-ID"] = make_msgid(domain=rt.settings.sender.split("@", 1)[1])
    msg["X-Sertiflow-Saluran"] = channel
    lines = [f"{label} : {fields[key].strip()}" for key, _, label in FIELDS if (fields.get(key) or "").strip()]
    msg.set_content("Permohonan dicatat petugas " + officer + " dari " + CHANNELS[channel] + ".\n\n" + "\n".join(lines) + "\n")
    for name, data in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=sanitise_filename(name))
    raw = msg.as_bytes()
    fingerprint, path = store_raw(raw, rt.settings.outputs_dir)
    with rt.engine.begin() as conn:
        mail_id = conn.execute(insert(db.mails).values(
            mailbox=DESK_MAILBOX, uidvalidity=0, uid=fingerprint, message_id=msg["Message-ID"],
            fingerprint=fingerprint, raw_path=str(path), from_addr=email.strip(), subject=msg["Subject"],
            received_at=db.now(), state="done", classification="unclassified")).inserted_primary_key[0]
        db.record_event(conn, "permohonan_dicatat_petugas", actor=officer, mail_id=mail_id, saluran=channel,
                        layanan=kind)
    return mail_to_dossier(rt, mail_id, kind, officer)


# ---------------------------------------------------------------- who is who

def names_of(user) -> set[str]:
    """The staff-list names of a desk user: the entry with their account, else their full name."""
    return {s.name for s in staff().values() if s.username and s.username == user.username} | {user.full_name}


def is_mine(data: dict, actors: set[str], user) -> bool:
    """A case is the user's when they are on its audit team, evaluation team or committee, or
    acted on it at the desk."""
    names = names_of(user)
    people = {n for key in PEOPLE_KEYS for n in (data.get(key) or [])}
    return bool(names & people) or user.username in actors


def assign_team(rt, number: str, names: list[str], officer: str) -> list[str]:
    """Record the audit team (chair first) on the case; refused with every reason."""
    dossier, service = _case(rt, number)
    names = [n for n in names if n]
    with rt.engine.begin() as conn:
        problems = audit_team_refusals(conn, service, dossier, names)
        if problems:
            db.record_event(conn, "tim_audit_ditolak", actor=officer, dossier_id=dossier["id"], tim=names,
                            alasan=problems)
        else:
            store.add_step_data(conn, dossier["id"], {"tim": names})
            db.record_event(conn, "tim_audit_ditetapkan", actor=officer, dossier_id=dossier["id"], tim=names)
    if problems:
        raise ApplicationError(" ".join(problems))
    return names


def record_audit_dates(rt, number: str, stage1: str, stage2: str, officer: str) -> None:
    """Record the schedule's two dates, named in messages as the service names them."""
    dossier, service = _case(rt, number)
    first_name, second_name = wording.schedule_names(service)
    try:
        first, second = date.fromisoformat(stage1), date.fromisoformat(stage2)
    except ValueError:
        raise ApplicationError(f"Tanggal {first_name} dan tanggal {second_name} wajib diisi (tanggal yang sah).") from None
    if second < first:
        raise ApplicationError(f"{wording.capitalised(second_name)} tidak boleh sebelum {first_name}.")
    with rt.engine.begin() as conn:
        store.add_step_data(conn, dossier["id"], {"tanggal_audit_tahap1": first.isoformat(),
                                                  "tanggal_audit_tahap2": second.isoformat()})
        db.record_event(conn, "jadwal_audit_dicatat", actor=officer, dossier_id=dossier["id"],
                        tahap1=first, tahap2=second)


def _item_of(rt, number: str, item_id: int) -> int:
    """The thread item, if it belongs to this case (a form posted for another case is refused)."""
    dossier, _ = _case(rt, number)
    with rt.engine.connect() as conn:
        item = store.thread_item(conn, item_id)
    if item is None or item["dossier_id"] != dossier["id"]:
        raise ApplicationError("Surel ini bukan bagian dari permohonan ini.")
    return item_id


def _case(rt, number: str):
    with rt.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, number)
    service = rt.services.get(dossier["kind"]) if dossier is not None else None
    if service is None or not is_application(service):
        raise HTTPException(404)
    return dict(dossier), service


# ---------------------------------------------------------------- what the pages show

def cases_by_step(rt, *, role: str = "", user=None) -> list[dict]:
    """Open application cases grouped by the step they wait in (in the services' step order):
    [{step, label, role, role_label, cases: [...]}]; `role` keeps the steps of that role,
    `user` only that user's cases."""
    labels = role_labels()
    kinds = [k for k, s in rt.services.items() if is_application(s)]
    groups: dict[str, dict] = {}
    with rt.engine.connect() as conn:
        rows = conn.execute(select(db.dossiers).where(db.dossiers.c.kind.in_(kinds),
                                                      db.dossiers.c.status != "selesai")
                            .order_by(db.dossiers.c.id)).mappings().all()
        ids = [r["id"] for r in rows]
        apps = {a["dossier_id"]: a for a in conn.execute(select(applications).where(
            applications.c.dossier_id.in_(ids))).mappings()} if ids else {}
        holders = {c["id"]: c for c in conn.execute(select(customers).where(
            customers.c.id.in_([a["customer_id"] for a in apps.values() if a["customer_id"]])))
            .mappings()} if apps else {}
        actors: dict[int, set[str]] = {}
        if user is not None and ids:
            for dossier_id, actor in conn.execute(select(db.events.c.dossier_id, db.events.c.actor)
                                                  .where(db.events.c.dossier_id.in_(ids)).distinct()):
                actors.setdefault(dossier_id, set()).add(actor)
        flags = queue_flags(rt, conn, clock.CASE_TYPE, ids)   # near or past a deadline (clock engine)
        case_figures = clock.figures_of_cases(rt, conn, {r["id"]: rt.services[r["kind"]] for r in rows})
        waiting_mail = Counter(item["dossier_id"] for item in store.thread_items_of(conn))
        for row in rows:
            service = rt.services[row["kind"]]
            step = service.step(row["status"])
            step_role = step.role if step else ""
            if role and step_role != role:
                continue
            app = apps.get(row["id"]) or {}
            if user is not None and not is_mine(app.get("data") or {}, actors.get(row["id"], set()), user):
                continue
            customer = holders.get(app.get("customer_id"))
            order = [s.id for s in service.steps].index(step.id) if step else 999
            group = groups.setdefault(row["status"], {
                "step": row["status"], "label": step.label if step else row["status"], "order": order,
                "role": step_role, "role_label": labels.get(step_role, step_role), "cases": []})
            group["cases"].append({
                "number": row["number"], "service": service.name, "received_at": db.aware(row["received_at"]),
                "customer": customer["name"] if customer else row["sender"], "scope": app.get("scope") or "",
                "promised": case_figures[row["id"]].promised_date, "clock": case_figures[row["id"]],
                "due_date": row["due_date"],
                "flag": flags.get(str(row["id"])), "waiting_mail": waiting_mail.get(row["id"], 0)})
    return sorted(groups.values(), key=lambda g: (g["order"], g["label"]))


def step_roles(rt) -> dict[str, str]:
    """Roles that act in application steps, for the role filter."""
    labels = role_labels()
    roles = {s.role for svc in rt.services.values() if is_application(svc) for s in svc.steps
             if s.role not in ("sistem",)}
    return {r: labels.get(r, r) for r in sorted(roles, key=lambda r: labels.get(r, r))}


def _pauses(log: list[dict], reasons: dict[str, str]) -> list[dict]:
    """The clock log as pauses: reason, from, until (None while it lasts)."""
    from pipelines.clock.engine import PAUSED, RESUMED, STOPPED
    pauses = []
    for e in log:
        if e["kind"] == PAUSED:
            pauses.append({"reason": reasons.get(e["reason"], words.spelled(e["reason"])),
                           "since": db.aware(e["at"]), "until": None})
        elif e["kind"] in (RESUMED, STOPPED) and pauses and pauses[-1]["until"] is None:
            pauses[-1]["until"] = db.aware(e["at"])
    return pauses


def _history(service, events: list[dict]) -> list[dict]:
    """Events with Indonesian labels; step ids, roles and outcomes in the words officers use."""
    labels = role_labels()

    def step_label(step_id):
        step = service.step(step_id)
        return step.label if step else ("Selesai" if step_id == "selesai" else words.spelled(step_id))

    names = wording.titles(service)
    team, first, second = names["team"], *wording.schedule_names(service)
    # events of the team, the schedule and thread mail, in the service's own words
    own_labels = {"tim_audit_ditetapkan": f"{team} ditetapkan", "tim_audit_ditolak": f"Usulan {team.lower()} ditolak",
                  "jadwal_audit_dicatat": f"{names['schedule']} dicatat",
                  **{f"surel_{kind}": f"{label} diterima" for kind, label in wording.followup_labels(service).items()}}
    out = []
    for e in events:
        detail = dict(e["detail"] or {})
        label = own_labels.get(e["action"]) or words.event_label(e["action"])
        if "tahap1" in detail or "tahap2" in detail:
            detail = {{"tahap1": first, "tahap2": second}.get(k, k): v for k, v in detail.items()}
        if e["action"] == "langkah_selesai":
            label = f"{label}: {step_label(e['status_before'])} → {step_label(e['status_after'])}"
        for key in ("langkah", "berikutnya"):
            if key in detail:
                detail[key] = step_label(detail[key])
        if detail.get("peran"):
            detail["peran"] = labels.get(detail["peran"], detail["peran"])
        if detail.get("keputusan"):
            detail["keputusan"] = OUTCOME_LABELS.get(detail["keputusan"], detail["keputusan"])
        if detail.get("kategori"):
            detail["kategori"] = GRADE_LABELS.get(detail["kategori"], detail["kategori"])
        for key in ("layanan", "jenis"):
            if detail.get(key) == service.kind:
                detail[key] = service.name
        for key, value in detail.items():
            day = _iso_date(value) if isinstance(value, str) and len(value) == 10 else None
            if day is not None:
                detail[key] = format_date_id(day)
        detail = {k: v for k, v in detail.items() if k != "isian" and v not in ("", None, [], {})}
        out.append({"at": db.aware(e["at"]), "actor": e["actor"], "label": label, "details": words.details(detail)})
    return out


def case_view(rt, number: str) -> dict:
    dossier, service = _case(rt, number)
    doctypes.type_older_documents(rt, dossier, service)     # a case from before types were recorded
    labels = role_labels()
    with rt.engine.connect() as conn:
        did = dossier["id"]
        app = store.application(conn, did)
        customer = store.customer(conn, app["customer_id"]) if app else None
        other_cases = []
        if customer is not None:
            other_cases = [r for r in conn.execute(
                select(db.dossiers.c.number, db.dossiers.c.kind, db.dossiers.c.status)
                .select_from(db.dossiers.join(applications, applications.c.dossier_id == db.dossiers.c.id))
                .where(applications.c.customer_id == customer["id"], db.dossiers.c.id != did)
                .order_by(db.dossiers.c.id)).mappings()]
        findings = [dict(f) for f in conn.execute(select(db.findings).where(db.findings.c.dossier_id == did)
                                                  .order_by(db.findings.c.id)).mappings()]
        documents = [dict(d) for d in conn.execute(select(db.documents).where(db.documents.c.dossier_id == did)
                                                   .order_by(db.documents.c.id)).mappings()]
        generated = [dict(g) for g in conn.execute(select(db.generated_files).where(
            db.generated_files.c.dossier_id == did).order_by(db.generated_files.c.id)).mappings()]
        mail_ids = select(db.mails.c.id).where(db.mails.c.dossier_id == did).scalar_subquery()
        events = [dict(e) for e in conn.execute(select(db.events).where(   # with the desk entry of its mail
            or_(db.events.c.dossier_id == did, db.events.c.mail_id.in_(mail_ids))).order_by(db.events.c.id)).mappings()]
        ncs = [dict(n) for n in conn.execute(select(nonconformities).where(
            nonconformities.c.dossier_id == did).order_by(nonconformities.c.id)).mappings()]
        figures = clock.figures(rt, conn, service, did)
        state, log = clock.detail(rt, conn, did)
        certificates = store.certificates_of(conn, did)
        thread = [dict(i) for i in store.thread_items_of(conn, dossier_id=did, open_only=False)]
    data = dict((app or {}).get("data") or {})
    step = service.step(dossier["status"])
    known = staff()
    competence = service.competence
    doc_labels = {i.get("doc_type") or i["id"]: i.get("label", i["id"]) for i in service.checklist}
    return {
        "dossier": dossier, "service": service, "step": step,
        "role_label": labels.get(step.role, step.role) if step else "",
        "steps": [{"id": s.id, "label": s.label, "role": labels.get(s.role, s.role), "current": s.id == dossier["status"]}
                  for s in service.steps if s.role != "sistem" or s.id == "selesai"],
        "application": app, "channel": CHANNELS.get((app or {}).get("channel", ""), (app or {}).get("channel", "")),
        "customer": customer, "other_cases": other_cases, "data": data,
        "findings": findings, "documents": documents, "generated": generated,
        "nonconformities": ncs, "open_ncs": [n for n in ncs if n["closed_at"] is None],
        "figures": figures, "clock": state, "pauses": _pauses(log, service.pause_reasons),
        "history": _history(service, events), "certificates": certificates,
        "team": [_person(known[n]) if n in known else {"name": n, "position": "-", "competences": "-"}
                 for n in data.get("tim") or []],
        "staff": [_person(p, competence) for p in sorted(known.values(),
                                                        key=lambda p: (competence not in p.competences, p.name))],
        "audit_dates": [_iso_date(data.get("tanggal_audit_tahap1")), _iso_date(data.get("tanggal_audit_tahap2"))],
        "used": _amount(state, state.used) if state else "-", "left": _amount(state, state.left) if state else "-",
        "titles": wording.titles(service),
        "followup_labels": wording.followup_labels(service),
        "generated_labels": wording.generated_labels(service),
        "competence": competence, "competence_label": competences_of().get(competence, competence),
        "competences": competences_of(),
        "step_inputs": [i for i in (step.inputs if step else []) if i["id"] not in ("tim", *wording.SCHEDULE_INPUTS)],
        "needs_team": bool(step and any(i["id"] == "tim" for i in step.inputs)),
        "outcomes": [(o, OUTCOME_LABELS.get(o, words.spelled(o))) for o in (step.outcomes if step else [])],
        "people_key": {"tim_evaluasi": "tim_evaluasi", "komite": "komite"}.get(step.role) if step else None,
        "doc_labels": doc_labels,
        "thread_open": [i for i in thread if i["handled_at"] is None],
        "thread_done": [i for i in thread if i["handled_at"] is not None],
        "role_labels": labels,
    }


def _person(person, competence: str = "") -> dict:
    labels = competences_of()
    return {"name": person.name, "position": person.position, "competent": competence in person.competences,
            "competences": ", ".join(labels.get(c, c) for c in person.competences) or "-"}


def _case_titles(rt, number: str) -> dict:
    with rt.engine.connect() as conn:
        dossier = db.dossier_by_number(conn, number)
    service = rt.services.get(dossier["kind"]) if dossier else None
    return wording.titles(service) if service else {"team": "Tim audit", "schedule": "Jadwal audit"}


def _iso_date(value) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _amount(state, value: float) -> str:
    """A clock amount in its unit, the Indonesian way ("3,5 hari kerja", "2 jam 30 menit kerja")."""
    if state.unit == "working_days":
        return f"{value:.1f}".replace(".", ",").replace(",0", "") + " hari kerja"
    sign, value = ("-" if value < 0 else ""), abs(value)
    return f"{sign}{int(value // 60)} jam {int(round(value % 60))} menit kerja"


def complete_step(rt, number: str, form: dict, people: list[str], officer: str) -> str:
    """Complete the case's current step with what the page's form gave: the step's own inputs,
    the decision, and the evaluators or committee members; the team and dates saved before."""
    dossier, service = _case(rt, number)
    step = service.step(dossier["status"])
    with rt.engine.connect() as conn:
        data = dict((store.application(conn, dossier["id"]) or {}).get("data") or {})
    inputs = {i["id"]: form.get(i["id"], "").strip() for i in (step.inputs if step else []) if form.get(i["id"], "").strip()}
    for key in ("tim", "tanggal_audit_tahap1", "tanggal_audit_tahap2"):
        if step and any(i["id"] == key for i in step.inputs) and data.get(key):
            inputs[key] = data[key]
    key = {"tim_evaluasi": "tim_evaluasi", "komite": "komite"}.get(step.role if step else "")
    if key:
        unknown = [n for n in people if n not in staff()]
        if not people or unknown:
            raise ApplicationError(f"Pilih anggota {PEOPLE_KEYS[key]} dari daftar personel.")
        inputs[key] = people
    return advance(rt, number, officer=officer, inputs=inputs, outcome=form.get("keputusan", ""))


# ---------------------------------------------------------------- routes

def applications_router(rt, *, require, csrf_check, csrf_for, redirect, render) -> APIRouter:
    """`require(*roles)`, `csrf_check`, `csrf_for`, `redirect(url, message, kind)` and
    `render(request, template, **context)` are the desk app's own."""
    from pipelines.send.background import wake as wake_sender
    officers, everyone = ("petugas", "admin"), ("petugas", "pejabat", "admin")
    router = APIRouter(dependencies=[Depends(csrf_check)])

    def acted(number: str, do, done: str):
        try:
            do()
        except ApplicationError as exc:
            return redirect(f"/permohonan/{number}", str(exc), "error")
        wake_sender()
        return redirect(f"/permohonan/{number}", done)

    @router.get("/permohonan")
    def list_cases(request: Request, peran: str = "", saya: str = "", user=Depends(require(*everyone))):
        groups = cases_by_step(rt, role=peran, user=user if saya else None)
        return render(request, "permohonan_daftar.html", groups=groups, roles=step_roles(rt), role=peran,
                      mine=bool(saya), total=sum(len(g["cases"]) for g in groups),
                      CLOCK_STATE_LABELS=CLOCK_STATE_LABELS)

    @router.get("/permohonan/baru")
    def new_form(request: Request, user=Depends(require(*officers))):
        services = {k: s.name for k, s in rt.services.items() if is_application(s)}
        return render(request, "permohonan_baru.html", services=services,
                      channels={k: CHANNELS[k] for k in DESK_CHANNELS}, fields=FIELDS, error=None, form={})

    @router.post("/permohonan/baru")
    async def new_entry(request: Request, user=Depends(require(*officers))):
        # async: the uploaded files are read here; the case is entered in the thread pool.
        form = await request.form()
        files = {f.filename: await f.read() for f in form.getlist("berkas") if getattr(f, "filename", "")}
        try:
            number = await run_in_threadpool(lambda: enter_application(
                rt, kind=str(form.get("layanan", "")), channel=str(form.get("saluran", "")),
                email=str(form.get("email", "")), fields={k: str(form.get(k, "")) for k, _, _ in FIELDS},
                files=files, officer=user.username))
        except ApplicationError as exc:
            services = {k: s.name for k, s in rt.services.items() if is_application(s)}
            return render(request, "permohonan_baru.html", status_code=400, services=services,
                          channels={k: CHANNELS[k] for k in DESK_CHANNELS}, fields=FIELDS, error=str(exc),
                          form={k: str(v) for k, v in form.items() if isinstance(v, str)})
        wake_sender()
        return redirect(f"/permohonan/{number}", f"Permohonan dicatat sebagai {number}.")

    @router.get("/permohonan/{number}")
    def case_page(request: Request, number: str, user=Depends(require(*everyone))):
        return render(request, "permohonan_rinci.html", **case_view(rt, number), OUTCOME_LABELS=OUTCOME_LABELS,
                      GRADE_LABELS=GRADE_LABELS, CLOCK_STATE_LABELS=CLOCK_STATE_LABELS,
                      STATUS_LABELS_REGISTER=register.STATUS_LABELS, today=local_date(db.now()))

    @router.post("/permohonan/{number}/tim")
    def team(number: str, form=Depends(posted_form), user=Depends(require(*officers))):
        chair = form.get("ketua", "")
        members = [chair] + [m for m in form.getlist("anggota") if m != chair]
        return acted(number, lambda: assign_team(rt, number, members, user.username), f"{_case_titles(rt, number)['team']} ditetapkan.")

    @router.post("/permohonan/{number}/jadwal")
    def dates(number: str, form=Depends(posted_form), user=Depends(require(*officers))):
        return acted(number, lambda: record_audit_dates(
            rt, number, form.get("tahap1", ""), form.get("tahap2", ""), user.username), f"{_case_titles(rt, number)['schedule']} dicatat.")

    @router.post("/permohonan/{number}/ketidaksesuaian")
    def nonconformity(number: str, form=Depends(posted_form), user=Depends(require(*officers))):

        def do():
            try:
                due = date.fromisoformat(str(form.get("batas", "")))
            except ValueError:
                raise ApplicationError("Batas waktu tindakan perbaikan wajib diisi.") from None
            if not str(form.get("uraian", "")).strip():
                raise ApplicationError("Uraian ketidaksesuaian wajib diisi.")
            record_nonconformity(rt, number, grade=str(form.get("kategori", "")), clause=str(form.get("klausul", "")),
                                 description=str(form.get("uraian", "")).strip(), due_date=due, officer=user.username)
        return acted(number, do, "Ketidaksesuaian dicatat.")

    @router.post("/permohonan/{number}/ketidaksesuaian/{nc}/tutup")
    def close_nc(number: str, nc: str, form=Depends(posted_form), user=Depends(require(*officers))):

        def do():
            if len(str(form.get("bukti", "")).strip()) < 5:
                raise ApplicationError("Tuliskan bukti tindakan perbaikan yang diperiksa.")
            close_nonconformity(rt, number, nc, officer=user.username, evidence=str(form.get("bukti", "")).strip())
        return acted(number, do, f"Ketidaksesuaian {nc} ditutup.")

    @router.post("/permohonan/{number}/langkah")
    def step(number: str, form=Depends(posted_form), user=Depends(require(*officers))):
        people = form.getlist("orang")
        values = dict(form.items())
        return acted(number, lambda: complete_step(rt, number, values, people, user.username), "Langkah selesai.")

    @router.post("/permohonan/{number}/surel/{item_id}/jawab")
    def answer(number: str, item_id: int, form=Depends(posted_form), user=Depends(require(*officers))):
        return acted(number, lambda: answer_question(
            rt, _item_of(rt, number, item_id), officer=user.username, answer=form.get("jawaban", "")),
            "Jawaban diantrekan untuk dikirim ke pemohon.")

    @router.post("/permohonan/{number}/surel/{item_id}/selesai")
    def handled(number: str, item_id: int, form=Depends(posted_form), user=Depends(require(*officers))):
        return acted(number, lambda: handle(
            rt, _item_of(rt, number, item_id), officer=user.username, note=form.get("catatan", "").strip()),
            "Surel ditandai sudah ditangani.")

    # ------------------------------------------------------------ certificate register

    @router.get("/register-sertifikat")
    def register_page(request: Request, status: str = "", layanan: str = "", q: str = "", halaman: str = "1",
                      user=Depends(require(*everyone))):
        rows = register.entries(rt)
        counts = {k: sum(1 for r in rows if r["status"] == k) for k in register.STATUS_LABELS}
        needle = q.strip().lower()
        rows = [r for r in rows if (not status or r["status"] == status) and (not layanan or r["service"] == layanan)
                and (not needle or needle in " ".join(str(r[k] or "") for k in ("number", "holder", "scope", "site"))
                     .lower())]
        total, pages = len(rows), max(1, -(-len(rows) // REGISTER_PAGE))
        page = min(max(1, int(halaman)) if halaman.isdigit() else 1, pages)
        rows = rows[(page - 1) * REGISTER_PAGE:page * REGISTER_PAGE]
        filters = {k: v for k, v in (("status", status), ("layanan", layanan), ("q", q)) if v}
        with rt.engine.connect() as conn:
            numbers = dict(conn.execute(select(db.dossiers.c.id, db.dossiers.c.number).where(
                db.dossiers.c.id.in_([r["dossier_id"] for r in rows]))).all()) if rows else {}
        services = {k: s.name for k, s in rt.services.items() if is_application(s)}
        shape = certsearch.layout(rt)
        return render(request, "register_sertifikat.html", rows=rows, counts=counts, status=status, layanan=layanan,
                      q=q, services=services, case_numbers=numbers, STATUS_LABELS_REGISTER=register.STATUS_LABELS,
                      can_edit=user.role in REGISTER_EDITORS, certsearch_name=shape.file_name,
                      certsearch_limit=f"{shape.max_certifications:,}".replace(",", "."),
                      total=total, page=page, pages=pages,
                      page_link=lambda n: "/register-sertifikat?" + urlencode({**filters, "halaman": n}))

    @router.post("/register-sertifikat/status")
    def change_status(form=Depends(posted_form), user=Depends(require(*REGISTER_EDITORS))):
        number = form.get("nomor", "")
        try:
            register.change_status(rt, number, form.get("status", ""), form.get("alasan", ""), user.username)
        except ApplicationError as exc:
            return redirect("/register-sertifikat", str(exc), "error")
        label = register.STATUS_LABELS.get(form.get("status", ""), "")
        return redirect("/register-sertifikat", f"Status sertifikat {number} menjadi {label}.")

    @router.get("/register-sertifikat/certsearch.{fmt}")
    def certsearch_download(fmt: str, user=Depends(require(*everyone))):
        if fmt == "csv":        # the earlier download; CertSearch takes only its .xlsx template
            return redirect("/register-sertifikat", "IAF CertSearch hanya menerima berkas Excel (.xlsx) dengan "
                            "lembar Certified Entity dan Certification; unduh berkas XLSX.", "error")
        if fmt != "xlsx":
            raise HTTPException(404)
        stem = f"{certsearch.layout(rt).file_name}_{local_date(db.now()).isoformat()}"
        with tempfile.TemporaryDirectory() as tmp:
            files = certsearch.export_certsearch_files(rt, tmp)
            if len(files) == 1:
                return Response(files[0].read_bytes(), headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
                                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            # past CertSearch's limit of certification rows per file: its numbered files, in one ZIP
            bundle = io.BytesIO()
            with zipfile.ZipFile(bundle, "w", zipfile.ZIP_DEFLATED) as archive:
                for f in files:
                    archive.write(f, f.name)
        return Response(bundle.getvalue(), media_type="application/zip",
                        headers={"Content-Disposition": f'attachment; filename="{stem}.zip"'})

    return router
