"""Everything one run needs, loaded once: settings, database, rules, services, registry, calendar."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from pipelines import db
from pipelines.calendar import WorkingCalendar
from pipelines.classify import InboxRule, load_rules
from pipelines.config import Settings, load_settings
from pipelines.mail.ingest import Worker
from pipelines.registry import Registry, load_registry
from pipelines.services import Service, load_services


@dataclass
class Runtime:
    settings: Settings
    worker: Worker = field(default_factory=Worker.new)

    @classmethod
    def load(cls, config_path=None) -> "Runtime":
        return cls(load_settings(config_path))

    @cached_property
    def engine(self):
        self.settings.outputs_dir.mkdir(parents=True, exist_ok=True)
        return db.engine_for(self.settings.database_url)

    @cached_property
    def rules(self) -> list[InboxRule]:
        from_services = [{**rule, "kind": s.kind} for s in self.services.values() for rule in s.intake]
        return load_rules(self.settings.rules_dir, {"19_services": from_services})

    @cached_property
    def services(self) -> dict[str, Service]:
        return load_services(self.settings.services_dir)

    @cached_property
    def registry(self) -> Registry:
        return load_registry(self.settings.registry_path)

    @property
    def calendar(self) -> WorkingCalendar:
        # Read on each use (the file's data is cached by its mtime): an edited calendar moves
        # open deadlines in a long-running desk or worker without a restart.
        return WorkingCalendar(self.settings.calendar_path, offices_path=self.settings.offices_path)
