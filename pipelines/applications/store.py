"""SQL of the application tables (customers, applications, nonconformities, register)."""
from __future__ import annotations

from datetime import date

from sqlalchemy import insert, select, update

from pipelines import db
from pipelines.applications.form import Applicant, name_key
from pipelines.applications.models import (applications, certificate_history, certificate_niks, customers,
                                           nonconformities, register, thread_items)


def find_customer(conn, applicant: Applicant, sender: str, office: str = ""):
    """The same customer as an earlier application: same NIB, else same normalised name,
    else a mail address it used before."""
    base = select(customers).where(customers.c.office == office)
    if applicant.nib:
        row = conn.execute(base.where(customers.c.nib == applicant.nib)).mappings().first()
        if row:
            return row
    key = name_key(applicant.name)
    if key:
        row = conn.execute(base.where(customers.c.name_key == key)).mappings().first()
        if row:
            return row
    sender = (sender or "").lower()
    if sender:
        for row in conn.execute(base).mappings():
            if sender in (row["emails"] or []):
                return row
    return None


def remember_customer(conn, applicant: Applicant, sender: str, office: str = "") -> int:
    """Create the customer, or complete a known one with what this application adds."""
    now = db.now()
    row = find_customer(conn, applicant, sender, office)
    sender = (sender or "").lower()
    if row is None:
        return conn.execute(insert(customers).values(
            office=office, name=applicant.name or sender, name_key=name_key(applicant.name or sender),
            nib=applicant.nib, address=applicant.address, contact_person=applicant.contact_person,
            phone=applicant.phone, emails=[e for e in {sender, applicant.email.lower()} if e],
            created_at=now, updated_at=now)).inserted_primary_key[0]
    values = {k: getattr(applicant, k) for k in ("nib", "address", "contact_person", "phone")
              if getattr(applicant, k) and not row[k]}
    emails = list(row["emails"] or [])
    for e in (sender, applicant.email.lower()):
        if e and e not in emails:
            emails.append(e)
    conn.execute(update(customers).where(customers.c.id == row["id"]).values(
        emails=emails, updated_at=now, **values))
    return row["id"]


def customer(conn, customer_id: int | None):
    if not customer_id:
        return None
    return conn.execute(select(customers).where(customers.c.id == customer_id)).mappings().first()


def application(conn, dossier_id: int):
    return conn.execute(select(applications).where(applications.c.dossier_id == dossier_id)).mappings().first()


def save_application(conn, dossier_id: int, *, office: str, customer_id: int | None, scope: str = "",
                     site: str = "", channel: str = "surel") -> None:
    if application(conn, dossier_id) is None:
        conn.execute(insert(applications).values(
            dossier_id=dossier_id, office=office, customer_id=customer_id, channel=channel,
            scope=scope, site=site, data={}, created_at=db.now()))
    else:
        conn.execute(update(applications).where(applications.c.dossier_id == dossier_id).values(
            customer_id=customer_id, scope=scope, site=site))


def add_step_data(conn, dossier_id: int, values: dict) -> dict:
    data = dict(application(conn, dossier_id)["data"] or {})
    data.update(values)
    conn.execute(update(applications).where(applications.c.dossier_id == dossier_id).values(data=data))
    return data


def open_nonconformities(conn, dossier_id: int) -> list:
    return list(conn.execute(select(nonconformities).where(
        nonconformities.c.dossier_id == dossier_id, nonconformities.c.closed_at.is_(None))
        .order_by(nonconformities.c.id)).mappings())


def add_nonconformity(conn, dossier_id: int, *, grade: str, clause: str, description: str,
                      due_date: date, raised_by: str) -> str:
    count = len(list(conn.execute(select(nonconformities.c.id).where(nonconformities.c.dossier_id == dossier_id))))
    number = f"KTS-{count + 1:02d}"
    conn.execute(insert(nonconformities).values(
        dossier_id=dossier_id, number=number, grade=grade, clause=clause, description=description,
        due_date=due_date, raised_by=raised_by, created_at=db.now()))
    return number


def close_nonconformity(conn, dossier_id: int, number: str, *, closed_by: str, evidence: str) -> bool:
    return bool(conn.execute(update(nonconformities).where(
        nonconformities.c.dossier_id == dossier_id, nonconformities.c.number == number,
        nonconformities.c.closed_at.is_(None)).values(
        closed_at=db.now(), closed_by=closed_by, evidence=evidence)).rowcount)


def register_certificates(conn, rows: list[dict]) -> None:
    now = db.now()
    for row in rows:
        exists = conn.execute(select(register.c.id).where(register.c.number == row["number"])).scalar()
        if not exists:
            conn.execute(insert(register).values(**row, created_at=now, updated_at=now))


def certificates_of(conn, dossier_id: int) -> list:
    return list(conn.execute(select(register).where(register.c.dossier_id == dossier_id)
                             .order_by(register.c.id)).mappings())


def set_certificate_status(conn, number: str, status: str, reason: str) -> bool:
    return bool(conn.execute(update(register).where(register.c.number == number).values(
        status=status, status_reason=reason, updated_at=db.now())).rowcount)


def active_certificates(conn, customer_id: int | None, service: str) -> list:
    if not customer_id:
        return []
    return list(conn.execute(select(register).where(
        register.c.customer_id == customer_id, register.c.service == service,
        register.c.status.in_(("aktif", "dibekukan")))).mappings())


# ---------------------------------------------------------------- mail in a case's thread

def add_thread_item(conn, dossier_id: int, mail_id: int, *, kind: str, role: str, step: str,
                    subject: str, text: str, findings: int = 0) -> int | None:
    """Queue one thread mail for its role; None when this mail was queued already."""
    if conn.execute(select(thread_items.c.id).where(thread_items.c.mail_id == mail_id)).scalar():
        return None
    return conn.execute(insert(thread_items).values(
        dossier_id=dossier_id, mail_id=mail_id, kind=kind, role=role, step=step, subject=subject,
        text=text, findings=findings, created_at=db.now())).inserted_primary_key[0]


def thread_items_of(conn, *, dossier_id: int | None = None, role: str | None = None,
                    open_only: bool = True) -> list:
    """The queue the desk shows: per case or per role, oldest first."""
    query = select(thread_items).order_by(thread_items.c.id)
    if dossier_id is not None:
        query = query.where(thread_items.c.dossier_id == dossier_id)
    if role is not None:
        query = query.where(thread_items.c.role == role)
    if open_only:
        query = query.where(thread_items.c.handled_at.is_(None))
    return list(conn.execute(query).mappings())


def thread_item(conn, item_id: int):
    return conn.execute(select(thread_items).where(thread_items.c.id == item_id)).mappings().first()


def close_thread_items(conn, dossier_id: int, kinds: list[str], *, handled_by: str, answer: str = "") -> int:
    return conn.execute(update(thread_items).where(
        thread_items.c.dossier_id == dossier_id, thread_items.c.kind.in_(kinds),
        thread_items.c.handled_at.is_(None)).values(
        handled_at=db.now(), handled_by=handled_by, answer=answer)).rowcount


def close_thread_item(conn, item_id: int, *, handled_by: str, answer: str = "") -> bool:
    return bool(conn.execute(update(thread_items).where(
        thread_items.c.id == item_id, thread_items.c.handled_at.is_(None)).values(
        handled_at=db.now(), handled_by=handled_by, answer=answer)).rowcount)


# ---------------------------------------------------------------- surveillance and recertification

def record_holder_niks(conn, niks: dict[str, str]) -> None:
    """Keep the NIK of each certified person (certificate number -> NIK), once."""
    known = set(holder_niks(conn, list(niks)))
    rows = [{"number": n, "nik": k} for n, k in niks.items() if k and n not in known]
    if rows:
        conn.execute(insert(certificate_niks), rows)


def holder_niks(conn, numbers: list[str] | None = None) -> dict[str, str]:
    """Certificate number -> its holder's NIK, for the numbers given (all when None)."""
    query = select(certificate_niks.c.number, certificate_niks.c.nik)
    if numbers is not None:
        if not numbers:
            return {}
        query = query.where(certificate_niks.c.number.in_(numbers))
    return dict(conn.execute(query).all())


def certificates_by_number(conn, numbers: list[str]) -> list:
    if not numbers:
        return []
    return list(conn.execute(select(register).where(register.c.number.in_(numbers))
                             .order_by(register.c.id)).mappings())


def add_history(conn, number: str, dossier_id: int, *, kind: str, done_on: date, note: str = "") -> None:
    """Record a surveillance or recertification of a certificate (once per case)."""
    exists = conn.execute(select(certificate_history.c.id).where(
        certificate_history.c.number == number, certificate_history.c.dossier_id == dossier_id)).scalar()
    if not exists:
        conn.execute(insert(certificate_history).values(
            number=number, dossier_id=dossier_id, kind=kind, done_on=done_on, note=note, created_at=db.now()))


def history_of(conn, numbers: list[str]) -> dict[str, list]:
    """Each certificate's surveillances and recertifications, oldest first."""
    out: dict[str, list] = {n: [] for n in numbers}
    if numbers:
        for row in conn.execute(select(certificate_history).where(certificate_history.c.number.in_(numbers))
                                .order_by(certificate_history.c.done_on, certificate_history.c.id)).mappings():
            out[row["number"]].append(row)
    return out


def renew_certificate(conn, number: str, *, dossier_id: int, issue_date: date, expiry_date: date | None,
                      surveillance_dates: list[str]) -> None:
    """Recertification: the same certificate (number, QR token) for a new cycle."""
    conn.execute(update(register).where(register.c.number == number).values(
        dossier_id=dossier_id, issue_date=issue_date, expiry_date=expiry_date,
        surveillance_dates=surveillance_dates, status="aktif", status_reason="", updated_at=db.now()))
