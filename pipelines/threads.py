"""Which recorded mails belong together: one sender, or one conversation (Message-ID,
In-Reply-To, References). Mails of a group are processed one after the other in arrival order.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

from sqlalchemy import select

from pipelines import db
from pipelines.mail.headers import header_block

HEADER_BYTES = 256 * 1024  # headers only: never parse a whole mail to group it
REPLY_PREFIXES = re.compile(r"^\s*((re|aw|fw|fwd|balas)\s*:\s*)+", re.I)
CASE_NUMBER = re.compile(r"\[[A-Z]{2,6}-\d{4}-\d{6}\]\s*")


def strip_reply_prefixes(subject: str | None) -> str:
    """'Re: AW: Fwd: Permohonan' -> 'Permohonan'."""
    return REPLY_PREFIXES.sub("", subject or "").strip()


def reply_subject(number: str, original: str | None, fallback: str) -> str:
    """'Re: [NUMBER] <the sender's own subject>': mail clients thread the answer with the
    sender's mail, and the case number is in it once whatever the earlier replies carried."""
    text = CASE_NUMBER.sub("", strip_reply_prefixes(original)).strip()
    return f"Re: [{number}] {text or fallback}"


@dataclass
class MailGroup:
    mail_ids: list[int]                               # arrival order
    # mails their sender followed up on later in the same pass: the later check replies for both
    answered_later: set[int] = field(default_factory=set)
    raw_paths: dict[int, str] = field(default_factory=dict)   # mail id -> its kept raw mail (read ahead)


_KNOWN_REFERENCES: dict[str, tuple[str, ...]] = {}   # raw path -> its references
_KNOWN_MAX = 20_000


def references_in(headers) -> tuple[str, ...]:
    """The Message-IDs a mail's headers (a compat32 message) refer to."""
    refs = []
    for name in ("In-Reply-To", "References"):
        for value in headers.get_all(name) or []:
            refs.extend(tok for tok in str(value).split() if tok.startswith("<") and tok.endswith(">"))
    return tuple(refs)


def remember_references(raw_path: str, refs: tuple[str, ...]) -> None:
    """What a kept mail refers to, known already (recording a fetched mail parses its headers):
    grouping the pass's mail then reads no file. A kept mail never changes (its path is its sha256)."""
    if len(_KNOWN_REFERENCES) >= _KNOWN_MAX:
        _KNOWN_REFERENCES.clear()
    _KNOWN_REFERENCES[raw_path] = refs


def _references(raw_path: str) -> tuple[str, ...]:
    """The Message-IDs a kept mail refers to: from memory when this process recorded or grouped
    it before (a pass groups its mail twice, into batches and then each batch), else from its
    headers."""
    known = _KNOWN_REFERENCES.get(raw_path)
    if known is not None:
        return known
    try:
        with open(raw_path, "rb") as fh:
            head = fh.read(HEADER_BYTES)
        refs = references_in(BytesHeaderParser(policy=compat32).parsebytes(header_block(head)))
    except (OSError, ValueError):
        return ()
    remember_references(raw_path, refs)
    return refs


def mail_groups(rt, mail_ids: list[int]) -> list[MailGroup]:
    """`mail_ids` partitioned into groups, each in arrival (id) order, groups in order of their
    first mail."""
    if not mail_ids:
        return []
    with rt.engine.connect() as conn:
        rows = conn.execute(select(db.mails.c.id, db.mails.c.message_id, db.mails.c.from_addr,
                                   db.mails.c.raw_path).where(db.mails.c.id.in_(mail_ids))
                            .order_by(db.mails.c.id)).all()
    parent = {row.id: row.id for row in rows}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def join(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    by_message_id = {row.message_id: row.id for row in rows if row.message_id}
    senders = {row.id: parseaddr(row.from_addr or "")[1].lower() for row in rows}
    by_sender: dict[str, int] = {}
    answered: set[int] = set()
    for row in rows:
        sender = senders[row.id]
        if sender:
            if sender in by_sender:
                join(by_sender[sender], row.id)
            else:
                by_sender[sender] = row.id
        for ref in _references(row.raw_path):
            earlier = by_message_id.get(ref)
            if earlier is not None and earlier != row.id:
                join(earlier, row.id)
                if earlier < row.id and sender and senders[earlier] == sender:
                    answered.add(earlier)  # the sender followed up on its own mail
    groups: dict[int, MailGroup] = {}
    for row in rows:
        group = groups.setdefault(find(row.id), MailGroup([]))
        group.mail_ids.append(row.id)
        group.raw_paths[row.id] = row.raw_path
        if row.id in answered:
            group.answered_later.add(row.id)
    return sorted(groups.values(), key=lambda g: g.mail_ids[0])
