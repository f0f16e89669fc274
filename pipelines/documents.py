"""What the readers make of a mail and its attachments.

These plain values are the contract between `read` (bytes in) and `check` (findings out):
checks never touch files, mail or the database.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from pipelines.findings import Finding

# Document types a BNSP blank request is made of (see services/*.yaml checklists).
REQUEST_LETTER = "request_letter"                  # surat permohonan
ASSESSMENT_MINUTES = "assessment_minutes"          # berita acara asesmen
CERTIFICATION_DECISION = "certification_decision"  # keputusan sertifikasi
PARTICIPANT_LIST = "participant_list"              # daftar peserta (Excel)
SIGNED_RECEIPT = "signed_receipt"                  # tanda terima yang ditandatangani LSP
OTHER = "other"


@dataclass
class Attachment:
    """One file taken out of a mail (after unpacking archives and forwarded mails)."""
    filename: str            # sanitised, safe as a single path component
    data: bytes
    declared_type: str = ""  # what the mail said
    media_type: str = ""     # what the bytes are (sniffed)
    origin: str = ""         # e.g. "lampiran", "arsip.zip/", "pesan terusan"


@dataclass
class MailContent:
    """A parsed mail: headers we use, the readable body, the files, and what went wrong."""
    message_id: str = ""
    in_reply_to: str = ""
    references: list[str] = field(default_factory=list)
    subject: str = ""
    from_addr: str = ""
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    date: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names, first value
    content_type: str = ""
    text: str = ""          # plain text body (HTML converted to text)
    html: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass
class RosterRow:
    """One assessed person in a participant list (daftar peserta)."""
    sheet: str
    row: int                 # 1-based row number as Excel shows it
    number: str = ""
    name: str = ""
    nik: str = ""
    scheme: str = ""         # the scheme as this list names it: its name, else its code
    scheme_code: str = ""    # "SKM.NET.03" where the list gives a code (BNSP's KODE SKEMA)
    scheme_name: str = ""    # "Teknisi Jaringan Muda" where the list gives a name (NAMA SKEMA)
    result: str = ""         # normalised: "K" or "BK" ("" when unreadable)
    birth_date: date | None = None
    sex: str = ""            # "L" or "P" where given
    extra: dict = field(default_factory=dict)

    @property
    def scheme_label(self) -> str:
        """The scheme's identity as one label: "Junior Web Developer (TIK.JWD.01)"."""
        return _scheme_label(self.scheme_code, self.scheme_name, self.scheme)


@lru_cache(maxsize=4096)
def _scheme_label(code: str, name: str, mentioned: str) -> str:
    # Worked out once per spelling: a list repeats its schemes on every row, and the checks
    # and summaries ask each row's label several times (~56 parses a request).
    from pipelines.read.schemes import Scheme, merge, parse_scheme
    return merge(Scheme(code.strip(), name.strip()), parse_scheme(mentioned)).label or mentioned.strip()


@dataclass
class Roster:
    """A participant list: rows and per-scheme counts of competent (K) and not yet competent (BK)."""
    source: str
    rows: list[RosterRow] = field(default_factory=list)

    @property
    def competent(self) -> list[RosterRow]:
        return [r for r in self.rows if r.result == "K"]

    @property
    def competent_count(self) -> int:
        return len(self.competent)

    def schemes(self) -> list[dict]:
        """Each scheme of the list once, as an identity (code and/or name) with its K/BK counts."""
        found: dict[str, dict] = {}
        for r in self.rows:
            entry = found.setdefault(r.scheme or "", {"code": r.scheme_code, "name": r.scheme_name, "K": 0, "BK": 0})
            entry["code"] = entry["code"] or r.scheme_code
            entry["name"] = entry["name"] or r.scheme_name
            if r.result in ("K", "BK"):
                entry[r.result] += 1
        return list(found.values())

    def counts_by_scheme(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for r in self.rows:
            c = counts.setdefault(r.scheme_label, {"K": 0, "BK": 0})
            if r.result in c:
                c[r.result] += 1
        return counts


@dataclass
class Document:
    """An attachment after reading: its type, the evidence for it, facts found, findings."""
    filename: str
    sha256: str
    size: int
    media_type: str
    doc_type: str = OTHER
    evidence: list[str] = field(default_factory=list)
    text: str = ""
    pages: int = 0
    facts: dict = field(default_factory=dict)   # e.g. letter_number, letter_date (ISO), blanks_requested, schemes
    roster: Roster | None = None
    findings: list[Finding] = field(default_factory=list)
    needs_manual_review: bool = False
    parts: list["Document"] = field(default_factory=list)   # documents bound in one file (minutes + decision)
