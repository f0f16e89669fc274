"""prefect.yaml deploys real flows on the schedules the office expects."""
import importlib.util
from pathlib import Path

import yaml
from prefect.client.schemas.schedules import CronSchedule
from prefect import Flow

from pipelines.config import PROJECT_ROOT


def _deployments():
    return {d["name"]: d for d in yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())["deployments"]}


def test_every_deployment_points_at_a_flow_and_has_a_valid_schedule_in_jakarta_time():
    for name, deployment in _deployments().items():
        path, func = deployment["entrypoint"].split(":")
        spec = importlib.util.spec_from_file_location(f"deploy_{name}", PROJECT_ROOT / path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        assert isinstance(getattr(module, func), Flow), name
        assert deployment["work_pool"]["name"] == "sertiflow-process"
        for schedule in deployment.get("schedules", []):
            assert schedule["timezone"] == "Asia/Jakarta"
            CronSchedule(cron=schedule["cron"], timezone=schedule["timezone"])  # raises if invalid


def test_mail_is_polled_every_five_minutes():
    [schedule] = _deployments()["ingest-mailbox"]["schedules"]
    assert schedule["cron"] == "*/5 * * * *"


def test_every_deployment_beats_often_enough_for_the_crashed_run_automation():
    """prefect.automations.yaml marks a run Crashed after 200 s without a heartbeat; runs of
    every deployment beat every 30 s (`work_pool: *process_pool` in prefect.yaml)."""
    automation = yaml.safe_load((PROJECT_ROOT / "prefect.automations.yaml").read_text())["automations"][0]
    for name, deployment in _deployments().items():
        beat = int(deployment["work_pool"]["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"])
        assert beat * 3 < automation["trigger"]["within"], name
    # and a run missing that setting (Prefect's default, 180 s) is not taken for dead
    assert automation["trigger"]["within"] > 180


def test_runs_enter_the_workers_own_checkout(tmp_path, monkeypatch):
    from pipelines.deployment import enter_checkout
    [pull] = yaml.safe_load((PROJECT_ROOT / "prefect.yaml").read_text())["pull"]
    assert pull == {"pipelines.deployment.enter_checkout": {}}   # no path fixed at deploy time
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SERTIFLOW_HOME", raising=False)
    assert enter_checkout() == {"directory": str(PROJECT_ROOT)}
    assert Path.cwd() == PROJECT_ROOT
    monkeypatch.setenv("SERTIFLOW_HOME", str(tmp_path))
    enter_checkout()
    assert Path.cwd() == tmp_path
