"""The dossier state machine for mail-driven steps. Pure: values in, a Decision out.

Waiting for the LSP and waiting for approval are statuses in the database, never a
suspended Prefect run.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pipelines.check.checklist import MAYBE_PRESENT
from pipelines.findings import Finding, Severity
from pipelines.services import Service

NEW = "baru"
HELD = "ditahan"                      # unknown sender: an officer decides
NEEDS_REVIEW = "perlu_pemeriksaan"    # a file could not be read with confidence: an officer looks
AWAITING_COMPLETION = "menunggu_kelengkapan"
# incomplete, but the daily limit of automatic replies to this sender held the request back
COMPLETION_HELD = "permintaan_kelengkapan_tertahan"
AWAITING_APPROVAL = "menunggu_persetujuan"

STATUS_LABELS = {
    NEW: "Baru",
    HELD: "Ditahan (pengirim tidak terdaftar)",
    NEEDS_REVIEW: "Perlu pemeriksaan petugas",
    AWAITING_COMPLETION: "Menunggu kelengkapan",
    COMPLETION_HELD: "Permintaan kelengkapan belum terkirim (batas balasan otomatis harian)",
    AWAITING_APPROVAL: "Menunggu persetujuan",
    "dikembalikan": "Dikembalikan ke petugas",
    "disetujui": "Disetujui",
    "dikemas": "Dikemas",
    "dikirim": "Dikirim",
    "selesai": "Selesai",
    "ditutup": "Ditutup",
}

# Statuses in which new mail (or an officer's "periksa ulang") makes Sertiflow check again.
CHECKABLE = {NEW, HELD, NEEDS_REVIEW, AWAITING_COMPLETION, COMPLETION_HELD}


@dataclass
class Decision:
    status: str
    email: str | None = None            # email template name to send to the sender
    documents: list[dict] = field(default_factory=list)   # [{kind, template}]
    complete: bool = False
    reply_limited: bool = False         # a mail was due but the daily limit of automatic replies held it


def blocking(findings: list[Finding]) -> list[Finding]:
    """Errors nobody has overridden."""
    return [f for f in findings if f.severity is Severity.ERROR and not f.details.get("overridden_by")]


def decide(service: Service, status: str, findings: list[Finding], sender_known: bool,
           replies_left: bool = True) -> Decision:
    """`replies_left`: the sender may still receive an automatic mail today."""
    if status not in CHECKABLE:
        return Decision(status)
    if not sender_known:
        return Decision(HELD)
    if blocking(findings):
        spec = service.when_incomplete
        if spec.get("email") and not replies_left:
            # never show "waiting for completion" when no completion request went out
            return Decision(spec.get("status_when_reply_limited", COMPLETION_HELD), reply_limited=True)
        return Decision(spec.get("status", AWAITING_COMPLETION), email=spec.get("email"))
    # Findings the service says an officer must clear (by override) before it moves on,
    # e.g. a scan that OCR could not read with confidence: never ask the LSP for a file it sent.
    hold = set(service.hold_for_officer) | {MAYBE_PRESENT}
    if any(f.code in hold and not f.details.get("overridden_by") for f in findings):
        return Decision(NEEDS_REVIEW)
    spec = service.when_complete
    return Decision(spec.get("status", AWAITING_APPROVAL), email=spec.get("email"),
                    documents=list(spec.get("documents", [])), complete=True)
