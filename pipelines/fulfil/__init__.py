"""Fulfilment (Process A after approval): blank inventory, parcels, certificates, courier
manifests, returned receipts.

Importing this package creates the tables on `db.metadata` and registers:
- `pipelines.decide.approval.AFTER_APPROVAL`: serial allocation, parcel, certificates;
- `pipelines.process.MAIL_HANDLERS["signed_receipt"]` and `FOLLOWUP_HANDLERS`: the
  countersigned receipt coming back (import this package at the END of process.py, or
  after it, to avoid an import cycle).
"""
from __future__ import annotations

from pipelines.fulfil import models  # noqa: F401  (tables on db.metadata)


def register() -> None:
    """Hook into approval and mail processing; safe to call more than once."""
    from pipelines.decide import approval
    from pipelines.fulfil.packing import after_approval

    if after_approval not in approval.AFTER_APPROVAL:
        approval.AFTER_APPROVAL.append(after_approval)
    import sys
    process = sys.modules.get("pipelines.process")
    if process is None or not hasattr(process, "MAIL_HANDLERS"):
        try:
            import pipelines.process as process  # noqa: F811
        except ImportError:   # process.py half-imported (we are imported from it) or broken
            process = sys.modules.get("pipelines.process")
    if process is not None and hasattr(process, "MAIL_HANDLERS"):
        from pipelines.fulfil.receipts import handle_signed_receipt_mail, handle_thread_reply
        process.MAIL_HANDLERS["signed_receipt"] = handle_signed_receipt_mail
        followups = getattr(process, "FOLLOWUP_HANDLERS", None)
        if followups is not None and handle_thread_reply not in followups:
            followups.append(handle_thread_reply)


register()
