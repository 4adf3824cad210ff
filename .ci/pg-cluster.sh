#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite (`make test-pg`, `.ci/run`).
#
#   .ci/pg-cluster.sh run CMD [ARG...]  start a cluster, run CMD with
#                                       ULASAN_TEST_DATABASE_URL and DATABASE_URL
#                                       pointing at it, then stop and remove it;
#                                       exits with CMD's status
#   .ci/pg-cluster.sh start             start one and print `export …` lines
#                                       (eval "$(.ci/pg-cluster.sh start)")
#   .ci/pg-cluster.sh stop DIR          stop the cluster in DIR and remove DIR
#
# The cluster lives in a fresh temporary folder, listens on a unix socket in
# that folder and on 127.0.0.1 at a free port, and trades durability for speed
# (fsync off). The role `ulasan` (random password, CREATEDB and
# pg_signal_backend, not a superuser) owns the database `ulasan`; the tests
# create and drop one database per test through it.
# When no server binaries are found they are installed from the distribution's
# packages (root, or sudo without a password). PG_BINDIR picks a bin folder.
set -euo pipefail

log() { echo "pg-cluster: $*" >&2; }
die() {
    log "$*"
    exit 1
}

PY="${PYTHON:-python3}"
command -v "$PY" >/dev/null 2>&1 || PY=python3

as_root() {
    if [ "$(id -u)" = 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        sudo -n "$@"
    else
        die "need root (or sudo without a password) to run: $*"
    fi
}

find_bindir() {
    local candidates=() dir
    [ -n "${PG_BINDIR:-}" ] && candidates+=("$PG_BINDIR")
    if command -v pg_config >/dev/null 2>&1; then
        # libpq-dev's pg_config names the server's folder even without a server.
        candidates+=("$(pg_config --bindir 2>/dev/null || true)")
    fi
    while IFS= read -r dir; do
        candidates+=("$dir")
    done < <(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r)
    if command -v initdb >/dev/null 2>&1; then
        candidates+=("$(dirname "$(readlink -f "$(command -v initdb)")")")
    fi
    for dir in "${candidates[@]}"; do
        if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] &&
            [ -x "$dir/postgres" ] && [ -x "$dir/psql" ]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

online_clusters() {
    command -v pg_lsclusters >/dev/null 2>&1 || return 0
    pg_lsclusters -h 2>/dev/null | awk '$4 == "online" { print $1 " " $2 }'
}

install_server() {
    log "no PostgreSQL server found: installing it from the distribution's packages"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install a PostgreSQL server or set PG_BINDIR"
    local before cluster
    before="$(online_clusters)"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
        --no-install-recommends postgresql >&2
    # On a machine with a service manager the package starts a `main` cluster:
    # stop what the install started, so no server outlives this script.
    while IFS= read -r cluster; do
        [ -n "$cluster" ] || continue
        grep -qxF "$cluster" <<<"$before" && continue
        log "stopping the cluster $cluster that the package install started"
        # shellcheck disable=SC2086
        as_root pg_ctlcluster $cluster stop || true
    done < <(online_clusters)
}

free_port() {
    "$PY" -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# Run a command as the cluster's owner (initdb and postgres refuse root).
OWNER=""
as_owner() {
    if [ -z "$OWNER" ]; then
        "$@"
    else
        runuser -u "$OWNER" -- "$@"
    fi
}

pick_owner() {
    [ "$(id -u)" = 0 ] || return 0
    if id -u postgres >/dev/null 2>&1; then
        OWNER=postgres
    else
        id -u ulasanpg >/dev/null 2>&1 ||
            useradd --system --no-create-home --shell /usr/sbin/nologin ulasanpg
        OWNER=ulasanpg
    fi
}

random_hex() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# Sets CLUSTER_DIR as soon as the folder exists (so a trap can remove it) and
# CLUSTER_URL once the server runs.
start_cluster() {
    local bindir port password attempt
    if ! bindir="$(find_bindir)"; then
        install_server
        bindir="$(find_bindir)" || die "no PostgreSQL server binaries after the install"
    fi
    pick_owner
    # The owner must reach the folder: stay in /tmp when running as root.
    if [ -n "$OWNER" ]; then
        CLUSTER_DIR="$(mktemp -d /tmp/ulasan-pg.XXXXXX)"
        chown "$OWNER" "$CLUSTER_DIR"
    else
        CLUSTER_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ulasan-pg.XXXXXX")"
    fi
    local dir="$CLUSTER_DIR"
    chmod 700 "$dir"
    log "$("$bindir/postgres" --version) in $dir${OWNER:+ (as $OWNER)}"

    password="$(random_hex)"
    random_hex >"$dir/superuser.pw"
    [ -z "$OWNER" ] || chown "$OWNER" "$dir/superuser.pw"
    if ! as_owner "$bindir/initdb" -D "$dir/data" -U postgres --pwfile="$dir/superuser.pw" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
        >"$dir/initdb.log" 2>&1; then
        cat "$dir/initdb.log" >&2
        die "initdb failed"
    fi

    # The server's zone is not UTC on purpose: a query that leans on the
    # session time zone (date(), extract(), CURRENT_DATE) shows up in the tests.
    # No autovacuum: the tests' databases live for a second, and a worker in one
    # would stand in the way of DROP DATABASE … WITH (FORCE).
    for attempt in 1 2 3 4 5; do
        port="$(free_port)"
        if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 \
                -c timezone=Asia/Jakarta -c autovacuum=off \
                -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
            start >/dev/null; then
            break
        fi
        if [ "$attempt" = 5 ]; then
            tail -n 20 "$dir/server.log" >&2 || true
            die "the server did not start"
        fi
        log "start on port $port failed, trying another port"
    done

    as_owner "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres \
        -d postgres >/dev/null <<SQL
CREATE ROLE ulasan LOGIN CREATEDB PASSWORD '$password';
GRANT pg_signal_backend TO ulasan;
CREATE DATABASE ulasan OWNER ulasan;
SQL
    CLUSTER_URL="postgresql+asyncpg://ulasan:$password@127.0.0.1:$port/ulasan"
}

stop_cluster() {
    local dir="$1" bindir
    [ -n "$dir" ] && [ -d "$dir" ] || return 0
    if [ -f "$dir/data/postmaster.pid" ]; then
        bindir="$(find_bindir)" || die "cannot find pg_ctl to stop the cluster in $dir"
        pick_owner
        as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ||
            as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null || true
    fi
    rm -rf "$dir"
}

CLUSTER_DIR=""
CLUSTER_URL=""
KEEP=""
cleanup() {
    local status=$?
    if [ -z "$KEEP" ] && [ -n "$CLUSTER_DIR" ]; then
        stop_cluster "$CLUSTER_DIR"
        log "stopped and removed $CLUSTER_DIR"
    fi
    exit "$status"
}

case "${1:-}" in
run)
    shift
    [ $# -gt 0 ] || die "usage: $0 run CMD [ARG...]"
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_cluster
    log "running: $* (DATABASE_URL=postgresql+asyncpg://ulasan:…@${CLUSTER_URL#*@})"
    status=0
    ULASAN_TEST_DATABASE_URL="$CLUSTER_URL" DATABASE_URL="$CLUSTER_URL" "$@" || status=$?
    exit "$status"
    ;;
start)
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    start_cluster
    KEEP=1
    echo "export ULASAN_TEST_DATABASE_URL='$CLUSTER_URL' DATABASE_URL='$CLUSTER_URL'" \
        "ULASAN_PG_CLUSTER_DIR='$CLUSTER_DIR'"
    log "started; stop it with: $0 stop $CLUSTER_DIR"
    ;;
stop)
    [ $# -eq 2 ] || die "usage: $0 stop DIR"
    case "$2" in
    */ulasan-pg.*) stop_cluster "$2" ;;
    *) die "$2 is not a folder this script made" ;;
    esac
    ;;
*)
    sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
