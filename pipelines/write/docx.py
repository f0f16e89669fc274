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

import copy
import io
import os
import re
import tempfile
import threading
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from glob import escape as glob_escape
from pathlib import Path
from typing import Any

from docx.oxml.ns import nsmap as DOCX_NAMESPACES
from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, Listing, RichText
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment
from lxml import etree

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


def atomic_write_bytes(out_path: Path, data: bytes, sync: bool = True) -> Path:
    """Write `data` so that `out_path` is either the old file or the complete new one.

    `sync=False` leaves the flush to disk to the caller (`flush_to_disk` at the end of a pass):
    the render workers serving every mail thread must not wait on the disk."""
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out_path.parent, prefix=f".{out_path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.replace(tmp, out_path)
        _remove_stale_temporaries(out_path, older_than=os.stat(out_path).st_mtime)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return out_path


def flush_to_disk(folder) -> None:
    """Flush everything written to `folder`'s filesystem to the disk: one syncfs(2) for a pass's
    files (the kept mail, the attachments, the documents and the database), where an fsync for
    each document on the mail's path cost ~0.6 ms of CPU and ~5 ms of waiting a mail. Elsewhere
    than Linux (no syncfs), sync(2) flushes every filesystem. A folder not made yet holds nothing
    to flush."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except FileNotFoundError:
        return
    try:
        if _syncfs is None or _syncfs(fd) != 0:
            os.sync()
    finally:
        os.close(fd)


def _load_syncfs():
    try:
        import ctypes
        import ctypes.util
        return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True).syncfs
    except (OSError, AttributeError):
        return None


_syncfs = _load_syncfs()


def _remove_stale_temporaries(out_path: Path, older_than: float) -> None:
    """Delete temporaries of `out_path` that a killed writer left behind.

    A crash between mkstemp and os.replace leaves `.<name>.<random>.tmp`; the rerun that writes the
    file again is the moment we know it is garbage. Only files older than our own write go, so a
    writer that is still busy keeps its file.
    """
    for leftover in out_path.parent.glob(f".{glob_escape(out_path.name)}.*.tmp"):
        try:
            if leftover.stat().st_mtime < older_than:
                leftover.unlink()
        except FileNotFoundError:
            pass


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


class CompiledDocx:
    """A DOCX template patched and compiled once, rendered many times into a copy of its package.

    docxtpl re-reads the package, re-patches the XML and re-compiles Jinja for every
    document (~50 ms here). Here the same steps run once per template file (patch_xml, the
    Jinja compile, the package without the parts that get rendered); a render is the Jinja
    render plus docxtpl's own post-processing (listing, tables, drawing ids), the body put
    back into the document element, and the rendered parts appended to a copy of the package.
    The text is what docxtpl writes (tests compare both). Contexts with images need docxtpl
    (it adds media parts to the package): `render_docx_bytes` sends those through docxtpl.
    """

    DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

    def __init__(self, data: bytes, env: SandboxedEnvironment):
        self.tpl = DocxTemplate(io.BytesIO(data))
        self.tpl.render_init()
        tpl = self.tpl
        props = tpl.docx.core_properties
        self.properties_are_templates = any("{" in (getattr(props, name) or "") for name in
                                            ("author", "comments", "identifier", "language", "subject", "title"))
        self.body = env.from_string(_with_paragraph_breaks(tpl.patch_xml(tpl.get_xml())))
        root = tpl.docx._element
        self.body_index = list(root).index(root.body)
        self.shell = copy.deepcopy(root)
        self.shell.remove(self.shell.body)
        self.document_name = tpl.docx.part.partname.lstrip("/")
        self.parts: list[tuple[str, Any, str]] = []    # (zip name, compiled template, encoding)
        for uri in (tpl.HEADER_URI, tpl.FOOTER_URI):
            for _key, part in tpl.get_headers_footers(uri):
                xml = tpl.get_part_xml(part)
                self.parts.append((part.partname.lstrip("/"), env.from_string(
                    _with_paragraph_breaks(tpl.patch_xml(xml))), tpl.get_headers_footers_encoding(xml)))
        for part in tpl.docx.part.package.parts:
            if part.content_type.endswith(".wordprocessingml.footnotes+xml"):
                xml = part.blob.decode("utf-8") if isinstance(part.blob, bytes) else part.blob
                self.parts.append((part.partname.lstrip("/"), env.from_string(
                    _with_paragraph_breaks(tpl.patch_xml(xml))), "utf-8"))
        rendered = {self.document_name, *(name for name, _, _ in self.parts)}
        base = io.BytesIO()
        with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(base, "w", zipfile.ZIP_DEFLATED) as out:
            for info in source.infolist():
                if info.filename not in rendered:
                    out.writestr(info, source.read(info))
        self.base = base.getvalue()

    def _finish(self, xml: str) -> str:
        """docxtpl's steps after the Jinja render (render_xml_part)."""
        xml = re.sub(r"\n<w:p([ >])", r"<w:p\1", xml)
        xml = xml.replace("{_{", "{{").replace("}_}", "}}").replace("{_%", "{%").replace("%_}", "%}")
        return self.tpl.resolve_listing(xml)

    def render(self, context: dict) -> bytes:
        body = self.tpl.fix_tables(self._finish(self.body.render(context)))
        for number, drawing in enumerate(body.xpath("//wp:docPr", namespaces=DOCX_NAMESPACES), start=1001):
            drawing.attrib["id"] = str(number)
        root = copy.deepcopy(self.shell)
        root.insert(self.body_index, body)
        out = io.BytesIO(self.base)
        out.seek(0, io.SEEK_END)
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as package:
            package.writestr(self.document_name, etree.tostring(root, encoding="UTF-8", standalone=True))
            for name, template, encoding in self.parts:
                package.writestr(name, self.DECLARATION + self._finish(template.render(context)).encode(encoding))
        return out.getvalue()


def _with_paragraph_breaks(xml: str) -> str:
    return re.sub(r"<w:p([ >])", r"\n<w:p\1", xml)


_COMPILED: dict[tuple[str, int, int], CompiledDocx] = {}
_COMPILED_LOCK = threading.Lock()


def compiled_template(template_path: Path) -> CompiledDocx:
    """The compiled template, cached by (path, mtime, size): an officer saving the DOCX in
    Word changes both, and the next render compiles the new file."""
    st = template_path.stat()
    key = (str(template_path.resolve()), st.st_mtime_ns, st.st_size)
    with _COMPILED_LOCK:
        compiled = _COMPILED.get(key)
    if compiled is None:
        compiled = CompiledDocx(template_path.read_bytes(), make_jinja_env())
        with _COMPILED_LOCK:
            for old in [k for k in _COMPILED if k[0] == key[0]]:
                del _COMPILED[old]
            if len(_COMPILED) >= 64:
                _COMPILED.clear()
            _COMPILED[key] = compiled
    return compiled


def _has_images(value: Any) -> bool:
    if isinstance(value, (Image, InlineImage)):
        return True
    if isinstance(value, dict):
        return any(_has_images(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_images(v) for v in value)
    return False


def render_docx_bytes(template_path: Path | str, context: dict) -> bytes:
    """Render a template to DOCX bytes (no file written)."""
    template_path = Path(template_path)
    compiled = compiled_template(template_path)
    if not _has_images(context) and not compiled.properties_are_templates:
        return compiled.render(_prepare(dict(context), compiled.tpl))
    return render_with_docxtpl(_template_bytes(template_path), context)


def render_with_docxtpl(template: bytes, context: dict) -> bytes:
    """docxtpl's own render (images; and the reference the compiled render is compared with)."""
    tpl = DocxTemplate(io.BytesIO(template))
    tpl.init_docx()
    ctx = _prepare(dict(context), tpl)
    tpl.render(ctx, jinja_env=make_jinja_env(), autoescape=True)
    buf = io.BytesIO()
    tpl.save(buf)
    return buf.getvalue()


def render_docx(template_path: Path | str, context: dict, out_path: Path | str, sync: bool = True) -> Path:
    """Render `template_path` with `context` and write it atomically to `out_path`.

    Raises jinja2 errors (e.g. UndefinedError for a missing value that the template
    prints) before anything is written.
    """
    data = render_docx_bytes(template_path, context)
    return atomic_write_bytes(Path(out_path), data, sync=sync)
