"""Dossier kinds (services) as data: services/*.yaml define checklist, statuses and documents."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass
class Service:
    kind: str
    name: str
    number_prefix: str
    checklist: list[dict]
    sender_registry: str = ""
    hold_for_officer: list[str] = field(default_factory=list)   # finding codes an officer must clear
    when_incomplete: dict = field(default_factory=dict)
    when_complete: dict = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)     # status code -> Indonesian label
    steps: list[dict] = field(default_factory=list)            # [{id, label, role, status, ...}]
    clock: dict = field(default_factory=dict)                  # targets per step (pipelines/clock)
    documents: list[dict] = field(default_factory=list)        # [{kind, template}] written on demand
    appeal_team: dict = field(default_factory=dict)            # complaints: team size, cooling-off


def load_services(directory: str | Path) -> dict[str, Service]:
    services = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        service = Service(**data)
        services[service.kind] = service
    return services
