"""What an application says about its applicant, read from the text of its letter and form.

Pure: text in, an `Applicant` out. Labels vary between offices' forms ("Nama Perusahaan",
"Nama Organisasi", "Nama Pemohon"...), so each field has a few accepted labels; a value is
taken only from a "label : value" line, never guessed from prose.
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass

_LABELS = {
    "name": r"nama\s+(perusahaan|organisasi|badan\s+usaha|pemohon|instansi)",
    "nib": r"(NIB|nomor\s+induk\s+berusaha)",
    "address": r"alamat(\s+(perusahaan|kantor|organisasi))?",
    "contact_person": r"(nama\s+)?(narahubung|kontak\s+person|contact\s+person|penanggung\s*jawab|wakil\s+manajemen)",
    "phone": r"(telepon|telp\.?|no\.?\s*(hp|telepon)|hp)",
    "email": r"(e-?mail|surel)",
    "scope": r"ruang\s+lingkup(\s+sertifikasi)?",
    "site": r"(lokasi|alamat)\s+(pabrik|produksi|lokasi\s+audit|audit)",
    "product": r"(nama\s+)?produk|merek",
    "sni": r"(SNI\s+acuan|standar\s+acuan|nomor\s+SNI)",
}
_LINE = r"^[ \t]*(?:\d+[.)]\s*)?(?:{label})[ \t]*[:：][ \t]*(?P<value>[^\n]+)$"
_PATTERNS = {k: re.compile(_LINE.format(label=v), re.I | re.M) for k, v in _LABELS.items()}
_NIB = re.compile(r"\b(\d{13})\b")
_COMPANY_LINE = re.compile(r"^[ \t]*((?:PT|CV|UD|PD|Koperasi)\.?[ \t]+[A-Za-z0-9&.,' -]{3,80}?)[ \t]*$", re.M)
_COMPANY_FORMS = re.compile(r"^(pt|cv|ud|pd|koperasi|perum|persero|tbk)\.?\s+|,?\s*(tbk|persero)\.?$", re.I)


@dataclass
class Applicant:
    name: str = ""
    nib: str = ""
    address: str = ""
    contact_person: str = ""
    phone: str = ""
    email: str = ""
    scope: str = ""
    site: str = ""
    product: str = ""
    sni: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


def _clean(value: str) -> str:
    value = re.sub(r"\s+", " ", value).strip(" .;,-")
    return "" if re.fullmatch(r"[-_.…\s]*", value) else value


def read_applicant(texts: list[str]) -> Applicant:
    """The first value found for each field across the documents, in the order given
    (put the application form first: it is the most structured)."""
    found = Applicant()
    for text in texts:
        for field, pattern in _PATTERNS.items():
            if getattr(found, field):
                continue
            value = next((v for v in (_clean(m.group("value")) for m in pattern.finditer(text or "")) if v), "")
            if value:
                setattr(found, field, value)
    if not found.name:
        found.name = _company_line(texts)
    if found.nib:
        digits = _NIB.search(found.nib.replace(" ", ""))
        found.nib = digits.group(1) if digits else ""
    return found


def _company_line(texts: list[str]) -> str:
    """A line that is only a company name ("PT Mutu Prima Konsultan": a letterhead or a mail
    signature); written-as-is beats ALL CAPS, which is title-cased with the legal form kept."""
    lines = [m.group(1).strip() for text in texts for m in _COMPANY_LINE.finditer(text or "")]
    for line in lines:
        if not line.isupper():
            return _clean(line)
    if lines:
        form, _, rest = lines[0].partition(" ")
        return _clean(f"{form} {rest.title()}")
    return ""


def name_key(name: str) -> str:
    """'PT. Maju Jaya Abadi, Tbk' and 'Maju  Jaya abadi' are the same company."""
    key = _COMPANY_FORMS.sub("", (name or "").strip())
    key = _COMPANY_FORMS.sub("", key.strip())
    return re.sub(r"[^a-z0-9]+", " ", key.lower()).strip()
