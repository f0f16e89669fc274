"""An office with a blank-request mailbox and a complaints mailbox on the test's real Dovecot,
mailing through the test's real SMTP server."""
from __future__ import annotations

import itertools
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import yaml
from sqlalchemy import select

from pipelines import db
from pipelines.complaints import clock, store
from tests.spine.office import OFFICE, Office

COMPLAINTS = "pengaduan@bnsp.example.go.id"
_ids = itertools.count(1)


def complaint_mail(sender: str, subject: str, body: str, *, to: str = COMPLAINTS, name: str = "",
                   message_id: str | None = None, headers: dict | None = None,
                   in_reply_to: str = "", files: dict[str, bytes] | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(idstring=f"p{next(_ids)}", domain=sender.split("@")[1])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    for key, value in (headers or {}).items():
        msg[key] = value
    msg.set_content(body)
    for filename, data in (files or {}).items():
        maintype, subtype = ("image", "png") if filename.endswith(".png") else ("application", "pdf")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return msg.as_bytes()


class ComplaintOffice(Office):
    complaints_box: object = None

    def entry(self, number: str) -> dict:
        with self.runtime().engine.connect() as conn:
            return store.entry_by_number(conn, number)

    def entries(self) -> list[dict]:
        with self.runtime().engine.connect() as conn:
            return store.entries(conn)

    def steps(self, number: str, now=None) -> dict[str, clock.StepFigure]:
        """The register entry's steps on the service clock, by step id, in order."""
        rt = self.runtime()
        with rt.engine.connect() as conn:
            return {f.step: f for f in clock.figures(rt, conn, store.entry_by_number(conn, number), now=now)}

    def outbox(self, number: str) -> list[dict]:
        with self.runtime().engine.connect() as conn:
            return [dict(r) for r in conn.execute(select(db.outbox).join(
                db.dossiers, db.dossiers.c.id == db.outbox.c.dossier_id)
                .where(db.dossiers.c.number == number).order_by(db.outbox.c.id)).mappings()]


def make_complaint_office(tmp_path: Path, mail_accounts, smtp_server, staff_path: Path | None = None) -> ComplaintOffice:
    outputs = tmp_path / "out"
    config = tmp_path / "sertiflow.yaml"
    blanko, pengaduan = mail_accounts.get(OFFICE), mail_accounts.get(COMPLAINTS)

    def box(name, account):
        return {"name": name, "kind": "imap", "host": account.host, "port": account.port, "security": "none",
                "user": account.user, "password": account.password, "processed_folder": "Diproses"}
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(outputs),
        "mailboxes": [box("blanko", blanko), box("pengaduan", pengaduan)],
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        "convert_pdf": True,
    }))
    office = ComplaintOffice(config, blanko, smtp_server, outputs)
    office.complaints_box = pengaduan
    return office


def register_three(rt) -> dict:
    """A complaint by telephone (confirmed, to the technical lead), an anonymous one from LAPOR!
    and a suggestion; returns the first."""
    from pipelines.complaints.register import confirm_record, register_entry
    first = register_entry(rt, channel="telepon", actor="rina", name="A", email="a@contoh.id",
                           text="Antrean layanan terlalu lama.")
    register_entry(rt, channel="lapor", actor="rina", anonymous=True, text="Ada pungutan liar di loket.")
    register_entry(rt, channel="telepon", actor="rina", name="C", text="Saran: buka layanan Sabtu.",
                   entry_type="saran")
    confirm_record(rt, first["number"], "rina", entry_type="keluhan", technical_lead="Hendra")
    return first
