"""`scripts/serve.sh`: the production-like stack on one machine (Prefect on SQLite), as a user
starts and stops it: the flows run on its worker, the desk answers, logs are in one place."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import select

from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.runtime import Runtime
from tests.servers import LOCALHOST, free_port

SERVE = PROJECT_ROOT / "scripts" / "serve.sh"


def _serve(action: str, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SERVE), action], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex((LOCALHOST, port)) == 0


@pytest.fixture
def served(tmp_path):
    maildir = shutil.copytree(PROJECT_ROOT / "samples" / "maildir", tmp_path / "maildir")
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(tmp_path / "outputs"), "convert_pdf": False,
        "mailboxes": [{"name": "sampel", "kind": "maildir", "path": str(maildir),
                       "processed_folder": "Processed"}]}))
    prefect_port, desk_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SERTIFLOW_"))}
    env.update(SERTIFLOW_CONFIG=str(config), SERTIFLOW_STACK_DIR=str(tmp_path / "stack"),
               SERTIFLOW_PREFECT_PORT=str(prefect_port), SERTIFLOW_DESK_PORT=str(desk_port),
               SERTIFLOW_VENV=str(Path(sys.executable).parent.parent), SERTIFLOW_SKIP_APT="1")
    try:
        start = time.monotonic()
        started = _serve("start", env)
        seconds = time.monotonic() - start
        assert started.returncode == 0, started.stdout + started.stderr
        yield {"env": env, "config": config, "stack": tmp_path / "stack", "output": started.stdout,
               "api": f"http://{LOCALHOST}:{prefect_port}/api", "desk": f"http://{LOCALHOST}:{desk_port}",
               "ports": (prefect_port, desk_port), "seconds": seconds}
    finally:
        _serve("stop", env, timeout=120)


def test_serve_runs_the_flows_and_the_desk_and_stops_cleanly(served):
    print(f"\nscripts/serve.sh start (SQLite, first start): {served['seconds']:.1f} s")
    output = served["output"]
    for name in ("ingest-mailbox", "build-courier-manifest", "receipt-reminders"):
        assert name in output                               # `prefect deployment ls` at the end
    status = _serve("status", served["env"]).stdout
    assert all(f"{name}: running" in status for name in ("prefect-server", "worker", "desk")), status

    with httpx.Client(base_url=served["api"], timeout=30) as api:
        [deployment] = [d for d in api.post("/deployments/filter", json={}).json()
                        if d["name"] == "ingest-mailbox"]
        run_id = api.post(f"/deployments/{deployment['id']}/create_flow_run", json={}).json()["id"]
        deadline = time.monotonic() + 600
        while (run := api.get(f"/flow_runs/{run_id}").json())["state"]["type"] not in {
                "COMPLETED", "FAILED", "CRASHED", "CANCELLED"}:
            assert time.monotonic() < deadline, run["state"]
            time.sleep(1)
    assert run["state"]["type"] == "COMPLETED", run["state"]

    # The worker ran it on the settings given to serve.sh: the sample mail became dossiers.
    with Runtime.load(served["config"]).engine.connect() as conn:
        statuses = {r.status for r in conn.execute(select(db.dossiers.c.status))}
    assert {"menunggu_persetujuan", "menunggu_kelengkapan"} <= statuses
    login = httpx.get(served["desk"] + "/masuk", timeout=30)
    assert login.status_code == 200 and "Masuk" in login.text

    logs = served["stack"] / "logs"
    assert {"prefect-server.log", "worker.log", "desk.log", "deploy.log"} <= {p.name for p in logs.iterdir()}
    assert run_id in (logs / "worker.log").read_text(errors="replace")

    stopped = _serve("stop", served["env"])
    assert stopped.returncode == 0, stopped.stderr
    status = _serve("status", served["env"]).stdout
    assert all(f"{name}: stopped" in status for name in ("prefect-server", "worker", "desk")), status
    deadline = time.monotonic() + 30
    while any(_listening(p) for p in served["ports"]) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not any(_listening(p) for p in served["ports"])
