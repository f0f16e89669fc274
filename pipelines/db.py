"""The database: domain state lives here, not in Prefect runs.

SQLAlchemy Core; SQLite by default (WAL, busy timeout), PostgreSQL where several
workers run. Uniqueness that "nothing is done twice" depends on is enforced by
constraints, not only by code.
"""
from __future__ import annotations

import json
import re
import threading
from datetime import datetime, timezone
from functools import lru_cache

from sqlalchemy import (JSON, BigInteger, Column, Date, DateTime, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint, bindparam, create_engine,
                        event, insert, select, text, update)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError

metadata = MetaData()

# One row per mail seen in a mailbox. The unique key is the claim: two pollers can never
# both insert it. `fingerprint` (sha256 of the raw bytes) stands in where Message-ID is missing.
mails = Table(
    "mails", metadata,
    Column("id", Integer, primary_key=True),
    Column("mailbox", String(100), nullable=False),
    Column("uidvalidity", BigInteger, nullable=False),
    Column("uid", String(200), nullable=False),
    Column("message_id", String(998), nullable=False, index=True),
    Column("fingerprint", String(64), nullable=False, index=True),
    Column("raw_path", Text, nullable=False),
    Column("from_addr", String(320), default=""),
    Column("subject", Text, default=""),
    Column("received_at", DateTime(timezone=True), nullable=False),
    # received -> done | failed ; classification: a dossier kind, unclassified, autoreply, duplicate
    Column("state", String(20), nullable=False, default="received"),
    Column("classification", String(50), default=""),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=True, index=True),
    Column("claimed_by", String(200), default=""),
    Column("claimed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text, default=""),
    Column("moved", Integer, nullable=False, default=0),
    Column("processed_at", DateTime(timezone=True)),
    UniqueConstraint("mailbox", "uidvalidity", "uid", name="uq_mail_uid"),
    # What every poll filters on: unfinished mail, and processed mail still to move.
    Index("ix_mail_state", "state"),
    Index("ix_mail_to_move", "mailbox", "uidvalidity", "moved", "state"),
)

dossiers = Table(
    "dossiers", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("kind", String(50), nullable=False),
    Column("status", String(40), nullable=False, index=True),
    Column("lsp_code", String(50), default=""),
    Column("sender", String(320), default=""),
    Column("subject", Text, default=""),
    Column("thread_message_id", String(998), default="", index=True),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("completed_at", DateTime(timezone=True)),
    Column("due_date", Date),
    Column("facts", JSON, default=dict),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_dossier_kind_status", "kind", "status"),
)

# The request letter number each dossier's facts hold, normalised (letter_key): a letter sent
# again finds the first copy's dossier by index instead of reading every dossier of its sender
# (intake grew with history). Written with the facts; its own table, so databases made before
# it gain it from create_all and fill it when an engine is made (fill_request_letters).
request_letters = Table(
    "request_letters", metadata,
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), primary_key=True),
    Column("letter_key", String(200), nullable=False),
    Index("ix_request_letter_key", "letter_key"),
)

# Attachments as files on disk plus what the readers made of them.
documents = Table(
    "documents", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("mail_id", Integer, ForeignKey("mails.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("filename", Text, nullable=False),
    Column("path", Text, nullable=False),
    Column("media_type", String(100), default=""),
    Column("sha256", String(64), nullable=False),
    Column("size", Integer, nullable=False),
    Column("doc_type", String(50), default="other"),
    Column("evidence", JSON, default=list),
    Column("facts", JSON, default=dict),
    Column("needs_manual_review", Integer, default=0),
    UniqueConstraint("mail_id", "position", name="uq_document_mail_position"),
)

# Dossiers whose documents the service has typed (`process._record_types`): a case page finds
# older dossiers without a row and types their documents once. Its own table, so databases made
# before it gain it from create_all with no migration.
document_types_recorded = Table(
    "document_types_recorded", metadata,
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), primary_key=True),
)

findings = Table(
    "findings", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("code", String(80), nullable=False),
    Column("severity", String(10), nullable=False),
    Column("message", Text, nullable=False),
    Column("location", Text, default=""),
    Column("overridden_by", String(100), default=""),
    Column("override_reason", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Assessed persons from participant lists: the NIK history checks and certificates read them.
participants = Table(
    "participants", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("document_id", Integer, ForeignKey("documents.id"), nullable=False),
    Column("sheet", String(200), nullable=False, default=""),
    Column("row", Integer, nullable=False),
    Column("name", Text, default=""),
    Column("nik", String(32), default="", index=True),
    Column("scheme", Text, default=""),
    Column("result", String(4), default=""),
    UniqueConstraint("document_id", "sheet", "row", name="uq_participant_row"),
)

# Documents Sertiflow wrote. One row per (dossier, kind): a rerun overwrites, never duplicates.
generated_files = Table(
    "generated_files", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("kind", String(60), nullable=False),
    Column("docx_path", Text, default=""),
    Column("pdf_path", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("dossier_id", "kind", name="uq_generated_kind"),
    Index("ix_generated_pdf_path", "pdf_path"),   # the poll's "PDF still to make"
)

# Who is converting a generated DOCX to PDF right now: several pollers never convert the
# same file (the primary key is the claim; a claim of a dead worker is taken over).
conversion_claims = Table(
    "conversion_claims", metadata,
    Column("generated_id", Integer, ForeignKey("generated_files.id"), primary_key=True),
    Column("claimed_by", String(200), nullable=False),
    Column("claimed_at", DateTime(timezone=True), nullable=False),
)

# Transactional outbox: a mail is queued in the same transaction as the state change that
# causes it; `idempotency_key` makes a second queueing impossible; the sender drains it.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=True, index=True),
    Column("message_id", String(998), nullable=False, unique=True),
    Column("to_addrs", JSON, nullable=False),
    Column("recipient", String(320), nullable=False, index=True),  # first address, for rate limits
    Column("subject", Text, nullable=False),
    Column("body_text", Text, nullable=False),
    Column("in_reply_to", String(998), default=""),
    Column("references", Text, default=""),
    Column("attachments", JSON, default=list),
    Column("automatic", Integer, nullable=False, default=1),
    # queued -> sending -> sent ; failed (will retry) ; uncertain (crashed mid-send: officer checks)
    Column("state", String(20), nullable=False, default="queued", index=True),
    Column("claimed_by", String(200), default=""),
    Column("claimed_at", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("sent_at", DateTime(timezone=True)),
)

# The From address of a queued mail that is not the settings' sender (complaints are answered
# from the office's complaints mailbox). Its own table, so databases made before it gain it
# from create_all with no migration; most mail has no row here.
outbox_senders = Table(
    "outbox_senders", metadata,
    Column("outbox_id", Integer, ForeignKey("outbox.id"), primary_key=True),
    Column("address", String(320), nullable=False),
)

# Audit trail: appended, never edited.
events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=True, index=True),
    Column("mail_id", Integer, ForeignKey("mails.id"), nullable=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(100), nullable=False),
    Column("action", String(80), nullable=False),
    Column("status_before", String(40), default=""),
    Column("status_after", String(40), default=""),
    Column("detail", JSON, default=dict),
)

# Sequence numbers per (name, year): dossier numbers never repeat, also across workers.
counters = Table(
    "counters", metadata,
    Column("name", String(60), primary_key=True),
    Column("value", BigInteger, nullable=False),
)


def now() -> datetime:
    return datetime.now(timezone.utc)


def aware(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; ours are always stored in UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)


def _json_default(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _dumps(value) -> str:
    return json.dumps(value, default=_json_default, ensure_ascii=False)


# Feature modules that add tables to `metadata`: imported before the schema is created.
TABLE_MODULES = ("pipelines.fulfil.models", "pipelines.desk.models", "pipelines.complaints.models",
                 "pipelines.applications.models", "pipelines.clock.models")
_SCHEMA_LOCK = 0x5E27F0        # pg_advisory_xact_lock key: one schema creator at a time


class _WriteTurn:
    """One SQLite transaction at a time per process, queued on a lock.

    SQLite lets one transaction hold the write lock (every write transaction here begins IMMEDIATE);
    a connection that finds it taken polls, its busy handler sleeping 1, 2, 5 ... up to 100 ms
    between tries. Four mail threads waiting on each other that way spent ~20 ms a mail asleep
    while the lock was free. Threads of one process now wait their turn here and start the moment
    it is given back; other processes (the desk, a second poller) still meet the busy handler.
    The wait is bounded like the busy timeout: after 30 s it fails as SQLite would."""

    TIMEOUT_S = 30.0

    def __init__(self):
        self._lock = threading.Semaphore(1)   # given back by whichever thread ends the transaction

    def take(self, conn) -> None:
        if not self._lock.acquire(timeout=self.TIMEOUT_S):
            raise OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked (waited for this process's own writer)"))
        conn.connection.info["write_turn"] = True   # the pooled DBAPI connection's own info

    def give_back(self, conn) -> None:
        try:
            info = conn.connection.info
        except Exception:   # the connection is already gone: check-in gave the turn back
            return
        self.give_back_info(info)

    def give_back_info(self, info: dict) -> None:
        if info.pop("write_turn", False):
            self._lock.release()


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One engine per URL per process; the schema is created on first use."""
    import importlib
    for module in TABLE_MODULES:
        importlib.import_module(module)
    if url.startswith("sqlite"):
        engine = create_engine(url, json_serializer=_dumps, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we issue BEGIN IMMEDIATE ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        turn = _WriteTurn()
        # Writes go through engine.begin() and take the write lock at BEGIN (IMMEDIATE), so a
        # read-then-write transaction cannot deadlock. Reads go through engine.connect() (no
        # code path writes there) and begin DEFERRED: in WAL mode they read the last committed
        # state without waiting, so a desk page never waits for the pipeline's write.
        engine.begin = engine.execution_options(sqlite_writes=True).begin

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Straight to the driver: a statement through SQLAlchemy costs the pipeline's GIL
            # ~50 us more, and every mail begins three transactions.
            dbapi_conn = conn.connection.dbapi_connection
            if not conn.get_execution_options().get("sqlite_writes"):
                dbapi_conn.execute("BEGIN")
                return
            turn.take(conn)
            try:
                dbapi_conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                turn.give_back(conn)
                raise

        @event.listens_for(engine, "commit")
        def _commit_then_give_back(conn):
            try:
                conn.connection.dbapi_connection.commit()   # SQLAlchemy's own commit then finds none open
            finally:
                turn.give_back(conn)

        @event.listens_for(engine, "rollback")
        def _rollback_then_give_back(conn):
            try:
                conn.connection.dbapi_connection.rollback()
            finally:
                turn.give_back(conn)

        @event.listens_for(engine, "checkin")
        def _give_back_on_return(dbapi_conn, record):   # a connection dropped mid-transaction
            turn.give_back_info(record.info)
    else:
        engine = create_engine(url, json_serializer=_dumps, pool_pre_ping=True)
    if engine.dialect.name == "postgresql":
        # Workers starting together on an empty database would race CREATE TABLE (the loser
        # fails on pg_type's unique index): one at a time; DDL is transactional there.
        with engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SCHEMA_LOCK})
            metadata.create_all(conn)
    else:
        metadata.create_all(engine)
    _add_missing_indexes(engine)
    fill_request_letters(engine)
    return engine


def _add_missing_indexes(engine: Engine) -> None:
    """create_all makes indexes only with new tables: add those declared since a database
    was created (what the poll filters on must stay indexed as history grows)."""
    from sqlalchemy import inspect
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        if not table.indexes:
            continue
        existing = {ix["name"] for ix in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in existing:
                with engine.begin() as conn:
                    index.create(conn, checkfirst=True)


def dialect_insert(conn, table):
    """INSERT for `table` with ON CONFLICT clauses (on_conflict_do_nothing/do_update), in the
    dialect of the database Sertiflow runs on (PostgreSQL or SQLite)."""
    return insert_in(conn.dialect.name, table)


def insert_in(dialect: str, table):
    """dialect_insert for a dialect name (statements built once, see built_for)."""
    from sqlalchemy.dialects import postgresql, sqlite
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


_BUILT: dict = {}


def built_for(conn, build):
    """`build(dialect name)`, once per database dialect. On the mail path, building a statement
    and its cache key cost SQLAlchemy more than running it (~100-180 us against ~25-40 us for
    one built once, with bindparam() for what changes); statements no dialect changes are
    module constants."""
    key = (build, conn.dialect.name)
    statement = _BUILT.get(key)
    if statement is None:
        statement = _BUILT[key] = build(conn.dialect.name)
    return statement


def next_number(conn, name: str) -> int:
    """Atomically take the next value of a named counter inside the caller's transaction.

    A new counter is created with INSERT ... ON CONFLICT DO NOTHING, then incremented like any
    other: two workers creating the same counter at once both get a value (on PostgreSQL the
    second waits for the first's row instead of failing on the primary key)."""
    row = conn.execute(_BUMP_COUNTER, {"counter": name}).first()
    if row is not None:
        return row[0]
    dialect = conn.dialect.name
    if dialect in ("postgresql", "sqlite"):
        from sqlalchemy.dialects.postgresql import insert as pg_insert
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert
        create = (pg_insert if dialect == "postgresql" else sqlite_insert)(counters)
        conn.execute(create.values(name=name, value=0).on_conflict_do_nothing(index_elements=["name"]))
    else:
        try:
            with conn.begin_nested():
                conn.execute(insert(counters).values(name=name, value=0))
        except IntegrityError:
            pass
    return conn.execute(_BUMP_COUNTER, {"counter": name}).scalar_one()


_BUMP_COUNTER = (update(counters).where(counters.c.name == bindparam("counter"))
                 .values(value=counters.c.value + 1).returning(counters.c.value))
_INSERT_EVENT = insert(events)


def record_event(conn, action: str, *, actor: str = "sistem", dossier_id: int | None = None,
                 mail_id: int | None = None, before: str = "", after: str = "", **detail) -> None:
    conn.execute(_INSERT_EVENT, {"dossier_id": dossier_id, "mail_id": mail_id, "at": now(), "actor": actor,
                                 "action": action, "status_before": before, "status_after": after,
                                 "detail": detail})


def record_events(conn, events: list[dict]) -> None:
    """record_event for several events in one statement: each dict holds record_event's
    arguments (`action` and any of its keywords; the rest is detail)."""
    columns = {"actor", "dossier_id", "mail_id", "before", "after"}
    at = now()
    conn.execute(_INSERT_EVENT, [
        {"dossier_id": e.get("dossier_id"), "mail_id": e.get("mail_id"), "at": at, "actor": e.get("actor", "sistem"),
         "action": e["action"], "status_before": e.get("before", ""), "status_after": e.get("after", ""),
         "detail": {k: v for k, v in e.items() if k not in columns and k != "action"}}
        for e in events])


def letter_key(number) -> str:
    """A request letter number as compared: letters and digits only, upper case."""
    return re.sub(r"[^0-9A-Z]", "", str(number or "").upper())


LETTER_NUMBER = dossiers.c.facts["letter_number"].as_string()   # as the database reads it


def record_letter(conn, dossier_id: int, before: dict | None, after: dict | None) -> None:
    """Keep request_letters in step when a dossier's facts go from `before` to `after`."""
    key = letter_key((after or {}).get("letter_number"))
    if key == letter_key((before or {}).get("letter_number")):
        return
    if key:
        conn.execute(built_for(conn, _upsert_letter), {"dossier_id": dossier_id, "letter_key": key})
    else:
        conn.execute(_DELETE_LETTER, {"dossier_id": dossier_id})


def _upsert_letter(dialect: str):
    upsert = insert_in(dialect, request_letters)
    return upsert.on_conflict_do_update(index_elements=["dossier_id"],
                                        set_={"letter_key": upsert.excluded.letter_key})


_DELETE_LETTER = request_letters.delete().where(request_letters.c.dossier_id == bindparam("dossier_id"))


def fill_request_letters(engine: Engine) -> None:
    """Rows for dossiers with a letter number and none yet (a database from before the table)."""
    missing = (select(dossiers.c.id, LETTER_NUMBER)
               .select_from(dossiers.outerjoin(request_letters, request_letters.c.dossier_id == dossiers.c.id))
               .where(request_letters.c.dossier_id.is_(None), LETTER_NUMBER.is_not(None)))
    with engine.connect() as conn:
        rows = [{"dossier_id": i, "letter_key": letter_key(n)} for i, n in conn.execute(missing) if letter_key(n)]
    if rows:
        with engine.begin() as conn:
            conn.execute(dialect_insert(conn, request_letters).on_conflict_do_nothing(index_elements=["dossier_id"]),
                         rows)


def dossier_by_number(conn, number: str):
    return conn.execute(select(dossiers).where(dossiers.c.number == number)).mappings().first()
