"""Accounts, passwords (argon2id), server-side sessions, CSRF tokens and login throttling."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update

from pipelines import db
from pipelines.desk.models import ROLES, login_attempts, sessions, users

SESSION_LIFETIME = timedelta(hours=10)      # one working day
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FAILURES = 5
MIN_PASSWORD_LENGTH = 10

_hasher = PasswordHasher()
# Verified against when the user name is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(ValueError):
    """Shown to the operator as is (Indonesian)."""


@dataclass(frozen=True)
class User:
    id: int
    username: str
    full_name: str
    role: str

    @property
    def is_officer(self) -> bool:
        return self.role in ("petugas", "admin")

    @property
    def is_approver(self) -> bool:
        return self.role == "pejabat"

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row) -> User:
    return User(row.id, row.username, row.full_name, row.role)


def create_user(engine, username: str, role: str, full_name: str, password: str) -> User:
    username = username.strip().lower()
    if not username or len(username) > 64 or not all(c.isalnum() or c in "._-" for c in username):
        raise AccountError("Nama pengguna hanya boleh berisi huruf, angka, titik, garis bawah dan tanda minus.")
    if role not in ROLES:
        raise AccountError(f"Peran harus salah satu dari: {', '.join(ROLES)}.")
    if not full_name.strip():
        raise AccountError("Nama lengkap wajib diisi.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.")
    now = db.now()
    with engine.begin() as conn:
        if conn.execute(select(users.c.id).where(users.c.username == username)).first():
            raise AccountError(f"Pengguna {username} sudah ada.")
        user_id = conn.execute(insert(users).values(
            username=username, full_name=full_name.strip(), role=role, password_hash=_hasher.hash(password),
            active=True, created_at=now, password_changed_at=now)).inserted_primary_key[0]
        db.record_event(conn, "pengguna_dibuat", actor="admin-cli", pengguna=username, peran=role)
    return User(user_id, username, full_name.strip(), role)


def verify_password(engine, username: str, password: str) -> User | None:
    username = (username or "").strip().lower()
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    if row is None or not row.active:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return None
    try:
        _hasher.verify(row.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(row.password_hash):
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == row.id)
                         .values(password_hash=_hasher.hash(password)))
    return _user(row)


# --------------------------------------------------------------------------- throttling

def throttle_wait(engine, username: str, ip: str) -> timedelta | None:
    """How long this user name from this IP must wait, or None when it may try now.

    Counts failures in the last 15 minutes since the last success."""
    username = (username or "").strip().lower()[:64]
    since = db.now() - THROTTLE_WINDOW
    with engine.connect() as conn:
        last_ok = conn.execute(select(func.max(login_attempts.c.at)).where(
            login_attempts.c.username == username, login_attempts.c.ip == ip,
            login_attempts.c.success.is_(True), login_attempts.c.at >= since)).scalar()
        start = max(since, db.aware(last_ok)) if last_ok else since
        failures = conn.execute(select(login_attempts.c.at).where(
            login_attempts.c.username == username, login_attempts.c.ip == ip,
            login_attempts.c.success.is_(False), login_attempts.c.at > start)
            .order_by(login_attempts.c.at)).scalars().all()
    if len(failures) < THROTTLE_FAILURES:
        return None
    # Free again when the oldest counted failure of the last five leaves the window.
    release = db.aware(failures[-THROTTLE_FAILURES]) + THROTTLE_WINDOW
    return max(release - db.now(), timedelta(seconds=1))


def record_attempt(engine, username: str, ip: str, success: bool) -> None:
    with engine.begin() as conn:
        conn.execute(insert(login_attempts).values(
            username=(username or "").strip().lower()[:64], ip=ip, at=db.now(), success=success))
        # Keep the table small: attempts older than a day say nothing any more.
        conn.execute(delete(login_attempts).where(login_attempts.c.at < db.now() - timedelta(days=1)))


# --------------------------------------------------------------------------- sessions

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(engine, user: User, ip: str) -> str:
    token = secrets.token_urlsafe(32)
    now = db.now()
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.expires_at < now))
        conn.execute(insert(sessions).values(token_hash=_token_hash(token), user_id=user.id,
                                             created_at=now, expires_at=now + SESSION_LIFETIME, ip=ip))
    return token


def session_user(engine, token: str) -> User | None:
    if not token:
        return None
    with engine.connect() as conn:
        row = conn.execute(select(users, sessions.c.expires_at).join(sessions, sessions.c.user_id == users.c.id)
                           .where(sessions.c.token_hash == _token_hash(token))).first()
    if row is None or not row.active or db.aware(row.expires_at) < db.now():
        return None
    return _user(row)


def close_session(engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))


# --------------------------------------------------------------------------- CSRF

def csrf_token(secret: bytes, binding: str) -> str:
    """A token bound to the session (or, before login, to the visitor cookie)."""
    return hmac.new(secret, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, binding: str, token: str | None) -> bool:
    return bool(binding and token) and hmac.compare_digest(csrf_token(secret, binding), token)
