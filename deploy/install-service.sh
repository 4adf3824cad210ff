#!/usr/bin/env bash
# Install Ulasan as a systemd service from this clone (run as root, after `make install`):
#   sudo deploy/install-service.sh
# Creates the system user `ulasan`, renders the unit with this clone's path into
# /etc/systemd/system/ulasan.service and the operator's command /usr/local/bin/ulasan,
# copies .env.example to /var/lib/ulasan/.env unless one is there, and enables the
# service without starting it.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "install-service: run as root (sudo)" >&2; exit 2; }
here="$(cd "$(dirname "$0")" && pwd)"
app="$(dirname "$here")"
[ -x "$app/.venv/bin/ulasan" ] || { echo "install-service: run 'make install' in $app first" >&2; exit 2; }
id -u ulasan >/dev/null 2>&1 ||
    useradd --system --home-dir /var/lib/ulasan --no-create-home --shell /usr/sbin/nologin ulasan
install -d -o ulasan -g ulasan -m 0700 /var/lib/ulasan
[ -e /var/lib/ulasan/.env ] || install -o ulasan -g ulasan -m 0600 "$app/.env.example" /var/lib/ulasan/.env
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$here/render.sh" "$tmp" "$app"
systemd-analyze verify "$tmp/ulasan.service"
install -m 0644 "$tmp/ulasan.service" /etc/systemd/system/ulasan.service
install -m 0755 "$tmp/ulasan" /usr/local/bin/ulasan
systemctl daemon-reload
systemctl enable ulasan.service
echo "Installed (not started). Set BOT_TOKEN and ADMIN_IDS in /var/lib/ulasan/.env, then:"
echo "  sudo ulasan check --online; sudo ulasan db upgrade; sudo systemctl start ulasan"
