"""A pass claims a sender's next mails together, on a real Dovecot mailbox: one write
transaction for up to poll.CLAIM_TOGETHER mails instead of one a mail, each mail still worked
on by one poller only, in arrival order, and claims it did not use are given back."""
from __future__ import annotations

import socket
import subprocess

import pytest
from sqlalchemy import event, select, update

from pipelines import db, poll
from pipelines.poll import fetch_new
from tests.spine.office import LSP_TDN, make_office, request


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_office(tmp_path, mailbox, smtp_server)


def mails(office) -> list[dict]:
    with office.runtime().engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(db.mails).order_by(db.mails.c.id)).mappings()]


def test_a_senders_mails_are_claimed_together_and_each_is_processed_once(office):
    count = poll.CLAIM_TOGETHER + 4
    for i in range(count):
        office.mailbox.append(request(LSP_TDN, letter_number=f"{100 + i:03d}/LSP-TDN/XI/2026"))
    rt = office.runtime()
    claims: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("UPDATE MAILS SET") and "attempts" in statement:
            claims.append(statement)

    event.listen(rt.engine, "before_cursor_execute", record)
    try:
        summary = office.run()
    finally:
        event.remove(rt.engine, "before_cursor_execute", record)

    assert summary["outcomes"] == {"menunggu_persetujuan": count}
    assert len(claims) == 2                          # 16 + 4 mails, not one claim a mail
    rows = mails(office)
    assert [m["state"] for m in rows] == ["done"] * count and [m["attempts"] for m in rows] == [1] * count
    dossiers = office.dossiers()
    assert len(dossiers) == count                    # one dossier a request, none twice
    assert [d["number"] for d in dossiers] == sorted(d["number"] for d in dossiers)
    by_mail = {m["dossier_id"]: m["id"] for m in rows}
    assert [by_mail[d["id"]] for d in dossiers] == [m["id"] for m in rows]   # opened in arrival order


def test_a_pass_stopped_by_a_mail_another_poller_holds_gives_back_its_later_claims(office):
    for i in range(5):
        office.mailbox.append(request(LSP_TDN, letter_number=f"{200 + i:03d}/LSP-TDN/XI/2026"))
    rt = office.runtime()
    assert fetch_new(rt, "blanko") == 5
    third = mails(office)[2]["id"]
    other = subprocess.Popen(["sleep", "120"])   # a live poller on this machine holds the third mail
    try:
        with rt.engine.begin() as conn:
            conn.execute(update(db.mails).where(db.mails.c.id == third).values(
                claimed_by=f"{socket.gethostname()}:{other.pid}:run", claimed_at=db.now(), attempts=1))
        office.run()
        rows = mails(office)
        assert [m["state"] for m in rows] == ["done", "done", "received", "received", "received"]
        # the two after it wait for it, unclaimed and with no attempt counted, for whichever poller goes on
        assert [(m["claimed_by"] or "", m["attempts"]) for m in rows[3:]] == [("", 0), ("", 0)]
    finally:
        other.kill()
        other.wait()
    office.run()   # the other poller is gone: its claim is stale, the rest follows in order
    rows = mails(office)
    assert [m["state"] for m in rows] == ["done"] * 5
    dossiers = office.dossiers()
    by_mail = {m["dossier_id"]: m["id"] for m in rows}
    assert [by_mail[d["id"]] for d in dossiers] == [m["id"] for m in rows]
