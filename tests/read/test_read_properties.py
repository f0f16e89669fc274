"""Property tests: whatever the bytes, the readers answer with a result or a finding."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from read_builders import attachment, participant_list_csv, participant_list_xlsx, request_mail

from pipelines.documents import Document, MailContent
from pipelines.read import read_document, walk_message
from pipelines.read.mail import walk

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID_MAIL = request_mail()
VALID_XLSX = participant_list_xlsx()
VALID_CSV = participant_list_csv()


@st.composite
def mutated(draw, base: bytes):
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 8))):
        op = draw(st.sampled_from(["flip", "cut", "insert", "delete"]))
        if not data:
            break
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] = draw(st.integers(0, 255))
        elif op == "cut":
            del data[i:]
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=64))
        else:
            del data[i:i + draw(st.integers(1, 256))]
    return bytes(data)


def _ok_mail(mc):
    assert isinstance(mc, MailContent)
    assert mc.text is not None and isinstance(mc.attachments, list) and isinstance(mc.findings, list)


@FAST
@given(st.binary(max_size=4096))
def test_walk_message_any_bytes(raw):
    _ok_mail(walk_message(raw))


@settings(max_examples=150, deadline=None)
@given(mutated(VALID_MAIL))
def test_walk_mutated_mail_in_process(raw):
    _ok_mail(walk(raw))


@FAST
@given(mutated(VALID_MAIL))
def test_walk_message_mutated_mail(raw):
    _ok_mail(walk_message(raw))


@FAST
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
       st.sampled_from(["multipart/mixed; boundary=", "text/html", "message/rfc822", "application/zip"]))
def test_walk_message_odd_headers_and_types(header_text, ctype):
    raw = (f"Subject: {header_text}\r\nContent-Type: {ctype}\r\nContent-Disposition: attachment; "
           f"filename*=UTF-8''{header_text[:40]}\r\n\r\n{header_text}").encode("utf-8", "surrogateescape")
    _ok_mail(walk_message(raw))


def _ok_doc(doc):
    assert isinstance(doc, Document)
    assert doc.roster is not None or doc.findings or doc.doc_type, doc


@FAST
@given(mutated(VALID_XLSX))
def test_spreadsheet_reader_mutated_xlsx(data):
    doc = read_document(attachment("daftar_peserta.xlsx", data))
    _ok_doc(doc)
    if doc.roster is None:
        assert doc.findings or doc.media_type not in (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)


@FAST
@given(mutated(VALID_CSV))
def test_spreadsheet_reader_mutated_csv(data):
    _ok_doc(read_document(attachment("daftar_peserta.csv", data)))


@FAST
@given(st.binary(max_size=2048))
def test_read_document_any_bytes(data):
    _ok_doc(read_document(attachment("daftar_peserta.xlsx", data)))
