"""The certificate register: every certificate an application produced, its status as of a day
(active, suspended, withdrawn, expired) and its surveillance due dates. Its IAF CertSearch
upload is pipelines/applications/certsearch.py.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from pipelines import db
from pipelines.applications import store
from pipelines.applications.models import customers, register
from pipelines.calendar import local_date

STATUS_LABELS = {"aktif": "Aktif", "dibekukan": "Dibekukan", "dicabut": "Dicabut", "kedaluwarsa": "Kedaluwarsa"}


def status_on(row, today: date) -> str:
    """A certificate past its expiry date is expired whatever was recorded."""
    if row["status"] == "aktif" and row["expiry_date"] and row["expiry_date"] < today:
        return "kedaluwarsa"
    return row["status"]


def surveillances_done(history: list) -> list[date]:
    """Surveillances of the certificate's current cycle (since its last recertification). Pure."""
    done: list[date] = []
    for h in history:
        if h["kind"] == "resertifikasi":
            done = []
        elif h["kind"] == "survailen":
            done.append(h["done_on"])
    return done


def next_surveillance(row, done: list[date]) -> date | None:
    """The first scheduled surveillance not yet done (overdue ones stay due). Pure."""
    scheduled = sorted(date.fromisoformat(d) for d in row["surveillance_dates"] or [])
    return scheduled[len(done)] if len(done) < len(scheduled) else None


def maintained(conn, rows: list, today: date, *, surveyed_now: bool = False) -> list[dict]:
    """What a surveillance letter prints for each certificate: the surveillance done, the next due."""
    history = store.history_of(conn, [r["number"] for r in rows])
    out = []
    for r in rows:
        done = surveillances_done(history[r["number"]])
        if surveyed_now and today not in done:
            done = [*done, today]
        out.append({"number": r["number"], "holder": r["holder"], "scope": r["scope"],
                    "expiry_date": r["expiry_date"], "done_on": done[-1] if done else None,
                    "count": len(done), "next_due": next_surveillance(r, done)})
    return out


def entries(rt, today: date | None = None) -> list[dict]:
    """The register as the officers read it: status as of `today`, surveillances done in the
    current cycle and the next one due."""
    today = today or local_date(db.now())
    with rt.engine.connect() as conn:
        rows = conn.execute(select(register, customers.c.nib, customers.c.address.label("customer_address"))
                            .select_from(register.outerjoin(customers, customers.c.id == register.c.customer_id))
                            .order_by(register.c.id)).mappings().all()
        history = store.history_of(conn, [r["number"] for r in rows])
        niks = store.holder_niks(conn)
    out = []
    for r in rows:
        status = status_on(r, today)
        done = surveillances_done(history[r["number"]])
        service = rt.services.get(r["service"])
        out.append({**r, "status": status, "status_label": STATUS_LABELS[status],
                    "service_name": service.name if service else r["service"],
                    "certificate_type": (service.certificate.get("type") if service else "") or "",
                    "validity_years": int((service.certificate.get("validity_years") if service else 0) or 0),
                    "surveillances_done": done, "history": history[r["number"]], "nik": niks.get(r["number"], ""),
                    "next_surveillance": next_surveillance(r, done)})
    return out


def change_status(rt, number: str, status: str, reason: str, officer: str) -> None:
    """Suspend (dibekukan), withdraw (dicabut) or reinstate (aktif) a certificate, with a reason."""
    from pipelines.applications.walk import ApplicationError
    if status not in ("aktif", "dibekukan", "dicabut"):
        raise ApplicationError("Status sertifikat harus aktif, dibekukan atau dicabut.")
    if len((reason or "").strip()) < 5:
        raise ApplicationError("Alasan perubahan status wajib ditulis.")
    with rt.engine.begin() as conn:
        if not store.set_certificate_status(conn, number, status, reason.strip()):
            raise ApplicationError(f"Sertifikat {number} tidak ada dalam register.")
        db.record_event(conn, "status_sertifikat_diubah", actor=officer, nomor=number, status=status,
                        alasan=reason.strip())


def original_issue_date(entry: dict) -> date:
    """The first issue of a certificate that recertification re-issued: each renewal starts a
    cycle of the service's validity where the last one ended, so the first cycle began that
    many cycles before the expiry. Pure."""
    renewals = sum(1 for h in entry.get("history") or [] if h["kind"] == "resertifikasi")
    years = entry.get("validity_years") or 0
    if not renewals or not years or not entry["expiry_date"]:
        return entry["issue_date"]
    expiry = entry["expiry_date"]
    year = expiry.year - years * (renewals + 1)
    return expiry.replace(year=year, day=min(expiry.day, 28) if expiry.month == 2 else expiry.day)
