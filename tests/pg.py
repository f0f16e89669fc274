"""A throw-away PostgreSQL server for tests (registered from tests/conftest.py).

    postgres_url     session   SQLAlchemy URL of database `sertiflow` on a private cluster:
                               postgresql+psycopg://postgres@127.0.0.1:PORT/sertiflow
    pg_database_url  function  a fresh, empty database `t_<n>` on the same cluster

The cluster is initdb'd in a temporary directory owned by the `postgres` system user (the
server refuses to run as root), listens on 127.0.0.1 and a free port with its unix socket in
that directory, trusts local connections (test use only) and runs without fsync. It is
stopped and deleted at the end of the session.

Without PostgreSQL (no initdb under /usr/lib/postgresql/*/bin or on PATH, no `postgres` user
when running as root, or no psycopg) the tests are skipped, unless SERTIFLOW_REQUIRE_SERVERS=1,
in which case they fail.
"""
from __future__ import annotations

import glob
import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.servers import LOCALHOST, free_port, wait_for_port

PG_USER = "postgres"          # system user that owns the cluster when tests run as root
DATABASE = "sertiflow"
_databases = itertools.count(1)


def _unavailable(reason: str):
    if os.environ.get("SERTIFLOW_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (SERTIFLOW_REQUIRE_SERVERS=1: servers are required here)", pytrace=False)
    pytest.skip(reason)


def _bin_dir() -> Path | None:
    """The newest PostgreSQL's bin directory (Debian keeps initdb off PATH)."""
    def version(path: str) -> tuple[int, ...]:
        return tuple(int(p) for p in re.findall(r"\d+", Path(path).parent.parent.name)) or (0,)
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=version)
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


class PostgresCluster:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="sertiflow-pg-"))
        self.data = self.base / "data"
        self.log = self.base / "server.log"
        self.port = free_port()
        if self.as_root:
            owner = pwd.getpwnam(PG_USER)
            os.chown(self.base, owner.pw_uid, owner.pw_gid)
        os.chmod(self.base, 0o700)

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", PG_USER, "--"] if self.as_root else []
        return subprocess.run([*prefix, *args], capture_output=True, text=True, timeout=timeout,
                              cwd=self.base, check=False)

    def _check(self, result: subprocess.CompletedProcess, what: str) -> None:
        if result.returncode != 0:
            log = self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL {what} failed ({result.returncode}):\n"
                               f"{result.stdout}\n{result.stderr}\n{log}")

    def start(self) -> None:
        self._check(self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", PG_USER,
                              "--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"), "initdb")
        options = (f"-c listen_addresses={LOCALHOST} -p {self.port} -k {self.base} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300")
        self._check(self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
                              "-o", options, "-w", "-t", "60", "start"), "start")
        wait_for_port(LOCALHOST, self.port, timeout=30)
        self.create_database(DATABASE)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@{LOCALHOST}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        import psycopg
        with psycopg.connect(host=LOCALHOST, port=self.port, user=PG_USER, dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        try:
            if (self.data / "postmaster.pid").exists():
                self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                          "stop", timeout=60)
        finally:
            shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_cluster():
    bin_dir = _bin_dir()
    if bin_dir is None:
        _unavailable("PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin or on PATH)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed (pip install 'psycopg[binary]')")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            _unavailable(f"no '{PG_USER}' system user to own the test cluster (PostgreSQL refuses root)")
    cluster = PostgresCluster(bin_dir)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster) -> str:
    """postgresql+psycopg://postgres@127.0.0.1:PORT/sertiflow on the session's cluster."""
    return postgres_cluster.url(DATABASE)


@pytest.fixture
def pg_database_url(postgres_cluster) -> str:
    """A fresh, empty database (t_<n>) on the session's cluster, for this test only."""
    return postgres_cluster.create_database(f"t_{next(_databases)}")
