"""PDF conversion with a real LibreOffice (skipped when soffice is absent)."""
import time
import zipfile
from pathlib import Path

import pytest

from pipelines.write import pdf as pdfmod
from pipelines.write.bulk import render_pdfs_bulk
from pipelines.write.docx import Image, render_docx
from pipelines.write.paths import docx_template
from pipelines.write.pdf import convert_to_pdf, libreoffice_available
from pipelines.write.qr import qr_png
from write_helpers import needs_soffice, pdf_pages, pdf_text


def _approval_docs(tmp_path, ctx, numbers):
    paths = []
    for number in numbers:
        ctx["dossier"]["number"] = number
        paths.append(render_docx(docx_template("lembar_persetujuan"), ctx,
                                 tmp_path / "docx" / f"lp-{number}.docx"))
    return paths


def _live_soffice_in(root: Path) -> list[int]:
    """PIDs of running (non-zombie) processes whose command line mentions `root`."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if str(root) in cmd and state != "Z":
            pids.append(int(entry.name))
    return pids


def test_absent_libreoffice_keeps_docx_only(tmp_path, monkeypatch, approval_context):
    monkeypatch.setenv("SERTIFLOW_SOFFICE", "no-such-soffice-binary")
    assert not libreoffice_available()
    docs = _approval_docs(tmp_path, approval_context, ["BLK-1"])
    assert convert_to_pdf(docs, tmp_path / "pdf", timeout=10) == {docs[0]: None}
    assert docs[0].exists()


def test_duplicate_stems_refused(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with pytest.raises(ValueError):
        convert_to_pdf([tmp_path / "a" / "x.docx", tmp_path / "b" / "x.docx"], tmp_path, 10)


@needs_soffice
def test_batch_converts_and_reports_bad_inputs(tmp_path, approval_context):
    numbers = ["BLK-2026-00101", "BLK-2026-00102", "BLK-2026-00103"]
    docs = _approval_docs(tmp_path, approval_context, numbers)
    garbage = tmp_path / "docx" / "rusak.docx"
    garbage.write_bytes(b"bukan dokumen Word")          # LibreOffice would print this as text
    truncated = tmp_path / "docx" / "terpotong.docx"
    truncated.write_bytes(docs[0].read_bytes()[:3000])
    empty_zip = tmp_path / "docx" / "kosong.docx"
    with zipfile.ZipFile(empty_zip, "w") as zf:
        zf.writestr("hello.txt", "x")
    inputs = [docs[0], garbage, docs[1], truncated, empty_zip, docs[2]]

    out = convert_to_pdf(inputs, tmp_path / "pdf", timeout=60, batch_size=4, workers=2)

    assert list(out) == inputs
    for doc, number in zip(docs, numbers):
        pdf = out[doc]
        assert pdf == tmp_path / "pdf" / f"lp-{number}.pdf"
        assert pdf.read_bytes().startswith(b"%PDF-")
        text = pdf_text(pdf)
        assert number in text and "dua puluh lima" in text
    assert out[garbage] is None and out[truncated] is None and out[empty_zip] is None
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == \
        sorted(f"lp-{n}.pdf" for n in numbers)  # no staging folders, no half files


@needs_soffice
def test_timeout_kills_soffice(tmp_path, approval_context):
    docs = _approval_docs(tmp_path, approval_context, ["BLK-9"])
    out = convert_to_pdf(docs, tmp_path / "pdf", timeout=0.3, retry_after_crash=False)
    assert out == {docs[0]: None}
    root = pdfmod._PROFILES._root
    assert root is not None
    deadline = time.monotonic() + 5  # SIGKILLed processes may take a moment to go
    while _live_soffice_in(root) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_soffice_in(root) == []
    assert [p.name for p in (tmp_path / "pdf").iterdir()] == []


def test_a_killed_conversions_profile_goes_with_the_socket_its_soffice_left(tmp_path):
    profile = tmp_path / "profile-1"
    profile.mkdir()
    socket_file = pdfmod.office_pipes(profile)[0]   # as a killed soffice leaves it in /tmp
    socket_file.touch()
    try:
        pdfmod._PROFILES.release(profile, healthy=False)
        assert not profile.exists() and not socket_file.exists()
    finally:
        socket_file.unlink(missing_ok=True)


@needs_soffice
def test_bulk_certificates_split_per_item(tmp_path, certificate_items):
    items = certificate_items(5)
    for i, item in enumerate(items):
        item["qr"] = Image(qr_png(f"https://contoh.go.id/v/{i}"), width_mm=25)
    items[2]["name"] = "Budi & Sons <Ltd>"
    pdfs = [tmp_path / "pdf" / f"s{i}.pdf" for i in range(5)]
    docx = [tmp_path / "docx" / f"s{i}.docx" for i in range(5)]
    res = render_pdfs_bulk(docx_template("sertifikat"), items, pdfs, key="certificate_number",
                           docx_paths=docx, print_dir=tmp_path / "cetak", workers=2)
    assert res.pdfs == pdfs and res.docx == docx and res.fallback_chunks == 0
    for i, path in enumerate(pdfs):
        text = pdf_text(path)
        assert pdf_pages(path) == 1
        assert items[i]["certificate_number"] in text and items[i]["name"] in text
        assert path.stat().st_size < 80_000  # resources pruned to this page's own
    assert sum(pdf_pages(p) for p in res.merged_pdfs) == 5


@needs_soffice
def test_bulk_falls_back_when_an_item_overflows(tmp_path, certificate_items):
    items = certificate_items(3)
    items[1]["scheme"] = "Skema yang sangat panjang " * 150  # two pages for this one
    pdfs = [tmp_path / f"s{i}.pdf" for i in range(3)]
    res = render_pdfs_bulk(docx_template("sertifikat"), items, pdfs, key="certificate_number",
                           chunk_size=3)
    assert res.fallback_chunks == 1 and res.pdfs == pdfs
    assert [pdf_pages(p) for p in pdfs][0] == 1 and pdf_pages(pdfs[1]) >= 2
    assert items[1]["certificate_number"] in pdf_text(pdfs[1])


# ---- first run on a fresh machine: crashes while the profile is created, shared profiles

def _recording_soffice(tmp_path, monkeypatch, crash_first: bool = False) -> Path:
    """A wrapper around the real soffice that logs each call (profile, start, end) and,
    with crash_first, makes the very first call die as LibreOffice does on a fresh
    machine: a half-created profile and exit 134 (SIGABRT)."""
    real = pdfmod.soffice_path()
    calls = tmp_path / "calls.log"
    wrapper = tmp_path / "soffice-recording"
    wrapper.write_text(f"""#!/bin/bash
profile=""
for arg in "$@"; do case "$arg" in -env:UserInstallation=file://*) profile="${{arg#-env:UserInstallation=file://}}";; esac; done
start=$(date +%s.%N)
if [ {int(crash_first)} = 1 ] && mkdir "{tmp_path}/crashed" 2>/dev/null; then
    mkdir -p "$profile/user" && echo '<?xml version="1.0"' > "$profile/user/registrymodifications.xcu"
    echo "$profile $start $(date +%s.%N) 134" >> "{calls}"
    exit 134
fi
"{real}" "$@"
rc=$?
echo "$profile $start $(date +%s.%N) $rc" >> "{calls}"
exit $rc
""")
    wrapper.chmod(0o755)
    monkeypatch.setenv("SERTIFLOW_SOFFICE", str(wrapper))
    return calls


def _calls(log: Path) -> list[tuple[str, float, float, int]]:
    rows = [line.split() for line in log.read_text().splitlines()]
    return [(profile, float(start), float(end), int(rc)) for profile, start, end, rc in rows]


@needs_soffice
def test_crash_while_creating_the_profile_is_retried_once_on_a_fresh_profile(
        tmp_path, monkeypatch, approval_context):
    monkeypatch.setattr(pdfmod, "_PROFILES", pdfmod._ProfilePool())  # as on a fresh machine
    calls = _recording_soffice(tmp_path, monkeypatch, crash_first=True)
    numbers = ["BLK-2026-00201", "BLK-2026-00202"]
    docs = _approval_docs(tmp_path, approval_context, numbers)

    out = convert_to_pdf(docs, tmp_path / "pdf", timeout=120, workers=1)

    for doc, number in zip(docs, numbers):  # every file has its PDF, none blamed for the crash
        assert out[doc] == tmp_path / "pdf" / f"lp-{number}.pdf"
        assert number in pdf_text(out[doc])
    (crashed, *_, rc1), (retried, *_, rc2) = _calls(calls)
    assert (rc1, rc2) == (134, 0)
    assert retried != crashed and not Path(crashed).exists()  # half-made profile thrown away
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == [f"lp-{n}.pdf" for n in numbers]


@needs_soffice
def test_a_crash_on_a_document_still_converts_the_rest(tmp_path, monkeypatch, approval_context):
    """A file that makes soffice crash every time is blamed after the one fresh-profile
    retry; the files after it are converted."""
    docs = _approval_docs(tmp_path, approval_context, ["BLK-2026-00301", "BLK-2026-00302"])
    real = pdfmod.soffice_path()
    wrapper = tmp_path / "soffice-crashes-on-poison"
    wrapper.write_text(f"""#!/bin/bash
for arg in "$@"; do case "$arg" in *racun.docx) exit 134;; esac; done
exec "{real}" "$@"
""")
    wrapper.chmod(0o755)
    monkeypatch.setenv("SERTIFLOW_SOFFICE", str(wrapper))
    poison = tmp_path / "docx" / "racun.docx"
    poison.write_bytes(docs[0].read_bytes())

    out = convert_to_pdf([poison, *docs], tmp_path / "pdf", timeout=120, workers=1)

    assert out[poison] is None
    assert all(out[d] is not None and out[d].exists() for d in docs)


def _overlap(a, b) -> bool:
    return a[1] < b[2] and b[1] < a[2]


def _no_profile_shared_while_in_use(calls) -> None:
    for i, a in enumerate(calls):
        for b in calls[i + 1:]:
            assert not (a[0] == b[0] and _overlap(a, b)), f"profile {a[0]} used by two soffice at once"


@needs_soffice
def test_parallel_first_conversions_never_share_a_profile(tmp_path, monkeypatch, approval_context):
    monkeypatch.setattr(pdfmod, "_PROFILES", pdfmod._ProfilePool())  # no profile exists yet
    calls = _recording_soffice(tmp_path, monkeypatch)
    numbers = [f"BLK-2026-004{i:02d}" for i in range(4)]
    docs = _approval_docs(tmp_path, approval_context, numbers)

    out = convert_to_pdf(docs, tmp_path / "pdf", timeout=120, batch_size=1, workers=2)

    assert all(out[d] is not None for d in docs)
    made = _calls(calls)
    assert len(made) == 4 and all(rc == 0 for *_, rc in made)
    assert any(_overlap(a, b) for i, a in enumerate(made) for b in made[i + 1:])  # really parallel
    _no_profile_shared_while_in_use(made)
    assert len({p for p, *_ in made}) == 2  # ...and warm profiles are reused afterwards


def _convert_in_child(docs, out_dir):
    convert_to_pdf(docs, out_dir, timeout=120, workers=1)


@needs_soffice
def test_a_forked_child_does_not_use_its_parents_profiles(tmp_path, monkeypatch, approval_context):
    import multiprocessing

    monkeypatch.setattr(pdfmod, "_PROFILES", pdfmod._ProfilePool())
    calls = _recording_soffice(tmp_path, monkeypatch)
    docs = _approval_docs(tmp_path, approval_context, ["BLK-2026-00501", "BLK-2026-00502",
                                                       "BLK-2026-00503"])
    convert_to_pdf(docs[:1], tmp_path / "pdf", timeout=120, workers=1)  # parent: one warm profile
    [(parent_profile, *_)] = _calls(calls)

    child = multiprocessing.get_context("fork").Process(
        target=_convert_in_child, args=(docs[1:2], tmp_path / "pdf"))
    child.start()
    convert_to_pdf(docs[2:], tmp_path / "pdf", timeout=120, workers=1)
    child.join(180)

    assert child.exitcode == 0
    made = _calls(calls)
    assert len(made) == 3
    assert made[0][0] == parent_profile
    assert sorted(p.name for p in (tmp_path / "pdf").iterdir()) == \
        ["lp-BLK-2026-00501.pdf", "lp-BLK-2026-00502.pdf", "lp-BLK-2026-00503.pdf"]
    child_profiles = {p for p, *_ in made[1:]} - {parent_profile}
    assert child_profiles, "the child used the parent's profile"
    _no_profile_shared_while_in_use(made)
