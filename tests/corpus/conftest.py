"""The shared corpus runs once per module through the real pipeline (Dovecot + SMTP)."""
from __future__ import annotations

import pytest

from tests.conftest import OFFICE_ADDRESS
from tests.servers import AccountBook, SmtpView


@pytest.fixture(scope="module")
def module_office_servers(dovecot, _smtp_controller):
    """(office mailbox, SmtpView) shared by the tests of one module."""
    book = AccountBook(dovecot)
    _smtp_controller.reset(book)
    try:
        yield book.get(OFFICE_ADDRESS), SmtpView(_smtp_controller, book)
    finally:
        _smtp_controller.reset(None)
