"""A Maildir mailbox: processed mail moves to the processed folder exactly once, also when the
run is killed in the middle of moving (the next run finishes the move), and keeps its flags."""
from __future__ import annotations

import collections
import mailbox
import os
import subprocess
import sys
from pathlib import Path

import yaml
from sqlalchemy import func, select

from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.runtime import Runtime
from tests.delivery.test_imap_move import RUN_ONCE, plain_mail


def maildir_office(tmp_path: Path, n: int) -> tuple[Path, Path]:
    root = tmp_path / "Maildir"
    box = mailbox.Maildir(root, create=True)
    for i in range(n):
        message = mailbox.MaildirMessage(plain_mail(i))
        if i % 2:   # read in a mail client already: in cur/ with the Seen flag
            message.set_subdir("cur")
            message.set_flags("S")
        box.add(message)
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(tmp_path / "out"), "convert_pdf": False,
        "mailboxes": [{"name": "blanko", "kind": "maildir", "path": str(root), "processed_folder": "Diproses"}]}))
    return root, config


def run(config: Path, crash_at: str | None = None) -> int:
    env = {**os.environ, "SERTIFLOW_CRASH_MODE": "kill"}
    if crash_at:
        env["SERTIFLOW_CRASH_AT"] = crash_at
    return subprocess.run([sys.executable, "-c", RUN_ONCE, str(config)], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, timeout=300).returncode


def message_ids(box: mailbox.Maildir) -> collections.Counter:
    return collections.Counter(str(box.get_message(key)["Message-ID"]) for key in box.keys())


def test_a_run_killed_while_moving_leaves_each_mail_in_one_folder_and_the_next_run_finishes(tmp_path):
    root, config = maildir_office(tmp_path, 6)
    expected = sorted(message_ids(mailbox.Maildir(root, create=False)))

    assert run(config, crash_at="after_maildir_move") == 137   # killed after the first mail moved
    box = mailbox.Maildir(root, create=False)
    processed = box.get_folder("Diproses")
    assert len(processed) == 1 and len(box) == 5   # never in both folders

    assert run(config) == 0
    box = mailbox.Maildir(root, create=False)
    processed = box.get_folder("Diproses")
    assert len(box) == 0
    moved = message_ids(processed)
    assert sorted(moved) == expected and max(moved.values()) == 1, "a mail was moved twice"
    with Runtime.load(config).engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(db.mails).where(db.mails.c.moved != 1)).scalar() == 0
    # flags and read state travel with the file
    seen = [processed.get_message(key) for key in processed.keys()]
    assert sum(1 for m in seen if m.get_subdir() == "cur" and "S" in m.get_flags()) == 3
