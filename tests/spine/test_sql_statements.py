"""The SQL one complete blank request costs the pipeline. Every statement is a round trip and
SQLAlchemy work in the pipeline process (~54 a mail made up a third of its CPU in
bench/ingest_profile.py); a change that adds statements to the usual path shows up here."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from pipelines import db
from pipelines.mail.ingest import unfinished_mail
from pipelines.poll import fetch_new
from pipelines.process import process_mail
from tests.spine.office import make_office, request

# Measured after the statement cuts of 2026-12-01 (a fresh database; SQLite, where each
# transaction also sends its own BEGIN), plus a small margin.
MAX_STATEMENTS = 38


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_office(tmp_path, mailbox, smtp_server)


def test_a_complete_blank_request_takes_a_bounded_number_of_sql_statements(office):
    office.mailbox.append(request(letter_number="045/LSP-TDN/X/2026"))
    rt = office.runtime()
    assert fetch_new(rt, "blanko") == 1
    [mail_id] = unfinished_mail(rt.engine)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.split("\n")[0][:100])

    event.listen(rt.engine, "before_cursor_execute", count)
    try:
        outcome = process_mail(rt, mail_id)
    finally:
        event.remove(rt.engine, "before_cursor_execute", count)

    assert outcome == "menunggu_persetujuan"
    [dossier] = office.dossiers()
    assert dossier["status"] == "menunggu_persetujuan" and dossier["due_date"] is not None
    assert office.count(db.documents) == 4
    assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
