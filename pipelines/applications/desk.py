"""Applications at the officers' desk: cases per step, desk entry of an application that came
by post, at the counter or on the web, and completing a case's current step.

`enter_application` turns what the officer typed and the scanned files into a mail of the
"loket" mailbox and hands it to the desk's own "mail to dossier" path, so a desk entry follows
exactly the path of an emailed application (checks, receipt, completion request, clock).
Mounted by the desk app with one include; the desk's login and CSRF dependencies are passed in.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from html import escape

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import insert, select

from pipelines import db
from pipelines.applications import clock
from pipelines.applications.walk import ApplicationError, advance, is_application
from pipelines.clock.flags import queue_flags
from pipelines.mail.ingest import store_raw
from pipelines.read.names import sanitise_filename
from pipelines.services import role_labels

CHANNELS = {"loket": "Loket (datang langsung)", "pos": "Pos / jasa kiriman", "web": "Unggahan web"}
FIELDS = [("name", "Nama perusahaan / pemohon", "Nama Perusahaan"), ("nib", "NIB", "NIB"),
          ("address", "Alamat", "Alamat"), ("contact", "Narahubung", "Narahubung"),
          ("phone", "Telepon", "Telepon"), ("scope", "Ruang lingkup / produk", "Ruang Lingkup")]
DESK_MAILBOX = "loket"


def enter_application(rt, *, kind: str, channel: str, email: str, fields: dict, files: dict[str, bytes],
                      officer: str) -> str:
    """Record an application brought by post, at the counter or on the web; returns its number."""
    from pipelines.desk.actions import mail_to_dossier
    service = rt.services.get(kind)
    if service is None or not is_application(service):
        raise ApplicationError("Pilih layanan sertifikasi.")
    if channel not in CHANNELS:
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


def cases_by_step(rt) -> list[dict]:
    """Open application cases grouped by the step they wait in, with the role that acts."""
    labels = role_labels()
    kinds = [k for k, s in rt.services.items() if is_application(s)]
    with rt.engine.connect() as conn:
        rows = conn.execute(select(db.dossiers).where(db.dossiers.c.kind.in_(kinds),
                                                      db.dossiers.c.status != "selesai")
                            .order_by(db.dossiers.c.id)).mappings().all()
        out = []
        for row in rows:
            service = rt.services[row["kind"]]
            step = service.step(row["status"])
            figures = clock.figures(rt, conn, service, row["id"])
            out.append({"id": row["id"], "number": row["number"], "service": service.name, "status": row["status"],
                        "step": step.label if step else row["status"],
                        "role": labels.get(step.role, step.role) if step else "", "step_obj": step,
                        "promised": figures.promised_date, "clock": figures.state})
    return out


def _flag_cell(flag) -> str:
    if flag is None:
        return "–"
    colour = "merah" if flag.late else "kuning"
    return f"<span class=\"lencana {colour}\" data-jam=\"{flag.mark}\">{escape(flag.text)}</span>"


def _page(title: str, body: str) -> HTMLResponse:
    return HTMLResponse(f"<!doctype html><html lang=\"id\"><head><meta charset=\"utf-8\"><title>{escape(title)}"
                        f"</title><link rel=\"stylesheet\" href=\"/static/desk.css\"></head><body><main>"
                        f"<h1>{escape(title)}</h1>{body}</main></body></html>")


def applications_router(rt, csrf_dependency, staff_dependency, csrf_token) -> APIRouter:
    """Routes under /permohonan; `csrf_token(request)` gives the form token of the desk."""
    router = APIRouter(prefix="/permohonan", dependencies=[Depends(csrf_dependency)])

    @router.get("", response_class=HTMLResponse)
    def list_cases(request: Request, user=Depends(staff_dependency)):
        token = escape(csrf_token(request))
        rows = []
        cases = cases_by_step(rt)
        with rt.engine.connect() as conn:
            flags = queue_flags(rt, conn, clock.CASE_TYPE, [c["id"] for c in cases])
        for c in cases:
            step = c["step_obj"]
            form = ""
            if step is not None and step.role not in ("sistem",):
                inputs = "".join(f"<input name=\"{escape(i['id'])}\" placeholder=\"{escape(i['label'])}\">"
                                 for i in step.inputs)
                outcomes = "".join(f"<option>{escape(o)}</option>" for o in step.outcomes)
                choice = f"<select name=\"keputusan\">{outcomes}</select>" if outcomes else ""
                form = (f"<form method=\"post\" action=\"/permohonan/{escape(c['number'])}/langkah\">"
                        f"<input type=\"hidden\" name=\"csrf_token\" value=\"{token}\">{inputs}{choice}"
                        f"<button>Selesaikan langkah</button></form>")
            rows.append(f"<tr><td><a href=\"/berkas/{escape(c['number'])}\">{escape(c['number'])}</a></td>"
                        f"<td>{escape(c['service'])}</td><td>{escape(c['step'])}</td><td>{escape(c['role'])}</td>"
                        f"<td>{escape(str(c['promised'] or '-'))}</td><td>{escape(c['clock'])}</td>"
                        f"<td class=\"jam-layanan\">{_flag_cell(flags.get(str(c['id'])))}</td><td>{form}</td></tr>")
        body = ("<p><a href=\"/permohonan/baru\">Catat permohonan dari loket, pos atau web</a></p>"
                "<table><thead><tr><th>Nomor</th><th>Layanan</th><th>Langkah</th><th>Dikerjakan oleh</th>"
                "<th>Janji selesai</th><th>Jam layanan</th><th>Tenggat</th><th></th></tr></thead><tbody>"
                + "".join(rows) + "</tbody></table>")
        return _page("Permohonan sertifikasi per langkah", body)

    @router.get("/baru", response_class=HTMLResponse)
    def new_form(request: Request, user=Depends(staff_dependency)):
        services = "".join(f"<option value=\"{escape(k)}\">{escape(s.name)}</option>"
                           for k, s in rt.services.items() if is_application(s))
        channels = "".join(f"<option value=\"{k}\">{escape(v)}</option>" for k, v in CHANNELS.items())
        inputs = "".join(f"<label>{escape(label)} <input name=\"{key}\"></label><br>" for key, label, _ in FIELDS)
        body = (f"<form method=\"post\" enctype=\"multipart/form-data\" action=\"/permohonan/baru\">"
                f"<input type=\"hidden\" name=\"csrf_token\" value=\"{escape(csrf_token(request))}\">"
                f"<label>Layanan <select name=\"layanan\">{services}</select></label><br>"
                f"<label>Saluran <select name=\"saluran\">{channels}</select></label><br>"
                f"<label>Surel pemohon <input name=\"email\" type=\"email\" required></label><br>{inputs}"
                f"<label>Berkas (pindaian) <input type=\"file\" name=\"berkas\" multiple></label><br>"
                f"<button>Catat permohonan</button></form>")
        return _page("Catat permohonan sertifikasi", body)

    @router.post("/baru")
    async def new_entry(request: Request, user=Depends(staff_dependency)):
        form = await request.form()
        files = {f.filename: await f.read() for f in form.getlist("berkas") if getattr(f, "filename", "")}
        try:
            number = enter_application(
                rt, kind=str(form.get("layanan", "")), channel=str(form.get("saluran", "")),
                email=str(form.get("email", "")), fields={k: str(form.get(k, "")) for k, _, _ in FIELDS},
                files=files, officer=user.username)
        except ApplicationError as exc:
            return _page("Permohonan belum dapat dicatat", f"<p>{escape(str(exc))}</p>"
                                                           "<p><a href=\"/permohonan/baru\">Kembali</a></p>")
        return RedirectResponse(f"/berkas/{number}", status_code=303)

    @router.post("/{number}/langkah")
    async def complete_step(number: str, request: Request, user=Depends(staff_dependency)):
        form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
        outcome = form.pop("keputusan", "")
        if "tim" in form:
            form["tim"] = [n.strip() for n in form["tim"].split(";") if n.strip()]
        try:
            advance(rt, number, officer=user.username, inputs={k: v for k, v in form.items() if v},
                    outcome=outcome)
        except ApplicationError as exc:
            return _page("Langkah belum dapat diselesaikan", f"<p>{escape(str(exc))}</p>"
                                                               "<p><a href=\"/permohonan\">Kembali</a></p>")
        return RedirectResponse("/permohonan", status_code=303)

    return router
