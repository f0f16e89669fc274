"""Which certified person a participant list means (person certification, ISO/IEC 17024).

A person is known by NIK where the list gives one the reader trusts; names are a fallback only
where no NIK is known, and a name that fits several certificates is left to the officer: a
decision never maintains, suspends or withdraws the wrong person's certificate. Pure functions.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from pipelines.read import nik as nikmod

# Reader findings that leave a NIK in doubt: Excel cut it, lost its leading zeros, wrote it in
# scientific notation, or it contradicts itself or the row (NIK_TERSIMPAN_ANGKA: stored as a
# number but intact, is no doubt).
TRUSTED_NIK_FINDINGS = {"NIK_TERSIMPAN_ANGKA"}


@dataclass(frozen=True)
class Participant:
    name: str
    nik: str = ""          # a NIK the case can rely on, else ""


def same_name(name: str) -> str:
    return " ".join((name or "").split()).casefold()


def plausible_nik(nik: str) -> bool:
    """16 digits with a real province code and a possible birth date."""
    parts = nikmod.split(nik or "")
    return bool(parts and parts.province in nikmod.province_codes() and nikmod.birth_date_valid(parts))


def _names_row(location: str, filename: str, sheet: str, row: int) -> bool:
    if filename not in location or not re.search(rf"\bbaris {row}\b", location):
        return False
    return "lembar" not in location or f"lembar {sheet}" in location


def certain_niks(rows: list[dict], findings: list[dict]) -> list[Participant]:
    """The case's participants with the NIK each can be known by.

    `rows`: {name, nik, filename, sheet, row} per participant-list row; `findings`: the case's
    {code, message, location, overridden_by}. A NIK counts only when it is plausible, appears once
    in the case's lists, and no open NIK finding of the reader is about its row or its digits (an
    officer who overrode the finding vouched for it)."""
    doubts = [f for f in findings if f["code"].startswith("NIK_") and f["code"] not in TRUSTED_NIK_FINDINGS
              and not f.get("overridden_by")]
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["nik"]] = counts.get(r["nik"], 0) + 1
    out = []
    for r in rows:
        nik = r["nik"] or ""
        doubtful = (not plausible_nik(nik) or counts[nik] > 1 or any(
            nik in f["message"] or _names_row(f["location"] or "", r["filename"], r["sheet"], r["row"])
            for f in doubts))
        out.append(Participant(r["name"], "" if doubtful else nik))
    return out


def certificates_of_persons(participants: list[Participant], certificates: list[dict],
                            niks: dict[str, str]) -> tuple[list[dict], list[str]]:
    """(the certificates the participants hold, why some could not be told apart).

    `certificates`: {number, holder} of the customer's active or suspended certificates of the
    service; `niks`: certificate number -> the holder's NIK where the register keeps one. A
    participant with a NIK holds the certificates with that NIK; only where none carries a NIK
    (certificates issued before NIKs were kept) the name decides, and only when exactly one
    certificate bears it. Without a NIK the name decides the same way."""
    chosen: dict[str, dict] = {}
    problems: list[str] = []
    for p in participants:
        by_nik = [c for c in certificates if p.nik and niks.get(c["number"]) == p.nik]
        if by_nik:
            chosen.update((c["number"], c) for c in by_nik)
            continue
        named = [c for c in certificates if same_name(c["holder"]) == same_name(p.name)
                 and not (p.nik and niks.get(c["number"]))]     # another NIK is another person
        if len(named) == 1:
            chosen[named[0]["number"]] = named[0]
        elif len(named) > 1:
            problems.append(
                f"{p.name}: {len(named)} sertifikat atas nama yang sama "
                f"({', '.join(c['number'] for c in named)}) dan NIK peserta ini tidak dapat dipastikan dari "
                f"daftar peserta.")
    return [c for c in certificates if c["number"] in chosen], problems
