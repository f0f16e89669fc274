"""Shared fixtures: real mail servers (Dovecot IMAP, aiosmtpd SMTP delivering into Dovecot).

    dovecot        session   the running DovecotServer (host, port, new_account())
    mail_accounts  function  AccountBook: address -> fresh ImapAccount for this test only
    mailbox        function  ImapAccount of the office, blanko@bnsp.example.go.id (empty)
    smtp_server    function  SmtpView: host, port, messages, mailbox_of(address), reject(...)

Mail the SMTP server accepts lands in `mail_accounts[rcpt]`, the same accounts `mailbox`
and `smtp_server.mailbox_of()` return, so a test can send to the office and read it back.

When dovecot is missing the server tests are skipped, unless SERTIFLOW_REQUIRE_SERVERS=1
(set by .ci/run), in which case they fail.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Flows called in-process start Prefect's temporary server: keep it quiet and offline, and
# give its first start (database migrations) time on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

ROOT = Path(__file__).resolve().parent.parent
for _p in (str(ROOT), str(ROOT / "tests")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

from tests.servers import (  # noqa: E402
    AccountBook,
    DovecotServer,
    ServerUnavailable,
    SmtpServer,
    SmtpView,
)
from tests.pg import pg_database_url, postgres_cluster, postgres_url  # noqa: E402,F401  (PostgreSQL)

OFFICE_ADDRESS = "blanko@bnsp.example.go.id"


def _unavailable(reason: str):
    if os.environ.get("SERTIFLOW_REQUIRE_SERVERS") == "1":
        pytest.fail(f"{reason} (SERTIFLOW_REQUIRE_SERVERS=1: servers are required here)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def dovecot():
    """A standalone Dovecot on 127.0.0.1:<free port>, for the whole session."""
    try:
        server = DovecotServer()
        server.start()
    except ServerUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def mail_accounts(dovecot) -> AccountBook:
    """Address -> Dovecot account, fresh (empty) in every test."""
    return AccountBook(dovecot)


@pytest.fixture
def mailbox(mail_accounts):
    """The office mailbox (blanko@bnsp.example.go.id), empty at the start of the test.

    `.host .port .user .password .address`, `.append(raw, folder="INBOX")`,
    `.fetch_all(folder)`, `.folders()`, `.create_folder(name)`, `.count(folder)`,
    `.mailbox()` (a logged-in imap_tools MailBoxUnencrypted).
    """
    return mail_accounts.get(OFFICE_ADDRESS)


@pytest.fixture(scope="session")
def _smtp_controller(dovecot):
    try:
        server = SmtpServer().start()
    except ServerUnavailable as exc:
        _unavailable(str(exc))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server(_smtp_controller, mail_accounts) -> SmtpView:
    """SMTP on 127.0.0.1 delivering into this test's mailboxes.

    `.host .port`, `.messages` (ReceivedMail: mail_from, rcpt_tos, raw, message),
    `.to(address)`, `.mailbox_of(address)` -> ImapAccount, `.reject(*addresses)` (550 on RCPT).
    No TLS; AUTH PLAIN/LOGIN accepted with any credentials but not required.
    """
    _smtp_controller.reset(mail_accounts)
    try:
        yield SmtpView(_smtp_controller, mail_accounts)
    finally:
        _smtp_controller.reset(None)
