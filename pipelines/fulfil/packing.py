"""After approval: allocate the blanks, pack the parcel, number the certificates.

`after_approval` is registered in `pipelines.decide.approval.AFTER_APPROVAL` and runs in
the approval transaction: if stock is short the approval is refused and nothing changes.
It returns the context the approval sheet and the receipt are rendered with (serial
ranges overall and per scheme, the receipt's QR code).
"""
from __future__ import annotations

import secrets
from datetime import date

from sqlalchemy import insert, select, update

from pipelines import db
from pipelines.calendar import local_date
from pipelines.fulfil import blanks
from pipelines.fulfil.models import certificates, parcels
from pipelines.fulfil.settings import FulfilmentSettings, settings_for

PACKED = "dikemas"          # parcel and dossier status once packed
PREPARED = "disiapkan"      # parcel waiting for the officer's `parcels pack` (explicit packing)
SHIPPED = "dikirim"
RECEIVED = "diterima"
DOSSIER_DONE = "selesai"

RECEIPT_QR_PREFIX = "/verifikasi/tanda-terima/"


def scheme_counts(facts: dict) -> list[tuple[str, int, int]]:
    return [(name, int(c.get("K", 0) or 0), int(c.get("BK", 0) or 0))
            for name, c in (facts.get("schemes") or {}).items()]


def approved_blanks(facts: dict) -> int:
    """The number on the approval sheet (same rule as write.dossier.document_context)."""
    return int(facts.get("competent_total") or sum(k for _, k, _ in scheme_counts(facts)))


def receipt_url(fs: FulfilmentSettings, number: str, token: str) -> str:
    return f"{fs.verification_base_url}{RECEIPT_QR_PREFIX}{number}/{token}"


def certificate_url(fs: FulfilmentSettings, token: str) -> str:
    return f"{fs.verification_base_url}/verifikasi/{token}"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:          # 29 February
        return day.replace(year=day.year + years, day=28)


def range_dicts(fs: FulfilmentSettings, ranges) -> list[dict]:
    return [{"start": fs.format_serial(r.first), "end": fs.format_serial(r.last), "count": r.count}
            for r in ranges]


def _competent_participants(conn, dossier_id: int, scheme_order: list[str]) -> list[dict]:
    rows = conn.execute(select(db.participants).where(
        db.participants.c.dossier_id == dossier_id, db.participants.c.result == "K")
        .order_by(db.participants.c.document_id, db.participants.c.sheet, db.participants.c.row)
    ).mappings().all()
    order = {name: i for i, name in enumerate(scheme_order)}
    return sorted((dict(r) for r in rows), key=lambda r: order.get(r["scheme"] or "", len(order)))


def document_extra(rt, conn, dossier: dict) -> dict:
    """Serial ranges (overall, per scheme) and the receipt QR of a dossier with a parcel."""
    from pipelines.write.docx import Image
    from pipelines.write.qr import qr_png

    fs = settings_for(rt)
    parcel = conn.execute(select(parcels).where(parcels.c.dossier_id == dossier["id"])).mappings().first()
    serials = blanks.allocated_serials(conn, dossier["id"])
    schemes, position = [], 0
    for name, competent, not_competent in scheme_counts(dossier.get("facts") or {}):
        part = serials[position:position + competent]
        position += competent
        schemes.append({"name": name, "competent": competent, "not_competent": not_competent,
                        "serial_ranges": range_dicts(fs, blanks.compress(part))})
    extra = {"serial_ranges": range_dicts(fs, blanks.compress(serials)), "schemes": schemes}
    if parcel is not None:
        extra["receipt_number"] = parcel["receipt_number"]
        extra["qr_image"] = Image(qr_png(receipt_url(fs, dossier["number"], parcel["receipt_token"]),
                                         scale=4), width_mm=28)
    return extra


def after_approval(rt, conn, dossier: dict) -> dict:
    """AFTER_APPROVAL hook: allocate, create the parcel and the certificate rows."""
    from pipelines.decide.approval import ApprovalError

    if dossier.get("kind") != "blank_request":
        return {}
    fs = settings_for(rt)
    facts = dossier.get("facts") or {}
    wanted = approved_blanks(facts)
    existing = conn.execute(select(parcels.c.id).where(parcels.c.dossier_id == dossier["id"])).scalar()
    if existing is None:
        if wanted <= 0:
            raise ApprovalError(f"Berkas {dossier['number']}: jumlah blanko yang disetujui nol.")
        try:
            blanks.allocate(conn, dossier["id"], wanted, actor="sistem")
        except blanks.BlankError as exc:
            raise ApprovalError(f"Berkas {dossier['number']}: {exc}") from exc
        _create_parcel(rt, conn, dossier, wanted, fs)
        _create_certificates(rt, conn, dossier, fs)
    extra = document_extra(rt, conn, dossier)
    if fs.packing == "implicit":
        extra["next_status"] = PACKED
    return extra


def _create_parcel(rt, conn, dossier: dict, count: int, fs: FulfilmentSettings) -> int:
    now = db.now()
    year = local_date(now).year
    seq = db.next_number(conn, f"PKT-{year}")
    status = PACKED if fs.packing == "implicit" else PREPARED
    parcel_id = conn.execute(insert(parcels).values(
        number=f"PKT-{year}-{seq:06d}", dossier_id=dossier["id"],
        receipt_number=f"TT/{dossier['number']}", receipt_token=secrets.token_urlsafe(18),
        blanks=count, status=status, lsp_code=dossier.get("lsp_code") or "",
        packed_at=now)).inserted_primary_key[0]
    db.record_event(conn, "paket_dibuat", dossier_id=dossier["id"], after=status,
                    paket=f"PKT-{year}-{seq:06d}", jumlah_blanko=count)
    return parcel_id


def _create_certificates(rt, conn, dossier: dict, fs: FulfilmentSettings) -> int:
    facts = dossier.get("facts") or {}
    serials = blanks.allocated_serials(conn, dossier["id"])
    people = _competent_participants(conn, dossier["id"], [s for s, _, _ in scheme_counts(facts)])
    lsp = rt.registry.by_code(dossier["lsp_code"]) if dossier.get("lsp_code") else None
    now = db.now()
    issue = local_date(now)
    if len(people) != len(serials):
        conn.execute(insert(db.findings).values(
            dossier_id=dossier["id"], code="JUMLAH_PESERTA_K_BERBEDA", severity="warning",
            message=(f"Jumlah peserta kompeten dalam daftar ({len(people)}) berbeda dengan jumlah "
                     f"blanko yang disetujui ({len(serials)}); sertifikat dibuat untuk "
                     f"{min(len(people), len(serials))} peserta."),
            location="", created_at=now))
    for person, serial in zip(people, serials):
        seq = db.next_number(conn, f"SERTIFIKAT-{issue.year}")
        number = fs.certificate_number_format.format(
            seq=seq, year=issue.year, lsp_code=dossier.get("lsp_code") or "",
            dossier=dossier["number"], serial=fs.format_serial(serial))
        conn.execute(insert(certificates).values(
            number=number, token=secrets.token_urlsafe(18), dossier_id=dossier["id"],
            participant_id=person["id"], serial=serial, name=person["name"] or "",
            nik=person["nik"] or "", scheme=person["scheme"] or "",
            lsp_code=dossier.get("lsp_code") or "", lsp_name=lsp.name if lsp else "",
            issue_date=issue, valid_until=_add_years(issue, fs.certificate_valid_years),
            status="berlaku", created_at=now))
    return min(len(people), len(serials))


def pack(rt, number: str, actor: str) -> str:
    """Explicit packing: the officer confirms the parcel is packed (`parcels pack`)."""
    with rt.engine.begin() as conn:
        dossier = db.dossier_by_number(conn, number)
        if dossier is None:
            raise blanks.BlankError(f"Berkas {number} tidak ditemukan.")
        parcel = conn.execute(select(parcels).where(parcels.c.dossier_id == dossier["id"])).mappings().first()
        if parcel is None:
            raise blanks.BlankError(f"Berkas {number} belum disetujui; belum ada paket.")
        if parcel["status"] not in (PREPARED, PACKED):
            raise blanks.BlankError(f"Paket {parcel['number']} sudah {parcel['status']}.")
        if parcel["status"] == PREPARED:
            conn.execute(update(parcels).where(parcels.c.id == parcel["id"])
                         .values(status=PACKED, packed_at=db.now()))
        elif dossier["status"] != "disetujui":
            return parcel["number"]
        conn.execute(update(db.dossiers).where(db.dossiers.c.id == dossier["id"],
                                               db.dossiers.c.status == "disetujui")
                     .values(status=PACKED, updated_at=db.now()))
        db.record_event(conn, "paket_dikemas", actor=actor, dossier_id=dossier["id"],
                        before=dossier["status"], after=PACKED, paket=parcel["number"])
        return parcel["number"]
