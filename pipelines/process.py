"""Follow one recorded mail through the steps: classify -> read -> check -> decide -> write -> (queue) send.

Plain functions; the Prefect flow calls `process_mail` for each mail of a batch. Every step
is safe to repeat: files go to fixed paths, rows have unique keys, and the status change,
findings, generated files, queued mail and "mail done" are committed in one transaction.
"""
from __future__ import annotations

import logging
import os
import re
from concurrent.futures import Future
from pathlib import Path
from typing import Callable

from sqlalchemy import bindparam, delete, insert, select, update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.check import check_dossier, summarise
from pipelines.classify import Classification, automatic_reason, classify
from pipelines.decide import decide
from pipelines.decide.decide import CHECKABLE, NEW
from pipelines.documents import REQUEST_LETTER, Attachment, Document, MailContent
from pipelines.faults import crash_point
from pipelines.findings import Finding
from pipelines.classify.rules import UNCLASSIFIED
from pipelines.mail.ingest import claim_mail
from pipelines.offices import offers
from pipelines.read import read_documents, read_message, walk_message
from pipelines.runtime import Runtime
from pipelines.send.outbox import automatic_mail_count, enqueue
from pipelines.threads import reply_subject
from pipelines.write.dossier import render_dossier_documents
from pipelines.write.email_text import render_email

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 3
UNKNOWN_SENDER = "PENGIRIM_TIDAK_TERDAFTAR"
DOSSIER_NUMBER = re.compile(r"\[([A-Z]{2,6}-\d{4}-\d{6})\]")

# Mail kinds handled by something other than a dossier service (e.g. returned receipts):
# kind -> handler(rt, mail_row, content) -> outcome text. Registered by those modules.
MAIL_HANDLERS: dict[str, Callable] = {}
# Services whose cases go on after intake (certification applications) extend it: objects with
# applies(service), context(rt, dossier, service, documents, content) -> extra context for the documents
# and mail, and record(conn, rt, dossier, service, decision, context) in the check's transaction.
INTAKE_EXTENSIONS: list = []
# Dossier kinds whose mail their own module walks instead of the checklist path (complaints):
# kind -> handler(rt, mail_id, dossier, content) -> outcome text.
CASE_HANDLERS: dict[str, Callable] = {}
# Replies in the thread of a dossier past checking (e.g. the signed receipt coming back):
# handler(rt, mail_id, dossier, content) -> outcome text, or None when it is not theirs.
FOLLOWUP_HANDLERS: list[Callable] = []
SKIPPED = "dilewati"  # another worker holds the mail, or it is done already


# The statements each mail runs, built once (see db.built_for); bindparam() names end in "_"
# where a column of the same name is SET.
_RAW_PATH = select(db.mails.c.raw_path).where(db.mails.c.id == bindparam("mail_id"))
_EARLIER_COPY = (select(db.mails.c.id, db.mails.c.dossier_id)
                 .where(db.mails.c.message_id == bindparam("message_id_"), db.mails.c.id < bindparam("mail_id"))
                 .order_by(db.mails.c.id))
_UPDATE_MAIL = update(db.mails).where(db.mails.c.id == bindparam("mail_id_"))
_MAIL_DOSSIER = select(db.mails.c.dossier_id).where(db.mails.c.id == bindparam("mail_id"))
# A mail joins the dossier it opens only if no earlier attempt at it opened one meanwhile.
_JOIN_OPENED_DOSSIER = update(db.mails).where(db.mails.c.id == bindparam("mail_id_"),
                                              db.mails.c.dossier_id.is_(None))
_INSERT_DOSSIER = insert(db.dossiers).returning(*db.dossiers.c)
_DOSSIER = select(db.dossiers).where(db.dossiers.c.id == bindparam("dossier_id"))
_UPDATE_CHECKED_DOSSIER = update(db.dossiers).where(db.dossiers.c.id == bindparam("dossier_id_"),
                                                    db.dossiers.c.status == bindparam("status_before"))
_EARLIER_DOCUMENTS = (select(db.documents).where(db.documents.c.dossier_id == bindparam("dossier_id"),
                                                 db.documents.c.mail_id != bindparam("mail_id"))
                      .order_by(db.documents.c.id))
_INSERT_PARTICIPANTS = insert(db.participants)
# The dossier a reply's references lead to: a mail we sent, else a mail we received.
_REPLIED_FROM = select(db.outbox.c.dossier_id).where(
    db.outbox.c.message_id.in_(bindparam("refs", expanding=True)), db.outbox.c.dossier_id.is_not(None))
_MAIL_OF_THREAD = select(db.mails.c.dossier_id).where(
    db.mails.c.message_id.in_(bindparam("refs", expanding=True)), db.mails.c.dossier_id.is_not(None))
# A sender's dossiers of a kind with their letter numbers: those whose number normalises to one
# of `keys` (request_letters, by index); every one of them for an empty key (a number such as
# "-" that normalises to nothing matches the dossiers without one).
_KEYED_LETTERS = (select(db.dossiers.c.id, db.LETTER_NUMBER).where(
    db.dossiers.c.id.in_(select(db.request_letters.c.dossier_id)   # a join let SQLite read by LSP instead
                         .where(db.request_letters.c.letter_key.in_(bindparam("keys", expanding=True)))),
    db.dossiers.c.kind == bindparam("kind")).order_by(db.dossiers.c.id))
_ALL_LETTERS = (select(db.dossiers.c.id, db.LETTER_NUMBER)
                .where(db.dossiers.c.kind == bindparam("kind")).order_by(db.dossiers.c.id))


def _of_sender(query) -> dict:
    """by_lsp -> the query for the LSP's dossiers (True) or an unregistered address's (False)."""
    return {True: query.where(db.dossiers.c.lsp_code == bindparam("lsp_code")),
            False: query.where(db.dossiers.c.lsp_code == "", db.dossiers.c.sender == bindparam("sender"))}


_LETTERS = {True: _of_sender(_KEYED_LETTERS), False: _of_sender(_ALL_LETTERS)}   # keyed -> by_lsp -> query
_OVERRIDES = select(db.findings).where(db.findings.c.dossier_id == bindparam("dossier_id"),
                                      db.findings.c.overridden_by != "")
_PREVIOUS_NIKS = select(db.participants.c.scheme, db.participants.c.nik).where(
    db.participants.c.dossier_id != bindparam("dossier_id"), db.participants.c.nik.in_(bindparam("niks", expanding=True)))
_DELETE_FINDINGS = delete(db.findings).where(db.findings.c.dossier_id == bindparam("dossier_id"))
_INSERT_FINDINGS = insert(db.findings)


_STORED_TYPES = select(db.documents.c.id, db.documents.c.sha256, db.documents.c.filename,
                       db.documents.c.doc_type).where(db.documents.c.dossier_id == bindparam("dossier_id"))


def _mark_types_recorded(dialect: str):
    return db.insert_in(dialect, db.document_types_recorded).on_conflict_do_nothing()


def _insert_documents(dialect: str):
    # uq_document_mail_position skips the rows a rerun recorded; only new ones come back
    return (db.insert_in(dialect, db.documents).on_conflict_do_nothing(index_elements=["mail_id", "position"])
            .returning(db.documents.c.position, db.documents.c.id))


def _upsert_generated_files(dialect: str):
    upsert = db.insert_in(dialect, db.generated_files)   # a rerun overwrites each kind's row (uq_generated_kind)
    return upsert.on_conflict_do_update(
        index_elements=["dossier_id", "kind"],
        set_={name: upsert.excluded[name] for name in ("docx_path", "pdf_path", "created_at")})


def read_mail(rt: Runtime, mail_id: int, raw_path: str | None = None) -> tuple[MailContent, list[Document]]:
    """A recorded mail walked and its attachments read: no database writes, so it may run ahead
    of the mail's turn (poll.process_batch reads the next mails of a sender meanwhile, with the
    raw paths it grouped them by)."""
    if raw_path is None:
        with rt.engine.connect() as conn:
            raw_path = conn.execute(_RAW_PATH, {"mail_id": mail_id}).scalar_one()
    return read_message(Path(raw_path).read_bytes())


def process_mail(rt: Runtime, mail_id: int, reply_held: bool = False, read: Future | None = None,
                 claimed: dict | None = None, earlier_copy: bool = True) -> str:
    """Process one recorded mail; never raises. Returns a short outcome for the run summary.

    `reply_held`: the sender followed this mail up later in the same pass; the dossier is checked
    again with that mail right after, and only that check replies (see poll.process_batch).
    `read`: the mail already being read (`read_mail` in a read-ahead thread).
    `claimed`: its row, claimed with others (`claim_mails`); `earlier_copy`: whether that claim
    found an earlier copy of it to look up. Without `claimed` the mail is claimed here."""
    if claimed is None:
        with rt.engine.begin() as conn:
            row = claim_mail(conn, mail_id, rt.worker)
            if row is None:
                return SKIPPED
            earlier = _earlier_copy(conn, row)
    else:
        row, earlier = claimed, None
        if earlier_copy:
            with rt.engine.connect() as conn:
                earlier = _earlier_copy(conn, row)
    try:
        return _process(rt, row, earlier, reply_held, read)
    except Exception as exc:  # one bad mail must not stop the run: keep it, say why, go on
        log.exception("mail %s failed", mail_id)
        with rt.engine.begin() as conn:
            attempts = conn.execute(select(db.mails.c.attempts).where(db.mails.c.id == mail_id)).scalar()
            final = attempts >= MAX_ATTEMPTS
            conn.execute(update(db.mails).where(db.mails.c.id == mail_id).values(
                state="failed" if final else "received", claimed_by="",
                error=f"{type(exc).__name__}: {exc}"[:4000]))
            db.record_event(conn, "surel_gagal_diproses", mail_id=mail_id,
                            galat=f"{type(exc).__name__}: {exc}"[:500], final=final)
        return "gagal"


def _earlier_copy(conn, row):
    """The first mail recorded before this one with its Message-ID (id, dossier_id), or None."""
    return conn.execute(_EARLIER_COPY, {"message_id_": row["message_id"], "mail_id": row["id"]}).first()


def _finish_mail(conn, mail_id: int, classification: str, dossier_id: int | None = None) -> None:
    conn.execute(_UPDATE_MAIL, {"mail_id_": mail_id, "state": "done", "classification": classification,
                                "dossier_id": dossier_id, "processed_at": db.now(), "error": ""})


def _process(rt: Runtime, row, earlier, reply_held: bool = False, read: Future | None = None) -> str:
    """`row`: the mail as claimed; `earlier`: an earlier mail with its Message-ID, if any."""
    mail_id = row["id"]
    documents = None
    if read is not None:
        content, documents = read.result()
    else:
        content = walk_message(Path(row["raw_path"]).read_bytes())
    crash_point("after_parse")

    if earlier is not None:
        with rt.engine.begin() as conn:
            _finish_mail(conn, mail_id, "duplikat", earlier.dossier_id)
            db.record_event(conn, "surel_duplikat", mail_id=mail_id, dossier_id=earlier.dossier_id,
                            sama_dengan=earlier.id)
            return "duplikat"

    reason = automatic_reason(content)
    decided = Classification("autoreply", reason) if reason else classify(content, rt.rules)
    if decided.kind in rt.services and not offers(rt, row["mailbox"], decided.kind):
        # another office's service: this office's mailbox does not open it; an officer sees the mail
        decided = Classification(UNCLASSIFIED, f"{decided.rule}: layanan {decided.kind} tidak dibuka di kotak surat ini")
    thread_dossier = row["dossier_id"] or _thread_dossier(rt, content)

    if decided.kind == "autoreply":
        with rt.engine.begin() as conn:
            _finish_mail(conn, mail_id, "autoreply", thread_dossier)
            db.record_event(conn, "surel_otomatis_diabaikan", mail_id=mail_id,
                            dossier_id=thread_dossier, alasan=decided.rule)
        return "balasan otomatis"

    if thread_dossier is None and decided.kind in MAIL_HANDLERS:
        return MAIL_HANDLERS[decided.kind](rt, row, content)

    if thread_dossier is None and decided.kind not in rt.services:
        with rt.engine.begin() as conn:
            _finish_mail(conn, mail_id, "unclassified")
            db.record_event(conn, "surel_tidak_terklasifikasi", mail_id=mail_id,
                            pengirim=content.from_addr, subjek=content.subject)
        return "tidak terklasifikasi"

    if thread_dossier is None and any(item.get("doc_type") == REQUEST_LETTER
                                      for item in rt.services[decided.kind].checklist):
        # The same letter sent again under a new Message-ID belongs to the first copy's dossier.
        if documents is None:
            documents = read_documents(content.attachments)
        thread_dossier = _resent_dossier(rt, mail_id, content, decided, documents)
    opened = previous_niks = None
    if thread_dossier is None:
        thread_dossier, opened, previous_niks = _open_dossier(rt, mail_id, content, decided, row["mailbox"], documents)
    crash_point("after_dossier")
    return _work_on_dossier(rt, mail_id, thread_dossier, content, reply_held, documents, opened, previous_niks)


def _thread_dossier(rt: Runtime, content: MailContent) -> int | None:
    """The dossier a reply belongs to: by In-Reply-To/References, else by [NUMBER] in the
    subject when the sender is the dossier's own sender."""
    refs = [r for r in [content.in_reply_to, *content.references] if r]
    match = DOSSIER_NUMBER.search(content.subject or "")
    if not refs and not match:   # a new conversation, the usual request: nothing to look up
        return None
    with rt.engine.connect() as conn:
        if refs:
            hit = (conn.execute(_REPLIED_FROM, {"refs": refs}).scalar()
                   or conn.execute(_MAIL_OF_THREAD, {"refs": refs}).scalar())
            if hit:
                return hit
        if match:
            dossier = db.dossier_by_number(conn, match.group(1))
            if dossier and dossier["sender"].lower() == (content.from_addr or "").lower():
                return dossier["id"]
    return None


def _same_request(letter: dict, niks: set[str], earlier: dict, earlier_niks: set[str]) -> bool:
    """Whether a request letter (with its participants) is the one an earlier dossier holds.
    LSPs reuse letter numbers across requests, so the number alone is not enough: the date and
    the blanks must agree where both are known, and most participants must be the same."""
    if db.letter_key(letter.get("letter_number", "")) != db.letter_key(earlier.get("letter_number", "")):
        return False
    for key in ("letter_date", "blanks_requested"):
        if letter.get(key) and earlier.get(key) and letter[key] != earlier[key]:
            return False
    if not niks or not earlier_niks:
        return False
    return len(niks & earlier_niks) * 2 >= max(len(niks), len(earlier_niks))


def _resent_dossier(rt: Runtime, mail_id: int, content: MailContent, decided: Classification,
                    documents: list[Document]) -> int | None:
    """The dossier of an earlier copy of this request sent under another Message-ID: same
    service, same LSP (for an unregistered sender, the same address) and the same letter:
    byte-identical, or the same number, date and blanks for mostly the same participants."""
    letters = [d for d in documents if d.doc_type == REQUEST_LETTER and d.facts.get("letter_number")]
    if not letters:
        return None
    service = rt.services[decided.kind]
    lsp = rt.registry.by_email(content.from_addr) if service.sender_registry == "lsp" else None
    niks = {r.nik for d in documents if d.roster for r in d.roster.rows if r.nik}
    with rt.engine.connect() as conn:
        # Only the letter number of each of the sender's dossiers, read by the database (an LSP
        # has hundreds; decoding all their facts for every mail made intake grow with history).
        numbers = {db.letter_key(d.facts["letter_number"]) for d in letters}
        keyed = "" not in numbers
        rows = conn.execute(_LETTERS[keyed][lsp is not None], {
            "kind": service.kind, **({"keys": sorted(numbers)} if keyed else {}),
            **({"lsp_code": lsp.code} if lsp else {"sender": (content.from_addr or "").lower()})})
        ids = [row[0] for row in rows if db.letter_key(row[1] or "") in numbers]
        candidates = conn.execute(select(db.dossiers.c.id, db.dossiers.c.facts).where(
            db.dossiers.c.id.in_(ids)).order_by(db.dossiers.c.id)).all() if ids else []
        match = None
        for row in candidates:
            same_file = conn.execute(select(db.documents.c.id).where(
                db.documents.c.dossier_id == row.id, db.documents.c.doc_type == REQUEST_LETTER,
                db.documents.c.sha256.in_([d.sha256 for d in letters]))).first()
            earlier_niks = set(conn.execute(select(db.participants.c.nik).where(
                db.participants.c.dossier_id == row.id, db.participants.c.nik != "")).scalars())
            if same_file or any(_same_request(d.facts, niks, row.facts or {}, earlier_niks) for d in letters):
                match = row
                break
    if match is None:
        return None
    with rt.engine.begin() as conn:
        conn.execute(_UPDATE_MAIL, {"mail_id_": mail_id, "dossier_id": match.id})
        db.record_event(conn, "surel_kirim_ulang", dossier_id=match.id, mail_id=mail_id,
                        nomor_surat=(match.facts or {}).get("letter_number", ""),
                        catatan="Surat permohonan yang sama dikirim ulang; digabung ke berkasnya.")
    return match.id


def _open_dossier(rt: Runtime, mail_id: int, content: MailContent, decided: Classification,
                  mailbox: str, documents: list[Document] | None = None) -> tuple[int, dict | None, dict | None]:
    """The id of the dossier this mail opens, its row as stored and, when the mail's `documents`
    are given, the schemes other dossiers requested their participants for (`_previous_niks`, read
    in the same transaction: the check needs no connection of its own); or the id of the one an
    earlier attempt at this mail opened (a poller whose claim was taken over as stale), None, None."""
    service = rt.services[decided.kind]
    lsp = rt.registry.by_email(content.from_addr) if service.sender_registry == "lsp" else None
    try:
        with rt.engine.begin() as conn:
            year = local_date(db.now()).year
            serial = db.next_number(conn, f"{service.number_prefix}-{year}")
            number = f"{service.number_prefix}-{year}-{serial:06d}"
            now = db.now()
            dossier = dict(conn.execute(_INSERT_DOSSIER, dict(
                number=number, kind=service.kind, status=NEW, lsp_code=lsp.code if lsp else "",
                sender=(content.from_addr or "").lower(), subject=content.subject or "",
                thread_message_id=content.message_id or "", received_at=now, facts={},
                created_at=now, updated_at=now)).mappings().one())
            dossier_id = dossier["id"]
            if not conn.execute(_JOIN_OPENED_DOSSIER, {"mail_id_": mail_id, "dossier_id": dossier_id}).rowcount:
                # The claim showed no dossier, but an earlier attempt (whose claim this poller took
                # over as stale) opened one since: that one counts, this one and its serial roll back.
                raise _OpenedMeanwhile()
            clock_dossiers.opened(rt, conn, dossier_id, service.kind, now, (content.from_addr or "").lower(), mailbox)
            db.record_event(conn, "berkas_dibuat", dossier_id=dossier_id, mail_id=mail_id, after=NEW,
                            nomor=number, jenis=service.kind, aturan=decided.rule)
            previous_niks = _previous_niks(conn, dossier_id, documents) if documents is not None else None
    except _OpenedMeanwhile:
        with rt.engine.connect() as conn:
            return conn.execute(_MAIL_DOSSIER, {"mail_id": mail_id}).scalar_one(), None, None
    return dossier_id, dossier, previous_niks


class _OpenedMeanwhile(Exception):
    """Rolls back a dossier opened for a mail that an earlier attempt gave one meanwhile."""


def _save_attachments(rt: Runtime, mail_id: int, dossier: dict, content: MailContent,
                      documents: list[Document] | None = None) -> list[Document]:
    """Keep this mail's files (see _keep_attachments) and record them."""
    documents, paths = _keep_attachments(rt, mail_id, dossier, content, documents)
    if paths:
        with rt.engine.begin() as conn:
            _record_documents(conn, mail_id, dossier["id"], content, documents, paths)
    return documents


def _keep_attachments(rt: Runtime, mail_id: int, dossier: dict, content: MailContent,
                      documents: list[Document] | None = None) -> tuple[list[Document], list[Path]]:
    """Write this mail's files under outputs/<dossier>/lampiran/ and read them (unless read
    already); the documents and their paths."""
    if documents is None:
        documents = read_documents(content.attachments)
    if not content.attachments:
        return documents, []
    # Plain os calls: every mail writes a few files here, and pathlib's own work on each call
    # cost as much CPU as the writing (measured ~150 -> ~100 us a mail, single-threaded).
    folder = os.path.join(rt.settings.outputs_dir, dossier["number"], "lampiran")
    os.makedirs(folder, exist_ok=True)
    paths = []
    for position, attachment in enumerate(content.attachments):
        # The filename is already sanitised by the walker; the prefix keeps mails apart.
        path = f"{folder}/{mail_id:06d}-{position:02d}-{attachment.filename}"
        if not os.path.exists(path):   # kept by an earlier attempt at this mail
            tmp = path + ".tmp"
            with open(tmp, "wb") as fh:
                fh.write(attachment.data)
            os.replace(tmp, path)
        paths.append(Path(path))
    return documents, paths


def _record_documents(conn, mail_id: int, dossier_id: int, content: MailContent, documents: list[Document],
                      paths: list[Path]) -> None:
    """The mail's kept files as rows, with the participants of its lists, in the caller's
    transaction; rows an earlier attempt recorded stay as they are."""
    rows = [{"dossier_id": dossier_id, "mail_id": mail_id, "position": position,
             "filename": attachment.filename, "path": str(path), "media_type": document.media_type,
             "sha256": document.sha256, "size": document.size, "doc_type": document.doc_type,
             "evidence": document.evidence, "facts": document.facts,
             "needs_manual_review": 1 if document.needs_manual_review else 0}
            for position, (attachment, document, path) in enumerate(zip(content.attachments, documents, paths))]
    if not rows:
        return
    # One statement for the mail's documents (RETURNING the new ones with their position).
    ids = dict(conn.execute(db.built_for(conn, _insert_documents), rows).all())
    participants = [
        {"dossier_id": dossier_id, "document_id": ids[position], "sheet": r.sheet, "row": r.row,
         "name": r.name, "nik": r.nik, "scheme": r.scheme, "result": r.result}
        for position, document in enumerate(documents)
        if position in ids and document.roster is not None for r in document.roster.rows]
    if participants:
        conn.execute(_INSERT_PARTICIPANTS, participants)


def _record_types(conn, dossier_id: int, documents: list[Document]) -> None:
    """Store the checklist type the service gave each document (`Service.recognise` runs after
    the files are saved): the desk shows every file under its checklist item. Rows saved before
    the type was stored get it the next time their case is checked or its page is opened
    (applications.doctypes); unchanged rows are not written."""
    conn.execute(db.built_for(conn, _mark_types_recorded), {"dossier_id": dossier_id})
    wanted = {(d.sha256, d.filename): d for d in documents}
    stored = conn.execute(_STORED_TYPES, {"dossier_id": dossier_id})
    for row in stored.all():   # one read, and a write only for a row whose type changed
        d = wanted.get((row.sha256, row.filename))
        if d is not None and row.doc_type != d.doc_type:
            conn.execute(update(db.documents).where(db.documents.c.id == row.id)
                         .values(doc_type=d.doc_type, evidence=d.evidence))


def _earlier_documents(rt: Runtime, dossier_id: int, mail_id: int) -> list[Document]:
    """Documents from earlier mails of the dossier, read again from the kept files."""
    with rt.engine.connect() as conn:
        return _read_kept(_earlier_document_rows(conn, dossier_id, mail_id))


def _earlier_document_rows(conn, dossier_id: int, mail_id: int) -> list:
    return conn.execute(_EARLIER_DOCUMENTS, {"dossier_id": dossier_id, "mail_id": mail_id}).mappings().all()


def _read_kept(rows) -> list[Document]:
    return read_documents([Attachment(filename=r["filename"], data=Path(r["path"]).read_bytes(),
                                      media_type=r["media_type"]) for r in rows])


def _previous_niks(conn, dossier_id: int, documents: list[Document]) -> dict[str, set[str]]:
    """Schemes other dossiers requested these documents' participants for. Only their NIKs are
    looked up: loading every participant ever requested made each check grow with the history."""
    wanted = sorted({r.nik for d in documents if d.roster for r in d.roster.rows if r.nik})
    niks: dict[str, set[str]] = {}
    for start in range(0, len(wanted), 500):
        for scheme, nik in conn.execute(_PREVIOUS_NIKS, {"dossier_id": dossier_id,
                                                         "niks": wanted[start:start + 500]}):
            niks.setdefault(scheme, set()).add(nik)
    return niks


def _work_on_dossier(rt: Runtime, mail_id: int, dossier_id: int, content: MailContent,
                     reply_held: bool = False, read: list[Document] | None = None,
                     opened: dict | None = None, previous_niks: dict | None = None) -> str:
    """`opened`: the dossier's row when this mail just opened it; it has no earlier files and no
    findings an officer could have overridden, so nothing more is read about it. `previous_niks`:
    `_previous_niks` of the mail's documents, read when the dossier was opened."""
    if opened is not None:
        dossier, earlier = opened, []
    else:
        with rt.engine.connect() as conn:   # the dossier and, when it is checked, its earlier files
            dossier = dict(conn.execute(_DOSSIER, {"dossier_id": dossier_id}).mappings().one())
            checked = dossier["kind"] not in CASE_HANDLERS and dossier["status"] in CHECKABLE
            earlier = _earlier_document_rows(conn, dossier_id, mail_id) if checked else []
    if dossier["kind"] in CASE_HANDLERS:
        return CASE_HANDLERS[dossier["kind"]](rt, mail_id, dossier, content)
    service = rt.services[dossier["kind"]]
    if dossier["status"] not in CHECKABLE:
        return _follow_up(rt, mail_id, dossier, content, read)
    kept, paths = _keep_attachments(rt, mail_id, dossier, content, read)
    documents = service.recognise(_read_kept(earlier) + kept)
    crash_point("after_read")

    lsp = rt.registry.by_code(dossier["lsp_code"]) if dossier["lsp_code"] else None
    extension = next((x for x in INTAKE_EXTENSIONS if x.applies(service)), None)
    # The files are recorded before the check when an intake extension reads them from the
    # database, or when the dossier holds earlier mail; a dossier this mail just opened records
    # them with the check's result, so a new request takes one write turn less.
    record_first = bool(paths) and (opened is None or extension is not None)
    overrides = {}
    if record_first or previous_niks is None:   # previous_niks is given only with `opened`
        with (rt.engine.begin() if record_first else rt.engine.connect()) as conn:
            if record_first:
                _record_documents(conn, mail_id, dossier_id, content, kept, paths)
            if opened is None:
                overrides = {(r.code, r.location): (r.overridden_by, r.override_reason)
                             for r in conn.execute(_OVERRIDES, {"dossier_id": dossier_id})}
            if previous_niks is None:
                previous_niks = _previous_niks(conn, dossier_id, documents)
    # An officer may vouch for an unregistered sender by overriding that finding.
    sender_known = (lsp is not None or service.sender_registry != "lsp"
                    or any(code == UNKNOWN_SENDER for code, _ in overrides))
    found = list(content.findings) + check_dossier(
        documents, service.checklist, {"previous_niks": previous_niks, "today": local_date(db.now())})
    if lsp is None and service.sender_registry == "lsp":
        found.append(Finding.warning(
            UNKNOWN_SENDER,
            f"Alamat pengirim {dossier['sender']} tidak terdaftar sebagai LSP; "
            "berkas ditahan untuk diperiksa petugas dan tidak dibalas otomatis.", where=dossier["sender"]))
    facts = summarise(documents)
    crash_point("after_check")

    found = [_with_override(f, overrides) for f in found]
    recipient = _reply_recipient(dossier, content)
    decision = decide(service, dossier["status"], found, sender_known)
    if decision.email:   # only a decision that mails depends on today's count (decide is pure)
        with rt.engine.connect() as conn:
            replies_left = automatic_mail_count(conn, recipient) < rt.settings.auto_replies_per_sender_per_day
        decision = decide(service, dossier["status"], found, sender_known, replies_left=replies_left)

    extra = extension.context(rt, dossier, service, documents, content) if extension else {}
    generated = []
    if decision.documents:
        specs = [{**d, "template": str(service.template(d["template"], rt.settings.templates_dir))}
                 for d in decision.documents]
        generated = render_dossier_documents(rt, dossier, lsp, facts, specs, extra=extra, parallel=True)
    crash_point("after_write")

    with rt.engine.begin() as conn:
        if not record_first:
            _record_documents(conn, mail_id, dossier_id, content, kept, paths)
        if opened is None:   # a dossier this mail opened has no findings yet
            conn.execute(_DELETE_FINDINGS, {"dossier_id": dossier_id})
        now = db.now()
        if found:
            conn.execute(_INSERT_FINDINGS, [
                {"dossier_id": dossier_id, "code": f.code, "severity": f.severity.value, "message": f.message,
                 "location": f.where, "overridden_by": f.details.get("overridden_by", ""),
                 "override_reason": f.details.get("override_reason", ""), "created_at": now} for f in found])
        values = {"facts": facts, "updated_at": now, "status": decision.status}
        if decision.complete:
            values["completed_at"] = now
        if decision.status != dossier["status"]:
            due = clock_dossiers.status_changed(rt, conn, dossier, decision.status, now)
            if due is not None:
                values["due_date"] = due
        # Only from the status it was checked in: someone (an officer, another worker) who moved
        # it meanwhile rolls all of this back, and it is checked again on the next run.
        if not conn.execute(_UPDATE_CHECKED_DOSSIER,
                            {"dossier_id_": dossier_id, "status_before": dossier["status"], **values}).rowcount:
            current = conn.execute(select(db.dossiers.c.status).where(db.dossiers.c.id == dossier_id)).scalar()
            raise RuntimeError(f"dossier {dossier['number']} changed from {dossier['status']} to {current}")
        db.record_letter(conn, dossier_id, dossier["facts"], facts)
        record_generated(conn, dossier_id, generated)
        if service.recognition_items:   # otherwise every stored type is the reader's own
            _record_types(conn, dossier_id, documents)
        if extension:
            extension.record(conn, rt, dossier, service, decision, extra)
        if decision.email and reply_held:
            db.record_event(conn, "balasan_menunggu_surel_berikutnya", dossier_id=dossier_id, mail_id=mail_id,
                            catatan="Pengirim menindaklanjuti surel ini dalam penarikan yang sama; "
                                    "balasan dikirim setelah surel berikutnya diperiksa.")
        elif decision.email:
            _queue_reply(rt, conn, dossier, lsp, facts, found, decision.email, content, mail_id, extra)
        if decision.reply_limited:
            db.record_event(conn, "balasan_otomatis_dibatasi", dossier_id=dossier_id, mail_id=mail_id,
                            kepada=recipient, catatan="Batas balasan otomatis per hari tercapai; permintaan "
                                                      "kelengkapan belum dikirim, petugas menindaklanjuti.")
        _finish_mail(conn, mail_id, dossier["kind"], dossier_id)
        db.record_event(conn, "berkas_diperiksa", dossier_id=dossier_id, mail_id=mail_id,
                        before=dossier["status"], after=decision.status,
                        galat=sum(1 for f in found if f.is_error), temuan=len(found),
                        dokumen=[g["kind"] for g in generated])
    crash_point("after_commit")
    return decision.status


def _follow_up(rt: Runtime, mail_id: int, dossier: dict, content: MailContent,
               read: list[Document] | None = None) -> str:
    """Mail in the thread of a dossier that is past checking: a handler may claim it;
    otherwise its files are kept and officers see it in the history."""
    for handler in FOLLOWUP_HANDLERS:
        outcome = handler(rt, mail_id, dossier, content)
        if outcome:
            return outcome
    kept, paths = _keep_attachments(rt, mail_id, dossier, content, read)
    with rt.engine.begin() as conn:
        _record_documents(conn, mail_id, dossier["id"], content, kept, paths)
        _finish_mail(conn, mail_id, dossier["kind"], dossier["id"])
        db.record_event(conn, "surel_lanjutan_diterima", dossier_id=dossier["id"], mail_id=mail_id,
                        subjek=content.subject, lampiran=[a.filename for a in content.attachments])
    return "surel lanjutan"


def _with_override(finding: Finding, overrides: dict) -> Finding:
    hit = overrides.get((finding.code, finding.where))
    if not hit:
        return finding
    return Finding(finding.code, finding.severity, finding.message, finding.where,
                   {**finding.details, "overridden_by": hit[0], "override_reason": hit[1]})


def record_generated(conn, dossier_id: int, generated: list[dict]) -> None:
    """Record a dossier's generated documents in one statement; a rerun overwrites each kind's row."""
    latest = {g["kind"]: g for g in generated}   # a kind twice: the last one counts
    if latest:
        conn.execute(db.built_for(conn, _upsert_generated_files), [
            {"dossier_id": dossier_id, "kind": kind, "docx_path": str(g["docx"]),
             "pdf_path": str(g.get("pdf") or ""), "created_at": db.now()} for kind, g in latest.items()])


def _reply_recipient(dossier: dict, content: MailContent) -> str:
    return (content.from_addr or dossier["sender"]).lower()


def _queue_reply(rt: Runtime, conn, dossier: dict, lsp, facts: dict, found: list[Finding],
                 template: str, content: MailContent, mail_id: int, extra: dict | None = None) -> None:
    recipient = _reply_recipient(dossier, content)
    if automatic_mail_count(conn, recipient) >= rt.settings.auto_replies_per_sender_per_day:
        # decide() already knew the limit; this guards the race with another worker's reply
        db.record_event(conn, "balasan_otomatis_dibatasi", dossier_id=dossier["id"], mail_id=mail_id,
                        kepada=recipient, catatan="Batas balasan otomatis per hari tercapai; petugas menindaklanjuti.")
        return
    context = {
        "office": rt.settings.office, "dossier": dossier, "lsp": lsp, "facts": facts,
        "letter": {"number": facts.get("letter_number") or "", "date": facts.get("letter_date") or ""},
        "errors": [f for f in found if f.is_error and not f.details.get("overridden_by")],
        "due_date": dossier.get("due_date"), "checklist": rt.services[dossier["kind"]].checklist,
        **(extra or {}),
    }
    subject, body = render_email(template, context)
    # Keep the LSP's own subject so every mail client threads the reply with the request.
    subject = reply_subject(dossier["number"], content.subject, subject)
    references = [*content.references, content.message_id]
    enqueue(conn, key=f"{template}:{dossier['id']}:{mail_id}", to=[recipient], subject=subject, body=body,
            sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=dossier["id"],
            in_reply_to=content.message_id, references=references)


# Fulfilment (returned receipts, approval hooks) and complaints (complaint mail, returned
# declarations) register their handlers here; imported last because they build on this module.
import pipelines.fulfil  # noqa: E402,F401
import pipelines.complaints  # noqa: E402,F401
import pipelines.applications  # noqa: E402,F401
from pipelines.clock import dossiers as clock_dossiers  # noqa: E402  (also registers its approval hook)
