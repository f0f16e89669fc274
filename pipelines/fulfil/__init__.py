"""Fulfilment (Process A after approval): blank inventory, parcels, certificates, courier
manifests, returned receipts.

Importing this package registers (process.py imports it at its end):
- `pipelines.decide.approval.AFTER_APPROVAL`: serial allocation, parcel, certificates;
- `pipelines.process.MAIL_HANDLERS["signed_receipt"]` and `FOLLOWUP_HANDLERS`: the
  countersigned receipt coming back.
"""
from __future__ import annotations

from pipelines import process
from pipelines.decide import approval
from pipelines.fulfil.packing import after_approval
from pipelines.fulfil.receipts import handle_signed_receipt_mail, handle_thread_reply

approval.AFTER_APPROVAL.append(after_approval)
process.MAIL_HANDLERS["signed_receipt"] = handle_signed_receipt_mail
process.FOLLOWUP_HANDLERS.append(handle_thread_reply)
