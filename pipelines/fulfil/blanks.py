"""Blank inventory: pre-numbered blank forms kept as serial numbers.

Stock comes in as ranges (one row per serial in `blank_serials`, so a serial can be in
stock only once). A serial leaves the stock exactly once, by a row in `serial_uses`
(primary key = serial): allocated to a dossier, or voided while still in stock. Whatever
the code does, the database refuses a second use of the same serial.

Allocation takes the approved number of serials in as few ranges as possible, inside the
caller's transaction (the approval). On SQLite the transaction already holds the write
lock (BEGIN IMMEDIATE); on PostgreSQL a transaction-scoped advisory lock serialises
allocators, so concurrent approvals wait for each other instead of failing on the key.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import and_, func, insert, select, text

from pipelines import db
from pipelines.fulfil.models import (blank_allocations, blank_serials, blank_stock, blank_voids,
                                     serial_uses)

MAX_RANGE = 1_000_000          # one `blanks add` at most: a typo must not add a billion rows
_ADVISORY_KEY = 0x5E27F1       # pg_advisory_xact_lock key for blank allocation
_CHUNK = 5_000


class BlankError(Exception):
    """Shown to the user as is (Indonesian)."""


@dataclass(frozen=True)
class SerialRange:
    first: int
    last: int

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def lock_inventory(conn) -> None:
    """Serialise stock changes and allocations (PostgreSQL; SQLite is already serialised)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})


def compress(serials: list[int]) -> list[SerialRange]:
    """Sorted serials -> consecutive ranges."""
    ranges: list[SerialRange] = []
    for s in sorted(serials):
        if ranges and s == ranges[-1].last + 1:
            ranges[-1] = SerialRange(ranges[-1].first, s)
        else:
            ranges.append(SerialRange(s, s))
    return ranges


# ---------------------------------------------------------------- stock

def add_stock(conn, first: int, last: int, *, actor: str, source: str = "") -> SerialRange:
    """Record blanks first..last as received into stock (caller's transaction)."""
    if first <= 0 or last <= 0:
        raise BlankError("Nomor seri harus bilangan bulat positif.")
    if first > last:
        raise BlankError(f"Nomor seri awal ({first}) lebih besar dari nomor seri akhir ({last}).")
    count = last - first + 1
    if count > MAX_RANGE:
        raise BlankError(f"Satu rentang paling banyak {MAX_RANGE:,} lembar; periksa nomor serinya "
                         f"({count:,} lembar).".replace(",", "."))
    lock_inventory(conn)
    overlap = conn.execute(select(func.count(), func.min(blank_serials.c.serial)).where(
        blank_serials.c.serial.between(first, last))).one()
    if overlap[0]:
        raise BlankError(f"{overlap[0]} nomor seri dalam rentang {first}-{last} sudah tercatat "
                         f"(mulai {overlap[1]}); stok tidak ditambahkan.")
    stock_id = conn.execute(insert(blank_stock).values(
        first_serial=first, last_serial=last, count=count, source=source, added_by=actor,
        added_at=db.now())).inserted_primary_key[0]
    for start in range(first, last + 1, _CHUNK):
        end = min(last, start + _CHUNK - 1)
        conn.execute(insert(blank_serials), [{"serial": s, "stock_id": stock_id}
                                             for s in range(start, end + 1)])
    db.record_event(conn, "stok_blanko_ditambah", actor=actor, awal=first, akhir=last,
                    jumlah=count, sumber=source)
    return SerialRange(first, last)


def read_ranges_csv(data: bytes | str, parse) -> list[tuple[int, int]]:
    """Ranges from a CSV: two columns (awal, akhir), optional header, ';' or ',' separated."""
    if isinstance(data, bytes):
        data = data.decode("utf-8-sig")
    rows = []
    for lineno, line in enumerate(data.splitlines(), start=1):
        row = [c.strip().strip('"') for c in re.split(r"[;,\t]", line)]
        cells = [c.strip() for c in row if c.strip()]
        if not cells:
            continue
        if len(cells) == 1:
            cells = cells * 2      # a single blank
        try:
            first, last = parse(cells[0]), parse(cells[1])
        except ValueError:
            if lineno == 1 or not any(ch.isdigit() for ch in "".join(cells[:2])):
                continue          # a header row
            raise BlankError(f"Baris {lineno}: nomor seri tidak valid: {cells[:2]}")
        rows.append((first, last))
    if not rows:
        raise BlankError("Berkas CSV tidak berisi rentang nomor seri.")
    return rows


def import_stock(conn, path: Path, parse, *, actor: str) -> list[SerialRange]:
    """All ranges of a CSV in one transaction: either every line is added or none."""
    added = []
    for first, last in read_ranges_csv(Path(path).read_bytes(), parse):
        added.append(add_stock(conn, first, last, actor=actor, source=Path(path).name))
    return added


# ---------------------------------------------------------------- allocation

def free_runs(conn) -> list[SerialRange]:
    """Runs of consecutive serials in stock and not yet used, lowest first."""
    free = (select(blank_serials.c.serial.label("serial"),
                   (blank_serials.c.serial - func.row_number().over(order_by=blank_serials.c.serial))
                   .label("grp"))
            .select_from(blank_serials.outerjoin(serial_uses, serial_uses.c.serial == blank_serials.c.serial))
            .where(serial_uses.c.serial.is_(None))).subquery()
    rows = conn.execute(select(func.min(free.c.serial), func.max(free.c.serial))
                        .group_by(free.c.grp).order_by(func.min(free.c.serial))).all()
    return [SerialRange(int(a), int(b)) for a, b in rows]


def choose_ranges(runs: list[SerialRange], wanted: int) -> list[SerialRange]:
    """`wanted` serials from the free runs in as few ranges as possible.

    One run big enough: the smallest such run (best fit, keeps big runs for big requests),
    lowest serials first. Otherwise the k largest runs, k as small as possible, the last
    one the smallest run that covers the remainder."""
    if wanted <= 0:
        return []
    if sum(r.count for r in runs) < wanted:
        raise BlankError(f"Stok blanko tidak cukup: dibutuhkan {wanted} lembar, tersedia "
                         f"{sum(r.count for r in runs)} lembar.")
    fitting = [r for r in runs if r.count >= wanted]
    if fitting:
        best = min(fitting, key=lambda r: (r.count, r.first))
        return [SerialRange(best.first, best.first + wanted - 1)]
    by_size = sorted(runs, key=lambda r: (-r.count, r.first))
    chosen, remaining = [], wanted
    for i, run in enumerate(by_size):
        if run.count >= remaining:
            rest = [r for r in by_size[i:] if r.count >= remaining]
            last = min(rest, key=lambda r: (r.count, r.first))
            chosen.append(SerialRange(last.first, last.first + remaining - 1))
            break
        chosen.append(run)
        remaining -= run.count
    return sorted(chosen, key=lambda r: r.first)


def _claim(conn, ranges: list[SerialRange], *, use: str, dossier_id: int | None,
           allocation_ids: list[int | None], at) -> None:
    for rng, allocation_id in zip(ranges, allocation_ids):
        for start in range(rng.first, rng.last + 1, _CHUNK):
            end = min(rng.last, start + _CHUNK - 1)
            conn.execute(insert(serial_uses), [
                {"serial": s, "use": use, "allocation_id": allocation_id, "dossier_id": dossier_id,
                 "at": at} for s in range(start, end + 1)])


def allocate(conn, dossier_id: int, wanted: int, *, actor: str,
             replaces: int | None = None) -> list[SerialRange]:
    """Give `wanted` serials to a dossier in the caller's transaction; returns the ranges."""
    lock_inventory(conn)
    runs = free_runs(conn)
    ranges = None
    if replaces is not None:
        # A replacement continues one of the dossier's ranges where it can (fewer ranges).
        ends = {r.last + 1 for r in dossier_ranges(conn, dossier_id)}
        run = next((r for r in runs if r.first in ends and r.count >= wanted), None)
        if run is not None:
            ranges = [SerialRange(run.first, run.first + wanted - 1)]
    ranges = ranges or choose_ranges(runs, wanted)
    now = db.now()
    ids = [conn.execute(insert(blank_allocations).values(
        dossier_id=dossier_id, first_serial=r.first, last_serial=r.last, count=r.count,
        replaces=replaces, allocated_by=actor, allocated_at=now)).inserted_primary_key[0]
        for r in ranges]
    _claim(conn, ranges, use="alokasi", dossier_id=dossier_id, allocation_ids=ids, at=now)
    db.record_event(conn, "blanko_dialokasikan", actor=actor, dossier_id=dossier_id, jumlah=wanted,
                    rentang=[[r.first, r.last] for r in ranges], mengganti=replaces)
    return ranges


def allocated_serials(conn, dossier_id: int) -> list[int]:
    """The dossier's serials in allocation order (original ranges first, then replacements),
    without voided ones."""
    rows = conn.execute(select(serial_uses.c.serial)
                        .select_from(serial_uses.join(blank_allocations,
                                                      blank_allocations.c.id == serial_uses.c.allocation_id))
                        .outerjoin(blank_voids, blank_voids.c.serial == serial_uses.c.serial)
                        .where(serial_uses.c.dossier_id == dossier_id, serial_uses.c.use == "alokasi",
                               blank_voids.c.serial.is_(None))
                        .order_by(blank_allocations.c.replaces.is_not(None), blank_allocations.c.id,
                                  serial_uses.c.serial)).scalars()
    return [int(s) for s in rows]


def dossier_ranges(conn, dossier_id: int) -> list[SerialRange]:
    return compress(allocated_serials(conn, dossier_id))


# ---------------------------------------------------------------- void

@dataclass
class VoidResult:
    serial: int
    dossier_id: int | None
    replacement: int | None


def void(conn, serial: int, reason: str, *, actor: str, replace: bool = True) -> VoidResult:
    """Record a damaged/voided blank. In stock: it can never be allocated. Allocated to a
    dossier not yet shipped: a replacement serial is allocated to that dossier (and its
    certificate moves to it) when `replace`."""
    reason = (reason or "").strip()
    if not reason:
        raise BlankError("Alasan pembatalan blanko wajib diisi.")
    lock_inventory(conn)
    if conn.execute(select(blank_serials.c.serial).where(blank_serials.c.serial == serial)).scalar() is None:
        raise BlankError(f"Nomor seri {serial} tidak tercatat dalam stok.")
    if conn.execute(select(blank_voids.c.serial).where(blank_voids.c.serial == serial)).scalar() is not None:
        raise BlankError(f"Blanko {serial} sudah tercatat rusak/batal.")
    use = conn.execute(select(serial_uses).where(serial_uses.c.serial == serial)).mappings().first()
    now = db.now()
    dossier_id = replacement = None
    if use is None:
        _claim(conn, [SerialRange(serial, serial)], use="rusak", dossier_id=None,
               allocation_ids=[None], at=now)
    else:
        dossier_id = use["dossier_id"]
        if replace and dossier_id is not None and _replaceable(conn, dossier_id):
            replacement = allocate(conn, dossier_id, 1, actor=actor, replaces=serial)[0].first
    conn.execute(insert(blank_voids).values(serial=serial, reason=reason, dossier_id=dossier_id,
                                            replacement=replacement, voided_by=actor, voided_at=now))
    if replacement is not None:
        from pipelines.fulfil.models import certificates
        from sqlalchemy import update
        conn.execute(update(certificates).where(certificates.c.serial == serial)
                     .values(serial=replacement, pdf_path="", docx_path=""))
    db.record_event(conn, "blanko_dibatalkan", actor=actor, dossier_id=dossier_id, nomor_seri=serial,
                    alasan=reason, pengganti=replacement)
    return VoidResult(serial, dossier_id, replacement)


def _replaceable(conn, dossier_id: int) -> bool:
    from pipelines.fulfil.models import parcels
    status = conn.execute(select(parcels.c.status).where(parcels.c.dossier_id == dossier_id)).scalar()
    return status in (None, "disiapkan", "dikemas")


# ---------------------------------------------------------------- report

@dataclass
class StockReport:
    received: int
    allocated: int
    voided_in_stock: int
    voided_allocated: int
    available: int
    free_runs: list[SerialRange]
    threshold: int

    @property
    def low(self) -> bool:
        return self.available < self.threshold


def stock_report(conn, threshold: int) -> StockReport:
    received = conn.execute(select(func.count()).select_from(blank_serials)).scalar() or 0
    uses = dict(conn.execute(select(serial_uses.c.use, func.count()).group_by(serial_uses.c.use)).all())
    voided_allocated = conn.execute(select(func.count()).select_from(
        blank_voids.join(serial_uses, and_(serial_uses.c.serial == blank_voids.c.serial,
                                           serial_uses.c.use == "alokasi")))).scalar() or 0
    runs = free_runs(conn)
    return StockReport(received=received, allocated=uses.get("alokasi", 0),
                       voided_in_stock=uses.get("rusak", 0), voided_allocated=voided_allocated,
                       available=sum(r.count for r in runs), free_runs=runs, threshold=threshold)
