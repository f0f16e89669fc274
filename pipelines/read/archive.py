"""ZIP archives unpacked under limits: member count, total size, ratio, nesting depth.

A limit hit rejects that archive with a finding; the rest of the mail goes on.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from pipelines.findings import Finding
from pipelines.read import sniff as sn
from pipelines.read.limits import ReadLimits

_SKIP_PREFIXES = ("__MACOSX/",)
_SKIP_NAMES = {".ds_store", "thumbs.db", "desktop.ini"}


@dataclass
class Budget:
    """Bytes still allowed to be unpacked for this mail."""
    remaining: int


class _Reject(Exception):
    def __init__(self, finding: Finding):
        self.finding = finding


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, archive: str, limits: ReadLimits,
                 budget: Budget) -> bytes:
    cap = min(budget.remaining, limits.max_unpacked_bytes)
    out = io.BytesIO()
    with zf.open(info) as fh:
        while True:
            chunk = fh.read(1 << 16)
            if not chunk:
                break
            out.write(chunk)
            size = out.tell()
            if size > cap:
                raise _Reject(Finding.error(
                    "ARSIP_TERLALU_BESAR",
                    f"Arsip {archive} berisi lebih dari {limits.max_unpacked_bytes >> 20} MB setelah "
                    f"dibuka; arsip tidak diproses. Mohon kirim dokumen sebagai lampiran biasa.",
                    where=archive))
            if size > limits.zip_ratio_floor and size > limits.max_zip_ratio * max(info.compress_size, 1):
                raise _Reject(Finding.error(
                    "ARSIP_RASIO_MENCURIGAKAN",
                    f"Arsip {archive} memuat berkas {info.filename} yang mengembang lebih dari "
                    f"{int(limits.max_zip_ratio)} kali saat dibuka (kemungkinan zip bomb); arsip tidak diproses.",
                    where=archive, member=info.filename))
    budget.remaining -= out.tell()
    return out.getvalue()


def unpack_zip(data: bytes, archive: str, depth: int, limits: ReadLimits,
               budget: Budget) -> tuple[list[tuple[str, bytes, str]], list[Finding]]:
    """Members of a ZIP as (inner name, bytes, origin), nested ZIPs unpacked in turn.

    `depth` is 1 for an archive attached to the mail. Never raises.
    """
    findings: list[Finding] = []
    if depth > limits.max_zip_depth:
        return [], [Finding.error(
            "ARSIP_BERSARANG",
            f"Arsip {archive} berada di dalam arsip lain lebih dari {limits.max_zip_depth} tingkat; "
            f"arsip tidak diproses. Mohon kirim dokumen tanpa arsip bertingkat.",
            where=archive, depth=depth)]
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = [i for i in zf.infolist() if not i.is_dir()]
    except Exception as exc:
        return [], [Finding.error(
            "ARSIP_RUSAK", f"Arsip {archive} rusak dan tidak dapat dibuka; mohon kirim ulang.",
            where=archive, error=type(exc).__name__)]
    infos = [i for i in infos if not i.filename.startswith(_SKIP_PREFIXES)
             and i.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() not in _SKIP_NAMES]
    if len(infos) > limits.max_zip_files:
        return [], [Finding.error(
            "ARSIP_TERLALU_BANYAK_BERKAS",
            f"Arsip {archive} berisi {len(infos)} berkas (batas {limits.max_zip_files}); arsip tidak diproses.",
            where=archive, count=len(infos))]
    declared = sum(i.file_size for i in infos)
    if declared > min(budget.remaining, limits.max_unpacked_bytes):
        return [], [Finding.error(
            "ARSIP_TERLALU_BESAR",
            f"Arsip {archive} berisi {declared >> 20} MB setelah dibuka (batas "
            f"{limits.max_unpacked_bytes >> 20} MB); arsip tidak diproses. "
            f"Mohon kirim dokumen sebagai lampiran biasa.", where=archive, declared=declared)]
    for i in infos:
        if i.file_size > limits.zip_ratio_floor and i.file_size > limits.max_zip_ratio * max(i.compress_size, 1):
            return [], [Finding.error(
                "ARSIP_RASIO_MENCURIGAKAN",
                f"Arsip {archive} memuat berkas {i.filename} yang mengembang lebih dari "
                f"{int(limits.max_zip_ratio)} kali saat dibuka (kemungkinan zip bomb); arsip tidak diproses.",
                where=archive, member=i.filename)]
    out: list[tuple[str, bytes, str]] = []
    try:
        for info in infos:
            if info.flag_bits & 0x1:
                findings.append(Finding.error(
                    "ARSIP_TERENKRIPSI",
                    f"Berkas {info.filename} di dalam arsip {archive} dilindungi kata sandi dan tidak "
                    f"dapat dibaca; mohon kirim tanpa kata sandi.", where=f"{archive}/{info.filename}"))
                continue
            try:
                member = _read_member(zf, info, archive, limits, budget)
            except _Reject:
                raise
            except Exception as exc:
                findings.append(Finding.error(
                    "ARSIP_RUSAK", f"Berkas {info.filename} di dalam arsip {archive} rusak dan tidak "
                    f"dapat dibuka; mohon kirim ulang.", where=f"{archive}/{info.filename}",
                    error=type(exc).__name__))
                continue
            inner = info.filename.replace("\\", "/").rsplit("/", 1)[-1]
            origin = f"{archive}/"
            if sn.sniff(member) == sn.ZIP:
                nested, nf = unpack_zip(member, f"{archive}/{inner}", depth + 1, limits, budget)
                out.extend(nested)
                findings.extend(nf)
                continue
            out.append((inner, member, origin))
    except _Reject as rej:
        return [], findings + [rej.finding]
    return out, findings


def unpack_tnef(data: bytes, container: str, limits: ReadLimits,
                budget: Budget) -> tuple[list[tuple[str, bytes, str]] | None, list[Finding]]:
    """The files inside an Outlook winmail.dat (TNEF) as (name, bytes, origin), under the same
    size budget as archives; None when the container cannot be read. Never raises."""
    try:
        import tnefparse

        tnef = tnefparse.TNEF(data, do_checksum=False)
        attachments = list(tnef.attachments)
    except Exception as exc:
        return None, [Finding.warning(
            "LAMPIRAN_TNEF",
            f"Lampiran {container} berformat winmail.dat (Outlook/TNEF) dan isinya tidak dapat dibaca; "
            f"minta LSP mengirim ulang tanpa format RTF Outlook.", where=container, error=type(exc).__name__)]
    if not attachments:  # a rich-text body only, or a damaged container
        return None, [Finding.warning(
            "LAMPIRAN_TNEF",
            f"Lampiran {container} berformat winmail.dat (Outlook/TNEF) dan tidak memuat berkas yang dapat "
            f"dibaca; bila LSP bermaksud melampirkan dokumen, minta dikirim ulang tanpa format RTF Outlook.",
            where=container)]
    if len(attachments) > limits.max_zip_files:
        return [], [Finding.error(
            "ARSIP_TERLALU_BANYAK_BERKAS",
            f"Lampiran {container} berisi {len(attachments)} berkas (batas {limits.max_zip_files}); "
            f"lampiran tidak diproses.", where=container, count=len(attachments))]
    out: list[tuple[str, bytes, str]] = []
    for att in attachments:
        blob = bytes(att.data or b"")
        if len(blob) > budget.remaining:
            return [], [Finding.error(
                "ARSIP_TERLALU_BESAR",
                f"Lampiran {container} berisi lebih dari {limits.max_unpacked_bytes >> 20} MB setelah "
                f"dibuka; lampiran tidak diproses.", where=container)]
        budget.remaining -= len(blob)
        try:
            name = att.long_filename() or att.name or ""
        except Exception:
            name = ""
        if isinstance(name, bytes):
            name = name.decode("cp1252", "replace")
        out.append((str(name).rstrip("\x00"), blob, f"{container}/"))
    return out, []
