"""The desk's own tables and indexes, on the pipeline's metadata: `db.engine_for` imports
this module (TABLE_MODULES) and creates them with the rest."""
from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from pipelines import db

ROLES = ("petugas", "pejabat", "admin")
ROLE_LABELS = {"petugas": "Petugas", "pejabat": "Pejabat eselon 4", "admin": "Admin"}

users = Table(
    "desk_users", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("role", String(20), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)

# Server-side sessions: the cookie carries a signed random token; only its hash is stored,
# so a database leak does not hand out live sessions. Logging out deletes the row.
sessions = Table(
    "desk_sessions", db.metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("desk_users.id"), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ip", String(64), default=""),
)

# Login attempts for throttling (per user name and IP).
login_attempts = Table(
    "desk_login_attempts", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False),
    Column("ip", String(64), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("success", Boolean, nullable=False),
    Index("ix_desk_login_user_ip_at", "username", "ip", "at"),
    Index("ix_desk_login_ip_at", "ip", "at"),
)

# Saved queue filters: a name and the queue's query string, per user.
saved_filters = Table(
    "desk_saved_filters", db.metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("name", String(80), nullable=False),
    Column("query", String(1000), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Queue ordering and filters over the pipeline's tables (the queue page reads these).
Index("ix_desk_dossier_status_due_received", db.dossiers.c.status, db.dossiers.c.due_date,
      db.dossiers.c.received_at)
Index("ix_desk_dossier_received", db.dossiers.c.received_at)
Index("ix_desk_dossier_lsp", db.dossiers.c.lsp_code)
Index("ix_desk_mail_classification", db.mails.c.classification, db.mails.c.dossier_id)
Index("ix_desk_event_action", db.events.c.action, db.events.c.dossier_id)

# Who holds a dossier (claim): one row per held dossier; the primary key makes two officers
# claiming at once impossible (the second insert conflicts and sees the first one's row).
claims = Table(
    "desk_claims", db.metadata,
    Column("dossier_id", Integer, ForeignKey("dossiers.id"), primary_key=True),
    Column("username", String(64), nullable=False, index=True),
    Column("since", DateTime(timezone=True), nullable=False),
)

from pipelines.desk import search  # noqa: E402,F401  (the full-text index's tables)
