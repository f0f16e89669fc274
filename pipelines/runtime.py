"""Everything one run needs, loaded once: settings, database, rules, services, registry, calendar."""
from __future__ import annotations

import os
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
    _calendar: tuple | None = field(default=None, init=False, repr=False, compare=False)

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
        # Built again when a file changes: an edited calendar moves open deadlines in a
        # long-running desk or worker without a restart. Otherwise the one built before (the
        # mail path asks several times a mail; building it resolved and read both files' state).
        key = (_file_state(self.settings.calendar_path, required=True), _file_state(self.settings.offices_path))
        cached = self._calendar
        if cached is None or cached[0] != key:
            cached = self._calendar = (key, WorkingCalendar(self.settings.calendar_path,
                                                            offices_path=self.settings.offices_path))
        return cached[1]


def _file_state(path, required: bool = False) -> tuple | None:
    """What changes when the file is edited or replaced (None: absent, when it may be)."""
    if not path:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if required:
            raise
        return (str(path), None)
    return (str(path), st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)
