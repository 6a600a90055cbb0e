#!/bin/sh
# Benchmark: `gridsmith patrol` for one week of 2,500 members (~11 million
# GPS fixes) on the 1,000,000-household city. Generates the city and its
# traces once under $GS_BENCH_DIR (default /tmp/gs_city_1m_traces), then
# prints wall time and peak memory per phase (read, project, analyse,
# write) and for the whole process. Target: < 20 s and < 1.5 GiB, 2 cores.
set -eu
cd "$(dirname "$0")/.."
dir=${GS_BENCH_DIR:-/tmp/gs_city_1m_traces}
threads=${GS_THREADS:-2}
./scripts/deps.sh build
./scripts/build.sh build >/dev/null
if [ ! -f "$dir/traces.csv" ]; then
    echo "generating the city and 11 million fixes in $dir (once)..." >&2
    /usr/bin/python3 scripts/gen_city.py --households 1000000 --out "$dir" \
        --trace-fixes 11000000 --trace-weeks 1
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
/usr/bin/time -f '%e %M' -o "$out/time" ./build/gridsmith patrol \
    --grids "$dir/city.gpkg" --members "$dir/members.csv" \
    --traces "$dir/traces.csv" --households "$dir/city.gpkg" \
    --calendar "$dir/calendar.csv" --week 2026-W47 \
    -o "$out/patrol.gpkg" --json --threads "$threads" > "$out/report.json"
/usr/bin/python3 - "$out/report.json" "$out/time" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
wall, rss_kb = open(sys.argv[2]).read().split()
w = r["weeks"][0]
print("patrol %s, %d members, %d fixes, %d bad rows" %
      (w["week"], r["members"], r["fixes"], r["bad_rows"]))
print("%-10s %10s %14s" % ("phase", "wall s", "peak RSS MiB"))
for p in r["phases"]:
    print("%-10s %10.2f %14.0f" % (p["phase"], p["wall_s"], p["peak_rss_mb"]))
print("%-10s %10.2f %14.0f" % ("process", float(wall), int(rss_kb) / 1024))
print("compliant %d of %d, mean %.1f h in grid, mean coverage %.1f%%" %
      (w["compliant"], w["members"], w["mean_hours"], w["mean_coverage_pct"]))
PY
