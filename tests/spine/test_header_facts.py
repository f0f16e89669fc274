"""A recorded mail's Message-ID, From, Subject and Date are what the `default` email policy
decodes, whatever the shape of the header: the quick reading in ingest gives the same values
as reading every header through the policy, on made-up shapes and on real mail."""
from __future__ import annotations

import itertools
from email.parser import BytesHeaderParser
from email.policy import default
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from pipelines.mail.headers import header_block
from pipelines.mail.ingest import _header_facts
from tests.spine.office import request

CORPORA = Path(__file__).resolve().parents[3] / "shared" / "corpora"


def facts_through_the_policy(raw: bytes):
    """How ingest read the headers before: every value through the `default` policy."""
    try:
        headers = BytesHeaderParser(policy=default).parsebytes(header_block(raw))
        message_id = str(headers.get("Message-ID", "") or "").strip()
        from_addr = str(headers.get("From", "") or "")[:320]
        subject = str(headers.get("Subject", "") or "")[:2000]
        try:
            date = parsedate_to_datetime(str(headers.get("Date", "")))
        except (TypeError, ValueError, IndexError):
            date = None
        return message_id[:998], from_addr, subject, date
    except Exception:
        return "", "", "", None


MESSAGE_IDS = [b"<a.b-c_d+e@lsp.example.id>", b"<A1@X>", b" <spaced@x.id> ", b"no-brackets@x.id",
               b"<a..b@x.id>", b"<.a@x.id>", b"<a@[10.0.0.1]>", b"<a b@x.id>", b"<a@x.id> (comment)",
               b"<\"quoted\"@x.id>", b"<a@x.id><b@x.id>", b"", b"<>", b"<a@x.id", b"<caf\xc3\xa9@x.id>",
               b"<a@x.id>\r\n", b"\r\n <folded@x.id>", b"<=?utf-8?q?a?=@x.id>"]
FROMS = [b"LSP Teknologi Digital Nusantara <admin@lsp-tdn.example.id>", b"admin@lsp.example.id",
         b"ADMIN@LSP.Example.ID", b"<admin@lsp.example.id>", b"\"LSP, Cabang Bandung\" <a@lsp.id>",
         b"\"Budi Santoso\" <b@lsp.id>", b"Budi  Santoso <b@lsp.id>", b"Budi Santoso <b@lsp.id> ",
         b"Dr. Budi <b@lsp.id>", b"b@lsp.id (Budi Santoso)", b"=?utf-8?q?Bud=C3=AD?= <b@lsp.id>",
         b"=?UTF-8?B?TFNQIEvDtm1wZXRlbnNp?= <lsp@x.id>", b"=?iso-8859-1?q?Jos=E9?= <j@x.id>",
         b"Budi <b@lsp.id>, Ani <a@lsp.id>", b"Tim: a@x.id, b@x.id;", b"undisclosed-recipients:;",
         b"Budi Santoso\r\n <b@lsp.id>", b"Bud\xc3\xad <b@lsp.id>", b"Bud\xed <b@lsp.id>", b"@", b"<<a@b>",
         b"", b"Budi <b@lsp.id", b"Budi\t<b@lsp.id>", b"a.b+c@x-y.id", b"=?utf-8?q?broken <b@x.id>",
         b"Budi 2 <b@lsp.id>", b"-a-@-x-", b"a@x.id, ", b"Budi Santoso <b@lsp.id> (kantor)"]
SUBJECTS = [b"Permohonan Blanko Sertifikat - LSP TDN - 0001/BENCH/XI/2026",
            b"Permohonan Blanko Sertifikat - LSP TDN -\r\n 0001/BENCH/XI/2026",
            b"Permohonan\r\n\t(tab folded)", b"  leading and trailing  ", b"double  space",
            b"=?utf-8?q?Permohonan_Blanko_=E2=80=94_Gelombang_II?=",
            b"=?UTF-8?B?UGVybW9ob25hbiDigJQgR2Vsb21iYW5nIElJ?=",
            b"=?utf-8?q?a?= =?utf-8?q?b?=", b"=?utf-8?q?a?=\r\n =?utf-8?q?b?=", b"Re: =?utf-8?q?caf=C3=A9?= ok",
            b"a=?utf-8?q?b?=c", b"=?utf-8?q?unterminated", b"=?bogus-charset?q?x?=", b"=?utf-8?x?y?=",
            b"Perm\xc3\xb6hon\xc3\xa0n", b"Perm\xf6hon", b"tab\there", b"", b"=?", b"?=", b"x" * 2100,
            b"Permohonan Blanko Sertifikat \xe2\x80\x94 Gelombang II " * 3, b"ctrl\x01char", b"Re:\r\n\r\n"]
DATES = [b"Mon, 10 Mar 2025 09:00:00 +0700", b"10 Mar 2025 09:00:00 +0700", b"Mon, 10 Mar 25 09:00 +0700",
         b"Mon, 10 Mar 2025 09:00:00 -0000", b"Mon, 10 Mar 2025 09:00:00 GMT", b"Mon, 10 Mar 2025 09:00:00 WIB",
         b"Mon, 10 Mar 2025 09:00:00", b"Mon, 10 Mar 2025 09:00:00 +0700 (WIB)",
         b"Mon, 10 Mar 2025\r\n 09:00:00 +0700", b"Mon, 32 Mar 2025 09:00:00 +0700", b"kemarin", b"",
         b"Mon, 10 Mar 2025 25:61:61 +0700", b"Mon, 10 Mar 2025 09:00:00 +9999", b"2025-03-10T09:00:00+07:00",
         b"Mon, 10 Mar 0001 09:00:00 +0700", b"Mon, 10 Mar 99999 09:00:00 +0700", b"Sen, 10 Mar 2025 09:00:00 +0700",
         b"Mon, 10 Mar 2025 09:00:00 +07\xc3\xa000"]


def mail(headers: list[tuple[bytes, bytes]], line_end: bytes = b"\r\n") -> bytes:
    return line_end.join(name + b": " + value for name, value in headers) + line_end * 2 + b"isi\r\n"


def made_up_shapes():
    for value in MESSAGE_IDS:
        yield mail([(b"From", b"a@x.id"), (b"Message-ID", value), (b"Subject", b"s")])
    for value in FROMS:
        yield mail([(b"From", value), (b"Subject", b"s")])
    for value in SUBJECTS:
        yield mail([(b"Subject", value), (b"From", b"a@x.id")])
    for value in DATES:
        yield mail([(b"Date", value), (b"Subject", b"s")])
    for message_id, from_addr, subject, date in itertools.islice(
            zip(itertools.cycle(MESSAGE_IDS), itertools.cycle(FROMS), itertools.cycle(SUBJECTS),
                itertools.cycle(DATES)), 300):
        yield mail([(b"message-id", message_id), (b"FROM", from_addr), (b"subject", subject), (b"Date", date)])
    # Duplicated headers (the first counts), missing ones, LF line ends, no body.
    yield mail([(b"Subject", b"first"), (b"Subject", b"=?utf-8?q?second?="), (b"From", b"a@x.id"),
                (b"From", b"b@x.id"), (b"Date", b"kemarin"), (b"Date", b"Mon, 10 Mar 2025 09:00:00 +0700")])
    yield mail([(b"X-Other", b"1")])
    yield mail([(b"From", b"Budi <b@lsp.id>"), (b"Subject", b"=?utf-8?q?caf=C3=A9?=")], line_end=b"\n")
    yield b"From: a@x.id\r\nSubject: tanpa isi\r\nMessage-ID: <c@x>"
    yield request(subject="Permohonan Blanko Sertifikat — Gelombang II " * 3, in_reply_to="<a@lsp.example.id>")


def real_mail():
    found = sorted(CORPORA.glob("**/*.eml"))
    if not found:
        pytest.skip(f"no corpora at {CORPORA}: the real mail cases are not run")
    return found


def test_made_up_header_shapes_decode_as_through_the_policy():
    shapes = list(made_up_shapes())
    assert len(shapes) > 350
    differ = [(raw[:200], _header_facts(raw), facts_through_the_policy(raw)) for raw in shapes
              if _header_facts(raw) != facts_through_the_policy(raw)]
    assert differ == []
    # The shapes reach what matters: decoded words, readable and unreadable dates, blank facts.
    facts = [_header_facts(raw) for raw in shapes]
    assert any(subject == "Permohonan Blanko — Gelombang II" for _, _, subject, _ in facts)
    assert any(from_addr == "Budí <b@lsp.id>" for _, from_addr, _, _ in facts)
    assert sum(date is None for *_, date in facts) > 10 and sum(date is not None for *_, date in facts) > 10
    assert ("", "", "", None) in facts   # a header the policy cannot read blanks them all, as before


def test_real_mail_headers_decode_as_through_the_policy():
    found = real_mail()
    differ = [(path.name, _header_facts(raw), facts_through_the_policy(raw))
              for path in found if _header_facts(raw := path.read_bytes()) != facts_through_the_policy(raw)]
    assert differ == []
    assert len(found) > 100


def test_bench_mail_headers_decode_as_through_the_policy():
    from bench.ingest import generate
    raws = generate(50)
    assert [_header_facts(raw) for raw in raws] == [facts_through_the_policy(raw) for raw in raws]
    assert _header_facts(raws[7])[2].endswith("- 0007/BENCH/XI/2026")
