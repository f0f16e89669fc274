"""Fulfilment tables: blank stock, allocations, parcels, courier manifests, certificates.

They live on the shared `db.metadata`; `db.engine_for` imports this module (TABLE_MODULES)
and creates them with the rest.

What the database itself guarantees (not only the code):
- a blank serial is in stock once: `blank_serials.serial` is the primary key;
- a serial leaves the stock once, for ONE purpose (allocated to a dossier, or voided while
  still in stock): `serial_uses.serial` is the primary key, so two workers that both pick
  serial 1234 cannot both commit; a use must name a serial that is in stock (foreign key);
- a dossier has at most one parcel; a parcel lands in exactly one courier manifest
  (`manifest_parcels.parcel_id` unique); one certificate per competent participant and
  per blank serial; certificate numbers and verification tokens are unique.
"""
from __future__ import annotations

from sqlalchemy import (BigInteger, CheckConstraint, Column, Date, DateTime, ForeignKey, Integer,
                        String, Table, Text, UniqueConstraint)

from pipelines.db import metadata

# Stock as the admin recorded it (one row per `blanks add` / imported CSV line).
blank_stock = Table(
    "blank_stock", metadata,
    Column("id", Integer, primary_key=True),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("source", Text, default=""),
    Column("added_by", String(100), nullable=False),
    Column("added_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("first_serial <= last_serial", name="ck_blank_stock_order"),
)

# One row per pre-numbered blank form that was ever in stock.
blank_serials = Table(
    "blank_serials", metadata,
    Column("serial", BigInteger, primary_key=True, autoincrement=False),
    Column("stock_id", Integer, ForeignKey("blank_stock.id"), nullable=False, index=True),
)

# Serial ranges given to a dossier; `replaces` is set for a replacement of a voided blank.
blank_allocations = Table(
    "blank_allocations", metadata,
    Column("id", Integer, primary_key=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("first_serial", BigInteger, nullable=False),
    Column("last_serial", BigInteger, nullable=False),
    Column("count", Integer, nullable=False),
    Column("replaces", BigInteger, nullable=True),
    Column("allocated_by", String(100), nullable=False),
    Column("allocated_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("first_serial <= last_serial", name="ck_blank_allocation_order"),
)

# The per-serial claim: a serial can leave the stock only once.
serial_uses = Table(
    "serial_uses", metadata,
    Column("serial", BigInteger, ForeignKey("blank_serials.serial"), primary_key=True,
           autoincrement=False),
    Column("use", String(12), nullable=False),             # "alokasi" | "rusak"
    Column("allocation_id", Integer, ForeignKey("blank_allocations.id"), nullable=True, index=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=True, index=True),
    Column("at", DateTime(timezone=True), nullable=False),
    CheckConstraint("use IN ('alokasi', 'rusak')", name="ck_serial_use"),
    CheckConstraint("(use = 'alokasi') = (allocation_id IS NOT NULL)", name="ck_serial_use_allocation"),
)

# Damaged or voided blanks, whether still in stock or already allocated: one record per serial.
blank_voids = Table(
    "blank_voids", metadata,
    Column("serial", BigInteger, ForeignKey("blank_serials.serial"), primary_key=True,
           autoincrement=False),
    Column("reason", Text, nullable=False),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=True),
    Column("replacement", BigInteger, nullable=True),
    Column("voided_by", String(100), nullable=False),
    Column("voided_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("length(reason) > 0", name="ck_blank_void_reason"),
)

# One parcel per approved dossier: blanks + receipt, addressed to the LSP.
# status: dikemas -> dikirim -> diterima
parcels = Table(
    "parcels", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, unique=True),
    Column("receipt_number", String(80), nullable=False, unique=True),
    Column("receipt_token", String(64), nullable=False, unique=True),
    Column("blanks", Integer, nullable=False),
    Column("status", String(20), nullable=False, index=True),
    Column("lsp_code", String(50), default=""),
    Column("packed_at", DateTime(timezone=True), nullable=False),
    Column("shipped_at", DateTime(timezone=True)),
    Column("received_at", DateTime(timezone=True)),
    Column("receipt_mail_id", Integer, ForeignKey("mails.id"), nullable=True),
    Column("receipt_scan_path", Text, default=""),
    Column("reminded_at", DateTime(timezone=True)),
    Column("flagged_at", DateTime(timezone=True)),
)

courier_manifests = Table(
    "courier_manifests", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(40), nullable=False, unique=True),
    Column("pickup_date", Date, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", String(100), nullable=False),
    Column("parcel_count", Integer, nullable=False),
    Column("xlsx_path", Text, default=""),
    Column("pdf_path", Text, default=""),
    Column("csv_path", Text, default=""),
)

# Exactly one manifest per parcel: the unique parcel_id is what makes a repeated run harmless.
manifest_parcels = Table(
    "manifest_parcels", metadata,
    Column("manifest_id", Integer, ForeignKey("courier_manifests.id"), nullable=False, index=True),
    Column("parcel_id", Integer, ForeignKey("parcels.id"), nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("parcel_id", name="uq_manifest_parcel"),
)

# status: berlaku | dibekukan | dicabut
certificates = Table(
    "certificates", metadata,
    Column("id", Integer, primary_key=True),
    Column("number", String(80), nullable=False, unique=True),
    Column("token", String(64), nullable=False, unique=True),
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), nullable=False, index=True),
    Column("participant_id", Integer, ForeignKey("participants.id"), nullable=False, unique=True),
    Column("serial", BigInteger, ForeignKey("blank_serials.serial"), nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("nik", String(32), default=""),
    Column("scheme", Text, default=""),
    Column("lsp_code", String(50), default=""),
    Column("lsp_name", Text, default=""),
    Column("issue_date", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("status", String(20), nullable=False, default="berlaku"),
    Column("status_reason", Text, default=""),
    Column("docx_path", Text, default=""),
    Column("pdf_path", Text, default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    CheckConstraint("status IN ('berlaku', 'dibekukan', 'dicabut')", name="ck_certificate_status"),
)

TABLES = [blank_stock, blank_serials, blank_allocations, serial_uses, blank_voids, parcels,
          courier_manifests, manifest_parcels, certificates]
