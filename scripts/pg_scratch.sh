#!/bin/sh
# A throwaway PostgreSQL 15 + PostGIS 3 server for tests and benchmarks,
# from Debian's packages (scripts/deps.sh test installs them).
#
#   scripts/pg_scratch.sh start DIR   initdb in DIR, start the server on a
#                                     unix socket in DIR only (no TCP),
#                                     create database "gridsmith" with
#                                     PostGIS; prints the OGR connection
#                                     string: PG:dbname=gridsmith host=DIR
#                                     user=postgres
#   scripts/pg_scratch.sh stop DIR    stop it and remove DIR
#
# PostgreSQL refuses to run as root: as root the server runs as the
# `postgres` user the package creates (runuser); otherwise as the caller.
# PG_SCRATCH_OPTS adds server settings ("-c shared_buffers=1GB ...").
# Trust authentication is safe here because the socket lives in a private
# directory and the server listens on no network address.
set -eu
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
    echo "usage: $0 start|stop DIR" >&2
    exit 2
fi
bin=/usr/lib/postgresql/15/bin
if [ "$(id -u)" -eq 0 ]; then
    as() { runuser -u postgres -- "$@"; }
    owner=postgres
else
    as() { "$@"; }
    owner=$(id -un)
fi

case $cmd in
start)
    [ -x "$bin/initdb" ] || {
        echo "$0: PostgreSQL 15 is not installed ($bin)" >&2
        exit 3
    }
    mkdir -p "$dir"
    chmod 700 "$dir"
    chown "$owner" "$dir"
    as "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 \
        --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    # fsync off: a scratch server whose data is thrown away.
    as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-c listen_addresses='' -c unix_socket_directories=$dir \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off \
-c max_connections=100 ${PG_SCRATCH_OPTS:-}" start >/dev/null
    psql -X -q -h "$dir" -U postgres -d postgres \
        -c "CREATE DATABASE gridsmith" >/dev/null
    psql -X -q -h "$dir" -U postgres -d gridsmith \
        -c "CREATE EXTENSION postgis" >/dev/null
    echo "PG:dbname=gridsmith host=$dir user=postgres"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
