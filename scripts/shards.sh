#!/bin/sh
# Runs one gridsmith command as independent shards with GNU parallel:
# locally, or on many machines over SSH. Each shard is a separate
# `gridsmith ... --shard PREFIX` process; pointed at one PostGIS database
# (-o PG:... --schema NAME) they all write into the same tables, each
# replacing only its own rows (docs/design.md, Shards and PostGIS outputs).
#
#   scripts/shards.sh [OPTIONS] -- GRIDSMITH-ARGS...
#
# Options:
#   --list-from SOURCE  find the shards: the distinct first LEVEL digits of
#                       community_code in SOURCE's communities layer (any
#                       OGR source; a PG: source answers with one query)
#   --layer NAME        the communities layer of --list-from (communities)
#   --level N           digits of a shard: 6 district (default), 9 street
#   --shards "P1 P2"    the shards themselves, instead of --list-from
#   --list              print the shards, one a line, and stop
#   --jobs N            shards at once per machine (default: its cores)
#   --sshloginfile F    run over SSH on the machines listed in F (GNU
#                       parallel's format: "8/user@host", ":" for this one);
#                       gridsmith must be installed at the same path there
#   --joblog F          GNU parallel's job log (one line per shard: host,
#                       start, runtime, exit status); kept for re-runs
#   --resume-failed     with --joblog: run again only the shards that
#                       failed (a shard's re-run replaces its rows)
#   --results DIR       keep each shard's stdout/stderr under DIR
#   --gridsmith PATH    the binary (default: build/gridsmith of this
#                       checkout, or gridsmith on PATH)
#
# In GRIDSMITH-ARGS, {} stands for the shard (e.g. --schema hs_{}); the
# shard is appended as --shard {}. Exit status: that of GNU parallel
# (0 when every shard succeeded, else the number of failed shards).
#
# Example: the week's patrol check of every district, 2 at a time here,
#   scripts/shards.sh --list-from "PG:dbname=grid" --jobs 2 -- patrol \
#       --grids PG:dbname=grid --members PG:dbname=grid \
#       --traces PG:dbname=grid --households PG:dbname=grid \
#       --week 2026-W47 -o PG:dbname=grid --schema w47_patrol
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
list_from=""
layer=communities
level=6
shards=""
list_only=0
jobs=""
sshloginfile=""
joblog=""
resume=0
results=""
bin=""

usage() {
    sed -n '2,/^set -eu/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2
    exit 2
}

while [ $# -gt 0 ]; do
    case $1 in
        --list-from) list_from=$2; shift 2 ;;
        --layer) layer=$2; shift 2 ;;
        --level) level=$2; shift 2 ;;
        --shards) shards=$2; shift 2 ;;
        --list) list_only=1; shift ;;
        --jobs) jobs=$2; shift 2 ;;
        --sshloginfile) sshloginfile=$2; shift 2 ;;
        --joblog) joblog=$2; shift 2 ;;
        --resume-failed) resume=1; shift ;;
        --results) results=$2; shift 2 ;;
        --gridsmith) bin=$2; shift 2 ;;
        --) shift; break ;;
        -h|--help) usage ;;
        *) echo "shards.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

case $level in
    [1-9]|1[0-2]) ;;
    *) echo "shards.sh: --level takes 1 to 12 digits" >&2; exit 2 ;;
esac

if [ -z "$shards" ]; then
    [ -n "$list_from" ] || {
        echo "shards.sh: give --list-from SOURCE or --shards \"P1 P2\"" >&2
        exit 2
    }
    # substr() and DISTINCT work in PostgreSQL and in OGR's SQLite dialect
    # alike; ogrinfo prints "shard (String) = 110108" per row.
    case $list_from in
        PG:*) dialect="" ;;
        *) dialect="-dialect SQLite" ;;
    esac
    # shellcheck disable=SC2086
    shards=$(ogrinfo -ro -q $dialect "$list_from" -sql \
        "SELECT DISTINCT substr(community_code, 1, $level) AS shard FROM $layer ORDER BY 1" |
        sed -n 's/^ *shard ([A-Za-z]*) = \([0-9]*\)$/\1/p')
    [ -n "$shards" ] || {
        echo "shards.sh: no community_code in $list_from ($layer)" >&2
        exit 3
    }
fi

if [ "$list_only" -eq 1 ]; then
    # shellcheck disable=SC2086 # one shard a word
    printf '%s\n' $shards
    exit 0
fi
[ $# -gt 0 ] || {
    echo "shards.sh: no gridsmith command after --" >&2
    exit 2
}
command -v parallel >/dev/null || {
    echo "shards.sh: GNU parallel is missing (apt-get install parallel)" >&2
    exit 4
}
if [ -z "$bin" ]; then
    if [ -x "$here/build/gridsmith" ]; then
        bin=$here/build/gridsmith
    else
        bin=gridsmith
    fi
fi

set -- "$bin" "$@" --shard '{}'
popts="--halt never --line-buffer"
[ -n "$jobs" ] && popts="$popts --jobs $jobs"
[ -n "$sshloginfile" ] && popts="$popts --sshloginfile $sshloginfile"
[ -n "$joblog" ] && popts="$popts --joblog $joblog"
[ "$resume" -eq 1 ] && popts="$popts --resume-failed"
[ -n "$results" ] && popts="$popts --results $results"
# -q quotes every argument, so connection strings with spaces survive the
# shell here and on remote machines.
# shellcheck disable=SC2086
exec parallel -q $popts "$@" ::: $shards
