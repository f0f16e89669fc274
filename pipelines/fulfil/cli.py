"""`sertiflow` subcommands for fulfilment (registered through pipelines.cli.EXTENSIONS).

  sertiflow blanks add START END            stock received (a range of serials)
  sertiflow blanks import FILE.csv          ranges from a CSV (awal,akhir), all or nothing
  sertiflow blanks void SERIAL --reason R   damaged/voided blank (replaced if allocated, not shipped)
  sertiflow blanks report [--json]          stock report with low-stock warning
  sertiflow parcels pack NUMBER             officer confirms the parcel of a dossier is packed
  sertiflow parcels list [--status S]
  sertiflow manifests build                 courier manifest now (without Prefect)
  sertiflow certificates render NUMBER      certificate print files of a dossier
  sertiflow certificates status CERT {berlaku,dibekukan,dicabut} [--reason R]
  sertiflow receipts remind                 reminders / flags for overdue receipts now

Exit codes: 0 done, 1 refused (message says why), 2 configuration error.
"""
from __future__ import annotations

import getpass
import json
import sys

from pipelines.config import ConfigError

EXIT_REFUSED, EXIT_CONFIG = 1, 2


def _actor(args) -> str:
    if getattr(args, "actor", None):
        return args.actor
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001
        return "admin"


def _runtime(args):
    import pipelines.fulfil  # noqa: F401  (approval hooks, receipt handler)
    from pipelines.runtime import Runtime
    return Runtime.load(args.config)


def _guard(func):
    def run(args) -> int:
        from pipelines.fulfil.blanks import BlankError
        try:
            return func(args)
        except ConfigError as exc:
            print(f"Kesalahan konfigurasi: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        except (BlankError, ValueError, FileNotFoundError) as exc:
            print(f"Ditolak: {exc}", file=sys.stderr)
            return EXIT_REFUSED
    return run


def _fmt_int(n: int) -> str:
    return f"{n:,}".replace(",", ".")


@_guard
def cmd_blanks(args) -> int:
    from pipelines.fulfil import blanks
    from pipelines.fulfil.settings import settings_for

    rt = _runtime(args)
    fs = settings_for(rt)
    if args.action == "add":
        first, last = fs.parse_serial(args.start), fs.parse_serial(args.end)
        with rt.engine.begin() as conn:
            rng = blanks.add_stock(conn, first, last, actor=_actor(args), source="cli")
        print(f"Stok ditambahkan: {fs.format_serial(rng.first)} s.d. {fs.format_serial(rng.last)} "
              f"({_fmt_int(rng.count)} lembar).")
        return 0
    if args.action == "import":
        with rt.engine.begin() as conn:
            added = blanks.import_stock(conn, args.file, fs.parse_serial, actor=_actor(args))
        for rng in added:
            print(f"  {fs.format_serial(rng.first)} s.d. {fs.format_serial(rng.last)} ({_fmt_int(rng.count)} lembar)")
        print(f"{len(added)} rentang, {_fmt_int(sum(r.count for r in added))} lembar ditambahkan ke stok.")
        return 0
    if args.action == "void":
        with rt.engine.begin() as conn:
            result = blanks.void(conn, fs.parse_serial(args.serial), args.reason, actor=_actor(args),
                                 replace=not args.no_replacement)
        text = f"Blanko {fs.format_serial(result.serial)} dicatat rusak/batal."
        if result.replacement is not None:
            text += f" Pengganti untuk berkas ini: {fs.format_serial(result.replacement)}."
        elif result.dossier_id is not None:
            text += " Blanko sudah dialokasikan ke berkas yang sudah dikirim; tidak diganti."
        print(text)
        return 0
    # report
    with rt.engine.connect() as conn:
        report = blanks.stock_report(conn, fs.low_stock_threshold)
    data = {"diterima": report.received, "dialokasikan": report.allocated,
            "rusak_di_stok": report.voided_in_stock, "rusak_setelah_alokasi": report.voided_allocated,
            "tersedia": report.available, "batas_stok_rendah": report.threshold, "stok_rendah": report.low,
            "rentang_tersedia": [{"awal": fs.format_serial(r.first), "akhir": fs.format_serial(r.last),
                                  "jumlah": r.count} for r in report.free_runs]}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
        return 0
    print("Laporan stok blanko sertifikat")
    print(f"  Diterima               : {_fmt_int(report.received)}")
    print(f"  Dialokasikan           : {_fmt_int(report.allocated)}")
    print(f"  Rusak/batal (di stok)  : {_fmt_int(report.voided_in_stock)}")
    print(f"  Rusak setelah alokasi  : {_fmt_int(report.voided_allocated)}")
    print(f"  Tersedia               : {_fmt_int(report.available)}")
    print("  Rentang tersedia:")
    for r in report.free_runs[:50]:
        print(f"    {fs.format_serial(r.first)} s.d. {fs.format_serial(r.last)} ({_fmt_int(r.count)} lembar)")
    if len(report.free_runs) > 50:
        print(f"    ... dan {len(report.free_runs) - 50} rentang lainnya")
    if report.low:
        print(f"PERINGATAN: stok blanko rendah ({_fmt_int(report.available)} lembar, batas "
              f"{_fmt_int(report.threshold)}). Segera ajukan pengadaan blanko.")
    return 0


@_guard
def cmd_parcels(args) -> int:
    from sqlalchemy import select

    from pipelines import db
    from pipelines.fulfil.models import parcels
    from pipelines.fulfil.packing import pack

    rt = _runtime(args)
    if args.action == "pack":
        number = pack(rt, args.number, _actor(args))
        print(f"Paket {number} untuk berkas {args.number} dicatat sudah dikemas.")
        return 0
    query = (select(parcels, db.dossiers.c.number.label("dossier"))
             .select_from(parcels.join(db.dossiers, db.dossiers.c.id == parcels.c.dossier_id))
             .order_by(parcels.c.id))
    if args.status:
        query = query.where(parcels.c.status == args.status)
    with rt.engine.connect() as conn:
        rows = conn.execute(query).mappings().all()
    for r in rows:
        print(f"{r['number']:<16} {r['dossier']:<18} {r['status']:<10} {r['blanks']:>5} lembar  {r['lsp_code']}")
    print(f"{len(rows)} paket")
    return 0


@_guard
def cmd_manifests(args) -> int:
    from pipelines.fulfil.manifest import build_manifest, prepare_certificates

    rt = _runtime(args)
    prepare_certificates(rt)
    result = build_manifest(rt, actor=_actor(args))
    if result is None:
        print("Tidak ada paket yang menunggu pengambilan kurir.")
        return 0
    print(f"Manifes {result.number}: {len(result.parcels)} paket; pemberitahuan pengiriman "
          f"diantrekan: {result.notices}.")
    for path in (result.xlsx, result.pdf, result.csv):
        print(f"  {path}")
    print("Surel dikirim pada putaran berikutnya (`sertiflow run`).")
    return 0


@_guard
def cmd_certificates(args) -> int:
    from pipelines import db
    from pipelines.fulfil.certificates import render_certificates, set_status

    rt = _runtime(args)
    if args.action == "render":
        with rt.engine.connect() as conn:
            dossier = db.dossier_by_number(conn, args.number)
        if dossier is None:
            print(f"Berkas {args.number} tidak ditemukan.", file=sys.stderr)
            return EXIT_REFUSED
        files = render_certificates(rt, dossier["id"])
        print(f"Sertifikat dibuat: {files.made} PDF, {len(files.docx)} DOCX, gagal {files.failed}.")
        for f in files.print_files:
            print(f"  berkas cetak: {f}")
        return 0
    row = set_status(rt, args.number, args.status, args.reason or "", _actor(args))
    print(f"Status sertifikat {row['number']}: {row['status']}.")
    return 0


@_guard
def cmd_receipts(args) -> int:
    from pipelines.fulfil.reminders import remind_and_flag

    rt = _runtime(args)
    run = remind_and_flag(rt)
    print(f"Pengingat diantrekan: {', '.join(run.reminded) or '-'}")
    print(f"Ditandai untuk petugas: {', '.join(run.flagged) or '-'}")
    return 0


def register(sub) -> None:
    blanks = sub.add_parser("blanks", help="stok blanko sertifikat (nomor seri)")
    bsub = blanks.add_subparsers(dest="action", required=True)
    add = bsub.add_parser("add", help="catat stok blanko: rentang nomor seri")
    add.add_argument("start")
    add.add_argument("end")
    imp = bsub.add_parser("import", help="catat stok dari CSV (awal,akhir)")
    imp.add_argument("file")
    void = bsub.add_parser("void", help="catat blanko rusak/batal")
    void.add_argument("serial")
    void.add_argument("--reason", required=True, help="alasan (wajib)")
    void.add_argument("--no-replacement", action="store_true",
                      help="jangan alokasikan blanko pengganti")
    rep = bsub.add_parser("report", help="laporan stok dan peringatan stok rendah")
    rep.add_argument("--json", action="store_true")
    for p in (add, imp, void):
        p.add_argument("--actor", default=None)
    blanks.set_defaults(func=cmd_blanks)

    parcels = sub.add_parser("parcels", help="paket blanko")
    psub = parcels.add_subparsers(dest="action", required=True)
    pk = psub.add_parser("pack", help="catat paket berkas sudah dikemas")
    pk.add_argument("number")
    pk.add_argument("--actor", default=None)
    pl = psub.add_parser("list")
    pl.add_argument("--status")
    parcels.set_defaults(func=cmd_parcels)

    manifests = sub.add_parser("manifests", help="manifes kurir")
    msub = manifests.add_subparsers(dest="action", required=True)
    mb = msub.add_parser("build", help="buat manifes sekarang")
    mb.add_argument("--actor", default=None)
    manifests.set_defaults(func=cmd_manifests)

    certs = sub.add_parser("certificates", help="sertifikat")
    csub = certs.add_subparsers(dest="action", required=True)
    cr = csub.add_parser("render", help="buat berkas cetak sertifikat sebuah berkas")
    cr.add_argument("number")
    cs = csub.add_parser("status", help="bekukan, cabut, atau aktifkan kembali sertifikat")
    cs.add_argument("number")
    cs.add_argument("status", choices=["berlaku", "dibekukan", "dicabut"])
    cs.add_argument("--reason", default="")
    cs.add_argument("--actor", default=None)
    certs.set_defaults(func=cmd_certificates)

    receipts = sub.add_parser("receipts", help="tanda terima yang belum kembali")
    rsub = receipts.add_subparsers(dest="action", required=True)
    rsub.add_parser("remind", help="kirim pengingat / tandai untuk petugas sekarang")
    receipts.set_defaults(func=cmd_receipts)
