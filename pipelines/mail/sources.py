"""Mailboxes as sources of raw mail, addressed by (UIDVALIDITY, UID).

Only UIDs are listed first; bodies are fetched for new UIDs only, in batches, with
BODY.PEEK so nothing is marked seen before it is recorded.
"""
from __future__ import annotations

import hashlib
import logging
import mailbox as stdlib_mailbox
import re
import ssl
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Iterator, Protocol

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderCreateError
from imap_tools.utils import encode_folder

from pipelines.config import Mailbox
from pipelines.faults import crash_point

log = logging.getLogger(__name__)
# UIDs per IMAP command: Dovecot answers "BAD Too long argument" to a set of ~10,000 single UIDs.
UID_CHUNK = 1000


@dataclass(frozen=True)
class MoveIntent:
    """A processed mail to take out of the polled folder."""
    uid: str
    message_id: str
    fingerprint: str


class MailSource(Protocol):
    name: str

    def uidvalidity(self) -> int: ...
    def uids_after(self, last_uid: int) -> list[str]: ...
    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]: ...
    def move_processed(self, resumed: list[MoveIntent], fresh: list[MoveIntent]) -> Iterator[list[str]]: ...
    def close(self) -> None: ...


class SourceError(Exception):
    """The mailbox cannot be reached or used (connection, login, folder)."""


_FETCH_ITEM = re.compile(rb"UID (\d+)")


def uid_set(uids: list[str]) -> str:
    """A compact IMAP UID set: consecutive UIDs as ranges ("1:500,502,510:600")."""
    numbers = sorted({int(u) for u in uids})
    parts, start, prev = [], None, None
    for n in numbers + [None]:
        if start is not None and n == prev + 1:
            prev = n
            continue
        if start is not None:
            parts.append(str(start) if start == prev else f"{start}:{prev}")
        start = prev = n
    return ",".join(parts)


def _quote_folder(folder: str) -> str:
    return encode_folder(folder).decode("ascii")


def _identity(intent: MoveIntent) -> str:
    """How a recorded mail is recognised in another folder (mail without a Message-ID was
    recorded under a made-up one: recognise it by its bytes)."""
    if intent.message_id.endswith("@sertiflow.invalid>"):
        return "sha256:" + intent.fingerprint
    return intent.message_id


class ImapSource:
    """Every IMAP command has a timeout (settings: `timeout`, seconds), so a server that
    stops answering ends the step with a SourceError instead of holding the run."""

    def __init__(self, config: Mailbox):
        self.name = config.name
        self.config = config
        cls = {"none": MailBoxUnencrypted, "starttls": MailBoxStartTls, "ssl": MailBox}[config.security]
        kwargs = {"host": config.host, "port": config.port, "timeout": config.timeout}
        if config.security != "none":
            kwargs["ssl_context"] = ssl.create_default_context()
        try:
            self.box = cls(**kwargs).login(config.user, config.password, initial_folder=config.folder)
            # Read again now: servers (Dovecot) advertise MOVE and UIDPLUS only after login.
            typ, data = self.box.client.capability()
            self.capabilities = set((data[0] or b"").decode().upper().split()) if typ == "OK" else set()
        except Exception as exc:  # imap_tools raises several types; the operator needs one message
            raise SourceError(f"IMAP {config.host}:{config.port} mailbox {config.name}: {exc}") from exc
        self._identities: set[str] | None = None

    def uidvalidity(self) -> int:
        return int(self.box.folder.status(self.config.folder, ["UIDVALIDITY"])["UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[str]:
        # "n:*" returns the highest message even when it is below n: filter.
        typ, data = self.box.client.uid("SEARCH", f"UID {last_uid + 1}:*")
        if typ != "OK":
            raise SourceError(f"UID SEARCH failed: {data!r}")
        return [u for u in (data[0] or b"").decode().split() if int(u) > last_uid]

    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        # Raw FETCH: imap_tools' per-message MIME parsing costs ~1 ms a mail; we parse once, later.
        for start in range(0, len(uids), self.config.batch_size):
            yield from self._fetch_chunk(uids[start:start + self.config.batch_size])

    def _fetch_chunk(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        for item in self._uid("FETCH", uid_set(uids), "(UID BODY.PEEK[])"):
            if isinstance(item, tuple):
                match = _FETCH_ITEM.search(item[0])
                if match:
                    yield match.group(1).decode(), item[1]

    def move_processed(self, resumed: list[MoveIntent], fresh: list[MoveIntent]) -> Iterator[list[str]]:
        """Move processed mail to the processed folder (or flag it when there is none), in
        chunks; yields each chunk's UIDs once the server has confirmed it.

        `resumed` intents may have been half done by a run that died or lost its connection:
        they are first checked against the mailbox (still in the folder? already in the
        processed folder, by Message-ID?) so that nothing is copied twice."""
        if not resumed and not fresh:
            return
        folder = self._processed_folder()
        for intents, check_first in ((resumed, True), (fresh, False)):
            for start in range(0, len(intents), UID_CHUNK):
                chunk = intents[start:start + UID_CHUNK]
                uids = [i.uid for i in chunk]
                if not folder:
                    self._uid("STORE", uid_set(uids), "+FLAGS.SILENT", r"(\Seen \Flagged)")
                elif check_first:
                    self._finish_half_done(chunk, folder)
                else:
                    self._move(uids, folder)
                yield uids

    # -- moving, after login (capabilities re-read: Dovecot advertises MOVE only once logged in)

    def _processed_folder(self) -> str:
        folder = self.config.processed_folder
        if folder and not self.box.folder.exists(folder):
            try:
                self.box.folder.create(folder)
            except MailboxFolderCreateError:
                if self.box.folder.exists(folder):   # another poller created it meanwhile
                    return folder
                log.warning("mailbox %s: cannot create folder %r; flagging processed mail instead",
                            self.name, folder)
                return ""
        return folder

    def _uid(self, command: str, *args) -> list:
        typ, data = self.box.client.uid(command, *args)
        if typ != "OK":
            raise SourceError(f"mailbox {self.name}: UID {command} failed: {data!r}")
        return data

    def _move(self, uids: list[str], folder: str) -> None:
        target = _quote_folder(folder)
        if "MOVE" in self.capabilities:
            self._uid("MOVE", uid_set(uids), target)
            return
        self._uid("COPY", uid_set(uids), target)
        self._delete(uids)

    def _delete(self, uids: list[str]) -> None:
        self._uid("STORE", uid_set(uids), "+FLAGS.SILENT", r"(\Deleted)")
        if "UIDPLUS" in self.capabilities:
            self._uid("EXPUNGE", uid_set(uids))  # only ours: a plain EXPUNGE would take others' too
        else:
            log.warning("mailbox %s: server without UIDPLUS; processed mail left flagged \\Deleted", self.name)

    def _finish_half_done(self, chunk: list[MoveIntent], folder: str) -> None:
        still_here = set(self._uid("SEARCH", "UID", uid_set([i.uid for i in chunk]))[0].decode().split())
        if not still_here:
            return
        copied = self._identities_in(folder)
        already = [i.uid for i in chunk if i.uid in still_here and _identity(i) in copied]
        to_move = [i.uid for i in chunk if i.uid in still_here and _identity(i) not in copied]
        if already:
            log.info("mailbox %s: %d mail already copied to %s by an interrupted run; removing the originals",
                     self.name, len(already), folder)
            self._delete(already)
        if to_move:
            self._move(to_move, folder)

    def _identities_in(self, folder: str) -> set[str]:
        """Message-IDs in `folder` (sha256 of the bytes for mail without one), read once per pass."""
        if self._identities is None:
            self._identities = set()
            self.box.client.select(_quote_folder(folder), readonly=True)
            try:
                typ, data = self.box.client.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])")
                no_id = []
                for item in data if typ == "OK" else []:
                    if isinstance(item, tuple):
                        value = str(BytesHeaderParser(policy=default_policy).parsebytes(item[1])
                                    .get("Message-ID", "") or "").strip()[:998]
                        if value:
                            self._identities.add(value)
                        elif (match := _FETCH_ITEM.search(item[0])):
                            no_id.append(match.group(1).decode())
                for start in range(0, len(no_id), 100):
                    for uid, raw in self._fetch_chunk(no_id[start:start + 100]):
                        self._identities.add("sha256:" + hashlib.sha256(raw).hexdigest())
            finally:
                typ, data = self.box.client.select(_quote_folder(self.config.folder))
                if typ != "OK":
                    raise SourceError(f"mailbox {self.name}: SELECT {self.config.folder} failed: {data!r}")
        return self._identities

    def close(self) -> None:
        try:
            self.box.logout()
        except Exception:
            pass


class MaildirSource:
    """A local Maildir (or a plain folder of .eml files) used as the mailbox.

    UIDs are the Maildir keys (or file names); UIDVALIDITY is derived from the folder path.
    Processed mail moves into the Maildir++ subfolder named by processed_folder.
    """

    def __init__(self, config: Mailbox):
        self.name = config.name
        self.config = config
        self.path = Path(config.path)
        if not self.path.is_dir():
            raise SourceError(f"mailbox {config.name}: folder not found: {self.path}")
        self.is_maildir = (self.path / "cur").is_dir() or (self.path / "new").is_dir()
        self.box = stdlib_mailbox.Maildir(self.path, create=False) if self.is_maildir else None

    def uidvalidity(self) -> int:
        return int(hashlib.sha1(str(self.path.resolve()).encode()).hexdigest()[:7], 16)

    def uids_after(self, last_uid: int) -> list[str]:
        # Keys are not ordered numbers: the caller drops the ones it has already recorded.
        if self.box is not None:
            return sorted(self.box.keys())
        return sorted(p.name for p in self.path.glob("*.eml"))

    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]:
        for uid in uids:
            try:
                if self.box is not None:
                    yield uid, self.box.get_bytes(uid)
                else:
                    yield uid, (self.path / uid).read_bytes()
            except (KeyError, FileNotFoundError):
                continue  # taken away meanwhile

    def move_processed(self, resumed: list[MoveIntent], fresh: list[MoveIntent]) -> Iterator[list[str]]:
        """Local files: each move is one rename (Maildir: add to the folder, then discard),
        and a key already gone means an earlier run moved it."""
        uids = [i.uid for i in resumed + fresh]
        if not self.config.processed_folder:
            yield uids
            return
        if self.box is None:
            target = self.path / self.config.processed_folder
            target.mkdir(exist_ok=True)
            for uid in uids:
                src = self.path / uid
                if src.exists():
                    src.replace(target / uid)
            yield uids
            return
        folder_name = self.config.processed_folder
        try:
            self.box.get_folder(folder_name)
        except stdlib_mailbox.NoSuchMailboxError:
            self.box.add_folder(folder_name)
        target = self.path / f".{folder_name}"   # Maildir++: the subfolder beside cur/ and new/
        files = self._message_files()
        for uid in uids:
            # One rename, file name (key and flags) kept: a run killed at any point leaves the
            # message in exactly one folder, and the next run finds it moved or moves it.
            # (Adding a copy and then discarding the original left both after a kill between.)
            source = files.get(uid)
            if source is not None:
                source.replace(target / source.parent.name / source.name)
                crash_point("after_maildir_move")
        yield uids

    def _message_files(self) -> dict[str, Path]:
        """Maildir key -> its file in new/ or cur/ (the key is the name before the flags)."""
        return {path.name.split(self.box.colon, 1)[0]: path
                for sub in ("new", "cur") for path in (self.path / sub).iterdir() if not path.name.startswith(".")}

    def close(self) -> None:
        pass


def open_source(config: Mailbox) -> MailSource:
    return ImapSource(config) if config.kind == "imap" else MaildirSource(config)
