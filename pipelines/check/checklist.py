"""Completeness against the service's checklist (services/*.yaml): each required document
present, in an accepted format, not too big."""
from __future__ import annotations

from pipelines.documents import OTHER, Document
from pipelines.findings import Finding
from pipelines.read import sniff as sn
from pipelines.read.recognise import filename_hint, name_words_in

# A required document not recognised from any content while a file named like it is attached.
MAYBE_PRESENT = "DOKUMEN_PERLU_DIPASTIKAN"


def document_format(doc: Document) -> str:
    """pdf / xlsx / xls / csv ... from the sniffed bytes; the name's extension when unknown."""
    fmt = sn.format_name(doc.media_type) if doc.media_type else ""
    if fmt in ("", "bin", "txt") and "." in doc.filename:
        ext = doc.filename.rsplit(".", 1)[1].lower()
        if fmt != "txt" or ext == "csv":
            return ext
    return fmt


def check_item(item: dict, documents: list[Document]) -> list[Finding]:
    """One checklist line: how many, which format, how big."""
    label = item.get("label") or item.get("id", "")
    doc_type = item.get("doc_type") or item.get("id")
    found = [d for d in documents if d.doc_type == doc_type]
    out: list[Finding] = []
    minimum = int(item.get("min") or 0)
    maximum = item.get("max")
    formats = [str(f).lower() for f in (item.get("formats") or [])]
    named_like = [d for d in documents if d.doc_type == OTHER and _named_like(item, doc_type, d)
                  and (not formats or document_format(d) in formats)]
    if len(found) < minimum and named_like:
        # The sender named a file after this document but its content did not say so: it may well
        # be here. Never ask for what may have been sent; an officer looks at the file.
        names = ", ".join(d.filename for d in named_like)
        out.append(Finding.warning(
            MAYBE_PRESENT,
            f"Dokumen {label} tidak dikenali dari isinya, tetapi berkas {names} dinamai seperti dokumen "
            f"tersebut; petugas perlu memastikan isinya sebelum meminta kelengkapan.",
            where=label, item=item.get("id", doc_type), files=[d.filename for d in named_like]))
    elif len(found) < minimum:
        unknown = [d.filename for d in documents if d.doc_type == OTHER]
        extra = f" Berkas yang tidak dikenali: {', '.join(unknown)}." if unknown else ""
        out.append(Finding.error(
            "DOKUMEN_TIDAK_ADA",
            f"Dokumen {label} belum dilampirkan atau tidak dikenali di antara lampiran; mohon kirimkan "
            f"{label.lower()}" + (f" dalam format {' atau '.join(str(x).upper() for x in item.get('formats'))}"
                                  if item.get("formats") else "") + "." + extra,
            where=label, item=item.get("id", doc_type), required=minimum, found=len(found)))
    if maximum is not None and len(found) > int(maximum):
        out.append(Finding.warning(
            "DOKUMEN_BERLEBIH",
            f"Dokumen {label} dilampirkan {len(found)} kali (seharusnya paling banyak {maximum}): "
            f"{', '.join(d.filename for d in found)}.", where=label, item=item.get("id", doc_type)))
    for d in found:
        fmt = document_format(d)
        if formats and fmt not in formats:
            out.append(Finding.error(
                "FORMAT_TIDAK_SESUAI",
                f"{label} ({d.filename}) berformat {fmt.upper() or 'tidak dikenal'}; format yang diterima: "
                f"{', '.join(f.upper() for f in formats)}.", where=d.filename, format=fmt, accepted=formats))
        limit_mb = item.get("max_size_mb")
        if limit_mb and d.size > float(limit_mb) * 1024 * 1024:
            out.append(Finding.error(
                "UKURAN_TERLALU_BESAR",
                f"{label} ({d.filename}) berukuran {d.size / 1048576:.1f} MB, melebihi batas {limit_mb} MB; "
                f"mohon perkecil berkas lalu kirim ulang.", where=d.filename, size=d.size, limit_mb=limit_mb))
    return out


def _named_like(item: dict, doc_type: str, doc: Document) -> bool:
    """The file's name says it is this item: one of the item's own name words, or the readers'
    name hint for its document type."""
    return bool(name_words_in(doc.filename, item.get("filename"))) or filename_hint(doc.filename) == doc_type


def check_checklist(documents: list[Document], checklist: list[dict]) -> list[Finding]:
    out: list[Finding] = []
    for item in checklist or []:
        out.extend(check_item(item, documents))
    return out
