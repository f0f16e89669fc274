"""A Balai office wired to the test's real Dovecot and SMTP, and helpers to read what it wrote."""
from __future__ import annotations

from pathlib import Path

import yaml
from docx import Document as Docx

from tests.applications.factories import OFFICE
from tests.spine.office import Office


def make_balai(tmp_path: Path, mailbox, smtp_server, **settings) -> Office:
    outputs = tmp_path / "out"
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(outputs),
        "office": {"name": "Baristand Industri Palembang", "city": "Palembang", "email": OFFICE,
                   "address": "Jl. Perindustrian II No. 12, Sukarami, Palembang 30152",
                   "official": {"name": "Syaandian, S.T., M.T.", "title": "Kepala Baristand Industri Palembang",
                                "nip": "197407272003121006"}},
        "sender": OFFICE,
        "mailboxes": [{"name": "layanan", "kind": "imap", "host": mailbox.host, "port": mailbox.port,
                       "security": "none", "user": mailbox.user, "password": mailbox.password,
                       "processed_folder": "Diproses"}],
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        "convert_pdf": False,
        **settings,
    }))
    return Office(config, mailbox, smtp_server, outputs)


def docx_text(path) -> str:
    doc = Docx(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def docx_images(path) -> list[bytes]:
    doc = Docx(str(path))
    return [rel.target_part.blob for rel in doc.part.rels.values() if "image" in rel.reltype]
