"""Reports of the register: the whole register as XLSX (Rekaman Keluhan dan Banding), and a
monthly summary (counts by type, channel and outcome; on-time share per step) for the SLA
report."""
from __future__ import annotations

import io
from collections import Counter
from datetime import datetime

from pipelines import db
from pipelines.calendar import JAKARTA
from pipelines.complaints import clock, store
from pipelines.complaints.classify import CHANNELS, OUTCOMES, TYPES
from pipelines.complaints.register import service
from pipelines.write.words import format_date_id

MONTHS = ["Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
          "November", "Desember"]


def _local(moment) -> datetime | None:
    """Office time without tzinfo (Excel has no time zones)."""
    return db.aware(moment).astimezone(JAKARTA).replace(tzinfo=None) if moment else None


def register_xlsx(rt) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    svc = service(rt)
    steps = [s["id"] for s in svc.steps]
    labels = {s["id"]: s["label"] for s in svc.steps}
    with rt.engine.connect() as conn:
        rows = store.entries(conn)
        found = clock.figures_of(rt, conn, [r["number"] for r in rows])
    figures = {r["dossier_id"]: {f.step: f for f in found.get(r["number"], [])} for r in rows}
    book = Workbook()
    sheet = book.active
    sheet.title = "Rekaman"
    header = ["Nomor", "Diterima (WIB)", "Saluran", "Jenis", "Anonim", "Nama", "Surel", "Telepon", "Organisasi",
              "Terkait", "Isi", "Penanggung Jawab Teknis", "Penyebab", "Perbaikan", "Status", "Hasil",
              "Publikasi", "Ditutup (WIB)"]
    for step in steps:
        header += [f"{labels[step][:40]}: selesai", f"{step}: tepat waktu"]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for r in rows:
        line = [r["number"], _local(r["received_at"]), CHANNELS[r["channel"]], TYPES[r["type"]],
                "ya" if r["anonymous"] else "tidak", r["name"], r["email"], r["phone"], r["organisation"],
                r["target_number"], r["text"], r["technical_lead"], r["cause"], r["correction"],
                svc.statuses.get(r["status"], r["status"]), OUTCOMES.get(r["outcome"] or "", ""),
                r["publicity"], _local(r["closed_at"])]
        for step in steps:
            f = figures[r["dossier_id"]].get(step)
            line += [_local(f.stopped_at) if f else None,
                     "" if f is None or f.on_time is None else ("ya" if f.on_time else "tidak")]
        sheet.append(line)
    for column in ("B", "R"):
        for cell in sheet[column][1:]:
            cell.number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "B2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def monthly_summary(rt, year: int, month: int) -> dict:
    """Entries received in the month (WIB): counts, and per step how many finished on time."""
    svc = service(rt)
    start = datetime(year, month, 1, tzinfo=JAKARTA)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=JAKARTA)
    with rt.engine.connect() as conn:
        rows = store.entries(conn, since=start, until=end)
        figures = [f for steps in clock.figures_of(rt, conn, [r["number"] for r in rows]).values() for f in steps]
    finished, on_time = Counter(), Counter()
    for f in figures:
        if f.stopped_at is not None:
            finished[f.step] += 1
            on_time[f.step] += 1 if f.on_time else 0
    steps = []
    for s in svc.steps:
        n = finished[s["id"]]
        share = on_time[s["id"]] / n if n else None
        steps.append({"step": s["id"], "label": s["label"], "target": clock.target_text(svc, s["id"]),
                      "finished": n, "on_time": on_time[s["id"]], "share": share,
                      "share_text": "-" if share is None else f"{share * 100:.0f}%"})
    return {
        "year": year, "month": month, "month_label": f"{MONTHS[month - 1]} {year}", "total": len(rows),
        "by_type": {TYPES[k]: v for k, v in Counter(r["type"] for r in rows).most_common()},
        "by_channel": {CHANNELS[k]: v for k, v in Counter(r["channel"] for r in rows).most_common()},
        "by_outcome": {OUTCOMES.get(k, "Belum diputus"): v
                       for k, v in Counter(r["outcome"] or "" for r in rows).most_common()},
        "steps": steps,
        "generated": format_date_id(datetime.now(JAKARTA).date()),
    }
