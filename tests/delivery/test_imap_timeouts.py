"""Every IMAP exchange has a timeout: a mail server that accepts the connection and then says
nothing (no greeting, or no answer to a command) ends the step with a clear error within the
configured `timeout`, instead of holding the run (and every later scheduled run) forever."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
import yaml

from pipelines.config import PROJECT_ROOT, Mailbox
from pipelines.mail.sources import SourceError, open_source
from tests.delivery.faults import SmtpTarpit, _Server


class SilentImap(_Server):
    """Greets like an IMAP server, then reads commands and never answers one."""

    def serve(self, conn):
        conn.sendall(b"* OK [CAPABILITY IMAP4rev1] uji.example siap\r\n")
        while not self._stop.is_set() and conn.recv(4096):
            pass


@pytest.mark.parametrize("server", [SmtpTarpit, SilentImap], ids=["never-greets", "never-answers"])
def test_a_mailbox_that_stops_answering_ends_the_step_within_the_timeout(server):
    with server() as silent:
        started = time.monotonic()
        with pytest.raises(SourceError) as error:
            open_source(Mailbox(name="blanko", kind="imap", host=silent.host, port=silent.port,
                                user="blanko", password="rahasia", timeout=1))
        took = time.monotonic() - started
    assert took < 10, f"the IMAP step waited {took:.1f} s"
    assert f"IMAP {silent.host}:{silent.port} mailbox blanko" in str(error.value)


def test_sertiflow_run_exits_3_when_the_mailbox_server_says_nothing(tmp_path):
    with SilentImap() as silent:
        config = tmp_path / "sertiflow.yaml"
        config.write_text(yaml.safe_dump({
            "outputs_dir": str(tmp_path / "out"),
            "mailboxes": [{"name": "blanko", "kind": "imap", "host": silent.host, "port": silent.port,
                           "security": "none", "user": "blanko", "password": "rahasia", "timeout": 1}]}))
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "--config", str(config), "run"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 3, done.stdout + done.stderr
    assert "tidak dapat dihubungi" in done.stderr and "mailbox blanko" in done.stderr
