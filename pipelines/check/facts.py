"""The dossier's facts gathered from its documents: what the letter asks, what the decision
says, what the minutes record, what the participant lists count (the views the checks take)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from pipelines.documents import (ASSESSMENT_MINUTES, CERTIFICATION_DECISION, PARTICIPANT_LIST,
                                 REQUEST_LETTER, Document, Roster)


def _date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


_SCHEME_PREFIX = re.compile(
    r"^(?:skema\s+)?(?:sertifikasi\s+)?(?:kompetensi\s+)?(?:okupasi\s+|klaster\s+|kualifikasi\s+|kkni\s+)?", re.I)


def normalise_scheme(name: str) -> str:
    """"Skema Okupasi: Junior Web-Developer " -> "junior web developer"."""
    s = str(name or "").lower()
    s = re.sub(r"[^0-9a-z]+", " ", s)
    s = " ".join(s.split())
    s = _SCHEME_PREFIX.sub("", s).strip()
    return s


def same_scheme(a: str, b: str) -> bool:
    """One scheme identity (read.schemes): equal codes where both have one, else equal names once
    qualifiers ("KKNI Level III", "Okupasi") are set aside."""
    from pipelines.read.schemes import same
    na, nb = normalise_scheme(a), normalise_scheme(b)
    if not na or not nb:
        return False
    return na == nb or same(a, b)


@dataclass
class RequestLetter:
    """Surat permohonan blanko."""
    source: str
    number: str = ""
    date: date | None = None
    lsp_name: str = ""
    blanks_requested: int | None = None
    scheme_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class CertificationDecision:
    """Keputusan sertifikasi."""
    source: str
    number: str = ""
    date: date | None = None
    schemes: list[str] = field(default_factory=list)
    competent_count: int | None = None
    lsp_name: str = ""
    scheme_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class AssessmentMinutes:
    """Berita acara asesmen."""
    source: str
    date: date | None = None
    schemes: list[str] = field(default_factory=list)


def letters(documents: list[Document]) -> list[RequestLetter]:
    return [RequestLetter(d.filename, d.facts.get("letter_number", ""), _date(d.facts.get("letter_date")),
                          d.facts.get("lsp_name", ""), d.facts.get("blanks_requested"),
                          dict(d.facts.get("scheme_counts") or {}))
            for d in documents if d.doc_type == REQUEST_LETTER]


def decisions(documents: list[Document]) -> list[CertificationDecision]:
    return [CertificationDecision(d.filename, d.facts.get("decision_number", ""),
                                  _date(d.facts.get("decision_date")), list(d.facts.get("schemes") or []),
                                  d.facts.get("competent_count"), d.facts.get("lsp_name", ""),
                                  dict(d.facts.get("scheme_counts") or {}))
            for d in documents if d.doc_type == CERTIFICATION_DECISION]


def minutes(documents: list[Document]) -> list[AssessmentMinutes]:
    out = []
    for d in documents:
        if d.doc_type != ASSESSMENT_MINUTES:
            continue
        sc = list(d.facts.get("schemes") or ([d.facts["scheme"]] if d.facts.get("scheme") else []))
        out.append(AssessmentMinutes(d.filename, _date(d.facts.get("assessment_date")), sc))
    return out


def rosters(documents: list[Document]) -> list[Roster]:
    return [d.roster for d in documents if d.doc_type == PARTICIPANT_LIST and d.roster is not None]


def merged_counts(rs: list[Roster]) -> dict[str, dict[str, int]]:
    """K/BK per scheme over all lists, schemes that differ only in spelling merged."""
    out: dict[str, dict[str, int]] = {}
    for r in rs:
        for scheme, c in r.counts_by_scheme().items():
            key = next((k for k in out if normalise_scheme(k) == normalise_scheme(scheme)), scheme)
            acc = out.setdefault(key, {"K": 0, "BK": 0})
            acc["K"] += c.get("K", 0)
            acc["BK"] += c.get("BK", 0)
    return out


def expand(documents: list[Document]) -> list[Document]:
    """A file that binds several documents (minutes and decision in one PDF) counts as its parts."""
    return [p for d in documents for p in (d.parts or [d])]


def summarise(documents: list[Document]) -> dict:
    """The facts an officer (and the approval sheet) needs, from whatever documents were read."""
    documents = expand(documents)
    ls, ds, ms, rs = letters(documents), decisions(documents), minutes(documents), rosters(documents)
    letter = ls[0] if ls else None
    decision = ds[0] if ds else None
    counts = merged_counts(rs)
    named = list(dict.fromkeys([s for d in ds for s in d.schemes] + [s for m in ms for s in m.schemes]))
    if "" in counts and len(counts) == 1 and len(named) == 1:
        counts = {named[0]: counts[""]}   # e.g. a CSV list without a scheme column, one scheme named
    assessment_dates = sorted({m.date for m in ms if m.date})
    return {
        "letter_number": letter.number if letter else "",
        "letter_date": letter.date.isoformat() if letter and letter.date else "",
        "lsp_name": (letter.lsp_name if letter and letter.lsp_name else (decision.lsp_name if decision else "")),
        "blanks_requested": letter.blanks_requested if letter else None,
        "decision_number": decision.number if decision else "",
        "decision_date": decision.date.isoformat() if decision and decision.date else "",
        "decision_competent_count": decision.competent_count if decision else None,
        "decision_schemes": list(decision.schemes) if decision else [],
        "assessment_dates": [d.isoformat() for d in assessment_dates],
        "minutes_schemes": [s for m in ms for s in m.schemes],
        "schemes": counts,
        "competent_total": sum(c["K"] for c in counts.values()) if rs else None,
        "competent_participants": [{"name": row.name, "nik": row.nik, "scheme": row.scheme_label or
                                    (named[0] if len(named) == 1 else "")} for r in rs for row in r.competent],
        "participants_total": sum(len(r.rows) for r in rs) if rs else None,
    }
