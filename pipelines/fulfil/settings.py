"""Fulfilment settings: data/fulfilment.yaml (or $SERTIFLOW_FULFILMENT), with defaults.

A `fulfilment:` section in the main settings file, once config.py has one, wins over the
separate file. Tests set `rt.fulfilment = FulfilmentSettings(...)`.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

from pipelines import yamlfile
from pipelines.config import PROJECT_ROOT, ConfigError

DEFAULT_PATH = PROJECT_ROOT / "data" / "fulfilment.yaml"


@dataclass
class FulfilmentSettings:
    serial_prefix: str = ""
    serial_digits: int = 7
    low_stock_threshold: int = 500
    packing: str = "implicit"                  # implicit | explicit
    certificate_number_format: str = "{year}/{lsp_code}/{seq:07d}"
    certificate_valid_years: int = 3
    verification_base_url: str = "https://sertiflow.bnsp.example.go.id"
    courier_name: str = "Jasa Kurir"
    pickup_time: str = "14:00"
    receipt_reminder_working_days: int = 5
    receipt_escalation_working_days: int = 3

    def __post_init__(self):
        if self.packing not in {"implicit", "explicit"}:
            raise ConfigError("fulfilment.packing must be implicit or explicit")
        if not 1 <= int(self.serial_digits) <= 18:
            raise ConfigError("fulfilment.serial_digits must be between 1 and 18")
        try:
            self.certificate_number_format.format(seq=1, year=2026, lsp_code="LSP-001",
                                                  dossier="BLK-2026-000001", serial="0000001")
        except (KeyError, IndexError, ValueError) as exc:
            raise ConfigError(f"fulfilment.certificate_number_format is not valid: {exc}") from exc
        self.verification_base_url = self.verification_base_url.rstrip("/")

    def format_serial(self, serial: int) -> str:
        return f"{self.serial_prefix}{serial:0{self.serial_digits}d}"

    def parse_serial(self, text: str | int) -> int:
        """'0001234', 'A0001234' (with the prefix) or 1234 -> 1234."""
        if isinstance(text, int):
            return text
        value = str(text).strip()
        if self.serial_prefix and value.upper().startswith(self.serial_prefix.upper()):
            value = value[len(self.serial_prefix):]
        if not value.isdigit():
            raise ValueError(f"nomor seri tidak valid: {text!r}")
        return int(value)


def load_fulfilment(path: str | Path | None = None, overrides: dict | None = None) -> FulfilmentSettings:
    path = Path(path or os.environ.get("SERTIFLOW_FULFILMENT") or DEFAULT_PATH)
    data = {}
    if path.exists():
        data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    data.update(overrides or {})
    known = {f.name for f in fields(FulfilmentSettings)}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(f"{path.name}: unknown setting(s) {', '.join(sorted(unknown))}")
    return FulfilmentSettings(**data)


def settings_for(rt) -> FulfilmentSettings:
    """The fulfilment settings of a runtime, loaded once and kept on it."""
    current = getattr(rt, "fulfilment", None)
    if isinstance(current, FulfilmentSettings):
        return current
    section = getattr(rt.settings, "fulfilment", None)
    if isinstance(section, FulfilmentSettings):
        value = section
    elif isinstance(section, dict):
        value = load_fulfilment(overrides=section)
    elif section is not None and hasattr(section, "__dataclass_fields__"):
        value = load_fulfilment(overrides={f: getattr(section, f) for f in section.__dataclass_fields__})
    else:
        value = load_fulfilment()
    try:
        rt.fulfilment = value
    except AttributeError:
        pass
    return value
