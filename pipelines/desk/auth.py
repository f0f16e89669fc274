"""Accounts, passwords (argon2id), server-side sessions, CSRF tokens and login throttling."""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, func, insert, select, update

from pipelines import db
from pipelines.desk.models import ROLES, login_attempts, sessions, users

SESSION_LIFETIME = timedelta(hours=10)      # one working day at most
# Idle timeout: a session nobody used for this long ends ($SERTIFLOW_DESK_IDLE_MINUTES).
IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SERTIFLOW_DESK_IDLE_MINUTES") or 30))
THROTTLE_WINDOW = timedelta(minutes=15)
THROTTLE_FAILURES = 5         # per user name and address
ADDRESS_FAILURES = 20         # per address, whatever the user names (password spraying)
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
    """The user these credentials log in, or None. The database steps and the hashing are
    separate functions so that the desk runs only `password_matches` in its hashing thread."""
    account = login_account(engine, username)
    if not password_matches(account, password):
        return None
    return accept_login(engine, account, password)


def login_account(engine, username: str):
    """The active account of this user name, or None."""
    username = (username or "").strip().lower()
    with engine.connect() as conn:
        row = conn.execute(select(users).where(users.c.username == username)).first()
    return row if row is not None and row.active else None


def password_matches(account, password: str) -> bool:
    """argon2 verification only (no database): an unknown name costs the same as a known one."""
    if account is None:
        try:
            _hasher.verify(_DUMMY_HASH, password or "")
        except VerificationError:
            pass
        return False
    try:
        return _hasher.verify(account.password_hash, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def accept_login(engine, account, password: str) -> User:
    """After a match: store a rehash if the parameters changed (hashed before the write
    transaction, which must not be held through ~0.4 s of hashing)."""
    if _hasher.check_needs_rehash(account.password_hash):
        rehashed = _hasher.hash(password)
        with engine.begin() as conn:
            conn.execute(update(users).where(users.c.id == account.id).values(password_hash=rehashed))
    return _user(account)


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
        # Across user names from this address: failures since its last success.
        last_ok_ip = conn.execute(select(func.max(login_attempts.c.at)).where(
            login_attempts.c.ip == ip, login_attempts.c.success.is_(True), login_attempts.c.at >= since)).scalar()
        start_ip = max(since, db.aware(last_ok_ip)) if last_ok_ip else since
        from_address = conn.execute(select(login_attempts.c.at).where(
            login_attempts.c.ip == ip, login_attempts.c.success.is_(False), login_attempts.c.at > start_ip)
            .order_by(login_attempts.c.at)).scalars().all()
    waits = []
    # Free again when the oldest counted failure of the last N leaves the window.
    if len(failures) >= THROTTLE_FAILURES:
        waits.append(db.aware(failures[-THROTTLE_FAILURES]) + THROTTLE_WINDOW - db.now())
    if len(from_address) >= ADDRESS_FAILURES:
        waits.append(db.aware(from_address[-ADDRESS_FAILURES]) + THROTTLE_WINDOW - db.now())
    if not waits:
        return None
    return max(max(waits), timedelta(seconds=1))


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
                                             created_at=now, expires_at=now + min(IDLE_TIMEOUT, SESSION_LIFETIME),
                                             ip=ip))
    return token


def session_user(engine, token: str) -> User | None:
    if not token:
        return None
    token_hash = _token_hash(token)
    with engine.connect() as conn:
        row = conn.execute(select(users, sessions.c.expires_at, sessions.c.created_at.label("opened_at"))
                           .join(sessions, sessions.c.user_id == users.c.id)
                           .where(sessions.c.token_hash == token_hash)).first()
    now = db.now()
    if row is None or not row.active or db.aware(row.expires_at) < now:
        return None
    # Sliding idle timeout, never past the session's lifetime; written at most once a minute.
    renewed = min(now + IDLE_TIMEOUT, db.aware(row.opened_at) + SESSION_LIFETIME)
    if renewed - db.aware(row.expires_at) > timedelta(minutes=1):
        with engine.begin() as conn:
            conn.execute(update(sessions).where(sessions.c.token_hash == token_hash).values(expires_at=renewed))
    return _user(row)


def close_session(engine, token: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.token_hash == _token_hash(token)))


# --------------------------------------------------------------------------- administration

def _account(conn, username: str):
    row = conn.execute(select(users).where(users.c.username == (username or "").strip().lower())).first()
    if row is None:
        raise AccountError(f"Pengguna {username} tidak ada.")
    return row


def set_active(engine, username: str, active: bool, actor: str) -> None:
    """Deactivate (its sessions end at once) or reactivate an account."""
    with engine.begin() as conn:
        row = _account(conn, username)
        conn.execute(update(users).where(users.c.id == row.id).values(active=active))
        if not active:
            conn.execute(delete(sessions).where(sessions.c.user_id == row.id))
        db.record_event(conn, "pengguna_diaktifkan" if active else "pengguna_dinonaktifkan", actor=actor,
                        pengguna=row.username)


def reset_password(engine, username: str, password: str | None, actor: str) -> str:
    """Set a new password (a random one when None, to hand over once); its sessions end."""
    password = password or secrets.token_urlsafe(12)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"Kata sandi minimal {MIN_PASSWORD_LENGTH} karakter.")
    hashed = _hasher.hash(password)   # ~0.4 s of CPU: not while holding the write lock
    with engine.begin() as conn:
        row = _account(conn, username)
        conn.execute(update(users).where(users.c.id == row.id).values(
            password_hash=hashed, password_changed_at=db.now()))
        conn.execute(delete(sessions).where(sessions.c.user_id == row.id))
        db.record_event(conn, "kata_sandi_diatur_ulang", actor=actor, pengguna=row.username)
    return password


def change_role(engine, username: str, role: str, actor: str) -> None:
    if role not in ROLES:
        raise AccountError(f"Peran harus salah satu dari: {', '.join(ROLES)}.")
    with engine.begin() as conn:
        row = _account(conn, username)
        conn.execute(update(users).where(users.c.id == row.id).values(role=role))
        db.record_event(conn, "peran_diubah", actor=actor, pengguna=row.username, dari=row.role, menjadi=role)


# --------------------------------------------------------------------------- CSRF

def csrf_token(secret: bytes, binding: str) -> str:
    """A token bound to the session (or, before login, to the visitor cookie)."""
    return hmac.new(secret, b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret: bytes, binding: str, token: str | None) -> bool:
    return bool(binding and token) and hmac.compare_digest(csrf_token(secret, binding), token)
