"""Settings: one YAML file, secrets and overrides from SERTIFLOW_* environment variables.

Lookup: $SERTIFLOW_CONFIG, else ./sertiflow.yaml, else built-in defaults that run on the
bundled sample mailbox. Relative paths are taken relative to the settings file.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines import yamlfile

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """A setting is missing or wrong; the message says which (shown to the operator)."""


@dataclass
class Official:
    name: str = "Drs. Budi Santoso, M.M."
    title: str = "Kepala Subbagian Sertifikasi"
    nip: str = "197001012000031001"


@dataclass
class Office:
    name: str = "Sekretariat Badan Nasional Sertifikasi Profesi"
    address: str = "Jl. M.T. Haryono Kav. 52, Jakarta Selatan 12770"
    city: str = "Jakarta"
    email: str = "blanko@bnsp.example.go.id"
    contact: str = "Petugas Layanan Blanko Sertifikat"   # closes every mail to an LSP, with the phone
    phone: str = ""                                      # e.g. "(021) 555 0101"
    official: Official = field(default_factory=Official)


@dataclass
class Mailbox:
    """A mailbox to poll. kind "imap" talks to a server; "maildir" reads a local Maildir or .eml folder."""
    name: str = "blanko"
    kind: str = "maildir"
    path: str = ""               # maildir / eml folder
    host: str = "127.0.0.1"
    port: int = 143
    security: str = "none"        # none | starttls | ssl
    user: str = ""
    password: str = ""
    folder: str = "INBOX"
    processed_folder: str = "Processed"   # "" = flag as seen instead of moving
    batch_size: int = 100
    timeout: float = 60           # seconds any one IMAP command may take


@dataclass
class Smtp:
    host: str = ""                # empty: write outgoing mail as .eml files to outbox_dir
    port: int = 25
    security: str = "none"        # none | starttls | ssl
    user: str = ""
    password: str = ""
    timeout: float = 30           # seconds any one SMTP exchange may take


@dataclass
class Settings:
    office: Office = field(default_factory=Office)
    mailboxes: list[Mailbox] = field(default_factory=list)
    smtp: Smtp = field(default_factory=Smtp)
    sender: str = "blanko@bnsp.example.go.id"
    database_url: str = ""
    outputs_dir: Path = PROJECT_ROOT / "outputs"
    outbox_dir: Path | None = None
    registry_path: Path = PROJECT_ROOT / "data" / "lsp_registry.yaml"
    rules_dir: Path = PROJECT_ROOT / "inbox_rules"
    services_dir: Path = PROJECT_ROOT / "services"
    templates_dir: Path = PROJECT_ROOT / "templates"
    calendar_path: Path = PROJECT_ROOT / "data" / "calendar.yaml"   # office hours, local holidays
    offices_path: Path = PROJECT_ROOT / "data" / "offices.yaml"   # offices sharing this Sertiflow
    certsearch_path: Path = PROJECT_ROOT / "data" / "certsearch.yaml"   # IAF CertSearch upload tabs and columns
    auto_replies_per_sender_per_day: int = 3
    clock_officers: list[str] = field(default_factory=list)   # morning clock digest; default office.email
    head_of_office: str = ""      # SLA report recipient; default office.email
    convert_pdf: bool = True      # DOCX -> PDF through LibreOffice when installed

    def __post_init__(self):
        if not self.database_url:
            self.database_url = f"sqlite:///{self.outputs_dir / 'sertiflow.db'}"
        if self.outbox_dir is None:
            self.outbox_dir = self.outputs_dir / "outbox"


_SECURITIES = {"none", "starttls", "ssl"}


def _build(cls, data: dict, where: str):
    known = {f for f in cls.__dataclass_fields__}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{where}: unknown setting(s) {', '.join(sorted(unknown))}")
    return cls(**data)


def load_settings(path: str | Path | None = None, env: dict | None = None) -> Settings:
    env = dict(os.environ if env is None else env)
    path = path or env.get("SERTIFLOW_CONFIG")
    if path is None and Path("sertiflow.yaml").exists():
        path = "sertiflow.yaml"
    data: dict = {}
    base = PROJECT_ROOT
    if path:
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"settings file not found: {path}")
        try:
            data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        base = path.resolve().parent

    office = dict(data.pop("office", {}) or {})
    official = _build(Official, office.pop("official", {}) or {}, "office.official")
    office_obj = _build(Office, office, "office")
    office_obj.official = official
    mailboxes = [_build(Mailbox, dict(m), f"mailboxes[{i}]") for i, m in enumerate(data.pop("mailboxes", []) or [])]
    smtp = _build(Smtp, dict(data.pop("smtp", {}) or {}), "smtp")

    for key in ("outputs_dir", "outbox_dir", "registry_path", "rules_dir", "services_dir",
                "templates_dir", "calendar_path", "offices_path", "certsearch_path"):
        if data.get(key):
            data[key] = (base / data[key]).resolve()
    for m in mailboxes:
        if m.path:
            m.path = str((base / m.path).resolve())

    # Environment wins over the file: secrets never need to be written down.
    if env.get("SERTIFLOW_DATABASE_URL"):
        data["database_url"] = env["SERTIFLOW_DATABASE_URL"]
    if env.get("SERTIFLOW_OUTPUTS_DIR"):
        data["outputs_dir"] = Path(env["SERTIFLOW_OUTPUTS_DIR"]).resolve()
    for attr in ("host", "port", "security", "user", "password"):
        value = env.get(f"SERTIFLOW_SMTP_{attr.upper()}")
        if value:
            setattr(smtp, attr, int(value) if attr == "port" else value)
    for m in mailboxes:
        prefix = f"SERTIFLOW_MAILBOX_{m.name.upper().replace('-', '_')}_"
        for attr in ("host", "port", "security", "user", "password", "folder", "path"):
            value = env.get(prefix + attr.upper())
            if value:
                setattr(m, attr, int(value) if attr == "port" else value)
        if env.get("SERTIFLOW_IMAP_PASSWORD") and not m.password:
            m.password = env["SERTIFLOW_IMAP_PASSWORD"]
    if env.get("SERTIFLOW_SENDER"):
        data["sender"] = env["SERTIFLOW_SENDER"]

    settings = _build(Settings, data, "settings")
    settings.office = office_obj
    settings.mailboxes = mailboxes or [Mailbox(name="sampel", kind="maildir",
                                               path=str(PROJECT_ROOT / "samples" / "maildir"))]
    settings.smtp = smtp
    validate(settings)
    return settings


def validate(settings: Settings) -> None:
    names = set()
    for m in settings.mailboxes:
        if m.name in names:
            raise ConfigError(f"mailbox name used twice: {m.name}")
        names.add(m.name)
        if m.kind not in {"imap", "maildir"}:
            raise ConfigError(f"mailbox {m.name}: kind must be imap or maildir, not {m.kind!r}")
        if m.kind == "imap" and m.security not in _SECURITIES:
            raise ConfigError(f"mailbox {m.name}: security must be one of none, starttls, ssl")
        if m.kind == "imap" and not m.user:
            raise ConfigError(f"mailbox {m.name}: user is required for IMAP")
        if m.kind == "maildir" and not m.path:
            raise ConfigError(f"mailbox {m.name}: path is required for a maildir mailbox")
    if settings.smtp.host and settings.smtp.security not in _SECURITIES:
        raise ConfigError("smtp.security must be one of none, starttls, ssl")
    if "@" not in settings.sender:
        raise ConfigError(f"sender must be a full e-mail address, not {settings.sender!r}")
