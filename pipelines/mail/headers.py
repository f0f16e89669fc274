"""The header block of a raw mail, for the steps that only need its headers."""
from __future__ import annotations


def header_block(raw: bytes) -> bytes:
    """`raw` up to and including the first empty line. The email parsers stop reading headers
    there (or earlier), so parsing this gives the same headers as parsing all of `raw`, without
    splitting the attachments into lines as well (~10 times the work for a 25 KiB mail)."""
    ends = [at + len(mark) for mark in (b"\r\n\r\n", b"\n\n") if (at := raw.find(mark)) >= 0]
    return raw[:min(ends)] if ends else raw
