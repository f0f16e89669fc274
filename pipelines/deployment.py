"""The pull step of every deployment in prefect.yaml: run the flow in this machine's checkout.

Prefect resolves `{{ $VARIABLE }}` in prefect.yaml when `prefect deploy` runs, so a path
written there would be the deploying machine's path on every worker. This step runs in the
flow-run process on the worker instead: $SERTIFLOW_HOME as that worker has it, else the
checkout this very code was imported from (the machine's own installation).
"""
from __future__ import annotations

import os
from pathlib import Path

from pipelines.config import PROJECT_ROOT


def enter_checkout() -> dict[str, str]:
    directory = Path(os.environ.get("SERTIFLOW_HOME") or PROJECT_ROOT).resolve()
    os.chdir(directory)
    print(f"Sertiflow checkout: {directory}")  # in the worker's log: which code ran
    return {"directory": str(directory)}
