#!/usr/bin/env bash
# Set the machine up (idempotent) and run the whole pipeline on the bundled sample mailbox:
# complete and incomplete requests, an auto-reply, an unknown sender, a newsletter.
# Results land in outputs/demo/ (dossier folders, outbox/*.eml, sertiflow.db).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

bash scripts/setup.sh

VENV="${SERTIFLOW_VENV:-$REPO/.venv}"
export PREFECT_SERVER_ANALYTICS_ENABLED="${PREFECT_SERVER_ANALYTICS_ENABLED:-false}"
exec "$VENV/bin/sertiflow" demo "$@"
