#!/usr/bin/env bash
# `systemd-analyze` for tests/test_deploy.py (it verifies the rendered unit in deploy/).
# When missing it is installed from the distribution's package `systemd` (as root, or
# with sudo without a password), as .ci/pg-cluster.sh installs PostgreSQL. Nothing is
# started: `systemd-analyze verify` only reads unit files.
set -euo pipefail
command -v systemd-analyze >/dev/null 2>&1 && exit 0
log() { echo "ensure-systemd-analyze: $*" >&2; }
as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        log "need root (or sudo without a password) to run: $*"
        exit 1
    fi
}
command -v apt-get >/dev/null 2>&1 || { log "apt-get not found; install systemd-analyze"; exit 1; }
log "installing the distribution's systemd package (for systemd-analyze)"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >&2
command -v systemd-analyze >/dev/null 2>&1 || { log "still no systemd-analyze"; exit 1; }
