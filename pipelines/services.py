"""Services as data: each services/*.yaml names a dossier kind's checklist, its steps (who does
each, what each writes, which mail moves it on), its documents and, in `clock:`, its targets.

One engine walks any of them: the mail path (pipelines/process.py) runs the intake steps
(checking against the checklist, asking for what is missing); pipelines/applications/ walks the
officer steps that follow. A new service is a YAML file plus its DOCX templates, no Python.
A template named in a service is looked up beside the YAML file first, then in templates/.
"""
from __future__ import annotations

import re
from functools import lru_cache
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import yamlfile
from pipelines.documents import Document, OTHER
from pipelines.read.recognise import name_words_in


class ServiceError(ValueError):
    """A service file is malformed; the message names the file and the field."""


@dataclass
class Step:
    """One step of a service (seed 001's rows): who does it, how long it should take,
    what it writes, which mail it sends, where it goes next."""
    id: str
    label: str
    role: str                                   # pemohon, sistem, kepala_balai, seksi_pjt, ...
    duration: str = ""                          # as the SOP says it: "15 menit", "2 jam", "1 hari"
    writes: list[dict] = field(default_factory=list)      # [{kind, template}]
    mail: str = ""                              # email template sent to the applicant on completion
    inputs: list[dict] = field(default_factory=list)      # [{id, label, required}] the officer enters
    outcomes: dict[str, str] = field(default_factory=dict)  # choice -> next step id (decisions)
    next: str = ""                              # the following step ("" = the next in the list)
    waits_for: str = ""                         # a pause reason while the case sits here
    moved_by_mail: list[str] = field(default_factory=list)  # follow-up kinds expected here
    status: str = ""                            # complaints: the register status while it runs
    output: str = ""                            # the SOP's "output" column, as text
    only: list[str] = field(default_factory=list)   # complaints: register types the step applies to

    # Steps read like the mappings they are written as (complaints walk them as dicts).
    def __getitem__(self, key: str):
        return getattr(self, key)

    def get(self, key: str, default=None):
        value = getattr(self, key, default)
        return default if value in ("", [], {}, None) else value

    @property
    def minutes(self) -> int | None:
        """The SOP duration in working minutes (a working day is 8 hours), None if unstated."""
        m = re.match(r"\s*(\d+)\s*(menit|jam|hari)", self.duration or "", re.I)
        if not m:
            return None
        return int(m.group(1)) * {"menit": 1, "jam": 60, "hari": 480}[m.group(2).lower()]


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
    steps: list[Step] = field(default_factory=list)
    intake: list[dict] = field(default_factory=list)              # inbox rules the service brings
    followups: list[dict] = field(default_factory=list)           # mail in a case's thread: kind + patterns
    tariff: list[dict] = field(default_factory=list)              # fee components (rupiah)
    certificate: dict = field(default_factory=dict)               # title, standard, validity ...
    pause_reasons: dict[str, str] = field(default_factory=dict)   # reason id -> Indonesian label
    clock: dict = field(default_factory=dict)                     # owned by the clock engine
    statuses: dict[str, str] = field(default_factory=dict)        # status code -> label (complaints)
    documents: list[dict] = field(default_factory=list)           # [{kind, template}] written on demand
    appeal_team: dict = field(default_factory=dict)               # complaints: team size, cooling-off
    competence: str = ""                                          # staff competence an audit lead needs
    folder: Path | None = None                                    # where the YAML lives

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

    def next_step(self, step_id: str, outcome: str = "") -> Step | None:
        current = self.step(step_id)
        if current is None:
            return None
        target = current.outcomes.get(outcome) if outcome else None
        target = target or current.next
        if target:
            return self.step(target)
        position = self.steps.index(current)
        return self.steps[position + 1] if position + 1 < len(self.steps) else None

    def template(self, name: str, templates_dir: Path) -> Path:
        """A template beside the service file wins over the shared templates folder."""
        if self.folder is not None and (self.folder / name).exists():
            return self.folder / name
        return Path(templates_dir) / name

    def status_label(self, status: str) -> str:
        if status in self.statuses:
            return self.statuses[status]
        step = self.step(status)
        return step.label if step else ""

    @property
    def recognition_items(self) -> list[dict]:
        """Checklist items with words to recognise their document by (`phrases`, `filename`)."""
        return [i for i in self.checklist if i.get("phrases") or i.get("filename")]

    def recognise(self, documents: list[Document]) -> list[Document]:
        """Give each unrecognised document the checklist item its words or name point to.

        Checklist items may carry `phrases` (regular expressions) and `filename` (words in the
        name); the item with the most hits wins, and needs at least one phrase in the text or
        two name hints. Documents the generic readers recognised as one of this checklist's
        types keep their type."""
        items = self.recognition_items
        own = {i.get("doc_type") or i["id"] for i in self.checklist}
        for doc in documents if items else []:
            if doc.doc_type in own:
                continue
            best, best_score, best_evidence = None, 0, []
            text = doc.text or ""
            for item in items:
                score, evidence = 0, []
                for pattern in item.get("phrases", []):
                    hit = re.search(pattern, text, re.I)
                    if hit:
                        score += 2
                        evidence.append(f'kata "{" ".join(hit.group(0).split())}"')
                for word in name_words_in(doc.filename, item.get("filename")):
                    score += 1
                    evidence.append(f'nama berkas memuat "{word}"')
                if score > best_score:
                    best, best_score, best_evidence = item, score, evidence
            if best is not None and best_score >= 2:
                doc.doc_type = best.get("doc_type") or best["id"]
                doc.evidence = best_evidence
                # the generic readers' doubts were about another document type
                doc.findings = [f for f in doc.findings if f.code != "DOKUMEN_TIDAK_DIKENALI"]
            elif doc.doc_type != OTHER:
                doc.doc_type = OTHER
        # A list of candidates has no K/BK result yet (`without_result: true` on its item).
        candidates = {i.get("doc_type") or i["id"] for i in self.checklist if i.get("without_result")}
        for doc in documents:
            if doc.doc_type in candidates:
                doc.findings = [f for f in doc.findings if not (
                    f.code == "KOLOM_WAJIB_TIDAK_ADA" and f.details.get("column") == "result")]
        return documents


_STEP_FIELDS = set(Step.__dataclass_fields__)
_SERVICE_FIELDS = set(Service.__dataclass_fields__) - {"folder"}
SHARED_SERVICES = Path(__file__).resolve().parent.parent / "services"
ROLES_FILE = Path(__file__).resolve().parent.parent / "data" / "roles.yaml"


def role_labels() -> dict[str, str]:
    """Role id -> the Indonesian name officers know it by (data/roles.yaml)."""
    return yamlfile.safe_load(ROLES_FILE.read_text(encoding="utf-8")) or {}


def _read(path: Path) -> dict:
    """The file's fields over those of its `base:` (a shared part such as
    _sertifikasi_balai.yaml, looked up beside the file, then in services/)."""
    data = yamlfile.safe_load(path.read_text(encoding="utf-8")) or {}
    base = data.pop("base", None)
    if not base:
        return data
    base_path = path.parent / base if (path.parent / base).exists() else SHARED_SERVICES / base
    if not base_path.exists():
        raise ServiceError(f"{path.name}: base {base!r} not found")
    return {**_read(base_path), **data}


def load_service(path: Path) -> Service:
    data = _read(path)
    steps_after = data.pop("steps_after", None) or {}
    step_changes = data.pop("step_changes", None) or {}
    unknown = set(data) - _SERVICE_FIELDS
    if unknown:
        raise ServiceError(f"{path.name}: unknown field(s) {', '.join(sorted(unknown))}")
    raw_steps = list(data.pop("steps", None) or [])

    def position_of(step_id: str, where: str) -> int:
        position = next((i for i, s in enumerate(raw_steps) if s.get("id") == step_id), None)
        if position is None:
            raise ServiceError(f"{path.name} {where}: no step {step_id!r}")
        return position

    # `steps_after: {step_id: [steps]}` adds steps to those of the base (product testing after
    # the audit), `step_changes: {step_id: {field: value}}` rewords one of them (the lot sampling
    # of SPPT SNI type 1 in place of the audit), without copying the base's whole list
    for after, added in steps_after.items():
        position = position_of(after, "steps_after") + 1
        raw_steps[position:position] = added
    for step_id, changes in step_changes.items():
        position = position_of(step_id, "step_changes")
        raw_steps[position] = {**raw_steps[position], **changes}
    steps = []
    for i, raw in enumerate(raw_steps):
        bad = set(raw) - _STEP_FIELDS
        if bad or "id" not in raw or "role" not in raw:
            raise ServiceError(f"{path.name} steps[{i}]: needs id and role; unknown {sorted(bad)}")
        steps.append(Step(**{"label": raw["id"], **raw}))
    service = Service(**data, steps=steps, folder=path.resolve().parent)
    ids, roles = [s.id for s in steps], role_labels()
    for s in steps:
        for target in [s.next, *s.outcomes.values()]:
            if target and target not in ids:
                raise ServiceError(f"{path.name} step {s.id}: goes to unknown step {target!r}")
        if s.role not in roles:
            raise ServiceError(f"{path.name} step {s.id}: role {s.role!r} is not in data/roles.yaml")
    return service


def load_services(directory: str | Path) -> dict[str, Service]:
    services = {}
    for path in sorted(Path(directory).glob("*.yaml")):
        if path.name.startswith("_"):   # a shared base, not a service of its own
            continue
        service = load_service(path)
        services[service.kind] = service
    return services


@lru_cache(maxsize=4)
def _services_in(directory: str) -> dict[str, Service]:
    return load_services(directory)


def step_label(kind: str, status: str, directory: str | Path = SHARED_SERVICES) -> str:
    """The label of a dossier's status as its service names it ("" when it does not)."""
    service = _services_in(str(directory)).get(kind)
    return service.status_label(status) if service else ""
