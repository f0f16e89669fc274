"""`sertiflow serve` and `sertiflow users ...`: registered by pipelines.cli through EXTENSIONS.

  sertiflow serve [--host 127.0.0.1] [--port 8000] [--secure-cookies]
  sertiflow users add USERNAME --role petugas|pejabat|admin --name "Nama Lengkap" [--password-stdin]
  sertiflow users list
  sertiflow users deactivate USERNAME | activate USERNAME
  sertiflow users reset-password USERNAME [--password-stdin]   (without: a random one is printed once)
  sertiflow users role USERNAME petugas|pejabat|admin
"""
from __future__ import annotations

import getpass
import os
import sys

from pipelines.desk.models import ROLES


def _runtime(args):
    from pipelines.config import ConfigError
    from pipelines.runtime import Runtime
    try:
        return Runtime.load(args.config)
    except ConfigError as exc:
        print(f"Kesalahan konfigurasi: {exc}", file=sys.stderr)
        return None


def cmd_serve(args) -> int:
    import uvicorn

    from pipelines.desk.app import create_app
    rt = _runtime(args)
    if rt is None:
        return 2
    secure = args.secure_cookies or os.environ.get("SERTIFLOW_DESK_SECURE_COOKIES", "").lower() in ("1", "true", "ya")
    proxies = tuple(args.trusted_proxy) if args.trusted_proxy else None   # None: $SERTIFLOW_DESK_TRUSTED_PROXIES
    app = create_app(rt, secure_cookies=secure, trusted_proxies=proxies)
    print(f"Meja petugas berjalan di http://{args.host}:{args.port}/ (hentikan dengan Ctrl+C)")
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", proxy_headers=False,
                server_header=False)
    return 0


def cmd_users(args) -> int:
    from sqlalchemy import select

    from pipelines.desk import auth, models
    rt = _runtime(args)
    if rt is None:
        return 2
    if args.action == "list":
        with rt.engine.connect() as conn:
            for u in conn.execute(select(models.users).order_by(models.users.c.username)):
                print(f"{u.username:<20} {u.role:<8} {'aktif' if u.active else 'nonaktif':<9} {u.full_name}")
        return 0
    try:
        if args.action in ("deactivate", "activate"):
            auth.set_active(rt.engine, args.username, args.action == "activate", "admin-cli")
            print(f"Akun {args.username} {'diaktifkan' if args.action == 'activate' else 'dinonaktifkan'}.")
            return 0
        if args.action == "role":
            auth.change_role(rt.engine, args.username, args.role, "admin-cli")
            print(f"Peran {args.username}: {models.ROLE_LABELS[args.role]}.")
            return 0
        if args.action == "reset-password":
            given = sys.stdin.readline().rstrip("\r\n") if args.password_stdin else None
            password = auth.reset_password(rt.engine, args.username, given, "admin-cli")
            print(f"Kata sandi {args.username} diatur ulang; sesinya berakhir."
                  + ("" if given else f" Kata sandi sementara: {password}"))
            return 0
    except auth.AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Kata sandi: ")
        if getpass.getpass("Ulangi kata sandi: ") != password:
            print("Kata sandi tidak sama.", file=sys.stderr)
            return 1
    try:
        user = auth.create_user(rt.engine, args.username, args.role, args.name, password)
    except auth.AccountError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(f"Pengguna {user.username} ({models.ROLE_LABELS[user.role]}) dibuat.")
    return 0


def register(sub) -> None:
    serve = sub.add_parser("serve", help="start the officers' desk (web app)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--secure-cookies", action="store_true",
                       help="mark cookies Secure (when served over https); also $SERTIFLOW_DESK_SECURE_COOKIES=1")
    serve.add_argument("--trusted-proxy", action="append", metavar="ADDRESS",
                       help="a reverse proxy whose X-Forwarded-For names the client (repeatable); "
                            "also $SERTIFLOW_DESK_TRUSTED_PROXIES=a,b")
    serve.set_defaults(func=cmd_serve)
    users = sub.add_parser("users", help="desk accounts")
    usub = users.add_subparsers(dest="action", required=True)
    add = usub.add_parser("add", help="create an account")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--name", required=True, help="full name, shown on pages and approval sheets")
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    usub.add_parser("list", help="list accounts")
    for name, text in (("deactivate", "deactivate an account (its sessions end)"),
                       ("activate", "reactivate an account")):
        usub.add_parser(name, help=text).add_argument("username")
    reset = usub.add_parser("reset-password", help="set a new password (random and printed once without --password-stdin)")
    reset.add_argument("username")
    reset.add_argument("--password-stdin", action="store_true")
    role = usub.add_parser("role", help="change an account's role")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    users.set_defaults(func=cmd_users)
