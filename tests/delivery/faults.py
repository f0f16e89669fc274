"""Small real socket servers that misbehave the way mail servers do in production.

* `ImapProxy` forwards to a real Dovecot, records the commands the client sends, can hide
  capabilities (MOVE) and can drop the connection right after the server confirmed a command
  (the confirmation never reaches the client).
* `SmtpTarpit` accepts connections and never says a word.
* `ScriptedSmtp` speaks SMTP by hand and fails at a chosen place: a 4xx/5xx reply, or it
  takes the whole message and closes the connection instead of answering 250.
"""
from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from email import message_from_bytes
from email.policy import default as default_policy

from tests.servers import LOCALHOST, free_port


class _Server:
    def __init__(self):
        self.port = free_port()
        self._listener = socket.create_server((LOCALHOST, self.port))
        self._listener.settimeout(0.2)
        self._stop = threading.Event()
        self._sockets: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self.host = LOCALHOST

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(timeout=5)
        for sock in [self._listener, *self._sockets]:
            with contextlib.suppress(OSError):
                sock.close()

    def _accept_loop(self):
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (socket.timeout, OSError):
                continue
            self._sockets.append(conn)
            threading.Thread(target=self._serve_safely, args=(conn,), daemon=True).start()

    def _serve_safely(self, conn):
        with contextlib.suppress(OSError):
            self.serve(conn)

    def serve(self, conn: socket.socket) -> None:
        raise NotImplementedError


class SmtpTarpit(_Server):
    """Accepts, never greets, never closes: a client without a timeout waits forever."""

    def __init__(self):
        super().__init__()
        self.connections = 0

    def serve(self, conn):
        self.connections += 1
        while not self._stop.is_set():
            time.sleep(0.1)


class ScriptedSmtp(_Server):
    """A minimal SMTP server. `fail` chooses what goes wrong:

    None          every mail accepted (250)
    "451"/"550"   the end of DATA is answered with that code (the mail is not taken)
    "drop"        the whole message is read and kept, then the connection is closed
                  instead of answering 250 (the client cannot know the server has it)
    "rcpt550"     every RCPT TO refused with 550
    """

    def __init__(self, fail: str | None = None, greet_first: int | None = None):
        super().__init__()
        self.fail = fail
        self.greet_first = greet_first   # later connections get no greeting at all (a tarpit)
        self.connections = 0
        self.data_commands = 0
        self.received: list[bytes] = []

    def message_ids(self) -> list[str]:
        return [str(message_from_bytes(raw, policy=default_policy)["Message-ID"]) for raw in self.received]

    def serve(self, conn):
        self.connections += 1
        if self.greet_first is not None and self.connections > self.greet_first:
            while not self._stop.is_set():
                time.sleep(0.1)
            return
        conn.settimeout(10)
        reader = conn.makefile("rb")

        def say(line: str):
            conn.sendall(line.encode() + b"\r\n")

        say("220 uji.example ESMTP")
        while True:
            line = reader.readline()
            if not line:
                return
            verb = line.split(b" ", 1)[0].strip().upper().split(b":")[0]
            if verb in (b"EHLO", b"HELO"):
                say("250-uji.example")
                say("250 8BITMIME")
            elif verb == b"MAIL":
                say("250 OK")
            elif verb == b"RCPT":
                say("550 5.1.1 tidak dikenal" if self.fail == "rcpt550" else "250 OK")
            elif verb == b"DATA":
                self.data_commands += 1
                say("354 lanjut")
                data = bytearray()
                while True:
                    chunk = reader.readline()
                    if not chunk or chunk == b".\r\n":
                        break
                    data += chunk[1:] if chunk.startswith(b"..") else chunk
                if self.fail == "drop":
                    self.received.append(bytes(data))
                    conn.shutdown(socket.SHUT_RDWR)
                    conn.close()
                    return
                if self.fail in ("451", "550"):
                    say(f"{self.fail} {'4.3.0 coba lagi nanti' if self.fail == '451' else '5.7.1 ditolak'}")
                    continue
                self.received.append(bytes(data))
                say("250 OK diterima")
            elif verb == b"RSET" or verb == b"NOOP":
                say("250 OK")
            elif verb == b"QUIT":
                say("221 sampai jumpa")
                return
            else:
                say("502 tidak dikenal")


class ImapProxy(_Server):
    """Forwards IMAP between a client and a real server.

    `commands` lists what clients sent (tag removed). `hide` drops words from CAPABILITY
    answers. `drop_after` ("UID COPY", "UID MOVE"): the first time the server answers OK to
    such a command, the connection is cut before that answer reaches the client."""

    def __init__(self, upstream_host: str, upstream_port: int, hide: tuple[str, ...] = (),
                 drop_after: str | None = None):
        super().__init__()
        self.upstream = (upstream_host, upstream_port)
        self.hide = tuple(h.upper() for h in hide)
        self.drop_after = drop_after.upper() if drop_after else None
        self.dropped = 0
        self.commands: list[str] = []
        self._lock = threading.Lock()

    def serve(self, client):
        server = socket.create_connection(self.upstream, timeout=30)
        self._sockets.append(server)
        watched: set[bytes] = set()
        threading.Thread(target=self._client_to_server, args=(client, server, watched), daemon=True).start()
        buffer = b""
        while True:
            data = server.recv(65536)
            if not data:
                break
            buffer += data
            *lines, buffer = buffer.split(b"\r\n")
            out = []
            for line in lines:
                tag = line.split(b" ", 1)[0]
                if tag in watched and line[len(tag):].startswith(b" OK"):
                    with self._lock:
                        drop = self.dropped == 0
                        self.dropped += drop
                    if drop:
                        client.sendall(b"".join(l + b"\r\n" for l in out))
                        for sock in (client, server):
                            with contextlib.suppress(OSError):
                                sock.shutdown(socket.SHUT_RDWR)
                                sock.close()
                        return
                out.append(self._strip_capabilities(line))
            client.sendall(b"".join(l + b"\r\n" for l in out))
        for sock in (client, server):
            with contextlib.suppress(OSError):
                sock.close()

    def _strip_capabilities(self, line: bytes) -> bytes:
        if not self.hide or b"CAPABILITY" not in line.upper():
            return line
        for word in self.hide:
            line = re.sub(rb"(?i) " + re.escape(word.encode()) + rb"(?=[ \]]|$)", b"", line)
        return line

    def _client_to_server(self, client, server, watched: set[bytes]):
        buffer = b""
        with contextlib.suppress(OSError):
            while True:
                data = client.recv(65536)
                if not data:
                    break
                buffer += data
                *lines, buffer = buffer.split(b"\r\n")
                for line in lines:
                    parts = line.split(b" ", 1)
                    if len(parts) == 2:
                        command = parts[1].decode(errors="replace")
                        with self._lock:
                            self.commands.append(command)
                        if self.drop_after and command.upper().startswith(self.drop_after + " "):
                            watched.add(parts[0])
                server.sendall(data)
        with contextlib.suppress(OSError):
            server.shutdown(socket.SHUT_WR)
