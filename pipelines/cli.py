"""The `sertiflow` command.

  sertiflow run                      poll every mailbox once, process, send; print a summary
  sertiflow demo                     run on the bundled sample mailbox into outputs/demo/
  sertiflow dossiers list [--status S] [--json]
  sertiflow dossiers show NUMBER [--json]

Exit codes: 0 done (also when some mail had findings or failed: they are recorded; mail the
server refused is retried or shown to officers), 2 configuration error, 3 a mailbox or the
mail server could not be reached (before or during the pass; what is left waits for the next).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from pathlib import Path

from pipelines.config import PROJECT_ROOT, ConfigError

EXIT_CONFIG, EXIT_CONNECTION = 2, 3
# Extra subcommands live beside their feature: module path -> register(subparsers).
EXTENSIONS: list[str] = ["pipelines.desk.cli", "pipelines.fulfil.cli"]


def _quiet_prefect_defaults() -> None:
    # Offline, Prefect's server otherwise logs "Failed to send telemetry" on every start.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    # The first start on a fresh database runs migrations (~20 s here, more on a busy machine).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")


def _run_flow(config_path: str | None) -> dict:
    _quiet_prefect_defaults()
    import asyncio

    from pipelines.flows.ingest_mailbox import ingest_mailbox
    return asyncio.run(ingest_mailbox(config_path))


def _print_summary(config_path: str | None, result: dict, since) -> None:
    from pipelines.report import summary_table
    from pipelines.runtime import Runtime
    rt = Runtime.load(config_path)
    with rt.engine.connect() as conn:
        print(summary_table(conn, rt.registry, rt.settings.outputs_dir, since))
    print()
    print(f"Surel baru: {result['mail_new']}; hasil: {result['outcomes']}; "
          f"surel keluar: {result['sent']}; PDF: {result['pdf']}; dipindahkan: {result['moved']}")
    if not rt.settings.smtp.host:
        print(f"Surel keluar ditulis sebagai .eml di {rt.settings.outbox_dir}")


def _preflight(settings) -> None:
    """Reach every mailbox and the SMTP server once; raise SourceError/OSError if one is down."""
    import smtplib

    from pipelines.mail.sources import SourceError, open_source
    for config in settings.mailboxes:
        open_source(config).close()
    if settings.smtp.host:
        try:
            cls = smtplib.SMTP_SSL if settings.smtp.security == "ssl" else smtplib.SMTP
            with cls(settings.smtp.host, settings.smtp.port, timeout=settings.smtp.timeout) as smtp:
                smtp.noop()
        except (OSError, smtplib.SMTPException) as exc:
            raise SourceError(f"SMTP {settings.smtp.host}:{settings.smtp.port}: {exc}") from exc


def cmd_run(args) -> int:
    from pipelines import db
    from pipelines.mail.sources import SourceError
    try:
        from pipelines.config import load_settings
        _preflight(load_settings(args.config))  # fail fast and clearly, before Prefect starts
        started = db.now()
        result = _run_flow(args.config)
    except ConfigError as exc:
        print(f"Kesalahan konfigurasi: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except (SourceError, OSError) as exc:
        print(f"Kesalahan koneksi: kotak surat atau server surel tidak dapat dihubungi: {exc}", file=sys.stderr)
        return EXIT_CONNECTION
    _print_summary(args.config, result, started)
    if result["sent"].get("unreachable"):
        print("Kesalahan koneksi: server surel tidak dapat dihubungi saat mengirim; surel keluar tetap "
              "dalam antrean untuk putaran berikutnya.", file=sys.stderr)
        return EXIT_CONNECTION
    return 0


def cmd_demo(args) -> int:
    demo = Path(args.outputs or PROJECT_ROOT / "outputs" / "demo").resolve()
    if demo.exists():
        shutil.rmtree(demo)
    (demo).mkdir(parents=True)
    shutil.copytree(PROJECT_ROOT / "samples" / "maildir", demo / "maildir")
    config = demo / "sertiflow.yaml"
    config.write_text(
        "# Written by `sertiflow demo`: the sample mailbox, no SMTP server (mail goes to outbox/).\n"
        f"outputs_dir: {demo}\n"
        "mailboxes:\n"
        f"  - {{name: sampel, kind: maildir, path: {demo / 'maildir'}, processed_folder: Processed}}\n",
        encoding="utf-8")
    print(f"Menjalankan Sertiflow pada kotak surat contoh ({demo / 'maildir'}) ...")
    args.config = str(config)
    return cmd_run(args)


def cmd_dossiers(args) -> int:
    from pipelines import db
    from pipelines.report import dossier_detail, list_dossiers
    from pipelines.runtime import Runtime
    try:
        rt = Runtime.load(args.config)
    except ConfigError as exc:
        print(f"Kesalahan konfigurasi: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    with rt.engine.connect() as conn:
        if args.action == "list":
            rows = list_dossiers(conn, rt.registry, args.status)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for d in rows:
                    lsp = (d["lsp"] or {}).get("name") or d["sender"]
                    print(f"{d['number']:<18} {d['status_label']:<36} {lsp:<40} jatuh tempo {d['due_date'] or '-'}")
                print(f"{len(rows)} berkas")
            return 0
        row = db.dossier_by_number(conn, args.number)
        if row is None:
            print(f"Berkas {args.number} tidak ditemukan.", file=sys.stderr)
            return 1
        detail = dossier_detail(conn, row, rt.registry, rt.settings.outputs_dir)
    if args.json:
        print(json.dumps(detail, ensure_ascii=False, indent=2))
        return 0
    print(f"Berkas {detail['number']} ({detail['kind']}): {detail['status_label']}")
    print(f"  LSP: {(detail['lsp'] or {}).get('name', '-')}   pengirim: {detail['sender']}")
    print(f"  Subjek: {detail['subject']}")
    print(f"  Diterima: {detail['received_at']}   jatuh tempo: {detail['due_date'] or '-'}")
    facts = detail["facts"]
    if facts:
        print("  Data dokumen:")
        for key, value in facts.items():
            print(f"    {key}: {value}")
    print("  Dokumen diterima:")
    for d in detail["documents"]:
        print(f"    - {d['filename']} [{d['doc_type']}] {d['path']}")
        if d["evidence"]:
            print(f"        bukti: {'; '.join(map(str, d['evidence']))}")
    print("  Temuan:")
    for f in detail["findings"] or []:
        mark = " (dikesampingkan)" if f["overridden_by"] else ""
        print(f"    - [{f['severity']}] {f['code']}: {f['message']}{mark}")
    if not detail["findings"]:
        print("    (tidak ada)")
    print("  Dokumen dibuat:")
    for g in detail["generated"]:
        print(f"    - {g['kind']}: {g['docx']}" + (f" | {g['pdf']}" if g["pdf"] else ""))
    print("  Surel:")
    for e in detail["emails"]:
        print(f"    - {e['state']}: {e['subject']} -> {', '.join(e['to'])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sertiflow", description="Sertiflow: back office for certification offices.")
    parser.add_argument("--config", default=None, help="settings file (default $SERTIFLOW_CONFIG or ./sertiflow.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="poll every mailbox once, process all new mail, send queued mail").set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="run on the bundled sample mailbox")
    demo.add_argument("--outputs", default=None, help="folder for the demo (default outputs/demo)")
    demo.set_defaults(func=cmd_demo)
    dossiers = sub.add_parser("dossiers", help="list or show dossiers")
    dsub = dossiers.add_subparsers(dest="action", required=True)
    dlist = dsub.add_parser("list")
    dlist.add_argument("--status")
    dlist.add_argument("--json", action="store_true")
    dshow = dsub.add_parser("show")
    dshow.add_argument("number")
    dshow.add_argument("--json", action="store_true")
    dossiers.set_defaults(func=cmd_dossiers)
    import importlib
    for module in EXTENSIONS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
