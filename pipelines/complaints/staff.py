"""Staff as data (data/staff.yaml, or $SERTIFLOW_STAFF): who may sit on an appeal team,
their competences, and where they consulted or worked (for the two-year rule)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pipelines import yamlfile
from pipelines.config import PROJECT_ROOT, ConfigError

DEFAULT_PATH = PROJECT_ROOT / "data" / "staff.yaml"
INVOLVEMENT_ROLES = {"auditor": "Auditor", "evaluator": "Tim evaluasi teknis", "komite": "Komite evaluasi",
                     "petugas": "Petugas yang menangani"}


@dataclass(frozen=True)
class Affiliation:
    organisation: str
    relation: str                   # konsultan | karyawan
    until: date | None = None       # None: still ongoing


@dataclass(frozen=True)
class Staff:
    id: str
    name: str
    position: str = ""
    email: str = ""
    username: str = ""              # desk account, when they have one
    competences: tuple[str, ...] = ()
    affiliations: tuple[Affiliation, ...] = field(default_factory=tuple)


def _date(value) -> date | None:
    """YAML gives a date for 2025-08-31 and a string for "2025-08-31": both are a date here."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def load_staff(path: str | Path | None = None) -> list[Staff]:
    path = Path(path or os.environ.get("SERTIFLOW_STAFF") or DEFAULT_PATH)
    if not path.exists():
        return []
    data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    people = []
    for i, item in enumerate(data.get("staff") or []):
        try:
            people.append(Staff(
                id=str(item["id"]), name=str(item["name"]), position=str(item.get("position", "")),
                email=str(item.get("email", "")).lower(), username=str(item.get("username", "")),
                competences=tuple(item.get("competences") or ()),
                affiliations=tuple(Affiliation(str(a["organisation"]), str(a.get("relation", "konsultan")),
                                               _date(a.get("until"))) for a in item.get("affiliations") or ())))
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"{path.name}: staff entry {i + 1} is incomplete ({exc})") from exc
    return people


def competences_of(path: str | Path | None = None) -> dict[str, str]:
    path = Path(path or os.environ.get("SERTIFLOW_STAFF") or DEFAULT_PATH)
    data = yamlfile.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    return dict((data or {}).get("competences") or {})
