"""The dossier state machine for mail-driven steps. Pure: values in, a Decision out.

Waiting for the LSP and waiting for approval are statuses in the database, never a
suspended Prefect run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.findings import Finding, Severity
from pipelines.services import Service

NEW = "baru"
HELD = "ditahan"                      # unknown sender: an officer decides
AWAITING_COMPLETION = "menunggu_kelengkapan"
AWAITING_APPROVAL = "menunggu_persetujuan"

STATUS_LABELS = {
    NEW: "Baru",
    HELD: "Ditahan (pengirim tidak terdaftar)",
    AWAITING_COMPLETION: "Menunggu kelengkapan",
    AWAITING_APPROVAL: "Menunggu persetujuan",
    "dikembalikan": "Dikembalikan ke petugas",
    "disetujui": "Disetujui",
    "dikemas": "Dikemas",
    "dikirim": "Dikirim",
    "selesai": "Selesai",
    "ditutup": "Ditutup",
}

# Statuses in which new mail (or an officer's "periksa ulang") makes Sertiflow check again.
CHECKABLE = {NEW, HELD, AWAITING_COMPLETION}


@dataclass
class Decision:
    status: str
    email: str | None = None            # email template name to send to the sender
    documents: list[dict] = field(default_factory=list)   # [{kind, template}]
    due_working_days: int | None = None
    complete: bool = False


def blocking(findings: list[Finding]) -> list[Finding]:
    """Errors nobody has overridden."""
    return [f for f in findings if f.severity is Severity.ERROR and not f.details.get("overridden_by")]


def decide(service: Service, status: str, findings: list[Finding], sender_known: bool) -> Decision:
    if status not in CHECKABLE:
        return Decision(status)
    if not sender_known:
        return Decision(HELD)
    if blocking(findings):
        spec = service.when_incomplete
        return Decision(spec.get("status", AWAITING_COMPLETION), email=spec.get("email"))
    spec = service.when_complete
    return Decision(spec.get("status", AWAITING_APPROVAL), email=spec.get("email"),
                    documents=list(spec.get("documents", [])),
                    due_working_days=spec.get("due_working_days"), complete=True)
