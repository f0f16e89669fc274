from datetime import date

import pytest
from jinja2 import UndefinedError

from pipelines.findings import Finding
from pipelines.write.email_text import TemplateDataError, render_email


@pytest.fixture
def ctx():
    return dict(
        lsp=dict(name="LSP Maju & Sejahtera", address="Jl. Merdeka 1, Bandung"),
        dossier=dict(number="BLK-2026-00042"),
        office=dict(name="Sekretariat BNSP"),
        letter=dict(number="012/LSP-MS/XI/2026", date=date(2026, 11, 18)),
        received_at=date(2026, 11, 19),
        officer="Andi Pratama",
        findings=[
            Finding.error("dok.keputusan_hilang", "Keputusan sertifikasi (PDF) belum dilampirkan."),
            Finding.warning("nik.lahir", "Catatan internal untuk petugas."),
            Finding.error("peserta.nik", "Daftar peserta, baris 7: NIK 15 digit, seharusnya 16 digit.",
                          "peserta.xlsx"),
            {"severity": "error", "message": "Berita acara asesmen lebih dari 5 MB."},
            Finding.error("dok.keputusan_hilang", "Keputusan sertifikasi (PDF) belum dilampirkan."),
        ],
    )


def test_completion_request_lists_each_error_once(ctx):
    subject, body = render_email("permintaan_kelengkapan", ctx)
    assert subject == ("Permintaan Kelengkapan Dokumen Permohonan Blanko Sertifikat "
                       "[Nomor Berkas BLK-2026-00042]")
    assert body.startswith("Kepada Yth.\nPimpinan LSP Maju & Sejahtera\n")  # no escaping
    bullets = [line for line in body.splitlines() if line.startswith("- ")]
    assert bullets == [
        "- Keputusan sertifikasi (PDF) belum dilampirkan.",
        "- Daftar peserta, baris 7: NIK 15 digit, seharusnya 16 digit.",
        "- Berita acara asesmen lebih dari 5 MB.",
    ]
    assert "Catatan internal" not in body
    assert "surat Nomor 012/LSP-MS/XI/2026 tanggal 18 November 2026" in body
    assert "membalas surel ini (pada utas yang sama)" in body
    assert body.count("BLK-2026-00042") >= 2
    assert body.rstrip().endswith("Hormat kami,\nAndi Pratama\nSekretariat BNSP")
    assert "<" not in body and "\n\n\n" not in body


def test_completion_request_reply_subject_and_unknown_letter(ctx):
    ctx.update(thread_subject="RE: Fwd: Permohonan Blanko LSP Maju", letter=None, officer=None)
    subject, body = render_email("permintaan_kelengkapan", ctx)
    assert subject == "Re: Permohonan Blanko LSP Maju [Nomor Berkas BLK-2026-00042]"
    assert "surat Nomor" not in body
    assert body.rstrip().endswith("Hormat kami,\nSekretariat BNSP")


def test_completion_request_needs_errors(ctx):
    ctx["findings"] = [Finding.warning("x", "hanya peringatan")]
    with pytest.raises(TemplateDataError):
        render_email("permintaan_kelengkapan", ctx)


def test_missing_required_value_raises(ctx):
    del ctx["dossier"]
    with pytest.raises(UndefinedError):
        render_email("permintaan_kelengkapan", ctx)


def test_control_characters_and_header_injection_removed(ctx):
    ctx["lsp"]["name"] = "LSP\x07 Jaya\u202e"
    ctx["thread_subject"] = "Permohonan\r\nBcc: korban@example.com"
    subject, body = render_email("permintaan_kelengkapan", ctx)
    assert "\n" not in subject and "\r" not in subject
    assert "Pimpinan LSP Jaya\n" in body


def test_acknowledgement(ctx):
    ctx.update(due_date=date(2026, 11, 20), completed_at=date(2026, 11, 19),
               schemes=[dict(name="Teknisi Jaringan Komputer", competent=20)], blanks_total=20)
    subject, body = render_email("tanda_terima_permohonan", ctx)
    assert "BLK-2026-00042" in subject
    assert "sedang kami proses" in body
    assert "paling lambat 20 November 2026" in body
    assert "- Teknisi Jaringan Komputer: 20 lembar" in body
    assert "Jumlah: 20 (dua puluh) lembar" in body


def test_spine_context_shape(ctx):
    """As pipelines/process.py calls it: `errors`, an unknown LSP, an empty letter."""
    from dataclasses import dataclass

    @dataclass
    class Office:
        name: str = "Sekretariat Badan Nasional Sertifikasi Profesi"
        address: str = "Jl. M.T. Haryono Kav. 52"
        city: str = "Jakarta"

    spine = {"office": Office(), "dossier": {"number": "BLK-2026-00043",
                                             "received_at": date(2026, 11, 19)},
             "lsp": None, "facts": {}, "letter": {"number": "", "date": ""},
             "errors": [Finding.error("x", "Surat permohonan belum dilampirkan.")],
             "due_date": None}
    subject, body = render_email("permintaan_kelengkapan", spine)
    assert "Pimpinan Lembaga Sertifikasi Profesi\ndi tempat" in body
    assert "- Surat permohonan belum dilampirkan." in body
    assert "kami terima pada 19 November 2026" in body
    assert "surat Nomor" not in body
    _, body = render_email("tanda_terima_permohonan", spine)
    assert "paling lambat 1 (satu) hari kerja" in body


@pytest.fixture
def shipped(ctx):
    ctx.update(courier_name="JNE", days=6,
               parcel=dict(number="PKT-2026-0007", blanks=25, receipt_number="TT-2026-00042",
                           shipped_at=date(2026, 11, 23), delivered_at=date(2026, 11, 25)),
               manifest=dict(number="MNF-2026-0003", pickup_date=date(2026, 11, 23)),
               serial_ranges=[dict(start="A0001001", end="A0001020", count=20),
                              dict(start="A0002001", end="A0002005", count=5)])
    return ctx


def test_shipment_notice(shipped):
    subject, body = render_email("pemberitahuan_pengiriman", shipped)
    assert subject.startswith("Pemberitahuan Pengiriman Blanko Sertifikat")
    for value in ["kami serahkan kepada JNE pada 23 November 2026", "- Nomor paket: PKT-2026-0007",
                  "- Jasa kurir: JNE", "- Nomor manifes: MNF-2026-0003",
                  "- Jumlah blanko: 25 (dua puluh lima) lembar",
                  "  A0001001 s.d. A0001020 (20 lembar)", "  A0002001 s.d. A0002005 (5 lembar)",
                  "tanda terima Nomor TT-2026-00042", "Jl. Merdeka 1, Bandung"]:
        assert value in body, value
    assert "u.p." not in body and "sertifikat untuk" not in body
    shipped["lsp"]["contact"] = "Budi"
    shipped["certificates_count"] = 20
    _, body = render_email("pemberitahuan_pengiriman", shipped)
    assert "u.p. Budi\n" in body and "untuk 20 peserta" in body


def test_receipt_reminder(shipped):
    shipped.update(reminder_number=2, reply_by=date(2026, 12, 4))
    subject, body = render_email("pengingat_tanda_terima", shipped)
    assert subject.startswith("Pengingat")
    for value in ["tanda terima Nomor TT-2026-00042", "pengingat ke-2",
                  "paling lambat 4 Desember 2026", "diterima pada 25 November 2026",
                  "paket Nomor PKT-2026-0007, 25 (dua puluh lima) lembar",
                  "(6 hari kerja setelah pengiriman)"]:
        assert value in body, value
    # As pipelines/fulfil/reminders.py calls it.
    minimal = {"office": {"name": "Sekretariat BNSP"}, "days": 5, "lsp": {"name": "LSP A"},
               "dossier": {"number": "BLK-1"},
               "parcel": {"number": "P-1", "blanks": 3, "receipt_number": "TT-1",
                          "shipped_at": date(2026, 11, 23)}}
    _, body = render_email("pengingat_tanda_terima", minimal)
    assert "pengingat ke-" not in body and "paling lambat" not in body
    assert "pada 23 November 2026, hingga hari ini (5 hari kerja" in body
