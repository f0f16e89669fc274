"""A Sertiflow office wired to the test's real Dovecot and SMTP servers."""
from __future__ import annotations

import email
import itertools
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import yaml
from sqlalchemy import func, select

from pipelines import db
from pipelines.poll import run_once
from pipelines.runtime import Runtime
from tests.read.read_builders import dossier_files, letter_lines, text_pdf

LSP_TDN = "admin@lsp-tdn.example.id"
LSP_PBD = "sertifikasi@lsp-pbd.example.id"
OFFICE = "blanko@bnsp.example.go.id"
_ids = itertools.count(1)


def request(sender: str = LSP_TDN, files: dict[str, bytes] | None = None, *,
            subject: str = "Permohonan Blanko Sertifikat Kompetensi", message_id: str | None = None,
            in_reply_to: str = "", headers: dict | None = None, body: str = "Dengan hormat, terlampir.",
            letter_number: str | None = None) -> bytes:
    """A request mail; `letter_number` gives the request letter its own number (the same number
    from the same LSP is the same letter, sent again)."""
    if files is None and letter_number:
        files = letter_files(letter_number)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = OFFICE
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(idstring=f"t{next(_ids)}", domain=sender.split("@")[1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    for name, data in (dossier_files() if files is None else files).items():
        subtype = "pdf" if name.endswith(".pdf") else "octet-stream"
        msg.add_attachment(data, maintype="application", subtype=subtype, filename=name)
    return msg.as_bytes()


def letter_files(letter_number: str) -> dict[str, bytes]:
    return dossier_files(letter=text_pdf(letter_lines(number=letter_number)))


def without(*names: str, letter_number: str | None = None) -> dict[str, bytes]:
    files = letter_files(letter_number) if letter_number else dossier_files()
    for name in names:
        files.pop(name)
    return files


def parse(raw: bytes):
    return email.message_from_bytes(raw, policy=policy.default)


@dataclass
class Office:
    config: Path
    mailbox: object
    smtp: object
    outputs: Path

    def runtime(self) -> Runtime:
        return Runtime.load(self.config)

    def run(self) -> dict:
        return run_once(self.runtime())

    def count(self, table) -> int:
        with self.runtime().engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(table)).scalar()

    def dossiers(self) -> list[dict]:
        with self.runtime().engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(db.dossiers).order_by(db.dossiers.c.id)).mappings()]

    def inbox_of(self, address: str) -> list:
        return [parse(raw) for raw in self.smtp.mailbox_of(address).fetch_all("INBOX")]


def office_settings(outputs: Path, mailbox, smtp_server, **extra) -> dict:
    """Settings (as in sertiflow.yaml) of an office on the test's Dovecot and SMTP servers."""
    return {
        "outputs_dir": str(outputs),
        "mailboxes": [{"name": "blanko", "kind": "imap", "host": mailbox.host, "port": mailbox.port,
                       "security": "none", "user": mailbox.user, "password": mailbox.password,
                       "processed_folder": "Diproses"}],
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        "convert_pdf": False,
        **extra,
    }


def make_office(tmp_path: Path, mailbox, smtp_server) -> Office:
    outputs = tmp_path / "out"
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump(office_settings(outputs, mailbox, smtp_server)))
    return Office(config, mailbox, smtp_server, outputs)
