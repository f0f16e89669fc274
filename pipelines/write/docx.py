"""DOCX rendering from docxtpl templates, always with autoescape.

Why autoescape: docxtpl pastes values into WordprocessingML. Without escaping, an `&`
in an LSP name silently vanishes and everything after a `<Ltd>` is lost while the file
still opens (see shared/MEASURED.md). With autoescape the text comes back exactly.

Values are also cleaned of characters XML 1.0 forbids (control characters other than
tab and newline), which would otherwise make Word refuse the file.

Images: put `Image(path_or_bytes, width_mm=...)` anywhere in the context; it becomes a
docxtpl `InlineImage` bound to the template being rendered.

Files are written atomically: a temp file in the target folder, fsync, `os.replace`.
"""
from __future__ import annotations

import io
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing, RichText
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from pipelines.write.words import format_date_id, format_datetime_id, number_to_words_id

# XML 1.0 allows \t \n \r and everything from U+0020 except surrogates, U+FFFE, U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Image:
    """An image to place in a document: a file path or PNG/JPEG bytes."""
    source: Path | str | bytes
    width_mm: float | None = None
    height_mm: float | None = None


class LenientTestUndefined(StrictUndefined):
    """Missing values may be tested (`{% if qr_image %}`) or looped over (nothing),
    but printing one, or reading an attribute of one, raises: a signed document must
    not come out with a silently empty name or number."""
    __slots__ = ()

    def __bool__(self) -> bool:
        return False

    def __iter__(self):
        return iter(())

    def __len__(self) -> int:
        return 0


def clean_text(value: str) -> str:
    """Drop characters that are illegal in XML; normalise CRLF to LF."""
    return _XML_ILLEGAL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))


def _filter_tanggal(value: Any, with_day: bool = False) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, (date, datetime)) or (isinstance(value, str) and re.match(r"^\d{4}-\d{2}-\d{2}", value)):
        return format_date_id(value, with_day=with_day)
    return str(value)  # already written out


def _filter_waktu(value: Any) -> str:
    if isinstance(value, datetime):
        return format_datetime_id(value)
    return _filter_tanggal(value)


def _filter_ribuan(value: Any) -> str:
    """1234567 -> "1.234.567" (Indonesian thousands separator)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}".replace(",", ".")
    return str(value)


class _CachingEnvironment(SandboxedEnvironment):
    """docxtpl compiles the whole document XML with `from_string` on every render
    (~7 ms for a one-page certificate); the compiled template depends only on the
    source, so keep the most recent ones."""

    _MAX = 64

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._compiled: dict[str, Any] = {}
        self._compiled_lock = threading.Lock()

    def from_string(self, source, globals=None, template_class=None):  # noqa: A002
        if globals is not None or template_class is not None or not isinstance(source, str):
            return super().from_string(source, globals, template_class)
        with self._compiled_lock:
            tmpl = self._compiled.get(source)
        if tmpl is None:
            tmpl = super().from_string(source)
            with self._compiled_lock:
                if len(self._compiled) >= self._MAX:
                    self._compiled.clear()
                self._compiled[source] = tmpl
        return tmpl


_ENV: SandboxedEnvironment | None = None


def make_jinja_env() -> SandboxedEnvironment:
    """The one Jinja environment for DOCX templates: sandboxed (officers edit
    templates in Word), autoescaped, strict about printing missing values.
    Shared by all renders in the process (it caches compiled templates)."""
    global _ENV
    if _ENV is None:
        _ENV = _new_env()
    return _ENV


def _new_env() -> SandboxedEnvironment:
    env = _CachingEnvironment(autoescape=True, undefined=LenientTestUndefined)
    env.filters["tanggal"] = _filter_tanggal
    env.filters["waktu"] = _filter_waktu
    env.filters["terbilang"] = number_to_words_id
    env.filters["ribuan"] = _filter_ribuan
    return env


def _prepare(value: Any, tpl: DocxTemplate) -> Any:
    """Clean strings, bind images, recurse into containers and plain objects' dicts."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Image):
        src = value.source
        if isinstance(src, bytes):
            src = io.BytesIO(src)
        else:
            src = str(src)
        return InlineImage(tpl, src,
                           width=Mm(value.width_mm) if value.width_mm else None,
                           height=Mm(value.height_mm) if value.height_mm else None)
    if isinstance(value, (InlineImage, RichText, Listing)):
        return value
    if isinstance(value, dict):
        return {k: _prepare(v, tpl) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_prepare(v, tpl) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {k: _prepare(getattr(value, k), tpl) for k in value.__dataclass_fields__}
    return value


def atomic_write_bytes(out_path: Path, data: bytes) -> Path:
    """Write `data` so that `out_path` is either the old file or the complete new one."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return out_path


_TEMPLATE_CACHE: dict[tuple[str, int, int], bytes] = {}


def _template_bytes(template_path: Path) -> bytes:
    """Template file contents, cached by (path, mtime, size) for bulk rendering."""
    st = template_path.stat()
    key = (str(template_path.resolve()), st.st_mtime_ns, st.st_size)
    data = _TEMPLATE_CACHE.get(key)
    if data is None:
        data = template_path.read_bytes()
        if len(_TEMPLATE_CACHE) > 32:
            _TEMPLATE_CACHE.clear()
        _TEMPLATE_CACHE[key] = data
    return data


def render_docx_bytes(template_path: Path | str, context: dict) -> bytes:
    """Render a template to DOCX bytes (no file written)."""
    tpl = DocxTemplate(io.BytesIO(_template_bytes(Path(template_path))))
    tpl.init_docx()
    ctx = _prepare(dict(context), tpl)
    tpl.render(ctx, jinja_env=make_jinja_env(), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def render_docx(template_path: Path | str, context: dict, out_path: Path | str) -> Path:
    """Render `template_path` with `context` and write it atomically to `out_path`.

    Raises jinja2 errors (e.g. UndefinedError for a missing value that the template
    prints) before anything is written.
    """
    data = render_docx_bytes(template_path, context)
    return atomic_write_bytes(Path(out_path), data)
