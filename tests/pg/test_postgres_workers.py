"""Nothing is done twice, also with several workers, on PostgreSQL: the database the README
names for several workers. The real code runs in separate processes (spawned, each with its
own engine), started at the same moment by a barrier, against a throw-away cluster
(tests/pg.py) and, for the pollers, a real Dovecot mailbox and SMTP server.

Worker functions live at module level so spawned processes can import them.
"""
from __future__ import annotations

import multiprocessing as mp
import queue
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import yaml
from sqlalchemy import func, inspect, select, text

from pipelines import db

WORKERS = 4
START_TIMEOUT = 90          # spawned workers import the code before the start line


def _spawn():
    return mp.get_context("spawn")


def _run_all(target, args_list: list[tuple], timeout: float = 120) -> list:
    """Start one spawned process per args tuple (each gets barrier, results appended); return results."""
    ctx = _spawn()
    barrier = ctx.Barrier(len(args_list))
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args, barrier, results)) for args in args_list]
    for p in procs:
        p.start()
    out = []
    deadline = time.monotonic() + timeout
    try:
        while len(out) < len(procs):
            try:
                out.append(results.get(timeout=0.5))
            except queue.Empty:
                dead = [p.exitcode for p in procs if p.exitcode not in (None, 0)]
                assert not dead, f"a worker died (exit codes {dead})"
                assert time.monotonic() < deadline, f"workers did not finish in {timeout} s"
        for p in procs:
            p.join(timeout=max(1.0, deadline - time.monotonic()))
            assert p.exitcode == 0, f"worker exit code {p.exitcode}"
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
    return out


# ------------------------------------------------------------------ a. schema

def test_engine_for_creates_every_table_on_postgresql(pg_database_url):
    engine = db.engine_for(pg_database_url)
    assert engine.dialect.name == "postgresql"
    found = set(inspect(engine).get_table_names())
    assert set(db.metadata.tables) <= found
    assert {"mails", "dossiers", "outbox", "counters", "serial_uses", "blank_serials"} <= found
    # The constraints "nothing is done twice" rests on exist in the database itself.
    uniques = {c["name"] for c in inspect(engine).get_unique_constraints("mails")}
    assert "uq_mail_uid" in uniques
    # JSON and aware datetimes round-trip; a second engine_for is the same (cached) engine.
    with engine.begin() as conn:
        now = db.now()
        conn.execute(db.counters.insert().values(name="probe", value=7))
        dossier_id = conn.execute(db.dossiers.insert().values(
            number="X-1", kind="k", status="baru", received_at=now, created_at=now, updated_at=now,
            facts={"skema": {"Juru Las": {"K": 2}}, "tanggal": now.date()})).inserted_primary_key[0]
    with engine.connect() as conn:
        row = conn.execute(select(db.dossiers).where(db.dossiers.c.id == dossier_id)).mappings().one()
        assert row["facts"] == {"skema": {"Juru Las": {"K": 2}}, "tanggal": now.date().isoformat()}
        assert row["received_at"] == now and row["received_at"].tzinfo is not None
        assert conn.execute(text("SHOW default_transaction_isolation")).scalar() == "read committed"
    assert db.engine_for(pg_database_url) is engine


# ------------------------------------------------------------------ d. counter race

def _take_numbers(url: str, name: str, per_process: int, barrier, results) -> None:
    from pipelines import db as _db
    engine = _db.engine_for(url)
    with engine.connect():
        pass                                   # connected before the start line
    barrier.wait(timeout=START_TIMEOUT)
    taken, errors = [], []
    for _ in range(per_process):
        try:
            with engine.begin() as conn:
                taken.append(_db.next_number(conn, name))
                time.sleep(0.2)                # hold the transaction: everyone races the first insert
        except Exception as exc:  # noqa: BLE001 - reported to the test
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    results.put((taken, errors))


def test_next_number_for_a_new_counter_from_several_processes(pg_database_url):
    name = f"BARU-{uuid.uuid4().hex[:8]}"
    outcomes = _run_all(_take_numbers, [(pg_database_url, name, 3)] * WORKERS, timeout=90)
    errors = [e for _, errs in outcomes for e in errs]
    values = [v for taken, _ in outcomes for v in taken]
    assert errors == []
    assert sorted(values) == list(range(1, 3 * WORKERS + 1))   # unique, and none lost


def _threads_take(url: str, name: str, n: int) -> tuple[list[int], list[str]]:
    engine = db.engine_for(url)
    start = threading.Barrier(n)
    values, errors = [], []

    def one():
        with engine.connect():
            pass
        start.wait(timeout=30)
        try:
            with engine.begin() as conn:
                values.append(db.next_number(conn, name))
                time.sleep(0.05)
        except Exception as exc:  # noqa: BLE001
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return values, errors


def test_next_number_for_a_new_counter_from_several_threads(pg_database_url, tmp_path):
    for url in (pg_database_url, f"sqlite:///{tmp_path / 'teller.db'}"):   # the fix works on both
        values, errors = _threads_take(url, f"BARU-{uuid.uuid4().hex[:8]}", 6)
        assert errors == [] and sorted(values) == [1, 2, 3, 4, 5, 6], url


# ------------------------------------------------------------------ c. serial allocation

def _approve_in_own_process(tmp: str, url: str, number: str, barrier, results) -> None:
    from pipelines.decide.approval import approve
    from tests.fulfil.helpers import make_runtime

    rt = make_runtime(tmp, database_url=url)
    with rt.engine.connect():
        pass
    barrier.wait(timeout=START_TIMEOUT)
    try:
        approve(rt, number, "Kepala Subbagian", f"pejabat-{number}")
        results.put((number, "ok"))
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put((number, f"{type(exc).__name__}: {exc}"))


def test_parallel_approvals_never_share_a_serial_on_postgresql(tmp_path, pg_database_url):
    from pipelines.fulfil import blanks
    from pipelines.fulfil.models import blank_allocations, serial_uses
    from tests.fulfil.helpers import make_dossier, make_runtime

    rt = make_runtime(tmp_path, database_url=pg_database_url)
    with rt.engine.begin() as conn:   # fragmented stock: several runs of different sizes
        for first, last in [(1, 12), (20, 27), (40, 70), (100, 104), (200, 260)]:
            blanks.add_stock(conn, first, last, actor="admin")
    wanted = [7, 12, 5, 20, 9, 14]
    dossiers = [make_dossier(rt, {f"Skema {i}": (n, 1)}) for i, n in enumerate(wanted)]

    outcomes = dict(_run_all(_approve_in_own_process,
                             [(str(tmp_path), pg_database_url, d["number"]) for d in dossiers]))
    assert outcomes == {d["number"]: "ok" for d in dossiers}

    with rt.engine.connect() as conn:
        given: list[int] = []
        for r in conn.execute(select(blank_allocations)).mappings():
            given.extend(range(r["first_serial"], r["last_serial"] + 1))
        assert len(given) == len(set(given)) == sum(wanted)          # nobody shares a serial
        assert conn.execute(select(func.count()).select_from(serial_uses)).scalar() == sum(wanted)
        for d, n in zip(dossiers, wanted):
            assert len(blanks.allocated_serials(conn, d["id"])) == n  # exactly the approved number
            assert db.dossier_by_number(conn, d["number"])["status"] != "menunggu_persetujuan"
        assert blanks.stock_report(conn, 0).available == 12 + 8 + 31 + 5 + 61 - sum(wanted)


# ------------------------------------------------------------------ b. pollers

def _poll_in_own_process(config: str, barrier, results) -> None:
    from pipelines.poll import run_once
    from pipelines.runtime import Runtime

    rt = Runtime.load(Path(config))
    with rt.engine.connect():
        pass
    rt.rules, rt.services, rt.registry, rt.calendar  # noqa: B018 - loaded before the start line
    barrier.wait(timeout=START_TIMEOUT)
    try:
        results.put(("ok", run_once(rt)))  # stops its render workers itself
    except Exception as exc:  # noqa: BLE001 - reported to the test
        results.put(("error", f"{type(exc).__name__}: {exc}"))


REQUESTS = 20
POLLERS = 3


def test_pollers_at_the_same_moment_do_nothing_twice(tmp_path, mailbox, smtp_server, pg_database_url):
    from tests.spine.office import LSP_PBD, LSP_TDN, parse, request, without

    config = tmp_path / "sertiflow.yaml"
    config.write_text(yaml.safe_dump({
        "outputs_dir": str(tmp_path / "out"),
        "database_url": pg_database_url,
        "mailboxes": [{"name": "blanko", "kind": "imap", "host": mailbox.host, "port": mailbox.port,
                       "security": "none", "user": mailbox.user, "password": mailbox.password,
                       "processed_folder": "Diproses"}],
        "smtp": {"host": smtp_server.host, "port": smtp_server.port, "security": "none"},
        "convert_pdf": False,
        "auto_replies_per_sender_per_day": 1000,      # the daily limit is not under test here
    }))
    incomplete: set[str] = set()
    sent_ids: list[str] = []
    for i in range(REQUESTS):
        sender = (LSP_TDN, LSP_PBD)[i % 2]
        message_id = f"<poll-{i}-{uuid.uuid4().hex[:6]}@{sender.split('@')[1]}>"
        missing = ("keputusan.pdf",) if i % 4 < 2 else ()
        raw = request(sender, without(*missing, letter_number=f"{i + 1:03d}/LSP/X/2026"), message_id=message_id)
        mailbox.append(raw)
        sent_ids.append(message_id)
        if missing:
            incomplete.add(message_id)
    assert len(incomplete) == REQUESTS // 2

    outcomes = _run_all(_poll_in_own_process, [(str(config),)] * POLLERS, timeout=150)
    assert [o[0] for o in outcomes] == ["ok"] * POLLERS, outcomes
    assert sum(o[1]["mail_new"] for o in outcomes) == REQUESTS          # each mail recorded once
    processed = Counter()
    for _, summary in outcomes:
        processed.update({k: v for k, v in summary["outcomes"].items() if k != "dilewati"})
    assert processed.get("gagal", 0) == 0, outcomes

    engine = db.engine_for(pg_database_url)
    with engine.connect() as conn:
        mails = conn.execute(select(db.mails)).mappings().all()
        dossiers = conn.execute(select(db.dossiers)).mappings().all()
        outbox = conn.execute(select(db.outbox)).mappings().all()
        opened = conn.execute(select(db.events.c.mail_id).where(db.events.c.action == "berkas_dibuat")).scalars().all()
        checked = conn.execute(select(db.events.c.dossier_id).where(db.events.c.action == "berkas_diperiksa")).scalars().all()

    # Every mail row: recorded once, claimed once, done once, without error.
    assert len(mails) == REQUESTS and sorted(m["message_id"] for m in mails) == sorted(sent_ids)
    assert [(m["state"], m["attempts"], m["error"]) for m in mails] == [("done", 1, "")] * REQUESTS
    assert Counter(opened) == Counter({m["id"]: 1 for m in mails})
    # Exactly one dossier per mail, numbers unique (gaps allowed).
    assert len(dossiers) == REQUESTS
    assert sorted(d["thread_message_id"] for d in dossiers) == sorted(sent_ids)
    assert len({d["number"] for d in dossiers}) == REQUESTS
    assert {m["dossier_id"] for m in mails} == {d["id"] for d in dossiers}
    assert Counter(checked) == Counter({d["id"]: 1 for d in dossiers})
    status = {d["thread_message_id"]: d["status"] for d in dossiers}
    assert {k for k, v in status.items() if v == "menunggu_kelengkapan"} == incomplete
    assert {k for k, v in status.items() if v == "menunggu_persetujuan"} == set(sent_ids) - incomplete

    # Exactly one completion email per incomplete request reached the SMTP server.
    assert len(outbox) == len(incomplete) and {o["state"] for o in outbox} == {"sent"}
    received = [parse(m.raw) for m in smtp_server.messages]
    assert len(received) == len(incomplete)
    assert sorted(str(m["In-Reply-To"]) for m in received) == sorted(incomplete)
    by_thread = {d["thread_message_id"]: d["number"] for d in dossiers}
    assert all(f"[{by_thread[str(m['In-Reply-To'])]}]" in str(m["Subject"]) for m in received)
    # Every mail left the inbox and is in the processed folder exactly once: the move is
    # reserved in the database first, so two pollers never both copy the same mail.
    assert mailbox.count("INBOX") == 0
    moved = sorted(str(parse(raw)["Message-ID"]) for raw in mailbox.fetch_all("Diproses"))
    assert moved == sorted(sent_ids)
