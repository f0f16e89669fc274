"""Content types from the bytes, never from the name or the mail header.

Office files are ZIP (xlsx/docx) or OLE2 (xls/doc) containers: the container is opened
far enough to tell them apart, without unpacking anything.
"""
from __future__ import annotations

import io
import re
import zipfile

PDF = "application/pdf"
ZIP = "application/zip"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODS = "application/vnd.oasis.opendocument.spreadsheet"
XLS = "application/vnd.ms-excel"
DOC = "application/msword"
OLE = "application/x-ole-storage"
ENCRYPTED_OFFICE = "application/x-encrypted-office"
CSV = "text/csv"
TEXT = "text/plain"
HTML = "text/html"
PNG = "image/png"
JPEG = "image/jpeg"
GIF = "image/gif"
TIFF = "image/tiff"
BMP = "image/bmp"
WEBP = "image/webp"
RAR = "application/vnd.rar"
SEVEN_Z = "application/x-7z-compressed"
GZIP = "application/gzip"
RTF = "application/rtf"
TNEF = "application/vnd.ms-tnef"
EML = "message/rfc822"
OCTET = "application/octet-stream"

# short names used in checklists ("formats: [pdf]") and for file extensions
FORMAT_OF = {
    PDF: "pdf", XLSX: "xlsx", XLS: "xls", CSV: "csv", ZIP: "zip", DOCX: "docx", DOC: "doc",
    ODS: "ods", PNG: "png", JPEG: "jpg", GIF: "gif", TIFF: "tif", BMP: "bmp", WEBP: "webp",
    RAR: "rar", SEVEN_Z: "7z", GZIP: "gz", RTF: "rtf", TEXT: "txt", HTML: "html", TNEF: "dat",
    EML: "eml", ENCRYPTED_OFFICE: "xlsx", OLE: "bin", OCTET: "bin",
}
EXTENSIONS = {
    "pdf": PDF, "xlsx": XLSX, "xlsm": XLSX, "xls": XLS, "csv": CSV, "zip": ZIP, "docx": DOCX,
    "doc": DOC, "ods": ODS, "png": PNG, "jpg": JPEG, "jpeg": JPEG, "gif": GIF, "tif": TIFF,
    "tiff": TIFF, "bmp": BMP, "webp": WEBP, "rar": RAR, "7z": SEVEN_Z, "gz": GZIP, "rtf": RTF,
    "txt": TEXT, "htm": HTML, "html": HTML, "eml": EML,
}
IMAGES = {PNG, JPEG, GIF, TIFF, BMP, WEBP}
SPREADSHEETS = {XLSX, XLS, CSV, ODS}


def _utf16(s: str) -> bytes:
    return s.encode("utf-16-le")


_last_zip: tuple[bytes, str] = (b"", "")   # the last ZIP sniffed, and what it is


def _sniff_zip(data: bytes) -> str:
    """What a ZIP container holds. The mail walk and then the reader sniff the same bytes object:
    the second asks the first's answer (bytes do not change; the pair is swapped whole)."""
    global _last_zip
    last = _last_zip
    if last[0] is data:
        return last[1]
    found = _zip_kind(data)
    if type(data) is bytes:   # immutable: the same object is the same content
        _last_zip = (data, found)
    return found


def _zip_kind(data: bytes) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            names = set(zf.namelist()[:2000])
    except Exception:
        return ZIP  # a broken zip is still a zip; unpacking reports it
    if "xl/workbook.xml" in names or any(n.startswith("xl/") for n in names) and "[Content_Types].xml" in names:
        return XLSX
    if "word/document.xml" in names:
        return DOCX
    if "mimetype" in names:
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                mt = zf.read("mimetype")[:100]
                # a password-protected OpenDocument file lists how each part is encrypted
                encrypted = "META-INF/manifest.xml" in names and \
                    b"encryption-data" in zf.read("META-INF/manifest.xml")[:1 << 20]
            if b"spreadsheet" in mt:
                return ENCRYPTED_OFFICE if encrypted else ODS
        except Exception:
            pass
    return ZIP


def _sniff_ole(data: bytes) -> str:
    head = data[:1 << 20]
    if _utf16("EncryptedPackage") in head or _utf16("EncryptionInfo") in head:
        return ENCRYPTED_OFFICE
    if _utf16("Workbook") in head or _utf16("Book\x00") in head or _utf16("Book") in head:
        return XLS
    if _utf16("WordDocument") in head:
        return DOC
    return OLE


def _looks_text(data: bytes) -> str | None:
    sample = data[:65536]
    if not sample or b"\x00" in sample:
        return None
    for enc in ("utf-8", "cp1252"):
        try:
            text = sample.decode(enc)
            break
        except UnicodeDecodeError:
            if enc == "utf-8" and len(data) > len(sample):
                # a multibyte char may be cut at the sample end
                try:
                    text = sample[:-4].decode("utf-8")
                    break
                except UnicodeDecodeError:
                    continue
            continue
    else:
        return None
    printable = sum(ch.isprintable() or ch in "\r\n\t" for ch in text)
    if printable < 0.95 * len(text):
        return None
    return text


def looks_csv(text: str) -> bool:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    if len(lines) < 2:
        return False
    for delim in (",", ";", "\t", "|"):
        counts = [ln.count(delim) for ln in lines]
        common = max(set(counts), key=counts.count)
        if common >= 1 and counts.count(common) >= 0.6 * len(lines):
            return True
    return False


def sniff(data: bytes) -> str:
    """The media type the bytes really are."""
    if not data:
        return OCTET
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _sniff_zip(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _sniff_ole(data)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(b"BM") and len(data) > 26:
        return BMP
    if head[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"Rar!\x1a\x07"):
        return RAR
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return SEVEN_Z
    if head.startswith(b"\x1f\x8b"):
        return GZIP
    if head.startswith(b"{\\rtf"):
        return RTF
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return TNEF
    if re.search(rb"%PDF-[12]\.", data[:65536]) and b"endobj" in data:  # junk before the header
        return PDF
    text = _looks_text(data)
    if text is not None:
        low = text.lstrip("\ufeff \r\n\t")[:512].lower()
        if low.startswith(("<!doctype html", "<html")) or "<body" in low[:512]:
            return HTML
        if looks_csv(text):
            return CSV
        return TEXT
    return OCTET


def extension_type(filename: str) -> str:
    """The media type a file name claims ("" when it has no known extension)."""
    if "." not in filename:
        return ""
    return EXTENSIONS.get(filename.rsplit(".", 1)[1].lower(), "")


def format_name(media_type: str) -> str:
    return FORMAT_OF.get(media_type, media_type.rsplit("/", 1)[-1] if media_type else "")


def compatible(claimed: str, actual: str) -> bool:
    """Whether a name's claim and the bytes agree well enough not to mention it."""
    if not claimed or claimed == actual:
        return True
    families = [{XLSX, ENCRYPTED_OFFICE}, {ODS, ENCRYPTED_OFFICE}, {XLS, ENCRYPTED_OFFICE, OLE}, {DOC, OLE},
                {TEXT, CSV}, {CSV, TEXT}, {HTML, TEXT}, {TEXT, OCTET}]
    return any(claimed in f and actual in f for f in families)
