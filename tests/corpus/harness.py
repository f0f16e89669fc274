"""Run a set of request mails through the real pipeline (Dovecot IMAP in, SMTP out) and
collect, per mail, what a careful officer would look at: the dossier, its findings, the
completion request sent to the LSP and the files Sertiflow wrote.

Shared by the corpus test (tests/corpus/) and the precision/recall script (bench/).
"""
from __future__ import annotations

import email
import json
import re
from dataclasses import dataclass, field
from email import policy
from pathlib import Path

import yaml
from sqlalchemy import select

from pipelines import db
from pipelines.poll import run_once
from pipelines.runtime import Runtime

ROOT = Path(__file__).resolve().parents[2]
SHARED_CORPUS = ROOT.parent / "shared" / "corpora" / "bnsp-requests-v1"


@dataclass
class CaseResult:
    stem: str
    message_id: str
    sender: str
    mail_state: str = ""              # done / failed / ...
    classification: str = ""
    mail_error: str = ""
    dossier: dict | None = None
    findings: list[dict] = field(default_factory=list)
    replies: list[email.message.EmailMessage] = field(default_factory=list)   # mail sent back in its thread
    generated: dict[str, Path] = field(default_factory=dict)                  # kind -> docx

    @property
    def status(self) -> str:
        return self.dossier["status"] if self.dossier else ""

    def completion_lines(self) -> list[str]:
        """The problems listed in completion requests ("- ..." lines of the list)."""
        return [line for reply in self.replies for line in request_lines(reply_text(reply))]


def reply_text(message) -> str:
    part = message.get_body(preferencelist=("plain",)) or message
    return part.get_content()


def request_lines(body: str) -> list[str]:
    """The bullet lines of a completion request, continuation lines joined."""
    lines: list[str] = []
    for raw in body.splitlines():
        if raw.startswith("- "):
            lines.append(raw[2:].strip())
        elif lines and raw.startswith("  ") and raw.strip():
            lines[-1] += " " + raw.strip()
    return lines


def load_corpus(folder: Path = SHARED_CORPUS) -> tuple[dict[str, bytes], dict, dict]:
    """(stem -> raw mail, expected, lsps) of a corpus folder laid out like bnsp-requests-v1."""
    mails = {p.stem: p.read_bytes() for p in sorted(folder.glob("*.eml"))}
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    lsps = json.loads((folder / "lsps.json").read_text(encoding="utf-8"))
    return mails, expected, lsps


def registry_rows(lsps: dict) -> list[dict]:
    """lsps.json -> data/lsp_registry.yaml rows (contact and phone from the office's records)."""
    return [{"code": code, "name": v["name"], "emails": [v["email"]],
             "address": v.get("address", ""), "contact": v.get("contact", "Petugas LSP"),
             "phone": v.get("phone", "")} for code, v in lsps.items()]


def write_config(workdir: Path, mailbox, smtp, registry: list[dict], **extra) -> Path:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "lsp_registry.yaml").write_text(yaml.safe_dump(registry, allow_unicode=True), encoding="utf-8")
    config = workdir / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(workdir / "out"),
        "registry_path": str(workdir / "lsp_registry.yaml"),
        "mailboxes": [{"name": "blanko", "kind": "imap", "host": mailbox.host, "port": mailbox.port,
                       "security": "none", "user": mailbox.user, "password": mailbox.password,
                       "processed_folder": "Diproses"}],
        "smtp": {"host": smtp.host, "port": smtp.port, "security": "none"},
        # a corpus is many LSPs' requests of many days at once: the per-day cap is not under test
        "auto_replies_per_sender_per_day": 1000,
        "convert_pdf": False,
        **extra,
    }), encoding="utf-8")
    return config


def _header(raw: bytes, name: str) -> str:
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    return " ".join(str(msg.get(name, "") or "").split())


def run_mails(mails: dict[str, bytes], registry: list[dict], workdir: Path, mailbox, smtp,
              runs: int = 1) -> dict[str, CaseResult]:
    """Append every mail to the office mailbox, run the pipeline, collect one CaseResult per mail."""
    config = write_config(workdir, mailbox, smtp, registry)
    mailbox.append_many(mails.values())
    rt = Runtime.load(config)
    for _ in range(runs):
        run_once(rt)
    return collect(rt, mails, smtp)


def collect(rt: Runtime, mails: dict[str, bytes], smtp) -> dict[str, CaseResult]:
    sent = [m.message for m in smtp.messages]
    results: dict[str, CaseResult] = {}
    with rt.engine.connect() as conn:
        mail_rows = conn.execute(select(db.mails).order_by(db.mails.c.id)).mappings().all()
        for stem, raw in mails.items():
            mid = _header(raw, "Message-ID")
            res = CaseResult(stem, mid, _header(raw, "From"))
            rows = [r for r in mail_rows if r["message_id"] == mid] if mid else []
            if not rows:   # no Message-ID: the fingerprint of the stored bytes is its key
                import hashlib
                crlf = re.sub(rb"\r?\n", b"\r\n", raw)
                fps = {hashlib.sha256(raw).hexdigest(), hashlib.sha256(crlf).hexdigest()}
                rows = [r for r in mail_rows if r["fingerprint"] in fps]
            if rows:
                row = rows[0]
                res.mail_state, res.classification, res.mail_error = row["state"], row["classification"], row["error"]
                if row["dossier_id"]:
                    res.dossier = dict(conn.execute(select(db.dossiers).where(
                        db.dossiers.c.id == row["dossier_id"])).mappings().one())
                    res.findings = [dict(f) for f in conn.execute(select(db.findings).where(
                        db.findings.c.dossier_id == row["dossier_id"])).mappings()]
                    res.generated = {g["kind"]: Path(g["docx_path"]) for g in conn.execute(
                        select(db.generated_files).where(
                            db.generated_files.c.dossier_id == row["dossier_id"])).mappings()}
            res.replies = [m for m in sent if mid and mid in str(m.get("In-Reply-To", ""))]
            results[stem] = res
    return results
