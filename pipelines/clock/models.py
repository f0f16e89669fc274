"""Clock tables, on the shared `db.metadata` (`db.engine_for` imports this module).

A clock is its log (`clock_events`); nothing computed from the calendar is stored except
`seen_deadline`, the deadline last announced to officers, kept only to tell them when a
calendar change moved it. What the database guarantees:
- one clock per case and leg (`uq_clock_case_leg`): starting twice returns the same clock;
- a warning or a breach is marked once per clock (`uq_clock_mark`): listed in one digest;
- a compensation credit is used by at most one clock (`clock_credits.used_by_clock_id`
  unique) and one letter is written per late clock (`clock_credits.source_clock_id` unique).
"""
from __future__ import annotations

from sqlalchemy import (Column, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)

from pipelines.db import metadata

clocks = Table(
    "clocks", metadata,
    Column("id", Integer, primary_key=True),
    Column("case_type", String(40), nullable=False),        # dossier, application, complaint ...
    Column("case_ref", String(80), nullable=False),         # the case's id or number, as text
    Column("leg", String(80), nullable=False, default=""),  # "" = the whole-service promise
    Column("service", String(60), nullable=False),
    Column("office", String(40), nullable=False),
    Column("target", Float, nullable=False),
    Column("unit", String(20), nullable=False),              # working_days | working_minutes
    Column("warn_at", Float, nullable=False),
    Column("customer", String(320), nullable=False, default=""),
    Column("holder", String(100), nullable=False, default=""),   # who holds the case now
    Column("credit_id", Integer, nullable=True),
    Column("opened_at", DateTime(timezone=True), nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=True),
    Column("seen_deadline", DateTime(timezone=True), nullable=True),
    Column("seen_calendar", String(32), nullable=False, default=""),
    UniqueConstraint("case_type", "case_ref", "leg", name="uq_clock_case_leg"),
    Index("ix_clocks_open", "closed_at", "case_type"),
)

clock_events = Table(
    "clock_events", metadata,
    Column("id", Integer, primary_key=True),
    Column("clock_id", Integer, ForeignKey("clocks.id"), nullable=False),
    Column("kind", String(10), nullable=False),              # started | paused | resumed | stopped
    Column("at", DateTime(timezone=True), nullable=False),
    Column("reason", String(60), nullable=False, default=""),
    Column("actor", String(100), nullable=False, default="sistem"),
    Column("note", Text, nullable=False, default=""),
    Index("ix_clock_events_clock", "clock_id", "id"),
)

clock_marks = Table(
    "clock_marks", metadata,
    Column("id", Integer, primary_key=True),
    Column("clock_id", Integer, ForeignKey("clocks.id"), nullable=False),
    Column("mark", String(20), nullable=False),              # peringatan | terlambat
    Column("at", DateTime(timezone=True), nullable=False),
    Column("holder", String(100), nullable=False, default=""),
    Column("deadline", DateTime(timezone=True), nullable=True),
    Column("digested_at", DateTime(timezone=True), nullable=True),
    UniqueConstraint("clock_id", "mark", name="uq_clock_mark"),
)

clock_credits = Table(
    "clock_credits", metadata,
    Column("id", Integer, primary_key=True),
    Column("customer", String(320), nullable=False),
    Column("service", String(60), nullable=False),
    Column("working_days", Float, nullable=False, default=1),
    Column("letter_number", String(80), nullable=False, unique=True),
    Column("source_clock_id", Integer, ForeignKey("clocks.id"), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("used_by_clock_id", Integer, ForeignKey("clocks.id"), nullable=True, unique=True),
    Column("used_at", DateTime(timezone=True), nullable=True),
    Column("letter_docx", Text, nullable=False, default=""),     # written after the credit is recorded
    Column("letter_pdf", Text, nullable=False, default=""),
    Index("ix_clock_credits_customer", "customer", "service"),
)
