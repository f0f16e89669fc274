"""The LSP registry (data/lsp_registry.yaml): who may send requests, and where blanks go."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml

from pipelines import yamlfile


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
    rows = yamlfile.safe_load(path.read_text(encoding="utf-8")) or []
    return Registry([Lsp(code=str(r["code"]), name=str(r["name"]),
                         emails=tuple(e.strip().lower() for e in r.get("emails", [])),
                         address=str(r.get("address", "")), contact=str(r.get("contact", "")),
                         phone=str(r.get("phone", "")))
                     for r in rows])


class RegistryError(ValueError):
    """Shown to the admin as is (Indonesian)."""


def _rewrite(path: Path, change) -> None:
    """Read-modify-write the registry file under a lock; its leading comment block is kept.
    Written to a temporary file and renamed: a reader sees the old or the new file, never half."""
    import fcntl
    import os
    import re
    path = Path(path)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        header = "".join(re.findall(r"^#[^\n]*\n", text.split("\n-", 1)[0] + "\n", re.M))
        rows = yamlfile.safe_load(text) or []
        change(rows)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(header + yaml.safe_dump(rows, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
        os.replace(tmp, path)


def add_address(path: str | Path, code: str, address: str) -> None:
    """Register one more sender address for an existing LSP."""
    address = address.strip().lower()
    if "@" not in address:
        raise RegistryError("Alamat surel tidak sah.")

    def change(rows):
        row = next((r for r in rows if str(r.get("code")) == code), None)
        if row is None:
            raise RegistryError(f"LSP {code} tidak ada di daftar.")
        for other in rows:
            if address in [e.strip().lower() for e in other.get("emails", [])]:
                raise RegistryError(f"Alamat {address} sudah terdaftar untuk {other['code']}.")
        row.setdefault("emails", []).append(address)
    _rewrite(Path(path), change)


def add_lsp(path: str | Path, code: str, name: str, address: str, postal_address: str = "",
            contact: str = "", phone: str = "") -> None:
    """Register a new LSP with its first sender address."""
    code, name, address = code.strip().upper(), name.strip(), address.strip().lower()
    if not code or not name:
        raise RegistryError("Kode dan nama LSP wajib diisi.")
    if "@" not in address:
        raise RegistryError("Alamat surel tidak sah.")

    def change(rows):
        if any(str(r.get("code")) == code for r in rows):
            raise RegistryError(f"Kode {code} sudah dipakai.")
        if any(address in [e.strip().lower() for e in r.get("emails", [])] for r in rows):
            raise RegistryError(f"Alamat {address} sudah terdaftar.")
        rows.append({"code": code, "name": name, "emails": [address], "address": postal_address.strip(),
                     "contact": contact.strip(), "phone": phone.strip()})
    _rewrite(Path(path), change)
