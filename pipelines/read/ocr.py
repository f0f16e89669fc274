"""OCR of scanned pages in Indonesian with the Tesseract command line (Debian tesseract-ocr-ind).

The CLI is called directly (no pytesseract): one process per page, with a timeout, one thread
(OMP_THREAD_LIMIT=1, so parallel workers do not fight over the two cores), TSV output for
word confidences.
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass

MIN_CONFIDENCE = 60.0   # mean word confidence below this: an officer must read the page
MIN_WORDS = 5


@dataclass
class OcrResult:
    text: str
    confidence: float   # mean word confidence, 0..100
    words: int
    error: str = ""

    @property
    def confident(self) -> bool:
        return not self.error and self.words >= MIN_WORDS and self.confidence >= MIN_CONFIDENCE


@functools.lru_cache(maxsize=1)
def available(lang: str = "ind") -> str:
    """"" when Tesseract with `lang` can run, else the reason (Indonesian, for findings)."""
    exe = shutil.which("tesseract")
    if not exe:
        return "program Tesseract tidak terpasang"
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=20)
    except Exception as exc:  # pragma: no cover
        return f"Tesseract tidak dapat dijalankan ({type(exc).__name__})"
    langs = set((out.stdout + out.stderr).split())
    if lang not in langs:
        return f"data bahasa '{lang}' untuk Tesseract tidak terpasang"
    return ""


def ocr_png(png: bytes, timeout: float, lang: str = "ind") -> OcrResult:
    reason = available(lang)
    if reason:
        return OcrResult("", 0.0, 0, reason)
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    # The page goes in on stdin, not through a temporary file: a reader worker killed at its
    # deadline (with its tesseract) left its temporary folder behind for good.
    try:
        proc = subprocess.run(["tesseract", "stdin", "stdout", "-l", lang, "--psm", "3", "tsv"],
                              input=png, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return OcrResult("", 0.0, 0, "waktu OCR habis")
    except Exception as exc:  # pragma: no cover
        return OcrResult("", 0.0, 0, f"OCR gagal ({type(exc).__name__})")
    if proc.returncode != 0:
        return OcrResult("", 0.0, 0, f"OCR gagal, kode keluar {proc.returncode}")
    return parse_tsv(proc.stdout.decode("utf-8", "replace"))


def parse_tsv(tsv: str) -> OcrResult:
    lines: dict[tuple, list[str]] = {}
    confs: list[float] = []
    for ln in tsv.splitlines()[1:]:
        cols = ln.split("\t")
        if len(cols) < 12 or cols[0] != "5":
            continue
        word = cols[11].strip()
        try:
            conf = float(cols[10])
        except ValueError:
            continue
        if not word or conf < 0:
            continue
        key = (int(cols[2]), int(cols[3]), int(cols[4]))  # block, paragraph, line
        lines.setdefault(key, []).append(word)
        confs.append(conf)
    text = "\n".join(" ".join(ws) for _, ws in sorted(lines.items()))
    mean = sum(confs) / len(confs) if confs else 0.0
    return OcrResult(text, mean, len(confs))
