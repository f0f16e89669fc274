"""Hostile files are stopped by the time and memory bound; the rest of the mail goes on."""
from __future__ import annotations

import time

import pytest
from read_builders import (attachment, balloon_pdf, dossier_files, request_mail, scanned_pdf)

from pipelines.documents import CERTIFICATION_DECISION
from pipelines.read import ReadLimits, ocr, read_document, read_documents, read_message, sandbox, walk_message


def codes(doc):
    return [f.code for f in doc.findings]


def test_worker_is_reused_between_documents():
    pool = sandbox.pool()
    read_document(attachment("a.pdf", dossier_files()["keputusan.pdf"]))
    started = pool.started
    for _ in range(5):
        read_document(attachment("a.pdf", dossier_files()["keputusan.pdf"]))
    assert pool.started == started


def test_ballooning_pdf_is_stopped_by_memory_bound_and_mail_continues():
    files = dossier_files()
    files["keputusan.pdf"] = balloon_pdf(1200)  # ~1 MB that inflates to 1.2 GB when read
    mc = walk_message(request_mail(files))
    t = time.monotonic()
    docs = read_documents(mc.attachments)
    assert time.monotonic() - t < 30
    by_name = {d.filename: d for d in docs}
    bomb = by_name["keputusan.pdf"]
    assert codes(bomb) == ["BATAS_MEMORI_TERLAMPAUI"]
    assert bomb.needs_manual_review and bomb.doc_type == CERTIFICATION_DECISION
    # the other three documents were read normally, by replacement workers where needed
    assert by_name["surat_permohonan.pdf"].facts["blanks_requested"] == 3
    assert by_name["daftar_peserta.xlsx"].roster.competent_count == 3
    assert by_name["berita_acara.pdf"].facts["assessment_date"] == "2026-10-05"
    # and the pool still works afterwards
    assert read_document(attachment("lagi.pdf", files["surat_permohonan.pdf"])).facts["blanks_requested"] == 3


def test_a_mail_read_in_one_task_gives_what_reading_it_file_by_file_gives():
    raw = request_mail(dossier_files())
    content, documents = read_message(raw)
    walked = walk_message(raw)
    assert [a.filename for a in content.attachments] == [a.filename for a in walked.attachments]
    assert [(d.filename, d.doc_type, d.facts, d.text, codes(d)) for d in documents] == \
        [(d.filename, d.doc_type, d.facts, d.text, codes(d)) for d in read_documents(walked.attachments)]
    assert {d.doc_type for d in documents} >= {CERTIFICATION_DECISION}


def test_a_mail_with_a_ballooning_pdf_read_in_one_task_still_gets_a_finding_for_that_file():
    files = dossier_files()
    files["keputusan.pdf"] = balloon_pdf(1200)
    t = time.monotonic()
    content, documents = read_message(request_mail(files))
    assert time.monotonic() - t < 60
    by_name = {d.filename: d for d in documents}
    assert len(documents) == len(content.attachments) == 4
    assert codes(by_name["keputusan.pdf"]) == ["BATAS_MEMORI_TERLAMPAUI"]
    assert by_name["surat_permohonan.pdf"].facts["blanks_requested"] == 3
    assert by_name["daftar_peserta.xlsx"].roster.competent_count == 3


@pytest.mark.skipif(bool(ocr.available()), reason="Tesseract with Indonesian data not installed")
def test_slow_file_is_stopped_by_time_bound():
    slow = scanned_pdf(["x"], noise=True)  # OCR of a noisy page takes several seconds
    t = time.monotonic()
    doc = read_document(attachment("berita_acara.pdf", slow),
                        limits=ReadLimits(timeout_s=0.3, ocr_page_timeout_s=60, hard_timeout_s=0.6))
    assert time.monotonic() - t < 5
    assert codes(doc) == ["BATAS_WAKTU_TERLAMPAUI"] and doc.needs_manual_review
    # the next file is read by a fresh worker
    assert read_document(attachment("surat.pdf", dossier_files()["surat_permohonan.pdf"])).facts["blanks_requested"] == 3


def test_looping_task_is_killed_and_worker_replaced():
    out = sandbox.pool().run("sleep", 30, ReadLimits(timeout_s=0.3, hard_timeout_s=0.3))
    assert out.status == "timeout" and out.seconds < 3
    assert sandbox.pool().run("sleep", 0, ReadLimits()).status == "done"


@pytest.mark.parametrize("clock", ["shared", "messages"])
def test_each_document_of_a_task_gets_its_own_time(clock, monkeypatch):
    """A mail's documents are read in one task, each with the whole time from its start (the
    worker writes each start to a shared clock, or sends it where memfd is missing); time added
    for OCR counts for that document, and the next document's start sets its own time again,
    even when that is sooner."""
    if clock == "messages":
        monkeypatch.setattr(sandbox, "_shared_clock", lambda: (None, -1))
    pool = sandbox.WorkerPool(1)
    try:
        tight = ReadLimits(timeout_s=0.6, hard_timeout_s=30)
        assert pool.run("sleeps", [0.4, 0.4, 0.4, 0.4], tight).status == "done"        # 1.6 s in all
        out = pool.run("sleeps", [0.4, 1.5], tight)
        assert out.status == "timeout" and 0.9 < out.seconds < 1.4
        assert pool.run("sleeps", [0.4, -2.0, 0.4], tight).status == "done"            # 1.5 s of OCR
        # OCR time up to 4.0 s; the next document starts at 2.35 s: its time ends at 3.35 s, not 4.0 s
        out = pool.run("sleeps", [0.1, -3.0, 1.4], ReadLimits(timeout_s=1.0, hard_timeout_s=30))
        assert out.status == "timeout" and 3.2 < out.seconds < 3.7
        assert pool.run("sleeps", [3.0], ReadLimits(timeout_s=0.6, hard_timeout_s=0.6)).status == "timeout"
        # a start written in a task with a longer time does not lengthen the next task
        assert pool.run("sleeps", [0.05], ReadLimits(timeout_s=20, hard_timeout_s=30)).status == "done"
        out = pool.run("sleep", 3, tight)
        assert out.status == "timeout" and out.seconds < 1.5
    finally:
        pool.close()


def test_memory_error_in_python_code_is_reported():
    assert sandbox.pool().run("allocate", 4000, ReadLimits(memory_mb=256)).status == "memory"
    assert sandbox.pool().run("allocate", 50, ReadLimits(memory_mb=256)).status == "done"


def test_crashing_worker_is_reported_and_replaced():
    assert sandbox.pool().run("crash", 3, ReadLimits()).status == "crashed"
    assert sandbox.pool().run("sleep", 0, ReadLimits()).status == "done"


def test_results_from_the_worker_are_unpickled_with_an_allow_list():
    import pickle
    with pytest.raises(pickle.UnpicklingError):
        sandbox._loads(pickle.dumps(("done", ReadLimits())))


def test_inprocess_mode_reads_serially_without_crashing(monkeypatch):
    # pdfium is not thread-safe: the debug mode must not read two PDFs at once
    monkeypatch.setenv("SERTIFLOW_READ_INPROCESS", "1")
    docs = read_documents([attachment(n, d) for n, d in dossier_files().items()] * 2)
    assert [d.doc_type for d in docs[:4]] == [d.doc_type for d in docs[4:]]
    assert docs[0].facts["blanks_requested"] == 3


def test_starting_workers_from_two_threads_at_once_starts_each_once_and_never_waits_on_the_other():
    """The poll starts the workers in the background while it fetches mail, and the batch asks
    again when it begins: two warm-ups at once each holding one worker and waiting for the other
    one hung a whole run."""
    import threading

    pool = sandbox.WorkerPool(size=2)
    try:
        threads = [threading.Thread(target=pool.warm) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert not any(thread.is_alive() for thread in threads)
        assert pool.started == 2 and len(pool.idle) == 2
        pool.warm()
        assert pool.started == 2
        assert pool.run("sleep", "0").value == "slept"
    finally:
        pool.close()
