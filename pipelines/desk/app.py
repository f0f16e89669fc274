"""The desk's web app: FastAPI routes rendering Jinja2 pages; htmx only to refresh the queue.

Security in one place:
* sessions: a random token in a signed, HttpOnly, SameSite=Lax cookie (Secure when served
  over https, `--secure-cookies`); the server keeps only the token's hash and its expiry;
* CSRF: every POST carries a token bound to the session (or, on the login form, to the
  visitor cookie); a POST without a valid one is refused with 403 before any handler runs;
* roles: every route names the roles that may use it;
* files: only files the database registers for that dossier, never a path from the URL;
* pages: a strict Content-Security-Policy (scripts and styles from this server only).
"""
from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime
from pathlib import Path
from typing import Annotated
from urllib.parse import parse_qsl, quote, urlencode

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path as PathParam, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from itsdangerous import BadSignature, URLSafeSerializer
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select

from pipelines import db
from pipelines.calendar import JAKARTA
from pipelines.clock import dossiers
from pipelines.clock.flags import queue_flags
from pipelines.decide import STATUS_LABELS
from pipelines.decide.decide import AWAITING_APPROVAL
from pipelines.desk import DeskError, auth, charts, claims, queries, search, words
from pipelines.desk import models
from pipelines.desk.actions import (add_note, close_dossier, close_mail, completion_body,
                                    completion_subject, link_lsp, mail_to_dossier, override_finding, resubmit,
                                    resend_mail, send_completion_request)
from pipelines.desk.mailview import read_mail
from pipelines.desk.offload import one_hash_at_a_time, posted_form
from pipelines.send.background import sending_beside
from pipelines.desk.models import ROLE_LABELS
from pipelines.write.words import format_date_id

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent
SESSION_COOKIE, VISITOR_COOKIE, FLASH_COOKIE = "sf_sesi", "sf_tamu", "sf_pesan"
OFFICERS, APPROVERS, STAFF = ("petugas", "admin"), ("pejabat",), ("petugas", "pejabat", "admin")
PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "frame-src 'self'; object-src 'self'; connect-src 'self'; form-action 'self'; "
            "base-uri 'none'; frame-ancestors 'none'")
FILE_CSP = "default-src 'none'; object-src 'self'; plugin-types application/pdf; frame-ancestors 'self'"

DOC_TYPE_LABELS = {"request_letter": "Surat permohonan", "assessment_minutes": "Berita acara asesmen",
                   "certification_decision": "Keputusan sertifikasi", "participant_list": "Daftar peserta",
                   "signed_receipt": "Tanda terima bertanda tangan LSP", "other": "Lainnya"}
SEVERITY_LABELS = {"error": "Galat", "warning": "Peringatan", "info": "Informasi"}
GENERATED_LABELS = {"lembar_persetujuan": "Lembar persetujuan", "tanda_terima": "Tanda terima"}
MAIL_STATE_LABELS = {"queued": "dalam antrean", "claimed": "sedang diproses", "sending": "sedang dikirim",
                     "sent": "terkirim", "deferred": "ditunda (dicoba lagi otomatis)",
                     "failed": "gagal terkirim", "uncertain": "tidak pasti (periksa ke penerima)"}


# Row ids in URLs: anything the database's INTEGER cannot hold is simply not found (404).
RowId = Annotated[int, PathParam(ge=1, le=2**31 - 1)]


class LoginRequired(Exception):
    pass


class Forbidden(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _wib(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        value = db.aware(value).astimezone(JAKARTA)
        return f"{format_date_id(value.date())} {value:%H.%M} WIB"
    return format_date_id(value)


def _hours(value) -> str:
    if value is None:
        return "-"
    if value < 48:
        return f"{value:.1f} jam".replace(".", ",")
    return f"{value / 24:.1f} hari".replace(".", ",")


def _number(value) -> str:
    """Indonesian thousands separator: 12345 -> 12.345; nothing known -> "-"."""
    if value is None or value == "":
        return "-"
    try:
        return f"{int(value):,}".replace(",", ".")
    except (TypeError, ValueError):
        return str(value)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB".replace(".", ",")


def _secret(rt) -> bytes:
    """SERTIFLOW_DESK_SECRET, else a random key kept beside the database (0600)."""
    env = os.environ.get("SERTIFLOW_DESK_SECRET")
    if env:
        return env.encode()
    path = Path(rt.settings.outputs_dir) / ".desk_secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    except FileExistsError:
        pass
    return path.read_text().strip().encode()


def create_app(rt, *, secure_cookies: bool = False, secret: bytes | None = None,
               trusted_proxies: tuple[str, ...] | None = None, send_mail: bool = True) -> FastAPI:
    """`trusted_proxies`: addresses of reverse proxies whose X-Forwarded-For names the client
    (default $SERTIFLOW_DESK_TRUSTED_PROXIES, comma-separated); from anyone else it is ignored.
    `send_mail`: run the outbox sender beside the desk (desk requests only queue mail)."""
    engine = rt.engine
    if trusted_proxies is None:
        trusted_proxies = tuple(a.strip() for a in os.environ.get("SERTIFLOW_DESK_TRUSTED_PROXIES", "").split(",")
                                if a.strip())
    secret = secret or _secret(rt)
    signer = URLSafeSerializer(secret, salt="sertiflow-desk")
    outputs = Path(rt.settings.outputs_dir).resolve()
    env = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(wib=_wib, tanggal=lambda d: format_date_id(d) if d else "-", jam=_hours, ukuran=_size,
                       angka=_number, temuan=words.finding_label, peristiwa=words.event_label,
                       rincian=words.details)
    env.globals.update(STATUS_LABELS=STATUS_LABELS, ROLE_LABELS=ROLE_LABELS, DOC_TYPE_LABELS=DOC_TYPE_LABELS,
                       SEVERITY_LABELS=SEVERITY_LABELS, MAIL_CLASS_LABELS=words.MAIL_CLASS_LABELS,
                       GENERATED_LABELS=GENERATED_LABELS, MAIL_STATE_LABELS=MAIL_STATE_LABELS,
                       office=rt.settings.office)

    app = FastAPI(title="Sertiflow — Meja Petugas", docs_url=None, redoc_url=None, openapi_url=None,
                  lifespan=(lambda app: sending_beside(app, rt)) if send_mail else None)
    app.mount("/statis", StaticFiles(directory=HERE / "static"), name="static")

    def set_cookie(response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                            secure=secure_cookies, path="/")

    # ------------------------------------------------------------------ request context

    @app.middleware("http")
    async def context(request: Request, call_next):
        visitor = None
        raw = request.cookies.get(VISITOR_COOKIE)
        if raw:
            try:
                visitor = signer.loads(raw, salt="visitor")
            except BadSignature:
                visitor = None
        new_visitor = visitor is None
        if new_visitor:
            visitor = secrets.token_urlsafe(16)
        request.state.visitor = visitor
        token = None
        raw = request.cookies.get(SESSION_COOKIE)
        if raw:
            try:
                token = signer.loads(raw, salt="session")
            except BadSignature:
                token = None
        request.state.session_token = token
        # In the thread pool: renewing the idle timeout writes, and a write may wait for a lock.
        request.state.user = await run_in_threadpool(auth.session_user, engine, token) if token else None
        flash = None
        raw = request.cookies.get(FLASH_COOKIE)
        if raw:
            try:
                flash = signer.loads(raw, salt="flash")
            except BadSignature:
                pass
        request.state.flash = flash
        response = await call_next(request)
        if new_visitor:
            set_cookie(response, VISITOR_COOKIE, signer.dumps(visitor, salt="visitor"))
        if flash and not getattr(request.state, "keep_flash", False) and \
                response.headers.get("content-type", "").startswith("text/html"):
            response.delete_cookie(FLASH_COOKIE, path="/")
        response.headers.setdefault("Content-Security-Policy", PAGE_CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    def client_address(request: Request) -> str:
        """The visitor's address: the peer, or behind a configured proxy the last address in
        X-Forwarded-For that is not a proxy of ours (earlier entries are the client's to forge)."""
        peer = request.client.host if request.client else "-"
        if peer in trusted_proxies:
            hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
            for hop in reversed(hops):
                if hop not in trusted_proxies:
                    return hop[:64]
        return peer

    def binding(request: Request) -> str:
        return request.state.session_token or "visitor:" + request.state.visitor

    def csrf_for(request: Request) -> str:
        return auth.csrf_token(secret, binding(request))

    async def require_csrf(request: Request) -> None:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return
        token = request.headers.get("x-csrf-token")
        if not token:
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                token = (await request.form()).get("csrf_token")
        if not auth.csrf_valid(secret, binding(request), token):
            raise Forbidden("Permintaan ditolak: token keamanan formulir (CSRF) tidak ada atau tidak sah. "
                            "Muat ulang halaman lalu coba lagi.")

    def require(*roles):
        def dependency(request: Request) -> auth.User:
            user = request.state.user
            if user is None:
                raise LoginRequired()
            if user.role not in roles:
                raise Forbidden("Anda tidak berwenang membuka halaman atau melakukan tindakan ini.")
            return user
        return dependency

    def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
        context.update(request=request, user=request.state.user, csrf=csrf_for(request),
                       flash=request.state.flash, path=request.url.path)
        return HTMLResponse(env.get_template(template).render(**context), status_code=status_code)

    def redirect(url: str, message: str | None = None, kind: str = "ok") -> RedirectResponse:
        response = RedirectResponse(url, status_code=303)
        if message:
            set_cookie(response, FLASH_COOKIE, signer.dumps({"kind": kind, "text": message}, salt="flash"), 120)
        return response

    def page_of(path: str) -> str:
        """The page a form posted from: the longest leading part of its action a GET can open
        (/berkas/X/temuan/5/kesampingkan -> /berkas/X)."""
        parts = path.rstrip("/").split("/")
        while len(parts) > 1:
            candidate = "/".join(parts) or "/"
            scope = {"type": "http", "path": candidate, "method": "GET", "root_path": ""}
            if any(r.matches(scope)[0] == Match.FULL for r in app.router.routes):  # PARTIAL: other method
                return candidate
            parts.pop()
        return "/"

    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired):
        if request.method == "GET":
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        else:  # a form sent after the session ended: back to its page, where the typed text is kept
            target = page_of(request.url.path)
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": "/masuk"})
        query = {"lanjut": target}
        if request.cookies.get(SESSION_COOKIE):
            query["habis"] = "1"
        return RedirectResponse("/masuk?" + urlencode(query), status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden):
        return render(request, "error.html", status_code=403, title="Akses ditolak", message=exc.message)

    def not_found(request: Request) -> HTMLResponse:
        return render(request, "error.html", status_code=404, title="Tidak ditemukan",
                      message="Halaman atau berkas yang diminta tidak ada.")

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        if exc.status_code == 404:
            return not_found(request)
        if exc.status_code == 405:
            return render(request, "error.html", status_code=405, title="Cara membuka halaman tidak sesuai",
                          message="Alamat ini tidak dapat dibuka dengan cara tersebut (misalnya formulir "
                                  "yang dibuka langsung dari bilah alamat). Kembali ke halaman sebelumnya.")
        return render(request, "error.html", status_code=exc.status_code, title="Permintaan tidak dapat diproses",
                      message="Permintaan tidak dapat diproses. Kembali ke halaman sebelumnya lalu coba lagi.")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        # A malformed id or number in the address names nothing that exists.
        if any(e.get("loc", ("",))[0] == "path" for e in exc.errors()):
            return not_found(request)
        return render(request, "error.html", status_code=422, title="Isian tidak sah",
                      message="Sebagian isian atau alamat tidak sah. Kembali ke halaman sebelumnya, "
                              "periksa isian, lalu coba lagi.")

    router = APIRouter(dependencies=[Depends(require_csrf)])

    # ------------------------------------------------------------------ login

    @router.get("/masuk")
    def login_page(request: Request, lanjut: str = "/", habis: str = ""):
        if request.state.user:
            return RedirectResponse(_safe_next(lanjut), status_code=303)
        return render(request, "login.html", next=_safe_next(lanjut), error=None, username="", expired=bool(habis))

    def start_session(previous_token: str | None, user: auth.User, ip: str) -> str:
        if previous_token:
            auth.close_session(engine, previous_token)
        token = auth.open_session(engine, user, ip)
        with engine.begin() as conn:
            db.record_event(conn, "pengguna_masuk", actor=user.username, ip=ip)
        return token

    @router.post("/masuk")
    async def login(request: Request):
        form = await request.form()
        username = str(form.get("username", "")).strip().lower()[:64]
        password = str(form.get("password", ""))[:1024]
        target = _safe_next(str(form.get("lanjut", "/")))
        ip = client_address(request)
        wait = await run_in_threadpool(auth.throttle_wait, engine, username, ip)
        if wait is not None:
            minutes = max(1, round(wait.total_seconds() / 60))
            return render(request, "login.html", status_code=429, next=target, username=username,
                          error=f"Terlalu banyak percobaan masuk yang gagal. Coba lagi dalam {minutes} menit.")
        # Only the hashing runs in the low-priority hashing thread: a database read there could
        # hold SQLite's write lock while that thread waits for a core, and stall every page.
        account = await run_in_threadpool(auth.login_account, engine, username)
        matches = await one_hash_at_a_time(auth.password_matches, account, password)
        user = await run_in_threadpool(auth.accept_login, engine, account, password) if matches else None
        await run_in_threadpool(auth.record_attempt, engine, username, ip, user is not None)
        if user is None:
            return render(request, "login.html", status_code=401, next=target, username=username,
                          error="Nama pengguna atau kata sandi salah.")
        token = await run_in_threadpool(start_session, request.state.session_token, user, ip)
        response = RedirectResponse(target, status_code=303)
        set_cookie(response, SESSION_COOKIE, signer.dumps(token, salt="session"))
        return response

    @router.post("/keluar")
    def logout(request: Request):
        if request.state.session_token:
            auth.close_session(engine, request.state.session_token)
        response = RedirectResponse("/masuk", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------ queues

    @router.get("/")
    def home(user: auth.User = Depends(require(*STAFF))):
        if user.is_approver:
            return RedirectResponse("/antrean?status=menunggu_persetujuan", status_code=303)
        return RedirectResponse("/antrean", status_code=303)

    @router.get("/antrean")
    def queue_page(request: Request, user: auth.User = Depends(require(*STAFF))):
        flt = queries.QueueFilter.from_query(request.query_params)
        if flt.q:
            search.refresh(engine, rt.registry)
        with engine.connect() as conn:
            rows, total = queries.queue(conn, flt)
            clock_flags = queue_flags(rt, conn, dossiers.CASE, [d["id"] for d in rows])
            counts = queries.status_counts(conn)
            held_mail = queries.held_mail_count(conn)
            saved = queries.saved_filters(conn, user.username)
        pages = max(1, -(-total // queries.PER_PAGE))
        context = dict(rows=rows, clock_flags=clock_flags, total=total, counts=counts, flt=flt, pages=pages, held_mail=held_mail,
                       saved=saved, SORT_LABELS=queries.SORT_LABELS,
                       lsps=rt.registry.lsps, services=rt.services, today=queries.today(),
                       open_total=sum(counts.get(s, 0) for s in queries.OPEN_STATUSES))
        if request.headers.get("hx-request") and request.headers.get("hx-target") == "antrean-hasil":
            return render(request, "_queue_table.html", **context)
        return render(request, "queue.html", **context)

    @router.post("/antrean/saringan")
    def save_filter(form=Depends(posted_form), user: auth.User = Depends(require(*STAFF))):
        name = form.get("nama", "").strip()[:80]
        flt = queries.QueueFilter.from_query(dict(parse_qsl(form.get("saringan", ""))))
        if not name:
            return redirect("/antrean?" + flt.query_string(), "Beri nama saringan.", "error")
        with engine.begin() as conn:
            conn.execute(models.saved_filters.insert().values(username=user.username, name=name,
                                                              query=flt.query_string(halaman=1), created_at=db.now()))
        return redirect("/antrean?" + flt.query_string(halaman=1), f"Saringan “{name}” disimpan.")

    @router.post("/antrean/saringan/{filter_id}/hapus")
    def delete_filter(filter_id: RowId, user: auth.User = Depends(require(*STAFF))):
        with engine.begin() as conn:
            conn.execute(models.saved_filters.delete().where(models.saved_filters.c.id == filter_id,
                                                             models.saved_filters.c.username == user.username))
        return redirect("/antrean", "Saringan dihapus.")

    @router.get("/antrean/tertahan")
    def held_page(request: Request, user: auth.User = Depends(require(*STAFF))):
        with engine.connect() as conn:
            mails = queries.held_mail(conn)
            dossiers = queries.held_dossiers(conn)
        return render(request, "held.html", mails=mails, dossiers=dossiers, services=rt.services)

    @router.get("/surel/{mail_id}")
    def mail_page(request: Request, mail_id: RowId, user: auth.User = Depends(require(*STAFF))):
        with engine.connect() as conn:
            mail = queries.mail_row(conn, mail_id)
            events = [] if mail is None else [dict(e, at=db.aware(e["at"])) for e in conn.execute(
                select(db.events).where(db.events.c.mail_id == mail_id).order_by(db.events.c.id)).mappings()]
        if mail is None:
            raise HTTPException(404)
        return render(request, "mail.html", mail=dict(mail, received_at=db.aware(mail["received_at"])),
                      body=read_mail(mail["raw_path"]), events=events, services=rt.services,
                      held=mail["classification"] == queries.UNCLASSIFIED and mail["dossier_id"] is None)

    @router.post("/surel/{mail_id}/jadikan-berkas")
    def mail_convert(mail_id: RowId, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            number = mail_to_dossier(rt, mail_id, form.get("jenis", ""), user.username)
        except DeskError as exc:
            return redirect(f"/surel/{mail_id}", str(exc), "error")
        return redirect(f"/berkas/{number}", f"Berkas {number} dibuat dari surel dan diproses.")

    @router.post("/surel/{mail_id}/tutup")
    def mail_close(mail_id: RowId, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            close_mail(rt, mail_id, user.username, form.get("alasan", ""))
        except DeskError as exc:
            return redirect(f"/surel/{mail_id}", str(exc), "error")
        return redirect("/antrean/tertahan", "Surel ditutup sebagai tidak relevan.")

    # ------------------------------------------------------------------ one dossier

    def load(number: str) -> dict:
        with engine.connect() as conn:
            view = queries.dossier_view(conn, number, rt.registry, rt.services)
        if view is None:
            raise HTTPException(404)
        return view

    def queue_of(user: auth.User) -> tuple[str, ...]:
        return (AWAITING_APPROVAL,) if user.is_approver else queries.OPEN_STATUSES

    @router.get("/berkas/{number}")
    def dossier_page(request: Request, number: str, user: auth.User = Depends(require(*STAFF))):
        view = load(number)
        with engine.connect() as conn:
            view["previous"], view["next"] = queries.neighbours(conn, number, queue_of(user))
        for m in view["mails"]:
            m["body"] = read_mail(m["raw_path"])
        draft = {"subject": completion_subject(view["dossier"]),
                 "body": completion_body(view["dossier"], view["lsp"], view["blocking"], rt.settings.office),
                 "nonce": secrets.token_urlsafe(16)}
        return render(request, "dossier.html", **view, draft=draft, today=queries.today(), lsps=rt.registry.lsps)

    def file_response(path_text: str, filename: str, media_type: str) -> Response:
        path = Path(path_text or "").resolve()
        if not path_text or not path.is_file() or not path.is_relative_to(outputs):
            raise HTTPException(404)
        is_pdf = media_type == "application/pdf" or (not media_type and path.suffix.lower() == ".pdf")
        disposition = "inline" if is_pdf else "attachment"
        return FileResponse(path, media_type="application/pdf" if is_pdf else (media_type or "application/octet-stream"),
                            headers={"Content-Disposition": f"{disposition}; filename*=UTF-8''{quote(filename)}",
                                     "Content-Security-Policy": FILE_CSP, "X-Frame-Options": "SAMEORIGIN",
                                     "X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-store"})

    @router.get("/berkas/{number}/lampiran/{document_id}")
    def attachment(number: str, document_id: RowId, user: auth.User = Depends(require(*STAFF))):
        with engine.connect() as conn:
            row = conn.execute(select(db.documents).join(db.dossiers, db.dossiers.c.id == db.documents.c.dossier_id)
                               .where(db.dossiers.c.number == number, db.documents.c.id == document_id)).mappings().first()
        if row is None:
            raise HTTPException(404)
        return file_response(row["path"], row["filename"], row["media_type"])

    @router.get("/berkas/{number}/dokumen/{generated_id}/{fmt}")
    def generated(number: str, generated_id: RowId, fmt: str, user: auth.User = Depends(require(*STAFF))):
        if fmt not in ("docx", "pdf"):
            raise HTTPException(404)
        with engine.connect() as conn:
            row = conn.execute(select(db.generated_files).join(
                db.dossiers, db.dossiers.c.id == db.generated_files.c.dossier_id)
                .where(db.dossiers.c.number == number, db.generated_files.c.id == generated_id)).mappings().first()
        if row is None:
            raise HTTPException(404)
        path = row["pdf_path"] if fmt == "pdf" else row["docx_path"]
        media = "application/pdf" if fmt == "pdf" else \
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        return file_response(path, f"{row['kind']}-{number}.{fmt}", media)

    def taking_over(form) -> bool:
        return form.get("ambil_alih") == "1"

    @router.post("/berkas/{number}/ambil")
    def claim_route(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            with engine.begin() as conn:
                dossier = db.dossier_by_number(conn, number)
                if dossier is None:
                    raise HTTPException(404)
                claims.claim(conn, dict(dossier), user.username, taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")
        return redirect(f"/berkas/{number}", "Berkas ini sekarang Anda pegang.")

    @router.post("/berkas/{number}/lepas")
    def release_route(number: str, user: auth.User = Depends(require(*OFFICERS))):
        with engine.begin() as conn:
            dossier = db.dossier_by_number(conn, number)
            if dossier is None:
                raise HTTPException(404)
            released = claims.release(conn, dict(dossier), user.username)
        return redirect(f"/berkas/{number}", "Berkas dilepas; petugas lain dapat mengambilnya."
                        if released else "Berkas ini tidak sedang Anda pegang.")

    @router.post("/berkas/{number}/kelengkapan")
    def completion(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            result = send_completion_request(rt, number, user.username, form.get("subjek", ""), form.get("isi", ""),
                                             form.get("nonce", ""), taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")
        if not result["queued"]:
            return redirect(f"/berkas/{number}", "Permintaan ini sudah diantrekan sebelumnya.")
        return redirect(f"/berkas/{number}", "Permintaan kelengkapan diantrekan; surel dikirim ke LSP "
                        "dalam beberapa saat (statusnya tampil di bagian Surel).")

    @router.post("/surel-keluar/{outbox_id}/kirim-ulang")
    def resend_route(outbox_id: RowId, user: auth.User = Depends(require(*OFFICERS))):
        try:
            number = resend_mail(rt, outbox_id, user.username)
        except DeskError as exc:
            return redirect("/", str(exc), "error")
        return redirect(f"/berkas/{number}#surel", "Surel diantrekan untuk dikirim ulang.")

    @router.post("/berkas/{number}/temuan/{finding_id}/kesampingkan")
    def override(number: str, finding_id: RowId, form=Depends(posted_form),
                 user: auth.User = Depends(require(*OFFICERS))):
        try:
            override_finding(rt, number, finding_id, user.username, form.get("alasan", ""), taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}#temuan", str(exc), "error")
        return redirect(f"/berkas/{number}#temuan", "Temuan dikesampingkan dan dicatat di riwayat.")

    @router.post("/berkas/{number}/periksa-ulang")
    def recheck(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        from pipelines.desk.recheck import recheck_dossier
        try:
            status = recheck_dossier(rt, number, user.username, taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")
        return redirect(f"/berkas/{number}", f"Berkas diperiksa ulang: {STATUS_LABELS.get(status, status)}.")

    @router.post("/berkas/{number}/catatan")
    def note(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*STAFF))):
        try:
            add_note(rt, number, user.username, form.get("catatan", ""))
        except DeskError as exc:
            return redirect(f"/berkas/{number}#riwayat", str(exc), "error")
        return redirect(f"/berkas/{number}#riwayat", "Catatan ditambahkan.")

    @router.post("/berkas/{number}/tutup")
    def close(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            close_dossier(rt, number, user.username, form.get("alasan", ""), taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")
        return redirect(f"/berkas/{number}", "Berkas ditutup.")

    @router.post("/berkas/{number}/ajukan-kembali")
    def resubmit_route(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            resubmit(rt, number, user.username, form.get("catatan", ""), taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")
        return redirect(f"/berkas/{number}", "Berkas diajukan kembali untuk persetujuan.")

    def link_and_recheck(number: str, code: str, user: auth.User, take_over: bool) -> RedirectResponse:
        from pipelines.desk.recheck import recheck_dossier
        link_lsp(rt, number, code, user.username, take_over)
        status = recheck_dossier(rt, number, user.username, take_over)
        lsp = rt.registry.by_code(code)
        return redirect(f"/berkas/{number}", f"Berkas dihubungkan ke {lsp.name} dan diperiksa ulang: "
                        f"{STATUS_LABELS.get(status, status)}.")

    @router.post("/berkas/{number}/hubungkan-lsp")
    def link_route(number: str, form=Depends(posted_form), user: auth.User = Depends(require(*OFFICERS))):
        try:
            return link_and_recheck(number, form.get("lsp", ""), user, taking_over(form))
        except DeskError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")

    @router.post("/berkas/{number}/daftarkan-pengirim")
    def register_sender(number: str, form=Depends(posted_form), user: auth.User = Depends(require("admin"))):
        """Admin: the held sender becomes a registered address of an LSP (existing or new)."""
        from pipelines.registry import RegistryError, add_address, add_lsp
        with engine.connect() as conn:
            dossier = db.dossier_by_number(conn, number)
        if dossier is None:
            raise HTTPException(404)
        path = rt.settings.registry_path
        try:
            if form.get("cara") == "baru":
                code = form.get("kode", "").strip().upper()
                add_lsp(path, code, form.get("nama", ""), dossier["sender"], form.get("alamat", ""),
                        form.get("kontak", ""), form.get("telepon", ""))
            else:
                code = form.get("lsp", "")
                add_address(path, code, dossier["sender"])
            rt.__dict__.pop("registry", None)    # Runtime caches the registry: read the new file
            with engine.begin() as conn:
                db.record_event(conn, "pengirim_didaftarkan", actor=user.username, dossier_id=dossier["id"],
                                before=dossier["status"], after=dossier["status"], lsp=code,
                                alamat=dossier["sender"], lsp_baru=form.get("cara") == "baru")
            return link_and_recheck(number, code, user, taking_over(form))
        except (DeskError, RegistryError) as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")

    # ------------------------------------------------------------------ the official

    def approver_only(request: Request) -> auth.User:
        user = request.state.user
        if user is None:
            raise LoginRequired()
        if not user.is_approver:
            raise Forbidden("Hanya pejabat eselon 4 yang dapat menyetujui atau mengembalikan berkas. "
                            "Petugas tidak berwenang menyetujui.")
        return user

    def approve_now(numbers: list[str], user: auth.User) -> tuple[list[str], list[str]]:
        """Approve each dossier (its own transaction), then make the PDFs of what was approved
        in one LibreOffice call, so the approved sheet and receipt can be opened at once."""
        from pipelines.decide.approval import ApprovalError, approve
        from pipelines.write.dossier import convert_pending
        done, errors = [], []
        for number in numbers:
            try:
                approve(rt, number, user.full_name, actor=user.username)
                done.append(number)
            except ApprovalError as exc:
                errors.append(str(exc))
        if done:
            with engine.connect() as conn:
                ids = conn.execute(select(db.dossiers.c.id).where(db.dossiers.c.number.in_(done))).scalars().all()
            try:
                convert_pending(rt, dossier_ids=ids)
            except Exception:  # the pipeline's next pass converts what is left
                log.exception("PDF conversion after approval failed")
        return done, errors

    @router.post("/berkas/{number}/setujui")
    def approve_route(number: str, user: auth.User = Depends(approver_only)):
        with engine.connect() as conn:
            _, following = queries.neighbours(conn, number, (AWAITING_APPROVAL,))
        done, errors = approve_now([number], user)
        if errors:
            return redirect(f"/berkas/{number}", errors[0], "error")
        message = f"Berkas {number} disetujui; lembar persetujuan dan tanda terima diterbitkan."
        if following:
            return redirect(f"/berkas/{following}", message + " Berikut berkas berikutnya yang menunggu.")
        return redirect(f"/berkas/{number}", message + " Tidak ada lagi berkas yang menunggu persetujuan.")

    @router.post("/setujui-terpilih")
    def approve_selected(request: Request, form=Depends(posted_form), user: auth.User = Depends(approver_only)):
        """Several clean dossiers at once: the first POST shows what will be approved (asked
        once), the second (yakin=1) approves them."""
        numbers = list(dict.fromkeys(form.getlist("berkas")))[:100]
        with engine.connect() as conn:
            clean = queries.clean_awaiting(conn, numbers)
        skipped = [n for n in numbers if n not in clean]
        if not clean:
            return redirect("/antrean?status=menunggu_persetujuan",
                            "Pilih berkas yang menunggu persetujuan dan tanpa temuan terbuka.", "error")
        if form.get("yakin") != "1":
            return render(request, "approve_many.html", dossiers=list(clean.values()), skipped=skipped,
                          lsps={l.code: l for l in rt.registry.lsps})
        done, errors = approve_now(list(clean), user)
        text = f"{len(done)} berkas disetujui: {', '.join(done)}."
        if errors or skipped:
            text += f" {len(errors) + len(skipped)} tidak disetujui: " + " ".join(
                errors + [f"{n} (ada temuan terbuka atau tidak menunggu persetujuan)." for n in skipped])
        return redirect("/antrean?status=menunggu_persetujuan", text, "error" if errors or skipped else "ok")

    @router.post("/berkas/{number}/kembalikan")
    def return_route(number: str, form=Depends(posted_form), user: auth.User = Depends(approver_only)):
        from pipelines.decide.approval import ApprovalError, return_to_officer
        try:
            return_to_officer(rt, number, user.username, form.get("catatan", ""))
        except ApprovalError as exc:
            return redirect(f"/berkas/{number}", str(exc), "error")
        return redirect(f"/berkas/{number}", "Berkas dikembalikan ke petugas dengan catatan.")

    # ------------------------------------------------------------------ dashboard and accounts

    @router.get("/dasbor")
    def dashboard(request: Request, user: auth.User = Depends(require(*STAFF))):
        from pipelines.fulfil import blanks
        from pipelines.fulfil.settings import settings_for
        with engine.connect() as conn:
            data = queries.dashboard(conn)
            fulfil = settings_for(rt)
            data["stock"] = blanks.stock_report(conn, fulfil.low_stock_threshold)
        data["format_serial"] = fulfil.format_serial
        # Deadlines of open cases fall in this year or the next: a year without confirmed
        # holidays and cuti bersama is a warning here, not a silent guess.
        data["calendar_warnings"] = rt.calendar.warnings(range(data["today"].year, data["today"].year + 2))
        status_chart = charts.hbar_chart([(label, n) for label, n, _ in data["counts"]], "Berkas per status")
        week_chart = charts.column_chart([(f"{d.day}/{d.month}", n) for d, n in data["per_week"]],
                                         "Permohonan per minggu (awal minggu, WIB)")
        duration_chart = charts.hbar_chart(data["histogram"], "Lama dari diterima hingga keputusan")
        return render(request, "dashboard.html", data=data, status_chart=status_chart, week_chart=week_chart,
                      duration_chart=duration_chart)

    @router.get("/pengguna")
    def users_page(request: Request, user: auth.User = Depends(require("admin"))):
        with engine.connect() as conn:
            rows = conn.execute(select(models.users).order_by(models.users.c.username)).mappings().all()
        return render(request, "users.html", users=rows, ROLES=models.ROLES)

    @router.post("/pengguna/{username}/{action}")
    def user_admin(request: Request, username: str, action: str, form=Depends(posted_form),
                   user: auth.User = Depends(require("admin"))):
        if username == user.username and action in ("nonaktifkan", "peran"):
            return redirect("/pengguna", "Anda tidak dapat menonaktifkan atau mengubah peran akun Anda sendiri.", "error")
        try:
            if action == "nonaktifkan":
                auth.set_active(engine, username, False, user.username)
                text = f"Akun {username} dinonaktifkan; sesinya berakhir."
            elif action == "aktifkan":
                auth.set_active(engine, username, True, user.username)
                text = f"Akun {username} diaktifkan kembali."
            elif action == "peran":
                auth.change_role(engine, username, form.get("peran", ""), user.username)
                text = f"Peran {username} diubah menjadi {ROLE_LABELS.get(form.get('peran'), form.get('peran'))}."
            elif action == "kata-sandi":
                password = auth.reset_password(engine, username, None, user.username)
                with engine.connect() as conn:
                    rows = conn.execute(select(models.users).order_by(models.users.c.username)).mappings().all()
                # Shown once, in this response only (never in a cookie or a URL).
                return render(request, "users.html", users=rows, ROLES=models.ROLES,
                              new_password={"username": username, "password": password})
            else:
                raise HTTPException(404)
        except auth.AccountError as exc:
            return redirect("/pengguna", str(exc), "error")
        return redirect("/pengguna", text)

    app.include_router(router)
    # Public certificate and receipt verification (the QR codes lead here): no login.
    from pipelines.fulfil import verify_web
    app.include_router(verify_web.router)
    from pipelines.applications.web import router as applications_router; app.include_router(applications_router)
    app.dependency_overrides[verify_web.get_runtime] = lambda: rt
    from pipelines.complaints.web import complaints_router   # complaint register and public form
    app.include_router(complaints_router(rt, require=require, csrf_check=require_csrf, csrf_for=csrf_for,
                                         redirect=redirect))
    from pipelines.applications.desk import applications_router   # application cases and the certificate register
    app.include_router(applications_router(rt, require=require, csrf_check=require_csrf, csrf_for=csrf_for,
                                           redirect=redirect, render=render))
    from pipelines.clock.web import sla_router; app.include_router(sla_router(rt, require(*STAFF)))   # SLA figures
    app.state.runtime = rt
    return app


def _safe_next(target: str) -> str:
    """Only a path on this server (never //host or a scheme) after login."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target
