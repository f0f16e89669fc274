"""The CertSearch download, as the office uploads it: certificates issued through the desk's
real path (counter entry, every step, committee decision, signing, hand-over), downloaded over
HTTP and opened with openpyxl, checked against what IAF CertSearch's own support pages say of
its Excel template version 2.0 for a Certification Body (the field lists below, with sources)."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pipelines.applications import advance
from pipelines.applications.certsearch import split_address
from pipelines.applications.desk import enter_application
from pipelines.applications.register import change_status, entries
from tests.applications.factories import PUPUK_SRIWIJAYA, SINAR_BAJA, application_files
from tests.applications.office import walk_to_decision
from tests.desk.application_case import application_runtime, login

# What IAF CertSearch documents (stored copies of its support pages, read 2026-11-30).
EXCEL_RULES = ("https://support.iafcertsearch.org/certification-bodies/data-management/import-certification/"
               "certification-templates/excel-general-rules")   # .xlsx only; names, column and tab order as the template
MANAGE_DATA_IN_EXCEL = ("https://support.iafcertsearch.org/accreditation-bodies/data-management/import-certification/"
                        "certification-file-templates/manage-data-in-excel")
# v2.0 field table, tab "Certified Entity": its first four rows, in order (the rest of the table was not readable).
CERTIFIED_ENTITY_FIRST = ["Certified Entity Unique ID", "Certified Entity Name", "Certified Entity Trading Name",
                          "Certified Entity English Name"]
CERTIFIED_ENTITY_REQUIRED = {"Certified Entity Unique ID", "Certified Entity Name"}
# The Certified Entity address fields, by name (version 1.1 glossary; their place in v2.0 is not documented there):
# https://support.iafcertsearch.org/certification-bodies/field-name-glossary/certification-fields-glossary/version-1.1/certified-entity-data-fields
CERTIFIED_ENTITY_ADDRESS = {"Certified Entity Country/Economy", "Certified Entity Street", "Certified Entity City",
                            "Certified Entity State", "Certified Entity Zipcode/Postcode"}
# Version 2.0 certification data fields open with these two, in order:
# https://support.iafcertsearch.org/certification-bodies/field-name-glossary/certification-fields-glossary/version-2.0/certification-data-fields
CERTIFICATION_FIRST = ["Certification Identity Number", "Certificate Number"]
# Mandatory and optional certification fields of the CB template glossary (YYYYMMDD dates; status words):
# https://support.iafcertsearch.org/docs/field-name-glossary/certification-template-for-certification-body
CERTIFICATION_REQUIRED = {"Certification Identity Number", "Certificate Number", "Certification Status",
                          "Accreditation Status", "Certification Type", "Certification Issue Date",
                          "Certification Expiry Date", "Certified Entity Unique ID"}
CERTIFICATION_OPTIONAL = {"Certification Scope", "Certification Original Issue Date"}
STATUS_WORDS = {"Active", "Inactive", "Suspended", "Cancelled", "Draft", "Withdrawn", "Expired"}
# Not found in the stored pages; carried over from the earlier export (see data/certsearch.yaml).
UNCONFIRMED = {"Standards"}


@pytest.fixture
def rt(tmp_path, monkeypatch):
    return application_runtime(tmp_path, monkeypatch)


def certify(rt, kind: str, company, scope: str) -> str:
    """An application entered at the counter and walked to a handed-over certificate; its number."""
    service = rt.services[kind]
    case = enter_application(
        rt, kind=kind, channel="loket", email=company.email,
        fields={"name": company.name, "nib": company.nib, "address": company.address, "contact": company.contact,
                "phone": company.phone, "scope": scope},
        files=application_files(kind, company, service.name), officer="rina")
    walk_to_decision(rt, case)
    assert advance(rt, case, officer="komite", outcome="pemberian") == "penandatanganan"
    assert advance(rt, case, officer="kepala") == "serah_terima"
    assert advance(rt, case, officer="pjt") == "selesai"
    [cert] = [e for e in entries(rt) if e["holder"] == company.name and e["service"] == kind]
    return cert["number"]


def rows_of(sheet) -> tuple[list, list[dict]]:
    [header, *lines] = [[c.value for c in row] for row in sheet.iter_rows()]
    return header, [dict(zip(header, line)) for line in lines]


def test_the_certsearch_download_has_the_entity_and_certification_tabs_of_the_v2_template(rt):
    quality = certify(rt, "iso9001_lsbbk", SINAR_BAJA, "Produksi baja tulangan beton")
    environment = certify(rt, "iso14001", SINAR_BAJA, "Produksi baja tulangan beton")
    fertiliser = certify(rt, "iso14001", PUPUK_SRIWIJAYA, "Produksi pupuk organik")
    change_status(rt, fertiliser, "dibekukan", "Survailen pertama tidak dapat dilaksanakan.", officer="komite")

    official = login(rt, "pejabat1")
    page = official.get("/register-sertifikat").text
    assert 'href="/register-sertifikat/certsearch.xlsx"' in page and "Certified Entity dan Certification" in page
    download = official.get("/register-sertifikat/certsearch.xlsx")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="cb_certs_' in download.headers["content-disposition"]
    book = load_workbook(io.BytesIO(download.content))

    # Tabs and header rows as documented (sources above).
    assert book.sheetnames == ["Certified Entity", "Certification"]
    entity_header, holders = rows_of(book["Certified Entity"])
    assert entity_header[:4] == CERTIFIED_ENTITY_FIRST
    assert set(entity_header) <= set(CERTIFIED_ENTITY_FIRST) | CERTIFIED_ENTITY_ADDRESS
    assert CERTIFIED_ENTITY_REQUIRED <= set(entity_header) and len(set(entity_header)) == len(entity_header)
    cert_header, certificates = rows_of(book["Certification"])
    assert cert_header[:2] == CERTIFICATION_FIRST
    assert set(cert_header) <= CERTIFICATION_REQUIRED | CERTIFICATION_OPTIONAL | UNCONFIRMED
    assert CERTIFICATION_REQUIRED <= set(cert_header) and len(set(cert_header)) == len(cert_header)

    # One row per certified entity (the two certificates of PT Sinar Baja share one), one per certificate.
    assert sorted(h["Certified Entity Name"] for h in holders) == [PUPUK_SRIWIJAYA.name, SINAR_BAJA.name]
    assert [c["Certificate Number"] for c in certificates] == [quality, environment, fertiliser]
    ids = {h["Certified Entity Name"]: h["Certified Entity Unique ID"] for h in holders}
    by_number = {c["Certificate Number"]: c for c in certificates}
    assert by_number[quality]["Certified Entity Unique ID"] == by_number[environment]["Certified Entity Unique ID"] \
        == ids[SINAR_BAJA.name] != ids[PUPUK_SRIWIJAYA.name] == by_number[fertiliser]["Certified Entity Unique ID"]
    assert len({c["Certification Identity Number"] for c in certificates}) == 3

    # The values of a row, as the register holds them.
    [sinar_baja] = [h for h in holders if h["Certified Entity Name"] == SINAR_BAJA.name]
    assert sinar_baja["Certified Entity Country/Economy"] == "Indonesia"
    assert sinar_baja["Certified Entity Street"] == "Jl. Mayor Zen No. 88, Kalidoni"
    assert sinar_baja["Certified Entity City"] == "Palembang"
    assert sinar_baja["Certified Entity Trading Name"] is None and sinar_baja["Certified Entity English Name"] is None
    [register_entry] = [e for e in entries(rt) if e["number"] == quality]
    row = by_number[quality]
    assert row["Certification Status"] == "Active" and row["Accreditation Status"] == "Accredited"
    assert row["Certification Type"] == "Management System" and row["Standards"] == "SNI ISO 9001:2015"
    assert row["Certification Scope"].startswith("Produksi baja tulangan beton")
    assert row["Certification Issue Date"] == register_entry["issue_date"].strftime("%Y%m%d")
    assert row["Certification Original Issue Date"] == row["Certification Issue Date"]
    assert row["Certification Expiry Date"] == register_entry["expiry_date"].strftime("%Y%m%d")
    assert by_number[fertiliser]["Certification Status"] == "Suspended"
    assert {c["Certification Status"] for c in certificates} <= STATUS_WORDS
    for c in certificates:
        assert all(c[name] for name in CERTIFICATION_REQUIRED), c

    # The old CSV address says, in Indonesian, why there is only the XLSX.
    moved = official.get("/register-sertifikat/certsearch.csv")
    assert moved.status_code == 200 and "hanya menerima berkas Excel (.xlsx)" in moved.text
    assert official.get("/register-sertifikat/certsearch.ods").status_code == 404


@pytest.mark.parametrize("address, parts", [
    ("Jl. Mayor Zen No. 88, Kalidoni, Palembang", ("Jl. Mayor Zen No. 88, Kalidoni", "Palembang", "")),
    ("Jl. Perindustrian II No. 12, Sukarami, Palembang 30152", ("Jl. Perindustrian II No. 12, Sukarami", "Palembang", "30152")),
    ("Desa Sukamaju RT 03", ("Desa Sukamaju RT 03", "", "")),
    ("", ("", "", "")),
])
def test_an_address_on_one_line_gives_street_city_and_postcode(address, parts):
    assert split_address(address) == parts


def test_a_register_past_certsearchs_limit_downloads_as_numbered_files_in_one_zip(rt):
    """CertSearch takes at most 10,000 certification rows in one file (Excel General Rules, above):
    a register of 10,001 certificates downloads as a ZIP of cb_certs_1.xlsx (10,000 rows) and
    cb_certs_2.xlsx (1 row), each with the entity rows its certificates need; the register page says
    so in Indonesian. Up to the limit the download stays one XLSX."""
    import zipfile
    from datetime import date

    from pipelines.applications import store

    first = certify(rt, "iso9001_lsbbk", SINAR_BAJA, "Produksi baja tulangan beton")
    [issued] = entries(rt)
    official = login(rt, "pejabat1")
    one = official.get("/register-sertifikat/certsearch.xlsx")
    assert one.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

    with rt.engine.begin() as conn:      # 10,000 more certificates of other holders, as the register keeps them
        store.register_certificates(conn, [{
            "number": f"SNL/{i:05d}/2026", "token": f"token{i:019d}", "dossier_id": issued["dossier_id"],
            "service": "sppt_sni_tipe1", "customer_id": None, "holder": f"PT Pemegang {i:05d}",
            "standard": "SNI 2052:2017", "scope": "Baja tulangan beton", "site": "Jl. Industri No. 1, Palembang 30152",
            "issue_date": date(2026, 11, 2), "expiry_date": date(2027, 11, 2), "surveillance_dates": [],
            "status": "aktif"} for i in range(10_000)])
    page = official.get("/register-sertifikat").text
    assert "IAF CertSearch menerima paling banyak 10.000 sertifikat per berkas" in page
    assert "cb_certs_1.xlsx, cb_certs_2.xlsx" in page

    download = official.get("/register-sertifikat/certsearch.xlsx")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    assert 'filename="cb_certs_' in download.headers["content-disposition"] and ".zip" in download.headers[
        "content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert archive.namelist() == ["cb_certs_1.xlsx", "cb_certs_2.xlsx"]
    numbers, entity_ids = [], set()
    for name, expected in (("cb_certs_1.xlsx", 10_000), ("cb_certs_2.xlsx", 1)):
        book = load_workbook(io.BytesIO(archive.read(name)), read_only=True)
        assert book.sheetnames == ["Certified Entity", "Certification"]
        _, holders = rows_of(book["Certified Entity"])
        _, certificates = rows_of(book["Certification"])
        assert len(certificates) == expected
        # every certificate's entity is in the same file, and only those
        assert {c["Certified Entity Unique ID"] for c in certificates} == {h["Certified Entity Unique ID"] for h in holders}
        numbers += [c["Certificate Number"] for c in certificates]
        entity_ids |= {h["Certified Entity Unique ID"] for h in holders}
    assert numbers[0] == first and len(numbers) == len(set(numbers)) == 10_001


def test_the_register_page_shows_fifty_certificates_a_page_and_keeps_the_filter_across_pages(rt):
    import re
    from datetime import date

    from pipelines.applications import store

    certify(rt, "iso9001_lsbbk", SINAR_BAJA, "Produksi baja tulangan beton")
    [issued] = entries(rt)
    with rt.engine.begin() as conn:
        store.register_certificates(conn, [{
            "number": f"SNL/{i:05d}/2026", "token": f"token{i:019d}", "dossier_id": issued["dossier_id"],
            "service": "sppt_sni_tipe1", "customer_id": None, "holder": f"PT Pemegang {i:05d}",
            "standard": "SNI 2052:2017", "scope": "Baja tulangan beton", "site": "Palembang",
            "issue_date": date(2026, 11, 2), "expiry_date": date(2027, 11, 2), "surveillance_dates": [],
            "status": "aktif" if i % 2 else "dibekukan"} for i in range(119)])
    official = login(rt, "pejabat1")

    def shown(url: str) -> tuple[list[str], str]:
        page = official.get(url).text
        return re.findall(r'<tr data-sertifikat="([^"]+)">', page), page

    first, page = shown("/register-sertifikat")
    assert len(first) == 50 and "120 sertifikat · halaman 1 dari 3" in page
    assert 'href="/register-sertifikat?halaman=2"' in page and "« Sebelumnya" not in page
    last, page = shown("/register-sertifikat?halaman=3")
    assert len(last) == 20 and "Berikutnya »" not in page
    everything = first + shown("/register-sertifikat?halaman=2")[0] + last
    assert len(set(everything)) == 120          # every certificate on exactly one page
    # a filter holds across pages; a page past the end shows the last one
    active, page = shown("/register-sertifikat?status=aktif")
    assert len(active) == 50 and "60 sertifikat · halaman 1 dari 2" in page
    assert 'href="/register-sertifikat?status=aktif&amp;halaman=2"' in page
    assert len(shown("/register-sertifikat?status=aktif&halaman=9")[0]) == 10
    assert len(shown("/register-sertifikat?halaman=abc")[0]) == 50
