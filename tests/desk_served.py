"""The desk served as `sertiflow serve` would (uvicorn in its own process, production argon2
parameters), and the time its pages take, for the tests that the desk never stalls."""
from __future__ import annotations

import contextlib
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable, Iterator

import httpx

from pipelines.config import PROJECT_ROOT
from tests.desk.desk_seed import PASSWORD
from tests.servers import free_port, wait_for_port

SERVE = ("import sys, uvicorn; from pipelines.runtime import Runtime; from pipelines.desk.app import create_app; "
         "app = create_app(Runtime.load(sys.argv[1]), secret=b'uji-macet-' * 5); "
         "uvicorn.run(app, host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')")


@contextlib.contextmanager
def served_desk(config: Path, env: dict | None = None) -> Iterator[str]:
    """The desk on `config` in its own process; yields its base URL, stops it afterwards."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVE, str(config), str(port)], cwd=PROJECT_ROOT, env=env)
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(10)


def logged_in(base: str, username: str) -> httpx.Client:
    """A client with a fresh session of `username` (password PASSWORD)."""
    client = httpx.Client(base_url=base, timeout=60, follow_redirects=False)
    page = client.get("/masuk").text
    answer = client.post("/masuk", data={"csrf_token": csrf(page), "username": username, "password": PASSWORD,
                                         "lanjut": "/antrean"})
    assert answer.status_code == 303, answer.text[:500]
    return client


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def page_times(client: httpx.Client, path_of: Callable[[int], str], seconds: float) -> list[float]:
    """Someone opening page path_of(0), path_of(1)... one after the other for `seconds`; each
    page's time. Every page must open (200)."""
    latencies, i = [], 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        path = path_of(i)
        started = time.perf_counter()
        answer = client.get(path)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, (path, answer.status_code)
        i += 1
        time.sleep(0.02)
    return latencies


def p95(latencies: list[float]) -> float:
    return statistics.quantiles(latencies, n=20)[-1]
