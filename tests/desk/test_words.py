"""Every finding code the readers and checks can raise has a label an officer reads on the desk.

The codes are found in the source itself (every `Finding(...)`, `Finding.error/warning/info(...)`
call in pipelines/check, pipelines/read and the mail path), so a new code without a label fails
here instead of reaching a page spelled out from its identifier."""
from __future__ import annotations

import ast
from pathlib import Path

from pipelines.desk import words

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted((ROOT / "pipelines" / "check").rglob("*.py")), *sorted((ROOT / "pipelines" / "read").rglob("*.py")),
           ROOT / "pipelines" / "process.py"]


def _strings(node: ast.AST | None) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Dict):
        return [s for v in node.values for s in _strings(v)]
    return []


def _assigned(tree: ast.AST, name: str) -> list[str]:
    """The string values bound to `name` anywhere in the module (a constant or a dict of codes)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            out += _strings(node.value)
    return out


def _is_finding(call: ast.Call) -> bool:
    f = call.func
    return (isinstance(f, ast.Name) and f.id == "Finding") or (
        isinstance(f, ast.Attribute) and f.attr in ("error", "warning", "info")
        and isinstance(f.value, ast.Name) and f.value.id == "Finding")


def raised_codes() -> dict[str, str]:
    """Finding code -> the file that raises it; an argument this cannot resolve fails the test."""
    codes, unresolved = {}, []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("pipelines"):
                for alias in node.names:
                    imported[alias.asname or alias.name] = node.module
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _is_finding(node) and node.args):
                continue
            arg = node.args[0]
            found = _strings(arg)
            if isinstance(arg, ast.Name):
                found = _assigned(tree, arg.id)
                if not found and arg.id in imported:
                    module = ROOT / (imported[arg.id].replace(".", "/") + ".py")
                    found = _assigned(ast.parse(module.read_text(encoding="utf-8")), arg.id)
            elif isinstance(arg, ast.Subscript) and isinstance(arg.value, ast.Name):
                found = _assigned(tree, arg.value.id)
            elif isinstance(arg, ast.Attribute) and arg.attr == "code":
                continue    # a finding rebuilt from another one (merging, rewording): its code is counted there
            if not found:
                unresolved.append(f"{path.relative_to(ROOT)}:{node.lineno}")
            for code in found:
                codes.setdefault(code, str(path.relative_to(ROOT)))
    assert not unresolved, f"finding codes this test cannot read: {unresolved}"
    return codes


def test_every_raised_finding_code_has_a_desk_label():
    codes = raised_codes()
    # the enumeration really finds the codes of the readers and checks, including the four of issue 12
    assert {"SKEMA_PERLU_DIPERIKSA", "SKEMA_TIDAK_TERBACA", "JUMLAH_TIDAK_TERBACA", "DATA_PERSETUJUAN_KOSONG",
            "NIK_GANDA", "ARSIP_RUSAK", "PENGIRIM_TIDAK_TERDAFTAR"} <= set(codes)
    assert len(codes) > 50
    missing = sorted(f"{code} ({where})" for code, where in codes.items() if code not in words.FINDING_LABELS)
    assert not missing, f"finding codes without a desk label: {missing}"


def test_the_four_review_findings_read_as_indonesian_labels():
    assert words.finding_label("SKEMA_PERLU_DIPERIKSA") == "Skema perlu diperiksa petugas"
    assert words.finding_label("SKEMA_TIDAK_TERBACA") == "Skema tidak terbaca dari dokumen"
    assert words.finding_label("JUMLAH_TIDAK_TERBACA").startswith("Jumlah")
    assert words.finding_label("DATA_PERSETUJUAN_KOSONG") == "Data untuk lembar persetujuan belum terbaca"


def test_complaint_and_application_events_have_history_labels():
    for action in ("pengaduan_dicatat", "pengaduan_diidentifikasi", "pengaduan_diteruskan", "investigasi_selesai",
                   "tim_banding_ditolak", "tim_banding_dibentuk", "pernyataan_ketidakberpihakan_diterima",
                   "pernyataan_tidak_cocok", "tim_banding_lengkap", "keputusan_diterbitkan", "pengaduan_ditutup",
                   "pengaduan_tidak_dibalas", "pengaduan_tentang_klien", "keterlibatan_dicatat", "efektivitas_dicek",
                   "langkah_selesai", "ketidaksesuaian_dicatat", "ketidaksesuaian_ditutup", "jam_layanan_mulai",
                   "permohonan_dicatat_petugas", "surel_bukti_bayar", "surel_tindakan_perbaikan"):
        assert action in words.EVENT_LABELS, action
    assert words.event_label("tim_banding_ditolak") == "Usulan tim banding ditolak"
