"""Sending loses nothing and sends nothing twice: timeouts, uncertain sends, retries over
days, permanent refusals an officer sees and resends, and `sertiflow run`'s exit code."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select, update

from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.runtime import Runtime
from pipelines.send.outbox import RETRY_DELAYS, drain, enqueue, resend
from pipelines.send.transport import transport_for
from tests.delivery.faults import ScriptedSmtp, SmtpTarpit

LSP = "admin@lsp-tdn.example.id"


def runtime_for(tmp_path, host: str, port: int, timeout: float = 2) -> Runtime:
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(tmp_path / "out"), "convert_pdf": False,
        "smtp": {"host": host, "port": port, "security": "none", "timeout": timeout}}))
    return Runtime.load(config)


def queue_mail(rt, n: int = 1) -> list[int]:
    with rt.engine.begin() as conn:
        return [enqueue(conn, key=f"uji:{i}", to=[LSP], subject=f"Permintaan kelengkapan {i}",
                        body="Mohon lengkapi dokumen.", sender_domain="bnsp.example.go.id", automatic=False)
                for i in range(n)]


def outbox(rt) -> list[dict]:
    with rt.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(db.outbox).order_by(db.outbox.c.id)).mappings()]


def actions(rt) -> list[str]:
    with rt.engine.connect() as conn:
        return [r.action for r in conn.execute(select(db.events.c.action).order_by(db.events.c.id))]


def send(rt) -> dict:
    return drain(rt.engine, transport_for(rt.settings), rt.worker)


def wait_is_over(rt) -> None:
    """As if the retry delay had passed."""
    with rt.engine.begin() as conn:
        conn.execute(update(db.outbox).values(claimed_at=db.now() - timedelta(days=1)))


def test_a_server_that_never_greets_ends_the_drain_within_the_timeout(tmp_path):
    with SmtpTarpit() as tarpit:
        rt = runtime_for(tmp_path, tarpit.host, tarpit.port, timeout=1)
        queue_mail(rt, 3)
        started = time.monotonic()
        counts = send(rt)
        assert time.monotonic() - started < 10
    assert counts["unreachable"] == 1 and counts["sent"] == 0
    assert [r["state"] for r in outbox(rt)] == ["queued"] * 3  # nothing lost, no attempt used up
    assert [r["attempts"] for r in outbox(rt)] == [0] * 3


def test_a_server_that_stores_the_mail_and_drops_before_250_gets_it_once_and_an_officer_decides(tmp_path):
    with ScriptedSmtp(fail="drop") as server:
        rt = runtime_for(tmp_path, server.host, server.port)
        queue_mail(rt, 2)
        counts = send(rt)
        assert counts["uncertain"] == 2 and counts["sent"] == 0
        assert len(server.received) == 2
        for _ in range(3):  # later polls never send an uncertain mail again
            wait_is_over(rt)
            send(rt)
        assert len(server.received) == 2
        assert [r["state"] for r in outbox(rt)] == ["uncertain", "uncertain"]
        assert actions(rt).count("surel_status_tidak_pasti") == 2
        # The officer checked with the LSP: the first never arrived. Resend it.
        server.fail = None
        assert resend(rt.engine, outbox(rt)[0]["id"], "rina")
        assert send(rt)["sent"] == 1
    assert len(server.received) == 3
    assert server.message_ids()[2] == outbox(rt)[0]["message_id"]
    assert [r["state"] for r in outbox(rt)] == ["sent", "uncertain"]
    assert "surel_dikirim_ulang" in actions(rt)


def test_temporary_refusals_are_retried_with_growing_delays_until_the_server_is_back(tmp_path):
    with ScriptedSmtp(fail="451") as server:
        rt = runtime_for(tmp_path, server.host, server.port)
        queue_mail(rt, 23)
        assert send(rt)["deferred"] == 23
        assert send(rt)["deferred"] == 0, "retried before its delay was over"
        for _ in range(5):  # five polls in a row, each after the delay
            wait_is_over(rt)
            assert send(rt)["deferred"] == 23
        assert {r["state"] for r in outbox(rt)} == {"deferred"}
        assert {r["attempts"] for r in outbox(rt)} == {6}
        server.fail = None
        wait_is_over(rt)
        assert send(rt)["sent"] == 23
    assert len(server.received) == 23 and {r["state"] for r in outbox(rt)} == {"sent"}
    assert RETRY_DELAYS[0] < RETRY_DELAYS[3] < RETRY_DELAYS[-1]
    assert sum(RETRY_DELAYS, timedelta()) > timedelta(days=3)


def test_retries_exhausted_or_a_permanent_refusal_reach_an_officer_who_can_resend(tmp_path):
    with ScriptedSmtp(fail="451") as server:
        rt = runtime_for(tmp_path, server.host, server.port)
        queue_mail(rt, 1)
        with rt.engine.begin() as conn:
            conn.execute(update(db.outbox).values(attempts=len(RETRY_DELAYS)))
        assert send(rt)["failed"] == 1
        server.fail = "550"
        with rt.engine.begin() as conn:
            enqueue(conn, key="uji:tolak", to=[LSP], subject="Ditolak", body="x",
                    sender_domain="bnsp.example.go.id")
        assert send(rt)["failed"] == 1
        assert [r["state"] for r in outbox(rt)] == ["failed", "failed"]
        assert "550" in outbox(rt)[1]["last_error"]
        assert actions(rt).count("surel_gagal_dikirim") == 2
        server.fail = None
        for row in outbox(rt):
            assert resend(rt.engine, row["id"], "rina")
        assert send(rt)["sent"] == 2
    assert len(server.received) == 2


def test_all_recipients_refused_is_permanent_and_nothing_is_sent(tmp_path):
    with ScriptedSmtp(fail="rcpt550") as server:
        rt = runtime_for(tmp_path, server.host, server.port)
        queue_mail(rt, 1)
        assert send(rt)["failed"] == 1
        assert server.data_commands == 0


def test_sertiflow_run_exits_3_when_the_mail_server_stops_answering(tmp_path):
    with ScriptedSmtp(greet_first=1) as server:  # the start-up check passes, then silence
        rt = runtime_for(tmp_path, server.host, server.port)
        queue_mail(rt, 1)
        config = tmp_path / "sertiflow.yaml"
        settings = yaml.safe_load(config.read_text())
        settings["mailboxes"] = [{"name": "kosong", "kind": "maildir", "path": str(tmp_path / "kosong")}]
        (tmp_path / "kosong").mkdir()
        config.write_text(yaml.safe_dump(settings))
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "--config", str(config), "run"],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=400,
                              env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    assert done.returncode == 3, done.stdout + done.stderr
    assert "tidak dapat dihubungi" in done.stderr
    assert [r["state"] for r in outbox(rt)] == ["queued"]
