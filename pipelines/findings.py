"""Findings: what a check says about a dossier (temuan).

A finding has a stable code, a severity and an Indonesian message naming where the
problem is. Errors block completeness and are phrased for the LSP; warnings go to
officers only; info is for the record.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    message: str
    where: str = ""  # file name, and sheet/row/column where it applies
    details: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def error(cls, code: str, message: str, where: str = "", **details) -> "Finding":
        return cls(code, Severity.ERROR, message, where, details)

    @classmethod
    def warning(cls, code: str, message: str, where: str = "", **details) -> "Finding":
        return cls(code, Severity.WARNING, message, where, details)

    @classmethod
    def info(cls, code: str, message: str, where: str = "", **details) -> "Finding":
        return cls(code, Severity.INFO, message, where, details)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_dict(self) -> dict:
        data = asdict(self)
        data["severity"] = self.severity.value
        return data

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        return cls(data["code"], Severity(data["severity"]), data["message"],
                   data.get("where", ""), data.get("details") or {})


def errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]
