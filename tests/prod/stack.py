"""A real Prefect production stack for tests: `prefect server start`, the work pool,
`prefect deploy --all` from prefect.yaml, process workers, each a real subprocess started with
the commands the README gives (ports and homes come from PREFECT_* variables, not flags, so
the commands stay the README's).

    stack = PrefectStack(tmp, database_url=...)   # PostgreSQL (asyncpg URL) or None = SQLite
    stack.start_server(); stack.prefect("work-pool", "create", ...); stack.deploy(checkout)
    worker = stack.start_worker("mesin-a", checkout, config)
    run = stack.run_deployment("ingest-mailbox", parameters={...}); stack.wait(run)

Flow runs are created and watched through the server's REST API (httpx), so the test
process never points its own Prefect settings at this server.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import LOCALHOST, free_port

BIN = Path(sys.executable).parent
TERMINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def copy_checkout(source: Path, target: Path) -> Path:
    """A second checkout of the project as it is now (tracked and new files, not .venv,
    outputs or caches): what `git clone` gives on another machine, uncommitted work included."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=source, capture_output=True, check=False)
    if listed.returncode != 0:
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(
            ".venv", ".git", "outputs", "__pycache__", ".pytest_cache"))
        return target
    for name in filter(None, listed.stdout.decode().split("\0")):
        src = source / name
        if src.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target / name)
    return target


@dataclass
class Worker:
    name: str
    checkout: Path
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL the worker and the flow runs it started (as a machine losing power)."""
        children = _descendants(self.process.pid)
        for pid in [self.process.pid, *children]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        found += [int(c) for c in children]
        todo += [int(c) for c in children]
    return found


class PrefectStack:
    def __init__(self, root: Path, database_url: str | None = None):
        self.root = Path(root)
        self.logs = self.root / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.api = f"http://{LOCALHOST}:{self.port}/api"
        self.database_url = database_url
        self.server: subprocess.Popen | None = None
        self.workers: list[Worker] = []
        self.http = httpx.Client(base_url=self.api, timeout=30)

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SERTIFLOW_"))}
        env.update({
            "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
            "PREFECT_HOME": str(self.root / "prefect-home"),
            "PREFECT_API_URL": self.api,
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "2",       # tests wait for pickups; production keeps 10 s
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        env.update(extra)
        return env

    # ------------------------------------------------------------------ processes

    def start_server(self, timeout: float = 240) -> float:
        """`prefect server start`; returns the seconds until /api/health answered."""
        env = self.env(PREFECT_SERVER_API_HOST=LOCALHOST, PREFECT_SERVER_API_PORT=str(self.port),
                       # Runs are triggered by the tests; schedules are checked, not waited for.
                       PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
                       PREFECT_SERVER_SERVICES_LATE_RUNS_ENABLED="false",
                       PREFECT_SERVER_LOGGING_LEVEL="WARNING")
        if self.database_url:
            env["PREFECT_API_DATABASE_CONNECTION_URL"] = self.database_url
        start = time.monotonic()
        self.server = subprocess.Popen(
            [str(BIN / "prefect"), "server", "start"], env=env, cwd=self.root,
            stdin=subprocess.DEVNULL, stdout=open(self.logs / "server.log", "wb"),
            stderr=subprocess.STDOUT, start_new_session=True)
        while time.monotonic() - start < timeout:
            if self.server.poll() is not None:
                raise RuntimeError(f"prefect server exited {self.server.returncode}:\n{self.log('server')}")
            try:
                if self.http.get("/health").status_code == 200:
                    return time.monotonic() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"prefect server not up after {timeout} s:\n{self.log('server')}")

    def prefect(self, *args: str, cwd: Path, env: dict | None = None, timeout: float = 600) -> str:
        """One `prefect ...` command; its output, or an error with it."""
        done = subprocess.run([str(BIN / "prefect"), *args], cwd=cwd, env=env or self.env(),
                              stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"prefect {' '.join(args)} exited {done.returncode}:\n"
                               f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        return done.stdout + done.stderr

    def start_worker(self, name: str, checkout: Path, config: Path, **extra_env: str) -> Worker:
        """`SERTIFLOW_CONFIG=<config> prefect worker start --pool sertiflow-process`, run
        from the checkout. PYTHONPATH makes its flow runs import the checkout's own code, as
        the machine's own venv (installed from that checkout) would; the venv is shared here."""
        env = self.env(SERTIFLOW_CONFIG=str(config), PYTHONPATH=str(checkout), **extra_env)
        log = self.logs / f"worker-{name}.log"
        process = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "sertiflow-process", "--name", name],
            cwd=checkout, env=env, stdin=subprocess.DEVNULL, stdout=open(log, "ab"),
            stderr=subprocess.STDOUT, start_new_session=True)
        worker = Worker(name, checkout, process, log)
        self.workers.append(worker)
        return worker

    def log(self, name: str) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-6000:] if path.exists() else ""

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.server and self.server.poll() is None:
            os.killpg(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(10)
        self.http.close()

    # ------------------------------------------------------------------ REST API

    def deployments(self) -> dict[str, dict]:
        rows = self.http.post("/deployments/filter", json={"limit": 200}).raise_for_status().json()
        return {d["name"]: d for d in rows}

    def run_deployment(self, name: str, parameters: dict | None = None,
                       job_variables: dict | None = None) -> str:
        deployment = self.deployments()[name]
        body = {"parameters": parameters or {}, "job_variables": job_variables or {}}
        run = self.http.post(f"/deployments/{deployment['id']}/create_flow_run", json=body)
        return run.raise_for_status().json()["id"]

    def flow_run(self, run_id: str) -> dict:
        return self.http.get(f"/flow_runs/{run_id}").raise_for_status().json()

    def states(self, run_id: str) -> list[str]:
        rows = self.http.get("/flow_run_states/", params={"flow_run_id": run_id}).raise_for_status().json()
        return [s["name"] for s in sorted(rows, key=lambda s: s["timestamp"])]

    def wait(self, run_id: str, timeout: float = 600, until: set[str] = TERMINAL) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.flow_run(run_id)
            if run["state"]["type"] in until:
                return run
            time.sleep(1)
        raise AssertionError(f"flow run {run_id} still {run['state']['name']} after {timeout} s; "
                             f"workers:\n" + "\n".join(self.log(f"worker-{w.name}") for w in self.workers))

    def logs_of(self, run_id: str) -> str:
        rows = self.http.post("/logs/filter", json={"logs": {"flow_run_id": {"any_": [run_id]}},
                                                    "limit": 200}).raise_for_status().json()
        return "\n".join(r["message"] for r in rows)
