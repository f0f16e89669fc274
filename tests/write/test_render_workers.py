"""The render worker process the mail path renders documents in: what it renders, its
errors reaching the caller, a worker that died replaced, none left after the pass."""
from __future__ import annotations

import os
import signal

import pytest

from pipelines.write import dossier as writing
from pipelines.write.render_worker import render_all


@pytest.fixture
def workers(monkeypatch):
    monkeypatch.delenv("SERTIFLOW_RENDER_WORKERS", raising=False)
    writing.close_render_pool()
    yield writing._render_pool()
    writing.close_render_pool()


def _fail(text: str):
    raise ValueError(text)


def test_the_worker_is_another_process_that_stays_for_the_next_document(workers):
    first = workers.call(os.getpid)
    assert first != os.getpid()
    assert workers.call(os.getpid) == first


def _meet(folder: str, me: str, other: str) -> int:
    """Say this call is running, wait (10 s at most) for the other call to say so too."""
    import time
    from pathlib import Path

    Path(folder, me).touch()
    deadline = time.monotonic() + 10
    while not Path(folder, other).exists():
        if time.monotonic() > deadline:
            return -1   # the other call did not run meanwhile: one after the other
        time.sleep(0.01)
    return os.getpid()


@pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one render worker on a single core")
def test_two_mail_threads_render_at_once_in_two_workers(workers, tmp_path):
    """With one render worker, mail threads queued for it while a core idled."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as threads:
        pids = list(threads.map(lambda names: workers.call(_meet, str(tmp_path), *names),
                                [("a", "b"), ("b", "a")]))
    assert -1 not in pids   # each call saw the other running: side by side
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_a_failing_render_raises_in_the_caller_and_the_worker_goes_on(workers):
    pid = workers.call(os.getpid)
    with pytest.raises(ValueError, match="templat rusak"):
        workers.call(_fail, "templat rusak")
    assert workers.call(os.getpid) == pid


def test_a_worker_that_died_fails_its_document_and_is_replaced(workers):
    pid = workers.call(os.getpid)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(RuntimeError, match="render worker ended"):
        workers.call(os.getpid)
    replacement = workers.call(os.getpid)
    assert replacement not in (pid, os.getpid())


def test_closing_the_pool_ends_its_worker(workers):
    pid = workers.call(os.getpid)
    writing.close_render_pool()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)   # gone and reaped, not a zombie


def test_rendered_in_the_worker_as_in_this_process(tmp_path, workers):
    from docx import Document as Docx

    template = tmp_path / "t.docx"
    page = Docx()
    page.add_paragraph("Nomor berkas {{ dossier.number }} untuk {{ lsp_name }}")
    page.save(template)
    context = {"dossier": {"number": "BLK-2026-000001"}, "lsp_name": "LSP Teknologi Digital Nusantara"}
    here, there = tmp_path / "here.docx", tmp_path / "there.docx"
    render_all([(template, here)], context)
    workers.call(render_all, [(template, there)], context, False)
    text = ["\n".join(p.text for p in Docx(path).paragraphs) for path in (here, there)]
    assert text[0] == text[1] == "Nomor berkas BLK-2026-000001 untuk LSP Teknologi Digital Nusantara"


def test_a_call_the_worker_cannot_unpickle_fails_in_the_caller_and_the_worker_goes_on(workers):
    import sys
    import types

    only_here = types.ModuleType("sertiflow_module_only_in_this_process")
    exec("def double(x):\n    return 2 * x\n", only_here.__dict__)
    sys.modules[only_here.__name__] = only_here
    pid = workers.call(os.getpid)
    try:
        with pytest.raises(ModuleNotFoundError):
            workers.call(only_here.double, 1)
    finally:
        del sys.modules[only_here.__name__]
    assert workers.call(os.getpid) == pid
