"""Ways out for a queued mail: SMTP (one connection per drain), or .eml files in a folder.

Messages are built explicitly with the email package: yagmail would attach any string that
happens to be a file path and send other strings as HTML. yagmail is used for what it does
well: connecting and logging in (TLS, STARTTLS, OAuth2 for Google Workspace offices).
"""
from __future__ import annotations

import mimetypes
import os
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

import yagmail

from pipelines.config import Settings


def build_message(row: dict, sender: str, sender_name: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, sender))
    msg["To"] = ", ".join(row["to_addrs"])
    msg["Subject"] = row["subject"]
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = row["message_id"]
    if row.get("in_reply_to"):
        msg["In-Reply-To"] = row["in_reply_to"]
    if row.get("references"):
        msg["References"] = row["references"]
    if row.get("automatic"):
        # RFC 3834: tell other robots not to answer us, so no mail loop can start.
        msg["Auto-Submitted"] = "auto-replied" if row.get("in_reply_to") else "auto-generated"
        msg["X-Auto-Response-Suppress"] = "All"
    msg.set_content(row["body_text"], charset="utf-8")
    for path in row.get("attachments") or []:
        path = Path(path)
        ctype, _ = mimetypes.guess_type(path.name)
        maintype, subtype = (ctype or "application/octet-stream").split("/", 1)
        msg.add_attachment(path.read_bytes(), maintype=maintype, subtype=subtype, filename=path.name)
    return msg


class SmtpTransport:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.client = None

    def __enter__(self):
        smtp = self.settings.smtp
        self.client = yagmail.SMTP(
            user=smtp.user or self.settings.sender, password=smtp.password or None,
            host=smtp.host, port=smtp.port, smtp_ssl=smtp.security == "ssl",
            smtp_starttls=smtp.security == "starttls", smtp_skip_login=not smtp.user,
            soft_email_validation=False)
        if smtp.user:
            self.client.user = smtp.user  # yagmail appends "@gmail.com" to bare user names
        self.client.login()
        return self

    def send(self, row: dict) -> None:
        msg = build_message(row, self.settings.sender, self.settings.office.name)
        refused = self.client.smtp.send_message(msg, from_addr=self.settings.sender,
                                                to_addrs=row["to_addrs"])
        if refused and len(refused) == len(row["to_addrs"]):
            raise RuntimeError(f"all recipients refused: {refused}")

    def __exit__(self, *exc):
        try:
            self.client.close()
        except Exception:
            pass
        return False


class FileTransport:
    """No SMTP server configured: each mail becomes <outbox_dir>/<id>.eml, to read or send later."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.directory = Path(settings.outbox_dir)

    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    def send(self, row: dict) -> None:
        msg = build_message(row, self.settings.sender, self.settings.office.name)
        path = self.directory / f"{row['id']:06d}.eml"
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(msg.as_bytes())
        os.replace(tmp, path)

    def __exit__(self, *exc):
        return False


def transport_for(settings: Settings):
    return SmtpTransport(settings) if settings.smtp.host else FileTransport(settings)
