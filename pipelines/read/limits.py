"""Bounds on reading untrusted input. Generous for real dossiers, tight enough that a hostile
file costs seconds and a few hundred megabytes, never the whole run."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ReadLimits:
    # mail and archives
    max_attachments: int = 200             # files taken from one mail, after unpacking
    max_forward_depth: int = 3             # message/rfc822 inside message/rfc822 ...
    max_zip_depth: int = 2                 # a zip inside a zip is fine, one more level is not
    max_zip_files: int = 100               # members of one archive
    max_unpacked_bytes: int = 100 << 20    # per mail, all archives together
    max_zip_ratio: float = 100.0           # uncompressed / compressed, per member
    zip_ratio_floor: int = 1 << 20         # ratios only matter above this size
    # documents
    timeout_s: float = 20.0                # wall clock per document (or per mail) in the worker
    ocr_page_timeout_s: float = 25.0       # extra time granted per page sent to OCR
    hard_timeout_s: float = 180.0          # never more than this per document
    memory_mb: int = 768                   # address space granted to the worker beyond its start
    max_pages: int = 60                    # pages whose text is read
    max_ocr_pages: int = 8                 # pages OCRed per document
    ocr_dpi: int = 300
    max_render_pixels: int = 40_000_000    # a page bitmap larger than this is rendered smaller
    max_sheet_rows: int = 20_000
    max_text_chars: int = 500_000


DEFAULT_LIMITS = ReadLimits()
