import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def approval_context():
    return dict(
        office=dict(name="Sekretariat BNSP", address="Jl. M.T. Haryono Kav. 52, Jakarta Selatan",
                    city="Jakarta", email="sertifikat@example.go.id"),
        dossier=dict(number="BLK-2026-00042", received_at=date(2026, 11, 19),
                     completed_at="20 November 2026"),
        lsp=dict(code="LSP-P1-123", name="LSP Maju Sejahtera", address="Jl. Merdeka 1, Bandung",
                 contact="Budi (0812-3456-7890)"),
        letter=dict(number="012/LSP-MS/XI/2026", date=date(2026, 11, 18)),
        schemes=[dict(name="Teknisi Jaringan Komputer", competent=20, not_competent=3),
                 dict(name="Juru Las SMAW", competent=5, not_competent=1)],
        blanks_total=25, blanks_total_words="dua puluh lima",
        official=dict(name="Dra. Siti Aminah, M.Si.", title="Kepala Subbagian Sertifikasi",
                      nip="197001012000032001"),
        serial_ranges=[],
        prepared_by="Andi Pratama",
        date=date(2026, 11, 21),
        approval=dict(approved=False, approver_name=None, approved_at=None),
        receipt_number="TT-2026-00042",
    )


@pytest.fixture
def certificate_items():
    def make(n, start=0):
        return [dict(certificate_number=f"12345 6789 0 {i:07d} 2026", name=f"Peserta Nomor {i}",
                     nik="3273014507900001", scheme="Teknisi Jaringan Komputer",
                     lsp=dict(name="LSP Maju Sejahtera"), issue_date=date(2026, 11, 21),
                     valid_until=date(2029, 11, 20), blank_serial=f"A{i:07d}")
                for i in range(start, start + n)]
    return make


@pytest.fixture
def approved_at():
    return datetime(2026, 11, 21, 7, 5, tzinfo=timezone.utc)  # 14.05 WIB
