from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from pipelines.config import PROJECT_ROOT, Settings
from pipelines.runtime import Runtime

# A service as the complaints and applications engineers will write them: promise, legs, pauses.
SERTIFIKASI_PERSON = """
kind: uji_clock
name: Layanan Uji Jam
number_prefix: UJI
checklist: []
pause_reasons:
  menunggu_kelengkapan: Menunggu kelengkapan dokumen
  menunggu_kuota: Menunggu kuota peserta terpenuhi
steps:
  - {id: tinjauan, label: Tinjauan permohonan, role: seksi_pjt, duration: 2 jam}
  - {id: bayar, label: Pembayaran, role: pemohon, waits_for: menunggu_pembayaran}
clock:
  target_working_days: 14
  compensation: true
  warn_at: 0.75
  pause_reasons:
    menunggu_pembayaran: Menunggu pembayaran
  legs:
    rekam: {working_minutes: 120, warn_at: 0.5}
"""


# A one-working-day promise (the blank request's shape) with late-service compensation.
ONE_DAY = """
kind: uji_sehari
name: Layanan Uji Satu Hari
number_prefix: UJS
checklist: []
steps:
  - {id: periksa, label: Pemeriksaan, role: petugas_layanan}
clock:
  target_working_days: 1
  compensation: true
"""


@pytest.fixture
def rt(tmp_path):
    services = tmp_path / "services"
    shutil.copytree(PROJECT_ROOT / "services", services, ignore=shutil.ignore_patterns("*.md"))
    (services / "uji_clock.yaml").write_text(SERTIFIKASI_PERSON, encoding="utf-8")
    (services / "uji_sehari.yaml").write_text(ONE_DAY, encoding="utf-8")
    calendar = tmp_path / "calendar.yaml"
    shutil.copy(PROJECT_ROOT / "data" / "calendar.yaml", calendar)
    return Runtime(Settings(outputs_dir=tmp_path / "outputs", services_dir=services, calendar_path=calendar))


sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "desk"))
from desk_seed import add_users, login, seed_dossier  # noqa: E402


@pytest.fixture
def desk(tmp_path):
    """(runtime, logged-in officer's client) of the desk app on a fresh SQLite database, with
    its own copy of the calendar file (tests may edit it)."""
    from argon2 import PasswordHasher
    from fastapi.testclient import TestClient

    from pipelines.desk import auth
    from pipelines.desk.app import create_app
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)   # fast logins
    calendar = tmp_path / "calendar.yaml"
    shutil.copy(PROJECT_ROOT / "data" / "calendar.yaml", calendar)
    rt = Runtime(Settings(outputs_dir=tmp_path / "outputs", calendar_path=calendar))
    add_users(rt.engine)
    with TestClient(create_app(rt, secret=b"uji-rahasia-" * 4), base_url="http://127.0.0.1",
                    follow_redirects=False) as client:
        login(client, "petugas1")
        yield rt, client
