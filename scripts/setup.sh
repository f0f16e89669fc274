#!/usr/bin/env bash
# Prepare a machine to run Sertiflow and its tests. Idempotent: a second run is fast.
#
#  1. system packages (Debian/Ubuntu, as root or with passwordless sudo), only when missing:
#     Dovecot (IMAP test server), LibreOffice Writer (DOCX -> PDF), Tesseract + Indonesian
#     (OCR), zbar (QR codes), Chromium, DejaVu fonts, poppler-utils, PostgreSQL (tests start
#     their own throw-away cluster: tests/pg.py)
#  2. the system user that owns test mail storage (Dovecot refuses uid 0)
#  3. a virtualenv: $SERTIFLOW_VENV, else .venv in the repo (may be a symlink to a shared venv),
#     with requirements.lock and the project itself (editable, --no-deps). Skipped when
#     requirements.lock and pyproject.toml have not changed since the last run (stamp file).
#
# Environment: SERTIFLOW_VENV (venv path), PYTHON (interpreter for a new venv, >= 3.11),
# SERTIFLOW_SKIP_APT=1 (never touch system packages).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"

MAIL_USER="sertiflow-mail"
APT_PACKAGES=(dovecot-imapd libreoffice-writer-nogui tesseract-ocr tesseract-ocr-ind libzbar0
              chromium fonts-dejavu-core poppler-utils postgresql gcc libc6-dev)

log() { printf 'setup: %s\n' "$*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
    else return 1
    fi
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

# --- 1. system packages -----------------------------------------------------------------
if [ "${SERTIFLOW_SKIP_APT:-0}" != "1" ] && command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${APT_PACKAGES[@]}"; do
        if [ "$pkg" = libreoffice-writer-nogui ] && installed libreoffice-writer; then continue; fi
        installed "$pkg" || missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        log "installing system packages: ${missing[*]}"
        if as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q; then
            # Older releases have no -nogui variant of LibreOffice Writer.
            for i in "${!missing[@]}"; do
                if [ "${missing[$i]}" = libreoffice-writer-nogui ] \
                   && ! apt-cache show libreoffice-writer-nogui >/dev/null 2>&1; then
                    missing[$i]=libreoffice-writer
                fi
            done
            as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
                --no-install-recommends "${missing[@]}"
            # The package's own dovecot service is not used (tests start their own).
        else
            log "WARNING: not root and no passwordless sudo; missing: ${missing[*]}"
            log "         tests needing them will be skipped (or fail with SERTIFLOW_REQUIRE_SERVERS=1)"
        fi
    fi
fi

# --- 2. mail storage user -----------------------------------------------------------------
if ! id "$MAIL_USER" >/dev/null 2>&1; then
    if as_root useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$MAIL_USER"; then
        log "created system user $MAIL_USER"
    else
        log "WARNING: could not create system user $MAIL_USER (not root)"
    fi
fi

# --- 3. virtualenv ------------------------------------------------------------------------
VENV="${SERTIFLOW_VENV:-$REPO/.venv}"
if [ ! -x "$VENV/bin/python" ]; then
    PY="${PYTHON:-python3}"
    "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
        || { log "ERROR: $PY is older than Python 3.11"; exit 1; }
    log "creating virtualenv $VENV"
    "$PY" -m venv "$VENV"
fi

stamp_file="$VENV/.sertiflow-setup.stamp"
wanted="$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1) $REPO"
build_pdfchars() {   # --- 4. the C character reader (fast, idempotent)
    "$VENV/bin/python" -m pipelines.read.pdfchars >/dev/null \
        || log "WARNING: pdfchars.c not built; PDF layout is read by the slower Python loops"
}
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$wanted" ]; then
    build_pdfchars
    exit 0
fi

# Several checkouts or engineers may share one venv: one installer at a time.
exec 9>"$VENV/.sertiflow-setup.lock"
command -v flock >/dev/null 2>&1 && flock 9
if [ -f "$stamp_file" ] && [ "$(cat "$stamp_file")" = "$wanted" ]; then
    build_pdfchars
    exit 0
fi

log "installing Python packages into $VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -r requirements.lock
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e ".[test]"
printf '%s' "$wanted" > "$stamp_file"
build_pdfchars
log "done"
