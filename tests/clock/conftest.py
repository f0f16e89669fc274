from __future__ import annotations

import shutil

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


@pytest.fixture
def rt(tmp_path):
    services = tmp_path / "services"
    shutil.copytree(PROJECT_ROOT / "services", services, ignore=shutil.ignore_patterns("*.md"))
    (services / "uji_clock.yaml").write_text(SERTIFIKASI_PERSON, encoding="utf-8")
    calendar = tmp_path / "calendar.yaml"
    shutil.copy(PROJECT_ROOT / "data" / "calendar.yaml", calendar)
    return Runtime(Settings(outputs_dir=tmp_path / "outputs", services_dir=services, calendar_path=calendar))
