"""A crash between any two steps, then a rerun: one dossier, one email, one set of documents."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.faults import InjectedCrash
from tests.spine.office import LSP_PBD, LSP_TDN, make_office, request, without

POINTS = ["after_parse", "after_dossier", "after_read", "after_check", "after_write", "after_commit",
          "before_smtp_send", "after_smtp_send"]


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_office(tmp_path, mailbox, smtp_server)


def _assert_exactly_once(office):
    dossiers = {d["sender"]: d for d in office.dossiers()}
    assert len(office.dossiers()) == 2
    assert {s: d["status"] for s, d in dossiers.items()} == {
        LSP_PBD: "menunggu_kelengkapan", LSP_TDN: "menunggu_persetujuan"}
    # Exactly one completion email, to the incomplete request only.
    assert [m.rcpt_tos for m in office.smtp.messages] == [[LSP_PBD]]
    assert len(office.inbox_of(LSP_PBD)) == 1
    assert office.count(db.generated_files) == 2
    generated = sorted(p.name for p in (office.outputs / dossiers[LSP_TDN]["number"] / "dokumen").iterdir())
    assert generated == ["lembar_persetujuan.docx", "tanda_terima.docx"]
    assert office.count(db.documents) == 3 + 4
    assert office.count(db.outbox) == 1
    assert office.mailbox.count("INBOX") == 0


@pytest.mark.parametrize("point", POINTS)
def test_an_exception_at_each_step_then_a_rerun(office, monkeypatch, point):
    office.mailbox.append(request(LSP_PBD, without("keputusan.pdf")))
    office.mailbox.append(request(LSP_TDN))
    monkeypatch.setenv("SERTIFLOW_CRASH_AT", point)
    try:
        office.run()
    except InjectedCrash:
        pass  # the outbox crash escapes the run, as a real crash would
    monkeypatch.delenv("SERTIFLOW_CRASH_AT")
    office.run()
    office.run()
    _assert_exactly_once(office)


@pytest.mark.parametrize("point", ["after_dossier", "after_write", "before_smtp_send"])
def test_killing_the_process_at_a_step_then_a_rerun(office, point):
    script = ("import sys; from pipelines.poll import run_once; from pipelines.runtime import Runtime; "
              "run_once(Runtime.load(sys.argv[1]))")
    office.mailbox.append(request(LSP_PBD, without("keputusan.pdf")))
    office.mailbox.append(request(LSP_TDN))
    env = {**os.environ, "SERTIFLOW_CRASH_AT": point, "SERTIFLOW_CRASH_MODE": "kill"}
    killed = subprocess.run([sys.executable, "-c", script, str(office.config)], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, timeout=120)
    assert killed.returncode == 137
    env.pop("SERTIFLOW_CRASH_AT")
    for _ in range(2):
        again = subprocess.run([sys.executable, "-c", script, str(office.config)], cwd=PROJECT_ROOT, env=env,
                               capture_output=True, timeout=120)
        assert again.returncode == 0, again.stderr.decode()[-2000:]
    _assert_exactly_once(office)


def test_a_crash_while_the_smtp_server_has_the_mail_is_not_sent_twice_but_flagged(office, monkeypatch):
    office.mailbox.append(request(LSP_PBD, without("keputusan.pdf")))
    monkeypatch.setenv("SERTIFLOW_CRASH_AT", "after_smtp_send")
    with pytest.raises(InjectedCrash):
        office.run()
    monkeypatch.delenv("SERTIFLOW_CRASH_AT")
    office.run()
    assert len(office.smtp.messages) == 1
    with office.runtime().engine.connect() as conn:
        assert conn.execute(db.outbox.select()).mappings().one()["state"] == "uncertain"
        actions = [e.action for e in conn.execute(db.events.select())]
    assert "surel_status_tidak_pasti" in actions


def test_two_pollers_at_once_process_each_mail_once(office):
    script = ("import sys; from pipelines.poll import run_once; from pipelines.runtime import Runtime; "
              "run_once(Runtime.load(sys.argv[1]))")
    for i in range(6):
        number = f"{i + 1:03d}/LSP/X/2026"  # six different requests, not one letter sent again
        office.mailbox.append(request(LSP_PBD if i % 2 else LSP_TDN,
                                      without("keputusan.pdf", letter_number=number) if i % 2 else None,
                                      letter_number=number))
    env = {**os.environ, "SERTIFLOW_RENDER_WORKERS": "0"}
    pollers = [subprocess.Popen([sys.executable, "-c", script, str(office.config)], cwd=PROJECT_ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(3)]
    for poller in pollers:
        assert poller.wait(timeout=180) == 0, poller.stderr.read().decode()[-2000:]
    dossiers = office.dossiers()
    assert len(dossiers) == 6
    assert len({d["number"] for d in dossiers}) == 6
    assert sorted(d["status"] for d in dossiers) == ["menunggu_kelengkapan"] * 3 + ["menunggu_persetujuan"] * 3
    # Three completion requests to one LSP: all within its daily allowance, each sent once.
    assert len(office.smtp.to(LSP_PBD)) == 3
    with office.runtime().engine.connect() as conn:
        states = [r.state for r in conn.execute(db.mails.select())]
    assert states == ["done"] * 6
    assert office.mailbox.count("INBOX") == 0 and office.mailbox.count("Diproses") == 6


def test_a_poller_whose_claim_was_taken_over_keeps_the_dossier_the_other_opened(office, monkeypatch):
    """A poller stalls past the claim timeout; another takes the mail over and opens its dossier.
    When the first one goes on, the mail keeps that dossier: no second dossier, no serial used."""
    from pipelines import process
    from pipelines.poll import fetch_new

    office.mailbox.append(request(LSP_TDN))
    rt = office.runtime()
    fetch_new(rt, "blanko")
    with rt.engine.connect() as conn:
        mail_id = conn.execute(db.mails.select()).mappings().one()["id"]
    thread_dossier = process._thread_dossier
    taken_over = []

    def the_other_poller_opens_it_meanwhile(rt_, content):
        monkeypatch.setattr(process, "_thread_dossier", thread_dossier)
        taken_over.append(process._open_dossier(rt_, mail_id, content, process.classify(content, rt_.rules),
                                                "blanko")[0])
        return thread_dossier(rt_, content)

    monkeypatch.setattr(process, "_thread_dossier", the_other_poller_opens_it_meanwhile)
    office.run()
    dossiers = office.dossiers()
    assert [d["id"] for d in dossiers] == taken_over
    assert dossiers[0]["number"].endswith("-000001") and dossiers[0]["status"] == "menunggu_persetujuan"
    with rt.engine.connect() as conn:
        assert conn.execute(db.mails.select()).mappings().one()["dossier_id"] == taken_over[0]
        opened = [e for e in conn.execute(db.events.select()) if e.action == "berkas_dibuat"]
    assert len(opened) == 1
