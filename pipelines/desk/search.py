"""Full-text search over dossiers for the queue: number, subject, sender, LSP name, letter
number, participant names and NIKs. SQLite: an FTS5 table; PostgreSQL: a tsvector column with
a GIN index. Both hold the same pre-split words (lower case, letters and digits), so
"012/LSP-TDN/III/2025" or a NIK match the same way on both, by prefix.

The index follows the dossiers lazily: before a search, dossiers changed since they were last
indexed (`dossiers.updated_at` after the stored stamp) are indexed again, in one transaction.
"""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import (DDL, Column, DateTime, ForeignKey, Index, Integer, Table, column, event, func, insert,
                        select, text)

from sqlalchemy.exc import IntegrityError

from pipelines import db

state = Table(
    "desk_search_state", db.metadata,
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), primary_key=True),
    Column("stamp", DateTime(timezone=True), nullable=False, index=True),
)

Index("ix_desk_dossier_updated", db.dossiers.c.updated_at)

# The document table is engine-specific, so it is created by DDL after the metadata's tables.
event.listen(db.metadata, "after_create", DDL(
    "CREATE VIRTUAL TABLE IF NOT EXISTS desk_search_doc USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')"
).execute_if(dialect="sqlite"))
event.listen(db.metadata, "after_create", DDL(
    "CREATE TABLE IF NOT EXISTS desk_search_doc (dossier_id integer PRIMARY KEY REFERENCES dossiers(id), "
    "body tsvector NOT NULL)").execute_if(dialect="postgresql"))
event.listen(db.metadata, "after_create", DDL(
    "CREATE INDEX IF NOT EXISTS ix_desk_search_doc_body ON desk_search_doc USING gin (body)"
).execute_if(dialect="postgresql"))

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 8
LATE_COMMIT_MARGIN = timedelta(minutes=10)


def words(value: str) -> list[str]:
    return _WORD.findall((value or "").lower())


def _document(dossier, lsp_name: str, participants: list[tuple[str, str]]) -> str:
    facts = dossier["facts"] or {}
    parts = [dossier["number"], dossier["subject"], dossier["sender"], dossier["lsp_code"], lsp_name,
             str(facts.get("letter_number") or "")]
    for name, nik in participants:
        parts += [name or "", nik or ""]
    return " ".join(w for part in parts for w in words(part))


def refresh(engine, registry, limit: int = 20_000) -> int:
    """Index the dossiers changed since their last indexing; returns how many."""
    d, s = db.dossiers.c, state.c
    with engine.connect() as conn:
        changed = select(d.id).select_from(db.dossiers.outerjoin(state, s.dossier_id == d.id)).where(
            (s.stamp.is_(None)) | (s.stamp < d.updated_at))
        newest = db.aware(conn.execute(select(func.max(s.stamp))).scalar())
        if newest is not None:
            # Only dossiers touched since the last indexing (index on updated_at); the margin
            # covers a transaction that committed late with an earlier timestamp.
            changed = changed.where(d.updated_at > newest - LATE_COMMIT_MARGIN)
        stale = conn.execute(changed.limit(limit)).scalars().all()
    if not stale:
        return 0
    names = {lsp.code: lsp.name for lsp in registry.lsps}
    postgres = engine.dialect.name == "postgresql"
    for start in range(0, len(stale), 2000):
        ids = stale[start:start + 2000]
        try:
            _index(engine, ids, names, postgres)
        except IntegrityError:  # PostgreSQL: a concurrent search indexed these at the same moment
            continue
    return len(stale)


def _index(engine, ids: list[int], names: dict, postgres: bool) -> None:
    """(Re)write the index rows of these dossiers in one transaction."""
    d, s = db.dossiers.c, state.c
    with engine.begin() as conn:
        rows = conn.execute(select(d.id, d.number, d.subject, d.sender, d.lsp_code, d.facts, d.updated_at)
                            .where(d.id.in_(ids))).mappings().all()
        people: dict[int, list] = {}
        for pid, name, nik in conn.execute(select(db.participants.c.dossier_id, db.participants.c.name,
                                                  db.participants.c.nik).where(db.participants.c.dossier_id.in_(ids))):
            people.setdefault(pid, []).append((name, nik))
        docs = [{"id": r["id"], "body": _document(r, names.get(r["lsp_code"], ""), people.get(r["id"], []))}
                for r in rows]
        conn.execute(text("DELETE FROM desk_search_doc WHERE " + ("dossier_id" if postgres else "rowid")
                          + " IN (" + ",".join(str(int(i)) for i in ids) + ")"))
        if postgres:
            conn.execute(text("INSERT INTO desk_search_doc (dossier_id, body) "
                              "VALUES (:id, to_tsvector('simple', :body))"), docs)
        else:
            conn.execute(text("INSERT INTO desk_search_doc (rowid, body) VALUES (:id, :body)"), docs)
        conn.execute(state.delete().where(s.dossier_id.in_(ids)))
        conn.execute(insert(state), [{"dossier_id": r["id"], "stamp": r["updated_at"]} for r in rows])


def matching(dialect: str, query: str):
    """A WHERE clause on dossiers: every word of `query` is the start of an indexed word."""
    terms = words(query)[:MAX_TERMS]
    if not terms:
        return None
    if dialect == "postgresql":
        expr = " & ".join(f"{t}:*" for t in terms)
        return db.dossiers.c.id.in_(text("SELECT dossier_id FROM desk_search_doc "
                                         "WHERE body @@ to_tsquery('simple', :fts)").bindparams(fts=expr)
                                    .columns(column("dossier_id", Integer)))
    expr = " ".join(f'"{t}"*' for t in terms)
    return db.dossiers.c.id.in_(text("SELECT rowid FROM desk_search_doc WHERE desk_search_doc MATCH :fts")
                                .bindparams(fts=expr).columns(column("rowid", Integer)))
