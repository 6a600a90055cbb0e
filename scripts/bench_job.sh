#!/bin/sh
# Benchmark: the whole weekly job (`gridsmith run`) on the 1,000,000-household
# city: 2,525 members, ~11 million GPS fixes, 100,000 events over 12 weeks.
# Generates the data once under /tmp (see bench_patrol.sh and
# bench_hotspots.sh), then prints wall time and peak memory of each stage.
# Target: < 60 s in all on 2 cores.
set -eu
cd "$(dirname "$0")/.."
city=${GS_BENCH_DIR:-/tmp/gs_city_1m_traces}
events=${GS_BENCH_EVENTS:-/tmp/gs_hotspots_bench/events.gpkg}
build=${GS_BUILD_DIR:-build}
./scripts/deps.sh build
./scripts/build.sh "$build" >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
./scripts/bench_data.sh "$city" "$events" "$tmp/job.ini"
/usr/bin/time -f '%e %M' -o "$tmp/time" "./$build/gridsmith" run \
    "$tmp/job.ini" --json --threads "${GS_THREADS:-2}" > "$tmp/report.json"
/usr/bin/python3 - "$tmp/report.json" "$tmp/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb = open(sys.argv[2]).read().split()
print("weekly job, week %s" % r["week"])
print("%-10s %10s %14s" % ("stage", "wall s", "peak RSS MiB"))
for s in r["stages"]:
    print("%-10s %10.2f %14.0f" % (s["stage"], s["wall_s"], s["peak_rss_mb"]))
print("%-10s %10.2f %14.0f" % ("process", float(wall), int(rss_kb) / 1024))
PY
