"""All SQL of the clock tables (pipelines/clock/models.py)."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from datetime import datetime, timezone
from operator import itemgetter

import numpy as np
from sqlalchemy import and_, bindparam, case, func, insert, select, update

from pipelines import db
from pipelines.clock.engine import KIND_CODES
from pipelines.clock.models import clock_credits, clock_events, clock_marks, clocks


def utc(moment: datetime | None) -> datetime | None:
    """Stored moments are UTC (SQLite keeps the wall time it is given and drops the zone)."""
    return None if moment is None else db.aware(moment).astimezone(timezone.utc)


def _insert_ignoring_duplicate(conn, table, values: dict, key: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when this call inserted the row."""
    result = conn.execute(db.dialect_insert(conn, table).values(**values).on_conflict_do_nothing(index_elements=key))
    return result.rowcount == 1


# -- clocks and their logs ---------------------------------------------------------------
# Statements of the mail path, built once (see db.built_for).
_FIND_CLOCK = select(clocks).where(clocks.c.case_type == bindparam("case_type_"),
                                   clocks.c.case_ref == bindparam("case_ref_"), clocks.c.leg == bindparam("leg_"))
_INSERT_EVENT = insert(clock_events)
_LAST_EVENT = (select(clock_events).where(clock_events.c.clock_id == bindparam("clock_id_"))
               .order_by(clock_events.c.at.desc(), clock_events.c.id.desc()).limit(1))


def find_clock(conn, case_type: str, case_ref: str, leg: str = ""):
    return conn.execute(_FIND_CLOCK, {"case_type_": case_type, "case_ref_": str(case_ref), "leg_": leg}
                        ).mappings().first()


def _insert_clock(dialect: str):
    return (db.insert_in(dialect, clocks).on_conflict_do_nothing(index_elements=["case_type", "case_ref", "leg"])
            .returning(clocks.c.id))


def insert_clock(conn, values: dict) -> int | None:
    """The new clock's id; None when the case's clock (case_type, case_ref, leg) exists already.
    RETURNING says it reliably where rowcount of INSERT .. ON CONFLICT does not (every driver)."""
    values = {**values, "opened_at": utc(values["opened_at"])}
    return conn.execute(db.built_for(conn, _insert_clock), values).scalar()


def set_clock(conn, clock_id: int, **values) -> None:
    values = {k: utc(v) if isinstance(v, datetime) else v for k, v in values.items()}
    conn.execute(update(clocks).where(clocks.c.id == clock_id).values(**values))


def add_event(conn, clock_id: int, kind: str, at: datetime, reason: str = "", actor: str = "sistem",
              note: str = "") -> None:
    """Its moment is kept to the millisecond, all a log read gives back (see add_to_log)."""
    conn.execute(_INSERT_EVENT, {"clock_id": clock_id, "kind": kind, "at": _to_millisecond(utc(at)),
                                 "reason": reason, "actor": actor, "note": note})


def _to_millisecond(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def add_to_log(log: list[tuple], kind: str, at: datetime, reason: str = "") -> None:
    """Put an event add_event just wrote into a log load_case_log read, as a new read would give
    it back (exactly: add_event stored whole milliseconds), instead of reading the log again."""
    log.append((KIND_CODES[kind], _round_to_millisecond(_to_millisecond(utc(at)).timestamp()), reason))
    log.sort(key=itemgetter(1))   # stable: the newest event stays last among equal moments


def _round_to_millisecond(seconds: float) -> float:
    """np.round(seconds, 3) for one number (numpy multiplies by 1000, rounds half to even, divides)."""
    return round(seconds * 1000.0) / 1000.0


def last_event(conn, clock_id: int):
    return conn.execute(_LAST_EVENT, {"clock_id_": clock_id}).mappings().first()


def events_of(conn, clock_ids) -> list[dict]:
    return [dict(r) for r in conn.execute(select(clock_events).where(clock_events.c.clock_id.in_(list(clock_ids)))
                                          .order_by(clock_events.c.clock_id, clock_events.c.at,
                                                    clock_events.c.id)).mappings()]


def _epoch_column(dialect: str, column):
    """A timestamp column read as UTC epoch seconds, computed by the database: no datetime or
    string object per row (SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" in UTC)."""
    if dialect == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return func.extract("epoch", column)


CLOCK_COLUMNS = ("id", "case_type", "case_ref", "leg", "service", "office", "target", "unit", "warn_at",
                 "customer", "holder", "credit_id")
COLUMN = {name: i for i, name in enumerate(CLOCK_COLUMNS)}     # position in a loaded clock row


@contextmanager
def no_gc_pauses():
    """Building 100,000 small objects triggers the cyclic collector over and over (it halves
    the time of a bulk load); none of them form cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def load_logs(conn, *, open_only: bool = True, case_type: str | None = None, case_refs=None,
              closed_since: datetime | None = None, closed_until: datetime | None = None):
    """Clock rows (tuples of CLOCK_COLUMNS, ordered by id: `row[COLUMN["office"]]`) and their
    events as columns in log order (clock index, kind code, epoch seconds, reason): two lean
    queries."""
    conditions = []
    if open_only:
        conditions.append(clocks.c.closed_at.is_(None))
    if case_type is not None:
        conditions.append(clocks.c.case_type == case_type)
    if case_refs is not None:
        conditions.append(clocks.c.case_ref.in_([str(r) for r in case_refs]))
    if closed_since is not None:
        conditions.append(clocks.c.closed_at >= utc(closed_since))
    if closed_until is not None:
        conditions.append(clocks.c.closed_at < utc(closed_until))
    with no_gc_pauses():
        return _load(conn, and_(*conditions))


def _load(conn, where):
    # Plain tuples straight from the DBAPI cursor (no SQLAlchemy Row per clock: it costs more
    # than the query; these columns need no type conversion), ordered here rather than in a
    # temporary B-tree.
    result = conn.execute(select(*[clocks.c[name] for name in CLOCK_COLUMNS]).where(where))
    clock_rows = result.cursor.fetchall()
    result.close()
    ids = np.array([r[0] for r in clock_rows], dtype=np.int64)
    if len(ids) > 1 and (ids[1:] < ids[:-1]).any():
        by_id = np.argsort(ids, kind="stable")
        clock_rows, ids = [clock_rows[i] for i in by_id.tolist()], ids[by_id]
    result = conn.execute(
        select(*_log_columns(conn.dialect.name))
        .select_from(clock_events.join(clocks, clocks.c.id == clock_events.c.clock_id)).where(where)
        .order_by(clock_events.c.clock_id, clock_events.c.id))
    events = result.cursor.fetchall()
    result.close()
    return _as_logs(clock_rows, ids, events)


def load_case_log(conn, case_type: str, case_ref: str, leg: str = "") -> tuple[tuple, list[tuple]] | None:
    """One case's clock (a tuple of CLOCK_COLUMNS) and its log, in one query: (kind code, epoch
    seconds, reason) entries in load_logs' order (by moment to the millisecond, then as written).
    None when the case has no clock with a started log."""
    result = conn.execute(db.built_for(conn, _case_log),
                          {"case_type_": case_type, "case_ref_": str(case_ref), "leg_": leg})
    rows = result.cursor.fetchall()
    result.close()
    if not rows:
        return None
    width = len(CLOCK_COLUMNS)
    # Rows come in event id order; a stable sort by moment keeps it among equal moments.
    log = sorted(((kind, _round_to_millisecond(float(at)), reason) for kind, at, reason in (r[width:] for r in rows)),
                 key=itemgetter(1))
    return rows[0][:width], log


def _case_log(dialect: str):
    return (select(*[clocks.c[name] for name in CLOCK_COLUMNS], *_log_columns(dialect)[1:])
            .select_from(clocks.join(clock_events, clock_events.c.clock_id == clocks.c.id))
            .where(clocks.c.case_type == bindparam("case_type_"), clocks.c.case_ref == bindparam("case_ref_"),
                   clocks.c.leg == bindparam("leg_"))
            .order_by(clock_events.c.id))


def _log_columns(dialect: str):
    """clock id, kind code, epoch seconds, reason: the columns of a loaded log."""
    kind_code = case(*((clock_events.c.kind == kind, code) for kind, code in KIND_CODES.items()), else_=-1)
    return clock_events.c.clock_id, kind_code, _epoch_column(dialect, clock_events.c.at), clock_events.c.reason


def _as_logs(clock_rows, ids, events):
    # Events come in index order (clock, id); a stable numpy sort puts them in log order
    # (clock, moment, id).
    if not events:
        return clock_rows, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int8), np.zeros(0), []
    ev_ids, kinds, ats, reasons = zip(*events)
    ev_ids = np.array(ev_ids, dtype=np.int64)
    ats = np.round(np.array(ats, dtype=float), 3)   # julianday keeps milliseconds; drop its float noise
    order = np.lexsort((ats, ev_ids))          # stable: equal moments keep their id order
    ev_clock = np.searchsorted(ids, ev_ids[order])
    ev_kind = np.array(kinds, dtype=np.int8)[order]
    return clock_rows, ev_clock, ev_kind, ats[order], [reasons[i] for i in order.tolist()]


def seen_deadlines(conn, clock_ids) -> dict[int, tuple]:
    """clock id -> (seen_deadline, seen_calendar): what the last sweep announced."""
    return {r[0]: (r[1], r[2]) for r in conn.execute(
        select(clocks.c.id, clocks.c.seen_deadline, clocks.c.seen_calendar)
        .where(clocks.c.id.in_(list(clock_ids)))).all()} if clock_ids else {}


# -- warnings and breaches ---------------------------------------------------------------
def add_mark(conn, clock_id: int, mark: str, holder: str, deadline: datetime) -> bool:
    return _insert_ignoring_duplicate(conn, clock_marks, {"clock_id": clock_id, "mark": mark, "at": db.now(),
                                                          "holder": holder, "deadline": utc(deadline)},
                                      ["clock_id", "mark"])


def remove_mark(conn, clock_id: int, mark: str) -> None:
    conn.execute(clock_marks.delete().where(clock_marks.c.clock_id == clock_id, clock_marks.c.mark == mark,
                                            clock_marks.c.digested_at.is_(None)))


def marks_of(conn, clock_ids=None) -> list[dict]:
    query = select(clock_marks)
    if clock_ids is not None:
        query = query.where(clock_marks.c.clock_id.in_(list(clock_ids)))
    return [dict(r) for r in conn.execute(query.order_by(clock_marks.c.id)).mappings()]


def undigested_marks(conn) -> list[dict]:
    return [dict(r) for r in conn.execute(
        select(clock_marks, clocks.c.case_type, clocks.c.case_ref, clocks.c.leg, clocks.c.service)
        .select_from(clock_marks.join(clocks, clocks.c.id == clock_marks.c.clock_id))
        .where(clock_marks.c.digested_at.is_(None)).order_by(clock_marks.c.id)).mappings()]


def set_digested(conn, mark_ids, at: datetime) -> None:
    conn.execute(update(clock_marks).where(clock_marks.c.id.in_(list(mark_ids))).values(digested_at=utc(at)))


# -- compensation credits ----------------------------------------------------------------
def insert_credit(conn, values: dict) -> bool:
    return _insert_ignoring_duplicate(conn, clock_credits, values, ["source_clock_id"])


def credit_for_clock(conn, source_clock_id: int):
    return conn.execute(select(clock_credits).where(clock_credits.c.source_clock_id == source_clock_id)
                        ).mappings().first()


def claim_credit(conn, clock_id: int, customer: str, service: str, letter_number: str | None = None):
    """Take one unused credit (the named letter's, else the oldest) for `clock_id`. The UPDATE
    re-checks `used_by_clock_id IS NULL`, so of two workers claiming the same credit one gets it."""
    for _ in range(3):
        query = select(clock_credits.c.id).where(clock_credits.c.used_by_clock_id.is_(None),
                                                 clock_credits.c.service == service)
        if letter_number:
            query = query.where(func.upper(clock_credits.c.letter_number) == letter_number.upper())
        else:
            query = query.where(clock_credits.c.customer == customer)
        candidate = conn.execute(query.order_by(clock_credits.c.id).limit(1)).scalar()
        if candidate is None:
            return None
        row = conn.execute(update(clock_credits).where(clock_credits.c.id == candidate,
                                                       clock_credits.c.used_by_clock_id.is_(None))
                           .values(used_by_clock_id=clock_id, used_at=db.now())
                           .returning(clock_credits.c.id, clock_credits.c.working_days,
                                      clock_credits.c.letter_number)).mappings().first()
        if row is not None:
            return dict(row)
    return None


def credits_of(conn, customer: str | None = None) -> list[dict]:
    query = select(clock_credits)
    if customer is not None:
        query = query.where(clock_credits.c.customer == customer)
    return [dict(r) for r in conn.execute(query.order_by(clock_credits.c.id)).mappings()]
