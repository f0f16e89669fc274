"""An LSP's mail as it really arrives: odd names, forwarded, zipped, HTML only, broken."""
from __future__ import annotations

import base64
import zipfile
from email.message import EmailMessage

import pytest
from read_builders import (dossier_files, forwarded_mail, participant_list_xlsx, request_mail,
                           text_pdf, letter_lines, zip_bomb, zip_of)

from pipelines.read import ReadLimits, walk_message
from pipelines.read import sniff as sn


def codes(mc):
    return [f.code for f in mc.findings]


def test_clean_request_mail_gives_four_attachments_and_no_findings():
    mc = walk_message(request_mail())
    assert [a.filename for a in mc.attachments] == list(dossier_files())
    assert [a.media_type for a in mc.attachments] == [sn.PDF, sn.PDF, sn.PDF, sn.XLSX]
    assert mc.findings == []
    assert mc.subject == "Permohonan Blanko Sertifikat"
    assert mc.from_addr == "admin@lsp-tdn.example.id" and mc.from_name == "LSP TDN"
    assert mc.message_id == "<req-1@lsp-tdn.example.id>"
    assert "terlampir dokumen" in mc.text


def test_rfc2231_and_encoded_word_filenames_are_decoded():
    pdf = text_pdf(letter_lines())
    raw = (
        b"From: a@lsp.example.id\r\nTo: b@bnsp.example\r\nSubject: =?UTF-8?B?UGVybW9ob25hbiBibGFua28=?=\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nTerlampir.\r\n--XX\r\n"
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
        b"Content-Disposition: attachment; filename*=UTF-8''Surat%20Permohonan%20%E2%80%93%20Okt.pdf\r\n\r\n"
        + base64.encodebytes(pdf) + b"\r\n--XX\r\n"
        b"Content-Type: application/octet-stream; name=\"=?UTF-8?Q?Keputusan_Sertifikasi_=C3=A9.pdf?=\"\r\n"
        b"Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment\r\n\r\n"
        + base64.encodebytes(pdf) + b"\r\n--XX--\r\n")
    mc = walk_message(raw)
    assert mc.subject == "Permohonan blanko"
    assert [a.filename for a in mc.attachments] == ["Surat Permohonan – Okt.pdf", "Keputusan Sertifikasi é.pdf"]
    assert all(a.media_type == sn.PDF for a in mc.attachments)
    assert mc.findings == []


def test_path_control_chars_leading_dots_and_duplicates_are_sanitised():
    msg = EmailMessage()
    msg["From"] = "a@lsp.example.id"
    msg["Subject"] = "x"
    msg.set_content("isi")
    pdf = text_pdf(["Berita Acara"])
    for name in ["../../etc/passwd.pdf", "C:\\Users\\lsp\\berita\x07acara.pdf", "...tersembunyi.pdf",
                 "berita acara.pdf", "berita acara.pdf", "a" * 300 + ".pdf", ""]:
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=name or None)
    names = [a.filename for a in walk_message(msg.as_bytes()).attachments]
    assert names[0] == "passwd.pdf"
    assert names[1] == "beritaacara.pdf"
    assert names[2] == "tersembunyi.pdf"
    assert names[3:5] == ["berita acara.pdf", "berita acara (2).pdf"]
    assert len(names[5]) <= 120 and names[5].endswith(".pdf")
    assert names[6].startswith("lampiran-") and names[6].endswith(".pdf")
    assert all("/" not in n and "\\" not in n and not n.startswith(".") for n in names)


def test_forwarded_mail_attachments_are_taken_with_origin():
    mc = walk_message(forwarded_mail(request_mail()))
    assert [a.filename for a in mc.attachments] == list(dossier_files())
    assert {a.origin for a in mc.attachments} == {"pesan terusan"}
    assert codes(mc) == ["PESAN_TERUSAN"]
    assert "Diteruskan" in mc.text


def test_html_only_body_is_converted_to_text():
    mc = walk_message(request_mail(html="<html><head><style>p{color:red}</style></head><body>"
                                        "<p>Dengan hormat,</p><p>terlampir&nbsp;dokumen <b>permohonan</b></p>"
                                        "<script>alert(1)</script></body></html>"))
    assert "Dengan hormat," in mc.text and "terlampir dokumen permohonan" in mc.text
    assert "color" not in mc.text and "alert" not in mc.text
    assert mc.html


def test_zip_attachment_is_unpacked_with_origin():
    files = dossier_files()
    mc = walk_message(request_mail({"dokumen.zip": zip_of({f"berkas/{k}": v for k, v in files.items()})}))
    assert sorted(a.filename for a in mc.attachments) == sorted(files)
    assert {a.origin for a in mc.attachments} == {"dokumen.zip/"}
    assert mc.findings == []


def test_zip_inside_zip_is_unpacked_one_level():
    inner = zip_of({"keputusan.pdf": text_pdf(["Keputusan"])})
    mc = walk_message(request_mail({"luar.zip": zip_of({"dalam.zip": inner, "surat.pdf": text_pdf(["Surat"])})}))
    assert sorted(a.filename for a in mc.attachments) == ["keputusan.pdf", "surat.pdf"]
    assert mc.findings == []


def test_zip_nested_too_deep_is_refused_and_rest_of_mail_kept():
    deep = zip_of({"d3.zip": zip_of({"d4.zip": zip_of({"x.pdf": text_pdf(["x"])})})})
    mc = walk_message(request_mail({"d1.zip": deep, "surat.pdf": text_pdf(letter_lines())}))
    assert "ARSIP_BERSARANG" in codes(mc)
    assert [a.filename for a in mc.attachments] == ["surat.pdf"]


def test_zip_bomb_is_refused_not_an_outage():
    bomb = zip_bomb(30)
    assert len(bomb) < 1 << 20
    mc = walk_message(request_mail({"daftar.zip": bomb, "surat.pdf": text_pdf(letter_lines())}),
                      limits=ReadLimits(max_unpacked_bytes=20 << 20))
    assert "ARSIP_TERLALU_BESAR" in codes(mc)
    assert [a.filename for a in mc.attachments] == ["surat.pdf"]


def test_zip_high_ratio_under_size_cap_is_refused_as_suspicious():
    mc = walk_message(request_mail({"daftar.zip": zip_bomb(8)}))
    assert codes(mc) == ["ARSIP_RASIO_MENCURIGAKAN"]
    assert mc.attachments == []


def test_zip_with_too_many_members_is_refused():
    many = zip_of({f"f{i}.txt": b"x" for i in range(30)})
    mc = walk_message(request_mail({"banyak.zip": many}), limits=ReadLimits(max_zip_files=20))
    assert codes(mc) == ["ARSIP_TERLALU_BANYAK_BERKAS"]


def test_zip_lying_about_its_sizes_is_stopped_while_reading():
    import struct
    data = bytearray(zip_bomb(8))
    # forge the central directory: claim 1 KiB uncompressed, so only streaming can catch it
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = struct.pack("<I", 1024)
    mc = walk_message(request_mail({"kecil.zip": bytes(data)}))
    assert codes(mc) in (["ARSIP_RASIO_MENCURIGAKAN"], ["ARSIP_RUSAK"])
    assert mc.attachments == []


def test_password_zip_member_is_a_finding():
    data = bytearray(zip_of({"surat.pdf": b"%PDF-1.4 x"}, compression=zipfile.ZIP_STORED))
    data[6] |= 0x1           # local header: encrypted
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 8] |= 0x1      # central directory: encrypted
    mc = walk_message(request_mail({"rahasia.zip": bytes(data)}))
    assert codes(mc) == ["ARSIP_TERENKRIPSI"]


def test_corrupt_zip_is_a_finding():
    mc = walk_message(request_mail({"rusak.zip": b"PK\x03\x04" + b"\x00" * 40}))
    assert codes(mc) == ["ARSIP_RUSAK"]


def test_rar_archive_is_not_supported_finding():
    mc = walk_message(request_mail({"dokumen.rar": b"Rar!\x1a\x07\x01\x00" + b"\x00" * 100}))
    assert codes(mc) == ["ARSIP_TIDAK_DIDUKUNG"]


def test_wrong_declared_type_and_extension_sniffed_from_bytes():
    xlsx = participant_list_xlsx()
    mc = walk_message(request_mail({"daftar_peserta.pdf": xlsx}))
    (att,) = mc.attachments
    assert att.media_type == sn.XLSX and att.declared_type == "application/pdf"
    assert codes(mc) == ["JENIS_BERKAS_TIDAK_SESUAI"]


def test_name_without_extension_gets_one_from_the_bytes():
    mc = walk_message(request_mail({"surat": text_pdf(letter_lines())}))
    assert [a.filename for a in mc.attachments] == ["surat.pdf"]


def test_empty_attachment_is_a_finding():
    mc = walk_message(request_mail({"keputusan.pdf": b""}))
    assert codes(mc) == ["LAMPIRAN_KOSONG"]
    assert mc.attachments == []


def test_broken_base64_attachment_is_a_finding():
    raw = (b"From: a@b.c\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nisi\r\n--B\r\nContent-Type: application/pdf; name=a.pdf\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK=====x\r\n--B--\r\n")
    mc = walk_message(raw)
    assert "LAMPIRAN_RUSAK" in codes(mc)


def test_missing_closing_boundary_is_noted_for_officers():
    raw = (b"From: a@b.c\r\nSubject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n"
           b"--B\r\nContent-Type: text/plain\r\n\r\nisi terpotong")
    mc = walk_message(raw)
    assert "PESAN_CACAT" in codes(mc)
    assert mc.text.startswith("isi")


def test_inline_image_is_kept_as_attachment():
    msg = EmailMessage()
    msg["From"] = "a@b.c"
    msg.set_content("lihat gambar")
    msg.add_alternative("<p>lihat <img src='cid:ttd'></p>", subtype="html")
    from read_builders import scan_image
    import io
    buf = io.BytesIO()
    scan_image(["Tanda Terima"]).save(buf, format="PNG")
    msg.get_payload()[1].add_related(buf.getvalue(), maintype="image", subtype="png", cid="<ttd>",
                                     filename="ttd.png", disposition="inline")
    mc = walk_message(msg.as_bytes())
    assert [(a.filename, a.media_type, a.origin) for a in mc.attachments] == [("ttd.png", sn.PNG, "sisipan")]


def test_empty_and_garbage_bytes_do_not_raise():
    assert codes(walk_message(b"")) == ["PESAN_KOSONG"]
    mc = walk_message(bytes(range(256)) * 10)
    assert isinstance(mc.findings, list)


@pytest.mark.parametrize("header", [b"Subject: =?unknown-charset?B?SGFsbw==?=", b"Subject: \xff\xfe caf\xe9",
                                    b"From: =?utf-8?q?broken", b"To: <<<@@@>>>, \"unterminated"])
def test_odd_headers_are_decoded_without_raising(header):
    mc = walk_message(header + b"\r\nMIME-Version: 1.0\r\n\r\nhalo\r\n")
    assert mc.text == "halo"
