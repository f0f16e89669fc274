"""Replies to complainants come from the office's complaints mailbox (data/offices.yaml
`complaints_email`), not from the single sender the other services use; mail of other services
keeps that sender. Sent for real through the file transport and read back as the complainant gets it."""
from __future__ import annotations

import email
from email import policy

import yaml

from pipelines.complaints.register import register_entry
from pipelines.config import Settings
from pipelines.runtime import Runtime
from pipelines.send.outbox import drain, enqueue
from pipelines.send.transport import transport_for

OFFICE = {"id": "balai-uji", "name": "Balai Uji", "address": "Jl. Uji No. 1", "city": "Palembang",
          "email": "layanan@balai-uji.example.go.id", "complaints_email": "pengaduan@balai-uji.example.go.id",
          "official": {"name": "Kepala", "title": "Kepala Balai", "nip": "1"}, "mailboxes": ["pengaduan-uji"],
          "officers": ["rina"]}


def _runtime(tmp_path, *, sender: str) -> Runtime:
    offices = tmp_path / "offices.yaml"
    offices.write_text(yaml.safe_dump([OFFICE]), encoding="utf-8")
    return Runtime(Settings(outputs_dir=tmp_path / "out", offices_path=offices, sender=sender))


def _sent(rt) -> list:
    drain(rt.engine, transport_for(rt.settings), rt.worker)
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(rt.settings.outbox_dir.glob("*.eml"))]


def test_a_complainant_is_answered_from_the_offices_complaints_mailbox(tmp_path):
    rt = _runtime(tmp_path, sender="layanan@balai-uji.example.go.id")
    register_entry(rt, channel="telepon", actor="rina", name="Budi", email="budi@contoh.id",
                   text="Sertifikat kami belum juga dikirim sejak bulan lalu.")
    with rt.engine.begin() as conn:      # mail of another service: the settings' sender, as before
        enqueue(conn, key="lain:1", to=["pt@contoh.id"], subject="Tanda terima", body="Terima kasih.",
                sender_domain="balai-uji.example.go.id")
    [acknowledgement, other] = _sent(rt)
    assert acknowledgement["To"] == "budi@contoh.id"
    assert acknowledgement["From"].addresses[0].addr_spec == "pengaduan@balai-uji.example.go.id"
    assert other["From"].addresses[0].addr_spec == "layanan@balai-uji.example.go.id"


def test_a_complaint_recorded_by_an_officer_of_no_listed_office_keeps_the_sender(tmp_path):
    rt = _runtime(tmp_path, sender="blanko@bnsp.example.go.id")
    register_entry(rt, channel="telepon", actor="andi", name="Budi", email="budi@contoh.id",
                   text="Sertifikat kami belum juga dikirim sejak bulan lalu.")
    [acknowledgement] = _sent(rt)
    assert acknowledgement["From"].addresses[0].addr_spec == "blanko@bnsp.example.go.id"
