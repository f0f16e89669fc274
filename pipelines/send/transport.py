"""Ways out for a queued mail: SMTP (one connection per drain), or .eml files in a folder.

Messages are built explicitly with the email package. The SMTP dialogue is driven step by
step with smtplib so that every failure is known to be one of three kinds:

* before the end of DATA nothing was delivered: a 4xx reply is `temporary` (retry later),
  a 5xx reply `permanent` (an officer looks at it);
* once the whole message is on the wire, a lost connection or a timeout leaves it unknown
  whether the server took it: `uncertain`, never retried blindly (an officer may resend);
* the server's own 4xx/5xx answer to the end of DATA says it did not take the mail.

Every network call has a timeout (`smtp.timeout`, seconds): a server that accepts the
connection and never answers ends the drain with `MailServerUnreachable`.
"""
from __future__ import annotations

import io
import mimetypes
import os
import smtplib
import ssl
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path

from pipelines.config import Settings


class MailServerUnreachable(OSError):
    """Connecting, greeting, TLS or login failed, or the connection broke before DATA:
    nothing was sent and the rest of the queue waits for the next drain."""


class SendError(Exception):
    """One mail not (surely) sent: kind is "temporary", "permanent" or "uncertain"."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def build_message(row: dict, sender: str, sender_name: str) -> EmailMessage:
    """`sender` unless the row names its own From (the envelope stays the account's own address)."""
    msg = EmailMessage()
    msg["From"] = formataddr((sender_name, row.get("sender") or sender))
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


def _wire_bytes(msg: EmailMessage) -> bytes:
    out = io.BytesIO()
    BytesGenerator(out, policy=msg.policy.clone(linesep="\r\n")).flatten(msg)
    return out.getvalue()


def _refusal(code: int, reply: bytes, step: str) -> SendError:
    text = f"{step}: {code} {reply.decode(errors='replace')}"
    return SendError("temporary" if 400 <= code < 500 else "permanent", text)


class SmtpTransport:
    def __init__(self, settings: Settings):
        self.settings = settings
        self.client: smtplib.SMTP | None = None

    def __enter__(self):
        smtp = self.settings.smtp
        try:
            if smtp.security == "ssl":
                self.client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout,
                                               context=ssl.create_default_context())
            else:
                self.client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
            self.client.ehlo_or_helo_if_needed()
            if smtp.security == "starttls":
                self.client.starttls(context=ssl.create_default_context())
                self.client.ehlo()
            if smtp.user:
                self.client.login(smtp.user, smtp.password)
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise MailServerUnreachable(f"SMTP {smtp.host}:{smtp.port}: {exc or type(exc).__name__}") from exc
        return self

    def send(self, row: dict) -> None:
        client = self.client
        data = _wire_bytes(build_message(row, self.settings.sender, self.settings.office.name))
        options = ["BODY=8BITMIME"] if client.has_extn("8bitmime") else []
        try:
            code, reply = client.mail(self.settings.sender, options)
            if code != 250:
                raise _refusal(code, reply, "MAIL FROM")
            answers = {to: client.rcpt(to) for to in row["to_addrs"]}
            accepted = [to for to, (code, _) in answers.items() if code in (250, 251)]
            if not accepted:
                worst = min(code for code, _ in answers.values())  # any 4xx: worth trying again
                raise _refusal(worst, b"; ".join(r for _, r in answers.values()), "RCPT TO")
            client.putcmd("data")
            code, reply = client.getreply()
            if code != 354:
                raise _refusal(code, reply, "DATA")
        except SendError:
            self._reset()
            raise
        except (OSError, smtplib.SMTPException) as exc:
            raise MailServerUnreachable(f"SMTP connection lost before the message was sent: {exc}") from exc
        # From here the server may have the whole message: no failure can be retried blindly.
        try:
            body = smtplib.quotedata(data.decode("latin-1")).encode("latin-1")  # byte-transparent
            client.send(body + (b"" if body.endswith(b"\r\n") else b"\r\n") + b".\r\n")
            code, reply = client.getreply()
        except (OSError, smtplib.SMTPException) as exc:
            self._close()
            raise SendError("uncertain", f"no answer after the message was sent: {exc or type(exc).__name__}") \
                from exc
        if code != 250:
            raise _refusal(code, reply, "end of DATA")
        refused = [to for to in row["to_addrs"] if to not in accepted]
        if refused:
            row["refused"] = refused  # delivered to the others; the caller records who was refused

    def _reset(self) -> None:
        try:
            self.client.rset()
        except (OSError, smtplib.SMTPException):
            pass

    def _close(self) -> None:
        if self.client is not None:
            try:
                self.client.close()
            except OSError:
                pass

    @property
    def connected(self) -> bool:
        return self.client is not None and self.client.sock is not None

    def __exit__(self, *exc):
        if self.connected:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self._close()
        return False


class FileTransport:
    """No SMTP server configured: each mail becomes <outbox_dir>/<id>.eml, to read or send later."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.directory = Path(settings.outbox_dir)

    def __enter__(self):
        self.directory.mkdir(parents=True, exist_ok=True)
        return self

    connected = True

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
