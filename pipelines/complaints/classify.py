"""What a complaint is, read from its words: pure functions, no database.

The first reading only proposes; an officer confirms or corrects it on the desk (step 2).
"""
from __future__ import annotations

import re

# Register types (jenis) and channels (saluran), with the labels officers and complainants read.
TYPES = {
    "keluhan": "Keluhan",
    "banding": "Banding",
    "keluhan_klien": "Keluhan tentang klien tersertifikasi",
    "saran": "Saran",
    "bukan_keluhan": "Bukan pengaduan (spam)",
}
CHANNELS = {
    "surel": "Surel",
    "telepon": "Telepon",
    "datang_langsung": "Datang langsung",
    "formulir_web": "Formulir web",
    "whatsapp": "WhatsApp",
    "lapor": "LAPOR!",
}
OUTCOMES = {"diterima": "Diterima", "diterima_sebagian": "Diterima sebagian", "ditolak": "Ditolak"}

_WORD = re.compile(r"[a-zA-Z]+")
# Common function words: English and Indonesian share almost none of them.
_ENGLISH = set("the and of to is are was were in on for with that this my we our your you "
               "have has had not be been would could please regarding about which from it".split())
_INDONESIAN = set("dan yang di ke dari untuk dengan ini itu kami saya tidak ada pada atas "
                  "mohon kepada bapak ibu sudah belum akan dalam karena atau juga telah".split())

_APPEAL = re.compile(r"\b(banding|mengajukan\s+keberatan|keberatan\s+atas|appeal|appealing)\b", re.I)
_SUGGESTION = re.compile(r"\b(saran|usul(an)?|masukan|suggestion|suggest)\b", re.I)
_CLIENT = re.compile(r"\b(klien\s+(anda|bersertifikat|tersertifikasi)|pemegang\s+sertifikat|"
                     r"produk\s+ber(sni|sertifikat)|certified\s+(client|company|product))\b", re.I)
# A dossier number of ours, else a decision or certificate number after its word (with a digit).
_DOSSIER = re.compile(r"\b([A-Z]{2,6}-\d{4}-\d{6})\b")
_NAMED = re.compile(r"\b(?:sertifikat|certificate|keputusan|decision)\s+(?:no\.?|nomor|number)?\s*:?\s*"
                    r"([A-Z0-9][A-Z0-9./-]{4,40}[A-Z0-9])", re.I)


def language_of(text: str) -> str:
    """'en' when the text is plainly English, else 'id' (Indonesian is the default)."""
    words = [w.lower() for w in _WORD.findall(text or "")[:400]]
    english = sum(w in _ENGLISH for w in words)
    indonesian = sum(w in _INDONESIAN for w in words)
    return "en" if english >= 3 and english > 2 * indonesian else "id"


def proposed_type(subject: str, text: str, *, spam_flag: bool = False) -> str:
    """The register type the words suggest. Spam only on the mail server's own verdict."""
    if spam_flag:
        return "bukan_keluhan"
    words = f"{subject or ''}\n{text or ''}"
    if _APPEAL.search(words):
        return "banding"
    if _CLIENT.search(words):
        return "keluhan_klien"
    if _SUGGESTION.search(subject or "") and not re.search(r"\b(keluhan|komplain|complaint)\b", words, re.I):
        return "saran"
    return "keluhan"


def target_number(subject: str, text: str) -> str:
    """The dossier, decision or certificate number mentioned first, other than a register number."""
    words = f"{subject or ''}\n{text or ''}"
    for pattern in (_DOSSIER, _NAMED):
        for match in pattern.finditer(words):
            number = match.group(1).upper()
            if any(c.isdigit() for c in number) and not number.startswith("ADU-"):
                return number
    return ""


def is_spam(headers: dict[str, str]) -> bool:
    """The receiving mail server's spam verdict (SpamAssassin / rspamd headers)."""
    flag = (headers.get("x-spam-flag") or "").strip().lower()
    status = (headers.get("x-spam-status") or "").strip().lower()
    return flag == "yes" or status.startswith("yes")
