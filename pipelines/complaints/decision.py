"""Step 5: the written decision (Keputusan Penyelesaian Keluhan dan Banding).

The letter is written from the template officers edit (templates/surat_keputusan_pengaduan.docx),
as DOCX and PDF, and mailed to the complainant in the thread with a closure notice; for an
appeal it is the team's decision and final. The publicity decision is recorded with it.
Corrective actions stay open until their effectiveness check (register.check_effectiveness).
"""
from __future__ import annotations

from pipelines import db
from pipelines.calendar import local_date
from pipelines.complaints import clock, store
from pipelines.complaints.classify import CHANNELS, OUTCOMES, TYPES
from pipelines.complaints.documents import office_context, register_generated, today_local, write_document
from pipelines.complaints.register import ComplaintError, advance, queue_to_complainant

PUBLICITY = {"dipublikasikan": "Dipublikasikan", "tidak_dipublikasikan": "Tidak dipublikasikan"}


def issue_decision(rt, number: str, actor: str, *, outcome: str, decision_text: str, publicity: str,
                   publicity_reason: str = "") -> dict:
    if outcome not in OUTCOMES:
        raise ComplaintError("Pilih hasil keputusan: diterima, diterima sebagian atau ditolak.")
    if not decision_text.strip():
        raise ComplaintError("Isi keputusan wajib diisi.")
    if publicity not in PUBLICITY:
        raise ComplaintError("Tentukan apakah penyelesaian ini dipublikasikan.")
    with rt.engine.connect() as conn:
        entry = store.entry_by_number(conn, number)
        if entry is None:
            raise ComplaintError(f"Pengaduan {number} tidak ditemukan.")
        if clock.running(rt, conn, entry) != "keputusan":
            raise ComplaintError(f"Pengaduan {number} belum sampai atau sudah melewati langkah keputusan.")
        team = store.team(conn, entry["id"])
        actions = store.actions(conn, entry["id"])
        involved = {row["staff_id"] for row in store.involved(conn, entry["id"])}
    if entry["type"] == "banding" and _staff_id_of(actor) in involved:
        raise ComplaintError("Anda terlibat dalam keputusan yang dibanding: keputusan banding dicatat oleh "
                             "anggota Tim Penyelesaian Banding atau petugas lain.")
    entry = {**entry, "outcome": outcome, "decision_text": decision_text.strip()}
    letter_number = f"{number}/KEP"
    context = {**office_context(rt), "entry": entry, "type_label": TYPES[entry["type"]],
               "channel_label": CHANNELS[entry["channel"]], "letter_number": letter_number,
               "received": local_date(db.aware(entry["received_at"])), "date": today_local(),
               "summary": (entry["text"] or "").strip()[:1500] or "-",
               "complainant": {"name": entry["name"] or ("Pelapor anonim" if entry["anonymous"] else "Pelapor"),
                               "organisation": entry["organisation"]},
               "outcome_label": OUTCOMES[outcome], "appeal": entry["type"] == "banding",
               "team": [{"name": m["name"], "chair": m["chair"]} for m in team],
               "actions": [{"description": a["description"], "check_on": a["check_on"]} for a in actions]}
    docx, pdf = write_document(rt, entry, "surat_keputusan", "surat_keputusan", context)

    with rt.engine.begin() as conn:
        if clock.running(rt, conn, entry) != "keputusan":
            raise ComplaintError(f"Keputusan untuk {number} sudah diterbitkan.")
        store.update_entry(conn, entry, outcome=outcome, decision_text=entry["decision_text"],
                           publicity=publicity, publicity_reason=publicity_reason.strip(), closed_at=db.now())
        register_generated(conn, entry["dossier_id"], "surat_keputusan", docx, pdf)
        queue_to_complainant(rt, conn, entry, "pengaduan_keputusan",
                             {"outcome_label": OUTCOMES[outcome], "appeal": entry["type"] == "banding",
                              "letter_number": letter_number}, attachments=[str(pdf or docx)])
        advance(rt, conn, entry, "keputusan", actor, "keputusan_diterbitkan", progress=False,
                hasil=outcome, publikasi=publicity, surat=letter_number)
        queue_to_complainant(rt, conn, entry, "pengaduan_selesai", {"outcome_label": OUTCOMES[outcome]})
    return entry


def _staff_id_of(username: str) -> str | None:
    from pipelines.complaints.staff import load_staff
    return next((s.id for s in load_staff() if s.username and s.username == username), None)

