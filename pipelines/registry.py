"""The LSP registry (data/lsp_registry.yaml): who may send requests, and where blanks go."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Lsp:
    code: str
    name: str
    emails: tuple[str, ...]
    address: str = ""
    contact: str = ""
    phone: str = ""


@dataclass
class Registry:
    lsps: list[Lsp] = field(default_factory=list)

    def by_email(self, address: str) -> Lsp | None:
        address = (address or "").strip().lower()
        for lsp in self.lsps:
            if address in lsp.emails:
                return lsp
        return None

    def by_code(self, code: str) -> Lsp | None:
        return next((lsp for lsp in self.lsps if lsp.code == code), None)


def load_registry(path: str | Path) -> Registry:
    path = Path(path)
    if not path.exists():
        return Registry()
    rows = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return Registry([Lsp(code=str(r["code"]), name=str(r["name"]),
                         emails=tuple(e.strip().lower() for e in r.get("emails", [])),
                         address=str(r.get("address", "")), contact=str(r.get("contact", "")),
                         phone=str(r.get("phone", "")))
                     for r in rows])
