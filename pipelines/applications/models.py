"""Tables of certification applications (Process B): the customer registry, each case's
application record, nonconformities, and the certificate register (the clock is pipelines/clock's)."""
from __future__ import annotations

from sqlalchemy import (JSON, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text,
                        UniqueConstraint)

from pipelines.db import metadata

# Applicants are not pre-registered: a customer is created from the first application and
# recognised again by NIB, by a known address or by its normalised name.
customers = Table(
    "customers", metadata,
    Column("id", Integer, primary_key=True),
    Column("office", String(60), nullable=False, default=""),
    Column("name", Text, nullable=False),
    Column("name_key", String(200), nullable=False, index=True),   # normalised for matching
    Column("nib", String(20), default="", index=True),
    Column("address", Text, default=""),
    Column("contact_person", Text, default=""),
    Column("phone", String(60), default=""),
    Column("emails", JSON, default=list),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# One row per application dossier: who applied and what the officers entered on the way.
applications = Table(
    "applications", metadata,
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), primary_key=True),
    Column("office", String(60), nullable=False, default=""),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True, index=True),
    Column("channel", String(20), nullable=False, default="surel"),   # surel, pos, loket, web
    Column("scope", Text, default=""),
    Column("site", Text, default=""),
    Column("data", JSON, default=dict),          # inputs of the steps (billing code, audit dates, ...)
    Column("created_at", DateTime(timezone=True), nullable=False),
)

nonconformities = Table(
    "nonconformities", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("number", String(40), nullable=False),
    Column("grade", String(10), nullable=False),       # mayor, minor
    Column("clause", String(40), default=""),
    Column("description", Text, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("raised_by", String(100), default=""),
    Column("closed_at", DateTime(timezone=True)),
    Column("closed_by", String(100), default=""),
    Column("evidence", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("dossier_id", "number", name="uq_nonconformity_number"),
)

# The certificate register: every certificate an application produced, with its status.
register = Table(
    "certificate_register", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(80), nullable=False, unique=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("service", String(50), nullable=False),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=True),
    Column("holder", Text, nullable=False),               # organisation or person
    Column("standard", Text, default=""),
    Column("scope", Text, default=""),
    Column("site", Text, default=""),
    Column("issue_date", Date, nullable=False),
    Column("expiry_date", Date),
    Column("surveillance_dates", JSON, default=list),    # ISO dates
    Column("status", String(20), nullable=False, default="aktif"),   # aktif, dibekukan, dicabut, kedaluwarsa
    Column("status_reason", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# The NIK of a certified person (person certification), where the participant list gave one the
# reader trusts: surveillance, suspension and withdrawal find the person by it, not by name. Its own
# table, so registers made before it gain it from create_all with no migration.
certificate_niks = Table(
    "certificate_holder_niks", metadata,
    Column("number", String(80), ForeignKey("certificate_register.number"), primary_key=True),
    Column("nik", String(16), nullable=False, index=True),
)

# Mail in a case's thread after intake, waiting for the role that acts on it: payment proof
# (the service officer confirms it), corrective-action evidence (the auditor), new or corrected
# documents (checked again; an officer reads the findings), questions (an officer answers).
thread_items = Table(
    "application_thread_items", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("mail_id", Integer, ForeignKey("mails.id"), nullable=False, unique=True),
    Column("kind", String(40), nullable=False),         # bukti_bayar, tindakan_perbaikan, dokumen, pertanyaan, lain
    Column("role", String(40), nullable=False),         # data/roles.yaml id of who acts on it
    Column("step", String(60), default=""),             # the case's step when it arrived
    Column("subject", Text, default=""),
    Column("text", Text, default=""),                   # the mail's own words (the question)
    Column("findings", Integer, nullable=False, default=0),   # errors the re-check found (dokumen)
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("handled_at", DateTime(timezone=True)),
    Column("handled_by", String(100), default=""),
    Column("answer", Text, default=""),
)

# What happened to a certificate after it was issued: surveillance audits and recertifications.
certificate_history = Table(
    "certificate_history", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(80), ForeignKey("certificate_register.number"), nullable=False, index=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False),
    Column("kind", String(20), nullable=False),         # survailen, resertifikasi
    Column("done_on", Date, nullable=False),
    Column("note", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("number", "dossier_id", name="uq_certificate_history_case"),
)

TABLES = [customers, applications, nonconformities, register, thread_items, certificate_history]
