#!/usr/bin/env bash
# Install the PostgreSQL and MariaDB servers, PgBouncer and Redis (the task queues' broker) that
# the database tests start on loopback (tests/dbservers.py). Idempotent and quiet: returns at once
# when the binaries are there.
# Debian packages only; runs as root (CI) or through sudo. Never starts a service: the tests
# start their own servers on free ports with throw-away data directories.
set -euo pipefail

have_postgres() {
    compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null \
        && compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

have_mariadb() {
    { [ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null; } \
        && command -v mariadb-install-db >/dev/null
}

have_pgbouncer() {
    [ -x /usr/sbin/pgbouncer ] || command -v pgbouncer >/dev/null
}

have_redis() {
    [ -x /usr/bin/redis-server ] || command -v redis-server >/dev/null
}

packages=()
have_postgres || packages+=(postgresql)
have_mariadb || packages+=(mariadb-server)
have_pgbouncer || packages+=(pgbouncer)
have_redis || packages+=(redis-server)
[ ${#packages[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
    echo "ensure-databases: apt-get not found; install ${packages[*]} yourself" \
        "(the database tests are skipped without them)" >&2
    exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo=(sudo -n)
    else
        echo "ensure-databases: not root; install ${packages[*]} yourself" \
            "(the database tests are skipped without them)" >&2
        exit 0
    fi
fi

# Keep the packages' maintainer scripts from starting system-wide servers on 5432/3306/6432
# (and Redis on 6379; the same policy Debian container images ship), unless a policy is already in place.
policy=/usr/sbin/policy-rc.d
added_policy=false
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod 755 "$policy"
    added_policy=true
fi
cleanup() { if $added_policy; then "${sudo[@]}" rm -f "$policy"; fi; }
trap cleanup EXIT

# Said before apt-get runs, and each step as it starts: apt-get's own output goes to a log (shown
# only if it fails), and the first install takes minutes, which must not look like a hang.
echo "ensure-databases: installing ${packages[*]} with apt-get (a few minutes the first" \
    "time; the database tests need them)" >&2
log=$(mktemp)
started=$SECONDS
export DEBIAN_FRONTEND=noninteractive
echo "ensure-databases: apt-get update" >&2
if "${sudo[@]}" apt-get update -qq >"$log" 2>&1; then
    echo "ensure-databases: apt-get install ${packages[*]}" >&2
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${packages[@]}" >>"$log" 2>&1 \
        || failed=true
else
    failed=true
fi
if [ "${failed:-false}" = true ]; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "ensure-databases: apt-get failed" >&2
    exit 1
fi
rm -f "$log"
echo "ensure-databases: installed ${packages[*]} in $((SECONDS - started)) s" >&2

have_postgres || { echo "ensure-databases: PostgreSQL server binaries still missing" >&2; exit 1; }
have_mariadb || { echo "ensure-databases: MariaDB server binaries still missing" >&2; exit 1; }
have_pgbouncer || { echo "ensure-databases: PgBouncer still missing" >&2; exit 1; }
have_redis || { echo "ensure-databases: Redis still missing" >&2; exit 1; }
