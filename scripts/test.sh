#!/usr/bin/env bash
# Set the machine up (idempotent, fast when nothing changed) and run the tests.
#   bash scripts/test.sh                       # everything
#   bash scripts/test.sh tests/test_servers.py -x
# Arguments go to pytest; its exit code is this script's exit code.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

bash scripts/setup.sh

VENV="${SERTIFLOW_VENV:-$REPO/.venv}"
export PREFECT_SERVER_ANALYTICS_ENABLED="${PREFECT_SERVER_ANALYTICS_ENABLED:-false}"
export PYTHONDONTWRITEBYTECODE="${PYTHONDONTWRITEBYTECODE:-1}"
exec "$VENV/bin/python" -m pytest -q "$@"
