"""Benchmark: N competency certificates, DOCX and PDF, three ways.

    /work/venv/bin/python bench/certificates.py [--n 1000] [--sample 20] [--workers 2]

1. per-file  one `soffice --convert-to pdf` per certificate (timed on --sample files,
             extrapolated to N): what a naive script does.
2. batch     N DOCX rendered (docxtpl, a process per core), then
             `pipelines.write.pdf.convert_to_pdf`: one soffice per batch of <=100 files,
             --workers batches side by side.
3. bulk      `pipelines.write.bulk.render_pdfs_bulk`: all items merged into one DOCX per
             worker, converted once each, split per item (pikepdf), every first page
             checked to carry its certificate number; the N DOCX rendered meanwhile.

Prints seconds per file and the speed-up over per-file. Target: >= 10x faster than
per-file and < 60 s for 1,000 certificates (DOCX + PDF) on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Run as a script, sys.path[0] is bench/, whose modules (e.g. bench/queue.py) would shadow
# the standard library in the spawned DOCX workers: put the repository root there instead.
if sys.path and Path(sys.path[0] or ".").resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(ROOT)
else:
    sys.path.insert(0, str(ROOT))

from pipelines.write.bulk import _DocxJobs, render_pdfs_bulk  # noqa: E402
from pipelines.write.docx import Image, render_docx  # noqa: E402
from pipelines.write.paths import docx_template  # noqa: E402
from pipelines.write.pdf import convert_to_pdf, default_workers, is_valid_pdf, soffice_path  # noqa: E402
from pipelines.write.qr import qr_png  # noqa: E402

SCHEMES = ["Teknisi Jaringan Komputer", "Juru Las SMAW 3G", "Pemandu Wisata Selam",
           "Operator Forklift", "Barista", "Ahli K3 Umum"]
NAMES = ["Siti Nurhaliza", "Budi Santoso", "Made Wirawan", "Agus Salim & Putra", "Rina <Dewi>",
         "Yohanes Nainggolan", "Fitri Handayani", "Andi Pratama"]


def make_items(n: int) -> list[dict]:
    issue = date(2026, 11, 21)
    items = []
    for i in range(n):
        number = f"{(i % 90) + 10:02d}1 {i // 1000:04d} 2 {i:07d} 2026"
        items.append(dict(
            certificate_number=number,
            name=f"{NAMES[i % len(NAMES)]} {i}",
            nik=f"3273{(i * 7919) % 10**12:012d}",
            scheme=SCHEMES[i % len(SCHEMES)],
            lsp=dict(name="LSP Maju Sejahtera"),
            issue_date=issue, valid_until=issue + timedelta(days=3 * 365),
            blank_serial=f"A{1000000 + i:07d}",
            qr=Image(qr_png(f"https://sertifikat.contoh.go.id/v/{i:07d}"), width_mm=25),
        ))
    return items


def per_file(soffice: str, docx: list[Path], out: Path) -> list[float]:
    """One soffice process per file, with a warm private profile."""
    profile = Path(tempfile.mkdtemp(prefix="bench-profile-"))
    base = [soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to", "pdf", "--outdir", str(out)]
    try:
        subprocess.run(base + [str(docx[0])], capture_output=True, timeout=120)  # warm profile
        times = []
        for path in docx:
            t = time.perf_counter()
            subprocess.run(base + [str(path)], capture_output=True, timeout=120)
            times.append(time.perf_counter() - t)
            assert is_valid_pdf(out / (path.stem + ".pdf")), path
        return times
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--sample", type=int, default=20, help="files converted one soffice each")
    ap.add_argument("--workers", type=int, default=default_workers())
    ap.add_argument("--skip-batch", action="store_true", help="skip strategy 2 (slowest)")
    ap.add_argument("--out", type=Path, help="keep output here (default: temp, removed)")
    args = ap.parse_args()

    soffice = soffice_path()
    if soffice is None:
        print("LibreOffice (soffice) not found: nothing to measure.")
        return 1
    work = args.out or Path(tempfile.mkdtemp(prefix="bench-certificates-"))
    work.mkdir(parents=True, exist_ok=True)
    template = docx_template("sertifikat")
    n, workers = args.n, args.workers
    print(f"{n} certificates, {workers} workers, {os.cpu_count()} cores, template {template.name}")

    try:
        t = time.perf_counter()
        items = make_items(n)
        print(f"contexts + QR codes: {time.perf_counter() - t:.1f} s (not counted below)")

        # 1. per-file soffice, on a sample
        sample = min(args.sample, n)
        sdir = work / "per_file"
        sdocx = [render_docx(template, items[i], sdir / "docx" / f"c{i:05d}.docx")
                 for i in range(sample)]
        times = per_file(soffice, sdocx, sdir / "pdf")
        per_file_s = statistics.mean(times)
        print(f"\n1. per-file soffice ({sample} files): median {statistics.median(times):.2f} s, "
              f"mean {per_file_s:.2f} s per file -> {per_file_s * n:.0f} s for {n} (extrapolated)")

        results = {}

        # 2. docx then batched conversion
        if not args.skip_batch:
            bdir = work / "batch"
            docx_paths = [bdir / "docx" / f"c{i:05d}.docx" for i in range(n)]
            t = time.perf_counter()
            jobs = _DocxJobs(str(template), list(zip(items, docx_paths)), workers)
            rendered = jobs.wait()
            t_render = time.perf_counter() - t
            t = time.perf_counter()
            out = convert_to_pdf([p for p in rendered if p], bdir / "pdf", timeout=600,
                                 workers=workers)
            t_convert = time.perf_counter() - t
            ok = sum(v is not None for v in out.values())
            total = t_render + t_convert
            results["batch"] = total
            print(f"\n2. batch: DOCX {t_render:.1f} s + soffice batches {t_convert:.1f} s = "
                  f"{total:.1f} s, {total / n * 1000:.0f} ms per file, {ok}/{n} PDFs")

        # 3. bulk merge -> convert -> split, DOCX alongside
        kdir = work / "bulk"
        t = time.perf_counter()
        res = render_pdfs_bulk(template, items, [kdir / "pdf" / f"c{i:05d}.pdf" for i in range(n)],
                               key="certificate_number",
                               docx_paths=[kdir / "docx" / f"c{i:05d}.docx" for i in range(n)],
                               print_dir=kdir / "cetak", workers=workers, timeout=600)
        total = time.perf_counter() - t
        ok = sum(p is not None for p in res.pdfs)
        okd = sum(p is not None for p in res.docx)
        results["bulk"] = total
        print(f"\n3. bulk: {total:.1f} s, {total / n * 1000:.0f} ms per file, {ok}/{n} PDFs, "
              f"{okd}/{n} DOCX, fallback chunks {res.fallback_chunks}")
        t = time.perf_counter()
        res2 = render_pdfs_bulk(template, items, [kdir / "pdf2" / f"c{i:05d}.pdf" for i in range(n)],
                                key="certificate_number", workers=workers, timeout=600)
        total2 = time.perf_counter() - t
        results["bulk, PDF only"] = total2
        print(f"   bulk without the DOCX: {total2:.1f} s, {total2 / n * 1000:.0f} ms per file, "
              f"{sum(p is not None for p in res2.pdfs)}/{n} PDFs")

        print("\nspeed-up over one soffice per file:")
        for name, seconds in results.items():
            verdict = "meets" if seconds < 60 * n / 1000 and per_file_s * n / seconds >= 10 else "misses"
            print(f"  {name:15s} {per_file_s * n / seconds:6.1f}x  ({seconds:.1f} s; {verdict} "
                  f"the target of >=10x and <60 s per 1,000)")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
