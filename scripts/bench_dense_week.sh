#!/bin/sh
# Benchmark: a dense week. `gridsmith hotspots` with 2,000,000 events in
# one ISO week (2026-W47) on the 2,525-grid, 1,000,000-household city: the
# clustering, the repeat locations and every per-event step must stay
# O(n log n). Generates the city (scripts/gen_city.py, shared with the
# other benchmarks under /tmp/gs_city_1m) and the events
# (scripts/gen_events.py, one week) once, then prints wall time and peak
# memory per phase and for the whole process, against the targets.
# Target: < 20 s wall and < 2 GiB peak memory on 2 cores.
#   GS_BUILD_DIR picks the build (build/); GS_DENSE_EVENTS the count.
set -eu
cd "$(dirname "$0")/.."
city=${GS_BENCH_DIR:-/tmp/gs_city_1m}
n=${GS_DENSE_EVENTS:-2000000}
events=${GS_BENCH_EVENTS:-/tmp/gs_dense_week/events_$n.gpkg}
build=${GS_BUILD_DIR:-build}
[ -x "$build/gridsmith" ] || ./scripts/build.sh "$build" >/dev/null
[ -f "$city/city.gpkg" ] || {
    echo "generating the 1,000,000-household city in $city (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$city" \
        --no-traces
}
[ -f "$events" ] || {
    echo "generating $n events in one week in $events (once)..." >&2
    mkdir -p "$(dirname "$events")"
    /usr/bin/python3 scripts/gen_events.py --city "$city/city.gpkg" \
        --out "$events.part" --events "$n" --weeks 1 --last-week 2026-W47
    mv "$events.part" "$events"
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/time -f '%e %M %U %S' -o "$tmp/time" "./$build/gridsmith" hotspots \
    --grids "$city/city.gpkg" --communities "$city/city.gpkg" \
    --events "$events" --calendar "$city/calendar.csv" --week 2026-W47 \
    -o "$tmp/hotspots.gpkg" --json --threads "${GS_THREADS:-2}" \
    > "$tmp/report.json" || {
    echo "gridsmith hotspots failed" >&2
    exit 1
}
/usr/bin/python3 - "$tmp/report.json" "$tmp/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb, user, sys_s = open(sys.argv[2]).read().split()
wall, mib = float(wall), int(rss_kb) / 1024
cpu = float(user) + float(sys_s)
print("dense week %s to %s: %d events read, %d in the week"
      % (r["from"], r["to"], r["events"], r["events_in_period"]))
print("%-10s %10s %14s" % ("phase", "wall s", "peak RSS MiB"))
for p in r["phases"]:
    print("%-10s %10.2f %14.0f" % (p["phase"], p["wall_s"], p["peak_rss_mb"]))
print("%-10s %10.2f %14.0f   (CPU %.2f s; load average %s)"
      % ("process", wall, mib, cpu, open("/proc/loadavg").read().split()[0]))
t = r["trouble_spots"]
print("%d clusters; trouble spots: %d repeat locations, %d overdue"
      % (r["clusters"], t["repeat_location"], t["overdue"]))
ok = wall < 20 and mib < 2048
print("target < 20 s wall and < 2048 MiB: %s"
      % ("met" if ok else "MISSED"))
sys.exit(0 if ok else 1)
PY
