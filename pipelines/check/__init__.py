"""check: documents in, findings out (the fourth step of a mail's path). Pure: no files, no
mail, no database. `check_dossier` composes the small checks in `checklist` and `rules`."""
from __future__ import annotations

from datetime import date

from pipelines.documents import Document
from pipelines.findings import Finding
from pipelines.check import facts as F
from pipelines.check.checklist import check_checklist, check_item
from pipelines.check.lines import (UNREADABLE, attribute_unreadable, check_approval_facts, name_unreadable,
                                   one_nik_line_per_row)
from pipelines.check.facts import expand, normalise_scheme, same_scheme, summarise
from pipelines.check.rules import (check_blank_count, check_counts, check_date_order, check_decision_count,
                                   check_future_dates, check_letter_vs_decision, check_lsp_name,
                                   check_manual_review, check_missing_facts, check_previous_niks,
                                   check_scheme_counts, check_schemes, check_unrecognised)

__all__ = ["check_dossier", "summarise", "check_checklist", "check_item", "check_blank_count", "check_counts",
           "check_decision_count", "check_letter_vs_decision", "check_schemes", "check_date_order",
           "check_future_dates", "check_previous_niks", "check_scheme_counts", "check_lsp_name", "normalise_scheme", "same_scheme"]


def _today(context: dict) -> date | None:
    t = context.get("today")
    if isinstance(t, date):
        return t
    try:
        return date.fromisoformat(str(t)) if t else None
    except ValueError:
        return None


def check_dossier(documents: list[Document], checklist: list[dict], context: dict | None = None) -> list[Finding]:
    """All findings for one dossier: each document's own, completeness, then cross-document."""
    context = context or {}
    documents = attribute_unreadable(expand(documents), checklist)
    renamed = name_unreadable(documents)
    out: list[Finding] = []
    for d in documents:
        out.extend(renamed.get((f.code, f.where), f) for f in d.findings)
    out = one_nik_line_per_row(out)
    out.extend(check_checklist(documents, checklist))
    letters, decisions, minutes = F.letters(documents), F.decisions(documents), F.minutes(documents)
    rosters = F.rosters(documents)
    letter = letters[0] if letters else None
    decision = decisions[0] if decisions else None
    competent = sum(r.competent_count for r in rosters) if rosters else None
    out.extend(check_counts(letter, decision, competent, ", ".join(r.source for r in rosters)))
    listed = F.merged_counts(rosters) if rosters else {}
    roster_schemes = list(listed)
    if len(listed) > 1:  # with one scheme the totals above already say it
        for lt in letters[:1]:
            out.extend(check_scheme_counts(lt.scheme_counts, listed, lt.source, "Surat permohonan"))
        for d in decisions[:1]:
            out.extend(check_scheme_counts(d.scheme_counts, listed, d.source, "Keputusan sertifikasi"))
    out.extend(check_lsp_name(letter, decision))
    out.extend(check_schemes([s for s in roster_schemes if s], decisions, minutes))
    out.extend(check_date_order(minutes, decision, letter))
    dated = ([("surat permohonan", lt.source, lt.date) for lt in letters] +
             [("keputusan", d.source, d.date) for d in decisions] +
             [("asesmen", m.source, m.date) for m in minutes])
    out.extend(check_future_dates(dated, _today(context)))
    out.extend(check_previous_niks(rosters, context.get("previous_niks") or {}))
    unreadable = {d.filename for d in documents if any(f.code in UNREADABLE and f.is_error for f in d.findings)}
    out.extend(check_missing_facts([x for x in letters if x.source not in unreadable],
                                   [x for x in decisions if x.source not in unreadable],
                                   [x for x in minutes if x.source not in unreadable]))
    out.extend(check_manual_review(documents))
    if not any(f.is_error for f in out):   # the approval sheet is written only for a complete request
        out.extend(check_approval_facts(summarise(documents), documents))
    out.extend(check_unrecognised(documents))
    # the same finding twice (e.g. one file attached twice) is said once
    seen: set[tuple] = set()
    unique = []
    for f in out:
        key = (f.code, f.message, f.where)
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique
