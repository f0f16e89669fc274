"""A page's words and layout text from pdfium's characters in C (pdfchars.c), when it has been built.

`scripts/setup.sh` builds it (`python -m pipelines.read.pdfchars`) with the system's C compiler
into `_pdfchars_<hash of the source>.so` beside the source, so a changed source is never served
by an old build. Without a compiler the layout reader runs the same loops in Python
(`layout._python_chars`, `layout._words` and `layout._compose`), about 2.5 ms slower a page.
"""
from __future__ import annotations

import ctypes
import functools
import hashlib
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

SOURCE = Path(__file__).with_name("pdfchars.c")
log = logging.getLogger(__name__)

UNSURE, OUT_OF_MEMORY, NOT_FINITE = -1, -2, -3


class _Calls(ctypes.Structure):
    """The pdfium functions the C loop calls, in pdfchars.c's `pdfium_calls` order."""
    _fields_ = [(name, ctypes.c_void_p) for name in (
        "get_text", "get_unicode", "is_hyphen", "is_generated", "loose_box",
        "font_size", "angle")]


class _ObjectCalls(ctypes.Structure):
    """The pdfium functions and constants the page-object walk uses, in pdfchars.c's `object_calls` order."""
    _fields_ = [(name, ctypes.c_void_p) for name in (
        "count_page_objects", "page_object", "object_type", "matrix", "count_form_objects",
        "form_object", "bounds", "stroke_width", "count_segments", "segment", "segment_type")] + [
        (name, ctypes.c_int) for name in ("path", "text", "form", "lineto")]


def library_path() -> Path:
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:12]
    return SOURCE.with_name(f"_pdfchars_{digest}.so")


def build(compiler: str | None = None) -> Path:
    """Compile pdfchars.c (atomically: concurrent builds each rename a whole file); builds of
    earlier sources are removed (a process that loaded one keeps it)."""
    target = library_path()
    compiler = compiler or os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if not compiler:
        raise RuntimeError("no C compiler (cc) found")
    fd, tmp = tempfile.mkstemp(prefix=".pdfchars.", suffix=".so", dir=target.parent)
    os.close(fd)
    try:
        subprocess.run([compiler, "-O2", "-std=c99", "-shared", "-fPIC", "-o", tmp, str(SOURCE)],
                       check=True, capture_output=True, text=True, timeout=120)
        os.replace(tmp, target)
        for old in target.parent.glob("_pdfchars_*.so"):   # builds of earlier sources
            if old != target:
                old.unlink(missing_ok=True)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


@functools.lru_cache(maxsize=1)
def _library():
    """(the C library, the pdfium calls of its character loop and of its page-object walk) or None
    when not built (or not loadable here)."""
    path = library_path()
    if not path.exists():
        log.info("pdfchars not built (%s): PDF characters are read in Python", path.name)
        return None
    try:
        import pypdfium2.raw as pdfium_c

        lib = ctypes.CDLL(str(path))
        lib.sertiflow_page_chars.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.c_double, ctypes.c_int,
                                             ctypes.POINTER(_Calls), ctypes.c_void_p, ctypes.c_void_p)
        lib.sertiflow_words.argtypes = (ctypes.c_int,) + (ctypes.c_void_p,) * 5
        lib.sertiflow_layout.argtypes = (ctypes.c_int,) + (ctypes.c_void_p,) * 3
        lib.sertiflow_page_objects.argtypes = (ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(_ObjectCalls))
        address = lambda f: ctypes.cast(f, ctypes.c_void_p).value  # noqa: E731
        calls = _Calls(*(address(getattr(pdfium_c, name)) for name in (
            "FPDFText_GetText", "FPDFText_GetUnicode", "FPDFText_IsHyphen",
            "FPDFText_IsGenerated", "FPDFText_GetLooseCharBox", "FPDFText_GetFontSize",
            "FPDFText_GetCharAngle")))
        object_calls = _ObjectCalls(*(address(getattr(pdfium_c, name)) for name in (
            "FPDFPage_CountObjects", "FPDFPage_GetObject", "FPDFPageObj_GetType", "FPDFPageObj_GetMatrix",
            "FPDFFormObj_CountObjects", "FPDFFormObj_GetObject", "FPDFPageObj_GetBounds",
            "FPDFPageObj_GetStrokeWidth", "FPDFPath_CountSegments", "FPDFPath_GetPathSegment",
            "FPDFPathSegment_GetType")), pdfium_c.FPDF_PAGEOBJ_PATH, pdfium_c.FPDF_PAGEOBJ_TEXT,
            pdfium_c.FPDF_PAGEOBJ_FORM, pdfium_c.FPDF_SEGMENT_LINETO)
        return lib, calls, object_calls
    except (OSError, AttributeError) as exc:
        log.warning("pdfchars could not be loaded (%s): PDF characters are read in Python", exc)
        return None


def available() -> bool:
    return _library() is not None


def page_objects(page_raw, upright: bool) -> tuple[bool, bool]:
    """`layout._page_objects` (may the page hold a ruled table, is all its text upright), given
    whether the page is unrotated. Needs `available()`."""
    lib, _, object_calls = _library()
    found = lib.sertiflow_page_objects(page_raw, int(upright), ctypes.byref(object_calls))
    return bool(found & 1), bool(found & 2)


def page_words(textpage_raw, count: int, height: float, upright: bool) -> list[tuple] | None:
    """The words `layout._words(layout._python_chars(...))` gives; None when unsure (see there).
    Needs `available()`."""
    chars = _page_chars(textpage_raw, count, height, upright)
    return None if chars is None else group_words(*chars[2:])


def page_text(textpage_raw, count: int, height: float, upright: bool) -> str | None:
    """The layout text `layout._compose([], page_words(...))` gives, all in C; None when unsure.
    Needs `available()`."""
    chars = _page_chars(textpage_raw, count, height, upright)
    return None if chars is None else layout_text(*chars[2:])


def _page_chars(textpage_raw, count: int, height: float, upright: bool):
    """The page's kept characters: (boxes, codes, their addresses, how many), the buffers
    returned to stay alive while their addresses are used; None when unsure."""
    lib, calls, _ = _library()
    size = max(count, 1)
    boxes, boxes_at = _buffer(32 * size)   # top, x0, x1, bottom: four doubles a character
    codes, codes_at = _buffer(4 * size)    # a uint32 a character
    kept = lib.sertiflow_page_chars(textpage_raw, count, height, int(upright), ctypes.byref(calls), boxes_at, codes_at)
    if kept == OUT_OF_MEMORY:
        raise MemoryError("pdfchars: no room for the page's characters")
    return None if kept == UNSURE else (boxes, codes, boxes_at, codes_at, kept)


def layout_text(boxes, codes, count: int) -> str | None:
    """`layout._compose([], group_words(boxes, codes, count))`, in C; None when unsure."""
    lib = _library()[0]
    text, text_at = _buffer(8 * max(count, 1) + 4)   # words and a blank between two: 2 * count + 1
    length = lib.sertiflow_layout(count, boxes, codes, text_at)
    if length == OUT_OF_MEMORY:
        raise MemoryError("pdfchars: no room to lay out the page's words")
    if length == NOT_FINITE:   # a box at infinity or NaN: the Python steps decide (they may raise)
        from pipelines.read.layout import _compose
        return _compose([], group_words(boxes, codes, count))
    return None if length == UNSURE else text[:4 * length].decode("utf-32-le")


def group_words(boxes, codes, count: int) -> list[tuple]:
    """Words (x0, x1, top, bottom, text) of `count` characters: `boxes` holds top, x0, x1, bottom
    of each, `codes` its code point (doubles and uint32: ctypes arrays or their addresses)."""
    lib = _library()[0]
    size = max(count, 1)
    word_boxes, word_boxes_at = _buffer(32 * size)
    spans, spans_at = _buffer(8 * size)
    ordered, ordered_at = _buffer(4 * size)
    words = lib.sertiflow_words(count, boxes, codes, word_boxes_at, spans_at, ordered_at)
    if words < 0:
        raise MemoryError("pdfchars: no room to group the page's words")
    text = ordered[:4 * count].decode("utf-32-le")
    flat = memoryview(word_boxes).cast("d")[:4 * words].tolist()
    starts = memoryview(spans).cast("i")[:2 * words].tolist()
    texts = [text[start:start + length] for start, length in zip(starts[0::2], starts[1::2])]
    return list(zip(flat[0::4], flat[1::4], flat[2::4], flat[3::4], texts))


def _buffer(size: int) -> tuple[bytearray, int]:
    """`size` zero bytes for the C reader to write into, and their address (a ctypes array costs
    ~8 us to make; the bytearray stays where it is while nobody resizes it)."""
    buffer = bytearray(size)
    return buffer, ctypes.addressof(ctypes.c_char.from_buffer(buffer))


if __name__ == "__main__":
    try:
        print(library_path() if library_path().exists() else build())
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", "") or exc
        print(f"pdfchars not built: {detail}", file=sys.stderr)
        sys.exit(1)
