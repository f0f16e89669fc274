"""A peer's suite: real messages and PDFs nobody on this project wrote (../shared/corpora).

Every file goes through our readers without an exception, a hang or runaway memory, and gives
a result or a finding."""
from __future__ import annotations

import time

import pytest
from read_builders import corpora_dir

from pipelines.documents import Attachment, Document, MailContent
from pipelines.read import read_documents, sandbox, walk_message

CORPORA = corpora_dir()
pytestmark = pytest.mark.skipif(CORPORA is None, reason="../shared/corpora not present beside the project")


def _files(folder: str, pattern: str):
    if CORPORA is None:
        return []
    return sorted((CORPORA / folder).rglob(pattern))


MESSAGES = _files("imap_tools-messages", "*.eml")
PDFS = _files("pdfminer-samples", "*.pdf")


def test_corpora_are_there():
    assert len(MESSAGES) >= 100 and len(PDFS) >= 40


def test_every_message_walks():
    sandbox.pool().warm(1)  # worker start-up is not the message's time
    slow = []
    for path in MESSAGES:
        t = time.monotonic()
        mc = walk_message(path.read_bytes())
        took = time.monotonic() - t
        assert isinstance(mc, MailContent), path
        assert mc.text or mc.attachments or mc.findings or mc.headers, f"nothing from {path}"
        for a in mc.attachments:
            assert a.filename and "/" not in a.filename and not a.filename.startswith("."), (path, a.filename)
            assert a.media_type
        if took > 5:  # generous: the machine is shared
            slow.append((path.name, took))
    assert not slow


def test_known_messages_read_as_expected():
    by_name = {p.relative_to(CORPORA / "imap_tools-messages").as_posix(): p for p in MESSAGES}
    mc = walk_message(by_name["attachment_emails/attachment_message_rfc822.eml"].read_bytes())
    assert [a.origin for a in mc.attachments] == ["pesan terusan"]
    mc = walk_message(by_name["multi_charset/japanese_attachment.eml"].read_bytes())
    assert [a.filename for a in mc.attachments] == ["てすと.txt"]
    mc = walk_message(by_name["attachment_2_base64.eml"].read_bytes())
    assert not [f for f in mc.findings if f.is_error]


def test_every_pdf_reads_to_a_result_or_a_finding():
    docs = read_documents([Attachment(filename=p.name, data=p.read_bytes()) for p in PDFS])
    for path, doc in zip(PDFS, docs):
        assert isinstance(doc, Document), path
        assert doc.text.strip() or doc.findings, f"neither text nor finding for {path}"
    encrypted = {p.name: d for p, d in zip(PDFS, docs) if p.parent.name == "encryption"}
    needs_password = [n for n, d in encrypted.items() if any(f.code == "PDF_TERENKRIPSI" for f in d.findings)]
    assert len(needs_password) >= 5
