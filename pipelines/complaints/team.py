"""Step 4 for appeals: the appeal team (Tim Penyelesaian Banding) and its declarations.

Three members, one the chair, each competent in the matter; the system refuses anyone
involved in the disputed decision and anyone who consulted for or worked at the appellant
in the last two years, and says why (conflicts.py). Each member gets an impartiality
declaration (DOCX/PDF with a QR code); it is confirmed on the desk or comes back as a
signed scan, matched by the QR code like the blank receipts. When the last one is in,
step 4 ends.
"""
from __future__ import annotations

import re
import secrets

from pipelines import db
from pipelines.complaints import clock, store
from pipelines.complaints.conflicts import refusal_reasons, team_composition_findings
from pipelines.complaints.documents import office_context, register_generated, today_local, write_document
from pipelines.complaints.register import ComplaintError, advance, service
from pipelines.complaints.staff import competences_of, load_staff
from pipelines.send.outbox import enqueue
from pipelines.write.docx import Image, atomic_write_bytes
from pipelines.write.email_text import render_email
from pipelines.write.qr import qr_png

QR_PREFIX = "SERTIFLOW-PERNYATAAN"
QR_PAYLOAD = re.compile(re.escape(QR_PREFIX) + r" ([A-Z]{2,6}-\d{4}-\d{6}) ([A-Za-z0-9_-]{16,64})")


class TeamRefused(ComplaintError):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def _appeal(conn, number: str) -> dict:
    entry = store.entry_by_number(conn, number)
    if entry is None:
        raise ComplaintError(f"Pengaduan {number} tidak ditemukan.")
    if entry["type"] != "banding":
        raise ComplaintError(f"{number} bukan banding: tidak memerlukan Tim Penyelesaian Banding.")
    return entry


def candidates(rt, number: str, matter: str) -> list[tuple[object, list[str]]]:
    """Every staff member with the reasons they may not sit on this appeal's team."""
    labels = competences_of()
    with rt.engine.connect() as conn:
        entry = _appeal(conn, number)
        roles: dict[str, list[str]] = {}
        for row in store.involved(conn, entry["id"]):
            roles.setdefault(row["staff_id"], []).append(row["role"])
    years = int(service(rt).appeal_team.get("cooling_off_years", 2))
    return [(person, refusal_reasons(person, matter=matter, matter_label=labels.get(matter, matter),
                                     involved_roles=roles.get(person.id, []),
                                     appellant=entry["organisation"], today=today_local(),
                                     cooling_off_years=years))
            for person in load_staff()]


def form_team(rt, number: str, actor: str, *, matter: str, chair_id: str, member_ids: list[str]) -> list[dict]:
    """Form the team, or refuse it with every reason (recorded in the history)."""
    size = int(service(rt).appeal_team.get("size", 3))
    if matter not in competences_of():
        raise ComplaintError("Materi banding (kompetensi) tidak dikenal.")
    problems = team_composition_findings(member_ids, chair_id, size)
    reasons = dict((p.id, (p, r)) for p, r in candidates(rt, number, matter))
    unknown = [m for m in member_ids if m not in reasons]
    if unknown:
        problems.append(f"Pegawai tidak dikenal: {', '.join(unknown)}.")
    refused = {m: reasons[m][1] for m in member_ids if m in reasons and reasons[m][1]}
    for why in refused.values():
        problems.extend(why)
    if problems:
        with rt.engine.begin() as conn:
            entry = _appeal(conn, number)
            db.record_event(conn, "tim_banding_ditolak", actor=actor, dossier_id=entry["dossier_id"],
                            anggota=member_ids, alasan=problems)
        raise TeamRefused(problems)

    labels = competences_of()
    with rt.engine.begin() as conn:
        entry = _appeal(conn, number)
        if clock.running(rt, conn, entry) != "tim_banding":
            raise ComplaintError(f"Banding {number} tidak sedang pada langkah pembentukan tim.")
        if store.team(conn, entry["id"]):
            raise ComplaintError(f"Tim untuk banding {number} sudah dibentuk.")
        for staff_id in member_ids:
            store.add_member(conn, entry["id"], staff_id, reasons[staff_id][0].name, staff_id == chair_id,
                             secrets.token_urlsafe(24))
        db.record_event(conn, "tim_banding_dibentuk", actor=actor, dossier_id=entry["dossier_id"],
                        ketua=chair_id, anggota=member_ids, materi=matter)
        members = store.team(conn, entry["id"])

    # Declarations: written after the commit (LibreOffice takes a second or two), each mailed once.
    for member in members:
        person = reasons[member["staff_id"]][0]
        context = {**office_context(rt), "entry": entry, "matter": labels[matter], "date": today_local(),
                   "member": {"name": person.name, "position": person.position, "chair": member["chair"]},
                   "qr_image": Image(qr_png(f"{QR_PREFIX} {entry['number']} {member['token']}"), width_mm=28)}
        docx, pdf = write_document(rt, entry, "pernyataan_ketidakberpihakan",
                                   f"pernyataan_ketidakberpihakan_{person.id}", context)
        with rt.engine.begin() as conn:
            store.update_member(conn, member["id"], declaration_docx=str(docx), declaration_pdf=str(pdf or ""))
            register_generated(conn, entry["dossier_id"], f"pernyataan_ketidakberpihakan_{person.id}", docx, pdf)
            if person.email:
                subject, body = render_email("pernyataan_ketidakberpihakan", {
                    "entry": entry, "member": member, "office": rt.settings.office, "matter": labels[matter]})
                enqueue(conn, key=f"pengaduan:pernyataan:{member['id']}", to=[person.email],
                        subject=f"{subject} [{entry['number']}]", body=body,
                        sender_domain=rt.settings.sender.split("@", 1)[1], dossier_id=entry["dossier_id"],
                        attachments=[str(pdf or docx)], automatic=False)
    return members


def _record_declaration(rt, conn, entry: dict, member: dict, how: str, actor: str, scan_path: str = "") -> bool:
    if not store.confirm_member(conn, member["id"], declared_at=db.now(), declared_how=how, declared_by=actor,
                                scan_path=scan_path):
        return False
    db.record_event(conn, "pernyataan_ketidakberpihakan_diterima", actor=actor, dossier_id=entry["dossier_id"],
                    anggota=member["staff_id"], cara=how, pindaian=scan_path)
    members = store.team(conn, entry["id"])
    if all(m["declared_at"] is not None for m in members) and \
            clock.running(rt, conn, entry) == "tim_banding":
        advance(rt, conn, entry, "tim_banding", actor, "tim_banding_lengkap",
                tim=[m["name"] for m in members])
    return True


def confirm_declaration(rt, number: str, staff_id: str, actor: str) -> None:
    """The officer confirms a declaration signed on paper at the desk."""
    with rt.engine.begin() as conn:
        entry = _appeal(conn, number)
        member = next((m for m in store.team(conn, entry["id"]) if m["staff_id"] == staff_id), None)
        if member is None:
            raise ComplaintError("Pegawai ini bukan anggota tim banding tersebut.")
        if not _record_declaration(rt, conn, entry, member, "meja", actor):
            raise ComplaintError(f"Pernyataan {member['name']} sudah tercatat.")


def _declaration_qr(content) -> tuple[str, str, object] | None:
    from pipelines.fulfil.receipts import decode_qr
    for attachment in content.attachments:
        for text in decode_qr(attachment):
            match = QR_PAYLOAD.search(text)
            if match:
                return match.group(1), match.group(2), attachment
    return None


def record_scan(rt, mail_id: int, content) -> str | None:
    """A signed declaration by mail: matched by its QR code (number and member token)."""
    from pipelines.process import _finish_mail
    hit = _declaration_qr(content)
    if hit is None:
        return None
    number, token, attachment = hit
    with rt.engine.connect() as conn:
        member = store.member_by_token(conn, token)
        entry = store.entry_by_number(conn, number)
    if member is None or entry is None or member["complaint_id"] != entry["id"]:
        return None
    path = rt.settings.outputs_dir / number / "pernyataan_kembali" / f"{mail_id:06d}-{attachment.filename}"
    if not path.exists():
        atomic_write_bytes(path, attachment.data)
    with rt.engine.begin() as conn:
        fresh = _record_declaration(rt, conn, entry, member, "pindaian", content.from_addr or "surel", str(path))
        _finish_mail(conn, mail_id, "impartiality_declaration", entry["dossier_id"])
    return "pernyataan diterima" if fresh else "pernyataan ulang"


def handle_declaration_mail(rt, mail_row, content) -> str:
    """MAIL_HANDLERS["impartiality_declaration"]: unmatched ones are kept for an officer."""
    from pipelines.process import _finish_mail
    outcome = record_scan(rt, mail_row["id"], content)
    if outcome:
        return outcome
    with rt.engine.begin() as conn:
        _finish_mail(conn, mail_row["id"], "impartiality_declaration_unmatched", None)
        db.record_event(conn, "pernyataan_tidak_cocok", mail_id=mail_row["id"], pengirim=content.from_addr,
                        subjek=content.subject, catatan="Kode QR pernyataan ketidakberpihakan tidak terbaca "
                        "atau tidak dikenal; petugas memeriksa.")
    return "pernyataan tidak cocok"
