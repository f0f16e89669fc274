"""Two pollers record the same new mail at once (a real Dovecot; SQLite and PostgreSQL): each
mail is recorded once, with its event; the poller that lost some mails of a chunk to the other
still records the rest of that chunk."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from pipelines import db
from pipelines.mail import ingest
from pipelines.mail.sources import open_source
from pipelines.runtime import Runtime
from tests.spine.office import office_settings, request


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'race.db'}"
    return request.getfixturevalue("pg_database_url")


def test_a_poller_that_loses_some_mails_records_the_others(tmp_path, mailbox, smtp_server, database_url,
                                                           monkeypatch):
    for i in range(12):
        mailbox.append(request(letter_number=f"{i + 1:03d}/LSP/X/2026", message_id=f"<race-{i}@lsp.example.id>"))
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump(office_settings(tmp_path / "out", mailbox, smtp_server,
                                                     database_url=database_url)))
    rt = Runtime.load(config)
    settings = rt.settings.mailboxes[0]
    monkeypatch.setattr(ingest, "RECORD_CHUNK", 5)   # the lost mails fall inside chunks

    first, other = open_source(settings), open_source(settings)
    all_uids = first.uids_after(0)
    taken_by_other = [all_uids[i] for i in (1, 5, 6, 11)]
    other.uids_after = lambda last: taken_by_other
    other_ids: list[int] = []
    fetch = first.fetch

    def fetch_after_the_other_poller(uids):
        # The first poller has listed the mail as new; the other records some of it meanwhile.
        other_ids.extend(ingest.ingest_new_mail(rt.engine, other, rt.settings.outputs_dir, numeric_uids=True))
        yield from fetch(uids)

    first.fetch = fetch_after_the_other_poller
    try:
        first_ids = ingest.ingest_new_mail(rt.engine, first, rt.settings.outputs_dir, numeric_uids=True)
    finally:
        first.close()
        other.close()

    with rt.engine.connect() as conn:
        mails = conn.execute(select(db.mails).order_by(db.mails.c.id)).mappings().all()
        received = conn.execute(select(db.events.c.mail_id, db.events.c.detail)
                                .where(db.events.c.action == "surel_diterima")).all()
    by_id = {m["id"]: m for m in mails}
    assert len(other_ids) == 4 and len(first_ids) == 8
    assert sorted(other_ids + first_ids) == sorted(by_id)              # every mail once, by one poller
    assert [by_id[i]["uid"] for i in other_ids] == taken_by_other
    assert [by_id[i]["uid"] for i in first_ids] == [u for u in all_uids if u not in taken_by_other]
    assert sorted(m["message_id"] for m in mails) == sorted(f"<race-{i}@lsp.example.id>" for i in range(12))
    assert sorted(mail_id for mail_id, _ in received) == sorted(by_id)   # one event a mail
    assert all(detail["uid"] == by_id[mail_id]["uid"] and detail["subject"] == by_id[mail_id]["subject"]
               for mail_id, detail in received)
    assert all(hashlib.sha256(Path(m["raw_path"]).read_bytes()).hexdigest() == m["fingerprint"] for m in mails)
    assert all(m["state"] == "received" and m["subject"].startswith("Permohonan") for m in mails)
    # Nothing new for either poller afterwards.
    again = open_source(settings)
    try:
        assert ingest.ingest_new_mail(rt.engine, again, rt.settings.outputs_dir, numeric_uids=True) == []
    finally:
        again.close()


def test_mail_fetched_before_the_mailbox_failed_is_recorded(tmp_path, mailbox, smtp_server, monkeypatch):
    from pipelines.mail.sources import SourceError

    for i in range(9):
        mailbox.append(request(letter_number=f"{i + 1:03d}/LSP/X/2026", message_id=f"<cut-{i}@lsp.example.id>"))
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump(office_settings(tmp_path / "out", mailbox, smtp_server)))
    rt = Runtime.load(config)
    monkeypatch.setattr(ingest, "RECORD_CHUNK", 5)
    source = open_source(rt.settings.mailboxes[0])
    fetch = source.fetch

    def connection_lost_after_seven(uids):
        for count, item in enumerate(fetch(uids)):
            if count == 7:
                raise SourceError("connection lost")
            yield item

    source.fetch = connection_lost_after_seven
    try:
        with pytest.raises(SourceError):
            ingest.ingest_new_mail(rt.engine, source, rt.settings.outputs_dir, numeric_uids=True)
    finally:
        source.close()
    with rt.engine.connect() as conn:
        recorded = conn.execute(select(db.mails.c.message_id).order_by(db.mails.c.id)).scalars().all()
    assert recorded == [f"<cut-{i}@lsp.example.id>" for i in range(7)]
    again = open_source(rt.settings.mailboxes[0])
    try:   # the next poll fetches only the two it did not get
        assert len(ingest.ingest_new_mail(rt.engine, again, rt.settings.outputs_dir, numeric_uids=True)) == 2
    finally:
        again.close()
