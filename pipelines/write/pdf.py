"""DOCX -> PDF with headless LibreOffice, in batches.

One `soffice --convert-to pdf` call costs ~1 s of start-up and ~0.1 s per document, so
files go in batches (one soffice process per batch, up to `batch_size` files) and, on
a machine with 2 cores, two batches run side by side. Each running soffice has its own
user profile (LibreOffice refuses to share one between processes, and a shared profile
would hand our files to another running instance); profiles are reused between batches
of this Python process, because a fresh one costs ~1 s more, and thrown away after a
batch that failed. A profile is handed out again only after a batch on it succeeded, so no
two conversions ever use a profile that is still being created, and a forked child starts
a pool of its own.

On a fresh machine soffice sometimes crashes (exit 134, SIGABRT) while it creates its
profile: a batch that crashes is run again once, whole, on a fresh profile, before the
first file without a PDF is blamed.

soffice exits 0 even when an input failed to load, so every expected PDF is checked
(exists, starts with %PDF-, ends with %%EOF). Output is written to a staging folder
inside `out_dir` and moved into place, so `out_dir` never holds a half-written PDF.

When LibreOffice is not installed, `convert_to_pdf` returns None for every input and
callers keep the DOCX only.
"""
from __future__ import annotations

import atexit
import hashlib
import io
import logging
import math
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 180.0   # seconds per soffice process (one batch)
DEFAULT_BATCH_SIZE = 100  # files per soffice process


def soffice_path() -> str | None:
    """The LibreOffice binary, or None. SERTIFLOW_SOFFICE overrides the lookup."""
    override = os.environ.get("SERTIFLOW_SOFFICE")
    if override:
        return shutil.which(override)
    return shutil.which("soffice") or shutil.which("libreoffice")


def libreoffice_available() -> bool:
    return soffice_path() is not None


def default_workers() -> int:
    """Parallel soffice processes: one per core, at most 4."""
    return max(1, min(os.cpu_count() or 1, 4))


_OWN_PDFIUM_LOCK = threading.Lock()


def pdfium_lock() -> threading.Lock:
    """The process-wide lock around pdfium, which is not thread-safe: the readers' lock
    (pipelines.read serialises its in-process pdfium use with it), else our own."""
    try:
        from pipelines.read import _INPROCESS
        return _INPROCESS
    except Exception:  # noqa: BLE001 - readers absent or broken: still serialise ours
        return _OWN_PDFIUM_LOCK


# ---------------------------------------------------------------- profiles

class _ProfilePool:
    """Private LibreOffice user profiles, one per concurrently running soffice.

    Only profiles whose batch succeeded are free for reuse: a new one is created by its
    first soffice, and nobody else gets it before that soffice has finished."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._free: list[Path] = []
        self._root: Path | None = None
        self._pid = os.getpid()

    def _root_dir(self) -> Path:
        if self._root is None:
            # Named after this process, so a later run can clean up after a kill (conversions.py).
            self._root = Path(tempfile.mkdtemp(prefix=f"sertiflow-lo-{os.getpid()}-"))
            atexit.register(_remove_own_root, self._root, os.getpid())
        return self._root

    def _forget_parents(self) -> None:
        # A forked child inherits the parent's free list; the parent may be using those
        # profiles right now, so the child starts its own pool.
        if self._pid != os.getpid():
            self._pid, self._free, self._root = os.getpid(), [], None

    def acquire(self, fresh: bool = False) -> tuple[Path, bool]:
        """A profile and whether it is new (its first soffice creates it)."""
        with self._lock:
            self._forget_parents()
            if self._free and not fresh:
                return self._free.pop(), False
            return Path(tempfile.mkdtemp(prefix="profile-", dir=self._root_dir())), True

    def release(self, profile: Path, healthy: bool) -> None:
        if healthy:
            with self._lock:
                if self._root is not None and profile.parent == self._root:
                    self._free.append(profile)
        else:  # crashed or killed: lock files, half-written state and its socket; start afresh
            discard_profile(profile)


def discard_profile(profile: Path) -> None:
    """Remove a user profile with the socket its soffice left (one killed leaves it behind)."""
    shutil.rmtree(profile, ignore_errors=True)
    for pipe in office_pipes(profile):
        pipe.unlink(missing_ok=True)


def office_pipes(profile: Path) -> list[Path]:
    """Where soffice keeps its socket while it runs on a user profile; one killed leaves it behind.
    LibreOffice names it after the MD5 of the profile's URL in UTF-16, each byte in hex without
    padding, and puts it in /tmp (else /var/tmp) whatever TMPDIR says."""
    digest = "".join(format(byte, "x") for byte in hashlib.md5(profile.as_uri().encode("utf-16-le")).digest())
    name = f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_{digest}"
    return [Path(folder) / name for folder in ("/tmp", "/var/tmp")]


def _remove_own_root(root: Path, owner_pid: int) -> None:
    if os.getpid() == owner_pid:  # a forked child exiting leaves its parent's profiles alone
        shutil.rmtree(root, ignore_errors=True)


_PROFILES = _ProfilePool()


# ---------------------------------------------------------------- checks

def looks_like_docx(path: Path) -> bool:
    """Cheap sanity check before handing a file to LibreOffice, which would happily
    convert a broken .docx as plain text: a zip with a parseable word/document.xml."""
    try:
        with zipfile.ZipFile(path) as zf:
            with zf.open("word/document.xml") as fh:
                etree.parse(fh, etree.XMLParser(resolve_entities=False, no_network=True,
                                                huge_tree=False))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not a usable docx"
        return False


def is_valid_pdf(path: Path) -> bool:
    """Non-empty, with a PDF header and a trailer (a killed writer leaves neither)."""
    try:
        size = path.stat().st_size
        if size < 64:
            return False
        with open(path, "rb") as fh:
            head = fh.read(5)
            fh.seek(max(0, size - 1024))
            tail = fh.read()
        return head == b"%PDF-" and b"%%EOF" in tail
    except OSError:
        return False


# ---------------------------------------------------------------- one batch

@dataclass
class BatchOutcome:
    done: dict[Path, Path] = field(default_factory=dict)  # input -> final pdf
    missing: list[Path] = field(default_factory=list)     # inputs without a pdf, in order
    timed_out: bool = False
    returncode: int | None = None
    new_profile: bool = False                              # soffice had to create its profile
    stderr: str = ""
    seconds: float = 0.0


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _run_batch(soffice: str, inputs: list[Path], out_dir: Path, timeout: float,
               fresh_profile: bool = False) -> BatchOutcome:
    """Convert `inputs` with one soffice process; move good PDFs to out_dir."""
    outcome = BatchOutcome()
    profile, outcome.new_profile = _PROFILES.acquire(fresh=fresh_profile)
    staging = Path(tempfile.mkdtemp(prefix=".soffice-", dir=out_dir))
    healthy = False
    start = time.monotonic()
    cmd = [soffice, "--headless", "--norestore", "--nologo", "--nodefault",
           "--nolockcheck", f"-env:UserInstallation={profile.as_uri()}",
           "--convert-to", "pdf", "--outdir", str(staging), *[str(p) for p in inputs]]
    env = dict(os.environ)
    env.setdefault("LC_ALL", "C.UTF-8")  # non-ASCII file names
    env["SAL_USE_VCLPLUGIN"] = "svp"
    env["TMPDIR"] = str(profile.parent)   # its temporary files go with the profiles (also after a kill)
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, start_new_session=True, env=env)
        try:
            _, err = proc.communicate(timeout=timeout)
            outcome.returncode = proc.returncode
            outcome.stderr = err.decode("utf-8", "replace")[-4000:]
            healthy = proc.returncode == 0
        except subprocess.TimeoutExpired:
            outcome.timed_out = True
            _kill_group(proc)
            _, err = proc.communicate()
            outcome.stderr = err.decode("utf-8", "replace")[-4000:]
            log.warning("soffice timed out after %.1f s on a batch of %d files; killed",
                        timeout, len(inputs))
        finally:
            _kill_group(proc)  # stray children (javaldx, oosplash) never outlive the batch
        for src in inputs:
            produced = staging / (src.stem + ".pdf")
            if is_valid_pdf(produced):
                final = out_dir / produced.name
                os.replace(produced, final)
                outcome.done[src] = final
            else:
                outcome.missing.append(src)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        _PROFILES.release(profile, healthy)
        outcome.seconds = time.monotonic() - start
    return outcome


# ---------------------------------------------------------------- public

def _batches(items: list[Path], batch_size: int, workers: int) -> list[list[Path]]:
    """At most batch_size per batch, and at least `workers` batches when there is
    enough work to share."""
    if not items:
        return []
    size = max(1, min(batch_size, math.ceil(len(items) / workers)))
    return [items[i:i + size] for i in range(0, len(items), size)]


def convert_to_pdf(docx_paths: list[Path], out_dir: Path, timeout: float = DEFAULT_TIMEOUT,
                   *, batch_size: int = DEFAULT_BATCH_SIZE, workers: int | None = None,
                   retry_after_crash: bool = True) -> dict[Path, Path | None]:
    """Convert DOCX files to PDF in `out_dir` (named <stem>.pdf).

    Returns {input path: PDF path, or None when that file could not be converted, or
    for every file when LibreOffice is absent}. `timeout` is per soffice process (one
    batch of at most `batch_size` files); on timeout the process group is killed. A batch
    that crashes is first run again, whole, on a fresh profile (`retry_after_crash`): a
    first start of LibreOffice can abort while creating its profile. When a batch still
    dies (timeout, or a second crash), LibreOffice had converted the files in order: the
    first file without a PDF is blamed, and the files after it are retried once in a new
    batch (`retry_after_crash`).

    Two inputs with the same stem would write the same PDF: that is refused.
    """
    paths = list(dict.fromkeys(Path(p) for p in docx_paths))  # dedupe, keep order
    result: dict[Path, Path | None] = {p: None for p in paths}
    if not paths:
        return result
    stems: dict[str, Path] = {}
    for p in paths:
        other = stems.setdefault(p.stem, p)
        if other != p:
            raise ValueError(f"two inputs would both become {p.stem}.pdf: {other} and {p}")

    soffice = soffice_path()
    if soffice is None:
        log.info("LibreOffice not found: %d file(s) stay DOCX only", len(paths))
        return result

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = []
    for p in paths:
        if p.is_file() and looks_like_docx(p):
            todo.append(p.resolve())
        else:
            log.warning("not a readable DOCX, not converted: %s", p)
    resolved_to_given = {p.resolve(): p for p in paths}

    workers = workers or default_workers()
    batches = _batches(todo, batch_size, workers)

    def run(batch: list[Path]) -> list[BatchOutcome]:
        outcomes = [_run_batch(soffice, batch, out_dir, timeout)]
        last = outcomes[-1]
        crashed = last.missing and not last.timed_out and last.returncode != 0
        if crashed and retry_after_crash:
            log.warning("soffice exited %s%s; %d file(s) again on a fresh profile", last.returncode,
                        " while creating its profile" if last.new_profile else "", len(last.missing))
            outcomes.append(_run_batch(soffice, last.missing, out_dir, timeout, fresh_profile=True))
            last = outcomes[-1]
        if last.missing and (last.timed_out or last.returncode != 0):
            suspect = last.missing[0]
            log.warning("soffice %s on %s", "timed out" if last.timed_out
                        else f"exited {last.returncode}", suspect)
            rest = last.missing[1:]
            if rest and retry_after_crash:
                outcomes.append(_run_batch(soffice, rest, out_dir, timeout))
        return outcomes

    with ThreadPoolExecutor(max_workers=min(workers, max(1, len(batches)))) as pool:
        for batch, outcomes in zip(batches, pool.map(run, batches)):
            for outcome in outcomes:
                for src, pdf in outcome.done.items():
                    result[resolved_to_given[src]] = pdf
            lost = [src for src in batch if result[resolved_to_given[src]] is None]
            if lost and not outcomes[-1].timed_out:
                log.warning("no PDF for %d file(s); soffice said: %s",
                            len(lost), outcomes[-1].stderr.strip()[-500:])
    return result


def split_pdf(pdf_path: Path, page_ranges: list[tuple[int, int]], out_paths: list[Path]) -> list[Path]:
    """Write pages [start, end) of `pdf_path` to each out path (atomically).

    LibreOffice gives every page of a document ONE shared resource dictionary, so a
    naive split copies every image and font of the whole document into each part
    (270 KB instead of 25 KB for a certificate). With pikepdf, each page's resources
    are first cut down to what its content uses."""
    from pipelines.write.docx import atomic_write_bytes

    try:
        import pikepdf
    except ImportError:  # correct but bloated output
        return _split_pdf_pdfium(pdf_path, page_ranges, out_paths)

    written = []
    with pikepdf.open(pdf_path) as src:
        for page in src.pages:
            page.remove_unreferenced_resources()
        for (start, end), out in zip(page_ranges, out_paths, strict=True):
            with pikepdf.new() as dst:
                dst.pages.extend(src.pages[start:end])
                buf = io.BytesIO()
                dst.save(buf)
            written.append(atomic_write_bytes(Path(out), buf.getvalue()))
    return written


def _split_pdf_pdfium(pdf_path: Path, page_ranges, out_paths) -> list[Path]:
    import pypdfium2 as pdfium

    from pipelines.write.docx import atomic_write_bytes

    parts = []
    with pdfium_lock():
        src = pdfium.PdfDocument(str(pdf_path))
        try:
            for start, end in page_ranges:
                dst = pdfium.PdfDocument.new()
                try:
                    dst.import_pages(src, list(range(start, end)))
                    buf = io.BytesIO()
                    dst.save(buf)
                    parts.append(buf.getvalue())
                finally:
                    dst.close()
        finally:
            src.close()
    return [atomic_write_bytes(Path(out), data) for data, out in zip(parts, out_paths, strict=True)]
