"""Attachment file names made safe: a single path component, printable, unique in the mail."""
from __future__ import annotations

import re
import unicodedata

MAX_NAME = 120
_BAD = re.compile(r'[\x00-\x1f\x7f-\x9f<>:"|?*\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]')


def sanitise_filename(name: str, fallback_ext: str = "bin", index: int = 1) -> str:
    """Strip path parts, control and reserved characters, leading dots; cap the length."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _BAD.sub("", name)
    name = re.sub(r"\s+", " ", name).strip()
    name = name.lstrip(". ").rstrip(". ")
    if not name or set(name) <= {"."}:
        name = f"lampiran-{index}.{fallback_ext}" if fallback_ext else f"lampiran-{index}"
    if len(name) > MAX_NAME:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME - len(ext) - 1].rstrip(". ") + "." + ext
        else:
            name = name[:MAX_NAME].rstrip(". ")
    return name


def unique_name(name: str, taken: set[str]) -> str:
    """`name`, or `name (2).ext` etc. when the mail already holds that name (case-insensitive)."""
    if name.lower() not in taken:
        taken.add(name.lower())
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    n = 2
    while True:
        cand = f"{stem} ({n}).{ext}" if ext else f"{stem} ({n})"
        if cand.lower() not in taken:
            taken.add(cand.lower())
            return cand
        n += 1
