"""Pure parts of applications: the applicant read from a form, follow-up mail sorted, the offer,
step durations, every committed service well formed."""
from __future__ import annotations

from pipelines.applications.form import name_key, read_applicant
from pipelines.applications.tariff import offer
from pipelines.applications.thread import followup_kind
from pipelines.config import PROJECT_ROOT
from pipelines.services import load_services, role_labels

SERVICES = load_services(PROJECT_ROOT / "services")
FOLLOWUPS = SERVICES["iso9001_lsbbk"].followups


def test_the_applicant_is_read_from_label_lines_only():
    form = ("FORMULIR PERMOHONAN\n1. Nama Perusahaan : PT. Maju Jaya Abadi, Tbk\n2. NIB : 9120 1044 55667\n"
            "Alamat Pabrik : -\nAlamat : Jl. Sudirman 1, Palembang\nPenanggung Jawab: Budi\n")
    applicant = read_applicant([form, "Kami PT Lain Sekali bermaksud ..."])
    assert applicant.name == "PT. Maju Jaya Abadi, Tbk" and applicant.nib == "9120104455667"
    assert applicant.address == "Jl. Sudirman 1, Palembang" and applicant.contact_person == "Budi"
    assert applicant.site == ""                      # "-" is no value
    assert name_key("PT. Maju Jaya Abadi, Tbk") == name_key("maju  jaya ABADI") == "maju jaya abadi"
    assert read_applicant(["NIB : 12345"]).nib == ""   # not 13 digits: not a NIB


def test_follow_up_mail_is_sorted_by_the_service_patterns():
    def kind(subject, body="", files=()):
        spec = followup_kind(FOLLOWUPS, subject, body, list(files))
        return spec["kind"] if spec else None
    assert kind("Re: Tagihan", "Terlampir bukti bayar NTPN") == "bukti_bayar"
    assert kind("Re: Tagihan", "", ["bukti_transfer.pdf"]) == "bukti_bayar"
    assert kind("Tindakan perbaikan KTS-01") == "tindakan_perbaikan"
    assert kind("Re: Audit", "Kami konfirmasi jadwal audit tanggal 7") == "konfirmasi_audit"
    assert kind("Re: Penawaran", "Apakah biaya sudah termasuk transport?") == "pertanyaan"
    assert kind("Re: Penawaran", "Terima kasih.") is None


def test_the_offer_adds_components_and_says_the_total_in_words():
    result = offer(SERVICES["sertifikasi_person"].tariff, participants=4)
    assert [line["amount"] for line in result["lines"]] == [100000, 6000000]
    assert result["total"] == 6100000 and result["total_words"] == "enam juta seratus ribu"


def test_every_service_is_well_formed():
    roles = role_labels()
    assert {"iso9001_lsbbk", "sppt_sni_tipe5", "sppt_sni_tipe1", "industri_hijau", "iso14001",
            "sertifikasi_person", "bimtek", "blank_request"} <= set(SERVICES)
    for service in SERVICES.values():
        for step in service.steps:
            assert step.role in roles, (service.kind, step.id)
        for item in service.checklist:
            assert item.get("formats") and item.get("max_size_mb"), (service.kind, item["id"])
    durations = {s.id: s.minutes for s in SERVICES["iso9001_lsbbk"].steps}
    assert durations["disposisi"] == 15 and durations["verifikasi"] == 120 and durations["menunggu_pembayaran"] == 480
    for kind, days in {"iso9001_lsbbk": 32, "sppt_sni_tipe5": 41, "sppt_sni_tipe1": 14,
                       "sertifikasi_person": 14, "bimtek": 20}.items():
        assert SERVICES[kind].clock["target_working_days"] == days


def test_sppt_sni_type_1_samples_the_lot_instead_of_an_audit():
    """Type 1 has no factory audit: its YAML rewords the base's audit steps (step_changes) as the
    sampling and verification of the lot; type 5 keeps the audit. Step ids stay the same."""
    type1, type5 = SERVICES["sppt_sni_tipe1"], SERVICES["sppt_sni_tipe5"]
    assert [s.id for s in type1.steps] == [s.id for s in type5.steps]
    assert type1.step("audit").label == "Pengambilan contoh dan verifikasi lot"
    assert type1.step("pemberitahuan_audit").label == "Surat pelaksanaan pengambilan contoh (tanggal, petugas, biaya)"
    assert [i["label"] for i in type1.step("pemberitahuan_audit").inputs] == [
        "Tanggal pengambilan contoh", "Tanggal selesai verifikasi lot",
        "Petugas pengambil contoh dari daftar personel (ketua lebih dulu, dipisah ;)"]
    assert type1.certificate["activity"] == "pengambilan contoh"
    words = [s.label for s in type1.steps] + [i["label"] for s in type1.steps for i in s.inputs]
    assert not [w for w in words if "audit" in w.lower()]
    assert type1.step("audit").minutes is None       # not the type 5 factory audit's 41 working days
    assert type5.step("audit").label == "Audit tahap 1 dan tahap 2" and "activity" not in type5.certificate


def test_a_step_change_must_name_a_step_of_the_base(tmp_path):
    import pytest
    from pipelines.services import ServiceError, load_service
    path = tmp_path / "salah.yaml"
    path.write_text("kind: salah\nname: Salah\nnumber_prefix: SLH\nchecklist: []\nbase: _sertifikasi_balai.yaml\n"
                    "step_changes:\n  audit_pabrik: {label: Audit pabrik}\n", encoding="utf-8")
    with pytest.raises(ServiceError, match="step_changes: no step 'audit_pabrik'"):
        load_service(path)


def test_a_committee_withdrawal_withdraws_the_customers_certificate(tmp_path):
    """A surveillance case decided 'pencabutan' withdraws the customer's certificate of that service."""
    from datetime import date

    import yaml
    from sqlalchemy import insert, select

    from pipelines import db
    from pipelines.applications import advance
    from pipelines.applications.models import applications, customers, register
    from pipelines.runtime import Runtime
    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({"outputs_dir": str(tmp_path / "out"), "convert_pdf": False}))
    rt = Runtime.load(config)
    now = db.now()
    with rt.engine.begin() as conn:
        customer = conn.execute(insert(customers).values(office="", name="PT Uji", name_key="uji", emails=[],
                                                         created_at=now, updated_at=now)).inserted_primary_key[0]
        ids = []
        for number, status in (("SMM-2026-000001", "selesai"), ("SMM-2026-000002", "keputusan")):
            ids.append(conn.execute(insert(db.dossiers).values(
                number=number, kind="iso9001_lsbbk", status=status, sender="qa@uji.example.id",
                received_at=now, created_at=now, updated_at=now, facts={})).inserted_primary_key[0])
            conn.execute(insert(applications).values(dossier_id=ids[-1], office="", customer_id=customer,
                                                     data={}, created_at=now))
        conn.execute(insert(register).values(
            number="SMM/000001/2026", token="t" * 32, dossier_id=ids[0], service="iso9001_lsbbk",
            customer_id=customer, holder="PT Uji", issue_date=date(2026, 1, 5), expiry_date=date(2029, 1, 5),
            surveillance_dates=[], status="aktif", created_at=now, updated_at=now))
    assert advance(rt, "SMM-2026-000002", officer="komite", outcome="pencabutan") == "selesai"
    with rt.engine.connect() as conn:
        row = conn.execute(select(register)).mappings().one()
    assert row["status"] == "dicabut" and "SMM-2026-000002" in row["status_reason"]


def test_the_maintain_mail_words_the_surveillance_as_the_service_does():
    """The committee's maintain mail says "audit survailen" for ISO 9001 (an audit of the company's
    system) and "survailen pemegang sertifikat" for person certification (no audit of a company)."""
    from datetime import date

    from pipelines.applications.wording import surveillance_activity
    from pipelines.write.email_text import render_email
    services = load_services(PROJECT_ROOT / "services")

    def maintain_mail(kind: str) -> str:
        service = services[kind]
        _, body = render_email("pemeliharaan_sertifikat", {
            "case": {"number": "X-2026-000002"}, "service": {"name": service.name},
            "certificate": {"surveillance_activity": surveillance_activity(service)},
            "customer": {"name": "PT Contoh"}, "office": {"name": "Balai"},
            "maintained": [{"number": "S/1", "holder": "Siti", "next_due": date(2027, 12, 1),
                            "expiry_date": date(2028, 12, 1)}]})
        return body

    assert "Berdasarkan hasil audit survailen atas permohonan nomor X-2026-000002" in maintain_mail("iso9001_lsbbk")
    person = maintain_mail("sertifikasi_person")
    assert "Berdasarkan hasil survailen pemegang sertifikat atas permohonan" in person and "audit" not in person
