import pytest
from argon2 import PasswordHasher

from pipelines.desk import auth

# Production argon2 parameters take ~0.4 s per hash here; the tests log in several times.
auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
auth._DUMMY_HASH = auth._hasher.hash("dummy")

PASSWORD = "kata-sandi-uji-123"


@pytest.fixture
def desk_users():
    def add(engine):
        auth.create_user(engine, "rina", "petugas", "Rina Kartika", PASSWORD)
        auth.create_user(engine, "budi", "pejabat", "Drs. Budi Santoso, M.M.", PASSWORD)
    return add
