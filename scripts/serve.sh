#!/usr/bin/env bash
# A production-like Sertiflow on one machine: Prefect server, the work pool, the deployments of
# prefect.yaml and the crashed-run automation, one process worker and the officers' desk.
#
#   bash scripts/serve.sh [start]     start everything (idempotent: what runs is left running)
#   bash scripts/serve.sh stop        stop everything this script started
#   bash scripts/serve.sh status      what runs, and where the logs are
#
# Environment:
#   SERTIFLOW_CONFIG                 Sertiflow's settings file (README, Configuration); without
#                                    it ./sertiflow.yaml, else a copy of the sample mailbox in
#                                    $SERTIFLOW_STACK_DIR/sample/
#   SERTIFLOW_PREFECT_DATABASE_URL   Prefect's own database: a PostgreSQL URL
#                                    (postgresql://user:pass@host:5432/prefect); default SQLite
#                                    in $SERTIFLOW_STACK_DIR/prefect/
#   SERTIFLOW_STACK_DIR              state, pid files and logs (default: var/stack in the checkout)
#   SERTIFLOW_PREFECT_PORT (4200), SERTIFLOW_DESK_HOST (127.0.0.1), SERTIFLOW_DESK_PORT (8000)
#
# Logs, one place: $SERTIFLOW_STACK_DIR/logs/{prefect-server,worker,desk}.log (and setup.log).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

STACK="${SERTIFLOW_STACK_DIR:-$REPO/var/stack}"
mkdir -p "$STACK/logs" "$STACK/run" "$STACK/prefect"
STACK="$(cd "$STACK" && pwd)"
LOGS="$STACK/logs"
RUN="$STACK/run"
VENV="${SERTIFLOW_VENV:-$REPO/.venv}"
PREFECT_PORT="${SERTIFLOW_PREFECT_PORT:-4200}"
DESK_HOST="${SERTIFLOW_DESK_HOST:-127.0.0.1}"
DESK_PORT="${SERTIFLOW_DESK_PORT:-8000}"

export PREFECT_HOME="$STACK/prefect"
export PREFECT_API_URL="http://127.0.0.1:$PREFECT_PORT/api"
export PREFECT_SERVER_ANALYTICS_ENABLED="${PREFECT_SERVER_ANALYTICS_ENABLED:-false}"
export PATH="$VENV/bin:$PATH"
if [ -n "${SERTIFLOW_CONFIG:-}" ]; then
    SERTIFLOW_CONFIG="$(cd "$(dirname "$SERTIFLOW_CONFIG")" && pwd)/$(basename "$SERTIFLOW_CONFIG")"
elif [ -f sertiflow.yaml ]; then
    SERTIFLOW_CONFIG="$REPO/sertiflow.yaml"
else
    # No settings: a copy of the sample mailbox in the stack directory (as `sertiflow demo`
    # does), so the scheduled runs never move the checkout's own sample files.
    SERTIFLOW_CONFIG="$STACK/sample/sertiflow.yaml"
    if [ ! -f "$SERTIFLOW_CONFIG" ]; then
        mkdir -p "$STACK/sample"
        cp -r samples/maildir "$STACK/sample/maildir"
        printf '%s\n' "# Written by scripts/serve.sh: the sample mailbox; set SERTIFLOW_CONFIG for a real office." \
            "outputs_dir: $STACK/sample/outputs" \
            "mailboxes:" \
            "  - {name: sampel, kind: maildir, path: $STACK/sample/maildir, processed_folder: Processed}" \
            >"$SERTIFLOW_CONFIG"
    fi
fi
export SERTIFLOW_CONFIG

log() { printf 'serve %s: %s\n' "$(date +%T)" "$*" >&2; }

running() {  # running NAME: its recorded process group is alive
    local pid
    pid="$(cat "$RUN/$1.pid" 2>/dev/null)" || return 1
    kill -0 "$pid" 2>/dev/null
}

launch() {  # launch NAME COMMAND...: in its own session, output to logs/NAME.log
    local name="$1"; shift
    if running "$name"; then
        log "$name already running (pid $(cat "$RUN/$name.pid"))"
        return
    fi
    setsid "$@" </dev/null >>"$LOGS/$name.log" 2>&1 &
    echo $! >"$RUN/$name.pid"
    log "$name started (pid $!), log: $LOGS/$name.log"
}

wait_http() {  # wait_http URL SECONDS NAME
    local deadline=$((SECONDS + $2))
    until "$VENV/bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "$1" 2>/dev/null; do
        if [ "$SECONDS" -ge "$deadline" ] || ! running "$3"; then
            log "$3 did not come up; last lines of $LOGS/$3.log:"
            tail -n 30 "$LOGS/$3.log" >&2 || true
            exit 1
        fi
        sleep 1
    done
}

stop_all() {
    local name pid
    for name in desk worker prefect-server; do
        pid="$(cat "$RUN/$name.pid" 2>/dev/null)" || continue
        if kill -0 "$pid" 2>/dev/null; then
            # Ctrl-C first (the worker lets its runs end cleanly), then TERM, then KILL.
            for signal in INT TERM KILL; do
                kill "-$signal" -- "-$pid" 2>/dev/null || true
                for _ in $(seq 1 15); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
                kill -0 "$pid" 2>/dev/null || break
            done
            log "$name stopped"
        fi
        rm -f "$RUN/$name.pid"
    done
}

status() {
    local name
    for name in prefect-server worker desk; do
        if running "$name"; then echo "$name: running (pid $(cat "$RUN/$name.pid"))"
        else echo "$name: stopped"; fi
    done
    echo "logs: $LOGS"
}

start() {
    bash scripts/setup.sh >>"$LOGS/setup.log" 2>&1 || { log "setup failed, see $LOGS/setup.log"; exit 1; }
    log "setup done"

    # 1. Prefect server: PostgreSQL when a URL is given, else SQLite in the stack directory.
    local server_env=(env PREFECT_SERVER_API_HOST=127.0.0.1 PREFECT_SERVER_API_PORT="$PREFECT_PORT")
    if [ -n "${SERTIFLOW_PREFECT_DATABASE_URL:-}" ]; then
        local url="$SERTIFLOW_PREFECT_DATABASE_URL"
        url="${url/postgresql+psycopg:/postgresql+asyncpg:}"
        url="${url/postgresql:/postgresql+asyncpg:}"
        url="${url/postgres:/postgresql+asyncpg:}"
        server_env+=(PREFECT_API_DATABASE_CONNECTION_URL="$url")
        log "Prefect database: PostgreSQL"
    else
        log "Prefect database: SQLite ($PREFECT_HOME/prefect.db)"
    fi
    launch prefect-server "${server_env[@]}" prefect server start
    wait_http "$PREFECT_API_URL/health" 300 prefect-server
    log "Prefect server up: $PREFECT_API_URL"

    # 2. Work pool, deployments (prefect.yaml), the crashed-run automation: as the README says.
    prefect work-pool inspect sertiflow-process >/dev/null 2>&1 \
        || prefect work-pool create sertiflow-process --type process >>"$LOGS/prefect-server.log"
    prefect --no-prompt deploy --all >>"$LOGS/deploy.log" 2>&1 \
        || { log "prefect deploy --all failed, see $LOGS/deploy.log"; tail -n 30 "$LOGS/deploy.log" >&2; exit 1; }
    prefect automation ls 2>/dev/null | grep -q sertiflow-crashed-runs \
        || prefect automation create --from-file prefect.automations.yaml >>"$LOGS/deploy.log" 2>&1
    log "work pool, deployments and automation in place (log: $LOGS/deploy.log)"

    # 3. One worker and the desk, both on the same settings (and so the same database).
    launch worker prefect worker start --pool sertiflow-process --name "$(hostname)-worker"
    launch desk sertiflow serve --host "$DESK_HOST" --port "$DESK_PORT"
    wait_http "http://$DESK_HOST:$DESK_PORT/masuk" 120 desk

    prefect deployment ls
    cat <<EOF
Sertiflow is running.
  Prefect UI and API   http://127.0.0.1:$PREFECT_PORT   (export PREFECT_API_URL=$PREFECT_API_URL PREFECT_HOME=$PREFECT_HOME)
  Officers' desk       http://$DESK_HOST:$DESK_PORT
  Logs                 $LOGS
  Stop                 bash scripts/serve.sh stop
EOF
}

case "${1:-start}" in
    start) start ;;
    stop) stop_all ;;
    status) status ;;
    *) echo "usage: bash scripts/serve.sh [start|stop|status]" >&2; exit 2 ;;
esac
