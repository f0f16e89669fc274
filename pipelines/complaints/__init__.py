"""Complaints and appeals (penanganan keluhan dan banding, Process C; services/complaint.yaml).

    mail/desk/web -> register.py (steps 1-3) -> team.py (step 4, appeals) -> decision.py (step 5)
    clock.py: every clock call;  store.py: the SQL;  classify.py, conflicts.py: pure rules
    web.py: desk pages and the public form;  report.py: register export and monthly summary

Importing this package registers (process.py imports it at its end):
- `MAIL_HANDLERS["complaint"]`: a mail in the complaints mailbox becomes a register entry;
- `MAIL_HANDLERS["impartiality_declaration"]`: a team member's signed declaration coming
  back outside a thread, matched by its QR code;
- `CASE_HANDLERS["complaint"]`: mail for a complaint dossier (a reply in its thread, maybe a
  signed declaration; or a mail an officer filed as a complaint on the desk).
"""
from __future__ import annotations

from pipelines import process
from pipelines.complaints.register import handle_case_mail, handle_complaint_mail
from pipelines.complaints.team import handle_declaration_mail

process.MAIL_HANDLERS["complaint"] = handle_complaint_mail
process.MAIL_HANDLERS["impartiality_declaration"] = handle_declaration_mail
process.CASE_HANDLERS["complaint"] = handle_case_mail
