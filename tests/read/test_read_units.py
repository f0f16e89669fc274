"""Small pure pieces: Indonesian numbers and dates, sniffing, names, NIK parts."""
from __future__ import annotations

import datetime as dt

import pytest

from pipelines.read import sniff as sn
from pipelines.read.dates import find_dates, parse_date
from pipelines.read.names import sanitise_filename, unique_name
from pipelines.read.nik import province_codes
from pipelines.read.numbers import words_to_int
from pipelines.write.words import number_to_words_id as int_to_words


@pytest.mark.parametrize("words,n", [("satu", 1), ("sepuluh", 10), ("sebelas", 11), ("dua belas", 12),
                                     ("dua puluh lima", 25), ("seratus", 100), ("seratus dua puluh", 120),
                                     ("dua ratus lima puluh", 250), ("seribu", 1000),
                                     ("seribu dua ratus tiga puluh empat", 1234),
                                     ("dua ribu dua puluh enam", 2026), ("Dua Puluh  Lima", 25)])
def test_number_words(words, n):
    assert words_to_int(words) == n


def test_number_words_roundtrip_and_rejects():
    assert all(words_to_int(int_to_words(i)) == i for i in range(0, 3000))
    assert words_to_int("lembar") is None and words_to_int("") is None and words_to_int("puluh") is None


@pytest.mark.parametrize("text,iso", [
    ("Bandung, 12 Oktober 2026", "2026-10-12"), ("12 Okt 2026", "2026-10-12"), ("1 Nopember 2025", "2025-11-01"),
    ("tgl 05-10-2026", "2026-10-05"), ("5/10/2026", "2026-10-05"), ("2026-10-05", "2026-10-05"),
    ("Pada hari ini Senin tanggal dua belas bulan Oktober tahun dua ribu dua puluh enam", "2026-10-12"),
    ("17 Agustus 1945", "1945-08-17"),
])
def test_indonesian_dates(text, iso):
    assert parse_date(text).isoformat() == iso


def test_impossible_dates_ignored():
    assert find_dates("31 Februari 2026 dan 32/13/2026") == []


@pytest.mark.parametrize("data,expected", [
    (b"%PDF-1.7\n", sn.PDF), (b"\x89PNG\r\n\x1a\n....", sn.PNG), (b"\xff\xd8\xff\xe0", sn.JPEG),
    (b"Rar!\x1a\x07\x00", sn.RAR), (b"7z\xbc\xaf\x27\x1c", sn.SEVEN_Z), (b"no;nama;nik\n1;a;2\n2;b;3\n", sn.CSV),
    (b"<html><body>x</body></html>", sn.HTML), (b"halo", sn.TEXT), (b"\x00\x01\x02", sn.OCTET), (b"", sn.OCTET),
])
def test_sniff(data, expected):
    assert sn.sniff(data) == expected


def test_sanitise_and_unique():
    assert sanitise_filename("..\\..\\x.pdf") == "x.pdf"
    assert sanitise_filename("\u202eevil\u202c.pdf") == "evil.pdf"
    assert sanitise_filename("  . ") == "lampiran-1.bin"
    taken = set()
    assert [unique_name(n, taken) for n in ["a.pdf", "A.pdf", "a.pdf"]] == ["a.pdf", "A (2).pdf", "a (3).pdf"]


def test_province_codes_are_real():
    codes = province_codes()
    assert {"11", "31", "32", "51", "94"} <= set(codes) and "10" not in codes and "99" not in codes
    assert all(11 <= int(c) <= 96 for c in codes)


def _zip_with(*names: str) -> bytes:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in names:
            zf.writestr(name, "x")
    return buf.getvalue()


def test_sniff_reuses_the_answer_only_for_the_same_bytes_object():
    """The mail walk and the reader sniff the same attachment: the second call reuses the first's
    answer, but only for that very object, never for other bytes (equal or not) nor a bytearray."""
    xlsx = _zip_with("[Content_Types].xml", "xl/workbook.xml")
    docx = _zip_with("[Content_Types].xml", "word/document.xml")
    plain = _zip_with("a.txt")
    for data, kind in [(xlsx, sn.XLSX), (xlsx, sn.XLSX), (docx, sn.DOCX), (plain, sn.ZIP), (xlsx, sn.XLSX),
                       (bytes(docx), sn.DOCX), (plain, sn.ZIP)]:
        assert sn.sniff(data) == kind
    changing = bytearray(xlsx)
    assert sn.sniff(changing) == sn.XLSX
    changing[:] = plain
    assert sn.sniff(changing) == sn.ZIP


@pytest.mark.parametrize("name, value", [
    ("Subject", "Permohonan Blanko"), ("Content-Transfer-Encoding", "base64 "),
    ("content-transfer-encoding", " Quoted-Printable\t"), ("Subject", "Permohonan  blanko  "),
    ("Subject", "Surat \udce2\udc80\udc94 LSP"), ("Content-Transfer-Encoding", "base64\udcff "),
    ("From", "Budi Santoso <budi@lsp.example.id>"), ("Subject", "Sertifikasi — ü"), ("X-Empty", ""),
])
def test_ascii_header_fast_path_equals_the_full_path(name, value):
    """mail.POLICY returns an ASCII header value at once: it must be what the full path (raw bytes
    decoded, the transfer encoding stripped, compat32's fetch) gives."""
    from email.policy import Compat32

    from pipelines.read.mail import POLICY, _SURROGATE_ESCAPE, _unsurrogate

    full = _unsurrogate(value) if _SURROGATE_ESCAPE.search(value) else value
    if name.lower() == "content-transfer-encoding":
        full = full.strip()
    expected = Compat32.header_fetch_parse(POLICY, name, full)
    got = POLICY.header_fetch_parse(name, value)
    assert type(got) is type(expected) and str(got) == str(expected)


def test_non_blank_character_count_is_what_split_keeps():
    """pdf._chars counts ASCII text without splitting it: the same count as the split, on every
    ASCII character alone and in random mixes, and on text beyond ASCII."""
    import random

    from pipelines.read.pdf import _chars

    rng = random.Random(7)
    ascii_ = [chr(i) for i in range(128)]
    texts = ascii_ + ["".join(rng.choice(ascii_) for _ in range(rng.randint(0, 200))) for _ in range(500)]
    texts += ["Skema\u00a0Junior \u2003Web\u2028Developer \x85 ok", "", "   \n\t "]
    for text in texts:
        assert _chars(text) == sum(map(len, text.split())), repr(text)


def test_tidy_without_a_run_to_squeeze_is_the_full_tidy():
    """pdf.tidy skips the space-run substitution where no run other than a single space exists:
    the same text as squeezing every run, on random mixes of spaces, tabs, line breaks and words."""
    import random
    import re

    from pipelines.read.pdf import tidy

    def full(text: str) -> str:
        return "\n".join(ln.strip() for ln in re.sub(r"[ \t]+", " ", text).splitlines())

    rng = random.Random(11)
    pieces = [" ", "  ", "\t", " \t ", "\n", "\r\n", "\x0b", "\x0c", "\u2028", "\xa0", "kata", "Skema:", "\f"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 60))) for _ in range(2000)]
    texts += ["satu dua\ntiga empat", " awal\nakhir ", "a\tb", "a  b", ""]
    for text in texts:
        assert tidy(text) == full(text), repr(text)
