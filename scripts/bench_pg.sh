#!/bin/sh
# A district from PostGIS against the same district from files: validate,
# patrol and the weekly job (gridsmith run), each run once from the files
# of scripts/bench_data.sh and once from the PostGIS schema `prov` that
# scripts/bench_shards.sh makes (its district 110108 is the original city).
#
#   scripts/bench_pg.sh --pg CONNECTION [--shard PREFIX] [--only WHAT]
#
#   --pg CONN     the database bench_shards.sh loaded ("PG:dbname=...
#                 host=..."; make it with: scripts/bench_shards.sh
#                 --cities 1 --keep --load-only, or --pg CONN --load-only)
#   --shard P     run as the shard P, as bench_shards.sh runs a district
#                 (default: the whole schema, i.e. all its districts)
#   --only WHAT   validate, patrol or run (default: all three)
#
# Prints per command and source: wall time, the client's CPU time (user +
# system), the database server's CPU time over the run (its postmaster's
# children, when the server is a local scratch server this user can see;
# else "-"), peak memory, the read phase's wall time from --json, and the
# ratio PostGIS / files of wall and of client + server CPU. On a shared
# machine the CPU figures are the ones to compare; wall time also counts
# waiting for a core. The outputs of each pair are compared with
# scripts/compare_layers.py (messages naming a roster line or a feature
# differ by where they came from and are reported, not failed).
set -eu
cd "$(dirname "$0")/.."
pg=""
shard=""
only="validate patrol run"
while [ $# -gt 0 ]; do
    case $1 in
        --pg) pg=$2; shift 2 ;;
        --shard) shard=$2; shift 2 ;;
        --only) only=$2; shift 2 ;;
        *) echo "usage: $0 --pg CONN [--shard PREFIX] [--only WHAT]" >&2
           exit 2 ;;
    esac
done
[ -n "$pg" ] || { echo "bench_pg.sh: give --pg CONNECTION" >&2; exit 2; }
city=${GS_BENCH_DIR:-/tmp/gs_city_1m}
events=${GS_BENCH_EVENTS:-/tmp/gs_hotspots_bench/events.gpkg}
build=${GS_BUILD_DIR:-build}
case $build in
    /*) bin=$build/gridsmith ;;
    *) bin=$(pwd)/$build/gridsmith ;;
esac
[ -x "$bin" ] || { echo "bench_pg.sh: build $bin first" >&2; exit 2; }
./scripts/bench_data.sh "$city" "$events"
tmp=$(mktemp -d /tmp/gs_bench_pg.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
src="$pg active_schema=prov"
# The server's data directory, when it is a local scratch server: the
# host of the connection is its socket directory (scripts/pg_scratch.sh).
host=$(printf '%s\n' "$pg" | sed -n 's/.*host=\([^ ]*\).*/\1/p')
pidfile="$host/data/postmaster.pid"
server_cpu() {
    if [ -r "$pidfile" ]; then
        pm=$(head -1 "$pidfile")
        tck=$(getconf CLK_TCK)
        { awk '{print $14 + $15 + $16 + $17}' "/proc/$pm/stat"
          for p in $(pgrep -P "$pm"); do
              awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || true
          done; } | awk -v t="$tck" '{s += $1} END {printf "%.2f", s / t}'
    else
        echo "-"
    fi
}
set -- ${shard:+--shard "$shard"}
shard_args="$*"

cat > "$tmp/files.ini" <<INI
[inputs]
communities = $city/city.gpkg
grids = $city/city.gpkg
households = $city/city.gpkg
members = $city/members.csv
traces = $city/traces.csv
calendar = $city/calendar.csv
events = $events
[run]
week = 2026-W47
[outputs]
dir = $tmp/files-run
INI
cat > "$tmp/pg.ini" <<INI
[inputs]
communities = $src
grids = $src
households = $src
members = $src
traces = $src
events = $src
calendar = $city/calendar.csv
[run]
week = 2026-W47
[outputs]
dir = $tmp/pg-run
INI

# one LABEL CMD SOURCE: runs the command on the source, appends a line
# "LABEL wall cpu server_cpu rss_mb read_s" to $tmp/results.
one() {
    label=$1 cmd=$2 from=$3
    if [ "$from" = files ]; then
        c=$city/city.gpkg m=$city/members.csv t=$city/traces.csv
    else
        c=$src m=$src t=$src
    fi
    case $cmd in
        validate) set -- validate --communities "$c" --grids "$c" \
            --households "$c" --members "$m" -o "$tmp/$label.gpkg" ;;
        patrol) set -- patrol --grids "$c" --members "$m" --traces "$t" \
            --households "$c" --calendar "$city/calendar.csv" \
            --week 2026-W47 -o "$tmp/$label.gpkg" ;;
        run) set -- run "$tmp/$from.ini" ;;
    esac
    s0=$(server_cpu)
    # shellcheck disable=SC2086
    /usr/bin/time -o "$tmp/time" -f "%e %U %S %M" "$bin" "$@" $shard_args \
        --json --quiet > "$tmp/$label.json"
    s1=$(server_cpu)
    read -r w u s m < "$tmp/time"
    /usr/bin/python3 - "$tmp/$label.json" "$label" "$w" "$u" "$s" "$m" \
        "$s0" "$s1" >> "$tmp/results" <<'PY'
import json, sys
path, label, w, u, s, m, s0, s1 = sys.argv[1:]
r = json.load(open(path))
def read_s(rep):
    return sum(p["wall_s"] for p in rep.get("phases", [])
               if p["phase"] == "read")
if "stages" in r:
    rd = sum(read_s(st.get("report") or {}) for st in r["stages"])
else:
    rd = read_s(r)
srv = "-" if "-" in (s0, s1) else "%.2f" % (float(s1) - float(s0))
print(label, w, "%.2f" % (float(u) + float(s)), srv, int(m) // 1024,
      "%.2f" % rd)
PY
}

: > "$tmp/results"
for cmd in $only; do
    echo "== $cmd from files, then from PostGIS" >&2
    one "$cmd-files" "$cmd" files
    one "$cmd-pg" "$cmd" pg
done

echo "PostGIS against files, one district (${shard:-the whole schema});" \
    "load average $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$tmp/results" <<'PY'
import sys
res = {}
for line in open(sys.argv[1]):
    label, w, cpu, srv, rss, rd = line.split()
    res[label] = (float(w), float(cpu), None if srv == "-" else float(srv),
                  int(rss), float(rd))
print("%-9s %-6s %8s %8s %8s %8s %8s" % ("command", "source", "wall s",
                                           "cpu s", "server", "rss MB",
                                           "read s"))
for cmd in ("validate", "patrol", "run"):
    f, p = res.get(cmd + "-files"), res.get(cmd + "-pg")
    if not f or not p:
        continue
    for src, v in (("files", f), ("pg", p)):
        print("%-9s %-6s %8.1f %8.2f %8s %8d %8.2f" % (
            cmd, src, v[0], v[1], "-" if v[2] is None else "%.2f" % v[2],
            v[3], v[4]))
    tot_f = f[1] + (f[2] or 0)
    tot_p = p[1] + (p[2] or 0)
    print("%-9s PostGIS/files: wall %.2fx, client CPU %.2fx, client + "
          "server CPU %.2fx (target: at most 1.5x)" % (
              cmd, p[0] / f[0], p[1] / f[1], tot_p / tot_f))
PY
for cmd in validate patrol; do
    case " $only " in *" $cmd "*) ;; *) continue ;; esac
    echo "== $cmd: layers from files vs from PostGIS" >&2
    /usr/bin/python3 scripts/compare_layers.py "$tmp/$cmd-files.gpkg" \
        "$tmp/$cmd-pg.gpkg" | sed "s/^/$cmd: /" || true
done
