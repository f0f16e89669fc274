"""The header block of a raw mail, for the steps that only need its headers."""
from __future__ import annotations


def header_block(raw: bytes) -> bytes:
    """`raw` up to and including the first empty line. The email parsers stop reading headers
    there (or earlier), so parsing this gives the same headers as parsing all of `raw`, without
    splitting the attachments into lines as well (~10 times the work for a 25 KiB mail)."""
    crlf = raw.find(b"\r\n\r\n")
    end = len(raw) if crlf < 0 else crlf + 4
    # A bare "\n\n" counts only before that, so a CRLF mail is not scanned to its end for one.
    lf = raw.find(b"\n\n", 0, end)
    return raw[:lf + 2] if lf >= 0 else raw[:end]
