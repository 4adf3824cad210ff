#!/usr/bin/env bash
# The distribution's packages behind Ulasan's documents, installed when missing.
#
#   .ci/ensure-doc-tools.sh            the PDF route (WeasyPrint): Pango and fonts;
#                                      `make install` runs this, a server needs it
#   .ci/ensure-doc-tools.sh --browser  the same and a headless Chromium, which the
#                                      tests drive to check the published pages;
#                                      `make test` runs this
#
# WeasyPrint (a Python package) lays out HTML with the distribution's Pango,
# HarfBuzz and fontconfig, and needs at least one font (DejaVu). Chromium is the
# distribution's own build, never one downloaded by a Python package. Installed
# with apt-get as root (or with sudo without a password), as .ci/pg-cluster.sh
# installs PostgreSQL; nothing is installed when everything is there already.
set -euo pipefail
log() { echo "ensure-doc-tools: $*" >&2; }

want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

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

have_library() { /sbin/ldconfig -p 2>/dev/null | grep -q "$1"; }
have_font() { command -v fc-list >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi dejavu; }
have_browser() { command -v chromium >/dev/null 2>&1 || command -v chromium-headless-shell >/dev/null 2>&1; }

packages=()
have_library libpango-1.0.so.0 || packages+=(libpango-1.0-0)
have_library libpangoft2-1.0.so.0 || packages+=(libpangoft2-1.0-0)
have_font || packages+=(fontconfig fonts-dejavu-core)
if [ "$want_browser" = 1 ] && ! have_browser; then
    packages+=(chromium)
fi
[ "${#packages[@]}" = 0 ] && exit 0

command -v apt-get >/dev/null 2>&1 || {
    log "apt-get not found; install these with your distribution's tools: ${packages[*]}"
    exit 1
}
log "installing the distribution's ${packages[*]}"
as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${packages[@]}" >&2
have_library libpango-1.0.so.0 || { log "still no Pango"; exit 1; }
if [ "$want_browser" = 1 ] && ! have_browser; then
    log "still no chromium"
    exit 1
fi
