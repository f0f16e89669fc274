"""Real mail servers for tests: a throw-away Dovecot (IMAP) and an aiosmtpd SMTP server.

Integration tests talk to real servers, never to mocks:

* `DovecotServer` runs a standalone Dovecot (own config, passwd-file with {PLAIN}
  passwords, no TLS) on 127.0.0.1 and a free port. Starting it takes ~0.05 s.
  `new_account()` hands out an unused login from the passwd-file (written ahead in
  batches), so every test gets empty mailboxes without restarting anything.
* `SmtpServer` is an aiosmtpd `Controller` on 127.0.0.1 that delivers every mail it
  accepts into the Dovecot mailbox of each recipient (over IMAP APPEND, before it
  answers 250), and keeps what it received for assertions.
* `AccountBook` maps mail addresses to Dovecot accounts for one test, so the
  address `blanko@bnsp.example.go.id` is a fresh, empty mailbox in every test.

The fixtures in `tests/conftest.py` wire these together.
"""
from __future__ import annotations

import atexit
import contextlib
import grp
import imaplib
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

MAIL_USER = "sertiflow-mail"     # system user owning the test mail storage (Dovecot refuses uid 0)
LOCALHOST = "127.0.0.1"
DEFAULT_PASSWORD = "rahasia-uji"


class ServerUnavailable(RuntimeError):
    """A server binary is missing; fixtures turn this into a skip (or a failure in CI)."""


def free_port(host: str = LOCALHOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(p)), None)


def ensure_mail_user(name: str = MAIL_USER) -> tuple[int, int]:
    """(uid, gid) of the mail storage user; created as a system user when running as root."""
    try:
        pw = pwd.getpwnam(name)
    except KeyError:
        if os.geteuid() != 0:
            raise ServerUnavailable(f"system user {name!r} is missing and we are not root to create it")
        subprocess.run(["useradd", "--system", "--user-group", "--no-create-home",
                        "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
                       check=False, capture_output=True)
        pw = pwd.getpwnam(name)   # raises if useradd failed (also fine if a parallel run created it)
    return pw.pw_uid, pw.pw_gid


# --------------------------------------------------------------------------- IMAP account


@dataclass
class ImapAccount:
    """One Dovecot login. `address` is the mail address it stands for in the test."""
    host: str
    port: int
    user: str
    password: str
    address: str = ""

    def connect(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(self.user, self.password)
        return conn

    @contextlib.contextmanager
    def imap(self):
        """A logged-in imaplib connection, logged out after."""
        conn = self.connect()
        try:
            yield conn
        finally:
            with contextlib.suppress(Exception):
                conn.logout()

    def mailbox(self, folder: str = "INBOX"):
        """A logged-in imap_tools `MailBoxUnencrypted` (use as a context manager)."""
        from imap_tools import MailBoxUnencrypted
        return MailBoxUnencrypted(self.host, self.port).login(self.user, self.password, folder)

    def append(self, raw: bytes, folder: str = "INBOX", flags: str = "",
               create: bool = True) -> None:
        """Store a raw RFC 5322 message in `folder` (created when missing)."""
        with self.imap() as conn:
            self._append(conn, raw, folder, flags, create)

    def append_many(self, raws, folder: str = "INBOX", flags: str = "", create: bool = True) -> int:
        """Store many raw messages over one connection; returns how many."""
        n = 0
        with self.imap() as conn:
            for raw in raws:
                self._append(conn, raw, folder, flags, create and n == 0)
                n += 1
        return n

    @staticmethod
    def _append(conn, raw: bytes, folder: str, flags: str, create: bool) -> None:
        if create and folder.upper() != "INBOX":
            conn.create(_quote(folder))  # fails harmlessly when it exists
        flag_arg = f"({flags})" if flags else None
        typ, data = conn.append(_quote(folder), flag_arg, None, _crlf(raw))
        if typ != "OK":
            raise RuntimeError(f"APPEND to {folder!r} failed: {data!r}")

    def fetch_all(self, folder: str = "INBOX") -> list[bytes]:
        """Raw bytes of every message in `folder`, in UID order (does not set \\Seen)."""
        with self.imap() as conn:
            typ, data = conn.select(_quote(folder), readonly=True)
            if typ != "OK":
                raise RuntimeError(f"SELECT {folder!r} failed: {data!r}")
            if int(data[0] or 0) == 0:
                return []
            typ, data = conn.uid("FETCH", "1:*", "(BODY.PEEK[])")
            if typ != "OK":
                raise RuntimeError(f"FETCH in {folder!r} failed: {data!r}")
            return [part[1] for part in data if isinstance(part, tuple)]

    def count(self, folder: str = "INBOX") -> int:
        with self.imap() as conn:
            typ, data = conn.status(_quote(folder), "(MESSAGES)")
            if typ != "OK":
                raise RuntimeError(f"STATUS {folder!r} failed: {data!r}")
            return int(re.search(rb"MESSAGES (\d+)", data[0]).group(1))

    def flags(self, folder: str = "INBOX") -> list[set[str]]:
        """The flags of each message in `folder`, in UID order."""
        with self.imap() as conn:
            conn.select(_quote(folder), readonly=True)
            typ, data = conn.uid("FETCH", "1:*", "(FLAGS)")
            out = []
            for line in data:
                if not line:
                    continue
                m = re.search(rb"FLAGS \(([^)]*)\)", line if isinstance(line, bytes) else line[0])
                if m:
                    out.append(set(m.group(1).decode().split()))
            return out

    def folders(self) -> list[str]:
        """Folder names (decoded from IMAP's modified UTF-7)."""
        with self.imap() as conn:
            typ, data = conn.list()
            names = []
            for line in data:
                if not line:
                    continue
                m = re.match(rb'\((?P<flags>[^)]*)\) (?P<delim>"[^"]*"|NIL) (?P<name>.+)$', line)
                if not m:
                    continue
                name = m.group("name").decode()
                if name.startswith('"') and name.endswith('"'):
                    name = name[1:-1].replace('\\"', '"').replace("\\\\", "\\")
                names.append(_utf7_decode(name))
            return sorted(names)

    def create_folder(self, name: str) -> None:
        with self.imap() as conn:
            typ, data = conn.create(_quote(name))
            if typ != "OK" and b"exists" not in b" ".join(d or b"" for d in data).lower():
                raise RuntimeError(f"CREATE {name!r} failed: {data!r}")

    def wait_for(self, count: int, folder: str = "INBOX", timeout: float = 10.0) -> list[bytes]:
        """Poll until `folder` holds at least `count` messages; returns them all."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.fetch_all(folder) if folder in self.folders() or folder == "INBOX" else []
            if len(msgs) >= count or time.monotonic() > deadline:
                return msgs
            time.sleep(0.05)


def _crlf(raw: bytes) -> bytes:
    """IMAP literals want CRLF line ends; factories and files often have bare LF."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _quote(folder: str) -> str:
    enc = _utf7_encode(folder)
    return '"' + enc.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _utf7_encode(s: str) -> str:
    import base64
    out, buf = [], []

    def flush():
        if buf:
            b = base64.b64encode("".join(buf).encode("utf-16-be")).decode().rstrip("=").replace("/", ",")
            out.append("&" + b + "-")
            buf.clear()

    for ch in s:
        if 0x20 <= ord(ch) <= 0x7E:
            flush()
            out.append("&-" if ch == "&" else ch)
        else:
            buf.append(ch)
    flush()
    return "".join(out)


def _utf7_decode(s: str) -> str:
    import base64

    def repl(m):
        b = m.group(1)
        if not b:
            return "&"
        b = b.replace(",", "/")
        b += "=" * (-len(b) % 4)
        return base64.b64decode(b).decode("utf-16-be")

    return re.sub(r"&([A-Za-z0-9+,]*)-", repl, s)


# --------------------------------------------------------------------------- Dovecot

DOVECOT_CONF = """\
# Standalone Dovecot for Sertiflow tests (generated; not Debian's conf.d).
protocols = imap
listen = {host}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
{plaintext_setting}
auth_mechanisms = plain login
default_login_user = {login_user}
default_internal_user = {internal_user}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Drafts {{
    special_use = \\Drafts
  }}
  mailbox Sent {{
    special_use = \\Sent
  }}
  mailbox Trash {{
    special_use = \\Trash
  }}
  mailbox Junk {{
    special_use = \\Junk
  }}
}}
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = {gid}
last_valid_gid = {gid}
mail_fsync = never
mail_privileged_group =
protocol imap {{
  mail_max_userip_connections = 1000
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  service_count = 0
  process_min_avail = 1
{login_chroot}
}}
"""


class DovecotServer:
    """A Dovecot IMAP server in its own directory; `start()`, `new_account()`, `stop()`."""

    POOL_SIZE = 2000

    def __init__(self, root: str | os.PathLike | None = None, host: str = LOCALHOST,
                 port: int | None = None):
        self.binary = dovecot_binary()
        if not self.binary:
            raise ServerUnavailable("dovecot is not installed (apt-get install dovecot-imapd)")
        self.host = host
        self.port = port or free_port(host)
        # Everything lives in one directory the mail user can traverse, with a short path
        # (Dovecot's unix sockets must stay under 108 bytes). pytest's tmp dirs are 0700 root.
        self._own_root = root is None
        self.root = Path(root or tempfile.mkdtemp(prefix="sertiflow-dovecot-"))
        self.conf = self.root / "dovecot.conf"
        self.passwd = self.root / "passwd"
        self.log = self.root / "dovecot.log"
        self._counter = itertools.count(1)
        self._pool_end = 1
        self._lock = threading.Lock()
        self.accounts: dict[str, ImapAccount] = {}
        self.started = False

    @staticmethod
    def version() -> tuple[int, ...]:
        out = subprocess.run([dovecot_binary() or "dovecot", "--version"], capture_output=True,
                             text=True, check=True).stdout
        return tuple(int(x) for x in re.findall(r"\d+", out.split()[0])[:3])

    def start(self) -> "DovecotServer":
        if os.geteuid() == 0:
            uid, gid = ensure_mail_user()
            login_user, internal_user, login_chroot = "dovenull", "dovecot", ""
            for u in ("dovenull", "dovecot"):
                try:
                    pwd.getpwnam(u)
                except KeyError:
                    raise ServerUnavailable(f"system user {u!r} missing (is dovecot-core installed?)")
        else:  # unprivileged developer run: everything as ourselves
            uid, gid = os.getuid(), os.getgid()
            me = pwd.getpwuid(uid).pw_name
            login_user = internal_user = me
            login_chroot = "  chroot ="
        version = self.version()
        plaintext = ("auth_allow_cleartext = yes" if version >= (2, 4)
                     else "disable_plaintext_auth = no")
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        os.chown(self.root / "mail", uid, gid)
        self.passwd.write_text("")
        os.chmod(self.passwd, 0o644)
        self._grow_pool(wait=False)
        self.conf.write_text(DOVECOT_CONF.format(
            host=self.host, port=self.port, root=self.root, uid=uid, gid=gid,
            plaintext_setting=plaintext, login_user=login_user, internal_user=internal_user,
            login_chroot=login_chroot))
        # The master daemonises and its children keep inherited fds open: never capture
        # its output through a pipe (that would wait forever), send it to a file.
        with open(self.root / "startup.log", "wb") as out:
            proc = subprocess.run([self.binary, "-c", str(self.conf)], stdin=subprocess.DEVNULL,
                                  stdout=out, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            startup = (self.root / "startup.log").read_text(errors="replace")
            raise RuntimeError(f"dovecot did not start ({proc.returncode}): {startup}\n{self.log_text()}")
        self.started = True
        atexit.register(self.stop)
        try:
            wait_for_port(self.host, self.port)
        except OSError:
            self.stop()
            raise RuntimeError(f"dovecot is not listening on {self.host}:{self.port}\n{self.log_text()}")
        self._start_watchdog()
        return self

    def _master_pid(self, wait: float = 0.0) -> int | None:
        deadline = time.monotonic() + wait
        while True:
            try:
                return int((self.root / "run" / "master.pid").read_text().strip())
            except (OSError, ValueError):
                if time.monotonic() >= deadline:
                    return None
                time.sleep(0.005)

    def _start_watchdog(self) -> None:
        """Kill Dovecot and remove its directory when this process dies, even by SIGKILL.

        A tiny shell holds the read end of a pipe whose write end only we have; when we
        exit in any way the pipe closes, `cat` returns and the shell cleans up.
        """
        pid = self._master_pid(wait=5.0)
        if pid is None:
            return
        script = 'cat >/dev/null; kill -KILL "$0" 2>/dev/null; [ "$2" = 1 ] && rm -rf "$1"; exit 0'
        self._watchdog = subprocess.Popen(
            ["sh", "-c", script, str(pid), str(self.root), "1" if self._own_root else "0"],
            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")[-4000:]
        except OSError:
            return ""

    def _grow_pool(self, wait: bool) -> None:
        """Add POOL_SIZE unused logins to the passwd-file.

        Dovecot's auth process looks at the passwd-file at most once a second, so a line
        added just now may be unknown for up to a second: logins are therefore written
        ahead in batches (at start, and again when a batch runs out, then waiting 1.1 s).
        """
        start = self._pool_end
        self._pool_end += self.POOL_SIZE
        with open(self.passwd, "a") as f:
            f.writelines(f"u{n:05d}:{{PLAIN}}{DEFAULT_PASSWORD}::::::\n"
                         for n in range(start, self._pool_end))
        if wait:
            time.sleep(1.1)

    def new_account(self, address: str = "") -> ImapAccount:
        """A new, empty login (unique user name); `address` is only remembered."""
        with self._lock:
            n = next(self._counter)
            if n >= self._pool_end:
                self._grow_pool(wait=True)
            user = f"u{n:05d}"
            account = ImapAccount(self.host, self.port, user, DEFAULT_PASSWORD, address or user)
            self.accounts[user] = account
            return account

    def stop(self) -> None:
        if self.started:
            self.started = False
            pid = self._master_pid(wait=2.0)
            if pid:
                # A graceful SIGTERM costs Dovecot ~1.1 s; nothing here needs a clean shutdown.
                # On the master's death its children (login, auth, imap, log...) exit by themselves.
                children = _children(pid)
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline and any(_alive(p) for p in [pid, *children]):
                    time.sleep(0.005)
        watchdog = getattr(self, "_watchdog", None)
        if watchdog is not None:
            self._watchdog = None
            with contextlib.suppress(Exception):
                watchdog.stdin.close()
                watchdog.wait(timeout=5)
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    if int(f.read().rsplit(") ", 1)[-1].split()[1]) == pid:
                        out.append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie child of ours counts as gone
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][:1] != "Z"
    except OSError:
        return True


class AccountBook:
    """Address -> fresh Dovecot account, for the duration of one test."""

    def __init__(self, dovecot: DovecotServer):
        self.dovecot = dovecot
        self._by_address: dict[str, ImapAccount] = {}
        self._lock = threading.Lock()

    def get(self, address: str) -> ImapAccount:
        key = address.strip().lower()
        with self._lock:
            if key not in self._by_address:
                self._by_address[key] = self.dovecot.new_account(key)
            return self._by_address[key]

    __getitem__ = get

    def __contains__(self, address: str) -> bool:
        return address.strip().lower() in self._by_address

    def addresses(self) -> list[str]:
        return sorted(self._by_address)


# --------------------------------------------------------------------------- SMTP


@dataclass
class ReceivedMail:
    """What the SMTP server accepted: envelope and raw bytes as received."""
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    delivered_to: list[str] = field(default_factory=list)  # Dovecot logins it was stored in

    @property
    def message(self):
        import email
        from email import policy
        return email.message_from_bytes(self.raw, policy=policy.default)


class _DeliveringHandler:
    """aiosmtpd handler: store each mail in the recipients' Dovecot mailboxes, keep a copy."""

    def __init__(self):
        self.book: AccountBook | None = None
        self.messages: list[ReceivedMail] = []
        self.reject_rcpt: set[str] = set()
        self.errors: list[str] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.strip().lower() in self.reject_rcpt:
            return "550 5.1.1 Alamat tujuan tidak dikenal"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        mail = ReceivedMail(envelope.mail_from or "", list(envelope.rcpt_tos), raw)
        if self.book is not None:
            stored = b"Return-Path: <" + (envelope.mail_from or "").encode() + b">\r\n" + raw
            try:
                for rcpt in envelope.rcpt_tos:
                    account = self.book.get(rcpt)
                    account.append(stored)   # blocking, on purpose: delivered before we say 250
                    mail.delivered_to.append(account.user)
            except Exception as exc:  # pragma: no cover - surfaced by tests via .errors
                self.errors.append(repr(exc))
                return "451 4.3.0 Gagal menyimpan ke kotak surat"
        self.messages.append(mail)
        return "250 Message accepted for delivery"


class _AnyLogin:
    """Accept any AUTH PLAIN/LOGIN credentials (for clients that insist on logging in)."""

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult
        return AuthResult(success=True)


class SmtpServer:
    """aiosmtpd Controller on 127.0.0.1; deliver to Dovecot through `book` when set."""

    def __init__(self, host: str = LOCALHOST, port: int | None = None):
        try:
            from aiosmtpd.controller import Controller
        except ImportError as exc:  # pragma: no cover
            raise ServerUnavailable("aiosmtpd is not installed") from exc
        self.host = host
        self.port = port or free_port(host)
        self.handler = _DeliveringHandler()
        self._controller = Controller(
            self.handler, hostname=host, port=self.port, ready_timeout=10,
            authenticator=_AnyLogin(), auth_require_tls=False, auth_required=False)

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.handler.messages

    def start(self) -> "SmtpServer":
        self._controller.start()
        return self

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._controller.stop()

    def reset(self, book: AccountBook | None = None) -> None:
        self.handler.book = book
        self.handler.messages = []
        self.handler.reject_rcpt = set()
        self.handler.errors = []

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


@dataclass
class SmtpView:
    """What a test sees of the SMTP server (the `smtp_server` fixture)."""
    server: SmtpServer
    book: AccountBook

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def messages(self) -> list[ReceivedMail]:
        return self.server.messages

    @property
    def errors(self) -> list[str]:
        return self.server.handler.errors

    def mailbox_of(self, address: str) -> ImapAccount:
        """The Dovecot account mail to `address` is delivered to in this test."""
        return self.book.get(address)

    def reject(self, *addresses: str) -> None:
        """Make RCPT TO fail with 550 for these addresses (to provoke delivery errors)."""
        self.server.handler.reject_rcpt.update(a.strip().lower() for a in addresses)

    def to(self, address: str) -> list[ReceivedMail]:
        """Mails whose envelope recipients include `address`."""
        a = address.strip().lower()
        return [m for m in self.messages if a in (r.lower() for r in m.rcpt_tos)]


@contextlib.contextmanager
def served(app, host: str = LOCALHOST):
    """An ASGI app (the desk) served by uvicorn on a free port in a thread; yields its base URL."""
    import uvicorn

    port = free_port(host)
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(5)
