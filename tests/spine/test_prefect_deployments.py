"""prefect.yaml deploys real flows on the schedules the office expects."""
import importlib.util

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
