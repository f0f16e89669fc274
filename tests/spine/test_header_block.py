"""Steps that need only a mail's headers parse its header block: the same headers as the whole mail."""
from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32, default

import pytest

from pipelines.mail.headers import header_block
from pipelines.mail.ingest import _header_facts
from tests.spine.office import request

CRLF = request(subject="Permohonan Blanko Sertifikat — Gelombang II " * 3, in_reply_to="<a@lsp.example.id>",
               headers={"References": " ".join(f"<{n}@lsp.example.id>" for n in range(12))})
SHAPES = {
    "crlf mail with attachments": CRLF,
    "lf only": CRLF.replace(b"\r\n", b"\n"),
    "no empty line at all": b"From: a@lsp.example.id\r\nSubject: tanpa isi\r\nMessage-ID: <c@x>",
    "a line that is no header ends the headers early": b"From: a@x\r\nnot a header\r\nSubject: s\r\n\r\nbody\r\n\r\n",
    "an empty line made of a lone LF after CRLF lines": b"From: a@x\r\nSubject: s\r\n\nbody\n\nmore",
    "old mac line ends": b"From: a@x\rSubject: s\r\rbody\r\n\r\nSubject: not a header",
}


@pytest.mark.parametrize("raw", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("policy", [compat32, default], ids=["compat32", "default"])
def test_the_header_block_parses_to_the_same_headers_as_the_whole_mail(raw, policy):
    whole = BytesHeaderParser(policy=policy).parsebytes(raw)
    block = BytesHeaderParser(policy=policy).parsebytes(header_block(raw))
    assert [(k, str(v)) for k, v in block.items()] == [(k, str(v)) for k, v in whole.items()]
    assert len(header_block(raw)) <= len(raw)


def test_recorded_header_facts_are_read_from_the_header_block():
    message_id, from_addr, subject, _ = _header_facts(CRLF)
    assert message_id.startswith("<") and from_addr == "admin@lsp-tdn.example.id"
    assert subject == "Permohonan Blanko Sertifikat — Gelombang II " * 3
    assert len(header_block(CRLF)) < len(CRLF) // 10


def test_the_header_block_ends_at_the_first_empty_line_of_either_kind():
    """Against the plain definition (the earliest CRLF CRLF or LF LF), on every short mix of the
    bytes that matter."""
    import itertools

    def earliest(raw: bytes) -> bytes:
        ends = [at + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (at := raw.find(mark)) >= 0]
        return raw[:min(ends)] if ends else raw

    for length in range(9):
        for parts in itertools.product((b"\r", b"\n", b"a"), repeat=length):
            raw = b"".join(parts)
            assert header_block(raw) == earliest(raw), raw
