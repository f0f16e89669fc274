"""PDF conversions are claimed like mail: two pollers never convert the same document; and
what a killed run left behind (LibreOffice, temporary folders) is cleaned up by the next."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from sqlalchemy import insert, select

from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.runtime import Runtime
from pipelines.write.dossier import document_context
from pipelines.write.docx import render_docx
from pipelines.write.pdf import libreoffice_available, soffice_path

needs_soffice = pytest.mark.skipif(not libreoffice_available(), reason="LibreOffice is not installed")

CONVERT = ("import json, sys; from pipelines.runtime import Runtime; from pipelines.write.dossier import "
           "convert_pending; print(json.dumps(convert_pending(Runtime.load(sys.argv[1]))))")


def office_with_documents(tmp_path: Path, n: int) -> Path:
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({"outputs_dir": str(tmp_path / "out"), "convert_pdf": True}))
    rt = Runtime.load(config)
    now = datetime.now(timezone.utc)
    for i in range(n):
        number = f"BLK-2026-{i + 1:06d}"
        dossier = {"number": number, "received_at": now, "lsp_code": "LSP-001", "sender": "a@lsp.example.id"}
        context = document_context(rt, dossier, None, {"competent_total": 3})
        with rt.engine.begin() as conn:
            dossier_id = conn.execute(insert(db.dossiers).values(
                number=number, kind="blank_request", status="menunggu_persetujuan", received_at=now,
                created_at=now, updated_at=now, facts={})).inserted_primary_key[0]
            docx = render_docx(rt.settings.templates_dir / "lembar_persetujuan.docx", context,
                               rt.settings.outputs_dir / number / "dokumen" / "lembar_persetujuan.docx")
            conn.execute(insert(db.generated_files).values(dossier_id=dossier_id, kind="lembar_persetujuan",
                                                           docx_path=str(docx), pdf_path="", created_at=now))
    return config


@needs_soffice
def test_two_pollers_converting_at_once_convert_each_document_once(tmp_path):
    config = office_with_documents(tmp_path, 8)
    pollers = [subprocess.Popen([sys.executable, "-c", CONVERT, str(config)], cwd=PROJECT_ROOT,
                                stdout=subprocess.PIPE, text=True) for _ in range(2)]
    results = [json.loads(p.communicate(timeout=600)[0].strip().splitlines()[-1]) for p in pollers]
    assert sum(r["converted"] for r in results) == 8, results
    with Runtime.load(config).engine.connect() as conn:
        pdfs = [r.pdf_path for r in conn.execute(select(db.generated_files.c.pdf_path))]
        assert conn.execute(select(db.conversion_claims)).all() == []
    assert all(p and Path(p).exists() for p in pdfs)


KILLED_RUN = """
import os, subprocess, sys, tempfile
from pathlib import Path
from pipelines.write.conversions import owned_temp_prefix
staging = tempfile.mkdtemp(prefix=owned_temp_prefix("sertiflow-pdf"))
profiles = tempfile.mkdtemp(prefix=owned_temp_prefix("sertiflow-lo"))
soffice = subprocess.Popen([sys.argv[1], "--headless", "--norestore", "--nologo",
                            "-env:UserInstallation=" + (Path(profiles) / "profile-1").as_uri()],
                           start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(soffice.pid, staging, profiles, flush=True)
os._exit(137)   # killed: no cleanup
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(") ", 1)[1][0] != "Z"
    except OSError:
        return False


@needs_soffice
def test_the_next_run_ends_libreoffice_and_removes_the_folders_a_killed_run_left(tmp_path):
    from pipelines.write.conversions import clean_after_killed_runs
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    killed = subprocess.run([sys.executable, "-c", KILLED_RUN, soffice_path()], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert killed.returncode == 137, killed.stderr
    pid, staging, profiles = killed.stdout.split()
    pid = int(pid)
    time.sleep(1.0)
    assert _running(pid), "LibreOffice outlived the killed run"
    mine = tmp_path / "sertiflow-pdf-1-mine"  # a folder of a live process is left alone
    mine.mkdir()
    os.rename(mine, tmp_path / f"sertiflow-pdf-{os.getpid()}-mine")
    from pipelines.write.pdf import office_pipes
    pipes = office_pipes(Path(profiles) / "profile-1")
    deadline = time.monotonic() + 30
    while not any(p.exists() for p in pipes) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert any(p.exists() for p in pipes), "no socket where LibreOffice keeps it"
    cleaned = clean_after_killed_runs(str(tmp_path))
    deadline = time.monotonic() + 10
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _running(pid)
    assert cleaned == {"soffice_killed": cleaned["soffice_killed"], "folders_removed": 2}
    assert cleaned["soffice_killed"] >= 1
    assert not Path(staging).exists() and not Path(profiles).exists()
    assert not any(p.exists() for p in pipes)   # the killed soffice's socket is gone too
    assert (tmp_path / f"sertiflow-pdf-{os.getpid()}-mine").exists()
