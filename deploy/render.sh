#!/usr/bin/env bash
# Render deploy/ulasan.service.in and deploy/ulasan.in with the clone's real path.
#   deploy/render.sh OUT_DIR [APP_DIR]    (APP_DIR: default the clone this script is in)
# writes OUT_DIR/ulasan.service and OUT_DIR/ulasan (the operator's command).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: deploy/render.sh OUT_DIR [APP_DIR]}"
app="${2:-$(dirname "$here")}"
case "$app" in
/*) ;;
*) echo "render: APP_DIR must be an absolute path: $app" >&2; exit 2 ;;
esac
mkdir -p "$out"
sed "s|@APP_DIR@|$app|g" "$here/ulasan.service.in" >"$out/ulasan.service"
sed "s|@APP_DIR@|$app|g" "$here/ulasan.in" >"$out/ulasan"
chmod 644 "$out/ulasan.service"
chmod 755 "$out/ulasan"
