"""The `sertiflow` command as an operator uses it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from pipelines.config import PROJECT_ROOT
from tests.servers import free_port
from tests.spine.office import LSP_PBD, LSP_TDN, make_office, request, without


def sertiflow(*args, env=None, timeout=240):
    return subprocess.run([sys.executable, "-m", "pipelines.cli", *args], cwd=PROJECT_ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=timeout)


def test_run_goes_through_the_prefect_flow_and_prints_the_summary_without_tracebacks(tmp_path, mailbox, smtp_server):
    office = make_office(tmp_path, mailbox, smtp_server)
    mailbox.append(request(LSP_TDN))
    mailbox.append(request(LSP_PBD, without("keputusan.pdf")))
    done = sertiflow("--config", str(office.config), "run",
                     env={"PREFECT_HOME": str(tmp_path / "prefect")})
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert "Menunggu persetujuan" in done.stdout and "Menunggu kelengkapan" in done.stdout
    assert len(smtp_server.to(LSP_PBD)) == 1

    listed = json.loads(sertiflow("--config", str(office.config), "dossiers", "list", "--json").stdout)
    by_status = {d["status"]: d for d in listed}
    assert sorted(by_status) == ["menunggu_kelengkapan", "menunggu_persetujuan"]
    assert by_status["menunggu_persetujuan"]["lsp"] == {"code": "LSP-001", "name": "LSP Teknologi Digital Nusantara"}
    waiting = by_status["menunggu_kelengkapan"]
    shown = json.loads(sertiflow("--config", str(office.config), "dossiers", "show", waiting["number"],
                                 "--json").stdout)
    assert shown["findings"][0]["severity"] == "error"
    assert {d["doc_type"] for d in shown["documents"]} == {"request_letter", "assessment_minutes", "participant_list"}
    assert shown["emails"][0]["state"] == "sent"
    only_waiting = json.loads(sertiflow("--config", str(office.config), "dossiers", "list", "--status",
                                        "menunggu_kelengkapan", "--json").stdout)
    assert [d["number"] for d in only_waiting] == [waiting["number"]]


def test_a_configuration_error_exits_2_with_a_clear_message(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text("mailboxes:\n  - {name: a, kind: imap, user: u, security: tls}\n")
    done = sertiflow("--config", str(cfg), "run", timeout=60)
    assert done.returncode == 2
    assert "Kesalahan konfigurasi" in done.stderr and "security" in done.stderr


def test_an_unreachable_mail_server_exits_3(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(yaml.safe_dump({"outputs_dir": str(tmp_path / "o"), "mailboxes": [
        {"name": "a", "kind": "imap", "host": "127.0.0.1", "port": free_port(), "user": "u", "password": "p"}]}))
    done = sertiflow("--config", str(cfg), "run", timeout=60)
    assert done.returncode == 3
    assert "Kesalahan koneksi" in done.stderr


def test_show_an_unknown_dossier(tmp_path):
    cfg = tmp_path / "s.yaml"
    cfg.write_text(yaml.safe_dump({"outputs_dir": str(tmp_path / "o")}))
    done = sertiflow("--config", str(cfg), "dossiers", "show", "BLK-2026-999999", timeout=60)
    assert done.returncode == 1 and "tidak ditemukan" in done.stderr
