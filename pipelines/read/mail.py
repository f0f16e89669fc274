"""Walk a raw mail: headers, readable body, attachments (incl. inline parts, forwarded mails
and ZIP archives), with content types sniffed and file names made safe.

`walk(raw)` runs in the calling process; `pipelines.read.walk_message` runs it in the bounded
worker. Neither raises: what goes wrong becomes a finding.
"""
from __future__ import annotations

import base64
import binascii
import email
import email.header
import email.utils
import quopri
import re
import unicodedata
from email.message import Message
from email.policy import Compat32

from pipelines.documents import Attachment, MailContent
from pipelines.findings import Finding
from pipelines.read import sniff as sn
from pipelines.read.archive import Budget, unpack_tnef, unpack_zip
from pipelines.read.htmltext import html_to_text
from pipelines.read.limits import DEFAULT_LIMITS, ReadLimits
from pipelines.read.names import sanitise_filename, unique_name

ORIGIN_MAIL = "lampiran"
ORIGIN_INLINE = "sisipan"
ORIGIN_FORWARD = "pesan terusan"

# Body-structure defects worth telling an officer about (the rest are cosmetic).
_SERIOUS_DEFECTS = {"StartBoundaryNotFoundDefect", "CloseBoundaryNotFoundDefect",
                    "MultipartInvariantViolationDefect", "NoBoundaryInMultipartDefect",
                    "MissingHeaderBodySeparatorDefect"}


_SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")   # a raw 8-bit byte the parser could not decode


def _unsurrogate(s: str) -> str:
    """Headers with raw 8-bit bytes come back with surrogate escapes: decode them properly."""
    if not _SURROGATE_ESCAPE.search(s):
        return s
    raw = s.encode("utf-8", "surrogateescape")
    for enc in ("utf-8", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


class _ForgivingPolicy(Compat32):
    """compat32 as mail clients really write: raw 8-bit (unencoded UTF-8) header values are read
    from their bytes instead of becoming U+FFFD, and header values used for decoding lose the
    trailing whitespace some senders leave ("Content-Transfer-Encoding: base64 ")."""

    def header_fetch_parse(self, name, value):
        if isinstance(value, str) and value.isascii():
            # the common case, ~60 a mail: no raw byte to decode, nothing for compat32 to wrap
            return value.strip() if name.lower() == "content-transfer-encoding" else value
        if isinstance(value, str) and _SURROGATE_ESCAPE.search(value):
            value = _unsurrogate(value)
        if name.lower() == "content-transfer-encoding" and isinstance(value, str):
            value = value.strip()
        return super().header_fetch_parse(name, value)


POLICY = _ForgivingPolicy()


def _decode_bytes(raw: bytes, charset: str | None) -> str:
    for enc in (charset, "utf-8", "cp1252"):
        if not enc:
            continue
        try:
            return raw.decode(enc)
        except (LookupError, UnicodeDecodeError):
            continue
    return raw.decode("latin-1")


_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.lower() == "b":
        text = re.sub(r"[^A-Za-z0-9+/]", "", text)
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4))
        except (binascii.Error, ValueError):
            return text.encode("ascii", "replace")
    return quopri.decodestring(text.encode("ascii", "replace"), header=True)


def decode_encoded_words(s: str) -> str:
    """RFC 2047 encoded words decoded in place. Whitespace between two encoded words is dropped
    (the RFC's rule) and text around them is kept as it is, so "=?UTF-8?Q?Surat?=.pdf" gives
    "Surat.pdf", not "Surat .pdf". Adjacent words in one charset are joined before decoding, so a
    character split across two words survives."""
    out: list[str] = []
    pending: list[bytes] = []
    pending_charset = None
    pos = 0

    def flush():
        nonlocal pending, pending_charset
        if pending:
            out.append(_decode_bytes(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for m in _ENCODED_WORD.finditer(s):
        between = s[pos:m.start()]
        charset = m.group(1).lower()
        follows_a_word = bool(pending) and not between.strip()
        if not follows_a_word:
            flush()
            out.append(between)
        elif charset != pending_charset:
            flush()
        pending.append(_word_bytes(m.group(2), m.group(3)))
        pending_charset = charset
        pos = m.end()
    flush()
    out.append(s[pos:])
    return "".join(out)


def decode_header_value(value) -> str:
    """Any header value (str, Header, with encoded words or raw 8-bit) as readable text."""
    if value is None:
        return ""
    try:
        s = str(value)
    except Exception:
        try:
            s = value.encode() if hasattr(value, "encode") else ""
        except Exception:
            return ""
    s = _unsurrogate(s)
    if "=?" in s:
        try:
            s = decode_encoded_words(s)
        except Exception:
            pass
    return " ".join(s.split())


def _visible(name: str) -> str:
    """A file name as an officer should see it: control and direction characters spelled out."""
    out = []
    for ch in name[:300]:
        if unicodedata.category(ch) in ("Cc", "Cf") or ch in "\u2028\u2029":
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def _filename(part: Message) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name is None:
        try:
            name = part.get_param("name")
            if isinstance(name, tuple):
                name = email.utils.collapse_rfc2231_value(name)
        except Exception:
            name = None
    if not name:
        return ""
    return decode_header_value(name)


def _addresses(msg: Message, header: str) -> list[tuple[str, str]]:
    try:
        values = [decode_header_value(v) for v in (msg.get_all(header) or [])]
        return [(n, a) for n, a in email.utils.getaddresses(values) if a or n]
    except Exception:
        return []


def _payload(part: Message, findings: list[Finding], label: str) -> bytes | None:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    defects = {type(d).__name__ for d in getattr(part, "defects", [])}
    if data is None or "InvalidBase64LengthDefect" in defects:
        findings.append(Finding.error(
            "LAMPIRAN_RUSAK",
            f"Lampiran {label} tidak dapat dibaca karena pengodeannya rusak; mohon kirim ulang berkas tersebut.",
            where=label, defects=sorted(defects)))
        return None
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    return data


class _Walker:
    def __init__(self, limits: ReadLimits):
        self.limits = limits
        self.findings: list[Finding] = []
        self.attachments: list[Attachment] = []
        self.taken: set[str] = set()
        self.budget = Budget(limits.max_unpacked_bytes)
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.counter = 0
        self.too_many = False

    # -- files -------------------------------------------------------------------------------
    def add_file(self, name: str, data: bytes, declared: str, origin: str, zip_depth: int = 0) -> None:
        self.counter += 1
        actual = sn.sniff(data)
        label = name or f"lampiran ke-{self.counter}"
        if not data:
            self.findings.append(Finding.error(
                "LAMPIRAN_KOSONG", f"Lampiran {label} kosong (0 byte); mohon kirim ulang berkas tersebut.",
                where=label))
            return
        office_name = sn.extension_type(name) in (sn.XLSX, sn.DOCX, sn.ODS)
        if actual == sn.ZIP and not office_name:  # a damaged .xlsx is reported by its reader
            if zip_depth + 1 > self.limits.max_zip_depth + 1:
                return
            members, findings = unpack_zip(data, sanitise_filename(label, "zip", self.counter),
                                           zip_depth + 1, self.limits, self.budget)
            self.findings.extend(findings)
            for inner, blob, inner_origin in members:
                self.add_file(inner, blob, "", (origin + " > " if origin not in (ORIGIN_MAIL, ORIGIN_INLINE) else "") + inner_origin, zip_depth + 1)
            return
        if actual in (sn.RAR, sn.SEVEN_Z, sn.GZIP):
            self.findings.append(Finding.error(
                "ARSIP_TIDAK_DIDUKUNG",
                f"Lampiran {label} berupa arsip {sn.format_name(actual).upper()} yang tidak dapat dibuka; "
                f"mohon kirim dokumen sebagai lampiran biasa atau dalam arsip ZIP.", where=label))
        if actual == sn.TNEF and zip_depth <= self.limits.max_zip_depth:  # Outlook's winmail.dat
            members, findings = unpack_tnef(data, sanitise_filename(label, "dat", self.counter),
                                            self.limits, self.budget)
            self.findings.extend(findings)
            if members is not None:
                for inner, blob, inner_origin in members:
                    self.add_file(inner, blob, "", inner_origin, zip_depth + 1)
                return
        if len(self.attachments) >= self.limits.max_attachments:
            if not self.too_many:
                self.too_many = True
                self.findings.append(Finding.error(
                    "LAMPIRAN_TERLALU_BANYAK",
                    f"Email memuat lebih dari {self.limits.max_attachments} berkas; berkas selebihnya tidak diproses.",
                    where=label))
            return
        safe = sanitise_filename(name, sn.format_name(actual) or "bin", self.counter)
        if name and safe != " ".join(unicodedata.normalize("NFC", name).split()):
            self.findings.append(Finding.warning(
                "NAMA_LAMPIRAN_DIUBAH",
                f"Nama lampiran \"{_visible(name)}\" memuat jalur folder atau karakter yang tidak aman "
                f"(misalnya ../, karakter kendali, atau pembalik arah teks); berkas disimpan sebagai "
                f"\"{safe}\". Periksa apakah lampiran ini memang dokumen permohonan.",
                where=safe, original=_visible(name)))
        claimed = sn.extension_type(safe)
        if not claimed and actual != sn.OCTET:
            safe = f"{safe}.{sn.format_name(actual)}"
        elif claimed and not sn.compatible(claimed, actual) and actual != sn.OCTET:
            self.findings.append(Finding.warning(
                "JENIS_BERKAS_TIDAK_SESUAI",
                f"Berkas {safe} bernama .{sn.format_name(claimed)} tetapi isinya "
                f"{sn.format_name(actual).upper()}; berkas dibaca sesuai isinya.",
                where=safe, claimed=claimed, actual=actual))
        safe = unique_name(safe, self.taken)
        self.attachments.append(Attachment(filename=safe, data=data, declared_type=declared,
                                           media_type=actual, origin=origin))

    # -- MIME tree ---------------------------------------------------------------------------
    def walk(self, msg: Message, origin: str, depth: int) -> None:
        defects = {type(d).__name__ for d in getattr(msg, "defects", [])} & _SERIOUS_DEFECTS
        if defects:
            self.findings.append(Finding.warning(
                "PESAN_CACAT",
                "Struktur email tidak sesuai standar (batas bagian MIME hilang atau rusak); sebagian isi "
                "atau lampiran mungkin tidak terbaca.", defects=sorted(defects)))
        self._part(msg, origin, depth, top=True)

    def _part(self, part: Message, origin: str, depth: int, top: bool = False) -> None:
        try:
            ctype = part.get_content_type().lower()
        except Exception:
            ctype = "text/plain"
        if part.is_multipart() and ctype != "message/rfc822":
            try:
                children = part.get_payload()
            except Exception:
                children = []
            for child in children or []:
                if isinstance(child, Message):
                    self._part(child, origin, depth)
            return
        if ctype == "message/rfc822" or (ctype.startswith("message/") and part.is_multipart()
                                         and ctype not in ("message/delivery-status",)):
            self._forwarded(part, depth)
            return
        try:
            disposition = (part.get_content_disposition() or "").lower()
        except Exception:
            disposition = ""
        name = _filename(part)
        is_body_text = ctype in ("text/plain", "text/html") and disposition != "attachment" and not name
        if is_body_text:
            data = _payload(part, self.findings, "isi email")
            if data is None:
                return
            text = _decode_bytes(data, part.get_content_charset())
            (self.texts if ctype == "text/plain" else self.htmls).append(text)
            return
        if (ctype.startswith(("text/", "message/")) or ctype in ("application/pgp-signature",
                                                               "application/pkcs7-signature",
                                                               "application/x-pkcs7-signature")) \
                and not name and disposition != "attachment":
            return  # delivery reports, headers of returned mail, signatures: not documents
        label = name or f"lampiran ke-{self.counter + 1}"
        data = _payload(part, self.findings, label)
        if data is None:
            return
        part_origin = origin
        if origin == ORIGIN_MAIL and disposition == "inline":
            part_origin = ORIGIN_INLINE
        self.add_file(name, data, ctype, part_origin)

    def _forwarded(self, part: Message, depth: int) -> None:
        if depth + 1 > self.limits.max_forward_depth:
            self.findings.append(Finding.warning(
                "PESAN_TERUSAN_BERSARANG",
                f"Email memuat pesan terusan bertingkat lebih dari {self.limits.max_forward_depth} "
                f"tingkat; pesan yang lebih dalam tidak dibuka."))
            return
        try:
            inner = part.get_payload()
        except Exception:
            inner = None
        if isinstance(inner, list):
            inner = inner[0] if inner and isinstance(inner[0], Message) else None
        cte = str(part.get("content-transfer-encoding", "")).lower()
        if inner is not None and cte in ("base64", "quoted-printable") and not inner.keys():
            # non-standard but common: an encoded message/rfc822 body, parsed as headerless text
            try:
                body = inner.get_payload()
                if isinstance(body, str):
                    enc = body.encode("ascii", "surrogateescape")
                    if cte == "base64":
                        import base64
                        raw = base64.b64decode(b"".join(enc.split()) + b"==", validate=False)
                    else:
                        import quopri
                        raw = quopri.decodestring(enc)
                    inner = email.message_from_bytes(raw, policy=POLICY)
            except Exception:
                self.findings.append(Finding.error(
                    "LAMPIRAN_RUSAK", "Pesan terusan dalam email tidak dapat dibaca karena "
                    "pengodeannya rusak; mohon kirim ulang.", where="pesan terusan"))
                return
        if inner is None:
            return
        sub = decode_header_value(inner.get("subject"))
        inner_walker = _Walker(self.limits)
        inner_walker.budget = self.budget
        inner_walker.taken = self.taken
        inner_walker.counter = self.counter
        inner_walker.walk(inner, ORIGIN_FORWARD, depth + 1)
        self.counter = inner_walker.counter
        room = self.limits.max_attachments - len(self.attachments)
        self.attachments.extend(inner_walker.attachments[:max(room, 0)])
        self.findings.extend(inner_walker.findings)
        self.texts.extend(inner_walker.texts and ["\n".join(inner_walker.texts)] or [])
        if inner_walker.htmls and not inner_walker.texts:
            self.htmls.extend(inner_walker.htmls)
        if inner_walker.attachments:
            self.findings.append(Finding.info(
                "PESAN_TERUSAN",
                "Lampiran diambil dari pesan terusan" + (f" \"{sub}\"" if sub else "") + ".",
                subject=sub, files=[a.filename for a in inner_walker.attachments]))


def walk(raw: bytes, limits: ReadLimits = DEFAULT_LIMITS) -> MailContent:
    """Parse raw mail bytes in this process. Never raises."""
    mc = MailContent()
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        try:
            raw = bytes(raw or b"")
        except Exception:
            raw = b""
    raw = bytes(raw)
    if not raw.strip():
        mc.findings.append(Finding.error("PESAN_KOSONG", "Email kosong: tidak ada isi maupun lampiran."))
        return mc
    try:
        msg = email.message_from_bytes(raw, policy=POLICY)
    except Exception as exc:
        mc.findings.append(Finding.error(
            "PESAN_TIDAK_TERBACA", "Email tidak dapat dibaca (struktur rusak); mohon kirim ulang.",
            error=type(exc).__name__))
        return mc
    try:
        _headers(msg, mc)
    except Exception as exc:  # pragma: no cover - belt and braces
        mc.findings.append(Finding.warning("HEADER_TIDAK_TERBACA",
                                           "Sebagian header email tidak dapat dibaca.", error=type(exc).__name__))
    w = _Walker(limits)
    try:
        w.walk(msg, ORIGIN_MAIL, 0)
    except RecursionError:
        w.findings.append(Finding.error("PESAN_TIDAK_TERBACA",
                                        "Struktur email terlalu dalam untuk dibaca; mohon kirim ulang."))
    except Exception as exc:
        w.findings.append(Finding.error(
            "PESAN_TIDAK_TERBACA", "Sebagian email tidak dapat dibaca (struktur rusak); mohon kirim ulang.",
            error=type(exc).__name__))
    mc.attachments = w.attachments
    mc.findings.extend(w.findings)
    mc.html = "\n".join(w.htmls)
    plain = "\n".join(t for t in w.texts if t.strip())
    mc.text = plain.strip() if plain.strip() else html_to_text(mc.html)
    return mc


def _headers(msg: Message, mc: MailContent) -> None:
    for key in msg.keys():
        k = str(key).lower()
        if k not in mc.headers:
            try:
                mc.headers[k] = decode_header_value(msg.get(key))
            except Exception:
                mc.headers[k] = ""
    mc.message_id = mc.headers.get("message-id", "").strip()
    mc.in_reply_to = mc.headers.get("in-reply-to", "").strip()
    mc.references = mc.headers.get("references", "").split()
    mc.subject = mc.headers.get("subject", "")
    frm = _addresses(msg, "from")
    if frm:
        mc.from_name, mc.from_addr = frm[0][0], frm[0][1].lower()
    mc.to = [a.lower() for _, a in _addresses(msg, "to") if a]
    mc.cc = [a.lower() for _, a in _addresses(msg, "cc") if a]
    mc.date = mc.headers.get("date", "")
    try:
        mc.content_type = msg.get_content_type()
    except Exception:
        mc.content_type = ""
