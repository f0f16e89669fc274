"""The shared corpus `bnsp-requests-v1` (26 request mails as LSPs send them) through the real
pipeline: Dovecot IMAP in, SMTP out, SQLite, the documents written. Each mail's dossier is
compared with what a careful officer would decide (expected.json; vocabulary in its README),
and no completion request may ask for anything that is not wrong."""
from __future__ import annotations

import email
import re
from email import policy
from pathlib import Path

import pytest
from docx import Document as Docx

from tests.corpus.harness import SHARED_CORPUS, load_corpus, registry_rows, run_mails

pytestmark = pytest.mark.skipif(not (SHARED_CORPUS / "expected.json").exists(),
                                reason=f"shared corpus not found at {SHARED_CORPUS}")

MAILS, EXPECTED, LSPS = load_corpus() if (SHARED_CORPUS / "expected.json").exists() else ({}, {}, {})


@pytest.fixture(scope="module")
def results(module_office_servers, tmp_path_factory):
    mailbox, smtp = module_office_servers
    return run_mails(MAILS, registry_rows(LSPS), tmp_path_factory.mktemp("bnsp-v1"), mailbox, smtp)


def _has_attachments(raw: bytes) -> bool:
    msg = email.message_from_bytes(raw, policy=policy.default)
    return any(True for _ in msg.iter_attachments())


def _docx_text(path: Path) -> str:
    doc = Docx(path)
    return "\n".join([p.text for p in doc.paragraphs] +
                     [c.text for t in doc.tables for row in t.rows for c in row.cells])


def test_every_mail_of_the_corpus_has_an_expectation():
    assert MAILS and set(MAILS) == set(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_outcome_as_a_careful_officer_decides(results, stem):
    want, got = EXPECTED[stem], results[stem]
    outcome = want["outcome"]
    assert got.mail_state == "done", f"{stem}: mail {got.mail_state} {got.mail_error}"
    problems = [f"[{f['severity']}] {f['code']}: {f['message']}" for f in got.findings]
    lines = got.completion_lines()
    context = f"{stem}: status {got.status!r}\nfindings:\n" + "\n".join(problems) + "\nmail:\n" + "\n".join(lines)
    if outcome == "complete":
        assert got.status == "menunggu_persetujuan", context
        assert {"lembar_persetujuan", "tanda_terima"} <= set(got.generated), context
        assert not got.replies, context
    elif outcome == "complete_or_review":
        assert got.status in ("menunggu_persetujuan", "perlu_pemeriksaan"), context
        assert not got.replies, context
    elif outcome == "incomplete":
        assert got.status == "menunggu_kelengkapan" and got.replies, context
    elif outcome == "incomplete_or_review":
        assert got.status in ("menunggu_kelengkapan", "perlu_pemeriksaan"), context
        assert bool(got.replies) == (got.status == "menunggu_kelengkapan"), context
    elif outcome == "flagged":
        said = [f["message"] for f in got.findings if f["severity"] in ("error", "warning")]
        assert any(all(m.lower() in s.lower() for m in want["mentions"]) for s in said), context
    elif outcome == "held":
        assert got.status == "ditahan" and not got.replies, context
    elif outcome == "ignored":
        assert got.dossier is None and not got.replies, context
    elif outcome == "duplicate":
        first = next(r for s, r in results.items() if s != stem and r.message_id == got.message_id)
        assert got.dossier is not None and got.dossier["id"] == first.dossier["id"], context
        assert len(got.replies) == len(first.replies) <= 1, context
    else:
        assert outcome == "any_but_crash", outcome

    if "reply_to_sender" in want:
        assert bool(got.replies) == want["reply_to_sender"], context
    if "competent" in want and got.status in ("menunggu_persetujuan", "perlu_pemeriksaan", "menunggu_kelengkapan"):
        assert got.dossier["facts"].get("competent_total") == want["competent"], context
    if want.get("mentions") and outcome in ("incomplete", "incomplete_or_review"):
        said = "\n".join(lines) if got.replies else "\n".join(f["message"] for f in got.findings)
        for m in want["mentions"]:
            assert m.lower() in said.lower(), context
    if "same_as" in want:
        other = results[want["same_as"]]
        assert other.dossier and got.dossier and other.dossier["id"] == got.dossier["id"], context
    if "no_file" in want:
        assert not Path(want["no_file"]).exists()
    if want.get("names_verbatim_in_docx"):
        text = "\n".join(_docx_text(p) for p in got.generated.values())
        assert got.generated, context
        names = [r.name for r in _roster_rows(got) if r.result == "K"]   # the annex lists who gets a blank
        assert names and all(n in text for n in names if n), context
    if want.get("no_formula_in_exports"):
        for p in got.generated.values():
            cells = _docx_text(p).splitlines()
            assert not any(c[:1] in "=+-@" for c in cells if c), (p, context)


def _roster_rows(got):
    from sqlalchemy import select

    from pipelines import db
    from pipelines.runtime import Runtime
    rt = Runtime.load(Path(got.generated[next(iter(got.generated))]).parents[3] / "sertiflow.yaml")
    with rt.engine.connect() as conn:
        return list(conn.execute(select(db.participants).where(db.participants.c.dossier_id == got.dossier["id"])))


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_no_completion_request_asks_for_what_is_not_wrong(results, stem):
    """Every line of a completion request is a true problem of that mail: a complete request gets
    none; an incomplete one only lines about what expected.json names; a mail without attachments
    only lines asking for the missing documents."""
    want, got = EXPECTED[stem], results[stem]
    lines = got.completion_lines()
    if want["outcome"] in ("complete", "complete_or_review", "held", "ignored", "duplicate"):
        assert lines == [], f"{stem}: {lines}"
        return
    if not lines:
        return
    if not _has_attachments(MAILS[stem]):
        assert all("belum dilampirkan" in line for line in lines), lines
        return
    mentions = [m.lower() for m in want.get("mentions", [])]
    if want["outcome"] == "any_but_crash" or not mentions:
        return   # expected.json says nothing about which problems are true here
    for line in lines:
        assert any(m in line.lower() for m in mentions), f"{stem}: a line about something not wrong: {line}"
    # one problem, one line: every line is a different problem
    assert len(lines) == len(set(lines)), lines


def test_completion_requests_close_with_the_office_contact_and_name_every_accepted_format(results):
    replies = [reply for r in results.values() for reply in r.replies]
    assert replies
    for reply in replies:
        body = reply.get_body(preferencelist=("plain",)).get_content()
        assert "Narahubung:" in body
        for fmt in ("PDF", "XLSX", "XLS", "CSV"):
            assert re.search(rf"\b{fmt}\b", body), fmt
        # dates in one long Indonesian form ("9 November 2026"), never 09-11-2026 or 2026-11-09
        assert not re.search(r"\b\d{1,2}[-/]\d{1,2}[-/]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b", body), body
