import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
for p in (str(ROOT), str(HERE), str(ROOT / "tests")):
    if p not in sys.path:
        sys.path.insert(0, p)

from desk_seed import add_users, seed_dossier, seed_unclassified_mail  # noqa: E402
from pipelines.desk import auth  # noqa: E402
from pipelines.config import Settings  # noqa: E402
from pipelines.runtime import Runtime  # noqa: E402

# Production argon2 parameters take ~0.4 s per hash here; tests log in dozens of times.
from argon2 import PasswordHasher  # noqa: E402
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
auth._DUMMY_HASH = auth._hasher.hash("dummy")


@pytest.fixture
def desk_rt(tmp_path):
    """A runtime on a fresh database and outputs folder (mail goes to .eml files)."""
    rt = Runtime(Settings(outputs_dir=tmp_path / "outputs"))
    add_users(rt.engine)
    return rt


@pytest.fixture
def seeded(desk_rt):
    out = desk_rt.settings.outputs_dir
    seed_dossier(desk_rt.engine, out, number="BLK-2025-000001", status="menunggu_kelengkapan")
    seed_dossier(desk_rt.engine, out, number="BLK-2025-000002", status="menunggu_persetujuan", findings=False)
    seed_unclassified_mail(desk_rt.engine, out)
    return desk_rt


@pytest.fixture
def client(seeded):
    from fastapi.testclient import TestClient

    from pipelines.desk.app import create_app
    app = create_app(seeded, secret=b"uji-rahasia-" * 4)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as c:
        yield c
