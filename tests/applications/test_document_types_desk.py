"""Each file of an application under its checklist item on the desk's case page (over HTTP): an
application mailed through real Dovecot, a corrected form in its thread, and one an officer
enters at the counter show the service checklist's Indonesian labels; a file that matches no
item stays "Lainnya"; a row saved before the type was stored gets it at the case's next check."""
from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select, update

from pipelines import db
from pipelines.desk import auth
from tests.applications.factories import PUPUK_SRIWIJAYA, SINAR_BAJA, application_files, application_mail, \
    form_pdf, reply, text_pdf
from tests.applications.office import make_balai
from tests.desk.application_case import PASSWORD, login

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROW = re.compile(r'<tr><td><a href="/berkas/[^"]+/lampiran/\d+">([^<]+)</a></td>\s*<td>([^<]+)<')
OTHER = "Lainnya"


@pytest.fixture
def office(tmp_path, mailbox, smtp_server):
    return make_balai(tmp_path, mailbox, smtp_server)


def types_on_page(client, number: str) -> dict[str, list[str]]:
    """The documents table of the case page: file name -> the types shown for it (one per copy)."""
    page = client.get(f"/permohonan/{number}").text
    table = page[page.index('id="dokumen"'):]
    table = table[:table.index("</table>")]
    shown: dict[str, list[str]] = {}
    for name, label in ROW.findall(table):
        shown.setdefault(html.unescape(name), []).append(html.unescape(label).strip())
    return shown


def labels(rt, kind: str) -> dict[str, str]:
    return {item["id"]: item["label"] for item in rt.services[kind].checklist}


def test_application_files_show_their_checklist_item_on_the_case_page(office):
    company = PUPUK_SRIWIJAYA
    rt = office.runtime()
    service = rt.services["iso14001"]
    files = application_files("iso14001", company, service.name)
    files["foto_kegiatan.pdf"] = text_pdf(["Dokumentasi kunjungan pelanggan", "Gedung kantor tampak depan"])
    office.mailbox.append(application_mail("iso14001", company, service.name, files=files))
    office.run()
    [case] = office.dossiers()
    number = case["number"]
    auth.create_user(rt.engine, "seksi.ss", "petugas", "Seksi Standardisasi dan Sertifikasi", PASSWORD)
    client = login(rt, "seksi.ss")
    item = labels(rt, "iso14001")

    assert types_on_page(client, number) == {
        "surat_permohonan.pdf": [item["surat_permohonan"]],
        "formulir_permohonan.pdf": [item["formulir_permohonan"]],
        "nib.pdf": [item["nib"]],
        "manual_lingkungan.pdf": [item["manual_lingkungan"]],
        "persetujuan_lingkungan.pdf": [item["dokumen_lingkungan"]],
        "foto_kegiatan.pdf": [OTHER]}

    # A row saved before the checklist type was stored (an older database) shows "Lainnya" ...
    with rt.engine.begin() as conn:
        conn.execute(update(db.documents).where(db.documents.c.filename == "nib.pdf").values(doc_type="other"))
    assert types_on_page(client, number)["nib.pdf"] == [OTHER]

    # ... until the case is checked again: a corrected form in the thread (real Dovecot).
    from pipelines.applications import advance
    advance(rt, number, officer="kepala")
    [receipt] = office.inbox_of(company.email)
    corrected = form_pdf(company, service.name, ["Ruang Lingkup : Produksi pupuk organik granul dan cair"])
    office.mailbox.append(reply(company, receipt, "Dengan hormat, kami kirimkan revisi formulir permohonan.",
                                {"formulir_permohonan_revisi.pdf": corrected,
                                 "catatan_rapat.pdf": text_pdf(["Notulen rapat internal", "Agenda: anggaran"])}))
    office.run()
    shown = types_on_page(client, number)
    assert shown["formulir_permohonan_revisi.pdf"] == [item["formulir_permohonan"]]
    assert shown["catatan_rapat.pdf"] == [OTHER]
    assert shown["nib.pdf"] == [item["nib"]]
    assert shown["foto_kegiatan.pdf"] == [OTHER]


def test_files_an_officer_enters_at_the_counter_show_their_checklist_item(office):
    rt = office.runtime()
    auth.create_user(rt.engine, "rina", "petugas", "Rina Kartika", PASSWORD)
    client = login(rt, "rina")
    kind = "sppt_sni_tipe5"
    files = application_files(kind, SINAR_BAJA, rt.services[kind].name)
    files["scan_lain.pdf"] = text_pdf(["Daftar hadir tamu", "Senin pagi"])
    token = CSRF.search(client.get("/permohonan/baru").text).group(1)
    response = client.post("/permohonan/baru", data={
        "csrf_token": token, "layanan": kind, "saluran": "pos", "email": SINAR_BAJA.email,
        "name": SINAR_BAJA.name, "nib": SINAR_BAJA.nib, "address": SINAR_BAJA.address,
        "contact": SINAR_BAJA.contact, "phone": SINAR_BAJA.phone, "scope": "Kopi bubuk"},
        files=[("berkas", (name, data, "application/pdf")) for name, data in files.items()])
    assert response.status_code == 200
    number = re.search(r"Permohonan dicatat sebagai ([A-Z]+-\d{4}-\d{6})", response.text).group(1)
    item = labels(rt, kind)
    assert types_on_page(client, number) == {
        "surat_permohonan.pdf": [item["surat_permohonan"]],
        "formulir_permohonan.pdf": [item["formulir_permohonan"]],
        "nib.pdf": [item["nib"]],
        "spesifikasi_produk.pdf": [item["spesifikasi_produk"]],
        "manual_mutu_pabrik.pdf": [item["manual_mutu"]],
        "scan_lain.pdf": [OTHER]}


def test_a_case_from_before_types_were_recorded_gets_them_once_when_its_page_opens(office, monkeypatch):
    """An older database: the case's document rows carry no type and nothing typed them. Opening the
    case page reads the kept files once, types them as new documents are typed, and stores it."""
    from pipelines import process
    company = PUPUK_SRIWIJAYA
    rt = office.runtime()
    service = rt.services["iso14001"]
    office.mailbox.append(application_mail("iso14001", company, service.name))
    office.run()
    [case] = office.dossiers()
    with rt.engine.begin() as conn:
        conn.execute(update(db.documents).where(db.documents.c.dossier_id == case["id"]).values(doc_type=""))
        conn.execute(db.document_types_recorded.delete())
    reads = []
    read_again = process._earlier_documents
    monkeypatch.setattr(process, "_earlier_documents", lambda *a, **k: reads.append(a) or read_again(*a, **k))
    auth.create_user(rt.engine, "seksi.ss", "petugas", "Seksi Standardisasi dan Sertifikasi", PASSWORD)
    client = login(rt, "seksi.ss")
    item = labels(rt, "iso14001")
    expected = {"surat_permohonan.pdf": [item["surat_permohonan"]],
                "formulir_permohonan.pdf": [item["formulir_permohonan"]], "nib.pdf": [item["nib"]],
                "manual_lingkungan.pdf": [item["manual_lingkungan"]],
                "persetujuan_lingkungan.pdf": [item["dokumen_lingkungan"]]}
    assert types_on_page(client, case["number"]) == expected
    with rt.engine.connect() as conn:
        stored = dict(conn.execute(select(db.documents.c.filename, db.documents.c.doc_type).where(
            db.documents.c.dossier_id == case["id"])).all())
    assert stored == {"surat_permohonan.pdf": "surat_permohonan", "formulir_permohonan.pdf": "formulir_permohonan",
                      "nib.pdf": "nib", "manual_lingkungan.pdf": "manual_lingkungan",
                      "persetujuan_lingkungan.pdf": "dokumen_lingkungan"}
    assert types_on_page(client, case["number"]) == expected
    assert len(reads) == 1          # typed once: the second visit reads nothing again
