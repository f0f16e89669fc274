"""Read-only queries behind the desk's pages: queues, one dossier, the dashboard figures."""
from __future__ import annotations

import re
import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import and_, case, func, or_, select

from pipelines import db
from pipelines.calendar import JAKARTA
from pipelines.decide import STATUS_LABELS
from pipelines.decide.decide import AWAITING_APPROVAL, AWAITING_COMPLETION, COMPLETION_HELD, HELD, NEW
from pipelines.desk import claims, search

RETURNED = "dikembalikan"
OPEN_STATUSES = (NEW, HELD, COMPLETION_HELD, AWAITING_COMPLETION, AWAITING_APPROVAL, RETURNED)
UNCLASSIFIED = "unclassified"
NOT_RELEVANT = "tidak_relevan"
PER_PAGE = 50


def today() -> date:
    return datetime.now(JAKARTA).date()


@dataclass
class QueueFilter:
    status: str = ""          # "" = open statuses, "semua" = every status
    lsp: str = ""
    kind: str = ""
    due_from: date | None = None
    due_to: date | None = None
    q: str = ""
    sort: str = ""            # "" = overdue first, then oldest received; see SORTS
    page: int = 1

    @classmethod
    def from_query(cls, params) -> "QueueFilter":
        def _date(name):
            try:
                return date.fromisoformat(params.get(name) or "")
            except ValueError:
                return None
        try:
            page = max(1, min(int(params.get("halaman") or 1), 100000))
        except ValueError:
            page = 1
        status = params.get("status") or ""
        if status not in STATUS_LABELS and status != "semua":
            status = ""
        sort = params.get("urut") or ""
        return cls(status=status, lsp=(params.get("lsp") or "")[:50], kind=(params.get("jenis") or "")[:50],
                   due_from=_date("jatuh_tempo_dari"), due_to=_date("jatuh_tempo_sampai"),
                   q=(params.get("q") or "").strip()[:100], sort=sort if sort in SORTS else "", page=page)

    def query_string(self, **change) -> str:
        from urllib.parse import urlencode
        values = {"status": self.status, "lsp": self.lsp, "jenis": self.kind,
                  "jatuh_tempo_dari": self.due_from.isoformat() if self.due_from else "",
                  "jatuh_tempo_sampai": self.due_to.isoformat() if self.due_to else "",
                  "q": self.q, "urut": self.sort, "halaman": self.page}
        values.update(change)
        return urlencode({k: v for k, v in values.items() if v not in ("", None, 1) or k == "status" and v})


SORTS = {  # queue orderings by their query value (urut=...)
    "": lambda overdue: (overdue, db.dossiers.c.received_at, db.dossiers.c.id),
    "terbaru": lambda overdue: (db.dossiers.c.received_at.desc(), db.dossiers.c.id.desc()),
    "terlama": lambda overdue: (db.dossiers.c.received_at, db.dossiers.c.id),
    "jatuh_tempo": lambda overdue: (db.dossiers.c.due_date.is_(None), db.dossiers.c.due_date, db.dossiers.c.id),
    "nomor": lambda overdue: (db.dossiers.c.number,),
}
SORT_LABELS = {"": "Terlambat dulu, lalu terlama", "terbaru": "Diterima terbaru", "terlama": "Diterima terlama",
               "jatuh_tempo": "Jatuh tempo terdekat", "nomor": "Nomor berkas"}


def status_counts(conn) -> dict[str, int]:
    rows = conn.execute(select(db.dossiers.c.status, func.count()).group_by(db.dossiers.c.status)).all()
    return {status: count for status, count in rows}


def overdue_clause(day: date):
    return and_(db.dossiers.c.status == AWAITING_APPROVAL, db.dossiers.c.due_date < day)


def queue(conn, flt: QueueFilter, per_page: int = PER_PAGE) -> tuple[list[dict], int]:
    """One page of dossiers, overdue first, then oldest received first."""
    d = db.dossiers.c
    conditions = []
    if flt.status == "":
        conditions.append(d.status.in_(OPEN_STATUSES))
    elif flt.status != "semua":
        conditions.append(d.status == flt.status)
    if flt.lsp:
        conditions.append(d.lsp_code == flt.lsp)
    if flt.kind:
        conditions.append(d.kind == flt.kind)
    if flt.due_from:
        conditions.append(d.due_date >= flt.due_from)
    if flt.due_to:
        conditions.append(d.due_date <= flt.due_to)
    if flt.q:
        found = search.matching(conn.dialect.name, flt.q)
        if found is not None:
            conditions.append(found)
    where = and_(*conditions) if conditions else True
    total = conn.execute(select(func.count()).select_from(db.dossiers).where(where)).scalar()
    day = today()
    overdue = case((overdue_clause(day), 0), else_=1)
    errors = (select(func.count()).select_from(db.findings)
              .where(db.findings.c.dossier_id == d.id, db.findings.c.severity == "error",
                     or_(db.findings.c.overridden_by == "", db.findings.c.overridden_by.is_(None)))
              .scalar_subquery())
    rows = conn.execute(
        select(d.id, d.number, d.kind, d.status, d.lsp_code, d.sender, d.subject, d.received_at,
               d.due_date, errors.label("errors"), overdue.label("overdue_rank"))
        .where(where).order_by(*SORTS[flt.sort](overdue))
        .limit(per_page).offset((flt.page - 1) * per_page)).mappings().all()
    ids = [r["id"] for r in rows]
    held = claims.holders(conn, ids)
    notes = return_notes(conn, [r["id"] for r in rows if r["status"] == RETURNED])
    busy = open_findings(conn, [r["id"] for r in rows if r["status"] == AWAITING_APPROVAL])
    return [dict(r, overdue=r["overdue_rank"] == 0, received_at=db.aware(r["received_at"]),
                 holder=held.get(r["id"]), return_note=notes.get(r["id"]),
                 clean=r["status"] == AWAITING_APPROVAL and not busy.get(r["id"])) for r in rows], total


def open_findings(conn, dossier_ids: list[int]) -> dict[int, int]:
    """Errors and warnings nobody has overridden, per dossier."""
    if not dossier_ids:
        return {}
    f = db.findings.c
    rows = conn.execute(select(f.dossier_id, func.count()).where(
        f.dossier_id.in_(dossier_ids), f.severity.in_(("error", "warning")),
        or_(f.overridden_by == "", f.overridden_by.is_(None))).group_by(f.dossier_id))
    return dict(rows.all())


def clean_awaiting(conn, numbers: list[str]) -> dict[str, dict]:
    """Of these dossiers, those waiting for approval with no open finding, in the given order."""
    if not numbers:
        return {}
    d = db.dossiers.c
    rows = {r["number"]: dict(r) for r in conn.execute(
        select(d.id, d.number, d.lsp_code, d.subject, d.facts, d.received_at, d.due_date)
        .where(d.number.in_(numbers), d.status == AWAITING_APPROVAL)).mappings()}
    busy = open_findings(conn, [r["id"] for r in rows.values()])
    return {n: rows[n] for n in numbers if n in rows and not busy.get(rows[n]["id"])}


def return_notes(conn, dossier_ids: list[int]) -> dict[int, dict]:
    """The official's latest return (who, when, the reason) per dossier."""
    if not dossier_ids:
        return {}
    e = db.events.c
    latest = (select(func.max(e.id)).where(e.action == "berkas_dikembalikan", e.dossier_id.in_(dossier_ids))
              .group_by(e.dossier_id))
    rows = conn.execute(select(e.dossier_id, e.actor, e.at, e.detail).where(e.id.in_(latest))).mappings()
    return {r["dossier_id"]: {"by": r["actor"], "at": db.aware(r["at"]),
                              "note": (r["detail"] or {}).get("catatan", "")} for r in rows}


def neighbours(conn, number: str, statuses) -> tuple[str | None, str | None]:
    """The dossiers before and after `number` in the queue of these statuses (queue order), for
    the previous/next links and for going on to the next dossier after a decision."""
    d = db.dossiers.c
    overdue = case((overdue_clause(today()), 0), else_=1)
    numbers = conn.execute(select(d.number).where(d.status.in_(statuses))
                           .order_by(overdue, d.received_at, d.id)).scalars().all()
    if number not in numbers:
        return None, numbers[0] if numbers else None
    i = numbers.index(number)
    return (numbers[i - 1] if i > 0 else None), (numbers[i + 1] if i + 1 < len(numbers) else None)


def saved_filters(conn, username: str) -> list[dict]:
    from pipelines.desk.models import saved_filters as table
    return [dict(r) for r in conn.execute(select(table.c.id, table.c.name, table.c.query)
                                          .where(table.c.username == username).order_by(table.c.name)).mappings()]


def held_mail(conn, limit: int = 200) -> list[dict]:
    """Mail nobody could classify and that no dossier owns: an officer decides."""
    m = db.mails.c
    rows = conn.execute(select(m.id, m.from_addr, m.subject, m.received_at, m.mailbox)
                        .where(m.classification == UNCLASSIFIED, m.dossier_id.is_(None))
                        .order_by(m.received_at, m.id).limit(limit)).mappings().all()
    return [dict(r, received_at=db.aware(r["received_at"])) for r in rows]


def held_mail_count(conn) -> int:
    m = db.mails.c
    return conn.execute(select(func.count()).select_from(db.mails).where(
        m.classification == UNCLASSIFIED, m.dossier_id.is_(None))).scalar()


def held_dossiers(conn, limit: int = 200) -> list[dict]:
    d = db.dossiers.c
    rows = conn.execute(select(d.id, d.number, d.kind, d.sender, d.subject, d.received_at)
                        .where(d.status == HELD).order_by(d.received_at, d.id).limit(limit)).mappings().all()
    return [dict(r, received_at=db.aware(r["received_at"])) for r in rows]


# --------------------------------------------------------------------------- one dossier

_ROW = re.compile(r"(?:\bbaris\b|\brow\b|!\s*[A-Z]{1,3}(?=\d))\s*(\d+)", re.I)
_A1 = re.compile(r"!\s*([A-Z]{1,3})(\d+)\b")
_COLUMN = re.compile(r"\bkolom\s+([^,;]+)", re.I)
_PARENS = re.compile(r"\(([^)]*)\)")
_SHEET = re.compile(r"\b(?:lembar|sheet)\s+([^,;!]+)", re.I)
# Header words -> participant field, most specific first ("nama skema" is a scheme, not a name).
_COLUMNS = [("nik", "nik"), ("kependudukan", "nik"), ("ktp", "nik"), ("skema", "scheme"), ("scheme", "scheme"),
            ("hasil", "result"), ("result", "result"), ("rekomendasi", "result"), ("k/bk", "result"),
            ("nama", "name"), ("name", "name")]


def parse_location(location: str) -> dict:
    """Where a finding points in a participant list, as far as its text says.

    Understands "peserta.xlsx, lembar Data, baris 7, kolom C (NIK)" (the readers' form),
    "..., kolom NIK" and "peserta.xlsx!Data!C7"."""
    text = location or ""
    out = {"file": text.split(",")[0].split("!")[0].strip(), "sheet": None, "row": None, "column": None}
    sheet = _SHEET.search(text)
    if sheet:
        out["sheet"] = sheet.group(1).strip()
    elif text.count("!") >= 2:
        out["sheet"] = text.split("!")[1].strip()
    row = _ROW.search(text) or _A1.search(text)
    if row:
        out["row"] = int(row.groups()[-1])
    column = _COLUMN.search(text)
    if column:
        text_col = column.group(1).strip()
        inner = _PARENS.search(text_col)
        name = (inner.group(1) if inner else text_col).strip().lower()
        out["column"] = next((v for k, v in _COLUMNS if k in name), name)
    return out


CELL_COLUMNS = ("name", "nik", "scheme", "result")


def _blocking(f: dict) -> bool:
    return f["severity"] == "error" and not f["overridden_by"]


def participant_table(conn, dossier_id: int, found: list[dict]) -> tuple[list[dict], dict[str, list[dict]]]:
    """Participants with the cells (or whole rows) findings point at marked, flagged rows first.

    Sets `anchor` on each finding that points at a row it found (the cell's id on the page).
    Returns the rows and the findings that name a column but no row (shown at the column head)."""
    docs = {r.id: r.filename for r in conn.execute(
        select(db.documents.c.id, db.documents.c.filename).where(db.documents.c.dossier_id == dossier_id))}
    rows = conn.execute(select(db.participants).where(db.participants.c.dossier_id == dossier_id)
                        .order_by(db.participants.c.document_id, db.participants.c.sheet,
                                  db.participants.c.row)).mappings().all()
    flags, by_column = [], {}
    for f in found:
        loc = parse_location(f["location"])
        if loc["row"] is not None:
            flags.append((loc, f))
        elif loc["column"] in CELL_COLUMNS:
            by_column.setdefault(loc["column"], []).append(f)
    table = []
    for r in rows:
        filename = docs.get(r["document_id"], "")
        cells: dict[str, list[dict]] = {}
        for loc, f in flags:
            if loc["row"] != r["row"]:
                continue
            if loc["file"] and filename and not (filename.endswith(loc["file"]) or loc["file"].endswith(filename)):
                continue
            if loc["sheet"] and r["sheet"] and loc["sheet"] != r["sheet"]:
                continue
            column = loc["column"] if loc["column"] in CELL_COLUMNS else "row"
            cells.setdefault(column, []).append(f)
            f.setdefault("anchor", f"peserta-{r['id']}" if column == "row" else f"sel-{r['id']}-{column}")
        table.append({**r, "filename": filename, "flags": cells,
                      "flagged": bool(cells), "blocking": any(_blocking(f) for fs in cells.values() for f in fs)})
    table.sort(key=lambda p: (not p["blocking"], not p["flagged"]))   # stable: sheet order within each group
    return table, by_column


def dossier_view(conn, number: str, registry, services) -> dict | None:
    row = db.dossier_by_number(conn, number)
    if row is None:
        return None
    dossier = dict(row)
    dossier["received_at"] = db.aware(dossier["received_at"])
    dossier["completed_at"] = db.aware(dossier["completed_at"])
    dossier["overdue"] = dossier["status"] == AWAITING_APPROVAL and bool(dossier["due_date"]) and dossier["due_date"] < today()
    did = dossier["id"]
    found = [dict(f) for f in conn.execute(select(db.findings).where(db.findings.c.dossier_id == did)
                                           .order_by(db.findings.c.id)).mappings()]
    documents = [dict(d) for d in conn.execute(select(db.documents).where(db.documents.c.dossier_id == did)
                                               .order_by(db.documents.c.id)).mappings()]
    for d in documents:
        d["is_pdf"] = d["media_type"] == "application/pdf" or d["filename"].lower().endswith(".pdf")
        d["findings"] = [f for f in found if (f["location"] or "").startswith(d["filename"])]
    generated = [dict(g) for g in conn.execute(select(db.generated_files).where(
        db.generated_files.c.dossier_id == did).order_by(db.generated_files.c.id)).mappings()]
    mails = [dict(m, received_at=db.aware(m["received_at"])) for m in conn.execute(
        select(db.mails).where(db.mails.c.dossier_id == did).order_by(db.mails.c.received_at, db.mails.c.id))
        .mappings()]
    emails = [dict(o) for o in conn.execute(select(db.outbox).where(db.outbox.c.dossier_id == did)
                                            .order_by(db.outbox.c.id)).mappings()]
    events = [dict(e, at=db.aware(e["at"])) for e in conn.execute(
        select(db.events).where(db.events.c.dossier_id == did).order_by(db.events.c.id)).mappings()]
    service = services.get(dossier["kind"])
    participants, column_flags = participant_table(conn, did, found)
    by_outbox = {o["id"]: o for o in emails}
    requests = [{"by": e["actor"], "at": e["at"], "to": (e["detail"] or {}).get("kepada", []),
                 "subject": (e["detail"] or {}).get("subjek", ""),
                 "mail": by_outbox.get((e["detail"] or {}).get("outbox_id"))}
                for e in events if e["action"] == "permintaan_kelengkapan_dikirim"]
    return {
        "holder": claims.holder(conn, did),
        "returned": return_notes(conn, [did]).get(did) if dossier["status"] == RETURNED else None,
        "completion_requests": requests,
        "dossier": dossier,
        "lsp": registry.by_code(dossier["lsp_code"]) if dossier["lsp_code"] else None,
        "service": service,
        "findings": found,
        "blocking": [f for f in found if f["severity"] == "error" and not f["overridden_by"]],
        "documents": documents,
        "participants": participants,
        "column_flags": column_flags,
        "generated": generated,
        "mails": mails,
        "emails": emails,
        "events": events,
    }


def mail_row(conn, mail_id: int):
    return conn.execute(select(db.mails).where(db.mails.c.id == mail_id)).mappings().first()


# --------------------------------------------------------------------------- dashboard

def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def dashboard(conn, weeks: int = 12) -> dict:
    d = db.dossiers.c
    counts = status_counts(conn)
    day = today()
    overdue = conn.execute(select(func.count()).select_from(db.dossiers).where(overdue_clause(day))).scalar()

    # Requests per ISO week (Monday, WIB) over the last `weeks` weeks.
    monday = day - timedelta(days=day.weekday())
    first = monday - timedelta(weeks=weeks - 1)
    start_utc = datetime(first.year, first.month, first.day, tzinfo=JAKARTA).astimezone(timezone.utc)
    per_week = {first + timedelta(weeks=i): 0 for i in range(weeks)}
    for (received,) in conn.execute(select(d.received_at).where(d.received_at >= start_utc)):
        local = db.aware(received).astimezone(JAKARTA).date()
        per_week[local - timedelta(days=local.weekday())] = per_week.get(
            local - timedelta(days=local.weekday()), 0) + 1

    # Receipt -> the official's decision (approval or return), a person's decision only: the
    # pipeline's automatic "complete" would make the office look faster than it is.
    decided_at = (select(db.events.c.dossier_id.label("dossier_id"), func.min(db.events.c.at).label("at"))
                  .where(db.events.c.action.in_(("berkas_disetujui", "berkas_dikembalikan")),
                         db.events.c.actor != "sistem")
                  .group_by(db.events.c.dossier_id).subquery())
    hours = [max(0.0, (db.aware(decided) - db.aware(received)).total_seconds() / 3600)
             for received, decided in conn.execute(
                 select(d.received_at, decided_at.c.at).select_from(
                     db.dossiers.join(decided_at, decided_at.c.dossier_id == d.id)))]
    buckets = [("< 4 jam", 4), ("4–24 jam", 24), ("1–2 hari", 48), ("2–5 hari", 120), ("> 5 hari", None)]
    histogram = []
    low = 0.0
    for label, high in buckets:
        histogram.append((label, sum(1 for h in hours if h >= low and (high is None or h < high))))
        low = high or low
    return {
        "workload": workload(conn),
        "counts": [(STATUS_LABELS.get(s, s), counts.get(s, 0), s) for s in STATUS_LABELS if counts.get(s)]
                  + [(s, n, s) for s, n in counts.items() if s not in STATUS_LABELS],
        "total": sum(counts.values()),
        "overdue": overdue,
        "per_week": sorted(per_week.items()),
        "decided": len(hours),
        "median_hours": statistics.median(hours) if hours else None,
        "p90_hours": _percentile(hours, 0.9),
        "histogram": histogram,
        "today": day,
    }


def workload(conn, days: int = 7) -> list[dict]:
    """Per officer: open dossiers held now, and what they did in the last `days` days."""
    from pipelines.desk.models import claims as held, users
    since = db.now() - timedelta(days=days)
    e = db.events.c
    holding = dict(conn.execute(select(held.c.username, func.count()).select_from(
        held.join(db.dossiers, db.dossiers.c.id == held.c.dossier_id))
        .where(db.dossiers.c.status.in_(OPEN_STATUSES)).group_by(held.c.username)).all())
    acted = {}
    for actor, action, n in conn.execute(select(e.actor, e.action, func.count()).where(
            e.at >= since, e.dossier_id.is_not(None)).group_by(e.actor, e.action)):
        acted.setdefault(actor, {})[action] = n
    rows = []
    for u in conn.execute(select(users.c.username, users.c.full_name, users.c.role)
                          .where(users.c.active.is_(True), users.c.role.in_(("petugas", "admin")))
                          .order_by(users.c.full_name)).mappings():
        mine = acted.get(u["username"], {})
        rows.append({"name": u["full_name"], "username": u["username"], "holding": holding.get(u["username"], 0),
                     "requests": mine.get("permintaan_kelengkapan_dikirim", 0),
                     "overrides": mine.get("temuan_dikesampingkan", 0), "actions": sum(mine.values())})
    return sorted(rows, key=lambda r: (-r["holding"], -r["actions"], r["name"]))
