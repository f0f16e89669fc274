"""The production path on real components, as the README's Prefect section runs it:
`prefect server start` on PostgreSQL, `prefect work-pool create`, `prefect deploy --all` from
prefect.yaml, the automations, and two process workers, each from its own checkout (two
"machines": different working directories) sharing the server, one PostgreSQL database and
one outputs folder. Mail comes from a real Dovecot, mail goes out through a real SMTP server.

One server for the whole module (its start and the deployments take most of a minute);
each test has its own Sertiflow database, outputs and mailbox, given to the runs through the
deployments' `config_path` parameter, except the last test, which runs on the workers' own
settings ($SERTIFLOW_CONFIG of each machine).
"""
from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select, update

import pipelines.fulfil  # noqa: F401  (tables and hooks)
from pipelines import db
from pipelines.config import PROJECT_ROOT
from pipelines.runtime import Runtime
from tests.pg import _databases
from tests.prod.stack import PrefectStack, copy_checkout
from tests.spine.office import LSP_PBD, LSP_TDN, office_settings, request, without

TIMINGS: dict[str, float] = {}


def _prefect_yaml() -> dict:
    return yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())


@pytest.fixture(scope="module")
def stack(tmp_path_factory, postgres_cluster, dovecot):
    root = tmp_path_factory.mktemp("prod")
    prefect_db = postgres_cluster.create_database(f"prefect_{next(_databases)}")
    stack = PrefectStack(root, database_url=prefect_db.replace("+psycopg", "+asyncpg"))
    checkout_b = copy_checkout(PROJECT_ROOT, root / "mesin-b" / "sertiflow")
    stack.machines = {"mesin-a": (PROJECT_ROOT, root / "mesin-a.yaml"),
                      "mesin-b": (checkout_b, root / "mesin-b.yaml")}
    try:
        TIMINGS["server start (PostgreSQL, first start with migrations)"] = stack.start_server()
        # The README's commands, verbatim, from the checkout.
        stack.prefect("work-pool", "create", "sertiflow-process", "--type", "process", cwd=PROJECT_ROOT)
        start = time.monotonic()
        stack.deploy_output = stack.prefect("--no-prompt", "deploy", "--all", cwd=PROJECT_ROOT)
        TIMINGS["prefect deploy --all"] = time.monotonic() - start
        stack.prefect("automation", "create", "--from-file", "prefect.automations.yaml", cwd=PROJECT_ROOT)
        (root / "empty-maildir").mkdir()
        for name, (checkout, config) in stack.machines.items():
            config.write_text(yaml.safe_dump({   # each test that uses it writes it first
                "outputs_dir": str(root / "unused"),
                "mailboxes": [{"name": "kosong", "kind": "maildir", "path": str(root / "empty-maildir")}]}))
            stack.start_worker(name, checkout, config)
        yield stack
    finally:
        stack.stop()
        print("\nProduction stack timings (s): " +
              "; ".join(f"{k}: {v:.1f}" for k, v in TIMINGS.items()))


def _office_config(path: Path, database_url: str, outputs: Path, mailbox, smtp) -> Path:
    path.write_text(yaml.safe_dump(office_settings(outputs, mailbox, smtp, database_url=database_url)))
    return path


@pytest.fixture
def office(tmp_path, pg_database_url, mailbox, smtp_server):
    """Settings of a fresh office for this test: its own PostgreSQL database and outputs."""
    return _office_config(tmp_path / "sertiflow.yaml", pg_database_url, tmp_path / "outputs",
                          mailbox, smtp_server)


def _dossiers(config: Path) -> dict[str, dict]:
    with Runtime.load(config).engine.connect() as conn:
        return {r["sender"]: dict(r) for r in conn.execute(select(db.dossiers)).mappings()}


def _count(config: Path, table) -> int:
    with Runtime.load(config).engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def _run(stack, deployment: str, config: Path | None, timeout: float = 600, **job_variables) -> dict:
    parameters = {"config_path": str(config)} if config else {}
    start = time.monotonic()
    run = stack.wait(stack.run_deployment(deployment, parameters, job_variables or None), timeout)
    assert run["state"]["type"] == "COMPLETED", (run["state"], stack.logs_of(run["id"]))
    TIMINGS.setdefault(f"flow run {deployment} (trigger to completed)", time.monotonic() - start)
    return run


# ---------------------------------------------------------------------------------------

def test_deploy_all_creates_every_deployment_of_prefect_yaml_with_its_schedule(stack):
    # A wide terminal: rich truncates long deployment names to fit 80 columns.
    listed = stack.prefect("deployment", "ls", cwd=PROJECT_ROOT, env=stack.env(COLUMNS="400"))
    deployed = stack.deployments()
    for wanted in _prefect_yaml()["deployments"]:
        name = wanted["name"]
        assert name in listed and name in deployed, (name, stack.deploy_output)
        got = deployed[name]
        assert got["work_pool_name"] == "sertiflow-process"
        # No path fixed at deploy time: each worker enters its own checkout.
        assert got["pull_steps"] == [{"pipelines.deployment.enter_checkout": {}}]
        assert got["global_concurrency_limit"]["limit"] == wanted.get("concurrency_limit", 1)
        crons = sorted((s["schedule"]["cron"], s["schedule"]["timezone"], s["active"])
                       for s in got["schedules"])
        assert crons == sorted((s["cron"], s["timezone"], s["active"]) for s in wanted["schedules"])
        # Heartbeats often enough for the crashed-run automation (prefect.automations.yaml).
        assert got["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] == "30", name
    automations = stack.http.post("/automations/filter", json={}).raise_for_status().json()
    assert [a["name"] for a in automations] == ["sertiflow-crashed-runs"]


def test_mail_from_dovecot_to_approval_courier_manifest_and_reminder(stack, office, mailbox, smtp_server):
    config = office.parent / "sertiflow.yaml"
    settings = yaml.safe_load(config.read_text())
    settings["convert_pdf"] = True                      # the approval sheet as PDF, LibreOffice
    config.write_text(yaml.safe_dump(settings))
    mailbox.append(request(LSP_TDN))                    # complete request
    mailbox.append(request(LSP_PBD, without("keputusan.pdf")))  # decision letter missing

    _run(stack, "ingest-mailbox", config)

    dossiers = _dossiers(config)
    assert {s: d["status"] for s, d in dossiers.items()} == {
        LSP_TDN: "menunggu_persetujuan", LSP_PBD: "menunggu_kelengkapan"}
    [completion] = smtp_server.to(LSP_PBD)               # one completion request, in Indonesian
    assert f"[{dossiers[LSP_PBD]['number']}]" in completion.message["Subject"]
    assert "Dengan hormat" in completion.message.get_body(("plain",)).get_content()
    documents = Path(settings["outputs_dir"]) / dossiers[LSP_TDN]["number"] / "dokumen"
    assert {p.name for p in documents.iterdir()} >= {"lembar_persetujuan.docx", "lembar_persetujuan.pdf",
                                                      "tanda_terima.docx"}
    assert mailbox.count("INBOX") == 0 and mailbox.count("Diproses") == 2

    # The official approves on the desk; the Mon/Wed/Fri courier deployment ships it.
    from pipelines.decide.approval import approve
    from pipelines.fulfil import blanks
    from pipelines.fulfil.models import courier_manifests, parcels
    rt = Runtime.load(config)
    with rt.engine.begin() as conn:
        blanks.add_stock(conn, 1001, 1500, actor="admin")
    approve(rt, dossiers[LSP_TDN]["number"], "Drs. Budi Santoso, M.M.", "kasubbag")
    _run(stack, "build-courier-manifest", config)
    with rt.engine.connect() as conn:
        [manifest] = conn.execute(select(courier_manifests)).mappings().all()
        [parcel] = conn.execute(select(parcels)).mappings().all()
    assert manifest["parcel_count"] == 1 and parcel["status"] == "dikirim"
    for column in ("xlsx_path", "pdf_path", "csv_path"):
        assert Path(manifest[column]).is_file() and Path(manifest[column]).stat().st_size > 0, column
    assert parcel["number"] in Path(manifest["csv_path"]).read_text(encoding="utf-8")
    [notice] = smtp_server.to(LSP_TDN)
    assert parcel["number"] in notice.message.get_body(("plain",)).get_content()

    # No countersigned receipt two weeks later: the daily deployment reminds once.
    with rt.engine.begin() as conn:
        conn.execute(update(parcels).values(shipped_at=db.now() - timedelta(days=14)))
    _run(stack, "receipt-reminders", config)
    _run(stack, "receipt-reminders", config)              # a second day: no second reminder
    reminders = [m for m in smtp_server.to(LSP_TDN) if m is not notice]
    assert len(reminders) == 1
    assert parcel["receipt_number"] in reminders[0].message.get_body(("plain",)).get_content()
    with rt.engine.connect() as conn:
        assert conn.execute(select(parcels.c.reminded_at)).scalar() is not None


def test_every_deployment_in_prefect_yaml_runs_to_completion(stack, office):
    """Whatever prefect.yaml holds (new deployments included) runs on the workers."""
    names = [d["name"] for d in _prefect_yaml()["deployments"]]
    runs = {name: stack.run_deployment(name, {"config_path": str(office)}) for name in names}
    for name, run_id in runs.items():
        run = stack.wait(run_id)
        assert run["state"]["type"] == "COMPLETED", (name, run["state"], stack.logs_of(run_id))


def test_two_ingest_runs_triggered_at_once_run_one_after_the_other(stack, office, mailbox, smtp_server):
    for i in range(6):  # three per LSP: at most 3 automatic mails per sender a day
        mailbox.append(request((LSP_PBD, LSP_TDN)[i % 2], without("keputusan.pdf", letter_number=f"{i + 1:03d}/LSP/X/2026"),
                               subject=f"Permohonan blanko {i}"))  # six requests, six letters
    first = stack.run_deployment("ingest-mailbox", {"config_path": str(office)})
    second = stack.run_deployment("ingest-mailbox", {"config_path": str(office)})
    runs = [stack.wait(first), stack.wait(second)]

    assert [r["state"]["type"] for r in runs] == ["COMPLETED", "COMPLETED"]
    (a_start, a_end), (b_start, b_end) = sorted((r["start_time"], r["end_time"]) for r in runs)
    assert a_end <= b_start, f"two ingest runs overlapped: {runs}"
    assert any("AwaitingConcurrencySlot" in stack.states(r["id"]) for r in runs)
    assert _count(office, db.dossiers) == 6 and len(smtp_server.messages) == 6
    assert len(smtp_server.to(LSP_PBD)) == len(smtp_server.to(LSP_TDN)) == 3
    assert mailbox.count("INBOX") == 0


def test_a_worker_killed_mid_run_leaves_nothing_half_done_and_the_other_machine_finishes(
        stack, tmp_path, pg_database_url, mailbox, smtp_server):
    """Both machines run on their own settings files (same database, same shared outputs);
    the worker running the pass is killed with its flow run in the middle of a mail."""
    shared_outputs = tmp_path / "nfs" / "outputs"        # the shared mount on every machine
    for checkout, config in stack.machines.values():
        _office_config(config, pg_database_url, shared_outputs, mailbox, smtp_server)
    config_a = stack.machines["mesin-a"][1]
    mailbox.append(request(LSP_TDN))
    mailbox.append(request(LSP_PBD, without("keputusan.pdf")))

    hold = tmp_path / "held.pid"
    held = stack.run_deployment("ingest-mailbox", job_variables={"env": {
        "SERTIFLOW_CRASH_AT": "after_write", "SERTIFLOW_CRASH_MODE": "hold",
        "SERTIFLOW_CRASH_HOLD_FILE": str(hold), "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}})
    deadline = time.monotonic() + 300
    while not hold.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert hold.exists(), stack.flow_run(held)["state"]
    time.sleep(0.5)
    run_pid = int(hold.read_text())
    [victim] = [w for w in stack.workers if run_pid in _descendants_of(w)]
    [survivor] = [w for w in stack.workers if w is not victim]
    victim.kill()                                          # worker and flow run, SIGKILL

    # The dead run is marked Crashed by the automation, which frees the deployment's slot.
    start = time.monotonic()
    crashed = stack.wait(held, timeout=420)
    TIMINGS["killed worker: run marked Crashed after"] = time.monotonic() - start
    assert crashed["state"]["type"] == "CRASHED"
    with Runtime.load(config_a).engine.connect() as conn:      # killed half way through a mail
        states = sorted(conn.execute(select(db.mails.c.state)).scalars())
    assert len(states) == 2 and states != ["done", "done"] and smtp_server.messages == [], states

    finishing = _run(stack, "ingest-mailbox", None)        # the worker's own $SERTIFLOW_CONFIG
    assert f"Sertiflow checkout: {survivor.checkout}" in survivor.log.read_text(errors="replace")
    assert f"Sertiflow checkout: {victim.checkout}" in victim.log.read_text(errors="replace")

    dossiers = _dossiers(config_a)
    assert {s: d["status"] for s, d in dossiers.items()} == {
        LSP_TDN: "menunggu_persetujuan", LSP_PBD: "menunggu_kelengkapan"}, finishing
    assert len(smtp_server.messages) == 1 and len(smtp_server.to(LSP_PBD)) == 1
    documents = shared_outputs / dossiers[LSP_TDN]["number"] / "dokumen"
    assert sorted(p.name for p in documents.iterdir()) == ["lembar_persetujuan.docx", "tanda_terima.docx"]
    assert _count(config_a, db.generated_files) == 2 and _count(config_a, db.mails) == 2
    assert mailbox.count("INBOX") == 0 and mailbox.count("Diproses") == 2
    leftovers = [p for p in shared_outputs.rglob("*") if p.name.startswith((".", "tmp")) and p.is_file()
                 and p.name not in (".desk_secret",)]
    assert leftovers == [], leftovers

    # The desk, on either machine's settings, serves what the workers wrote to the shared folder.
    _desk_serves_generated_documents(stack.machines[survivor.name][1], dossiers[LSP_TDN]["number"])
    _desk_serves_generated_documents(stack.machines[victim.name][1], dossiers[LSP_TDN]["number"])

    # Run again from the other machine: nothing is done twice.
    stack.start_worker(victim.name, victim.checkout, stack.machines[victim.name][1])
    _run(stack, "ingest-mailbox", None)
    assert len(smtp_server.messages) == 1 and _count(config_a, db.dossiers) == 2


def _descendants_of(worker) -> list[int]:
    from tests.prod.stack import _descendants
    return _descendants(worker.process.pid)


def _desk_serves_generated_documents(config: Path, number: str) -> None:
    from fastapi.testclient import TestClient

    from pipelines.desk.app import create_app
    from tests.desk.desk_seed import add_users, login
    rt = Runtime.load(config)
    add_users(rt.engine)
    with rt.engine.connect() as conn:
        generated = conn.execute(select(db.generated_files.c.id).join(
            db.dossiers, db.dossiers.c.id == db.generated_files.c.dossier_id)
            .where(db.dossiers.c.number == number)).scalars().all()
    with TestClient(create_app(rt, secret=b"uji-rahasia-" * 4), base_url="http://127.0.0.1") as desk:
        assert login(desk, "petugas1").status_code in (200, 303)
        for generated_id in generated:
            docx = desk.get(f"/berkas/{number}/dokumen/{generated_id}/docx")
            assert docx.status_code == 200 and docx.content[:2] == b"PK", docx.text[:300]
