"""The certificate register in IAF CertSearch's Excel upload for a Certification Body
(Certification template version 2.0): a "Certified Entity" tab with one row per certified
entity (one per customer of the registry) and a "Certification" tab with one row per
certificate, linked by the Certified Entity Unique ID.

The tabs and header rows are data (data/certsearch.yaml, with the support pages they come
from); this module only fills them. CertSearch accepts .xlsx only (Excel General Rules), so
there is no CSV: two tabs do not fit in one CSV, and a CSV could not be uploaded anyway.
Dates are YYYYMMDD and statuses CertSearch's words (Active, Suspended, Withdrawn, Expired). A file
holds at most the template's limit of certification rows; a larger register is split into numbered
files (the desk hands them over in one ZIP)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import openpyxl

from pipelines import yamlfile
from pipelines.applications.register import entries, original_issue_date

STATUS = {"aktif": "Active", "dibekukan": "Suspended", "dicabut": "Withdrawn", "kedaluwarsa": "Expired"}
COUNTRY = "Indonesia"      # the country name as CertSearch's country list spells it
POSTCODE = re.compile(r"\s*\b(\d{5})\s*$")


@dataclass(frozen=True)
class Layout:
    file_name: str
    max_certifications: int       # certification rows CertSearch takes in one file
    # each tab's name and its columns as (header, key of the value shown or "" for empty)
    tabs: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]


@lru_cache(maxsize=4)
def _layout(path: str, mtime: float) -> Layout:
    data = yamlfile.safe_load(Path(path).read_text(encoding="utf-8"))
    tabs = tuple((t["name"], tuple((c["name"], c.get("value") or "") for c in t["columns"])) for t in data["tabs"])
    return Layout(data["file_name"], int(data["max_certifications_per_file"]), tabs)


def layout(rt) -> Layout:
    path = rt.settings.certsearch_path
    return _layout(str(path), path.stat().st_mtime)


def split_address(address: str) -> tuple[str, str, str]:
    """Street, city and postcode of an Indonesian address written on one line
    ("Jl. Mayor Zen No. 88, Kalidoni, Palembang 30118"): the city is the last comma-separated
    part, the postcode five trailing digits. What cannot be told apart stays empty. Pure."""
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    if len(parts) < 2:
        return (parts[0] if parts else ""), "", ""
    *street, city = parts
    postcode = ""
    if match := POSTCODE.search(city):
        postcode, city = match.group(1), city[:match.start()].strip()
    return ", ".join(street), city, postcode


def _ymd(value) -> str:
    return value.strftime("%Y%m%d") if value else ""


def entity_id(entry: dict) -> str:
    """One certified entity per customer of the registry; a certificate without a customer
    record is its own entity."""
    return f"CUST-{entry['customer_id']}" if entry["customer_id"] else f"CERT-{entry['token'][:24]}"


def entity_values(entry: dict) -> dict[str, str]:
    street, city, postcode = split_address(entry["customer_address"] or entry["site"] or "")
    return {"entity_id": entity_id(entry), "entity_name": entry["holder"], "entity_country": COUNTRY,
            "entity_street": street, "entity_city": city, "entity_postcode": postcode}


def certification_values(entry: dict) -> dict[str, str]:
    return {"certification_id": entry["token"][:24], "number": entry["number"], "entity_id": entity_id(entry),
            "status": STATUS[entry["status"]], "accreditation": "Accredited", "type": entry["certificate_type"],
            "scope": entry["scope"] or "", "original_issue_date": _ymd(original_issue_date(entry)),
            "issue_date": _ymd(entry["issue_date"]), "expiry_date": _ymd(entry["expiry_date"]),
            "standard": entry["standard"] or ""}


def _write(path: Path, shape: Layout, certifications: list[dict]) -> Path:
    """One workbook: the entity tab (the entities of these certificates), then the certification tab."""
    entities: dict[str, dict] = {}
    for entry in certifications:            # oldest first: the latest certificate names the entity
        values = entity_values(entry)
        entities[values["entity_id"]] = values
    rows_of = {"Certified Entity": list(entities.values()),
               "Certification": [certification_values(e) for e in certifications]}
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, columns in shape.tabs:
        sheet = workbook.create_sheet(name)
        sheet.append([header for header, _ in columns])
        for values in rows_of.get(name, []):
            sheet.append([values.get(key) or None for _, key in columns])
    workbook.save(path)
    return path


def export_certsearch_files(rt, folder: str | Path, today: date | None = None) -> list[Path]:
    """Write the register as CertSearch's v2.0 workbooks into `folder`: cb_certs.xlsx, or, past the
    upload limit of certification rows per file ([rules]: 10,000), cb_certs_1.xlsx, cb_certs_2.xlsx,
    ... as CertSearch names split files, each with the entities its certificates need."""
    folder = Path(folder)
    shape = layout(rt)
    register = entries(rt, today)
    size = shape.max_certifications
    parts = [register[i:i + size] for i in range(0, len(register), size)] or [[]]
    if len(parts) == 1:
        return [_write(folder / f"{shape.file_name}.xlsx", shape, parts[0])]
    return [_write(folder / f"{shape.file_name}_{n}.xlsx", shape, part) for n, part in enumerate(parts, 1)]


def export_certsearch(rt, path: str | Path, today: date | None = None) -> Path:
    """The register as one CertSearch workbook at `path`; refused (ValueError) past the upload limit,
    where only export_certsearch_files' numbered files can be uploaded."""
    shape = layout(rt)
    register = entries(rt, today)
    if len(register) > shape.max_certifications:
        raise ValueError(f"{len(register)} certificates exceed CertSearch's {shape.max_certifications} per file")
    return _write(Path(path), shape, register)
