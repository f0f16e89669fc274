"""Complaint and appeal tables (Process C), on the shared `db.metadata`: `db.engine_for`
imports this module (TABLE_MODULES) and creates them with the rest.

A register entry is a dossier row (kind "complaint", number ADU-YYYY-NNNNNN: the register
number and the public tracking number) plus one `complaints` row with what Process C adds.
The dossier row gives it the shared mechanisms: mail threads, outbox, events, generated files.
"""
from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table,
                        Text, UniqueConstraint)

from pipelines.db import metadata

complaints = Table(
    "complaints", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, unique=True),
    # keluhan | banding | keluhan_klien | saran | bukan_keluhan  (see TYPES in classify.py)
    Column("type", String(20), nullable=False),
    # surel | telepon | datang_langsung | formulir_web | whatsapp | lapor
    Column("channel", String(20), nullable=False),
    Column("language", String(2), nullable=False, default="id"),
    Column("anonymous", Boolean, nullable=False, default=False),
    Column("name", String(200), default=""),
    Column("email", String(320), default="", index=True),
    Column("phone", String(60), default=""),
    Column("organisation", String(300), default=""),     # the complainant's / appellant's organisation
    Column("text", Text, default=""),                    # what the complainant wrote or said
    Column("target_number", String(80), default=""),     # the decision, dossier or certificate concerned
    Column("target_dossier_id", Integer, ForeignKey("dossiers.id"), nullable=True),
    Column("technical_lead", String(200), default=""),   # Penanggung Jawab Teknis it was passed to
    Column("cause", Text, default=""),
    Column("correction", Text, default=""),
    Column("outcome", String(20), default=""),           # diterima | diterima_sebagian | ditolak
    Column("decision_text", Text, default=""),
    Column("publicity", String(20), default=""),         # dipublikasikan | tidak_dipublikasikan
    Column("publicity_reason", Text, default=""),
    Column("recorded_by", String(100), default="sistem"),
    Column("closed_at", DateTime(timezone=True)),
)

# Corrective actions (tindakan korektif) and their effectiveness check.
corrective_actions = Table(
    "complaint_actions", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id"), nullable=False, index=True),
    Column("description", Text, nullable=False),
    Column("responsible", String(200), default=""),
    Column("check_on", Date, nullable=False),            # when the officer checks it worked
    Column("checked_at", DateTime(timezone=True)),
    Column("checked_by", String(100), default=""),
    Column("effective", Boolean),
    Column("check_note", Text, default=""),
    Column("created_by", String(100), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_complaint_actions_due", "checked_at", "check_on"),
)

# People involved in the disputed decision (auditors, evaluators, committee, handling officer).
involved_staff = Table(
    "complaint_involved", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id"), nullable=False, index=True),
    Column("staff_id", String(64), nullable=False),
    Column("role", String(40), nullable=False),
    UniqueConstraint("complaint_id", "staff_id", "role", name="uq_complaint_involved"),
)

# The appeal team (Tim Penyelesaian Banding): three members, one chair; each signs an
# impartiality declaration identified by its QR token.
team_members = Table(
    "appeal_team", metadata,
    Column("id", Integer, primary_key=True),
    Column("complaint_id", Integer, ForeignKey("complaints.id"), nullable=False, index=True),
    Column("staff_id", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("chair", Boolean, nullable=False, default=False),
    Column("token", String(64), nullable=False, unique=True),
    Column("declaration_docx", Text, default=""),
    Column("declaration_pdf", Text, default=""),
    Column("declared_at", DateTime(timezone=True)),
    Column("declared_how", String(20), default=""),      # meja | pindaian
    Column("declared_by", String(100), default=""),
    Column("scan_path", Text, default=""),
    UniqueConstraint("complaint_id", "staff_id", name="uq_appeal_team_member"),
)

# Requests to the public form and status lookup, for rate limiting per address.
public_hits = Table(
    "complaint_public_hits", metadata,
    Column("id", Integer, primary_key=True),
    Column("ip", String(64), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Index("ix_complaint_public_hits", "ip", "kind", "at"),
)
