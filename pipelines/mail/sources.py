"""Mailboxes as sources of raw mail, addressed by (UIDVALIDITY, UID).

Only UIDs are listed first; bodies are fetched for new UIDs only, in batches, with
BODY.PEEK so nothing is marked seen before it is recorded.
"""
from __future__ import annotations

import hashlib
import mailbox as stdlib_mailbox
import re
import ssl
from pathlib import Path
from typing import Iterator, Protocol

from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted
from imap_tools.errors import MailboxFolderCreateError

from pipelines.config import Mailbox


class MailSource(Protocol):
    name: str

    def uidvalidity(self) -> int: ...
    def uids_after(self, last_uid: int) -> list[str]: ...
    def fetch(self, uids: list[str]) -> Iterator[tuple[str, bytes]]: ...
    def mark_processed(self, uids: list[str]) -> None: ...
    def close(self) -> None: ...


class SourceError(Exception):
    """The mailbox cannot be reached or used (connection, login, folder)."""


_FETCH_ITEM = re.compile(rb"UID (\d+)")


class ImapSource:
    def __init__(self, config: Mailbox, timeout: float = 60):
        self.name = config.name
        self.config = config
        cls = {"none": MailBoxUnencrypted, "starttls": MailBoxStartTls, "ssl": MailBox}[config.security]
        kwargs = {"host": config.host, "port": config.port, "timeout": timeout}
        if config.security != "none":
            kwargs["ssl_context"] = ssl.create_default_context()
        try:
            self.box = cls(**kwargs).login(config.user, config.password, initial_folder=config.folder)
        except Exception as exc:  # imap_tools raises several types; the operator needs one message
            raise SourceError(f"IMAP {config.host}:{config.port} mailbox {config.name}: {exc}") from exc
        self._processed_ready = False

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
            chunk = uids[start:start + self.config.batch_size]
            typ, data = self.box.client.uid("FETCH", ",".join(chunk), "(UID BODY.PEEK[])")
            if typ != "OK":
                raise SourceError(f"UID FETCH failed: {data!r}")
            for item in data:
                if isinstance(item, tuple):
                    match = _FETCH_ITEM.search(item[0])
                    if match:
                        yield match.group(1).decode(), item[1]

    def mark_processed(self, uids: list[str]) -> None:
        if not uids:
            return
        folder = self.config.processed_folder
        if folder:
            if not self._processed_ready:
                if not self.box.folder.exists(folder):
                    try:
                        self.box.folder.create(folder)
                    except MailboxFolderCreateError:
                        folder = ""
                self._processed_ready = True
            if folder:
                try:
                    self.box.move(uids, folder)
                    return
                except Exception:  # moving not allowed here: flag instead
                    pass
        self.box.flag(uids, ["\\Seen", "\\Flagged"], True)

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

    def mark_processed(self, uids: list[str]) -> None:
        if not self.config.processed_folder:
            return
        if self.box is None:
            target = self.path / self.config.processed_folder
            target.mkdir(exist_ok=True)
            for uid in uids:
                src = self.path / uid
                if src.exists():
                    src.replace(target / uid)
            return
        folder_name = self.config.processed_folder
        try:
            target = self.box.get_folder(folder_name)
        except stdlib_mailbox.NoSuchMailboxError:
            target = self.box.add_folder(folder_name)
        for uid in uids:
            try:
                msg = self.box.get_message(uid)
            except KeyError:
                continue
            target.add(msg)
            self.box.discard(uid)

    def close(self) -> None:
        pass


def open_source(config: Mailbox) -> MailSource:
    return ImapSource(config) if config.kind == "imap" else MaildirSource(config)
