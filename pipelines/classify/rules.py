"""Inbox rules kept as data (inbox_rules/*.yaml), in the manner of paperless-ngx mail rules.

Each rule names a dossier kind and any of: from, to, subject, body, attachment. A value
starting with "re:" is a case-insensitive regular expression, otherwise a case-insensitive
glob; a list means "any of". All fields given must match. Files are read in name order and
the first matching rule wins.
"""
from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path

from pipelines import yamlfile
from pipelines.documents import MailContent

FIELDS = ("from", "to", "subject", "body", "attachment")
UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Pattern:
    raw: str
    regex: re.Pattern

    @classmethod
    def parse(cls, raw: str) -> "Pattern":
        raw = str(raw)
        if raw.startswith("re:"):
            return cls(raw, re.compile(raw[3:], re.IGNORECASE))
        return cls(raw, re.compile(fnmatch.translate(raw.lower()), re.IGNORECASE | re.DOTALL))

    def matches(self, value: str) -> bool:
        if self.raw.startswith("re:"):
            return bool(self.regex.search(value))
        return bool(self.regex.match(value.lower()))


@dataclass
class InboxRule:
    name: str
    kind: str
    patterns: dict[str, list[Pattern]] = field(default_factory=dict)

    def matches(self, values: dict[str, list[str]]) -> bool:
        return all(any(p.matches(v) for p in pats for v in values[fld])
                   for fld, pats in self.patterns.items())


@dataclass(frozen=True)
class Classification:
    kind: str          # a dossier kind, "autoreply", or "unclassified"
    rule: str = ""     # the rule that decided it


def load_rules(directory: str | Path, extra: dict[str, list[dict]] | None = None) -> list[InboxRule]:
    """Rules of every file in name order. `extra` adds named groups sorted among the files
    (services bring their own rules as "19_services": after the automatic-mail, receipt and complaint
    rules, before the blank-request rules whose attachment names are broad)."""
    groups = {path.name: (yamlfile.safe_load(path.read_text(encoding="utf-8")) or [])
              for path in Path(directory).glob("*.y*ml")}
    groups.update(extra or {})
    rules = []
    for name in sorted(groups):
        for i, entry in enumerate(groups[name]):
            unknown = set(entry) - set(FIELDS) - {"name", "kind"}
            if unknown or "kind" not in entry:
                raise ValueError(f"{name} rule {i + 1}: needs 'kind', unknown keys {sorted(unknown)}")
            patterns = {}
            for fld in FIELDS:
                if fld in entry:
                    values = entry[fld] if isinstance(entry[fld], list) else [entry[fld]]
                    patterns[fld] = [Pattern.parse(v) for v in values]
            rules.append(InboxRule(entry.get("name", f"{Path(name).stem}-{i + 1}"), entry["kind"], patterns))
    return rules


def classify(mail: MailContent, rules: list[InboxRule]) -> Classification:
    values = {
        "from": [mail.from_addr or ""],
        "to": list(mail.to) + list(mail.cc) or [""],
        "subject": [mail.subject or ""],
        "body": [mail.text or ""],
        "attachment": [a.filename for a in mail.attachments] or [""],
    }
    for rule in rules:
        if rule.matches(values):
            return Classification(rule.kind, rule.name)
    return Classification(UNCLASSIFIED)
