#!/bin/sh
# Benchmark: `gridsmith hotspots` for 100,000 events over 12 weeks on the
# 2,525-grid, 1,000,000-household city, analysing its last week (2026-W47)
# with the 12 weeks as history. Generates the city (scripts/gen_city.py,
# shared with bench_validate.sh under /tmp/gs_city_1m) and the events
# (scripts/gen_events.py) once, then prints wall time and peak memory per
# phase (read, analyse, write) and for the whole process.
# Target: < 5 s wall on 2 cores. GS_BUILD_DIR picks the build (build/).
set -eu
cd "$(dirname "$0")/.."
city=${GS_BENCH_DIR:-/tmp/gs_city_1m}
events=${GS_BENCH_EVENTS:-/tmp/gs_hotspots_bench/events.gpkg}
build=${GS_BUILD_DIR:-build}
./scripts/deps.sh build
./scripts/build.sh "$build" >/dev/null
[ -f "$city/city.gpkg" ] || {
    echo "generating the 1,000,000-household city in $city (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$city" \
        --no-traces
}
[ -f "$events" ] || {
    echo "generating 100,000 events over 12 weeks in $events (once)..." >&2
    mkdir -p "$(dirname "$events")"
    /usr/bin/python3 scripts/gen_events.py --city "$city/city.gpkg" \
        --out "$events" --events 100000 --weeks 12 --last-week 2026-W47
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/time -f '%e %M' -o "$tmp/time" "./$build/gridsmith" hotspots \
    --grids "$city/city.gpkg" --communities "$city/city.gpkg" \
    --events "$events" --calendar "$city/calendar.csv" --week 2026-W47 \
    -o "$tmp/hotspots.gpkg" --json --threads "${GS_THREADS:-2}" \
    > "$tmp/report.json"
/usr/bin/python3 - "$tmp/report.json" "$tmp/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb = open(sys.argv[2]).read().split()
g, h, t = r["grid_gi"], r["hex_gi"], r["trouble_spots"]
print("hotspots %s to %s: %d events read, %d in the period, %d weeks of "
      "history" % (r["from"], r["to"], r["events"], r["events_in_period"],
                   r["history_weeks"]))
print("%-10s %10s %14s" % ("phase", "wall s", "peak RSS MiB"))
for p in r["phases"]:
    print("%-10s %10.2f %14.0f" % (p["phase"], p["wall_s"], p["peak_rss_mb"]))
print("%-10s %10.2f %14.0f" % ("process", float(wall), int(rss_kb) / 1024))
print("grids %d: %d hot at 95 %%; hexagons %d: %d hot at 95 %%; %d clusters"
      % (g["grids"], g["hot_99"] + g["hot_95"], h["hexagons"],
         h["hot_99"] + h["hot_95"], r["clusters"]))
print("trouble spots: %d repeat locations, %d overdue, %d rising grids"
      % (t["repeat_location"], t["overdue"], t["rising_grid"]))
print("target < 5 s wall: %s" % ("met" if float(wall) < 5 else "MISSED"))
PY
