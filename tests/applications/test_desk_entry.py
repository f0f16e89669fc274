"""An application brought to the counter is entered at the desk and follows the mail path:
checked, receipt mailed on a real SMTP server, then completed step by step from the desk."""
from __future__ import annotations

import re
import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from pipelines.applications.models import applications, customers
from pipelines.desk import auth
from pipelines.desk.app import create_app
from tests.applications.factories import KOPI_MUSI, application_files
from tests.applications.office import make_balai
from tests.read.read_builders import text_pdf

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _login(client) -> None:
    page = client.get("/masuk")
    token = CSRF.search(page.text).group(1)
    client.post("/masuk", data={"username": "loket1", "password": "kata-sandi-uji-123", "lanjut": "/",
                                "csrf_token": token})


def test_a_counter_application_is_entered_at_the_desk_and_walked_from_there(tmp_path, mailbox, smtp_server):
    office = make_balai(tmp_path, mailbox, smtp_server)
    rt = office.runtime()
    auth.create_user(rt.engine, "loket1", "petugas", "Rina Kartika", "kata-sandi-uji-123")
    with TestClient(create_app(rt)) as client:   # starts the desk's background sender
        _login(client)
        form = client.get("/permohonan/baru")
        assert form.status_code == 200 and "SPPT SNI" in form.text
        files = application_files("sppt_sni_tipe5", KOPI_MUSI, rt.services["sppt_sni_tipe5"].name)
        files.pop("formulir_permohonan.pdf")     # the paper form's data is typed by the officer ...
        files["formulir_permohonan.pdf"] = text_pdf(["FORMULIR PERMOHONAN SPPT SNI", "(pindaian formulir kertas)"])
        response = client.post("/permohonan/baru", data={
            "csrf_token": CSRF.search(form.text).group(1), "layanan": "sppt_sni_tipe5", "saluran": "loket",
            "email": KOPI_MUSI.email, "name": KOPI_MUSI.name, "nib": KOPI_MUSI.nib, "address": KOPI_MUSI.address,
            "contact": KOPI_MUSI.contact, "scope": "Kopi bubuk, SNI 01-3542-2004"},
            files=[("berkas", (name, data, "application/pdf")) for name, data in files.items()],
            follow_redirects=False)
        assert response.status_code == 303
        number = response.headers["location"].rsplit("/", 1)[1]
        [case] = office.dossiers()
        assert case["number"] == number and number.startswith("SNI-") and case["status"] == "disposisi"
        with rt.engine.connect() as conn:
            [app] = conn.execute(select(applications)).mappings().all()
            [customer] = conn.execute(select(customers)).mappings().all()
        assert app["channel"] == "loket" and customer["nib"] == KOPI_MUSI.nib and customer["name"] == KOPI_MUSI.name
        # The desk request does not wait on SMTP: the background sender delivers the receipt.
        deadline = time.monotonic() + 30
        while not office.inbox_of(KOPI_MUSI.email) and time.monotonic() < deadline:
            time.sleep(0.2)
        [receipt] = office.inbox_of(KOPI_MUSI.email)
        assert number in receipt["Subject"]
        assert "telah kami terima dengan lengkap" in receipt.get_body(preferencelist=("plain",)).get_content()

        # The case waits at the disposition; the head of the office completes it from the list.
        listing = client.get("/permohonan")
        assert number in listing.text and "Disposisi permohonan" in listing.text and "Kepala Balai" in listing.text
        done = client.post(f"/permohonan/{number}/langkah", data={"csrf_token": CSRF.search(listing.text).group(1)},
                           follow_redirects=False)
        assert done.status_code == 303
        assert office.dossiers()[0]["status"] == "verifikasi"
        # A refused step says why, in Indonesian, and nothing moves.
        client.post(f"/permohonan/{number}/langkah", data={"csrf_token": CSRF.search(listing.text).group(1)})
        client.post(f"/permohonan/{number}/langkah", data={"csrf_token": CSRF.search(listing.text).group(1)})
        refused = client.post(f"/permohonan/{number}/langkah", data={"csrf_token": CSRF.search(listing.text).group(1)})
        assert "Kode billing" in refused.text and office.dossiers()[0]["status"] == "penagihan"
