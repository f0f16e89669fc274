"""Checking time per dossier, with and without a scanned page.

    /work/venv/bin/python bench/check.py [--dossiers 40] [--scanned 8]

A dossier = one request mail (letter, minutes, decision as PDF; participant list as xlsx) walked,
its four documents read in the bounded worker pool, then checked. The "scanned" variant has the
minutes as an image-only page, so OCR runs on exactly that page (the others have a text layer).
Also measured: what a fresh worker process costs, i.e. what one-process-per-file would add.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/ holds other scripts (e.g. queue.py) that must not shadow the standard library
HERE = Path(__file__).resolve().parent
sys.path = [p for p in sys.path if Path(p or ".").resolve() != HERE]
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "read")]

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import yaml  # noqa: E402
from read_builders import dossier_files, minutes_lines, request_mail, scanned_pdf  # noqa: E402

from pipelines.check import check_dossier, summarise  # noqa: E402
from pipelines.read import read_documents, sandbox, walk_message  # noqa: E402

CHECKLIST = yaml.safe_load((ROOT / "services" / "blank_request.yaml").read_text())["checklist"] \
    if (ROOT / "services" / "blank_request.yaml").exists() else []


def one(raw: bytes) -> tuple[float, list, int]:
    t = time.perf_counter()
    mc = walk_message(raw)
    docs = read_documents(mc.attachments)
    findings = check_dossier(docs, CHECKLIST, {"today": "2026-10-20", "previous_niks": {}})
    summarise(docs)
    ocr = sum(len(d.facts.get("ocr_pages", [])) for d in docs)
    return time.perf_counter() - t, findings, ocr


def run(label: str, raw: bytes, n: int) -> dict:
    one(raw)  # warm: workers started, caches filled
    times, ocr, findings = [], 0, []
    for _ in range(n):
        t, findings, ocr = one(raw)
        times.append(t)
    res = {"label": label, "n": n, "median_ms": statistics.median(times) * 1000,
           "p90_ms": sorted(times)[int(0.9 * (n - 1))] * 1000, "ocr_pages": ocr,
           "findings": [f.code for f in findings], "kib": len(raw) // 1024}
    print(f"{label:<34} n={n:<4} median {res['median_ms']:7.1f} ms  p90 {res['p90_ms']:7.1f} ms  "
          f"mail {res['kib']} KiB  OCR pages/dossier {ocr}  findings {res['findings']}")
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--dossiers", type=int, default=40)
    ap.add_argument("--scanned", type=int, default=8)
    ap.add_argument("--workers", type=int, default=0, help="pool size (default: CPU count)")
    args = ap.parse_args()
    if args.workers:
        sandbox._pool = sandbox.WorkerPool(args.workers)

    t = time.perf_counter()
    w = sandbox.Worker()
    start_s = time.perf_counter() - t
    w.kill()
    pool = sandbox.pool()
    print(f"worker start (python + pdfium + readers, RLIMIT_AS set): {start_s * 1000:.0f} ms; pool size {pool.size}")
    if sandbox.inprocess_requested():
        print("SERTIFLOW_READ_INPROCESS set: reading in this process, without the bound (for comparison)")

    clean = request_mail(dossier_files())
    scanned = request_mail(dossier_files(minutes=scanned_pdf(minutes_lines())))
    a = run("text-layer dossier (4 documents)", clean, args.dossiers)
    b = run("with one scanned page (OCR)", scanned, args.scanned)

    docs_per = 4
    print()
    print(f"1,000 text dossiers:    ~{a['median_ms'] * 1000 / 1000 / 60:.1f} min with the reused pool "
          f"(workers started {pool.started} times in this run)")
    print(f"  one process per file would add ~{start_s * docs_per * 1000 / 60:.0f} min of start-up "
          f"({docs_per} files x {start_s * 1000:.0f} ms x 1,000)")
    print(f"1,000 dossiers, each with a scanned page: ~{b['median_ms'] * 1000 / 1000 / 60:.1f} min")


if __name__ == "__main__":
    main()
