"""Processed mail leaves the INBOX exactly once: with MOVE where the server offers it,
COPY + UID EXPUNGE otherwise, after a kill, after a connection lost right after the server
confirmed, and on a first run against a mailbox holding years of mail."""
from __future__ import annotations

import collections
import os
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.poll import run_once
from pipelines.runtime import Runtime
from tests.delivery.faults import ImapProxy
from tests.spine.office import parse

RUN_ONCE = ("import sys; from pipelines.poll import run_once; from pipelines.runtime import Runtime; "
            "run_once(Runtime.load(sys.argv[1]))")


def plain_mail(i: int, message_id: str | None = "") -> bytes:
    msg = EmailMessage()
    msg["From"] = f"warga{i % 50}@contoh.example.id"
    msg["To"] = "blanko@bnsp.example.go.id"
    msg["Subject"] = f"Pertanyaan umum nomor {i}"
    if message_id is not None:
        msg["Message-ID"] = message_id or f"<umum-{i}@contoh.example.id>"
    msg.set_content(f"Selamat siang, ini pertanyaan nomor {i}.")
    return msg.as_bytes()


def office_config(tmp_path: Path, host: str, port: int, account) -> Path:
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(tmp_path / "out"), "convert_pdf": False,
        "mailboxes": [{"name": "blanko", "kind": "imap", "host": host, "port": port, "security": "none",
                       "user": account.user, "password": account.password, "processed_folder": "Diproses",
                       "timeout": 20}]}))
    return config


def message_ids(account, folder: str) -> list[str]:
    return [str(parse(raw)["Message-ID"]) for raw in account.fetch_all(folder)]


def assert_each_moved_once(account, expected: list[str], config: Path) -> None:
    assert account.count("INBOX") == 0
    in_processed = collections.Counter(message_ids(account, "Diproses"))
    assert sorted(in_processed) == sorted(expected)
    assert max(in_processed.values()) == 1, "a mail was copied twice"
    with Runtime.load(config).engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.mails).where(db.mails.c.moved != 1)).scalar() == 0


@pytest.mark.parametrize("offers_move", [True, False])
def test_processed_mail_is_moved_with_move_or_copy_and_uid_expunge(tmp_path, mailbox, dovecot, offers_move):
    mailbox.append_many(plain_mail(i) for i in range(5))
    mailbox.append(plain_mail(99), folder="Arsip")  # someone else's mail flagged \Deleted must survive
    with mailbox.imap() as conn:
        conn.select("INBOX")
        conn.store("1", "+FLAGS", r"(\Deleted)")  # an officer deleted it in their client, not expunged
    with ImapProxy(dovecot.host, dovecot.port, hide=() if offers_move else ("MOVE",)) as proxy:
        config = office_config(tmp_path, proxy.host, proxy.port, mailbox)
        run_once(Runtime.load(config))
    commands = [c.split(" ", 2)[:2] for c in proxy.commands if c.upper().startswith("UID ")]
    used = {" ".join(c).upper() for c in commands}
    if offers_move:
        assert "UID MOVE" in used and "UID COPY" not in used
    else:
        assert {"UID COPY", "UID EXPUNGE"} <= used and "UID MOVE" not in used
        assert not any(c.upper() == "EXPUNGE" for c in proxy.commands), "a plain EXPUNGE takes others' mail"
    assert sorted(message_ids(mailbox, "Diproses")) == sorted(f"<umum-{i}@contoh.example.id>" for i in range(5))
    assert mailbox.count("INBOX") == 0
    assert mailbox.count("Arsip") == 1


@pytest.mark.parametrize("offers_move", [True, False])
def test_a_connection_lost_right_after_the_server_confirmed_leaves_one_copy(tmp_path, mailbox, dovecot, caplog,
                                                                            offers_move):
    expected = [f"<umum-{i}@contoh.example.id>" for i in range(8)]
    mailbox.append_many(plain_mail(i) for i in range(8))
    mailbox.append(plain_mail(8, message_id=None))  # no Message-ID: recognised by its bytes
    command = "UID MOVE" if offers_move else "UID COPY"
    with ImapProxy(dovecot.host, dovecot.port, hide=() if offers_move else ("MOVE",),
                   drop_after=command) as proxy:
        config = office_config(tmp_path, proxy.host, proxy.port, mailbox)
        result = run_once(Runtime.load(config))
    assert proxy.dropped == 1
    assert result["moved"] == 9
    assert "resuming on a new connection" in caplog.text
    assert mailbox.count("INBOX") == 0
    assert len(mailbox.fetch_all("Diproses")) == 9
    assert sorted(m for m in message_ids(mailbox, "Diproses") if m != "None") == expected


@pytest.mark.parametrize("point", ["after_move_intent", "after_imap_move"])
def test_a_run_killed_while_moving_is_finished_by_the_next_run(tmp_path, mailbox, point):
    expected = [f"<umum-{i}@contoh.example.id>" for i in range(6)]
    mailbox.append_many(plain_mail(i) for i in range(6))
    config = office_config(tmp_path, mailbox.host, mailbox.port, mailbox)
    env = {**os.environ, "SERTIFLOW_CRASH_AT": point, "SERTIFLOW_CRASH_MODE": "kill"}
    killed = subprocess.run([sys.executable, "-c", RUN_ONCE, str(config)], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, timeout=120)
    assert killed.returncode == 137, killed.stderr.decode()[-2000:]
    if point == "after_imap_move":
        assert mailbox.count("INBOX") == 0  # the server did it; the database does not know yet
    env.pop("SERTIFLOW_CRASH_AT")
    again = subprocess.run([sys.executable, "-c", RUN_ONCE, str(config)], cwd=PROJECT_ROOT, env=env,
                           capture_output=True, timeout=120)
    assert again.returncode == 0, again.stderr.decode()[-2000:]
    assert_each_moved_once(mailbox, expected, config)


def _write_maildir(dovecot, account, raws) -> None:
    """Deliver straight into the account's Maildir (what Dovecot's LDA does), for speed."""
    new = Path(dovecot.root) / "mail" / account.user / "Maildir" / "new"
    for sub in ("new", "cur", "tmp"):
        (new.parent / sub).mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    for i, raw in enumerate(raws):
        (new / f"{stamp}.M{i}P1.sertiflow-uji").write_bytes(raw)
    owner = (Path(dovecot.root) / "mail").stat()
    for path in [new.parent.parent, new.parent, *new.parent.iterdir(), *new.iterdir()]:
        os.chown(path, owner.st_uid, owner.st_gid)


def test_a_first_run_on_an_inbox_of_30000_mails(tmp_path, dovecot, mail_accounts):
    account = mail_accounts.get("arsip-lama@bnsp.example.go.id")
    n = 30_000
    _write_maildir(dovecot, account, (plain_mail(i) for i in range(n)))
    assert account.count("INBOX") == n
    config = office_config(tmp_path, account.host, account.port, account)
    started = time.monotonic()
    result = run_once(Runtime.load(config))
    elapsed = time.monotonic() - started
    assert result["mail_new"] == n and result["moved"] == n
    assert account.count("INBOX") == 0 and account.count("Diproses") == n
    print(f"first run on {n} mails: {elapsed:.0f} s")


def test_a_poller_that_loses_the_race_to_create_the_processed_folder_still_moves(tmp_path, mailbox, monkeypatch):
    """Several pollers start on a mailbox without the processed folder: each sees none, all ask
    to create it, all but one are refused ("already exists"). The refused ones move too."""
    from imap_tools.folder import MailBoxFolderManager

    mailbox.append_many(plain_mail(i) for i in range(3))
    mailbox.append(plain_mail(99), folder="Diproses")   # made by the other poller, after our look
    exists, asked = MailBoxFolderManager.exists, []

    def before_the_other_poller_made_it(self, folder):
        asked.append(folder)
        return False if len(asked) == 1 else exists(self, folder)

    monkeypatch.setattr(MailBoxFolderManager, "exists", before_the_other_poller_made_it)
    config = office_config(tmp_path, mailbox.host, mailbox.port, mailbox)
    result = run_once(Runtime.load(config))
    assert result["moved"] == 3
    assert mailbox.count("INBOX") == 0
    assert sorted(message_ids(mailbox, "Diproses")) == sorted(f"<umum-{i}@contoh.example.id>" for i in (0, 1, 2, 99))


def test_what_a_pass_wrote_reaches_the_disk_before_its_mail_leaves_the_inbox(tmp_path, mailbox, monkeypatch):
    """Files are not flushed one by one on a mail's path: the pass flushes its filesystem once
    (syncfs), while its mail is still in the INBOX, so a machine that loses power before that
    finds the mail there."""
    from pipelines import poll
    from pipelines.write import docx

    mailbox.append_many(plain_mail(i) for i in range(3))
    flushes = []

    def flush(folder):
        flushes.append((Path(folder), mailbox.count("INBOX"), sorted(p.name for p in Path(folder).iterdir())))
        docx.flush_to_disk(folder)

    monkeypatch.setattr(poll, "flush_to_disk", flush)
    config = office_config(tmp_path, mailbox.host, mailbox.port, mailbox)
    result = run_once(Runtime.load(config))
    assert result["moved"] == 3 and mailbox.count("INBOX") == 0
    [(folder, in_inbox, written)] = flushes
    assert folder == tmp_path / "out" and in_inbox == 3
    assert "mail" in written and "sertiflow.db" in written   # the kept mail and the database
    if sys.platform.startswith("linux"):
        assert docx._syncfs is not None   # one syncfs(2) for the folder's filesystem, not sync(2) of all


def test_a_pass_with_no_outputs_folder_yet_has_nothing_to_flush(tmp_path):
    from pipelines.write.docx import flush_to_disk

    flush_to_disk(tmp_path / "not made yet")   # no error: nothing was written there
    flush_to_disk(tmp_path)
