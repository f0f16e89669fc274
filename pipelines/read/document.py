"""Read one attachment into a Document: text (PDF text layer, OCR for scans), roster for
spreadsheets, type by content, facts. Runs inside the bounded worker (see sandbox.py)."""
from __future__ import annotations

import hashlib
import re
import zipfile
import io

from pipelines.documents import OTHER, PARTICIPANT_LIST, Attachment, Document
from pipelines.findings import Finding
from pipelines.read import sniff as sn
from pipelines.read.facts import extract
from pipelines.read.limits import DEFAULT_LIMITS, ReadLimits
from pipelines.read.recognise import label, recognise


def base_document(att: Attachment) -> Document:
    data = att.data or b""
    media = sn.sniff(data)
    return Document(filename=att.filename, sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                    media_type=media)


def _docx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read("word/document.xml")[:5_000_000].decode("utf-8", "replace")
    xml = re.sub(r"</w:p>", "\n", xml)
    xml = re.sub(r"<w:tab/>", "\t", xml)
    return re.sub(r"<[^>]+>", "", xml)


# A line that opens a document of its own: "BERITA ACARA ...", "KEPUTUSAN KETUA ...", "SURAT KEPUTUSAN".
_TITLE = re.compile(r"^\s*(?:berita\s+acara\b|(?:surat\s+)?keputusan\s+(?:ketua|direktur|kepala|lsp|lembaga|sertifikasi)\b|"
                    r"surat\s+keputusan\b)", re.I)


MIN_PART_SCORE = 5   # as recognition.yaml's min_score: each part must be clearly its type


def bound_parts(doc: Document, filename: str) -> list[Document]:
    """Minutes and decision bound in one PDF are two documents: the text is cut where a new title
    starts, and each piece that is recognised as a different document type becomes a part (with
    its own facts). One document, or pieces of one type, give no parts."""
    lines = doc.text.split("\n")
    # titles are printed in capitals; a wrapped sentence starting "berita acara ..." is not one
    starts = [i for i, ln in enumerate(lines) if ln.strip().isupper() and _TITLE.match(ln.replace("\f", ""))]
    if len(starts) < 2:
        return []
    cuts = [0, *starts[1:], len(lines)]
    pieces = ["\n".join(lines[a:b]) for a, b in zip(cuts, cuts[1:]) if "\n".join(lines[a:b]).strip()]
    typed = [(recognise(piece, ""), piece) for piece in pieces]
    kinds = [rec.doc_type for rec, _ in typed]
    if len(set(kinds)) < 2 or OTHER in kinds or any(rec.score < 2 * MIN_PART_SCORE for rec, _ in typed):
        return []
    parts = []
    for n, (rec, piece) in enumerate(typed, 1):
        name = f"{filename} (bagian {n}: {label(rec.doc_type).lower()})"
        part = Document(filename=name, sha256=doc.sha256, size=doc.size, media_type=doc.media_type,
                        doc_type=rec.doc_type, text=piece, pages=doc.pages,
                        evidence=[f"bagian {n} dari {filename}, mulai dari judul \"{piece.strip().splitlines()[0][:80]}\"",
                                  *rec.evidence])
        part.facts, part.findings = extract(rec.doc_type, piece, name)
        if n == 1:   # what reading the file found (a truncated end, OCR doubts) belongs to the file once
            part.findings[:0] = doc.findings
            part.needs_manual_review = doc.needs_manual_review
        parts.append(part)
    return parts


def read_inprocess(att: Attachment, limits: ReadLimits = DEFAULT_LIMITS,
                   progress=lambda seconds: None) -> Document:
    """The reading itself, in this process (the worker calls this)."""
    from pipelines.read.pdf import image_text, read_pdf, tidy
    from pipelines.read.sheet import FORMULA_WITHOUT_VALUE, NIK_MAYBE_CUT, read_roster

    doc = base_document(att)
    media = doc.media_type
    text = ""
    roster = None
    roster_evidence: list[str] = []
    if not att.data:
        doc.findings.append(Finding.error("LAMPIRAN_KOSONG", f"Berkas {att.filename} kosong (0 byte).",
                                          where=att.filename))
        return doc
    if media == sn.PDF:
        res = read_pdf(att.data, att.filename, limits, progress)
        text = tidy(res.text)
        doc.pages = res.page_count
        doc.findings.extend(res.findings)
        doc.needs_manual_review = res.needs_manual_review
        doc.evidence.extend(res.evidence)
        if res.ocr_pages:
            doc.facts["ocr_pages"] = res.ocr_pages
    elif media in (sn.XLSX, sn.XLS, sn.CSV, sn.ODS) or (media == sn.TEXT and att.filename.lower().endswith(".csv")) \
            or (media in (sn.ZIP, sn.OLE) and sn.extension_type(att.filename) in (sn.XLSX, sn.XLS, sn.ODS)):
        as_type = sn.extension_type(att.filename) if media in (sn.ZIP, sn.OLE) else media
        roster, findings, roster_evidence = read_roster(att.data, as_type, att.filename, limits)
        doc.findings.extend(findings)
        if any(f.code in (FORMULA_WITHOUT_VALUE, NIK_MAYBE_CUT) for f in findings):
            doc.needs_manual_review = True  # not sure enough to ask the LSP: an officer looks
        if roster is not None:
            doc.roster = roster
        elif media != sn.CSV and not any(f.code == "BERKAS_EXCEL_RUSAK" for f in findings):
            doc.findings.append(Finding.warning(
                "KOLOM_PESERTA_TIDAK_DITEMUKAN",
                f"Lembar kerja {att.filename} tidak memuat baris judul kolom daftar peserta (Nama, NIK, "
                f"Hasil K/BK); berkas tidak dikenali sebagai daftar peserta.", where=att.filename))
    elif media == sn.ENCRYPTED_OFFICE:
        doc.findings.append(Finding.error(
            "BERKAS_TERENKRIPSI",
            f"Berkas {att.filename} dilindungi kata sandi sehingga tidak dapat dibaca; mohon kirim ulang "
            f"tanpa kata sandi.", where=att.filename))
    elif media in sn.IMAGES:
        res = image_text(att.data, att.filename, limits, progress)
        text = tidy(res.text)
        doc.pages = 1
        doc.findings.extend(res.findings)
        doc.needs_manual_review = res.needs_manual_review
        if res.ocr_pages:
            doc.facts["ocr_pages"] = res.ocr_pages
    elif media == sn.DOCX:
        try:
            text = tidy(_docx_text(att.data))
        except Exception:
            doc.findings.append(Finding.warning("BERKAS_TIDAK_TERBACA",
                                                f"Berkas Word {att.filename} tidak dapat dibaca.", where=att.filename))
    elif media in (sn.TEXT, sn.HTML):
        raw = att.data[: limits.max_text_chars].decode("utf-8", "replace")
        if media == sn.HTML:
            from pipelines.read.htmltext import html_to_text
            raw = html_to_text(raw)
        text = tidy(raw)
    doc.text = text[: limits.max_text_chars]
    rec = recognise(doc.text, att.filename, has_roster=roster is not None, roster_evidence=roster_evidence)
    doc.doc_type = rec.doc_type
    doc.evidence.extend(rec.evidence)
    if rec.filename_hint and rec.doc_type != OTHER and rec.filename_hint != rec.doc_type:
        doc.findings.append(Finding.warning(
            "NAMA_BERKAS_MENYESATKAN",
            f"Nama berkas {att.filename} menunjukkan {label(rec.filename_hint).lower()}, tetapi isinya "
            f"{label(rec.doc_type).lower()}; berkas diperlakukan sesuai isinya.",
            where=att.filename, by_name=rec.filename_hint, by_content=rec.doc_type))
    if rec.doc_type == OTHER and doc.needs_manual_review and rec.filename_hint:
        # a scan we could not read: the name is all we have, an officer confirms
        doc.doc_type = rec.filename_hint
        doc.evidence.append(f'jenis dari nama berkas "{att.filename}" karena isi tidak terbaca (perlu konfirmasi petugas)')
    if media == sn.PDF and doc.doc_type != PARTICIPANT_LIST:
        doc.parts = bound_parts(doc, att.filename)
    if doc.doc_type != PARTICIPANT_LIST or roster is None:
        facts, findings = extract(doc.doc_type, doc.text, att.filename)
        doc.facts.update(facts)
        doc.findings.extend(findings)
    else:
        counts = roster.counts_by_scheme()
        doc.facts["schemes"] = counts
        doc.facts["scheme_identities"] = roster.schemes()
        doc.facts["competent_count"] = roster.competent_count
        doc.facts["participants"] = len(roster.rows)
    return doc
