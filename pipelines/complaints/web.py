"""Complaint pages: the officers' register on the desk, and the public form with its status
lookup beside the certificate verification pages. One router, mounted by the desk app, which lends it its login, role, CSRF and flash helpers:

    app.include_router(complaints_router(rt, require=..., csrf_check=..., csrf_for=..., redirect=...))

Desk pages (login, roles as on the rest of the desk; every POST carries the desk's CSRF token):
  GET  /pengaduan                     register, running steps with due times, checks that are due
  GET  /pengaduan/baru, POST          entry of a complaint taken by telephone, walk-in, WhatsApp, LAPOR!
  GET  /pengaduan/{number}            one entry: clock, mail, team candidates with refusal reasons
  POST /pengaduan/{number}/{action}   catat, keterlibatan, investigasi, tim, pernyataan/{id}, keputusan
  POST /pengaduan/tindakan/{id}/cek   effectiveness check of a corrective action
  GET  /pengaduan/ekspor.xlsx, /pengaduan/ringkasan   register export and monthly summary

Public pages (no login; CSRF token bound to the visitor cookie; rate-limited per address):
  GET/POST /layanan-pengaduan         the web form -> tracking number (the register number)
  GET/POST /layanan-pengaduan/lacak   status by tracking number plus the email address given
"""
from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from pipelines import db
from pipelines.calendar import JAKARTA, local_date
from pipelines.complaints import clock, store
from pipelines.complaints.classify import CHANNELS, OUTCOMES, TYPES
from pipelines.complaints.decision import PUBLICITY, issue_decision
from pipelines.complaints.register import (ComplaintError, add_involved, check_effectiveness, confirm_record,
                                           record_investigation, register_entry, service)
from pipelines.complaints.staff import INVOLVEMENT_ROLES, competences_of, load_staff
from pipelines.complaints.team import candidates, confirm_declaration, form_team
from pipelines.desk import auth, words
from pipelines.desk.offload import posted_form
from pipelines.send.background import wake as wake_sender
from pipelines.write.words import format_date_id

HERE = Path(__file__).resolve().parent
OFFICERS, STAFF = ("petugas", "admin"), ("petugas", "pejabat", "admin")
PUBLIC_CHANNELS = {k: v for k, v in CHANNELS.items() if k not in ("surel", "formulir_web")}
# Public limits per client address: submissions per hour, lookups per 15 minutes.
SUBMIT_LIMIT, SUBMIT_WINDOW = 5, timedelta(hours=1)
LOOKUP_LIMIT, LOOKUP_WINDOW = 20, timedelta(minutes=15)


def _wib(value) -> str:
    if value is None:
        return "-"
    value = db.aware(value).astimezone(JAKARTA)
    return f"{format_date_id(value.date())} {value:%H.%M} WIB"


def _is_mine(conn, entry: dict, user: auth.User) -> bool:
    names = {user.full_name} | {s.name for s in load_staff() if s.username == user.username}
    if entry["recorded_by"] == user.username or entry["technical_lead"] in names:
        return True
    return bool(conn.execute(select(db.events.c.id).where(
        db.events.c.dossier_id == entry["dossier_id"], db.events.c.actor == user.username).limit(1)).first())


def complaints_router(rt, *, require, csrf_check, csrf_for, redirect) -> APIRouter:
    """`require(*roles)` (login and role dependency), `csrf_check` (router dependency refusing a
    POST without the session's or visitor's token), `csrf_for(request)` and `redirect(url,
    message, kind)` (with a flash message) are the desk app's own."""
    from pipelines.desk.app import MAIL_STATE_LABELS, ROLE_LABELS
    engine = rt.engine
    env = Environment(loader=ChoiceLoader([FileSystemLoader(HERE / "templates"),
                                           FileSystemLoader(HERE.parent / "desk" / "templates")]),
                      autoescape=select_autoescape(default=True), trim_blocks=True, lstrip_blocks=True)
    env.filters.update(wib=_wib, tanggal=lambda d: format_date_id(d) if d else "-", peristiwa=words.event_label)
    env.globals.update(TYPES=TYPES, CHANNELS=CHANNELS, OUTCOMES=OUTCOMES, PUBLICITY=PUBLICITY,
                       INVOLVEMENT_ROLES=INVOLVEMENT_ROLES, ROLE_LABELS=ROLE_LABELS, office=rt.settings.office,
                       MAIL_STATE_LABELS=MAIL_STATE_LABELS)

    def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        context.update(request=request, user=request.state.user, csrf=csrf_for(request),
                       flash=request.state.flash, path=request.url.path)
        return HTMLResponse(env.get_template(template).render(**context), status_code=status_code)

    router = APIRouter(dependencies=[Depends(csrf_check)])

    # ------------------------------------------------------------------ desk: register

    @router.get("/pengaduan")
    def register_page(request: Request, saya: str = "", user: auth.User = Depends(require(*STAFF))):
        """The register; `?saya=1`: only the entries the logged-in officer recorded, acted on or
        leads as Penanggung Jawab Teknis."""
        svc = service(rt)
        with engine.connect() as conn:
            rows = list(reversed(store.entries(conn)))
            if saya:
                rows = [r for r in rows if _is_mine(conn, r, user)]
            running = clock.figures_of(rt, conn, [r["number"] for r in rows], open_only=True)
            for row in rows:
                row["running"] = (running.get(row["number"]) or [None])[-1]
            due = store.actions_due(conn, local_date(db.now()))
        return render(request, "pengaduan_daftar.html", rows=rows, due=due, statuses=svc.statuses,
                      month=local_date(db.now()).strftime("%Y-%m"), mine=bool(saya))

    @router.get("/pengaduan/baru")
    def new_page(request: Request, user: auth.User = Depends(require(*OFFICERS))):
        return render(request, "pengaduan_baru.html", channels=PUBLIC_CHANNELS, form={}, error=None)

    @router.post("/pengaduan/baru")
    def new_entry(request: Request, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            entry = register_entry(
                rt, channel=form.get("saluran", ""), text=form.get("isi", ""), actor=user.username,
                name=form.get("nama", ""), email=form.get("surel", ""), phone=form.get("telepon", ""),
                organisation=form.get("organisasi", ""), anonymous=form.get("anonim") == "1",
                subject=form.get("perihal", ""), entry_type=form.get("jenis") or None,
                target=form.get("sasaran", ""))
        except ComplaintError as exc:
            return render(request, "pengaduan_baru.html", status_code=400, channels=PUBLIC_CHANNELS,
                          form=form, error=str(exc))
        wake_sender()
        return redirect(f"/pengaduan/{entry['number']}", f"Pengaduan dicatat dengan nomor {entry['number']}.")

    @router.get("/pengaduan/ekspor.xlsx")
    def export(user: auth.User = Depends(require(*STAFF))):
        from pipelines.complaints.report import register_xlsx
        data = register_xlsx(rt)
        return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        headers={"Content-Disposition": "attachment; filename=rekaman-keluhan-dan-banding.xlsx",
                                 "Cache-Control": "private, no-store"})

    @router.get("/pengaduan/ringkasan")
    def summary_page(request: Request, bulan: str = "", user: auth.User = Depends(require(*STAFF))):
        from pipelines.complaints.report import monthly_summary
        try:
            year, month = (int(x) for x in bulan.split("-")) if bulan else (local_date(db.now()).year,
                                                                          local_date(db.now()).month)
            summary = monthly_summary(rt, year, month)
        except ValueError:
            raise HTTPException(404)
        return render(request, "pengaduan_ringkasan.html", summary=summary)

    @router.post("/pengaduan/tindakan/{action_id}/cek")
    def action_check(action_id: int, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            check_effectiveness(rt, action_id, user.username, form.get("efektif") == "1", form.get("catatan", ""))
        except ComplaintError as exc:
            return redirect("/pengaduan", str(exc), "error")
        return redirect("/pengaduan", "Cek efektivitas dicatat.")

    # ------------------------------------------------------------------ desk: one entry

    @router.get("/pengaduan/{number}")
    def entry_page(request: Request, number: str, matter: str = "", user: auth.User = Depends(require(*STAFF))):
        svc = service(rt)
        with engine.connect() as conn:
            entry = store.entry_by_number(conn, number)
            if entry is None:
                raise HTTPException(404)
            figures = clock.figures(rt, conn, entry)
            running = next((f.step for f in figures if f.stopped_at is None), None)
            team = store.team(conn, entry["id"])
            involved = store.involved(conn, entry["id"])
            actions = store.actions(conn, entry["id"])
            mails = [dict(r) for r in conn.execute(db.outbox.select().where(
                db.outbox.c.dossier_id == entry["dossier_id"]).order_by(db.outbox.c.id)).mappings()]
            generated = [dict(r) for r in conn.execute(db.generated_files.select().where(
                db.generated_files.c.dossier_id == entry["dossier_id"]).order_by(db.generated_files.c.id)).mappings()]
            events = [dict(r) for r in conn.execute(db.events.select().where(
                db.events.c.dossier_id == entry["dossier_id"]).order_by(db.events.c.id)).mappings()]
        competences = competences_of()
        matter = matter if matter in competences else next(iter(competences), "")
        pool = candidates(rt, number, matter) if running == "tim_banding" and entry["type"] == "banding" and \
            not team and matter else []
        return render(request, "pengaduan_rinci.html", entry=entry, figures=figures, running=running, team=team,
                      involved=involved, actions=actions, mails=mails, generated=generated, events=events,
                      statuses=svc.statuses, staff=load_staff(), competences=competences, matter=matter,
                      pool=pool, today=local_date(db.now()))

    def act(form, number: str, do, done: str):
        """Run an officer's action (in the thread pool: the routes are plain `def`; a decision
        letter waits on LibreOffice), then let the desk's sender send the mail it queued."""
        try:
            do(form)
        except ComplaintError as exc:
            return redirect(f"/pengaduan/{number}", str(exc), "error")
        wake_sender()
        return redirect(f"/pengaduan/{number}", done)

    @router.post("/pengaduan/{number}/catat")
    def record(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        return act(form, number, lambda f: confirm_record(
            rt, number, user.username, entry_type=f.get("jenis", ""), technical_lead=f.get("pjt", ""),
            target=f.get("sasaran"), organisation=f.get("organisasi")),
            "Dicatat dan diteruskan ke Penanggung Jawab Teknis.")

    @router.post("/pengaduan/{number}/keterlibatan")
    def involvement(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        return act(form, number, lambda f: add_involved(rt, number, f.get("pegawai", ""), f.get("peran", ""),
                                                        user.username), "Keterlibatan dicatat.")

    @router.post("/pengaduan/{number}/investigasi")
    def investigation(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        def do(f):
            actions = []
            if f.get("tindakan", "").strip():
                try:
                    check_on = date.fromisoformat(f.get("cek_pada", ""))
                except ValueError:
                    raise ComplaintError("Tanggal cek efektivitas tidak sah.")
                actions.append((f["tindakan"], f.get("penanggung_jawab", ""), check_on))
            record_investigation(rt, number, user.username, cause=f.get("penyebab", ""),
                                 correction=f.get("perbaikan", ""), actions=actions)
        return act(form, number, do, "Hasil investigasi dicatat.")

    @router.post("/pengaduan/{number}/tim")
    def team_route(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        return act(form, number, lambda f: form_team(
            rt, number, user.username, matter=f.get("materi", ""), chair_id=f.get("ketua", ""),
            member_ids=[f.get("anggota1", ""), f.get("anggota2", ""), f.get("anggota3", "")]),
            "Tim Penyelesaian Banding dibentuk; pernyataan ketidakberpihakan diterbitkan.")

    @router.post("/pengaduan/{number}/pernyataan/{staff_id}")
    def declaration(number: str, staff_id: str, form=Depends(posted_form),
                    user: auth.User = Depends(require(*OFFICERS))):
        return act(form, number, lambda f: confirm_declaration(rt, number, staff_id, user.username),
                   "Pernyataan ketidakberpihakan dicatat.")

    @router.post("/pengaduan/{number}/keputusan")
    def decision(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        return act(form, number, lambda f: issue_decision(
            rt, number, user.username, outcome=f.get("hasil", ""), decision_text=f.get("keputusan", ""),
            publicity=f.get("publikasi", ""), publicity_reason=f.get("alasan_publikasi", "")),
            "Surat keputusan diterbitkan dan dikirim; pengaduan ditutup.")

    # ------------------------------------------------------------------ public

    def client_ip(request: Request) -> str:
        return request.client.host if request.client else "-"

    def over_limit(request: Request, kind: str, limit: int, window: timedelta) -> bool:
        """Count this request; True when the address already used up its allowance."""
        ip = client_ip(request)
        with engine.begin() as conn:
            if store.count_hits(conn, ip, kind, db.now() - window) >= limit:
                return True
            store.add_hit(conn, ip, kind, db.now() - timedelta(days=1))
        return False

    def public(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        response = render(request, template, status_code, **context)
        response.headers["X-Robots-Tag"] = "noindex"
        return response

    @router.get("/layanan-pengaduan")
    def public_form(request: Request):
        return public(request, "publik_formulir.html", form={}, error=None, entry=None)

    @router.post("/layanan-pengaduan")
    def public_submit(request: Request, form=Depends(posted_form)):
        if over_limit(request, "kirim", SUBMIT_LIMIT, SUBMIT_WINDOW):
            return public(request, "publik_formulir.html", status_code=429, form=form, entry=None,
                          error="Terlalu banyak pengaduan dari alamat ini dalam satu jam. Silakan coba lagi nanti "
                                "atau hubungi kami melalui telepon atau surel.")
        if form.get("situs"):      # a field people never see: only robots fill it in
            return public(request, "publik_formulir.html", status_code=400, form={}, entry=None,
                          error="Pengaduan tidak dapat diterima.")
        anonymous = form.get("anonim") == "1"
        if not anonymous and not form.get("surel", "").strip():
            return public(request, "publik_formulir.html", status_code=400, form=form, entry=None,
                          error="Isi alamat surel agar kami dapat menjawab, atau pilih pengaduan anonim.")
        try:
            entry = register_entry(
                rt, channel="formulir_web", text=form.get("isi", ""), actor="formulir-web",
                name=form.get("nama", ""), email=form.get("surel", ""), phone=form.get("telepon", ""),
                organisation=form.get("organisasi", ""), anonymous=anonymous, subject=form.get("perihal", ""),
                entry_type=form.get("jenis") if form.get("jenis") in ("keluhan", "banding", "saran") else None,
                target=form.get("sasaran", ""))
        except ComplaintError as exc:
            return public(request, "publik_formulir.html", status_code=400, form=form, entry=None, error=str(exc))
        wake_sender()
        return public(request, "publik_formulir.html", form={}, error=None, entry=entry)

    @router.get("/layanan-pengaduan/lacak")
    def public_lookup_form(request: Request):
        return public(request, "publik_lacak.html", status=None, error=None, number="")

    @router.post("/layanan-pengaduan/lacak")
    def public_lookup(request: Request, form=Depends(posted_form)):
        number = form.get("nomor", "").strip().upper()[:40]
        email = form.get("surel", "").strip().lower()[:320]
        if over_limit(request, "lacak", LOOKUP_LIMIT, LOOKUP_WINDOW):
            return public(request, "publik_lacak.html", status_code=429, status=None, number=number,
                          error="Terlalu banyak pencarian dari alamat ini. Silakan coba lagi dalam 15 menit.")
        svc = service(rt)
        with engine.connect() as conn:
            entry = store.entry_by_number(conn, number) if number else None
            if entry is None or not email or entry["email"] != email or entry["anonymous"]:
                # The same answer whatever was wrong: a number alone reveals nothing.
                return public(request, "publik_lacak.html", status_code=404, status=None, number=number,
                              error="Nomor pelacakan dan alamat surel tidak cocok dengan pengaduan mana pun.")
            figures = clock.figures(rt, conn, entry)
        labels = {s["id"]: s["label"] for s in svc.steps}
        status = {"number": entry["number"], "type": TYPES[entry["type"]], "received": entry["received_at"],
                  "status": svc.statuses.get(entry["status"], entry["status"]),
                  "outcome": OUTCOMES.get(entry["outcome"] or "", ""), "closed": entry["closed_at"],
                  "steps": [{"label": labels.get(f.step, f.step), "done": f.stopped_at} for f in figures]}
        return public(request, "publik_lacak.html", status=status, error=None, number=number)

    return router
